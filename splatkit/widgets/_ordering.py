"""``compare_orderings()``: one lock graph per ordering, side by side, above the comparison table.

The notebook face of :func:`splatkit.compare`: each column draws the graph an
ordering leads to (its cycle highlighted as usual, the dependencies the ordering
declared or moved marked, see :func:`splatkit.render.viewmodel.changed_edges`),
under a header with the ordering's name and verdict; the compare DataFrame sits
below as a table escaped by :func:`splatkit.render.html.table_html`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import ipywidgets
import pandas as pd
import traitlets

from ..analysis.ordering import Ordering, compare
from ..graph import LockGraph
from ..render.html import table_html
from ..render.snapshot import snapshot_html, svg_img
from ..render.viewmodel import changed_edges, graph_view
from ._export import GraphExports
from ._graph import LockGraphWidget
from ._static import StaticFallback

__all__ = ["OrderingView", "compare_orderings"]


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
    columns drop their selection.

    Attributes
    ----------
    table : pandas.DataFrame
        What :func:`splatkit.compare` returned (``table.attrs["graphs"]`` holds each
        ordering's resulting :class:`~splatkit.graph.LockGraph`).
    graphs : dict of str to LockGraphWidget
        The drawing of each ordering, by name, in the mapping's order.
    verdicts : dict of str to str
        The verdict each column's header shows (``acyclic``, ``N cycles``, the writer caveat).
    columns : ipywidgets.Box
        The row of columns (it wraps when there are many); column ``i`` has the
        CSS class ``splatkit-ordering-i``.
    table_view : ipywidgets.HTML
        The comparison table as shown.

    Each drawing is saved with ``save_svg(path, name)``, ``save_png(path, name)`` and
    ``save_dot(path, name)``, as the buttons above it download it.
    """

    selected = traitlets.Unicode("")
    """Name of the ordering whose column the user last clicked an arrow in, or ``""``."""
    selected_edge = traitlets.Unicode("")
    """The dependency clicked there, ``"held -> acquired"``, or ``""``."""

    def __init__(self, G: LockGraph, orderings: Mapping[str, Ordering | str], *, height: str = "380px") -> None:
        super().__init__()
        self.table = compare(G, orderings)
        results: dict[str, LockGraph] = self.table.attrs["graphs"]
        self.graphs: dict[str, LockGraphWidget] = {}
        self.verdicts: dict[str, str] = {}
        boxes = []
        for name, graph in results.items():
            view = graph_view(graph, marked=changed_edges(G, graph))
            widget = LockGraphWidget.from_view(view, height=height, lock_graph=graph)
            widget.observe(lambda change, name=name: self._on_click(name, change["new"]), names="selected_edge")
            self.graphs[name] = widget
            self.verdicts[name] = _verdict_text(self.table.loc[name])
            # Labels put their value in the page as text (textContent), so names need no escaping.
            title = ipywidgets.Label(name, style={"font_weight": "bold"})
            verdict = ipywidgets.Label(self.verdicts[name])
            column = ipywidgets.VBox([title, verdict, widget],
                                     layout=ipywidgets.Layout(flex="1 1 360px", min_width="320px",
                                                              margin="0 8px 8px 0"))
            column.add_class(f"splatkit-ordering-{len(boxes)}")  # by position: names are untrusted
            boxes.append(column)
        self.columns = ipywidgets.Box(boxes, layout=ipywidgets.Layout(display="flex", flex_flow="row wrap",
                                                                        width="100%"))
        shown = self.table.reset_index().map(_cell) if len(self.table) else self.table
        self.table_view = ipywidgets.HTML(table_html(shown, caption="Orderings compared (splatkit.compare)"),
                                          layout=ipywidgets.Layout(overflow="auto"))
        self.table_view.add_class("splatkit-tables")
        self.children = [self.columns, self.table_view]

    def static_html(self) -> str:
        """Each ordering's graph as a picture under its name and verdict, side by side, and the
        table below, for viewers without widgets."""
        # Inline styles (besides the snapshot's sheet): JupyterLab's sanitiser drops <style> from
        # untrusted outputs but keeps these, so the columns stay side by side there too.
        columns = "".join(
            f'<div style="flex: 1 0 360px; min-width: 0"><h4>{html.escape(name)}</h4>'
            f'<p class="sk-static-note">{html.escape(self.verdicts[name])}</p>'
            f'<div class="sk-static-graph">{svg_img(widget.static_svg, f"lock graph with {name}", fill=True)}'
            "</div></div>"
            for name, widget in self.graphs.items())
        row = f'<div class="sk-static-columns" style="display: flex; gap: 12px; overflow-x: auto">{columns}</div>'
        return snapshot_html("", [("", row), ("", f'<div class="splatkit-tables">{self.table_view.value}</div>')])

    def _on_click(self, name: str, edge: str) -> None:
        if not edge:  # another column was cleared below, or the selection was reset
            return
        for other, widget in self.graphs.items():
            if other != name:
                widget.selected_edge = ""
        self.selected_edge = edge
        self.selected = name

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
