"""What lockdep found: one record per report kind, before any text is printed.

The validator (:mod:`splatkit.sim.validator`) builds one of these at the operation that
triggers a report and stops (the kernel turns ``debug_locks`` off after its first
complaint); :mod:`splatkit.sim.report` prints it in a chosen era's format. Each record
keeps what its kernel printer needs: the locks, the dependency path the search found,
the usage bits, the task's held locks and irq state. ``kind`` is splatkit's identifier
for the report (``splatkit.grammar.kinds``), so a parsed splat can be checked against it.

Every record also says what it is about in one line (:attr:`Finding.detail`), in the
words of the self-test oracle's ``detail`` column, so that a case can be compared with
more than its verdict.

>>> str(IrqState(hardirq=0, hardirq_count=0, softirq=1, softirq_count=1, hardirqs_enabled=1, softirqs_enabled=0))
'[HC0[0]:SC1[1]:HE1:SE0]'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from .classes import LockInstance
from .frames import Trace, frame
from .graph import Node
from .state import USAGE_NAMES, ClassState, HeldLock, TaskState

__all__ = [
    "BadUnlock",
    "Circular",
    "DebugWarn",
    "Finding",
    "HeldLockFreed",
    "HeldOnReturn",
    "Inconsistent",
    "InvalidWait",
    "IrqInversion",
    "IrqState",
    "NestedNotHeld",
    "Recursive",
    "SafeUnsafe",
    "StillHeld",
    "SuspiciousRcu",
]


@dataclass(frozen=True)
class IrqState:
    """``[HC%u[%lu]:SC%u[%lu]:HE%u:SE%u]``: the task's irq state when the report fired."""

    hardirq: int
    hardirq_count: int
    softirq: int
    softirq_count: int
    hardirqs_enabled: int
    softirqs_enabled: int

    @classmethod
    def of(cls, task: TaskState) -> IrqState:
        return cls(int(bool(task.hardirq_context)), task.hardirq_context, int(bool(task.softirq_context)),
                   task.softirq_count, int(task.hardirqs_enabled), int(task.softirqs_enabled))

    def __str__(self) -> str:
        return (f"[HC{self.hardirq}[{self.hardirq_count}]:SC{self.softirq}[{self.softirq_count}]:"
                f"HE{self.hardirqs_enabled}:SE{self.softirqs_enabled}]")


@dataclass(eq=False)
class Finding:
    """What every report shares: the task, its held locks, and the stack it fired on."""

    kind: ClassVar[str] = ""
    task: TaskState
    held: tuple[HeldLock, ...]
    """The task's held locks when the report printed (the lock being taken not among them)."""
    trace: Trace
    """The stack of the operation (kernel functions, the program, the entry path)."""
    printer: tuple[str, ...] = ()
    """Lockdep's own functions between ``dump_stack`` and the operation, innermost first."""
    irq: IrqState | None = None

    @property
    def detail(self) -> str:
        """What the report is about, in one line."""
        return ""


@dataclass(eq=False)
class Circular(Finding):
    """``print_circular_bug``: taking ``lock`` while holding ``prev`` closes a cycle."""

    kind: ClassVar[str] = "circular"
    lock: HeldLock | None = None
    prev: HeldLock | None = None
    target: Node | None = None
    """Where the forward search from ``lock``'s class reached ``prev``'s: its path is the chain."""

    @property
    def chain(self) -> list[tuple[ClassState, Trace]]:
        """The entries #N (``prev``'s class) down to #0 (``lock``'s), each with the stack that
        recorded the edge into it (#0: the current acquisition)."""
        current = (frame("__lock_acquire"), frame("lock_acquire")) + self.trace
        return [(node.cls, node.edge.trace if node.edge else current) for node in self.target.path()]

    @property
    def detail(self) -> str:
        path = " -> ".join(cls.name for cls, _ in reversed(self.chain))
        return f"new dependency {self.prev.cls.name} -> {self.lock.cls.name}; existing path {path}"


@dataclass(eq=False)
class Recursive(Finding):
    """``print_deadlock_bug``: ``lock`` has the class of the held ``prev``."""

    kind: ClassVar[str] = "recursive"
    lock: HeldLock | None = None
    prev: HeldLock | None = None

    @property
    def detail(self) -> str:
        return f"holding {self.prev.instance.name}, acquiring {self.lock.instance.name} (class {self.lock.cls.name})"


@dataclass(eq=False)
class Inconsistent(Finding):
    """``print_usage_bug``: a class gains a usage bit that clashes with one it has."""

    kind: ClassVar[str] = "inconsistent_state"
    lock: HeldLock | None = None
    prev_bit: int = 0
    new_bit: int = 0

    @property
    def detail(self) -> str:
        return f"{self.lock.cls.name} {{{USAGE_NAMES[self.prev_bit]}}} -> {{{USAGE_NAMES[self.new_bit]}}}"


