"""Lines a terminal cut at its width, keeping each one's last character, found report by report.

A terminal (or a screen capture) that cuts long lines at its width and keeps the line's last
character in its last column (``{....}-{3:3}0``: ``, at: f+0x1/0x2`` lost, its ``0`` kept)
leaves the report's long lines piled up at one length (see
:data:`~splatkit.grammar.wrappers.CUT_AT_WIDTH`). Whether that happened is decided from the
report's own lines, after a first reading has found them: the same lines whether the report
came in a paste or in a big log read in parts (:mod:`splatkit.scan`), whatever else the text
holds. The report is then read again with those lines mended.
"""

from __future__ import annotations

import dataclasses
import operator

from ..grammar.tokens import MAX_LINE
from ..grammar.wrappers import CUT_AT_WIDTH, CUT_MIN_LINES, CUT_MIN_WIDTH, CUT_NEAR, CUT_PILE_UP
from ..model import Line
from ..rejoin import complete, shape

__all__ = ["cut_lines", "cut_width"]

_RAW_OF = operator.attrgetter("raw")


def cut_width(lines: list[Line]) -> int | None:
    """The width a terminal cut ``lines`` at, or None.

    Every line longer than the terminal ends at its width: lines of several kinds pile up at
    the longest length, many more than at the few lengths just below it, most not ending in a
    blank (a cut line ends in the real line's last character; a mailer's wrapped lines end in
    blanks). The lines cut are those read as they came (not decoded, joined or split).

    >>> from splatkit.lines import normalize
    >>> lock = "[ 1.0]  #0: ffff88801f472b20 (&call->user_mutex){....}-{3:3}0"
    >>> cpu = "[ 1.0] CPU: 0 PID: 6508 Comm: syz Not tainted 6.0.0-rc1-00061"
    >>> cut_width(normalize("\\n".join([lock, cpu] * 3))), cut_width(normalize("\\n".join([lock] * 6)))
    (61, None)
    """
    lengths = [len(raw) - raw.endswith("\r") for raw in map(_RAW_OF, lines)]
    if len(lengths) < CUT_MIN_LINES:
        return None
    width = max(lengths)
    at_width = lengths.count(width)
    if width < CUT_MIN_WIDTH or width > MAX_LINE or at_width < CUT_MIN_LINES:
        return None
    below = sum(1 for length in lengths if width - CUT_NEAR <= length < width)
    cut = [line for line in lines if _read_as_is(line) and len(_visible(line)) == width]
    if (at_width < CUT_PILE_UP * below or len(cut) < CUT_MIN_LINES
            or 2 * sum(1 for line in cut if _visible(line)[-1].isspace()) >= len(cut)):
        return None
    # A terminal cuts lines of every kind; lines of one fixed format (a register dump) may
    # share the longest length by themselves.
    if len({shape(line.text[:-1]) for line in cut}) < 2:
        return None
    return width


def cut_lines(lines: list[Line], first: int, limit: int, width: int) -> list[Line]:
    """``lines`` with those of ``lines[first:limit]`` that the terminal cut at ``width``
    mended: without the character the terminal kept in its last column, unless the line needs
    it to read whole (it was no longer: ``... (futex_wait+0x184/0x24c)``)."""
    out = list(lines)
    for i in range(first, limit):
        line = lines[i]
        if _read_as_is(line) and len(_visible(line)) == width:
            shorter = line.text[:-1]
            if not complete(shape(line.text)) or complete(shape(shorter)):
                out[i] = dataclasses.replace(line, text=shorter, wrappers=(*line.wrappers, CUT_AT_WIDTH))
    return out


def _visible(line: Line) -> str:
    """The input line as a terminal showed it (a CRLF's ``\\r`` is no column)."""
    return line.raw[:-1] if line.raw.endswith("\r") else line.raw


def _read_as_is(line: Line) -> bool:
    """Whether ``line`` came as one input line of its own, its text a tail of it."""
    return not line.piece and not line.joined and line.text != "" and _visible(line).endswith(line.text)
