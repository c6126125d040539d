"""Interrupt-context reports explained: a lock taken in an interrupt and with that interrupt enabled.

Lockdep records, per lock class, in which interrupt contexts it was taken (``IN-HARDIRQ-W``:
irq-safe) and whether it was taken with an interrupt enabled (``HARDIRQ-ON-W``: irq-unsafe).
Both at once means one CPU can deadlock on its own: it holds the lock with the interrupt
enabled, the interrupt arrives, and the handler spins on the lock its own CPU holds.

- ``inconsistent_state``: one class gained the second usage now (``{PREV} -> {NEW}``).
- ``irq_safe_unsafe`` and ``irq_inversion``: an irq-safe lock is held while an irq-unsafe
  one is taken (a dependency safe -> unsafe), so an interrupt on a second CPU closes the
  circle: two CPUs, lockdep's six-step scenario.

The usage-bit names are decoded here (:func:`usage_words`); the usage strings of the locks
with the report's own era layout (:mod:`splatkit.usage`).
"""

from __future__ import annotations

import re

from ...model import Frame, LockUse, Splat, StateTrace
from ...usage import lock_usage
from .common import finish, held_locks_section, site, stack_site
from .document import Bullets, Code, Explanation, Paragraph, Scenario, Section, Step, para
from .circular import LEGEND

__all__ = ["explain_inconsistent_state", "explain_irq_dependency", "usage_words"]

#: A usage bit's name in any era: ``IN-HARDIRQ-W``, ``HARDIRQ-ON-R``, ``in-softirq-W``, ``RECLAIM_FS-ON-W``.
_USAGE_NAME = re.compile(r"^(?P<in>IN-)?(?P<state>HARDIRQ|SOFTIRQ|RECLAIM_FS)(?P<on>-ON)?(?:-(?P<rw>[WR]))?$",
                         re.IGNORECASE)

#: The interrupt state of a usage name or an irq class, in words: (context, "with ... enabled").
_STATES = {
    "HARDIRQ": ("hardirq context", "with hardirqs enabled", "hardirq", "spin_lock_irqsave()"),
    "SOFTIRQ": ("softirq context", "with softirqs enabled", "softirq", "spin_lock_bh()"),
    "RECLAIM_FS": ("filesystem reclaim", "with a __GFP_FS allocation possible under it", "reclaim",
                   "memalloc_nofs_save() around the allocation"),
}


def _state(name: str | None) -> str:
    """HARDIRQ, SOFTIRQ or RECLAIM_FS from a usage name or irq class (``hard``, ``SOFTIRQ-READ``...)."""
    upper = (name or "").upper()
    if upper.startswith("HARD") or "HARDIRQ" in upper:
        return "HARDIRQ"
    if "RECLAIM" in upper:
        return "RECLAIM_FS"
    return "SOFTIRQ"


def usage_words(name: str) -> str:
    """A usage bit's name in words.

    >>> usage_words("IN-SOFTIRQ-W"), usage_words("HARDIRQ-ON-R")
    ('taken in softirq context', 'taken for read with hardirqs enabled')
    """
    m = _USAGE_NAME.match(name.strip())
    if not m:
        return f"used as {name}"
    context, enabled, _short, _fix = _STATES[m["state"].upper()]
    read = " for read" if (m["rw"] or "").upper() == "R" else ""
    return f"taken{read} in {context}" if m["in"] else f"taken{read} {enabled}"


def _is_in(name: str) -> bool:
    m = _USAGE_NAME.match(name.strip())
    return bool(m and m["in"])


def _trace(splat: Splat, *events: str) -> StateTrace | None:
    return next((t for t in splat.traces if t.event in events), None)


def _trace_site(trace: StateTrace | None) -> Frame | None:
    return stack_site(trace.frames) if trace is not None else None


def _usage_line(splat: Splat, lock: LockUse) -> Paragraph | None:
    """``{+.?.}``: what the lock's usage string says, decoded with the report's era."""
    bits = lock_usage(splat, lock)
    if not bits:
        return None
    said = [f"{b.state.lower()} {'read' if b.access == 'R' else 'write'}: {b.meaning}" for b in bits
            if b.meaning != "unused"]
    return para(Code(lock.name), f" {{{lock.usage}}}: ", "; ".join(said) if said else "no irq usage recorded", ".")


