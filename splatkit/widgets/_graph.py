"""The lock-graph widget: a view-model drawn by the shared ``lock_graph.js``, selection synced back.

The widget's ESM is the same source the HTML report inlines
(``splatkit/render/static/lock_graph.js``) plus one ``export`` line, so the
notebook and the report cannot draw differently.

What a saved notebook keeps of a widget is its state, so the state holds what a
reader needs and nothing twice: the view-model (with the node positions), and
``static_svg``, the same drawing as a static picture (:func:`splatkit.render.svg.graph_svg`),
which the view shows until the live drawing replaces it, and keeps when no kernel
is there. vis-network (about 690 KB) is *not* state: the view asks the kernel for
it with a custom message, once per page (``loadVis`` in the JS). The output's
mimebundle adds the picture as ``text/html`` for nbconvert, GitHub and any viewer
without the widget manager.
"""

from __future__ import annotations

import base64
import itertools
import os
import re
from concurrent.futures import Future
from importlib import resources
from pathlib import Path
from typing import Any

import anywidget
import rjsmin
import traitlets

from ..errors import SplatkitError
from ..graph import LockGraph
from ..render.assets import lock_graph_assets, vis_network_assets
from ..render.snapshot import snapshot_html
from ..render.svg import graph_svg
from ..render.viewmodel import network_options
from ._static import StaticFallback

__all__ = ["FramedLockGraphWidget", "LockGraphWidget", "ViewportGraphWidget"]

_OURS = lock_graph_assets()


def _minified(js: str) -> str:
    """``lock_graph.js`` minified by rjsmin: the widget's state (what a saved notebook keeps per
    graph) carries the code, not its documentation and layout (issue 11's 60 KB per graph)."""
    return rjsmin.jsmin(js).strip()


#: The widget's ESM: the shared drawing code, exported for anywidget.
ESM = _minified(_OURS.js) + "\nexport default splatkitLockGraph.widget;\n"


def _compact_css(css: str) -> str:
    r"""A style sheet without comments and indentation (it is saved with every graph).

    >>> _compact_css("/* doc */\n.a {\n  color: red;\n}\n")
    '.a {color: red;}'
    """
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    return "".join(line.strip() for line in css.splitlines())


#: The widget's styles (graph frame, tables), themed with JupyterLab's variables.
CSS = _compact_css(resources.files("splatkit.render").joinpath("static", "widget.css").read_text(encoding="utf-8"))
#: What the view asks the kernel for (see ``loadVis`` in lock_graph.js).
NEED_VIS = "splatkit-need-vis"
#: What a view says when it is drawn (a PNG can be asked of it from then on).
VIEW_SHOWN = "splatkit-view"
#: What the DOT button asks the kernel for (see ``exportBar`` in lock_graph.js).
NEED_DOT = "splatkit-need-dot"
#: A view's answer to :meth:`LockGraphWidget.save_png`: the drawing as a PNG data URL.
PNG_ANSWER = "splatkit-png"
_PNG_PREFIX = "data:image/png;base64,"
#: An XML declaration makes the saved SVG a file image viewers and browsers open on its own.
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def _ids(items: list[dict[str, Any]]) -> list[str]:
    return [str(item["id"]) for item in items]


#: View-model fields that Python reads (evidence, cycle membership, the kind of arrow) and the
#: static SVG has already drawn: the page does not need them, so they are not sent to it, nor
#: saved with the notebook's widget state.
PYTHON_ONLY = frozenset({"evidence", "cycle", "cycles", "new", "held_order", "marked"})


def _drawn(items: list[dict[str, Any]], _widget: Any) -> list[dict[str, Any]]:
    """What the page draws of view-model nodes or edges (the ``to_json`` of those traits).

    >>> _drawn([{"id": "a -> b", "label": "f", "cycle": True, "evidence": []}], None)
    [{'id': 'a -> b', 'label': 'f'}]
    """
    return [{k: v for k, v in item.items() if k not in PYTHON_ONLY} for item in items]


