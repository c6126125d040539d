"""The ordering-comparison widget at trait level: columns, verdicts, marks, clicks, escaping."""

from __future__ import annotations

import html
import json
import re

import pytest

pytest.importorskip("anywidget")
ipywidgets = pytest.importorskip("ipywidgets")
traitlets = pytest.importorskip("traitlets")

import networkx as nx  # noqa: E402

import splatkit  # noqa: E402
import splatkit.tables  # noqa: E402
from splatkit.render.layout import box_size  # noqa: E402
from splatkit.render.svg import _via  # noqa: E402
from splatkit.render.viewmodel import (MARKED_DASHES, ROUNDNESS, changed_edges, curve_middle, graph_view,  # noqa: E402
                                       label_box)
from splatkit.samples import ORDERINGS, ordering_text  # noqa: E402
from splatkit.widgets import LockGraphWidget, OrderingView, compare_orderings  # noqa: E402

HOSTILE = "</script><img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def graph(seed_text) -> splatkit.LockGraph:
    return splatkit.LockGraph.from_splats(splatkit.parse(seed_text))


@pytest.fixture(scope="module")
def orderings() -> dict[str, str]:
    return {name: ordering_text(name) for name in ORDERINGS}


@pytest.fixture
def view(graph, orderings) -> OrderingView:
    return compare_orderings(graph, orderings)


def _texts(widget) -> list[str]:
    """Every Label value and HTML value under ``widget``, depth first."""
    out = []
    if isinstance(widget, (ipywidgets.Label, ipywidgets.HTML)):
        out.append(widget.value)
    for child in getattr(widget, "children", ()):
        out.extend(_texts(child))
    return out


def test_three_columns_side_by_side_above_the_table(view):
    assert isinstance(view, ipywidgets.VBox)
    assert view.children == (view.legend, view.columns, view.evidence_view, view.table_view)
    # One row that scrolls sideways, never wraps; each column keeps its width.
    assert view.columns.layout.flex_flow == "row nowrap"
    assert view.columns.layout.overflow.split()[0] == "auto"
    assert all(c.layout.flex == "0 0 auto" and c.layout.width.endswith("px") for c in view.columns.children)
    assert list(view.graphs) == list(ORDERINGS)
    assert len(view.columns.children) == 3
    for column, name in zip(view.columns.children, ORDERINGS):
        title, verdict, drawing = column.children
        assert title.value == name and verdict.value == view.verdicts[name]
        assert f"splatkit-ordering-{list(ORDERINGS).index(name)}" in column._dom_classes
        assert drawing is view.graphs[name] and isinstance(drawing, LockGraphWidget)
        json.dumps(drawing.get_state())  # plain JSON to the browser


def test_verdicts_are_compares(view, graph, orderings):
    expected = splatkit.compare(graph, orderings)
    pd_testing = pytest.importorskip("pandas.testing")
    pd_testing.assert_frame_equal(view.table, expected)
    for name, row in expected.iterrows():
        shown = view.verdicts[name]
        assert (shown == "acyclic") == (row["verdict"] == "acyclic")
        if row["cycles"]:
            assert shown.startswith(f"{row['cycles']} cycle")
        assert ("needs a waiting writer" in shown) == bool(row["needs_writer"])
    assert view.verdicts["kvm-usage-lock"] == "acyclic"
    assert view.verdicts["status-quo"] == "1 cycle, needs a waiting writer"
    assert view.verdicts["patch-v1"].startswith("2 cycles")


def test_each_column_draws_its_orderings_graph(view, graph):
    for name, result in view.table.attrs["graphs"].items():
        expected = graph_view(result, marked=changed_edges(graph, result), where=view.positions)
        assert view.graphs[name].nodes == expected["nodes"]
        assert view.graphs[name].edges == expected["edges"]


