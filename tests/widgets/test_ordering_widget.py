"""The ordering-comparison widget at trait level: columns, verdicts, marks, clicks, escaping."""

from __future__ import annotations

import html
import json

import pytest

pytest.importorskip("anywidget")
ipywidgets = pytest.importorskip("ipywidgets")
traitlets = pytest.importorskip("traitlets")

import splatkit  # noqa: E402
from splatkit.render.viewmodel import changed_edges, graph_view  # noqa: E402
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
    assert view.children == (view.columns, view.table_view)
    assert view.columns.layout.flex_flow == "row wrap"
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
        expected = graph_view(result, marked=changed_edges(graph, result))
        assert view.graphs[name].nodes == expected["nodes"]
        assert view.graphs[name].edges == expected["edges"]


def test_kvm_usage_lock_column_has_no_cycle_and_the_new_lock(view):
    drawing = view.graphs["kvm-usage-lock"]
    assert "kvm_usage_lock" in [n["id"] for n in drawing.nodes]
    assert not [e for e in drawing.edges if e["cycle"]]
    assert not [n for n in drawing.nodes if n["cycle"]]
    marked = {e["id"] for e in drawing.edges if e["marked"]}
    assert "kvm_usage_lock -> cpu_hotplug_lock" in marked
    assert all(e["dashes"] and e["color"] != "#7f7f7f" for e in drawing.edges if e["marked"])


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
    table = view.table_view.value
    assert html.escape(HOSTILE) in table
    assert HOSTILE not in table and "<img" not in table and "</script>" not in table
    for text in _texts(view):  # headers are Labels (textContent); no HTML carries the raw name
        if text is not table:
            assert HOSTILE not in text
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
