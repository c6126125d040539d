"""A whole lock graph as one self-contained HTML page: many reports, or a ``/proc/lockdep`` dump.

Where :func:`splatkit.render.html.report_html` explains one report, this page draws a big
graph whole, as fast as the browser can: the positions come from Python
(:mod:`splatkit.render.layout`, layered above a few hundred classes), no physics runs, above
:data:`HIDE_EDGES_ABOVE` dependencies arrows are not redrawn during a drag or zoom, and the
page opens framed on the first cycle at a readable zoom. A search box
frames a lock class, a list picks a cycle, a click on an arrow shows its evidence.

The page is data, not markup: one JSON view-model (escaped by
:func:`splatkit.render.escape._script_json`, the one boundary), from which the page's script
(``static/graph_page.js``) builds the lists and the evidence table with ``textContent``.
So its size grows with the graph's data, not with hidden HTML per dependency.

>>> page = graph_page_html(LockGraph.from_splats(parse(seed_text)), title="seed </title>")
>>> "seed &lt;/title&gt;" in page and 'src="http' not in page
True
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..graph import LockGraph
from ..model import Splat
from .assets import lock_graph_assets, vis_network_assets
from .escape import _inline, _script_json, _text, note_html
from .html import default_edge, legend_html
from .navigate import BIG_GRAPH, emphasise, graph_cycles, start_focus, straighten
from .viewmodel import graph_view, network_options

__all__ = ["HIDE_EDGES_ABOVE", "graph_page_html", "write_graph_page"]

#: Above this many dependencies, arrows are hidden while the view is dragged or zoomed: thousands
#: take a tenth of a second to draw, too long for every frame of a gesture.
HIDE_EDGES_ABOVE = 300


@lru_cache(maxsize=1)
def _page_js() -> str:
    return resources.files("splatkit.render").joinpath("static", "graph_page.js").read_text(encoding="utf-8")


_STYLE = """
.splatkit-report .sk-nav { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; margin: 0 0 8px; }
.splatkit-report #sk-search { width: 260px; }
.splatkit-report #sk-cycles { max-width: 520px; }
.splatkit-report.sk-graph-page main { display: block; padding: 12px 20px; }
.splatkit-report #sk-graph { height: 640px; }
.splatkit-report #sk-evidence-table td { font-family: ui-monospace, Menlo, Consolas, monospace; }
"""


def graph_page_html(graph: LockGraph, *, title: str = "lock graph", splats: Sequence[Splat] = (),
                    straight_above: int | None = None, max_cycles: int = 100) -> str:
    """The page for ``graph``; ``splats`` (the reports in it) put their cycle first; its list
    holds at most ``max_cycles`` cycles.

    ``straight_above``: above this many dependencies draw arrows straight but for opposite pairs
    (:func:`~splatkit.render.navigate.straighten`; what the benchmark compares; default never).

    Raises
    ------
    DependencyError
        When pyvis (which ships vis-network) is missing: ``pip install 'splatkit[notebook]'``.
    """
    vis, ours = vis_network_assets(), lock_graph_assets()
    cycles = graph_cycles(graph, first=(splats[0].cycle or None) if splats else None, limit=max_cycles)
    view = graph_view(graph, cycle=cycles[0] if cycles else None)
    view["cycles"] = [list(c) for c in cycles]
    emphasise(view, cycles[0] if cycles else ())
    if not view["frame"] and len(view["nodes"]) > BIG_GRAPH:
        view["frame"] = [start_focus(graph, cycles, splats)]
    if straight_above is not None and len(view["edges"]) > straight_above:
        straighten(view)
    selected = next((e["id"] for e in view["edges"] if e.get("picked")), default_edge(view))
    options = network_options()
    if len(view["edges"]) > HIDE_EDGES_ABOVE:
        options["interaction"].update(hideEdgesOnDrag=True, hideEdgesOnZoom=True)
    data = {"view": view, "options": options, "selected": selected}
    counts = (f"{len(view['nodes']):,} lock classes, {len(view['edges']):,} dependencies, "
              f"{len(cycles):,} cycle{'s' if len(cycles) != 1 else ''}")
    notes = [n for n in (view["cycle_note"],) if n] + [str(p) for p in graph.problems[:20]]
    if not view["nodes"]:
        main = '<p class="sk-note">Nothing to draw: the input holds no lock class.</p>'
    else:
        main = (
            '<div class="sk-nav">'
            f'<input id="sk-search" type="search" list="sk-locks" placeholder="search a lock class" '
            'aria-label="search a lock class"><datalist id="sk-locks"></datalist>'
            '<span id="sk-search-status" class="sk-note"></span>'
            '<select id="sk-cycles" aria-label="pick a cycle">'
            f'<option value="-1">{_text(f"{len(cycles)} cycles: pick one" if cycles else "no cycle")}</option>'
            "</select></div>"
            '<div id="sk-graph" class="splatkit-graph"></div>'
            f"{legend_html(view)}"
            + "".join(note_html(n) for n in notes)
            + '<section><h2>Evidence of the selected dependency</h2>'
            '<div class="sk-scroll"><table id="sk-evidence-table"><caption id="sk-evidence-caption"></caption>'
            "<thead><tr><th>source</th><th>report</th><th>chain entry</th><th>function</th></tr></thead>"
            '<tbody id="sk-evidence"></tbody></table></div></section>'
        )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="splatkit"><title>{_text(title)}</title>'
        f"<style>{_inline(vis.css)}</style><style>{_inline(ours.css)}</style><style>{_STYLE}</style>"
        f'</head><body class="splatkit-report sk-graph-page"><header><h1>{_text(title)}</h1>'
        f'<p class="sk-note">{_text(counts)}</p></header><main>{main}</main>'
        f'<script type="application/json" id="sk-data">{_script_json(data)}</script>'
        f"<script>{_inline(vis.js)}</script><script>{_inline(ours.js)}</script><script>{_inline(_page_js())}</script>"
        "<script>splatkitGraphPage.mount(splatkitLockGraph, vis, "
        'JSON.parse(document.getElementById("sk-data").textContent));</script></body></html>\n'
    )


def write_graph_page(graph: LockGraph, path: str | Path, **kwargs) -> Path:
    """Write :func:`graph_page_html` to ``path`` (UTF-8) and return the path."""
    path = Path(path)
    path.write_text(graph_page_html(graph, **kwargs), encoding="utf-8")
    return path
