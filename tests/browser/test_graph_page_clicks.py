"""A big graph page in a real Chromium (issue 11, item 6): a mouse click on the pixel where an
arrow's middle is drawn selects that arrow, and a frame draws only the arrows in view.

The page is a generated /proc/lockdep dump of 800 lock classes (1,608 dependencies, in the
layered drawing of big graphs) with the seed merged in: dense enough that, before
render.bends and vis_fixes.js, clicks at midpoints picked other arrows or boxes.
"""

from __future__ import annotations

import pytest

import splatkit
from splatkit.render.graph_page import write_graph_page
from splatkit.synthetic import big_lock_graph

pytestmark = pytest.mark.browser

_NET = "document.querySelector('#sk-graph').splatkitNetwork"

#: Bring edge `id` to the middle of the view at zoom 1: the page pixel its middle is drawn on.
_AIM_JS = f"""(id) => {{
  const net = {_NET}, canvas = document.querySelector('#sk-graph canvas');
  const mid = net.body.edges[id].edgeType.getPoint(0.5);
  net.moveTo({{ position: mid, scale: 1, animation: false }});
  net.redraw();
  const dom = net.canvasToDOM(mid), r = canvas.getBoundingClientRect();
  return {{ x: Math.round(r.left + dom.x), y: Math.round(r.top + dom.y) }};
}}"""

#: How many arrows the next frame draws (each arrow's draw() counted once, then restored).
_DRAWN_IN_A_FRAME_JS = f"""() => {{
  const net = {_NET}, edges = Object.values(net.body.edges);
  const proto = Object.getPrototypeOf(edges[0]), draw = proto.draw;
  let count = 0;
  proto.draw = function (ctx) {{ count++; return draw.call(this, ctx); }};
  try {{ net.redraw(); }} finally {{ proto.draw = draw; }}
  return [count, edges.length];
}}"""


@pytest.fixture(scope="module")
def page_file(tmp_path_factory, seed_text):
    splats = splatkit.parse(seed_text)
    path = tmp_path_factory.mktemp("graph-page") / "big.html"
    return write_graph_page(big_lock_graph(800, splats), path, title="800 classes", splats=splats)


def test_a_click_on_an_arrows_middle_selects_it(watched_page, page_file, tmp_path):
    page = watched_page.page
    page.goto(page_file.as_uri())
    page.wait_for_function("document.body.dataset.skSelectedEdge !== undefined")
    edges = page.evaluate(f"Object.keys({_NET}.body.edges).sort()")
    assert len(edges) > 1000
    picks = edges[7::len(edges) // 40][:40]
    missed = []
    for edge in picks:
        if page.evaluate("document.body.dataset.skSelectedEdge") == edge:
            continue
        point = page.evaluate(_AIM_JS, edge)
        page.mouse.click(point["x"], point["y"])
        page.wait_for_timeout(50)
        got = page.evaluate("document.body.dataset.skSelectedEdge")
        if got != edge:
            missed.append((edge, got))
    page.screenshot(path=str(tmp_path / "graph-page-800-last-click.png"))
    assert missed == []
    # The evidence table follows the last click.
    caption = page.locator("#sk-evidence-caption").text_content()
    last = picks[-1].split(" -> ")
    assert caption.startswith(f"{last[0]} \u2192 {last[1]}")
    assert watched_page.errors == [] and watched_page.dialogs == []


def test_a_frame_draws_the_arrows_in_view(watched_page, page_file):
    page = watched_page.page
    page.goto(page_file.as_uri())
    page.wait_for_function("document.body.dataset.skSelectedEdge !== undefined")
    page.evaluate(f"{_NET}.moveTo({{ scale: 1.5, animation: false }})")
    drawn, total = page.evaluate(_DRAWN_IN_A_FRAME_JS)
    assert 0 < drawn < total / 2
    page.evaluate(f"{_NET}.fit({{ animation: false }})")
    drawn, total = page.evaluate(_DRAWN_IN_A_FRAME_JS)
    assert drawn == total  # the whole graph in view: every arrow
