"""Jupyter widgets for splats: the only part of splatkit that imports ipywidgets and anywidget.

``paste()`` (or ``explore()`` with no argument) is a text area to paste a log into: the
reports found are listed, the picked one explored. ``explore(text_or_splat)`` parses, builds the lock graph and its view-model, and
shows it in a :class:`LockGraphWidget` beside the chain table, with the stack
of the dependency you click below. The drawing code is the same JS the HTML
report inlines (``splatkit/render/static/lock_graph.js``). ``compare_orderings(G, orderings)``
draws one lock graph per ordering side by side above :func:`splatkit.compare`'s table.
``workshop()`` is the lockdep workshop: graded exercises whose predictions the simulator
checks (:mod:`splatkit.sim.workshop`), and a scoreboard.
``scan_progress()`` shows a corpus scan's progress bar (:func:`splatkit.scan.scan_corpus`).
"""

from __future__ import annotations

from ..errors import DependencyError

try:
    import anywidget  # noqa: F401
    import ipywidgets  # noqa: F401
except ImportError as err:  # pragma: no cover - depends on the install
    raise DependencyError("splatkit.widgets needs anywidget and ipywidgets; "
                          "install them with: pip install 'splatkit[notebook]'") from err

from ._explore import Explorer, explore
from ._graph import LockGraphWidget
from ._paste import PasteView, paste
from ._ordering import OrderingView, compare_orderings
from ._scan import scan_progress
from ._workshop import Exercise, Feedback, Scoreboard, Workshop, workshop

__all__ = ["Exercise", "Explorer", "Feedback", "LockGraphWidget", "OrderingView", "PasteView", "Scoreboard", "Workshop",
           "compare_orderings", "explore", "paste", "scan_progress", "workshop"]
