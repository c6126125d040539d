"""The HTML report in a real Chromium: drawn offline, clickable, and inert with hostile names."""

from __future__ import annotations

import pytest

import splatkit
from splatkit.render.html import write_report

pytestmark = pytest.mark.browser

SRCU_CPUHP = "&kvm->srcu -> cpu_hotplug_lock"
HOSTILE = "</script><img src=x onerror=alert(1)>"

#: Text of the visible stack section: its heading and the function column of its table.
_SHOWN_STACK_JS = """() => {
  const shown = [...document.querySelectorAll("[data-sk-frames]")].filter((s) => !s.hidden);
  return shown.map((s) => ({
    edge: s.dataset.skFrames,
    heading: s.querySelector("h3").textContent,
    functions: [...s.querySelectorAll("tbody tr")].map((tr) => tr.cells[0].textContent),
  }));
}"""

#: Pixels of the graph canvas that something was drawn on.
_DRAWN_PIXELS_JS = """() => {
  const c = document.querySelector("#sk-graph canvas");
  const data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let drawn = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) drawn++;
  return drawn;
}"""


def _open(watched, splat, path):
    write_report(splat, path, source="kvm-cpuhp-2024.txt")
    url = path.as_uri()
    watched.page.goto(url)
    watched.page.wait_for_selector("#sk-graph canvas")
    return url


def test_report_draws_the_graph_offline(watched_page, seed_splat, tmp_path):
    url = _open(watched_page, seed_splat, tmp_path / "seed.html")
    page = watched_page.page
    page.wait_for_function("document.body.dataset.skSelectedEdge !== undefined")
    assert page.evaluate(_DRAWN_PIXELS_JS) > 1000
    assert page.evaluate("document.querySelector('#sk-graph').splatkitNetwork.body.nodeIndices.length") == 8
    assert watched_page.requests == [url]  # nothing but the file itself: no CDN, no font, no image
    assert watched_page.errors == [] and watched_page.dialogs == []


def test_default_stack_is_the_new_dependency(watched_page, seed_splat, tmp_path):
    _open(watched_page, seed_splat, tmp_path / "seed.html")
    (shown,) = watched_page.page.evaluate(_SHOWN_STACK_JS)
    assert shown["edge"] == "kvm_lock -> &kvm->slots_lock"
    assert shown["functions"][4] == "set_nx_huge_pages" and len(shown["functions"]) == 14
    selected = watched_page.page.evaluate("document.querySelector('#sk-graph').splatkitNetwork.getSelectedEdges()")
    assert selected == ["kvm_lock -> &kvm->slots_lock"]


def test_clicking_a_cycle_edge_shows_its_stack(watched_page, seed_splat, tmp_path, click_edge):
    _open(watched_page, seed_splat, tmp_path / "seed.html")
    page = watched_page.page
    click_edge(page, "#sk-graph", SRCU_CPUHP)
    page.wait_for_function("(id) => document.body.dataset.skSelectedEdge === id", arg=SRCU_CPUHP)
    (shown,) = page.evaluate(_SHOWN_STACK_JS)
    assert shown["edge"] == SRCU_CPUHP and shown["heading"] == "&kvm->srcu \u2192 cpu_hotplug_lock"
    assert len(shown["functions"]) == 13 and shown["functions"][0] == "cpus_read_lock"
    assert page.evaluate("document.querySelector('#sk-graph').splatkitNetwork.getSelectedEdges()") == [SRCU_CPUHP]
    assert page.locator("tr.sk-selected td").nth(1).text_content() == "&kvm->srcu"
    assert watched_page.errors == []


def test_clicking_a_chain_row_shows_its_stack(watched_page, seed_splat, tmp_path):
    _open(watched_page, seed_splat, tmp_path / "seed.html")
    page = watched_page.page
    page.locator('tr[data-sk-edge="cpu_hotplug_lock -> kvm_lock"]').click()
    (shown,) = page.evaluate(_SHOWN_STACK_JS)
    assert shown["edge"] == "cpu_hotplug_lock -> kvm_lock" and shown["functions"][2] == "kvm_dev_ioctl"


