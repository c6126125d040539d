"""Usage bits and the irq checks built on them (``mark_lock`` and its callers in lockdep.c).

A class gains a usage bit the first time it is taken in an irq context (``IN-HARDIRQ-W``)
or with an irq enabled (``HARDIRQ-ON-W``), for write or read. Each new bit is checked at
once, in the kernel's order (``mark_lock_irq``):

1. the single-lock rule (``valid_state``): the class may not be both irq-safe and
   irq-unsafe for the same irq, except read-in-irq with read-with-irqs-on, which cannot
   deadlock because a reader never blocks a recursive reader;
2. the multi-lock rule along the graph: a new "used in irq" bit looks forwards for a
   class that is irq-unsafe (``check_usage_forwards``), a new "enabled" bit looks
   backwards for one that is irq-safe (``check_usage_backwards``); either is an irq
   inversion.

A new dependency is checked the other way round (``check_irq_usage``): gather the
"used in irq" bits of everything that leads to the held lock, then look for a class
the new lock leads to that has the matching "enabled" bit: a safe -> unsafe order.

Per-CPU classes (``local_lock_t``) are neither matched nor walked through in these
searches (``usage_skip``).

>>> from splatkit.sim import run
>>> run("spinlock D\\nt hardirq: lock D\\nt hardirq: unlock D\\nt: lock D").finding.detail
'D {IN-HARDIRQ-W} -> {HARDIRQ-ON-W}'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .findings import Inconsistent, IrqInversion, IrqState, SafeUnsafe
from .graph import Node
from .state import (
    DIR_MASK,
    IRQ_BITS,
    READ_MASK,
    USED,
    USED_READ,
    HeldLock,
    TaskState,
    exclusive_bit,
    is_enabled,
    is_used_in,
    state_name,
    usage_bit,
)

if TYPE_CHECKING:
    from .validator import Lockdep

__all__ = ["check_irq_usage", "mark_held_locks", "mark_lock", "mark_usage"]

_USED_IN_ALL = sum(1 << b for b in IRQ_BITS if is_used_in(b))
_ENABLED_ALL = sum(1 << b for b in IRQ_BITS if is_enabled(b))
_WRITE_ALL = sum(1 << b for b in IRQ_BITS if not b & READ_MASK)


def _usage_of(node: Node) -> int:
    """The bits that count at a reached class: only the write ones when ``only_xr``."""
    return node.cls.usage & _WRITE_ALL if node.only_xr else node.cls.usage


def _skip(node: Node) -> bool:
    """``usage_skip``: per-CPU classes are left out of the irq-usage searches."""
    return node.cls.cls.type.percpu


def mark_usage(ld: Lockdep, task: TaskState, hl: HeldLock) -> None:
    """``mark_usage``: the bits an acquisition sets, each checked as it is set."""
    if hl.check:
        if not hl.trylock:
            for state, inside in (("HARDIRQ", task.hardirq_context), ("SOFTIRQ", task.softirq_context)):
                if inside:
                    mark_lock(ld, task, hl, usage_bit(state, enabled=False, read=bool(hl.read)))
        if not hl.hardirqs_off and not hl.sync:
            mark_lock(ld, task, hl, usage_bit("HARDIRQ", enabled=True, read=bool(hl.read)))
            if task.softirqs_enabled:
                mark_lock(ld, task, hl, usage_bit("SOFTIRQ", enabled=True, read=bool(hl.read)))
    mark_lock(ld, task, hl, USED)
    if hl.read:
        mark_lock(ld, task, hl, USED_READ)


def mark_held_locks(ld: Lockdep, task: TaskState, state: str) -> None:
    """``mark_held_locks``: an irq is being enabled, so every held lock is irq-unsafe for it."""
    for hl in list(task.held):
        if hl.check:
            mark_lock(ld, task, hl, usage_bit(state, enabled=True, read=bool(hl.read)))


def mark_lock(ld: Lockdep, task: TaskState, hl: HeldLock, bit: int) -> None:
    """``mark_lock``: set ``bit`` on the held lock's class; a new irq bit is checked at once.
    The bit is set before the checks, so a report shows it in the class's usage."""
    cls = hl.cls
    if cls.has(bit):
        return
    cls.usage |= 1 << bit
    cls.traces[bit] = ld.usage_trace
    if bit >= USED:
        return
    excl = exclusive_bit(bit)
    _valid_state(ld, task, hl, bit, excl)
    if not bit & READ_MASK:
        _valid_state(ld, task, hl, bit, excl | READ_MASK)
    if bit & DIR_MASK:
        _check_usage(ld, task, hl, bit, excl, forwards=False)
    else:
        _check_usage(ld, task, hl, bit, excl, forwards=True)


