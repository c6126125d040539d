"""``splatkit graph``: the lock graph merged from splats and ``/proc/lockdep`` dumps, written as
DOT, GraphML, JSON or an HTML page to explore (:mod:`splatkit.render.graph_page`).

Node ids are lock-class names; edges carry where their evidence comes from (file and line),
how the lock was acquired when that is known, and whether they lie on a dependency cycle (a
bounded search: :meth:`splatkit.LockGraph.cycles`); the writers are
:mod:`splatkit.render.graphfile`.
"""

from __future__ import annotations

import argparse

from ..analysis.cycles import MAX_CYCLES
from ..errors import SplatkitError
from ..render.graphfile import MAX_EVIDENCE, dot, export_graph, graphml, node_link
from .inputs import add_graph_options, load_graph
from .io import say, write_stdout

__all__ = ["FORMATS", "MAX_EVIDENCE", "dot", "export_graph", "graphml", "node_link", "whole"]

HELP = "write the lock graph of splats and dumps as DOT, GraphML, JSON or HTML"
DESCRIPTION = f"""\
{HELP}.

Each INPUT is a file ('-' for standard input) holding lockdep reports, or a
/proc/lockdep or /proc/lockdep_chains dump; which one is read from its text.
Their dependencies are merged into one graph: a node per lock class, an edge
A -> B when B was acquired while A was held, with where each piece of evidence
comes from (FILE:LINE) and whether the edge lies on a dependency cycle.

With --around LOCK, only the locks within --radius dependencies of LOCK (either
way) are written, at most --max-nodes of them. --format html writes one offline
page that draws the graph (thousands of classes in about a second) with a search
box, a list of cycles and the evidence of the clicked dependency."""

FORMATS = ("dot", "graphml", "json", "html")


def register(add) -> None:
    p = add("graph", HELP, cmd_graph, file_optional=False, many=True, metavar="INPUT",
            file_help="files holding splats, /proc/lockdep or /proc/lockdep_chains dumps; '-' for stdin")
    p.description = DESCRIPTION
    p.add_argument("--format", choices=FORMATS, default="dot", help="output format (default: dot)")
    p.add_argument("--around", metavar="LOCK", help="only the locks near this lock class")
    p.add_argument("--radius", type=whole(0), default=None, metavar="N",
                   help="with --around: how many dependencies away (default 1)")
    p.add_argument("--max-nodes", type=whole(1), default=200, metavar="N",
                   help="with --around: at most this many locks, nearest first (default 200)")
    p.add_argument("--max-cycles", type=whole(1), default=MAX_CYCLES, metavar="N",
                   help=f"stop the cycle search after this many cycles (default {MAX_CYCLES})")
    add_graph_options(p)


def whole(minimum: int):
    """An argparse type: a whole number of at least ``minimum``."""
    def parse(value: str) -> int:
        try:
            n = int(value)
        except ValueError:
            n = minimum - 1
        if n < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number from {minimum} up, got {value!r}")
        return n
    return parse


def cmd_graph(args: argparse.Namespace) -> int:
    if args.around is None and args.radius is not None:
        raise SplatkitError("graph: --radius needs --around LOCK")
    g, names = load_graph(args.files, args)
    found = g.cycles(limit=args.max_cycles)
    if found.note:
        say(f"splatkit: warning: {found.note} (--max-cycles)")
    if args.around is not None:
        g = g.neighbourhood(args.around, 1 if args.radius is None else args.radius, max_nodes=args.max_nodes)
        if any(data.get("truncated") for _node, data in g.nx.nodes(data=True)):
            say(f"splatkit: warning: more than {args.max_nodes} locks lie within the radius of {args.around}; "
                "only the nearest are written (--max-nodes)")
    if args.format == "html":
        from ..render.graph_page import graph_page_html

        write_stdout(graph_page_html(g, title=f"lock graph of {', '.join(map(str, names))}",
                                     max_cycles=args.max_cycles))
        return 0
    write_stdout({"dot": dot, "graphml": graphml, "json": node_link}[args.format](g, found))
    return 0
