"""``splatkit explain``: the first circular report of FILE, explained in plain text or Markdown."""

from __future__ import annotations

import argparse

from .io import write_stdout
from .reports import first_with_chain, load

HELP = "explain the first circular report in FILE, in plain text under 80 columns"


def register(add) -> None:
    p = add("explain", HELP, cmd_explain, file_optional=True)
    p.add_argument("--markdown", action="store_true", help="Markdown instead of plain text")


def cmd_explain(args: argparse.Namespace) -> int:
    from ..render.explain import explain_markdown, explain_text

    _name, splats = load(args.file, warn=not args.quiet, cap_mb=args.max_mb)
    render = explain_markdown if args.markdown else explain_text
    write_stdout(render(first_with_chain(splats)))
    return 0
