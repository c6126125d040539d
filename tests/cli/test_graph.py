"""``splatkit graph``: the merged lock graph as DOT, GraphML and JSON, read back and checked
against the library's graph; hostile lock names stay names; dumps told from splats."""

from __future__ import annotations

import importlib.util
import json
import re

import networkx as nx
import pytest
from networkx.readwrite import json_graph

import splatkit
from splatkit.cli.inputs import sniff
from splatkit.samples import data_path

CYCLE = ("kvm_lock", "&kvm->slots_lock", "&kvm->srcu", "cpu_hotplug_lock")
CYCLE_EDGES = {(CYCLE[i], CYCLE[(i + 1) % 4]) for i in range(4)}
#: Lock names that would end a DOT string, open a block or write a statement of their own if
#: they were not quoted (lockdep prints a class name as the kernel source spells it).
HOSTILE = ['x"]; "evil" -> "pwn" [color=red]; {\\', 'k"}{\\', '&q->"}{lock\\n']

def _from_json(text: str) -> nx.DiGraph:
    """The graph of ``graph --format json`` (networkx before 3.4 names the edges key with link=)."""
    try:
        return json_graph.node_link_graph(json.loads(text), edges="edges")
    except TypeError:
        return json_graph.node_link_graph(json.loads(text), link="edges")


# -- reading DOT back, as Graphviz's scanner does --------------------------------------------------

#: A DOT double-quoted string: inside it, the scanner takes \" and \\ as pairs.
_QUOTED = r'"(?:[^"\\]|\\.)*"'
_ATTRS = rf'\[(?:\w+={_QUOTED}(?:, )?)*\]'
_NODE = re.compile(rf"^  ({_QUOTED})( {_ATTRS})?;$")
_EDGE = re.compile(rf"^  ({_QUOTED}) -> ({_QUOTED})( {_ATTRS})?;$")


def _attrs(text: str | None) -> dict[str, str]:
    return {key: value for key, value in re.findall(rf'(\w+)=({_QUOTED})', text or "")}


def _label(quoted: str) -> str:
    """What Graphviz shows for a quoted label: \\\\ is one backslash, \\" a quote, \\n a line break."""
    return re.sub(r'\\(.)', lambda m: {"n": "\n", "\\": "\\", '"': '"'}.get(m.group(1), m.group(1)), quoted[1:-1])


def _read_dot(text: str) -> nx.DiGraph:
    """The graph a DOT text describes, each node named by its label; every line must be a node
    or edge statement, the header or the closing brace (an injected statement fails here)."""
    lines = text.splitlines()
    assert lines[0].startswith("// splatkit lock graph: ") and lines[1] == "digraph locks {" and lines[-1] == "}"
    assert lines[2].startswith("  graph [") and lines[3] == '  node [shape="box"];'
    g = nx.DiGraph()
    label = {}
    for line in lines[4:-1]:
        if m := _EDGE.match(line):
            attrs = _attrs(m.group(3))
            g.add_edge(label[m.group(1)], label[m.group(2)], **{k: _label(v) for k, v in attrs.items()})
        elif m := _NODE.match(line):
            attrs = _attrs(m.group(2))
            assert m.group(1) not in label, f"two nodes with one id: {line}"
            label[m.group(1)] = _label(attrs["label"])
            g.add_node(label[m.group(1)], **{k: _label(v) for k, v in attrs.items()})
        else:
            pytest.fail(f"not a DOT statement of splatkit's: {line!r}")
    return g


# -- formats ---------------------------------------------------------------------------------------

