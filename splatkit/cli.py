"""The ``splatkit`` command line: read splats from files, print JSON or explanations, write reports.

Every command takes a FILE (``-`` for standard input); ``explain`` and
``report`` fall back to the bundled seed splat when none is given. ``sim`` runs a
lockdep exercise (``splatkit.sim``) and prints the report the kernel would print, or
with ``--selftest`` runs the kernel's lockdep self-test cases and prints its table. Errors are
one line, ``FILE:LINE: message``, with exit status 2: a file that cannot be read
or written, a closed standard input or output, a pipe whose reader left early, a
full disk, and input too big to parse at once (``--max-mb``; a big console log is
for :func:`splatkit.scan.scan`, which reads it in chunks).
"""

from __future__ import annotations

import argparse
import errno
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
from .schema import SCHEMA_FILE, schema_text

__all__ = ["MAX_INPUT_MB", "main"]

NOTEBOOK = Path("notebooks") / "01-explore-a-splat.ipynb"
#: Commands that parse read at most this many megabytes: parse() holds the whole text and
#: several times as much again while it reads it (use --max-mb for more, splatkit.scan for logs).
MAX_INPUT_MB = 256
_BIG_LOGS = "for a big console log use splatkit.scan.scan(path) from Python, which reads it in chunks"


class OutputError(SplatkitError):
    """Standard output or an output file could not be written (the message says which and why)."""


def _say(message: str) -> None:
    """Write one line to standard error, if there is one to write to (``2>&-`` closes it)."""
    if sys.stderr is not None:
        try:
            print(message, file=sys.stderr, flush=True)
        except OSError:
            pass


def _too_big(name: str, size: int | None, cap_mb: int) -> ParseError:
    """The error for input over the cap (``size`` None: a stream, known only to be over it)."""
    mb = size / (1 << 20) if size is not None else None
    what = f"{mb:.1f} MB" if mb is not None and mb < 10 else f"{mb:.0f} MB" if mb is not None else "the input"
    return ParseError(f"{what} is more than the {cap_mb} MB splatkit parses at once (--max-mb); "
                      f"{_BIG_LOGS}, or raise --max-mb", source=name)


