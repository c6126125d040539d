"""Reports from an input: parse it, say what was not understood, refuse a file without one;
and pick the reports a command works on (``--all``, ``--index N``)."""

from __future__ import annotations

import argparse
import sys
import textwrap

from ..errors import ParseError
from ..model import Splat
from .io import BIG_LOGS, MAX_INPUT_MB, read_input, say

__all__ = ["add_choice_options", "choose", "first_with_chain", "load", "load_text", "warn_about"]


def _parse(text: str) -> list[Splat]:
    """:func:`splatkit.parse`, looked up as ``splatkit.cli.parse`` when called: the one name
    every command parses through (a test replaces it there to run out of memory)."""
    return sys.modules[__package__].parse(text)


def load(file: str | None, *, warn: bool = True, cap_mb: int = MAX_INPUT_MB) -> tuple[str, list[Splat]]:
    """Parse FILE; raise ParseError when it holds no report, warn about what was not understood."""
    name, text = read_input(file, cap_mb)
    return name, load_text(name, text, warn=warn)


def load_text(name: str, text: str, *, warn: bool = True) -> list[Splat]:
    """The reports of ``text`` (read from ``name``), as :func:`load` gives them."""
    try:
        splats = _parse(text)
    except MemoryError:
        raise ParseError(f"out of memory parsing {len(text) / (1 << 20):.0f} MB; {BIG_LOGS}", source=name) from None
    if not splats:
        lines = text.count("\n") + (1 if text and not text.endswith("\n") else 0)
        raise ParseError(
            f"no lockdep report found in {lines} line{'s' if lines != 1 else ''}; expected a banner such as "
            "'WARNING: possible circular locking dependency detected'",
            source=name, line_no=1 if lines else None)
    if warn:
        warn_about(name, splats)
    return splats


def warn_about(name: str, splats: list[Splat]) -> None:
    """One warning line per line of a report that was not understood, and per report cut short."""
    for splat in splats:
        for u in splat.unrecognised:
            say(f"{name}:{u.line}: warning: unrecognised line in {splat.kind} report "
                f"({u.reason}): {u.text.strip()[:80]!r}")
        if splat.truncated:
            say(f"{name}:{splat.span.last_line}: warning: {splat.kind} report ends early (truncated)")


def describe(summary: str, details: str) -> str:
    """A command's ``--help`` description: the summary and the details, each paragraph filled to 79 columns."""
    paragraphs = [summary.rstrip(".") + "."] + [" ".join(p.split()) for p in details.split("\n\n")]
    return "\n\n".join(textwrap.fill(p, 79) for p in paragraphs if p)


def first_with_chain(splats: list[Splat]) -> Splat:
    """The first report with a dependency chain, else the first (what explain and report show)."""
    return next((s for s in splats if s.chain), splats[0])


def add_choice_options(p: argparse.ArgumentParser, *, every: bool, all_option: bool = True) -> None:
    """``--all`` and ``--index N``, which pick the reports of a file a command works on.

    ``every``: the command takes every report by default (``--all`` is then the default);
    otherwise it takes the first, and says on standard error how many there are.
    """
    group = p.add_mutually_exclusive_group()
    if all_option:
        group.add_argument("--all", action="store_true",
                           help="every report of the file" + (" (the default)" if every else ""))
    group.add_argument("--index", type=_index, metavar="N",
                       help="only the Nth report of the file (1 for the first, as 'splatkit show' numbers them)")


def _index(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n <= 0:
        raise argparse.ArgumentTypeError(f"expected a report number from 1 up, got {value!r}")
    return n


def choose(name: str, splats: list[Splat], args: argparse.Namespace, *, every: bool,
           doing: str = "using") -> list[tuple[int, Splat]]:
    """The reports ``--all``/``--index N`` pick, each with its number (from 1).

    With neither option: every report when ``every``, else the first, with one line on standard
    error saying how many there are and how to pick another (``doing`` names what the command
    does with it: ``explaining``). ``--index`` past the last report is a :class:`ParseError`.
    """
    n = len(splats)
    index = getattr(args, "index", None)
    if index is not None:
        if index > n:
            raise ParseError(f"--index {index}: the file holds {n} report{'s' if n != 1 else ''}"
                             f"{f' (1 to {n})' if n > 1 else ''}", source=name)
        return [(index, splats[index - 1])]
    if every or getattr(args, "all", False) or n == 1:
        return list(enumerate(splats, 1))
    say(f"{name}: {n} reports; {doing} the first (--index N for the Nth, --all for every one)")
    return [(1, splats[0])]
