"""Whole-text encodings a mail or an archive applied to a pasted report, undone.

A mail body in quoted-printable (RFC 2045 §6.7: ``=3D`` escapes, ``=`` soft line
breaks) or in base64 (§6.8, when a header says so), and a mail archive that stored
the text as UTF-7 (RFC 2152: ``lock+AF8-acquire``) are decoded before any prefix
is stripped
(:func:`splatkit.lines.normalize`, step 1 of :mod:`splatkit.grammar.wrappers`).
Each decoder yields *logical lines*: (the input lines it read, the decoded text,
the names of what it undid), so the input can always be rebuilt.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import codecs
import re
from collections.abc import Iterator

from .grammar.tokens import MAX_LINE
from .grammar.wrappers import (
    BASE64,
    BASE64_HEADER,
    BASE64_LINE,
    NO_BREAK_SPACE,
    NO_BREAK_SPACES,
    ZERO_WIDTH,
    QP,
    QP_ESCAPE,
    QP_FULL_LINE,
    QP_HEADER,
    QP_MIN_ESCAPES,
    QP_SOFT_BREAK,
    QP_TELLING_ESCAPE,
    UTF7,
    UTF7_MARKER,
    UTF7_MIN_MARKERS,
)

__all__ = ["TO_BLANK", "LogicalLine", "base64_lines", "blank_lines", "has_base64_body", "has_no_break_spaces", "is_quoted_printable", "is_utf7", "qp_lines", "utf7_decode", "utf7_lines"]

#: (input lines, decoded text, names of the encodings undone) of one logical line.
LogicalLine = tuple[tuple[str, ...], str, tuple[str, ...]]

# -- quoted-printable -----------------------------------------------------------------------------

def is_quoted_printable(text: str) -> bool:
    """Whether ``text`` looks like a quoted-printable mail body (header, or enough escapes).

    Each regex runs only when a plain substring test (at memory speed) says it may match:
    most texts are console logs with no header and no ``=`` at a line's end.
    """
    if "=" not in text:
        return False
    if text.count(QP_TELLING_ESCAPE) >= QP_MIN_ESCAPES:
        return True
    if "quoted-printable" in text.lower() and QP_HEADER.search(text) is not None:
        return True
    breaks = _full_line_breaks(text)
    if next(breaks, None) is None:
        return False
    return QP_TELLING_ESCAPE in text or next(breaks, None) is not None


def _full_line_breaks(text: str) -> Iterator[int]:
    """Offsets of the soft line breaks of ``text`` at :data:`QP_FULL_LINE` widths.

    Found with ``str.find``: only the few lines that end in ``=`` are looked at.
    """
    for ending in ("=\n", "=\r\n") if "\r" in text else ("=\n",):
        at = text.find(ending)
        while at != -1:
            start = text.rfind("\n", 0, at) + 1
            if at - start in QP_FULL_LINE and text[at - 1] != "=":
                yield at
            at = text.find(ending, at + len(ending))
    last = text[text.rfind("\n") + 1:].removesuffix("\r")  # a last line without a newline
    if last.endswith("=") and len(last) - 1 in QP_FULL_LINE and last[-2] != "=":
        yield len(text)


def _latin1_fallback(error: UnicodeDecodeError) -> tuple[str, int]:
    """A byte that is not UTF-8 is read as Latin-1 (a mail in ISO-8859-1: ``=A0`` is a no-break space)."""
    return error.object[error.start:error.end].decode("latin-1"), error.end


codecs.register_error("splatkit-latin-1", _latin1_fallback)


def _qp_decode(line: str) -> str:
    """One logical line's escapes decoded; the bytes are read as UTF-8, or else as Latin-1,
    never fatally.

    >>> _qp_decode("a=C2=A0b =A0#0:")
    'a\xa0b \xa0#0:'
    """
    if "=" not in line:
        return line
    data = QP_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), line)
    # chr() gave one code point per byte; reassemble UTF-8 sequences the escapes spelled.
    try:
        return data.encode("latin-1").decode("utf-8", errors="splatkit-latin-1")
    except UnicodeEncodeError:  # the line already held non-Latin-1 text: leave it as read
        return data


#: A UTF-8 lead byte's escape at the end of a line before a soft break, and the start of a line
#: after one that holds the continuation byte without its ``=`` (``=C2=`` then ``A0``: an
#: encoder put the soft break inside the escape ``=A0``).
_LEAD_ESCAPE = re.compile(r"=[C-F][0-9A-F]$")
_CONTINUATION_HEX = re.compile(r"[89AB][0-9A-F]")


def _mend_split_escape(parts: list[str], part: str) -> str:
    """``part``, the rest of a line after a soft break, with the ``=`` of an escape the soft
    break cut off put back.

    >>> _mend_split_escape(["x=C2"], "A0 CPU1"), _mend_split_escape(["x=C2"], "=A0 CPU1")
    ('=A0 CPU1', '=A0 CPU1')
    """
    if parts and _CONTINUATION_HEX.match(part) and _LEAD_ESCAPE.search(parts[-1]):
        return "=" + part
    return part


def qp_lines(raws: list[str]) -> Iterator[LogicalLine]:
    """(input lines, decoded text, wrappers) per quoted-printable logical line.

    A soft line break (``=`` at the end) joins an input line to the next one.
    """
    group: list[str] = []
    parts: list[str] = []
    for raw in raws:
        group.append(raw)
        body = raw[:-1] if raw.endswith("\r") else raw
        m = QP_SOFT_BREAK.search(body) if len(body) <= MAX_LINE else None
        if m is not None:
            parts.append(_mend_split_escape(parts, body[:m.start()]))
            continue
        parts.append(_mend_split_escape(parts, body))
        encoded = "".join(parts)
        decoded = _qp_decode(encoded)
        # The last input line's CR is the logical line's (the line-end step records it).
        text = decoded + ("\r" if raw.endswith("\r") else "")
        yield tuple(group), text, ((QP,) if len(group) > 1 or decoded != encoded else ())
        group, parts = [], []
    if group:
        encoded = "".join(parts)
        yield tuple(group), _qp_decode(encoded), (QP,)


# -- UTF-7 ----------------------------------------------------------------------------------------

def is_utf7(text: str) -> bool:
    """Whether ``text`` looks like a report an archive stored as UTF-7."""
    return "+AF" in text and len(UTF7_MARKER.findall(text, 0)) >= UTF7_MIN_MARKERS


def utf7_decode(line: str) -> str:
    """``line`` with its UTF-7 runs decoded (``lock+AF8-acquire+-0x16f`` -> ``lock_acquire+0x16f``).

    Run by run, not the whole line by the codec: a ``+`` the archive did not encode
    (``func+0x16f/0x3f0`` in a text that is not UTF-7 after all) starts no run here. A run
    is decoded only when it spells printable ASCII, which kernel text is; any other is left
    as read.

    >>> utf7_decode("lock+AF8-acquire+-0x16f/0x3f0 +AFs-x+AF0 f+0x16f/0x3f0")
    'lock_acquire+0x16f/0x3f0 [x] f+0x16f/0x3f0'
    """
    return _UTF7_RUN.sub(_utf7_run, line) if "+" in line else line


#: A UTF-7 shifted run: ``+``, base64 of UTF-16BE, an optional ``-`` (``+-`` is a ``+``).
_UTF7_RUN = re.compile(r"\+([A-Za-z0-9+/]*)(-?)")


def _utf7_run(m: re.Match[str]) -> str:
    run, dash = m.groups()
    if not run:
        return "+" if dash else m.group(0)
    try:
        text = base64.b64decode(run + "=" * (-len(run) % 4)).decode("utf-16-be")
    except (binascii.Error, UnicodeDecodeError):
        return m.group(0)
    return text if text.isascii() and text.isprintable() else m.group(0)


def utf7_lines(logical: Iterator[LogicalLine]) -> Iterator[LogicalLine]:
    for group, text, decoded_by in logical:
        decoded = utf7_decode(text)
        yield group, decoded, (decoded_by + (UTF7,) if decoded != text else decoded_by)


# -- no-break spaces --------------------------------------------------------------------------------

#: What :func:`blank_lines` does to a line's text (the title rules read raw lines the same way).
TO_BLANK = str.maketrans({**dict.fromkeys(NO_BREAK_SPACES, " "), **dict.fromkeys(ZERO_WIDTH, None)})


def has_no_break_spaces(text: str) -> bool:
    """Whether ``text`` holds a character a mailer writes for a blank, or one that shows as nothing."""
    return any(char in text for char in NO_BREAK_SPACES + ZERO_WIDTH)


def blank_lines(logical: Iterator[LogicalLine]) -> Iterator[LogicalLine]:
    """Logical lines with their no-break spaces read as blanks (:data:`NO_BREAK_SPACES`) and
    their zero-width characters dropped (:data:`ZERO_WIDTH`).

    >>> [text for _, text, _ in blank_lines(iter([((), "a\\xa0b\\u200bc", ())]))]
    ['a bc']
    """
    for group, text, decoded_by in logical:
        blanked = text.translate(TO_BLANK)
        yield group, blanked, (decoded_by + (NO_BREAK_SPACE,) if blanked != text else decoded_by)


# -- base64 bodies ----------------------------------------------------------------------------------

def has_base64_body(text: str) -> bool:
    """Whether ``text`` holds a MIME part whose header says its body is base64."""
    return ("ase64" in text or "ASE64" in text) and BASE64_HEADER.search(text) is not None


def base64_lines(logical: Iterator[LogicalLine]) -> Iterator[LogicalLine]:
    """Logical lines with each base64 body (after a ``Content-Transfer-Encoding: base64``
    header and the blank line that ends its header block) decoded.

    A body's lines of text do not fall on its input lines: the first decoded line stands for
    every input line of the body, the others for none (``()``, a piece of the same input).

    >>> body = base64.b64encode(b"[ 1.0] WARNING: x\\n[ 1.1] y\\n").decode()
    >>> [(g, t) for g, t, _ in base64_lines(iter(((l,), l, ()) for l in
    ...     ["Content-Transfer-Encoding: base64", "", body, "--"]))][2:]
    [(('WyAxLjBdIFdBUk5JTkc6IHgKWyAxLjFdIHkK',), '[ 1.0] WARNING: x'), ((), '[ 1.1] y'), (('--',), '--')]
    """
    header = in_headers = False
    for group, text, decoded_by in logical:
        if not header:
            header = in_headers = BASE64_HEADER.match(text) is not None
            yield group, text, decoded_by
            continue
        if in_headers:
            in_headers = text.strip() != ""
            yield group, text, decoded_by
            continue
        body: list[LogicalLine] = []
        while BASE64_LINE.match(text) and not decoded_by:
            body.append((group, text, decoded_by))
            group, text, decoded_by = next(logical, ((), "", ()))
            if not group:
                break
        header = False
        if body:
            yield from _decoded_body(body)
        if group:
            yield group, text, decoded_by


def _decoded_body(body: list[LogicalLine]) -> Iterator[LogicalLine]:
    """The lines of text a base64 body holds, each standing for the input lines from the one
    where its first byte is encoded to the one before the next line's (a line that starts in
    the same input line as the one before stands for none: a piece of it)."""
    raws = [raw for group, _, _ in body for raw in group]
    chunks = [text.strip() for _, text, _ in body]
    try:
        data = base64.b64decode("".join(chunks), validate=True)
    except (binascii.Error, ValueError):  # not base64 after all: the lines as they are
        yield from body
        return
    # The offset in ``data`` where each input line's bytes start.
    starts, offset = [], 0
    for chunk in chunks:
        starts.append(offset)
        offset += len(chunk) * 3 // 4 - chunk.count("=")
    lines, offset, line_starts = [], 0, []
    for line in data.split(b"\n"):
        lines.append(line.removesuffix(b"\r").decode("utf-8", errors="splatkit-latin-1"))
        line_starts.append(bisect.bisect_right(starts, offset) - 1)
        offset += len(line) + 1
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    for k, line in enumerate(lines):
        first = line_starts[k]
        if k and first == line_starts[k - 1]:
            yield (), line, (BASE64,)
            continue
        following = next((line_starts[j] for j in range(k + 1, len(lines)) if line_starts[j] != first), len(raws))
        yield tuple(raws[first:following]), line, (BASE64,)
