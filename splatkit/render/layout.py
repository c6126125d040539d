"""Where each lock class sits in a drawing: positions computed once, in Python, with networkx.

Every drawing of a lock graph (the live vis-network canvas in a notebook or a report, the
static SVG saved with a notebook) places the nodes at the same coordinates, so the picture
a colleague sees on GitHub is the one the author clicked on, and the browser runs no
physics simulation to find them.

The coordinates are in CSS pixels at zoom 1, for boxes labelled in a 14 px sans-serif font
(:func:`box_size`): a force-directed layout of the graph's undirected skeleton, turned and
stretched until no two boxes, and no box and label on an arrow, overlap, one connected component
after another from left to right. A report's graph is laid out to be read whole in a notebook
cell: its lock class labels at :data:`READABLE_PX` or more in a :data:`VIEW_WIDTH` canvas as tall
as :func:`canvas_height` says.

>>> import networkx as nx
>>> pos = positions(nx.DiGraph([("a", "b"), ("b", "c"), ("c", "a")]))
>>> sorted(pos), all(isinstance(v, float) for xy in pos.values() for v in xy)
(['a', 'b', 'c'], True)
"""

from __future__ import annotations

import math
import random
from collections.abc import Hashable

import networkx as nx

from ..depgraph import ordered_subgraph

__all__ = ["CHAR_WIDTH", "FONT_SIZE", "READABLE_PX", "box_size", "canvas_height", "curve_middle", "fit_zoom",
           "label_box", "label_size", "loop_boxes", "loop_places", "positions"]

#: The label font size of a lock class box, and the width of an average character in it.
FONT_SIZE = 14
CHAR_WIDTH = 8.0
#: The font size of the labels on arrows, and the width of an average character in it.
EDGE_FONT_SIZE = 12
EDGE_CHAR_WIDTH = 7.0
#: How far an arrow bends (vis-network's ``smooth.roundness`` for ``curvedCW``): enough to draw
#: two opposite dependencies apart, little enough to read as a straight arrow.
ROUNDNESS = 0.25
#: Padding inside a box (vis-network's ``margin``), and the gap kept between two boxes.
BOX_MARGIN = 8
GAP_X, GAP_Y = 48, 64
#: The gap kept around the label on an arrow (from a box, from another label).
LABEL_GAP = 6
#: Distance between the centres of two nodes joined by an edge, at least.
EDGE_LENGTH = 190
#: How much of the length of an arrow's label the arrow is made longer by at first: where an
#: arrow runs up or down, its label takes less of it; the boxes are then moved apart until the
#: labels are clear (:func:`_needs`). A component too big for that gets the whole length.
LABEL_SHARE = 0.3
#: Up to this many nodes in a component, stress majorisation; above, ForceAtlas2 (both numpy only).
_STRESS_MAX = 400
#: Above this many nodes, a layered drawing (:func:`_layered`): ForceAtlas2 costs n^2 per step
#: (3 s for 1,000 lock classes, 39 s for 3,000), a layering costs about the number of edges.
LAYERED_MIN = 600
#: A layer of a layered drawing wraps into rows of at most this many boxes, this far apart: an
#: arrow spanning several layers crosses the rows between, and where it crosses a box it
#: cannot be clicked, so a row is as much gap as box.
LAYER_ROW = 40
LAYER_GAP_X = 150
#: Small components are placed side by side in rows about this wide.
ROW_WIDTH = 1200
#: The canvas a drawing is seen in: a notebook cell's output (868 px wide in JupyterLab in a
#: 1,300 px window with its file browser open; wider in Notebook 7 and in a report page), 460 px
#: high at least, taller (up to MAX_VIEW_HEIGHT) when the drawing needs it to be read.
VIEW_WIDTH, VIEW_HEIGHT, MAX_VIEW_HEIGHT = 860, 460, 900
#: The smallest a lock class label may be drawn at the first zoom, in CSS pixels (issue 11), and
#: the zoom that draws the 14 px labels at that size.
READABLE_PX = 11
READABLE_ZOOM = READABLE_PX / FONT_SIZE
#: The margin, in CSS pixels, around a drawing fitted into its canvas. (vis-network's own fit()
#: leaves 5% of the drawing each side, 100 px of a 1,000 px wide canvas: labels then read or not.)
FIT_PAD = 12
#: The border of a drawing's frame (widget.css, lock_graph.css), inside its CSS height.
CANVAS_BORDER = 1
#: Up to this many lock classes in a component, its layout keeps the labels on arrows off the
#: boxes and off each other, and is turned and stretched to read best (the explorer draws up
#: to 150 classes whole); up to REFINED_MAX (a report's graph), each arrow is also made as
#: long as its direction needs, REFINE_ROUNDS times, and the best of those layouts kept.
LABELLED_MAX = 150
REFINED_MAX, REFINE_ROUNDS = 30, 4
#: A stretch makes a layout at most this much wider than tall than it was, or the other way.
MAX_STRETCH = 1.3
#: A lock class taken while held (recursive locking) has a loop: a circle of LOOP_SIZE px radius
#: centred on its box's border at LOOP_ANGLE (radians, counter-clockwise from the right:
#: vis-network's ``edges.selfReference``), and the loop's label LOOP_LABEL_LIFT px above the top of
#: the circle (its ``font.vadjust``), clear of the loop and of the box. (vis-network puts a loop's
#: label on the circle at 2 pi times the angle: at 1.25 rad, a loop over the right half of the box,
#: at the top of the circle.)
LOOP_SIZE, LOOP_ANGLE, LOOP_LABEL_LIFT = 26, 1.25, 14


