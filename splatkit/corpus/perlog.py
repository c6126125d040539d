"""The work of one log, a pure function of its text (and its file time): :func:`scan_log`.

It runs wherever the scan runs (a Dask worker, or this process) and returns a small
:class:`~splatkit.corpus.partial.Partial`. It never raises for a bad log: a log that cannot
be opened, one whose compressed data is damaged, and one on which the parser fails are each
a :class:`~splatkit.corpus.partial.Problem` naming the file (and the line, when there is
one), and the scan of the corpus goes on.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import BinaryIO

from ..model import Splat
from ..scan import locate, scan
from .logs import LogRef, LogStream, is_url
from .partial import EVIDENCE_PER_EDGE, Partial, Problem, merge_parts

__all__ = ["file_time", "scan_batch", "scan_log", "scan_stream"]


def file_time(path: str) -> datetime | None:
    """The log's modification time in UTC, None when it cannot be known."""
    try:
        if is_url(path):
            from .logs import _fsspec

            fs, root = _fsspec().core.url_to_fs(path)
            stamp = fs.modified(root)
            return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)
        return datetime.fromtimestamp(os.stat(path[7:] if path.startswith("file://") else path).st_mtime,
                                      tz=timezone.utc)
    except Exception:  # (NotImplementedError from a file system without times, OSError, ...)
        return None


def _crash_line(reopen: Callable[[], BinaryIO] | None, after: int) -> int:
    """The line of the first report after line ``after`` (where the parser failed), 0 when
    that cannot be told."""
    if reopen is None:
        return 0
    try:
        with reopen() as stream:
            for found in locate(stream):
                if found.line_no > after:
                    return found.line_no
    except Exception:  # noqa: BLE001 - the locator failed too, or the log went: no line to give
        return 0
    return 0


def scan_stream(origin: str, stream: BinaryIO, when: datetime | None, *, size: int = 0,
                reopen: Callable[[], BinaryIO] | None = None, evidence_per_edge: int = EVIDENCE_PER_EDGE) -> Partial:
    """The partial of the log read from ``stream`` (:func:`splatkit.scan.scan`), named
    ``origin``; ``reopen`` (a fresh stream of the same log) finds the line the parser failed
    on, if it does."""
    splats: list[Splat] = []
    problems: list[Problem] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        try:
            for splat in scan(stream):
                splats.append(splat)
        except OSError as err:  # (a stream that is no LogStream: standard input)
            problems.append(Problem(origin, 0, f"cannot read further: {_reason(err)}; the reports before are "
                                    "counted", "partial" if splats else "unreadable"))
        except Exception as err:  # noqa: BLE001 - a parser bug must not stop the corpus
            after = splats[-1].span.first_line if splats else 0
            line = _crash_line(reopen, after)
            where = "on the report here" if line else f"after line {after}" if after else "in this log"
            problems.append(Problem(origin, line, f"the parser failed {where} ({type(err).__name__}: {err}); "
                                    f"{len(splats)} report(s) before it are counted, the rest of this log is not "
                                    "read (a splatkit bug: please report it with this log)", "parser"))
    problems.extend(Problem(origin, 0, f"warning: {w.message}", "warning") for w in caught
                    if issubclass(w.category, UserWarning))
    error = getattr(stream, "error", None)
    read_ok = getattr(stream, "read_ok", size)
    if error is not None:
        if read_ok:
            problems.append(Problem(origin, 0, f"read only the first {read_ok:,} bytes: "
                                    f"{_reason(error)}; the reports before are counted", "partial"))
        else:
            return Partial.of_log(origin, (), when, size=size, read=False,
                                  problems=[Problem(origin, 0, f"cannot read: {_reason(error)}")])
    return Partial.of_log(origin, splats, when, size=size or read_ok, problems=problems,
                          evidence_per_edge=evidence_per_edge)


def _reason(err: BaseException) -> str:
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__


def scan_log(ref: LogRef | str, evidence_per_edge: int = EVIDENCE_PER_EDGE) -> Partial:
    """Scan one log (a path, a URL, or a :class:`LogRef`) and return what it found.

    >>> import tempfile
    >>> path = tempfile.mktemp(suffix=".log")
    >>> _ = open(path, "w").write("boot\\n" + seed_text + seed_text)
    >>> part = scan_log(path)
    >>> part.reports, [(g.title, g.count, g.logs) for g in part.title_groups()]
    (2, [('possible deadlock in set_nx_huge_pages', 2, 1)])
    >>> scan_log(path + ".missing").problems[0].message
    'cannot read: No such file or directory'
    """
    ref = LogRef(ref) if isinstance(ref, str) else ref
    when = file_time(ref.path)
    try:
        stream = LogStream(ref.path)
    except Exception as err:  # noqa: BLE001 - OSError, a missing package, whatever a file system raises
        return Partial.of_log(ref.path, (), when, size=ref.size, read=False,
                              problems=[Problem(ref.path, 0, f"cannot read: {_reason(err)}")])
    with stream:
        return scan_stream(ref.path, stream, when, size=ref.size, reopen=lambda: LogStream(ref.path),
                           evidence_per_edge=evidence_per_edge)


def scan_batch(refs: Iterable[LogRef], evidence_per_edge: int = EVIDENCE_PER_EDGE) -> Partial:
    """The partial of several logs (one Dask task: a partition of the corpus)."""
    return merge_parts((scan_log(ref, evidence_per_edge) for ref in refs), evidence_per_edge)
