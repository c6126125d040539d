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

import functools
import itertools
import re

from .encodings import (
    base64_lines,
    blank_lines,
    has_base64_body,
    has_no_break_spaces,
    is_quoted_printable,
    is_utf7,
    qp_lines,
    utf7_decode,
    utf7_lines,
)
from .grammar.tokens import unnamed
from .grammar.tokens import MAX_LINE
from .grammar.wrappers import (
    COLLAPSED,
    COLLAPSED_AT,
    CONTINUATION,
    LINE_ENDS,
    TAB_WIDTH,
    NEWLINE_ESCAPES,
    TEXT_REPAIRS,
    WRAPPERS,
    Wrapper,
)
from .model import Line
from .rejoin import WRAP_PIECE_WRAPPERS, join_hard_wrapped, join_kern_cont, may_hold_kern_cont
from .run_together import may_run_together, split_run_together

__all__ = ["normalize", "split_lines", "utf7_decode"]

# A prefix is stripped at most this many times per line (quote, syslog, timestamp, caller...).
_MAX_STRIPS = 8



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


def _retab(text: str, indent: str, column: int) -> str | None:
    """``text`` (at ``column`` of its input line) starting with the block indentation
    ``indent``, when a mailer wrote its leading blanks with TABs that reach as far; else None.

    >>> _retab("\\t CPU0", "  ", 2)
    '       CPU0'
    """
    leading = text[:len(text) - len(text.lstrip(" \t"))]
    if "\t" not in leading:
        return None
    pad = " " * column
    width = len((pad + leading).expandtabs(TAB_WIDTH)) - column
    needed = len((pad + indent).expandtabs(TAB_WIDTH)) - column
    return indent + " " * (width - needed) + text[len(leading):] if width >= needed else None


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
                retabbed = _retab(text, indent, len(raw[:len(raw) - len(text)].expandtabs(TAB_WIDTH)))
                if retabbed is None:
                    break
                text, found = retabbed, (_BLOCK, len(indent), None)
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


# -- continuation lines ---------------------------------------------------------------------------

def _prefix_end(decoded: str, text: str, names: tuple[str, ...], *, blanks: bool = False) -> int:
    """The column where the prefixes (wrappers ``names``) of input line ``decoded`` end, the
    blanks after them left out unless ``blanks`` (TABs to the next stop); ``text`` is what
    they leave."""
    end = len(decoded) - sum(len(tail) for name, tail in LINE_ENDS if name in names)
    prefix = decoded[:max(end - len(text), 0)]
    return len((prefix if blanks else prefix.rstrip()).expandtabs(TAB_WIDTH))