def test_kvm_usage_lock_column_has_no_cycle_and_the_new_lock(view):
    drawing = view.graphs["kvm-usage-lock"]
    assert "kvm_usage_lock" in [n["id"] for n in drawing.nodes]
    assert not [e for e in drawing.edges if e["cycle"]]
    assert not [n for n in drawing.nodes if n["cycle"]]
    marked = {e["id"] for e in drawing.edges if e["marked"]}
    assert "kvm_usage_lock -> cpu_hotplug_lock" in marked
    # Dotted (short dashes): dashed means an order of held locks, in this view as in every other.
    assert all(e["dashes"] == MARKED_DASHES and e["color"] != "#7f7f7f" for e in drawing.edges if e["marked"])
    assert all(e["dashes"] is True for e in drawing.edges if e["held_order"] and not e["marked"])


def test_declared_edges_are_marked_and_cycles_highlighted(view):
    patch = {e["id"]: e for e in view.graphs["patch-v1"].edges}
    assert patch["kvm_lock -> cpu_hotplug_lock"]["marked"]
    assert not patch["kvm_lock -> &kvm->slots_lock"]["marked"]  # only the splat's evidence
    assert any(e["cycle"] for e in patch.values())
    quo = {e["id"]: e for e in view.graphs["status-quo"].edges}
    # The status quo declares an edge the splat recorded: marked, and still a cycle edge.
    assert quo["cpu_hotplug_lock -> kvm_lock"]["marked"] and quo["cpu_hotplug_lock -> kvm_lock"]["cycle"]
    assert sum(e["marked"] for e in quo.values()) == 1


def test_a_click_selects_the_ordering_and_the_edge(view):
    assert (view.selected, view.selected_edge) == ("", "")
    view.graphs["patch-v1"].selected_edge = "kvm_lock -> cpu_hotplug_lock"  # what a click does
    assert (view.selected, view.selected_edge) == ("patch-v1", "kvm_lock -> cpu_hotplug_lock")
    view.select("status-quo", "cpu_hotplug_lock -> kvm_lock")
    assert (view.selected, view.selected_edge) == ("status-quo", "cpu_hotplug_lock -> kvm_lock")
    assert view.graphs["patch-v1"].selected_edge == ""  # one selection across the columns
    # The same dependency in another column is a new click there.
    view.graphs["patch-v1"].selected_edge = "cpu_hotplug_lock -> kvm_lock"
    assert view.selected == "patch-v1"
    assert isinstance(view.selected, str) and isinstance(view.selected_edge, str)


def test_unknown_selection_is_refused(view):
    with pytest.raises(KeyError, match="no ordering named 'nope'"):
        view.select("nope", "")
    with pytest.raises(traitlets.TraitError, match="is not an edge of this graph"):
        view.select("kvm-usage-lock", "cpu_hotplug_lock -> kvm_lock")  # the split removed it
    assert view.selected == ""


def test_orderings_may_be_ordering_objects(graph):
    o = splatkit.Ordering.parse("- cpu_hotplug_lock -> kvm_lock", name="drop")
    view = compare_orderings(graph, {"drop": o})
    assert view.verdicts == {"drop": "acyclic"} and list(view.graphs) == ["drop"]


def test_hostile_lock_name_is_escaped_only_in_the_table(graph, orderings):
    hostile = f"kvm_lock -> {HOSTILE}\n{HOSTILE} -> cpu_hotplug_lock\n"
    view = compare_orderings(graph, {**orderings, "hostile": hostile})
    assert len(view.columns.children) == 4
    assert HOSTILE in [n["id"] for n in view.graphs["hostile"].nodes]  # plain data; the JS draws text
    view.select("hostile", f"kvm_lock -> {HOSTILE}")  # the evidence panel names it, escaped
    assert html.escape(HOSTILE) in view.evidence_view.value and HOSTILE not in view.evidence_view.value
    assert f"kvm_lock -&gt; {html.escape(HOSTILE)}" in view.evidence_view.value  # the ordering line
    table = view.table_view.value
    assert html.escape(HOSTILE) in table
    assert HOSTILE not in table and "<img" not in table and "</script>" not in table
    for text in _texts(view):  # headers are Labels (textContent); no HTML carries the raw name
        if text is not table:
            assert HOSTILE not in text
    static = view.static_html()
    assert "<img src=x" not in static and "</script><img" not in static
    assert view.verdicts["hostile"].startswith("2 cycles")


