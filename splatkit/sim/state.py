"""Lockdep's state: usage bits per class, held-lock stacks, and each task's irq state.

Usage bits follow ``enum lock_usage_bit`` (``kernel/locking/lockdep_internals.h``): per
irq state (HARDIRQ, SOFTIRQ) four bits, "used in" the irq or "enabled" (taken with the irq
on), each for write or read, then ``LOCK_USED`` and ``LOCK_USED_READ``. Bit 0 of a bit
number is the read flag, bit 1 the direction, the rest the state, so the arithmetic the
kernel does on them (``exclusive_bit``, ``state_name``) works here too.

>>> USAGE_NAMES[usage_bit("HARDIRQ", enabled=True, read=False)]
'HARDIRQ-ON-W'
>>> exclusive_bit(usage_bit("SOFTIRQ", enabled=False, read=True)) == usage_bit("SOFTIRQ", enabled=True, read=False)
True
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .classes import LockClass, LockInstance
from .frames import Site, Trace

__all__ = [
    "DIR_MASK",
    "IRQ_BITS",
    "IRQ_STATES",
    "READ_MASK",
    "USAGE_NAMES",
    "USED",
    "USED_READ",
    "ClassState",
    "HeldLock",
    "IrqEvent",
    "TaskState",
    "exclusive_bit",
    "is_enabled",
    "is_used_in",
    "state_name",
    "usage_bit",
]

#: ``lockdep_states.h`` (4.14+): the irq states usage bits are kept for, in bit order.
IRQ_STATES = ("HARDIRQ", "SOFTIRQ")
READ_MASK = 1
DIR_MASK = 2
USED = 4 * len(IRQ_STATES)
USED_READ = USED + 1

#: ``usage_str[]``: the name of every usage bit, as the reports print it.
USAGE_NAMES: tuple[str, ...] = tuple(
    name for state in IRQ_STATES
    for name in (f"IN-{state}-W", f"IN-{state}-R", f"{state}-ON-W", f"{state}-ON-R")
) + ("INITIAL USE", "INITIAL READ USE")

#: The irq bits, used-in and enabled, write and read (``LOCKF_USED_IN_IRQ_ALL | LOCKF_ENABLED_IRQ_ALL``).
IRQ_BITS = tuple(range(USED))


def usage_bit(state: str, *, enabled: bool, read: bool) -> int:
    """The bit number for (irq state, direction, read)."""
    return IRQ_STATES.index(state) * 4 + (DIR_MASK if enabled else 0) + (READ_MASK if read else 0)


def exclusive_bit(bit: int) -> int:
    """``exclusive_bit()``: same state, opposite direction, write (the read flag stripped)."""
    return (bit & ~3) | ((bit & DIR_MASK) ^ DIR_MASK)


def state_name(bit: int) -> str:
    """``state_name()``: ``HARDIRQ``, or ``HARDIRQ-READ`` for a read bit."""
    state = IRQ_STATES[bit >> 2]
    return f"{state}-READ" if bit & READ_MASK else state


def is_used_in(bit: int) -> bool:
    """Whether ``bit`` is a "used in irq context" bit (``LOCK_USED_IN_*``)."""
    return bit < USED and not bit & DIR_MASK


def is_enabled(bit: int) -> bool:
    """Whether ``bit`` is an "irq enabled" bit (``LOCK_ENABLED_*``)."""
    return bit < USED and bool(bit & DIR_MASK)


@dataclass(eq=False)
class ClassState:
    """What lockdep knows of one lock class: its usage bits, and where each was first set."""

    cls: LockClass
    index: int
    """Registration order (``lock_classes[]`` index): the ``__key.N`` the reports print."""
    usage: int = 0
    """The usage mask: bit ``1 << n`` for usage bit ``n``."""
    traces: dict[int, Trace] = field(default_factory=dict)
    """``usage_traces[]``: the stack that set each bit."""

    @property
    def name(self) -> str:
        return self.cls.name

    def has(self, bit: int) -> bool:
        return bool(self.usage & (1 << bit))

    def write_bits(self) -> int:
        """The mask without read bits (``usage_mask & LOCKF_IRQ``)."""
        return self.usage & sum(1 << b for b in IRQ_BITS if not b & READ_MASK)


@dataclass(eq=False)
class HeldLock:
    """One entry of a task's held-lock stack (``struct held_lock``)."""

    instance: LockInstance
    cls: ClassState
    read: int
    """0 writer, 1 non-recursive reader, 2 recursive reader."""
    site: Site
    trace: Trace
    """The stack of the acquisition (what ``, at:`` and chain entry #0 come from)."""
    irq_context: int
    """2 for hardirq plus 1 for softirq context (``task_irq_context``)."""
    hardirqs_off: bool
    trylock: bool = False
    nest: LockInstance | None = None
    check: bool = True
    sync: bool = False
    references: int = 0
    saved_irqs: bool | None = None
    """For ``lock_irqsave``: whether hard irqs were on before, restored at unlock."""

    @property
    def at(self) -> str:
        """The frame ``print_lock`` prints after ``, at:`` (the acquiring function)."""
        return self.site.at


@dataclass
class IrqEvent:
    """One of ``print_irqtrace_events``' four lines: the last enable or disable of an irq kind."""

    stamp: int = 0
    at: str = ""
    """The frame that did it; empty when it never happened (printed ``0x0``)."""


@dataclass(eq=False)
class TaskState:
    """One task: its held locks and the irq state lockdep tracks for it."""

    comm: str
    pid: int
    cpu: int
    held: list[HeldLock] = field(default_factory=list)
    hardirqs_enabled: bool = True
    softirqs_enabled: bool = True
    hardirq_context: int = 0
    hardirq_threaded: bool = False
    softirq_context: int = 0
    bh_count: int = 0
    nofs: int = 0
    """Depth of ``memalloc_nofs_save()`` scopes (allocations then do not enter FS reclaim)."""
    irq_events: int = 0
    events: dict[str, IrqEvent] = field(default_factory=lambda: {
        key: IrqEvent() for key in ("hardirqs_on", "hardirqs_off", "softirqs_on", "softirqs_off")})

    @property
    def irq_context(self) -> int:
        """``task_irq_context()``: 2 in hardirq context, plus 1 in softirq context."""
        return 2 * bool(self.hardirq_context) + bool(self.softirq_context)

    @property
    def in_interrupt(self) -> bool:
        """``in_interrupt()``: hardirq, softirq, or bottom halves disabled."""
        return bool(self.hardirq_context or self.softirq_context or self.bh_count)

    @property
    def softirq_count(self) -> int:
        """``softirq_count() >> SOFTIRQ_SHIFT``: 1 per softirq being served, 2 per ``local_bh_disable``."""
        return self.softirq_context + 2 * self.bh_count

    def record(self, event: str, at: str) -> None:
        """Note an irq enable or disable for ``print_irqtrace_events``."""
        self.irq_events += 1
        self.events[event] = IrqEvent(self.irq_events, at)