def _unalign(text: str, column: int, prefix_end: int) -> str:
    """``text``, which starts at ``column`` of its input line, without the blanks that sit it
    under the text of a record whose prefix ends at ``prefix_end`` (see
    :data:`CONTINUATION`).

    Tools align a continuation under the record's text (util-linux dmesg, the journal) or
    under the prefix's last character (a CI's ``<4>[ ts ]`` logs): blanks that reach
    ``prefix_end`` are the tool's, up to one column beyond it. Blanks that stop short of it
    are not a tool's alignment (a line of the kernel's own that no prefix precedes): they
    are kept.

    >>> _unalign("               but task", 0, 14), _unalign("                 but task", 2, 19)
    ('but task', 'but task')
    >>> _unalign("\\t\\t\\t   x", 8, 34), _unalign("                 lock(A);", 0, 14), _unalign(" #0: x", 0, 14)
    ('x', '  lock(A);', ' #0: x')
    """
    i = 0
    while column <= prefix_end:
        if i == len(text) or text[i] not in " \t":
            if column < prefix_end:
                return text  # (the same object: nothing was undone)
            break
        column = (column // TAB_WIDTH + 1) * TAB_WIDTH if text[i] == "\t" else column + 1
        i += 1
    return text[i:]


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
    quoted_printable, utf7 = is_quoted_printable(text), is_utf7(text)
    if quoted_printable:
        logical = qp_lines(raws)
    else:
        logical = zip(zip(raws), raws, itertools.repeat(()))  # ((raw,), raw, ()) for each, in C
    base64_body = has_base64_body(text)
    if base64_body:
        logical = base64_lines(iter(logical))
    if utf7:
        logical = utf7_lines(logical)
    no_break_spaces = has_no_break_spaces(text)
    if no_break_spaces or quoted_printable:  # (decoding may spell them)
        logical = blank_lines(logical)
    # The regex for the text's own hints, when the lines are read as they are (decoding may
    # spell a hint that the text does not).
    plain_line = (_PLAIN_CONSOLE_LINE if quoted_printable or utf7 or no_break_spaces or base64_body
                  else _plain_console_line(text)).match
    out: list[Line] = []
    seen_record_prefix = False
    caller = None
    # The input line, text and wrappers of the line that started the current printk record
    # (see _unalign); None outside a record.
    record: tuple[str, str, tuple[str, ...]] | None = None
    bare_record = False  # whether that record began with an empty line
    indent = None
    no = first_line
    # Repairs run only on lines holding their hint, and only if the text holds one at all.
    repairs = any(hint in text for hint in _REPAIR_HINTS)
    # Whether any line may be the piece of a hard-wrapped one (see _may_continue): in a log
    # whose every line has a console prefix, none can, and the join pass is skipped.
    may_wrap = False
    pieces_seen = False  # whether an input line was split into several
    # An input line that several logical lines come from (a base64 body): its number, raw
    # text and the pieces read from it so far.
    shared_no, shared_raw, shared_pieces = no, "", 0
    for group, decoded, decoded_by in logical:
        if group:
            shared_no, shared_raw, shared_pieces = no, group[0], 0
        else:  # a piece of the input line before (see base64_lines)
            shared_pieces += 1
        plain = plain_line(decoded) if indent is None and len(decoded) <= MAX_LINE else None
        if plain is not None and not decoded_by and not repairs:
            # Most lines: the console's prefix and nothing else, one piece that starts a record
            # (what _strip would say, sooner: see _plain_line). No timestamp in its text, so no
            # collapsed newlines; no wrapper a hard-wrapped piece may have.
            stripped, line_caller = plain.group("text", "caller")
            seen_record_prefix = True
            caller = line_caller
            record, bare_record = (decoded, stripped, _PLAIN_NAMES), not stripped.strip()
            out.append(Line(no, group[0], stripped, _PLAIN_NAMES, line_caller, False, (), 0))
            no += 1
            continue
        if plain is not None:
            stripped, names, line_caller, record_start = plain.group("text"), _PLAIN_NAMES, plain.group("caller"), True
        else:
            stripped, names, line_caller, record_start, indent = _strip(decoded, indent)
        if decoded_by:
            names = decoded_by + names
        if record_start:
            record, bare_record = (decoded, stripped, names), not stripped.strip()
        elif record is not None and stripped != "" and not stripped.isspace():
            # A line without a prefix: a later line of the record, aligned under its text or
            # at column 0 after a record that began with a newline; or, once one line is
            # neither, text of its own (another log pasted after this one).
            unaligned = _unalign(stripped, _prefix_end(decoded, stripped, names, blanks=True),
                                 _prefix_end(*record))
            if unaligned is not stripped or (bare_record and not stripped[0].isspace()):
                stripped, names = unaligned, (*names, CONTINUATION)
            else:
                record = None
        elif record is not None:
            bare_record = False  # (a blank line ends a record's lines at column 0)
        joined = tuple(group[1:]) if len(group) > 1 else ()
        escaped = names and not _ESCAPING.isdisjoint(names)
        if not escaped and not repairs and not ("[" in stripped and COLLAPSED_AT.search(stripped)):
            # The common case: one line, one piece.
            if record_start:
                seen_record_prefix = True
                caller = line_caller
            continuation = seen_record_prefix and not record_start and stripped != "" and not stripped.isspace()
            out.append(Line(shared_no, shared_raw, stripped, names, caller if continuation else line_caller,
                            continuation, joined, shared_pieces))
            may_wrap = may_wrap or (WRAP_PIECE_WRAPPERS.issuperset(names) and stripped != "" and not stripped.isspace())
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
            out.append(Line(shared_no, shared_raw, piece, wrappers, caller if continuation else piece_caller,
                            continuation, joined if index == 0 else (), shared_pieces + index))
            may_wrap = may_wrap or (WRAP_PIECE_WRAPPERS.issuperset(wrappers) and piece.strip() != "")
        shared_pieces += len(pieces) - 1
        pieces_seen = pieces_seen or len(pieces) > 1
        no += len(group)
    # (Fast tests on the input text; a decoded text, or lines split out of one, may hold what
    # the input hid.)
    encoded = quoted_printable or utf7 or base64_body or pieces_seen
    if encoded or may_hold_kern_cont(text):
        out = join_kern_cont(out)
    if may_wrap:
        out = join_hard_wrapped(out)
        if encoded or may_run_together(text):
            out = split_run_together(out)
    return out
