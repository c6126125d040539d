"""``compare_orderings()``: one lock graph per ordering, side by side, above the comparison table.

The notebook face of :func:`splatkit.compare`: each column draws the graph an ordering
leads to (every cycle left highlighted, the dependencies the ordering declared or moved
dotted, see :func:`splatkit.render.viewmodel.changed_edges`), under a header with the
ordering's name and verdict. Every column puts a lock class at the same place (one layout
of all the graphs, :func:`splatkit.render.viewmodel.shared_positions`) at a zoom where
labels read (:data:`READABLE_PX`); the row of columns scrolls sideways rather than wrap. A
legend is above; the evidence of the arrow clicked last (the ordering line, the splat entry
and its stack: :func:`splatkit.render.evidence.evidence_html`) and the compare DataFrame,
escaped by :func:`splatkit.render.escape.table_html`, are below.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping

import ipywidgets
import pandas as pd
import traitlets

from ..analysis.ordering import Ordering, compare
from ..graph import LockGraph
from ..render.evidence import evidence_html
from ..render.escape import note_html, table_html
from ..render.html import legend_html
from ..render.layout import box_size
from ..render.snapshot import snapshot_html, svg_img
from ..render.svg import PAD
from ..render.viewmodel import EDGE_FONT_SIZE, changed_edges, graph_view, shared_positions
from ._export import GraphExports
from ._graph import ViewportGraphWidget, LockGraphWidget
from ._static import StaticFallback

__all__ = ["READABLE_PX", "OrderingView", "compare_orderings"]

#: The smallest a label is drawn, in CSS pixels: the zoom of every column is at least this over
#: the smallest font drawn (the labels on arrows), whatever the size of the graph.
READABLE_PX = 11
#: What the evidence panel says before any click.
EVIDENCE_HINT = ("Click an arrow in any column: its evidence shows here (the ordering line that declared it, "
                 "the splat entry and the stack that recorded it).")


def _viewport(nodes: list[dict], scale: float) -> dict[str, float]:
    """The region of the drawing every column shows: all the lock classes of all the columns."""
    x0 = min(n["x"] - box_size(n["label"])[0] / 2 for n in nodes) - PAD
    x1 = max(n["x"] + box_size(n["label"])[0] / 2 for n in nodes) + PAD
    y0 = min(n["y"] - box_size(n["label"])[1] / 2 for n in nodes) - PAD
    y1 = max(n["y"] + box_size(n["label"])[1] / 2 for n in nodes) + PAD
    return {"x0": round(x0, 1), "y0": round(y0, 1), "x1": round(x1, 1), "y1": round(y1, 1),
            "x": round((x0 + x1) / 2, 1), "y": round((y0 + y1) / 2, 1), "scale": scale}


def _verdict_text(row: pd.Series) -> str:
    """A column header's verdict: ``acyclic``, ``1 cycle`` or ``N cycles`` (``more than N
    cycles`` when the search stopped at its limit), and the writer caveat."""
    n = int(row["cycles"])
    if not n:
        return "acyclic"
    text = f"{n} cycle" + ("" if n == 1 else "s")
    if not row.get("complete", True):
        text = f"more than {text} (the cycle search stopped there)"
    return text + (", needs a waiting writer" if row["needs_writer"] else "")


def _cell(value: object) -> object:
    """List cells of the compare table as one line each (``a; b``), other values as they are."""
    return "; ".join(map(str, value)) if isinstance(value, (list, tuple)) else value


class OrderingView(GraphExports, StaticFallback, ipywidgets.VBox):
    """Orderings side by side: one lock graph per ordering, the comparison table below.

    Click an arrow in any column: :attr:`selected` becomes that ordering's name and
    :attr:`selected_edge` the dependency (``"held -> acquired"``); the other
    columns drop their selection, and the panel below the columns shows its evidence.

    Attributes
    ----------
    table : pandas.DataFrame
        What :func:`splatkit.compare` returned (``table.attrs["graphs"]`` holds each
        ordering's resulting :class:`~splatkit.graph.LockGraph`).
    graphs : dict of str to ViewportGraphWidget
        The drawing of each ordering, by name, in the mapping's order (a lock graph widget
        drawn at the shared :attr:`viewport`).
    verdicts : dict of str to str
        The verdict each column's header shows (``acyclic``, ``N cycles``, the writer caveat).
    columns : ipywidgets.Box
        The row of columns (it never wraps: it scrolls sideways when wider than the page);
        column ``i`` has the CSS class ``splatkit-ordering-i``.
    positions : dict
        Where each lock class is drawn, the same in every column (``shared_positions``).
    viewport : dict or None
        What every column shows (``x0``, ``y0``, ``x1``, ``y1``) and at which zoom (``scale``):
        labels on arrows are drawn at ``scale * 12`` px, at least :data:`READABLE_PX`.
    legend : ipywidgets.HTML
        The legend of the kinds of arrow drawn in any column, and only those.
    evidence : pandas.DataFrame
        The evidence of the dependency clicked last (:func:`splatkit.render.evidence.evidence_table`);
        empty before any click.
    frames : pandas.DataFrame
        The stack that recorded it (:func:`splatkit.tables.stack_table`), empty when it has none.
    evidence_view : ipywidgets.HTML
        Both, as shown below the columns.
    table_view : ipywidgets.HTML
        The comparison table as shown.

    Each drawing is saved with ``save_svg(path, name)``, ``save_png(path, name)`` and
    ``save_dot(path, name)``, as the buttons above it download it.
    """

    selected = traitlets.Unicode("")
    """Name of the ordering whose column the user last clicked an arrow in, or ``""``."""
    selected_edge = traitlets.Unicode("")
    """The dependency clicked there, ``"held -> acquired"``, or ``""``."""

    def __init__(self, G: LockGraph, orderings: Mapping[str, Ordering | str]) -> None:
        super().__init__()
        self.table = compare(G, orderings)
        results: dict[str, LockGraph] = self.table.attrs["graphs"]
        self.orderings = {name: o if isinstance(o, Ordering) else Ordering.parse(o, name=name)
                          for name, o in orderings.items()}
        self.positions = shared_positions([G, *results.values()])
        views = {name: graph_view(graph, marked=changed_edges(G, graph), where=self.positions)
                 for name, graph in results.items()}
        drawn = [n for view in views.values() for n in view["nodes"]]
        scale = math.ceil(READABLE_PX / EDGE_FONT_SIZE * 100) / 100  # (the arrows' font is the smallest)
        self.viewport = _viewport(drawn, scale) if drawn else None
        width = round((self.viewport["x1"] - self.viewport["x0"]) * scale) + 2 if drawn else 320
        height = round((self.viewport["y1"] - self.viewport["y0"]) * scale) + 2 if drawn else 200
        self.graphs: dict[str, ViewportGraphWidget] = {}
        self.verdicts: dict[str, str] = {}
        self._results = results
        boxes = []
        for name, view in views.items():
            widget = ViewportGraphWidget.from_view(view, height=f"{height}px", viewport=self.viewport,
                                                 lock_graph=results[name])
            widget.observe(lambda change, name=name: self._on_click(name, change["new"]), names="selected_edge")
            self.graphs[name] = widget
            self.verdicts[name] = _verdict_text(self.table.loc[name])
            # Labels put their value in the page as text (textContent), so names need no escaping.
            title = ipywidgets.Label(name, style={"font_weight": "bold"})
            verdict = ipywidgets.Label(self.verdicts[name])
            column = ipywidgets.VBox([title, verdict, widget],
                                     layout=ipywidgets.Layout(flex="0 0 auto", width=f"{max(width, 320)}px",
                                                              margin="0 8px 8px 0"))
            column.add_class(f"splatkit-ordering-{len(boxes)}")  # by position: names are untrusted
            boxes.append(column)
        self.columns = ipywidgets.Box(boxes, layout=ipywidgets.Layout(display="flex", flex_flow="row nowrap",
                                                                        overflow="auto hidden", width="100%",
                                                                        flex="0 0 auto"))
        # (flex "0 0 auto": a box that scrolls may otherwise shrink below its content in a column.)
        self.columns.add_class("splatkit-ordering-columns")
        every = {"edges": [e for view in views.values() for e in view["edges"]]}
        self.legend = ipywidgets.HTML(f'<div class="splatkit-legend">'
                                      f'{legend_html(every, hint="Click an arrow for its evidence, below.")}</div>')
        self.legend.add_class("splatkit-tables")
        self.evidence = pd.DataFrame()
        self.frames = pd.DataFrame()
        self.evidence_view = ipywidgets.HTML(note_html(EVIDENCE_HINT),
                                             layout=ipywidgets.Layout(width="100%", overflow="auto"))
        self.evidence_view.add_class("splatkit-tables")
        self.evidence_view.add_class("splatkit-evidence")
        shown = self.table.reset_index().map(_cell) if len(self.table) else self.table
        self.table_view = ipywidgets.HTML(table_html(shown, caption="Orderings compared (splatkit.compare)"),
                                          layout=ipywidgets.Layout(overflow="auto"))
        self.table_view.add_class("splatkit-tables")
        self.children = [self.legend, self.columns, self.evidence_view, self.table_view]

    def static_html(self) -> str:
        """Each ordering's graph as a picture under its name and verdict, side by side, and the
        table below, for viewers without widgets."""
        # Inline styles (besides the snapshot's sheet): JupyterLab's sanitiser drops <style> from
        # untrusted outputs but keeps these, so the columns stay side by side there too.
        width = (self.viewport["x1"] - self.viewport["x0"]) * self.viewport["scale"] if self.viewport else 320
        columns = "".join(
            f'<div style="flex: 0 0 auto; width: {max(round(width), 320)}px"><h4>{html.escape(name)}</h4>'
            f'<p class="sk-static-note">{html.escape(self.verdicts[name])}</p>'
            f'<div class="sk-static-graph">{svg_img(widget.static_svg, f"lock graph with {name}", fill=True)}'
            "</div></div>"
            for name, widget in self.graphs.items())
        row = (f'<div class="sk-static-columns" style="display: flex; flex-wrap: nowrap; gap: 12px; '
               f'overflow-x: auto">{columns}</div>')
        return snapshot_html("", [("", self.legend.value), ("", row),
                                  ("", f'<div class="splatkit-tables">{self.table_view.value}</div>')])

    def _on_click(self, name: str, edge: str) -> None:
        if not edge:  # another column was cleared below, or the selection was reset
            return
        for other, widget in self.graphs.items():
            if other != name:
                widget.selected_edge = ""
        self.selected_edge = edge
        self.selected = name
        chosen = next((e for e in self.graphs[name].edges if e["id"] == edge), None)
        if chosen is None:  # (set from Python to a dependency this column does not draw)
            return
        self.evidence, self.frames, shown = evidence_html(self._results[name], chosen["from"], chosen["to"],
                                                          self.orderings, heading=name)
        self.evidence_view.value = shown

    def drawing(self, name: str | None = None) -> LockGraphWidget:
        """Ordering ``name``'s drawing, which ``save_svg(path, name)``, ``save_png(path, name)``
        and ``to_dot(name)`` export; ``name`` may be left out when there is one ordering."""
        if name is None and len(self.graphs) == 1:
            return next(iter(self.graphs.values()))
        if name not in self.graphs:
            raise KeyError(f"{'no ordering named ' + repr(name) if name is not None else 'name which drawing'}; "
                           f"use one of: {', '.join(map(repr, self.graphs))}")
        return self.graphs[name]

    def select(self, name: str, edge: str) -> None:
        """Select dependency ``edge`` in ordering ``name``'s column, as a click there would."""
        if name not in self.graphs:
            raise KeyError(f"no ordering named {name!r}; use one of: {', '.join(map(repr, self.graphs))}")
        self.graphs[name].selected_edge = edge


def compare_orderings(G: LockGraph, orderings: Mapping[str, Ordering | str]) -> OrderingView:
    """Draw what each ordering does to ``G``, side by side, above :func:`splatkit.compare`'s table.

    Parameters
    ----------
    G : LockGraph
        The base graph: what the evidence shows today.
    orderings : mapping of str to Ordering or str
        Name to ordering (its text is accepted too), as :func:`splatkit.compare` takes.

    Returns
    -------
    OrderingView
        An ipywidgets container; ``view.table`` is the compare DataFrame,
        ``view.graphs`` the drawings, ``view.selected``/``view.selected_edge``
        follow your clicks.
    """
    return OrderingView(G, orderings)
