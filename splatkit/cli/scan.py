"""``splatkit scan``: every lockdep report in many logs, grouped by the title syzbot gives it.

The command of :func:`splatkit.corpus.scan_corpus`: standard output gets the grouped table
(``--format table|csv|json``) and nothing else; standard error gets one line per log that
could not be read (and the scan goes on), the progress bar and a summary when it is a
terminal. Exit status 2 only when nothing could be read at all.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import warnings
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from ..corpus.engine import DaskMissing, scan_corpus
from ..corpus.partial import COLUMNS, Group
from ..errors import SplatkitError
from .graph import graphml, node_link, whole
from .io import say, write_file, write_stdout
from .show import plain

__all__ = ["FORMATS", "GRAPH_FORMATS", "as_csv", "as_json", "as_table"]

HELP = "find every lockdep report in many logs and group them by syzbot title"
DESCRIPTION = f"""\
{HELP}.

Each PATH is a log file, a directory (every file under it), a glob
('logs/**/*.gz', quoted so that the shell leaves it alone), a URL fsspec can
open (s3://, gs://, https://) or '-' for standard input; logs may be plain,
.gz, .xz, .bz2 or .zst. Prints one row per title: how many reports, in how many
logs, first and last seen (a wall-clock time on the report's lines, else the
file's modification time; UTC), the kind, and one example file and line.

The scan runs on Dask: by default one process per core on this machine
(--workers), or on a Dask cluster (--scheduler, or DASK_SCHEDULER_ADDRESS),
whose workers read the logs: give paths they can open. Without Dask installed
it runs in one process and says how to install it.

A log that cannot be read is reported on standard error, one line each, and
the scan goes on; the exit status is 2 only when nothing could be read."""

FORMATS = ("table", "csv", "json")
#: What --graph writes, by the output file's ending.
GRAPH_FORMATS = {".graphml": "graphml", ".xml": "graphml", ".json": "json"}


def register(sub) -> None:
    p = sub.add_parser("scan", help=HELP, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("paths", nargs="+", metavar="PATH", help="log files, directories, globs, URLs; '-' for stdin")
    p.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    p.add_argument("--graph", metavar="OUT", help="also write the lock graph merged from every report to OUT: "
                   "GraphML (.graphml) or JSON (.json), as 'splatkit graph' writes them")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on this Dask cluster (tcp://host:8786; default: DASK_SCHEDULER_ADDRESS, else this "
                   "machine)")
    p.add_argument("--workers", type=whole(1), metavar="N", help="processes on this machine (default: one per core)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar, even on a terminal")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no warnings (the logs that could not be read are still listed)")
    p.set_defaults(func=cmd_scan)


def _tty(stream: Any) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def cmd_scan(args: argparse.Namespace) -> int:
    graph_format = None
    if args.graph is not None:
        graph_format = GRAPH_FORMATS.get(os.path.splitext(args.graph)[1].lower())
        if graph_format is None:
            raise SplatkitError(f"scan --graph {args.graph}: give a file name ending in .graphml or .json (the "
                                "format is read from it)")
    if args.paths.count("-") > 1:
        raise SplatkitError("scan: '-' (standard input) can be given once")
    show_progress = not args.no_progress and _tty(sys.stderr)
    bar = None
    if show_progress:
        from ..corpus.progress import ProgressBar

        bar = ProgressBar(file=sys.stderr)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DaskMissing)
        try:
            result = scan_corpus(args.paths, args.scheduler, workers=args.workers, progress=bar,
                                 stdin=_stdin())
        except OSError as err:  # (a cluster that cannot be reached)
            where = args.scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS")
            if where:
                raise SplatkitError(f"scan: cannot reach the Dask scheduler {where}: {err.strerror or err}; "
                                    "check the address, or leave --scheduler out to scan on this machine") from None
            raise SplatkitError(f"scan: {err.strerror or err}") from None
        except KeyboardInterrupt:
            say("splatkit: scan: interrupted; nothing printed")
            return 130
        finally:
            if bar is not None:
                bar.close()
    for warning in caught:
        if issubclass(warning.category, DaskMissing):
            say(f"splatkit: note: {warning.message}")
        else:
            warnings.showwarning(warning.message, warning.category, warning.filename, warning.lineno)
    for problem in result.problems:
        if problem.what != "warning" or not args.quiet:
            say(f"splatkit: {plain(str(problem))}")
    if result.more_problems:
        say(f"splatkit: ... and {result.more_problems} more logs that could not be read whole (not listed)")
    if result.logs == 0:
        what = "could be read" if result.unreadable else f"was found in {' '.join(args.paths)}"
        say(f"splatkit: scan: no log {what}")
        return 2
    groups = result.groups  # (no pandas table: the command prints the groups as they are)
    write_stdout({"table": as_table, "csv": as_csv, "json": as_json}[args.format](groups))
    if graph_format is not None:
        _write_graph(args.graph, graph_format, result.graph)
    if _tty(sys.stderr):
        say(f"splatkit: {result.reports} reports, {len(groups)} titles in {result.logs} logs "
            f"({result.bytes / 1e6:.1f} MB) in {result.seconds:.1f} s; {result.engine}"
            + (f"; {result.unreadable} unreadable" if result.unreadable else ""))
    return 0


def _stdin() -> Any:
    stdin = sys.stdin
    if stdin is None or stdin.closed:
        return None
    return getattr(stdin, "buffer", stdin)


def _write_graph(path: str, form: str, g: Any) -> None:
    if g.nx.number_of_edges() == 0:
        say(f"splatkit: no lock graph written to {path}: the reports found name no dependency between locks")
        return
    found = g.cycles()
    write_file(path, graphml(g, found) if form == "graphml" else node_link(g, found))


def _stamp(value: datetime | None, form: str) -> str | None:
    return None if value is None else value.astimezone(timezone.utc).strftime(form)


def _when(value: datetime | None) -> str:
    return _stamp(value, "%Y-%m-%d %H:%M") or "-"


def _example(group: Group) -> str:
    return f"{group.example[0]}:{group.example[1]}"


def as_table(groups: Sequence[Group]) -> str:
    """The groups as aligned columns, in the order given (most reports first); input text
    printed escaped."""
    if not groups:
        return "no lockdep report found\n"
    head = ("count", "logs", "first seen (UTC)", "last seen (UTC)", "kind", "title", "example")
    rows = [(str(g.count), str(g.logs), _when(g.first_seen), _when(g.last_seen), g.kind, plain(g.title),
             plain(_example(g))) for g in groups]
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
    lines = []
    for row in [head, *rows]:
        cells = [cell.rjust(w) if i < 2 else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"


def _iso(value: datetime | None) -> str | None:
    return _stamp(value, "%Y-%m-%dT%H:%M:%SZ")


def _record(group: Group) -> dict[str, Any]:
    return {"title": group.title, "kind": group.kind, "count": group.count, "logs": group.logs,
            "first_seen": _iso(group.first_seen), "last_seen": _iso(group.last_seen), "example": _example(group)}


def as_json(groups: Sequence[Group]) -> str:
    """A JSON list of groups, each with the keys title, kind, count, logs, first_seen,
    last_seen (ISO 8601 in UTC, or null) and example (``FILE:LINE``)."""
    return json.dumps([_record(g) for g in groups], indent=1) + "\n"


def as_csv(groups: Sequence[Group]) -> str:
    """CSV with a header row (the table's columns), times in ISO 8601 (UTC; empty when unknown)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows({**r, "first_seen": r["first_seen"] or "", "last_seen": r["last_seen"] or ""}
                     for r in map(_record, groups))
    return out.getvalue()
