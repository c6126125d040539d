"""Report lines that reached us in pieces, rejoined.

Two causes, each undone after the prefixes are stripped
(:func:`splatkit.lines.normalize`): 4.9-4.10 printed a lock line one ``printk()``
per line (``kern-cont``, lockdep-format.md pitfall 5), and mailers hard-wrap long
lines at 72-80 columns (``hard-wrap``). Both rejoin pieces only where the whole
reads as one report line (:func:`shape`), so the rules need the report grammar.
The rebuilt :class:`~splatkit.model.Line` keeps every input line it took in
``Line.joined``.
"""

from __future__ import annotations

import re
from typing import Any

from .grammar.frames import parse_frame
from .grammar.kinds import IDENT, RULE_DASH, RULE_EQ, FirstMatch, match_banner
from .grammar.locks import parse_lock_desc
from .grammar.sections import CHAIN_NAMES_SEPARATOR, RULES, SECTIONS, rule_runs
from .grammar.tokens import MAX_LINE
from .grammar.wrappers import (
    HARD_WRAP,
    HARD_WRAP_MAX_LINES,
    HARD_WRAP_MIN_WIDTH,
    KERN_CONT,
    KERN_CONT_FRAGMENTS,
    KERN_CONT_MAX_LINES,
    NO_BREAK_SPACE,
    QP,
    CONTINUATION,
    WRAPPERS,
)
from .model import Line

__all__ = ["RECORD_PREFIXES", "WRAP_PIECE_WRAPPERS", "complete", "join_hard_wrapped", "join_kern_cont",
           "may_hold_kern_cont", "shape"]

#: Wrappers a hard-wrapped piece may carry: the mailer broke the line after these were added
#: (quoting) or they were added to every line (a commit's indentation), never a kernel prefix.
WRAP_PIECE_WRAPPERS = frozenset({"quote", "indent", "crlf", "caret-m", QP, NO_BREAK_SPACE, CONTINUATION})
#: Wrappers that start a printk record (a timestamp, a syslog prefix...): a line that has one was
#: printed whole, never a piece of another.
RECORD_PREFIXES = frozenset(w.name for w in WRAPPERS if w.record_start)

# -- KERN_CONT fragments --------------------------------------------------------------------------

#: A line that ends in ``(``: every lock printed in pieces has one (a fast test on the text).
_ENDS_IN_PAREN = re.compile(r"\((?:\r|\^M)?$", re.M)


def _rejoined(pieces: list[Line], text: str, wrappers: tuple[str, ...]) -> Line:
    """One line rebuilt from ``pieces``, standing for every input line they stand for."""
    first = pieces[0]
    raws = tuple(r for piece in pieces for r in piece.raws)
    # (A piece of an input line stands for the input lines joined after it, not its own.)
    joined = raws if first.piece else raws[1:]
    return Line(first.no, first.raw, text, wrappers, first.caller, first.continuation, joined, first.piece)


def may_hold_kern_cont(text: str) -> bool:
    """Whether ``text`` may hold a lock printed in pieces (a fast test on the whole input)."""
    return _ENDS_IN_PAREN.search(text) is not None
#: Where a lock printed in pieces opens (:data:`KERN_CONT_FRAGMENTS`' ``open``).
_KERN_CONT_OPENER = next(f.pattern for f in KERN_CONT_FRAGMENTS if f.name == "open")
#: The shapes (:func:`shape`) a rebuilt lock line must have.
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


