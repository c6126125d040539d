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
from ..acquisitions import ALLOCATOR, PseudoLock, pseudo_lock
from .circular import LEGEND
from .common import acquired_site, backtrace, finish, held_locks_section, held_site, site, stack_site
from .document import Bullets, Code, Explanation, Paragraph, Scenario, Section, Step, a, para, prose
from .waits import writer_of

__all__ = ["explain_inconsistent_state", "explain_irq_dependency", "usage_words"]

#: A usage bit's name in any era: ``IN-HARDIRQ-W``, ``HARDIRQ-ON-R``, ``in-softirq-W``, ``RECLAIM_FS-ON-W``.
_USAGE_NAME = re.compile(r"^(?P<in>IN-)?(?P<state>HARDIRQ|SOFTIRQ|RECLAIM_FS|NMI)(?P<on>-ON)?(?:-(?P<rw>[WR]))?$",
                         re.IGNORECASE)

#: The interrupt state of a usage name or an irq class, in words: (context, "with ... enabled").
_STATES = {
    "HARDIRQ": ("hardirq context", "with hardirqs enabled", "hardirq", "spin_lock_irqsave()"),
    "SOFTIRQ": ("softirq context", "with softirqs enabled", "softirq", "spin_lock_bh()"),
    "RECLAIM_FS": ("filesystem reclaim", "with a __GFP_FS allocation possible under it", "reclaim",
                   "memalloc_nofs_save() around the allocation"),
    "NMI": ("NMI context", "outside NMI context", "NMI", ""),
    # (A report cut before it names the interrupt, with a lock unsafe for both: either.)
    "IRQ": ("interrupt context", "with interrupts enabled", "irq", "spin_lock_irqsave()"),
}

#: How each irq state's handler gets to run while the interrupted code holds a lock, and how
#: code keeps it out: (the arrival, in words; the masking a scenario step shows).
_ARRIVALS = {
    "HARDIRQ": ("A hardirq must arrive on {cpu}", "local_irq_disable();"),
    "SOFTIRQ": ("A softirq must run on {cpu} (on irq exit or at local_bh_enable())", "local_bh_disable();"),
    "RECLAIM_FS": ("Memory reclaim must enter the filesystem on {cpu}", "memalloc_nofs_save();"),
    "NMI": ("An NMI must arrive on {cpu}", "(NMIs cannot be masked)"),
    "IRQ": ("An interrupt (a hardirq, or a softirq) must arrive on {cpu}", "local_irq_disable();"),
}


def _state(name: str | None) -> str:
    """HARDIRQ, SOFTIRQ or RECLAIM_FS from a usage name or irq class (``hard``, ``SOFTIRQ-READ``...)."""
    upper = (name or "").upper()
    if upper.startswith("HARD") or "HARDIRQ" in upper:
        return "HARDIRQ"
    if "RECLAIM" in upper:
        return "RECLAIM_FS"
    if "NMI" in upper:
        return "NMI"
    return "SOFTIRQ"


def usage_words(name: str) -> str:
    """A usage bit's name in words.

    >>> usage_words("IN-SOFTIRQ-W"), usage_words("HARDIRQ-ON-R")
    ('taken in softirq context', 'taken for read with hardirqs enabled')
    """
    if name.strip().upper().startswith("INITIAL"):
        return f"first taken ({name.strip()}, lockdep's first sight of it)"
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


def _bit_words(state: str, meaning: str) -> str:
    """A usage bit's meaning in the words of its state: ``hardirq-safe``, ``taken in FS reclaim``."""
    if state == "RECLAIM_FS":
        return {"irq-safe": "taken in FS reclaim", "irq-unsafe": "taken with __GFP_FS allocations possible",
                "both": "taken in FS reclaim and with __GFP_FS allocations possible"}.get(meaning, meaning)
    short = state.lower()
    return {"irq-safe": f"{short}-safe", "irq-unsafe": f"{short}-unsafe",
            "both": f"{short}-safe and {short}-unsafe"}.get(meaning, meaning)


#: Usage layouts whose write positions show only the in-irq use (2.6.18-2.6.29): a ``+`` there
#: does not say whether the lock was also taken with the irq enabled.
_IN_ONLY_LAYOUTS = ("v2.6.18",)


