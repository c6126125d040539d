"""Running a corpus scan: in this process, on a local Dask scheduler, or on a Dask cluster.

The logs are split into partitions of about equal size (:func:`partitions`); each partition
is one Dask task, :func:`~splatkit.corpus.perlog.scan_batch`, which returns a small
:class:`~splatkit.corpus.partial.Partial`. The partials are merged in a tree of
:func:`~splatkit.corpus.partial.merge_parts` tasks, :data:`SPLIT_EVERY` at a time, so the
client of a cluster only ever receives the last one (and a few numbers per partition for the
progress bar), and the local scheduler's client, which holds every result as it comes, merges
the last level of at most :data:`LOCAL_MERGE` itself: its memory is bounded by the number of
titles and lock classes, not by the number of logs or reports.

- ``client=None``: a Dask cluster named by ``DASK_SCHEDULER_ADDRESS`` (Dask's
  ``scheduler-address`` setting) when there is one, else Dask's local process scheduler with
  one process per core (``workers=``), forked when that is safe
  (:func:`~splatkit.corpus.mainguard.start_method`); one process for a single partition.
- ``client=`` a ``distributed.Client`` or a scheduler address: that cluster. The paths are
  listed and the logs read by its workers (paths they can open, or URLs), which need splatkit
  installed.
- without Dask installed: every log in this process, one after the other, with one warning
  saying how to get the parallel engine.

Standard input (``-``) is read in this process, whichever engine reads the files.
"""

from __future__ import annotations

import heapq
import math
import os
import sys
import time
import uuid
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, BinaryIO

from ..errors import EngineError
from ..graph import LockGraph
from .logs import LogRef, find_logs
from .mainguard import start_method, unguarded_caller, unguarded_message
from .partial import EVIDENCE_PER_EDGE, Group, Partial, Problem, merge_parts
from .perlog import scan_batch, scan_log, scan_stream

if TYPE_CHECKING:  # (the client makes the table; a worker process never imports pandas)
    import pandas as pd

__all__ = ["DASK_HINT", "LOCAL_MERGE", "PARTITION_BYTES", "SPLIT_EVERY", "CorpusScan", "Progress", "partitions",
           "scan_corpus"]

#: About this many bytes of logs per task (more tasks than workers: an even load, a fine
#: progress bar, and little lost when a worker dies).
PARTITION_BYTES = 32 << 20
#: Partials merged per task of the reduction tree.
SPLIT_EVERY = 8
#: Partials the local scheduler's client merges itself, at the top of the tree: it holds every
#: result anyway, and a merge task would pickle its partials out to a worker and the merged
#: one back (the client's CPU, on cores the workers need). A few MB held at the end.
LOCAL_MERGE = 64
DASK_HINT = "install the parallel engine with: pip install 'splatkit[dask]'"


class DaskMissing(UserWarning):
    """Dask is not installed: the scan runs in one process (the message says how to get Dask)."""


@dataclass(frozen=True)
class Progress:
    """How far a scan is, as :func:`scan_corpus` tells its ``progress`` callback."""

    logs: int
    logs_total: int
    bytes: int
    """Size on disk of the logs scanned so far."""
    bytes_total: int
    reports: int
    problems: int
    elapsed: float
    """Seconds since the scan started."""


@dataclass
class CorpusScan:
    """The result of :func:`scan_corpus`: unpacks as ``table, graph``.

    ``table`` has one row per syzbot title (``title``, ``kind``, ``count``, ``logs``,
    ``first_seen``, ``last_seen``, ``example``), most reports first; ``graph`` is the lock graph
    merged from every report, whose ``problems`` name what could not be read. Each is built
    when first asked for, from ``found`` (the merged partial): ``splatkit scan`` prints the
    ``groups`` and needs neither pandas nor the graph unless asked for a graph.
    """

    found: Partial
    """What the scan found, merged: groups, lock classes and dependencies, counts, problems."""
    engine: str = ""
    """Where it ran, in words: ``one process``, ``local Dask scheduler, 2 processes``..."""
    seconds: float = 0.0

    @property
    def groups(self) -> list[Group]:
        """The title groups, most reports first: the rows of ``table``."""
        return self.found.title_groups()

    @cached_property
    def table(self) -> pd.DataFrame:
        return self.found.table()

    @cached_property
    def graph(self) -> LockGraph:
        return self.found.lock_graph()

    @property
    def logs(self) -> int:
        """Logs read, whole or in part."""
        return self.found.logs

    @property
    def unreadable(self) -> int:
        """Paths of which nothing could be read (missing, denied, not a log a codec can open)."""
        return self.found.unreadable

    @property
    def reports(self) -> int:
        return self.found.reports

    @property
    def bytes(self) -> int:
        return self.found.bytes

    @property
    def problems(self) -> list[Problem]:
        return list(self.found.problems)

    @property
    def more_problems(self) -> int:
        return self.found.more_problems

    def __iter__(self):
        yield self.table
        yield self.graph


