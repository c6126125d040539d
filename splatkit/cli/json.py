"""``splatkit json``: the reports of FILE as JSON (``Splat.to_dict``)."""

from __future__ import annotations

import argparse
import json

from .io import write_stdout
from .reports import add_choice_options, choose, load, warn_about

HELP = "print every report in FILE as a JSON array"
DESCRIPTION = f"""{HELP}.

With --index N, print only the Nth report, as one JSON object (not an array)."""


def register(add) -> None:
    p = add("json", HELP, cmd_json, file_optional=False)
    p.description = DESCRIPTION
    p.add_argument("--indent", action="store_true", help="pretty-print")
    add_choice_options(p, every=True)


def cmd_json(args: argparse.Namespace) -> int:
    name, splats = load(args.file, warn=False, cap_mb=args.max_mb)
    chosen = [splat for _number, splat in choose(name, splats, args, every=True)]
    if not args.quiet:
        warn_about(name, chosen)
    data = chosen[0].to_dict() if args.index is not None else [splat.to_dict() for splat in chosen]
    write_stdout(json.dumps(data, indent=2 if args.indent else None) + "\n")
    return 0