def _usage_line(splat: Splat, lock: LockUse) -> Paragraph | None:
    """``{+.?.}``: what the lock's usage string says, decoded with the report's era."""
    bits = lock_usage(splat, lock)
    if not bits:
        return None
    said = [f"{b.state.lower()} {'read' if b.access == 'R' else 'write'}: {_bit_words(b.state, b.meaning)}"
            for b in bits if b.meaning != "unused"]
    era = " (this era's layout shows only the in-irq use at a write position)" \
        if splat.usage_layout in _IN_ONLY_LAYOUTS and any(b.used_in for b in bits) else ""
    return para(Code(lock.name), f" {{{lock.usage}}}: ", "; ".join(said) if said else "no irq usage recorded",
                era, ".")


def _read_only(splat: Splat, lock: LockUse | None) -> bool:
    """The lock's usage shows read acquisitions only (an rwlock only ever read_lock()ed so far)."""
    bits = lock_usage(splat, lock) if lock is not None else None
    used = [b for b in bits or () if b.meaning != "unused"]
    return bool(used) and all(b.access == "R" for b in used)


def explain_inconsistent_state(splat: Splat) -> Explanation:
    """``inconsistent {PREV} -> {NEW} usage``: one lock class used both in and outside an interrupt."""
    lock = splat.acquiring
    name = lock.name if lock else "the lock"
    prev, new = splat.usage_change or ("?", "?")
    state = _state(new if _is_in(new) else prev)
    context, enabled, short, fix = _STATES[state]
    before = _trace(splat, "registered")
    pseudo = pseudo_lock(name)
    now_site = stack_site(backtrace(splat)) if pseudo is not None else None
    now_site = now_site or acquired_site(splat, lock.at if lock else None)
    before_site = _trace_site(before)
    in_site, on_site = (now_site, before_site) if _is_in(new) else (before_site, now_site)
    in_name = new if _is_in(new) else prev
    on_name = prev if _is_in(new) else new
    if pseudo is not None:
        return _pseudo_inconsistent(splat, name, pseudo, context, in_site, on_site, before)
    if state == "NMI":
        return _nmi_inconsistent(splat, name, prev, new, in_site, on_site, before)
    summary = para("Lockdep found ", Code(name), " used in two ways that can deadlock one CPU: it was ",
                   usage_words(prev), " (in ", site(before_site), ") and is now ", usage_words(new), " (in ",
                   site(now_site), f"). If the {short} handler runs while the lock is held {enabled}, it spins "
                   "forever on a lock its own CPU holds.")
    op = "rlock" if in_name.upper().endswith("-R") else "lock"
    steps = (Step(1, 0, "rlock" if on_name.upper().endswith("-R") else "lock", name, on_site),
             Step(2, 0, "<Interrupt>"),
             Step(3, 0, op, name, in_site, waits_for=1))
    scenario = Scenario(1, steps, tuple((o, LEGEND[o]) for o in ("lock", "rlock") if any(s.op == o for s in steps)))
    sections = [
        Section("How it deadlocks", (
            para(f"One CPU is enough: it takes the lock {enabled}, the {short} handler runs, and takes it again:"),
            scenario,
            para(f"Step 3 waits for step 1 on the same CPU, which cannot go on until the handler returns."))),
        Section("Where", (Bullets((
            para(usage_words(on_name).capitalize(), " in ", site(on_site), "."),
            para(usage_words(in_name).capitalize(), " in ", site(in_site), "."))),)),
        Section("What to do", (para(
            "Either stop taking the lock in ", context, ", or take it everywhere else with ", short,
            "s disabled (", Code(fix), " or a stronger variant)."),)),
        _irq_state_section(splat),
        held_locks_section(splat),
    ]
    usage = _usage_line(splat, lock) if lock else None
    if usage is not None:
        sections.insert(2, Section("Usage", (usage,)))
    unknowns = [] if before is not None else [para("Where the earlier usage was registered: its trace is not in "
                                                   "the report.")]
    arrival, _mask = _ARRIVALS[state]
    return finish(splat, summary, sections, unknowns=unknowns,
                  conditions=[para(arrival.format(cpu="the CPU"), " while it holds ", Code(name), f" {enabled}.")],
                  scenario=scenario)


