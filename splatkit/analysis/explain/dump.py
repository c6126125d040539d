"""``Showing all locks held in the system`` explained: who holds what, and who waits for whom.

The dump (``debug_show_all_locks()``, printed by the hung-task detector and SysRq-d) lists
every task's held locks. Lockdep adds a lock to a task's list when the task *starts* to
take it, so a task blocked in ``mutex_lock()`` lists the mutex it is waiting for as its last
entry. When two tasks list the same lock object (same address), at most one holds an
exclusive lock: the one for which it is the last entry is most likely waiting for it.
Without addresses, the same class in two lists is only a hint (two objects of one class).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ...model import HeldLock, Splat
from ...usage import decode_usage, lock_usage
from .common import finish, site
from .document import Bullets, Code, Explanation, Paragraph, Section, para, prose

__all__ = ["SharedLock", "explain_held_locks_dump", "shared_locks"]


def _key(h: HeldLock) -> tuple[str, str | None]:
    return (h.lock.name, h.lock.instance)


def explain_held_locks_dump(splat: Splat) -> Explanation:
    """Explain a ``held_locks_dump`` report."""
    dumps = splat.held_lock_dumps
    total = sum(len(d.held_locks) for d in dumps)
    summary = para(f"A dump of the locks held by every task: {len(dumps)} task{'s' if len(dumps) != 1 else ''} "
                   f"hold {total} lock{'s' if total != 1 else ''}. Such dumps follow a hung-task warning or a "
                   "SysRq request; read them for the tasks that wait on each other.")
    waits: list[Paragraph] = []
    for item in shared_locks(splat):
        name, instance, read_only = item.name, item.instance, item.read_only
        holders = [t for t, _ in item.holders]
        waiters = [t for t, _ in item.waiters]
        listed = _tasks([t for t, _ in item.listings])
        if not instance:
            waits.append(para(Code(name), " (no address printed) is listed by ", *listed, ": probably different "
                              "objects of one class, one per task", "; else it is held for read by all of them"
                              if read_only else "; else it is shared (a read lock) or one of them waits for it", "."))
        elif read_only:
            waits.append(para(Code(name), " (", Code(instance), ") is listed by ", *listed, ": shared, as its usage "
                              "shows read use only."))
        elif holders and waiters:
            one = len(dict.fromkeys(waiters)) == 1
            waits.append(para(Code(name), " (", Code(instance), "): probably held by ", *_tasks(holders), "; ",
                              *_tasks(waiters), " list" + ("s" if one else ""), " it last, so most likely ",
                              "waits" if one else "wait", " for it."))
        else:
            waits.append(para(Code(name), " (", Code(instance), ") is listed by ", *listed,
                              ": shared (a read lock), or one of them is waiting for it."))
    sections = [Section("Who holds what", (Bullets(tuple(
        para(Code(str(d.task)), f" ({d.count} lock{'s' if d.count != 1 else ''}): ",
             *_held(d.held_locks)) for d in dumps)),))]
    if waits:
        sections.append(Section("Tasks that wait on each other", (
            para("A task lists a lock from the moment it starts to take it, so the last lock a blocked task lists "
                 "is often the one it waits for."), Bullets(tuple(waits)))))
    elif dumps:
        sections.append(Section("Tasks that wait on each other", (prose(
            "No lock is listed by two tasks, so no task in the dump is waiting for a lockdep-tracked lock another "
            "task holds. A hang may still involve waits lockdep does not track (page and folio locks, I/O, bit "
            "locks, wait_event(), completions without a lockdep map), and tasks that hold no lock are not listed."),)))
    unknowns = [para(f"{d.task} counts {d.count} locks but {len(d.held_locks)} are listed.")
                for d in dumps if d.count != len(d.held_locks)]
    return finish(splat, summary, sections, unknowns=unknowns)


@dataclass(frozen=True)
class SharedLock:
    """A lock listed by more than one task of a dump, and what the listings suggest.

    ``listings`` are ``(task, position in its list)``; ``waiters`` those where it is the task's
    last entry (most likely waiting for it), ``holders`` the others.
    """

    name: str
    instance: str | None
    listings: tuple[tuple[str, int], ...]
    holders: tuple[tuple[str, int], ...]
    waiters: tuple[tuple[str, int], ...]
    read_only: bool

    @property
    def reading(self) -> str:
        """What the listings most likely mean, in a few words."""
        if not self.instance:
            return "no address: probably one object per task"
        if self.read_only:
            return "shared: read use only"
        if self.holders and self.waiters:
            return "held by one, waited for by the other(s)"
        return "shared (a read lock), or one of them waits"


def shared_locks(splat: Splat) -> list[SharedLock]:
    """The locks of a held-locks dump that more than one task lists (same class and address),
    sorted by name: where tasks may wait on each other."""
    by_lock: dict[tuple[str, str | None], list[tuple[str, int, bool, HeldLock]]] = defaultdict(list)
    for dump in splat.held_lock_dumps:
        for k, h in enumerate(dump.held_locks):
            by_lock[_key(h)].append((str(dump.task), k, k == len(dump.held_locks) - 1, h))
    out = []
    for (name, instance), tasks in sorted(by_lock.items(), key=lambda item: item[0][0]):
        if len({t for t, _, _, _ in tasks}) < 2:
            continue
        out.append(SharedLock(name, instance, tuple((t, k) for t, k, _, _ in tasks),
                              tuple((t, k) for t, k, last, _ in tasks if not last),
                              tuple((t, k) for t, k, last, _ in tasks if last),
                              _read_only(splat, [h for _, _, _, h in tasks])))
    return out


def _read_only(splat: Splat, held: list[HeldLock]) -> bool:
    """Every listing's usage shows read use only (``{.+.+}``): the lock is shared, nobody waits on it here."""
    seen = False
    for h in held:
        bits = lock_usage(splat, h.lock)
        if bits is None and h.lock.usage and h.lock.wait is not None:
            # (A lock printed with its wait types, {0:0}, is from 5.x: the 4.14 usage layout.)
            try:
                bits = decode_usage(h.lock.usage, "v4.14")
            except ValueError:
                bits = None
        used = [b for b in bits or () if b.meaning != "unused"]
        if not used or any(b.access != "R" for b in used):
            return False
        seen = True
    return seen


def _tasks(tasks: list[str]) -> list[str | Paragraph]:
    out: list[str | Paragraph] = []
    for i, task in enumerate(dict.fromkeys(tasks)):
        out += [", " if i else "", Code(task)]
    return out


def _held(held: tuple[HeldLock, ...]) -> list[str | Paragraph]:
    out: list[str | Paragraph] = []
    for i, h in enumerate(held):
        out += ["; " if i else "", Code(h.lock.name), " in ", site(h.lock.at)]
    return out or ["none listed"]
