"""Reports of a lock used against its rules explained: released unheld, freed or left held, RCU misuse.

These reports are not about two paths racing: one task broke a rule on its own, and the
report shows where. The explanation says which lock, where it was taken, where the rule
was broken, the locks held there, and what usually causes it. What each kind means and what
to do about it is data (:data:`RULES`); the facts come from the report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...model import Frame, Splat
from ..acquisitions import LOCKDEP_INTERNAL, LOCKING_API
from .common import acquired_site, backtrace, finish, held_locks_section, held_site, site, stack_site
from .document import Bullets, Code, Explanation, Paragraph, Section, para, prose

__all__ = ["RULES", "Rule", "explain_misuse"]


@dataclass(frozen=True)
class Rule:
    """One kind of misuse: the rule broken, its usual causes, what to do."""

    broke: str
    """What the task did, completing "Lockdep found that ... " (``{lock}``: the lock, ``{where}``: the code)."""
    causes: tuple[str, ...]
    fix: str


RULES: dict[str, Rule] = {
    "bad_unlock": Rule(
        "{task} released {lock} in {where}, but holds no such lock",
        ("a double unlock: the lock was already released on this path",
         "an unlock on an error path that never took the lock",
         "a lock released by another task than the one that took it (mutexes and rwsems must be released by "
         "their owner)"),
        "Find the path that reaches the unlock without the matching lock; to hand a lock over between tasks, use "
        "a completion or a semaphore instead."),
    "bad_unlock:rcu": Rule(
        "{task} ended an RCU read-side section ({lock}) in {where} that it had not entered",
        ("an rcu_read_unlock() without its rcu_read_lock() on some path (an error path, or the unlock done twice)",
         "a read-side section entered and ended in different functions whose paths do not pair up"),
        "Find the path that reaches the read unlock without the matching read lock; a read-side section starts and "
        "ends in the same task, properly nested."),
    "bad_unlock:annotation": Rule(
        "a lockdep annotation (might_fault() or might_lock(): an acquire of {lock} and its immediate release), "
        "reached from {where}, found {task}'s held-lock stack out of step: the release found no lock to release. "
        "This is not a double unlock in the code",
        ("lockdep was off (lockdep_off(), or debug_locks cleared) when a lock was taken, so the stack lacks it",
         "the task's held-lock depth was corrupted (an earlier lockdep warning in the log, or memory corruption)"),
        "Look earlier in the log for a lockdep warning or a lockdep_off() section on this task's path; the "
        "annotation itself is not the bug."),
    "bad_contention": Rule(
        "lockdep's lock-statistics hook lock_contended() was called for {lock} in {where}, but {task}'s held-lock stack has no matching "
        "lock_acquire() for it (lock statistics, CONFIG_LOCK_STAT, record contention only for a lock being taken)",
        ("custom locking code whose lockdep annotations (lock_contended(), lock_acquired()) do not pair with "
         "lock_acquire()",
         "a lock_acquire() skipped because lockdep was off for this lock or task (lockdep_off(), a trylock path "
         "without its annotation)"),
        "Check the annotations of the lock implementation named in the stack."),
    "held_lock_freed": Rule(
        "{task} freed memory that holds {lock}, which it still holds (taken in {taken})",
        ("the object is freed on a path that forgot to unlock it first",
         "the object is freed while it is still in use (a use-after-free waiting to happen)"),
        "Release the lock before freeing the object, and make sure no one else can still reach the object."),
    "still_held": Rule(
        "{task} exited with {lock} still held (taken in {taken})",
        ("a missing unlock on a path that ends in do_exit() (a kthread returning, a killed task)",),
        "Release every lock before the task exits; look at the error paths of the function that took it."),
    "still_held:freezer": Rule(
        "{task} entered a freezable sleep in {where} while holding {lock} (taken in {taken}); the check ran "
        "outside do_exit(), so from the freezer (try_to_freeze(), often inlined)",
        ("a freezable wait (wait_event_freezable(), try_to_freeze(), a freezable kthread's loop) reached with a "
         "lock held: the freezer would park the task with the lock held, and whoever needs the lock to finish "
         "suspend or hibernation hangs",),
        "Release the lock before the freezable sleep, or make the sleep not freezable; a task must not freeze with "
        "locks held."),
    "held_on_return": Rule(
        "{task} returned to user space with {lock} still held (taken in {taken})",
        ("a system call or ioctl that returns on some path without the matching unlock",),
        "Find the path of that system call that skips the unlock (often an early error return)."),
    "nested_not_taken": Rule(
        "{task} took {lock} in {where} with a nest lock it does not hold",
        ("a spin_lock_nest_lock()/mutex_lock_nest_lock() whose nest lock (the outer lock that serialises taking "
         "many locks of one class) is not held",),
        "Take the nest lock first, or use a plain lock call if no nest lock serialises these acquisitions."),
    "suspicious_rcu": Rule(
        "{task} dereferenced an RCU-protected pointer at {source} without the protection its check requires",
        ("the access is outside rcu_read_lock() and does not hold the lock named in the check "
         "(rcu_dereference_protected(), rcu_dereference_check())",
         "the check names the wrong lock, or the lockdep expression of the check is incomplete"),
        "Read the condition at that line: take rcu_read_lock() around the access, hold the lock the check names, "
        "or fix the check if the access is safe for a reason it does not state."),
    "suspicious_rcu:sleep": Rule(
        "{task} called something that may sleep in {where}, inside an RCU read-side critical section ({message})",
        ("a sleeping call (a mutex, a GFP_KERNEL allocation, schedule(), might_sleep()) between rcu_read_lock() "
         "and rcu_read_unlock(), or with preemption or interrupts disabled for RCU-sched",),
        "Move the sleeping call out of the read-side section, or leave the section first (and revalidate what it "
        "protected after re-entering)."),
    "suspicious_rcu:list": Rule(
        "{task} traversed an RCU-protected list at {source} outside any RCU read-side critical section and "
        "without the lock its check names",
        ("list_for_each_entry_rcu() used under a lock without passing the lockdep condition as its last argument",
         "a traversal that really lacks rcu_read_lock()"),
        "Take rcu_read_lock() around the traversal, or pass the protecting lock's lockdep condition "
        "(lockdep_is_held(&lock)) to list_for_each_entry_rcu()."),
    "workqueue_leaked_lock": Rule(
        "the work function {workfn} returned with {lock} still held (taken in {taken})",
        ("a missing unlock on some path of the work function (an early return)",),
        "Find the path of the work function that returns without the matching unlock."),
    "workqueue_leaked_lock:rcu": Rule(
        "the work function {workfn} returned still inside an RCU read-side section: {lock} (taken in {taken}) "
        "was never ended ({lockcall} without {unlockcall})",
        ("a missing RCU read unlock on some path of the work function (an early return inside the read-side "
         "section)",),
        "Find the path of the work function that returns without the matching RCU read unlock."),
    "workqueue_leaked_lock:atomic": Rule(
        "the work function {workfn} returned with preemption still disabled (no lock is listed)",
        ("a preempt_disable(), spin_lock() or local_irq_save() whose counterpart is skipped on some path",
         "a per-CPU access (get_cpu(), get_cpu_var()) without its put"),
        "Find the path of the work function that returns without re-enabling preemption."),
}


#: Which rule a report gets when its kind has variants, read off the report: (kind, rule key,
#: where to look: ``message`` (the RCU complaint), ``stack`` (the backtrace's functions) or
#: ``lock`` (the held locks' names), ``unheld``/``unheld_at`` (the lock released unheld, and
#: the frame that released it),
#: pattern, whether the rule applies when the pattern is *absent*). First match wins.
VARIANTS: tuple[tuple[str, str, str, re.Pattern[str], bool], ...] = tuple(
    (kind, key, field, re.compile(p), absent) for kind, key, field, p, absent in (
        ("suspicious_rcu", "suspicious_rcu:sleep", "message", r"Illegal context switch", False),
        ("suspicious_rcu", "suspicious_rcu:list", "message", r"RCU-list traversed", False),
        ("still_held", "still_held:freezer", "stack", r"^_*(?:try_to_freeze\w*|__refrigerator|freezer_\w+)$", False),
        ("still_held", "still_held:freezer", "stack", r"^_*do_exit$|^_*do_group_exit$|^_*make_task_dead$", True),
        ("workqueue_leaked_lock", "workqueue_leaked_lock:rcu", "lock", r"^rcu_read_lock\w*$", False),
        ("bad_unlock", "bad_unlock:rcu", "unheld", r"^rcu_read_lock\w*$|^rcu_callback$|srcu$", False),
        ("bad_unlock", "bad_unlock:annotation", "unheld_at", r"^_*(?:might_fault|might_lock\w*)(?:\.\w+)*$", False),
        ("workqueue_leaked_lock", "workqueue_leaked_lock:atomic", "lock", r".", True),
    ))


def rule_of(splat: Splat) -> Rule:
    """The rule ``splat`` broke: its kind's, or the variant its message or stack says."""
    functions = [f.function for f in backtrace(splat) if f.function and not f.unreliable]
    for kind, key, field, pattern, absent in VARIANTS:
        if kind != splat.kind:
            continue
        if field == "message":
            found = bool(splat.rcu_message and pattern.search(splat.rcu_message))
        elif field == "unheld":
            found = bool(splat.unheld_lock and pattern.search(splat.unheld_lock.name))
        elif field == "unheld_at":
            found = any(f.function and pattern.match(f.function) for f in splat.unheld_at)
        elif field == "lock":
            found = any(pattern.search(h.lock.name) for h in splat.held_locks)
            if absent and (splat.held_locks_count or (_leak(splat).get("preempt") or "0") in ("0", "")):
                continue  # (no lock listed only means 'atomic' when the count and the preempt count say so)
        else:
            if not functions:
                continue
            found = any(pattern.match(f) for f in functions)
        if found != absent:
            return RULES[key]
    return RULES[splat.kind]


