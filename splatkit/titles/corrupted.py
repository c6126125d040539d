"""The corrupted check: why syzbot would not trust a report's title.

A title rule that expects a stack needs one in the block: a stack start, lines
after it, and a frame line soon after; and no title holds a console timestamp.
Mirrors google/syzkaller ``pkg/report/linux.go``'s ``isCorrupted`` with
``linuxCorruptedTitles`` (syzkaller-titles.md §4). The other reasons are found
on the way: a walk without frames and a rule without its report
(:mod:`.describe`), a console cut off (:mod:`.block`).
"""

from __future__ import annotations

import re

from ..grammar.kinds import TitleRule
from .stack import _RISCV_STACK_START, _STACK_START_ANY, _STACK_START_TEXTS, STACK_START, _frame_line

__all__: list[str] = []  # (splatkit.titles.syzkaller_title gives the reason)

#: A title with a console timestamp in it is corrupted (``linuxCorruptedTitles``).
_TIMESTAMP_IN_TITLE = re.compile(r"\[ *[0-9]+\.[0-9]+\]")


def _search_from(pattern: re.Pattern[str], text: str, needed: str, lead: int) -> re.Match[str] | None:
    """``pattern.search(text)``, for a regex whose every match holds ``needed``, ``lead``
    characters after its start: the regex is only tried there, the text found by ``find``."""
    at = text.find(needed, lead)
    while at >= 0:
        m = pattern.match(text, at - lead)
        if m is not None:
            return m
        at = text.find(needed, at + 1)
    return None


def _corrupted_reason(title: str, block: list[str], rule: TitleRule | None) -> str:
    """Why syzkaller would flag a titled report as corrupted, or "" (upstream ``isCorrupted``).

    A stack the rule expects must be there: a stack start, at least two lines after
    it, and a frame line within the next 15 lines, before any other stack start.
    """
    if _TIMESTAMP_IN_TITLE.search(title):
        return "title matches corrupted regexp"
    if rule is None or rule.no_stack_trace:
        return ""
    text = "\n".join(block) + "\n"
    has_stack = False
    for key, (needed, lead) in zip(STACK_START, _STACK_START_TEXTS):
        m = _search_from(key, text, needed, lead)
        if m is None:
            continue
        # Upstream splits text[m.start():] on "\n": the rest of the marker's line, the lines
        # after it, and a last empty string.
        line = text.count("\n", 0, m.start())
        if len(block) - line + 1 < 4:
            return "call trace is missed"
        following = block[line + 1:line + 16]
        broken = True
        for candidate in following:
            if _STACK_START_ANY.search(candidate):
                break
            if "(stack is not available)" in candidate or _frame_line(candidate) is not None:
                has_stack, broken = True, False
                break
        if broken and key is not _RISCV_STACK_START:
            return "no frames in a stack trace"
    if not has_stack:
        return "no stack trace in report"
    return ""
