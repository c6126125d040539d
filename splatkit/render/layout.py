"""Where each lock class sits in a drawing: positions computed once, in Python, with networkx.

Every drawing of a lock graph (the live vis-network canvas in a notebook or a report, the
static SVG saved with a notebook) places the nodes at the same coordinates, so the picture
a colleague sees on GitHub is the one the author clicked on, and the browser runs no
physics simulation to find them.

The coordinates are in CSS pixels at zoom 1, for boxes labelled in a 14 px sans-serif font
(:func:`box_size`): a force-directed layout of the graph's undirected skeleton, scaled until
no two boxes overlap, one connected component after another from left to right.

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

__all__ = ["CHAR_WIDTH", "FONT_SIZE", "box_size", "positions"]

#: The label font size of a lock class box, and the width of an average character in it.
FONT_SIZE = 14
CHAR_WIDTH = 8.0
#: Padding inside a box (vis-network's ``margin``), and the gap kept between two boxes.
BOX_MARGIN = 8
GAP_X, GAP_Y = 48, 64
#: Distance between the centres of two nodes joined by an edge, at least.
EDGE_LENGTH = 190
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
#: The canvas a drawing is usually seen in (a notebook cell's width, the explorer's 460 px):
#: a component laid out taller than wide is turned to be seen at the largest zoom in it.
VIEW_WIDTH, VIEW_HEIGHT = 1000, 460


def box_size(label: str) -> tuple[float, float]:
    """Width and height of the box drawn for ``label`` (one line of text), in pixels.

    >>> box_size("kvm_lock")
    (80.0, 32.1)
    """
    lines = label.split("\n") or [""]
    width = max(len(line) for line in lines) * CHAR_WIDTH + 2 * BOX_MARGIN
    height = len(lines) * FONT_SIZE * 1.15 + 2 * BOX_MARGIN
    return round(width, 1), round(height, 1)


def _stress(g: nx.Graph, length: dict[tuple[Hashable, Hashable], float], iterations: int = 300):
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
    start = nx.circular_layout(g) if len(nodes) <= 12 else nx.spring_layout(g, seed=7, method="force")
    x = np.array([start[n] for n in nodes], dtype=float) * d.max() / 2
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


def _edge_length(a: Hashable, b: Hashable, sizes: dict[Hashable, tuple[float, float]], label: str) -> float:
    """How long an edge should be: room for both half-boxes and its label between them."""
    if not label:
        return max(EDGE_LENGTH * 0.75, (sizes[a][0] + sizes[b][0]) / 2 + 30)
    return max(EDGE_LENGTH, (sizes[a][0] + sizes[b][0]) / 2 + len(label) * CHAR_WIDTH * 0.75 + 30)


def _spread(xy, w, h) -> float:
    """The scale that grows the picture until no two boxes overlap: for each pair, the scale that
    separates them horizontally or vertically (whichever needs less), then the largest over pairs."""
    import numpy as np

    dx = np.abs(xy[:, None, 0] - xy[None, :, 0])
    dy = np.abs(xy[:, None, 1] - xy[None, :, 1])
    need_x = (w[:, None] + w[None, :]) / 2 + GAP_X / 2
    need_y = (h[:, None] + h[None, :]) / 2 + GAP_Y / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        pair = np.minimum(np.where(dx > 1e-9, need_x / dx, np.inf), np.where(dy > 1e-9, need_y / dy, np.inf))
    np.fill_diagonal(pair, 0.0)
    pair[~np.isfinite(pair)] = 0.0
    return min(max(1.0, float(pair.max())), 4.0)  # (two points on top of each other: do not explode)


def _component(g: nx.Graph, sizes: dict[Hashable, tuple[float, float]],
               edge_labels: dict[tuple[Hashable, Hashable], str],
               portrait: bool = False) -> dict[Hashable, tuple[float, float]]:
    """A layout of one connected component, centred on (0, 0), boxes apart; ``portrait``: turned
    (the distances, what the layout is about, stay) to the narrowest picture taller than wide."""
    import numpy as np

    nodes = list(g)
    if len(nodes) == 1:
        return {nodes[0]: (0.0, 0.0)}
    length = {}
    for a, b in g.edges:
        label = max(edge_labels.get((a, b), ""), edge_labels.get((b, a), ""), key=len)
        length[a, b] = length[b, a] = _edge_length(a, b, sizes, label)
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
    scale = _spread(xy, w, h)
    best = None
    # A landscape drawing turned taller than wide (a chain of locks laid out as a column, say)
    # would be fitted into a wide, short canvas at a zoom too small to read: turn it too.
    tall = float(np.ptp(xy[:, 1]) * scale + h.max()) > float(np.ptp(xy[:, 0]) * scale + w.max())
    turns = [math.radians(a) for a in range(0, 180, 15)] if portrait or tall else []
    for turn in turns if len(nodes) <= _STRESS_MAX else []:
        c, s_ = math.cos(turn), math.sin(turn)
        xy_t = xy @ np.array([[c, s_], [-s_, c]])
        scale = _spread(xy_t, w, h)
        width = float(np.ptp(xy_t[:, 0]) * scale + w.max())
        height = float(np.ptp(xy_t[:, 1]) * scale + h.max())
        # Portrait: the narrowest turn that is taller than wide (else the narrowest); landscape:
        # the turn seen at the largest zoom in a VIEW_WIDTH x VIEW_HEIGHT canvas.
        key = (width > height, width) if portrait else (0, -min(VIEW_WIDTH / width, VIEW_HEIGHT / height))
        if best is None or key < best[0]:
            best = (key, xy_t, scale)
    if best is not None:
        _key, xy, scale = best
    return {n: (float(x * scale), float(y * scale)) for n, (x, y) in zip(nodes, xy)}


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
    skeleton = nx.Graph()
    skeleton.add_nodes_from(sorted(graph, key=str))
    skeleton.add_edges_from((a, b) for a, b in sorted(graph.edges, key=lambda e: (str(e[0]), str(e[1]))) if a != b)
    parts = sorted(nx.connected_components(skeleton), key=lambda c: (-len(c), sorted(map(str, c))))
    placed = [_layered(graph.subgraph(part), sizes) if len(part) > LAYERED_MIN else
              _component(skeleton.subgraph(sorted(part, key=str)), sizes, edge_labels, portrait) for part in parts]
    boxes = [(min(x - sizes[n][0] / 2 for n, (x, _) in p.items()), min(y - sizes[n][1] / 2 for n, (_, y) in p.items()),
              max(x + sizes[n][0] / 2 for n, (x, _) in p.items()), max(y + sizes[n][1] / 2 for n, (_, y) in p.items()))
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