def box_size(label: str) -> tuple[float, float]:
    """Width and height of the box drawn for ``label`` (one line of text), in pixels.

    >>> box_size("kvm_lock")
    (80.0, 32.1)
    """
    lines = label.split("\n") or [""]
    width = max(len(line) for line in lines) * CHAR_WIDTH + 2 * BOX_MARGIN
    height = len(lines) * FONT_SIZE * 1.15 + 2 * BOX_MARGIN
    return round(width, 1), round(height, 1)


def label_size(label: str) -> tuple[float, float]:
    """Width and height of the label on an arrow (12 px text and its halo), in pixels.

    >>> label_size("kvm_dev_ioctl")
    (99.0, 18)
    """
    return len(label) * EDGE_CHAR_WIDTH + 8, EDGE_FONT_SIZE + 6


def label_box(edge: tuple[float, float], label: str) -> tuple[float, float, float, float]:
    """The box (x0, y0, x1, y1) an arrow's label takes, centred at ``edge`` (the curve's middle)."""
    w, h = label_size(label)
    return edge[0] - w / 2, edge[1] - h / 2, edge[0] + w / 2, edge[1] + h / 2


def loop_places(centre: tuple[float, float], size: tuple[float, float]) -> tuple[tuple[float, float], tuple[float, float]]:
    """Where the loop of a lock class box of ``size`` at ``centre`` is drawn: the centre of its
    circle (:data:`LOOP_SIZE` radius) and the centre of its label, as vis-network places them
    (the circle on the box's border, 1 px out, at :data:`LOOP_ANGLE`).

    >>> loop_places((0, 0), box_size("rtnl_mutex"))
    ((5.6, -17.0), (5.6, -57.0))
    """
    w, h = size
    c, s = math.cos(LOOP_ANGLE), math.sin(LOOP_ANGLE)
    border = min(w / 2 / abs(c) if c else math.inf, h / 2 / abs(s) if s else math.inf) + 1
    circle = (round(centre[0] + c * border, 1), round(centre[1] - s * border, 1))
    return circle, (circle[0], round(circle[1] - LOOP_SIZE - LOOP_LABEL_LIFT, 1))


def loop_boxes(centre: tuple[float, float], size: tuple[float, float],
               label: str) -> list[tuple[float, float, float, float]]:
    """The boxes (x0, y0, x1, y1) the loop of a lock class box takes: its circle, and its label
    when it has one."""
    (cx, cy), at = loop_places(centre, size)
    boxes = [(cx - LOOP_SIZE, cy - LOOP_SIZE, cx + LOOP_SIZE, cy + LOOP_SIZE)]
    return boxes + ([label_box(at, label)] if label else [])


