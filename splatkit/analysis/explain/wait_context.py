"""``Invalid wait context`` explained: a lock that may wait more than the context around it allows.

Since 5.7 lockdep gives every lock class a wait type (``-{OUTER:INNER}``) and checks that a
lock is never taken inside a stricter one: a sleeping lock (mutex) inside a spinning one, or,
with ``CONFIG_PROVE_RAW_LOCK_NESTING``, a ``spinlock_t`` inside a ``raw_spinlock_t`` or in
hard interrupt context. The second is harmless on most kernels and a real bug on
PREEMPT_RT, where ``spinlock_t`` sleeps. The numbers depend on the config (``Splat.wait_scale``,
:mod:`splatkit.usage`), so they are named only when the report says which scale it uses.
"""

from __future__ import annotations

import re

from ...model import LockUse, Splat
from ...usage import wait_type_name
from .common import acquired_site, finish, held_locks_section, held_site, site
from .document import Code, Explanation, Paragraph, Section, para

__all__ = ["CONTEXTS", "NESTS", "WAIT_TYPES", "explain_invalid_wait", "strictest_held"]

#: Each wait type in words: (what it is, examples).
WAIT_TYPES: dict[str, tuple[str, str]] = {
    "LD_WAIT_INV": ("not checked", ""),
    "LD_WAIT_FREE": ("wait-free", "RCU read side, lock-free code"),
    "LD_WAIT_SPIN": ("a spinning lock, even on PREEMPT_RT", "raw_spinlock_t, hard interrupt context"),
    "LD_WAIT_CONFIG": ("a lock that spins, but sleeps on PREEMPT_RT", "spinlock_t, rwlock_t, local_lock_t"),
    "LD_WAIT_SLEEP": ("a sleeping lock", "mutex, rw_semaphore, semaphore"),
    "LD_WAIT_MAX": ("a context that may sleep", "a task outside any spinning lock"),
}


#: What may be taken inside a held lock whose *inner* wait type is this (the inner number of
#: ``-{OUTER:INNER}`` limits what nests inside the lock, not what the lock itself is).
NESTS: dict[str, str] = {
    "LD_WAIT_FREE": "nothing that waits may be taken inside it",
    "LD_WAIT_SPIN": "only spinning locks may be taken inside it (raw_spinlock_t; spinlock_t too unless "
                    "CONFIG_PROVE_RAW_LOCK_NESTING); sleeping is not allowed",
    "LD_WAIT_SPIN@raw_lock_nesting": "only raw_spinlock_t may be taken inside it (spinlock_t sleeps on PREEMPT_RT); "
                                     "sleeping is not allowed",
    "LD_WAIT_SPIN@default": "only spinning locks (spinlock_t, raw_spinlock_t) may be taken inside it; sleeping is "
                            "not allowed",
    "LD_WAIT_CONFIG": "only spinning locks (spinlock_t, raw_spinlock_t) may be taken inside it; sleeping is not "
                      "allowed",
    "LD_WAIT_SLEEP": "any lock may be taken inside it, sleeping ones included",
    "LD_WAIT_MAX": "any lock may be taken inside it, sleeping ones included",
}

#: The context a ``context-{X:Y}`` value means: lockdep sets it from hardirq, softirq or task
#: context alone (local_irq_disable() does not change it). Keyed ``NAME@scale``, then ``NAME``.
CONTEXTS: dict[str, str] = {
    "LD_WAIT_SPIN@raw_lock_nesting": "hard interrupt context (not threaded)",
    "LD_WAIT_SPIN": "interrupt context (a hard interrupt, or a softirq)",
    "LD_WAIT_CONFIG": "softirq context",
    "LD_WAIT_SLEEP": "task context",
    "LD_WAIT_MAX": "task context",
}

#: Held-lock names whose ``{1:3}`` (an RCU read side with inner LD_WAIT_CONFIG at 3) exists only
#: on the CONFIG_PROVE_RAW_LOCK_NESTING scale (without it LD_WAIT_CONFIG is 2).
_RCU_READERS = re.compile(r"^rcu_read_lock(?:_bh|_sched)?$")

#: Annotations: a "lock" these calls take is a lockdep annotation of what *may* happen there.
_ANNOTATION = re.compile(r"^_*(?:might_fault|might_lock\w*)(?:\.\w+)*$")


def _scale(splat: Splat) -> tuple[str | None, Paragraph | None]:
    """The report's wait-type scale, and the evidence when the explanation inferred it."""
    if splat.wait_scale:
        return splat.wait_scale, None
    for h in splat.held_locks:
        if _RCU_READERS.match(h.lock.name) and h.lock.wait == (1, 3):
            return "raw_lock_nesting", para("The wait types are read with CONFIG_PROVE_RAW_LOCK_NESTING on: the held ",
                                            Code(h.lock.name), " prints {1:3}, which only that scale gives an RCU "
                                            "read side (without it, it is {1:2}).")
    return None, None


def _name(value: int, scale: str | None) -> str | None:
    return wait_type_name(value, scale)


