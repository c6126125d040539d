"""The title before normalisation: the kind's title rule that matches first, filled in.

Of the rows of syzkaller's table that can title the banner (``ReportKind.title_rules``,
data in :mod:`splatkit.grammar.kinds`), the one whose title regex matches earliest
in the block wins; its report regex and stack walks (:mod:`.stack`) give the
arguments of its format. Mirrors google/syzkaller ``pkg/report/report.go``'s
``extractDescription`` (syzkaller-titles.md §2.5, §3), with the two corrupted
reasons it gives (§4).
"""

from __future__ import annotations

import re

from ..grammar.kinds import TitleRule
from .stack import _blamed_functions

__all__ = ["NO_FRAMES", "NO_REPORT_MATCH"]

#: Corrupted reasons, in syzkaller's words.
NO_FRAMES = "extracted no frames"
NO_REPORT_MATCH = "matched title but not report regexp"


def _describe(block: list[str], header: str, rules: tuple[TitleRule, ...]
              ) -> tuple[str, str, TitleRule | None]:
    """(title, corrupted reason, rule) before normalisation (upstream ``extractDescription``).

    The rule whose title regex matches first in the block wins; on a tie, the one
    listed first. When it has a report regex that fails, a tying rule may still
    win; if none does, the title is the header line and the report is corrupted.
    """
    best: tuple[int, int] | None = None
    title, reason, chosen, matched_title = "", "", None, False
    for rule in rules:
        # A rule can only win by matching no later than the best line so far.
        found = _search(rule.title, block, last=best[0] if best is not None else len(block))
        if found is None:
            continue
        position, title_match = found
        if best is not None and (position > best or (position == best and title)):
            continue
        if best is None or position < best:
            title, chosen, best = "", None, position
        matched_title = True
        if rule.report:
            report = _match_report(rule.report, block)
            if report is None:
                continue
            position, args = report
        else:
            args = [g or "" for g in title_match.groups()]
        reason = ""
        if rule.stack:
            functions, ok = _blamed_functions(rule, block, position)
            args += functions
            if not ok:
                reason = NO_FRAMES
        title, chosen = _format(rule.fmt, args), rule
    if not title:
        if matched_title:
            reason = NO_REPORT_MATCH
        title = next((line[line.index(header):] for line in block if header in line), block[0])
    return title, reason, chosen


def _search(pattern: re.Pattern[str], block: list[str], last: int | None = None
            ) -> tuple[tuple[int, int], re.Match[str]] | None:
    """The first match of a one-line regex in the block (up to line ``last``), with its
    (line, column)."""
    for i, line in enumerate(block[:None if last is None else last + 1]):
        m = pattern.search(line)
        if m is not None:
            return (i, m.start()), m
    return None


def _match_report(report: tuple[re.Pattern[str], ...], block: list[str]
                  ) -> tuple[tuple[int, int], list[str]] | None:
    """Where the report regex starts and what it captured; None when it does not match.

    ``report[0]`` is searched from the top, each further element must match a
    later line (upstream joins them with ``(?:.*\\n)+?``, whose lazy repetition
    takes the first such line).
    """
    found = _search(report[0], block)
    if found is None:
        return None
    (i, column), m = found
    args = [g or "" for g in m.groups()]
    for pattern in report[1:]:
        for i in range(i + 1, len(block)):
            m = pattern.match(block[i])
            if m is not None:
                break
        else:
            return None
        args += [g or "" for g in m.groups()]
    return (found[0][0], column), args


def _format(fmt: str, args: list[str]) -> str:
    """Go's ``fmt.Sprintf`` for syzkaller's ``%[n]v`` formats."""
    return re.sub(r"%\[(\d+)\]v", lambda m: args[int(m.group(1)) - 1] if int(m.group(1)) <= len(args)
                  else "%!v(BADINDEX)", fmt)
