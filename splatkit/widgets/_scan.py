"""``scan_progress()``: the progress bar of a corpus scan as a notebook widget.

:func:`splatkit.scan.scan_corpus` takes any ``progress`` callback; this one draws tqdm's
notebook bar (an ipywidgets progress bar with the bytes scanned, the reports found and the
rate), which the core cannot import.
"""

from __future__ import annotations

from typing import Any

from ..corpus.progress import ProgressBar

__all__ = ["scan_progress"]


def scan_progress(**tqdm_kwargs: Any) -> ProgressBar:
    """A ``progress`` callback for :func:`splatkit.scan.scan_corpus` that shows a widget.

    >>> table, graph = scan_corpus(paths, progress=scan_progress())  # doctest: +SKIP
    """
    from tqdm.notebook import tqdm

    return ProgressBar(tqdm, **tqdm_kwargs)
