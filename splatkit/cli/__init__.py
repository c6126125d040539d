"""The ``splatkit`` command line: read splats from files, print JSON or explanations, write reports.

Every command takes a FILE (``-`` for standard input); ``explain`` and
``report`` fall back to the bundled seed splat when none is given. ``sim`` runs a
lockdep exercise (``splatkit.sim``) and prints the report the kernel would print, or
with ``--selftest`` runs the kernel's lockdep self-test cases and prints its table; ``lab``
and ``workshop`` serve the notebooks (JupyterLab, and the lockdep workshop in Voila). Errors are
one line, ``FILE:LINE: message``, with exit status 2: a file that cannot be read
or written, a closed standard input or output, a pipe whose reader left early, a
full disk, and input too big to parse at once (``--max-mb``; a big console log is
for ``splatkit scan``, which reads it in chunks).

This package holds :func:`main`, the parser and the options every command shares;
:mod:`.io` reads input and writes output, :mod:`.reports` turns input into reports,
and each command (or group of commands) has its own module with a ``register``
function that adds its subcommand to the parser.
"""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Callable, Sequence

from ..errors import SplatkitError
from ..parse import parse
from . import check_order, explain, graph, json, lab, report, scan, show, sim, trim, workshop
from .io import BIG_LOGS, MAX_INPUT_MB, OutputError, say

__all__ = ["MAX_INPUT_MB", "OutputError", "main", "parse"]

DESCRIPTION = "Read, graph and explain Linux kernel lockdep reports (splats)."
EPILOG = """\
Every command reads files, or '-' for standard input. Exit status: 0 on success,
1 for a finding (check-order: the ordering closes a cycle), 2 for bad input or
usage, after one line on standard error: 'splatkit: FILE:LINE: message'.

'splatkit COMMAND --help' describes each command."""


def version() -> str:
    """The installed distribution's version, else ``splatkit.__version__``, else ``unknown``."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("splatkit")
    except PackageNotFoundError:  # (run from a source tree that was never installed)
        pass
    import splatkit

    return str(getattr(splatkit, "__version__", "unknown"))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="splatkit", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"splatkit {version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")

    def add(name: str, help_text: str, func: Callable[[argparse.Namespace], int], *,
            file_optional: bool = False, many: bool = False, metavar: str = "FILE",
            file_help: str | None = None, files: bool = True,
            seed_default: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=textwrap.fill(help_text, 79),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        if many:
            p.add_argument("files", nargs="+", metavar=metavar,
                           help=file_help or "files holding splats, '-' for stdin")
        elif files:  # (else the command adds its own positional arguments)
            p.add_argument("file", nargs="?" if file_optional else None, metavar="FILE",
                           help="a file holding one or more splats, '-' for stdin"
                           + (" (default: the bundled seed splat)" if file_optional and seed_default else ""))
        add_input_options(p)
        p.set_defaults(func=func)
        return p

    json.register(add)
    explain.register(add)
    trim.register(add)
    report.register(add)
    show.register(add)
    graph.register(add)
    check_order.register(add)
    sim.register(add)
    lab.register(sub)
    workshop.register(sub)
    scan.register(sub)
    return parser


def add_input_options(p: argparse.ArgumentParser) -> None:
    """The options of every command that reads reports: ``-q`` and ``--max-mb``."""
    p.add_argument("-q", "--quiet", action="store_true", help="no warnings about unrecognised lines")
    p.add_argument("--max-mb", type=_megabytes, default=MAX_INPUT_MB, metavar="MB",
                   help=f"read at most this many megabytes (default {MAX_INPUT_MB}; for bigger logs use "
                   "splatkit scan)")


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
        say(f"splatkit: {err}")
        return 2
    except MemoryError:
        say(f"splatkit: out of memory; {BIG_LOGS}")
        return 2
