"""Lock orderings: declared, proposed, compared; what a new dependency would close.

A kernel developer's question after a splat is about orderings: "we take A inside
B here, this patch takes B inside A there: which is safe?". An :class:`Ordering`
is a named list of such statements, written one per line::

    # a comment: from '#' at the start of a line, or after a blank, to the end
    cpu_hotplug_lock -> kvm_lock                   B (kvm_lock) is taken while A is held
    cpu_hotplug_lock -> kvm_lock @ hardware_enable_all     ... by that code (a label)
    kvm_lock -> cpu_hotplug_lock (read) @ cpuhp_setup_state ... for read (cpus_read_lock)
    - cpu_hotplug_lock -> kvm_lock                 the code no longer does it: drop the edge
    - cpu_hotplug_lock -> kvm_lock @ kvm_dev_ioctl ... drop only the evidence from that code
    split kvm_lock: kvm_usage_lock at hardware_enable_all, hardware_disable_all
                                                   those sites take a new lock instead

Lock names are lockdep's (they may contain ``->`` and ``#``, never `` -> `` or `` #``; never
``@``, a word ``at`` or a final `` (word)``): a name with one of those is a typo of the rest
of the line (``(raed)``, ``at site`` for ``@ site``, ``@site``, ``split A : B``) and the line
is an error, never read as a new lock.
A site (``@ X``, ``at X``) matches evidence labelled ``X`` or whose stack runs
through the function ``X``. Lines apply in order. A lock the graph has never seen
is accepted and flagged as new (node attribute ``new``; :meth:`Ordering.unknown_locks`
names the closest known ones, in case it is a typo); a line in none of these forms
is a :class:`~splatkit.errors.ParseError` naming the file and line, collected in
``problems`` (``strict=True`` raises it) while the other lines still apply.

The questions (graph first, keywords after, as in networkx): :func:`what_if`,
:func:`neighbourhood`, :func:`suggest_order`, :func:`apply_ordering` and
:func:`compare`. ``LockGraph`` methods delegate to them.

References
----------
Documentation/locking/lockdep-design.rst; P. Eades, X. Lin, W. F. Smyth, "A fast and
effective heuristic for the feedback arc set problem", IPL 47 (1993).
"""

from __future__ import annotations

import difflib
import gc
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import networkx as nx

from ..errors import ParseError
from .cycles import MAX_CYCLES, Cycle, bounded_cycles, make_cycle
from .explain import establishing_frame

from ..depgraph import DependencyGraph, Evidence

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Declare", "OrderSuggestion", "Ordering", "Remove", "Split", "apply_ordering", "compare",
           "neighbourhood", "suggest_order", "what_if"]

_COMMENT = re.compile(r"(?:^|\s)#(?!\S*\))")
_EDGE = re.compile(r"^(?P<held>\S.*?) -> (?P<acquired>\S.*?)(?P<read> \(read\))?(?: @ (?P<label>\S.*?))?$")
_SPLIT = re.compile(r"^split (?P<lock>\S.*?): (?P<new>\S.*?) at (?P<sites>\S.*)$")
FORMS = ("'A -> B', 'A -> B @ site', 'A -> B (read) @ site', '- A -> B [@ site]' "
         "or 'split A: NEW at site1, site2'")


@dataclass(frozen=True)
class Declare:
    """``held -> acquired [(read)] [@ label]``: the code takes ``acquired`` while holding ``held``."""

    held: str
    acquired: str
    label: str | None
    op: str | None
    """``rlock`` with ``(read)``, else None (not said)."""
    line_no: int
    text: str


@dataclass(frozen=True)
class Remove:
    """``- held -> acquired [@ label]``: the dependency (or its evidence at ``label``) goes away."""

    held: str
    acquired: str
    label: str | None
    line_no: int
    text: str


@dataclass(frozen=True)
class Split:
    """``split lock: new at site, ...``: those sites take ``new`` instead of ``lock``."""

    lock: str
    new: str
    sites: tuple[str, ...]
    line_no: int
    text: str


def _strip_comment(line: str) -> str:
    m = _COMMENT.search(line)
    return (line[:m.start()] if m else line).strip()