def partitions(refs: Sequence[LogRef], workers: int, partition_bytes: int = PARTITION_BYTES) -> list[list[LogRef]]:
    """The logs split into partitions of about equal size (largest first, each to the
    lightest partition), at least ``4 * workers`` of them when there are logs enough.

    >>> logs = [LogRef(name, size) for name, size in zip("abcdef", (9, 5, 4, 3, 2, 1))]
    >>> [[r.path for r in p] for p in partitions(logs, 1, 100)]
    [['a'], ['b'], ['c', 'f'], ['d', 'e']]
    """
    if not refs:
        return []
    total = sum(ref.size for ref in refs)
    count = max(1, min(max(4 * workers, math.ceil(total / max(partition_bytes, 1))), len(refs)))
    heap = [(0, i, []) for i in range(count)]
    for ref in sorted(refs, key=lambda r: (-r.size, r.path)):
        size, i, batch = heapq.heappop(heap)
        batch.append(ref)
        heapq.heappush(heap, (size + max(ref.size, 1), i, batch))
    return [sorted(batch) for _size, _i, batch in sorted(heap, key=lambda h: h[1]) if batch]


def _dask() -> Any:
    try:
        import dask
    except ImportError:
        return None
    return dask


def scan_corpus(paths: str | Iterable[str], client: Any = None, *, workers: int | None = None,
                progress: Callable[[Progress], None] | None = None, partition_bytes: int = PARTITION_BYTES,
                evidence_per_edge: int = EVIDENCE_PER_EDGE, stdin: BinaryIO | None = None) -> CorpusScan:
    """Find every lockdep report in every log, grouped by the title syzbot gives it.

    Parameters
    ----------
    paths : str or iterable of str
        Files, directories (read recursively), globs (``logs/**/*.gz``), URLs fsspec opens
        (``s3://bucket/logs/``) and ``-`` for standard input. Logs may be plain or
        compressed (``.gz``, ``.xz``, ``.bz2``, ``.zst``).
    client : distributed.Client or str, optional
        A Dask cluster to run on (a client, or a scheduler address such as
        ``tcp://10.0.0.5:8786``). Default: ``DASK_SCHEDULER_ADDRESS`` when set, else a local
        Dask scheduler with ``workers`` processes (default: one per core).
    progress : callable, optional
        Called with a :class:`Progress` after each partition (each log in one process):
        :class:`splatkit.corpus.progress.ProgressBar` draws a bar.
    partition_bytes : int
        About this many bytes of logs per Dask task.
    evidence_per_edge : int
        Pieces of evidence the merged lock graph keeps per dependency (the first by file
        and line; ``evidence_count`` on the edge counts them all).
    stdin : binary file, optional
        What ``-`` reads (default: ``sys.stdin.buffer``).

    Returns
    -------
    CorpusScan
        ``table, graph = scan_corpus(...)``: the grouped table (a pandas DataFrame) and the
        merged :class:`~splatkit.LockGraph`; also counts, ``problems`` (files that could not be
        read, a report the parser failed on: each with file and line) and the engine used.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.log").write_text(seed_text)
    >>> table, graph = scan_corpus([str(d)], workers=1)
    >>> table[["title", "count", "logs"]].to_dict("records")
    [{'title': 'possible deadlock in set_nx_huge_pages', 'count': 1, 'logs': 1}]
    """
    started = time.perf_counter()
    paths = [paths] if isinstance(paths, str) else list(paths)
    read_stdin = "-" in paths
    paths = [p for p in paths if p != "-"]
    dask = _dask()
    own_client = False
    if client is None:  # (Dask's own setting, which DASK_SCHEDULER_ADDRESS sets)
        client = (dask.config.get("scheduler-address", None) if dask is not None
                  else os.environ.get("DASK_SCHEDULER_ADDRESS")) or None
    if isinstance(client, str):
        client, own_client = _connect(client), True
    try:
        if client is not None:
            refs, missing = client.submit(find_logs, paths, pure=False).result() if paths else ([], [])
        else:
            refs, missing = find_logs(paths)
        base = Partial(unreadable=len(missing), problems=tuple(
            Problem(m.path, 0, f"cannot read: {m.reason}") for m in missing))
        ticker = _Ticker(progress, len(refs) + read_stdin, sum(r.size for r in refs), started)
        if client is not None:
            found, engine = _on_cluster(client, refs, partition_bytes, evidence_per_edge, ticker)
        elif dask is None:
            if refs:
                warnings.warn(f"splatkit scans the corpus in one process: {DASK_HINT}", DaskMissing, stacklevel=2)
            found, engine = _in_process(refs, evidence_per_edge, ticker), "one process (Dask is not installed)"
        else:
            n = workers or os.cpu_count() or 1
            batches = partitions(refs, n, partition_bytes)
            if n == 1 or len(batches) <= 1:
                found, engine = _in_process(refs, evidence_per_edge, ticker), "one process"
            else:
                method = start_method()
                found = _on_local_dask(dask, batches, n, method, evidence_per_edge, ticker)
                engine = f"local Dask scheduler, {n} processes ({method})"
        parts = [base, found]
        if read_stdin:
            parts.append(_stdin_part(stdin, evidence_per_edge))
            ticker.add(parts[-1].stats())
        total = merge_parts(parts, evidence_per_edge)
    finally:
        if own_client:
            client.close()
    return CorpusScan(total, engine, time.perf_counter() - started)


