"""Every non-circular report kind explored in a real headless JupyterLab: one real report of each
view, picked from the corpora at run time, and what its view shows on screen.

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
from splatkit.render.viewmodel import NEW_COLOR, edge_id

from conftest import CORPUS, WILD, read_log

from . import servers
from .test_lab import _ALL_RUN_JS, _ERRORS_JS, _OUTPUT_HAS_JS, _READY_JS, _RUN_NEW_CELL_JS
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
def kinds_lab(chromium, tmp_path_factory) -> Iterator[tuple[str, dict[str, splatkit.Splat]]]:
    pytest.importorskip("jupyterlab")
    picked = _pick()
    if set(picked) != set(SHOWN):
        pytest.skip(f"the corpora at {CORPUS} and {WILD} hold no report of {sorted(set(SHOWN) - set(picked))}")
    home = tmp_path_factory.mktemp("lab")
    root = home / "notebooks"
    root.mkdir()
    cells = [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
              "source": "from splatkit.widgets import explore"}]
    splats = {}
    for view, (text, splat) in picked.items():
        (root / f"{view}.txt").write_text(text, encoding="utf-8")
        again = splatkit.parse(text)[0]
        assert again.kind == splat.kind
        splats[view] = again
        cells.append({"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                      "source": f"ex_{view} = explore(open({view + '.txt'!r}, encoding='utf-8').read())\n"
                                f"ex_{view}.add_class('kv-{view}')\nex_{view}"})
    notebook = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                            "language": "python"}},
                "nbformat": 4, "nbformat_minor": 5}
    (root / NOTEBOOK).write_text(json.dumps(notebook), encoding="utf-8")
    server = servers.start("lab", root, home)
    try:
        yield server.url, splats
    finally:
        server.stop()


def _open(page, url: str):
    page.set_viewport_size({"width": 1300, "height": 3200})
    page.goto(f"{url}/lab/tree/{NOTEBOOK}?reset")
    page.wait_for_function("window.jupyterapp !== undefined")
    page.wait_for_function(_READY_JS)
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(_ALL_RUN_JS)
    assert page.evaluate(_ERRORS_JS) == []
    return page


def _show(page, view: str):
    """Scroll the cell of ``view`` into view (Lab renders cells lazily) and return its explorer."""
    index = SHOWN.index(view) + 1
    page.evaluate(f"() => window.jupyterapp.shell.currentWidget.content.scrollToItem({index}, 'start')")
    explorer = page.locator(f".kv-{view}")
    explorer.wait_for(state="attached")
    explorer.locator(".sk-kind").wait_for(state="attached")
    return explorer


def _headings(explorer) -> list[str]:
    return [h.strip() for h in explorer.locator(".sk-kind .sk-kind-block > h4").all_text_contents()]


def test_each_kind_shows_its_view_in_lab(kinds_lab, watched_page, tmp_path):
    url, splats = kinds_lab
    page = _open(watched_page.page, url)

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
    shown = explorer.locator(".splatkit-tables:has(h4:text-is('Stack of the selected dependency'))")
    assert f"{rec.holding.name} \u2192 {rec.acquiring.name}. From the report's stack backtrace" in shown.text_content()
    explorer.screenshot(path=str(tmp_path / "kind-recursive.png"))

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
    explorer.screenshot(path=str(tmp_path / "kind-irq.png"))

    # The internals toggle reaches the kind's own stacks (the state stacks): lockdep's frames
    # appear there, greyed, and Python knows.
    traced = [t for t in irq.traces if t.frames]
    if traced:
        dim = "() => document.querySelectorAll('.kv-irq .sk-kind tr.sk-dim').length"
        before = page.evaluate(dim)
        explorer.locator(".splatkit-internals input[type=checkbox]").click()
        page.wait_for_function(f"(n) => ({dim})() > n", arg=before)

    # Invalid wait: the offending acquisition drawn from the held lock, both wait types named.
    wait = splats["invalid_wait"]
    blocker = strictest_held(wait)
    explorer = _show(page, "invalid_wait")
    facts = explorer.locator(".sk-kind-block[data-sk-block=facts]").first.text_content()
    assert f"{{{wait.acquiring.wait_text}}}" in facts and f"inside {{{blocker.wait_text}}}" in facts
    explorer.locator(".splatkit-graph[data-sk-state=live] canvas").wait_for(state="attached")
    edge = page.evaluate("(id) => document.querySelector('.kv-invalid_wait .splatkit-graph')"
                         ".splatkitNetwork.body.data.edges.get(id)", edge_id(blocker.name, wait.acquiring.name))
    assert edge is not None and edge["color"] == NEW_COLOR  # (the "new" flag itself stays in Python)
    assert "the acquisition the report is about" in explorer.locator(".sk-legend").text_content()
    assert "a dependency cycle" not in explorer.locator(".sk-legend").text_content()
    explorer.screenshot(path=str(tmp_path / "kind-invalid-wait.png"))

    # Held-locks dump: a task x lock table; nothing drawn (the dump names no dependency), said in words.
    dump = splats["held_locks_dump"]
    explorer = _show(page, "held_locks_dump")
    rows = explorer.locator(".sk-kind-block:has(h4:text-is('Tasks \u00d7 lock classes')) tbody tr")
    assert rows.count() == len(dump.held_lock_dumps)
    assert "Who waits on whom" in _headings(explorer)
    assert explorer.locator(".splatkit-graph").count() == 0 and "Nothing to draw" in explorer.text_content()
    assert explorer.locator(".splatkit-internals").count() == 0  # (no stack: no toggle for one)
    explorer.screenshot(path=str(tmp_path / "kind-dump.png"))

    # The rest: the lock, the sites, the held locks; no empty table anywhere in any explorer.
    explorer = _show(page, "other")
    assert explorer.locator(".sk-kind > h4").text_content() == "What the report names"
    explorer.screenshot(path=str(tmp_path / "kind-other.png"))
    assert page.evaluate("() => [...document.querySelectorAll('.jp-OutputArea-output table')]"
                         ".filter((t) => !t.querySelector('tbody tr')).length") == 0

    page.evaluate(_RUN_NEW_CELL_JS, "print('VIEWS=' + ','.join(e.kind_view.view for e in "
                                    "(ex_recursive, ex_irq, ex_invalid_wait, ex_held_locks_dump, ex_other)),"
                                    " ex_irq.show_internals)")
    page.wait_for_function(_OUTPUT_HAS_JS, arg="VIEWS=" + ",".join(SHOWN) + f" {bool(traced)}")
    assert watched_page.errors == []


def test_the_kind_views_read_in_the_dark_theme(kinds_lab, watched_page, tmp_path):
    """The kind panel's headings, facts, table headers and cells and its notes at WCAG AA (4.5:1)
    in JupyterLab's dark theme."""
    url, _splats = kinds_lab
    page = _open(watched_page.page, url)
    page.evaluate("window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})")
    page.wait_for_function("(t) => document.body.dataset.jpThemeName === t", arg="JupyterLab Dark")
    explorer = _show(page, "invalid_wait")
    for selector in (".sk-kind h4", ".sk-kind dt", ".sk-kind dd", ".sk-kind th", ".sk-kind td", ".sk-kind .sk-note"):
        ratio = explorer.locator(selector).first.evaluate(CONTRAST_JS)
        assert ratio >= 4.5, f"{selector} contrast {ratio:.2f}"
    explorer.locator(".sk-kind").screenshot(path=str(tmp_path / "kind-invalid-wait-dark.png"))
    assert watched_page.errors == []