def _with_loop(size: tuple[float, float], label: str) -> tuple[float, float]:
    """The size of a box grown, around its centre, to hold its loop and the loop's label: what
    a lock class with a loop takes when boxes are kept apart."""
    boxes = [(-size[0] / 2, -size[1] / 2, size[0] / 2, size[1] / 2), *loop_boxes((0.0, 0.0), size, label)]
    half_w = max(max(abs(b[0]), abs(b[2])) for b in boxes)
    half_h = max(max(abs(b[1]), abs(b[3])) for b in boxes)
    return round(2 * half_w, 1), round(2 * half_h, 1)


def curve_via(a: tuple[float, float], b: tuple[float, float], roundness: float) -> tuple[float, float]:
    """The control point vis-network uses for a ``curvedCW`` edge from ``a`` to ``b``
    (``BezierEdgeStatic._getViaCoordinates``; screen y grows downwards)."""
    dx, dy = b[0] - a[0], a[1] - b[1]
    radius = math.hypot(dx, dy)
    factor = 0.5 * roundness + 0.5
    angle = (math.atan2(dy, dx) + factor * math.pi) % (2 * math.pi)
    return a[0] + factor * radius * math.sin(angle), a[1] + factor * radius * math.cos(angle)


def curve_middle(a: tuple[float, float], b: tuple[float, float], roundness: float) -> tuple[float, float]:
    """The middle of the ``curvedCW`` arrow from ``a`` to ``b``: where vis-network puts its label."""
    via = curve_via(a, b, roundness)
    return (0.25 * a[0] + 0.5 * via[0] + 0.25 * b[0], 0.25 * a[1] + 0.5 * via[1] + 0.25 * b[1])


def _stress(g: nx.Graph, length: dict[tuple[Hashable, Hashable], float], iterations: int = 300, start=None):
    """Stress majorisation (SMACOF, Gansner-Koren-North 2004) of a connected graph, with numpy:
    place the nodes so that their distances match the graph distances, each edge counting its
    own ``length``. What Graphviz's ``neato`` and networkx's Kamada-Kawai layout (which needs
    scipy) aim for, for the few hundred nodes a drawing shows in full."""
    import numpy as np

    nodes = list(g)
    index = {n: i for i, n in enumerate(nodes)}
    weighted = nx.Graph()
    weighted.add_nodes_from(nodes)
    weighted.add_weighted_edges_from((a, b, length[a, b]) for a, b in g.edges)
    d = np.zeros((len(nodes), len(nodes)))
    for a, far in nx.all_pairs_dijkstra_path_length(weighted):
        for b, dist in far.items():
            d[index[a], index[b]] = dist
    if start is None:
        start = nx.circular_layout(g) if len(nodes) <= 12 else nx.spring_layout(g, seed=7, method="force")
        x = np.array([start[n] for n in nodes], dtype=float) * d.max() / 2
    else:
        x = np.array([start[n] for n in nodes], dtype=float)
    w = np.zeros_like(d)
    np.divide(1.0, d * d, out=w, where=d > 0)
    wsum = w.sum(axis=1)[:, None]
    for _ in range(iterations):
        diff = x[:, None, :] - x[None, :, :]
        dist = np.sqrt((diff ** 2).sum(axis=2))
        np.fill_diagonal(dist, 1.0)
        dist = np.maximum(dist, 1e-6)
        # Each node moves to the weighted mean of where every other node says it should be.
        target = (w[:, :, None] * (x[None, :, :] + d[:, :, None] * diff / dist[:, :, None])).sum(axis=1)
        new = target / wsum
        if np.abs(new - x).max() < 0.05:
            x = new
            break
        x = new
    return {n: (float(px), float(py)) for n, (px, py) in zip(nodes, x)}


def _edge_length(a: Hashable, b: Hashable, sizes: dict[Hashable, tuple[float, float]], label: str,
                 share: float = LABEL_SHARE) -> float:
    """How long an edge should be: room for both half-boxes and ``share`` of its label between them."""
    if not label:
        return max(EDGE_LENGTH * 0.75, (sizes[a][0] + sizes[b][0]) / 2 + 30)
    return max(EDGE_LENGTH, (sizes[a][0] + sizes[b][0]) / 2 + len(label) * CHAR_WIDTH * share + 30)


