"""Big lock graphs in a real browser (issue 11, item 6): how fast a page draws, and whether clicks hit.

Pages: the seed's HTML report (:func:`splatkit.render.html.report_html`), and graph pages
(:func:`splatkit.render.graph_page.graph_page_html`) of a generated ``/proc/lockdep`` dump of
N lock classes (2 dependencies per class, :func:`splatkit.synthetic.big_lock_graph`) with the
seed's report merged in (so its cycle is in the big graph). Each page is opened in headless
Chromium (Debian's /usr/bin/chromium through Playwright) and measured:

- draw: from the page's HTML having arrived (``responseEnd``) to vis-network's first
  ``afterDrawing``; then whether it is settled (drawings in the next second: 0 means no
  physics or animation runs);
- longest task: the longest task the page ran (PerformanceObserver ``longtask``, over 50 ms),
  and the longest one starting after the first drawing (the clicks below included: each
  brings its dependency into view, a redraw, as a reader's pan does);
- clicks: up to 48 dependencies, spread over the sorted ids, each brought to the middle of the
  view at zoom 1 and clicked with the mouse at the page pixel its midpoint is drawn on
  (``canvasToDOM`` of ``getPoint(0.5)``, from the canvas's corner, rounded as a mouse clicks
  whole pixels): whether the page selected that dependency, and the time from
  ``pointerdown`` to the evidence (or stack) table's change. The midpoint is clicked
  whatever lies there; a missed click says what the reader saw on that pixel instead (a box,
  or an arrow drawn after it);
- size: the page's bytes beyond vis-network and splatkit's scripts, per dependency.

Beside each size above 300 dependencies, the same page with straight arrows (but for
opposite pairs: ``straight_above=300``) is measured in the same run, to see what curves cost
(straight arrows cannot bend to clear their middles: :mod:`splatkit.render.bends`), and the
Python side is timed (graph view-model with its layout and bends, page). Goals (issue 11):
seed < 0.5 s, 1,000 classes < 2 s, 3,000 < 6 s, no task > 200 ms after the first drawing,
every click hits and updates within 100 ms.

    .venv/bin/python benchmarks/browser_graph.py            # seed, 50, 200, 1000, 3000
    .venv/bin/python benchmarks/browser_graph.py --quick    # seed and 50 (a smoke run)
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import splatkit  # noqa: E402
from splatkit.render.graph_page import graph_page_html  # noqa: E402
from splatkit.render.assets import lock_graph_assets, vis_network_assets  # noqa: E402
from splatkit.render.html import report_html  # noqa: E402
from splatkit.render.layout import positions  # noqa: E402
from splatkit.samples import sample_text  # noqa: E402
from splatkit.synthetic import big_lock_graph  # noqa: E402

RESULTS = REPO / "benchmarks" / "results" / "browser_graph.txt"
SEED = REPO.parent / "shared" / "seed" / "kvm-cpuhp-lockdep-email.txt"
CHROMIUM = os.environ.get("SPLATKIT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
GOALS = {"seed": 0.5, 1000: 2.0, 3000: 6.0}
CLICKS = 48

#: Before any script of the page: record long tasks and drawings.
_INIT_JS = """
window.__longtasks = [];
try {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longtasks.push([e.startTime, e.duration]);
  }).observe({ type: "longtask", buffered: true });
} catch (e) { window.__longtasks = null; }
// The drawing code leaves the network on its element (element.splatkitNetwork = network) right
// after building it, before its first drawing (a later frame): note when that drawing is done.
Object.defineProperty(HTMLElement.prototype, "splatkitNetwork", {
  configurable: true,
  set(network) {
    Object.defineProperty(this, "splatkitNetwork", { value: network, writable: true, configurable: true });
    network.once("afterDrawing", () => { this.dataset.skDrawn = performance.now(); });
  },
});
"""

#: After the first drawing: count the drawings of the next second; watch the tables.
_WATCH_JS = """() => {
  const div = document.querySelector(".splatkit-graph"), net = div.splatkitNetwork;
  window.__draws = 0;
  net.on("afterDrawing", () => window.__draws++);
  window.__down = 0; window.__updated = 0;
  div.addEventListener("pointerdown", () => { window.__down = performance.now(); window.__updated = 0; }, true);
  const target = document.getElementById("sk-evidence") || document.getElementById("sk-stack");
  new MutationObserver(() => { if (!window.__updated) window.__updated = performance.now(); })
    .observe(target, { subtree: true, childList: true, attributes: true, characterData: true });
  const nav = performance.getEntriesByType("navigation")[0];
  return { start: nav.responseEnd, drawn: Number(div.dataset.skDrawn), scale: net.getScale() };
}"""

#: Bring edge `id` to the middle of the view at zoom 1: the page pixel its midpoint is drawn on
#: (vis-network's canvas sits inside the graph's 1 px border, and a mouse clicks whole pixels).
_AIM_JS = """(id) => {
  const div = document.querySelector(".splatkit-graph"), net = div.splatkitNetwork;
  const canvas = div.querySelector("canvas"), mid = net.body.edges[id].edgeType.getPoint(0.5);
  net.moveTo({ position: mid, scale: 1.0, animation: false });
  net.redraw();
  const dom = net.canvasToDOM(mid), r = canvas.getBoundingClientRect();
  return { x: Math.round(r.left + dom.x), y: Math.round(r.top + dom.y),
           selected: document.body.dataset.skSelectedEdge };
}"""

#: After a missed click at page pixel (x, y) on edge `id`: what the reader saw there, a box or
#: an arrow drawn after that edge whose line covers the point (run only then: it takes time).
_SEEN_JS = """([id, x, y]) => {
  const div = document.querySelector(".splatkit-graph"), net = div.splatkitNetwork, body = net.body;
  const r = div.querySelector("canvas").getBoundingClientRect(), dom = { x: x - r.left, y: y - r.top };
  const at = net.DOMtoCanvas(dom), order = body.edgeIndices;
  const distance = window.vis && vis.splatkitFix ? (e) => vis.splatkitFix.distance(e, at.x, at.y) :
    (e) => e.edgeType.getDistanceToEdge(e.from.x, e.from.y, e.to.x, e.to.y, at.x, at.y);
  const over = order.slice(order.indexOf(id) + 1).filter((other) => {
    const e = body.edges[other];
    return distance(e) <= (e.options.width || 1) / 2 + 1;
  });
  return { onNode: net.getNodeAt(dom) !== undefined, under: over.length ? over[over.length - 1] : null };
}"""


def _pages(tmp: Path, sizes: list[int]) -> list[dict]:
    """Each page to measure, written to ``tmp``, with the Python side's figures."""
    seed_text = SEED.read_text(encoding="utf-8", errors="replace") if SEED.is_file() else sample_text()
    seed = splatkit.parse(seed_text)
    assets = len(vis_network_assets().js) + len(vis_network_assets().css) + len(lock_graph_assets().js) \
        + len(lock_graph_assets().css)
    pages = []
    start = time.perf_counter()
    html = report_html(seed[0], source=SEED.name)
    pages.append({"name": "seed report", "size": "seed", "build": time.perf_counter() - start, "html": html,
                  "edges": len(splatkit.LockGraph.from_splats(seed[0]).nx.edges), "layout": None})
    for n in sizes:
        graph = big_lock_graph(n, seed)
        start = time.perf_counter()
        positions(graph.nx)
        layout = time.perf_counter() - start
        for curved in ((True, False) if graph.nx.number_of_edges() > 300 else (True,)):
            start = time.perf_counter()
            html = graph_page_html(graph, title=f"generated /proc/lockdep, {n} classes, and the seed", splats=seed,
                                   straight_above=None if curved else 300)
            pages.append({"name": f"{len(graph.nx)} classes" + ("" if curved else ", arrows straight"),
                          "size": n, "curved": curved, "build": time.perf_counter() - start, "html": html,
                          "edges": graph.nx.number_of_edges(), "layout": layout})
    for i, page in enumerate(pages):
        page["path"] = tmp / f"page{i}.html"
        page["path"].write_text(page["html"], encoding="utf-8")
        page["bytes"] = len(page.pop("html").encode())
        page["per_edge"] = (page["bytes"] - assets) / max(1, page["edges"])
    return pages


