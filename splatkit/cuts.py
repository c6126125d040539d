"""Where a console log may be cut so that each piece normalises as it does in the whole text.

:func:`splatkit.parse` normalises its whole input at once (:func:`splatkit.lines.normalize`),
and two kinds of decision there are not local to a line:

- *whole-text encodings*: the text is read as quoted-printable (a mail body) or as UTF-7 (a
  mail archive) when the *whole* text shows enough signs of it (``=3D`` escapes, soft line
  breaks, a ``Content-Transfer-Encoding`` header; ``+AF8-`` runs). :class:`EncodingSniffer`
  takes the same decisions on a log read in chunks, and :func:`lead_lines` spells them in a
  few lines put before a region, so that ``normalize`` decides the same on the region alone;
- *line state*: a printk record's continuation lines take the caller id of the record they
  continue, a commit message's indentation block runs on, and lines a mailer hard-wrapped,
  4.9 printed in fragments (``KERN_CONT``) or quoted-printable soft-broke are joined.

A *reset line* (:func:`is_reset_line`) is one where that state starts afresh: it starts a
printk record (a console or syslog prefix), without indentation, and no join can cross it (a
record's prefix is never the rest of a wrapped line; no ``KERN_CONT`` fragment opens in the
lines before it; the line before it is no quoted-printable soft break). Normalising from a
reset line gives exactly the lines the whole text gives from there on, so the scanner cuts a
log only at reset lines (or its start).

>>> is_reset_line("[ 1.000000] WARNING: x", [], Encodings())
True
>>> is_reset_line("    [ 1.000000] indented in a commit message", [], Encodings())
False
>>> is_reset_line("[ 1.000000] ffff (&kvm->lock", [" (", "[ 0.999999]  ("], Encodings())
False
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .grammar.tokens import MAX_LINE
from .grammar.wrappers import (
    BASE64_HEADER,
    KERN_CONT_MAX_LINES,
    QP_FULL_LINE,
    QP_HEADER,
    QP_MIN_ESCAPES,
    QP_SOFT_BREAK,
    QP_TELLING_ESCAPE,
    UTF7_MARKER,
    UTF7_MIN_MARKERS,
)
from .encodings import _qp_decode, utf7_decode
from .lines import _strip

__all__ = ["GUARD_LINES", "EncodingSniffer", "Encodings", "is_reset_line", "lead_lines", "may_run_into",
           "starts_afresh"]

#: How many lines before a reset line must open no ``KERN_CONT`` fragment: a lock rebuilt
#: from fragments spans at most KERN_CONT_MAX_LINES lines, plus its ``, at:`` frame line.
GUARD_LINES = KERN_CONT_MAX_LINES + 2

_TELLING = QP_TELLING_ESCAPE.encode()
#: A telling escape or the ``=`` of a line's end: one search from the literal ``=``.
_QP_SIGNS = re.compile(rb"=(?:" + re.escape(_TELLING[1:]) + rb"|\r?\n)")
assert _TELLING.startswith(b"=")
#: A line that may be a ``Content-Transfer-Encoding`` header.
_LINE_C = re.compile(rb"\n[Cc]")
_UTF7_MARKER = re.compile(UTF7_MARKER.pattern.encode())


@dataclass(frozen=True)
class Encodings:
    """The whole-text decisions of :func:`splatkit.lines.normalize`."""

    quoted_printable: bool = False
    utf7: bool = False
    base64: bool = False
    """A MIME part's header says its body is base64: the body's lines hold no console line,
    and no reset line (it is read whole, with its header, as parse reads it)."""

    @property
    def any(self) -> bool:
        """True when every line must be decoded before anything can be searched in it."""
        return self.quoted_printable or self.utf7 or self.base64


def lead_lines(encodings: Encodings) -> list[str]:
    """Lines that make ``normalize`` take ``encodings``' decisions on a region of the text.

    Both decisions only ever turn on as more text is read, so a region of a text that is not
    encoded is not taken for encoded; a region of an encoded text may show too few signs of it
    alone, and these lines show them (four ``=3D`` escapes; two ``+AF8-`` runs). They start no
    record, open no block and end in no soft break or ``(``, so they change nothing else.

    >>> from splatkit.lines import normalize
    >>> lines = normalize("\\n".join([*lead_lines(Encodings(True, True)), "a+AF8-b=3Dc"]))
    >>> lines[-1].text, lines[-1].wrappers
    ('a_b=c', ('quoted-printable', 'utf-7'))
    """
    lead = []
    if encodings.quoted_printable:
        lead.append(QP_TELLING_ESCAPE * QP_MIN_ESCAPES)
    if encodings.utf7:
        lead.append("+AF8-" * UTF7_MIN_MARKERS)
    return lead


class EncodingSniffer:
    """Take ``normalize``'s whole-text decisions on a text fed in pieces of whole lines.

    The same tests as ``splatkit.lines._is_quoted_printable`` and ``_is_utf7``, counted piece
    by piece with searches that start with a literal (the regex engine skips to it at memory
    speed), so that a plain console log is read at about 1 GB/s. (The header test reads a
    line that starts with ``C`` or ``c`` as a header on its own; the whole-text test could be
    fooled by an exotic case-folding spread over two lines, which no mail holds.)

    >>> sniffer = EncodingSniffer()
    >>> sniffer.feed(b"a=3Db\\n" * 3)
    >>> sniffer.result()
    Encodings(quoted_printable=False, utf7=False, base64=False)
    >>> sniffer.feed(b"c=3Dd\\n")
    >>> sniffer.result()
    Encodings(quoted_printable=True, utf7=False, base64=False)
    """

    def __init__(self) -> None:
        self.equals = False
        self.escapes = 0
        self.header = False
        self.breaks = 0
        self.markers = 0
        self.base64 = False

    @property
    def decided(self) -> bool:
        """True when reading more cannot change the result (both decisions are on)."""
        result = self.result()
        return result.quoted_printable and result.utf7

    def feed(self, data: bytes, start: int = 0, end: int | None = None) -> None:
        """Count the signs in ``data[start:end]``: whole lines (a last one without ``\\n``
        ends the text)."""
        end = len(data) if end is None else end
        if not self.result().quoted_printable:
            if data.find(b"=", start, end) != -1:
                self.equals = True
                self._count_equals(data, start, end)
            if not self.header:
                self.header = _has_header(data, start, end)
        if not self.base64 and (data.find(b"ase64", start, end) != -1 or data.find(b"ASE64", start, end) != -1):
            self.base64 = _has_header(data, start, end, "base64", BASE64_HEADER)
        if self.markers < UTF7_MIN_MARKERS:
            for _ in _UTF7_MARKER.finditer(data, start, end):
                self.markers += 1
                if self.markers >= UTF7_MIN_MARKERS:
                    break

    def _count_equals(self, data: bytes, start: int, end: int) -> None:
        """Count telling escapes and soft line breaks at an encoder's widths."""
        for m in _QP_SIGNS.finditer(data, start, end):
            if m.group() == _TELLING:
                self.escapes += 1
            else:
                self.breaks += _breaks_at(data, m.start(), start)
            if self.result().quoted_printable:
                return
        tail = data[max(end - 2, start):end]
        if tail.endswith(b"=") or tail.endswith(b"=\r"):  # a last line without a newline
            self.breaks += _breaks_at(data, end - 1 - tail.endswith(b"\r"), start)

    def result(self) -> Encodings:
        qp = self.equals and (self.escapes >= QP_MIN_ESCAPES or self.header
                              or self.breaks >= 2 or (self.breaks == 1 and self.escapes > 0))
        return Encodings(qp, self.markers >= UTF7_MIN_MARKERS, self.base64)


def _has_header(data: bytes, start: int, end: int, encoding: str = "quoted-printable",
                header: re.Pattern[str] = QP_HEADER) -> bool:
    """Whether a line of ``data[start:end]`` is a ``Content-Transfer-Encoding: ENCODING``
    header (only lines that start with ``C`` or ``c`` are decoded)."""
    starts = [m.start() + 1 for m in _LINE_C.finditer(data, start, end)]
    for at in [start, *starts] if data[start:start + 1] in (b"C", b"c") else starts:
        nl = data.find(b"\n", at, end)
        line = data[at:nl if nl != -1 else end].decode("utf-8", errors="replace")
        if encoding in line.lower() and header.search(line) is not None:
            return True
    return False


def _breaks_at(data: bytes, at: int, floor: int = 0) -> bool:
    """Whether the ``=`` at ``at`` is a soft line break at an encoder's width (as
    ``lines._full_line_breaks`` counts them: not ``==``, :data:`QP_FULL_LINE` characters before
    it); its line starts at ``floor`` at the earliest."""
    start = data.rfind(b"\n", floor, at) + 1 or floor
    return (at - start > 0 and data[at - 1:at] != b"="
            and len(data[start:at].decode("utf-8", errors="replace")) in QP_FULL_LINE)


def _decoded(raw: str, encodings: Encodings) -> str:
    """One input line as ``normalize`` decodes it (its own part of a quoted-printable line)."""
    if encodings.quoted_printable:
        m = QP_SOFT_BREAK.search(raw.removesuffix("\r")) if len(raw) <= MAX_LINE else None
        raw = _qp_decode(raw[:m.start()] if m is not None else raw)
    return utf7_decode(raw) if encodings.utf7 else raw


def _opens_fragment(raw: str, encodings: Encodings) -> bool:
    """Whether an input line may be a ``KERN_CONT`` fragment that opens a lock (ends in ``(``)."""
    if encodings.any:
        raw = _decoded(raw, encodings)
    return raw.rstrip(" \t\r").removesuffix("^M").rstrip(" \t\r").endswith("(")


def _soft_break(raw: str) -> bool:
    body = raw.removesuffix("\r")
    return len(body) <= MAX_LINE and QP_SOFT_BREAK.search(body) is not None


def starts_afresh(raw: str, encodings: Encodings) -> bool:
    """Whether the input line ``raw`` starts a printk record outside any indentation block.

    Such a line sets the caller id and closes any block whatever came before it, and is
    never the rest of a line a mailer wrapped (a piece carries no record prefix).
    """
    if not raw or raw[0] in " \t" or _opens_fragment(raw, encodings):
        return False
    text = _decoded(raw, encodings) if encodings.any else raw
    if not text or text[0] in " \t":
        return False
    _text, _names, _caller, record_start, indent = _strip(text)
    return record_start and indent is None


def may_run_into(before: Sequence[str], encodings: Encodings) -> bool:
    """Whether the lines ``before`` (nearest last) may be joined with the line after them:
    a ``KERN_CONT`` fragment opens among them, or the last one is a quoted-printable soft break."""
    if encodings.quoted_printable and before and _soft_break(before[-1]):
        return True
    return any(_opens_fragment(raw, encodings) for raw in before[-GUARD_LINES:])


def is_reset_line(raw: str, before: Sequence[str], encodings: Encodings) -> bool:
    """Whether normalising from ``raw`` gives the lines the whole text gives from there on.

    Parameters
    ----------
    raw : str
        One input line, without its ``\\n``.
    before : sequence of str
        The input lines just before it, nearest last (at least :data:`GUARD_LINES` of them,
        or all there are: fewer means the text starts there or at a reset line).
    encodings : Encodings
        The text's whole-text decisions.
    """
    return starts_afresh(raw, encodings) and not may_run_into(before, encodings)
