"""The notebook widgets at trait level, without a browser: what Python sees and sends."""

from __future__ import annotations

import html
import json

import pytest

pytest.importorskip("anywidget")
ipywidgets = pytest.importorskip("ipywidgets")
traitlets = pytest.importorskip("traitlets")

from conftest import static_pictures  # noqa: E402
from splatkit.graph import LockGraph  # noqa: E402
from splatkit.render.snapshot import image_svg  # noqa: E402
from splatkit.render.assets import lock_graph_assets, vis_network_assets  # noqa: E402
from splatkit.render.viewmodel import graph_view, network_options  # noqa: E402
from splatkit.widgets import Explorer, LockGraphWidget, explore  # noqa: E402

NEW = "kvm_lock -> &kvm->slots_lock"
SRCU_CPUHP = "&kvm->srcu -> cpu_hotplug_lock"
HELD_ORDER = "sb_writers#4 -> &of->mutex"
HOSTILE = "</script><img src=x onerror=alert(1)>"


@pytest.fixture
def explorer(seed_text) -> Explorer:
    return explore(seed_text)


def test_explore_text_builds_an_explorer(explorer, seed_splat):
    assert isinstance(explorer, ipywidgets.VBox)
    assert explorer.splat == seed_splat and explorer.splats == (seed_splat,)
    assert isinstance(explorer.graph, LockGraphWidget)
    # The graph across the width, the clicked lock class, the chain, the internals toggle, the stack
    # (a circular report's own view: no kind panel below it; no search box or cycle list for
    # one report's 8 classes and one cycle).
    assert explorer.navigation is None
    assert explorer.children == (explorer.graph, explorer.lock_view, explorer.chain_view, explorer.internals,
                                 explorer.frames_view)
    assert explorer.kind_view.view == "circular" and explorer.kind_panel is None


def test_graph_traits_are_the_view_model(explorer, seed_splat):
    # One report, one cycle: drawn whole (no pick to stand out, no frame); picking it frames it.
    view = graph_view(LockGraph.from_splats(seed_splat), cycle=seed_splat.cycle)
    assert explorer.frame == [] and explorer.cycle_index == 0
    assert explorer.graph.nodes == view["nodes"]
    assert explorer.graph.edges == view["edges"]
    assert explorer.graph.options == network_options()
    json.dumps(explorer.graph.get_state())  # everything synced to the browser is plain JSON


def test_first_selection_is_the_new_dependency(explorer):
    assert explorer.selected_edge == NEW
    # Chain entry #0's stack has 14 frames; lockdep's two and __mutex_lock are hidden, the
    # call that takes the lock stays, marked with how, and the function syzbot blames is marked.
    assert explorer.frames["function"].tolist()[:3] == ["mutex_lock_nested", "set_nx_huge_pages", "param_attr_store"]
    assert len(explorer.frames) == 11 and explorer.frames.attrs["hidden"] == {"lockdep": 2, "locking": 1}
    assert explorer.frames["note"].tolist()[:2] == ["takes it: mutex", "syzbot blames it"]
    assert explorer.frames["module"].tolist()[1] == "kvm"
    shown = explorer.frames_view.value
    assert "__lock_acquire" not in shown and "3 frames hidden: 2 of lockdep, 1 of the locking API." in shown
    assert '<tr class="sk-blamed"><td>set_nx_huge_pages</td><td>+0x179/0x1e0</td><td>kvm</td>' in shown


def test_the_toggle_shows_the_internals_greyed(explorer):
    assert explorer.internals.value is False and explorer.show_internals is False
    explorer.internals.value = True  # what a click on the checkbox does
    assert explorer.show_internals is True
    assert explorer.frames["function"].tolist()[:5] == [
        "__lock_acquire", "lock_acquire", "__mutex_lock", "mutex_lock_nested", "set_nx_huge_pages"]
    assert explorer.frames["role"].tolist()[:5] == ["lockdep", "lockdep", "locking", "takes it", "code"]
    assert explorer.frames_view.value.count('<tr class="sk-dim">') == 3 and "hidden" not in explorer.frames_view.value
    explorer.show_internals = False
    assert explorer.internals.value is False and len(explorer.frames) == 11