def test_the_ordering_name_is_text_in_a_label(graph):
    view = compare_orderings(graph, {HOSTILE: "- cpu_hotplug_lock -> kvm_lock"})
    title = view.columns.children[0].children[0]
    assert isinstance(title, ipywidgets.Label) and not isinstance(title, ipywidgets.HTML)
    assert title.value == HOSTILE
    assert HOSTILE not in view.table_view.value and html.escape(HOSTILE) in view.table_view.value


def test_an_ordering_with_too_many_cycles_says_so(graph):
    dense = "\n".join(f"l{a} -> l{b}" for a in range(12) for b in range(12) if a != b)
    view = compare_orderings(graph, {"dense": dense})
    assert view.verdicts["dense"] == "more than 1000 cycles (the cycle search stopped there)"
    assert not view.table.loc["dense", "complete"]
    assert any("dense: the lock graph has more than 1000" in p for p in view.table.loc["dense", "problems"])


# ---- item 7 of issue 11: readable, comparable columns ----------------------------------


def test_every_column_puts_a_lock_class_at_the_same_place(view):
    seen: dict[str, tuple[float, float]] = {}
    for drawing in view.graphs.values():
        assert drawing.viewport == view.viewport  # the same region, at the same zoom
        for node in drawing.nodes:
            assert seen.setdefault(node["id"], (node["x"], node["y"])) == (node["x"], node["y"])
    # The union: a lock class only one ordering brings (kvm_usage_lock) has its own place too.
    assert {"kvm_usage_lock", "kvm_lock", "cpu_hotplug_lock"} <= set(seen)
    boxes = [(x - box_size(n)[0] / 2, y - box_size(n)[1] / 2, x + box_size(n)[0] / 2, y + box_size(n)[1] / 2)
             for n, (x, y) in seen.items()]
    vp = view.viewport
    assert all(vp["x0"] <= b[0] and b[2] <= vp["x1"] and vp["y0"] <= b[1] and b[3] <= vp["y1"] for b in boxes)
    # The static pictures are framed alike: one viewBox for every column.
    boxes_seen = {re.search(r'viewBox="([^"]+)"', d.static_svg).group(1) for d in view.graphs.values()}
    assert len(boxes_seen) == 1


def test_labels_are_readable_at_the_columns_zoom(view):
    options = next(iter(view.graphs.values())).options
    smallest = min(options["edges"]["font"]["size"], options["nodes"]["font"]["size"])
    assert smallest * view.viewport["scale"] >= 11
    # The drawing is as big as the region at that zoom: nothing is cut off, so the row scrolls.
    vp = view.viewport
    for column, drawing in zip(view.columns.children, view.graphs.values()):
        assert int(column.layout.width[:-2]) >= (vp["x1"] - vp["x0"]) * vp["scale"]
        assert int(drawing.height[:-2]) >= (vp["y1"] - vp["y0"]) * vp["scale"]


def test_every_cycle_of_every_column_is_highlighted(view):
    for name, result in view.table.attrs["graphs"].items():
        edges = {(e["from"], e["to"]): e for e in view.graphs[name].edges}
        nodes = {n["id"]: n for n in view.graphs[name].nodes}
        cycles = list(nx.simple_cycles(result.nx))
        assert len(cycles) == view.table.loc[name, "cycles"]  # what the header says is what is red
        for cycle in cycles:
            for i, lock in enumerate(cycle):
                edge = edges[lock, cycle[(i + 1) % len(cycle)]]
                assert edge["cycle"] and edge["color"] == "#d62728", (name, cycle)
                assert nodes[lock]["cycle"]
        on_cycle = {(a, b) for c in cycles for a, b in zip(c, c[1:] + c[:1])}
        assert {k for k, e in edges.items() if e["cycle"]} == on_cycle  # and nothing else is red
    assert len(view.graphs["patch-v1"].edges) and view.verdicts["patch-v1"].startswith("2 cycles")


