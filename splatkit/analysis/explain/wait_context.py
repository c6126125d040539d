"""``Invalid wait context`` explained: a lock that may wait more than the context around it allows.

Since 5.7 lockdep gives every lock class a wait type (``-{OUTER:INNER}``) and checks that a
lock is never taken inside a stricter one: a sleeping lock (mutex) inside a spinning one, or,
with ``CONFIG_PROVE_RAW_LOCK_NESTING``, a ``spinlock_t`` inside a ``raw_spinlock_t`` or in
hard interrupt context. The second is harmless on most kernels and a real bug on
PREEMPT_RT, where ``spinlock_t`` sleeps. The numbers depend on the config (``Splat.wait_scale``,
:mod:`splatkit.usage`), so they are named only when the report says which scale it uses.
"""

from __future__ import annotations

from ...model import LockUse, Splat
from ...usage import wait_type_name
from .common import finish, held_locks_section, site, stack_site
from .document import Code, Explanation, Paragraph, Section, para

__all__ = ["WAIT_TYPES", "explain_invalid_wait"]

#: Each wait type in words: (what it is, examples).
WAIT_TYPES: dict[str, tuple[str, str]] = {
    "LD_WAIT_INV": ("not checked", ""),
    "LD_WAIT_FREE": ("wait-free", "RCU read side, lock-free code"),
    "LD_WAIT_SPIN": ("a spinning lock, even on PREEMPT_RT", "raw_spinlock_t, hard interrupt context"),
    "LD_WAIT_CONFIG": ("a lock that spins, but sleeps on PREEMPT_RT", "spinlock_t, rwlock_t, local_lock_t"),
    "LD_WAIT_SLEEP": ("a sleeping lock", "mutex, rw_semaphore, semaphore"),
    "LD_WAIT_MAX": ("a context that may sleep", "a task outside any spinning lock"),
}


def _name(value: int, scale: str | None) -> str | None:
    return wait_type_name(value, scale)


def _described(value: int, scale: str | None) -> Paragraph:
    name = _name(value, scale)
    if name is None:
        return para(f"wait type {value} (which one depends on CONFIG_PROVE_RAW_LOCK_NESTING, and the report does "
                    "not say)")
    what, examples = WAIT_TYPES[name]
    return para(Code(name), f": {what}", f" ({examples})" if examples else "")


def _strictest(splat: Splat) -> LockUse | None:
    """The held lock whose inner wait type is the lowest (the one that forbids the acquisition)."""
    held = [h.lock for h in splat.held_locks if h.lock.wait is not None and h.lock.wait[1] > 0]
    return min(held, key=lambda lock: lock.wait[1], default=None)


def explain_invalid_wait(splat: Splat) -> Explanation:
    """Explain an ``invalid_wait`` report."""
    lock = splat.acquiring
    scale = splat.wait_scale
    name = lock.name if lock else "a lock"
    where = (lock.at if lock and lock.at else None) or stack_site(splat.backtrace)
    outer = lock.wait[0] if lock and lock.wait else None
    blocker = _strictest(splat)
    context = splat.wait_context[1] if splat.wait_context else None
    limit = min((v for v in (blocker.wait[1] if blocker else None, context) if v), default=None)
    inside: Paragraph
    if blocker is not None and (context is None or blocker.wait[1] <= context):
        inside = para("while holding ", Code(blocker.name), " (", _described(blocker.wait[1], scale), ", taken in ",
                      site(blocker.at), ")")
    elif context is not None:
        inside = para("in a context that allows no more than ", _described(context, scale),
                      " (interrupt context, or interrupts disabled)" if context <= 2 else "")
    else:
        inside = para("in a context the report does not describe")
    outer_text = _described(outer, scale) if outer is not None else para("a wait type the report does not show")
    summary = para("Lockdep found a lock that may wait longer than its context allows: ", site(where), " takes ",
                   Code(name), " (", outer_text, ") ", inside, ".")
    outer_name = _name(outer, scale) if outer is not None else None
    limit_name = _name(limit, scale) if limit is not None else None
    consequences = []
    if outer_name == "LD_WAIT_SLEEP" or outer_name == "LD_WAIT_MAX":
        consequences.append(para("A sleeping lock inside a spinning one (or in atomic context) is a bug on every "
                                 "kernel: the task may sleep while it must not (\"BUG: sleeping function called "
                                 "from invalid context\" when it actually blocks)."))
    elif outer_name == "LD_WAIT_CONFIG":
        consequences.append(para("On a kernel without PREEMPT_RT this works, because ", Code("spinlock_t"),
                                 " spins there. On PREEMPT_RT ", Code("spinlock_t"), " and ", Code("rwlock_t"),
                                 " are sleeping locks, so this sleeps inside ",
                                 "a raw spinning context" if limit_name == "LD_WAIT_SPIN" else "a stricter context",
                                 ": a bug there."))
    elif outer is None or outer_name is None:
        consequences.append(para("Which lock types these are depends on CONFIG_PROVE_RAW_LOCK_NESTING; the report "
                                 "does not show enough to tell, so the consequences are not spelt out."))
    fixes = para("Take ", Code(name), " before entering the stricter context, move the work out of it (a "
                 "workqueue, a threaded interrupt handler), or make the outer lock a sleeping one; for a ",
                 Code("spinlock_t"), " that must be taken under a ", Code("raw_spinlock_t"),
                 ", convert it to ", Code("raw_spinlock_t"), " only if its sections are short and bounded.")
    sections = [
        Section("What breaks", tuple(consequences)),
        Section("What to do", (fixes,)),
        held_locks_section(splat),
    ]
    conditions = [para("The report is about what may happen, not a hang that happened: it fires on the first such "
                       "nesting, whether or not the lock was contended.")]
    if outer_name == "LD_WAIT_CONFIG":
        conditions.append(para("The bug bites only on PREEMPT_RT kernels (CONFIG_PREEMPT_RT), where ",
                               Code("spinlock_t"), " sleeps."))
    unknowns = [] if scale else [para("Which wait-type scale the kernel uses (CONFIG_PROVE_RAW_LOCK_NESTING): "
                                      "values from 3 up mean different lock types with and without it.")]
    return finish(splat, summary, [s for s in sections if s is not None and s.blocks], conditions=conditions,
                  unknowns=unknowns)
