"""Labels read at the first zoom (issue 11, item 6), measured on screen for every report of the
syzkaller corpus whose graph has three lock classes or more: in the explorer in JupyterLab (a
1,300 px window with the file browser open, the narrowest canvas the layout is made for) and in
the HTML report. The smallest lock class label is drawn at 11 px or more (vis-network's zoom
times the font size), and nothing is cut off: every lock class box and every label on an arrow
lies inside the canvas.

Before: 11 of the 30 explorers drew their smallest label at 5.8 to 9.8 px, 14 of the reports at
5.2 to 10.3 px.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

import splatkit
from splatkit.render.html import write_report
from splatkit.render.kind_view import kind_graph

from conftest import CORPUS, read_log

from . import servers
from .test_lab import _ALL_RUN_JS, _ERRORS_JS, _READY_JS

pytestmark = pytest.mark.browser

NOTEBOOK = "readable.ipynb"
READABLE_PX = 11
#: A window as wide as a laptop's: the canvas is 868 px wide in JupyterLab, the report's left column 535 px.
WINDOW = {"width": 1300, "height": 1000}

#: The zoom, the smallest lock class font drawn at it, and what of the drawing (lock class boxes,
#: labels on arrows) lies outside the canvas of the network drawn in `selector`.
MEASURE_JS = """(selector) => {
  const div = document.querySelector(selector), net = div.splatkitNetwork;
  const width = div.clientWidth, height = div.clientHeight;
  const outside = [];
  const check = (what, box) => {
    const a = net.canvasToDOM({x: box.left, y: box.top}), b = net.canvasToDOM({x: box.right, y: box.bottom});
    if (a.x < -0.5 || a.y < -0.5 || b.x > width + 0.5 || b.y > height + 0.5) outside.push(what);
  };
  for (const node of Object.values(net.body.nodes)) check(node.id, node.shape.boundingBox);
  for (const edge of Object.values(net.body.edges)) {
    const s = edge.labelModule.size;
    if (edge.options.label) check(edge.id, {left: s.left, top: s.top, right: s.left + s.width, bottom: s.top + s.height});
  }
  return {scale: net.getScale(), font: Math.min(...Object.values(net.body.nodes).map((n) => n.options.font.size)),
          outside, width, height};
}"""


def _texts() -> list[tuple[str, str]]:
    """(name, text) of every corpus report whose graph has three lock classes or more."""
    out = []
    for path in sorted((CORPUS / "report").iterdir()):
        text = read_log(path)
        splats = splatkit.parse(text)
        if splats and len(kind_graph(splats).nx) >= 3:
            out.append((path.name, text))
    return out


@pytest.fixture(scope="module")
def texts(corpus_dir) -> list[tuple[str, str]]:
    found = _texts()
    assert len(found) >= 25
    return found


@pytest.fixture(scope="module")
def lab(chromium, texts, tmp_path_factory) -> Iterator[servers.Server]:
    """A JupyterLab serving a notebook that explores each of ``texts``."""
    pytest.importorskip("jupyterlab")
    home = tmp_path_factory.mktemp("readable")
    root = home / "notebooks"
    root.mkdir()
    cells = ["from splatkit.widgets import explore"]
    for i, (_name, text) in enumerate(texts):
        (root / f"r{i}.txt").write_text(text, encoding="utf-8")
        cells.append(f"e = explore(open('r{i}.txt', encoding='utf-8').read())\ne.add_class('rl-{i}')\ne")
    (root / NOTEBOOK).write_text(json.dumps(servers.code_notebook(*cells)), encoding="utf-8")
    server = servers.start("lab", root, home)
    try:
        yield server
    finally:
        server.stop()


def _check(measured: dict[str, dict]) -> dict[str, float]:
    """Assert each measure (labels readable, nothing outside); the label sizes."""
    sizes = {}
    for name, m in measured.items():
        sizes[name] = m["scale"] * m["font"]
        assert sizes[name] >= READABLE_PX, (name, m)
        assert m["outside"] == [], (name, m)
    return sizes


def test_every_explorer_reads_at_the_first_zoom(lab, texts, watched_page, tmp_path):
    page = watched_page.page
    page.set_viewport_size(WINDOW)
    servers.run_all_in_theme(page, lab, NOTEBOOK, "JupyterLab Light", _READY_JS, _ALL_RUN_JS)
    assert page.evaluate(_ERRORS_JS) == []
    measured = {}
    for i, (name, _text) in enumerate(texts):
        page.evaluate(f"() => window.jupyterapp.shell.currentWidget.content.scrollToItem({i + 1}, 'start')")
        page.wait_for_selector(f".rl-{i} .splatkit-graph[data-sk-state=live] canvas", state="attached")
        measured[name] = page.evaluate(MEASURE_JS, f".rl-{i} .splatkit-graph")
    assert {m["width"] for m in measured.values()} == {866}  # (the canvas the layout is made for, less its border)
    sizes = _check(measured)
    # The smallest and a tall one, as a reader sees them.
    for name in (min(sizes, key=sizes.get), max(measured, key=lambda n: measured[n]["height"])):
        i = [n for n, _t in texts].index(name)
        page.evaluate(f"() => window.jupyterapp.shell.currentWidget.content.scrollToItem({i + 1}, 'start')")
        page.locator(f".rl-{i} .splatkit-graph").screenshot(path=str(tmp_path / f"explorer-{name}.png"))
    assert servers.page_errors(watched_page, lab) == []


def test_every_html_report_reads_at_the_first_zoom(texts, watched_page, tmp_path):
    page = watched_page.page
    page.set_viewport_size(WINDOW)
    measured, wide = {}, {}
    for name, text in texts:
        path = write_report(splatkit.parse(text)[0], tmp_path / f"{name}.html")
        page.goto(path.as_uri())
        page.wait_for_selector("#sk-graph canvas")
        measured[name] = page.evaluate(MEASURE_JS, "#sk-graph")
        wide[name] = page.evaluate("() => document.querySelector('#sk-graph').closest('section')"
                                   ".classList.contains('sk-wide')")
    sizes = _check(measured)
    assert 0 < sum(wide.values()) < len(wide)  # (a drawing that reads beside the stacks stays there)
    for name in (min(sizes, key=sizes.get), next(n for n in wide if wide[n])):
        page.goto((tmp_path / f"{name}.html").as_uri())
        page.wait_for_selector("#sk-graph canvas")
        page.wait_for_timeout(200)
        page.screenshot(path=str(tmp_path / f"report-{name}.png"))
    assert watched_page.errors == []