def test_graphml_reads_back_with_the_cycle(cli, seed_path):
    status, out, err = cli("graph", "--format", "graphml", seed_path)
    assert (status, err) == (0, "")
    g = nx.parse_graphml(out)
    library = splatkit.LockGraph.from_splats(splatkit.parse(seed_path.read_text()))
    assert set(g.nodes) == set(library.nx.nodes) and set(g.edges) == set(library.nx.edges)
    assert {edge for edge, cycle in nx.get_edge_attributes(g, "in_cycle").items() if cycle} == CYCLE_EDGES
    entries = {e.index: e.line_no for e in splatkit.parse(seed_path.read_text())[0].chain}
    assert g.edges["cpu_hotplug_lock", "kvm_lock"]["evidence"].startswith(
        f"{seed_path}:{entries[3]}: chain entry #3 of report 1 (possible deadlock in set_nx_huge_pages), "
        "in kvm_dev_ioctl [kvm]")
    assert g.edges["&kvm->srcu", "cpu_hotplug_lock"]["op"] == "rlock"
    assert g.graph["cycles"] == 1 and g.graph["cycles_complete"] is True


def test_json_node_link_reads_back(cli, seed_path):
    status, out, _err = cli("graph", "--format", "json", seed_path)
    assert status == 0
    data = json.loads(out)
    g = _from_json(out)
    assert data["graph"]["cycles"] == [list(CYCLE)]
    (splat,) = splatkit.parse(seed_path.read_text())
    for entry_held, entry_acquired, entry in splat.dependencies():
        (record,) = g.edges[entry_held, entry_acquired]["evidence"]
        assert (record["file"], record["line"], record["chain_index"]) == (str(seed_path), entry.line_no, entry.index)
    assert g.edges["sb_writers#4", "&of->mutex"]["evidence"][0]["source"] == "held"


def test_dot_of_the_seed(cli, seed_path):
    status, out, _err = cli("graph", seed_path)
    assert status == 0
    g = _read_dot(out)
    library = splatkit.LockGraph.from_splats(splatkit.parse(seed_path.read_text()))
    assert set(g.edges) == set(library.nx.edges)
    assert {(u, v) for u, v, d in g.edges(data=True) if d.get("color") == "#d62728"} == CYCLE_EDGES
    assert g.edges["kvm_lock", "&kvm->slots_lock"]["label"] == "set_nx_huge_pages"


@pytest.mark.parametrize("fmt", ["dot", "graphml", "json"])
def test_hostile_lock_names_stay_names(cli, seed_text, tmp_path, fmt):
    """Every hostile name comes back exactly, as one node, with its edges and no other."""
    text = seed_text
    for old, new in zip(("kvm_lock", "&kvm->srcu", "sb_writers#4"), HOSTILE):
        text = text.replace(old, new)
    path = tmp_path / "hostile.txt"
    path.write_text(text)
    library = splatkit.LockGraph.from_splats(splatkit.parse(text))
    assert set(HOSTILE) <= set(library.nx.nodes)  # (the parser reads them as lock names)
    status, out, _err = cli("graph", "--format", fmt, path)
    assert status == 0
    g = {"dot": _read_dot, "graphml": nx.parse_graphml,
         "json": _from_json}[fmt](out)
    assert set(g.nodes) == set(library.nx.nodes)
    assert set(g.edges) == set(library.nx.edges)
    assert "evil" not in g and "pwn" not in g
    if fmt == "dot":
        assert '"x\\"]; \\"evil\\" -> \\"pwn\\" [color=red]; {\\\\"' in out  # (the id, escaped)


# -- inputs ----------------------------------------------------------------------------------------

def test_a_dump_and_a_splat_merged(cli, lockdep_dump, seed_splat, seed_path, tmp_path):
    """/proc/lockdep of the boot that printed the seed (its recorded dependencies) and the splat: the
    dump is read as a dump, and the cycle's edges carry both."""
    dump = tmp_path / "lockdep.txt"
    dump.write_text(lockdep_dump(seed_splat))
    status, out, err = cli("graph", "--format", "json", dump, seed_path)
    assert (status, err) == (0, "")
    g = _from_json(out)
    sources = {edge: {r["source"] for r in g.edges[edge]["evidence"]} for edge in CYCLE_EDGES}
    assert sources[("kvm_lock", "&kvm->slots_lock")] == {"new"}  # (lockdep never recorded it)
    assert sources[("cpu_hotplug_lock", "kvm_lock")] == {"proc", "recorded"}
    dump_lines = dump.read_text().splitlines()
    (proc,) = [r for r in g.edges["cpu_hotplug_lock", "kvm_lock"]["evidence"] if r["source"] == "proc"]
    assert proc["file"] == str(dump) and dump_lines[proc["line"] - 1].endswith("] kvm_lock")
    assert json.loads(out)["graph"]["identity"] == "unversioned"