def _stdin_part(stdin: BinaryIO | None, evidence_per_edge: int) -> Partial:
    stream = stdin if stdin is not None else getattr(sys.stdin, "buffer", None)
    if stream is None or getattr(stream, "closed", False):
        return Partial(unreadable=1, problems=(Problem("<stdin>", 0, "cannot read: standard input is closed"),))
    return scan_stream("<stdin>", stream, None, evidence_per_edge=evidence_per_edge)


class _Ticker:
    """Adds up the partitions' numbers and tells the progress callback."""

    def __init__(self, callback: Callable[[Progress], None] | None, logs_total: int, bytes_total: int,
                 started: float) -> None:
        self.callback, self.logs_total, self.bytes_total, self.started = callback, logs_total, bytes_total, started
        self.logs = self.bytes = self.reports = self.problems = 0
        self.tell()

    def add(self, stats: tuple[int, int, int, int]) -> None:
        logs, size, reports, problems = stats
        self.logs += logs
        self.bytes += size
        self.reports += reports
        self.problems += problems
        self.tell()

    def tell(self) -> None:
        if self.callback is not None:
            self.callback(Progress(self.logs, self.logs_total, self.bytes, max(self.bytes_total, self.bytes),
                                   self.reports, self.problems, time.perf_counter() - self.started))


def _in_process(refs: Sequence[LogRef], evidence_per_edge: int, ticker: _Ticker) -> Partial:
    total = Partial()
    for ref in refs:
        part = scan_log(ref, evidence_per_edge)
        ticker.add(part.stats())
        total = merge_parts([total, part], evidence_per_edge)
    return total


