"""A big graph page opens, and picks a cycle, with something of that cycle in view.

The page is a generated /proc/lockdep dump of 3,000 lock classes with the seed merged in: the
seed's 4-lock cycle leads the cycle list, and the layout puts its lock classes thousands of
pixels apart, farther than a readable zoom can show at once. A fit centred between them (what
the page did) showed none of them; now the view centres the selected dependency's lock class.
"""

from __future__ import annotations

import pytest

import splatkit
from splatkit.render.graph_page import write_graph_page
from splatkit.synthetic import big_lock_graph

pytestmark = pytest.mark.browser

_NET = "document.querySelector('#sk-graph').splatkitNetwork"

#: Whether lock class `id`'s box lies inside the drawing's canvas, and the zoom.
_IN_VIEW_JS = f"""(id) => {{
  const net = {_NET}, canvas = document.querySelector('#sk-graph canvas');
  const dom = net.canvasToDOM(net.getPosition(id)), r = canvas.getBoundingClientRect();
  return {{ inside: dom.x >= 0 && dom.y >= 0 && dom.x <= r.width && dom.y <= r.height, scale: net.getScale() }};
}}"""


@pytest.fixture(scope="module")
def page_file(tmp_path_factory, seed_text):
    splats = splatkit.parse(seed_text)
    path = tmp_path_factory.mktemp("graph-page") / "big.html"
    return write_graph_page(big_lock_graph(3000, splats), path, title="3,000 classes", splats=splats), splats


def test_the_first_cycle_and_a_picked_one_are_in_view(watched_page, page_file, tmp_path):
    path, splats = page_file
    page = watched_page.page
    page.goto(path.as_uri())
    page.wait_for_function("document.body.dataset.skSelectedEdge !== undefined")
    page.wait_for_timeout(300)  # (vis-network settles the view on its first frames)
    held, acquired = page.evaluate("document.body.dataset.skSelectedEdge").split(" -> ")
    first = page.locator("#sk-cycles option[value='0']").text_content()
    # The seed's own cycle leads the list, and its locks are too far apart to fit readably.
    assert all(lock in first for lock in splats[0].cycle), first
    assert held in splats[0].cycle and acquired in splats[0].cycle
    spread = page.evaluate(f"""(ids) => {{ const p = {_NET}.getPositions(ids), xs = ids.map((i) => p[i].x);
                                  return Math.max(...xs) - Math.min(...xs); }}""", list(splats[0].cycle))
    width = page.evaluate("document.querySelector('#sk-graph canvas').getBoundingClientRect().width")
    assert spread * 0.6 > width
    seen = page.evaluate(_IN_VIEW_JS, held)
    assert seen["inside"] and seen["scale"] >= 0.6 - 1e-9
    page.screenshot(path=str(tmp_path / "graph-page-3000-first.png"))
    # Pick another cycle, then the first again: each time the first lock of its first dependency shows.
    for index in (1, 0):
        page.select_option("#sk-cycles", str(index))
        page.wait_for_timeout(100)
        edge = page.evaluate("document.body.dataset.skSelectedEdge")
        cycle = page.locator(f"#sk-cycles option[value='{index}']").text_content()
        assert cycle.split(" \u2192 ")[0].split(". ", 1)[1] == edge.split(" -> ")[0]
        assert page.evaluate(_IN_VIEW_JS, edge.split(" -> ")[0])["inside"]
    assert watched_page.errors == [] and watched_page.dialogs == []