def test_a_dump_on_standard_input(child, lockdep_dump, wild_files):
    path = next(p for p in wild_files if p.name.startswith("002-"))
    (splat,) = splatkit.parse(path.read_text())
    result = child("graph", "--format", "graphml", "-", stdin=lockdep_dump(splat))
    assert result.returncode == 0, result.stderr
    g = nx.parse_graphml(result.stdout)
    recorded = {(h, a) for h, a, e in splat.dependencies() if e.index != 0}
    assert set(g.edges) == recorded and len(recorded) == 3
    assert {d["sources"] for _u, _v, d in g.edges(data=True)} == {"proc"}
    assert all(d["evidence"].startswith("<stdin>:") for _u, _v, d in g.edges(data=True))


def test_chains_dump_and_unreadable_dump_lines(cli, tmp_path):
    chains = data_path("proc", "kvm-lockdep_chains.txt")
    lockdep = tmp_path / "lockdep.txt"
    lockdep.write_text(data_path("proc", "kvm-lockdep.txt").read_text().replace(
        " -> [ffffffffc0708c50] &kvm->srcu", " -> [ffffffffc07", 1))
    status, out, err = cli("graph", "--format", "json", lockdep, chains)
    assert status == 0
    assert err == (f"{lockdep}:11: warning: unreadable line; expected a dependency line like ' -> [ffffffff82a60e20] "
                   "css_set_lock', got: ' -> [ffffffffc07'\n")
    g = _from_json(out)
    assert {r["source"] for r in g.edges["cpu_hotplug_lock", "kvm_lock"]["evidence"]} == {"proc", "chain"}
    assert cli("graph", "-q", lockdep)[2] == ""


def test_sniff_tells_dumps_from_logs(wild_files, lockdep_dump, seed_splat):
    assert sniff(lockdep_dump(seed_splat)) == "lockdep"
    assert sniff(lockdep_dump(seed_splat).replace("all lock classes:\n", "")) == "lockdep"
    assert sniff(data_path("proc", "kvm-lockdep_chains.txt").read_text()) == "chains"
    assert {sniff(p.read_text(errors="replace")) for p in wild_files} == {"splats"}


def test_around_a_lock(cli, seed_path):
    status, out, _err = cli("graph", "--format", "graphml", "--around", "cpu_hotplug_lock", seed_path)
    assert status == 0
    assert set(nx.parse_graphml(out).nodes) == {"&kvm->srcu", "cpu_hotplug_lock", "kvm_lock"}
    status, out, _err = cli("graph", "--format", "graphml", "--around", "cpu_hotplug_lock", "--radius", "2", seed_path)
    g = nx.parse_graphml(out)
    assert set(g.nodes) == {"&kvm->srcu", "cpu_hotplug_lock", "kvm_lock", "&kvm->slots_lock", "&mod->param_lock"}
    assert nx.get_node_attributes(g, "distance")["&mod->param_lock"] == 2
    status, out, err = cli("graph", "--around", "cpu_hotplug_lock", "--radius", "2", "--max-nodes", "3", seed_path)
    assert status == 0 and len(_read_dot(out)) == 3
    assert err == ("splatkit: warning: more than 3 locks lie within the radius of cpu_hotplug_lock; only the nearest "
                   "are written (--max-nodes)\n")


def test_around_an_unknown_lock(cli, seed_path):
    status, out, err = cli("graph", "--around", "kvm_lokc", seed_path)
    assert (status, out) == (2, "")
    assert err == "splatkit: no lock class 'kvm_lokc' in this graph; closest: 'kvm_lock'\n"


