"""``possible recursive locking detected`` explained: one task takes a lock class it already holds.

Lockdep reasons about classes, not objects. Taking the same lock object twice is a real
self-deadlock; taking two objects of one class (a parent and a child inode, two queues
ordered by address) is fine if the code guarantees an order, but lockdep must be told:
a nesting subclass (``mutex_lock_nested()``, ``spin_lock_nested()``, ``down_write_nested()``)
or separate classes (``lockdep_set_class()``). The instance addresses the report prints
(since 4.x, hashed or not: equal objects print equal) tell the two cases apart.
"""

from __future__ import annotations

import re

from ...model import Splat
from ..acquisitions import acquisition
from .circular import LEGEND
from .common import STATIC_CLASS, acquired_site, backtrace, finish, held_locks_section, held_site, site
from .document import Code, Explanation, Scenario, Section, Step, para, prose
from .waits import holder_op

__all__ = ["PROXY_HOLDERS", "explain_recursive"]

#: Locks held on another task's behalf, where a recursive report's first acquisition is
#: really a different holder: (lock class, the function lockdep names for the first
#: acquisition, what that means), as the likely reading.
PROXY_HOLDERS: tuple[tuple[re.Pattern[str], re.Pattern[str], str], ...] = tuple(
    (re.compile(lock), re.compile(held_in), text) for lock, held_in, text in (
        (r"^cpu_hotplug_lock", r"^_*cpuhp_thread_fun(?:\.\w+)*$",
         "Likely reading (from the function names): the CPU-hotplug thread holds cpu_hotplug_lock on behalf of the "
         "hotplug control task, which holds it for write (lockdep_acquire_cpus_lock()), so a cpus_read_lock() "
         "inside a hotplug callback waits for that writer, which waits for the callback: a real deadlock."),
    ))

#: Kinds whose read side does not recurse safely: a waiting writer blocks a second read.
_QUEUED_READS = {"rwsem": "an rwsem", "percpu-rwsem": "a percpu-rwsem"}


def _reads(kind: str | None, read_again: bool) -> str:
    """The caveat for a second acquisition that is a read, by the lock's kind ("" when none applies)."""
    if not read_again:
        return ""
    if kind in _QUEUED_READS:
        return (f", even though the second acquisition is a read: {_QUEUED_READS[kind]}'s readers are not "
                "recursive, since a writer that starts waiting between the two reads blocks the second")
    if kind == "rwlock":
        return (" unless both acquisitions are reads and the second is in interrupt context (a queued rwlock lets "
                "only those pass a waiting writer)")
    return ""


def explain_recursive(splat: Splat) -> Explanation:
    """Explain a ``recursive`` report."""
    again, first = splat.acquiring, splat.holding
    name = (again or first).name if (again or first) else "the lock"
    found = acquisition(backtrace(splat))
    second_site = acquired_site(splat, again.at if again else None)
    first_site = first.at if first else None
    same: bool | None = None
    if again is not None and first is not None and again.instance and first.instance:
        same = again.instance == first.instance
    kind = found.kind if found else None
    summary = para("Lockdep found ", Code(str(splat.task)) if splat.task else "a task", " taking ", Code(name),
                   " in ", held_site(splat, second_site), " while it already holds a lock of the same class, taken in ",
                   held_site(splat, first_site), ".")
    static = same is None and STATIC_CLASS.match(name) is not None
    proxy = next((text for lock, held_in, text in PROXY_HOLDERS
                  if lock.search(name) and first_site is not None and first_site.function
                  and held_in.match(first_site.function)), None)
    read_again = found is not None and found.access == "read"
    if same is True and proxy is not None:
        verdict = para("Both acquisitions are of the same object (", Code(again.instance), ").")
    elif same is True:
        verdict = para("Both acquisitions are of the same object (", Code(again.instance), "): the task waits for "
                       "itself, a real self-deadlock", _reads(kind, read_again), ".")
    elif same is False:
        verdict = para("The two acquisitions are of different objects (", Code(first.instance), " held, ",
                       Code(again.instance), " wanted) of one class. If the code guarantees an order between "
                       "them, this is a missing nesting annotation; if the two can ever be the same object, "
                       "it is a real self-deadlock.")
    elif static:
        verdict = para("The report does not print the objects' addresses, but ", Code(name), " names a static "
                       "lock (a plain identifier, or a member of a static object), which has one instance: almost "
                       "certainly the same object taken twice, a real self-deadlock", _reads(kind, read_again),
                       " (an inference from the name).")
    else:
        verdict = para("The report does not print the objects' addresses, so whether the same object is taken "
                       "twice (a real self-deadlock) or two objects of one class (a missing annotation) cannot "
                       "be told from it.")
    if proxy is not None:
        verdict = para(verdict, " ", prose(proxy))
    steps = (Step(1, 0, holder_op(kind) or "take", name, first_site),
             Step(2, 0, {"write": "lock", "read": "rlock", "wait": "sync"}[found.access] if found else "take", name,
                  second_site, waits_for=1))
    scenario = Scenario(1, steps, tuple((op, LEGEND[op]) for op in LEGEND if any(s.op == op for s in steps)))
    annotate = para("annotate the inner acquisition with a subclass (",
                    Code("mutex_lock_nested(lock, SINGLE_DEPTH_NESTING)"), ", ", Code("spin_lock_nested()"),
                    ") or give one of them its own class (", Code("lockdep_set_class()"), ")")
    if same is True or static or proxy is not None:
        certain = same is True and proxy is None
        fixes = para("The code takes" if certain else "Most likely the code takes", " the same lock twice: fix the "
                     "code path (do not take it again where it is already held, release it first, or call a variant "
                     "of the inner function that expects it held). A nesting annotation would only hide a real "
                     "deadlock.")
    else:
        fixes = para("If the objects differ and their order is fixed (parent before child), ", annotate,
                     ". If they can be the same object, the code must not take it twice.")
    waits = "Step 2 waits for the task on whose behalf step 1 holds the lock." if proxy is not None else \
        "Step 2 waits for step 1 of the same task." if same is True else \
        "Step 2 waits for step 1 of the same task when the objects are the same."
    sections = [
        Section("What lockdep saw", (verdict, scenario, para(waits))),
        Section("What to do", (fixes,)),
        held_locks_section(splat),
    ]
    unknowns = []
    if same is None:
        unknowns.append(para("Whether the two acquisitions are of the same object: no instance addresses printed."))
    if found is None:
        unknowns.append(para("How the second acquisition takes the lock: the stack does not show a locking call."))
    return finish(splat, summary, sections, unknowns=unknowns, scenario=scenario)
