"""The static rendering a notebook output carries beside its live widget (``text/html``).

A notebook saved with its outputs is read where no kernel and often no widget manager
runs: nbconvert's HTML, GitHub, nbviewer, JupyterLab opening a notebook it does not trust.
There the output's ``text/html`` is what a reader sees, so it must show the work by itself:
the lock graph as a static SVG (:func:`splatkit.render.svg.graph_svg`) and the tables, every
name escaped (the SVG escapes its own; tables come from :func:`splatkit.render.escape.table_html`).

The picture is an ``<img>`` whose source is the SVG as a ``data:`` URL (:func:`svg_img`):
JupyterLab's sanitiser, which untrusted outputs go through, drops inline ``<svg>`` and
``<style>`` but keeps an image, and an SVG shown as an image runs nothing and cannot reach the
page. The rendering holds no script; its styles are scoped to ``.splatkit-static`` and follow
JupyterLab's theme variables with light fallbacks (table rules repeat the class to outrank JupyterLab's rendered-HTML table rules,
``:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td``, which nbconvert's HTML carries too).

>>> page = snapshot_html("", [("Chain", "<table></table>")], note="a <note>")
>>> '<p class="sk-static-note">a &lt;note&gt;</p><h4>Chain</h4><table></table>' in page
True
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from urllib.parse import quote

__all__ = ["SNAPSHOT_CSS", "STATIC_NOTE", "image_svg", "snapshot_html", "svg_img"]

#: What the static rendering says about itself.
STATIC_NOTE = ("A static picture saved with the notebook; run the cell to explore it "
               "(click an arrow to see the stack that recorded it).")

SNAPSHOT_CSS = """
div.splatkit-static { font: 13px/1.45 var(--jp-ui-font-family, system-ui, sans-serif);
  color: var(--jp-ui-font-color1, #1f2328); max-width: 100%; }
div.splatkit-static .sk-static-graph { overflow-x: auto; border: 1px solid var(--jp-border-color2, #d0d7de);
  border-radius: 4px; background: var(--jp-layout-color0, #fff); }
div.splatkit-static .sk-static-graph img { display: block; margin: 0 auto; }
div.splatkit-static h4 { margin: 10px 0 4px; font-size: 14px; }
div.splatkit-static .sk-static-note, div.splatkit-static .sk-note { margin: 4px 0; font-size: 12px;
  color: var(--jp-ui-font-color2, #59636e); }
div.splatkit-static div.splatkit-tables, div.splatkit-static .sk-scroll { overflow-x: auto; }
div.splatkit-static.splatkit-static table { border-collapse: collapse; font-size: 12px; margin: 0; }
div.splatkit-static.splatkit-static table caption { text-align: left; color: var(--jp-ui-font-color2, #59636e); padding-bottom: 4px; }
div.splatkit-static.splatkit-static table th, div.splatkit-static.splatkit-static table td { padding: 2px 8px; text-align: left;
  vertical-align: top; white-space: normal; overflow-wrap: break-word; line-height: 1.4;
  border: none; border-bottom: 1px solid var(--jp-border-color2, #e1e4e8); }
div.splatkit-static.splatkit-static table th { background: var(--jp-layout-color2, #f6f8fa); font-weight: 600; }
div.splatkit-static.splatkit-static table td { font-family: var(--jp-code-font-family, ui-monospace, monospace); }
div.splatkit-static.splatkit-static table tbody tr { background: transparent; }
div.splatkit-static.splatkit-static table tr.sk-selected td { background: color-mix(in srgb, var(--jp-warn-color0, #f79009) 22%,
  transparent); }
div.splatkit-static.splatkit-static table tr.sk-blamed td { background: color-mix(in srgb, var(--jp-error-color0, #d32f2f) 14%,
  transparent); }
div.splatkit-static.splatkit-static table tr.sk-dim td { color: var(--jp-ui-font-color2, #59636e); }
"""


#: What the SVG's data: URL keeps as it is: nothing the src="..." attribute or a URL reads
#: otherwise (no ", &, <, >, #, %).
_URL_SAFE = " ':/=;,.-_()!*~@$+?"


def image_svg(svg: str) -> str:
    """The SVG as :func:`svg_img` puts it in an image: an image shows no tooltips, so its
    ``<title>`` elements go, and attributes take ``'`` (their values are escaped, so they hold
    neither quote), which a double-quoted ``src`` keeps as it is.

    >>> image_svg('<svg a="1"><title>t</title><g b="&quot;"/></svg>')
    "<svg a='1'><g b='&quot;'/></svg>"
    """
    return re.sub(r"<title>[^<]*</title>", "", svg).replace('"', "'")


def svg_img(svg: str, alt: str = "lock graph", *, fill: bool = False) -> str:
    """The SVG as an ``<img>`` (a ``data:`` URL), at its own width and never wider than its box
    (``fill``: as wide as its box).

    >>> print(svg_img('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="5"></svg>', alt="a <b>"))
    <img class="sk-static-img" alt="a &lt;b&gt;" width="10" style="max-width: 100%; height: auto" \
src="data:image/svg+xml;charset=utf-8,%3Csvg xmlns='http://www.w3.org/2000/svg' width='10' height='5'%3E%3C/svg%3E">
    """
    if not svg:
        return ""
    width = re.search(r'\swidth="([\d.]+)"', svg)
    size = f' width="{width.group(1)}"' if width else ""
    svg = image_svg(svg)
    style = "width: 100%; height: auto" if fill else "max-width: 100%; height: auto"
    return (f'<img class="sk-static-img" alt="{html.escape(alt)}"{size} style="{style}" '
            f'src="data:image/svg+xml;charset=utf-8,{quote(svg, safe=_URL_SAFE)}">')


def snapshot_html(svg: str, sections: Sequence[tuple[str, str]] = (), *, note: str = STATIC_NOTE,
                  notes: Sequence[str] = ()) -> str:
    """The static rendering: the ``svg`` picture, then each ``(heading, html)`` section
    (an empty heading adds none).

    ``svg`` and every section's HTML must already be escaped (they come from
    :func:`~splatkit.render.svg.graph_svg` and :func:`~splatkit.render.escape.table_html`);
    ``note`` and ``notes`` (what the parser or the drawing left out) are plain text, escaped here.
    """
    out = [f'<div class="splatkit-static"><style>{SNAPSHOT_CSS}</style>']
    out += [f'<p class="sk-static-note">{html.escape(n)}</p>' for n in notes if n]
    if svg:
        out.append(f'<div class="sk-static-graph">{svg_img(svg)}</div>')
    if note:
        out.append(f'<p class="sk-static-note">{html.escape(note)}</p>')
    for heading, body in sections:
        out.append((f"<h4>{html.escape(heading)}</h4>" if heading else "") + body)
    return "".join(out) + "</div>"
