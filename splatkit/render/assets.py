"""The code and styles a page or widget inlines: vis-network (from pyvis) and splatkit's own.

Pages load nothing from the network: vis-network's JS and CSS are read from the pyvis
package, used as a data source only (its page template links a CDN and does not escape the
heading), and splatkit's drawing code and styles from ``static/``.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..errors import DependencyError

__all__ = ["Assets", "lock_graph_assets", "vis_network_assets"]

#: The vis-network build inside pyvis that both views use (standalone UMD, with DataSet).
VIS_NETWORK_DIR = ("lib", "vis-9.1.2")


@dataclass(frozen=True)
class Assets:
    """A JavaScript source and its stylesheet, as text to inline or to hand to a widget."""

    js: str
    css: str


@lru_cache(maxsize=1)
def vis_network_assets() -> Assets:
    """vis-network's JS and CSS as shipped inside pyvis (no download, no CDN), the JS followed by
    splatkit's corrections to it (``static/vis_fixes.js``: it goes wherever vis-network goes,
    and a saved notebook carries neither).

    Raises
    ------
    DependencyError
        When pyvis is not installed; it comes with ``pip install 'splatkit[notebook]'``.
    """
    # Only pyvis's files are needed, not the module: find it without importing it.
    try:
        spec = importlib.util.find_spec("pyvis")
    except (ImportError, ValueError):  # ValueError: a stand-in module without a spec
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise DependencyError("drawing the lock graph needs pyvis (it ships vis-network); "
                              "install it with: pip install 'splatkit[notebook]'")
    folder = Path(spec.submodule_search_locations[0]).joinpath(*VIS_NETWORK_DIR)
    fixes = resources.files("splatkit.render").joinpath("static", "vis_fixes.js").read_text(encoding="utf-8")
    return Assets(js=(folder / "vis-network.min.js").read_text(encoding="utf-8") + "\n" + fixes,
                  css=(folder / "vis-network.css").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def lock_graph_assets() -> Assets:
    """splatkit's own drawing code (``static/lock_graph.js``) and styles (``.css``)."""
    static = resources.files("splatkit.render").joinpath("static")
    return Assets(js=static.joinpath("lock_graph.js").read_text(encoding="utf-8"),
                  css=static.joinpath("lock_graph.css").read_text(encoding="utf-8"))
