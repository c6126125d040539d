"""The stack walk: from where a title rule matched, down the report to the function to blame.

A title rule names the lines to read (``at:``, a trap's RIP, the frames of a stack
up to the next stack start); the first function of them that may be blamed
(:mod:`.blame`) fills the title's ``%[n]v``. Mirrors google/syzkaller
``pkg/report/report.go``'s ``extractStackFrame`` and ``extractStackFrameImpl``,
with ``linux.go``'s ``linuxStackParams`` (``stackStartRes``, ``frameRes``,
``corruptedLines``) as tables (syzkaller-titles.md §2.5, §3).
"""

from __future__ import annotations

import bisect
import re

from ..grammar.kinds import STACK, STACK_PART_TEXTS, TitleRule, syz_compile
from .blame import _functions, _skip_regex, strip_frame_prefix
from .joined import _lines_holding, _quick_alternation

__all__ = ["CORRUPTED_LINES", "FRAME_LINES", "STACK_START", "in_stack"]

#: Lines that start a stack trace and so end a stack walk (``linuxStackParams.stackStartRes``).
#: "stack backtrace:" is not one: the character before " backtrace" must not be "k".
STACK_START: tuple[re.Pattern[str], ...] = tuple(re.compile(p) for p in (
    r"Call (?:T|t)race",
    r"Allocated:",
    r"Allocated by task [0-9]+:",
    r"Freed:",
    r"Freed by task [0-9]+:",
    r"[^k] backtrace(?: \(crc [0-9A-Fa-f]*\))?:",
    r"Backtrace:",
    r"Uninit was stored to memory at",
    r"status: [0-9a-f]{16} badaddr: [0-9a-f]{16} cause: [0-9a-f]{16}",  # riscv show_regs()
))
#: The riscv entry: its stack has no frames to check (``riscvSpecialStackStart``).
_RISCV_STACK_START = STACK_START[-1]

#: A frame line inside a stack; the groups are the functions (``linuxStackParams.frameRes``).
#: ``? func`` and symbolised ``func file.h:12 [inline]`` lines are not frames.
FRAME_LINES: tuple[re.Pattern[str], ...] = (
    syz_compile(r"^ *(?:{{PC}} ){0,2}{{FUNC}}"),
    # arm: "[<pc>] (callee) from [<pc>] (caller+0x..)", both functions.
    syz_compile(r"^ *{{PC}} \(([a-zA-Z0-9_.]+)\) from {{PC}} \({{FUNC}}"),
)

#: Fault-injection frames: a stack walk that meets one marks the report corrupted
#: (``linuxStackParams.corruptedLines``).
CORRUPTED_LINES: tuple[re.Pattern[str], ...] = (
    re.compile(r"^( \[<?(?:0x)?[0-9a-f]+>?\])? should_fail(slab)?(\.[a-z0-9.]+)?\+0x"),
)

#: Any of STACK_START / CORRUPTED_LINES, in one search (the walks test every line against them).
_STACK_START_ANY = re.compile("|".join(f"(?:{p.pattern})" for p in STACK_START))
_CORRUPTED_ANY = re.compile("|".join(f"(?:{p.pattern})" for p in CORRUPTED_LINES))

#: For each STACK_START regex, a text that every match of it holds, that many characters after
#: the match starts: the regex need only be tried there (:func:`.corrupted._search_from`). The regex
#: engine looks for a regex's first character, and "[^k] backtrace" has none to look for.
_STACK_START_TEXTS: tuple[tuple[str, int], ...] = (
    ("Call ", 0), ("Allocated:", 0), ("Allocated by task ", 0), ("Freed:", 0), ("Freed by task ", 0),
    (" backtrace", 1), ("Backtrace:", 0), ("Uninit was stored to memory at", 0), ("status: ", 0),
)
assert len(_STACK_START_TEXTS) == len(STACK_START)
assert all(text in key.pattern for (text, _), key in zip(_STACK_START_TEXTS, STACK_START))
#: A text that every line matching CORRUPTED_LINES holds.
_CORRUPTED_TEXT = " should_fail"
assert all(_CORRUPTED_TEXT in p.pattern for p in CORRUPTED_LINES)

#: FRAME_LINES in one regex, for the lines of a text joined by newlines: at the start of each
#: line, the first of them that matches there (``^`` is a line start, as each line's own).
_FRAME_LINES_ANY = re.compile("|".join(f"(?:{p.pattern})" for p in FRAME_LINES), re.M)

#: The lines that may start a stack or hold a fault-injection frame (all the lines that do).
_STACK_START_HINT = _quick_alternation([text.strip() for text, _ in _STACK_START_TEXTS])
_CORRUPTED_HINT = re.compile(re.escape(_CORRUPTED_TEXT))


