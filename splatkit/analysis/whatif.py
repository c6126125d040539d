"""What a new dependency would close, and the part of a big graph around a lock.

A reviewer's question about a patch is "does taking B inside A here close a cycle?":
a reachability query from B back to A, answered without rebuilding anything. The graph
keeps a topological position of its strongly connected components (computed once,
dropped when the graph changes: :meth:`~splatkit.depgraph.DependencyGraph.cached`), so
that a search from B towards A never looks past A. :func:`neighbourhood` cuts a drawable
piece out of a graph of thousands of lock classes (a ``/proc/lockdep`` dump).
"""

from __future__ import annotations

import gc
from dataclasses import replace
from typing import Any

import networkx as nx

from ..depgraph import DependencyGraph, ordered_subgraph
from .cycles import Cycle, make_cycle

__all__ = ["neighbourhood", "what_if"]


class _Reach:
    """Strongly connected components and a topological position of each, for pruned searches.

    If ``u`` reaches ``v`` then ``pos[u] <= pos[v]`` (equal only inside one component),
    so a search from B towards A never needs nodes placed after A.
    """

    def __init__(self, g: nx.DiGraph) -> None:
        comp: dict[Any, int] = {}
        collecting = gc.isenabled()
        gc.disable()  # many small sets, no garbage cycles: the collector would only slow this down
        try:
            for i, members in enumerate(nx.strongly_connected_components(g)):
                for node in members:
                    comp[node] = i
        finally:
            if collecting:
                gc.enable()
        # Tarjan yields components in reverse topological order: number them backwards.
        last = max(comp.values(), default=0)
        self.pos = {node: last - c for node, c in comp.items()}


def _index(G: DependencyGraph) -> _Reach:
    return G.cached("reachability", _Reach)


def _reach_path(G: DependencyGraph, source: str, target: str) -> list[str] | None:
    """A shortest path ``source -> ... -> target``: two pruned breadth-first searches that meet."""
    if source == target:
        return [source]
    pos = _index(G).pos
    lo, hi = pos[source], pos[target]
    if lo > hi:
        return None
    g = G.nx
    succ, pred = g._succ, g._pred  # noqa: SLF001 - plain dicts in the hot loop
    fwd, bwd = {source: None}, {target: None}
    ffront, bfront = [source], [target]
    while ffront and bfront:
        if len(ffront) <= len(bfront):
            nxt_front = []
            for node in ffront:
                for nxt in succ[node]:
                    if nxt in fwd or pos[nxt] > hi:
                        continue
                    fwd[nxt] = node
                    if nxt in bwd:
                        return _join(fwd, bwd, nxt)
                    nxt_front.append(nxt)
            ffront = nxt_front
        else:
            nxt_front = []
            for node in bfront:
                for prv in pred[node]:
                    if prv in bwd or pos[prv] < lo:
                        continue
                    bwd[prv] = node
                    if prv in fwd:
                        return _join(fwd, bwd, prv)
                    nxt_front.append(prv)
            bfront = nxt_front
    return None


def _join(fwd: dict, bwd: dict, meet: Any) -> list[str]:
    path = [meet]
    while fwd[path[0]] is not None:
        path.insert(0, fwd[path[0]])
    while bwd[path[-1]] is not None:
        path.append(bwd[path[-1]])
    return path


