"""Text to normalised lines: undo what surrounds console output, keep what was undone.

The first stage of the pipeline. Whatever people paste (a dmesg with timestamps,
a syslog or journal, a mail that quotes another, a commit message, a GitHub
issue) becomes a list of :class:`~splatkit.model.Line` whose ``text`` the lockdep
grammar can read, whose ``wrappers`` name what was undone, and whose ``raws``
rebuild the input exactly. The wrappers themselves are data, in
:mod:`splatkit.grammar.wrappers`; this module applies them in the order that
table's docstring gives (lockdep-format.md §7).
"""

from __future__ import annotations

import base64
import binascii
import functools
import itertools
import re
from collections.abc import Iterator
from typing import Any

from .grammar.kinds import IDENT, RULE_DASH, RULE_EQ, FirstMatch, match_banner, unnamed
from .grammar.frames import parse_frame
from .grammar.locks import parse_lock_desc
from .grammar.sections import RULES, SECTIONS, rule_runs
from .grammar.tokens import MAX_LINE
from .grammar.wrappers import (
    COLLAPSED,
    COLLAPSED_AT,
    HARD_WRAP,
    HARD_WRAP_MAX_LINES,
    HARD_WRAP_MIN_WIDTH,
    KERN_CONT,
    KERN_CONT_FRAGMENTS,
    KERN_CONT_MAX_LINES,
    LINE_ENDS,
    NEWLINE_ESCAPES,
    QP,
    QP_ESCAPE,
    QP_FULL_LINE,
    QP_HEADER,
    QP_MIN_ESCAPES,
    QP_SOFT_BREAK,
    QP_TELLING_ESCAPE,
    TEXT_REPAIRS,
    UTF7,
    UTF7_MARKER,
    UTF7_MIN_MARKERS,
    WRAPPERS,
    Wrapper,
)
from .model import Line

__all__ = ["normalize", "split_lines", "utf7_decode"]

# A prefix is stripped at most this many times per line (quote, syslog, timestamp, caller...).
_MAX_STRIPS = 8

#: Wrappers a hard-wrapped piece may carry: the mailer broke the line after these were added
#: (quoting) or they were added to every line (a commit's indentation), never a kernel prefix.
_WRAP_PIECE_WRAPPERS = frozenset({"quote", "indent", "crlf", "caret-m", QP})


def split_lines(text: str) -> list[str]:
    """Split on ``\\n`` only, dropping one trailing ``\\r`` (CRLF) per line.

    ``str.splitlines`` would also split on form feeds and Unicode separators that
    a kernel log can carry inside a line, which would shift every line number.
    """
    return [line[:-1] if line.endswith("\r") else line for line in _input_lines(text)]


