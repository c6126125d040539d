"""The lock graph as files: DOT, GraphML and JSON (node-link), and each piece of evidence in
words. The CLI (``splatkit graph``, ``splatkit scan --graph``) and the widgets' exports write
with these.

Node ids are lock-class names; edges carry where their evidence comes from (file and line),
how the lock was acquired when that is known, and whether they lie on a dependency cycle.
GraphML and JSON come from networkx's writers (``generate_graphml``,
``json_graph.node_link_data``); networkx writes DOT only through pydot or pygraphviz, so
:func:`dot` writes it, quoting every name.
"""

from __future__ import annotations

import json
import re
from typing import Any

import networkx as nx
from networkx.readwrite import json_graph

from ..analysis.acquisitions import establishing_frame
from ..analysis.cycles import Cycles, edge_op
from ..depgraph import Evidence
from ..graph import LockGraph

__all__ = ["CYCLE_COLOR", "MAX_EVIDENCE", "describe", "dot", "dot_quote", "export_graph", "graphml", "node_link"]

#: The most pieces of evidence an edge lists in DOT and GraphML (JSON has them all).
MAX_EVIDENCE = 20
CYCLE_COLOR = "#d62728"


def describe(ev: Evidence) -> str:
    """Where one piece of evidence comes from, ``FILE:LINE: what``, for a person.

    >>> from splatkit import parse
    >>> g = LockGraph.from_splats(parse(seed_text), origin="seed.txt")
    >>> describe(g.evidence("cpu_hotplug_lock", "kvm_lock")[0])
    'seed.txt:16: chain entry #3 of report 1 (possible deadlock in set_nx_huge_pages), in kvm_dev_ioctl [kvm]'
    """
    where = ev.origin or (ev.title if ev.source in ("proc", "chain", "declared") else "") or "<input>"
    if ev.line_no is not None:
        where += f":{ev.line_no}"
    report = f" of report {ev.splat + 1}" if ev.splat is not None else ""
    if ev.source in ("recorded", "new"):
        what = ("the new dependency, " if ev.source == "new" else "") + f"chain entry #{ev.chain_index}{report}"
    elif ev.source == "held":
        what = f"held locks{report}"
    elif ev.source == "proc":
        what = "/proc/lockdep dependency"
    elif ev.source == "chain":
        what = f"/proc/lockdep_chains chain {ev.chain_index}" if ev.chain_index is not None else "lock chain"
    elif ev.source == "declared":
        what = "declared" + (f" @ {ev.label}" if ev.label else "") + (" (read)" if ev.op == "rlock" else "")
    else:
        what = ev.source
    if ev.source in ("recorded", "new", "held") and ev.title:
        what += f" ({ev.title})"
    frame, _via = establishing_frame(ev.frames)
    if frame is not None and frame.function:
        what += f", in {frame.function}" + (f" [{frame.module}]" if frame.module else "")
    return f"{where}: {what}"


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
        if data.get("sources") == "held":  # one meaning per style, as in every drawing (viewmodel.MARKED_DASHES)
            attrs["style"] = "dashed"
        elif data.get("sources") == "declared":
            attrs["style"] = "dotted"
        lines.append(f"  {dot_quote(held)} -> {dot_quote(acquired)}{_dot_attrs(attrs)};")
    lines.append("}")
    return "\n".join(lines) + "\n"