class LockGraphWidget(StaticFallback, anywidget.AnyWidget):
    """A lock graph in the notebook; click an arrow to select a dependency.

    Build it from a view-model (:func:`splatkit.render.viewmodel.graph_view`) with
    :meth:`from_view`. Selections are plain lock-class data: ``selected_edge`` is
    an edge id ``"held -> acquired"`` as made by
    :func:`splatkit.render.viewmodel.edge_id`, ``selected_node`` a lock-class name.
    Setting either from Python selects it in the drawing.
    """

    _esm = ESM
    _css = CSS

    nodes = traitlets.List(traitlets.Dict()).tag(sync=True, to_json=_drawn)
    """Lock classes as view-model nodes (``id`` is the lock-class name); the page gets what it
    draws of them (no :data:`PYTHON_ONLY` field)."""
    edges = traitlets.List(traitlets.Dict()).tag(sync=True, to_json=_drawn)
    """Dependencies as view-model edges (``id`` from ``edge_id``, ``label`` the function); the
    page gets what it draws of them."""
    options = traitlets.Dict().tag(sync=True)
    """vis-network options; default :func:`splatkit.render.viewmodel.network_options`."""
    height = traitlets.Unicode("520px").tag(sync=True)
    """CSS height of the drawing."""
    selected_edge = traitlets.Unicode("").tag(sync=True)
    """Id of the selected dependency (``"held -> acquired"``), or ``""``; synced from clicks."""
    selected_node = traitlets.Unicode("").tag(sync=True)
    """Name of the selected lock class, or ``""``; synced from clicks."""
    static_svg = traitlets.Unicode("").tag(sync=True)
    """The drawing as a static SVG (escaped), kept up to date with ``nodes`` and ``edges``."""
    extent = traitlets.Dict(default_value=None, allow_none=True).tag(sync=True)
    """The region the live drawing is fitted to when it appears
    (:func:`splatkit.render.viewmodel.drawing_extent`); None: vis-network's own fit."""

    def __init__(self, *, lock_graph: LockGraph | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        #: The lock graph drawn (what :meth:`to_dot` writes); ``None`` for a bare view-model.
        self.lock_graph = lock_graph
        self.views_shown = 0
        self._png_ids = itertools.count(1)
        self._png_pending: dict[int, tuple[Path, Future[Path]]] = {}
        self.on_msg(self._on_message)
        self._draw_static()

    @traitlets.observe("nodes", "edges")
    def _on_data(self, _change: traitlets.Bunch) -> None:
        self._draw_static()

    def _draw_static(self) -> None:
        self.static_svg = graph_svg({"nodes": self.nodes, "edges": self.edges},
                                    viewport=getattr(self, "viewport", None) or None)

    def _on_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """Answer a view: vis-network (the JS and its CSS, from pyvis) or the DOT text it asks
        for; note that a view is shown; take the PNG a view sends for :meth:`save_png`."""
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == NEED_VIS:
            vis = vis_network_assets()
            self.send({"type": "splatkit-vis", "js": vis.js, "css": vis.css})
        elif kind == VIEW_SHOWN:
            self.views_shown += 1
        elif kind == NEED_DOT:
            try:
                self.send({"type": "splatkit-dot", "dot": self.to_dot()})
            except SplatkitError as err:
                self.send({"type": "splatkit-dot", "error": str(err)})
        elif kind == PNG_ANSWER:
            self._take_png(content)

    # ---- export ---------------------------------------------------------------------

    def to_svg(self) -> str:
        """The drawing as a standalone SVG document (the static picture, every name escaped)."""
        if not self.static_svg:
            raise SplatkitError("the graph is empty: there is nothing to draw, so no picture to save")
        return XML_DECLARATION + self.static_svg + "\n"

    def save_svg(self, path: str | os.PathLike[str]) -> Path:
        """Write the drawing to ``path`` as SVG (:meth:`to_svg`); returns the path."""
        return _write(path, self.to_svg())

    def to_dot(self) -> str:
        """The lock graph as DOT for Graphviz, as ``splatkit graph --format dot`` writes it
        (:func:`splatkit.render.graphfile.dot`): a box per lock class, the cycles in red."""
        if self.lock_graph is None:
            raise SplatkitError("this drawing was made from a bare view-model, without its lock graph: "
                                "build it with LockGraphWidget.from_view(view, lock_graph=G) to export DOT")
        from ..render.graphfile import dot

        return dot(self.lock_graph, self.lock_graph.cycles())

    def save_dot(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`to_dot` to ``path``; returns the path."""
        return _write(path, self.to_dot())

    def save_png(self, path: str | os.PathLike[str]) -> Future[Path]:
        """Ask the displayed view for its drawing as PNG and write it to ``path``.

        A PNG is made where the drawing is, in the browser (the live canvas, or the static
        picture rasterised), so the widget must be shown in a live notebook. The view answers
        once the running cell has finished, so the file is written then: the returned future
        is done (its ``result()`` the path) when it is. The PNG button above the drawing
        downloads the same picture; :meth:`save_svg` needs no browser.

        Raises
        ------
        SplatkitError
            When no view of this widget has been shown in a browser.
        """
        if not self.views_shown:
            raise SplatkitError("save_png needs the widget shown in a live notebook (a PNG is drawn by "
                                "the browser): display it first, then call save_png again in the next "
                                "cell, or use its PNG button; save_svg works without a browser")
        target = Path(path)
        future: Future[Path] = Future()
        request = next(self._png_ids)
        self._png_pending[request] = (target, future)
        self.send({"type": "splatkit-png-request", "id": request})
        return future

    def _take_png(self, content: dict[str, Any]) -> None:
        pending = self._png_pending.pop(content.get("id"), None)  # type: ignore[arg-type]
        if pending is None:  # another view answered first
            return
        target, future = pending
        data = content.get("data")
        if content.get("error") or not isinstance(data, str) or not data.startswith(_PNG_PREFIX):
            future.set_exception(SplatkitError(f"the browser could not draw the PNG for {target}: "
                                               f"{content.get('error') or 'it sent no PNG'}"))
            return
        try:
            target.write_bytes(base64.b64decode(data[len(_PNG_PREFIX):], validate=True))
        except (OSError, ValueError) as err:
            future.set_exception(SplatkitError(f"cannot write {target}: {err}"))
            return
        future.set_result(target)

    def static_html(self) -> str:
        """The drawing as HTML for viewers without widgets (the output's ``text/html``)."""
        return snapshot_html(self.static_svg)

    @traitlets.default("options")
    def _default_options(self) -> dict[str, Any]:
        return network_options()

    @traitlets.validate("selected_edge")
    def _check_edge(self, proposal: traitlets.Bunch) -> str:
        return self._check_id(proposal["value"], self.edges, "selected_edge", "an edge")

    @traitlets.validate("selected_node")
    def _check_node(self, proposal: traitlets.Bunch) -> str:
        return self._check_id(proposal["value"], self.nodes, "selected_node", "a node")

    @staticmethod
    def _check_id(value: str, items: list[dict[str, Any]], trait: str, what: str) -> str:
        known = _ids(items)
        if value and value not in known:
            raise traitlets.TraitError(f"{trait}={value!r} is not {what} of this graph; "
                                       f"use '' or one of: {', '.join(map(repr, known))}")
        return value

    @classmethod
    def from_view(cls, view: dict[str, Any], **kwargs: Any) -> LockGraphWidget:
        """A widget drawing ``view`` (``{"nodes": [...], "edges": [...]}``); ``kwargs`` set traits,
        and ``lock_graph=`` the :class:`~splatkit.graph.LockGraph` drawn (for :meth:`to_dot`)."""
        return cls(nodes=view["nodes"], edges=view["edges"], **kwargs)


class ViewportGraphWidget(LockGraphWidget):
    """A lock graph drawn at a given place and zoom instead of fitted to its frame.

    Drawings set side by side (:func:`splatkit.widgets.compare_orderings`) share one
    :attr:`viewport`, so a lock class is at the same place in each, at a zoom where labels
    read; the static picture is framed the same. (A subclass, so that other drawings save no
    empty viewport: a saved notebook keeps every trait of every graph.)
    """

    viewport = traitlets.Dict(None, allow_none=True).tag(sync=True)
    """The region shown: ``x0``, ``y0``, ``x1``, ``y1`` (drawing coordinates), its centre ``x``,
    ``y`` and the zoom ``scale``, read when the live drawing is made; None: all of it, fitted."""

    @traitlets.observe("viewport")
    def _on_viewport(self, _change: traitlets.Bunch) -> None:
        self._draw_static()


#: The ESM of :class:`FramedLockGraphWidget`: the drawing, then ``framing.js``, both rendered.
FRAMED_ESM = (_minified(_OURS.js) + "\n" + _minified(resources.files("splatkit.widgets").joinpath(
    "static", "framing.js").read_text(encoding="utf-8")) + "\nexport default {render(ctx) {"
    "const a = splatkitLockGraph.widget.render(ctx), b = splatkitFraming(ctx); return () => (a(), b());}};\n")


class FramedLockGraphWidget(LockGraphWidget):
    """A :class:`LockGraphWidget` whose view can be framed from Python: the explorer's drawing of
    a big graph (:mod:`splatkit.widgets._navigate`). Its framing code is a separate ESM so that
    the widget of a small graph, and the notebook saving it, do without."""

    _esm = FRAMED_ESM

    frame = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """Lock classes the view is fitted to (at a zoom from 0.6, labels readable, to 1); set it
    after the data it names; empty: the whole drawing. To frame the same again, set ``[]`` first."""


def _write(path: str | os.PathLike[str], text: str) -> Path:
    target = Path(path)
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as err:
        raise SplatkitError(f"cannot write {target}: {err.strerror or err}; choose a writable path") from err
    return target