@dataclass
class Ordering:
    """A named set of lock-order statements: declared edges, removals, lock splits.

    Build one with :meth:`parse`; apply it with ``g.with_ordering(o)``.

    Examples
    --------
    >>> o = Ordering.parse("kvm_lock -> cpu_hotplug_lock (read) @ hardware_enable_all\\n"
    ...                    "- cpu_hotplug_lock -> kvm_lock  # the old order\\n", name="patch")
    >>> [(type(s).__name__, s.held, s.acquired) for s in o.steps]
    [('Declare', 'kvm_lock', 'cpu_hotplug_lock'), ('Remove', 'cpu_hotplug_lock', 'kvm_lock')]
    >>> print(Ordering.parse("kvm_lock => cpu_hotplug_lock", source="typo.txt").problems[0])
    typo.txt:1: not an ordering line; expected 'A -> B', 'A -> B @ site', 'A -> B (read) @ site', '- A -> B [@ site]' or 'split A: NEW at site1, site2', got: 'kvm_lock => cpu_hotplug_lock'
    """

    name: str
    steps: tuple[Declare | Remove | Split, ...]
    problems: list[ParseError] = field(default_factory=list)
    source: str | None = None
    text: str = ""

    @classmethod
    def parse(cls, text: str, *, name: str | None = None, source: str | None = None,
              strict: bool = False) -> Ordering:
        """Read an ordering (format in the module docstring).

        Parameters
        ----------
        text : str
            One statement per line.
        name : str, optional
            What to call it (``compare`` rows, evidence titles); default ``source`` or ``ordering``.
        source : str, optional
            File name errors should give.
        strict : bool
            Raise the first bad line instead of collecting it in ``problems``.

        Raises
        ------
        ParseError
            With ``strict=True``, for the first line in none of the forms.
        """
        steps: list[Declare | Remove | Split] = []
        problems: list[ParseError] = []
        for no, raw in enumerate(text.splitlines(), 1):
            line = _strip_comment(raw)
            if not line:
                continue
            step = _parse_line(line, no, raw)
            if isinstance(step, tuple):
                message, expected = step
                error = ParseError(message, source=source, line_no=no, line=raw.strip(), expected=expected)
                if strict:
                    raise error
                problems.append(error)
            else:
                steps.append(step)
        return cls(name or source or "ordering", tuple(steps), problems, source, text)

    @property
    def declared(self) -> list[Declare]:
        """The declared dependencies, in file order."""
        return [s for s in self.steps if isinstance(s, Declare)]

    @property
    def removals(self) -> list[Remove]:
        """The removed dependencies, in file order."""
        return [s for s in self.steps if isinstance(s, Remove)]

    @property
    def splits(self) -> list[Split]:
        """The lock splits, in file order."""
        return [s for s in self.steps if isinstance(s, Split)]

    def locks(self) -> list[str]:
        """Every lock name the ordering mentions, sorted."""
        names: set[str] = set()
        for s in self.steps:
            names.update((s.lock, s.new) if isinstance(s, Split) else (s.held, s.acquired))
        return sorted(names)

    def unknown_locks(self, G: DependencyGraph) -> dict[str, list[str]]:
        """Locks ``G`` has never seen, each with the closest known names (a typo shows here).

        >>> o = Ordering.parse("cpu_hotplug_lock -> kvm_lokc")
        >>> o.unknown_locks(LockGraph.from_splats(parse(seed_text)))
        {'kvm_lokc': ['kvm_lock']}
        """
        known = [str(n) for n in G.nx.nodes]
        return {name: difflib.get_close_matches(name, known, n=3) for name in self.locks()
                if name not in G.nx and G.key(name) not in G.nx}


def _parse_line(line: str, no: int, raw: str) -> Declare | Remove | Split | tuple[str, str]:
    """The statement on a line (comment stripped), or (what is wrong with it, the form expected)."""
    if line.startswith("split "):
        return _parse_split(line, no, raw)
    remove = line.startswith("- ")
    m = _EDGE.match(line[2:].strip() if remove else line)
    if m is None or " -> " in m.group("acquired") or m.group("held").startswith("-"):
        return "not an ordering line", FORMS
    held, acquired, label = m.group("held", "acquired", "label")
    form = _REMOVE_FORM if remove else _DECLARE_FORM
    word = held.split(" ", 1)[0]
    if " " in held and word.lower() in _REMOVAL_WORDS:
        return f"not an ordering line: {word!r} is no keyword; a removal is written '- A -> B'", _REMOVE_FORM
    for name in (held, acquired):
        problem = _name_problem(name)
        if problem is not None:
            return f"not an ordering line: {problem}", form
    if label is not None and ("@" in label or " " in label):
        return f"not an ordering line: one site per line, a function name ({label!r})", form
    if remove:
        if m.group("read"):
            return "not an ordering line: a removal takes no '(read)' (it removes the dependency however taken)", form
        return Remove(held, acquired, label, no, raw)
    return Declare(held, acquired, label, "rlock" if m.group("read") else None, no, raw)


