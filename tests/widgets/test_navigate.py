"""The explorer on big graphs (issue 11, item 6): a generated /proc/lockdep dump of 1,000 lock
classes with two real reports merged in (the seed, and the seed with a hostile lock name):
search, the cycle list, the report filter and the neighbourhood with its radius, asserted on
the Python-side state and on what the drawing is given."""

from __future__ import annotations

import html

import networkx as nx
import pytest

pytest.importorskip("anywidget")

import splatkit  # noqa: E402
from conftest import read_log  # noqa: E402
from splatkit.render.navigate import BIG_GRAPH, MAX_SHOWN, find_locks  # noqa: E402
from splatkit.synthetic import big_lock_graph  # noqa: E402
from splatkit.widgets import Explorer  # noqa: E402

HOSTILE = "</script><img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def splats(seed_text):
    hostile = seed_text.replace("kvm_lock", HOSTILE)
    return (*splatkit.parse(seed_text), *splatkit.parse(hostile))


@pytest.fixture(scope="module")
def big(splats):
    return big_lock_graph(1000, splats)


@pytest.fixture
def explorer(splats, big):
    return Explorer(splats, graph=big)


def _drawn(explorer) -> set[str]:
    return {n["id"] for n in explorer.graph.nodes}


def _within(graph, centres, radius) -> set[str]:
    undirected = graph.nx.to_undirected(as_view=True)
    far = nx.multi_source_dijkstra_path_length(undirected, set(centres), cutoff=radius)
    return set(far)


def test_a_big_graph_starts_on_the_first_cycle_and_says_so(explorer, big, splats):
    assert len(big.nx) >= 1000 > BIG_GRAPH and explorer.scope.big
    cycle = explorer.cycles[0]
    assert set(cycle) == set(splats[0].cycle) and explorer.cycle_index == 0
    drawn = _drawn(explorer)
    assert set(cycle) <= drawn and len(cycle) < len(drawn) <= MAX_SHOWN
    assert drawn <= _within(big, cycle, explorer.radius)
    # The picked cycle is drawn wider and framed; the view says what it shows of what.
    picked = {(e["from"], e["to"]) for e in explorer.graph.edges if e.get("picked")}
    assert picked == {(cycle[i], cycle[(i + 1) % len(cycle)]) for i in range(len(cycle))}
    assert explorer.frame == explorer.graph.frame == list(cycle)
    assert f"has {len(big.nx):,} lock classes" in explorer.scope_note
    within = f"{explorer.radius} dependenc{'y' if explorer.radius == 1 else 'ies'}"
    assert f"showing the {len(drawn)} within {within} of the cycle {cycle[0]}" in explorer.scope_note
    assert explorer.scope_view.value == f'<p class="sk-note">{html.escape(explorer.scope_note)}</p>'
    assert explorer.focus == cycle[0]
    # Every edge the drawing has can be selected, and the selection is one of them.
    assert explorer.selected_edge in {e["id"] for e in explorer.graph.edges}


def test_the_radius_bounds_the_neighbourhood(explorer, big):
    cycle = explorer.cycles[0]
    sizes = {}
    for radius in (0, 1, 3):
        explorer.radius = radius
        drawn = _drawn(explorer)
        assert set(cycle) <= drawn <= _within(big, cycle, radius) and len(drawn) <= MAX_SHOWN
        sizes[radius] = len(drawn)
    assert sizes[0] == len(cycle) < sizes[1] < sizes[3]
    assert explorer.radius_box.value == 3 and "within 3 dependencies" in explorer.scope_note


def test_search_selects_and_frames_a_lock_far_away(explorer, big):
    far = next(n for n in sorted(map(str, big.nx)) if n not in _drawn(explorer) and n.startswith("&obj_"))
    explorer.search = far
    assert explorer.focus == far and explorer.graph.selected_node == far and explorer.cycle_index == -1
    assert far in _drawn(explorer) and _drawn(explorer) <= _within(big, [far], explorer.radius)
    # No stack for a dependency of the dump, and the caption says why.
    assert "the source of this dependency prints none (proc)" in explorer.frames_view.value
    assert explorer.frame == [far]
    assert explorer.lock_class and html.escape(far) in explorer.lock_view.value
    assert f"within {explorer.radius} dependency of {far}" in explorer.scope_note
    # Text that several names contain only lists them; the box's value is the trait.
    explorer.search_box.value = "kvm->s"
    assert explorer.search == "kvm->s" and explorer.matches == find_locks(big, "kvm->s")
    assert explorer.matches == ["&kvm->slots_lock", "&kvm->srcu"] and explorer.focus == far
    assert explorer.search_status.value == "2 lock classes match; pick one"
    assert explorer.find("&kvm->srcu") == "&kvm->srcu" and explorer.focus == "&kvm->srcu"
    with pytest.raises(splatkit.errors.UnknownLock, match="no lock class 'kvm_lokc'.*closest: 'kvm_lock'"):
        explorer.find("kvm_lokc")


def test_picking_a_cycle_draws_frames_and_selects_it(explorer, big):
    assert len(explorer.cycles) >= 2
    target = next(i for i, c in enumerate(explorer.cycles) if HOSTILE in c)
    locks = explorer.pick_cycle(target)
    assert explorer.cycle_index == target == explorer.cycle_list.value
    assert set(locks) <= _drawn(explorer) and explorer.frame == list(locks)
    assert explorer.selected_edge == f"{locks[0]} -> {locks[1]}"
    assert {(e["from"], e["to"]) for e in explorer.graph.edges if e.get("picked")} == {
        (locks[i], locks[(i + 1) % len(locks)]) for i in range(len(locks))}
    # The stack shown is that dependency's, with the hostile name escaped.
    assert "<img" not in explorer.frames_view.value + explorer.lock_view.value
    with pytest.raises(IndexError, match=f"no cycle 999: this graph has {len(explorer.cycles)}"):
        explorer.pick_cycle(999)