def _input_lines(text: str) -> list[str]:
    """The input lines exactly as read: split on ``\\n``, without the final empty one."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _prefix_table(numbers: tuple[int, ...]) -> tuple[re.Pattern[str], dict[int, int]]:
    """One regex trying the wrapper prefixes ``numbers`` in table order, and which wrapper each
    match is.

    Matching it once per strip step replaces trying the wrappers one by one (the hot
    loop of :func:`normalize`). Alternation tries alternatives left to right, as the
    table is read, so the first alternative that matches is the wrapper that applies.
    Each alternative ends in an empty group, the last group to close, so ``m.lastindex``
    names it; the group is at the end rather than around the alternative because the
    regex engine skips an alternative on its first character only when the alternative
    starts with that character's test. A wrapper's named groups get its table index as
    a suffix (``caller_7``), since names must be unique in one regex.
    """
    parts, wrapper_of, index = [], {}, 0
    for number in numbers:
        wrapper = WRAPPERS[number]
        pattern = re.sub(r"\(\?P<(\w+)>", rf"(?P<\1_{number}>", wrapper.pattern.pattern)
        parts.append(f"(?:{pattern})()")
        index += wrapper.pattern.groups + 1
        wrapper_of[index] = number
    return re.compile("|".join(parts)), wrapper_of


#: The wrappers' :attr:`~splatkit.grammar.wrappers.Wrapper.hint` texts, each once.
_HINTS = tuple(dict.fromkeys(w.hint for w in WRAPPERS if w.hint is not None))
#: (hint, its bit in the index of :data:`_PREFIX_TABLES`).
_HINT_BITS = tuple((hint, 1 << bit) for bit, hint in enumerate(_HINTS))


def _hinted_out(wrapper: Wrapper, present: int) -> bool:
    """Whether ``wrapper`` cannot match a text that holds only the hints of bitmask ``present``."""
    return wrapper.hint is not None and not present & (1 << _HINTS.index(wrapper.hint))


#: One combined table per set of hints a line holds: a line without a wrapper's hint gets a
#: regex without that wrapper, the same answer for less work (the ``glued`` wrapper would
#: otherwise scan 200 characters of every line for a timestamp that is not there).
_PREFIX_TABLES = [
    _prefix_table(tuple(n for n, wrapper in enumerate(WRAPPERS) if not _hinted_out(wrapper, present)))
    for present in range(1 << len(_HINTS))
]
#: Per table index: the wrapper's name, whether it starts a record, its caller group's name.
_NAMES = tuple(w.name for w in WRAPPERS)
_RECORD_START = tuple(w.record_start for w in WRAPPERS)
_FOREIGN = tuple(w.foreign for w in WRAPPERS)
_OUTER = tuple(w.outer for w in WRAPPERS)
_CALLER_GROUP = tuple(f"caller_{n}" if "caller" in w.pattern.groupindex else None for n, w in enumerate(WRAPPERS))
_LINE_END_TAILS = tuple(end for _, end in LINE_ENDS)
#: Wrappers that start a printk record (a timestamp, a syslog prefix...).
_RECORD_PREFIXES = frozenset(w.name for w in WRAPPERS if w.record_start)
#: Wrappers of loggers that escape newlines inside a record.
_ESCAPING = frozenset(w.name for w in WRAPPERS if w.escapes_newlines)
#: Table index of the block wrapper (a commit message's indentation), if there is one.
_BLOCK = next((n for n, w in enumerate(WRAPPERS) if w.block), len(WRAPPERS))
#: Every wrapper strips something: an empty prefix would make the strip loop spin.
assert all(table.match("") is None for table, _ in _PREFIX_TABLES)


def _block_prefix(text: str, indent: str | None, in_block: bool, number: int | None,
                  m: re.Match[str] | None) -> tuple[int, int, re.Match[str] | None] | None:
    """(table index, prefix length, match) to strip next when the block wrapper is involved.

    The block wrapper applies once per line: where its own pattern matches, or where the
    line continues the indentation block ``indent`` of the lines before. ``number`` and
    ``m`` are the first wrapper the text starts with and its match (see :func:`_strip`).
    """
    if not in_block:
        if number == _BLOCK:
            return number, m.end(), m
        if indent and text.startswith(indent):
            return _BLOCK, len(indent), None
    if number is None or number != _BLOCK:
        return None if number is None else (number, m.end(), m)
    # In a block, and the block pattern matched again: take the first later wrapper instead.
    for later in range(_BLOCK + 1, len(WRAPPERS)):
        other = WRAPPERS[later].pattern.match(text)
        if other is not None and other.end() > 0:
            return later, other.end(), None
    return None


@functools.lru_cache(maxsize=None)
def _plain_line(number: int, present: int) -> re.Pattern[str]:
    """One regex for the lines whose only wrapper is the prefix of ``WRAPPERS[number]``, in a
    text that holds the hints of bitmask ``present`` (see :data:`_HINT_BITS`) and no other.

    On such a line :func:`_strip` strips that prefix and nothing else, and the regex says
    so at once (in the regex engine, not in the strip loop): no wrapper earlier in the table
    matches at the start (so the loop's first step takes this one); after the prefix, no
    wrapper matches (the loop's second step finds nothing: the ``glued`` wrapper needs a
    printk timestamp ahead, and the rest may hold no ``[`` that could start one, so newlines
    collapsed before one (:data:`COLLAPSED_AT`) are not there either); no line-end damage
    (no ``\\r``, no final ``^M``).
    Group ``text`` is what _strip returns, group ``caller`` its caller id. Only used
    outside an indentation block, on lines of at most MAX_LINE characters.

    A wrapper whose hint the text lacks matches nowhere in it and is left out (in a
    console log, the syslog and journal prefixes: over a quarter of the regex's work).
    """
    wrapper = WRAPPERS[number]
    if wrapper.block or wrapper.hint is not None or not wrapper.record_start:
        raise ValueError(f"{wrapper.name}: no plain-line regex for this wrapper")
    earlier = "|".join(f"(?:{unnamed(w.pattern.pattern)})" for w in WRAPPERS[:number]
                       if not _hinted_out(w, present))
    # (A foreign prefix is stripped after a record prefix only when it is blanks before a
    # timestamp, which the text may not hold.)
    later = "|".join(f"(?:{unnamed(w.pattern.pattern)})" for w in WRAPPERS
                     if not w.foreign and not _hinted_out(w, present))
    # The prefix is matched as the wrapper alone matches it, never shorter (it is taken in a
    # lookahead, then consumed by a back-reference): backtracking into it to satisfy
    # what follows would strip less than _strip does.
    return re.compile(rf"(?!{earlier})(?=(?P<prefix>{wrapper.pattern.pattern}))(?P=prefix)(?!{later})"
                      rf"(?P<text>[^\[\r\n]*(?:\[(?!\s*\d+\.\d)[^\[\r\n]*)*)(?<!\^M)\Z")


#: The console's own prefix (a printk timestamp, maybe with a caller id), alone on a line: most
#: lines of most logs.
_PLAIN_NUMBER = next(n for n, w in enumerate(WRAPPERS) if w.name == "timestamp")
_PLAIN_NAMES = (WRAPPERS[_PLAIN_NUMBER].name,)


def _plain_console_line(text: str) -> re.Pattern[str]:
    """The regex of :func:`_plain_line` for the console's own prefix in ``text``."""
    present = 0
    for hint, bit in _HINT_BITS:
        if hint in text:
            present |= bit
    return _plain_line(_PLAIN_NUMBER, present)


#: The plain console line regex of a text that holds every hint (for tests and tools).
_PLAIN_CONSOLE_LINE = _plain_line(_PLAIN_NUMBER, (1 << len(_HINTS)) - 1)


def _strip(raw: str, indent: str | None = None) -> tuple[str, tuple[str, ...], str | None, bool, str | None]:
    """Strip wrappers from one line.

    Returns (text, wrapper names, caller id, starts a record, indentation block). ``indent``
    is the indentation of the block the previous line was in, stripped from this line too
    when it starts with it; the returned one is the block this line leaves open.
    """
    text = raw if len(raw) <= MAX_LINE else raw[:MAX_LINE]
    names: list[str] = []
    if text.endswith(_LINE_END_TAILS):
        for name, end in LINE_ENDS:
            if text.endswith(end):
                names.append(name)
                text = text[:-len(end)]
    caller = None
    record_start = False
    in_block = False
    for _ in range(_MAX_STRIPS):
        # The first wrapper whose prefix the text starts with (inlined: the hottest loop).
        present = 0
        for hint, bit in _HINT_BITS:
            if hint in text:
                present |= bit
        table, wrapper_of = _PREFIX_TABLES[present]
        m = table.match(text)
        number = None if m is None else wrapper_of[m.lastindex]
        if number is None:
            if in_block or not indent:  # the common case: nothing (more) to strip
                break
            found = _block_prefix(text, indent, in_block, number, m)
            if found is None:
                break
            number, length, m = found
        elif number < _BLOCK or (number != _BLOCK and (in_block or not indent)):  # no block involved
            length = m.end()
        else:
            found = _block_prefix(text, indent, in_block, number, m)
            if found is None:
                break
            number, length, m = found
        if record_start and (_OUTER[number] or _FOREIGN[number] and not text[:length].isspace()):
            break  # the line's own text (see Wrapper.outer and Wrapper.foreign)
        names.append(_NAMES[number])
        if number == _BLOCK:
            indent, in_block = text[:length], True
        else:
            record_start = record_start or _RECORD_START[number]
            group = _CALLER_GROUP[number]
            if group is not None:
                found_caller = (m.group(group) if m is not None
                                else WRAPPERS[number].pattern.match(text).group("caller"))
                caller = found_caller or caller
        text = text[length:]
    if indent is not None and not in_block and text.strip():  # a line outside the indentation ends the block
        indent = None
    if len(raw) > MAX_LINE:
        text += raw[MAX_LINE:]
        for name, end in LINE_ENDS:
            if name in names and text.endswith(end):
                text = text[:-len(end)]
    return text, tuple(names), caller, record_start, indent


# -- quoted-printable -----------------------------------------------------------------------------

def _is_quoted_printable(text: str) -> bool:
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


def _qp_decode(line: str) -> str:
    """One logical line's escapes decoded; the bytes are read as UTF-8, never fatally."""
    if "=" not in line:
        return line
    data = QP_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), line)
    # chr() gave one code point per byte; reassemble UTF-8 sequences the escapes spelled.
    try:
        return data.encode("latin-1").decode("utf-8", errors="replace")
    except UnicodeEncodeError:  # the line already held non-Latin-1 text: leave it as read
        return data


def _logical_lines(raws: list[str]) -> Iterator[tuple[list[str], str, tuple[str, ...]]]:
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
            parts.append(body[:m.start()])
            continue
        parts.append(body)
        encoded = "".join(parts)
        decoded = _qp_decode(encoded)
        # The last input line's CR is the logical line's (the line-end step records it).
        text = decoded + ("\r" if raw.endswith("\r") else "")
        yield group, text, ((QP,) if len(group) > 1 or decoded != encoded else ())
        group, parts = [], []
    if group:
        encoded = "".join(parts)
        yield group, _qp_decode(encoded), (QP,)


# -- UTF-7 ----------------------------------------------------------------------------------------

def _is_utf7(text: str) -> bool:
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


def _utf7_lines(logical: Iterator[tuple[tuple[str, ...], str, tuple[str, ...]]]
                ) -> Iterator[tuple[tuple[str, ...], str, tuple[str, ...]]]:
    for group, text, decoded_by in logical:
        decoded = utf7_decode(text)
        yield group, decoded, (decoded_by + (UTF7,) if decoded != text else decoded_by)


# -- escaped newlines, collapsed newlines and in-line repairs ---------------------------------------------------------

def _split_escaped(text: str) -> tuple[list[str], tuple[str, ...]]:
    """The lines a logger folded into one with escaped newlines, and the escapes' names."""
    names: list[str] = []
    for name, escape, char in NEWLINE_ESCAPES:
        if escape in text:
            text = text.replace(escape, char)
            if name not in names:
                names.append(name)
    return text.split("\n"), tuple(names)


#: What every line a repair changes contains (lines without any are not repaired).
_REPAIR_HINTS = tuple(repair.hint for repair in TEXT_REPAIRS)


def _split_collapsed(pieces: list[tuple[str, tuple[str, ...], str | None, bool]]
                     ) -> list[tuple[str, tuple[str, ...], str | None, bool]]:
    """Pieces (text, wrappers, caller, starts a record) split again where a tool had joined
    console lines (:data:`COLLAPSED_AT`); each new piece's own prefixes are stripped."""
    out = []
    for text, names, caller, starts in pieces:
        first, *rest = COLLAPSED_AT.split(text)
        if not rest:
            out.append((text, names, caller, starts))
            continue
        out.append((first, (*names, COLLAPSED), caller, starts))
        for part in rest:
            stripped, own, part_caller, part_starts, _indent = _strip(part)
            out.append((stripped, tuple(dict.fromkeys((*names, COLLAPSED, *own))), part_caller, part_starts))
    return out


def _repair(text: str) -> tuple[str, tuple[str, ...]]:
    names = []
    for repair in TEXT_REPAIRS:
        if repair.hint in text:
            fixed = repair.pattern.sub(repair.replacement, text[:MAX_LINE]) + text[MAX_LINE:]
            if fixed != text:
                text = fixed
                names.append(repair.name)
    return text, tuple(names)


# -- the pipeline ---------------------------------------------------------------------------------

def normalize(text: str, *, first_line: int = 1) -> list[Line]:
    """Normalise ``text`` into lines with their wrappers undone.

    ``first_line`` is the number of the first line of ``text`` in a larger input
    (the scanner parses windows of a big log and keeps line numbers absolute).
    Joining every line's ``raws`` with ``\\n`` gives ``text`` back (without a final
    newline).

    >>> [line.text for line in normalize("[ 1.000000] WARNING: x\\n> [ 1.000001] y")]
    ['WARNING: x', 'y']
    >>> normalize("> [ 1.000001] y")[0].wrappers
    ('quote', 'timestamp')
    >>> [(l.no, l.text) for l in normalize("May  7 12:37:01 h kernel: [ 1.0] a:#012b")]
    [(1, 'a:'), (1, 'b')]
    """
    raws = _input_lines(text)
    quoted_printable, utf7 = _is_quoted_printable(text), _is_utf7(text)
    if quoted_printable:
        logical = _logical_lines(raws)
    else:
        logical = zip(zip(raws), raws, itertools.repeat(()))  # ((raw,), raw, ()) for each, in C
    if utf7:
        logical = _utf7_lines(logical)
    # The regex for the text's own hints, when the lines are read as they are (decoding may
    # spell a hint that the text does not).
    plain_line = (_PLAIN_CONSOLE_LINE if quoted_printable or utf7 else _plain_console_line(text)).match
    out: list[Line] = []
    seen_record_prefix = False
    caller = None
    indent = None
    no = first_line
    # Repairs run only on lines holding their hint, and only if the text holds one at all.
    repairs = any(hint in text for hint in _REPAIR_HINTS)
    # Whether any line may be the piece of a hard-wrapped one (see _may_continue): in a log
    # whose every line has a console prefix, none can, and the join pass is skipped.
    may_wrap = False
    for group, decoded, decoded_by in logical:
        plain = plain_line(decoded) if indent is None and len(decoded) <= MAX_LINE else None
        if plain is not None and not decoded_by and not repairs:
            # Most lines: the console's prefix and nothing else, one piece that starts a record
            # (what _strip would say, sooner: see _plain_line). No timestamp in its text, so no
            # collapsed newlines; no wrapper a hard-wrapped piece may have.
            stripped, line_caller = plain.group("text", "caller")
            seen_record_prefix = True
            caller = line_caller
            out.append(Line(no, group[0], stripped, _PLAIN_NAMES, line_caller, False, (), 0))
            no += 1
            continue
        if plain is not None:
            stripped, names, line_caller, record_start = plain.group("text"), _PLAIN_NAMES, plain.group("caller"), True
        else:
            stripped, names, line_caller, record_start, indent = _strip(decoded, indent)
        if decoded_by:
            names = decoded_by + names
        joined = tuple(group[1:]) if len(group) > 1 else ()
        escaped = names and not _ESCAPING.isdisjoint(names)
        if not escaped and not repairs and not ("[" in stripped and COLLAPSED_AT.search(stripped)):
            # The common case: one line, one piece.
            if record_start:
                seen_record_prefix = True
                caller = line_caller
            continuation = seen_record_prefix and not record_start and stripped != "" and not stripped.isspace()
            out.append(Line(no, group[0], stripped, names, caller if continuation else line_caller,
                            continuation, joined, 0))
            may_wrap = may_wrap or (_WRAP_PIECE_WRAPPERS.issuperset(names) and stripped != "" and not stripped.isspace())
            no += len(group)
            continue
        # Pieces of the line: (text, wrappers, caller, starts a record).
        if escaped:
            texts, escapes = _split_escaped(stripped)
            names += escapes
            pieces = [(piece, names, line_caller, record_start and not index) for index, piece in enumerate(texts)]
        else:
            pieces = [(stripped, names, line_caller, record_start)]
        if "[" in stripped and COLLAPSED_AT.search(stripped):
            pieces = _split_collapsed(pieces)
        for index, (piece, wrappers, piece_caller, starts) in enumerate(pieces):
            if starts:
                seen_record_prefix = True
                caller = piece_caller
            if repairs and any(map(piece.__contains__, _REPAIR_HINTS)):
                piece, repaired = _repair(piece)
                wrappers += repaired
            continuation = seen_record_prefix and not starts and piece.strip() != ""
            out.append(Line(no, group[0], piece, wrappers, caller if continuation else piece_caller,
                            continuation, joined, index))
            may_wrap = may_wrap or (_WRAP_PIECE_WRAPPERS.issuperset(wrappers) and piece.strip() != "")
        no += len(group)
    if _ENDS_IN_PAREN.search(text) is not None:
        out = _join_kern_cont(out)
    return _join_hard_wrapped(out) if may_wrap else out


# -- KERN_CONT fragments --------------------------------------------------------------------------

#: A line that ends in ``(``: every lock printed in pieces has one (a fast test on the text).
_ENDS_IN_PAREN = re.compile(r"\((?:\r|\^M)?$", re.M)
#: Where a lock printed in pieces opens (:data:`KERN_CONT_FRAGMENTS`' ``open``).
_KERN_CONT_OPENER = next(f.pattern for f in KERN_CONT_FRAGMENTS if f.name == "open")
#: The shapes (:func:`_shape`) a rebuilt lock line must have.
_KERN_CONT_SHAPES = frozenset({"lock", "held_lock", "chain_entry", "scenario_step"})


def _kern_cont_end(lines: list[Line], i: int) -> int | None:
    """Index of the last line of the lock whose fragments start at ``lines[i]``, or None.

    Walks :data:`~splatkit.grammar.wrappers.KERN_CONT_FRAGMENTS` in order; an ``, at:``
    piece without its frame takes the next line (print_ip_sym() printed it on its own).
    """
    k = i
    for fragment in KERN_CONT_FRAGMENTS:
        matched = False
        while k < len(lines) and k - i < KERN_CONT_MAX_LINES:
            text = lines[k].text
            m = fragment.pattern.match(text) if fragment.pattern is not None else (text.strip() != "" or None)
            if not m:
                break
            matched = True
            k += 1
            if fragment.name == "at" and m.group("frame") is None and k < len(lines):
                k += 1  # the frame, on the next line
            if not fragment.repeat:
                break
        if not matched and not fragment.optional:
            return None
    return k - 1 if k - i >= 3 else None


def _join_kern_cont(lines: list[Line]) -> list[Line]:
    """Rebuild lock lines that 4.9-4.10 printed one printk() per line.

    Only where a line is a lone ``(`` or ``lock(`` (never a whole report line in any other
    era), and only when the rebuilt text reads as a lock line; the pieces are joined as
    printed, without blanks, but for one after ``at:``.
    """
    out: list[Line] = []
    i = 0
    while i < len(lines):
        opener = next((k for k in (i, i + 1) if k < len(lines) and _KERN_CONT_OPENER.match(lines[k].text)), None)
        end = _kern_cont_end(lines, i) if opener is not None else None
        if end is not None:
            pieces = [line.text for line in lines[i:end + 1]]
            text = pieces[0]
            for piece in pieces[1:]:
                text += (" " if text.endswith("at:") and not piece.startswith(" ") else "") + piece
            if _shape(text) in _KERN_CONT_SHAPES:
                first = lines[i]
                names = list(first.wrappers)
                for line in lines[i + 1:end + 1]:
                    names.extend(w for w in line.wrappers if w not in names)
                raws = tuple(r for line in lines[i:end + 1] for r in line.raws)
                out.append(Line(first.no, first.raw, text, (*names, KERN_CONT), first.caller,
                                first.continuation, raws[1:]))
                i = end + 1
                continue
        out.append(lines[i])
        i += 1
    return out


# -- mail hard-wrapping ---------------------------------------------------------------------------

#: Section rules whose match is a whole report line (the permissive ones are not listed:
#: ``held_lock`` is checked with its lock, ``chain_names`` and ``registers`` take anything).
_WHOLE_LINE_RULES = ("lock", "frame", "chain_entry", "cpu_info", "pid_info", "scenario_step", "scenario_event",
                     "hardware", "workqueue", "taint_legend", "call_trace", "warn_info", "end_trace",
                     "registers", "stack_words")


def _whole_line_steps(names: tuple[str, ...]) -> tuple[tuple[Any, tuple[str, ...]], ...]:
    """``names``' rules as steps: (matcher, names), a run of one-regex rules tried in one
    :class:`FirstMatch` (see :func:`~splatkit.grammar.sections.rule_runs`)."""
    return tuple((FirstMatch([RULES[n].pattern for n in run]), run) if len(run) > 1 else (RULES[run[0]].match, run)
                 for run in rule_runs(names))


#: _WHOLE_LINE_RULES, in that order, as steps (see _whole_line_steps).
_WHOLE_LINE_STEPS = _whole_line_steps(_WHOLE_LINE_RULES)


#: Lines that end in optional or free parts (a frame's `` [module]``, a lock's ``, at:`` frame,
#: the hardware name, the build after a CPU line's release, register and stack dumps): the
#: first piece of such a line reads as the same shape as the whole, shorter.
_TAIL_SHAPES = frozenset({"frame", "lock", "held_lock", "hardware", "stack_words", "cpu_info",
                          "pid_info", "registers"})
#: The rest of a register dump line (``Code:`` bytes, register values): only this joins one.
#: Words are separated by blanks so that no two repetitions can match the same text (no
#: catastrophic backtracking on a long run of hex digits).
_REGISTER_TAIL = re.compile(r"^\s*<?\(?[0-9a-f]{2,16}\)?>?(?:\s+<?\(?[0-9a-f]{2,16}\)?>?)*\s*$")


#: What a line's last piece may read as and still be a piece: nothing, or a kernel ident
#: (any two words that start with a digit read as one: "0.20231025.0-0 10/25/2023").
_WEAK_SHAPES = frozenset({None, "kernel"})


#: Every section's header in one match (a line is read as the first section whose header it is).
_SECTION_NAMES = tuple(SECTIONS)
_ANY_SECTION_HEADER = FirstMatch([SECTIONS[name].header for name in _SECTION_NAMES])


def _shape(text: str) -> str | None:
    """Which kind of report line ``text`` reads as in full, or None.

    A piece of a hard-wrapped line reads as none, or as another kind than the whole
    line (a CPU line cut before its release reads as a ``stack_dump`` header).
    """
    if not text.strip() or len(text) > MAX_LINE:
        return None
    if match_banner(text) is not None:
        return "banner"
    if IDENT.match(text):
        return "kernel"
    if RULE_EQ.match(text) or RULE_DASH.match(text):
        return "rule"
    # Line rules before section headers: a whole "CPU: ..." line is a cpu_info line, its
    # first piece only a stack_dump header.
    for matcher, names in _WHOLE_LINE_STEPS:
        if isinstance(matcher, FirstMatch):
            m = matcher.match_any(text)
            if m is not None:
                return names[matcher.resolve(m, text)[0]]
            continue
        value = matcher(text, 0)
        if value is not None:
            # A lock whose "at:" location does not read as a frame was cut after "at:".
            at = getattr(value, "at", None)
            return f"{names[0]}-cut" if at is not None and at.function is None else names[0]
    m = RULES["irq_event"].match(text, 0)
    if m is not None:  # "hardirqs last  enabled at (N): [<addr>] f+0x1/0x2", maybe cut before f
        at = m.group("at")
        return "irq_event" if not at or parse_frame(at) is not None else "irq_event-cut"
    m = RULES["held_lock"].match(text, 0)
    if m is not None:
        lock = parse_lock_desc(m.group("rest"))
        if lock is not None:
            return "held_lock" if lock.at is None or lock.at.function is not None else "held_lock-cut"
    header = _ANY_SECTION_HEADER.match_any(text)
    if header is not None:  # (the first section whose header it is, as a loop over them finds)
        return _SECTION_NAMES[_ANY_SECTION_HEADER.resolve(header, text)[0]]
    if " --> " in text and RULES["chain_names"].match(text, 0):  # "A --> B --> C", cut after an arrow or not
        return "chain_names-cut" if text.rstrip().endswith("-->") else "chain_names"
    return None


def _may_continue(line: Line, nxt: Line) -> bool:
    """Whether ``nxt`` may be the rest of ``line``, cut by a mailer that wraps long lines.

    ``line`` may be a console prefix alone: a mailer breaks ``[   71.160453][ T3699]
    wg_noise_handshake_create_initiation+0xca/0x680`` before the long word.
    """
    if nxt.piece or line.piece or not _WRAP_PIECE_WRAPPERS.issuperset(nxt.wrappers):
        return False
    if not nxt.text.strip() or len(line.text) > MAX_LINE:
        return False
    if not line.text.strip() and _RECORD_PREFIXES.isdisjoint(line.wrappers):
        return False
    first_word = nxt.text.split(None, 1)[0]
    last = line.joined[-1] if line.joined else line.raw
    return len(last.rstrip("\r")) + 1 + len(first_word) > HARD_WRAP_MIN_WIDTH


def _join_hard_wrapped(lines: list[Line]) -> list[Line]:
    """Rejoin lines a mailer hard-wrapped: a line joins the next ones when together they
    read as one report line of another kind than each piece (see :func:`_shape`)."""
    out: list[Line] = []
    shapes: dict[int, str | None] = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        joined = None
        if i + 1 < len(lines) and _may_continue(line, lines[i + 1]):
            joined = _try_join(lines, i, shapes)
        if joined is None:
            out.append(line)
            i += 1
        else:
            out.append(joined[0])
            i += joined[1]
    return out


def _complete(shape: str | None) -> bool:
    return shape is not None and not shape.endswith("-cut")


def _try_join(lines: list[Line], i: int, shapes: dict[int, str | None]) -> tuple[Line, int] | None:
    """The line rebuilt from ``lines[i]`` and the next few, and how many it took; or None.

    The pieces join when together they read as a whole report line (:func:`_shape`) and

    - the first piece does not (a lock cut after ``at:``, a banner cut before its last
      word), or
    - every later piece reads as nothing much (:data:`_WEAK_SHAPES`) and the whole is
      of another kind than the first piece (a ``CPU:`` line cut before its release
      reads as a stack-dump header), or of the same kind with optional tail parts
      (a frame cut before its `` [module]``).

    The longest such join wins. A piece that is a whole line itself is never swallowed
    unless it is the last (two lock lines joined read as one lock with a strange name).

    ``shapes`` keeps each input line's own shape by index: a line is read once as a
    piece of the line before and again as the first piece of its own try.
    """
    def shape_of(k: int) -> str | None:
        if k not in shapes:
            shapes[k] = _shape(lines[k].text)
        return shapes[k]

    first = lines[i]
    text = first.text.rstrip()
    first_shape = shape_of(i)
    later_weak = True
    best = None
    for k in range(i + 1, min(i + HARD_WRAP_MAX_LINES, len(lines))):
        piece = lines[k]
        if not _may_continue(lines[k - 1], piece):
            break
        piece_shape = shape_of(k)
        if piece_shape in SECTIONS:
            break  # a section's header is a line of its own, whatever the line before reads as
        if _complete(first_shape) and _complete(piece_shape) and piece_shape not in _WEAK_SHAPES:
            break  # two whole lines: no join here (see below), and none further
        text = f"{text} {piece.text.strip()}"
        shape = _shape(text)
        if _complete(shape) and (
                not _complete(first_shape)
                or later_weak and piece_shape in _WEAK_SHAPES
                and (shape != first_shape or shape in _TAIL_SHAPES)
                and (shape != "registers" or _REGISTER_TAIL.match(piece.text))):
            best = (text, k)
        if piece_shape not in _WEAK_SHAPES:
            if _complete(piece_shape):
                break
            later_weak = False
    if best is None:
        return None
    text, k = best
    names = list(first.wrappers)
    for piece in lines[i + 1:k + 1]:
        names.extend(w for w in piece.wrappers if w not in names)
    raws = tuple(r for piece in lines[i:k + 1] for r in piece.raws)
    return Line(no=first.no, raw=first.raw, text=text, wrappers=(*names, HARD_WRAP), caller=first.caller,
                continuation=first.continuation, joined=raws[1:]), k - i + 1
