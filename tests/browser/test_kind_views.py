"""Every non-circular report kind explored in a real headless browser (issue 11, items 3 and 10):
one real report of each view, picked from the corpora at run time, and what its view shows on
screen, in JupyterLab and Notebook 7, each in its light and its dark theme (one server per app,
a copy of the notebook per theme). Each kind's drawing is clicked (an edge, a node, the internals
toggle), the kernel is asked what it now holds, and in the dark theme every kind panel's headings
and tables are measured at WCAG AA.

The notebook is written at test time into a temporary folder, with the reports' text beside it
(read from ../shared; the test skips without it), so nothing is written into the repository.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

import splatkit
from splatkit.analysis.explain.wait_context import strictest_held
from splatkit.render.kind_view import VIEWS, kind_view
from splatkit.render.navigate import report_label
from splatkit.render.viewmodel import NEW_COLOR, edge_id

from conftest import CORPUS, WILD, read_log

from . import servers
from .test_lab import _ALL_RUN_JS, _ERRORS_JS, _OUTPUT_HAS_JS, _READY_JS, _RUN_NEW_CELL_JS
from .test_readable_labels import MEASURE_JS
from .test_themes import CONTRAST_JS

pytestmark = pytest.mark.browser

NOTEBOOK = "kind-views.ipynb"
SHOWN = ["recursive", "irq", "invalid_wait", "held_locks_dump", "other"]


def _reports() -> Iterator[str]:
    if (CORPUS / "report").is_dir():
        for path in sorted((CORPUS / "report").iterdir()):
            yield read_log(path)
    if (WILD / "splats").is_dir():
        for path in sorted((WILD / "splats").iterdir()):
            yield path.read_text(encoding="utf-8", errors="replace")


def _score(splat: splatkit.Splat) -> int:
    """How much a report's view has to show: its tables and stacks (0 for a report cut short)."""
    view = kind_view(splat)
    if splat.truncated:
        return 0
    return sum(b.kind in ("table", "stack") for b in view.blocks) + (
        10 if splat.dependency_paths else 0) + (10 if view.view == "invalid_wait" and strictest_held(splat) else 0)


def _pick() -> dict[str, tuple[str, splatkit.Splat]]:
    """For each view of :data:`SHOWN`, the corpus text whose first report's view shows the most
    (``explore(text)`` explores the first report of a text)."""
    best: dict[str, tuple[int, str, splatkit.Splat]] = {}
    for text in _reports():
        splat = next(iter(splatkit.parse(text)), None)
        view = VIEWS.get(splat.kind, "other") if splat is not None else None
        if view not in SHOWN:
            continue
        score = _score(splat)
        if view not in best or score > best[view][0]:
            best[view] = (score, text, splat)
    return {view: (text, splat) for view, (_score_, text, splat) in best.items()}


@pytest.fixture(scope="module")
def picked():
    pytest.importorskip("jupyterlab")
    chosen = _pick()
    if set(chosen) != set(SHOWN):
        pytest.skip(f"the corpora at {CORPUS} and {WILD} hold no report of {sorted(set(SHOWN) - set(chosen))}")
    return chosen


@pytest.fixture(scope="module", params=servers.APPS, ids=["lab", "notebook7"])
def kinds_server(request, chromium, picked, tmp_path_factory) -> Iterator[tuple[servers.Server, dict]]:
    """A JupyterLab or Notebook 7 serving a notebook (a copy per theme) that explores the picked
    report of each view."""
    app = request.param
    pytest.importorskip("jupyterlab" if app == "lab" else "notebook")
    home = tmp_path_factory.mktemp(f"kinds-{app}")
    root = home / "notebooks"
    root.mkdir()
    cells = ["import splatkit\nfrom splatkit.widgets import explore"]
    splats = {}
    for view, (text, splat) in picked.items():
        (root / f"{view}.txt").write_text(text, encoding="utf-8")
        again = splatkit.parse(text)[0]
        assert again.kind == splat.kind
        splats[view] = again
        cells.append(f"ex_{view} = explore(open({view + '.txt'!r}, encoding='utf-8').read())\n"
                     f"ex_{view}.add_class('kv-{view}')\nex_{view}")
    # Several reports in one explorer: its kind panel follows the report picked in its report list.
    cells.append("ex_many = explore([splatkit.parse(open(name, encoding='utf-8').read())[0]\n"
                 "                   for name in ('recursive.txt', 'invalid_wait.txt')])\n"
                 "ex_many.add_class('kv-many')\nex_many")
    servers.write_themed(root, NOTEBOOK, json.dumps(servers.code_notebook(*cells)))
    server = servers.start(app, root, home)
    try:
        yield server, splats
    finally:
        server.stop()


