"""Export for the views that hold lock-graph drawings: SVG, PNG and DOT of one drawing.

:class:`~splatkit.widgets.LockGraphWidget` does the work (``save_svg``, ``save_png``,
``to_dot``, ``save_dot``); a view that holds drawings says which one with
:meth:`GraphExports.drawing`, and the same methods forward there.
"""

from __future__ import annotations

import os
from concurrent.futures import Future
from pathlib import Path

from ._graph import LockGraphWidget

__all__ = ["GraphExports"]


class GraphExports:
    """Mixin: ``save_svg``, ``save_png``, ``to_dot`` and ``save_dot`` of one of the view's drawings.

    ``name`` picks the drawing in views that hold several (an ordering's name in
    :class:`~splatkit.widgets.OrderingView`); views with one drawing take none.
    """

    def drawing(self, name: str | None = None) -> LockGraphWidget:  # pragma: no cover - each view defines it
        raise NotImplementedError

    def save_svg(self, path: str | os.PathLike[str], name: str | None = None) -> Path:
        """Write the drawing to ``path`` as SVG (see :meth:`LockGraphWidget.save_svg`)."""
        return self.drawing(name).save_svg(path)

    def save_png(self, path: str | os.PathLike[str], name: str | None = None) -> Future[Path]:
        """Write the drawing to ``path`` as PNG, drawn by the browser showing it
        (see :meth:`LockGraphWidget.save_png`)."""
        return self.drawing(name).save_png(path)

    def to_dot(self, name: str | None = None) -> str:
        """The drawn lock graph as DOT (see :meth:`LockGraphWidget.to_dot`)."""
        return self.drawing(name).to_dot()

    def save_dot(self, path: str | os.PathLike[str], name: str | None = None) -> Path:
        """Write :meth:`to_dot` to ``path``."""
        return self.drawing(name).save_dot(path)