def in_stack(text: str) -> bool:
    """Whether a line holds a stack frame with its offset (``func+0x1f/0x30``, an ``at:``
    line) or starts a stack (:data:`STACK_START`): what the title rules look for after a
    report's last line, where its end is (:func:`splatkit.parse.extent.report_end`).

    >>> in_stack(" lock_acquire+0x1a2/0x4b0"), in_stack("Call Trace:"), in_stack("usb 1-1: new device")
    (True, True, False)
    """
    return "+0x" in text or (_STACK_START_HINT.search(text) is not None and _STACK_START_ANY.search(text) is not None)


def _blamed_functions(rule: TitleRule, block: list[str], position: tuple[int, int]) -> tuple[list[str], bool]:
    """The function of each stack walk of ``rule``, reading from ``position`` on.

    Returns the functions (``corrupted`` for a walk that found none) and False when
    a walk found none or met a fault-injection frame (upstream ``extractStackFrame``).
    """
    line, column = position
    text = _Lines([block[line][column:]] + block[line + 1:])
    skip = _skip_regex(rule.skip)
    functions, ok = _walk(rule.stack, text, skip)
    if ok or not rule.stack2:
        return functions, ok
    return _walk(rule.stack2, text, skip)


class _Lines:
    """The lines a stack walk reads, joined by newlines too, so that one search can read many
    of them at once; and the lines that end walks, found once for all of a rule's walks.

    A search in the joined text finds every line where the same regex matches the line
    alone, when the regex does not look at where a line starts or ends (:func:`_joinable`);
    it may also match across a newline or where a line alone would not, so each line it
    points at is tested on its own before it counts.
    """

    __slots__ = ("lines", "joined", "_known", "_corrupted")

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.joined = "\n".join(lines)
        #: The last line :meth:`start` was asked for, and its offset.
        self._known = (0, 0)
        self._corrupted: list[int] | None = None

    def start(self, line: int) -> int:
        """The offset of ``lines[line]`` in the joined text; past its end for ``len(lines)``.

        Counted from the last line asked for, unless ``line`` is before it (a walk's
        positions grow): a table of every line's offset costs more than the few offsets
        a walk needs.
        """
        if line >= len(self.lines):
            return len(self.joined) + 1
        known, offset = self._known
        if line < known:
            known = offset = 0
        offset += sum(map(len, self.lines[known:line])) + line - known
        self._known = line, offset
        return offset

    def first(self, pattern: re.Pattern[str], pos: int, end: int) -> int:
        """The first of the lines ``pos`` .. ``end - 1`` that ``pattern`` matches (searched
        anywhere in the line), or ``end``."""
        texts = STACK_PART_TEXTS.get(pattern.pattern)
        if texts is not None:
            return self._first_holding(texts, pattern, pos, end)
        if _joinable(pattern):
            return self._first_found(pattern, pattern, pos, end)
        return next((line for line in range(pos, end) if pattern.search(self.lines[line])), end)

    def _first_holding(self, texts: tuple[str, ...], pattern: re.Pattern[str], pos: int, end: int) -> int:
        """The first of the lines ``pos`` .. ``end - 1`` where ``pattern`` is found, looking only
        at the lines that hold one of ``texts`` (every match of ``pattern`` holds one); or ``end``."""
        joined = self.joined
        offset, stop = self.start(pos), self.start(end)
        found = [joined.find(text, offset, stop) for text in texts]
        line = pos
        while True:
            at = min((at for at in found if at >= 0), default=-1)
            if at < 0:
                return end
            line += joined.count("\n", offset, at)
            if pattern.search(self.lines[line]):
                return line
            offset = joined.find("\n", at) + 1  # on to the next line
            if offset == 0:
                return end
            line += 1
            found = [was if was < 0 or was >= offset else joined.find(text, offset, stop)
                     for was, text in zip(found, texts)]

    def _first_found(self, hint: re.Pattern[str], pattern: re.Pattern[str], pos: int, end: int) -> int:
        """The first of the lines ``pos`` .. ``end - 1`` where ``pattern`` is found, looking only
        at the lines a search for ``hint`` in the joined text points at; or ``end``."""
        for line in _lines_holding(hint, self.joined, self.start(pos), self.start(end), pos):
            if line >= end:
                break
            if pattern.search(self.lines[line]):
                return line
        return end

    def corrupted(self, pos: int) -> int:
        """The first line from ``pos`` on with a fault-injection frame (CORRUPTED_LINES), or
        ``len(lines)``."""
        if self._corrupted is None:
            self._corrupted = [line for line in _lines_holding(_CORRUPTED_HINT, self.joined, 0)
                               if _CORRUPTED_ANY.search(self.lines[line])] if _CORRUPTED_TEXT in self.joined else []
        return self._next(self._corrupted, pos)

    def stack_start(self, pos: int, end: int) -> int:
        """The first of the lines ``pos`` .. ``end - 1`` that starts a stack (STACK_START), or
        ``end``."""
        return self._first_found(_STACK_START_HINT, _STACK_START_ANY, pos, end)

    def _next(self, found: list[int], pos: int) -> int:
        i = bisect.bisect_left(found, pos)
        return found[i] if i < len(found) else len(self.lines)