def test_tables_hold_no_missing_value_markers(explorer):
    for edge in explorer.graph.edges:
        explorer.selected_edge = edge["id"]
        for table in (explorer.chain, explorer.frames):
            assert not table.isna().any().any()
            assert not table.map(lambda v: v is None or str(v) in ("nan", "None", "NaN", "<NA>")).any().any()
        for view in (explorer.chain_view, explorer.frames_view):
            assert not any(f"<td>{marker}</td>" in view.value for marker in ("None", "nan", "NaN", "<NA>"))


def test_selecting_an_edge_switches_the_frames(explorer):
    explorer.graph.selected_edge = SRCU_CPUHP  # what a click in the browser does
    assert explorer.selected_edge == SRCU_CPUHP
    # The percpu-rwsem taken for read, the static-key call the code made, then the code.
    assert explorer.frames["function"].tolist()[:3] == ["cpus_read_lock", "static_key_slow_inc", "kvm_lapic_set_base"]
    assert explorer.frames["note"].iloc[0] == "takes it: percpu-rwsem for read"
    shown = explorer.frames_view.value
    assert "&amp;kvm-&gt;srcu \u2192 cpu_hotplug_lock" in shown and "kvm_lapic_set_base" in shown
    assert '<tr data-sk-edge="&amp;kvm-&gt;srcu -&gt; cpu_hotplug_lock" class="sk-selected">' in (
        explorer.chain_view.value)


def test_selected_edge_property_sets_the_trait(explorer):
    explorer.selected_edge = "cpu_hotplug_lock -> kvm_lock"
    assert explorer.graph.selected_edge == "cpu_hotplug_lock -> kvm_lock"
    assert explorer.frames["function"].tolist()[:2] == ["mutex_lock_nested", "kvm_dev_ioctl"]


def test_held_order_edge_has_no_stack(explorer):
    explorer.selected_edge = HELD_ORDER
    assert explorer.frames.empty and list(explorer.frames.columns)[0] == "function"
    assert "No stack" in explorer.frames_view.value


def test_unknown_edge_is_refused_with_the_known_ids(explorer):
    with pytest.raises(traitlets.TraitError, match=r"is not an edge of this graph.*'kvm_lock -> &kvm->slots_lock'"):
        explorer.selected_edge = "kvm_lock -> nothing"
    assert explorer.selected_edge == NEW


def test_unknown_node_is_refused(explorer):
    explorer.graph.selected_node = "&kvm->srcu"
    with pytest.raises(traitlets.TraitError, match="is not a node of this graph"):
        explorer.graph.selected_node = "no such lock"


def test_explore_accepts_a_splat_and_a_list(seed_splat):
    assert explore(seed_splat).splats == (seed_splat,)
    merged = explore([seed_splat, seed_splat])
    assert merged.splats == (seed_splat, seed_splat)
    assert "<th>splat</th>" in merged.chain_view.value


@pytest.mark.parametrize(("source", "error", "message"), [
    ("no report in here\n", ValueError, "no lockdep report found"),
    ([], ValueError, "at least one splat"),
    ([42], TypeError, "the list holds int"),
])
def test_explore_refuses_what_it_cannot_show(source, error, message):
    with pytest.raises(error, match=message):
        explore(source)


def test_widget_esm_is_the_shared_lock_graph_js():
    """The widget runs the report's drawing code, minified (rjsmin) to keep saved state small:
    every identifier the code defines or calls is still there, and it is smaller."""
    import re

    w = LockGraphWidget()
    js = lock_graph_assets().js
    assert w._esm.endswith("\nexport default splatkitLockGraph.widget;\n")
    body = w._esm.removesuffix("\nexport default splatkitLockGraph.widget;\n")
    assert len(body) < 0.8 * len(js)
    names = set(re.findall(r"\bfunction\s+(\w+)", js)) | set(re.findall(r"\b(?:const|let)\s+(\w+)\s*=", js))
    assert len(names) > 10 and all(re.search(rf"\b{n}\b", body) for n in names)
    strings = re.findall(r'"(splatkit-[\w-]+)"', js)
    assert strings and all(s in body for s in strings)
    assert ".splatkit-graph" in w._css and ".splatkit-tables th" in w._css and ".splatkit-report" not in w._css


def test_widget_state_carries_no_vis_network(explorer):
    """vis-network is sent on request, once per page: none of it is state a notebook saves."""
    vis = vis_network_assets()
    state = json.dumps(explorer.graph.get_state())
    assert vis.js[:200] not in state and ".vis-network-tooltip" not in state and "vis-tooltip" not in state
    assert len(state) < 40_000


