"""Reports from an input: parse it, say what was not understood, refuse a file without one."""

from __future__ import annotations

import sys

from ..errors import ParseError
from ..model import Splat
from .io import BIG_LOGS, MAX_INPUT_MB, read_input, say

__all__ = ["first_with_chain", "load"]


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
        for splat in splats:
            for u in splat.unrecognised:
                say(f"{name}:{u.line}: warning: unrecognised line in {splat.kind} report "
                    f"({u.reason}): {u.text.strip()[:80]!r}")
            if splat.truncated:
                say(f"{name}:{splat.span.last_line}: warning: {splat.kind} report ends early (truncated)")
    return splats


def first_with_chain(splats: list[Splat]) -> Splat:
    """The first report with a dependency chain, else the first (what explain and report show)."""
    return next((s for s in splats if s.chain), splats[0])