def _needs(xy, w, h, labels=()):
    """For each pair of boxes that overlap, the scale of x that separates them side by side and
    the scale of y that separates them one above the other (inf: no scale of that axis does).

    The boxes are the lock classes (``w`` x ``h`` at ``xy``), :data:`GAP_X`, :data:`GAP_Y` apart,
    and the labels on arrows, ``labels``: ``(i, j, width, height)`` for the arrow from node ``i``
    to node ``j``, a box at the middle of its arrow (moving with the nodes) :data:`LABEL_GAP`
    from any other."""
    import numpy as np

    n = len(xy)
    if len(labels):
        centres = np.array([curve_middle(tuple(xy[i]), tuple(xy[j]), ROUNDNESS) for i, j, _w, _h in labels])
        xy = np.vstack([xy, centres])
        w = np.concatenate([w, [lw for *_ij, lw, _h in labels]])
        h = np.concatenate([h, [lh for *_ij, _w, lh in labels]])
    gap_x = np.full((len(xy), len(xy)), float(LABEL_GAP))
    gap_y = gap_x.copy()
    gap_x[:n, :n], gap_y[:n, :n] = GAP_X / 2, GAP_Y / 2
    upper = np.triu_indices(len(xy), 1)
    dx = np.abs(xy[:, None, 0] - xy[None, :, 0])[upper]
    dy = np.abs(xy[:, None, 1] - xy[None, :, 1])[upper]
    need_x = ((w[:, None] + w[None, :]) / 2 + gap_x)[upper]
    need_y = ((h[:, None] + h[None, :]) / 2 + gap_y)[upper]
    with np.errstate(divide="ignore", invalid="ignore"):
        sx = np.where(dx > 1e-9, need_x / dx, np.inf)
        sy = np.where(dy > 1e-9, need_y / dy, np.inf)
    # (Two points on top of each other cannot be scaled apart: do not explode.)
    keep = (sx > 1) & (sy > 1) & (np.isfinite(sx) | np.isfinite(sy))
    return sx[keep], sy[keep]


def _spread(xy, w, h, labels=()) -> float:
    """The scale that grows the picture until no two boxes overlap (:func:`_needs`): for each pair,
    the scale that separates them horizontally or vertically (whichever needs less), then the
    largest over pairs (at most 4)."""
    import numpy as np

    sx, sy = _needs(xy, w, h, labels)
    return min(max(1.0, float(np.minimum(sx, sy).max(initial=1.0))), 4.0)


def _stretches(xy, w, h, labels=()):
    """The least pairs (x scale, y scale) that keep every two boxes apart (:func:`_needs`), each
    at least 1 and at most 4: a picture may grow taller rather than wider, or the other way
    round. For each x scale that separates some pairs side by side, the y scale the others need."""
    import numpy as np

    sx, sy = _needs(xy, w, h, labels)
    if not len(sx):
        return [(1.0, 1.0)]
    sx, sy = np.minimum(sx, 4.0), np.minimum(sy, 4.0)
    order = np.argsort(-sx)
    sx, sy = sx[order], sy[order]
    # Scaling x by sx[k] separates the pairs from k on: y must separate those before k.
    rest = np.maximum.accumulate(np.concatenate([[1.0], sy]))  # rest[k]: the largest y need before k
    out = [(max(1.0, float(x)), float(rest[k])) for k, x in enumerate(sx)] + [(1.0, float(rest[-1]))]
    # (At most MAX_STRETCH times more one way than the other: the layout keeps its shape.)
    return sorted({(max(x, y / MAX_STRETCH), max(y, x / MAX_STRETCH)) for x, y in out})


def _extent(xy, w, h) -> tuple[float, float]:
    """Width and height of the boxes of ``w`` x ``h`` centred at ``xy``, all together."""
    return (float((xy[:, 0] + w / 2).max() - (xy[:, 0] - w / 2).min()),
            float((xy[:, 1] + h / 2).max() - (xy[:, 1] - h / 2).min()))


