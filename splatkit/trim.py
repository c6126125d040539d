"""A splat cut to what a commit message or a mail should quote.

The kernel's submitting-patches guidance on backtraces in commit messages asks for the
lines that help the reader and nothing else: no timestamps, no addresses, no register
dumps, no ``?`` frames the unwinder only guessed, no frames of the reporting machinery.
Lockdep reports add their own noise (lockdep's frames at the top of every stack, lock
instance addresses before every lock name, except in recursive reports and held-lock dumps, whose
explanations cite them). Two levels:

- ``trimmed``: the report as lockdep printed it, with that noise taken out; the chain,
  the held locks and the call trace stay, line for line.
- ``condensed``: one line per chain entry and per held lock (the lock and the code that
  took it), for when even the trimmed splat is too long to quote.

Both are read off the parsed splat, so every wrapper the parser took off (timestamps,
mail quoting, syslog prefixes) is gone too.

>>> import splatkit, splatkit.samples
>>> splat, = splatkit.parse(splatkit.samples.sample_text())
>>> lines = trim(splat)
>>> "ffffb5fdd4e430a8" in "\\n".join(lines), "dump_stack_lvl+0x83/0xc0" in lines
(False, False)
>>> condensed(splat)[4]
'-> #3 kvm_lock: kvm_dev_ioctl [kvm] (mutex)'
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .analysis.acquisitions import LOCKDEP_INTERNAL, acquisition, establishing_frame
from .grammar.frames import STACK_MARKER, parse_frame
from .model import Frame, LockUse, Splat

__all__ = ["LEVELS", "condensed", "frame_text", "trim", "trimmed_text"]

LEVELS = ("trimmed", "condensed")

#: Sections whose lines are stack frames (and the headers and markers around them).
_STACK_FIELDS = frozenset(("chain", "backtrace", "stack_dump", "registered", "became_safe", "became_unsafe",
                           "dependencies", "state_changed", "takes", "release", "contend", "last_function",
                           "rcu_source", "trying_lock", "not_holding", "freeing", "exiting"))
#: Lines of a stack dump that are about the machine, not the code: dropped.
_MACHINE_LINE = re.compile(
    r"^\s*(?:CPU: \d+ |Hardware name:|Modules linked in:|RIP:|RSP:|R[A-Z0-9]{1,2}: [0-9a-f]|Code: |EFLAGS:"
    r"|[A-Z]S: +[0-9a-f]+ |CR[0-9]: |DR[0-9]: |PKRU:|pc : |lr : |sp : |x\d+ *: |Workqueue: |Call trace:\s*$"
    r"|Call Trace:\s*$|<[A-Z]+>\s*$|</[A-Z]+>\s*$|irq event stamp:|\S+ last +(?:en|dis)abled at)"
)
_HEADERS_KEPT = re.compile(r"^\s*(?:Call [Tt]race:|stack backtrace:)\s*$")
#: Addresses in lock lines and irq-event lines: a lock instance before ``(name)``, ``[<...>]``.
_ADDRESSES = (
    re.compile(r"(?<![\w>])(?:0x)?[0-9a-f]{8,16} (?=\()"),
    re.compile(r"\[<[0-9a-f]+>\] ?|\(____ptrval____\) ?|\(ptrval\) ?"),
)
_BLANK = re.compile(r"^\s*$")


def frame_text(frame: Frame) -> str:
    """A frame as ``%pS`` prints it, without its address: ``func+0x1f/0x30 [mod]`` (and ``file:line``)."""
    if frame.function is None:
        return frame.text
    text = frame.function
    if frame.offset is not None and frame.size is not None:
        text += f"+0x{frame.offset:x}/0x{frame.size:x}"
    if frame.module:
        text += f" [{frame.module}]"
    if frame.source:
        text += f" {frame.source}"
    if frame.inline:
        text += " [inline]"
    return text


def _noise(frame: Frame) -> bool:
    return frame.unreliable or frame.function is None or bool(LOCKDEP_INTERNAL.match(frame.function))


#: Kinds whose explanation reads the lock instance addresses (same object or two of one class;
#: who holds the lock another task waits for): the trimmed splat keeps them as evidence.
_KEEPS_INSTANCES = frozenset({"recursive", "held_locks_dump"})


def _no_addresses(text: str, keep_instances: bool = False) -> str:
    for pattern in _ADDRESSES[1:] if keep_instances else _ADDRESSES:
        text = pattern.sub("", text)
    return text


def trim(splat: Splat) -> list[str]:
    """The splat's lines without timestamps, addresses, registers, ``?`` and lockdep-internal frames."""
    fields = dict(splat.line_fields)
    interleaved = set(splat.interleaved)
    keep = splat.kind in _KEEPS_INSTANCES
    out: list[str] = []
    for line in splat.lines:
        if line.piece and not line.text:
            continue
        field = fields.get(line.no)
        if line.no in interleaved or field == "joined":
            continue
        text = line.text.rstrip()
        if field in _STACK_FIELDS or field == "modules":
            if _HEADERS_KEPT.match(text):
                out.append(text.strip())
                continue
            if _MACHINE_LINE.match(text) or STACK_MARKER.match(text) or field == "modules":
                continue
            frame = parse_frame(text)
            if frame is not None:
                if not _noise(frame):
                    out.append(" " + frame_text(frame))
                continue
        if field is None and not text.strip():
            continue
        out.append(_no_addresses(text, keep))
    return _squeeze_blanks(out)


