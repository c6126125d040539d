"""Orderings side by side in a real browser (issue 11, item 7): JupyterLab and Notebook 7, light
and dark themes. The seed's graph under two orderings and one with a hostile lock name: the
columns stay on one row, every lock class sits at the same place in each column, labels are
drawn at 11 px or more (vis-network's own zoom times the font size), and a real mouse click
on each of two opposite dependencies shows its evidence below the columns, in the page and in
Python. Screenshots are saved in the test's ``tmp_path``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator

import pytest

from . import servers
from .test_lab import _ALL_RUN_JS, _ERRORS_JS, _OUTPUT_HAS_JS, _READY_JS, _RUN_NEW_CELL_JS

pytestmark = pytest.mark.browser

NOTEBOOK = "orderings.ipynb"
HOSTILE = "</script><img src=x onerror=alert(1)>"
DECLARED = "kvm_lock -> cpu_hotplug_lock"
RECORDED = "cpu_hotplug_lock -> kvm_lock"

SOURCE = f"""\
import splatkit
from splatkit.samples import ordering_text, sample_text
from splatkit.widgets import compare_orderings

graph = splatkit.LockGraph.from_splats(splatkit.parse(sample_text()))
view = compare_orderings(graph, {{"status-quo": ordering_text("status-quo"), "patch-v1": ordering_text("patch-v1"),
                                 {HOSTILE!r}: "kvm_lock -> " + {HOSTILE!r}}})
