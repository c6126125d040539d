"""Browser fixtures: one headless system Chromium per session, a watched page per test,
and a helper that clicks a lock-graph edge the way a reader does (a real mouse click).

Chromium comes from the ``chromium`` fixture of ``tests/conftest.py`` (these tests skip
without one, unless ``SPLATKIT_REQUIRE_BROWSER=1``); Playwright's own browser download is
never used.

Every screenshot a browser test saves in its ``tmp_path`` is kept as a test artefact:
copied, after the test, to ``$SPLATKIT_ARTIFACTS/<test>/`` (default ``test-artifacts/browser``
in the repository, ignored by git), where a reader or CI can look at what the test saw.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import CHROMIUM_ARGS  # tests/conftest.py (this directory is the package "browser")

#: Page coordinates of a point on edge `id` of the network drawn in `selector`, where a
#: click hits that edge and no node; null when there is none. Stops the physics first so
#: the point stays put, and checks that nothing covers the canvas there.
_EDGE_POINT_JS = """([selector, id]) => {
  const div = document.querySelector(selector), net = div.splatkitNetwork;
  net.stopSimulation();
  div.scrollIntoView({block: "center"});
  const r = div.getBoundingClientRect();
  for (let i = 1; i < 20; i++) {
    const t = 0.5 + (i % 2 ? 1 : -1) * Math.floor(i / 2) * 0.05;  // 0.5, 0.45, 0.55, 0.4, ...
    const dom = net.canvasToDOM(net.body.edges[id].edgeType.getPoint(t));
    const x = r.left + dom.x, y = r.top + dom.y;
    if (dom.x < 4 || dom.y < 4 || dom.x > r.width - 4 || dom.y > r.height - 4) continue;
    if (net.getNodeAt(dom) !== undefined || net.getEdgeAt(dom) !== id) continue;
    if (document.elementFromPoint(x, y) !== div.querySelector("canvas")) continue;
    return {x, y};
  }
  return null;
}"""

#: The random start can leave two wide box nodes side by side, hiding the edge between
#: them; then move the edge's head away from its tail (along the edge) and fit the view.
_UNCOVER_EDGE_JS = """([selector, id]) => {
  const net = document.querySelector(selector).splatkitNetwork, edge = net.body.edges[id];
  const pos = net.getPositions([edge.fromId, edge.toId]), a = pos[edge.fromId], b = pos[edge.toId];
  const dx = b.x - a.x, dy = b.y - a.y, len = Math.hypot(dx, dy) || 1;
  net.moveNode(edge.toId, a.x + (dx / len) * 400, a.y + (dy / len) * 400);
  net.fit({animation: false});
}"""


#: Where screenshots are kept after the tests (``SPLATKIT_ARTIFACTS`` overrides it).
ARTIFACTS = Path(os.environ.get("SPLATKIT_ARTIFACTS")
                 or Path(__file__).resolve().parents[2] / "test-artifacts" / "browser")


@pytest.fixture(autouse=True)
def keep_screenshots(request) -> Iterator[None]:
    """After each test that has a ``tmp_path``, copy the PNGs it saved there to :data:`ARTIFACTS`."""
    if "tmp_path" not in request.fixturenames:
        yield
        return
    tmp_path = request.getfixturevalue("tmp_path")  # (set up first: still there after the test)
    yield
    shots = sorted(tmp_path.rglob("*.png"))
    if shots:
        folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.nodeid.split("::", 1)[-1])
        folder.mkdir(parents=True, exist_ok=True)
        for shot in shots:
            shutil.copyfile(shot, folder / shot.name)


@dataclass
class WatchedPage:
    """A Playwright page and what it did: requested URLs, uncaught errors, dialogs it opened."""

    page: Any
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def browser(chromium) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def watched_page(browser) -> Iterator[WatchedPage]:
    """A fresh 1440x1000 page whose requests, page errors and dialogs are recorded
    (dialogs are dismissed so a stray ``alert`` cannot hang the test)."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    watched = WatchedPage(page)
    page.on("request", lambda r: watched.requests.append(r.url))
    page.on("pageerror", lambda e: watched.errors.append(str(e)))

    def on_dialog(dialog: Any) -> None:
        watched.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    try:
        yield watched
    finally:
        context.close()


@pytest.fixture
def click_edge() -> Callable[[Any, str, str], None]:
    """``click_edge(page, selector, edge_id)``: a real mouse click on the middle of an edge
    of the lock graph drawn in ``selector`` (an element carrying ``splatkitNetwork``)."""

    def click(page: Any, selector: str, edge_id: str) -> None:
        page.wait_for_selector(f"{selector} canvas", state="attached")
        page.locator(selector).first.scroll_into_view_if_needed()  # notebooks render cells lazily
        page.wait_for_selector(f"{selector} canvas")
        page.wait_for_timeout(500)  # let the first physics frames run before freezing them
        point = page.evaluate(_EDGE_POINT_JS, [selector, edge_id])
        if point is None:
            page.evaluate(_UNCOVER_EDGE_JS, [selector, edge_id])
            page.wait_for_timeout(100)
            point = page.evaluate(_EDGE_POINT_JS, [selector, edge_id])
        assert point is not None, f"no clickable point on edge {edge_id!r}"
        page.mouse.click(point["x"], point["y"])

    return click


#: Page coordinates of the centre of lock class `id` in the network drawn in `selector`.
_NODE_POINT_JS = """([selector, id]) => {
  const div = document.querySelector(selector), net = div.splatkitNetwork, r = div.getBoundingClientRect();
  const dom = net.canvasToDOM(net.getPositions([id])[id]);
  return {x: r.left + dom.x, y: r.top + dom.y};
}"""


@pytest.fixture
def click_node() -> Callable[[Any, str, str], None]:
    """``click_node(page, selector, name)``: a real mouse click on the centre of lock class
    ``name`` in the first lock graph drawn in ``selector``; again, at its new place, when the
    click that activated the cell scrolled the notebook under the pointer."""

    def click(page: Any, selector: str, name: str) -> None:
        for _attempt in range(3):
            page.locator(selector).first.scroll_into_view_if_needed()
            page.wait_for_timeout(400)
            point = page.evaluate(_NODE_POINT_JS, [selector, name])
            page.mouse.click(point["x"], point["y"])
            if page.evaluate("(s) => document.querySelector(s).splatkitNetwork.getSelectedNodes()", selector) == [name]:
                return
        assert False, f"no click selected lock class {name!r} in {selector}"

    return click

