"""The lock graph: lock classes and the dependencies between them, with their evidence.

A directed edge ``A -> B`` means "B was acquired while A was held" (lockdep's
``locks_after`` list of A contains B; lockdep-format.md Appendix A). Each edge
keeps every piece of :class:`Evidence` that asserts it, so that a view can
always show *where* a dependency comes from.

:class:`LockGraph` is a thin facade over a :class:`networkx.DiGraph`, exposed as
``g.nx`` for anything this API does not cover; its questions delegate to the
functions in :mod:`splatkit.analysis`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import networkx as nx

from .model import Frame, Splat

if TYPE_CHECKING:
    from .analysis.cycles import Cycle

__all__ = ["Evidence", "LockGraph"]


@dataclass(frozen=True)
class Evidence:
    """One reason to believe in a dependency ``held -> acquired``."""

    source: str
    """Where it comes from: ``recorded`` (a dependency lockdep had saved, chain entry #K >= 1),
    ``new`` (the acquisition that triggered the report, chain entry #0) or ``held``
    (two consecutive entries of a held-locks list)."""
    splat: int
    """Index of the splat in the list the graph was built from."""
    title: str = ""
    """Title of that splat."""
    chain_index: int | None = None
    """The ``-> #K`` entry the dependency was read from."""
    frames: tuple[Frame, ...] = field(default=(), compare=False)
    """The stack of the acquisition (empty for held-lock order)."""
    line_no: int | None = None


class LockGraph:
    """Lock classes (nodes, named as lockdep prints them) and dependencies (edges).

    Build one with :meth:`from_splats`; ask it for :meth:`cycles`.

    >>> g = LockGraph.from_splats(parse(seed_text))
    >>> g.nx.number_of_nodes() >= 4
    True
    >>> g.has_dependency("kvm_lock", "&kvm->slots_lock")
    True
    """

    def __init__(self, graph: nx.DiGraph | None = None) -> None:
        self._g = graph if graph is not None else nx.DiGraph()

    @property
    def nx(self) -> nx.DiGraph:
        """The underlying networkx DiGraph (node attrs: ``usage``, ``wait``; edge attr: ``evidence``)."""
        return self._g

    @classmethod
    def from_splats(cls, splats: Iterable[Splat] | Splat, *, held_locks: bool = True) -> LockGraph:
        """Merge the dependencies every splat asserts into one graph.

        Chain entries give recorded dependencies (and the new one that closes the
        cycle); with ``held_locks`` (the default) consecutive held locks give
        ``held`` dependencies too.
        """
        if isinstance(splats, Splat):
            splats = [splats]
        g = cls()
        for number, splat in enumerate(splats):
            for lock in (splat.acquiring, splat.holding, *(e.lock for e in splat.chain)):
                if lock is not None:
                    g._add_lock(lock.name, usage=lock.usage, wait=lock.wait_text)
            for held, acquired, entry in splat.dependencies():
                g.add_evidence(held, acquired, Evidence(
                    source="new" if entry.index == 0 else "recorded",
                    splat=number, title=splat.title, chain_index=entry.index,
                    frames=entry.frames, line_no=entry.line_no))
            if held_locks:
                for before, after in zip(splat.held_locks, splat.held_locks[1:]):
                    for h in (before, after):
                        g._add_lock(h.lock.name, usage=h.lock.usage, wait=h.lock.wait_text)
                    g.add_evidence(before.lock.name, after.lock.name, Evidence(
                        source="held", splat=number, title=splat.title, line_no=after.lock.line_no))
        return g

    def _add_lock(self, name: str, **attrs: str | None) -> None:
        data = self._g.nodes[name] if name in self._g else None
        if data is None:
            self._g.add_node(name)
            data = self._g.nodes[name]
        for key, value in attrs.items():
            if value is not None and data.get(key) is None:
                data[key] = value

    def add_evidence(self, held: str, acquired: str, evidence: Evidence) -> None:
        """Record that ``acquired`` was taken while ``held`` was held, and why we think so."""
        self._add_lock(held)
        self._add_lock(acquired)
        if not self._g.has_edge(held, acquired):
            self._g.add_edge(held, acquired, evidence=[])
        self._g.edges[held, acquired]["evidence"].append(evidence)

    def has_dependency(self, held: str, acquired: str) -> bool:
        """True when some evidence says ``acquired`` was taken while ``held`` was held."""
        return self._g.has_edge(held, acquired)

    def evidence(self, held: str, acquired: str) -> list[Evidence]:
        """All evidence for ``held -> acquired`` (empty when there is none)."""
        if not self._g.has_edge(held, acquired):
            return []
        return list(self._g.edges[held, acquired]["evidence"])

    def cycles(self, *, max_length: int | None = None) -> list[Cycle]:
        """Every elementary cycle of at most ``max_length`` locks, with its evidence.

        See :func:`splatkit.analysis.cycles.lock_cycles`.
        """
        from .analysis.cycles import lock_cycles

        return list(lock_cycles(self, max_length=max_length))

    def copy(self) -> LockGraph:
        """An independent copy: changing it (adding evidence) leaves this graph as it is."""
        g = self._g.copy()
        for _held, _acquired, data in g.edges(data=True):
            data["evidence"] = list(data.get("evidence", []))
        return LockGraph(g)

    def __or__(self, other: LockGraph) -> LockGraph:
        """Merge: every lock class and every piece of evidence of both graphs."""
        merged = self.copy()
        for name, data in other.nx.nodes(data=True):
            merged._add_lock(name, **data)
        for held, acquired, data in other.nx.edges(data=True):
            for ev in data.get("evidence", []):
                merged.add_evidence(held, acquired, ev)
        return merged

    def __repr__(self) -> str:
        return f"<LockGraph: {self._g.number_of_nodes()} lock classes, {self._g.number_of_edges()} dependencies>"