def fit_zoom(width: float, height: float, canvas: tuple[float, float]) -> float:
    """The zoom at which a drawing of ``width`` x ``height`` is seen whole in a ``canvas`` (width,
    height, its border in) with :data:`FIT_PAD` pixels around it, at most 1 (how the page fits a
    drawing: ``fitExtent`` in lock_graph.js).

    >>> fit_zoom(500, 200, (1100, 440))
    1.0
    >>> fit_zoom(1000, 200, (826, 460))
    0.8
    """
    margin = 2 * (FIT_PAD + CANVAS_BORDER)
    return min(1.0, (canvas[0] - margin) / width, (canvas[1] - margin) / height)


def canvas_height(width: float, height: float, least: int = 0) -> int:
    """The height of a :data:`VIEW_WIDTH` canvas that shows a drawing of ``width`` x ``height``
    whole with its lock class labels at :data:`READABLE_PX` or more: ``least`` (default
    :data:`VIEW_HEIGHT`), or taller up to :data:`MAX_VIEW_HEIGHT`. A drawing too wide to read at
    that width gets the height its width lets it be seen at.

    >>> canvas_height(400, 100), canvas_height(600, 900)
    (460, 734)
    """
    margin = 2 * (FIT_PAD + CANVAS_BORDER)
    zoom = min(READABLE_ZOOM, (VIEW_WIDTH - margin) / width)
    return max(least or VIEW_HEIGHT, min(MAX_VIEW_HEIGHT, math.ceil(height * zoom + margin)))


def _reading(width: float, height: float) -> tuple[float, int, float]:
    """How well a drawing reads in the explorer's canvas, smaller is better: how far its labels
    fall short of readable, the canvas height it needs (:func:`canvas_height`), its zoom there."""
    tall = canvas_height(width, height)
    zoom = fit_zoom(width, height, (VIEW_WIDTH, tall))
    return (round(max(0.0, READABLE_ZOOM - zoom), 3), tall, -zoom)


def _component(g: nx.Graph, sizes: dict[Hashable, tuple[float, float]],
               edge_labels: dict[tuple[Hashable, Hashable], str],
               portrait: bool = False) -> dict[Hashable, tuple[float, float]]:
    """A layout of one connected component, centred on (0, 0), boxes apart; ``portrait``: turned
    (the distances, what the layout is about, stay) to the narrowest picture taller than wide.

    Else, up to :data:`LABELLED_MAX` classes, the labels on arrows are kept clear too, and of the
    layout turned, stretched (:func:`_stretches`) and refined (:func:`_refine`), the one read best
    in a notebook cell (:func:`_reading`) is kept."""
    import numpy as np

    nodes = list(g)
    if len(nodes) == 1:
        return {nodes[0]: (0.0, 0.0)}
    # (Drawings side by side, portraits, keep the spacing they were made with: see _edge_length.)
    labelled = len(nodes) <= LABELLED_MAX and not portrait
    length = {}
    for a, b in g.edges:
        label = max(edge_labels.get((a, b), ""), edge_labels.get((b, a), ""), key=len)
        length[a, b] = length[b, a] = _edge_length(a, b, sizes, label, LABEL_SHARE if labelled else 0.75)
    if len(nodes) <= _STRESS_MAX:
        raw = _stress(g, length)
    else:
        raw = nx.forceatlas2_layout(g, seed=7, max_iter=150,
                                    node_size={n: sizes[n][0] / EDGE_LENGTH for n in nodes})
        mean = sum(math.dist(raw[a], raw[b]) for a, b in g.edges) / max(1, g.number_of_edges())
        raw = {n: (x * EDGE_LENGTH / max(mean, 1e-9), y * EDGE_LENGTH / max(mean, 1e-9)) for n, (x, y) in raw.items()}
    xy = np.array([raw[n] for n in nodes], dtype=float)
    xy -= xy.mean(axis=0)
    w = np.array([sizes[n][0] for n in nodes])
    h = np.array([sizes[n][1] for n in nodes])
    if not labelled and not (portrait and len(nodes) <= _STRESS_MAX):
        xy = xy * _spread(xy, w, h)
        return {n: (float(x), float(y)) for n, (x, y) in zip(nodes, xy)}
    index = {n: i for i, n in enumerate(nodes)}
    labels = [(index[a], index[b], *label_size(text)) for (a, b), text in sorted(edge_labels.items(), key=str)
              if text and a != b and a in index and b in index] if labelled else []

    # The turn and stretch that read best: portrait, the narrowest taller than wide (else the
    # narrowest); landscape, the one a VIEW_WIDTH canvas shows at a readable zoom in the least
    # height (canvas_height), then at the largest zoom. (A chain of long names laid out as a row
    # is too wide to read in a notebook cell; turned, it is as tall as the canvas can grow.)
    def key(xy_s):
        width, height = _extent(xy_s, w, h)
        return (width > height, width) if portrait else _reading(width, height)

    def turned(xy):
        best = []
        for turn in (math.radians(a) for a in range(0, 180, 15)):
            c, s_ = math.cos(turn), math.sin(turn)
            xy_t = xy @ np.array([[c, s_], [-s_, c]])
            # (A portrait keeps its shape: stretched, the narrowest would be the tallest.)
            stretches = [(1.0, 1.0)] if portrait else _stretches(xy_t, w, h, labels)
            xy_t = min((xy_t * stretch for stretch in stretches), key=key)
            # (A stretch moves the middle of a curved arrow a little off where a scale would: a
            # label may touch a box again; growing the picture keeps it clear.)
            best.append(xy_t * _spread(xy_t, w, h, labels))
        return min(best, key=key)

    tried = [turned(xy)]
    for _round in range(REFINE_ROUNDS if labelled and len(nodes) <= REFINED_MAX else 0):
        tried.append(turned(_refine(g, nodes, tried[-1], w, h, edge_labels)))
    xy = min(tried, key=key)
    return {n: (float(x), float(y)) for n, (x, y) in zip(nodes, xy)}


