"""``splatkit report``: a self-contained, offline HTML page for the first report of FILE."""

from __future__ import annotations

import argparse
import os

from .io import say, write_file, write_stdout
from .reports import add_choice_options, choose, load
from .symbols import add_symbol_options, symbolized

HELP = "write a self-contained HTML exploration of a report of FILE (the first, or --index N)"


def register(add) -> None:
    p = add("report", HELP, cmd_report, file_optional=True)
    p.add_argument("-o", "--output", default="splat-report.html", help="output file ('-' for stdout)")
    add_choice_options(p, every=False, all_option=False)
    add_symbol_options(p)


def cmd_report(args: argparse.Namespace) -> int:
    from ..render.html import report_html

    name, splats = load(args.file, warn=not args.quiet, cap_mb=args.max_mb)
    ((_number, splat),) = choose(name, splats, args, every=False, doing="showing")
    (splat,) = symbolized(name, [splat], args)
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
