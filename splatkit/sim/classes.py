"""Lock types, lock classes and lock instances, as lockdep tells them apart.

Lockdep validates *classes*, not instances: every lock initialised at one place (one
``lock_class_key``) is one class, so two instances of one class are one node of the
dependency graph (``Documentation/locking/lockdep-design.rst``, "Lock-class"). A
subclass (``mutex_lock_nested(lock, 1)``) is another class, printed ``name/1``.

Each type lockdep distinguishes is one row of :data:`LOCK_TYPES`: its wait types
(``lockdep_wait_type`` in ``include/linux/lockdep_types.h``), how its read side
acquires (``rwlock_acquire_read``, ``rwsem_acquire_read``, ``lock_map_acquire_read``),
whether it is a per-CPU lock (``LD_LOCK_PERCPU``, skipped by the irq-usage searches),
and the kernel functions its acquisitions go through, which the made-up stacks show.

>>> LOCK_TYPES["spinlock"].inner, WaitType.CONFIG.printed(raw_nesting=False)
(<WaitType.CONFIG: 3>, 2)
>>> LockClass("&kvm->slots_lock", LOCK_TYPES["mutex"], subclass=1).name
'&kvm->slots_lock/1'
"""

from __future__ import annotations

import enum
import zlib
from dataclasses import dataclass, field

__all__ = [
    "DECLARABLE",
    "LOCK_TYPES",
    "LockClass",
    "LockInstance",
    "LockType",
    "ReadSide",
    "WaitType",
]


class WaitType(enum.IntEnum):
    """``enum lockdep_wait_type``: how a lock may wait, ordered from least to most.

    The printed numbers depend on ``CONFIG_PROVE_RAW_LOCK_NESTING``: without it CONFIG
    (``spinlock_t``, which sleeps on PREEMPT_RT) is the same value as SPIN.
    """

    INV = 0
    """Not checked (lockdep maps of work items, workqueues, SRCU, fs_reclaim)."""
    FREE = 1
    """Wait-free (the RCU read side's outer type)."""
    SPIN = 2
    """Spins: ``raw_spinlock_t``, a hardirq that is not threaded."""
    CONFIG = 3
    """``spinlock_t``, ``rwlock_t``, ``local_lock_t``: spin on !RT, sleep on PREEMPT_RT."""
    SLEEP = 4
    """Sleeping locks: mutex, rwsem, rt_mutex, ww_mutex."""
    MAX = 5
    """A task outside interrupts holding nothing: anything may be taken."""

    def printed(self, *, raw_nesting: bool) -> int:
        """The number the kernel prints and compares for this type (``-{O:I}``, ``context-{X:X}``)."""
        if raw_nesting or self <= WaitType.SPIN:
            return int(self)
        return int(self) - 1


class ReadSide(enum.Enum):
    """How a type's read side acquires (the ``read`` argument of ``lock_acquire``)."""

    NONE = "none"
    """No read side (mutex, spinlock...)."""
    RWLOCK = "rwlock"
    """``rwlock_t``: a recursive reader in interrupt, when forced, or without queued rwlocks;
    a non-recursive one otherwise (``read_lock_is_recursive()``)."""
    SHARED = "shared"
    """A non-recursive reader that a waiting writer blocks (``down_read``, ``percpu_down_read``)."""
    RECURSIVE = "recursive"
    """Always a recursive reader (``srcu_read_lock``, the seqcount read side, RCU)."""