def test_a_view_asking_for_vis_network_gets_it_in_a_custom_message(explorer, monkeypatch):
    sent = []
    monkeypatch.setattr(explorer.graph, "send", lambda content, buffers=None: sent.append(content))
    explorer.graph._handle_custom_msg({"type": "something else"}, [])
    assert sent == []
    explorer.graph._handle_custom_msg({"type": "splatkit-need-vis"}, [])
    vis = vis_network_assets()
    assert sent == [{"type": "splatkit-vis", "js": vis.js, "css": vis.css}]


def test_the_static_picture_is_the_view_model_drawn(explorer):
    svg = explorer.graph.static_svg
    assert svg.startswith('<svg class="splatkit-svg"') and svg.endswith("</svg>")
    for node in explorer.graph.nodes:
        assert f'data-sk-node="{html.escape(node["id"])}"' in svg
    for edge in explorer.graph.edges:
        assert f'data-sk-edge="{html.escape(edge["id"])}"' in svg
    assert svg.count('stroke="#d62728"') == 4  # the four cycle edges, in red
    explorer.graph.nodes = explorer.graph.nodes[:1]
    explorer.graph.edges = []
    assert explorer.graph.static_svg.count("data-sk-node=") == 1  # follows the traits


def test_outputs_carry_the_static_rendering_as_html(explorer):
    bundle = explorer._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == explorer.model_id
    page = bundle["text/html"]
    assert static_pictures(page) == [image_svg(explorer.graph.static_svg)]  # an <img>: sanitisers keep it
    assert "<svg" not in page and "<script" not in page
    assert "Dependency chain" in page and "set_nx_huge_pages" in page
    graph_bundle, _metadata = explorer.graph._repr_mimebundle_()  # (anywidget adds metadata)
    assert "application/vnd.jupyter.widget-view+json" in graph_bundle
    assert static_pictures(graph_bundle["text/html"]) == [image_svg(explorer.graph.static_svg)]


def test_hostile_name_is_escaped_in_the_tables(seed_text):
    text = seed_text.replace("kvm_lock", HOSTILE)
    explorer = explore(text)
    assert explorer.splat.cycle[0] == HOSTILE
    assert HOSTILE in [n["id"] for n in explorer.graph.nodes]  # plain data; the JS draws it as text
    tables = explorer.chain_view.value + explorer.frames_view.value
    assert HOSTILE not in tables and "<img" not in tables and "</script>" not in tables
    assert html.escape(HOSTILE) in tables
    explorer.selected_edge = f"cpu_hotplug_lock -> {HOSTILE}"
    assert html.escape(HOSTILE) in explorer.frames_view.value and "<img" not in explorer.frames_view.value
    page = explorer.static_html()
    assert "<script" not in page.replace("&lt;/script", "") and html.escape(HOSTILE) in page
    for static in (explorer.graph.static_svg, *static_pictures(page)):
        assert HOSTILE not in static and "<img" not in static and html.escape(HOSTILE) in static



def test_explore_dense_held_lock_lists_says_what_the_drawing_left_out():
    """Eight reports whose held locks take 30 classes in different orders: more cycles than the
    view looks for, said above the drawing."""
    from conftest import dense_held_locks_reports

    explorer = explore(dense_held_locks_reports())
    assert len(explorer.splats) == 8
    assert explorer.cycle_note.startswith("the lock graph has more than 100 dependency cycles")
    labels = [child for child in explorer.children if isinstance(child, ipywidgets.Label)]
    assert [label.value for label in labels] == explorer.notes and explorer.notes[0] == explorer.cycle_note
    # (A bad-unlock report: no chain, so no chain table; the held locks are in the kind's panel.)
    assert explorer.children[len(labels):] == (explorer.navigation, explorer.graph, explorer.lock_view,
                                               explorer.internals, explorer.frames_view, explorer.kind_panel)
    assert len([n for n in explorer.graph.nodes if n["cycle"]]) >= 1


def test_explore_the_seed_leaves_nothing_out(explorer):
    assert explorer.cycle_note == ""


