"""``splatkit trim``: a report of FILE cut to what a commit message should quote."""

from __future__ import annotations

import argparse

from ..trim import LEVELS, trimmed_text
from .io import write_stdout
from .reports import add_choice_options, choose, describe, load

HELP = "print a report of FILE trimmed for a commit message (no timestamps, addresses, registers, ? frames)"
DESCRIPTION = describe(HELP, """--level trimmed (the default) keeps the report line for line without the noise;
--level condensed prints one line per chain entry and held lock.""")


def register(add) -> None:
    p = add("trim", HELP, cmd_trim, file_optional=True)
    p.description = DESCRIPTION
    p.add_argument("--level", choices=LEVELS, default="trimmed", help="how much to keep (default: trimmed)")
    add_choice_options(p, every=False)


def cmd_trim(args: argparse.Namespace) -> int:
    name, splats = load(args.file, warn=not args.quiet, cap_mb=args.max_mb)
    chosen = choose(name, splats, args, every=False, doing="trimming")
    write_stdout("\n".join(trimmed_text(splat, args.level) for _n, splat in chosen))
    return 0
