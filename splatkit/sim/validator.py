"""The validator: lockdep's checks, in the order ``__lock_acquire`` and ``__lock_release`` run them.

An acquisition (``__lock_acquire``, kernel/locking/lockdep.c) goes through:

1. nest merge: with a nest lock, a lock of the class on top of the stack only gains a
   reference (ww_mutexes under one acquire context);
2. the wait-context check (``check_wait_context``), skipped for trylocks and unchecked maps;
3. usage marking (``mark_usage``, :mod:`splatkit.sim.usage`), each new bit checked at once;
4. the nest lock must be held (``print_lock_nested_lock_not_held``);
5. chain validation, unless a trylock, an unchecked map, or a held-lock sequence already
   validated (the chain cache, keyed by classes *and* read modes): first the same-class
   check over the whole stack (``check_deadlock``), then for the held locks of the current
   irq context, top down, the cycle check (``check_noncircular``), the irq-usage check
   (``check_irq_usage``) and the new edge, stopping after the first lock not taken by
   trylock (``check_prevs_add``);
6. the push (a ``lock_sync()``, as ``synchronize_srcu()`` does, pushes nothing).

A release finds the entry top down without crossing into another irq context, drops a
reference or the entry, and re-acquires every entry that was above it.

The first report turns lockdep off (``debug_locks = 0``): :meth:`Lockdep.report`
records it and raises :class:`Reported`, and nothing after it is checked.

>>> from splatkit.sim.classes import LOCK_TYPES, LockClass, LockInstance
>>> from splatkit.sim.frames import Site
>>> from splatkit.sim.state import TaskState
>>> ld, task = Lockdep(), TaskState("t", 1, 0)
>>> a, b = (LockInstance(name, LockClass(name, LOCK_TYPES["mutex"])) for name in "AB")
>>> for lock in (a, b):
...     _ = ld.acquire(task, lock, Site("t", 1))
>>> [(e.prev.name, e.next.name, e.types) for e in ld.graph]
[('A', 'B', ('EN',))]
"""

from __future__ import annotations

from typing import Any

from .classes import LockClass, LockInstance, LockType, ReadSide, WaitType
from .config import Config
from .findings import (
    BadUnlock,
    Circular,
    Finding,
    HeldLockFreed,
    HeldOnReturn,
    InvalidWait,
    NestedNotHeld,
    Recursive,
    StillHeld,
)
from .frames import Site, Trace, frame
from .graph import DepGraph, Node
from .state import ClassState, HeldLock, TaskState
from .usage import check_irq_usage, mark_held_locks, mark_usage

__all__ = ["Lockdep", "Reported"]

_ACQUIRE = ("__lock_acquire", "lock_acquire")
_RELEASE = ("lock_release",)