def _read(file: str | None, cap_mb: int = MAX_INPUT_MB) -> tuple[str, str]:
    """(display name, text) of FILE, ``-`` or, when None, the bundled seed."""
    cap = cap_mb << 20
    if file is None:
        path = sample_path(SEED)
        return str(path), path.read_text(encoding="utf-8", errors="replace")
    if file == "-":
        return "<stdin>", _read_stdin(cap, cap_mb).decode("utf-8", errors="replace")
    try:
        with open(file, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > cap:
                raise _too_big(file, size, cap_mb)
            data = f.read(cap + 1)
    except OSError as err:
        raise ParseError(f"cannot read file: {err.strerror or err}", source=file) from err
    if len(data) > cap:
        raise _too_big(file, None, cap_mb)  # (a device or a FIFO: read to the cap and one byte more)
    return file, data.decode("utf-8", errors="replace")


def _read_stdin(cap: int, cap_mb: int) -> bytes:
    stdin = sys.stdin
    if stdin is None or stdin.closed:
        raise ParseError("standard input is closed; give a FILE, or pipe a log in: splatkit json - < console.log",
                         source="<stdin>")
    try:
        data = stdin.buffer.read(cap + 1)
    except OSError as err:
        raise ParseError(f"cannot read standard input: {err.strerror or err}; give a FILE instead",
                         source="<stdin>") from err
    if len(data) > cap:
        raise _too_big("<stdin>", None, cap_mb)
    return data


def _load(file: str | None, *, warn: bool = True, cap_mb: int = MAX_INPUT_MB) -> tuple[str, list[Splat]]:
    """Parse FILE; raise ParseError when it holds no report, warn about what was not understood."""
    name, text = _read(file, cap_mb)
    try:
        splats = parse(text)
    except MemoryError:
        raise ParseError(f"out of memory parsing {len(text) / (1 << 20):.0f} MB; {_BIG_LOGS}", source=name) from None
    if not splats:
        lines = text.count("\n") + (1 if text and not text.endswith("\n") else 0)
        raise ParseError(
            f"no lockdep report found in {lines} line{'s' if lines != 1 else ''}; expected a banner such as "
            "'WARNING: possible circular locking dependency detected'",
            source=name, line_no=1 if lines else None)
    if warn:
        for splat in splats:
            for u in splat.unrecognised:
                _say(f"{name}:{u.line}: warning: unrecognised line in {splat.kind} report "
                     f"({u.reason}): {u.text.strip()[:80]!r}")
            if splat.truncated:
                _say(f"{name}:{splat.span.last_line}: warning: {splat.kind} report ends early (truncated)")
    return name, splats


def _write_stdout(text: str) -> None:
    """Write ``text`` to standard output and flush it, or raise OutputError saying why not."""
    stdout = sys.stdout
    if stdout is None or stdout.closed:
        raise OutputError("<stdout>: standard output is closed; redirect it to a file (splatkit json FILE > "
                          "out.json), or give report -o FILE")
    try:
        stdout.write(text)
        stdout.flush()
    except BrokenPipeError:
        _forget_stdout()
        raise OutputError("<stdout>: the program reading standard output exited before the output ended "
                          "(a pipe into head?); the output is cut short: write it to a file to keep it all") from None
    except OSError as err:
        _forget_stdout()
        raise OutputError(f"<stdout>: cannot write standard output: {err.strerror or err}; "
                          f"{_OUTPUT_HINTS.get(err.errno, 'write to a file instead')}") from None


#: What to do about a write that failed, by errno.
_OUTPUT_HINTS = {
    errno.ENOSPC: "free some space or write somewhere else",
    errno.EDQUOT: "free some space or write somewhere else",
    errno.EACCES: "choose a path you may write to",
    errno.EROFS: "choose a path on a writable file system",
    errno.ENOENT: "create its directory first, or choose another path",
    errno.ENOTDIR: "a part of the path is a file, not a directory: choose another path",
    errno.EISDIR: "it is a directory: give a file name in it",
}


def _forget_stdout() -> None:
    """Point standard output's file descriptor at /dev/null, so that the interpreter's last
    flush of what is still buffered does not fail again (Python's advice for SIGPIPE)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def _write_file(path: str, text: str) -> None:
    """Write ``text`` to ``path`` (UTF-8), or raise OutputError saying why not; a file this
    created is removed when the write fails half way (a full disk)."""
    existed = os.path.lexists(path)
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as err:
        if not existed and os.path.isfile(path):
            os.remove(path)
        raise OutputError(f"{path}: cannot write the report: {err.strerror or err}; "
                          f"{_OUTPUT_HINTS.get(err.errno, 'choose another -o path')} (or -o - for standard output)"
                          ) from None


def _first_with_chain(splats: list[Splat]) -> Splat:
    return next((s for s in splats if s.chain), splats[0])


def cmd_json(args: argparse.Namespace) -> int:
    if args.schema:
        if args.file is not None:
            raise SplatkitError(f"json --schema prints the JSON Schema of the output and reads no FILE; drop "
                                f"{args.file!r} or drop --schema")
        _write_stdout(schema_text())
        return 0
    if args.file is None:
        raise SplatkitError("json needs a FILE ('-' for standard input), or --schema for the JSON Schema of "
                            "its output")
    _name, splats = _load(args.file, warn=not args.quiet, cap_mb=args.max_mb)
    _write_stdout(json.dumps([s.to_dict() for s in splats], indent=2 if args.indent else None) + "\n")
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from .render.explain import explain_markdown, explain_text

    _name, splats = _load(args.file, warn=not args.quiet, cap_mb=args.max_mb)
    render = explain_markdown if args.markdown else explain_text
    _write_stdout(render(_first_with_chain(splats)))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from .render.html import report_html

    name, splats = _load(args.file, warn=not args.quiet, cap_mb=args.max_mb)
    splat = _first_with_chain(splats)
    notes: list[str] = []
    page = report_html(splat, source=os.path.basename(name), notes=notes)
    for note in notes:
        _say(f"{name}:{splat.span.first_line}: warning: {note}")
    if args.output == "-":
        _write_stdout(page)
    else:
        _write_file(args.output, page)
        _say(f"wrote {args.output} ({len(page.encode()) // 1024} KiB)")
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
    _say(f"splatkit: starting JupyterLab; open the URL it prints, ending in {url_path}?token=...")
    # Become JupyterLab (no child left behind when this process is stopped).
    try:
        os.execv(sys.executable, command)
    except OSError as err:
        raise SplatkitError(f"cannot start JupyterLab ({sys.executable}): {err.strerror or err}") from None
    return 0  # not reached


#: The eras ``sim --era`` offers (splatkit.sim.ERAS, listed here to keep the import lazy).
_ERA_NAMES = ("3.10", "4.19", "5.10", "6.9", "6.13")

#: Where ``sim --selftest`` looks for the self-test spec when --spec is not given.
SELFTEST_SPEC = Path("spec") / "locking-selftest.md"


def _selftest_spec(given: str | None) -> Path:
    """The self-test spec: --spec, else ``$SPLATKIT_SHARED/spec/``, else ``../shared/spec/`` beside
    the repository or the current directory."""
    if given:
        return Path(given)
    roots = [Path(os.environ["SPLATKIT_SHARED"])] if os.environ.get("SPLATKIT_SHARED") else []
    roots += [Path(__file__).resolve().parent.parent.parent / "shared", Path.cwd().parent / "shared",
              Path.cwd() / "shared"]
    for root in roots:
        if (root / SELFTEST_SPEC).is_file():
            return root / SELFTEST_SPEC
    raise ParseError("the self-test spec is not in ../shared/spec/ nor in $SPLATKIT_SHARED/spec/; "
                     "give it with --spec PATH/locking-selftest.md", source=str(SELFTEST_SPEC))


def _sim_config(args: argparse.Namespace, era_name: str | None):
    from .sim import ERAS, Config

    era = ERAS[era_name] if era_name else None
    raw = era.raw_lock_nesting if era else True
    if args.raw_lock_nesting is not None:
        raw = args.raw_lock_nesting == "on"
    return Config(raw_lock_nesting=raw, preempt_rt=args.preempt_rt)


def cmd_sim(args: argparse.Namespace) -> int:
    """Run an exercise and print the first report (or ``no report``); or run the self-test."""
    from .sim import cases_for, read_cases, render_table, run, run_cases

    if args.selftest:
        config = _sim_config(args, None)
        outcomes = run_cases(cases_for(read_cases(_selftest_spec(args.spec)), config), config)
        _write_stdout(render_table(outcomes))
        for outcome in outcomes:
            if not outcome.agrees:
                _say(f"{args.spec or 'locking-selftest.md'}:{outcome.case.line_no}: disagrees: {outcome.why}")
        return 0 if all(o.agrees for o in outcomes) else 1
    if args.file is None:
        raise ParseError("give an exercise FILE ('-' for standard input), or --selftest", source="splatkit sim")
    name, text = _read(args.file, args.max_mb)
    result = run(text, era=args.era, config=_sim_config(args, args.era), source=name)
    for note in result.notes:
        _say(f"{name}: note: {note}")
    _write_stdout(result.text if result.text is not None else "no report\n")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="splatkit", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, help_text: str, func, *, file_optional: bool,
            seed_default: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("file", nargs="?" if file_optional else None, metavar="FILE",
                       help="a file holding one or more splats, '-' for stdin"
                       + (" (default: the bundled seed splat)" if file_optional and seed_default else ""))
        p.add_argument("-q", "--quiet", action="store_true", help="no warnings about unrecognised lines")
        p.add_argument("--max-mb", type=_megabytes, default=MAX_INPUT_MB, metavar="MB",
                       help=f"read at most this many megabytes (default {MAX_INPUT_MB}; for bigger logs use "
                       "splatkit.scan from Python)")
        p.set_defaults(func=func)
        return p

    p = add("json", "print every report in FILE as a JSON array (the format: --schema)", cmd_json,
            file_optional=True, seed_default=False)
    p.add_argument("--indent", action="store_true", help="pretty-print")
    p.add_argument("--schema", action="store_true",
                   help=f"print the JSON Schema (draft 2020-12) of the output instead, the package's {SCHEMA_FILE}")
    p = add("explain", "explain the first circular report in FILE, in plain text under 80 columns",
            cmd_explain, file_optional=True)
    p.add_argument("--markdown", action="store_true", help="Markdown instead of plain text")
    p = add("report", "write a self-contained HTML exploration of the first report in FILE",
            cmd_report, file_optional=True)
    p.add_argument("-o", "--output", default="splat-report.html", help="output file ('-' for stdout)")
    p = add("sim", "run a lockdep exercise (FILE, '-' for stdin) and print the kernel's report, or 'no report'",
            cmd_sim, file_optional=True)
    p.add_argument("--selftest", action="store_true",
                   help="run every case of the kernel's lockdep self-test and print its table (exit 1 on a disagreement)")
    p.add_argument("--spec", metavar="PATH", help="the self-test spec (default: ../shared/spec/locking-selftest.md)")
    p.add_argument("--era", choices=_ERA_NAMES, help="the kernel era to print the report in (default: the newest)")
    p.add_argument("--raw-lock-nesting", choices=("on", "off"),
                   help="CONFIG_PROVE_RAW_LOCK_NESTING (default: the era's; on for --selftest)")
    p.add_argument("--preempt-rt", action="store_true", help="CONFIG_PREEMPT_RT")
    p = sub.add_parser("lab", help="start JupyterLab with notebooks/01-explore-a-splat.ipynb open")
    p.add_argument("--port", type=int, default=8888)
    p.add_argument("--root", default=".", help="the splatkit repository (default: current directory)")
    p.set_defaults(func=cmd_lab)
    return parser


def _megabytes(value: str) -> int:
    try:
        mb = int(value)
    except ValueError:
        mb = 0
    if mb <= 0:
        raise argparse.ArgumentTypeError(f"expected a whole number of megabytes above 0, got {value!r}")
    return mb


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (2 for any error, after one line saying it)."""
    args = _parser().parse_args(argv)
    try:
        return args.func(args)
    except SplatkitError as err:
        _say(f"splatkit: {err}")
        return 2
    except MemoryError:
        _say(f"splatkit: out of memory; {_BIG_LOGS}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
