"""Where lock classes sit (splatkit.render.layout), on the corpus's own reports: every report of
three lock classes or more is drawn so that a notebook cell (VIEW_WIDTH wide, as tall as
view_height says) shows it whole with its lock class labels at 11 px or more, and no label on
an arrow covers a lock class or another label.

Measured before: in JupyterLab (a 1,300 px window, its file browser open: an 868 x 460 canvas)
11 of the 30 reports drew their smallest label at 5.8 to 9.8 px (vis-network fitted a layout
whose arrows were as long as their labels, with 5% margins, into 460 px); in the HTML report's
599 px column, 14 of them at 5.2 to 10.3 px. The browser tests (tests/browser/test_readable_labels.py)
measure the same on screen.
"""

from __future__ import annotations

import networkx as nx
import pytest

import splatkit
from splatkit.render.html import REPORT_PANE_HEIGHT, REPORT_PANE_WIDTH, _graph_is_wide
from splatkit.render.kind_view import kind_graph
from splatkit.render.layout import (FONT_SIZE, MAX_VIEW_HEIGHT, READABLE_PX, VIEW_HEIGHT, VIEW_WIDTH, box_size,
                                    curve_middle, fit_zoom, label_box, positions)
from splatkit.render.viewmodel import ROUNDNESS, drawing_extent, graph_view, view_height

from conftest import read_log


def _views(corpus_dir) -> list[tuple[str, dict]]:
    """(name, view) of every corpus report whose graph has three lock classes or more, drawn as
    ``explore(text)`` draws it (every report of the text, the first one's cycle)."""
    out = []
    for path in sorted((corpus_dir / "report").iterdir()):
        splats = splatkit.parse(read_log(path))
        if not splats:
            continue
        graph = kind_graph(splats)
        if len(graph.nx) >= 3:
            out.append((path.name, graph_view(graph, cycle=splats[0].cycle or None)))
    return out


@pytest.fixture(scope="module")
def views(corpus_dir) -> list[tuple[str, dict]]:
    found = _views(corpus_dir)
    assert len(found) >= 25, [name for name, _v in found]
    return found


def _size(view: dict) -> tuple[float, float]:
    e = drawing_extent(view)
    return e["x1"] - e["x0"], e["y1"] - e["y0"]


def test_every_report_reads_in_a_notebook_cell(views):
    smallest = []
    for name, view in views:
        width, height = _size(view)
        canvas = (VIEW_WIDTH, view_height(view))
        label = fit_zoom(width, height, canvas) * FONT_SIZE
        assert label >= READABLE_PX, (name, width, height, canvas, label)
        assert VIEW_HEIGHT <= canvas[1] <= MAX_VIEW_HEIGHT
        smallest.append(label)
    # (Not by making every canvas as tall as it may be: most reports fit the first 460 px.)
    assert sum(view_height(v) == VIEW_HEIGHT for _n, v in views) >= len(views) * 2 // 3
    assert min(smallest) < 13  # (some are fitted at the readable zoom, not all at zoom 1)


def test_every_report_reads_in_the_html_report(views):
    """Beside the stacks (the report's left column) when it reads there, across the page if not."""
    wide = 0
    for name, view in views:
        width, height = _size(view)
        canvas_width = 1300 - 40 - 30 if _graph_is_wide(view) else REPORT_PANE_WIDTH  # (a 1,300 px window)
        wide += _graph_is_wide(view)
        label = fit_zoom(width, height, (canvas_width, view_height(view, least=REPORT_PANE_HEIGHT))) * FONT_SIZE
        assert label >= READABLE_PX, (name, width, height, canvas_width, label)
    assert 0 < wide < len(views)  # (small drawings stay beside the stacks)


def test_labels_on_arrows_cover_no_lock_class_and_no_other_label(views):
    for name, view in views:
        where = {n["id"]: (n["x"], n["y"]) for n in view["nodes"]}
        boxes = {n: (x - box_size(n)[0] / 2, y - box_size(n)[1] / 2, x + box_size(n)[0] / 2, y + box_size(n)[1] / 2)
                 for n, (x, y) in where.items()}
        labels = [(e["id"], label_box(curve_middle(where[e["from"]], where[e["to"]],
                                                   e.get("smooth", {}).get("roundness", ROUNDNESS)), e["label"]))
                  for e in view["edges"] if e["label"] and e["from"] != e["to"]]
        for i, (edge, box) in enumerate(labels):
            for other, other_box in [*boxes.items(), *labels[i + 1:]]:
                assert not (box[0] < other_box[2] and other_box[0] < box[2] and box[1] < other_box[3]
                            and other_box[1] < box[3]), (name, edge, other)


def test_no_two_lock_classes_overlap(views):
    for name, view in views:
        nodes = [(n["x"], n["y"], *box_size(n["label"])) for n in view["nodes"]]
        for i, (x, y, w, h) in enumerate(nodes):
            for x2, y2, w2, h2 in nodes[i + 1:]:
                assert abs(x - x2) >= (w + w2) / 2 or abs(y - y2) >= (h + h2) / 2, name


def test_the_layout_is_the_same_every_time(views):
    name, view = max(views, key=lambda nv: len(nv[1]["nodes"]))
    g = nx.DiGraph((e["from"], e["to"]) for e in view["edges"])
    labels = {(e["from"], e["to"]): e["label"] for e in view["edges"]}
    assert positions(g, edge_labels=labels) == positions(g.copy(), edge_labels=dict(labels)), name
