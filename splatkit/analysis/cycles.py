"""Cycles in the lock graph: the dependency loops that can deadlock, with their evidence.

A cycle ``L0 -> L1 -> ... -> Lk-1 -> L0`` means each lock was acquired while
the previous one was held; if one task per edge runs at once, each waits for
the next and none can go on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import networkx as nx

from ..errors import NoCycle

if TYPE_CHECKING:
    from ..graph import Evidence, LockGraph

__all__ = ["Cycle", "find_lock_cycle", "lock_cycles"]


@dataclass(frozen=True)
class Cycle:
    """A dependency cycle: ``locks[i+1]`` is taken while ``locks[i]`` is held, and
    ``locks[0]`` while ``locks[-1]`` is held."""

    locks: tuple[str, ...]
    evidence: tuple[tuple[Evidence, ...], ...]
    """For each edge ``locks[i] -> locks[i+1 mod n]``, the evidence the graph holds."""

    @property
    def edges(self) -> list[tuple[str, str]]:
        n = len(self.locks)
        return [(self.locks[i], self.locks[(i + 1) % n]) for i in range(n)]

    def __len__(self) -> int:
        return len(self.locks)


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
        Each with the evidence of each edge, in a deterministic order (length,
        then lock names).

    Examples
    --------
    >>> [c.locks for c in lock_cycles(LockGraph.from_splats(parse(seed_text)))]
    [('kvm_lock', '&kvm->slots_lock', '&kvm->srcu', 'cpu_hotplug_lock')]
    """
    g = G.nx
    found = [_rotate(c, g) for c in nx.simple_cycles(g, length_bound=max_length)]
    for locks in sorted(found, key=lambda c: (len(c), c)):
        n = len(locks)
        evidence = tuple(tuple(g.edges[locks[i], locks[(i + 1) % n]].get("evidence", [])) for i in range(n))
        yield Cycle(locks, evidence)


def find_lock_cycle(G: LockGraph, *, max_length: int | None = None) -> Cycle:
    """The first cycle :func:`lock_cycles` yields; raises :class:`NoCycle` when there is none."""
    for cycle in lock_cycles(G, max_length=max_length):
        return cycle
    raise NoCycle("the lock graph has no dependency cycle" +
                  (f" of at most {max_length} locks" if max_length else ""))