class Reported(Exception):
    """Raised once lockdep has reported: the rest of the operation, and of the program, is not checked."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.kind)
        self.finding = finding


class Lockdep:
    """One boot's worth of lockdep state: classes, the dependency graph, the chain cache."""

    def __init__(self, config: Config | None = None) -> None:
        self.config = config or Config()
        self.classes: dict[LockClass, ClassState] = {}
        self.graph = DepGraph()
        self.chains: set[tuple[Any, ...]] = set()
        self.finding: Finding | None = None
        self.op_trace: Trace = ()
        """The stack of the operation being validated (what usage traces and reports keep)."""
        self._entry: tuple[str, ...] = _ACQUIRE

    # -- bookkeeping -------------------------------------------------------------------

    def class_state(self, cls: LockClass) -> ClassState:
        """``register_lock_class``: the state of ``cls``, made on first use."""
        state = self.classes.get(cls)
        if state is None:
            state = self.classes[cls] = ClassState(cls, len(self.classes))
        return state

    def begin(self, site: Site, internals: tuple[str, ...] = (), entry: tuple[str, ...] = _ACQUIRE) -> None:
        """Start an operation: its stack, and the lockdep function it enters by."""
        if self.finding is not None:
            raise Reported(self.finding)
        self.op_trace = site.stack(internals)
        self._entry = entry

    def report(self, kind: type[Finding], task: TaskState, *, printer: tuple[str, ...] = (), **fields: Any) -> None:
        """Record the first report and stop (``debug_locks_off``)."""
        finding = kind(task=task, held=tuple(task.held), trace=self.op_trace, printer=printer + self._entry,
                       **fields)
        self.finding = finding
        raise Reported(finding)

    def warn(self, task: TaskState, kind: type[Finding], **fields: Any) -> None:
        """A ``DEBUG_LOCKS_WARN_ON()`` of the lock code: a WARN from the current operation."""
        self._entry = ()
        self.report(kind, task, **fields)

    @property
    def usage_trace(self) -> Trace:
        """The stack a new usage bit keeps: the operation's, below lockdep's entry point."""
        return tuple(frame(f) for f in self._entry[1:]) + self.op_trace

    def read_mode(self, task: TaskState, ltype: LockType) -> int:
        """The ``read`` argument of a read-side acquisition of ``ltype`` by ``task`` now:
        2 for a recursive reader, 1 for one a waiting writer blocks."""
        if ltype.read is ReadSide.RWLOCK:
            recursive = (self.config.force_read_lock_recursive or not self.config.queued_rwlocks
                         or task.in_interrupt)
            return 2 if recursive else 1
        if ltype.read is ReadSide.NONE:
            raise ValueError(f"a {ltype.name} has no read side")
        return 2 if ltype.read is ReadSide.RECURSIVE else 1

    def wait_value(self, wait: WaitType) -> int:
        return wait.printed(raw_nesting=self.config.raw_lock_nesting)

    # -- acquire -----------------------------------------------------------------------

    def acquire(self, task: TaskState, instance: LockInstance, site: Site, *, read: int = 0, trylock: bool = False,
                nest: LockInstance | None = None, check: bool = True, sync: bool = False, subclass: int = 0,
                hardirqs_off: bool | None = None, internals: tuple[str, ...] = ()) -> HeldLock:
        """``lock_acquire`` of ``instance`` by ``task`` (``sync``: ``lock_sync``, validated, not held;
        ``hardirqs_off``: the irq state the acquisition is made with, when not the task's)."""
        self.begin(site, internals)
        cls = self.class_state(instance.cls.with_subclass(subclass) if subclass else instance.cls)
        off = not task.hardirqs_enabled if hardirqs_off is None else hardirqs_off
        hl = HeldLock(instance, cls, read, site, self.op_trace, task.irq_context, off,
                      trylock=trylock, nest=nest, check=check, sync=sync)
        self._acquire(task, hl)
        return hl

    def _acquire(self, task: TaskState, hl: HeldLock, references: int = 0) -> int:
        """``__lock_acquire`` for a prepared entry: 2 when merged into the top entry, else 1."""
        if task.held and not hl.sync and hl.nest is not None and task.held[-1].cls is hl.cls:
            top = task.held[-1]
            top.references = max(top.references, 1) + max(references, 1)
            return 2
        hl.references = references
        hl.irq_context = task.irq_context
        self._check_wait_context(task, hl)
        mark_usage(self, task, hl)
        if hl.nest is not None and not any(h.instance is hl.nest for h in task.held):
            self.report(NestedNotHeld, task, lock=hl, nest=hl.nest)
        self._validate_chain(task, hl)
        if not hl.sync:
            task.held.append(hl)
        return 1

    def _context_entries(self, task: TaskState, irq_context: int) -> list[HeldLock]:
        """The top entries of the held stack that belong to ``irq_context``."""
        run: list[HeldLock] = []
        for held in reversed(task.held):
            if held.irq_context != irq_context:
                break
            run.append(held)
        return run[::-1]

    def _check_wait_context(self, task: TaskState, hl: HeldLock) -> None:
        """``check_wait_context``: may a lock that waits this much be taken here?"""
        ltype = hl.cls.cls.type
        if not self.config.wait_context or not ltype.waits or hl.trylock:
            return
        needs = ltype.outer if ltype.outer != WaitType.INV else ltype.inner
        if task.hardirq_context:
            context = WaitType.CONFIG if task.hardirq_threaded else WaitType.SPIN
        elif task.softirq_context:
            context = WaitType.CONFIG
        else:
            context = WaitType.MAX
        allows = context
        for held in self._context_entries(task, hl.irq_context):
            inner = held.cls.cls.type.inner
            if inner != WaitType.INV and self.wait_value(inner) < self.wait_value(allows):
                allows = inner
        if self.wait_value(needs) > self.wait_value(allows):
            self.report(InvalidWait, task, lock=hl, context=self.wait_value(context), needs=needs.name,
                        allows=allows.name)

    def _validate_chain(self, task: TaskState, hl: HeldLock) -> None:
        """``validate_chain``: the same-class check, then the new dependencies."""
        if hl.trylock or not hl.check:
            return
        run = self._context_entries(task, hl.irq_context)
        key = (*((h.cls, h.read) for h in run), (hl.cls, hl.read))
        if key in self.chains:
            return
        self.chains.add(key)
        if self._check_deadlock(task, hl) == 2 or not run:
            return
        for prev in reversed(run):
            if not prev.check:
                continue
            self._check_prev_add(task, prev, hl)
            if not prev.trylock:
                break

    def _check_deadlock(self, task: TaskState, hl: HeldLock) -> int:
        """``check_deadlock``: 2 when a held lock of the class is serialised by the nest lock."""
        nest: HeldLock | None = None
        for prev in task.held:
            if hl.nest is not None and prev.instance is hl.nest:
                nest = prev
            if prev.cls is not hl.cls or (hl.read == 2 and prev.read):
                continue
            if nest is not None:
                return 2
            self.report(Recursive, task, lock=hl, prev=prev, printer=("print_deadlock_bug", "validate_chain"))
        return 1

    def _check_prev_add(self, task: TaskState, prev: HeldLock, hl: HeldLock, trace: Trace | None = None) -> None:
        """``check_prev_add``: the cycle check, the irq-usage check, then the edge ``prev -> next``."""

        def conflict(node: Node) -> bool:
            return node.cls is prev.cls and (prev.read == 0 or not node.only_xr)

        target = self.graph.search(hl.cls, only_xr=hl.read == 2, forward=True, match=conflict)
        if target is not None:
            if target.parent is None:  # the same class (6.5+ prints it as recursive locking)
                self.report(Recursive, task, lock=hl, prev=prev, printer=("print_deadlock_bug", "check_noncircular", "validate_chain"))
            self.report(Circular, task, lock=hl, prev=prev, target=target,
                        printer=("print_circular_bug", "check_noncircular", "validate_chain"))
        check_irq_usage(self, task, prev, hl)
        self.graph.add(prev.cls, hl.cls, prev_read=prev.read, next_read=hl.read, trace=trace or self.op_trace)

    def commit(self, task: TaskState, instance: LockInstance, site: Site, *, internals: tuple[str, ...] = ()) -> None:
        """``complete()`` under cross-release (4.14-4.15): whoever waits for ``instance`` waits for
        what this task holds now, so each held lock gains the dependency ``instance -> held``."""
        self.begin(site, internals)
        xlock = HeldLock(instance, self.class_state(instance.cls), 0, site, self.op_trace, task.irq_context,
                         not task.hardirqs_enabled)
        for held in self._context_entries(task, task.irq_context):
            if held.check:
                self._check_prev_add(task, xlock, held, held.trace)

    # -- release -----------------------------------------------------------------------

    def release(self, task: TaskState, instance: LockInstance, site: Site, *, internals: tuple[str, ...] = ()) -> None:
        """``lock_release``: drop the entry of ``instance`` and re-validate those above it."""
        self.begin(site, internals, _RELEASE)
        index = self._find_held(task, instance)
        if index is None:
            self.report(BadUnlock, task, instance=instance, at=site.at, printer=("print_unlock_imbalance_bug",))
        hl = task.held[index]
        if hl.references:
            hl.references -= 1
            if hl.references:
                return
        above = task.held[index + 1:]
        del task.held[index:]
        for entry in above:
            self._acquire(task, entry, entry.references)

    def _find_held(self, task: TaskState, instance: LockInstance) -> int | None:
        """``find_held_lock``: top down, not crossing into another irq context; an entry with
        references matches any instance of its class (``match_held_lock``)."""

        def matches(held: HeldLock) -> bool:
            return held.instance is instance or (held.references > 0 and held.cls.cls == instance.cls)

        for index in range(len(task.held) - 1, -1, -1):
            if index < len(task.held) - 1 and task.held[index].irq_context != task.held[index + 1].irq_context:
                return None
            if matches(task.held[index]):
                return index
        return None

    # -- irq state ---------------------------------------------------------------------

    def hardirqs_on(self, task: TaskState, site: Site, internals: tuple[str, ...] = ()) -> None:
        """``lockdep_hardirqs_on``: held locks become hardirq-unsafe (and softirq-unsafe)."""
        self.begin(site, internals, ("mark_held_locks", "lockdep_hardirqs_on_prepare", "trace_hardirqs_on"))
        if task.hardirqs_enabled:
            return
        mark_held_locks(self, task, "HARDIRQ")
        if task.softirqs_enabled:
            mark_held_locks(self, task, "SOFTIRQ")
        task.hardirqs_enabled = True
        task.record("hardirqs_on", self.op_trace[0])

    def hardirqs_off(self, task: TaskState, site: Site, internals: tuple[str, ...] = ()) -> None:
        """``lockdep_hardirqs_off``: nothing to check."""
        self.begin(site, internals)
        if task.hardirqs_enabled:
            task.hardirqs_enabled = False
            task.record("hardirqs_off", self.op_trace[0])

    def bh_disable(self, task: TaskState, site: Site, internals: tuple[str, ...] = ()) -> None:
        """``local_bh_disable``: the first one turns softirqs off."""
        self.begin(site, internals)
        task.bh_count += 1
        if task.softirqs_enabled:
            task.softirqs_enabled = False
            task.record("softirqs_off", self.op_trace[0])

    def bh_enable(self, task: TaskState, site: Site, internals: tuple[str, ...] = ()) -> None:
        """``local_bh_enable``: the last one turns softirqs on, making held locks softirq-unsafe."""
        self.begin(site, internals, ("mark_held_locks", "lockdep_softirqs_on", "__local_bh_enable_ip"))
        task.bh_count = max(task.bh_count - 1, 0)
        self.softirqs_maybe_on(task)

    def softirqs_maybe_on(self, task: TaskState) -> None:
        """Softirqs come back on when nothing keeps them off (``lockdep_softirqs_on``)."""
        if task.bh_count or task.softirq_context or task.softirqs_enabled:
            return
        task.softirqs_enabled = True
        task.record("softirqs_on", self.op_trace[0])
        if task.hardirqs_enabled:
            mark_held_locks(self, task, "HARDIRQ")
            mark_held_locks(self, task, "SOFTIRQ")

    def irq_enter(self, task: TaskState, site: Site, kind: str, *, threaded: bool = True,
                  internals: tuple[str, ...] = ()) -> None:
        """Enter ``hard`` or ``soft`` irq context (``lockdep_hardirq_enter``, ``lockdep_softirq_enter``);
        a softirq being served keeps softirqs off."""
        self.begin(site, internals)
        if kind == "hard":
            task.hardirq_context += 1
            task.hardirq_threaded = threaded
        else:
            task.softirq_context += 1
            if task.softirqs_enabled:
                task.softirqs_enabled = False
                task.record("softirqs_off", self.op_trace[0])

    def irq_exit(self, task: TaskState, site: Site, kind: str, *, internals: tuple[str, ...] = ()) -> None:
        """Leave ``hard`` or ``soft`` irq context; leaving the last softirq may turn softirqs back on."""
        self.begin(site, internals, ("mark_held_locks", "lockdep_softirqs_on", "__local_bh_enable"))
        if kind == "hard":
            task.hardirq_context = max(task.hardirq_context - 1, 0)
            task.hardirq_threaded = task.hardirq_threaded and bool(task.hardirq_context)
        else:
            task.softirq_context = max(task.softirq_context - 1, 0)
            self.softirqs_maybe_on(task)

    # -- whole-task checks -------------------------------------------------------------

    def init(self, task: TaskState, instance: LockInstance, site: Site, *, internals: tuple[str, ...] = (),
             size: int = 0x40) -> None:
        """``debug_check_no_locks_freed``: memory being freed or re-initialised holds a held lock."""
        self.begin(site, internals, ("debug_check_no_locks_freed",))
        for held in task.held:
            if held.instance is instance:
                self.report(HeldLockFreed, task, lock=held, size=size)

    def exit(self, task: TaskState, site: Site) -> None:
        """``debug_check_no_locks_held`` at ``do_exit``."""
        self.begin(site, ("do_exit", "do_group_exit"), ("debug_check_no_locks_held",))
        if task.held:
            self.report(StillHeld, task)

    def return_to_user(self, task: TaskState, site: Site) -> None:
        """``lockdep_sys_exit``: a system call returns to user space with locks held."""
        self.begin(site, ("syscall_exit_to_user_mode",), ("lockdep_sys_exit",))
        if task.held:
            self.report(HeldOnReturn, task)