def _keyed(table: dict[str, str], name: str | None, scale: str | None) -> str | None:
    if name is None:
        return None
    return table.get(f"{name}@{scale}") or table.get(name)


def _described(value: int, scale: str | None) -> Paragraph:
    name = _name(value, scale)
    if name is None:
        return para(f"wait type {value} (which one depends on CONFIG_PROVE_RAW_LOCK_NESTING, and the report does "
                    "not say)")
    what, examples = WAIT_TYPES[name]
    return para(Code(name), f": {what}", f" ({examples})" if examples else "")


def _nests(lock: LockUse, scale: str | None) -> Paragraph:
    """``{1:2}: only spinning locks may be taken inside it``: the held lock's inner number in words."""
    outer, inner = lock.wait
    name = _name(inner, scale)
    words = _keyed(NESTS, name, scale)
    if words is None:
        return para(Code(f"{{{outer}:{inner}}}"), f": inner wait type {inner} (which one depends on "
                    "CONFIG_PROVE_RAW_LOCK_NESTING, and the report does not say)")
    return para(Code(f"{{{outer}:{inner}}}"), ", inner ", Code(name), ": ", words)


def _context_words(value: int, scale: str | None) -> str | None:
    return _keyed(CONTEXTS, _name(value, scale), scale)


def strictest_held(splat: Splat) -> LockUse | None:
    """The held lock whose inner wait type is the lowest (the one that forbids the acquisition);
    None when no held lock prints a wait type (then the context forbids it, if anything)."""
    held = [h.lock for h in splat.held_locks if h.lock.wait is not None and h.lock.wait[1] > 0]
    return min(held, key=lambda lock: lock.wait[1], default=None)


def explain_invalid_wait(splat: Splat) -> Explanation:
    """Explain an ``invalid_wait`` report."""
    lock = splat.acquiring
    scale, inferred = _scale(splat)
    name = lock.name if lock else "a lock"
    annotation = bool(lock and lock.at and lock.at.function and _ANNOTATION.match(lock.at.function))
    where = acquired_site(splat, lock.at if lock else None)
    outer = lock.wait[0] if lock and lock.wait else None
    blocker = strictest_held(splat)
    context = splat.wait_context[1] if splat.wait_context else None
    limit = min((v for v in (blocker.wait[1] if blocker else None, context) if v), default=None)
    context_words = _context_words(context, scale) if context is not None else None
    strict_context = context is not None and _name(context, scale) not in (None, "LD_WAIT_SLEEP", "LD_WAIT_MAX")
    inside: Paragraph
    if blocker is not None and (context is None or blocker.wait[1] <= context):
        inside = para("while holding ", Code(blocker.name), " (", _nests(blocker, scale), "; taken in ",
                      held_site(splat, blocker.at), ")")
    elif context is not None:
        inside = para("in ", context_words or "a context", f" (context-{{{splat.wait_context[0]}:{context}}}), "
                      "which allows no more than ", _described(context, scale))
    else:
        inside = para("in a context the report does not describe")
    outer_text = _described(outer, scale) if outer is not None else para("a wait type the report does not show")
    if annotation:
        taking = para(site(where), " may fault, and the fault handler would take ", Code(name), " (", outer_text,
                      "; a lockdep annotation in ", Code(f"{lock.at.function}()"), ", not an acquisition)")
    else:
        taking = para(held_site(splat, where), " takes ", Code(name), " (", outer_text, ")")
    summary = para("Lockdep found a lock that may wait longer than its context allows: ", taking, " ", inside, ".")
    outer_name = _name(outer, scale) if outer is not None else None
    limit_name = _name(limit, scale) if limit is not None else None
    consequences = []
    if blocker is not None and strict_context and inside.parts[0] == "while holding ":
        consequences.append(para(site(where), " runs in ", context_words or "a stricter context",
                                 f" (context-{{{splat.wait_context[0]}:{context}}}), where ", Code(name),
                                 " is invalid even without ", Code(blocker.name), "."))
    sleeping = outer_name in ("LD_WAIT_SLEEP", "LD_WAIT_MAX")
    if sleeping:
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
    if inferred is not None:
        consequences.append(inferred)
    if sleeping and strict_context:
        # (In interrupt context there is no "before" the held lock: the handler itself must not sleep.)
        fixes = para("Do not take ", Code(name), " in ", context_words or "this context", ": move the work to a "
                     "threaded interrupt handler or a workqueue, or use a lock that spins; taking it earlier "
                     "does not help, since the handler itself may not sleep.")
    elif sleeping:
        fixes = para("Take ", Code(name), " before entering the section that forbids sleeping (before ",
                     Code(blocker.name) if blocker else "the spinning lock", "), or move the sleeping work out of "
                     "it (after the unlock, a workqueue, a threaded interrupt handler).")
    else:
        fixes = para("Take ", Code(name), " before entering the stricter context or move the work out of it (a "
                     "workqueue, a threaded interrupt handler); for a ", Code("spinlock_t"), " that must be taken "
                     "under a ", Code("raw_spinlock_t"), ", convert it to ", Code("raw_spinlock_t"), " only if its "
                     "sections are short and bounded.")
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