@dataclass(frozen=True, eq=False)
class LockType:
    """One type of lock lockdep distinguishes (one object per type: compared by identity)."""

    name: str
    """The word that declares it in an exercise (``mutex``, ``rwsem``, ``spinlock``...)."""
    c_type: str
    """The kernel type (``struct mutex``)."""
    inner: WaitType
    """``wait_type_inner``: what holding it allows inside."""
    outer: WaitType = WaitType.INV
    """``wait_type_outer`` when it differs from the inner one (RCU); INV when it does not."""
    read: ReadSide = ReadSide.NONE
    percpu: bool = False
    """``LD_LOCK_PERCPU`` (local_lock_t): skipped by the irq-usage searches."""
    prefix: str = ""
    """What the kernel puts before the name of a lockdep map of this type (``(wq_completion)``)."""
    frames: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Kernel functions an operation goes through, innermost first, by operation
    (``lock``, ``read``, ``trylock``, ``unlock``, ``sync``...): the top of a made-up stack."""

    @property
    def waits(self) -> bool:
        """Whether the wait-context check looks at this type at all."""
        return self.inner != WaitType.INV

    def frames_for(self, op: str) -> tuple[str, ...]:
        """The kernel functions of ``op``, falling back to the plain ``lock`` ones."""
        return self.frames.get(op, self.frames.get("lock", ()))


def _type(name: str, c_type: str, inner: WaitType, **kw) -> tuple[str, LockType]:
    return name, LockType(name, c_type, inner, **kw)


_SPIN = {"lock": ("_raw_spin_lock",), "trylock": ("_raw_spin_trylock",), "unlock": ("_raw_spin_unlock",),
         "irq": ("_raw_spin_lock_irq",), "irqsave": ("_raw_spin_lock_irqsave",), "bh": ("_raw_spin_lock_bh",)}

#: Every lock type, by the word that declares it. Read sides and wait types from
#: ``include/linux/lockdep.h`` and ``lockdep_types.h``; the RCU flavours, ``fs_reclaim`` and
#: the ww acquire context are built in (never declared) but are types too.
LOCK_TYPES: dict[str, LockType] = dict([
    _type("raw_spinlock", "raw_spinlock_t", WaitType.SPIN, frames=_SPIN),
    _type("spinlock", "spinlock_t", WaitType.CONFIG, frames=_SPIN),
    _type("rwlock", "rwlock_t", WaitType.CONFIG, read=ReadSide.RWLOCK,
          frames={"lock": ("_raw_write_lock",), "read": ("_raw_read_lock",), "trylock": ("_raw_write_trylock",),
                  "read_trylock": ("_raw_read_trylock",), "unlock": ("_raw_write_unlock",),
                  "irq": ("_raw_write_lock_irq",), "irqsave": ("_raw_write_lock_irqsave",),
                  "bh": ("_raw_write_lock_bh",), "read_irq": ("_raw_read_lock_irq",),
                  "read_irqsave": ("_raw_read_lock_irqsave",), "read_bh": ("_raw_read_lock_bh",)}),
    _type("mutex", "struct mutex", WaitType.SLEEP,
          frames={"lock": ("__mutex_lock", "mutex_lock_nested"), "trylock": ("mutex_trylock",),
                  "unlock": ("mutex_unlock",)}),
    _type("rwsem", "struct rw_semaphore", WaitType.SLEEP, read=ReadSide.SHARED,
          frames={"lock": ("down_write",), "read": ("down_read",), "trylock": ("down_write_trylock",),
                  "read_trylock": ("down_read_trylock",), "unlock": ("up_write",)}),
    _type("percpu_rwsem", "struct percpu_rw_semaphore", WaitType.SLEEP, read=ReadSide.SHARED,
          frames={"lock": ("percpu_down_write",), "read": ("percpu_down_read",),
                  "read_trylock": ("percpu_down_read_trylock",), "unlock": ("percpu_up_write",)}),
    _type("rt_mutex", "struct rt_mutex", WaitType.SLEEP,
          frames={"lock": ("__rt_mutex_lock", "rt_mutex_lock_nested"), "trylock": ("rt_mutex_trylock",),
                  "unlock": ("rt_mutex_unlock",)}),
    _type("ww_mutex", "struct ww_mutex", WaitType.SLEEP,
          frames={"lock": ("__ww_mutex_lock.constprop.0", "ww_mutex_lock"), "trylock": ("ww_mutex_trylock",),
                  "unlock": ("ww_mutex_unlock",)}),
    _type("ww_acquire_ctx", "struct ww_acquire_ctx", WaitType.INV, frames={"lock": ("ww_acquire_init",)}),
    _type("local_lock", "local_lock_t", WaitType.CONFIG, percpu=True, frames={"lock": ("local_lock_acquire",)}),
    _type("seqlock", "seqlock_t", WaitType.CONFIG, read=ReadSide.RECURSIVE,
          frames={"lock": ("_raw_spin_lock", "write_seqlock"), "read": ("read_seqbegin",)}),
    _type("srcu", "struct srcu_struct", WaitType.INV, read=ReadSide.RECURSIVE,
          frames={"read": ("srcu_read_lock",), "sync": ("__synchronize_srcu", "synchronize_srcu")}),
    _type("work", "struct work_struct", WaitType.INV, prefix="(work_completion)",
          frames={"lock": ("process_one_work",), "sync": ("__flush_work", "flush_work")}),
    _type("workqueue", "struct workqueue_struct", WaitType.INV, prefix="(wq_completion)",
          frames={"lock": ("process_one_work",), "sync": ("__flush_workqueue",)}),
    _type("completion", "struct completion", WaitType.INV, prefix="(completion)",
          frames={"sync": ("wait_for_common", "wait_for_completion"), "lock": ("complete",)}),
    _type("rcu", "rcu_read_lock()", WaitType.CONFIG, outer=WaitType.FREE, read=ReadSide.RECURSIVE),
    _type("rcu_bh", "rcu_read_lock_bh()", WaitType.CONFIG, outer=WaitType.FREE, read=ReadSide.RECURSIVE),
    _type("rcu_sched", "rcu_read_lock_sched()", WaitType.SPIN, outer=WaitType.FREE, read=ReadSide.RECURSIVE),
    _type("fs_reclaim", "fs_reclaim", WaitType.INV, frames={"lock": ("fs_reclaim_acquire",)}),
])

#: Types a program may declare (the others are built in; ``rcu`` declares another map taken like
#: ``rcu_read_lock()``, such as ``rcu_callback``).
DECLARABLE = tuple(name for name in LOCK_TYPES if name not in ("ww_acquire_ctx", "rcu_bh", "rcu_sched",
                                                               "fs_reclaim"))


@dataclass(frozen=True)
class LockClass:
    """A lock class: what lockdep validates. Instances initialised alike share one.

    >>> LockClass("A", LOCK_TYPES["mutex"]).name
    'A'
    """

    base: str
    """The class name as initialised (``&kvm->slots_lock``, ``(wq_completion)events``)."""
    type: LockType
    subclass: int = 0
    """``/N``: the nesting subclass; each one is a class of its own."""

    @property
    def name(self) -> str:
        """The name as lockdep prints it: base, then ``/N`` for a subclass."""
        return f"{self.base}/{self.subclass}" if self.subclass else self.base

    def with_subclass(self, subclass: int) -> LockClass:
        """The class the same key gives at another subclass."""
        return LockClass(self.base, self.type, subclass)


@dataclass(frozen=True)
class LockInstance:
    """One lock object (a ``lockdep_map``) of a program: its name, its class and its address."""

    name: str
    """How the program calls it (``A1``; for the self-test, ``spin:X1``)."""
    cls: LockClass
    """Its class at subclass 0 (``lockdep_set_subclass`` gives another)."""

    @property
    def type(self) -> LockType:
        return self.cls.type

    @property
    def address(self) -> int:
        """A made-up kernel address for the instance, the same on every run."""
        return 0xFFFF888100000000 + (zlib.crc32(self.name.encode()) & 0xFFFFF) * 0x40
