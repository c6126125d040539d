"""The ``splatkit`` command line: read splats from files, print JSON or explanations, write reports.

Every command takes a FILE (``-`` for standard input); ``explain`` and
``report`` fall back to the bundled seed splat when none is given. Errors are
one line, ``FILE:LINE: message``, with exit status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import ParseError, SplatkitError
from .model import Splat
from .parse import parse
from .samples import SEED, sample_path

__all__ = ["main"]

NOTEBOOK = Path("notebooks") / "01-explore-a-splat.ipynb"


def _read(file: str | None) -> tuple[str, str]:
    """(display name, text) of FILE, ``-`` or, when None, the bundled seed."""
    if file is None:
        path = sample_path(SEED)
        return str(path), path.read_text(encoding="utf-8", errors="replace")
    if file == "-":
        data = sys.stdin.buffer.read()
        return "<stdin>", data.decode("utf-8", errors="replace")
    try:
        with open(file, "rb") as f:
            return file, f.read().decode("utf-8", errors="replace")
    except OSError as err:
        raise ParseError(f"cannot read file: {err.strerror}", source=file) from err


def _load(file: str | None, *, warn: bool = True) -> tuple[str, list[Splat]]:
    """Parse FILE; raise ParseError when it holds no report, warn about what was not understood."""
    name, text = _read(file)
    splats = parse(text)
    if not splats:
        lines = text.count("\n") + (1 if text and not text.endswith("\n") else 0)
        raise ParseError(
            f"no lockdep report found in {lines} line{'s' if lines != 1 else ''}; expected a banner such as "
            "'WARNING: possible circular locking dependency detected'",
            source=name, line_no=1 if lines else None)
    if warn:
        for splat in splats:
            for u in splat.unrecognised:
                print(f"{name}:{u.line}: warning: unrecognised line in {splat.kind} report "
                      f"({u.reason}): {u.text.strip()[:80]!r}", file=sys.stderr)
            if splat.truncated:
                print(f"{name}:{splat.span.last_line}: warning: {splat.kind} report ends early (truncated)",
                      file=sys.stderr)
    return name, splats


def _first_with_chain(splats: list[Splat]) -> Splat:
    return next((s for s in splats if s.chain), splats[0])


def cmd_json(args: argparse.Namespace) -> int:
    _name, splats = _load(args.file, warn=not args.quiet)
    json.dump([s.to_dict() for s in splats], sys.stdout, indent=2 if args.indent else None)
    sys.stdout.write("\n")
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from .render.text import explain_markdown, explain_text

    _name, splats = _load(args.file, warn=not args.quiet)
    render = explain_markdown if args.markdown else explain_text
    sys.stdout.write(render(_first_with_chain(splats)))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from .render.html import report_html

    name, splats = _load(args.file, warn=not args.quiet)
    splat = _first_with_chain(splats)
    notes: list[str] = []
    page = report_html(splat, source=os.path.basename(name), notes=notes)
    for note in notes:
        print(f"{name}:{splat.span.first_line}: warning: {note}", file=sys.stderr)
    if args.output == "-":
        sys.stdout.write(page)
    else:
        Path(args.output).write_text(page, encoding="utf-8")
        print(f"wrote {args.output} ({len(page.encode()) // 1024} KiB)", file=sys.stderr)
    return 0


def cmd_lab(args: argparse.Namespace) -> int:
    """Start JupyterLab on 127.0.0.1 with the exploration notebook open; print its URL."""
    root = Path(args.root).resolve()
    notebook = root / NOTEBOOK
    if not notebook.is_file():
        raise ParseError(f"notebook not found: {notebook}; run this from the splatkit repository "
                         "or pass --root", source=str(notebook))
    if shutil.which("jupyter") is None and not (Path(sys.executable).parent / "jupyter").exists():
        raise SplatkitError("JupyterLab is not installed; pip install 'splatkit[notebook]'")
    url_path = f"/lab/tree/{NOTEBOOK.as_posix()}"
    command = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={args.port}",
        f"--ServerApp.root_dir={root}", f"--LabApp.default_url={url_path}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    print(f"splatkit: starting JupyterLab; open the URL it prints, ending in {url_path}?token=...",
          file=sys.stderr, flush=True)
    # Become JupyterLab (no child left behind when this process is stopped).
    os.execv(sys.executable, command)
    return 0  # not reached


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="splatkit", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, help_text: str, func, *, file_optional: bool) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("file", nargs="?" if file_optional else None, metavar="FILE",
                       help="a file holding one or more splats, '-' for stdin"
                       + (" (default: the bundled seed splat)" if file_optional else ""))
        p.add_argument("-q", "--quiet", action="store_true", help="no warnings about unrecognised lines")
        p.set_defaults(func=func)
        return p

    p = add("json", "print every report in FILE as a JSON array", cmd_json, file_optional=False)
    p.add_argument("--indent", action="store_true", help="pretty-print")
    p = add("explain", "explain the first circular report in FILE, in plain text under 80 columns",
            cmd_explain, file_optional=True)
    p.add_argument("--markdown", action="store_true", help="Markdown instead of plain text")
    p = add("report", "write a self-contained HTML exploration of the first report in FILE",
            cmd_report, file_optional=True)
    p.add_argument("-o", "--output", default="splat-report.html", help="output file ('-' for stdout)")
    p = sub.add_parser("lab", help="start JupyterLab with notebooks/01-explore-a-splat.ipynb open")
    p.add_argument("--port", type=int, default=8888)
    p.add_argument("--root", default=".", help="the splatkit repository (default: current directory)")
    p.set_defaults(func=cmd_lab)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.func(args)
    except SplatkitError as err:
        print(f"splatkit: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
