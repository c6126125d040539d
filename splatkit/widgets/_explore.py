"""``explore()``: the lock graph, the chain below it, and the stack of the dependency you click.

The notebook counterpart of :func:`splatkit.render.html.report_html`; both show
the same view-model and the same tables, and both escape through
:func:`splatkit.render.escape.table_html`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import ipywidgets
import pandas as pd
import traitlets

from .. import parse
from ..model import Splat
from ..render.escape import note_html, table_html
from ..render.html import chain_edges, default_edge, dependency_stack, legend_html, stack_caption, stack_html
from ..render.kind_html import kind_view_html
from ..render.kind_blocks import Block
from ..render.kind_view import NOTHING_DRAWN, NOTHING_DRAWN_SEVERAL, KindView, kind_graph, kind_view
from ..render.navigate import report_label
from ..render.lock_class import lock_class_html, lock_class_view
from ..render.snapshot import snapshot_html
from ..render.viewmodel import drawing_extent, view_height
from ..stacks import blamed_function
from ..symbolize import symbolize
from ..tables import chain_table, stack_table
from ._export import GraphExports
from ._graph import FramedLockGraphWidget, LockGraphWidget
from ._navigate import GraphNavigation, report_list
from ._static import StaticFallback

if TYPE_CHECKING:
    from ._paste import PasteView

__all__ = ["Explorer", "explore"]


def _as_splats(source: Splat | Sequence[Splat] | str) -> tuple[Splat, ...]:
    """The splats to explore from a Splat, a sequence of them, or report text."""
    if isinstance(source, str):
        splats = parse(source)
        if not splats:
            raise ValueError("no lockdep report found in the text: expected a banner such as "
                             "'WARNING: possible circular locking dependency detected'; pass the whole "
                             "report (dmesg or console log), from its '=====' line to the backtrace")
        return tuple(splats)
    if isinstance(source, Splat):
        return (source,)
    splats = tuple(source)
    if not splats:
        raise ValueError("explore() needs at least one splat; got an empty sequence")
    wrong = [type(s).__name__ for s in splats if not isinstance(s, Splat)]
    if wrong:
        raise TypeError(f"explore() takes a Splat, a list of Splat or report text; the list holds {wrong[0]}")
    return splats


#: The chain table's columns as shown (the DataFrame, :attr:`Explorer.chain`, has them all).
CHAIN_SHOWN = ["entry", "held", "acquired", "op", "function", "module"]
#: What the kind panel says of a circular report among several (its view is the rest of the explorer).
CIRCULAR_HEADING = "Its view"
CIRCULAR_NOTE = ("A circular locking report: its view is the lock graph, the dependency chain and the stack of "
                 "the selected dependency above.")
#: What the static rendering of an explorer that draws nothing says about itself (it has no
#: picture: :data:`splatkit.render.snapshot.STATIC_NOTE` speaks of one).
UNDRAWN_STATIC_NOTE = "Saved with the notebook; run the cell to explore it"
#: The label of the toggle that shows the frames a stack table hides.
INTERNALS_LABEL = "Show lockdep and locking-API frames and unreliable (?) frames"


def _chain(splats: tuple[Splat, ...]) -> pd.DataFrame:
    """The chain table; with several splats, one block per splat and a leading ``splat`` column."""
    if len(splats) == 1:
        return chain_table(splats[0])
    return pd.concat([chain_table(s).assign(splat=i) for i, s in enumerate(splats)], ignore_index=True)[
        ["splat", *chain_table(splats[0]).columns]]


class Explorer(GraphNavigation, GraphExports, StaticFallback, ipywidgets.VBox):
    """The lock graph, the dependency chain below it, and the stack of the selected dependency.

    Click an arrow in the graph (or set :attr:`selected_edge`) and the stack table
    below switches to that dependency; the first one shown is the new dependency
    (chain entry #0), as in the HTML report. Stacks start at the code: lockdep's frames,
    the locking API below the code and unreliable ``?`` frames are hidden until
    :attr:`show_internals` (the checkbox above the stack) is set; the frame syzbot's title
    blames is marked.

    Attributes
    ----------
    splats : tuple of Splat
        Everything explored; the graph merges them all.
    splat : Splat
        The first of them, whose cycle is highlighted.
    lock_graph : LockGraph
        The merged lock graph the drawing and the stacks come from.
    graph : LockGraphWidget
        The drawing; its ``selected_edge`` trait is the selection.
    chain : pandas.DataFrame
        The chain table (:func:`splatkit.tables.chain_table`; with several splats, a
        ``splat`` column first), of which :data:`CHAIN_SHOWN` are shown.
    frames : pandas.DataFrame
        The stack table currently shown (:func:`splatkit.tables.stack_table`).
    internals : ipywidgets.Checkbox
        The toggle bound to :attr:`show_internals`.
    chain_view, frames_view : ipywidgets.HTML
        The chain table (the selected dependency's row marked) and the stack table, as shown.
    lock_class : dict
        What the reports say about the lock class clicked last
        (:func:`splatkit.render.lock_class.lock_class_view`); empty before any click.
    lock_view : ipywidgets.HTML
        The legend, then that lock class's panel: name parts, usage per irq state, wait type, dependencies in
        and out with the function that made each, held-lock entries naming it.
    cycle_note : str
        What the drawing could not show (the lock graph has more cycles than a bounded
        search looked at), shown above it; empty when nothing was left out.
    notes : list of str
        What is shown above the graph: ``cycle_note`` and what the parser could not read or
        had to guess in each report (``Splat.notes``).
    legend : str
        The legend of the kinds of arrow drawn, and only those (HTML, shown above the lock
        class panel).
    kind_view : splatkit.render.kind_view.KindView
        What the kind of report :attr:`kind_report` shows besides the graph (the class taken
        twice, the usage change, the wait types, who waits on whom...), as in the HTML report.
    kind_panel : ipywidgets.HTML or None
        That view, laid out (:func:`splatkit.render.kind_html.kind_view_html`), below the stack;
        with several reports, it names the report and follows the report filter. None for one
        circular report, whose view the graph, chain and stack tables are.
    drawn : bool
        Whether the reports name a lock class to draw; when none does, a sentence says so in place
        of the drawing (:attr:`nothing_drawn`) and the static rendering holds no picture.
    report_list : ipywidgets.Dropdown
        With several reports, the list that picks one: in the navigation row above the drawing
        (linked to ``report_filter``, "every report" first); when no report names a dependency,
        alone above the sentence that says so (linked to ``kind_report``: nothing is drawn to
        filter), so that each report's kind panel can be picked.

    The drawing is as tall as it needs to be seen whole with its lock class labels at 11 px or
    more in a notebook cell (:func:`splatkit.render.viewmodel.view_height`; ``height=`` sets it).

    Parts a report does not have are left out rather than shown empty: no drawing for a report
    that names no lock (a sentence says so; of several such reports, the report list stays, to
    pick the one whose kind panel is shown), no chain table without a chain, no stack table
    without a dependency.

    Big graphs (:mod:`splatkit.widgets._navigate`): ``search``, ``find(name)``, ``cycles``,
    ``cycle_index`` and ``pick_cycle(i)``, ``report_filter``, and above 150 lock classes the
    neighbourhood of ``focus`` within ``radius`` (``scope_note`` says what is drawn).

    The drawing is saved with ``save_svg(path)``, ``save_png(path)`` and ``save_dot(path)``
    (``to_dot()`` gives the text), as the SVG, PNG and DOT buttons above it download it.
    """

    show_internals = traitlets.Bool(False)
    """Show the frames a stack table hides (lockdep's, the locking API's, unreliable ones)."""
    kind_report = traitlets.Int(0)
    """The report (an index in ``splats``) whose kind view the panel below the stacks shows: the
    one the report filter keeps (``report_filter``), the first one before any pick; settable."""

    def __init__(self, splats: Sequence[Splat], *, height: str | None = None, graph: LockGraph | None = None) -> None:
        super().__init__()
        self.splats = tuple(splats)
        self.splat = self.splats[0]
        self.lock_graph = kind_graph(self.splats) if graph is None else graph
        view = self._first_view()
        #: Whether the reports name a lock class to draw (else a sentence says they do not).
        self.drawn = bool(view["nodes"])
        self._edges = {e["id"]: e for e in view["edges"]}
        self.chain = _chain(self.splats)
        drawing = FramedLockGraphWidget if self.needs_navigation else LockGraphWidget
        # As tall as the drawing needs to be read whole (460 px at least), fitted to its extent.
        self.graph = drawing.from_view(view, height=height or f"{view_height(view)}px", extent=drawing_extent(view),
                                       selected_edge=default_edge(view), lock_graph=self.lock_graph)
        self.graph.layout = ipywidgets.Layout(width="100%")
        if view.get("frame"):
            self._frame(view["frame"])
        self.frames = stack_table(())
        self.chain_view = ipywidgets.HTML(layout=ipywidgets.Layout(width="100%", overflow="auto"))
        self.frames_view = ipywidgets.HTML(layout=ipywidgets.Layout(width="100%", overflow="auto"))
        for table in (self.chain_view, self.frames_view):
            table.add_class("splatkit-tables")
        self.legend = f'<div class="splatkit-legend">{legend_html(view, lock_panel=True)}</div>'
        self.lock_class: dict = {}
        self.lock_view = ipywidgets.HTML(layout=ipywidgets.Layout(width="100%", overflow="auto"))
        self.lock_view.add_class("splatkit-tables")
        self.internals = ipywidgets.Checkbox(value=False, description=INTERNALS_LABEL, indent=False,
                                             layout=ipywidgets.Layout(width="auto"))
        self.internals.add_class("splatkit-internals")
        traitlets.link((self.internals, "value"), (self, "show_internals"))
        self.graph.observe(self._on_select, names="selected_edge")
        self.graph.observe(lambda change: self._show_lock(change["new"]), names="selected_node")
        self._show_lock("")
        self._kind_views: dict[int, KindView] = {}
        self.kind_view = self._kind_of(0)
        # (A circular report's view is the graph, the chain and the stacks: a panel would only
        # repeat them, and a saved notebook keeps every widget's state, shown or not. Of several
        # reports, the panel shows the one looked at: kind_report.)
        self.kind_panel: ipywidgets.HTML | None = None
        if len(self.splats) > 1 or self.kind_view.view != "circular":
            self.kind_panel = ipywidgets.HTML(layout=ipywidgets.Layout(width="100%", overflow="auto"))
            self.kind_panel.add_class("splatkit-tables")
            self._show_kind()
            self.observe(lambda _change: self._show_kind(), names="show_internals")
        self.observe(lambda _change: self._show(self.graph.selected_edge), names="show_internals")
        self._show(self.graph.selected_edge)
        self.cycle_note = view["cycle_note"]
        self.notes = [n for n in (self.cycle_note,) if n] + [
            (f"report {i}: {note}" if len(self.splats) > 1 else note)
            for i, splat in enumerate(self.splats) for note in splat.notes]
        # A Label puts its value in the page as text (textContent): no escaping needed.
        notes = [ipywidgets.Label(note) for note in self.notes]
        # Only what this report has: no drawing without a lock, no chain or stack table over nothing.
        if self.drawn:
            self.navigation = self._navigation_controls()
            drawn = [*([self.navigation] if self.navigation else []), self.graph, self.lock_view]
        else:
            self.navigation = self._report_row()
            drawn = [*([self.navigation] if self.navigation else []), ipywidgets.HTML(note_html(self.nothing_drawn))]
        chain = [self.chain_view] if len(self.chain) else []
        stack = [self.frames_view] if view["edges"] else []
        kind = [self.kind_panel] if self.kind_panel is not None else []
        stacks = stack or any(b.kind == "stack" for i in range(len(self.splats)) for b in self._kind_of(i).blocks)
        self.children = [*notes, *drawn, *chain, *([self.internals] if stacks else []), *stack, *kind]

    @property
    def selected_edge(self) -> str:
        """The selected dependency, ``"held -> acquired"`` (``graph.selected_edge``); settable."""
        return self.graph.selected_edge

    @selected_edge.setter
    def selected_edge(self, value: str) -> None:
        self.graph.selected_edge = value

    @property
    def nothing_drawn(self) -> str:
        """What is shown instead of the drawing when no report names a dependency (the HTML report
        says :data:`~splatkit.render.kind_view.NOTHING_DRAWN` of its one report)."""
        return NOTHING_DRAWN_SEVERAL if len(self.splats) > 1 else NOTHING_DRAWN

    def _report_row(self) -> ipywidgets.Widget | None:
        """With several reports and nothing drawn, the report list alone (search, cycles and radius
        mean nothing without a graph), picking the report whose kind panel is shown; None for one."""
        if len(self.splats) < 2:
            return None
        self.report_list = report_list(self.splats, every=False)
        traitlets.link((self.report_list, "value"), (self, "kind_report"))
        row = ipywidgets.HBox([self.report_list], layout=ipywidgets.Layout(flex_flow="row wrap",
                                                                          align_items="center"))
        row.add_class("splatkit-navigation")
        return row

    def static_html(self) -> str:
        """The graph as a picture and the tables as shown, for viewers without widgets; of several
        reports, the kind view of the one picked when it was saved, named (as the HTML report
        names the one report it shows)."""
        tables = [("", f'<div class="splatkit-tables">{view.value}</div>') for view in (
            self.chain_view, self.frames_view) if view in self.children]
        if self.kind_panel is not None and self.kind_panel in self.children:
            tables.append(("", f'<div class="splatkit-tables">{self._kind_html(static=True)}</div>'))
        if not self.drawn:
            several = " (and pick another report in its list)" if len(self.splats) > 1 else ""
            return snapshot_html("", tables, note=f"{UNDRAWN_STATIC_NOTE}{several}.",
                                 notes=[*self.notes, self.nothing_drawn])
        return snapshot_html(self.graph.static_svg, [("", self.legend), *tables],
                             notes=[*self.notes, *([self.scope_note] if self.scope_note else [])])

    def drawing(self, name: str | None = None) -> LockGraphWidget:
        """The lock graph's drawing (:attr:`graph`), which ``save_svg``, ``save_png`` and
        ``to_dot`` export; an explorer has one, so ``name`` must be None."""
        if name is not None:
            raise ValueError(f"an Explorer has one drawing; call save_svg(path) without a name, not {name!r}")
        return self.graph

    def select_lock(self, name: str) -> None:
        """Show lock class ``name``'s panel, as a click on its box does."""
        self.graph.selected_node = name

    def _show_lock(self, name: str) -> None:
        if not name:
            self.lock_class = {}
            self.lock_view.value = self.legend
            return
        self.lock_class = lock_class_view(self.splats, self.lock_graph, name)
        self.lock_view.value = self.legend + lock_class_html(self.lock_class)

    def _kind_of(self, index: int) -> KindView:
        """The kind view of report ``index`` (made once)."""
        if index not in self._kind_views:
            self._kind_views[index] = kind_view(self.splats[index])
        return self._kind_views[index]

    @traitlets.validate("kind_report")
    def _check_kind_report(self, proposal: traitlets.Bunch) -> int:
        index = proposal["value"]
        if not 0 <= index < len(self.splats):
            raise traitlets.TraitError(f"kind_report={index}: this explorer has {len(self.splats)} report"
                                       f"{'s' if len(self.splats) != 1 else ''}; use 0 to {len(self.splats) - 1}")
        return index

    @traitlets.observe("report_filter")
    def _kind_follows_filter(self, change: traitlets.Bunch) -> None:
        if change["new"] >= 0:
            self.kind_report = change["new"]

    @traitlets.observe("kind_report")
    def _on_kind_report(self, change: traitlets.Bunch) -> None:
        self.kind_view = self._kind_of(change["new"])
        if self.kind_panel is not None:
            self._show_kind()

    def _show_kind(self) -> None:
        self.kind_panel.value = self._kind_html(static=False)

    def _kind_html(self, *, static: bool) -> str:
        """The kind panel's HTML; of several reports, after a sentence naming the report shown and
        how to pick another (``static``: the rendering a saved notebook keeps, which cannot)."""
        view = self.kind_view
        if len(self.splats) == 1:
            return kind_view_html(view, internals=self.show_internals, heading="h4")
        index = self.kind_report
        how = ("the one picked when the notebook was saved" if static else
               f"pick another in the report list above{' the drawing' if self.drawn else ''}")
        which = note_html(f"The view of {report_label(index, self.splats[index])}, one of the {len(self.splats)} "
                          f"reports explored: {how}.")
        if view.view == "circular":  # (its view is the graph, the chain and the stacks, as they are)
            view = dataclasses.replace(view, blocks=(Block(CIRCULAR_HEADING, "note", caption=CIRCULAR_NOTE),))
        return which + kind_view_html(view, internals=self.show_internals, heading="h4")

    def _on_select(self, change: traitlets.Bunch) -> None:
        self._show(change["new"])

    def _show(self, edge_id: str) -> None:
        """Point the tables at dependency ``edge_id`` ("" shows no stack)."""
        edge = self._edges.get(edge_id)
        evidence = dependency_stack(self.lock_graph, edge["from"], edge["to"]) if edge else None
        caption = (f"{edge['from']} \u2192 {edge['to']}. {stack_caption(edge, evidence)}" if edge
                   else "No dependency selected: click an arrow in the graph.")
        if evidence is not None:
            self.frames, table = stack_html(evidence.frames, internals=self.show_internals,
                                            blamed=blamed_function(evidence.title), caption=caption)
        else:
            self.frames, table = stack_table(()), note_html(caption)
        self.frames_view.value = "<h4>Stack of the selected dependency</h4>" + table
        shown = self.chain[[c for c in ["splat", *CHAIN_SHOWN] if c in self.chain.columns]]
        self.chain_view.value = ("<h4>Dependency chain</h4>" + table_html(
            shown, row_edges=chain_edges(self.chain), selected=edge_id) if len(self.chain) else
            '<h4>Dependency chain</h4><p class="sk-note">This report prints no dependency chain.</p>')


def explore(source: Splat | Sequence[Splat] | str | None = None, *, vmlinux: str | os.PathLike[str] | None = None,
            modules: str | os.PathLike[str] | None = None,
            kernel_tree: str | os.PathLike[str] | None = None, graph: LockGraph | None = None) -> Explorer | PasteView:
    """Explore a splat in the notebook: the lock graph, the chain, the stack of a clicked arrow.

    Parameters
    ----------
    source : Splat, list of Splat, or str, optional
        A parsed splat, several (their graphs are merged), or report text to parse
        (a dmesg, console log or mail; the first report's cycle is highlighted).
        Without it, a text area to paste a log into (:func:`splatkit.widgets.paste`).
    vmlinux, modules, kernel_tree : path, optional
        The build that printed the report: the stacks then show each frame's ``file:line``
        (:func:`splatkit.symbolize`, which says what it could not decode).
    graph : LockGraph, optional
        The lock graph to draw instead of the reports' own: say, a ``/proc/lockdep`` dump
        merged with them (``LockGraph.from_proc_lockdep(path) | LockGraph.from_splats(splats)``).
        Above 150 lock classes the drawing is a neighbourhood (search, cycle list, radius).

    Returns
    -------
    Explorer or PasteView
        An ipywidgets container; ``explorer.selected_edge`` follows your clicks.
        Without ``source``, the :class:`PasteView` of :func:`splatkit.widgets.paste`.

    Raises
    ------
    ValueError
        When the text holds no lockdep report, or the list is empty.
    TypeError
        When ``source`` is none of the above.
    """
    if source is None:
        from ._paste import paste  # (it imports this module)

        return paste()
    splats = _as_splats(source)
    if vmlinux is not None or modules is not None or kernel_tree is not None:
        splats = tuple(symbolize(splats, vmlinux=vmlinux, modules=modules, kernel_tree=kernel_tree))
    return Explorer(splats, graph=graph)
