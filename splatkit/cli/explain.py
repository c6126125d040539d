"""``splatkit explain``: each chosen report of FILE explained as a reviewer would, in text, Markdown or HTML."""

from __future__ import annotations

import argparse

from ..errors import SplatkitError
from ..render.explain import FORMATS, WIDTH
from .io import write_stdout
from .reports import add_choice_options, choose, describe, load
from .symbols import add_symbol_options, symbolized

HELP = "explain a report of FILE the way an experienced lockdep reader would (text, Markdown or HTML)"
DESCRIPTION = describe(HELP, f"""Every kind of report: the waits of a deadlock in CPU columns, the conditions, the code
involved, what the splat does not show, and the splat trimmed for a commit message.
Text keeps every line of prose within --width columns ({WIDTH} by default). With several
reports in FILE and neither --all nor --index, the first is explained and standard
error says how many there are. html writes the self-contained report page of one
report; html-fragment the explanation with its lock graph, to paste into a page.""")


def register(add) -> None:
    p = add("explain", HELP, cmd_explain, file_optional=True)
    p.description = DESCRIPTION
    p.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    p.add_argument("--markdown", action="store_const", const="markdown", dest="format",
                   help="the same as --format markdown")
    p.add_argument("--width", type=_width, default=WIDTH, metavar="N",
                   help=f"wrap text at N columns (default {WIDTH}; 40 at least)")
    p.add_argument("--no-trimmed", dest="trimmed", action="store_false",
                   help="leave out the trimmed splat below the explanation")
    add_choice_options(p, every=False)
    add_symbol_options(p)


def _width(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 40:
        raise argparse.ArgumentTypeError(f"expected a number of columns from 40 up, got {value!r}")
    return n


def cmd_explain(args: argparse.Namespace) -> int:
    from ..render.explain import explain

    name, splats = load(args.file, warn=not args.quiet, cap_mb=args.max_mb)
    chosen = choose(name, splats, args, every=False, doing="explaining")
    if args.format == "html" and len(chosen) > 1:
        raise SplatkitError(f"{name}: --format html writes the page of one report and the file holds "
                            f"{len(chosen)}: pick one with --index N, or use --format html-fragment")
    decoded = symbolized(name, [splat for _n, splat in chosen], args)
    parts = []
    for (number, _splat), splat in zip(chosen, decoded):
        text = explain(splat, args.format, width=args.width, trimmed=args.trimmed)
        if len(chosen) > 1:
            text = _heading(args.format, number, len(splats), splat) + text
        parts.append(text)
    write_stdout(("\n" if args.format in ("text", "markdown") else "").join(parts))
    return 0


def _heading(fmt: str, number: int, total: int, splat) -> str:
    where = f"report {number} of {total}, lines {splat.span.first_line}-{splat.span.last_line}"
    if fmt == "markdown":
        return f"## {where.capitalize()}\n\n"
    if fmt == "html-fragment":
        return f"<h2>{where.capitalize()}</h2>"
    return f"=== {where} ===\n\n"