def join_kern_cont(lines: list[Line]) -> list[Line]:
    """Rebuild lock lines that 4.9-4.10 printed one printk() per line.

    Only where a line is a lone ``(`` or ``lock(`` (never a whole report line in any other
    era), and only when the rebuilt text reads as a lock line; the pieces are joined as
    printed, without blanks, but for one after ``at:``.
    """
    # A lock's fragments start at its opening line or at the line before (its lead): a lock is
    # tried there only, so the pass costs one regex per line and the work per opening line.
    opens = _KERN_CONT_OPENER.match
    starts = sorted({start for k, line in enumerate(lines) if opens(line.text) for start in (k - 1, k) if start >= 0})
    out: list[Line] = []
    done = 0  # lines[:done] are in out
    for i in starts:
        end = _kern_cont_end(lines, i) if i >= done else None
        if end is None:
            continue
        pieces = [line.text for line in lines[i:end + 1]]
        text = pieces[0]
        for piece in pieces[1:]:
            text += (" " if text.endswith("at:") and not piece.startswith(" ") else "") + piece
        if shape(text) in _KERN_CONT_SHAPES:
            names = list(lines[i].wrappers)
            for line in lines[i + 1:end + 1]:
                names.extend(w for w in line.wrappers if w not in names)
            out += lines[done:i]
            out.append(_rejoined(lines[i:end + 1], text, (*names, KERN_CONT)))
            done = end + 1
    out += lines[done:]
    return out


# -- mail hard-wrapping ---------------------------------------------------------------------------

#: Section rules whose match is a whole report line (the permissive ones are not listed:
#: ``held_lock`` is checked with its lock, ``chain_names`` and ``registers`` take anything).
_WHOLE_LINE_RULES = ("lock", "frame", "chain_entry", "cpu_info", "pid_info", "scenario_step", "scenario_event",
                     "hardware", "workqueue", "taint_legend", "call_trace", "warn_info", "end_trace",
                     "registers", "stack_words", "class_header", "class_key", "rcu_state", "rcu_note",
                     "wait_context", "collision_depth", "acquired_at")


def _whole_line_steps(names: tuple[str, ...]) -> tuple[tuple[Any, tuple[str, ...]], ...]:
    """``names``' rules as steps: (matcher, names), a run of one-regex rules tried in one
    :class:`FirstMatch` (see :func:`~splatkit.grammar.sections.rule_runs`)."""
    return tuple((FirstMatch([RULES[n].pattern for n in run]), run) if len(run) > 1 else (RULES[run[0]].match, run)
                 for run in rule_runs(names))


#: _WHOLE_LINE_RULES, in that order, as steps (see _whole_line_steps).
_WHOLE_LINE_STEPS = _whole_line_steps(_WHOLE_LINE_RULES)


#: Lines that end in optional or free parts (a frame's `` [module]``, a lock's ``, at:`` frame,
#: the hardware name, the build after a CPU line's release, the taint flags after a version,
#: register and stack dumps): the first piece of such a line reads as the same shape as the
#: whole, shorter.
_TAIL_SHAPES = frozenset({"frame", "lock", "held_lock", "hardware", "stack_words", "cpu_info",
                          "pid_info", "registers", "kernel"})
#: The rest of a register dump line (``Code:`` bytes, register values and names, ``0018:ffff...``,
#: the source line syzbot adds after ``RIP:``): only this joins one.
#: Words are separated by blanks so that no two repetitions can match the same text (no
#: catastrophic backtracking on a long run of hex digits).
_REGISTER_WORD = r"(?:<?\(?[0-9a-f]{2,16}\)?>?|[0-9a-f]{4}:[0-9a-f]{8,16}|[A-Z][A-Z0-9_]{1,9}:|[\w./+-]+\.[chS]:\d+)"
_REGISTER_TAIL = re.compile(rf"^\s*{_REGISTER_WORD}(?:\s+{_REGISTER_WORD})*\s*$")


#: What a line's last piece may read as and still be a piece: nothing, or a kernel ident
#: (any two words that start with a digit read as one: "0.20231025.0-0 10/25/2023").
_WEAK_SHAPES = frozenset({None, "kernel"})


#: Every section's header in one match (a line is read as the first section whose header it is).
_SECTION_NAMES = tuple(SECTIONS)
_ANY_SECTION_HEADER = FirstMatch([SECTIONS[name].header for name in _SECTION_NAMES])


def shape(text: str) -> str | None:
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
    if CHAIN_NAMES_SEPARATOR.search(text) and RULES["chain_names"].match(text, 0):  # "A --> B --> C", cut or not
        return "chain_names-cut" if text.rstrip().endswith(("-->", "\u2192", "\u27f6")) else "chain_names"
    return None


