"""Lock graphs from the inputs of ``graph`` and ``check-order``: splats, ``/proc/lockdep`` and
``/proc/lockdep_chains`` dumps, told apart by their text, merged into one graph.

The library has a builder for each (:meth:`LockGraph.from_splats`,
:meth:`~LockGraph.from_proc_lockdep`, :meth:`~LockGraph.from_proc_lockdep_chains`) and leaves
the choice to its caller; a file on the command line says nothing, so :func:`sniff` reads it:
a dump is line after line in ``l_show()``'s or ``lc_show()``'s format, a log of splats has
lockdep's banners among other console lines.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from ..depgraph import IDENTITIES
from ..errors import ParseError
from ..graph import LockGraph
from ..proc import CHAIN_CONTEXT, CHAIN_LOCK, CLASS_LINE, DEP_LINE
from .io import read_input, say
from .reports import load_text

__all__ = ["KINDS", "add_graph_options", "load_graph", "sniff"]

#: What an input can be: a log holding splats, a /proc/lockdep dump, a /proc/lockdep_chains dump.
KINDS = ("splats", "lockdep", "chains")
#: The lines :func:`sniff` looks at (the first ones that are not blank).
SNIFF_LINES = 200


def sniff(text: str) -> str:
    """Which of :data:`KINDS` ``text`` is: a dump when it starts with the dump's header line,
    or when most of its first non-blank lines are in the dump's format; else splats.

    >>> sniff("all lock classes:\\nffffffff82a64e90 FD:    8 BD:    5 ++++: cpu_hotplug_lock\\n")
    'lockdep'
    >>> sniff("irq_context: 0\\n[ffffffff82a5f1d8] a\\n[ffffffff82a60e20] b\\n")
    'chains'
    >>> sniff("WARNING: possible circular locking dependency detected\\n")
    'splats'
    """
    lines = []
    for line in text.splitlines():
        if line.strip():
            lines.append(line)
            if len(lines) == SNIFF_LINES:
                break
    if not lines:
        return "splats"
    first = lines[0].strip()
    if first == "all lock classes:":
        return "lockdep"
    if first in ("all lock chains:", "(buggered) all lock chains:"):
        return "chains"
    lockdep = sum(1 for line in lines if CLASS_LINE.match(line) or DEP_LINE.match(line))
    chains = sum(1 for line in lines if CHAIN_CONTEXT.match(line) or CHAIN_LOCK.match(line))
    if max(lockdep, chains) * 2 > len(lines):
        return "lockdep" if lockdep >= chains else "chains"
    return "splats"


def add_graph_options(p: argparse.ArgumentParser) -> None:
    """``--identity``: which printed names are one lock class in the merged graph."""
    p.add_argument("--identity", choices=("auto", *IDENTITIES), default="auto",
                   help="which names are one lock class: exact (as printed), unversioned (without #N), "
                   "base (without #N and /N); auto: exact for one input, unversioned when merging (default)")


def load_graph(files: Sequence[str | None], args: argparse.Namespace) -> tuple[LockGraph, list[str]]:
    """The lock graph of every input merged (None: the bundled seed), each named in its evidence,
    and the inputs' names; lines of a dump that could not be read are warnings
    (``FILE:LINE: warning: ...``)."""
    merged: LockGraph | None = None
    names = []
    for file in files:
        name, text = read_input(file, args.max_mb)
        names.append(name)
        kind = sniff(text)
        if kind == "lockdep":
            g = LockGraph.from_proc_lockdep(text, identity=args.identity, origin=name)
        elif kind == "chains":
            g = LockGraph.from_proc_lockdep_chains(text, identity=args.identity, origin=name)
        else:
            g = LockGraph.from_splats(load_text(name, text, warn=not args.quiet), identity=args.identity,
                                      origin=name)
        if not args.quiet:
            for problem in g.problems:
                warn(problem)
        merged = g if merged is None else merged | g
    assert merged is not None, "no input"
    return merged, names


def warn(problem: ParseError) -> None:
    """A problem the input goes on without, as ``FILE:LINE: warning: ...``."""
    where = problem.source or "<input>"
    if problem.line_no is not None:
        where += f":{problem.line_no}"
    text = str(problem)
    say(f"{where}: warning: {text[len(where) + 2:] if text.startswith(where + ': ') else text}")
