"""What a scan of some logs found, small enough to send around and merge in any order.

A :class:`Partial` holds one group per syzbot title (how many reports, in how many logs,
first and last seen, one example), the lock graph of their reports cut down to what a view
needs (every lock class and dependency, and of each dependency's evidence only the first
:data:`EVIDENCE_PER_EDGE` pieces by file and line, with the total), the problems met, and
counts. Its size grows with the number of titles and lock classes, never with the number of
logs or reports, which is what lets a tree of merges over a million logs end on a client
with little memory.

:func:`merge_parts` is associative and commutative: every choice it makes (the example, a
lock class's usage string, which evidence to keep) takes the least by file name and line, so
any split of the logs and any shape of the merge tree give the same result.

>>> from splatkit import parse
>>> one = Partial.of_log("a.log", parse(seed_text), None)
>>> two = Partial.of_log("b.log", parse(seed_text), None)
>>> both = merge_parts([two, one])
>>> g = both.title_groups()[0]
>>> (g.title, g.count, g.logs, g.example)
('possible deadlock in set_nx_huge_pages', 2, 2, ('a.log', 1))
>>> both.lock_graph().has_dependency("cpu_hotplug_lock", "kvm_lock")
True
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..depgraph import Evidence
from ..errors import ParseError
from ..graph import LockGraph
from ..model import Splat
from .when import report_time

if TYPE_CHECKING:  # (pandas is imported where a table is made: a worker that scans never needs it)
    import pandas as pd

__all__ = ["COLUMNS", "EVIDENCE_PER_EDGE", "MAX_PROBLEMS", "Group", "Partial", "Problem", "merge_parts"]

#: Pieces of evidence kept per dependency (the first by file and line); the rest are counted.
EVIDENCE_PER_EDGE = 4
#: Problems kept (the first by file and line); the rest are counted.
MAX_PROBLEMS = 10_000
#: The columns of the grouped table.
COLUMNS = ("title", "kind", "count", "logs", "first_seen", "last_seen", "example")


@dataclass(frozen=True)
class Group:
    """The reports of one syzbot title."""

    title: str
    kind: str
    """The kind of the example report (a title belongs to one kind in practice)."""
    count: int
    """Reports with this title."""
    logs: int
    """Logs holding at least one of them."""
    first_seen: datetime | None
    last_seen: datetime | None
    example: tuple[str, int]
    """The first report by file name and line: (file, line of the report's first line)."""

    def __add__(self, other: Group) -> Group:
        first = self if self.example <= other.example else other
        return Group(self.title, first.kind, self.count + other.count, self.logs + other.logs,
                     _least(self.first_seen, other.first_seen, min), _least(self.last_seen, other.last_seen, max),
                     first.example)


def _least(a: datetime | None, b: datetime | None, pick: Any) -> datetime | None:
    return b if a is None else a if b is None else pick(a, b)


@dataclass(frozen=True, order=True)
class Problem:
    """A log the scan could not read, or read only in part, and why; ``line`` 0 when the
    problem has no line."""

    source: str
    line: int
    message: str
    what: str = "unreadable"
    """``unreadable`` (nothing read), ``partial`` (read up to a damage), ``parser`` (the
    parser failed on a report: the rest of that log is not read) or ``warning``."""

    def __str__(self) -> str:
        return f"{self.source}{f':{self.line}' if self.line else ''}: {self.message}"

    def as_error(self) -> ParseError:
        """The problem as the :class:`ParseError` a lock graph lists in ``problems``."""
        return ParseError(self.message, source=self.source, line_no=self.line or None)


@dataclass
class _Node:
    printed: frozenset[str]
    attrs: dict[str, tuple[str, Any]]
    """attribute -> (the log it was read from, its value): the value of the first log by name."""


@dataclass
class _Edge:
    count: int
    evidence: tuple[Evidence, ...]
    """The first EVIDENCE_PER_EDGE pieces by :func:`_rank`."""


def _rank(ev: Evidence) -> tuple[str, int, int, str]:
    return (ev.origin or "", ev.line_no or 0, -1 if ev.chain_index is None else ev.chain_index, ev.source)


@dataclass
class Partial:
    """What scanning some logs found (module docstring); merge with :func:`merge_parts`."""

    groups: dict[str, Group] = field(default_factory=dict)
    nodes: dict[str, _Node] = field(default_factory=dict)
    edges: dict[tuple[str, str], _Edge] = field(default_factory=dict)
    logs: int = 0
    """Logs read, whole or in part."""
    unreadable: int = 0
    """Logs of which nothing could be read."""
    bytes: int = 0
    """Size on disk of the logs read or tried."""
    reports: int = 0
    problems: tuple[Problem, ...] = ()
    more_problems: int = 0
    """Problems beyond MAX_PROBLEMS, counted only."""

    # -- one log ------------------------------------------------------------------------------

    @classmethod
    def of_log(cls, origin: str, splats: Sequence[Splat], file_time: datetime | None, *, size: int = 0,
               problems: Sequence[Problem] = (), read: bool = True,
               evidence_per_edge: int = EVIDENCE_PER_EDGE) -> Partial:
        """The partial of one log named ``origin``: its reports grouped, their lock graph
        (:meth:`LockGraph.from_splats`, lock classes without ``#N``: logs are many boots),
        dated by the time on their own lines or ``file_time``."""
        part = cls(logs=int(read), unreadable=int(not read), bytes=size, reports=len(splats))
        for splat in splats:
            seen = report_time((line.raw for line in splat.lines), file_time) or file_time
            group = Group(splat.title, splat.kind, 1, 1, seen, seen, (origin, splat.span.first_line))
            old = part.groups.get(splat.title)
            part.groups[splat.title] = group if old is None else replace(old + group, logs=1)
        if splats:
            g = LockGraph.from_splats(splats, identity="unversioned", origin=origin)
            for name, data in g.nx.nodes(data=True):
                part.nodes[name] = _Node(frozenset(data.get("printed") or ()),
                                         {k: (origin, v) for k, v in data.items() if k != "printed" and v is not None})
            for held, acquired, data in g.nx.edges(data=True):
                evidence = sorted(data["evidence"], key=_rank)
                part.edges[held, acquired] = _Edge(len(evidence), tuple(evidence[:evidence_per_edge]))
        part.problems = tuple(sorted(problems))[:MAX_PROBLEMS]
        part.more_problems = max(len(problems) - MAX_PROBLEMS, 0)
        return part

    # -- what it found --------------------------------------------------------------------------

    def title_groups(self) -> list[Group]:
        """The groups, most reports first (then most logs, then by title)."""
        return sorted(self.groups.values(), key=lambda g: (-g.count, -g.logs, g.title))

    def table(self) -> pd.DataFrame:
        """The grouped table: one row per title, :data:`COLUMNS`; times in UTC (NaT: unknown),
        ``example`` as ``FILE:LINE``."""
        import pandas as pd

        rows = [(g.title, g.kind, g.count, g.logs, g.first_seen, g.last_seen, f"{g.example[0]}:{g.example[1]}")
                for g in self.title_groups()]
        df = pd.DataFrame(rows, columns=list(COLUMNS))
        for column in ("first_seen", "last_seen"):
            df[column] = pd.to_datetime(df[column], utc=True)
        return df.astype({"count": "int64", "logs": "int64"})

    def lock_graph(self) -> LockGraph:
        """The merged lock graph: every lock class and dependency; each dependency with its
        first evidence by file and line and ``evidence_count``, how many pieces there were.
        ``problems`` lists what could not be read."""
        g = LockGraph(identity="unversioned")
        nxg = g.nx
        for name in sorted(self.nodes):
            node = self.nodes[name]
            nxg.add_node(name, printed=set(node.printed), **{k: v for k, (_origin, v) in sorted(node.attrs.items())})
        for held, acquired in sorted(self.edges):
            edge = self.edges[held, acquired]
            nxg.add_edge(held, acquired, evidence=list(edge.evidence), evidence_count=edge.count)
        g.changed()
        g.problems = [p.as_error() for p in self.problems]
        return g

    def stats(self) -> tuple[int, int, int, int]:
        """(logs tried, bytes, reports, problems): what a progress bar shows."""
        return (self.logs + self.unreadable, self.bytes, self.reports, len(self.problems) + self.more_problems)


def merge_parts(parts: Iterable[Partial], evidence_per_edge: int = EVIDENCE_PER_EDGE) -> Partial:
    """One partial holding everything ``parts`` found (none of them is changed): counts
    summed, groups and lock graphs merged, problems and evidence cut to their first ones by
    file and line. Any order and any grouping of the parts give the same result."""
    out = Partial()
    problems: list[Problem] = []
    for part in parts:
        out.logs += part.logs
        out.unreadable += part.unreadable
        out.bytes += part.bytes
        out.reports += part.reports
        out.more_problems += part.more_problems
        problems.extend(part.problems)
        for title, group in part.groups.items():
            old = out.groups.get(title)
            out.groups[title] = group if old is None else old + group
        for name, node in part.nodes.items():
            old_node = out.nodes.get(name)
            if old_node is None:
                out.nodes[name] = node
                continue
            attrs = dict(old_node.attrs)
            for key, value in node.attrs.items():
                if key not in attrs or value[0] < attrs[key][0]:
                    attrs[key] = value
            out.nodes[name] = _Node(old_node.printed | node.printed, attrs)
        for key, edge in part.edges.items():
            old_edge = out.edges.get(key)
            out.edges[key] = edge if old_edge is None else _Edge(
                old_edge.count + edge.count,
                tuple(heapq.merge(old_edge.evidence, edge.evidence, key=_rank))[:evidence_per_edge])
    problems.sort()
    out.problems = tuple(problems[:MAX_PROBLEMS])
    out.more_problems += max(len(problems) - MAX_PROBLEMS, 0)
    return out