def test_hostile_names_stay_text(watched_page, seed_text, tmp_path, click_edge):
    # (A task's comm is at most 15 characters, TASK_COMM_LEN: the hostile part of it.)
    comm = HOSTILE[:15]
    text = seed_text.replace("kvm_lock", HOSTILE).replace("tee/27085", f"{comm}/27085")
    (splat,) = splatkit.parse(text)
    _open(watched_page, splat, tmp_path / "hostile.html")
    page = watched_page.page
    assert page.evaluate("document.querySelectorAll('img, svg, iframe, object, embed').length") == 0
    assert page.locator("h1").count() == 1 and page.locator("header dd").nth(1).text_content() == f"{comm}/27085"
    edge = f"cpu_hotplug_lock -> {HOSTILE}"  # the hostile name as an edge id, clicked for real
    click_edge(page, "#sk-graph", edge)
    page.wait_for_function("(id) => document.body.dataset.skSelectedEdge === id", arg=edge)
    (shown,) = page.evaluate(_SHOWN_STACK_JS)
    assert shown["heading"] == f"cpu_hotplug_lock \u2192 {HOSTILE}"
    node = page.evaluate("""(id) => { const net = document.querySelector('#sk-graph').splatkitNetwork;
        const d = net.canvasToDOM(net.getPositions([id])[id]), r = net.body.container.getBoundingClientRect();
        return {x: r.left + d.x, y: r.top + d.y}; }""", HOSTILE)
    page.mouse.move(node["x"], node["y"])  # vis-network's tooltip shows the node title
    page.wait_for_selector("div.vis-tooltip", state="visible")
    assert HOSTILE in page.locator("div.vis-tooltip").text_content()
    assert page.evaluate("document.querySelectorAll('img, svg, iframe, object, embed').length") == 0
    assert watched_page.dialogs == [] and watched_page.errors == []


def test_report_without_locks_loads_cleanly(watched_page, tmp_path):
    (splat,) = splatkit.parse("=====\nWARNING: suspicious RCU usage\n6.9.0 #1 Not tainted\n-----\n")
    path = write_report(splat, tmp_path / "rcu.html")
    watched_page.page.goto(path.as_uri())
    watched_page.page.wait_for_load_state("load")
    assert watched_page.page.locator("text=Nothing to draw").count() == 1
    assert watched_page.errors == [] and watched_page.requests == [path.as_uri()]


#: The explanation's scenario as the page shows it: per row, the step number and each CPU's cell.
_SCENARIO_JS = """() => [...document.querySelectorAll(".splatkit-explanation table.sk-scenario tbody tr")]
  .map((tr) => [...tr.cells].map((td) => td.textContent))"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_explanation_reads_in_both_colour_schemes(browser, seed_splat, tmp_path, scheme):
    """The explanation's scenario is a real table (steps in CPU columns, each wait marked), its
    headings and conditions are there, and the page follows the reader's colour scheme."""
    path = write_report(seed_splat, tmp_path / "seed.html", source="seed")
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, color_scheme=scheme)
    page = context.new_page()
    try:
        page.goto(path.as_uri())
        page.wait_for_selector("#sk-graph canvas")
        rows = page.evaluate(_SCENARIO_JS)
        assert len(rows) == 8 and [r[0] for r in rows] == [str(n) for n in range(1, 9)]
        assert rows[4][1] == "lock(B);waits for step 2"  # CPU0's column, with the wait under it
        assert rows[3][4] == "take(D);"
        headings = page.locator(".splatkit-explanation h4").all_text_contents()
        assert headings[:3] == ["The cycle", "How it deadlocks", "Conditions"]
        assert "cpus_write_lock()" in page.locator(".splatkit-explanation").text_content()
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == ("rgb(13, 17, 23)" if scheme == "dark" else "rgb(246, 248, 250)")
        section = page.locator("section", has=page.locator(".splatkit-explanation"))
        section.screenshot(path=str(tmp_path / f"explanation-{scheme}.png"))
    finally:
        context.close()


def test_two_explanation_fragments_in_one_page_each_draw_their_graph(watched_page, seed_splat, tmp_path):
    """A fragment loads nothing, and its scripts keep to themselves: pasted twice, both draw."""
    from splatkit.render.explain import explain

    fragment = explain(seed_splat, "html-fragment")
    path = tmp_path / "host.html"
    path.write_text(f"<!DOCTYPE html><html><body><h1>host</h1>{fragment}<hr>{fragment}</body></html>",
                    encoding="utf-8")
    page = watched_page.page
    page.goto(path.as_uri())
    page.wait_for_function("document.querySelectorAll('div[data-sk-graph] canvas').length === 2")
    nodes = page.evaluate("[...document.querySelectorAll('div[data-sk-graph]')]"
                          ".map((d) => d.splatkitGraph.network.body.nodeIndices.length)")
    assert nodes == [8, 8]
    assert page.locator(".splatkit-explanation table.sk-scenario").count() == 2
    assert watched_page.requests == [path.as_uri()] and watched_page.errors == []


def test_recursive_report_draws_a_loop_its_label_clear(watched_page, tmp_path):
    """The class taken twice: a loop big enough to see over its box, its label above it."""
    from splatkit.render.viewmodel import edge_id

    from .test_kind_views import LOOP_JS, _pick, assert_loop_clear

    picked = _pick().get("recursive")
    if picked is None:
        pytest.skip("the corpora hold no recursive locking report")
    splat = picked[1]
    path = write_report(splat, tmp_path / "recursive.html")
    page = watched_page.page
    page.goto(path.as_uri())
    page.wait_for_selector("#sk-graph canvas")
    assert_loop_clear(page.evaluate(LOOP_JS, ["#sk-graph", edge_id(splat.holding.name, splat.acquiring.name)]))
    page.locator("#sk-graph").screenshot(path=str(tmp_path / "recursive-loop.png"))
    assert watched_page.errors == []
