"""Lock graph + splat -> plain JSON-able nodes and edges: the single input of every drawing.

Both the notebook widget and the standalone HTML export draw this view-model
with vis-network (shipped inside the pyvis package). Labels are plain strings:
escaping is the job of whoever puts them into a page (the widget sets
``textContent``; :mod:`splatkit.render.html` escapes at its one boundary).
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping
from typing import Any

import networkx as nx

from ..analysis.cycles import bounded_cycles
from ..analysis.acquisitions import establishing_frame
from ..graph import LockGraph
from .layout import (EDGE_FONT_SIZE, FIT_PAD, LOOP_ANGLE, LOOP_LABEL_LIFT, LOOP_SIZE, ROUNDNESS, VIEW_HEIGHT,
                     box_size, canvas_height, curve_middle, label_box, loop_boxes, positions)
from .bends import clear_middles

__all__ = ["ROUNDNESS", "VIEW_CYCLE_LIMIT", "legend", "changed_edges", "drawing_extent", "edge_id", "graph_view",
           "network_options", "view_height",
           "same_cycle", "shared_positions"]

#: A drawing highlights one cycle, the shortest among the first this many a search finds:
#: enough to pick a short one, and it bounds the time a dense graph can take.
VIEW_CYCLE_LIMIT = 100

CYCLE_COLOR = "#d62728"
EDGE_COLOR = "#7f7f7f"
HELD_COLOR = "#c7c7c7"
NODE_COLOR = "#9ecae1"
CYCLE_NODE_COLOR = "#fdae6b"
MARKED_COLOR = "#1f77b4"
#: One meaning per line style in every view (explorer, report, ordering columns, SVG, legend):
#: dashed is an order of held locks (no stack: ``dashes: True``, vis-network's 5-5 dash), dotted
#: a dependency an ordering declared or moved (short dashes, ``MARKED_DASHES``), solid the rest.
MARKED_DASHES = [2, 5]
#: The acquisition a report is about when it closes no cycle (an invalid wait context, the
#: new dependency of an irq report).
NEW_COLOR = "#9467bd"
#: Most an edge of an opposite pair (``a -> b`` and ``b -> a``) bends to keep its label off the other's.
MAX_ROUNDNESS = 1.0


def edge_id(held: str, acquired: str) -> str:
    """A stable id for the dependency ``held -> acquired`` (what widgets report as selected)."""
    return f"{held} -> {acquired}"


def _edge_label(graph: LockGraph, held: str, acquired: str) -> tuple[str, list[dict[str, Any]]]:
    """The function that made the dependency (from its stack), and the evidence as data."""
    label = ""
    evidence = []
    for ev in graph.evidence(held, acquired):
        frame, _via = establishing_frame(ev.frames)
        if frame is not None and frame.function and not label:
            label = frame.function
        elif frame is None and ev.label and not label:  # declared "@ site": where the code does it
            label = ev.label
        evidence.append({"source": ev.source, "splat": ev.splat, "chain_index": ev.chain_index,
                         "function": frame.function if frame else None})
    return label, evidence


def changed_edges(base: LockGraph, graph: LockGraph) -> set[tuple[str, str]]:
    """The dependencies of ``graph`` that ``base`` lacks, or that carry evidence ``base`` lacks.

    For ``graph = base.with_ordering(o)`` these are the edges the ordering declared
    or moved (a split), what a comparison view marks.

    >>> g = LockGraph.from_splats(parse(seed_text))
    >>> sorted(changed_edges(g, g.with_ordering("kvm_lock -> cpu_hotplug_lock")))
    [('kvm_lock', 'cpu_hotplug_lock')]
    """
    old = base.nx
    changed = set()
    for held, acquired, data in graph.nx.edges(data=True):
        before = old.edges[held, acquired].get("evidence", []) if old.has_edge(held, acquired) else []
        if not old.has_edge(held, acquired) or any(ev not in before for ev in data.get("evidence", [])):
            changed.add((held, acquired))
    return changed


def graph_view(graph: LockGraph, *, cycle: tuple[str, ...] | None = None,
               marked: Collection[tuple[str, str]] = (),
               where: Mapping[Hashable, tuple[float, float]] | None = None) -> dict[str, Any]:
    """Nodes and edges of ``graph`` for drawing, with every cycle highlighted.

    The cycles are those a bounded search of the graph finds
    (:func:`splatkit.analysis.cycles.bounded_cycles` with :data:`VIEW_CYCLE_LIMIT`, shortest
    first; ``"cycle_note"`` says when the graph has more cycles than it looked at, else it is
    empty). ``cycle`` (say, the one a report names) comes first when given, so ``"cycle"``, the
    cycle a view frames, is the report's own. ``"cycles"`` lists them all, and each node and
    edge has ``"cycles"``, the indices of the cycles it is on (``"cycle"``: on any). Edges
    ``(held, acquired)`` in ``marked`` (say, what an ordering declared: :func:`changed_edges`)
    are drawn dotted in another colour and have ``"marked": True``; an order read from a
    held-locks list only (no stack) is dashed (``"held_order": True``). ``where`` gives the node
    positions (say, :func:`shared_positions` of several graphs drawn side by side); by default
    they are computed for ``graph`` (:func:`splatkit.render.layout.positions`). Of two opposite
    dependencies, each bends enough (its own ``"smooth"``) to keep its label off the other's; an
    arrow whose middle would be hidden under a box or another arrow bends its own way, or
    comes last, drawn over the others (:func:`splatkit.render.bends.clear_middles`). Node ids
    are lock-class names, edge ids come from :func:`edge_id`; both are sorted (but for those
    last edges), so the output is byte-stable across runs.

    >>> view = graph_view(LockGraph.from_splats(parse(seed_text)))
    >>> sorted(e["label"] for e in view["edges"] if e["cycle"])
    ['kvm_dev_ioctl', 'kvm_lapic_set_base', 'kvm_swap_active_memslots', 'set_nx_huge_pages']
    """
    found = bounded_cycles(graph, limit=VIEW_CYCLE_LIMIT)
    note = found.note
    cycles = [tuple(c.locks) for c in found]
    if cycle:
        cycle = tuple(cycle)
        same = [c for c in cycles if same_cycle(c, cycle)]
        cycles = [cycle] + [c for c in cycles if not same_cycle(c, cycle)] if not same else \
            [same[0]] + [c for c in cycles if c is not same[0]]
    on_node: dict[str, list[int]] = {}
    on_edge: dict[tuple[str, str], list[int]] = {}
    for index, locks in enumerate(cycles):
        for i, name in enumerate(locks):
            on_node.setdefault(name, []).append(index)
            on_edge.setdefault((name, locks[(i + 1) % len(locks)]), []).append(index)
    cycle = cycles[0] if cycles else ()
    g = graph.nx
    made = {(held, acquired): _edge_label(graph, held, acquired) for held, acquired in sorted(g.edges)}
    if where is None:
        where = positions(g, edge_labels={edge: label for edge, (label, _ev) in made.items()})
    bends = _opposite_bends(g, where, {edge: label for edge, (label, _ev) in made.items()})
    # Each arrow's middle seen (render.bends): a bend of its own, or drawn over the others.
    seen = clear_middles(sorted(g.edges), where, {n: box_size(str(n)) for n in g}, default=ROUNDNESS,
                         fixed=bends, widths={e: 6 for e in on_edge})  # (6: a picked cycle)
    bends.update(seen.roundness)
    nodes = []
    for name in sorted(g.nodes):
        data = g.nodes[name]
        in_cycle = name in on_node
        nodes.append({
            "id": name,
            "label": name,
            "x": where[name][0],
            "y": where[name][1],
            "title": "\n".join(p for p in (name, f"usage {{{data['usage']}}}" if data.get("usage") else "",
                                           f"wait {{{data['wait']}}}" if data.get("wait") else "") if p),
            "cycle": in_cycle,
            "cycles": on_node.get(name, []),
            "color": CYCLE_NODE_COLOR if in_cycle else NODE_COLOR,
        })
    edges = []
    for held, acquired in sorted(g.edges):
        label, evidence = made[held, acquired]
        in_cycle = (held, acquired) in on_edge
        held_only = all(ev["source"] == "held" for ev in evidence)
        is_marked = (held, acquired) in marked
        is_new = any(ev["source"] == "new" for ev in evidence)
        edges.append({
            "id": edge_id(held, acquired),
            "from": held,
            "to": acquired,
            "label": label,
            "title": f"{acquired} acquired while {held} held" + (f", in {label}" if label else ""),
            "cycle": in_cycle,
            "cycles": on_edge.get((held, acquired), []),
            "new": is_new,
            "held_order": held_only,
            "marked": is_marked,
            "color": CYCLE_COLOR if in_cycle else (MARKED_COLOR if is_marked else NEW_COLOR if is_new else
                                                   HELD_COLOR if held_only else EDGE_COLOR),
            "dashes": MARKED_DASHES if is_marked else held_only,
            "width": 3 if in_cycle else (2 if is_marked or is_new else 1),
            "evidence": evidence,
        })
        if (held, acquired) in bends:
            edges[-1]["smooth"] = {"enabled": True, "type": "curvedCW", "roundness": bends[held, acquired]}
        if held == acquired:  # a loop (network_options' selfReference): its label above it
            edges[-1]["font"] = {"vadjust": -LOOP_LABEL_LIFT}
    last = {edge_id(*e): i for i, e in enumerate(seen.on_top)}
    edges.sort(key=lambda e: last.get(e["id"], -1))  # (stable: the others stay sorted)
    return {"nodes": nodes, "edges": edges, "cycle": list(cycle), "cycles": [list(c) for c in cycles],
            "cycle_note": note}


def shared_positions(graphs: Iterable[LockGraph], *, portrait: bool = True) -> dict[Hashable, tuple[float, float]]:
    """One set of node positions for several drawings of related graphs (say, what each ordering
    makes of one splat's graph): laid out once over the union of their lock classes and
    dependencies, so a lock class sits at the same place in every drawing. ``portrait``: taller
    than wide, for drawings set side by side.

    >>> g = LockGraph.from_splats(parse(seed_text))
    >>> h = g.with_ordering("kvm_lock -> cpu_hotplug_lock")
    >>> where = shared_positions([g, h])
    >>> graph_view(h, where=where)["nodes"][0]["x"] == graph_view(g, where=where)["nodes"][0]["x"]
    True
    """
    union = nx.DiGraph()
    labels: dict[tuple[str, str], str] = {}
    for graph in graphs:
        union.add_nodes_from(graph.nx.nodes)
        for held, acquired in graph.nx.edges:
            union.add_edge(held, acquired)
            label = _edge_label(graph, held, acquired)[0]
            if len(label) > len(labels.get((held, acquired), "")):
                labels[held, acquired] = label
    return positions(union, edge_labels=labels, portrait=portrait)


def drawing_extent(view: Mapping[str, Any]) -> dict[str, float]:
    """The region a drawing of ``view`` takes, in layout coordinates: its lock class boxes, the
    labels on its arrows and its loops (``x0``, ``y0``, ``x1``, ``y1``), and ``pad``, the margin in CSS pixels a
    page leaves around it. The live drawing is fitted to it (``lock_graph.js``), rather than to
    its boxes with vis-network's 5% margins: labels at the edge stay in, and read larger.

    >>> e = drawing_extent(graph_view(LockGraph.from_splats(parse(seed_text))))
    >>> e["x1"] > e["x0"] and e["y1"] > e["y0"] and e["pad"]
    12
    """
    where = {n["id"]: (n["x"], n["y"]) for n in view["nodes"]}
    sizes = {n["id"]: box_size(n["label"]) for n in view["nodes"]}
    boxes = [(x - w / 2, y - h / 2, x + w / 2, y + h / 2)
             for name, (x, y) in where.items() for w, h in [sizes[name]]]
    boxes += [label_box(curve_middle(where[e["from"]], where[e["to"]], e.get("smooth", {}).get("roundness", ROUNDNESS)),
                        e["label"]) for e in view["edges"] if e["label"] and e["from"] != e["to"]]
    boxes += [b for e in view["edges"] if e["from"] == e["to"]
              for b in loop_boxes(where[e["from"]], sizes[e["from"]], e["label"])]
    if not boxes:
        return {"x0": 0.0, "y0": 0.0, "x1": 0.0, "y1": 0.0, "pad": FIT_PAD}
    return {"x0": round(min(b[0] for b in boxes), 1), "y0": round(min(b[1] for b in boxes), 1),
            "x1": round(max(b[2] for b in boxes), 1), "y1": round(max(b[3] for b in boxes), 1), "pad": FIT_PAD}


def view_height(view: Mapping[str, Any], least: int = VIEW_HEIGHT) -> int:
    """The height, in CSS pixels, of a canvas that shows the drawing of ``view`` whole with its
    lock class labels readable (:func:`splatkit.render.layout.canvas_height`), ``least`` at least.

    >>> view_height(graph_view(LockGraph.from_splats(parse(seed_text))))
    460
    """
    e = drawing_extent(view)
    return canvas_height(max(1.0, e["x1"] - e["x0"]), max(1.0, e["y1"] - e["y0"]), least)


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _opposite_bends(g: nx.DiGraph, where: Mapping[Hashable, tuple[float, float]],
                    labels: Mapping[tuple[str, str], str]) -> dict[tuple[str, str], float]:
    """The roundness of each edge of an opposite pair whose labels would overlap at
    :data:`ROUNDNESS`: the least (in steps of 0.05) that keeps them apart. ``curvedCW`` bends
    each arrow to its own right, so the two of a pair bend to opposite sides."""
    out = {}
    for held, acquired in g.edges:
        if held == acquired or not g.has_edge(acquired, held) or (acquired, held) in out:
            continue
        a, b = where[held], where[acquired]
        roundness = ROUNDNESS
        while roundness < MAX_ROUNDNESS:
            boxes = [label_box(curve_middle(p, q, roundness), labels.get(e, "") or " ")
                     for p, q, e in ((a, b, (held, acquired)), (b, a, (acquired, held)))]
            if not _overlap(*boxes):
                break
            roundness = round(roundness + 0.05, 2)
        if roundness != ROUNDNESS:
            out[held, acquired] = out[acquired, held] = roundness
    return out


def same_cycle(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether ``a`` and ``b`` are one cycle written from different starting locks."""
    if len(a) != len(b) or not a:
        return False
    start = [i for i, name in enumerate(a) if name == b[0]]
    return any(a[i:] + a[:i] == b for i in start)


def legend(view: dict[str, Any]) -> list[dict[str, Any]]:
    """The legend of a drawing: one entry per kind of arrow it draws, and no other (a report
    without a cycle gets no "cycle" entry). Each entry: ``kind``, ``label``, ``color``, ``width``,
    ``style`` (``solid``, ``dashed`` or ``dotted``, one meaning each: see :data:`MARKED_DASHES`)
    and ``dashed`` (``style == "dashed"``).

    >>> [e["kind"] for e in legend(graph_view(LockGraph.from_splats(parse(seed_text))))]
    ['cycle', 'held']
    """
    edges = view["edges"]
    kinds = [
        ("cycle", any(e["cycle"] for e in edges), "a dependency cycle: the deadlock lockdep warns about",
         CYCLE_COLOR, 3, "solid"),
        ("marked", any(e["marked"] and not e["cycle"] for e in edges), "declared or moved by the ordering",
         MARKED_COLOR, 2, "dotted"),
        ("marked-cycle", any(e["marked"] and e["cycle"] for e in edges),
         "on a cycle, and declared or moved by the ordering", CYCLE_COLOR, 3, "dotted"),
        ("new", any(e["new"] and not (e["cycle"] or e["marked"]) for e in edges),
         "the acquisition the report is about (click it for its stack)", NEW_COLOR, 2, "solid"),
        ("plain", any(not (e["cycle"] or e["marked"] or e["held_order"] or e["new"]) for e in edges),
         "dependency lockdep recorded (click it for its stack)", EDGE_COLOR, 1, "solid"),
        ("held", any(e["held_order"] and not (e["cycle"] or e["marked"]) for e in edges),
         "order of held locks (no stack)", HELD_COLOR, 2, "dashed"),
    ]
    return [{"kind": k, "label": label, "color": color, "width": width, "style": style, "dashed": style == "dashed"}
            for k, shown, label, color, width, style in kinds if shown]


def network_options() -> dict[str, Any]:
    """vis-network options shared by the widget and the HTML export.

    The nodes come with their positions (:mod:`splatkit.render.layout`), so no physics runs in
    the page: the drawing is settled from the first frame and is the static SVG's picture.
    """
    return {
        "edges": {"arrows": {"to": {"enabled": True, "scaleFactor": 0.7}},
                  "font": {"size": EDGE_FONT_SIZE, "align": "horizontal", "strokeWidth": 4, "strokeColor": "#ffffff"},
                  "smooth": {"enabled": True, "type": "curvedCW", "roundness": ROUNDNESS},
                  # A loop (recursive locking) big enough to see, over the box (layout.LOOP_*).
                  "selfReference": {"size": LOOP_SIZE, "angle": LOOP_ANGLE, "renderBehindTheNode": True}},
        "nodes": {"shape": "box", "font": {"size": 14}, "margin": 8},
        "physics": {"enabled": False},
        "interaction": {"hover": True, "selectConnectedEdges": False},
    }
