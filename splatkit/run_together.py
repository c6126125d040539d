"""Report lines a page or a mail client ran together, split again.

A web page that dropped a report's newlines shows several report lines on one line
(``====== WARNING: possible circular ... 6.6.0 #4 Not tainted``), and a mail client that
reflowed a paragraph both joined its lines and broke them elsewhere. After the prefixes
are stripped and hard-wrapped lines rejoined (:func:`splatkit.lines.normalize`), a line
without a console prefix that holds a cue (:data:`~splatkit.grammar.wrappers.RUN_TOGETHER_CUES`)
is cut at blanks into the report lines it holds (each reads as a whole report line,
:func:`splatkit.rejoin.shape`), as pieces of its input line (``collapsed``).

The search is bounded per line, so its cost grows with the lines that may hold a run, not
faster: the best cut of a run's words is found once for the run and every shorter run from
the same line (:class:`_Cuts`), and a word span's shape is read once for the neighbouring
runs that share it (:func:`_whole_line`).
"""

from __future__ import annotations

import functools
import re

from .grammar.tokens import MAX_LINE
from .grammar.wrappers import (
    COLLAPSED,
    REFLOW_MAX_LINES,
    RUN_TOGETHER_CUES,
    RUN_TOGETHER_LINE_WORDS,
    RUN_TOGETHER_MAX_WORDS,
)
from .model import Line
from .rejoin import RECORD_PREFIXES, complete, shape

__all__ = ["may_run_together", "split_run_together"]

#: Any of the cues (one search instead of one per cue).
_CUE = re.compile("|".join(map(re.escape, RUN_TOGETHER_CUES)))


def may_run_together(text: str) -> bool:
    """Whether ``text`` may hold report lines a page ran together (a fast test on the input)."""
    return _CUE.search(text) is not None


@functools.lru_cache(maxsize=1 << 13)
def _whole_line(text: str) -> bool:
    """Whether ``text`` reads as a whole report line (:func:`~splatkit.rejoin.shape`).

    Cached: the runs tried from neighbouring lines share most of their word spans, and a
    run's search reads up to ``RUN_TOGETHER_MAX_WORDS * RUN_TOGETHER_LINE_WORDS`` of them
    (the cache holds a few runs' worth).
    """
    return complete(shape(text))


def split_run_together(lines: list[Line]) -> list[Line]:
    """Split lines that hold several report lines run together (see
    :data:`~splatkit.grammar.wrappers.RUN_TOGETHER_CUES`) into those lines, as pieces of
    their input line.

    A mail client that reflowed a paragraph both joined its lines and broke them again
    elsewhere: a run of such lines, none a whole report line, is read as one text first
    (``ffff (&vdev->irqlock){-...}, at:`` / ``f+0x21/0xd0 but this lock took`` /
    ``another, HARDIRQ-unsafe lock in the past: (fs_reclaim){+.+.}``); the longest run
    from a line whose text reads as report lines wins.
    """
    # A run starts at a line without a console prefix (a page or a mail client lost it): the
    # search is tried there only.
    no_prefix = RECORD_PREFIXES.isdisjoint
    starts = [k for k, line in enumerate(lines) if no_prefix(line.wrappers)]
    out: list[Line] = []
    done = 0  # lines[:done] are in out
    for i in starts:
        line = lines[i]
        if i < done or not _may_run_together(line):
            continue
        # The longest run of such lines, from this one, that reads as report lines.
        # (A whole report line may end it: the end of the last one the reflow broke.)
        run = [line]
        while (len(run) < REFLOW_MAX_LINES and i + len(run) < len(lines)
               and _may_run_together(lines[i + len(run)], whole=True)
               and lines[i + len(run)].no == run[-1].end_no + 1):
            run.append(lines[i + len(run)])
            if _whole_line(run[-1].text):
                break
        parts, taken = _longest_split(run)
        if parts is None:
            continue
        out += lines[done:i]
        joined = tuple(raw for piece in run[:taken] for raw in piece.raws)[1:]
        for index, part in enumerate(parts):
            out.append(Line(line.no, line.raw, part, (*line.wrappers, COLLAPSED), line.caller,
                            line.continuation or index > 0, joined if index == 0 else (), index))
        done = i + taken
    out += lines[done:]
    return out


