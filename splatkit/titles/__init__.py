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

import itertools
import operator
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..grammar.kinds import STACK, ReportKind, TitleRule
from ..grammar.tokens import MAX_LINE
from ..grammar.wrappers import BASE64, CONTINUATION, UTF7, WRAPPERS
from ..lines import utf7_decode
from ..model import Line
from .blame import (
    SKIP_PATTERNS,
    STRIP_FRAME_PREFIXES,
    _functions,
    _skip_regex,
    demangle,
    strip_frame_prefix,
)
from .joined import _lines_holding
from .oops import (
    _ANY_REPORT_START_QUICK,
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

#: How many lines after the banner the title rules may read (syzkaller reads to the end of the
#: log). The longest reports of the shared corpus need about 400 lines; this leaves room for
#: other contexts' lines between a report's own. Titling costs O(MAX_BLOCK_LINES) per report.
MAX_BLOCK_LINES = 2000

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


#: syzkaller's console prefix; group 1 is the printk caller id (``consoleOutputRe``), without its
#: brackets and padding: a context is named by the id alone (``T123``, ``C1``), so that a line
#: whose prefix splatkit stripped (quoted, rejoined) has the same context as a plain one.
CONSOLE_PREFIX = re.compile(
    r"^(?:\*\* [0-9]+ printk messages dropped \*\* )?(?:.* login: )?(?:<[0-9]+>)?"
    r"\[ *[0-9]+\.[0-9]+\](?:\[ *((?:C|T)[0-9]+)\])? "
)
#: The same without the "login: " alternative, for the lines that do not contain it (most):
#: it spares a scan of the whole line.
_CONSOLE_PREFIX_NO_LOGIN = re.compile(
    r"^(?:\*\* [0-9]+ printk messages dropped \*\* )?(?:<[0-9]+>)?\[ *[0-9]+\.[0-9]+\](?:\[ *((?:C|T)[0-9]+)\])? "
)
#: The context of console lines that carry no caller id (``contextConsole``).
CONSOLE = "console"
#: A CPU caller id: after "Sending NMI from CPU", other CPUs' lines belong to the block.
_CPU_CONTEXT = re.compile(r"C[0-9]+")

#: A title with a console timestamp in it is corrupted (``linuxCorruptedTitles``).
_TIMESTAMP_IN_TITLE = re.compile(r"\[ *[0-9]+\.[0-9]+\]")
#: In any line of the log, it means the console was cut off (``gceConsoleHangup``).
CONSOLE_HANGUP = "serialport: VM disconnected."

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


# -- 1. the report block ------------------------------------------------------------------------

def report_block(lines: Sequence[Line], start: int) -> tuple[list[str], int, bool]:
    """The lines syzkaller's title rules read for the report starting at ``lines[start]``.

    Returns ``(block, cut, hangup)``: the block's lines without their console prefix,
    the number of leading lines the title rules may use (those before a second
    report), and whether the console connection was lost. The corrupted check reads
    the whole block. (syzkaller-titles.md §2.1-§2.4; upstream ``findReport``.)

    - Only lines of the banner's context are kept: with printk caller ids, the
      banner's id (and, after "Sending NMI from CPU", any CPU's); with timestamps
      only, timestamped lines; with neither, every line. ``? func`` frames are
      dropped when there is a console prefix, and so are "Disabling lock debugging"
      lines.
    - Without caller ids, the rules stop at a later line that starts another
      report: another CPU's oops may be printed anywhere in between.
    - After more than 22 kept lines, a panic or a circular-locking banner ends the
      block: an oops often triggers a deadlock report while it is being printed.

    Upstream reads the lines one by one; here the rare lines where one of those rules
    applies (another report's start, a marker text) are found first by searching the
    window's text as a whole, and the runs of lines between them, where only the
    context rule applies, are filtered at once. The result is the same.

    >>> from splatkit.lines import normalize
    >>> block, cut, _ = report_block(normalize(
    ...     "[ 1.000000][ T1] WARNING: x\\n[ 1.000001][ T2] other\\n[ 1.000002][ T1]  ? f+0x1/0x2\\n"
    ...     "[ 1.000003][ T1]  g+0x1/0x2"), 0)
    >>> block, cut
    (['WARNING: x', ' g+0x1/0x2'], 2)
    """
    window = lines[start:start + MAX_BLOCK_LINES]
    # Each line's tuple of wrapper names (most lines share one of a few), then the names.
    wrapper_tuples = set(map(_WRAPPERS_OF, window))
    wrappers = set(itertools.chain.from_iterable(wrapper_tuples))
    # The console's own lines: an archive's UTF-7 undone (splatkit's other wrappers are read
    # from each line's text and caller, see _Views).
    raws = list(map(_RAW_OF, window))
    if UTF7 in wrappers:
        raws = list(map(utf7_decode, raws))
    cut_lines = max(map(len, raws), default=0) > MAX_LINE
    if cut_lines:
        raws = [raw[:MAX_LINE] for raw in raws]
    if BASE64 in wrappers:  # (a base64 body's input lines hold no console line: its text does)
        for i, line in enumerate(window):
            if BASE64 in line.wrappers:
                raws[i] = line.text[:MAX_LINE]
    pieces = any(map(_PIECE_OF, window))
    if pieces:
        # An input line that held several console lines (rsyslog's #012, newlines a tool
        # collapsed): each piece stands for its own console line, read from its text.
        for i, line in enumerate(window):
            if _shares_its_raw(window, i):
                raws[i] = line.text[:MAX_LINE]
    joined = "\n".join(raws)
    views = _Views(window, joined, wrappers, wrapper_tuples,
                   pieces or any(map(_JOINED_OF, window)), cut_lines)
    context, banner_text, _ = views.view(0)
    tagged = context not in ("", CONSOLE)
    min_lines = 16 if "BUG: KMSAN:" in raws[0] else 22
    hangup = CONSOLE_HANGUP in joined
    after_banner = len(raws[0]) + 1
    # The lines after the banner where more than the context rule may apply.
    events = (list(_lines_holding(_BLOCK_MARKERS, joined, after_banner))
              if any(joined.find(text, after_banner) >= 0 for text in _BLOCK_MARKER_TEXTS) else [])
    # With caller ids, another report ends nothing (the rules read the banner's context only).
    second = None if tagged else _second_report(raws, joined, after_banner)
    if second is not None:
        events.append(second)
    block = [banner_text]
    cut = 1
    counted = 1
    second_report = False
    # The banner line itself is always kept, but it may start a CPU traceback.
    cpu_traceback = ("Sending NMI from CPU" in raws[0]
                     and "Disabling lock debugging due to kernel taint" not in raws[0])
    n = 1
    for event in sorted(set(events)) + [len(window)]:
        # Lines n .. event-1: only the context rule applies (second_report and cpu_traceback
        # are constant, and no skip rule fires).
        kept = views.kept(n, event, context, cpu_traceback)
        counted += len(kept)
        block += kept
        if not second_report or tagged:
            cut = len(block)
        if event == len(window):
            break
        # The event line, read as upstream reads every line.
        n = event + 1
        raw = raws[event]
        second_report = second_report or event == second
        line_context, text, questionable = views.view(event)
        if questionable or (line_context != context and not (
                cpu_traceback and _CPU_CONTEXT.search(line_context))):
            continue
        counted += 1
        skip = False
        if "Disabling lock debugging due to kernel taint" in raw:
            skip = True
        elif "Sending NMI from CPU" in raw:
            cpu_traceback = True
        elif counted > min_lines and ("Kernel panic - not syncing" in raw
                                      or "WARNING: possible circular locking dependency detected" in raw):
            # Every later line is skipped: the block and its cut are final.
            break
        if skip:
            continue
        block.append(text)
        if not second_report or tagged:
            cut = len(block)
    return block, cut, hangup


#: The texts that make report_block's loop do more than keep or drop a line by its context
#: (a plain ``in`` test for each is quicker than a regex search of them all).
_BLOCK_MARKER_TEXTS = ("Disabling lock debugging due to kernel taint", "Sending NMI from CPU",
                       "Kernel panic - not syncing", "WARNING: possible circular locking dependency detected")
_BLOCK_MARKERS = re.compile("|".join(re.escape(text) for text in _BLOCK_MARKER_TEXTS))


def _shares_its_raw(lines: Sequence[Line], i: int) -> bool:
    """Whether ``lines[i]`` is one of several pieces of one input line (see ``Line.piece``)."""
    return lines[i].piece > 0 or (i + 1 < len(lines) and lines[i + 1].piece > 0 and lines[i + 1].no == lines[i].no)


def _second_report(raws: list[str], joined: str, pos: int) -> int | None:
    """The index of the first line from offset ``pos`` of ``joined`` (``raws`` joined by
    newlines) that starts another report (:func:`_starts_report`), or None."""
    for line in _lines_holding(_ANY_REPORT_START_QUICK, joined, pos):
        if _starts_report(raws[line]):
            return line
    return None


#: Wrappers that mark a line as a printk record's, as another tool than the console prints it.
_RECORD_WRAPPERS = frozenset({w.name for w in WRAPPERS if w.record_start} | {CONTINUATION})
#: Wrappers that syzkaller's console-prefix regex itself strips.
_CONSOLE_WRAPPERS = frozenset({"timestamp", "caller", "glued"})


def _console_view(line: Line) -> tuple[str, str, bool]:
    """(context, text, questionable) of one line, as syzkaller's ``stripLinePrefix`` sees it.

    The context is the printk caller id (``T123``), ``console`` for a console
    line without one, or ``""`` for a line without a console prefix, whose text is
    then kept whole (with splatkit's wrappers removed).
    """
    raw = line.raw[:MAX_LINE]
    # syzkaller's own view of the raw line, when the line is a plain console line: other
    # wrappers (quoting, a journal, a mail's encoding) would end up in the text.
    plain = set(line.wrappers) <= _CONSOLE_WRAPPERS and not line.joined and not line.piece
    m = (CONSOLE_PREFIX if " login: " in raw else _CONSOLE_PREFIX_NO_LOGIN).match(raw) if plain else None
    if m is None:
        return _unprefixed_view(line)
    text = raw[raw.index("] ") + 2:]
    return m.group(1) or CONSOLE, text, _questionable(text)


def _unprefixed_view(line: Line) -> tuple[str, str, bool]:
    """:func:`_console_view` of a line that syzkaller's console prefix does not start."""
    if "timestamp" in line.wrappers:  # quoted, syslog-prefixed, or another dmesg format
        own_caller = line.caller if not line.continuation else None
        text = line.text[:MAX_LINE]
        return own_caller or CONSOLE, text, _questionable(text)
    if not _RECORD_WRAPPERS.isdisjoint(line.wrappers):
        # A record's line as a journal or syslog prints it, or a later line of a record (the
        # console would have prefixed it too).
        text = line.text[:MAX_LINE]
        return line.caller or CONSOLE, text, _questionable(text)
    return "", line.text[:MAX_LINE], False


def _questionable(text: str) -> bool:
    """A "? func" frame (questionableFrame) or a powerpc "(unreliable)" one, except in "<EOI>"."""
    return "<EOI>" not in text and (" ? " in text or text.endswith(" (unreliable)"))


#: A line that starts with syzkaller's console prefix (without "login: ", which
#: :data:`_CONSOLE_PREFIX_NO_LOGIN` leaves out): group 1 the caller id, group 2 the text after
#: the prefix. Searched in lines joined by newlines.
_CONSOLE_LINE = re.compile(
    r"^(?:\*\* [0-9]+ printk messages dropped \*\* )?(?:<[0-9]+>)?\[ *[0-9]+\.[0-9]+\]"
    r"(?:\[ *((?:C|T)[0-9]+)\])? (.*)$", re.M)

#: The timestamp every console prefix holds (CONSOLE_PREFIX): a window without one has none.
_CONSOLE_TIMESTAMP = re.compile(r"\[ *[0-9]+\.[0-9]+\]")
#: The same for every line, the prefix optional: group 2 is the space that ends a prefix, empty
#: when the line has none.
_CONSOLE_LINE_OR_NOT = re.compile(
    r"^(?:(?:\*\* [0-9]+ printk messages dropped \*\* )?(?:<[0-9]+>)?\[ *[0-9]+\.[0-9]+\]"
    r"(?:\[ *((?:C|T)[0-9]+)\])?( ))?(.*)$", re.M)

#: A window whose lines all have syzkaller's console prefix, spelled as its regex reads it
#: (CONSOLE_PREFIX: spaces, digits 0-9, a space after it), and nothing before it. splatkit
#: strips such a prefix as the ``timestamp`` wrapper, and nothing more from a line that has
#: no other wrapper: the line's text is then what follows syzkaller's prefix, and its caller
#: syzkaller's caller id (tests/test_titles_speed_paths.py checks that normalize agrees).
_SYZKALLER_LINES = re.compile(
    r"(?:\[ *[0-9]+\.[0-9]+\](?:\[ *[CT][0-9]+\])? .*\n)*\[ *[0-9]+\.[0-9]+\](?:\[ *[CT][0-9]+\])? .*")
#: The wrapper tuples of such a window.
_TIMESTAMP_ONLY = {("timestamp",)}

_WRAPPERS_OF = operator.attrgetter("wrappers")
_RAW_OF = operator.attrgetter("raw")
_JOINED_OF = operator.attrgetter("joined")
_PIECE_OF = operator.attrgetter("piece")


class _Views:
    """:func:`_console_view` of each line of a window, and the runs of them a block keeps.

    Three kinds of windows are read at once instead of line by line:

    - a console log's, where every line is a plain console line that splatkit read
      with syzkaller's prefix shape: a line's text and caller id are syzkaller's view
      already (:data:`_SYZKALLER_LINES` says when);
    - a console log's, where every line is a plain console line with syzkaller's prefix
      and none holds " login: ": one regex reads all the prefixes, and a line's text is
      what follows its prefix (the first "] " of such a line ends its prefix);
    - a bare report's, where no line has a console timestamp, nor one that splatkit
      stripped: every line's view is ("", its text, False).
    """

    __slots__ = ("window", "lines", "pairs", "bare", "questionable", "views")

    def __init__(self, window: Sequence[Line], joined: str, wrappers: set[str],
                 wrapper_tuples: set[tuple[str, ...]], merged: bool, cut_lines: bool) -> None:
        """``wrappers`` are the window's wrapper names, ``wrapper_tuples`` its lines' tuples of
        them; ``merged`` says whether some line is a piece or has input lines joined on,
        ``cut_lines`` whether some raw line is longer than MAX_LINE."""
        self.window = window
        #: The window, when each line's text and caller are its view (see _SYZKALLER_LINES).
        self.lines: Sequence[Line] | None = None
        #: (caller id or "", text) of each line, when all are prefixed console lines.
        self.pairs: list[tuple[str, str]] | None = None
        #: True when no line has a console prefix.
        self.bare = False
        #: Whether any line may be questionable (its raw line holds the marks).
        self.questionable = " ? " in joined or " (unreliable)" in joined
        self.views: list[tuple[str, str, bool]] = []
        if "timestamp" not in wrappers and _CONSOLE_TIMESTAMP.search(joined) is None:
            self.bare = True
            return
        if " login: " not in joined and wrappers <= _CONSOLE_WRAPPERS and not merged:
            if (wrapper_tuples == _TIMESTAMP_ONLY and not cut_lines
                    and _SYZKALLER_LINES.fullmatch(joined) is not None):
                self.lines = window
                return
            if () not in wrapper_tuples:  # (a line splatkit found no prefix on has none)
                pairs = _CONSOLE_LINE.findall(joined)
                if len(pairs) == len(window):  # (a line matches at most once)
                    self.pairs = pairs
                    return
            # Some lines have no prefix: those take _unprefixed_view.
            found = _CONSOLE_LINE_OR_NOT.findall(joined)
            if len(found) == len(window):  # (every line matches once)
                questionable = self.questionable
                self.views = [
                    (caller or CONSOLE, text, questionable and _questionable(text)) if space else _unprefixed_view(line)
                    for (caller, space, text), line in zip(found, window)]
                return
        self.views = [_console_view(line) for line in window]

    def view(self, i: int) -> tuple[str, str, bool]:
        """(context, text, questionable) of line ``i``."""
        if self.lines is not None:
            line = self.lines[i]
            return line.caller or CONSOLE, line.text, _questionable(line.text)
        if self.bare:
            return "", self.window[i].text[:MAX_LINE], False
        if self.pairs is None:
            return self.views[i]
        caller, text = self.pairs[i]
        return caller or CONSOLE, text, _questionable(text)

    def kept(self, start: int, end: int, context: str, cpu_traceback: bool) -> list[str]:
        """The texts of the lines ``start`` .. ``end - 1`` that are not questionable and are of
        ``context`` (or, after "Sending NMI from CPU", of any CPU)."""
        if self.bare:  # every line's context is "", the banner's too
            return [line.text[:MAX_LINE] for line in self.window[start:end]]
        if self.lines is not None:
            lines = self.lines[start:end]
            if cpu_traceback:
                return [line.text for line in lines if not _questionable(line.text) and (
                    (line.caller or CONSOLE) == context or _CPU_CONTEXT.search(line.caller or CONSOLE))]
            # A line without a caller id has the context CONSOLE.
            caller = None if context == CONSOLE else context
            if self.questionable:  # (_questionable, inline)
                return [line.text for line in lines if line.caller == caller and (
                    "<EOI>" in line.text or (" ? " not in line.text and not line.text.endswith(" (unreliable)")))]
            return [line.text for line in lines if line.caller == caller]
        if self.pairs is None:
            return [text for line_context, text, questionable in self.views[start:end] if not questionable and (
                line_context == context or (cpu_traceback and _CPU_CONTEXT.search(line_context)))]
        pairs = self.pairs[start:end]
        if cpu_traceback:
            return [text for caller, text in pairs if not _questionable(text) and (
                (caller or CONSOLE) == context or _CPU_CONTEXT.search(caller or CONSOLE))]
        # Without a caller id, a prefixed line's context is CONSOLE.
        caller_id = "" if context == CONSOLE else context
        if self.questionable:  # (_questionable, inline)
            return [text for caller, text in pairs if caller == caller_id and (
                "<EOI>" in text or (" ? " not in text and not text.endswith(" (unreliable)")))]
        return [text for caller, text in pairs if caller == caller_id]


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
