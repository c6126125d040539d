"""A lock order for a graph with cycles: the fewest dependencies to give up.

Each cyclic strongly connected component is ordered to minimise the evidence on its
backward edges (a minimum feedback arc set, weighted by evidence count): exactly by
dynamic programming over subsets when it is small, with the Eades-Lin-Smyth heuristic
otherwise.

References
----------
P. Eades, X. Lin, W. F. Smyth, "A fast and effective heuristic for the feedback arc set
problem", IPL 47 (1993).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import networkx as nx

from ..depgraph import DependencyGraph

__all__ = ["OrderSuggestion", "suggest_order"]


@dataclass(frozen=True)
class OrderSuggestion:
    """A total order of the lock classes, and the dependencies that disagree with it."""

    order: tuple[str, ...]
    """Every lock class; each dependency kept goes from an earlier lock to a later one."""
    removed: tuple[tuple[str, str], ...]
    """The dependencies to reverse or remove (a feedback arc set), sorted."""
    exact: bool
    """True when ``removed`` is a minimum (by evidence count) for every cyclic component."""
    method: str
    """``exact (dynamic programming over subsets)``, ``heuristic (Eades-Lin-Smyth)`` or both."""
    weight: int
    """Pieces of evidence on the removed dependencies (what the order disagrees with)."""


def _weight(g: nx.DiGraph, u: Any, v: Any) -> int:
    return max(len(g.edges[u, v].get("evidence", ())), 1)


def _exact_order(g: nx.DiGraph, nodes: list) -> list:
    """Order minimising the weight of backward edges: dynamic programming over subsets."""
    n = len(nodes)
    idx = {node: i for i, node in enumerate(nodes)}
    out_w = [[(idx[v], _weight(g, u, v)) for v in g._succ[u] if v in idx and v != u] for u in nodes]  # noqa: SLF001
    best = {0: (0, ())}
    for mask in range(1 << n):
        if mask not in best:
            continue
        cost, order = best[mask]
        for i in range(n):
            if mask >> i & 1:
                continue
            extra = sum(w for j, w in out_w[i] if mask >> j & 1)  # i placed after j: i -> j goes back
            key = mask | 1 << i
            if key not in best or cost + extra < best[key][0]:
                best[key] = (cost + extra, (*order, i))
    return [nodes[i] for i in best[(1 << n) - 1][1]]


def _greedy_order(g: nx.DiGraph, nodes: list) -> list:
    """Eades-Lin-Smyth: peel sinks and sources, else the node with most out- minus in-weight."""
    left = set(nodes)
    succ = {u: {v: _weight(g, u, v) for v in g._succ[u] if v in left and v != u} for u in nodes}  # noqa: SLF001
    pred = {v: {} for v in nodes}
    for u, vs in succ.items():
        for v, w in vs.items():
            pred[v][u] = w
    head: list = []
    tail: list = []

    def drop(node: Any) -> None:
        left.discard(node)
        for v in succ.pop(node):
            pred[v].pop(node, None)
        for u in pred.pop(node):
            succ[u].pop(node, None)

    while left:
        changed = True
        while changed:
            changed = False
            for node in sorted(left, key=str):
                if not succ[node]:
                    tail.append(node)
                    drop(node)
                    changed = True
                elif not pred[node]:
                    head.append(node)
                    drop(node)
                    changed = True
        if left:
            node = max(sorted(left, key=str), key=lambda x: sum(succ[x].values()) - sum(pred[x].values()))
            head.append(node)
            drop(node)
    return head + tail[::-1]


def suggest_order(G: DependencyGraph, *, exact_max: int = 12,
                  key: Callable[[str], Any] | None = None) -> OrderSuggestion:
    """A total order of the lock classes agreeing with the most evidence.

    Each cyclic strongly connected component is ordered to minimise the evidence
    on its backward edges (a minimum feedback arc set, weighted by evidence count):
    exactly when it has at most ``exact_max`` locks, with the Eades-Lin-Smyth
    heuristic otherwise; ``exact`` and ``method`` say which was used. The order is
    then the lexicographic topological sort (by ``key``, default the name) of the
    graph without those edges; self-dependencies are always removed.

    Examples
    --------
    >>> s = suggest_order(LockGraph.from_splats(parse(seed_text)))
    >>> s.removed, s.exact, s.weight
    ((('kvm_lock', '&kvm->slots_lock'),), True, 1)
    """
    g = G.nx
    removed: set[tuple[Any, Any]] = {(u, v) for u, v in nx.selfloop_edges(g)}
    methods = set()
    exact = True
    for comp in nx.strongly_connected_components(g):
        if len(comp) < 2:
            continue
        nodes = sorted(comp, key=str)
        if len(nodes) <= exact_max:
            order = _exact_order(g, nodes)
            methods.add("exact (dynamic programming over subsets)")
        else:
            order = _greedy_order(g, nodes)
            methods.add("heuristic (Eades-Lin-Smyth)")
            exact = False
        place = {node: i for i, node in enumerate(order)}
        removed.update((u, v) for u in nodes for v in g._succ[u] if v in place and place[v] < place[u])  # noqa: SLF001
    kept = nx.restricted_view(g, [], list(removed))
    order = tuple(nx.lexicographical_topological_sort(kept, key=key or str))
    weight = sum(_weight(g, u, v) for u, v in removed)
    return OrderSuggestion(order, tuple(sorted(removed, key=str)), exact,
                           " and ".join(sorted(methods)) or "none needed (acyclic)", weight)