def _measure(browser, page: dict) -> dict:
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(120_000)
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.add_init_script(_INIT_JS)
    tab.goto(page["path"].as_uri())
    tab.wait_for_function("() => document.querySelector('.splatkit-graph[data-sk-drawn]')", timeout=300_000)
    first = tab.evaluate(_WATCH_JS)
    tab.wait_for_timeout(1000)
    redraws = tab.evaluate("window.__draws")
    tasks = tab.evaluate("window.__longtasks") or []
    edges = tab.evaluate("() => Object.keys(document.querySelector('.splatkit-graph').splatkitNetwork.body.edges)"
                         ".filter((id) => !id.startsWith('edgeId:')).sort()")
    step = max(1, len(edges) // CLICKS)
    picks = edges[step // 2::step][:CLICKS]
    clicks = []
    for edge in picks:
        aim = tab.evaluate(_AIM_JS, edge)
        if aim["selected"] == edge:  # already selected: a click would change nothing to time
            continue
        tab.mouse.click(aim["x"], aim["y"])
        try:
            tab.wait_for_function("() => window.__updated > 0", timeout=3000)
        except Exception:  # noqa: BLE001 - no change at all: the click hit nothing
            pass
        after = tab.evaluate("() => [document.body.dataset.skSelectedEdge, window.__updated - window.__down,"
                             " window.__updated > 0]")
        click = {"edge": edge, "hit": after[0] == edge, "ms": after[1] if after[2] else None, "got": after[0],
                 "on_node": False, "under": None}
        if not click["hit"]:
            seen = tab.evaluate(_SEEN_JS, [edge, aim["x"], aim["y"]])
            click.update(on_node=seen["onNode"], under=seen["under"])
        clicks.append(click)
    tasks_after = tab.evaluate("window.__longtasks") or []
    context.close()
    drawn = first["drawn"]
    return {
        "draw_s": (drawn - first["start"]) / 1000,
        "scale": first["scale"],
        "redraws": redraws,
        "longest_ms": max((d for _s, d in tasks), default=0.0),
        "longest_after_ms": max((d for s, d in tasks_after if s >= drawn), default=0.0),
        "clicks": clicks,
        "errors": errors,
    }


def _report(pages: list[dict]) -> list[str]:
    out = ["browser: headless Chromium (/usr/bin/chromium), viewport 1440x1000; draw = HTML arrived -> first "
           "drawing; tasks = PerformanceObserver longtask (> 50 ms)"]
    for page in pages:
        m = page["m"]
        hits = sum(c["hit"] for c in m["clicks"])
        times = [c["ms"] for c in m["clicks"] if c["ms"] is not None]
        goal = GOALS.get(page["size"])
        out.append(f"  {page['name']}: draw {m['draw_s']:.2f} s"
                   + (f" (goal < {goal} s: {'met' if m['draw_s'] < goal else 'NOT met'})" if goal else "")
                   + f", first zoom {m['scale']:.2f}; drawings in the next second: {m['redraws']}"
                   + f" ({'settled' if m['redraws'] == 0 else 'NOT settled'})")
        out.append(f"    longest task {m['longest_ms']:.0f} ms, after the first drawing {m['longest_after_ms']:.0f} ms "
                   f"(goal <= 200 ms: {'met' if m['longest_after_ms'] <= 200 else 'NOT met'})")
        out.append(f"    clicks: {hits}/{len(m['clicks'])} hit their dependency"
                   + (f"; click -> table {statistics.median(times):.1f} ms median, {max(times):.1f} ms max"
                      f" (goal < 100 ms: {'met' if max(times) < 100 else 'NOT met'})" if times else "")
                   + "".join(f"; missed {c['edge']!r} (selected {c['got']!r}"
                             + ("; its midpoint is on a box" if c["on_node"] else
                                f"; its midpoint is under {c['under']!r}, drawn after it" if c["under"] else "") + ")"
                             for c in m["clicks"] if not c["hit"]))
        out.append(f"    page {page['bytes'] / 1024:.0f} KB, {page['per_edge']:.0f} bytes per dependency beyond "
                   f"vis-network and splatkit's scripts ({page['edges']} dependencies); built in "
                   f"{page['build']:.2f} s" + (f", layout alone {page['layout']:.2f} s" if page["layout"] else "")
                   + (f"; page errors: {m['errors']}" if m["errors"] else ""))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="the seed and 50 classes only")
    parser.add_argument("--sizes", default="50,200,1000,3000", help="lock-class counts (default 50,200,1000,3000)")
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"results file (default {RESULTS})")
    parser.add_argument("--chromium", default=CHROMIUM, help=f"Chromium to run (default {CHROMIUM})")
    args = parser.parse_args()
    sizes = [50] if args.quick else [int(s) for s in args.sizes.split(",") if s]
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        pages = _pages(Path(tmp), sizes)
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        try:
            for page in pages:
                page["m"] = _measure(browser, page)
                print(f"measured {page['name']}", file=sys.stderr, flush=True)
        finally:
            browser.close()
    lines = [f"splatkit browser graph benchmark, {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC", *_report(pages)]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