def what_if(G: DependencyGraph, held: str, acquired: str, *, op: str | None = None, limit: int = 10,
            max_length: int | None = None) -> list[Cycle]:
    """The cycles a new dependency ``held -> acquired`` would close; empty when it is safe.

    Nothing is rebuilt: the answer is a reachability query from ``acquired`` back to
    ``held`` (two breadth-first searches pruned by a topological position of the
    strongly connected components, computed once per graph and kept until it changes).

    Parameters
    ----------
    G : DependencyGraph
        A :class:`~splatkit.graph.LockGraph`, or any graph of its data.
    held, acquired : str
        The proposed dependency: ``acquired`` taken while ``held`` is held. A lock the
        graph has never seen closes no cycle.
    op : {"lock", "rlock", "sync"}, optional
        How the new acquisition would take ``acquired`` (``rlock``: for read), so that
        each cycle's :attr:`~splatkit.analysis.cycles.Cycle.note` can say whether it
        needs a writer.
    limit : int
        Most cycles to return; the first is always a shortest one. ``limit=1`` answers
        "does it close a cycle, and through which path" fastest.
    max_length : int, optional
        Longest cycle (in locks) to report.

    Returns
    -------
    list of Cycle
        Shortest first, each starting at ``held`` with ``hypothetical=(held, acquired)``
        and the evidence of every existing edge.

    Examples
    --------
    >>> g = LockGraph.from_splats(parse(seed_text))
    >>> [c.locks for c in what_if(g, "&kvm->srcu", "kvm_lock")]
    [('&kvm->srcu', 'kvm_lock', '&kvm->slots_lock')]
    >>> what_if(g, "sb_writers#4", "kvm_lock")
    []
    >>> what_if(g, "kvm_lock", "cpu_hotplug_lock", op="rlock")[0].read_edges
    [('kvm_lock', 'cpu_hotplug_lock')]
    """
    if held not in G.nx:
        held = G.key(held)
    if acquired not in G.nx:
        acquired = G.key(acquired)
    if held not in G.nx or acquired not in G.nx:
        return []
    edge = (held, acquired)
    def cycle(locks: list[str]) -> Cycle:
        c = make_cycle(G, locks, hypothetical=edge)
        return replace(c, ops=(op, *c.ops[1:])) if op is not None else c

    if held == acquired:
        return [cycle([held])]
    path = _reach_path(G, acquired, held)
    if path is None or (max_length is not None and len(path) > max_length):
        return []
    cycles = [cycle([held, *path[:-1]])]
    if limit <= 1:
        return cycles
    pos = _index(G).pos
    lo, hi = pos[acquired], pos[held]
    relevant = G.nx.subgraph([n for n, p in pos.items() if lo <= p <= hi])
    seen = {tuple(path)}
    for other in nx.shortest_simple_paths(relevant, acquired, held):
        if len(cycles) >= limit or (max_length is not None and len(other) > max_length):
            break
        if tuple(other) not in seen:
            seen.add(tuple(other))
            cycles.append(cycle([held, *other[:-1]]))
    return cycles


def neighbourhood(G: DependencyGraph, lock: str, radius: int = 1, *, max_nodes: int = 200) -> DependencyGraph:
    """The locks within ``radius`` dependencies of ``lock`` (either direction), for drawing.

    Nearer locks first, then by name; at most ``max_nodes`` locks (node attribute
    ``distance``; ``truncated`` on the graph's ``lock`` node when some were left out).

    Raises
    ------
    UnknownLock
        When ``lock`` is not in the graph (the message names the closest ones).

    Examples
    --------
    >>> sorted(neighbourhood(LockGraph.from_splats(parse(seed_text)), "cpu_hotplug_lock").nx)
    ['&kvm->srcu', 'cpu_hotplug_lock', 'kvm_lock']
    """
    g = G.nx
    start = G.node(lock)
    distance = {start: 0}
    ring = [start]
    truncated = False
    for d in range(1, radius + 1):
        nxt = sorted({n for node in ring for n in (*g._succ[node], *g._pred[node])  # noqa: SLF001
                      if n not in distance}, key=str)
        if len(distance) + len(nxt) > max_nodes:
            nxt, truncated = nxt[:max_nodes - len(distance)], True
        for n in nxt:
            distance[n] = d
        ring = nxt
        if truncated or not ring:
            break
    sub = ordered_subgraph(g, distance)  # (nearest first: a subgraph view's order is the hash seed's)
    for _u, _v, data in sub.edges(data=True):
        data["evidence"] = list(data["evidence"])
    for n, d in distance.items():
        sub.nodes[n]["distance"] = d
    sub.nodes[start]["truncated"] = truncated
    return type(G)(sub, identity=G.identity)
