"""The data of a lock graph: lock classes, the dependencies between them and their evidence.

A directed edge ``A -> B`` means "B was acquired while A was held" (lockdep's
``locks_after`` list of A contains B; lockdep-format.md Appendix A). Each edge
keeps every piece of :class:`Evidence` that asserts it, so that a view can
always show *where* a dependency comes from.

Lock identity is a choice (``identity=``), because lockdep's printed names carry
per-boot details:

- ``"exact"``: the name as printed, ``#N`` key version and ``/N`` subclass included;
- ``"unversioned"``: without the ``#N`` key version (``sb_writers#4`` and
  ``sb_writers#7`` are the same class seen in two boots), subclasses kept apart;
- ``"base"``: without ``#N`` and with ``/N`` subclasses merged into their class;
- ``"auto"`` (the default): ``"exact"`` for one source (one splat, one dump: one
  boot, where ``#N`` really tells classes apart), ``"unversioned"`` as soon as
  sources are merged (several splats, ``g1 | g2``), which merges reports from
  different boots correctly.

:class:`DependencyGraph` is what the analyses (:mod:`splatkit.analysis`) take, graph
first: it holds the data and nothing that reads or asks. :class:`splatkit.graph.LockGraph`
adds the builders (splats, ``/proc/lockdep``, orderings) and the questions, which
delegate to the analyses; this module imports neither, so the analyses never import the
facade that calls them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import networkx as nx

from .errors import ParseError, UnknownLock
from .grammar.locks import split_name
from .model import Frame

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["IDENTITIES", "DependencyGraph", "Evidence", "lock_identity", "ordered_subgraph"]

#: The closed set of lock-identity choices, finest first (see the module docstring).
IDENTITIES = ("exact", "unversioned", "base")


def lock_identity(name: str, identity: str = "unversioned") -> str:
    """The node name of the lock class printed as ``name`` under ``identity``.

    Parameters
    ----------
    name : str
        A lock class name as lockdep prints it, ``CLASSNAME[#VERSION][/SUBCLASS]``.
    identity : {"exact", "unversioned", "base"}
        What tells two classes apart (see the module docstring).

    Examples
    --------
    >>> lock_identity("&type->s_umount_key#41/1")
    '&type->s_umount_key/1'
    >>> lock_identity("&type->s_umount_key#41/1", "base"), lock_identity("kn->active#257", "exact")
    ('&type->s_umount_key', 'kn->active#257')
    """
    if identity == "exact":
        return name
    base, version, subclass = split_name(name)
    if identity == "base" or subclass is None:
        return base if (version is not None or identity == "base") else name
    if identity != "unversioned":
        raise ValueError(f"identity must be one of {IDENTITIES!r}, got {identity!r}")
    return f"{base}/{subclass}"


def ordered_subgraph(g: nx.Graph, nodes: Iterable[Any]) -> nx.Graph:
    """The part of ``g`` on ``nodes`` (those in ``g``), a copy whose nodes come in the order of
    ``nodes`` and each node's edges in ``g``'s order; attribute dicts copied, their values shared.

    What ``g.subgraph(nodes).copy()`` is, but for the order: a subgraph view of fewer than half
    of ``g``'s nodes iterates a set of them, and a set of strings iterates in an order that
    follows the hash seed (``PYTHONHASHSEED``). A layout, a search or a drawing made from the
    view would change from run to run; made from this, it is the same in every run.

    >>> g = nx.DiGraph([("d", "c"), ("c", "b"), ("b", "a"), ("a", "e"), ("e", "f")])
    >>> h = ordered_subgraph(g, ["a", "b", "c"])
    >>> list(h), list(h.edges)
    (['a', 'b', 'c'], [('b', 'a'), ('c', 'b')])
    """
    keep = dict.fromkeys(n for n in nodes if n in g)
    h = g.__class__()
    h.graph.update(g.graph)
    h.add_nodes_from((n, g.nodes[n].copy()) for n in keep)
    adj = g._adj  # noqa: SLF001 - plain adjacency (a DiGraph's successors)
    h.add_edges_from((u, v, data.copy()) for u in keep for v, data in adj[u].items() if v in keep)
    return h


@dataclass(frozen=True)
class Evidence:
    """One reason to believe in a dependency ``held -> acquired``."""

    source: str
    """Where it comes from: ``recorded`` (a dependency lockdep had saved, chain entry #K >= 1),
    ``new`` (the acquisition that triggered the report, chain entry #0), ``held`` (two
    classes in the order a held-locks list first names them: :func:`splatkit.graph.first_taken`),
    ``proc`` (a `` -> [key] name`` line of /proc/lockdep), ``chain`` (two consecutive classes
    of a /proc/lockdep_chains chain) or ``declared`` (an ordering line a person wrote)."""
    splat: int | None = None
    """Index of the splat in the list the graph was built from (None for other sources)."""
    title: str = ""
    """Title of that splat, or the name of the ordering or file."""
    chain_index: int | None = None
    """The ``-> #K`` entry of the splat, or the chain number in /proc/lockdep_chains."""
    frames: tuple[Frame, ...] = field(default=(), compare=False, repr=False)
    """The stack of the acquisition (empty when the source prints none)."""
    line_no: int | None = None
    """1-based line of the input the evidence was read from."""
    op: str | None = None
    """How ``acquired`` was taken when the source says so: ``lock``, ``rlock`` (a read
    acquisition) or ``sync``; None when unknown (splat evidence: see
    :func:`splatkit.analysis.cycles.evidence_op`, which reads it from the stack)."""
    label: str | None = None
    """Where the code does it, as a person named it (``@ hardware_enable_all``)."""
    origin: str | None = None
    """File (or ordering) name the evidence was read from."""

    @classmethod
    def _bulk(cls, fields: dict[str, Any], *, line_no: int) -> Evidence:
        """An Evidence with every field from ``fields`` but ``line_no``: 5x faster than
        ``__init__`` for the 200,000 dependencies of a big /proc/lockdep (frozen dataclasses
        set each field through ``object.__setattr__``)."""
        ev = object.__new__(cls)
        ev.__dict__.update(fields)
        ev.__dict__["line_no"] = line_no
        return ev


class DependencyGraph:
    """Lock classes (nodes, named as lockdep prints them) and dependencies (edges) with their evidence.

    The data every analysis takes (``G`` first, as in networkx); build one with the
    builders of :class:`splatkit.graph.LockGraph`, or empty and fill it with
    :meth:`add_evidence`.

    Attributes
    ----------
    identity : str
        The lock identity its node names follow (one of :data:`IDENTITIES`).
    problems : list of ParseError
        Input lines that could not be read and were left out (each names its file
        and line); empty for clean input.

    Examples
    --------
    >>> g = DependencyGraph()
    >>> g.add_evidence("kvm_lock", "&kvm->slots_lock", Evidence("declared"))
    >>> g.has_dependency("kvm_lock", "&kvm->slots_lock"), g
    (True, <DependencyGraph: 2 lock classes, 1 dependencies>)
    """

    def __init__(self, graph: nx.DiGraph | None = None, *, identity: str = "auto") -> None:
        self._g = graph if graph is not None else nx.DiGraph()
        self._auto = identity == "auto"
        self.identity = "exact" if self._auto else identity
        if self.identity not in IDENTITIES:
            raise ValueError(f"identity must be 'auto' or one of {IDENTITIES!r}, got {identity!r}")
        self.problems: list[ParseError] = []
        self._derived: dict[str, Any] = {}  # what analyses computed from the graph (see cached)

    # -- the networkx graph, and changing it ---------------------------------------------

    @property
    def nx(self) -> nx.DiGraph:
        """The underlying networkx DiGraph.

        Node attrs: ``usage``, ``wait``, ``printed`` (set of names as printed),
        ``new`` (True for a lock an ordering introduced); edge attr: ``evidence``.
        Change it through :meth:`add_evidence`, or call :meth:`changed` after
        changing it directly.
        """
        return self._g

    def changed(self) -> None:
        """Forget cached indexes after ``g.nx`` was changed directly."""
        self._derived.clear()

    def cached(self, name: str, build: Callable[[nx.DiGraph], Any]) -> Any:
        """``build(g.nx)``, computed once until the graph changes (an analysis's index: the
        reachability index of :func:`splatkit.analysis.whatif.what_if`)."""
        if name not in self._derived:
            self._derived[name] = build(self._g)
        return self._derived[name]

    def key(self, name: str) -> str:
        """The node name of the lock printed as ``name`` in this graph (its lock identity)."""
        return lock_identity(name, self.identity)

    def add_lock(self, name: str, **attrs: Any) -> str:
        """Add the lock class printed as ``name`` (if absent) and fill in missing attributes;
        returns its node name."""
        node = self.key(name)
        g = self._g
        if node not in g:
            g.add_node(node, printed={name})
            self._derived.clear()
        data = g.nodes[node]
        printed = data.setdefault("printed", set())
        if name not in printed and not (name == node and printed):  # a node name is not a printing
            printed.add(name)
        for k, value in attrs.items():
            if value is not None and data.get(k) is None:
                data[k] = value
        return node

    def add_evidence(self, held: str, acquired: str, evidence: Evidence) -> None:
        """Record that ``acquired`` was taken while ``held`` was held, and why we think so."""
        held, acquired = self.add_lock(held), self.add_lock(acquired)
        g = self._g
        if not g.has_edge(held, acquired):
            g.add_edge(held, acquired, evidence=[evidence])
            self._derived.clear()
        else:
            g.edges[held, acquired]["evidence"].append(evidence)

    def add_evidence_many(self, items: Iterable[tuple[str, str, Evidence]]) -> None:
        """:meth:`add_evidence` for many ``(held, acquired, evidence)`` at once (loading big dumps)."""
        nodes: dict[str, str] = {}
        grouped: dict[tuple[str, str], list[Evidence]] = {}
        for held, acquired, ev in items:
            u = nodes.get(held)
            if u is None:
                u = nodes[held] = self.add_lock(held)
            v = nodes.get(acquired)
            if v is None:
                v = nodes[acquired] = self.add_lock(acquired)
            evs = grouped.get((u, v))
            if evs is None:
                grouped[u, v] = [ev]
            else:
                evs.append(ev)
        # networkx's add_edges_from costs 4 us an edge; writing the adjacency dicts as it
        # does (one shared data dict in _succ and _pred) costs 1 us.
        g = self._g
        succ, pred = g._succ, g._pred
        for (u, v), evs in grouped.items():
            data = succ[u].get(v)
            if data is not None:
                data["evidence"].extend(evs)
            else:
                data = {"evidence": evs}
                succ[u][v] = data
                pred[v][u] = data
        if hasattr(nx, "_clear_cache"):
            nx._clear_cache(g)
        self._derived.clear()

    # -- reading ------------------------------------------------------------------------

    def node(self, name: str) -> str:
        """The node name for ``name`` (as printed or as a node); raises :class:`UnknownLock`."""
        if name in self._g:
            return name
        key = self.key(name)
        if key in self._g:
            return key
        import difflib

        close = difflib.get_close_matches(name, [str(n) for n in self._g.nodes], n=3)
        hint = f"; closest: {', '.join(repr(c) for c in close)}" if close else ""
        raise UnknownLock(f"no lock class {name!r} in this graph{hint}")

    def has_dependency(self, held: str, acquired: str) -> bool:
        """True when some evidence says ``acquired`` was taken while ``held`` was held."""
        return self._g.has_edge(self.key(held) if held not in self._g else held,
                                self.key(acquired) if acquired not in self._g else acquired)

    def evidence(self, held: str, acquired: str) -> list[Evidence]:
        """All evidence for ``held -> acquired`` (empty when there is none)."""
        if not self.has_dependency(held, acquired):
            return []
        held = held if held in self._g else self.key(held)
        acquired = acquired if acquired in self._g else self.key(acquired)
        return list(self._g.edges[held, acquired]["evidence"])

    # -- copying and merging ------------------------------------------------------------

    def copy(self) -> Self:
        """An independent copy: changing it (adding evidence) leaves this graph as it is."""
        g = self._g.copy()
        for _held, _acquired, data in g.edges(data=True):
            data["evidence"] = list(data.get("evidence", []))
        for _name, data in g.nodes(data=True):
            if "printed" in data:
                data["printed"] = set(data["printed"])
        out = type(self)(g, identity=self.identity)
        out._auto = self._auto
        out.problems = list(self.problems)
        return out

    def with_identity(self, identity: str) -> Self:
        """A copy whose lock classes follow ``identity`` (only coarser choices merge nodes).

        >>> g = LockGraph.from_splats(parse(seed_text))
        >>> g.has_dependency("sb_writers#4", "&of->mutex"), "sb_writers" in g.with_identity("unversioned").nx
        (True, True)
        """
        out = type(self)(identity=identity)
        out.problems = list(self.problems)
        for name, data in self._g.nodes(data=True):
            for printed in sorted(data.get("printed") or {name}):
                out.add_lock(printed, **{k: v for k, v in data.items() if k != "printed"})
        for held, acquired, data in self._g.edges(data=True):
            h = out.key(next(iter(sorted(self._g.nodes[held].get("printed") or {held}))))
            a = out.key(next(iter(sorted(self._g.nodes[acquired].get("printed") or {acquired}))))
            for ev in data.get("evidence", []):
                out.add_evidence(h, a, ev)
        return out

    def __or__(self, other: DependencyGraph) -> Self:
        """Merge: every lock class and every piece of evidence of both graphs.

        The result uses the coarser identity of the two; two graphs that chose
        ``auto`` (each one boot) are merged without ``#N`` key versions.
        """
        rank = {name: i for i, name in enumerate(IDENTITIES)}
        identity = max(self.identity, other.identity, key=rank.__getitem__)
        if self._auto and other._auto and rank[identity] < rank["unversioned"]:
            identity = "unversioned"
        left = self.copy() if self.identity == identity else self.with_identity(identity)
        right = other if other.identity == identity else other.with_identity(identity)
        merged = left
        merged._auto = False
        for name, data in right.nx.nodes(data=True):
            for printed in sorted(data.get("printed") or {name}):
                merged.add_lock(printed, **{k: v for k, v in data.items() if k != "printed"})
        for held, acquired, data in right.nx.edges(data=True):
            for ev in data.get("evidence", []):
                merged.add_evidence(held, acquired, ev)
        merged.problems.extend(right.problems)
        return merged

    def attributes(self, lock: str) -> Mapping[str, Any]:
        """The node attributes of ``lock`` (usage, wait, printed names...)."""
        return self._g.nodes[self.node(lock)]

    def __repr__(self) -> str:
        return (f"<{type(self).__name__}: {self._g.number_of_nodes()} lock classes, "
                f"{self._g.number_of_edges()} dependencies>")
