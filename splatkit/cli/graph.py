"""``splatkit graph``: the lock graph merged from splats and ``/proc/lockdep`` dumps, written as
DOT, GraphML or JSON.

Node ids are lock-class names; edges carry where their evidence comes from (file and line),
how the lock was acquired when that is known, and whether they lie on a dependency cycle (a
bounded search: :meth:`splatkit.LockGraph.cycles`). GraphML and JSON come from networkx's
writers (``generate_graphml``, ``json_graph.node_link_data``); networkx writes DOT only
through pydot or pygraphviz, so :func:`dot` writes it, quoting every name.
"""

from __future__ import annotations

import argparse
import json
import re
from typing import Any

import networkx as nx
from networkx.readwrite import json_graph

from ..analysis.acquisitions import establishing_frame
from ..analysis.cycles import MAX_CYCLES, Cycles, edge_op
from ..errors import SplatkitError
from ..graph import LockGraph
from .inputs import add_graph_options, describe, load_graph
from .io import say, write_stdout

__all__ = ["FORMATS", "dot", "export_graph", "graphml", "node_link"]

HELP = "write the lock graph of splats and /proc/lockdep dumps as DOT, GraphML or JSON"
DESCRIPTION = f"""\
{HELP}.

Each INPUT is a file ('-' for standard input) holding lockdep reports, or a
/proc/lockdep or /proc/lockdep_chains dump; which one is read from its text.
Their dependencies are merged into one graph: a node per lock class, an edge
A -> B when B was acquired while A was held, with where each piece of evidence
comes from (FILE:LINE) and whether the edge lies on a dependency cycle.

With --around LOCK, only the locks within --radius dependencies of LOCK (either
way) are written, at most --max-nodes of them."""

FORMATS = ("dot", "graphml", "json")
#: The most pieces of evidence an edge lists in DOT and GraphML (JSON has them all).
MAX_EVIDENCE = 20
CYCLE_COLOR = "#d62728"


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
    g, _names = load_graph(args.files, args)
    found = g.cycles(limit=args.max_cycles)
    if found.note:
        say(f"splatkit: warning: {found.note} (--max-cycles)")
    if args.around is not None:
        g = g.neighbourhood(args.around, 1 if args.radius is None else args.radius, max_nodes=args.max_nodes)
        if any(data.get("truncated") for _node, data in g.nx.nodes(data=True)):
            say(f"splatkit: warning: more than {args.max_nodes} locks lie within the radius of {args.around}; "
                "only the nearest are written (--max-nodes)")
    write_stdout({"dot": dot, "graphml": graphml, "json": node_link}[args.format](g, found))
    return 0


def export_graph(g: LockGraph, found: Cycles, *, rich: bool = False) -> nx.DiGraph:
    """A networkx graph of ``g`` whose attributes are plain strings, numbers and booleans (what
    GraphML holds), sorted by name; ``rich``: each edge's evidence as a list of records (JSON).

    Node attributes: ``usage``, ``wait``, ``printed`` (names as printed, when other than the
    node's), ``new``, ``distance`` (``--around``), ``in_cycle``. Edge attributes: ``label``
    (the function that made the dependency, when a stack says), ``sources``, ``op``,
    ``evidence`` (``FILE:LINE: what`` per piece, or the records), ``evidence_count`` (how many
    pieces there were, when the graph kept only the first: a corpus scan), ``in_cycle``.
    """
    cycle_edges = {edge for cycle in found for edge in cycle.edges}
    cycle_nodes = {lock for cycle in found for lock in cycle.locks}
    src = g.nx
    out = nx.DiGraph()
    out.graph.update(identity=g.identity, cycles=len(found), cycles_complete=found.complete)
    for node in sorted(src.nodes, key=str):
        data = src.nodes[node]
        attrs: dict[str, Any] = {"label": str(node)}
        for key in ("usage", "wait", "key"):
            if data.get(key) is not None:
                attrs[key] = str(data[key])
        printed = sorted(data.get("printed") or ())
        if printed and printed != [node]:
            attrs["printed"] = ", ".join(printed)
        if data.get("new"):
            attrs["new"] = True
        if data.get("distance") is not None:
            attrs["distance"] = int(data["distance"])
        attrs["in_cycle"] = node in cycle_nodes
        out.add_node(str(node), **attrs)
    for held, acquired in sorted(src.edges, key=lambda e: (str(e[0]), str(e[1]))):
        edge = src.edges[held, acquired]
        evidence = edge.get("evidence", [])
        total = edge.get("evidence_count", len(evidence))  # (a corpus scan keeps the first pieces)
        attrs = {}
        label = next((f.function for f, _via in map(establishing_frame, (ev.frames for ev in evidence))
                      if f is not None and f.function), None)
        if label:
            attrs["label"] = label
        attrs["sources"] = ", ".join(sorted({ev.source for ev in evidence}))
        op = edge_op(evidence)
        if op is not None:
            attrs["op"] = op
        if "evidence_count" in edge:
            attrs["evidence_count"] = int(total)
        if rich:
            attrs["evidence"] = [_record(ev) for ev in evidence]
        else:
            shown = [describe(ev) for ev in evidence[:MAX_EVIDENCE]]
            if total > len(shown):
                shown.append(f"... {total - len(shown)} more")
            attrs["evidence"] = "; ".join(shown)
        attrs["in_cycle"] = (held, acquired) in cycle_edges
        out.add_edge(str(held), str(acquired), **attrs)
    return out


