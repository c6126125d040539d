"""Pieces every kind's explanation uses: naming code, the facts line, held locks, what is unknown.

A reviewer names the code, not the stack: "``set_nx_huge_pages()`` [kvm] takes
``&kvm->slots_lock``". :func:`site` gives that name for a frame, with ``file:line``
when the frame was decoded or symbolised; :func:`stack_site` finds the frame to name
in a stack (the first one outside lockdep and the locking API).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ...model import Frame, HeldLock, LockUse, Splat
from ...trim import trim
from ...grammar.frames import parse_frame
from ..acquisitions import LOCKDEP_INTERNAL, LOCKING_API, WARN_MACHINERY, establishing_frame
from .document import Bullets, Code, Explanation, Paragraph, Section, a, para, prose

__all__ = ["STATIC_CLASS", "acquired_site", "backtrace", "facts", "finish", "foreign_stack", "held_locks_section",
           "held_site", "kernel_version", "lock_site", "names", "notes", "site", "stack_site"]


def site(frame: Frame | None) -> Paragraph:
    """``func()`` [module] (file:line) for a frame; "code the splat does not show" for None.

    >>> str(site(Frame("set_nx_huge_pages", module="kvm", source="arch/x86/kvm/mmu/mmu.c:7120")))
    'set_nx_huge_pages() [kvm] (arch/x86/kvm/mmu/mmu.c:7120)'
    """
    if frame is None or frame.function is None:
        return para("code the splat does not show")
    return para(Code(f"{frame.function}()"), f" [{frame.module}]" if frame.module else None, _source(frame.source))


def _source(source: str | None) -> Paragraph | None:
    """`` (file:line)``; for an inline chain (decoded stacks print the innermost inlined call
    first and the function's own line last) the function's own line, then the inlined ones.

    >>> str(_source("include/linux/sched/mm.h:318 mm/slub.c:4452 mm/slub.c:5231"))
    ' (mm/slub.c:5231; inlined: include/linux/sched/mm.h:318, mm/slub.c:4452)'
    """
    if not source:
        return None
    parts = source.split()
    if len(parts) == 1:
        return para(" (", Code(source), ")")
    inlined: list[str | Paragraph] = []
    for i, part in enumerate(parts[:-1]):
        inlined += [", " if i else "", Code(part)]
    return para(" (", Code(parts[-1]), "; inlined: ", *inlined, ")")


def stack_site(frames: Sequence[Frame]) -> Frame | None:
    """The frame to name for a stack: the first outside lockdep, the locking API and the
    WARN/panic machinery and unwinder (``panic()``, ``__warn()``, ``unwind_backtrace()``)."""
    frames = [f for f in frames if not (f.function and WARN_MACHINERY.match(f.function))]
    frame, _via = establishing_frame(frames)
    if frame is not None:
        return frame
    return next((f for f in frames if not f.unreliable and f.function and not LOCKDEP_INTERNAL.match(f.function)),
                None)


#: The line with which the kernel's stack dump names its task: ``CPU: 1 PID: 13845 Comm: blkid``.
_DUMP_TASK = re.compile(r"\bCPU: \d+ PID: (?P<pid>\d+) Comm: (?P<comm>\S+)")


def foreign_stack(splat: Splat) -> tuple[str, str] | None:
    """(pid, comm) of the task whose stack dump the report's backtrace really is, when that is
    not the report's task: another task's dump interleaved in the log (a fault-injection dump,
    an allocation failure). Read off the ``CPU: .. PID: .. Comm:`` lines: the nearest one above
    the frames names another PID, or none does and the task's own comes after the frames.
    """
    if not splat.backtrace or splat.task is None or splat.task.pid is None:
        return None
    first = next((f.line_no for f in splat.backtrace if f.line_no is not None), None)
    if first is None:
        return None
    dumps = [(line.no, m.group("pid"), m.group("comm")) for line in splat.lines
             if (m := _DUMP_TASK.search(line.text))]
    above = [d for d in dumps if d[0] < first]
    own = str(splat.task.pid)
    if above:
        _no, pid, comm = above[-1]
        return (pid, comm) if pid != own else None
    if any(pid == own and no > first for no, pid, _comm in dumps):
        return ("?", "?")
    return None


def backtrace(splat: Splat) -> tuple[Frame, ...]:
    """The report's backtrace if it is the report's task's own (see :func:`foreign_stack`), else ()."""
    return () if foreign_stack(splat) else splat.backtrace


def _outer(splat: Splat | None, frame: Frame | None) -> Frame | None:
    """For an ``at:`` frame printed as an inline chain (syzbot prints one ``, at:`` line per
    inlined call, innermost first), the function that holds the chain: the first line that is
    not ``[inline]``."""
    if splat is None or frame is None or not frame.inline or frame.line_no is None:
        return frame
    lines = {line.no: line for line in splat.lines}
    no = frame.line_no + 1
    while no in lines and ", at: " in lines[no].text:
        outer = parse_frame(lines[no].text.split(", at: ", 1)[1].strip(), no)
        if outer is None:
            break
        if not outer.inline:
            return outer
        no += 1
    return frame


def _api(frame: Frame | None) -> bool:
    return bool(frame is not None and frame.function and (LOCKING_API.match(frame.function)
                                                            or LOCKDEP_INTERNAL.match(frame.function)))


def acquired_site(splat: Splat, frame: Frame | None) -> Frame | None:
    """The code that takes the lock the report's task is acquiring (or releasing): its ``at:``
    frame, past an inline chain; when that is a locking call (``mutex_lock()``,
    ``rcu_read_unlock()``, ``__might_fault()``), the first frame of the backtrace past the
    locking API instead."""
    frame = _outer(splat, frame)
    if frame is None or _api(frame):
        return stack_site(backtrace(splat)) or frame
    return frame


def held_site(splat: Splat | None, frame: Frame | None) -> Paragraph:
    """Where a held lock was taken: its ``at:`` frame past an inline chain; a locking call
    (``mutex_lock()``) is named with a word that its caller is not printed."""
    frame = _outer(splat, frame)
    if _api(frame):
        return para(site(frame), " (only the locking call is printed, not its caller)")
    return site(frame)


def lock_site(lock: LockUse, splat: Splat | None = None) -> Paragraph:
    """Where a held or acquired lock was taken, from its ``at:`` frame."""
    return held_site(splat, lock.at)


def names(items: Iterable[str], conjunction: str = "and") -> Paragraph:
    """``A``, ``B`` and ``C`` as code names."""
    items = list(items)
    parts: list[str] = []
    for i, item in enumerate(items):
        if i:
            parts.append(f" {conjunction} " if i == len(items) - 1 else ", ")
        parts.append(Code(item))
    return para(*parts)


#: A class name that is a plain identifier (``kvm_lock``), or a member of a static object
#: (``cpu_hotplug_lock.rw_sem``, ``(console_sem).lock``), names a static lock: one instance.
STATIC_CLASS = re.compile(r"^\(?[A-Za-z_]\w*\)?(?:\.[A-Za-z_]\w*)*(?:#\d+)?$")


def kernel_version(splat: Splat) -> tuple[int, int] | None:
    """The kernel's major and minor version from its release (``4.20.0+`` -> ``(4, 20)``), or None.

    >>> from splatkit.model import KernelIdent
    >>> kernel_version(Splat("circular", "x", None, kernel=KernelIdent(release="5.9.0-rc3")))
    (5, 9)
    """
    release = splat.kernel.release if splat.kernel is not None else None
    if release is None:  # (the stack dump's "CPU: 0 PID: 809 Comm: demo Not tainted 5.1.0 #1" says it too)
        release = next((m.group(1) for line in splat.lines if (m := _DUMP_RELEASE.search(line.text))), None)
    m = re.match(r"(\d+)\.(\d+)", release or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


_DUMP_RELEASE = re.compile(r"\bCPU: \d+ .*?(?:Not tainted|Tainted: [A-Z ]+?) (\d+\.\d+\S*)")


def facts(splat: Splat) -> tuple[tuple[str, str], ...]:
    """(label, value) pairs for the header: the kernel and the task."""
    out = []
    if splat.kernel is not None:
        out.append(("kernel", " ".join(p for p in (splat.kernel.release, splat.kernel.build) if p)))
        if splat.kernel.taint and splat.kernel.taint != "Not tainted":
            out.append(("taint", splat.kernel.taint))
    if splat.task is not None:
        out.append(("task", str(splat.task)))
    return tuple(out)


def held_locks_section(splat: Splat, heading: str = "Locks held") -> Section | None:
    """The report's held-lock list, one line per lock with the code that took it."""
    if not splat.held_locks:
        if splat.held_locks_count:
            return Section(heading, (para(f"The report counts {splat.held_locks_count} held lock"
                                          f"{'s' if splat.held_locks_count != 1 else ''} but lists none."),))
        return None
    who = f"{splat.task}" if splat.task else "the task"
    intro = para(f"{len(splat.held_locks)} lock{'s' if len(splat.held_locks) != 1 else ''} held by ", Code(who),
                 ", outermost first:")
    return Section(heading, (intro, Bullets(tuple(held_lock(h, splat) for h in splat.held_locks))))


def held_lock(h: HeldLock, splat: Splat | None = None) -> Paragraph:
    return para(f"#{h.index} ", Code(h.lock.name), ", taken in ", lock_site(h.lock, splat))


def notes(splat: Splat) -> tuple[Paragraph, ...]:
    """The parser's notes (what it could not read or had to guess), as paragraphs."""
    out = [para("The parser: ", note[0].lower() + note[1:] if note else note, "." if not note.endswith(".") else "")
           for note in splat.notes]
    if splat.unrecognised:
        out.append(para(f"{len(splat.unrecognised)} line{'s' if len(splat.unrecognised) != 1 else ''} of the report "
                        "could not be read (first at line ", str(splat.unrecognised[0].line), ")."))
    return tuple(out)


def _calls_as_code(paragraph: Paragraph) -> Paragraph:
    """The paragraph with each ``function()`` in its own words (not in a name from the splat)
    marked as code, as the names from the splat are."""
    return para(*(part if isinstance(part, Code) else prose(part) for part in paragraph.parts))


def _foreign(splat: Splat) -> tuple[Paragraph, ...]:
    other = foreign_stack(splat)
    if other is None:
        return ()
    whose = para("another task's (", Code(f"{other[1]}/{other[0]}"), ")") if other[0] != "?" else \
        "another task's (printed before this task's own stack dump starts)"
    return (para("This task's stack: the stack printed in the report is ", whose, ", interleaved in the log, so "
                 "no function of it is named here."),)


def heading(splat: Splat) -> str:
    """The explanation's heading: the report's title, without the `` ]`` of a bracketed banner
    (``[ BUG: lock held at task exit time! ]``), and with the banner instead of syzkaller's
    ``corrupted`` placeholder (not a function a reader can look up) or its ``NUM`` placeholders.

    The title itself stays as syzkaller makes it (``Splat.title``); only the heading changes.
    """
    title = re.sub(r"\s+\]\s*$", "", splat.title or "")
    banner = re.sub(r"^\[\s+(.*?)\s+\]$", r"\1", splat.banner.strip())
    if re.search(r"\bcorrupted\b", title):
        return f"{banner} (report truncated or interleaved)"
    if re.search(r"\bNUM\b", title):  # (syzkaller's placeholders for numbers: the banner says them)
        return banner
    return title or banner


#: Headings of the section that says how a report's problem bites: the conditions follow it.
_BREAKS = ("How it deadlocks", "What lockdep saw", "What breaks")


def finish(splat: Splat, summary: Paragraph, sections: Iterable[Section | None], *,
           conditions: Sequence[Paragraph] = (), unknowns: Sequence[Paragraph] = (), **circular) -> Explanation:
    """The explanation of ``splat`` with the common parts added: facts, parser notes, trimmed splat.

    The conditions go right after the first section (the one that says how it breaks), where a
    reader looks for them; what is unknown goes last.
    """
    unknowns = tuple(unknowns) + _foreign(splat) + notes(splat)
    conditions = tuple(_calls_as_code(c) for c in conditions)
    kept = [s for s in sections if s is not None]
    if conditions:
        at = next((i for i, s in enumerate(kept) if s.heading in _BREAKS), 0)
        kept.insert(min(at + 1, len(kept)), Section("Conditions", tuple(conditions)))
    if unknowns:
        kept.append(Section("What the splat does not show", (Bullets(unknowns),)))
    return Explanation(kind=splat.kind, title=heading(splat), summary=summary, sections=tuple(kept),
                       facts=facts(splat), conditions=tuple(conditions), unknowns=unknowns,
                       trimmed=tuple(trim(splat)), **circular)