def _squeeze_blanks(lines: list[str]) -> list[str]:
    out: list[str] = []
    for text in lines:
        if _BLANK.match(text):
            if out and out[-1]:
                out.append("")
        else:
            out.append(text)
    while out and not out[-1]:
        out.pop()
    return out


def _lock(lock: LockUse) -> str:
    return lock.name + (f" at {frame_text(_bare(lock.at))}" if lock.at is not None and lock.at.function else "")


def _bare(frame: Frame) -> Frame:
    """The frame without its offsets: condensed lines name functions only."""
    return Frame(frame.function, module=frame.module, source=frame.source, inline=frame.inline, text=frame.text)


def _first_frames(frames: Iterable[Frame], count: int = 3) -> str:
    kept = [frame_text(_bare(f)) for f in frames if not _noise(f)][:count]
    return " <- ".join(kept)


def condensed(splat: Splat) -> list[str]:
    """One line per chain entry and per held lock: the lock and the code that took it."""
    out = [splat.banner.strip()]
    if splat.kernel is not None:
        out.append(" ".join(p for p in (splat.kernel.release, splat.kernel.build, splat.kernel.taint) if p))
    who = str(splat.task) if splat.task else "the task"
    if splat.acquiring is not None:
        out.append(f"{who} is trying to acquire {_lock(splat.acquiring)}")
    if splat.holding is not None:
        out.append(f"but task is already holding {_lock(splat.holding)}")
    if splat.unheld_lock is not None:
        out.append(f"lock: {splat.unheld_lock.name}"
                   + (f" at {_first_frames(splat.unheld_at, 1)}" if splat.unheld_at else ""))
    for entry in splat.chain:
        frame, _via = establishing_frame(entry.frames)
        found = acquisition(entry.frames)
        where = frame_text(_bare(frame)) if frame is not None else "(stack not shown)"
        out.append(f"-> #{entry.index} {entry.lock.name}: {where}" + (f" ({found})" if found else ""))
    for trace in splat.traces:
        out.append(f"{trace.usage} ({trace.event.replace('_', ' ')}) at {_first_frames(trace.frames) or '?'}")
    if splat.held_locks:
        count = splat.held_locks_count if splat.held_locks_count is not None else len(splat.held_locks)
        out.append(f"{count} lock{'s' if count != 1 else ''} held by {who}:")
        out += [f" #{h.index}: {_lock(h.lock)}" for h in splat.held_locks]
    for dump in splat.held_lock_dumps:
        out.append(f"{dump.count} lock{'s' if dump.count != 1 else ''} held by {dump.task}:")
        out += [f" #{h.index}: {_lock(h.lock)}" for h in dump.held_locks]
    if splat.backtrace:
        frame, _via = establishing_frame(splat.backtrace)
        start = splat.backtrace.index(frame) if frame is not None else 0
        out.append("stack: " + (_first_frames(splat.backtrace[start:], 6) or "(only lockdep's frames)"))
    return out


def trimmed_text(splat: Splat, level: str = "trimmed") -> str:
    """:func:`trim` or :func:`condensed` as text, by ``level`` (one of :data:`LEVELS`)."""
    if level not in LEVELS:
        raise ValueError(f"unknown trim level {level!r}; use one of {', '.join(LEVELS)}")
    lines = trim(splat) if level == "trimmed" else condensed(splat)
    return "\n".join(lines) + "\n"
