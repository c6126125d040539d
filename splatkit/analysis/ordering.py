"""Lock orderings applied to a graph and compared: which order is safe?

An :class:`~splatkit.analysis.orderfile.Ordering` (the format is in
:mod:`splatkit.analysis.orderfile`) declares, removes or splits dependencies;
:func:`apply_ordering` gives the graph it leads to and :func:`compare` sets several
side by side. A site (``@ X``, ``at X``) matches evidence labelled ``X`` or whose stack
runs through the function ``X``. Lines apply in order. A lock the graph has never seen is
accepted and flagged as new (node attribute ``new``;
:meth:`~splatkit.analysis.orderfile.Ordering.unknown_locks` names the closest known ones,
in case it is a typo).

The other questions about orderings live beside: :func:`~splatkit.analysis.whatif.what_if`
and :func:`~splatkit.analysis.whatif.neighbourhood`, and
:func:`~splatkit.analysis.suggest.suggest_order`; all are importable from here too.
``LockGraph`` methods delegate to them (graph first, keywords after, as in networkx).

References
----------
Documentation/locking/lockdep-design.rst.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from ..depgraph import DependencyGraph, Evidence
from ..errors import ParseError
from .cycles import MAX_CYCLES, Cycle, bounded_cycles
from .acquisitions import establishing_frame
from .orderfile import Declare, Ordering, Remove, Split
from .suggest import OrderSuggestion, suggest_order
from .whatif import neighbourhood, what_if

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Declare", "OrderSuggestion", "Ordering", "Remove", "Split", "apply_ordering", "compare",
           "neighbourhood", "suggest_order", "what_if"]


def _at_site(ev: Evidence, sites: Iterable[str]) -> bool:
    """True when ``ev`` was established by one of ``sites`` (its label, or a function on its stack)."""
    sites = set(sites)
    if ev.label is not None and ev.label in sites:
        return True
    return any(f.function in sites for f in ev.frames if not f.unreliable)


def _as_ordering(ordering: Ordering | str, name: str | None = None) -> Ordering:
    return ordering if isinstance(ordering, Ordering) else Ordering.parse(ordering, name=name)


def apply_ordering(G: DependencyGraph, ordering: Ordering | str) -> DependencyGraph:
    """A new graph: ``G`` with the ordering's statements applied in order (``G`` is untouched).

    Declared edges get ``declared`` evidence (label, read nature, line); removals drop
    an edge or its evidence at a site; a split moves the evidence of a lock's edges
    established at the sites onto the new lock. Locks ``G`` did not have get the node
    attribute ``new=True``. A removal of a dependency ``G`` does not have is reported
    in the result's ``problems``.

    Examples
    --------
    >>> g = LockGraph.from_splats(parse(seed_text))
    >>> h = apply_ordering(g, "split kvm_lock: kvm_usage_lock at kvm_dev_ioctl")
    >>> h.has_dependency("cpu_hotplug_lock", "kvm_usage_lock"), h.has_dependency("cpu_hotplug_lock", "kvm_lock")
    (True, False)
    >>> h.nx.nodes["kvm_usage_lock"]["new"], g.has_dependency("cpu_hotplug_lock", "kvm_lock")
    (True, True)
    """
    o = _as_ordering(ordering)
    out = G.copy()
    g = out.nx
    before = set(G.nx.nodes)
    for step in o.steps:
        if isinstance(step, Declare):
            out.add_evidence(step.held, step.acquired, Evidence(
                "declared", title=o.name, line_no=step.line_no, op=step.op, label=step.label, origin=o.source))
        elif isinstance(step, Remove):
            _remove(out, o, step)
        else:
            _split(out, step)
    for node in g.nodes:
        if node not in before:
            g.nodes[node]["new"] = True
    out.problems.extend(o.problems)
    out.changed()
    return out


def _remove(out: DependencyGraph, o: Ordering, step: Remove) -> None:
    g = out.nx
    held, acquired = out.key(step.held), out.key(step.acquired)
    if not g.has_edge(held, acquired):
        out.problems.append(ParseError("no such dependency to remove", source=o.source, line_no=step.line_no,
                                       line=step.text.strip()))
        return
    if step.label is None:
        g.remove_edge(held, acquired)
        return
    evidence = g.edges[held, acquired]["evidence"]
    kept = [ev for ev in evidence if not _at_site(ev, (step.label,))]
    if len(kept) == len(evidence):
        out.problems.append(ParseError(f"no evidence at {step.label} to remove", source=o.source,
                                       line_no=step.line_no, line=step.text.strip()))
    if kept:
        g.edges[held, acquired]["evidence"] = kept
    else:
        g.remove_edge(held, acquired)


def _split(out: DependencyGraph, step: Split) -> None:
    g = out.nx
    lock, new = out.key(step.lock), out.add_lock(step.new)
    if lock not in g:
        return
    touching = [(lock, v) for v in g.successors(lock)] + [(u, lock) for u in g.predecessors(lock)]
    for u, v in touching:
        evidence = g.edges[u, v]["evidence"]
        moved = [ev for ev in evidence if _at_site(ev, step.sites)]
        if not moved:
            continue
        kept = [ev for ev in evidence if not _at_site(ev, step.sites)]
        for ev in moved:
            out.add_evidence(new if u == lock else u, new if v == lock else v, ev)
        if kept:
            g.edges[u, v]["evidence"] = kept
        else:
            g.remove_edge(u, v)


def _describe(ev: Evidence) -> str:
    where = ev.label
    if where is None and ev.frames:
        frame, _via = establishing_frame(ev.frames)
        where = frame.function if frame is not None else None
    what = ev.source + (f" #{ev.chain_index}" if ev.chain_index is not None and ev.splat is not None else "")
    if ev.source == "declared":
        what += f" ({ev.title}:{ev.line_no})"
    return what + (f" @ {where}" if where else "") + (" [read]" if ev.op == "rlock" else "")


def _cycle_text(cycle: Cycle) -> str:
    return " -> ".join((*cycle.locks, cycle.locks[0]))


def _evidence_rows(cycles: Iterable[Cycle]) -> list[str]:
    rows = {}
    for cycle in cycles:
        for (u, v), evs, op in zip(cycle.edges, cycle.evidence, cycle.ops):
            rows[(u, v)] = f"{u} -> {v}" + (" (read)" if op == "rlock" else "") + ": " + \
                ("; ".join(_describe(ev) for ev in evs) or "(proposed)")
    return [rows[k] for k in sorted(rows, key=str)]


def compare(G: DependencyGraph, orderings: Mapping[str, Ordering | str], *,
            max_length: int | None = None, limit: int | None = MAX_CYCLES) -> pd.DataFrame:
    """Apply each ordering to ``G`` and set the results side by side.

    Parameters
    ----------
    G : DependencyGraph
        A :class:`~splatkit.graph.LockGraph`, or any graph of its data.
        The base: what the evidence shows today.
    orderings : mapping of str to Ordering or str
        Name to ordering (its text is accepted too, parsed with that name).
    max_length : int, optional
        Longest cycle to look for.
    limit : int or None
        Most cycles to look for in each graph (:func:`~splatkit.analysis.cycles.bounded_cycles`);
        a row whose search stopped there says so in ``complete`` and ``problems``.

    Returns
    -------
    pandas.DataFrame
        One row per ordering, indexed by name, in the mapping's order: ``verdict``
        (``acyclic``/``cyclic``), ``cycles`` (count), ``introduced`` and ``removed``
        (cycles relative to ``G``, as ``A -> B -> A`` text), ``needs_writer`` (every
        remaining cycle needs a waiting writer), ``locks`` (the locks of the remaining,
        introduced and removed cycles), ``evidence`` (each edge of the remaining
        cycles with its evidence), ``new_locks`` (locks ``G`` never saw), ``problems``
        (lines that could not be read or applied, and a cycle search that stopped at
        ``limit``) and ``complete`` (False when a search stopped there: ``cycles`` is then
        a lower bound). ``df.attrs["graphs"]`` holds each resulting :class:`LockGraph`.

    Examples
    --------
    >>> df = compare(LockGraph.from_splats(parse(seed_text)),
    ...              {"as is": "", "drop": "- cpu_hotplug_lock -> kvm_lock"})
    >>> df["verdict"].tolist(), df["complete"].tolist()
    (['cyclic', 'acyclic'], [True, True])
    >>> df.loc["drop", "removed"]
    ['kvm_lock -> &kvm->slots_lock -> &kvm->srcu -> cpu_hotplug_lock -> kvm_lock']
    """
    import pandas as pd

    base = bounded_cycles(G, max_length=max_length, limit=limit)
    rows, graphs = [], {}
    for name, ordering in orderings.items():
        o = _as_ordering(ordering, name)
        h = apply_ordering(G, o)
        graphs[name] = h
        now = bounded_cycles(h, max_length=max_length, limit=limit)
        # A cycle is still there when all its edges are (whether or not a stopped search listed it).
        introduced = [c for c in now if not all(G.nx.has_edge(u, v) for u, v in c.edges)]
        removed = [c for c in base if not all(h.nx.has_edge(u, v) for u, v in c.edges)]
        involved = {lock for c in (*now, *removed) for lock in c.locks}
        stopped = [f"{label}: {search.note}" for label, search in (("base graph", base), (name, now))
                   if not search.complete]
        rows.append({
            "ordering": name,
            "verdict": "cyclic" if now else "acyclic",
            "cycles": len(now),
            "introduced": [_cycle_text(c) for c in introduced],
            "removed": [_cycle_text(c) for c in removed],
            "needs_writer": bool(now) and all(c.needs_writer for c in now),
            "locks": sorted(involved, key=str),
            "evidence": _evidence_rows(now),
            "new_locks": sorted(o.unknown_locks(G)),
            "problems": [str(p) for p in h.problems if p not in G.problems] + stopped,
            "complete": base.complete and now.complete,
        })
    df = pd.DataFrame(rows).set_index("ordering") if rows else pd.DataFrame()
    df.attrs["graphs"] = graphs
    return df
