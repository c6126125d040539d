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

import re
from importlib import resources
from typing import Any

import anywidget
import traitlets

from ..render.html import lock_graph_assets, vis_network_assets
from ..render.snapshot import snapshot_html
from ..render.svg import graph_svg
from ..render.viewmodel import network_options
from ._static import StaticFallback

__all__ = ["LockGraphWidget"]

_OURS = lock_graph_assets()


def _without_comments(js: str) -> str:
    r"""``lock_graph.js`` without its comments and indentation: the widget's state (what a saved
    notebook keeps per graph) carries the code, not its documentation. The file holds no
    ``/*`` or ``//`` inside a string or a regex, which this relies on.

    >>> _without_comments("/** doc */\nconst a = 1; // one\n  // note\n  f(a);\n")
    'const a = 1; // one\nf(a);'
    """
    js = re.sub(r"/\*.*?\*/", "", js, flags=re.S)
    return "\n".join(line.strip() for line in js.splitlines() if line.strip() and not line.strip().startswith("//"))


#: The widget's ESM: the shared drawing code, exported for anywidget.
ESM = _without_comments(_OURS.js) + "\nexport default splatkitLockGraph.widget;\n"
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


def _ids(items: list[dict[str, Any]]) -> list[str]:
    return [str(item["id"]) for item in items]


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

    nodes = traitlets.List(traitlets.Dict()).tag(sync=True)
    """Lock classes as view-model nodes (``id`` is the lock-class name)."""
    edges = traitlets.List(traitlets.Dict()).tag(sync=True)
    """Dependencies as view-model edges (``id`` from ``edge_id``, ``label`` the function)."""
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

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.on_msg(self._on_message)
        self._draw_static()

    @traitlets.observe("nodes", "edges")
    def _on_data(self, _change: traitlets.Bunch) -> None:
        self._draw_static()

    def _draw_static(self) -> None:
        self.static_svg = graph_svg({"nodes": self.nodes, "edges": self.edges})

    def _on_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """Answer a view's request for vis-network (the JS and its CSS, from pyvis)."""
        if isinstance(content, dict) and content.get("type") == NEED_VIS:
            vis = vis_network_assets()
            self.send({"type": "splatkit-vis", "js": vis.js, "css": vis.css})

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
        """A widget drawing ``view`` (``{"nodes": [...], "edges": [...]}``); ``kwargs`` set traits."""
        return cls(nodes=view["nodes"], edges=view["edges"], **kwargs)