def explain_inconsistent_state(splat: Splat) -> Explanation:
    """``inconsistent {PREV} -> {NEW} usage``: one lock class used both in and outside an interrupt."""
    lock = splat.acquiring
    name = lock.name if lock else "the lock"
    prev, new = splat.usage_change or ("?", "?")
    state = _state(new if _is_in(new) else prev)
    context, enabled, short, fix = _STATES[state]
    before = _trace(splat, "registered")
    now_site = (lock.at if lock and lock.at else None) or stack_site(splat.backtrace)
    before_site = _trace_site(before)
    summary = para("Lockdep found ", Code(name), " used in two ways that can deadlock one CPU: it was ",
                   usage_words(prev), " (in ", site(before_site), ") and is now ", usage_words(new), " (in ",
                   site(now_site), "). If the interrupt arrives while the lock is held with it enabled, the "
                   f"{short} handler spins forever on a lock its own CPU holds.")
    in_site, on_site = (now_site, before_site) if _is_in(new) else (before_site, now_site)
    in_name = new if _is_in(new) else prev
    on_name = prev if _is_in(new) else new
    op = "rlock" if in_name.upper().endswith("-R") else "lock"
    steps = (Step(1, 0, "rlock" if on_name.upper().endswith("-R") else "lock", name, on_site),
             Step(2, 0, "<Interrupt>"),
             Step(3, 0, op, name, in_site, waits_for=1))
    scenario = Scenario(1, steps, tuple((o, LEGEND[o]) for o in ("lock", "rlock") if any(s.op == o for s in steps)))
    sections = [
        Section("How it deadlocks", (
            para(f"One CPU is enough: it takes the lock {enabled}, the interrupt arrives, and the handler takes "
                 "it again:"),
            scenario,
            para(f"Step 3 waits for step 1 on the same CPU, which cannot go on until the handler returns."))),
        Section("Where", (Bullets((
            para(usage_words(on_name).capitalize(), " in ", site(on_site), "."),
            para(usage_words(in_name).capitalize(), " in ", site(in_site), "."))),)),
        Section("What to do", (para(
            "Either stop taking the lock in ", context, ", or take it everywhere else with the interrupt "
            "disabled (", Code(fix), " or a stronger variant)."),)),
        _irq_state_section(splat),
        held_locks_section(splat),
    ]
    usage = _usage_line(splat, lock) if lock else None
    if usage is not None:
        sections.insert(2, Section("Usage", (usage,)))
    unknowns = [] if before is not None else [para("Where the earlier usage was registered: its trace is not in "
                                                   "the report.")]
    return finish(splat, summary, sections, unknowns=unknowns,
                  conditions=[para(f"The interrupt ({short}) must arrive on the CPU while it holds ", Code(name),
                                   f" {enabled}.")],
                  scenario=scenario)


def _irq_state_section(splat: Splat) -> Section | None:
    ctx = splat.irq_context
    if ctx is None:
        return None
    where = "in hardirq context" if ctx.hardirq else "in softirq context" if ctx.softirq else "in process context"
    return Section("Interrupt state at the report", (para(
        f"The task was {where}, with hardirqs {'enabled' if ctx.hardirqs_enabled else 'disabled'} and softirqs "
        f"{'enabled' if ctx.softirqs_enabled else 'disabled'}", f" ({ctx.text.strip()})" if ctx.text else "", "."),))