def _frame(frames: tuple[Frame, ...]) -> Frame | None:
    return stack_site(frames) if frames else None


def explain_misuse(splat: Splat) -> Explanation:
    """Explain a report of a lock rule broken by one task (see :data:`RULES`)."""
    rule = rule_of(splat)
    held = splat.held_locks
    lock = (splat.unheld_lock or splat.holding or splat.acquiring
            or (held[-1].lock if held else None))
    where = acquired_site(splat, _frame(splat.unheld_at) or (splat.acquiring.at if splat.acquiring else None))
    taken = (splat.holding.at if splat.holding else None) or (held[-1].lock.at if held else None)
    fill = {
        "{task}": para(Code(str(splat.task))) if splat.task else para("the task"),
        "{lock}": para(Code(lock.name)) if lock else para("a lock"),
        "{where}": held_site(splat, where),
        "{taken}": held_site(splat, taken),
        "{source}": para(Code(splat.source_location)) if splat.source_location else para("a line the report does "
                                                                                            "not show"),
        "{message}": para(Code(splat.rcu_message.rstrip("!"))) if splat.rcu_message else para("no message"),
        "{workfn}": para(Code(_leak(splat)["workfn"] + "()")) if _leak(splat).get("workfn") else para("(not named)"),
    }
    if lock is not None and lock.name.startswith("rcu_read_lock"):
        fill["{lockcall}"] = para(Code(lock.name + "()"))
        fill["{unlockcall}"] = para(Code(lock.name.replace("_lock", "_unlock", 1) + "()"))
    summary = para("Lockdep found that ", _fill(rule.broke, fill), ".")
    details: list[Paragraph] = []
    if splat.kind == "nested_not_taken" and splat.unheld_lock is not None and splat.acquiring is not None:
        summary = para("Lockdep found that ", fill["{task}"], " took ", Code(splat.acquiring.name), " in ",
                       held_site(splat, acquired_site(splat, splat.acquiring.at)), " with nest lock ", Code(splat.unheld_lock.name),
                       ", which it does not hold.")
    if splat.kind == "held_lock_freed" and splat.memory_range:
        start, end = splat.memory_range
        if _hashed(start, end):
            details.append(para("Lockdep says the held lock lies inside the freed memory. The addresses it prints (",
                                Code(start), ", ", Code(end), ") are hashed by this kernel, so the range cannot be "
                                "read from them."))
        else:
            details.append(para("The memory freed runs from ", Code(start), " to ", Code(end), "; the held lock "
                                "lies inside it."))
    if splat.kind == "suspicious_rcu":
        if splat.rcu_message:
            details.append(para("The check says: ", Code(splat.rcu_message)))
        details += [para(note) for note in splat.rcu_notes]
        if splat.debug_locks == 0:
            details.append(para("debug_locks = 0: lockdep had already turned itself off, so the held-lock list "
                                "below may be incomplete and the report may be a false positive."))
    if splat.kind == "workqueue_leaked_lock":
        details += _leak_header(splat)
    if splat.kind in ("bad_unlock", "bad_contention") and splat.messages:
        details += [para("Lockdep adds: \u201c", message, "\u201d") for message in splat.messages]
    causes = Bullets(tuple(prose(c[0].upper() + c[1:] + ".") for c in rule.causes))
    sections = [
        Section("What happened", (*details, para("Usual causes:"), causes)) if details
        else Section("Usual causes", (causes,)),
        Section("What to do", (prose(rule.fix),)),
        held_locks_section(splat),
        _detected(splat),
    ]
    unknowns = []
    if lock is None and splat.kind != "suspicious_rcu":
        unknowns.append(para("Which lock: the report does not name it (cut short?)."))
    if splat.kind == "nested_not_taken" and splat.unheld_lock is None:
        unknowns.append(para("Which nest lock: the report stops before naming it."))
    if splat.kind in ("still_held", "held_on_return", "workqueue_leaked_lock") and taken is None:
        unknowns.append(para("Where the lock was taken: the held-lock list is not in the report."))
    return finish(splat, summary, sections, unknowns=unknowns)