def _graph(dask: Any, batches: list[list[LogRef]], evidence_per_edge: int,
           top: int = 1) -> tuple[list[Any], list[Any]]:
    """The Dask graph: a scan task per partition and a tree of merges over them, up to a level
    of at most ``top`` tasks; returns that level and the scan tasks (whose partials tell the
    progress bar how far the scan is). (dask.delayed with named keys: a Dask bag's optimiser
    fuses the scan into both of its consumers and would scan every log twice.)"""
    from dask import delayed

    token = uuid.uuid4().hex
    scans = [delayed(scan_batch, pure=True)(batch, evidence_per_edge, dask_key_name=(f"splatkit-scan-{token}", i))
             for i, batch in enumerate(batches)]
    level, depth = scans, 0
    while len(level) > top:
        depth += 1
        level = [delayed(merge_parts, pure=True)(level[i:i + SPLIT_EVERY], evidence_per_edge,
                                                 dask_key_name=(f"splatkit-merge-{token}-{depth}", i))
                 if len(level) - i > 1 else level[i]  # (a last one alone goes up a level as it is)
                 for i in range(0, len(level), SPLIT_EVERY)]
    return level, scans


def _on_local_dask(dask: Any, batches: list[list[LogRef]], workers: int, method: str, evidence_per_edge: int,
                   ticker: _Ticker) -> Partial:
    from concurrent.futures.process import BrokenProcessPool

    from dask.callbacks import Callback

    unguarded = unguarded_caller(method)
    if unguarded is not None:  # (before any process starts: each would run the script again)
        raise EngineError(unguarded_message(*unguarded, f"scan_corpus(workers={workers})"))
    # (merging the top itself ended a 2 GB scan on 2 workers 0.25 s sooner, and took its client
    # 0.38 -> 0.25 CPU s: see LOCAL_MERGE)
    tops, scans = _graph(dask, batches, evidence_per_edge, top=LOCAL_MERGE)
    keys = {s.key for s in scans}
    finished = 0

    def posttask(key: Any, result: Any, _dsk: Any, _state: Any, _worker: Any) -> None:
        # (the local scheduler hands this process every result: a scan's partial is here already,
        # while a stats task would send it back out to a worker)
        nonlocal finished
        finished += 1
        if key in keys:
            ticker.add(result.stats())

    from dask.multiprocessing import get as processes  # (given as a function, not by its name "processes":
    # then dask does not import distributed to look for a client, 0.2 s before any worker starts)

    try:
        with Callback(posttask=posttask), dask.config.set({"multiprocessing.context": method}):
            merged = dask.compute(*tops, scheduler=processes, num_workers=workers,
                                  optimize_graph=False, chunksize=1)  # (one task at a time: no tail)
    except BrokenProcessPool as err:
        how = ("before any task finished: they could not start (a main script that starts them again in "
               "each of them, not under `if __name__ == \"__main__\":`, does that)" if not finished else
               f"after {finished} tasks (killed, or out of memory?)")
        raise EngineError(f"scan_corpus(workers={workers}): the local Dask scheduler's worker processes stopped "
                          f"{how}; pass workers=1 to scan in this process") from err
    return merge_parts(merged, evidence_per_edge)


def _connect(address: str) -> Any:
    try:
        from distributed import Client
    except ImportError as err:
        from ..errors import DependencyError

        raise DependencyError(f"running on a Dask cluster ({address}) needs distributed: {DASK_HINT}") from err
    return Client(address)


def _on_cluster(client: Any, refs: Sequence[LogRef], partition_bytes: int, evidence_per_edge: int,
                ticker: _Ticker) -> tuple[Partial, str]:
    from distributed import as_completed

    import dask

    info = client.scheduler_info()
    workers = info.get("workers", {})
    threads = sum(w.get("nthreads", 1) for w in workers.values()) or 1
    engine = f"Dask cluster at {info.get('address', '?')}, {len(workers)} workers, {threads} threads"
    batches = partitions(refs, threads, partition_bytes)
    if not batches:
        return Partial(), engine
    from dask import delayed

    (total,), scans = _graph(dask, batches, evidence_per_edge)
    # (a stats task runs where its scan's partial is: only four numbers come back for the progress bar)
    stats = [delayed(Partial.stats, pure=True)(part) for part in scans]
    futures = client.compute([total, *stats], optimize_graph=False)
    for future in as_completed(futures[1:]):
        ticker.add(future.result())
    return futures[0].result(), engine
