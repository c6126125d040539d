"""One meaning per line style in every view (issue 11): dashed is an order of held locks (no
stack), dotted a dependency an ordering declared or moved, solid the rest; the live drawing's
view-model, the static SVG, the legend (report and widgets) and the DOT export agree."""

from __future__ import annotations

import re

import splatkit
from splatkit.render.graphfile import dot
from splatkit.render.html import legend_html, report_html
from splatkit.render.svg import graph_svg
from splatkit.render.viewmodel import MARKED_DASHES, changed_edges, graph_view, legend, shared_positions

PATCH = "kvm_lock -> cpu_hotplug_lock (read) @ hardware_enable_all"


def _views(seed_text):
    g = splatkit.LockGraph.from_splats(splatkit.parse(seed_text))
    h = g.with_ordering(PATCH)
    return g, h, graph_view(g), graph_view(h, marked=changed_edges(g, h))


def _svg_dashes(svg: str) -> dict[str, str]:
    """Edge id -> its stroke-dasharray in the SVG ('' for a solid line)."""
    out = {}
    for m in re.finditer(r'data-sk-edge="([^"]+)"><title>.*?</title><path ([^>]*)/>', svg):
        dash = re.search(r'stroke-dasharray="([^"]+)"', m.group(2))
        out[m.group(1).replace("&gt;", ">").replace("&amp;", "&")] = dash.group(1) if dash else ""
    return out


def test_each_style_has_one_meaning_in_every_view(seed_text):
    _g, _h, explorer, ordering = _views(seed_text)
    for view in (explorer, ordering):
        svg = _svg_dashes(graph_svg(view))
        for e in view["edges"]:
            if e["marked"]:
                assert e["dashes"] == MARKED_DASHES and svg[e["id"]] == " ".join(map(str, MARKED_DASHES))
            elif e["held_order"]:
                assert e["dashes"] is True and svg[e["id"]] == "5 5"
            else:
                assert e["dashes"] is False and svg[e["id"]] == ""
    assert any(e["held_order"] for e in explorer["edges"]) and any(e["marked"] for e in ordering["edges"])
    styles = {e["kind"]: e["style"] for e in legend(ordering)}
    assert styles["held"] == "dashed" and styles["marked-cycle"] == "dotted"
    assert [e["dashed"] for e in legend(ordering)] == [s == "dashed" for s in styles.values()]


def test_the_report_legend_and_dot_say_the_same(seed_text, seed_splat):
    g, h, explorer, _ordering = _views(seed_text)
    page = report_html(seed_splat)
    shown = re.search(r'<ul class="sk-legend">.*?</ul>', page).group(0)
    assert "2px dashed #c7c7c7" in shown and "order of held locks (no stack)" in shown and "dotted" not in shown
    assert "dotted" in legend_html(graph_view(h, marked=changed_edges(g, h)))
    text = dot(h, h.cycles())
    declared = [line for line in text.splitlines() if '"kvm_lock" -> "cpu_hotplug_lock"' in line]
    held = [line for line in text.splitlines() if '"sb_writers#4" -> "&of->mutex"' in line]
    assert 'style="dotted"' in declared[0] and 'style="dashed"' in held[0]
    assert "dotted" not in dot(g, g.cycles())


def test_shared_positions_place_every_lock_once(seed_text):
    g, h, _explorer, _ordering = _views(seed_text)
    where = shared_positions([g, h])
    assert set(where) == set(g.nx) | set(h.nx)
    for graph in (g, h):
        view = graph_view(graph, where=where)
        assert all((n["x"], n["y"]) == where[n["id"]] for n in view["nodes"])
