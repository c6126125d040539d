"""The report block: the lines of a log that syzkaller's title rules read for one report.

From the banner on, only the lines of the banner's printk context
(:mod:`.console`), cut before a second report (:mod:`.oops`) or a panic. Mirrors
google/syzkaller ``pkg/report/linux.go``'s ``findReport`` (syzkaller-titles.md
§2.1-§2.4), except that the block holds *this* report's lines only (syzkaller reads to
the end of the log): it starts at this report's banner, ends at this report's end (where
the parser says it ends, :mod:`splatkit.parse.extent`; at most :data:`MAX_BLOCK_LINES`
lines after the banner), and the corrupted check, like the title rules, reads it up to a
second report (syzkaller's reads past it, where another crash's stack may vouch for
this report).
"""

from __future__ import annotations

import itertools
import operator
import re
from collections.abc import Sequence

from ..encodings import TO_BLANK, utf7_decode
from ..grammar.tokens import MAX_LINE
from ..grammar.wrappers import BASE64, NO_BREAK_SPACE, UTF7
from ..model import Line
from .console import _CPU_CONTEXT, CONSOLE, _console_view, _Views
from .joined import _lines_holding
from .oops import _ANY_REPORT_START_QUICK, _starts_report

__all__ = ["CONSOLE_HANGUP", "MAX_BLOCK_LINES", "report_block"]

#: How many lines from the banner the title rules read at most, when the report's end is
#: further (syzkaller reads to the end of the log). The longest reports of the shared corpus
#: need about 400 lines; this leaves room for other contexts' lines between a report's own.
MAX_BLOCK_LINES = 2000

#: In any line of the log, it means the console was cut off (``gceConsoleHangup``).
CONSOLE_HANGUP = "serialport: VM disconnected."


def report_block(lines: Sequence[Line], start: int, end: int | None = None) -> tuple[list[str], int, bool]:
    """The lines syzkaller's title rules read for the report starting at ``lines[start]`` and
    ending before ``lines[end]`` (by default, with the lines given; at most MAX_BLOCK_LINES).

    Returns ``(block, cut, hangup)``: the block's lines without their console prefix,
    the number of leading lines the title rules and the corrupted check read (those
    before a second report), and whether the console connection was lost.
    (syzkaller-titles.md §2.1-§2.4; upstream ``findReport``.)

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
    window = lines[start:min(start + MAX_BLOCK_LINES, len(lines) if end is None else end)]
    # Each line's tuple of wrapper names (most lines share one of a few), then the names.
    wrapper_tuples = set(map(_WRAPPERS_OF, window))
    wrappers = set(itertools.chain.from_iterable(wrapper_tuples))
    # The console's own lines: an archive's UTF-7 undone (splatkit's other wrappers are read
    # from each line's text and caller, see _Views).
    raws = list(map(_RAW_OF, window))
    if UTF7 in wrappers:
        raws = list(map(utf7_decode, raws))
    if NO_BREAK_SPACE in wrappers:  # (no-break spaces read as blanks, zero-width characters dropped)
        raws = [raw.translate(TO_BLANK) for raw in raws]
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
    hangup = CONSOLE_HANGUP in joined
    merged = pieces or any(map(_JOINED_OF, window))
    context = _console_view(window[0])[0]
    if context not in ("", CONSOLE):
        window, raws = _of_context(window, raws, context)
        joined = "\n".join(raws)
    views = _Views(window, joined, wrappers, wrapper_tuples, merged, cut_lines)
    context, banner_text, _ = views.view(0)
    tagged = context not in ("", CONSOLE)
    min_lines = 16 if "BUG: KMSAN:" in raws[0] else 22
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


def _of_context(window: Sequence[Line], raws: list[str], context: str) -> tuple[Sequence[Line], list[str]]:
    """The lines of ``window`` (and their ``raws``) that may be of the printk context
    ``context``, a caller id, or of a CPU: all but other tasks' lines. None of those can be in
    the block, so they are dropped before anything is read of them: in a log where each report
    is another task's, a report's window is mostly other tasks' lines.

    A line is another task's when splatkit read another task's caller id in its raw line and
    not ``context`` (syzkaller reads its context from the raw line)."""
    others = {caller for caller in set(map(_CALLER_OF, window))
              if caller is not None and caller != context and caller[0] != "C"}
    if not others:
        return window, raws
    keep = [i for i, (line, raw) in enumerate(zip(window, raws))
            if line.caller not in others or context in raw or line.caller not in raw]
    return [window[i] for i in keep], [raws[i] for i in keep]


def _shares_its_raw(lines: Sequence[Line], i: int) -> bool:
    """Whether ``lines[i]`` is one of several pieces of one input line (see ``Line.piece``)."""
    return lines[i].piece > 0 or (i + 1 < len(lines) and lines[i + 1].piece > 0 and lines[i + 1].no == lines[i].no)


def _second_report(raws: list[str], joined: str, pos: int) -> int | None:
    """The index of the first line from offset ``pos`` of ``joined`` (``raws`` joined by
    newlines) that starts another report (:func:`.oops._starts_report`), or None."""
    for line in _lines_holding(_ANY_REPORT_START_QUICK, joined, pos):
        if _starts_report(raws[line]):
            return line
    return None


_WRAPPERS_OF = operator.attrgetter("wrappers")
_CALLER_OF = operator.attrgetter("caller")
_RAW_OF = operator.attrgetter("raw")
_JOINED_OF = operator.attrgetter("joined")
_PIECE_OF = operator.attrgetter("piece")