def _record(ev) -> dict[str, Any]:
    frame, _via = establishing_frame(ev.frames)
    return {"source": ev.source, "file": ev.origin, "line": ev.line_no, "report": None if ev.splat is None
            else ev.splat + 1, "chain_index": ev.chain_index, "title": ev.title or None, "op": ev.op,
            "label": ev.label, "function": frame.function if frame is not None else None,
            "text": describe(ev)}


def node_link(g: LockGraph, found: Cycles) -> str:
    """JSON (networkx's node-link data, edges under ``edges``) with the cycles the bounded search
    found (``graph.cycles``: the lock lists of the whole graph's cycles through a lock written)."""
    out = export_graph(g, found, rich=True)
    out.graph["cycles"] = [list(c.locks) for c in found if any(lock in out for lock in c.locks)]
    try:
        data = json_graph.node_link_data(out, edges="edges")
    except TypeError:  # networkx before 3.4 names the key with link=
        data = json_graph.node_link_data(out, link="edges")
    return json.dumps(data, indent=1) + "\n"


#: Characters XML 1.0 does not allow in a document (GraphML is XML): written as \\xNN.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_safe(value: Any) -> Any:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", value) if isinstance(value, str) else value


def graphml(g: LockGraph, found: Cycles) -> str:
    """GraphML, by networkx's ``generate_graphml``; every attribute a string, number or boolean
    and every string valid in XML."""
    plain = export_graph(g, found)
    out = nx.DiGraph()
    out.graph.update({k: _xml_safe(v) for k, v in plain.graph.items()})
    out.add_nodes_from((_xml_safe(n), {k: _xml_safe(v) for k, v in d.items()}) for n, d in plain.nodes(data=True))
    out.add_edges_from((_xml_safe(u), _xml_safe(v), {k: _xml_safe(x) for k, x in d.items()})
                       for u, v, d in plain.edges(data=True))
    return "\n".join(nx.generate_graphml(out)) + "\n"


def dot_quote(text: str) -> str:
    r"""``text`` as a DOT double-quoted string: backslashes doubled, quotes escaped, line
    breaks written ``\n``. Graphviz reads the same text back as the id (where only ``\"`` is
    an escape, so distinct names stay distinct) and shows it as a label (where ``\\`` is one
    backslash and ``\n`` a line break).

    >>> print(dot_quote('&"q"->lock{x}\\'))
    "&\"q\"->lock{x}\\"
    """
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n") + '"'


def _dot_attrs(attrs: dict[str, Any]) -> str:
    items = []
    for key, value in attrs.items():
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        items.append(f"{key}={dot_quote(text)}")
    return " [" + ", ".join(items) + "]" if items else ""


def dot(g: LockGraph, found: Cycles) -> str:
    """DOT for Graphviz: a box per lock class, the dependencies on a cycle in red."""
    plain = export_graph(g, found)
    n = len(found)
    lines = [f"// splatkit lock graph: {plain.number_of_nodes()} lock classes, {plain.number_of_edges()} "
             f"dependencies, {n}{'' if found.complete else '+'} cycle{'' if n == 1 and found.complete else 's'}",
             "digraph locks {",
             "  graph" + _dot_attrs({k: v for k, v in plain.graph.items()}) + ";",
             '  node [shape="box"];']
    for node, data in plain.nodes(data=True):
        attrs = dict(data)
        if data["in_cycle"]:
            attrs["color"] = CYCLE_COLOR
        lines.append(f"  {dot_quote(node)}{_dot_attrs(attrs)};")
    for held, acquired, data in plain.edges(data=True):
        attrs = dict(data)
        if data["in_cycle"]:
            attrs.update(color=CYCLE_COLOR, penwidth="2")
        if data.get("sources") == "held":
            attrs["style"] = "dashed"
        lines.append(f"  {dot_quote(held)} -> {dot_quote(acquired)}{_dot_attrs(attrs)};")
    lines.append("}")
    return "\n".join(lines) + "\n"
