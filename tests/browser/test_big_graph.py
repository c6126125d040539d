"""The explorer on a 200-class graph in a real headless browser (issue 11, items 6 and 10),
JupyterLab and Notebook 7, each in its light and its dark theme: type a
lock class in the search box, pick a cycle in the list, and check the kernel's state
(``explorer.focus``, ``cycle_index``...) and what the canvas shows (the selected node, the
picked cycle's wider arrows, a readable zoom). Two reports are merged into a generated
/proc/lockdep dump: the seed, and the seed with a hostile lock name, which must run no script.

Screenshots go to the test's tmp_path (``pytest --basetemp=DIR`` keeps them).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

import splatkit
from splatkit.render.navigate import cycle_label
from splatkit.samples import sample_text
from splatkit.synthetic import big_lock_graph

from . import servers
from .test_lab import _ALL_RUN_JS, _ERRORS_JS, _OUTPUT_HAS_JS, _READY_JS, _RUN_NEW_CELL_JS
from .test_themes import CONTRAST_JS

pytestmark = pytest.mark.browser

HOSTILE = "</script><img src=x onerror=alert(1)>"
NOTEBOOK = "big-graph.ipynb"
SOURCE = f"""\
import splatkit
from splatkit.render.navigate import cycle_label
from splatkit.samples import sample_text
from splatkit.synthetic import big_lock_graph
from splatkit.widgets import Explorer

seed = sample_text()
splats = [*splatkit.parse(seed), *splatkit.parse(seed.replace("kvm_lock", {HOSTILE!r}))]
explorer = Explorer(splats, graph=big_lock_graph(200, splats))
explorer"""

_NETWORK = "document.querySelector('.splatkit-graph[data-sk-state=live]').splatkitNetwork"


@pytest.fixture(scope="module")
def expected():
    """What the kernel will compute, computed here too: the graph, its cycles, a lock far away."""
    from splatkit.widgets import Explorer

    seed = sample_text()
    splats = [*splatkit.parse(seed), *splatkit.parse(seed.replace("kvm_lock", HOSTILE))]
    explorer = Explorer(splats, graph=big_lock_graph(200, splats))
    drawn = {n["id"] for n in explorer.graph.nodes}
    far = next(n for n in sorted(map(str, explorer.lock_graph.nx)) if n not in drawn and n.startswith("&obj_"))
    hostile = next(i for i, c in enumerate(explorer.cycles) if HOSTILE in c)
    return {"explorer": explorer, "far": far, "hostile": hostile, "drawn": drawn}


@pytest.fixture(scope="module", params=servers.APPS, ids=["lab", "notebook7"])
def big_server(request, chromium, tmp_path_factory) -> Iterator[servers.Server]:
    """A JupyterLab or Notebook 7 serving the notebook (a copy per theme)."""
    app = request.param
    pytest.importorskip("jupyterlab" if app == "lab" else "notebook")
    nbformat = pytest.importorskip("nbformat")
    home = tmp_path_factory.mktemp(f"{app}-big")
    root = home / "notebooks"
    root.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(SOURCE)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    servers.write_themed(root, NOTEBOOK, nbformat.writes(nb))
    server = servers.start(app, root, home)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def _ask(page, code: str, answer: str) -> None:
    """Run ``code`` in a new cell of the notebook's kernel and wait for ``answer`` in its output."""
    page.evaluate(_RUN_NEW_CELL_JS, code)
    page.wait_for_function(_OUTPUT_HAS_JS, arg=answer)


