"""``splatkit check-order``: does a declared lock ordering close a dependency cycle with what
the inputs recorded? A CI gate: exit 0 when it closes none, 1 when it closes some.

The ordering (:mod:`splatkit.analysis.orderfile`'s format) is applied to the lock graph of the
inputs (:meth:`splatkit.LockGraph.with_ordering`: declared dependencies added, removed ones
dropped, split locks split). A declared dependency the inputs never recorded closes a cycle
when the graph leads back from the lock it acquires to the lock it holds; each such cycle is
printed (the shortest one through that dependency) with the evidence of every edge: which
report or dump recorded it (``FILE:LINE``) or which line of the ordering declared it.
Cycles the inputs hold by themselves (a circular splat is one) are not the ordering's doing:
they are listed after, with whether the ordering leaves or breaks them, and not counted.
"""

from __future__ import annotations

import argparse

from ..analysis.cycles import MAX_CYCLES, Cycle
from ..analysis.orderfile import FORMS, Ordering, Split
from ..depgraph import Evidence
from ..errors import NoCycle, ParseError
from ..graph import LockGraph
from .graph import MAX_EVIDENCE, whole
from ..render.graphfile import describe
from .inputs import add_graph_options, load_graph, warn
from .io import read_input, say, write_stdout

HELP = "check whether a declared lock ordering closes a cycle with what the inputs recorded (exit 1 if so)"
DESCRIPTION = """\
Check whether a declared lock ordering closes a dependency cycle with what the
inputs recorded.

ORDERING is a file of lock-order statements, one per line ('-' for standard
input): 'A -> B' (B is taken while A is held), 'A -> B (read) @ site',
'- A -> B' (the code no longer does it), 'split A: NEW at site1, site2';
'#' starts a comment. Each INPUT holds lockdep reports or a /proc/lockdep or
/proc/lockdep_chains dump; without one, the bundled seed splat is used.

Each cycle a declared dependency closes is printed with the evidence of each of
its edges: the report or dump line that recorded it, or the ordering line that
declared it. Cycles the inputs hold without the ordering are listed, not
counted.

Exit status: 0 when the ordering closes no cycle, 1 when it closes one or more
(usable as a CI gate), 2 for bad input (a line of ORDERING in none of the forms
is one)."""


#: The most of the inputs' own cycles listed.
MAX_LISTED = 20


def register(add) -> None:
    p = add("check-order", HELP, cmd_check_order, files=False)
    p.description = DESCRIPTION
    p.add_argument("ordering", metavar="ORDERING", help="the ordering file ('-' for stdin)")
    p.add_argument("inputs", nargs="*", metavar="INPUT",
                   help="files holding splats or /proc/lockdep dumps, '-' for stdin (default: the bundled seed)")
    p.add_argument("--max-cycles", type=whole(1), default=MAX_CYCLES, metavar="N",
                   help=f"stop the search for the inputs' own cycles after this many (default {MAX_CYCLES})")
    add_graph_options(p)


def read_ordering(file: str, cap_mb: int) -> Ordering:
    """The ordering in ``file``; a line in none of the forms, or no statement at all, is a ParseError."""
    name, text = read_input(file, cap_mb)
    ordering = Ordering.parse(text, name=name, source=name, strict=True)
    if not ordering.steps:
        raise ParseError(f"no ordering statement found; expected lines like {FORMS}", source=name)
    return ordering


def _closing_edges(cycle: Cycle) -> list[tuple[tuple[str, str], tuple[Evidence, ...]]]:
    """The edges of ``cycle`` only the ordering asserts (no input recorded them), with their evidence."""
    return [(edge, evidence) for edge, evidence in zip(cycle.edges, cycle.evidence)
            if evidence and all(ev.source == "declared" for ev in evidence)]


def closed_cycles(H: LockGraph, ordering: Ordering) -> list[Cycle]:
    """The shortest cycle through each declared dependency that no input recorded, once each
    (the graph ``H`` has the ordering applied), in the ordering's line order."""
    found: dict[tuple[str, ...], Cycle] = {}
    for step in ordering.declared:
        held, acquired = H.key(step.held), H.key(step.acquired)
        if not H.nx.has_edge(held, acquired):
            continue  # (a later line removed it again)
        if any(ev.source != "declared" for ev in H.nx.edges[held, acquired]["evidence"]):
            continue  # the inputs recorded it: what it closes, they closed
        try:
            cycle = H.cycle_through(held, acquired)
        except NoCycle:
            continue
        found.setdefault(cycle.canonical(), cycle)
    return list(found.values())