def _along(w: float, h: float, ux: float, uy: float) -> float:
    """How far a line through the centre of a ``w`` x ``h`` box, in direction (ux, uy), runs in it."""
    return min(w / abs(ux) if abs(ux) > 1e-9 else math.inf, h / abs(uy) if abs(uy) > 1e-9 else math.inf)


def _refine(g, nodes, xy, w, h, edge_labels):
    """The layout again, each arrow as long as its direction needs: its two boxes and its label
    where they lie along it (an arrow going down between two wide boxes is short)."""
    import numpy as np

    index = {n: i for i, n in enumerate(nodes)}
    length = {}
    for a, b in g.edges:
        i, j = index[a], index[b]
        d = xy[j] - xy[i]
        norm = float(np.hypot(*d)) or 1.0
        ux, uy = d[0] / norm, d[1] / norm
        label = max(edge_labels.get((a, b), ""), edge_labels.get((b, a), ""), key=len)
        lw, lh = label_size(label) if label else (0.0, 0.0)
        need = (_along(w[i], h[i], ux, uy) + _along(w[j], h[j], ux, uy)) / 2 + _along(lw, lh, ux, uy) \
            + _along(GAP_X, GAP_Y, ux, uy)
        length[a, b] = length[b, a] = need
    out = _stress(g, length, start={n: tuple(xy[index[n]]) for n in nodes})
    new = np.array([out[n] for n in nodes])
    return new - new.mean(axis=0)


