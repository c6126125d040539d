"""``splatkit json``: the reports of FILE as JSON (``Splat.to_dict``), or the JSON Schema of that output."""

from __future__ import annotations

import argparse
import json

from ..errors import SplatkitError
from ..schema import SCHEMA_FILE, schema_text
from .io import write_stdout
from .symbols import add_symbol_options, symbolized
from .reports import add_choice_options, choose, load, warn_about

HELP = "print every report in FILE as a JSON array (the format: --schema)"
DESCRIPTION = f"""{HELP}.

With --index N, print only the Nth report, as one JSON object (not an array):
the schema's #/$defs/report."""


def register(add) -> None:
    p = add("json", HELP, cmd_json, file_optional=True, seed_default=False)
    p.description = DESCRIPTION
    p.add_argument("--indent", action="store_true", help="pretty-print")
    p.add_argument("--schema", action="store_true",
                   help=f"print the JSON Schema (draft 2020-12) of the output instead, the package's {SCHEMA_FILE}")
    add_choice_options(p, every=True)
    add_symbol_options(p)


def cmd_json(args: argparse.Namespace) -> int:
    if args.schema:
        if args.file is not None:
            raise SplatkitError(f"json --schema prints the JSON Schema of the output and reads no FILE; drop "
                                f"{args.file!r} or drop --schema")
        write_stdout(schema_text())
        return 0
    if args.file is None:
        raise SplatkitError("json needs a FILE ('-' for standard input), or --schema for the JSON Schema of "
                            "its output")
    name, splats = load(args.file, warn=False, cap_mb=args.max_mb)
    chosen = symbolized(name, [splat for _number, splat in choose(name, splats, args, every=True)], args)
    if not args.quiet:
        warn_about(name, chosen)
    data = chosen[0].to_dict() if args.index is not None else [splat.to_dict() for splat in chosen]
    write_stdout(json.dumps(data, indent=2 if args.indent else None) + "\n")
    return 0