#: Notebook 7 folds a tall output into a scrolled box after a run: unfold it, as a reader would.
_UNFOLD_JS = """() => { for (const cell of window.jupyterapp.shell.currentWidget.content.widgets)
  if (cell.model.type === 'code') cell.outputsScrolled = false; }"""


def _open(page, server: servers.Server, theme: str):
    page.set_viewport_size({"width": 1300, "height": 3200})
    servers.run_all_in_theme(page, server, servers.themed(NOTEBOOK, theme), theme, _READY_JS, _ALL_RUN_JS)
    page.evaluate(_UNFOLD_JS)
    assert page.evaluate(_ERRORS_JS) == []
    return page


def _show(page, view: str):
    """Scroll the cell of ``view`` into view (cells render lazily) and return its explorer."""
    index = SHOWN.index(view) + 1 if view in SHOWN else len(SHOWN) + 1  # ("many": the last cell)
    page.evaluate(f"() => window.jupyterapp.shell.currentWidget.content.scrollToItem({index}, 'start')")
    explorer = page.locator(f".kv-{view}")
    explorer.wait_for(state="attached")
    explorer.locator(".sk-kind").wait_for(state="attached")
    explorer.scroll_into_view_if_needed()
    return explorer


def _headings(explorer) -> list[str]:
    return [h.strip() for h in explorer.locator(".sk-kind .sk-kind-block > h4").all_text_contents()]


def _click_node(click, page, view: str, node: str) -> None:
    """Click lock class ``node`` in the drawing of ``view`` (``click``: the click_node fixture)
    and wait for its panel."""
    click(page, f".kv-{view} .splatkit-graph", node)
    page.wait_for_function("([sel, name]) => [...document.querySelectorAll(sel + ' .sk-lock-class h4')]"
                           ".some((h) => h.textContent === 'Lock class ' + name)", arg=[f".kv-{view}", node])


def _stack_of(page, view: str, edge: str) -> None:
    """Wait until the stack panel of ``view`` is about dependency ``edge`` (its stack, or why there is none)."""
    page.wait_for_function("([sel, text]) => [...document.querySelectorAll(sel + ' .splatkit-tables')]"
                           ".some((t) => t.querySelector('h4') && t.querySelector('h4').textContent"
                           " === 'Stack of the selected dependency' && t.textContent.includes(text))",
                           arg=[f".kv-{view}", edge.replace(" -> ", " \u2192 ") + "."])


#: On screen (CSS pixels from the canvas's corner), the loop `id` drawn in `selector`: its circle,
#: its label's box where it is drawn (vis-network's label size less the loop's font.vadjust), its
#: lock class's box, and the canvas's size.
LOOP_JS = """([selector, id]) => {
  const div = document.querySelector(selector), net = div.splatkitNetwork, edge = net.body.edges[id];
  const [cx, cy, r] = edge.edgeType._getCircleData(), s = edge.labelModule.size, lift = edge.options.font.vadjust;
  const dom = (x, y) => net.canvasToDOM({x, y});
  const box = (l, t, r_, b) => { const a = dom(l, t), z = dom(r_, b); return [a.x, a.y, z.x, z.y]; };
  const nb = net.body.nodes[edge.fromId].shape.boundingBox;
  return {circle: box(cx - r, cy - r, cx + r, cy + r), label: box(s.left, s.top + lift, s.left + s.width, s.top + lift + s.height),
          node: box(nb.left, nb.top, nb.right, nb.bottom), width: div.clientWidth, height: div.clientHeight,
          line: edge.options.width * net.getScale()};
}"""