#: What the header of a leaked-lock report says: 6.x ``preempt=0x00000000 lock=0->1 RCU=0->0
#: workfn=demo_work_fn``; before, the preempt count in the banner (``kworker/0:1/0x00000000/353``)
#: and ``last function: addrconf_dad_work``.
_LEAK_FIELDS = (("preempt", re.compile(r"preempt=0x([0-9a-f]+)")),
                ("lock", re.compile(r"\block=(\d+->\d+)")),
                ("rcu", re.compile(r"\bRCU=(\d+->\d+)")),
                ("workfn", re.compile(r"(?:workfn=|last function: )([\w.]+)")),
                ("preempt", re.compile(r"/0x([0-9a-f]+)/\d+\s*$")))


def _leak(splat: Splat) -> dict[str, str]:
    """The facts of a leaked-lock report's header (see :data:`_LEAK_FIELDS`)."""
    out: dict[str, str] = {}
    header = [line.text for line in splat.lines[:4]]
    for name, pattern in _LEAK_FIELDS:
        for text in header:
            m = pattern.search(text)
            if m and name not in out:
                out[name] = m.group(1).lstrip("0") or "0" if name == "preempt" else m.group(1)
    return out


def _leak_header(splat: Splat) -> list[Paragraph]:
    """What the header shows, in words: which of preemption, locks and RCU the work function left
    unbalanced."""
    leak = _leak(splat)
    said: list[str | Paragraph] = []
    if "preempt" in leak:
        said.append(para("preemption balanced (preempt count 0)") if leak["preempt"] == "0"
                    else para("preemption left disabled (preempt count ", Code("0x" + leak["preempt"]), ")"))
    if "lock" in leak:
        before, after = leak["lock"].split("->")
        n = int(after) - int(before)
        said.append(para(f"{n} lock{'s' if n != 1 else ''} more held than when it started (", Code(
            "lock=" + leak["lock"]), ")") if n else para("no lock leaked (", Code("lock=" + leak["lock"]), ")"))
    if "rcu" in leak:
        before, after = leak["rcu"].split("->")
        said.append(para("RCU balanced (", Code("RCU=" + leak["rcu"]), ")") if before == after else
                    para("an RCU read-side section left open (", Code("RCU=" + leak["rcu"]), ")"))
    if not said:
        return []
    parts: list[str | Paragraph] = []
    for i, part in enumerate(said):
        parts += [(" and " if i == len(said) - 1 else ", ") if i else "", part]
    return [para("The header shows ", *parts, ".")]


