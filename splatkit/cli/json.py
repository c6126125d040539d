"""``splatkit json``: every report of FILE as JSON (``Splat.to_dict``)."""

from __future__ import annotations

import argparse
import json

from .io import write_stdout
from .reports import load

HELP = "print every report in FILE as a JSON array"


def register(add) -> None:
    p = add("json", HELP, cmd_json, file_optional=False)
    p.add_argument("--indent", action="store_true", help="pretty-print")


def cmd_json(args: argparse.Namespace) -> int:
    _name, splats = load(args.file, warn=not args.quiet, cap_mb=args.max_mb)
    write_stdout(json.dumps([s.to_dict() for s in splats], indent=2 if args.indent else None) + "\n")
    return 0