def assert_loop_clear(loop: dict) -> None:
    """The loop measured by :data:`LOOP_JS` is big enough to see (20 px across or more), its
    label above it (clear of its line) and off the lock class box, and all of it in the canvas."""
    circle, label, node = loop["circle"], loop["label"], loop["node"]
    assert circle[2] - circle[0] >= 40, loop
    assert label[3] <= circle[1] - loop["line"] / 2, loop
    assert label[3] <= node[1] or label[1] >= node[3] or label[2] <= node[0] or label[0] >= node[2], loop
    assert all(0 <= v <= loop["width"] for v in (circle[0], circle[2], label[0], label[2])), loop
    assert all(0 <= v <= loop["height"] for v in (circle[1], circle[3], label[1], label[3])), loop


#: Where the kind panel's text sits in the dark theme: each must read at WCAG AA (4.5:1).
_READ_SELECTORS = (".sk-kind > h4", ".sk-kind h4", ".sk-kind dt", ".sk-kind dd", ".sk-kind th", ".sk-kind td",
                   ".sk-kind .sk-note", ".sk-lock-class h4", ".sk-lock-class th", ".sk-lock-class td")


def _readable(explorer, view: str) -> int:
    """Assert every kind-panel text element's contrast (all of them, not only the first); the count measured."""
    measured = 0
    for selector in _READ_SELECTORS:
        ratios = explorer.locator(selector).evaluate_all(f"(els) => els.slice(0, 40).map({CONTRAST_JS})")
        for ratio in ratios:
            assert ratio >= 4.5, f"{view}: {selector} contrast {ratio:.2f}"
        measured += len(ratios)
    return measured