#: A pointer printed hashed (``%p`` since 4.15): 32 random bits behind 8 zeros on 64-bit kernels.
_HASHED_POINTER = re.compile(r"^(?:0x)?0{8}[0-9a-f]{8}$")


def _hashed(start: str, end: str) -> bool:
    """The freed range's addresses are hashed: both look hashed, or the range runs backwards.

    >>> _hashed("000000007fcba654", "00000000499fef26"), _hashed("ffff888003a1b000", "ffff888003a1b0ff")
    (True, False)
    """
    if _HASHED_POINTER.match(start) and _HASHED_POINTER.match(end):
        return True
    try:
        return int(start, 16) > int(end, 16)
    except ValueError:
        return False


#: Functions that free memory: a held_lock_freed stack names the code that called them.
_FREEING = re.compile(r"^_*(?:kfree|kvfree|kfree_sensitive|vfree|kmem_cache_free|free_pages|free_page|__free_pages"
                      r"|free_pages_exact|slab_free\w*|kmem_cache_free_bulk|put_page|folio_put|free_\w*_page\w*)"
                      r"(?:\.\w+)*$")


def _detected(splat: Splat) -> Section | None:
    """The code that was running when lockdep caught it: the first frames of the stack outside lockdep."""
    frames = [f for f in backtrace(splat) if not f.unreliable and f.function
              and not LOCKDEP_INTERNAL.match(f.function) and not LOCKING_API.match(f.function)
              and not _FREEING.match(f.function)]
    if not frames:
        return None
    path: list[str | Paragraph] = []
    for i, frame in enumerate(frames[:4]):
        path += [" \u2190 " if i else "", site(frame)]
    return Section("Where lockdep caught it", (para("In ", *path, " (innermost first)."),))


def _fill(template: str, fill: dict[str, Paragraph]) -> Paragraph:
    """The template with each ``{name}`` replaced by its paragraph."""
    parts: list[str | Paragraph] = []
    rest = template
    while rest:
        starts = [(rest.find(key), key) for key in fill if key in rest]
        if not starts:
            parts.append(prose(rest))
            break
        at, key = min(starts)
        parts += [prose(rest[:at]), fill[key]]
        rest = rest[at + len(key):]
    return para(*parts)
