"""Cycles in the lock graph: the dependency loops that can deadlock, with their evidence.

A cycle ``L0 -> L1 -> ... -> Lk-1 -> L0`` means each lock was acquired while
the previous one was held; if one task per edge runs at once, each waits for
the next and none can go on. Unless some of those acquisitions are *reads* of a
reader-writer lock (``down_read``, ``cpus_read_lock``, ``read_lock``): a reader
only waits when a writer holds the lock or (rwsem, percpu-rwsem: they are fair)
is already waiting for it, so such a cycle deadlocks only together with a writer.
:class:`Cycle` marks those edges and says so in :attr:`Cycle.note`, rather than
hiding the cycle (lockdep itself reports it).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import networkx as nx

from ..errors import NoCycle
from .explain import acquire_op

if TYPE_CHECKING:
    from ..graph import Evidence, LockGraph

__all__ = ["Cycle", "edge_op", "evidence_op", "find_cycle_through", "find_lock_cycle", "lock_cycles",
           "make_cycle", "shortest_path"]


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
    """The edge that is only proposed (:func:`splatkit.analysis.ordering.what_if`), if any."""

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
    (:func:`splatkit.analysis.explain.acquire_op`); None without either.
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


def make_cycle(G: LockGraph, locks: Iterable[str], *, hypothetical: tuple[str, str] | None = None) -> Cycle:
    """A :class:`Cycle` over ``locks`` (in order) with the evidence ``G`` holds for each edge."""
    locks = tuple(locks)
    g = G.nx
    n = len(locks)
    evidence = []
    for i in range(n):
        edge = (locks[i], locks[(i + 1) % n])
        evidence.append(tuple(g.edges[edge].get("evidence", [])) if g.has_edge(*edge) else ())
    return Cycle(locks, tuple(evidence), tuple(edge_op(evs) for evs in evidence), hypothetical)


def _rotate(locks: list[str], G: nx.DiGraph) -> tuple[str, ...]:
    """Start at the lock whose outgoing edge is a 'new' acquisition (the report's
    convention: the lock the task holds comes first); otherwise at the smallest name."""
    n = len(locks)
    for i in range(n):
        evidence = G.edges[locks[i], locks[(i + 1) % n]].get("evidence", [])
        if any(ev.source == "new" for ev in evidence):
            return tuple(locks[i:] + locks[:i])
    i = locks.index(min(locks))
    return tuple(locks[i:] + locks[:i])


def lock_cycles(G: LockGraph, *, max_length: int | None = None) -> Iterator[Cycle]:
    """Yield every elementary cycle of at most ``max_length`` locks, shortest first.

    Parameters
    ----------
    G : LockGraph
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
    g = G.nx
    found = [_rotate(c, g) for c in nx.simple_cycles(g, length_bound=max_length)]
    for locks in sorted(found, key=lambda c: (len(c), c)):
        yield make_cycle(G, locks)


def find_lock_cycle(G: LockGraph, *, max_length: int | None = None) -> Cycle:
    """The first cycle :func:`lock_cycles` yields; raises :class:`NoCycle` when there is none."""
    for cycle in lock_cycles(G, max_length=max_length):
        return cycle
    raise NoCycle("the lock graph has no dependency cycle" +
                  (f" of at most {max_length} locks" if max_length else ""))


def shortest_path(G: LockGraph, source: str, target: str) -> list[str] | None:
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


def find_cycle_through(G: LockGraph, held: str, acquired: str) -> Cycle:
    """The shortest cycle that uses the dependency ``held -> acquired``.

    Parameters
    ----------
    G : LockGraph
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