def _parse_split(line: str, no: int, raw: str) -> Split | tuple[str, str]:
    m = _SPLIT.match(line)
    if m is None:
        if " @ " in line or line.endswith(" @"):
            return "not an ordering line: a split line names its sites after ' at ', not '@'", _SPLIT_FORM
        return "not an ordering line", FORMS
    lock, new, sites = m.group("lock", "new", "sites")
    if lock != lock.rstrip():
        return "not an ordering line: no blank before the ':' of a split line", _SPLIT_FORM
    for name in (lock, new):
        problem = _name_problem(name)
        if problem is not None:
            return f"not an ordering line: {problem}", _SPLIT_FORM
    names = [site.strip() for site in sites.split(",")]
    bad = next((site for site in names if not site or any(c.isspace() or c == "@" for c in site)), None)
    if bad is not None:
        what = "an empty site between commas" if not bad else f"a site is one function name, got {bad!r}"
        return f"not an ordering line: {what}", _SPLIT_FORM
    return Split(lock, new, tuple(names), no, raw)


#: The forms an error about a line of each kind expects.
_DECLARE_FORM = "'A -> B', 'A -> B @ site' or 'A -> B (read) @ site'"
_REMOVE_FORM = "'- A -> B' or '- A -> B @ site'"
_SPLIT_FORM = "'split A: NEW at site1, site2'"
#: Words that start no statement: a lock named 'remove x' is a typo of '- x -> y'.
_REMOVAL_WORDS = frozenset({"remove", "delete", "del", "drop", "rm"})
#: A lock name's last word in parentheses, after a blank: a qualifier, and '(read)' is the only one.
_QUALIFIER = re.compile(r"\s(\([A-Za-z]+\))$")


def _name_problem(name: str) -> str | None:
    """What is wrong with a lock name as written in an ordering, or None.

    Lockdep's class names are C expressions or names a driver gave (``&(&dev->lock)->rlock``,
    ``sb_writers#4``, ``&ACCESS_PRIVATE(ssp->srcu_sup, lock)``): they may hold blanks, but
    no ``@``, no word ``at`` and no `` (word)`` at their end. A name with one of those is the
    rest of the line misread: a misspelt ``(read)``, a site written ``at site`` or ``@site``.

    >>> _name_problem("b (raed)")
    "unknown qualifier '(raed)': the only one is ' (read)'"
    >>> _name_problem("b at f")
    "'at' names a split line's sites; a dependency's site is written ' @ site'"
    >>> _name_problem("&ACCESS_PRIVATE(ssp->srcu_sup, lock)") is None
    True
    """
    if "@" in name:
        if name.rstrip().endswith("@"):
            return "'@' without a site after it"
        return "a site is written ' @ site', with a blank on each side of '@'"
    if name.endswith("(read)") and not name.endswith(" (read)"):
        return "'(read)' goes after the lock name, with a blank before it"
    m = _QUALIFIER.search(name)
    if m is not None:
        if m.group(1) == "(read)":
            return "'(read)' twice"
        return f"unknown qualifier {m.group(1)!r}: the only one is ' (read)'"
    if " at " in f" {name} ":
        return "'at' names a split line's sites; a dependency's site is written ' @ site'"
    if name != name.strip():
        return f"a blank at the start or end of the lock name {name!r}"
    return None


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


# -- what-if ----------------------------------------------------------------------------


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


# -- neighbourhood ----------------------------------------------------------------------


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
    sub = g.subgraph(distance).copy()
    for _u, _v, data in sub.edges(data=True):
        data["evidence"] = list(data["evidence"])
    for n, d in distance.items():
        sub.nodes[n]["distance"] = d
    sub.nodes[start]["truncated"] = truncated
    return type(G)(sub, identity=G.identity)


# -- suggest_order ----------------------------------------------------------------------


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


# -- compare ----------------------------------------------------------------------------


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
