"""Why a dependency is in a lock graph: each piece of its evidence, said where it comes from.

A comparison of orderings (:func:`splatkit.widgets.compare_orderings`) draws graphs that mix
what lockdep recorded with what a person declared. Clicking an arrow there answers "who says
so?": the ordering line that declared it (name, line number, the line as written), the splat
entry that recorded it (splat, ``-> #K`` chain entry, title) and the stack of that entry.

The table holds plain values; :func:`evidence_html` escapes every one of them (lock names,
titles and ordering lines are untrusted).

>>> g = LockGraph.from_splats(parse(seed_text))
>>> quo = Ordering.parse("cpu_hotplug_lock -> kvm_lock @ hardware_enable_all", name="quo")
>>> evidence_table(g.with_ordering(quo), "cpu_hotplug_lock", "kvm_lock", {"quo": quo})[["from", "says"]].values.tolist()
[['splat 0, chain entry #3', 'possible deadlock in set_nx_huge_pages'], ['ordering quo, line 1', 'cpu_hotplug_lock -> kvm_lock @ hardware_enable_all']]
"""

from __future__ import annotations

from collections.abc import Mapping
import pandas as pd

from ..analysis.acquisitions import acquire_op, establishing_frame
from ..analysis.orderfile import Ordering
from ..depgraph import Evidence
from ..graph import LockGraph
from ..stacks import blamed_function

__all__ = ["EVIDENCE_COLUMNS", "evidence_html", "evidence_table", "stack_evidence"]

#: The columns of :func:`evidence_table`.
EVIDENCE_COLUMNS = ["source", "from", "says", "function", "taken as"]

_SOURCES = {"new": "new dependency (closes the cycle)", "recorded": "recorded by lockdep",
            "held": "order of held locks", "declared": "declared", "proc": "/proc/lockdep",
            "chain": "/proc/lockdep_chains"}


def _ordering_line(ev: Evidence, orderings: Mapping[str, Ordering]) -> str:
    """The line of the ordering that declared ``ev``, as written (empty when it is not known)."""
    found = orderings.get(ev.title) or next((o for o in orderings.values() if o.name == ev.title), None)
    if found is None or ev.line_no is None:
        return ""
    lines = found.text.splitlines()
    return lines[ev.line_no - 1].strip() if 0 < ev.line_no <= len(lines) else ""


def _where(ev: Evidence) -> str:
    if ev.source == "declared":
        return f"ordering {ev.title}" + (f", line {ev.line_no}" if ev.line_no is not None else "")
    if ev.splat is not None:
        if ev.chain_index is not None:
            return f"splat {ev.splat}, chain entry #{ev.chain_index}"
        return f"splat {ev.splat}, held locks" + (f" (line {ev.line_no})" if ev.line_no is not None else "")
    where = ev.origin or ev.title or ev.source
    if ev.chain_index is not None:
        where += f", chain {ev.chain_index}"
    return where + (f", line {ev.line_no}" if ev.line_no is not None else "")


def evidence_table(graph: LockGraph, held: str, acquired: str,
                   orderings: Mapping[str, Ordering] | None = None) -> pd.DataFrame:
    """One row per piece of evidence of ``held -> acquired`` in ``graph``, in the graph's order.

    Columns (:data:`EVIDENCE_COLUMNS`): ``source`` (what kind of evidence), ``from`` (``ordering
    NAME, line N`` or ``splat I, chain entry #K``), ``says`` (the ordering line as written, found
    in ``orderings`` by name, or the splat's title), ``function`` (the code that took the lock:
    the stack's establishing frame, or the ordering's ``@ site``), ``taken as`` (``lock``,
    ``rlock``, ``sync``; empty when the evidence does not say). Empty strings, never None.
    """
    orderings = orderings or {}
    rows = []
    for ev in graph.evidence(held, acquired):
        frame = establishing_frame(ev.frames)[0] if ev.frames else None
        function = (frame.function if frame is not None else None) or ev.label or ""
        op = ev.op or (acquire_op(ev.frames) if ev.frames else "")
        says = _ordering_line(ev, orderings) if ev.source == "declared" else ev.title
        rows.append({"source": _SOURCES.get(ev.source, ev.source), "from": _where(ev), "says": says or "",
                     "function": function, "taken as": op})
    return pd.DataFrame(rows, columns=EVIDENCE_COLUMNS)


def stack_evidence(graph: LockGraph, held: str, acquired: str) -> Evidence | None:
    """The evidence whose stack is shown for ``held -> acquired``: the first with frames, else None
    (a declared order or one read from a held-locks list has none)."""
    return next((ev for ev in graph.evidence(held, acquired) if ev.frames), None)


def evidence_html(graph: LockGraph, held: str, acquired: str, orderings: Mapping[str, Ordering] | None = None, *,
                  heading: str = "", internals: bool = False) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """The evidence of ``held -> acquired`` and the stack that recorded it, as shown below a
    comparison: ``(evidence table, stack table, HTML)``; every value escaped. ``heading`` (say,
    the ordering's name) starts the title."""
    from .escape import _text, note_html, table_html
    from .html import stack_html

    table = evidence_table(graph, held, acquired, orderings)
    title = f"{heading}: " if heading else ""
    parts = [f"<h4>{_text(title)}{_text(held)} \u2192 {_text(acquired)}</h4>",
             table_html(table, caption="Evidence: who says this dependency exists")]
    ev = stack_evidence(graph, held, acquired)
    if ev is None:
        stack = pd.DataFrame()
        sources = {e.source for e in graph.evidence(held, acquired)}
        parts.append(note_html("No stack: " + (
            "this dependency was declared by an ordering, not recorded by lockdep." if "declared" in sources else
            "this order comes from a list of held locks." if sources <= {"held"} else
            f"the source of this dependency prints none ({', '.join(sorted(sources))}).")))
    else:
        caption = f"Stack recorded in {_where(ev)}" + (f" ({ev.title})" if ev.title else "") + \
            ": innermost frame first."
        stack, shown = stack_html(ev.frames, internals=internals, blamed=blamed_function(ev.title), caption=caption)
        parts.append(shown)
    return table, stack, "".join(parts)

