"""Saving a graph view: SVG (the static picture), DOT (the CLI's writer), PNG (asked of the browser)."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

import pytest

pytest.importorskip("anywidget")
pytest.importorskip("ipywidgets")

import splatkit  # noqa: E402
from cli.test_graph import _read_dot  # noqa: E402  (tests/cli: DOT read back as Graphviz does)
from splatkit.errors import SplatkitError  # noqa: E402
from splatkit.render.viewmodel import graph_view  # noqa: E402
from splatkit.widgets import LockGraphWidget, compare_orderings, explore  # noqa: E402

HOSTILE = "</script><img src=x onerror=alert(1)>"
SVG_NS = "{http://www.w3.org/2000/svg}"
#: The smallest PNG there is (1x1), as a browser's canvas.toDataURL gives it.
PNG_1x1 = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


def _texts(path) -> set[str]:
    root = ET.parse(path).getroot()  # a well-formed XML document, or this raises
    assert root.tag == f"{SVG_NS}svg"
    assert not [e for e in root.iter() if e.tag.split("}")[-1] in ("script", "foreignObject", "img", "a")]
    assert not [k for e in root.iter() for k in e.attrib if k.lower().startswith("on")]
    # Each lock class is a group naming it (data-sk-node) around its box and label.
    nodes = {e.get("data-sk-node") for e in root.iter(f"{SVG_NS}g") if e.get("data-sk-node") is not None}
    labels = {"".join(e.itertext()) for e in root.iter(f"{SVG_NS}text")}
    return nodes | labels


def test_save_svg_of_the_seed_names_its_locks(seed_text, tmp_path):
    explorer = explore(seed_text)
    path = explorer.save_svg(tmp_path / "seed.svg")
    assert path == tmp_path / "seed.svg"
    assert path.read_text(encoding="utf-8").startswith('<?xml version="1.0" encoding="UTF-8"?>\n<svg ')
    texts = _texts(path)
    assert set(explorer.lock_graph.nx.nodes) <= texts
    assert {"kvm_lock", "cpu_hotplug_lock", "&kvm->srcu"} <= texts


def test_save_svg_escapes_hostile_names(seed_text, tmp_path):
    explorer = explore(seed_text.replace("kvm_lock", HOSTILE))
    path = explorer.save_svg(tmp_path / "hostile.svg")
    assert HOSTILE not in path.read_text(encoding="utf-8")
    assert HOSTILE in _texts(path)  # the name is there, as text


def test_dot_of_the_explorer_is_the_lock_graph(seed_text, tmp_path):
    explorer = explore(seed_text.replace("kvm_lock", HOSTILE + '"\\'))
    text = explorer.to_dot()
    g = _read_dot(text)
    assert set(g.nodes) == set(explorer.lock_graph.nx.nodes) and HOSTILE + '"\\' in g.nodes
    assert set(g.edges) == set(explorer.lock_graph.nx.edges)
    assert {n for n, d in g.nodes(data=True) if d.get("in_cycle") == "true"} == set(explorer.splat.cycle or ())
    path = explorer.save_dot(tmp_path / "seed.dot")
    assert path.read_text(encoding="utf-8") == text


def test_the_dot_button_gets_the_dot_from_the_kernel(seed_text):
    widget = explore(seed_text).graph
    sent = []
    widget.send = sent.append
    widget._on_message(widget, {"type": "splatkit-need-dot"}, [])
    assert sent == [{"type": "splatkit-dot", "dot": widget.to_dot()}]
    bare = LockGraphWidget.from_view({"nodes": widget.nodes, "edges": widget.edges})
    bare.send = sent.append
    bare._on_message(bare, {"type": "splatkit-need-dot"}, [])
    assert "without its lock graph" in sent[-1]["error"]
    with pytest.raises(SplatkitError, match="lock_graph=G"):
        bare.to_dot()


def test_ordering_view_exports_each_column(seed_splat, tmp_path):
    G = splatkit.LockGraph.from_splats([seed_splat])
    view = compare_orderings(G, {"today": "", "patch": "kvm_lock -> cpu_hotplug_lock"})
    for name, widget in view.graphs.items():
        assert _read_dot(view.to_dot(name)).edges == _read_dot(widget.to_dot()).edges
        assert set(view.graphs[name].lock_graph.nx.nodes) <= _texts(view.save_svg(tmp_path / f"{name}.svg", name))
    with pytest.raises(KeyError, match="'today', 'patch'"):
        view.save_svg(tmp_path / "x.svg")
    with pytest.raises(KeyError, match="no ordering named 'nope'"):
        view.to_dot("nope")


def test_save_png_needs_a_shown_view(seed_text, tmp_path):
    explorer = explore(seed_text)
    with pytest.raises(SplatkitError, match="shown in a live notebook"):
        explorer.save_png(tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_save_png_writes_what_the_view_sends(seed_text, tmp_path):
    widget = explore(seed_text).graph
    sent = []
    widget.send = sent.append
    widget._on_message(widget, {"type": "splatkit-view"}, [])  # a browser drew it
    future = widget.save_png(tmp_path / "seed.png")
    assert not future.done() and sent == [{"type": "splatkit-png-request", "id": 1}]
    data = "data:image/png;base64," + base64.b64encode(PNG_1x1).decode()
    widget._on_message(widget, {"type": "splatkit-png", "id": 1, "data": data}, [])
    widget._on_message(widget, {"type": "splatkit-png", "id": 1, "data": data}, [])  # a second view: ignored
    assert future.result(timeout=0) == tmp_path / "seed.png"
    assert (tmp_path / "seed.png").read_bytes() == PNG_1x1
    failed = widget.save_png(tmp_path / "bad.png")
    widget._on_message(widget, {"type": "splatkit-png", "id": 2, "error": "tainted canvas"}, [])
    with pytest.raises(SplatkitError, match="tainted canvas"):
        failed.result(timeout=0)


def test_an_empty_graph_has_no_picture_to_save(tmp_path):
    widget = LockGraphWidget.from_view(graph_view(splatkit.LockGraph()))
    with pytest.raises(SplatkitError, match="nothing to draw"):
        widget.save_svg(tmp_path / "empty.svg")
