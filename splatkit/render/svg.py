"""A view-model drawn as a static SVG: the lock graph a saved notebook, nbconvert or GitHub shows.

The picture is the live drawing without the browser: the same node positions (computed by
:mod:`splatkit.render.layout`, carried in the view-model as ``x``/``y``), the same colours,
and each edge the same quadratic curve vis-network draws for ``smooth: curvedCW`` with
:data:`~splatkit.render.viewmodel.ROUNDNESS`, so that two opposite dependencies bend apart.

Names are untrusted: every label, tooltip and attribute goes through :func:`html.escape`;
the SVG holds no script, no event attribute, no URL and no ``id`` (several pictures may share
a page). Its colours follow JupyterLab's theme through CSS variables (``--jp-ui-font-color1``,
``--jp-layout-color0``...) with light fallbacks, so it reads in both themes and outside Lab.

>>> svg = graph_svg({"nodes": [{"id": "a", "label": "<a>", "x": 0, "y": 0, "color": "#9ecae1"}],
...                  "edges": []})
>>> "&lt;a&gt;" in svg and "<a>" not in svg and "<script" not in svg
True
"""

from __future__ import annotations

import html
import re
import math
from collections.abc import Sequence
from typing import Any

from .bends import control_point
from .layout import FONT_SIZE, box_size

__all__ = ["SVG_STYLE", "graph_svg"]

#: Padding around the drawing, in pixels.
PAD = 24
#: Size of an arrowhead.
ARROW = 11

#: The SVG's styles: classes only, scoped to ``svg.splatkit-svg``; JupyterLab's variables when
#: present, GitHub-like light colours otherwise. The colours that carry meaning (a cycle edge,
#: a node on the cycle) are presentation attributes too, kept where a sanitiser drops this
#: ``<style>``.
SVG_STYLE = """
svg.splatkit-svg { max-width: 100%; height: auto; font-family: arial, "Liberation Sans", sans-serif;
  background: var(--jp-layout-color0, #fff); }
svg.splatkit-svg .sk-svg-node rect { stroke: var(--jp-border-color1, #8c959f); }
svg.splatkit-svg .sk-svg-node text { fill: #1f2328; }
svg.splatkit-svg .sk-svg-label { fill: var(--jp-ui-font-color1, #1f2328); stroke: var(--jp-layout-color0, #fff);
  stroke-width: 4px; paint-order: stroke; stroke-linejoin: round; }
svg.splatkit-svg .sk-svg-held path { stroke: var(--jp-ui-font-color3, #c7c7c7); }
svg.splatkit-svg .sk-svg-held polygon { fill: var(--jp-ui-font-color3, #c7c7c7); }
svg.splatkit-svg .sk-svg-plain path { stroke: var(--jp-ui-font-color2, #7f7f7f); }
svg.splatkit-svg .sk-svg-plain polygon { fill: var(--jp-ui-font-color2, #7f7f7f); }
"""
# Written once per picture, twice in a saved notebook (widget state and static output): no layout.
SVG_STYLE = re.sub(r"\s*([{};,])\s*", r"\1", re.sub(r"\s+", " ", SVG_STYLE)).replace(": ", ":").strip()


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


#: The control point of a ``curvedCW`` edge, as vis-network computes it.
_via = control_point


def _point(p0: Sequence[float], c: Sequence[float], p1: Sequence[float], t: float) -> tuple[float, float]:
    u = 1 - t
    return (u * u * p0[0] + 2 * u * t * c[0] + t * t * p1[0], u * u * p0[1] + 2 * u * t * c[1] + t * t * p1[1])


def _inside(p: tuple[float, float], centre: tuple[float, float], size: tuple[float, float], pad: float = 2) -> bool:
    return abs(p[0] - centre[0]) <= size[0] / 2 + pad and abs(p[1] - centre[1]) <= size[1] / 2 + pad


def _leave(p0, c, p1, box_at_end: bool, centre, size) -> float:
    """The curve parameter where the curve crosses the border of the box around one end."""
    lo, hi = (0.0, 1.0)
    for _ in range(30):  # bisection: the curve enters (or leaves) the box once
        mid = (lo + hi) / 2
        inside = _inside(_point(p0, c, p1, mid), centre, size)
        if inside == box_at_end:
            hi = mid
        else:
            lo = mid
    return (lo + hi) / 2