#: Closing brackets: a mailer that wraps a line already wrapped may leave one alone on a line.
_CLOSERS = frozenset({")", "]", "}"})


def _closer_gap(text: str, closer: str) -> str:
    """The blank before a closing bracket that a mailer moved to the next line, as the bracket
    it closes was opened: ``[ BUG: ... held! ]`` has one, ``[reiser4]`` none.

    >>> _closer_gap("[ BUG: x held!", "]"), _closer_gap("f+0x1/0x2 [reiser4", "]")
    (' ', '')
    """
    opener = text.rfind({")": "(", "]": "[", "}": "{"}[closer])
    return " " if opener != -1 and text[opener + 1:opener + 2] == " " else ""


def _may_continue(line: Line, nxt: Line) -> bool:
    """Whether ``nxt`` may be the rest of ``line``, cut by a mailer that wraps long lines.

    ``line`` may be a console prefix alone: a mailer breaks ``[   71.160453][ T3699]
    wg_noise_handshake_create_initiation+0xca/0x680`` before the long word.
    """
    if nxt.piece or line.piece or not WRAP_PIECE_WRAPPERS.issuperset(nxt.wrappers):
        return False
    if not nxt.text.strip() or len(line.text) > MAX_LINE:
        return False
    if not line.text.strip() and RECORD_PREFIXES.isdisjoint(line.wrappers):
        return False
    first_word = nxt.text.split(None, 1)[0]
    if first_word in _CLOSERS and first_word == nxt.text.strip():
        return True  # a bracket alone on a line closes the line before, however short
    last = line.joined[-1] if line.joined else line.raw
    return len(last.rstrip("\r")) + 1 + len(first_word) > HARD_WRAP_MIN_WIDTH


def join_hard_wrapped(lines: list[Line]) -> list[Line]:
    """Rejoin lines a mailer hard-wrapped: a line joins the next ones when together they
    read as one report line of another kind than each piece (see :func:`shape`)."""
    # Only a line that may be a piece (no kernel prefix: WRAP_PIECE_WRAPPERS) continues the one
    # before: joins are tried there only, so a log whose lines mostly have a console prefix
    # costs a set test per line.
    may_be_piece = WRAP_PIECE_WRAPPERS.issuperset
    starts = [k - 1 for k in range(1, len(lines)) if may_be_piece(lines[k].wrappers)]
    out: list[Line] = []
    shapes: dict[int, str | None] = {}
    done = 0  # lines[:done] are in out
    for i in starts:
        joined = _try_join(lines, i, shapes) if i >= done and _may_continue(lines[i], lines[i + 1]) else None
        if joined is not None:
            out += lines[done:i]
            out.append(joined[0])
            done = i + joined[1]
    out += lines[done:]
    return out


def complete(shape: str | None) -> bool:
    """Whether a line of ``shape`` (see :func:`shape`) reads as a whole report line."""
    return shape is not None and not shape.endswith("-cut")


def _complete(shape: str | None) -> bool:
    return shape is not None and not shape.endswith("-cut")


def _try_join(lines: list[Line], i: int, shapes: dict[int, str | None]) -> tuple[Line, int] | None:
    """The line rebuilt from ``lines[i]`` and the next few, and how many it took; or None.

    The pieces join when together they read as a whole report line (:func:`shape`) and

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
            shapes[k] = shape(lines[k].text)
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
        rest = piece.text.strip()
        text = f"{text}{_closer_gap(text, rest)}{rest}" if rest in _CLOSERS else f"{text} {rest}"
        whole = shape(text)
        if _complete(whole) and (
                not _complete(first_shape)
                or later_weak and rest in _CLOSERS
                or later_weak and piece_shape in _WEAK_SHAPES
                and (whole != first_shape or whole in _TAIL_SHAPES)
                and (whole != "registers" or _REGISTER_TAIL.match(piece.text))):
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
    return _rejoined(lines[i:k + 1], text, (*names, HARD_WRAP)), k - i + 1