def explain_irq_dependency(splat: Splat) -> Explanation:
    """``irq_safe_unsafe`` and ``irq_inversion``: an irq-safe lock held while an irq-unsafe one is taken."""
    state = _state(splat.irq_class)
    context, enabled, short, fix = _STATES[state]
    safe, unsafe = _safe_unsafe(splat)
    safe_name = safe.name if safe else "an irq-safe lock"
    unsafe_name = unsafe.name if unsafe else "an irq-unsafe lock"
    safe_site = _trace_site(_trace(splat, "became_safe")) or _path_site(splat, safe_name, "IN-")
    unsafe_site = _trace_site(_trace(splat, "became_unsafe")) or _path_site(splat, unsafe_name, "-ON-")
    dep_site = (splat.acquiring.at if splat.acquiring and splat.acquiring.at else None) or stack_site(splat.backtrace)
    if splat.kind == "irq_inversion":
        changed = splat.acquiring.name if splat.acquiring else "a lock"
        opening = para(Code(changed), f" just became {'irq-safe' if changed == safe_name else 'irq-unsafe'} "
                       "(in ", site(dep_site), "), and an existing dependency already orders ")
    else:
        opening = para(Code(str(splat.task)) if splat.task else "The task", " took ", Code(unsafe_name), " in ",
                       site(dep_site), " while holding ", Code(splat.holding.name if splat.holding else safe_name),
                       ", which orders ")
    summary = para("Lockdep found an interrupt-driven deadlock across two CPUs. ", opening, Code(safe_name),
                   f" ({short}-safe: taken in {context}) before ", Code(unsafe_name),
                   f" ({short}-unsafe: taken {enabled}). An interrupt that takes ", Code(safe_name),
                   " can then arrive on a CPU holding ", Code(unsafe_name), " while another CPU holds ",
                   Code(safe_name), " and waits for it.")
    steps = (Step(1, 0, "lock", unsafe_name, unsafe_site),
             Step(2, 1, "local_irq_disable();"),
             Step(3, 1, "lock", safe_name),
             Step(4, 1, "lock", unsafe_name, dep_site if splat.kind == "irq_safe_unsafe" else None, waits_for=1),
             Step(5, 0, "<Interrupt>"),
             Step(6, 0, "lock", safe_name, safe_site, waits_for=3))
    scenario = Scenario(2, steps, (("lock", LEGEND["lock"]),))
    waits = Bullets((
        para(f"CPU1 at step 4 waits for CPU0's step 1: ", Code(unsafe_name), " is held there."),
        para(f"CPU0 at step 6, in the {short} handler, waits for CPU1's step 3: ", Code(safe_name),
             " is held there, and CPU1 waits for CPU0, which cannot leave the handler."),
    ))
    sections = [
        Section("How it deadlocks", (para("CPU0 holds ", Code(unsafe_name), f" {enabled}; CPU1 disables interrupts, "
                                          "takes the irq-safe lock, then wants the irq-unsafe one; the interrupt "
                                          "arrives on CPU0:"), scenario, waits)),
        Section("Where", (Bullets(tuple(p for p in (
            para(Code(safe_name), f" became {short}-safe (taken in {context}) in ", site(safe_site), "."),
            para(Code(unsafe_name), f" became {short}-unsafe (taken {enabled}) in ", site(unsafe_site), "."),
            para("The dependency ", Code(safe_name), " \u2192 ", Code(unsafe_name),
                 " was made in ", site(dep_site), ".") if splat.kind == "irq_safe_unsafe" else None,
        ) if p is not None)),)),
        Section("What to do", (para(
            "Take ", Code(unsafe_name), f" with {short}s disabled everywhere (", Code(fix),
            "), or stop taking it under ", Code(safe_name), ", or stop taking ", Code(safe_name), f" in {context}."),)),
        Section("Usage", tuple(u for u in (_usage_line(splat, safe) if safe else None,
                                           _usage_line(splat, unsafe) if unsafe else None) if u is not None)) or None,
        _paths_section(splat),
        held_locks_section(splat),
    ]
    sections = [s for s in sections if s is not None and s.blocks]
    unknowns = []
    if safe_site is None:
        unknowns.append(para("Where ", Code(safe_name), " was taken in interrupt context: not in the report."))
    if unsafe_site is None:
        unknowns.append(para("Where ", Code(unsafe_name), f" was taken {enabled}: not in the report."))
    conditions = [para(f"The {short} must arrive on CPU0 while it holds ", Code(unsafe_name),
                       ", while CPU1 holds ", Code(safe_name), " and waits for it.")]
    return finish(splat, summary, sections, conditions=conditions, unknowns=unknowns, scenario=scenario)


def _safe_unsafe(splat: Splat) -> tuple[LockUse | None, LockUse | None]:
    safe, unsafe = splat.other_lock("safe"), splat.other_lock("unsafe")
    if splat.kind == "irq_inversion" and splat.acquiring is not None:
        if safe is not None and unsafe is None:
            unsafe = splat.acquiring
        elif unsafe is not None and safe is None:
            safe = splat.acquiring
    if splat.new_dependency is not None:
        safe = safe or splat.new_dependency[0]
        unsafe = unsafe or splat.new_dependency[1]
    return safe, unsafe


def _path_site(splat: Splat, lock: str, marker: str) -> Frame | None:
    """Where a dependency path's class shows the usage (``IN-`` for irq-safe, ``-ON-`` for irq-unsafe)."""
    for path in splat.dependency_paths:
        for cls in path.classes:
            if cls.lock.name != lock:
                continue
            for trace in cls.usage_traces:
                if marker in trace.usage.upper():
                    return stack_site(trace.frames)
    return None


def _paths_section(splat: Splat) -> Section | None:
    items = []
    for path in splat.dependency_paths:
        locks = path.locks
        if not locks:
            continue
        chain = para(*[part for i, lock in enumerate(locks) for part in ((" \u2192 " if i else ""), Code(lock))])
        between = path.between[4:] if path.between.startswith("the ") else path.between
        items.append(para(f"Between the {between}: ", chain))
    if not items:
        return None
    return Section("Dependency paths lockdep printed", (Bullets(tuple(items)),))