view"""

#: Per column: vis-network's zoom, the smallest label font drawn at it, the column's box, and
#: where each lock class is drawn relative to the column's canvas (CSS pixels).
_MEASURE_JS = """() => [0, 1, 2].map((i) => {
  const div = document.querySelector(`.splatkit-ordering-${i} .splatkit-graph`), net = div.splatkitNetwork;
  const column = document.querySelector(`.splatkit-ordering-${i}`).getBoundingClientRect();
  const fonts = [...Object.values(net.body.edges).filter((e) => e.options.label).map((e) => e.options.font.size),
                 ...Object.values(net.body.nodes).map((n) => n.options.font.size)];
  const at = {};
  for (const [id, p] of Object.entries(net.getPositions())) {
    const dom = net.canvasToDOM(p);
    at[id] = [Math.round(dom.x), Math.round(dom.y)];
  }
  return {scale: net.getScale(), font: Math.min(...fonts), top: column.top, left: column.left,
          right: column.right, at};
})"""

_SCROLLER_JS = """() => { const row = document.querySelector(".splatkit-ordering-columns");
  const css = getComputedStyle(row);
  return {wrap: css.flexWrap, overflowX: css.overflowX, scrollWidth: row.scrollWidth, clientWidth: row.clientWidth}; }"""

_EVIDENCE_HAS_JS = """(text) => { const panel = document.querySelector(".splatkit-evidence");
  return Boolean(panel && panel.textContent.includes(text)); }"""


@pytest.fixture(scope="module", params=["lab", "notebook"])
def server(request, chromium, tmp_path_factory) -> Iterator[servers.Server]:
    pytest.importorskip("jupyterlab" if request.param == "lab" else "notebook")
    nbformat = pytest.importorskip("nbformat")
    home = tmp_path_factory.mktemp(f"orderings-{request.param}")
    root = home / "notebooks"
    root.mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(SOURCE)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / NOTEBOOK)
    srv = servers.start(request.param, root, home)
    try:
        yield srv
    finally:
        srv.stop()


def _local_view():
    """The view the notebook builds, built here (the same code: the kernel imports this checkout)."""
    namespace: dict = {}
    exec(SOURCE.rsplit("\n", 1)[0], namespace)
    return namespace["view"]


def _open(page, server: servers.Server, theme: str):
    servers.run_all_in_theme(page, server, NOTEBOOK, theme, _READY_JS, _ALL_RUN_JS)
    for i in range(3):
        page.wait_for_selector(f".splatkit-ordering-{i} .splatkit-graph[data-sk-state=live] canvas", state="attached")
    page.wait_for_timeout(300)  # the first frame drawn


#: Notebook 7 folds a tall output into a scrolled box after a run: unfold it, as a reader would.
_UNFOLD_JS = """() => { for (const cell of window.jupyterapp.shell.currentWidget.content.widgets)
  if (cell.model.type === 'code') cell.outputsScrolled = false; }"""


def _ask_python(page, code: str, expect: str) -> None:
    page.evaluate(_RUN_NEW_CELL_JS, code)
    page.wait_for_function(_OUTPUT_HAS_JS, arg=expect)


@pytest.mark.parametrize("theme", ["JupyterLab Light", "JupyterLab Dark"])
def test_orderings_side_by_side(server, watched_page, click_edge, theme, tmp_path):
    page = watched_page.page
    page.set_viewport_size({"width": 1440, "height": 1500})  # a column is about 1,050 px tall
    _open(page, server, theme)
    assert page.evaluate(_ERRORS_JS) == []
    columns = page.evaluate(_MEASURE_JS)

    # Labels: at the zoom vis-network draws with, the smallest font is 11 px or more on screen.
    for column in columns:
        assert column["scale"] * column["font"] >= 11, column["scale"]
    # One row: the columns' tops align and each starts right of the one before; the row never
    # wraps, it scrolls sideways when wider than the page.
    assert max(c["top"] for c in columns) - min(c["top"] for c in columns) < 2
    assert columns[0]["right"] <= columns[1]["left"] and columns[1]["right"] <= columns[2]["left"]
    row = page.evaluate(_SCROLLER_JS)
    assert row["wrap"] == "nowrap" and row["overflowX"] in ("auto", "scroll"), row
    # The same place for a lock class in every column (relative to the column's canvas), and the
    # place the static picture gives it: the region both show is the view's viewport.
    expected = _local_view()
    vp = expected.viewport
    for lock in ("kvm_lock", "cpu_hotplug_lock", "&kvm->srcu", "&kvm->slots_lock"):
        places = [tuple(c["at"][lock]) for c in columns]
        assert max(abs(p[0] - places[0][0]) + abs(p[1] - places[0][1]) for p in places) <= 1, (lock, places)
        x, y = expected.positions[lock]
        assert abs(places[0][0] - (x - vp["x0"]) * vp["scale"]) <= 2 and abs(places[0][1] - (y - vp["y0"]) * vp["scale"]) <= 2

    # A click on the dependency patch-v1 declared: the ordering line below the columns.
    click_edge(page, ".splatkit-ordering-1 .splatkit-graph", DECLARED)
    page.wait_for_function(_EVIDENCE_HAS_JS, arg="ordering patch-v1, line 4")
    panel = page.locator(".splatkit-evidence")
    assert "kvm_lock -> cpu_hotplug_lock (read) @ hardware_enable_all" in panel.text_content()
    assert "No stack: this dependency was declared" in panel.text_content()
    _ask_python(page, "print('PICKED=' + view.selected + ' | ' + view.selected_edge + ' | ' + view.evidence['from'][0])",
                f"PICKED=patch-v1 | {DECLARED} | ordering patch-v1, line 4")

    # Its opposite, which the splat recorded, is a separate arrow a click finds: the splat entry
    # and its stack.
    click_edge(page, ".splatkit-ordering-1 .splatkit-graph", RECORDED)
    page.wait_for_function(_EVIDENCE_HAS_JS, arg="splat 0, chain entry #3")
    assert panel.locator("table").count() == 2  # the evidence, and the stack that recorded it
    assert "kvm_dev_ioctl" in panel.locator("table").nth(1).text_content()
    _ask_python(page, "print('PICKED=' + view.selected_edge + ' | ' + view.evidence['from'][0] + ' | '"
                      " + view.frames['function'].iloc[1])",
                f"PICKED={RECORDED} | splat 0, chain entry #3 | kvm_dev_ioctl")
    selected = page.evaluate("[0, 1, 2].map((i) => document.querySelector(`.splatkit-ordering-${i} .splatkit-graph`)"
                             ".splatkitNetwork.getSelectedEdges())")
    assert selected == [[], [RECORDED], []]

    # The hostile name is drawn as text and ran nothing.
    assert watched_page.dialogs == []
    assert page.locator(".splatkit-ordering-2 img").count() == 0
    assert HOSTILE in page.locator(".splatkit-ordering-2").text_content()

    name = f"orderings-{server.app}-{theme.split()[-1]}"
    page.evaluate(_UNFOLD_JS)
    canvas = page.locator(".splatkit-ordering-1 canvas").bounding_box()
    page.mouse.move(canvas["x"] + canvas["width"] - 4, canvas["y"] + 4)
    page.add_style_tag(content=".vis-tooltip { display: none !important; }")  # the last hover's tooltip
    page.wait_for_timeout(400)
    page.locator(".splatkit-ordering-columns").scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / f"{name}.png"))
    panel.scroll_into_view_if_needed()
    panel.screenshot(path=str(tmp_path / f"{name}-evidence.png"))
    hostile = page.locator(".splatkit-ordering-2")
    hostile.scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / f"{name}-hostile.png"))
    (tmp_path / f"{name}.json").write_text(json.dumps(columns, indent=1))
    assert servers.page_errors(watched_page, server) == []
