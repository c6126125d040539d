"""``splatkit report``: a self-contained, offline HTML page for the first report of FILE."""

from __future__ import annotations

import argparse
import os

from .io import say, write_file, write_stdout
from .reports import first_with_chain, load

HELP = "write a self-contained HTML exploration of the first report in FILE"


def register(add) -> None:
    p = add("report", HELP, cmd_report, file_optional=True)
    p.add_argument("-o", "--output", default="splat-report.html", help="output file ('-' for stdout)")


def cmd_report(args: argparse.Namespace) -> int:
    from ..render.html import report_html

    name, splats = load(args.file, warn=not args.quiet, cap_mb=args.max_mb)
    splat = first_with_chain(splats)
    notes: list[str] = []
    page = report_html(splat, source=os.path.basename(name), notes=notes)
    for note in notes:
        say(f"{name}:{splat.span.first_line}: warning: {note}")
    if args.output == "-":
        write_stdout(page)
    else:
        write_file(args.output, page)
        say(f"wrote {args.output} ({len(page.encode()) // 1024} KiB)")
    return 0
