"""The lock-graph widget: a view-model drawn by the shared ``lock_graph.js``, selection synced back.

The widget's ESM is the same source the HTML report inlines
(``splatkit/render/static/lock_graph.js``) plus one ``export`` line, so the
notebook and the report cannot draw differently. vis-network itself travels as
the private ``_vis_js`` trait and is evaluated once per page (see ``loadVis`` in
the JS).
"""

from __future__ import annotations

from typing import Any

import anywidget
import traitlets

from ..render.html import lock_graph_assets, vis_network_assets
from ..render.viewmodel import network_options

__all__ = ["LockGraphWidget"]

_OURS = lock_graph_assets()
_VIS = vis_network_assets()


def _ids(items: list[dict[str, Any]]) -> list[str]:
    return [str(item["id"]) for item in items]


class LockGraphWidget(anywidget.AnyWidget):
    """A lock graph in the notebook; click an arrow to select a dependency.

    Build it from a view-model (:func:`splatkit.render.viewmodel.graph_view`) with
    :meth:`from_view`. Selections are plain lock-class data: ``selected_edge`` is
    an edge id ``"held -> acquired"`` as made by
    :func:`splatkit.render.viewmodel.edge_id`, ``selected_node`` a lock-class name.
    Setting either from Python selects it in the drawing.
    """

    _esm = _OURS.js + "\nexport default splatkitLockGraph.widget;\n"
    _css = _VIS.css + "\n" + _OURS.css
    _vis_js = traitlets.Unicode(_VIS.js).tag(sync=True)

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
