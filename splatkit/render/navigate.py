"""Finding one's way in a big lock graph: which part of it a view draws, and where it looks.

Many splats merged, or a ``/proc/lockdep`` dump, give hundreds or thousands of lock
classes: drawn whole, no label is readable and nothing stands out. A view then draws
a *scope* (:func:`scope`): the dependencies of one report, and, above :data:`BIG_GRAPH`
classes, only the neighbourhood of a lock or of a cycle
(:meth:`splatkit.graph.LockGraph.neighbourhood`), saying so in its ``note``. A view
*frames* (fits the drawing to) the cycle or the lock a reader picked.

This is data only, shared by the notebook explorer and the HTML pages; nothing here
imports Jupyter.

>>> g = LockGraph.from_splats(parse(seed_text))
>>> s = scope(g)
>>> s.big, len(s.graph.nx), s.note
(False, 8, '')
>>> cycle_label(("a", "b"))
'a \u2192 b \u2192 a'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..analysis.cycles import bounded_cycles
from ..depgraph import ordered_subgraph
from ..graph import LockGraph
from ..model import Splat
from .viewmodel import same_cycle

__all__ = ["BIG_GRAPH", "DEFAULT_RADIUS", "MAX_SHOWN", "Scope", "around", "cycle_label", "emphasise",
           "find_locks", "graph_cycles", "report_graph", "report_label", "scope", "start_focus", "straighten"]

#: A graph of more lock classes than this is drawn as the neighbourhood of a lock, not whole.
BIG_GRAPH = 150
#: How many dependencies away from the focus a neighbourhood reaches at first (2 already gives
#: 150 classes around a cycle of a generated 1,000-class dump: too many to read).
DEFAULT_RADIUS = 1
#: The most lock classes a neighbourhood draws (the nearest ones first).
MAX_SHOWN = 150
#: The cycle a reader picked is drawn this much wider than the other cycles.
PICKED_WIDTH = 6


def cycle_label(locks: Sequence[str]) -> str:
    """A cycle as a reader says it, back to its first lock."""
    return " \u2192 ".join([*locks, locks[0]]) if locks else ""


def report_label(index: int, splat: Splat) -> str:
    """How a list names report ``index``: its number and title (without the colon a banner
    such as ``Showing all locks held in the system:`` ends with, which a sentence goes on after).

    >>> report_label(0, parse(seed_text)[0])
    'report 0: possible deadlock in set_nx_huge_pages'
    """
    return f"report {index}: {(splat.title or splat.banner or splat.kind).rstrip(': ')}"


def graph_cycles(graph: LockGraph, first: Sequence[str] | None = None, *, limit: int = 100) -> list[tuple[str, ...]]:
    """The cycles of ``graph`` a reader can pick from: a bounded search's (shortest first),
    ``first`` (say, a report's own cycle) leading when it is a cycle of the graph.

    A search that stops at ``limit`` (a big graph: thousands of classes have more cycles than
    a list can hold) need not have met ``first``; it then leads the list all the same, one more
    than the search's (as :func:`~splatkit.render.viewmodel.graph_view` puts it first), so a
    report merged into a big graph still shows its own cycle first.

    >>> g = LockGraph.from_orderings("\\n".join(f"{a} -> {b}" for a in "abcd" for b in "abcd" if a != b))
    >>> cycles = graph_cycles(g, first=("d", "c", "b", "a"), limit=3)
    >>> len(cycles), cycles[0]
    (4, ('d', 'c', 'b', 'a'))
    """
    found = [tuple(c.locks) for c in bounded_cycles(graph, limit=limit)]
    own = _own_cycle(graph, first or ())
    if own:
        same = [c for c in found if same_cycle(c, own)]
        if same:
            found.remove(same[0])
        found.insert(0, same[0] if same else own)
    return found


def _own_cycle(graph: LockGraph, locks: Sequence[str]) -> tuple[str, ...]:
    """``locks`` as nodes of ``graph`` (as printed or as nodes) when they are an elementary cycle
    of it (each dependency in it, no lock twice), else empty."""
    g = graph.nx
    nodes = tuple(name if name in g else graph.key(name) for name in locks)
    n = len(nodes)
    if not n or len(set(nodes)) < n or not all(g.has_edge(nodes[i], nodes[(i + 1) % n]) for i in range(n)):
        return ()
    return nodes


def first_cycle(cycles: Sequence[Sequence[str]], own: Sequence[str] = (),
                about: Sequence[tuple[str, str]] = ()) -> int:
    """Which of ``cycles`` (:func:`graph_cycles`) a view picks first, or -1 for none: the
    report's ``own`` cycle (listed first), else the first cycle through a dependency the report
    is ``about`` (a recursive report's loop), else none. A cycle the report does not warn about
    (an irq report's read lock held twice, say) stays in the list but is neither highlighted
    nor framed: framing it would push the report's own acquisition out of view.

    >>> first_cycle([("a",), ("a", "b")], about=[("c", "d")])
    -1
    >>> first_cycle([("a",), ("b", "c")], about=[("c", "b")])
    1
    >>> first_cycle([("b", "c")], own=("c", "b"))
    0
    """
    if own and cycles:
        return 0
    wanted = set(about)
    for i, locks in enumerate(cycles):
        if any((locks[j], locks[(j + 1) % len(locks)]) in wanted for j in range(len(locks))):
            return i
    return -1


def report_graph(graph: LockGraph, index: int) -> LockGraph:
    """The part of ``graph`` report ``index`` asserts: its dependencies, with only its evidence.

    >>> g = LockGraph.from_splats(parse(seed_text))
    >>> report_graph(g, 0).nx.number_of_edges() == g.nx.number_of_edges()
    True
    """
    g = graph.nx
    keep = {}
    for held, acquired, data in g.edges(data=True):
        mine = [ev for ev in data.get("evidence", []) if ev.splat == index]
        if mine:
            keep[held, acquired] = mine
    sub = g.edge_subgraph(keep).copy()
    for (held, acquired), evidence in keep.items():
        sub.edges[held, acquired]["evidence"] = evidence
    return type(graph)(sub, identity=graph.identity)


def around(graph: LockGraph, centres: Sequence[str], radius: int, *,
           max_nodes: int = MAX_SHOWN) -> tuple[LockGraph, bool]:
    """The lock classes within ``radius`` dependencies of any of ``centres`` (each centre's
    :meth:`~splatkit.graph.LockGraph.neighbourhood`, nearest first), at most ``max_nodes``;
    and whether some were left out. The centres themselves are always kept."""
    g = graph.nx
    chosen: dict[str, int] = {graph.node(c): 0 for c in centres}
    truncated = False
    rings = [graph.neighbourhood(c, radius, max_nodes=max_nodes).nx for c in centres]
    nearby = sorted(((data["distance"], str(n), n) for ring in rings for n, data in ring.nodes(data=True)
                     if n not in chosen))
    for distance, _name, n in nearby:
        if n in chosen:
            continue
        if len(chosen) >= max_nodes:
            truncated = True
            break
        chosen[n] = distance
    truncated = truncated or any(ring.nodes[graph.node(c)].get("truncated") for ring, c in zip(rings, centres))
    sub = ordered_subgraph(g, chosen)  # (in the order chosen: a subgraph view's is the hash seed's)
    for _u, _v, data in sub.edges(data=True):
        data["evidence"] = list(data["evidence"])
    return type(graph)(sub, identity=graph.identity), truncated


def start_focus(graph: LockGraph, cycles: Sequence[Sequence[str]], splats: Sequence[Splat] = ()) -> str:
    """Where a view of a big graph starts: the first cycle's first lock, else the lock the first
    report is about (its cycle's, else its first chain entry's), else the busiest lock class."""
    if cycles:
        return cycles[0][0]
    for splat in splats[:1]:
        names = [*splat.cycle, *(e.lock.name for e in splat.chain),
                 *(u.name for u in (splat.acquiring, splat.holding) if u is not None)]
        for name in names:
            if name in graph.nx or graph.key(name) in graph.nx:
                return graph.node(name)
    g = graph.nx
    return max(sorted(g, key=str), key=g.degree, default="")


def find_locks(graph: LockGraph, text: str, *, limit: int = 20) -> list[str]:
    """Lock classes whose name contains ``text`` (case-insensitive): an exact name first, then
    names starting with it, then the rest, each group sorted.

    >>> find_locks(LockGraph.from_splats(parse(seed_text)), "KVM->S")
    ['&kvm->slots_lock', '&kvm->srcu']
    """
    needle = text.strip().lower()
    if not needle:
        return []
    hits = [str(n) for n in graph.nx if needle in str(n).lower()]
    hits.sort(key=lambda n: (n.lower() != needle, not n.lower().startswith(needle), n))
    return hits[:limit]


@dataclass
class Scope:
    """The part of a lock graph a view draws, and why."""

    graph: LockGraph
    """What is drawn."""
    big: bool
    """The whole (filtered) graph has more than :data:`BIG_GRAPH` classes: a neighbourhood is drawn."""
    centres: list[str] = field(default_factory=list)
    """The locks the neighbourhood is around (empty: the whole graph is drawn)."""
    note: str = ""
    """What the view shows of the graph, for the reader (empty when it shows it all)."""


def scope(graph: LockGraph, *, report: int | None = None, centres: Sequence[str] = (), radius: int = DEFAULT_RADIUS,
          big: int = BIG_GRAPH, max_nodes: int = MAX_SHOWN, what: str = "") -> Scope:
    """What to draw of ``graph``: report ``report``'s dependencies only (None: all), and, when
    that has more than ``big`` lock classes, the neighbourhood of ``centres`` within ``radius``
    (``what`` names them in the note, say "the cycle a -> b -> a"). A big graph without
    centres is drawn around its busiest lock class, never as nothing."""
    whole = report_graph(graph, report) if report is not None else graph
    total = len(whole.nx)
    part = f" of report {report}" if report is not None else ""
    if total <= big:
        return Scope(whole, False)
    centres = [c for c in centres if c in whole.nx] or [start_focus(whole, ())]
    sub, truncated = around(whole, centres, radius, max_nodes=max_nodes)
    what = what or ", ".join(centres)
    note = (f"The lock graph{part} has {total:,} lock classes, too many to read at once: showing the "
            f"{len(sub.nx):,} within {radius} dependenc{'y' if radius == 1 else 'ies'} of {what}"
            + (f" (the nearest {max_nodes}: more lie within that radius)" if truncated else "")
            + ". Search a lock class or pick a cycle to move; change the radius to see more or less.")
    return Scope(sub, True, list(centres), note)


def emphasise(view: dict[str, Any], locks: Sequence[str]) -> dict[str, Any]:
    """Mark the cycle ``locks`` in ``view`` (a :func:`~splatkit.render.viewmodel.graph_view`) as
    the picked one: its arrows drawn wider, its nodes and edges flagged ``"picked": True`` (the
    others have no such key: a saved notebook keeps every byte of a view; a view picked again
    draws the cycle picked before as it was), and
    ``view["frame"]`` (what the drawing fits into view) set to its locks."""
    on = {(locks[i], locks[(i + 1) % len(locks)]) for i in range(len(locks))} if locks else set()
    names = set(locks)
    for node in view["nodes"]:
        if node.pop("picked", None):  # (the cycle picked before: drawn as it was)
            node.pop("borderWidth", None)
        if node["id"] in names:
            node.update(picked=True, borderWidth=3)
    for edge in view["edges"]:
        if edge.pop("picked", None):
            edge["width"] = edge.pop("unpicked_width")
        if (edge["from"], edge["to"]) in on:
            edge.update(picked=True, unpicked_width=edge["width"], width=PICKED_WIDTH)
    view["frame"] = [n for n in locks if n in {node["id"] for node in view["nodes"]}]
    return view


def straighten(view: dict[str, Any]) -> dict[str, Any]:
    """Draw ``view``'s arrows straight, except the two of an opposite pair (``a -> b`` and
    ``b -> a``), which keep their curve so they stay apart. Measured (benchmarks/browser_graph.py),
    straight arrows do not draw a 3,000-class page faster than curved ones, and more clicks miss
    (arrows that nearly line up), so pages keep their curves; this is the variant compared.

    >>> v = straighten({"edges": [{"from": "a", "to": "b"}, {"from": "b", "to": "a"}, {"from": "b", "to": "c"}]})
    >>> [e.get("smooth", "curved") for e in v["edges"]]
    ['curved', 'curved', False]
    """
    pairs = {(e["from"], e["to"]) for e in view["edges"]}
    for edge in view["edges"]:
        if (edge["to"], edge["from"]) not in pairs:
            edge["smooth"] = False
    return view