def _nmi_inconsistent(splat: Splat, name: str, prev: str, new: str, in_site: Frame | None,
                      on_site: Frame | None, before: StateTrace | None) -> Explanation:
    """A lock taken in NMI context: no variant of the lock call can keep an NMI out."""
    summary = para("Lockdep found ", Code(name), " taken in NMI context (in ", site(in_site), "), after it was ",
                   usage_words(prev if _is_in(new) else new), " (in ", site(on_site), "). An NMI can interrupt a "
                   "holder of the lock on the same CPU and then spins forever on it; NMIs cannot be masked, so no "
                   "irq-disabling variant of the lock call prevents that.")
    sections = [
        Section("What to do", (para("Do not take locks in NMI context: use the NMI-safe path of the facility "
                                    "(printk's NMI-safe buffers, ", Code("irq_work"), " to defer the work, lock-free "
                                    "structures). On arm64 an exception such as ", Code("bad_mode()"), " may be "
                                    "handled as an NMI, so the code it calls runs in NMI context."),)),
        _irq_state_section(splat),
        held_locks_section(splat),
    ]
    unknowns = [] if before is not None else [para("Where the earlier usage was registered: its trace is not in "
                                                   "the report.")]
    return finish(splat, summary, sections, unknowns=unknowns,
                  conditions=[para("An NMI must arrive on a CPU while it holds ", Code(name), ".")])