def test_a_decoded_stack_shows_file_and_line(seed_text):
    """A trace decoded as syzbot and decode_stacktrace.sh print it: ``file:line`` after the
    frame, and the inlined callers marked ``[inline]``."""
    decoded = seed_text.replace(
        "] set_nx_huge_pages+0x179/0x1e0 [kvm]\n",
        "] kvm_mmu_zap_all_fast arch/x86/kvm/mmu/mmu.c:6315 [inline]\n"
        "[48419.504521] set_nx_huge_pages+0x179/0x1e0 [kvm] arch/x86/kvm/mmu/mmu.c:7044\n", 1)
    explorer = explore(decoded)
    assert explorer.splat.notes == ()
    rows = explorer.frames.set_index("function")
    assert rows.loc["kvm_mmu_zap_all_fast", "file:line"] == "arch/x86/kvm/mmu/mmu.c:6315 [inline]"
    assert rows.loc["set_nx_huge_pages", "file:line"] == "arch/x86/kvm/mmu/mmu.c:7044"
    assert rows.loc["set_nx_huge_pages", "module"] == "kvm"
    assert "<th>file:line</th>" in explorer.frames_view.value
    # Not decoded: the column is left out rather than shown empty.
    assert "file:line" not in explore(seed_text).frames_view.value


def test_clicking_a_lock_class_shows_its_panel(explorer):
    assert explorer.lock_class == {} and explorer.lock_view.value == explorer.legend
    assert "click a lock class (a box)" in explorer.legend
    explorer.graph.selected_node = "kvm_lock"  # what a click on its box does
    view = explorer.lock_class
    assert view["name"] == "kvm_lock" and view["taken"] == ["mutex"]
    # {+.+.} in a 4.14+ report: irq-unsafe for write in both irq states, never read.
    assert [(u["state"], u["access"], u["meaning"]) for u in view["usage"]] == [
        ("HARDIRQ", "W", "irq-unsafe"), ("HARDIRQ", "R", "unused"), ("SOFTIRQ", "W", "irq-unsafe"),
        ("SOFTIRQ", "R", "unused")]
    assert view["wait"].startswith("3:3: LD_WAIT_SLEEP:LD_WAIT_SLEEP (a sleeping lock")
    assert [(d["lock"], d["function"]) for d in view["in"]] == [("&mod->param_lock", ""),
                                                               ("cpu_hotplug_lock", "kvm_dev_ioctl")]
    assert [(d["lock"], d["function"]) for d in view["out"]] == [("&kvm->slots_lock", "set_nx_huge_pages")]
    assert view["held"] == [{"report": "0", "task": "tee/27085", "entry": "4",
                             "at": "set_nx_huge_pages+0x14a/0x1e0 [kvm]"}]
    panel = explorer.lock_view.value
    assert "Lock class <code>kvm_lock</code>" in panel and "irq-unsafe" in panel and "tee/27085" in panel
    explorer.select_lock("kn->active#257")
    assert ("#257", "key version: the 257th class lockdep registered under this name") in explorer.lock_class["parts"]
    assert "None: nothing was taken while it was held." not in explorer.lock_view.value  # it has one out
    explorer.select_lock("sb_writers#4")
    assert "None: nothing was held when it was taken." in explorer.lock_view.value  # a sentence, no empty table


def test_the_lock_panel_escapes_names(seed_text):
    explorer = explore(seed_text.replace("kvm_lock", HOSTILE))
    explorer.select_lock(HOSTILE)
    assert HOSTILE not in explorer.lock_view.value and html.escape(HOSTILE) in explorer.lock_view.value


def test_the_legend_lists_what_is_drawn(explorer):
    legend = explorer.legend
    assert "a dependency cycle" in legend and "order of held locks" in legend
    assert "declared or moved" not in legend and "dependency lockdep recorded" not in legend  # none drawn
    assert legend in explorer.static_html()


def test_reports_without_a_cycle_have_no_cycle_in_their_legend_and_show_their_notes(corpus_file, corpus_dir):
    from conftest import read_log

    from splatkit import parse

    for splat in parse(read_log(corpus_dir / "report" / corpus_file)):
        if not splat.chain and not splat.held_locks:
            continue
        explorer = explore(splat)
        drawn_cycle = any(e["cycle"] for e in explorer.graph.edges)
        assert ("a dependency cycle" in explorer.legend) == drawn_cycle
        assert all(note in explorer.notes for note in splat.notes)
        shown = [c.value for c in explorer.children if isinstance(c, ipywidgets.Label)]
        assert shown == explorer.notes