#: Regex syntax that reads a line's start or end, or may fail on a newline where a line's
#: end would pass: a regex without any of it can be searched in lines joined by newlines.
#: (Conservative: a "^" inside a class such as "[^k]" also sends a regex line by line.)
_LINE_BOUND_SYNTAX = ("^", "$", "\\A", "\\Z", "(?!", "(?<!")


def _joinable(pattern: re.Pattern[str]) -> bool:
    """Whether a search in lines joined by newlines finds every line ``pattern`` matches."""
    joinable = _JOINABLE.get(pattern.pattern)
    if joinable is None:
        joinable = _JOINABLE[pattern.pattern] = not any(syntax in pattern.pattern for syntax in _LINE_BOUND_SYNTAX)
    return joinable


#: _joinable's answers, by regex text: the rules' regexes, asked about on every report.
_JOINABLE: dict[str, bool] = {}


def _walk(parts: tuple[re.Pattern[str] | str, ...], text: _Lines, skip: re.Pattern[str]
          ) -> tuple[list[str], bool]:
    """Follow a rule's ``stack`` parts down the lines (upstream ``extractStackFrameImpl``).

    A regex part consumes lines up to the first one it matches, and its groups are
    candidate functions. A :data:`~splatkit.grammar.kinds.STACK` part takes the
    functions of frame lines up to the next stack start, or up to a line that the
    next part matches. Candidates that match ``skip`` are dropped; the first one
    left, without its syscall prefix, is the walk's function. A line with a
    fault-injection frame ends a part and fails the walk.

    Upstream tests each line in turn; here the line that ends a part is searched for
    (:class:`_Lines`), and a stack's frame lines are read only until the first
    candidate, the only one that counts.
    """
    lines = text.lines
    candidates: list[str] = []
    functions: list[str] = []
    ok = True
    walks = 0
    pos = 0
    index = 0
    while True:
        if index == len(parts) or (parts[index] == STACK and walks > 0):
            function = strip_frame_prefix(candidates[0]) if candidates else ""
            if not function:
                function, ok = "corrupted", False
            functions.append(function)
            candidates = []
        if index == len(parts):
            return functions, ok
        part = parts[index]
        corrupted = text.corrupted(pos)
        if part == STACK:
            walks += 1
            following = parts[index + 1] if index + 1 < len(parts) else None
            if isinstance(following, re.Pattern):
                # The frame lines up to the next stack start, or up to a line the next part matches.
                while pos < len(lines):
                    line = lines[pos]
                    pos += 1
                    if pos - 1 == corrupted:
                        ok = False
                        break
                    if _STACK_START_ANY.search(line):
                        break
                    m = following.search(line)
                    if m is not None:
                        candidates += _functions(m, skip)
                        index += 1
                        break
                    candidates += _functions(_frame_line(line), skip)
            else:
                # The frame lines up to the next stack start (or fault-injection frame). Only
                # the first candidate counts: the frames are read up to the first one kept,
                # and the lines read so far searched for a stack start before it.
                first, upto = _first_function(text, pos, corrupted, skip) if not candidates else ([], pos)
                end = text.stack_start(pos, upto)
                if end == upto:
                    candidates += first
                    # Where the walk ends matters to a later part, or when it may end at a
                    # fault-injection frame.
                    end = (text.stack_start(upto, corrupted) if index + 1 < len(parts) or corrupted < len(lines)
                           else len(lines))
                pos = min(end + 1, len(lines))
                if end == corrupted < len(lines):
                    ok = False
        else:
            assert isinstance(part, re.Pattern)
            end = text.first(part, pos, corrupted)
            if end < corrupted:
                candidates += _functions(part.search(lines[end]), skip)
            elif corrupted < len(lines):
                ok = False
            pos = min(end + 1, len(lines))
        index += 1


def _first_function(text: _Lines, pos: int, end: int, skip: re.Pattern[str]) -> tuple[list[str], int]:
    """The first function, not skipped, of the frame lines ``pos`` .. ``end - 1``, as a list
    of at most one (what the frame lines would add to a walk's candidates first), and the
    line after its line (``end`` when there is none)."""
    start = text.start(pos)
    for m in _FRAME_LINES_ANY.finditer(text.joined, start, text.start(end)):
        kept = _functions(m, skip)
        if kept:
            return kept[:1], pos + text.joined.count("\n", start, m.start()) + 1
    return [], end


def _frame_line(text: str) -> re.Match[str] | None:
    for pattern in FRAME_LINES:
        m = pattern.search(text)
        if m is not None:
            return m
    return None
