"""Every kind of lockdep report explained as a reviewer would, as data (:class:`Explanation`).

:func:`explain` picks the explainer for the report's kind (:data:`EXPLAINERS`, one entry per
kind of :mod:`splatkit.grammar.kinds`); :mod:`splatkit.render.explain` lays the result out
as plain text, Markdown or HTML. Each explainer follows the same standard: say what lockdep
found and why it matters, translate the evidence into what waits for what (or which rule
was broken), state the conditions, name the code, and say what the splat does not show.

>>> import splatkit, splatkit.samples
>>> e = explain(splatkit.parse(splatkit.samples.sample_text())[0])
>>> e.kind, e.cycle[0], [s.heading for s in e.sections][:3]
('circular', 'kvm_lock', ['The cycle', 'How it deadlocks', 'Conditions'])
"""

from __future__ import annotations

from collections.abc import Callable

from ...model import Splat
from .circular import explain_circular
from .common import finish
from .document import (Bullets, Code, Dependency, Explanation, Paragraph, Preformatted, Scenario, Section, Step,
                       Wait, para, plain)
from .dump import explain_held_locks_dump
from .irq import explain_inconsistent_state, explain_irq_dependency
from .messages import explain_message
from .misuse import explain_misuse
from .recursive import explain_recursive
from .wait_context import explain_invalid_wait

__all__ = ["EXPLAINERS", "Bullets", "Code", "Dependency", "Explanation", "Paragraph", "Preformatted", "Scenario",
           "Section", "Step", "Wait", "explain", "para", "plain"]

#: The explainer of each report kind.
EXPLAINERS: dict[str, Callable[[Splat], Explanation]] = {
    "circular": explain_circular,
    "recursive": explain_recursive,
    "inconsistent_state": explain_inconsistent_state,
    "irq_inversion": explain_irq_dependency,
    "irq_safe_unsafe": explain_irq_dependency,
    "invalid_wait": explain_invalid_wait,
    "bad_unlock": explain_misuse,
    "held_lock_freed": explain_misuse,
    "still_held": explain_misuse,
    "held_on_return": explain_misuse,
    "nested_not_taken": explain_misuse,
    "suspicious_rcu": explain_misuse,
    "workqueue_leaked_lock": explain_misuse,
    "bad_contention": explain_misuse,
    "lockdep_limit": explain_message,
    "lockdep_warning": explain_message,
    "non_static_key": explain_message,
    "chain_key_collision": explain_message,
    "held_locks_dump": explain_held_locks_dump,
}


def explain(splat: Splat) -> Explanation:
    """The explanation of one report, whatever its kind."""
    explainer = EXPLAINERS.get(splat.kind)
    if explainer is None:
        return finish(splat, para("Lockdep printed ", Code(splat.banner.strip()),
                                  "; splatkit has no explanation for this kind of report yet."), ())
    return explainer(splat)
