"""The progress bar of a corpus scan, drawn by tqdm: bytes scanned, reports found, the rate.

:class:`ProgressBar` is a ``progress`` callback for :func:`~splatkit.corpus.scan_corpus`.
By default it draws tqdm's text bar (``splatkit scan`` shows it only on a terminal); in a
notebook, give it ``tqdm.notebook.tqdm`` (a widget: :func:`splatkit.widgets.scan_progress`
does). The bar closes when every log is scanned, showing the last figures. This module
imports nothing of Jupyter.

>>> import io
>>> from splatkit.corpus.engine import Progress
>>> out = io.StringIO()
>>> with ProgressBar(file=out, mininterval=0) as bar:
...     bar(Progress(0, 2, 0, 2048, 0, 0, 0.0)); bar(Progress(2, 2, 2048, 2048, 3, 0, 1.0))
>>> "3 reports, 2/2 logs" in out.getvalue()
True
"""

from __future__ import annotations

from typing import Any

from .engine import Progress

__all__ = ["ProgressBar"]


class ProgressBar:
    """Draws a :class:`~splatkit.corpus.engine.Progress` with tqdm (``tqdm_class``, default
    tqdm's text bar on standard error; other keyword arguments go to it)."""

    def __init__(self, tqdm_class: Any = None, **tqdm_kwargs: Any) -> None:
        if tqdm_class is None:
            from tqdm.std import tqdm as tqdm_class
        self._tqdm, self._kwargs = tqdm_class, tqdm_kwargs
        self.bar: Any = None

    def __call__(self, progress: Progress) -> None:
        if self.bar is None:
            self.bar = self._tqdm(total=progress.bytes_total, unit="B", unit_scale=True, desc="scan",
                                  **self._kwargs)
        if progress.bytes_total != self.bar.total:
            self.bar.total = progress.bytes_total
        problems = f", {progress.problems} unreadable or in part" if progress.problems else ""
        self.bar.set_postfix_str(f"{progress.reports} reports, {progress.logs}/{progress.logs_total} logs{problems}",
                                 refresh=False)
        self.bar.update(progress.bytes - self.bar.n)
        if progress.logs >= progress.logs_total:  # (the last figures drawn, whatever the interval)
            self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.refresh()
            self.bar.close()
            self.bar = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