def _layered(g: nx.DiGraph, sizes: dict[Hashable, tuple[float, float]]) -> dict[Hashable, tuple[float, float]]:
    """A layered drawing of a big component: each lock class one layer below every class held
    when it was taken (longest-path layering of the graph with its cycles condensed, the members
    of a cycle side by side), each layer ordered by the mean position of the classes above it,
    long layers wrapped in rows of :data:`LAYER_ROW`. A lock hierarchy reads top to bottom,
    and it costs about the number of dependencies, so thousands of classes lay out in a second.
    """
    condensed = nx.condensation(g)
    members = condensed.graph["mapping"]
    groups: dict[int, list[Hashable]] = {}
    for n in sorted(g, key=str):
        groups.setdefault(members[n], []).append(n)
    order: dict[int, float] = {}
    rows: list[list[Hashable]] = []
    for generation in nx.topological_generations(condensed):
        def mean_above(c: int) -> float:
            above = [order[p] for p in condensed.predecessors(c) if p in order]
            return sum(above) / len(above) if above else float("inf")
        layer = sorted(generation, key=lambda c: (mean_above(c), str(groups[c][0])))
        nodes = [n for c in layer for n in groups[c]]
        for i, c in enumerate(layer):
            order[c] = i / max(1, len(layer) - 1)
        rows += [nodes[i:i + LAYER_ROW] for i in range(0, len(nodes), LAYER_ROW)]
    # Irregular gaps (seeded: the same graph gives the same drawing): on a regular grid, arrows
    # that skip rows line up on one another and their middles fall on the boxes of the rows
    # between, where no click can reach them.
    rng = random.Random(7)
    out: dict[Hashable, tuple[float, float]] = {}
    top = 0.0
    for row in rows:
        gaps = [LAYER_GAP_X * (0.5 + rng.random()) for _ in row[1:]]
        width = sum(sizes[n][0] for n in row) + sum(gaps)
        height = max(sizes[n][1] for n in row)
        left = -width / 2
        for n, gap in zip(row, [*gaps, 0.0]):
            out[n] = (left + sizes[n][0] / 2, top + height / 2)
            left += sizes[n][0] + gap
        top += height + 2 * GAP_Y + rng.random() * 2 * GAP_Y
    return out


def positions(graph: nx.DiGraph, labels: dict[Hashable, str] | None = None,
              edge_labels: dict[tuple[Hashable, Hashable], str] | None = None, *,
              portrait: bool = False) -> dict[Hashable, tuple[float, float]]:
    """Pixel coordinates of every node's centre, byte-stable for a given graph.

    ``labels`` (default: the node names) set the box sizes, ``edge_labels`` (the function on
    each arrow) the room an edge needs. Components are laid out apart, the biggest first, in
    rows; a component of more than :data:`LAYERED_MIN` classes is drawn in layers. ``portrait``
    turns each smaller component taller than wide, for drawings set side by side
    (:func:`splatkit.widgets.compare_orderings`).
    """
    labels = labels or {}
    edge_labels = edge_labels or {}
    sizes = {n: box_size(labels.get(n, str(n))) for n in graph}
    # (A class with a loop is kept apart from the others with its loop and the loop's label.)
    spaced = {n: _with_loop(sizes[n], edge_labels.get((n, n), "")) if graph.has_edge(n, n) else sizes[n]
              for n in graph}
    skeleton = nx.Graph()
    skeleton.add_nodes_from(sorted(graph, key=str))
    skeleton.add_edges_from((a, b) for a, b in sorted(graph.edges, key=lambda e: (str(e[0]), str(e[1]))) if a != b)
    parts = sorted(nx.connected_components(skeleton), key=lambda c: (-len(c), sorted(map(str, c))))
    # (Each component a copy in name order: a subgraph view iterates a set, in hash-seed order.)
    placed = [_layered(ordered_subgraph(graph, sorted(part, key=str)), sizes) if len(part) > LAYERED_MIN else
              _component(ordered_subgraph(skeleton, sorted(part, key=str)), spaced, edge_labels, portrait)
              for part in parts]
    boxes = [(min(x - spaced[n][0] / 2 for n, (x, _) in p.items()), min(y - spaced[n][1] / 2 for n, (_, y) in p.items()),
              max(x + spaced[n][0] / 2 for n, (x, _) in p.items()), max(y + spaced[n][1] / 2 for n, (_, y) in p.items()))
             for p in placed]
    # Shelves: components left to right, a new row when one gets wider than the widest component
    # (or ROW_WIDTH), so many small components make a block, not a ribbon.
    row_width = max([ROW_WIDTH] + [x1 - x0 for x0, _, x1, _ in boxes])
    out: dict[Hashable, tuple[float, float]] = {}
    left = top = row_height = 0.0
    for p, (x0, y0, x1, y1) in zip(placed, boxes):
        if left and left + (x1 - x0) > row_width:
            left, top, row_height = 0.0, top + row_height + GAP_Y, 0.0
        dx, dy = left - x0, top - y0
        out.update({n: (round(x + dx, 1), round(y + dy, 1)) for n, (x, y) in p.items()})
        left += (x1 - x0) + GAP_X
        row_height = max(row_height, y1 - y0)
    return out