def test_bad_inputs(cli, tmp_path, seed_path):
    missing = tmp_path / "missing"
    status, out, err = cli("graph", seed_path, missing)
    assert (status, out, err) == (2, "", f"splatkit: {missing}: cannot read file: No such file or directory\n")
    status, out, err = cli("graph", "--radius", "2", seed_path)
    assert (status, out, err) == (2, "", "splatkit: graph: --radius needs --around LOCK\n")
    with pytest.raises(SystemExit) as exit_:
        cli("graph", "--format", "png", seed_path)
    assert exit_.value.code == 2


def test_cycles_bounded_on_a_dense_graph(cli, tmp_path):
    """Eight held-lock lists of 400 entries over 30 classes, each in another order: the search
    stops and says so."""
    from conftest import dense_held_locks_reports

    path = tmp_path / "dense.txt"
    path.write_text(dense_held_locks_reports())
    status, out, err = cli("graph", "-q", "--format", "json", "--max-cycles", "50", path)
    assert status == 0
    data = json.loads(out)
    assert len(data["graph"]["cycles"]) == 50 and data["graph"]["cycles_complete"] is False
    assert err == ("splatkit: warning: the lock graph has more than 50 dependency cycles; the search stopped there "
                   "(limit=50), so shorter ones may be missing (--max-cycles)\n")
    if importlib.util.find_spec("pyvis") is not None:  # the page's cycle list keeps to the same limit
        status, out, _err = cli("graph", "-q", "--format", "html", "--max-cycles", "7", path)
        data = json.loads(re.search(r'<script type="application/json" id="sk-data">(.*?)</script>', out, re.S).group(1))
        assert status == 0 and len(data["view"]["cycles"]) == 7


def test_a_control_character_in_a_name_is_valid_graphml(cli, seed_text, tmp_path):
    """XML 1.0 has no escape for ESC: GraphML writes it as the text \\x1b (JSON keeps it)."""
    path = tmp_path / "esc.txt"
    path.write_text(seed_text.replace("kvm_lock", "kvm\x1b[31mlock"))
    status, out, _err = cli("graph", "--format", "graphml", path)
    assert status == 0
    assert "kvm\\x1b[31mlock" in nx.parse_graphml(out)
    status, out, _err = cli("graph", "--format", "json", path)
    assert "kvm\x1b[31mlock" in _from_json(out)


def test_an_html_page_of_a_dump_and_a_hostile_report(cli, seed_text, tmp_path):
    """--format html: one offline page drawing the merged graph; every name from the input escaped."""
    pytest.importorskip("pyvis")
    from splatkit.synthetic import proc_lockdep_text

    hostile = "</script><img src=x onerror=alert(1)>"
    report = tmp_path / "hostile.txt"
    report.write_text(seed_text.replace("kvm_lock", hostile))
    dump = tmp_path / "lockdep.txt"
    dump.write_text(proc_lockdep_text(60, 120))
    status, out, err = cli("graph", "--format", "html", dump, report)
    assert (status, err) == (0, "")
    assert out.startswith("<!DOCTYPE html>") and hostile not in out and "<img" not in out
    assert 'src="http' not in out and 'id="sk-search"' in out and 'id="sk-cycles"' in out
    data = json.loads(re.search(r'<script type="application/json" id="sk-data">(.*?)</script>', out, re.S).group(1))
    merged = splatkit.LockGraph.from_proc_lockdep(dump) | splatkit.LockGraph.from_splats(splatkit.parse(report.read_text()))
    assert sorted(n["id"] for n in data["view"]["nodes"]) == sorted(merged.nx)
    # The report's cycle, and those of the dump's classes merged without their #N versions.
    assert [set(c) for c in data["view"]["cycles"]] == [set(c.locks) for c in merged.cycles()]
    assert {hostile, "&kvm->slots_lock", "&kvm->srcu", "cpu_hotplug_lock"} in [set(c) for c in data["view"]["cycles"]]
