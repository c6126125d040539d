"""The lock graph: lock classes and the dependencies between them, with their evidence.

A directed edge ``A -> B`` means "B was acquired while A was held" (lockdep's
``locks_after`` list of A contains B; lockdep-format.md Appendix A). Each edge
keeps every piece of :class:`Evidence` that asserts it, so that a view can
always show *where* a dependency comes from: a splat's chain entry or held-locks
list (:meth:`LockGraph.from_splats`), a ``/proc/lockdep`` or
``/proc/lockdep_chains`` dump (:meth:`LockGraph.from_proc_lockdep`), or an ordering
a person declared (:meth:`LockGraph.from_orderings`).

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

:class:`LockGraph` is a thin facade over a :class:`networkx.DiGraph`, exposed as
``g.nx`` for anything this API does not cover; its questions delegate to the
functions in :mod:`splatkit.analysis`.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx

from .errors import ParseError, UnknownLock
from .grammar.locks import split_name
from .model import Frame, Splat

if TYPE_CHECKING:
    from .analysis.cycles import Cycle, Cycles
    from .analysis.ordering import Ordering, OrderSuggestion

__all__ = ["IDENTITIES", "Evidence", "LockGraph", "lock_identity"]

#: The most cycles :meth:`LockGraph.cycles` lists by default (as
#: :data:`splatkit.analysis.cycles.MAX_CYCLES`; kept here so that this module does not
#: import the analyses at import time).
MAX_CYCLES = 1000

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


@dataclass(frozen=True)
class Evidence:
    """One reason to believe in a dependency ``held -> acquired``."""

    source: str
    """Where it comes from: ``recorded`` (a dependency lockdep had saved, chain entry #K >= 1),
    ``new`` (the acquisition that triggered the report, chain entry #0), ``held``
    (two consecutive entries of a held-locks list), ``proc`` (a `` -> [key] name`` line
    of /proc/lockdep), ``chain`` (two consecutive classes of a /proc/lockdep_chains
    chain) or ``declared`` (an ordering line a person wrote)."""
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


def _read_input(text_or_path: str | Path, default: str) -> tuple[str, str]:
    """The text, and the name errors should give for it.

    A :class:`~pathlib.Path`, a one-line string naming a file, or a string without any blank
    (every line of a dump or of an ordering has one: ``/proc/lockdep``, ``patch.txt``) is a
    path; one that cannot be read is a :class:`ParseError` naming it, never text to parse.
    """
    if isinstance(text_or_path, Path) or _names_a_file(text_or_path):
        path = Path(text_or_path)
        try:
            return path.read_text(encoding="utf-8", errors="replace"), str(path)
        except OSError as err:
            raise ParseError(f"cannot read file: {err.strerror or err}", source=str(path)) from err
    return text_or_path, default


def _names_a_file(text: str) -> bool:
    if "\n" in text or not text:
        return False
    if not any(c.isspace() for c in text):
        return True
    try:
        return Path(text).is_file()
    except (OSError, ValueError):  # a name too long for the file system, a NUL: text
        return False


class LockGraph:
    """Lock classes (nodes, named as lockdep prints them) and dependencies (edges).

    Build one with :meth:`from_splats`, :meth:`from_proc_lockdep` or
    :meth:`from_orderings`, merge with ``|``; ask it for :meth:`cycles`,
    :meth:`what_if`, :meth:`neighbourhood`, :meth:`suggest_order`.

    Attributes
    ----------
    identity : str
        The lock identity its node names follow (one of :data:`IDENTITIES`).
    problems : list of ParseError
        Input lines that could not be read and were left out (each names its file
        and line); empty for clean input. ``strict=True`` builders raise instead.

    Examples
    --------
    >>> g = LockGraph.from_splats(parse(seed_text))
    >>> g.nx.number_of_nodes() >= 4
    True
    >>> g.has_dependency("kvm_lock", "&kvm->slots_lock")
    True
    """

    def __init__(self, graph: nx.DiGraph | None = None, *, identity: str = "auto") -> None:
        self._g = graph if graph is not None else nx.DiGraph()
        self._auto = identity == "auto"
        self.identity = "exact" if self._auto else identity
        if self.identity not in IDENTITIES:
            raise ValueError(f"identity must be 'auto' or one of {IDENTITIES!r}, got {identity!r}")
        self.problems: list[ParseError] = []
        self._index: Any = None  # reachability index (analysis.ordering), dropped on change

    # -- building -----------------------------------------------------------------------

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
        self._index = None

    def key(self, name: str) -> str:
        """The node name of the lock printed as ``name`` in this graph (its lock identity)."""
        return lock_identity(name, self.identity)

    @classmethod
    def from_splats(cls, splats: Iterable[Splat] | Splat, *, held_locks: bool = True,
                    identity: str = "auto") -> LockGraph:
        """Merge the dependencies every splat asserts into one graph.

        Chain entries give recorded dependencies (and the new one that closes the
        cycle); with ``held_locks`` (the default) consecutive held locks give
        ``held`` dependencies too. With ``identity="auto"``, one splat keeps names
        exactly as printed and several splats are merged without ``#N`` versions.
        """
        splats = [splats] if isinstance(splats, Splat) else list(splats)
        if identity == "auto" and len(splats) > 1:
            identity = "unversioned"
        g = cls(identity=identity)
        for number, splat in enumerate(splats):
            for lock in (splat.acquiring, splat.holding, *(e.lock for e in splat.chain)):
                if lock is not None:
                    g.add_lock(lock.name, usage=lock.usage, wait=lock.wait_text)
            for held, acquired, entry in splat.dependencies():
                g.add_evidence(held, acquired, Evidence(
                    source="new" if entry.index == 0 else "recorded",
                    splat=number, title=splat.title, chain_index=entry.index,
                    frames=entry.frames, line_no=entry.line_no))
            if held_locks:
                for before, after in zip(splat.held_locks, splat.held_locks[1:]):
                    for h in (before, after):
                        g.add_lock(h.lock.name, usage=h.lock.usage, wait=h.lock.wait_text)
                    g.add_evidence(before.lock.name, after.lock.name, Evidence(
                        source="held", splat=number, title=splat.title, line_no=after.lock.line_no))
        return g

    @classmethod
    def from_proc_lockdep(cls, text_or_path: str | Path, *, chains: str | Path | None = None,
                          identity: str = "auto", strict: bool = False) -> LockGraph:
        """The dependencies of a ``/proc/lockdep`` dump (and optionally ``/proc/lockdep_chains``).

        Parameters
        ----------
        text_or_path : str or Path
            The text of ``/proc/lockdep`` (``cat /proc/lockdep``), or a path to a file holding it.
        chains : str or Path, optional
            The text of (or a path to) ``/proc/lockdep_chains`` from the same boot.
        identity : {"auto", "exact", "unversioned", "base"}
            Lock identity; ``auto`` keeps names exact (a dump is one boot).
        strict : bool
            Raise the first :class:`ParseError` instead of collecting it in ``g.problems``.

        Raises
        ------
        ParseError
            With ``strict=True``, on the first line that is not /proc/lockdep's format.

        Examples
        --------
        >>> g = LockGraph.from_proc_lockdep("ffffffff82a5f1d8 FD:    1 BD:    1 +.+.: a\\n -> [ffffffff82a60e20] b\\n")
        >>> g.has_dependency("a", "b"), g.problems
        (True, [])
        >>> LockGraph.from_proc_lockdep("ffffffff82a5f1d8 FD:    1 BD", strict=True)
        Traceback (most recent call last):
        ...
        splatkit.errors.ParseError: <proc/lockdep>:1: unreadable line; expected a lock class line like 'ffffffff82a5f1d8 FD:   37 BD:    1 +.+.: cgroup_mutex', got: 'ffffffff82a5f1d8 FD:    1 BD'
        """
        from .proc import read_lockdep

        text, source = _read_input(text_or_path, "<proc/lockdep>")
        g = cls(identity=identity)
        # Hundreds of thousands of small objects and no reference cycles among them: the
        # cyclic garbage collector would run dozens of times for nothing (2.5x the load time).
        collecting = gc.isenabled()
        gc.disable()
        try:
            dump = read_lockdep(text, source=source, strict=strict)
            g.problems.extend(dump.problems)
            for cls_ in dump.classes:
                g.add_lock(cls_.name, usage=cls_.usage, key=cls_.key)
            fields = {f: getattr(Evidence("proc"), f) for f in Evidence.__dataclass_fields__}
            fields.update(title=source, origin=source)
            g.add_evidence_many((cls_.name, dep.name, Evidence._bulk(fields, line_no=dep.line_no))
                                for cls_ in dump.classes for dep in cls_.dependencies)
        finally:
            if collecting:
                gc.enable()
        if chains is not None:
            g = g | cls.from_proc_lockdep_chains(chains, identity=g.identity, strict=strict)
        return g

    @classmethod
    def from_proc_lockdep_chains(cls, text_or_path: str | Path, *, identity: str = "auto",
                                 strict: bool = False) -> LockGraph:
        """The held-lock orders of ``/proc/lockdep_chains``: consecutive classes of a chain.

        Each chain lists the classes one task held at once, outermost first, so each
        consecutive pair is a ``chain`` dependency (``chain_index`` = the chain's number).

        >>> g = LockGraph.from_proc_lockdep_chains("irq_context: 0\\n[ffffffff82a5f1d8] a\\n[ffffffff82a60e20] b\\n")
        >>> [(ev.source, ev.chain_index) for ev in g.evidence("a", "b")]
        [('chain', 0)]
        """
        from .proc import read_lockdep_chains

        text, source = _read_input(text_or_path, "<proc/lockdep_chains>")
        g = cls(identity=identity)
        dump = read_lockdep_chains(text, source=source, strict=strict)
        g.problems.extend(dump.problems)
        for number, chain in enumerate(dump.chains):
            for name, _ in chain.locks:
                g.add_lock(name)
            for (held, _), (acquired, line_no) in zip(chain.locks, chain.locks[1:]):
                g.add_evidence(held, acquired, Evidence("chain", title=source, chain_index=number,
                                                        line_no=line_no, origin=source))
        return g

    @classmethod
    def from_orderings(cls, text_or_path: str | Path, *, name: str | None = None, identity: str = "auto",
                       strict: bool = False) -> LockGraph:
        """The dependencies a person declared, one ``A -> B [@ label]`` per line.

        The format is :class:`splatkit.analysis.ordering.Ordering`'s; removal and
        split lines are refused here (they only make sense against a graph: use
        :meth:`with_ordering`).

        >>> g = LockGraph.from_orderings("# KVM\\ncpu_hotplug_lock -> kvm_lock @ hardware_enable_all\\n")
        >>> [(ev.source, ev.label, ev.line_no) for ev in g.evidence("cpu_hotplug_lock", "kvm_lock")]
        [('declared', 'hardware_enable_all', 2)]
        """
        from .analysis.ordering import Ordering

        text, source = _read_input(text_or_path, "<orderings>")
        ordering = Ordering.parse(text, name=name or source, source=source, strict=strict)
        if ordering.removals or ordering.splits:
            step = (ordering.removals or ordering.splits)[0]
            raise ParseError("removal and split lines need a graph to apply to; use g.with_ordering()",
                             source=source, line_no=step.line_no, line=step.text)
        return cls(identity=identity).with_ordering(ordering)

    def add_lock(self, name: str, **attrs: Any) -> str:
        """Add the lock class printed as ``name`` (if absent) and fill in missing attributes;
        returns its node name."""
        node = self.key(name)
        g = self._g
        if node not in g:
            g.add_node(node, printed={name})
            self._index = None
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
            self._index = None
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
        self._index = None

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

    # -- questions (delegating to splatkit.analysis) -------------------------------------

    def cycles(self, *, max_length: int | None = None, limit: int | None = MAX_CYCLES) -> Cycles:
        """The elementary cycles of at most ``max_length`` locks, shortest first, with their evidence;
        at most ``limit`` of them (``.complete`` and ``.note`` say when there are more).

        See :func:`splatkit.analysis.cycles.bounded_cycles`.
        """
        from .analysis.cycles import bounded_cycles

        return bounded_cycles(self, max_length=max_length, limit=limit)

    def cycle_through(self, held: str, acquired: str) -> Cycle:
        """The shortest cycle through the dependency ``held -> acquired``; raises :class:`NoCycle`.

        See :func:`splatkit.analysis.cycles.find_cycle_through`.
        """
        from .analysis.cycles import find_cycle_through

        return find_cycle_through(self, held, acquired)

    def what_if(self, held: str, acquired: str, *, op: str | None = None, limit: int = 10,
                max_length: int | None = None) -> list[Cycle]:
        """The cycles a new dependency ``held -> acquired`` would close (empty when it is safe).

        See :func:`splatkit.analysis.ordering.what_if`.
        """
        from .analysis.ordering import what_if

        return what_if(self, held, acquired, op=op, limit=limit, max_length=max_length)

    def neighbourhood(self, lock: str, radius: int = 1, *, max_nodes: int = 200) -> LockGraph:
        """The locks within ``radius`` dependencies of ``lock`` (either way), for drawing.

        See :func:`splatkit.analysis.ordering.neighbourhood`.
        """
        from .analysis.ordering import neighbourhood

        return neighbourhood(self, lock, radius, max_nodes=max_nodes)

    def suggest_order(self, *, exact_max: int = 12,
                      key: Callable[[str], Any] | None = None) -> OrderSuggestion:
        """A total order of the lock classes agreeing with the most evidence.

        See :func:`splatkit.analysis.ordering.suggest_order`.
        """
        from .analysis.ordering import suggest_order

        return suggest_order(self, exact_max=exact_max, key=key)

    def with_ordering(self, ordering: Ordering | str) -> LockGraph:
        """A new graph with ``ordering`` applied (this graph is left as it is).

        See :func:`splatkit.analysis.ordering.apply_ordering`.
        """
        from .analysis.ordering import apply_ordering

        return apply_ordering(self, ordering)

    # -- copying and merging ------------------------------------------------------------

    def copy(self) -> LockGraph:
        """An independent copy: changing it (adding evidence) leaves this graph as it is."""
        g = self._g.copy()
        for _held, _acquired, data in g.edges(data=True):
            data["evidence"] = list(data.get("evidence", []))
        for _name, data in g.nodes(data=True):
            if "printed" in data:
                data["printed"] = set(data["printed"])
        out = LockGraph(g, identity=self.identity)
        out._auto = self._auto
        out.problems = list(self.problems)
        return out

    def with_identity(self, identity: str) -> LockGraph:
        """A copy whose lock classes follow ``identity`` (only coarser choices merge nodes).

        >>> g = LockGraph.from_splats(parse(seed_text))
        >>> g.has_dependency("sb_writers#4", "&of->mutex"), "sb_writers" in g.with_identity("unversioned").nx
        (True, True)
        """
        out = LockGraph(identity=identity)
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

    def __or__(self, other: LockGraph) -> LockGraph:
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
        return f"<LockGraph: {self._g.number_of_nodes()} lock classes, {self._g.number_of_edges()} dependencies>"