def _sub(p0, c, p1, t0: float, t1: float) -> tuple[tuple[float, float], tuple[float, float], tuple[float, float]]:
    """The part of a quadratic Bezier curve between parameters t0 and t1, as a quadratic curve."""
    a, b = _point(p0, c, p1, t0), _point(p0, c, p1, t1)
    # The control point of the part: where the tangents at t0 and t1 meet (blossom c(t0, t1)).
    u0, u1 = 1 - t0, 1 - t1
    ctrl = (u0 * u1 * p0[0] + (u0 * t1 + t0 * u1) * c[0] + t0 * t1 * p1[0],
            u0 * u1 * p0[1] + (u0 * t1 + t0 * u1) * c[1] + t0 * t1 * p1[1])
    return a, ctrl, b


def _f(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _edge(edge: dict[str, Any], pos: dict[str, tuple[float, float]], sizes: dict[str, tuple[float, float]],
          roundness: float) -> str:
    a, b = pos[edge["from"]], pos[edge["to"]]
    classes = "sk-svg-edge " + ("sk-svg-cycle" if edge.get("cycle") else "sk-svg-marked" if edge.get("marked")
                                else "sk-svg-new" if edge.get("new") else "sk-svg-held" if edge.get("held_order") else "sk-svg-plain")
    width = edge.get("width", 1)
    dashes = edge.get("dashes")
    # The same line styles as the live drawing (one meaning each, see viewmodel.MARKED_DASHES):
    # a list is dotted, ``True`` vis-network's default dash.
    dash = (f' stroke-dasharray="{" ".join(map(str, dashes))}"' if isinstance(dashes, list)
            else ' stroke-dasharray="5 5"' if dashes else "")
    roundness = float((edge.get("smooth") or {}).get("roundness", roundness))
    color = _e(edge.get("color", "#7f7f7f"))
    title = f"<title>{_e(edge.get('title', edge['id']))}</title>"
    head = f'<g class="{classes}" data-sk-edge="{_e(edge["id"])}">{title}'
    if edge["from"] == edge["to"]:  # a lock class taken while held (recursive): a loop above the box
        x, y = a
        top = y - sizes[edge["from"]][1] / 2
        d = f"M{_f(x - 12)},{_f(top)} C{_f(x - 40)},{_f(top - 46)} {_f(x + 40)},{_f(top - 46)} {_f(x + 12)},{_f(top)}"
        tip, angle = (x + 12, top), math.atan2(46, -28)
        label_at = (x, top - 40)
    else:
        via = _via(a, b, roundness)
        t0 = _leave(a, via, b, False, a, sizes[edge["from"]])
        t1 = _leave(a, via, b, True, b, sizes[edge["to"]])
        p0, c, p1 = _sub(a, via, b, t0, t1)
        d = f"M{_f(p0[0])},{_f(p0[1])} Q{_f(c[0])},{_f(c[1])} {_f(p1[0])},{_f(p1[1])}"
        tip, angle = p1, math.atan2(p1[1] - c[1], p1[0] - c[0])
        label_at = _point(a, via, b, 0.5)
    size = ARROW + width
    left = (tip[0] - size * math.cos(angle - 0.4), tip[1] - size * math.sin(angle - 0.4))
    right = (tip[0] - size * math.cos(angle + 0.4), tip[1] - size * math.sin(angle + 0.4))
    arrow = " ".join(f"{_f(x)},{_f(y)}" for x, y in (tip, left, right))
    label = ""
    if edge.get("label"):
        label = (f'<text class="sk-svg-label" x="{_f(label_at[0])}" y="{_f(label_at[1] + 4)}" text-anchor="middle" '
                 f'font-size="12">{_e(edge["label"])}</text>')
    return (f'{head}<path d="{d}" fill="none" stroke="{color}" stroke-width="{width}"{dash}/>'
            f'<polygon points="{arrow}" fill="{color}"/>{label}</g>')


def _node(node: dict[str, Any], pos: tuple[float, float], size: tuple[float, float]) -> str:
    x, y = pos
    w, h = size
    classes = "sk-svg-node" + (" sk-svg-cycle" if node.get("cycle") else "")
    lines = str(node.get("label", node["id"])).split("\n")
    first = y - (len(lines) - 1) * FONT_SIZE * 1.15 / 2 + FONT_SIZE * 0.35
    text = "".join(f'<tspan x="{_f(x)}" y="{_f(first + i * FONT_SIZE * 1.15)}">{_e(line)}</tspan>'
                   for i, line in enumerate(lines))
    return (f'<g class="{classes}" data-sk-node="{_e(node["id"])}"><title>{_e(node.get("title", node["id"]))}</title>'
            f'<rect x="{_f(x - w / 2)}" y="{_f(y - h / 2)}" width="{_f(w)}" height="{_f(h)}" rx="4" '
            f'fill="{_e(node.get("color", "#9ecae1"))}"/>'
            f'<text text-anchor="middle" font-size="{FONT_SIZE}">{text}</text></g>')


def graph_svg(view: dict[str, Any], *, roundness: float | None = None, caption: str = "",
              viewport: dict[str, float] | None = None) -> str:
    """The view-model's graph as one ``<svg>`` element (a string), nodes at their ``x``/``y``.

    Nodes without coordinates are laid out here (:func:`splatkit.render.layout.positions`).
    ``caption`` becomes the picture's accessible title. ``viewport`` (``x0``, ``y0``, ``x1``,
    ``y1`` in drawing coordinates, as the live drawing shows it) frames the picture instead of
    its own nodes, so that drawings set side by side put a lock class at the same place. An edge
    with its own ``smooth.roundness`` (an opposite pair) bends by that. An empty graph gives an
    empty string: the caller says why there is nothing to draw.
    """
    from .viewmodel import ROUNDNESS  # (viewmodel imports this module's caller; import late)

    roundness = ROUNDNESS if roundness is None else roundness
    nodes = view["nodes"]
    if not nodes:
        return ""
    pos = {n["id"]: (float(n["x"]), float(n["y"])) for n in nodes if "x" in n and "y" in n}
    if len(pos) < len(nodes):
        import networkx as nx

        from .layout import positions

        g = nx.DiGraph()
        g.add_nodes_from(n["id"] for n in nodes)
        g.add_edges_from((e["from"], e["to"]) for e in view["edges"])
        pos = positions(g, {n["id"]: str(n.get("label", n["id"])) for n in nodes})
    sizes = {n["id"]: box_size(str(n.get("label", n["id"]))) for n in nodes}
    x0 = min(pos[i][0] - sizes[i][0] / 2 for i in pos) - PAD
    x1 = max(pos[i][0] + sizes[i][0] / 2 for i in pos) + PAD
    y0 = min(pos[i][1] - sizes[i][1] / 2 for i in pos) - PAD - (50 if any(e["from"] == e["to"] for e in view["edges"])
                                                                  else 0)
    y1 = max(pos[i][1] + sizes[i][1] / 2 for i in pos) + PAD
    if viewport:
        x0, y0, x1, y1 = (float(viewport[k]) for k in ("x0", "y0", "x1", "y1"))
    # Cycle edges last, so that they are drawn over the others; an edge to a node the view does
    # not have (a widget between two trait updates) is left out.
    edges = sorted((e for e in view["edges"] if e["from"] in pos and e["to"] in pos),
                   key=lambda e: (bool(e.get("cycle")), bool(e.get("marked"))))
    body = "".join(_edge(e, pos, sizes, roundness) for e in edges)
    body += "".join(_node(n, pos[n["id"]], sizes[n["id"]]) for n in nodes)
    title = f"<title>{_e(caption)}</title>" if caption else ""
    return (f'<svg class="splatkit-svg" xmlns="http://www.w3.org/2000/svg" role="img" '
            f'viewBox="{_f(x0)} {_f(y0)} {_f(x1 - x0)} {_f(y1 - y0)}" width="{_f(x1 - x0)}" height="{_f(y1 - y0)}">'
            f"{title}<style>{SVG_STYLE}</style>{body}</svg>")