def test_opposite_dependencies_bend_apart_with_their_labels_apart(view):
    edges = {(e["from"], e["to"]): e for e in view.graphs["patch-v1"].edges}
    pairs = [(a, b) for a, b in edges if (b, a) in edges and a < b]
    assert pairs == [("cpu_hotplug_lock", "kvm_lock")]
    where = view.positions
    for a, b in pairs:
        there, back = edges[a, b], edges[b, a]
        r1 = there.get("smooth", {}).get("roundness", ROUNDNESS)
        r2 = back.get("smooth", {}).get("roundness", ROUNDNESS)
        assert there["label"] and back["label"]
        # The control points lie on opposite sides of the line between the two lock classes.
        pa, pb = where[a], where[b]
        side = [((pb[0] - pa[0]) * (c[1] - pa[1]) - (pb[1] - pa[1]) * (c[0] - pa[0]))
                for c in (_via(pa, pb, r1), _via(pb, pa, r2))]
        assert side[0] * side[1] < 0
        one = label_box(curve_middle(pa, pb, r1), there["label"])
        two = label_box(curve_middle(pb, pa, r2), back["label"])
        assert not (one[0] < two[2] and two[0] < one[2] and one[1] < two[3] and two[1] < one[3])
        # The static picture bends them the same way: two different curves.
        svg = view.graphs["patch-v1"].static_svg
        paths = [re.search(rf'data-sk-edge="{re.escape(html.escape(e["id"]))}">.*?<path d="([^"]+)"', svg).group(1)
                 for e in (there, back)]
        assert paths[0] != paths[1]


def test_a_click_on_a_declared_dependency_shows_the_ordering_line(view, orderings):
    assert view.evidence.empty and "Click an arrow" in view.evidence_view.value
    view.select("patch-v1", "kvm_lock -> cpu_hotplug_lock")
    line_no = next(i for i, line in enumerate(orderings["patch-v1"].splitlines(), 1)
                   if line.startswith("kvm_lock -> cpu_hotplug_lock"))
    row = view.evidence.iloc[0]
    assert row["from"] == f"ordering patch-v1, line {line_no}"
    assert row["says"] == orderings["patch-v1"].splitlines()[line_no - 1].strip()
    assert row["function"] == "hardware_enable_all" and row["taken as"] == "rlock"
    assert view.frames.empty and "No stack: this dependency was declared" in view.evidence_view.value
    assert html.escape(row["says"]) in view.evidence_view.value


def test_a_click_on_a_recorded_dependency_shows_the_splat_entry_and_stack(view, graph, seed_text):
    view.select("patch-v1", "cpu_hotplug_lock -> kvm_lock")
    splat = splatkit.parse(seed_text)[0]
    (entry,) = [e for h, a, e in splat.dependencies() if (h, a) == ("cpu_hotplug_lock", "kvm_lock")]
    row = view.evidence.iloc[0]
    assert row["from"] == f"splat 0, chain entry #{entry.index}" and row["says"] == splat.title
    # The stack of that entry, as the explorer's stack table shows it.
    expected = splatkit.tables.stack_table(entry.frames, blamed="set_nx_huge_pages")
    assert view.frames["function"].tolist() == expected["function"].tolist()
    assert f"chain entry #{entry.index}" in view.evidence_view.value
    assert "kvm_dev_ioctl" in view.evidence_view.value
    # The status quo declared it too: both pieces of evidence are listed.
    view.select("status-quo", "cpu_hotplug_lock -> kvm_lock")
    assert [f.split(",")[0] for f in view.evidence["from"]] == ["splat 0", "ordering status-quo"]


def test_the_legend_lists_what_the_columns_draw(view):
    legend = view.legend.value
    kinds = {e["cycle"] for d in view.graphs.values() for e in d.edges}
    assert ("a dependency cycle" in legend) == (True in kinds)
    assert "declared or moved by the ordering" in legend and "dotted #1f77b4" in legend
    assert "order of held locks (no stack)" in legend and "dashed #c7c7c7" in legend
    assert legend in view.static_html()
    # Nothing declared, nothing dotted: the legend lists only what is drawn.
    plain = compare_orderings(view.table.attrs["graphs"]["kvm-usage-lock"], {"as is": ""}).legend.value
    assert "declared" not in plain and "dotted" not in plain and "a dependency cycle" not in plain
