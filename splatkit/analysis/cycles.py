"""Cycles in the lock graph: the dependency loops that can deadlock, with their evidence.

A cycle ``L0 -> L1 -> ... -> Lk-1 -> L0`` means each lock was acquired while
the previous one was held; if one task per edge runs at once, each waits for
the next and none can go on. Unless some of those acquisitions are *reads* of a
reader-writer lock (``down_read``, ``cpus_read_lock``, ``read_lock``): a reader
only waits when a writer holds the lock or (rwsem, percpu-rwsem: they are fair)
is already waiting for it, so such a cycle deadlocks only together with a writer.
:class:`Cycle` marks those edges and says so in :attr:`Cycle.note`, rather than
hiding the cycle (lockdep itself reports it).

A graph can have more cycles than anyone can list: a splat whose held-lock list names a
few dozen classes in hundreds of entries makes a dense graph, whose cycles grow
exponentially with their length. :func:`bounded_cycles` (what ``LockGraph.cycles`` and
every view use) stops after ``limit`` of them, and its :class:`Cycles` result says so
(:attr:`Cycles.note`); :func:`lock_cycles` lists them all.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import networkx as nx

from ..errors import NoCycle
from .acquisitions import acquire_op

if TYPE_CHECKING:
    from ..depgraph import DependencyGraph, Evidence

__all__ = ["MAX_CYCLES", "Cycle", "Cycles", "bounded_cycles", "edge_op", "evidence_op", "find_cycle_through",
           "find_lock_cycle", "lock_cycles", "make_cycle", "shortest_path"]

#: The most cycles a search lists by default (every view searches with it): listing them is
#: polynomial per cycle, so this bounds the time a dense lock graph can take.
MAX_CYCLES = 1000


@dataclass(frozen=True)
class Cycle:
    """A dependency cycle: ``locks[i+1]`` is taken while ``locks[i]`` is held, and
    ``locks[0]`` while ``locks[-1]`` is held."""

    locks: tuple[str, ...]
    evidence: tuple[tuple[Evidence, ...], ...]
    """For each edge ``locks[i] -> locks[i+1 mod n]``, the evidence the graph holds."""
    ops: tuple[str | None, ...] = ()
    """For each edge, how its lock was acquired: ``lock``, ``rlock`` (read), ``sync``, or None
    when no evidence tells (see :func:`edge_op`)."""
    hypothetical: tuple[str, str] | None = None
    """The edge that is only proposed (:func:`splatkit.analysis.whatif.what_if`), if any."""

    @property
    def edges(self) -> list[tuple[str, str]]:
        """The dependencies ``(held, acquired)`` of the cycle, in order."""
        n = len(self.locks)
        return [(self.locks[i], self.locks[(i + 1) % n]) for i in range(n)]

    @property
    def read_edges(self) -> list[tuple[str, str]]:
        """The edges whose lock is acquired for read (every known acquisition a read)."""
        return [edge for edge, op in zip(self.edges, self.ops) if op == "rlock"]

    @property
    def needs_writer(self) -> bool:
        """True when some lock of the cycle is only read-acquired: it deadlocks only with a writer."""
        return bool(self.read_edges)

    @property
    def note(self) -> str:
        """A sentence on what it takes to deadlock (empty for a plain cycle of exclusive locks)."""
        if not self.needs_writer:
            return ""
        locks = sorted({acquired for _held, acquired in self.read_edges})
        names = ", ".join(locks)
        return (f"{names} {'is' if len(locks) == 1 else 'are'} acquired for read here: this cycle deadlocks "
                f"only if a writer holds or is waiting for {'it' if len(locks) == 1 else 'them'} "
                "(rwsems and percpu-rwsems queue new readers behind a waiting writer)")

    def canonical(self) -> tuple[str, ...]:
        """The locks rotated to start at the smallest name: equal for equal cycles."""
        i = self.locks.index(min(self.locks))
        return self.locks[i:] + self.locks[:i]

    def __len__(self) -> int:
        return len(self.locks)


def evidence_op(ev: Evidence) -> str | None:
    """How one piece of evidence says the lock was acquired (``lock``, ``rlock``, ``sync``), or None.

    The evidence's own ``op`` when its source gave one, otherwise read from its stack
    (:func:`splatkit.analysis.acquisitions.acquire_op`); None without either.
    """
    if ev.op is not None:
        return ev.op
    if ev.frames:
        return acquire_op(ev.frames)
    return None


def edge_op(evidence: Iterable[Evidence]) -> str | None:
    """The acquisition of an edge: ``rlock`` only when every known acquisition is a read.

    An edge that some evidence shows taken for write is a write edge (``lock`` or
    ``sync``); None when no evidence tells.

    >>> g = LockGraph.from_splats(parse(seed_text))
    >>> edge_op(g.evidence("&kvm->srcu", "cpu_hotplug_lock")), edge_op(g.evidence("&kvm->slots_lock", "&kvm->srcu"))
    ('rlock', 'sync')
    """
    ops = {op for op in map(evidence_op, evidence) if op is not None}
    if not ops:
        return None
    if ops == {"rlock"}:
        return "rlock"
    return "sync" if "sync" in ops else "lock"


def make_cycle(G: DependencyGraph, locks: Iterable[str], *, hypothetical: tuple[str, str] | None = None,
               _edges: dict | None = None) -> Cycle:
    """A :class:`Cycle` over ``locks`` (in order) with the evidence ``G`` holds for each edge.

    (``_edges`` caches each edge's evidence and acquisition across the cycles of one search:
    a dense graph's cycles share their edges.)
    """
    locks = tuple(locks)
    g = G.nx
    n = len(locks)
    edges = {} if _edges is None else _edges
    evidence, ops = [], []
    for i in range(n):
        edge = (locks[i], locks[(i + 1) % n])
        known = edges.get(edge)
        if known is None:
            evs = tuple(g.edges[edge].get("evidence", [])) if g.has_edge(*edge) else ()
            known = edges[edge] = (evs, edge_op(evs))
        evidence.append(known[0])
        ops.append(known[1])
    return Cycle(locks, tuple(evidence), tuple(ops), hypothetical)


def _rotate(locks: list[str], G: nx.DiGraph) -> tuple[str, ...]:
    """Start at the lock whose outgoing edge is a 'new' acquisition (the report's
    convention: the lock the task holds comes first); otherwise at the smallest name.

    Of several such locks (a cycle over the new dependencies of several reports), the one with
    the smallest name: the search yields a cycle from wherever networkx entered it (an accident
    of its implementation, which followed the hash seed when it searched over names), and the
    same cycle must read the same whatever the search.

    >>> g = LockGraph.from_orderings("b -> c\\nc -> a\\na -> b")
    >>> _rotate(["c", "a", "b"], g.nx)
    ('a', 'b', 'c')
    """
    n = len(locks)
    new = [locks[i] for i in range(n)
           if any(ev.source == "new" for ev in G.edges[locks[i], locks[(i + 1) % n]].get("evidence", []))]
    i = locks.index(min(new or locks))
    return tuple(locks[i:] + locks[:i])


class Cycles(list):
    """Cycles found by a search, shortest first (a list of :class:`Cycle`), and whether the
    search saw them all.

    Attributes
    ----------
    complete : bool
        False when the search stopped at its ``limit``: the graph has more cycles.
    limit : int or None
        The most cycles the search would list.
    max_length : int or None
        The longest cycle it looked for (None: any length).
    """

    def __init__(self, cycles: Iterable[Cycle] = (), *, complete: bool = True, limit: int | None = None,
                 max_length: int | None = None) -> None:
        super().__init__(cycles)
        self.complete, self.limit, self.max_length = complete, limit, max_length

    @property
    def note(self) -> str:
        """One sentence for a view when the search stopped short, else empty.

        >>> g = LockGraph.from_orderings("\\n".join(f"{a} -> {b}" for a in "abcd" for b in "abcd" if a != b))
        >>> print(g.cycles(limit=10).note)
        the lock graph has more than 10 dependency cycles; the search stopped there (limit=10), so shorter ones may be missing
        """
        if self.complete:
            return ""
        return (f"the lock graph has more than {self.limit} dependency cycles; the search stopped there "
                f"(limit={self.limit}), so shorter ones may be missing")


def _search_graph(g: nx.DiGraph) -> tuple[nx.DiGraph, list]:
    """The part of ``g`` that holds cycles (the edges inside its strongly connected
    components), its lock classes numbered in name order, and their names (``names[i]``
    for node ``i``).

    Numbers, not names, so that the search is the same in every run: networkx's
    ``simple_cycles`` enters each component at ``next(iter(component))`` of a set, and a set
    of strings iterates in an order that follows the hash seed (``PYTHONHASHSEED``), one of
    small ints in their order. When the search stops at its limit, which cycles it found
    (and where each starts) would otherwise change from run to run.
    """
    component: dict = {}
    for i, members in enumerate(nx.strongly_connected_components(g)):
        if len(members) > 1 or any(g.has_edge(n, n) for n in members):
            component.update(dict.fromkeys(members, i))
    names = sorted(component, key=str)
    number = {n: i for i, n in enumerate(names)}
    h = nx.DiGraph()
    h.add_nodes_from(range(len(names)))
    h.add_edges_from(sorted((number[u], number[v]) for u in component for v in g._succ[u]  # noqa: SLF001
                            if component.get(v) == component[u]))
    return h, names


def bounded_cycles(G: DependencyGraph, *, max_length: int | None = None, limit: int | None = MAX_CYCLES) -> Cycles:
    """The elementary cycles of ``G``, shortest first, at most ``limit`` of them.

    networkx's ``simple_cycles`` (Johnson's algorithm; with ``length_bound`` when
    ``max_length`` is given) takes time polynomial in the cycles it yields, so stopping
    after ``limit`` bounds the time a dense graph can take: a held-lock list of hundreds of
    entries over a few dozen classes has millions of cycles.

    Parameters
    ----------
    G : DependencyGraph
        A :class:`~splatkit.graph.LockGraph`, or any graph of its data.
    max_length : int, optional
        Longest cycle to look for; None for any length.
    limit : int or None
        Most cycles to list (None: all, which may never end on a dense graph).

    Returns
    -------
    Cycles
        Sorted by length, then lock names; ``complete`` is False (and ``note`` says so)
        when the graph has more than ``limit``: the list then holds the first ``limit``
        the search found, which need not be the shortest.

    Examples
    --------
    >>> g = LockGraph.from_splats(parse(seed_text))
    >>> found = bounded_cycles(g)
    >>> [c.locks for c in found], found.complete
    ([('kvm_lock', '&kvm->slots_lock', '&kvm->srcu', 'cpu_hotplug_lock')], True)
    """
    g = G.nx
    found, complete = [], True
    h, names = _search_graph(g)
    for cycle in nx.simple_cycles(h, length_bound=max_length):
        if limit is not None and len(found) == limit:
            complete = False
            break
        found.append(_rotate([names[i] for i in cycle], g))
    edges: dict = {}
    return Cycles((make_cycle(G, locks, _edges=edges) for locks in sorted(found, key=_by_length)),
                  complete=complete, limit=limit, max_length=max_length)


def _by_length(locks: tuple[str, ...]) -> tuple[int, tuple[str, ...]]:
    return len(locks), locks


def lock_cycles(G: DependencyGraph, *, max_length: int | None = None) -> Iterator[Cycle]:
    """Yield every elementary cycle of at most ``max_length`` locks, shortest first.

    All of them: on a dense graph that may never end (use :func:`bounded_cycles`, as every
    view does).

    Parameters
    ----------
    G : DependencyGraph
        A :class:`~splatkit.graph.LockGraph`, or any graph of its data.
    max_length : int, optional
        Longest cycle to look for; None for no bound.

    Yields
    ------
    Cycle
        Each with the evidence of each edge and its read/write nature, in a
        deterministic order (length, then lock names).

    Examples
    --------
    >>> [c.locks for c in lock_cycles(LockGraph.from_splats(parse(seed_text)))]
    [('kvm_lock', '&kvm->slots_lock', '&kvm->srcu', 'cpu_hotplug_lock')]
    >>> next(lock_cycles(LockGraph.from_splats(parse(seed_text)))).read_edges
    [('&kvm->srcu', 'cpu_hotplug_lock')]
    """
    yield from bounded_cycles(G, max_length=max_length, limit=None)


def find_lock_cycle(G: DependencyGraph, *, max_length: int | None = None) -> Cycle:
    """A shortest cycle (the first :func:`lock_cycles` yields); raises :class:`NoCycle` when there is none."""
    for cycle in bounded_cycles(G, max_length=max_length, limit=MAX_CYCLES):
        return cycle
    raise NoCycle("the lock graph has no dependency cycle" +
                  (f" of at most {max_length} locks" if max_length else ""))


def shortest_path(G: DependencyGraph, source: str, target: str) -> list[str] | None:
    """The shortest dependency path ``source -> ... -> target`` (breadth first, ties by name)."""
    g = G.nx
    if source == target:
        return [source]
    parent = {source: source}
    queue = deque([source])
    succ = g._succ  # noqa: SLF001 - plain dict access, the hot loop of what-if queries
    while queue:
        node = queue.popleft()
        for nxt in sorted(succ[node]):
            if nxt in parent:
                continue
            parent[nxt] = node
            if nxt == target:
                path = [target]
                while path[-1] != source:
                    path.append(parent[path[-1]])
                return path[::-1]
            queue.append(nxt)
    return None


def find_cycle_through(G: DependencyGraph, held: str, acquired: str) -> Cycle:
    """The shortest cycle that uses the dependency ``held -> acquired``.

    Parameters
    ----------
    G : DependencyGraph
        A :class:`~splatkit.graph.LockGraph`, or any graph of its data.
    held, acquired : str
        A dependency of ``G`` (lock names as printed or as nodes).

    Returns
    -------
    Cycle
        Starting at ``held``.

    Raises
    ------
    NoCycle
        When no path leads from ``acquired`` back to ``held``.
    UnknownLock
        When a lock is not in the graph.

    Examples
    --------
    >>> find_cycle_through(LockGraph.from_splats(parse(seed_text)), "cpu_hotplug_lock", "kvm_lock").locks
    ('cpu_hotplug_lock', 'kvm_lock', '&kvm->slots_lock', '&kvm->srcu')
    >>> find_cycle_through(LockGraph.from_splats(parse(seed_text)), "sb_writers#4", "&of->mutex")
    Traceback (most recent call last):
    ...
    splatkit.errors.NoCycle: no cycle goes through sb_writers#4 -> &of->mutex
    """
    held, acquired = G.node(held), G.node(acquired)
    path = shortest_path(G, acquired, held)
    if path is None or not G.nx.has_edge(held, acquired):
        raise NoCycle(f"no cycle goes through {held} -> {acquired}")
    return make_cycle(G, [held, *path[:-1]])