@dataclass(eq=False)
class IrqInversion(Finding):
    """``print_irq_inversion_bug``: a new usage bit meets a clashing one along a path."""

    kind: ClassVar[str] = "irq_inversion"
    lock: HeldLock | None = None
    new_bit: int = 0
    other: Node | None = None
    """The class found; its path leads back to ``lock``'s class (the root)."""
    forwards: bool = True
    irqclass: str = ""

    @property
    def detail(self) -> str:
        root, other = self.lock.cls.name, self.other.cls.name
        edge, what = (f"{root} -> {other}", "unsafe") if self.forwards else (f"{other} -> {root}", "safe")
        return (f"{'forwards' if self.forwards else 'backwards'}: {root} became {{{USAGE_NAMES[self.new_bit]}}}; "
                f"{edge} exists and {other} is {self.irqclass}-{what}")


@dataclass(eq=False)
class SafeUnsafe(Finding):
    """``print_bad_irq_dependency``: ``prev -> lock`` would connect an irq-safe class to an irq-unsafe one."""

    kind: ClassVar[str] = "irq_safe_unsafe"
    lock: HeldLock | None = None
    prev: HeldLock | None = None
    safe: Node | None = None
    """The irq-safe class, found backwards from ``prev`` (its path ends at ``prev``'s class)."""
    unsafe: Node | None = None
    """The irq-unsafe class, found forwards from ``lock`` (its path ends at ``lock``'s class)."""
    safe_bit: int = 0
    unsafe_bit: int = 0
    irqclass: str = ""

    @property
    def detail(self) -> str:
        return (f"{self.irqclass}-safe -> {self.irqclass}-unsafe; new dependency {self.prev.cls.name} -> "
                f"{self.lock.cls.name}; safe {self.safe.cls.name}, unsafe {self.unsafe.cls.name}")


@dataclass(eq=False)
class BadUnlock(Finding):
    """``print_unlock_imbalance_bug``: releasing a lock the task does not hold."""

    kind: ClassVar[str] = "bad_unlock"
    instance: LockInstance | None = None
    at: str = ""

    @property
    def detail(self) -> str:
        return f"{self.instance.name} is not held"


@dataclass(eq=False)
class HeldLockFreed(Finding):
    """``print_freed_lock_bug``: memory holding a held lock is freed or re-initialised."""

    kind: ClassVar[str] = "held_lock_freed"
    lock: HeldLock | None = None
    size: int = 0x40

    @property
    def detail(self) -> str:
        return f"{self.lock.instance.name} is held"


@dataclass(eq=False)
class StillHeld(Finding):
    """``print_held_locks_bug``: a task exits holding locks."""

    kind: ClassVar[str] = "still_held"

    @property
    def detail(self) -> str:
        return f"{self.task.comm}/{self.task.pid} exits holding {len(self.held)}"


@dataclass(eq=False)
class HeldOnReturn(Finding):
    """``lockdep_sys_exit``: a system call returns to user space holding locks."""

    kind: ClassVar[str] = "held_on_return"

    @property
    def detail(self) -> str:
        return f"{self.task.comm}/{self.task.pid} returns to user space holding {len(self.held)}"


@dataclass(eq=False)
class InvalidWait(Finding):
    """``print_lock_invalid_wait_context``: a lock that may wait more than the context allows."""

    kind: ClassVar[str] = "invalid_wait"
    lock: HeldLock | None = None
    context: int = 0
    """The task's context wait type, printed (``context-{X:X}``)."""
    needs: str = ""
    allows: str = ""

    @property
    def detail(self) -> str:
        return f"{self.lock.instance.name} needs {self.needs}, context allows {self.allows}"


@dataclass(eq=False)
class NestedNotHeld(Finding):
    """``print_lock_nested_lock_not_held``: the nest lock named for an acquisition is not held."""

    kind: ClassVar[str] = "nested_not_taken"
    lock: HeldLock | None = None
    nest: LockInstance | None = None

    @property
    def detail(self) -> str:
        return f"acquiring {self.lock.instance.name} with nest lock {self.nest.name}, which is not held"


@dataclass(eq=False)
class SuspiciousRcu(Finding):
    """``lockdep_rcu_suspicious``: an RCU rule broken (``synchronize_rcu()`` in a read-side section)."""

    kind: ClassVar[str] = "suspicious_rcu"
    where: str = ""
    message: str = ""

    @property
    def detail(self) -> str:
        return self.message


@dataclass(eq=False)
class DebugWarn(Finding):
    """A ``DEBUG_LOCKS_WARN_ON()`` of the lock code itself (the ww_mutex checks): a plain WARN,
    which turns lockdep off like a report does."""

    kind: ClassVar[str] = "debug_locks_warn"
    condition: str = ""
    where: str = ""
    function: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def detail(self) -> str:
        return f"DEBUG_LOCKS_WARN_ON({self.condition})"