def _pseudo_inconsistent(splat: Splat, name: str, pseudo: PseudoLock, context: str, in_site: Frame | None,
                         on_site: Frame | None, before: StateTrace | None) -> Explanation:
    """A pseudo-lock (``fs_reclaim``) entered in interrupt context: the code does something there
    that may sleep; there is no lock to hold with interrupts disabled."""
    summary = para("Lockdep found that code in ", context, " ", pseudo.takes, ": ", site(in_site), ". ", Code(name),
                   " is ", pseudo.what, ". That may sleep, which ", context, " must not; the same thing in "
                   "process context (", site(on_site), ") is fine.")
    sections = [
        Section("What to do", (para(pseudo.in_irq_fix[0].upper() + pseudo.in_irq_fix[1:], "."),)),
        _irq_state_section(splat),
        held_locks_section(splat),
    ]
    unknowns = [] if before is not None else [para("Where the earlier usage was registered: its trace is not in "
                                                   "the report.")]
    return finish(splat, summary, sections, unknowns=unknowns)


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
    named = splat.irq_class or _irq_of_usage(splat)
    state = _state(named) if named or splat.kind != "irq_inversion" else "IRQ"
    context, enabled, short, fix = _STATES[state]
    safe, unsafe = _safe_unsafe(splat)
    inferred = ""
    if splat.acquiring is not None and safe is None and unsafe is None:
        # (Cut before lockdep names the locks: the acquired or changed lock's usage may still say
        # its side; for a new dependency, the lock acquired is then most likely the unsafe one.)
        role = _role_of_usage(splat, splat.acquiring)
        if role == "safe" and splat.kind == "irq_inversion":
            safe = splat.acquiring
        elif role == "unsafe":
            unsafe = splat.acquiring
        if safe is not None or unsafe is not None:
            inferred = (f"; inferred from its usage {{{splat.acquiring.usage}}}, which shows "
                        f"{'only use in interrupt context' if role == 'safe' else 'no use in interrupt context'}, "
                        "as the report is cut before it says")
    safe_name = safe.name if safe else _UNKNOWN_SAFE
    unsafe_name = unsafe.name if unsafe else _UNKNOWN_UNSAFE
    dep_site = acquired_site(splat, splat.acquiring.at if splat.acquiring else None)
    changed = splat.acquiring.name if splat.kind == "irq_inversion" and splat.acquiring else None
    safe_site = _trace_site(_trace(splat, "became_safe")) or _path_site(splat, safe_name, "IN-") \
        or (dep_site if changed == safe_name else None)
    unsafe_site = _trace_site(_trace(splat, "became_unsafe")) or _path_site(splat, unsafe_name, "-ON-") \
        or (dep_site if changed == unsafe_name else None)
    pseudo = pseudo_lock(unsafe_name) if unsafe else None
    if pseudo is not None:
        return _pseudo_dependency(splat, pseudo, safe_name, unsafe_name, safe_site, unsafe_site, dep_site, state)
    chain = splat.chain_exists
    middle = tuple(chain[1:-1]) if len(chain) > 2 and chain[0] == safe_name and chain[-1] == unsafe_name else ()
    if changed is not None:
        opening = para(Code(changed), f" just became {short}-{'safe' if changed == safe_name else 'unsafe'} "
                       "(in ", held_site(splat, dep_site), inferred, "), and an existing dependency already "
                       "orders ")
    else:
        opening = para(Code(str(splat.task)) if splat.task else "The task", " tried to take ",
                       Code(splat.acquiring.name if splat.acquiring else unsafe_name),
                       f" (most likely the {short}-unsafe lock itself, {inferred[2:]})" if inferred else "",
                       " in ", held_site(splat, dep_site), " while holding ",
                       Code(splat.holding.name) if splat.holding else "a lock the report is cut before naming",
                       ", which orders ")
    through = para(", through lockdep's chain ", *_arrows(chain)) if middle else ""
    letters = [n for n in (safe_name, unsafe_name) if n in (_UNKNOWN_SAFE, _UNKNOWN_UNSAFE)]
    unknown = para(" ", *_names_and(tuple(letters)), " stand" if len(letters) > 1 else " stands",
                   " for locks the report is cut before naming." if len(letters) > 1
                   else " for the lock the report is cut before naming.") if letters else ""
    summary = para("Lockdep found a possible interrupt-driven deadlock across two CPUs. ", opening, Code(safe_name),
                   f" ({short}-safe: taken in {context}) before ", Code(unsafe_name),
                   f" ({short}-unsafe: taken {enabled})", through, f". {a(short).capitalize()} handler that takes ", Code(safe_name),
                   " can then run on a CPU holding ", Code(unsafe_name), " while another CPU holds ",
                   Code(safe_name), " and waits for ", Code(unsafe_name), ".", unknown)
    safe_read, unsafe_read = _read_only(splat, safe), _read_only(splat, unsafe)
    safe_op, unsafe_op = ("rlock" if safe_read else "lock"), ("rlock" if unsafe_read else "lock")
    arrival, mask = _ARRIVALS[state]
    wants = 4 + len(middle)  # (CPU1's step that waits for CPU0)
    steps = (Step(1, 0, unsafe_op, unsafe_name, unsafe_site),
             Step(2, 1, mask),
             Step(3, 1, safe_op, safe_name),
             *(Step(4 + k, 1, "lock", lock) for k, lock in enumerate(middle)),
             Step(wants, 1, unsafe_op, unsafe_name, dep_site if splat.kind == "irq_safe_unsafe" else None,
                  waits_for=1),
             Step(wants + 1, 0, "<Interrupt>"),
             Step(wants + 2, 0, safe_op, safe_name, safe_site, waits_for=3))
    scenario = Scenario(2, steps, tuple((op, LEGEND[op]) for op in ("lock", "rlock") if any(s.op == op for s in steps)))
    held_how = "for read " if unsafe_read else ""
    waits = Bullets((
        para(f"CPU1 at step {wants} waits for CPU0's step 1: ", Code(unsafe_name), f" is held {held_how}there",
             " (a read acquisition waits for a reader only behind a waiting writer: see the conditions)"
             if unsafe_read else "", "."),
        para(f"CPU0 at step {wants + 2}, in the {short} handler, waits for CPU1's step 3: ", Code(safe_name),
             " is held there, and CPU1 waits for CPU0, which cannot leave the handler."),
    ))
    chain_note = _chain_note(splat, chain, middle) if middle else None
    masking = "disables interrupts" if state == "HARDIRQ" else f"disables {short}s (or runs in {context})"
    sections = [
        Section("How it deadlocks", tuple(b for b in (
            para("CPU0 holds ", Code(unsafe_name), f" {enabled}; CPU1 {masking}, takes ", Code(safe_name),
                 para(", then ", *_names_and(middle)) if middle else "", ", then wants ", Code(unsafe_name), f"; the "
                 f"{short} handler runs on CPU0:"), scenario, waits, chain_note) if b is not None)),
        Section("Where", (Bullets(tuple(p for p in (
            para(Code(safe_name), f" became {short}-safe (taken in {context}) in ", site(safe_site), "."),
            para(Code(unsafe_name), f" became {short}-unsafe (taken {enabled}) in ", site(unsafe_site), "."),
            para("The dependency ", Code(splat.holding.name if splat.holding else safe_name), " \u2192 ",
                 Code(unsafe_name),
                 " was made in ", held_site(splat, dep_site), ".") if splat.kind == "irq_safe_unsafe" else None,
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
    for letter, side in ((_UNKNOWN_SAFE, "irq-safe"), (_UNKNOWN_UNSAFE, "irq-unsafe")):
        if letter in (safe_name, unsafe_name):
            unknowns.append(para(f"The {side} lock (", Code(letter), " here): the report is cut before lockdep names "
                                 "it."))
    if state == "IRQ":
        unknowns.append(para("Which interrupt (hardirq or softirq): the report is cut before it says, and the "
                             "lock's usage allows either; \u201cirq\u201d here stands for both."))
    if safe_site is None and safe_name != _UNKNOWN_SAFE:
        unknowns.append(para("Where ", Code(safe_name), f" was taken in {context}: not in the report."))
    if unsafe_site is None and unsafe_name != _UNKNOWN_UNSAFE:
        unknowns.append(para("Where ", Code(unsafe_name), f" was taken {enabled}: not in the report."))
    conditions = [para(arrival.format(cpu="CPU0"), " while it holds ", Code(unsafe_name), ", while CPU1 holds ",
                       Code(safe_name), " and waits for ", Code(unsafe_name), ".")]
    if unsafe_read:
        writer = writer_of(unsafe_name)
        conditions.append(para("The deadlock needs a writer. ", Code(unsafe_name), " has only been read-acquired "
                               f"so far (its usage shows read use only), so CPU1's read acquisition at step {wants} does not wait "
                               "for CPU0's read hold. It waits only behind a third CPU waiting to take ",
                               Code(unsafe_name), " for write after step 1", para(" (", prose(writer), ")") if writer else "",
                               ": a queued rwlock makes a new reader outside interrupt context wait behind a waiting "
                               "writer."))
    if safe_read:
        conditions.append(para(Code(safe_name), " has only been read-acquired so far (its usage shows read use only), and a "
                               "reader in interrupt context neither waits for other readers nor queues behind a "
                               f"waiting writer: step {wants + 2} blocks only if CPU1 holds it for write at step 3, which the "
                               "report has not seen."))
    return finish(splat, summary, sections, conditions=conditions, unknowns=unknowns, scenario=scenario)


def _pseudo_dependency(splat: Splat, pseudo: PseudoLock, safe_name: str, unsafe_name: str, safe_site: Frame | None,
                       unsafe_site: Frame | None, dep_site: Frame | None, state: str) -> Explanation:
    """An irq-safe lock held while a pseudo-lock (``fs_reclaim``) is "taken": code that may sleep
    under a spinlock taken in interrupt context, a bug in its own right."""
    context, enabled, short, _fix = _STATES[state]
    if splat.kind == "irq_inversion":
        summary = para(Code(safe_name), f" just became {short}-safe (taken in {context}, in ", site(safe_site),
                       "), and lockdep saw earlier code that holds it and ", pseudo.takes, " (the dependency ",
                       Code(safe_name), " \u2192 ", Code(unsafe_name), "). ")
    else:
        held_at = splat.holding.at if splat.holding and splat.holding.name == safe_name else None
        summary = para(Code(str(splat.task)) if splat.task else "The task", " holds ", Code(safe_name),
                       f" ({short}-safe: taken in {context}, in ", site(safe_site), ")",
                       para(", taken in ", site(held_at), ",") if held_at else "", " and ", pseudo.takes, ", in ",
                       _caller(dep_site), ". ")
    summary = para("Lockdep reports this as an irq lock-order problem, but ", Code(unsafe_name), " is ", pseudo.what,
                   ". ", summary, pseudo.under_irq_lock, " (a sleep in atomic context, a bug on its own); lockdep "
                   "sees it because ", Code(unsafe_name), f" is also “taken” {enabled} elsewhere.")
    where = [para(Code(safe_name), f" became {short}-safe (taken in {context}) in ", site(safe_site), "."),
             para("Code that ", pseudo.takes, " with ", Code(safe_name), " held: ",
                  _caller(dep_site) if splat.kind == "irq_safe_unsafe" else para("not in the report"), ".")]
    sections = [
        Section("What to do", (para(pseudo.fix[0].upper() + pseudo.fix[1:], "."),)),
        Section("Where", (Bullets(tuple(where)),)),
        Section("Usage", tuple(u for u in (_usage_line(splat, lock) for lock in _safe_unsafe(splat) if lock)
                               if u is not None)) or None,
        _paths_section(splat),
        held_locks_section(splat),
    ]
    unknowns = [] if safe_site is not None else [para("Where ", Code(safe_name), f" was taken in {context}: not in "
                                                      "the report.")]
    return finish(splat, summary, [s for s in sections if s is not None and s.blocks], unknowns=unknowns)


#: The names the explanation gives an irq-safe and an irq-unsafe lock the report is cut before naming.
_UNKNOWN_SAFE, _UNKNOWN_UNSAFE = "S", "U"


def _role_of_usage(splat: Splat, lock: LockUse) -> str | None:
    """``safe`` or ``unsafe`` when the lock's usage shows only one side for the irq states
    (``{+.+...}``: taken with hardirqs and softirqs enabled, never in them: unsafe); else None."""
    bits = [b for b in lock_usage(splat, lock) or () if b.state in ("HARDIRQ", "SOFTIRQ") and b.meaning != "unused"]
    if not bits:
        return None
    if all(b.meaning == "irq-unsafe" for b in bits):
        return "unsafe"
    if all(b.meaning == "irq-safe" for b in bits):
        return "safe"
    return None


def _irq_of_usage(splat: Splat) -> str | None:
    """The irq state a report cut before naming it implies: the only one its lock's usage shows."""
    lock = splat.acquiring
    bits = [b for b in (lock_usage(splat, lock) if lock else None) or ()
            if b.state in ("HARDIRQ", "SOFTIRQ") and b.meaning != "unused"]
    states = {b.state for b in bits}
    return states.pop() if len(states) == 1 else None


def _arrows(chain: tuple[str, ...]) -> list[str | Paragraph]:
    return [part for i, lock in enumerate(chain) for part in ((" \u2192 " if i else ""), Code(lock))]


def _names_and(items: tuple[str, ...]) -> list[str | Paragraph]:
    out: list[str | Paragraph] = []
    for i, item in enumerate(items):
        out += [(" and " if i == len(items) - 1 else ", ") if i else "", Code(item)]
    return out


def _chain_note(splat: Splat, chain: tuple[str, ...], middle: tuple[str, ...]) -> Paragraph:
    """What a chain between the irq-safe and the irq-unsafe lock means for the scenario: its first
    link is a dependency lockdep recorded earlier, not necessarily on the CPU of this report."""
    held = {h.lock.name for h in splat.held_locks}
    first = (chain[0], chain[1])
    if set(first) <= held:
        return para("The report shows ", Code(str(splat.task) if splat.task else "the task"), " holding ",
                    Code(first[0]), " and ", Code(first[1]), " at once, so CPU1 takes them itself.")
    return para("Lockdep's chain is ", *_arrows(chain), ". The link ", Code(first[0]), " \u2192 ", Code(first[1]),
                " is a dependency lockdep recorded earlier; the report does not show one task holding both, so "
                "CPU1's steps may be two CPUs (one holding ", Code(first[0]), " and waiting for ", Code(first[1]),
                ", one holding ", Code(middle[-1]), " and waiting for ", Code(chain[-1]), "): the same deadlock "
                "with one more CPU.")


def _caller(frame: Frame | None) -> Paragraph:
    """The frame, or for an allocator frame (the report's ``at:`` names ``__kmalloc()`` when the
    stack is cut) the allocator with a word that its caller is not shown."""
    if frame is not None and frame.function and ALLOCATOR.match(frame.function):
        return para("the allocator ", site(frame), "; its caller is not in the report")
    return site(frame)


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