@pytest.mark.parametrize("theme", servers.THEMES, ids=["light", "dark"])
def test_search_and_cycle_list_on_a_200_class_graph(big_server, theme, watched_page, expected, tmp_path):
    server = big_server
    lab_url = server.url
    page = watched_page.page
    servers.run_all_in_theme(page, server, servers.themed(NOTEBOOK, theme), theme, _READY_JS, _ALL_RUN_JS)
    page.wait_for_selector(".splatkit-graph[data-sk-state=live] canvas")
    assert page.evaluate(_ERRORS_JS) == []
    explorer = expected["explorer"]

    def shot(name: str) -> None:
        page.locator(".splatkit-navigation").scroll_into_view_if_needed()
        page.evaluate("document.querySelector('.splatkit-navigation').scrollIntoView({block: 'start'})")
        page.screenshot(path=str(tmp_path / f"{server.app}-{theme.split()[-1]}-{name}"))

    # At first: the neighbourhood of the first cycle, framed at a readable zoom, and said so.
    first = explorer.cycles[0]
    assert page.evaluate(f"{_NETWORK}.body.nodeIndices.length") == len(expected["drawn"]) < 200
    assert page.evaluate(f"{_NETWORK}.getScale()") >= 0.6 - 1e-9
    assert page.locator(".splatkit-scope .sk-note").text_content().startswith("The lock graph has 200 lock classes")
    shot("big-graph-start.png")
    if theme.endswith("Dark"):  # the controls and the note read in the dark theme too
        for selector in (".splatkit-search input", ".splatkit-cycles select", ".splatkit-scope .sk-note"):
            ratio = page.locator(selector).first.evaluate(CONTRAST_JS)
            assert ratio >= 4.5, f"{selector} contrast {ratio:.2f}"

    # Type a lock class far from the cycle: the kernel re-scopes around it and selects it.
    far = expected["far"]
    page.locator(".splatkit-search input").fill(far)
    page.wait_for_function(f"(far) => {_NETWORK}.getSelectedNodes().join() === far", arg=far)
    positions = page.evaluate(f"(far) => {_NETWORK}.getPositions([far])", far)
    assert far in positions
    assert page.evaluate(f"{_NETWORK}.getScale()") >= 0.6 - 1e-9
    # The searched box is in view (framed), its panel below the drawing.
    inside = page.evaluate(f"""(far) => {{
      const net = {_NETWORK}, div = document.querySelector('.splatkit-graph[data-sk-state=live]');
      const p = net.canvasToDOM(net.getPositions([far])[far]), r = div.getBoundingClientRect();
      return p.x > 0 && p.y > 0 && p.x < r.width && p.y < r.height; }}""", far)
    assert inside
    page.wait_for_function("(far) => [...document.querySelectorAll('.sk-lock-class h4')]"
                           ".some((h) => h.textContent === 'Lock class ' + far)", arg=far)
    _ask(page, "print('FOCUS=%s|%s|%s|%d' % (explorer.focus, explorer.graph.selected_node, explorer.search,"
               " explorer.cycle_index))", f"FOCUS={far}|{far}|{far}|-1")
    shot("big-graph-search.png")

    # Pick the hostile report's cycle in the list: drawn wider, framed, its first stack shown.
    index = expected["hostile"]
    locks = explorer.cycles[index]
    page.locator(".splatkit-cycles select").select_option(label=f"{index}. {cycle_label(locks)}")
    first_edge = f"{locks[0]} -> {locks[1]}"
    page.wait_for_function(f"(id) => {_NETWORK}.getSelectedEdges().join() === id", arg=first_edge)
    widths = page.evaluate(f"""(locks) => locks.map((a, i) => {{
      const e = {_NETWORK}.body.data.edges.get(a + ' -> ' + locks[(i + 1) % locks.length]);
      return e ? e.width : null; }})""", list(locks))
    assert widths == [6] * len(locks)
    drawn = set(page.evaluate(f"{_NETWORK}.body.nodeIndices"))
    assert set(locks) <= drawn
    _ask(page, "print('CYCLE=%d|%s|%s' % (explorer.cycle_index, explorer.selected_edge == "
               f"{first_edge!r}, explorer.focus == {locks[0]!r}))", f"CYCLE={index}|True|True")
    page.wait_for_function("() => [...document.querySelectorAll('.splatkit-tables caption')]"
                           ".some((c) => c.textContent.includes('\u2192'))")
    shot("big-graph-cycle.png")
    # The hostile name is text everywhere: no dialog, no injected image, no page error.
    assert watched_page.dialogs == [] and servers.page_errors(watched_page, server) == []
    assert page.locator(".jp-OutputArea-output img[src=x]").count() == 0
    assert [u for u in watched_page.requests if u.startswith(("http:", "https:")) and not u.startswith(lab_url)] == []