def _valid_state(ld: Lockdep, task: TaskState, hl: HeldLock, new_bit: int, bad_bit: int) -> None:
    if hl.cls.has(bad_bit):
        ld.report(Inconsistent, task, lock=hl, prev_bit=bad_bit, new_bit=new_bit, irq=IrqState.of(task),
                  printer=("print_usage_bug", "mark_lock_irq", "mark_lock"))


def _check_usage(ld: Lockdep, task: TaskState, hl: HeldLock, new_bit: int, bit: int, *, forwards: bool) -> None:
    """``check_usage_forwards`` / ``check_usage_backwards`` for a newly set bit."""
    mask = (1 << bit) | (1 << (bit | READ_MASK))
    # The forward root starts "recursive reader only", the backward one "any reader".
    only_xr = hl.read == 2 if forwards else hl.read != 0
    found = ld.graph.search(hl.cls, only_xr=only_xr, forward=forwards,
                            match=lambda node: bool(_usage_of(node) & mask), skip=_skip)
    if found is None:
        return
    name = state_name(bit if found.cls.has(bit) else bit | READ_MASK)
    ld.report(IrqInversion, task, lock=hl, new_bit=new_bit, other=found, forwards=forwards, irqclass=name,
              printer=("print_irq_inversion_bug.part.0",
                       "check_usage_forwards" if forwards else "check_usage_backwards", "mark_lock_irq",
                       "mark_lock"))


def _exclusive_mask(mask: int) -> int:
    """``exclusive_mask``: for used-in bits, the enabled bits (write and read) that clash."""
    excl = 0
    for bit in IRQ_BITS:
        if mask & (1 << bit) and is_used_in(bit):
            other = exclusive_bit(bit)
            excl |= (1 << other) | (1 << (other | READ_MASK))
    return excl


def _original_mask(mask: int) -> int:
    """``original_mask``: for enabled bits, the used-in bits (write and read) they clash with."""
    orig = 0
    for bit in IRQ_BITS:
        if mask & (1 << bit) and is_enabled(bit):
            used_in = bit & ~(DIR_MASK | READ_MASK)
            orig |= (1 << used_in) | (1 << (used_in | READ_MASK))
    return orig


def _exclusive_match(mask: int, excl_mask: int) -> tuple[int, int] | None:
    """``find_exclusive_match``: the first bit of ``mask`` with a clashing bit in ``excl_mask``."""
    for bit in range(USED):
        if not mask & (1 << bit):
            continue
        excl = exclusive_bit(bit)
        if excl_mask & (1 << excl):
            return bit, excl
        if excl_mask & (1 << (excl | READ_MASK)):
            return bit, excl | READ_MASK
    return None


def check_irq_usage(ld: Lockdep, task: TaskState, prev: HeldLock, nxt: HeldLock) -> None:
    """``check_irq_usage``: would ``prev -> next`` lead from an irq-safe class to an irq-unsafe one?"""
    gathered = [0]

    def accumulate(node: Node) -> bool:
        gathered[0] |= _usage_of(node)
        return False

    ld.graph.search(prev.cls, only_xr=prev.read != 0, forward=False, match=accumulate, skip=_skip)
    used_in = gathered[0] & _USED_IN_ALL
    if not used_in:
        return
    forward_mask = _exclusive_mask(used_in)
    unsafe = ld.graph.search(nxt.cls, only_xr=nxt.read == 2, forward=True,
                             match=lambda node: bool(_usage_of(node) & forward_mask), skip=_skip)
    if unsafe is None:
        return
    backward_mask = _original_mask(unsafe.cls.usage & _ENABLED_ALL)
    safe = ld.graph.search(prev.cls, only_xr=prev.read != 0, forward=False,
                           match=lambda node: bool(_usage_of(node) & backward_mask), skip=_skip)
    if safe is None:
        return
    pair = _exclusive_match(safe.cls.usage, unsafe.cls.usage)
    if pair is None:
        return
    ld.report(SafeUnsafe, task, lock=nxt, prev=prev, safe=safe, unsafe=unsafe, safe_bit=pair[0],
              unsafe_bit=pair[1], irqclass=state_name(pair[0]), irq=IrqState.of(task),
              printer=("print_bad_irq_dependency", "check_irq_usage", "validate_chain"))
