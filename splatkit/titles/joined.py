"""Searching many lines at once, in the lines joined by newlines.

syzkaller reads a report one line at a time (``findReport`` in
google/syzkaller ``pkg/report/linux.go``, ``extractStackFrameImpl`` in
``report.go``). Most lines need no more than the test that a rare text is not in
them, so the report block (:mod:`.block`) and the stack walks (:mod:`.stack`) search
the text of many lines joined by newlines once, and read a line on its own only
where the search points. These are the two helpers they share.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Sequence

__all__: list[str] = []  # (helpers of the other modules of splatkit.titles only)


def _lines_holding(pattern: re.Pattern[str], joined: str, pos: int, end: int = sys.maxsize,
                   line: int | None = None) -> Iterator[int]:
    """The indices of the lines of ``joined`` (lines joined by newlines) where a match of
    ``pattern`` starts, searched from offset ``pos`` (in line ``line``, counted when not
    given) up to offset ``end``."""
    if line is None:
        line = joined.count("\n", 0, pos)
    while True:
        m = pattern.search(joined, pos, end)
        if m is None:
            return
        line += joined.count("\n", pos, m.start())
        yield line
        pos = joined.find("\n", m.start()) + 1
        if pos == 0:
            return
        line += 1


def _quick_alternation(literals: Sequence[str]) -> re.Pattern[str]:
    """A regex that a line matches exactly when it holds one of ``literals``, quick to search.

    The regex engine tries a match only where the character can start one of the
    alternatives, so an alternation of texts that start with common lower-case letters
    ("general", "divide", "panic:") is tried at most positions of a console log. Here each
    alternative starts at its text's first upper-case letter or colon, rare in a log, and
    a look-behind checks the characters before it. Only whether a line matches is the
    same: a match starts at that character, not at the text's start.
    """
    parts = []
    for text in literals:
        k = next((i for i, char in enumerate(text) if char.isupper() or char == ":"), 0)
        behind = f"(?<={re.escape(text[:k + 1])})" if k else ""
        parts.append(re.escape(text[k]) + behind + re.escape(text[k + 1:]))
    return re.compile("|".join(parts))