@pytest.mark.parametrize("theme", servers.THEMES, ids=["light", "dark"])
def test_each_kind_shows_its_view(kinds_server, theme, watched_page, click_edge, click_node, tmp_path):
    server, splats = kinds_server
    dark = theme.endswith("Dark")
    page = _open(watched_page.page, server, theme)
    name = f"{server.app}-{theme.split()[-1]}"
    measured = 0

    # Recursive: the class taken twice, both entries naming it, and the new acquisition's stack.
    rec = splats["recursive"]
    explorer = _show(page, "recursive")
    assert explorer.locator(".sk-kind > h4").text_content() == "Recursive locking"
    both = explorer.locator(".sk-kind-block:has(h4:text-is('Both entries')) tbody tr")
    assert both.count() == 2
    assert [both.nth(i).locator("td").nth(1).text_content() for i in range(2)] == [rec.holding.name,
                                                                                    rec.acquiring.name]
    # (Its stack is the drawn loop's, selected first: the panel points there rather than repeat it.)
    assert "Stack of the new acquisition" in _headings(explorer)
    loop = edge_id(rec.holding.name, rec.acquiring.name)
    explorer.locator(".splatkit-graph[data-sk-state=live] canvas").wait_for(state="attached")
    assert page.evaluate("(id) => document.querySelector('.kv-recursive .splatkit-graph')"
                         ".splatkitNetwork.getSelectedEdges()", loop) == [loop]
    assert_loop_clear(page.evaluate(LOOP_JS, [".kv-recursive .splatkit-graph", loop]))
    shown = explorer.locator(".splatkit-tables:has(h4:text-is('Stack of the selected dependency'))")
    assert f"{rec.holding.name} \u2192 {rec.acquiring.name}. From the report's stack backtrace" in shown.text_content()
    explorer.screenshot(path=str(tmp_path / f"kind-recursive-{name}.png"))
    # A click on another drawn dependency (not the loop) shows its stack instead.
    other_rec = next((e["id"] for e in _local_edges(rec) if e["id"] != loop), None)
    if other_rec is not None:
        click_edge(page, ".kv-recursive .splatkit-graph", other_rec)
        _stack_of(page, "recursive", other_rec)
    if dark:
        measured += _readable(explorer, "recursive")

    # Irq: the usage decoded per irq state, the state stacks and the dependency paths, drawn.
    irq = splats["irq"]
    explorer = _show(page, "irq")
    headings = _headings(explorer)
    assert "Usage per irq state" in headings and any(h.endswith(" at") for h in headings)
    usage = explorer.locator(".sk-kind-block:has(h4:text-is('Usage per irq state'))")
    assert usage.locator("tbody tr").count() >= 1 and "irq-" in usage.text_content()
    explorer.locator(".splatkit-graph[data-sk-state=live] canvas").wait_for(state="attached")
    drawn = set(page.evaluate("() => document.querySelector('.kv-irq .splatkit-graph')"
                              ".splatkitNetwork.body.data.edges.getIds()"))
    for path in irq.dependency_paths:
        assert "Dependency paths" in headings
        for a, b in zip(path.locks, path.locks[1:]):
            assert edge_id(a, b) in drawn or edge_id(b, a) in drawn
    for dep in kind_view(irq).dependencies:  # the new dependency too (printed, or read from the paths)
        assert edge_id(dep.held, dep.acquired) in drawn
    # Every lock class in view at first: an incidental cycle (a read lock held twice) is not
    # framed at the cost of the acquisition the report is about.
    page.wait_for_timeout(300)
    outside = page.evaluate("""() => { const div = document.querySelector('.kv-irq .splatkit-graph');
      const net = div.splatkitNetwork, r = div.getBoundingClientRect();
      return Object.entries(net.getPositions()).filter(([id, p]) => { const d = net.canvasToDOM(p);
        return d.x < 0 || d.y < 0 || d.x > r.width || d.y > r.height; }).map(([id]) => id); }""")
    assert outside == []
    # ... and seen at a zoom its labels read at (a column of boxes fitted whole was 7.6 px).
    label = page.evaluate("() => { const net = document.querySelector('.kv-irq .splatkit-graph').splatkitNetwork;"
                          " return net.getScale() * Math.min(...Object.values(net.body.nodes)"
                          ".map((n) => n.options.font.size)); }")
    assert label >= 11, label
    explorer.screenshot(path=str(tmp_path / f"kind-irq-{name}.png"))

    # The internals toggle reaches the kind's own stacks (the state stacks): lockdep's frames
    # appear there, greyed, and Python knows.
    traced = [t for t in irq.traces if t.frames]
    if traced:
        dim = "() => document.querySelectorAll('.kv-irq .sk-kind tr.sk-dim').length"
        before = page.evaluate(dim)
        explorer.locator(".splatkit-internals input[type=checkbox]").click()
        page.wait_for_function(f"(n) => ({dim})() > n", arg=before)
        if dark:  # the greyed internal frames read too
            for ratio in explorer.locator(".sk-kind tr.sk-dim td").evaluate_all(f"(els) => els.map({CONTRAST_JS})"):
                assert ratio >= 4.5, f"irq: internal frame contrast {ratio:.2f}"
    # A click on a dependency of the paths other than the one selected first: its stack shown.
    first_irq = page.evaluate("document.querySelector('.kv-irq .splatkit-graph').splatkitNetwork.getSelectedEdges()")
    other_irq = sorted(i for i in drawn if i not in first_irq and i.split(" -> ")[0] != i.split(" -> ")[1])[0]
    click_edge(page, ".kv-irq .splatkit-graph", other_irq)
    _stack_of(page, "irq", other_irq)
    if dark:
        measured += _readable(explorer, "irq")

    # Invalid wait: the offending acquisition drawn from the held lock, both wait types named.
    wait = splats["invalid_wait"]
    blocker = strictest_held(wait)
    explorer = _show(page, "invalid_wait")
    facts = explorer.locator(".sk-kind-block[data-sk-block=facts]").first.text_content()
    assert f"{{{wait.acquiring.wait_text}}}" in facts and f"inside {{{blocker.wait_text}}}" in facts
    explorer.locator(".splatkit-graph[data-sk-state=live] canvas").wait_for(state="attached")
    edge = page.evaluate("(id) => document.querySelector('.kv-invalid_wait .splatkit-graph')"
                         ".splatkitNetwork.body.data.edges.get(id)", edge_id(blocker.name, wait.acquiring.name))
    # (Drawn in the new acquisition's colour; what it is stays in Python: the page gets no "new".)
    assert edge is not None and edge["color"] == NEW_COLOR
    assert [e["new"] for e in _local_edges(wait) if e["id"] == edge["id"]] == [True]
    assert "the acquisition the report is about" in explorer.locator(".sk-legend").text_content()
    assert "a dependency cycle" not in explorer.locator(".sk-legend").text_content()
    # A click on the acquired lock class: its panel names the wait type the report printed.
    _click_node(click_node, page, "invalid_wait", wait.acquiring.name)
    panel = explorer.locator(".sk-lock-class").text_content()
    assert "wait type" in panel and f"({wait.acquiring.wait_text})" in panel and "LD_WAIT_" in panel
    explorer.screenshot(path=str(tmp_path / f"kind-invalid-wait-{name}.png"))
    if dark:
        measured += _readable(explorer, "invalid_wait")

    # Held-locks dump: a task x lock table; nothing drawn (the dump names no dependency), said in words.
    dump = splats["held_locks_dump"]
    explorer = _show(page, "held_locks_dump")
    rows = explorer.locator(".sk-kind-block:has(h4:text-is('Tasks \u00d7 lock classes')) tbody tr")
    assert rows.count() == len(dump.held_lock_dumps)
    assert "Who waits on whom" in _headings(explorer)
    assert explorer.locator(".splatkit-graph").count() == 0 and "Nothing to draw" in explorer.text_content()
    assert explorer.locator(".splatkit-internals").count() == 0  # (no stack: no toggle for one)
    explorer.screenshot(path=str(tmp_path / f"kind-dump-{name}.png"))
    if dark:
        measured += _readable(explorer, "held_locks_dump")

    # The rest: the lock, the sites, the held locks; a click on a drawn lock class shows its panel.
    other = splats["other"]
    explorer = _show(page, "other")
    assert explorer.locator(".sk-kind > h4").text_content() == "What the report names"
    other_node = sorted(n["id"] for n in _local_nodes(other))[-1]
    _click_node(click_node, page, "other", other_node)
    explorer.screenshot(path=str(tmp_path / f"kind-other-{name}.png"))
    if dark:
        measured += _readable(explorer, "other")
        assert measured >= 20, measured
    # Several reports: the kind panel shows the first, then the one picked in the report list.
    many = _show(page, "many")
    assert many.locator(".sk-kind > h4").text_content() == "Recursive locking"
    assert report_label(0, rec) in many.locator(".sk-kind").locator("xpath=preceding-sibling::p").first.text_content()
    many.locator(".splatkit-reports select").select_option(label=report_label(1, wait))
    page.wait_for_function("(h) => document.querySelector('.kv-many .sk-kind > h4').textContent === h",
                           arg=kind_view(wait).heading)
    assert report_label(1, wait) in many.locator(".sk-kind").locator("xpath=preceding-sibling::p").first.text_content()
    # The drawing of the report kept is fitted anew: all of it in view, its labels readable.
    page.wait_for_timeout(300)
    kept = page.evaluate(MEASURE_JS, ".kv-many .splatkit-graph")
    assert kept["outside"] == [] and kept["scale"] * kept["font"] >= 11, kept
    many.screenshot(path=str(tmp_path / f"kind-many-{name}.png"))
    if dark:
        measured += _readable(many, "many")
    # No empty table anywhere in any explorer.
    assert page.evaluate("() => [...document.querySelectorAll('.jp-OutputArea-output table')]"
                         ".filter((t) => !t.querySelector('tbody tr')).length") == 0

    # The kernel followed every click.
    page.evaluate(_RUN_NEW_CELL_JS, "print('VIEWS=' + ','.join(e.kind_view.view for e in "
                                    "(ex_recursive, ex_irq, ex_invalid_wait, ex_held_locks_dump, ex_other)),"
                                    " ex_irq.show_internals, ex_irq.cycle_index, ex_irq.selected_edge,"
                                    " '|' + ex_invalid_wait.lock_class['name'], ex_other.graph.selected_node,"
                                    " '|' + ex_recursive.selected_edge, ex_many.report_filter, ex_many.kind_report,"
                                    " ex_many.kind_view.view)")
    expect = (f"VIEWS={','.join(SHOWN)} {bool(traced)} -1 {other_irq} |{wait.acquiring.name} {other_node} "
              f"|{other_rec or loop} 1 1 invalid_wait")
    page.wait_for_function(_OUTPUT_HAS_JS, arg=expect)
    assert servers.page_errors(watched_page, server) == []


def _local_edges(splat: splatkit.Splat) -> list[dict]:
    """The edges the explorer of ``splat`` draws (the kernel imports this checkout: the same code)."""
    from splatkit.widgets import explore

    return list(explore(splat).graph.edges)


def _local_nodes(splat: splatkit.Splat) -> list[dict]:
    from splatkit.widgets import explore

    return list(explore(splat).graph.nodes)