def _longest_split(run: list[Line]) -> tuple[list[str] | None, int]:
    """The report lines the longest leading part of ``run`` that holds a cue reads as, and
    how many of its lines that part is; (None, 0) when no part reads as report lines."""
    words: list[str] = []
    ends = []  # ends[k]: how many words the first k + 1 lines of the run hold
    for piece in run:
        words += piece.text.split()
        ends.append(len(words))
    cuts = None  # (searched once, for the longest part that may be split)
    for taken in range(len(run), 0, -1):
        n = ends[taken - 1]
        if 2 <= n <= RUN_TOGETHER_MAX_WORDS and _CUE.search(" ".join(piece.text.strip() for piece in run[:taken])):
            cuts = cuts or _Cuts(words[:n])
            parts = cuts.report_lines(n)
            if parts is not None:
                return parts, taken
    return None, 0


def _may_run_together(line: Line, *, whole: bool = False) -> bool:
    """Whether ``line`` may hold report lines run together, or a piece of them: no console
    prefix, not a piece already, and (unless ``whole``) no whole report line by itself."""
    return (not line.piece and RECORD_PREFIXES.isdisjoint(line.wrappers) and len(line.text) <= MAX_LINE
            and line.text.strip() != "" and (whole or not _whole_line(line.text)))


class _Cuts:
    """The best cuts of ``words`` into report lines, for the first n words for every n.

    The best cut of the first n words depends on those words only (a dynamic programme over
    the words, left to right), so one pass answers for a run of lines and for every shorter
    run from its first line (:func:`_longest_split` tries the longest first).
    """

    def __init__(self, words: list[str]) -> None:
        self.words = words
        n = min(len(words), RUN_TOGETHER_MAX_WORDS)
        # score[j]: (words read as whole report lines, -pieces) of the best cut of words[:j];
        # start[j]: where its last piece starts when that piece is a whole line, None when
        # words[j - 1] is text.
        score: list[tuple[int, int]] = [(0, 0)] * (n + 1)
        start: list[int | None] = [None] * (n + 1)
        for j in range(1, n + 1):
            covered, pieces = score[j - 1]
            new_piece = j == 1 or start[j - 1] is not None
            score[j] = (covered, pieces - new_piece)
            for i in range(max(0, j - RUN_TOGETHER_LINE_WORDS), j):
                candidate = (score[i][0] + j - i, score[i][1] - 1)
                if candidate > score[j] and _whole_line(" ".join(words[i:j])):
                    score[j], start[j] = candidate, i
        self.score, self.start = score, start

    def report_lines(self, n: int) -> list[str] | None:
        """The first ``n`` words cut at blanks into the report lines they hold, or None when
        they hold fewer than two or these are less than two thirds of the words. The cut that
        reads the most words as whole report lines (:func:`~splatkit.rejoin.shape`) wins,
        with fewer pieces breaking ties; words no report line reads stay together, as text.
        """
        if n < 2 or n > RUN_TOGETHER_MAX_WORDS:
            return None
        words, start = self.words, self.start
        parts: list[tuple[str, bool]] = []
        j = n
        while j > 0:
            i = start[j]
            if i is None:  # text, back to the end of the whole line before it
                i = j - 1
                while i > 0 and start[i] is None:
                    i -= 1
            parts.append((" ".join(words[i:j]), start[j] is not None))
            j = i
        # Most of the text must read as report lines: a paragraph of prose with a report's words
        # in it is not split.
        if sum(whole for _, whole in parts) < 2 or 3 * self.score[n][0] < 2 * n:
            return None
        return [part for part, _ in reversed(parts)]


def _report_lines(text: str) -> list[str] | None:
    """``text`` cut at blanks into the report lines it holds (see :meth:`_Cuts.report_lines`).

    >>> _report_lines("====== WARNING: possible circular locking dependency detected 6.6.0-g2f6 #4 Not tainted")
    ['======', 'WARNING: possible circular locking dependency detected', '6.6.0-g2f6 #4 Not tainted']
    >>> _report_lines("I saw a WARNING: in my log") is None
    True
    """
    words = text.split()
    return _Cuts(words).report_lines(len(words))
