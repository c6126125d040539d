"""Hostile lock, task and function names in every notebook view, in a real browser (issue 11,
item 10): the explorer (graph, tooltips, chain and stack tables, the lock class panel), the
ordering comparison, paste() and the explanation shown as HTML. Every name is shown as text
and runs no script: no dialog, no page error, no element the names spell, no global they set.

JupyterLab in its light theme and Notebook 7 in its dark one, each clicking an edge and a node
named by the hostile text.
"""

from __future__ import annotations

import json

import pytest

from . import servers
from .test_lab import _ALL_RUN_JS, _ERRORS_JS, _OUTPUT_HAS_JS, _READY_JS, _RUN_NEW_CELL_JS
from .test_themes import CONTRAST_JS

pytestmark = pytest.mark.browser

NOTEBOOK = "hostile.ipynb"
#: A lock name that would run script if any view put it into HTML unescaped.
HOSTILE = "</script><img src=x onerror=window.__pwned=1>"
#: A function name of the same kind (a frame's function has no blanks).
HOSTILE_FUNC = "<svg/onload=window.__pwned=2>"

CELLS = [
    "import splatkit\n"
    "from splatkit.samples import sample_text\n"
    f"H, F = {HOSTILE!r}, {HOSTILE_FUNC!r}\n"
    "text = (sample_text().replace('kvm_lock', H).replace('set_nx_huge_pages', F)\n"
    "        .replace('tee/27085', H[:15] + '/27085'))\n"
    "splat = splatkit.parse(text)[0]\n"
    "assert H in splat.cycle, splat.cycle",
    "from splatkit.widgets import compare_orderings, explore, paste\n"
    "explorer = explore(splat)\nexplorer",
    "view = compare_orderings(explorer.lock_graph, {'as reported': '', 'patched': H + ' -> cpu_hotplug_lock'})\n"
    "view",
    "pasted = paste(text)\npasted.read_text()\npasted",
    "from IPython.display import HTML\nHTML(splatkit.explain(splat, format='html-fragment'))",
]

#: Elements the hostile names spell, anywhere in the notebook's outputs.
_SPELLED_JS = """() => document.querySelectorAll(
  '.jp-OutputArea-output img[src="x"], .jp-OutputArea-output svg[onload], .jp-OutputArea-output [onerror]').length"""


def _notebook() -> str:
    return json.dumps(servers.code_notebook(*CELLS))


@pytest.fixture(scope="module", params=[("lab", "JupyterLab Light"), ("notebook", "JupyterLab Dark")],
                ids=["lab-light", "notebook7-dark"])
def server(request, chromium, tmp_path_factory):
    app, theme = request.param
    pytest.importorskip("jupyterlab" if app == "lab" else "notebook")
    home = tmp_path_factory.mktemp(f"hostile-{app}")
    root = home / "notebooks"
    root.mkdir()
    (root / NOTEBOOK).write_text(_notebook())
    srv = servers.start(app, root, home)
    try:
        yield srv, theme
    finally:
        srv.stop()


def test_hostile_names_stay_text_in_every_view(server, watched_page, click_edge, click_node, tmp_path):
    srv, theme = server
    page = watched_page.page
    servers.run_all_in_theme(page, srv, NOTEBOOK, theme, _READY_JS, _ALL_RUN_JS)
    assert page.evaluate(_ERRORS_JS) == []

    # The explorer: click the dependency into the hostile lock, then the hostile lock itself.
    page.wait_for_selector(".splatkit-graph[data-sk-state=live] canvas", state="attached")
    edge = f"cpu_hotplug_lock -> {HOSTILE}"
    click_edge(page, ".splatkit-graph", edge)
    page.evaluate(_RUN_NEW_CELL_JS, "print('EDGE_OK', explorer.selected_edge == 'cpu_hotplug_lock -> ' + H)")
    page.wait_for_function(_OUTPUT_HAS_JS, arg="EDGE_OK True")
    click_node(page, ".splatkit-graph", HOSTILE)
    page.wait_for_function("(h) => [...document.querySelectorAll('.sk-lock-class h4')]"
                           ".some((e) => e.textContent === 'Lock class ' + h)", arg=HOSTILE)
    # The names are on the page as text: in the chain table, the lock class panel, the stack.
    tables = page.locator(".splatkit-tables").first.text_content() + page.locator(".sk-lock-class").text_content()
    assert HOSTILE in tables and HOSTILE_FUNC in tables
    page.locator(".sk-lock-class").scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / f"hostile-explorer-{srv.app}.png"))
    # Readable in the theme, with the explanation's HTML (and its own style sheet) on the page too.
    for selector in (".splatkit-tables th", ".sk-lock-class th", ".sk-lock-class td", ".sk-lock-class h4"):
        ratio = page.locator(selector).first.evaluate(CONTRAST_JS)
        assert ratio >= 4.5, f"{selector} contrast {ratio:.2f} in {theme}"
    background = page.evaluate("getComputedStyle(document.querySelector('.splatkit-graph')).backgroundColor")
    channels = [int(v) for v in background.strip("rgba()").split(",")[:3]]
    assert (sum(channels) < 200) if theme.endswith("Dark") else (sum(channels) > 600), background

    # The ordering comparison and the explanation further down: drawn, and their names text too.
    page.evaluate("() => { const nb = window.jupyterapp.shell.currentWidget.content;"
                  " return nb.scrollToItem(nb.widgets.length - 1, 'start'); }")
    page.wait_for_selector(".splatkit-explanation", state="attached")
    assert HOSTILE in page.locator(".splatkit-explanation").first.text_content()
    page.evaluate("() => { const nb = window.jupyterapp.shell.currentWidget.content;"
                  " return nb.scrollToItem(2, 'start'); }")
    page.wait_for_selector(".splatkit-ordering-1 .splatkit-graph canvas", state="attached")
    click_edge(page, ".splatkit-ordering-1 .splatkit-graph", f"{HOSTILE} -> cpu_hotplug_lock")
    page.screenshot(path=str(tmp_path / f"hostile-orderings-{srv.app}.png"))
    page.evaluate(_RUN_NEW_CELL_JS, "print('ORDER_OK', view.selected_edge == H + ' -> cpu_hotplug_lock')")
    page.wait_for_function(_OUTPUT_HAS_JS, arg="ORDER_OK True")

    assert page.evaluate(_SPELLED_JS) == 0
    assert page.evaluate("() => window.__pwned === undefined")
    assert watched_page.dialogs == []
    assert servers.page_errors(watched_page, srv) == []
    assert page.evaluate(_ERRORS_JS) == []
