"""syzkaller's title for a lockdep report, so that a splat from any log can be found on syzbot.

syzbot names each bug by the title its console-log parser gives the report
(google/syzkaller ``pkg/report``: ``linux.go`` and ``report.go``), and two crashes
are the same bug when their titles are equal. A title that is merely *like*
syzbot's finds nothing, so this module does not derive one from the parsed
splat: it runs syzkaller's own algorithm on the report's text, step by step
(syzkaller-titles.md; section numbers below refer to it):

1. :func:`report_block` - the lines syzkaller reads: from the banner on, only
   the banner's printk context, without the console prefix, cut before a second
   report or a panic (§2.1-§2.4; upstream ``findReport``).
2. :func:`syzkaller_title` - the first row of syzkaller's table that matches the
   block (``ReportKind.title_rules``), its report regex, and the blamed function:
   the lines the row names (``at:``, a trap's RIP), then frame lines up to the
   next stack start, skipping :data:`SKIP_PATTERNS`, minus a syscall prefix
   (§1, §2.5, §3; upstream ``extractDescription``, ``extractStackFrameImpl``).
3. :func:`normalize_title` - addresses, numbers and line numbers become
   placeholders (§2.6; upstream ``dynamicTitleReplacement``, ``sanitizeTitle``).
4. the corrupted flag - why syzbot would distrust the title (§4; upstream
   ``isCorrupted``).

The tables below are syzkaller's, with its regexes copied verbatim (Go-only
syntax such as ``[[:xdigit:]]`` spelled out, and the rewrites for linear
time that the comments point out), so that they can be compared with upstream
line by line.

Where splatkit departs from syzkaller, and why:

- The block starts at *this* report's banner. syzkaller titles only the first
  crash of a log; a lockdep report that follows a KASAN report gets the title
  syzbot would give it had it come first.
- Only the rows of syzkaller's table that can title the kind's banner are tried
  (``ReportKind.title_rules``); the others match other crashes' first lines.
- The block ends :data:`MAX_BLOCK_LINES` lines after the banner (syzkaller reads
  to the end of the log), and every line is cut to
  :data:`~splatkit.grammar.tokens.MAX_LINE` characters before a regex sees it, so
  that titling every report of a long log stays linear.
- A console line that a mailer quoted or syslog prefixed (recognised by
  :mod:`splatkit.grammar.wrappers`) counts as a console line; syzkaller only
  knows its own ``[  123.456789][ T123]`` prefix.
- Only simple C++ names are demangled (``_Z8fakeNameiii`` gives ``fakeName``);
  syzkaller also demangles templates and Rust names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..grammar.kinds import STACK, ReportKind, TitleRule
from ..grammar.tokens import MAX_LINE
from ..grammar.wrappers import BASE64
from ..model import Line
from .blame import (
    SKIP_PATTERNS,
    STRIP_FRAME_PREFIXES,
    _functions,
    _skip_regex,
    demangle,
    strip_frame_prefix,
)
from .block import CONSOLE_HANGUP, MAX_BLOCK_LINES, _shares_its_raw, report_block
from .console import _CPU_CONTEXT, _SYZKALLER_LINES, CONSOLE, CONSOLE_PREFIX, _console_view, _Views
from .oops import (
    INFO_MESSAGES_WITH_STACK,
    OOPS_HEADERS,
    REPORT_START_IGNORES,
    _oops_header,
    _starts_report,
)
from .stack import (
    _CORRUPTED_ANY,
    _RISCV_STACK_START,
    _STACK_START_ANY,
    _STACK_START_TEXTS,
    CORRUPTED_LINES,
    FRAME_LINES,
    STACK_START,
    _blamed_functions,
    _frame_line,
    _Lines,
    _walk,
)
from .normalize import MAX_TITLE_BYTES, TITLE_REPLACEMENTS, normalize_title

__all__ = [
    "CONSOLE",
    "CONSOLE_HANGUP",
    "CONSOLE_PREFIX",
    "CORRUPTED_LINES",
    "FRAME_LINES",
    "INFO_MESSAGES_WITH_STACK",
    "MAX_BLOCK_LINES",
    "MAX_TITLE_BYTES",
    "NO_FRAMES",
    "NO_REPORT_MATCH",
    "OOPS_HEADERS",
    "REPORT_START_IGNORES",
    "SKIP_PATTERNS",
    "STACK_START",
    "STRIP_FRAME_PREFIXES",
    "TITLE_REPLACEMENTS",
    "Title",
    "demangle",
    "normalize_title",
    "report_block",
    "strip_frame_prefix",
    "syzkaller_title",
]

# -- syzkaller's tables -------------------------------------------------------------------------



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


#: A title with a console timestamp in it is corrupted (``linuxCorruptedTitles``).
_TIMESTAMP_IN_TITLE = re.compile(r"\[ *[0-9]+\.[0-9]+\]")

#: Corrupted reasons, in syzkaller's words.
NO_FRAMES = "extracted no frames"
NO_REPORT_MATCH = "matched title but not report regexp"


# -- the result ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Title:
    """A syzkaller title and, when syzkaller would flag the report as corrupted, why."""

    text: str
    """The normalised title, e.g. ``possible deadlock in set_nx_huge_pages``."""
    corrupted_reason: str = ""
    """syzkaller's reason (``no stack trace in report``...); empty when not corrupted."""

    @property
    def corrupted(self) -> bool:
        """True when syzbot would not trust this title (see ``corrupted_reason``)."""
        return bool(self.corrupted_reason)


def syzkaller_title(lines: Sequence[Line], start: int, kind: ReportKind) -> Title:
    """The title syzbot gives the report whose banner is ``lines[start]``.

    Parameters
    ----------
    lines : sequence of Line
        The normalised input lines (:func:`splatkit.lines.normalize`), at least from the
        banner to the end of the report; lines after it may decide where the report ends.
    start : int
        Index of the banner line in ``lines``.
    kind : ReportKind
        The report's kind; its ``title_rules`` are the rows of syzkaller's table to try.

    Returns
    -------
    Title

    Examples
    --------
    >>> from splatkit.lines import normalize
    >>> from splatkit.grammar.kinds import kind_by_id
    >>> lines = normalize(seed_text)
    >>> start = next(i for i, line in enumerate(lines) if "circular locking" in line.text)
    >>> syzkaller_title(lines, start, kind_by_id("circular")).text
    'possible deadlock in set_nx_huge_pages'
    """
    block, cut, hangup = report_block(lines, start)
    own_raw = not _shares_its_raw(lines, start) and BASE64 not in lines[start].wrappers
    header = _oops_header(lines[start].raw[:MAX_LINE] if own_raw else block[0])
    if header is None:  # a banner without "BUG:"/"WARNING:"/"INFO:" (none is known to exist)
        return Title(normalize_title(block[0]))
    rules = tuple(rule for rule in kind.title_rules if rule.header == header)
    text, reason, rule = _describe(block[:cut], header, rules)
    if not reason:
        reason = _corrupted_reason(text, block, rule)
    if hangup and not reason:
        reason = f"the console was cut off ({CONSOLE_HANGUP})"
    return Title(normalize_title(text), reason)


# -- 2. the rule and the blamed function --------------------------------------------------------

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


# -- 4. the corrupted flag ----------------------------------------------------------------------

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
