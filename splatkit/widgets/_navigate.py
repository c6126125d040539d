"""Finding one's way in the explorer's lock graph: search a lock class, pick a cycle, keep one
report's dependencies, and draw the neighbourhood of a lock when the graph is big.

:class:`GraphNavigation` is a mixin of :class:`splatkit.widgets.Explorer`; what to draw comes
from :mod:`splatkit.render.navigate` (no Jupyter there). Its state is traits a test or a
reader can set from Python, and the controls above the drawing are linked to them:

- ``search``: text typed in the search box; a lock class name (or text only one name
  contains) selects that class, shows its panel and frames it (:meth:`find`);
- ``cycle_index``: the cycle picked in the list (-1: none); it is drawn wider and framed,
  and its first dependency's stack shown (:meth:`pick_cycle`);
- ``report_filter``: only the dependencies report N asserts (-1: every report);
- ``focus`` and ``radius``: above :data:`~splatkit.render.navigate.BIG_GRAPH` classes, the
  drawing is the neighbourhood of ``focus`` (or of the picked cycle) within ``radius``
  dependencies; ``scope_note`` says so above the drawing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ipywidgets
import traitlets

from ..model import Splat
from ..render.escape import note_html
from ..render.html import default_edge, legend_html
from ..render.kind_view import kind_view
from ..render.navigate import (DEFAULT_RADIUS, Scope, cycle_label, emphasise, find_locks, first_cycle,
                               graph_cycles, report_graph, report_label, scope, start_focus)
from ..render.viewmodel import drawing_extent, edge_id, graph_view
from ._graph import FramedLockGraphWidget

__all__ = ["GraphNavigation", "SEARCH_PLACEHOLDER", "report_list"]

SEARCH_PLACEHOLDER = "search a lock class"
#: The controls are shown for a graph of more lock classes than this, more than one cycle, or
#: several reports; a single report's small graph (the seed's 8 classes, one cycle) does without
#: them: each control is a widget model saved with the notebook (about 25 KB together).
NAVIGATION_MIN = 20
#: Radius control's range (dependencies away from the focus).
MAX_RADIUS = 6


class GraphNavigation(traitlets.HasTraits):
    """Search, cycle list, report filter and neighbourhood of the explorer's drawing.

    The host builds its drawing from :meth:`_first_view` and then calls
    :meth:`_navigation_controls`; it has ``splats``, ``splat``, ``lock_graph``, ``graph``
    (the :class:`~splatkit.widgets.LockGraphWidget`) and ``_edges``.
    """

    search = traitlets.Unicode("")
    """The search box's text; a lock class it names is selected and framed."""
    cycle_index = traitlets.Int(-1)
    """Index in :attr:`cycles` of the picked cycle, -1 for none."""
    report_filter = traitlets.Int(-1)
    """Draw only the dependencies of report N (an index in ``splats``); -1 for every report."""
    focus = traitlets.Unicode("")
    """The lock class a big graph's neighbourhood is drawn around ("" for a small graph)."""
    radius = traitlets.Int(DEFAULT_RADIUS, min=0, max=MAX_RADIUS)
    """How many dependencies away from the focus a big graph's drawing reaches."""

    # ---- state ---------------------------------------------------------------------

    def _first_view(self) -> dict[str, Any]:
        """The view to draw first: every report, the first cycle picked, and a big graph's
        neighbourhood around that cycle (or the first report's lock)."""
        self.cycles: list[tuple[str, ...]] = []
        self.matches: list[str] = []
        self.scope: Scope | None = None
        self._centres: list[str] = []
        #: The lock classes the view was last fitted to (empty: the whole drawing).
        self.frame: list[str] = []
        self._quiet = True
        self._filtered = self.lock_graph
        self.cycles = graph_cycles(self._filtered, first=self.splat.cycle or None)
        # One report: its own cycle, or one through what it is about; never an incidental one.
        if len(self.splats) == 1:
            about = [(d.held, d.acquired) for d in kind_view(self.splat).dependencies]
            self.cycle_index = first_cycle(self.cycles, self.splat.cycle, about)
        else:
            self.cycle_index = 0 if self.cycles else -1
        view = self._view()
        self._quiet = False
        return view

    @property
    def scope_note(self) -> str:
        """What the drawing shows of a big graph (empty when it shows it all)."""
        return self.scope.note if self.scope else ""

    def _view(self) -> dict[str, Any]:
        """Scope and view-model for the current state; sets :attr:`scope` and :attr:`focus`."""
        picked = self.cycles[self.cycle_index] if 0 <= self.cycle_index < len(self.cycles) else ()
        if not self._centres:
            self._centres = list(picked) or [start_focus(self._filtered, (), self.splats)]
        what = f"the cycle {cycle_label(picked)}" if picked and self._centres == list(picked) else ""
        self.scope = scope(self._filtered, report=None, centres=self._centres, radius=self.radius, what=what)
        self.focus = self.scope.centres[0] if self.scope.big else ""
        view = graph_view(self.scope.graph, cycle=picked or None)
        # The picked cycle stands out from the others; a graph with one cycle, small enough to go
        # without the controls, is drawn and framed whole, as before any pick (and saves the bytes).
        if len(self.cycles) > 1 or self.needs_navigation:
            emphasise(view, picked if all(n in self.scope.graph.nx for n in picked) else ())
        if not view.get("frame") and self.scope.big:
            view["frame"] = [c for c in self._centres if c in self.scope.graph.nx]
        return view

    def _redraw(self, *, frame: list[str] | None = None) -> None:
        """Draw the current state: data, legend, a selection that still exists, the frame."""
        view = self._view()
        self._edges = {e["id"]: e for e in view["edges"]}
        edge = self.graph.selected_edge if self.graph.selected_edge in self._edges else default_edge(view)
        node = self.graph.selected_node if any(n["id"] == self.graph.selected_node for n in view["nodes"]) else ""
        with self.graph.hold_trait_notifications():
            self.graph.selected_edge = ""
            self.graph.selected_node = ""
            self.graph.nodes = view["nodes"]
            self.graph.edges = view["edges"]
        self.graph.selected_edge = edge
        self.graph.selected_node = node
        # Lock classes drawn elsewhere (a report kept, a neighbourhood): the page fits them (when
        # only the emphasis changed, the region is the same, and the reader's zoom is kept).
        self.graph.extent = drawing_extent(view)
        self._frame(frame if frame is not None else view.get("frame", []))
        self.legend = f'<div class="splatkit-legend">{legend_html(view, lock_panel=True)}</div>'
        self._show_lock(self.graph.selected_node)
        if hasattr(self, "scope_view"):
            self.scope_view.value = _note_html(self.scope_note)
            self.scope_view.layout.display = "" if self.scope_note else "none"
            self.radius_box.layout.display = "" if self.scope and self.scope.big else "none"

    def _frame(self, nodes: list[str]) -> None:
        """Fit the view to ``nodes``: :attr:`frame`, sent to a drawing that can frame (a small
        graph's drawing shows it whole)."""
        self.frame = list(nodes)
        if isinstance(self.graph, FramedLockGraphWidget):
            self.graph.frame = []  # (so that the same nodes are framed again)
            self.graph.frame = list(nodes)

    # ---- what a reader does ----------------------------------------------------------

    def pick_cycle(self, index: int) -> tuple[str, ...]:
        """Highlight cycle ``index`` of :attr:`cycles` (drawn wider), draw a big graph around it,
        frame it and show its first dependency's stack; returns its locks."""
        if not 0 <= index < len(self.cycles):
            raise IndexError(f"no cycle {index}: this graph has {len(self.cycles)} "
                             f"(pick 0 to {len(self.cycles) - 1})" if self.cycles else
                             f"no cycle {index}: the lock graph drawn has no cycle")
        if index == self.cycle_index:  # picked again: draw and frame it again
            self._on_cycle(traitlets.Bunch(new=index))
        self.cycle_index = index  # (observed: _on_cycle draws it)
        return self.cycles[index]

    def find(self, name: str) -> str:
        """Select lock class ``name`` (as printed or as a node), show its panel and frame it; in a
        big graph, draw its neighbourhood. Returns the node name.

        Raises
        ------
        splatkit.errors.UnknownLock
            When no lock class has that name (the message names the closest).
        """
        node = self._filtered.node(name)
        if self.scope is not None and self.scope.big and node not in self.scope.graph.nx:
            self._centres = [node]
            self._quiet = True
            self.cycle_index = -1
            self._quiet = False
            self._redraw(frame=[node])
        else:
            self._frame([node])
        self.graph.selected_node = node
        return node

    @traitlets.observe("search")
    def _on_search(self, change: traitlets.Bunch) -> None:
        text = change["new"]
        self.matches = find_locks(self._filtered, text)
        exact = [m for m in self.matches if m == text.strip()]
        if exact or len(self.matches) == 1:
            self.find((exact or self.matches)[0])
        if hasattr(self, "search_status"):
            self.search_status.value = ("" if not text.strip() else "no lock class matches" if not self.matches
                                        else "" if exact or len(self.matches) == 1
                                        else f"{len(self.matches)} lock classes match; pick one")

    @traitlets.observe("cycle_index")
    def _on_cycle(self, change: traitlets.Bunch) -> None:
        if self._quiet or change["new"] < 0:
            return
        locks = self.cycles[change["new"]]
        self._centres = list(locks)
        self._redraw(frame=list(locks))
        first = edge_id(locks[0], locks[1 % len(locks)])
        if first in self._edges:
            self.graph.selected_edge = first

    @traitlets.validate("report_filter")
    def _check_report(self, proposal: traitlets.Bunch) -> int:
        index = proposal["value"]
        if not -1 <= index < len(self.splats):
            raise traitlets.TraitError(f"report_filter={index}: use -1 (every report) or 0 to {len(self.splats) - 1}")
        return index

    @traitlets.observe("report_filter")
    def _on_report(self, change: traitlets.Bunch) -> None:
        index = change["new"]
        self._filtered = self.lock_graph if index < 0 else report_graph(self.lock_graph, index)
        first = self.splats[index].cycle if index >= 0 else self.splat.cycle
        self.cycles = graph_cycles(self._filtered, first=first or None)
        self._centres = []
        self._quiet = True
        if hasattr(self, "cycle_list"):
            self.cycle_list.options = self._cycle_options()  # (resets the list's value: the trait is set next)
        self.cycle_index = 0 if self.cycles else -1
        self._quiet = False
        self._redraw()

    @traitlets.observe("radius")
    def _on_radius(self, _change: traitlets.Bunch) -> None:
        if not self._quiet and self.scope is not None and self.scope.big:
            self._redraw()

    @traitlets.observe("focus")
    def _on_focus(self, change: traitlets.Bunch) -> None:
        if self._quiet or self.scope is None or not change["new"] or change["new"] in self._centres[:1]:
            return
        self.find(change["new"])

    # ---- controls --------------------------------------------------------------------

    def _cycle_options(self) -> list[tuple[str, int]]:
        head = (f"{len(self.cycles)} cycle{'s' if len(self.cycles) != 1 else ''}: pick one" if self.cycles
                else "no cycle in this graph")
        return [(head, -1)] + [(f"{i}. {cycle_label(c)}", i) for i, c in enumerate(self.cycles)]

    @property
    def needs_navigation(self) -> bool:
        """Whether the drawing gets the controls: a graph of more than :data:`NAVIGATION_MIN` lock
        classes, more than one cycle, or several reports."""
        return len(self.lock_graph.nx) > NAVIGATION_MIN or len(self.cycles) > 1 or len(self.splats) > 1

    def _navigation_controls(self) -> ipywidgets.Widget | None:
        """The search box, cycle list, report filter, radius and scope note, linked to the traits;
        None when the graph does not need them (:attr:`needs_navigation`: the traits and methods
        work all the same)."""
        if not self.needs_navigation:
            return None
        names = sorted(str(n) for n in self.lock_graph.nx)
        self.search_box = ipywidgets.Combobox(placeholder=SEARCH_PLACEHOLDER, options=names, ensure_option=False,
                                              layout=ipywidgets.Layout(width="260px"))
        self.search_box.add_class("splatkit-search")
        self.search_status = ipywidgets.Label("")
        self.cycle_list = ipywidgets.Dropdown(options=self._cycle_options(), value=self.cycle_index,
                                              layout=ipywidgets.Layout(width="auto", max_width="480px"))
        self.cycle_list.add_class("splatkit-cycles")
        self.report_list = report_list(self.splats, every=True)
        self.radius_box = ipywidgets.BoundedIntText(value=self.radius, min=0, max=MAX_RADIUS, description="radius",
                                                    layout=ipywidgets.Layout(width="140px"))
        self.radius_box.add_class("splatkit-radius")
        for control, trait in ((self.search_box, "search"), (self.cycle_list, "cycle_index"),
                               (self.report_list, "report_filter"), (self.radius_box, "radius")):
            traitlets.link((control, "value"), (self, trait))
        self.report_list.layout.display = "" if len(self.splats) > 1 else "none"
        self.radius_box.layout.display = "" if self.scope and self.scope.big else "none"
        # (HTML, escaped, rather than a Label: a long note wraps instead of running off the side.)
        self.scope_view = ipywidgets.HTML(_note_html(self.scope_note), layout=ipywidgets.Layout(
            display="" if self.scope_note else "none"))
        self.scope_view.add_class("splatkit-scope")
        row = ipywidgets.HBox([self.search_box, self.search_status, self.cycle_list, self.report_list,
                               self.radius_box], layout=ipywidgets.Layout(flex_flow="row wrap", align_items="center"))
        row.add_class("splatkit-navigation")
        return ipywidgets.VBox([row, self.scope_view])


def report_list(splats: Sequence[Splat], *, every: bool) -> ipywidgets.Dropdown:
    """The report list: one entry per report (:func:`~splatkit.render.navigate.report_label`),
    after "every report" (-1) when ``every``; its value is the first entry's."""
    reports = [("every report", -1)] * every + [(report_label(i, s), i) for i, s in enumerate(splats)]
    dropdown = ipywidgets.Dropdown(options=reports, value=reports[0][1],
                                   layout=ipywidgets.Layout(width="auto", max_width="360px"))
    dropdown.add_class("splatkit-reports")
    return dropdown


def _note_html(note: str) -> str:
    """The scope note as a paragraph; its lock names escaped (they come from a kernel log)."""
    return note_html(note) if note else ""
