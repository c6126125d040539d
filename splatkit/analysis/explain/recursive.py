"""``possible recursive locking detected`` explained: one task takes a lock class it already holds.

Lockdep reasons about classes, not objects. Taking the same lock object twice is a real
self-deadlock; taking two objects of one class (a parent and a child inode, two queues
ordered by address) is fine if the code guarantees an order, but lockdep must be told:
a nesting subclass (``mutex_lock_nested()``, ``spin_lock_nested()``, ``down_write_nested()``)
or separate classes (``lockdep_set_class()``). The instance addresses the report prints
(since 4.x, hashed or not: equal objects print equal) tell the two cases apart.
"""

from __future__ import annotations

from ...model import Splat
from ..acquisitions import acquisition
from .circular import LEGEND
from .common import acquired_site, backtrace, finish, held_locks_section, held_site, site
from .document import Code, Explanation, Scenario, Section, Step, para
from .waits import holder_op

__all__ = ["explain_recursive"]


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
    if same is True:
        verdict = para("Both acquisitions are of the same object (", Code(again.instance),
                       "): the task waits for itself, a real self-deadlock, unless the lock allows recursive "
                       "readers and both acquisitions are reads.")
    elif same is False:
        verdict = para("The two acquisitions are of different objects (", Code(first.instance), " held, ",
                       Code(again.instance), " wanted) of one class. If the code guarantees an order between "
                       "them, this is a missing nesting annotation; if the two can ever be the same object, "
                       "it is a real self-deadlock.")
    else:
        verdict = para("The report does not print the objects' addresses, so whether the same object is taken "
                       "twice (a real self-deadlock) or two objects of one class (a missing annotation) cannot "
                       "be told from it.")
    steps = (Step(1, 0, holder_op(kind) or "take", name, first_site),
             Step(2, 0, {"write": "lock", "read": "rlock", "wait": "sync"}[found.access] if found else "take", name,
                  second_site, waits_for=1))
    scenario = Scenario(1, steps, tuple((op, LEGEND[op]) for op in LEGEND if any(s.op == op for s in steps)))
    fixes = para("If the objects differ and their order is fixed (parent before child), annotate the inner "
                 "acquisition with a subclass (", Code("mutex_lock_nested(lock, SINGLE_DEPTH_NESTING)"), ", ",
                 Code("spin_lock_nested()"), ") or give one of them its own class (", Code("lockdep_set_class()"),
                 "). If they can be the same object, the code must not take it twice.")
    sections = [
        Section("What lockdep saw", (verdict, scenario,
                                     para("Step 2 waits for step 1 of the same task when the objects are the "
                                          "same."))),
        Section("What to do", (fixes,)),
        held_locks_section(splat),
    ]
    unknowns = []
    if same is None:
        unknowns.append(para("Whether the two acquisitions are of the same object: no instance addresses printed."))
    if found is None:
        unknowns.append(para("How the second acquisition takes the lock: the stack does not show a locking call."))
    return finish(splat, summary, sections, unknowns=unknowns, scenario=scenario)