def _arrow(cycle: Cycle) -> str:
    return " -> ".join(cycle.locks + cycle.locks[:1])


def _edge_lines(cycle: Cycle) -> list[str]:
    lines = []
    for (held, acquired), evidence, op in zip(cycle.edges, cycle.evidence, cycle.ops):
        lines.append(f"  {held} -> {acquired}" + (" (read)" if op == "rlock" else ""))
        lines += [f"      {describe(ev)}" for ev in evidence[:MAX_EVIDENCE]]
        if len(evidence) > MAX_EVIDENCE:
            lines.append(f"      ... {len(evidence) - MAX_EVIDENCE} more")
    return lines


def cmd_check_order(args: argparse.Namespace) -> int:
    inputs = args.inputs or [None]
    if inputs.count("-") + (args.ordering == "-") > 1:
        raise ParseError("standard input can be read once: give '-' for one of ORDERING and INPUT only",
                         source="<stdin>")
    ordering = read_ordering(args.ordering, args.max_mb)
    G, names = load_graph(inputs, args)
    new_locks = {step.new for step in ordering.splits}  # (a split names a new lock: no input knows it)
    for lock, close in ordering.unknown_locks(G).items():
        if lock not in new_locks:
            hint = f"; closest: {', '.join(close)}" if close else ""
            say(f"{ordering.source}:{_first_line(ordering, lock)}: warning: lock {lock!r} is in none of the "
                f"inputs{hint}")
    H = G.with_ordering(ordering)
    if not args.quiet:
        for problem in H.problems[len(G.problems):]:
            warn(problem)
    cycles = closed_cycles(H, ordering)
    out = []
    against = ", ".join(names)
    if cycles:
        n = len(cycles)
        out.append(f"{ordering.source}: FAIL: the ordering closes {n} dependency cycle{'s' if n != 1 else ''} "
                   f"with what the inputs recorded ({against})")
        for i, cycle in enumerate(cycles, 1):
            out += ["", f"cycle {i} of {n} ({len(cycle)} lock{'s' if len(cycle) != 1 else ''}): {_arrow(cycle)}"]
            for (held, acquired), evidence in _closing_edges(cycle):
                lines = sorted({ev.line_no for ev in evidence if ev.line_no is not None})
                out.append(f"  closed by {ordering.source}:{','.join(map(str, lines))}: {held} -> {acquired}")
            out += _edge_lines(cycle)
            if cycle.note:
                out.append(f"  note: {cycle.note}")
    else:
        g = G.nx
        out.append(f"{ordering.source}: OK: the ordering closes no dependency cycle with what the inputs "
                   f"recorded ({against}: {g.number_of_nodes()} lock classes, {g.number_of_edges()} dependencies)")
    out += _own_cycles(G, H, args.max_cycles)
    write_stdout("\n".join(out) + "\n")
    return 1 if cycles else 0


def _first_line(ordering: Ordering, lock: str) -> int:
    """The line of the first statement of ``ordering`` that names ``lock``."""
    for step in ordering.steps:
        named = (step.lock, step.new) if isinstance(step, Split) else (step.held, step.acquired)
        if lock in named:
            return step.line_no
    return 1


def _own_cycles(G: LockGraph, H: LockGraph, limit: int) -> list[str]:
    """The lines about the cycles the inputs hold without the ordering (not counted)."""
    own = G.cycles(limit=limit)
    if not own:
        return []
    n = len(own)
    lines = ["", f"The inputs hold {n}{'' if own.complete else '+'} cycle{'s' if n != 1 else ''} of their own "
             "(not counted: the ordering did not close them):"]
    for cycle in own[:MAX_LISTED]:
        left = all(H.has_dependency(held, acquired) for held, acquired in cycle.edges)
        lines.append(f"  {_arrow(cycle)}  ({'left by the ordering' if left else 'broken by the ordering'})")
    if n > MAX_LISTED:
        lines.append(f"  ... {n - MAX_LISTED} more")
    if own.note:
        lines.append(f"  note: {own.note}")
    return lines