def test_the_report_filter_keeps_one_reports_dependencies(explorer, splats):
    explorer.report_list.value = 1
    assert explorer.report_filter == 1
    evidence = [ev for e in explorer.graph.edges for ev in e["evidence"]]
    assert evidence and {ev["splat"] for ev in evidence} == {1}
    # One report's graph is small: drawn whole, nothing said about a neighbourhood.
    assert not explorer.scope.big and explorer.scope_note == "" and explorer.focus == ""
    assert explorer.radius_box.layout.display == "none"
    assert [set(c) for c in explorer.cycles] == [set(splats[1].cycle)] and explorer.cycle_index == 0
    explorer.report_filter = -1
    assert explorer.scope.big and len(explorer.cycles) >= 2
    with pytest.raises(Exception, match="report_filter=5: use -1"):
        explorer.report_filter = 5
    assert explorer.report_filter == -1  # (refused, not kept)


def test_hostile_names_stay_text(explorer):
    target = next(i for i, c in enumerate(explorer.cycles) if HOSTILE in c)
    explorer.pick_cycle(target)
    page = explorer.static_html()
    assert HOSTILE not in page and html.escape(HOSTILE) in page
    assert HOSTILE not in explorer.scope_view.value and html.escape(HOSTILE) in explorer.scope_view.value
    # Dropdown and Combobox options are drawn as text by ipywidgets: the name is kept as is.
    assert any(HOSTILE in label for label, _ in explorer.cycle_list.options)
    assert HOSTILE in explorer.search_box.options


def test_a_small_graph_is_drawn_whole(seed_splat):
    explorer = Explorer([seed_splat])
    assert not explorer.scope.big and explorer.focus == "" and explorer.scope_note == ""
    assert len(explorer.graph.nodes) == len(splatkit.LockGraph.from_splats(seed_splat).nx)
    explorer.search = "srcu"
    assert explorer.graph.selected_node == "&kvm->srcu" and explorer.frame == ["&kvm->srcu"]
    assert len(explorer.graph.nodes) == len(splatkit.LockGraph.from_splats(seed_splat).nx)
    # The one cycle, picked again, is framed; drawn as the only red one, it needs no wider arrows,
    # and the small graph's drawing (and the notebook saving it) goes without the framing code.
    explorer.pick_cycle(0)
    assert explorer.frame == list(explorer.cycles[0]) and explorer.selected_edge == "kvm_lock -> &kvm->slots_lock"
    assert not any(e.get("picked") for e in explorer.graph.edges) and explorer.navigation is None
    assert type(explorer.graph).__name__ == "LockGraphWidget" and not explorer.graph.has_trait("frame")


def test_picking_another_cycle_draws_the_first_as_it_was(seed_splat):
    """``emphasise`` on a view already emphasised: only the cycle picked last is drawn wide."""
    from splatkit.graph import LockGraph
    from splatkit.render.navigate import emphasise
    from splatkit.render.viewmodel import graph_view

    view = graph_view(LockGraph.from_splats([seed_splat]))
    widths = {e["id"]: e["width"] for e in view["edges"]}
    emphasise(view, view["cycles"][0])
    assert {e["id"] for e in view["edges"] if e["width"] != widths[e["id"]]} == {
        e["id"] for e in view["edges"] if e["cycle"]}
    emphasise(view, [])
    assert {e["id"]: e["width"] for e in view["edges"]} == widths
    assert not any("picked" in item or "borderWidth" in item for item in view["nodes"] + view["edges"])


def test_a_report_without_a_cycle_frames_none(corpus_dir):
    """An irq report whose task holds a lock class twice (a read lock taken again): no loop of
    held-lock order is drawn or listed as a cycle, nothing is framed, and the report's own
    acquisition is the one selected; a recursive report's loop (what it is about) is picked."""
    from splatkit.render.kind_view import kind_view

    seen = set()
    for path in sorted((corpus_dir / "report").iterdir()):
        for splat in splatkit.parse(read_log(path))[:1]:
            if splat.cycle or splat.kind not in ("irq_safe_unsafe", "recursive") or splat.kind in seen:
                continue
            explorer = Explorer([splat])
            names = [h.lock.name for h in splat.held_locks]
            if splat.kind == "irq_safe_unsafe" and len(set(names)) < len(names):
                assert explorer.cycles == [] and explorer.cycle_index == -1 and explorer.frame == [], path.name
                assert not any(e["cycle"] for e in explorer.graph.edges)
                assert explorer.selected_edge in {f"{d.held} -> {d.acquired}" for d in kind_view(splat).dependencies}
                seen.add(splat.kind)
                continue
            if not explorer.cycles:
                continue
            about = {(d.held, d.acquired) for d in kind_view(splat).dependencies}
            through = [i for i, c in enumerate(explorer.cycles)
                       if any((c[j], c[(j + 1) % len(c)]) in about for j in range(len(c)))]
            if splat.kind == "recursive":
                assert explorer.cycle_index == through[0] and explorer.frame == []
            elif not through:
                assert explorer.cycle_index == -1 and explorer.frame == [], path.name
                assert not any(e.get("picked") for e in explorer.graph.edges)
                assert explorer.selected_edge in {f"{a} -> {b}" for a, b in about}
                assert explorer.cycle_list.options[0][1] == -1  # ("N cycles: pick one")
            else:
                continue
            seen.add(splat.kind)
    assert seen == {"irq_safe_unsafe", "recursive"}
