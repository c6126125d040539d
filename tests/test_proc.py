"""Reading /proc/lockdep and /proc/lockdep_chains: the format, bad lines, graphs from dumps."""

from __future__ import annotations

import random

import networkx as nx
import pytest

from splatkit.errors import ParseError
from splatkit.graph import LockGraph
from splatkit.proc import read_lockdep, read_lockdep_chains
from splatkit.samples import data_path


@pytest.fixture(scope="module")
def proc_path():
    return data_path("proc", "kvm-lockdep.txt")


@pytest.fixture(scope="module")
def chains_path():
    return data_path("proc", "kvm-lockdep_chains.txt")


def generated_dump(classes: int, deps: int, seed: int = 0) -> tuple[str, set[tuple[str, str]]]:
    """A dump in l_show()'s format over a random DAG, and the edges it holds."""
    rng = random.Random(seed)
    names = [f"&lock_{i}->mutex#{rng.randint(1, 9)}" if i % 7 == 0 else f"lock_{i}" for i in range(classes)]
    edges = set()
    while len(edges) < deps:
        a, b = sorted(rng.sample(range(classes), 2))
        edges.add((a, b))
    lines = ["all lock classes:"]
    for i, name in enumerate(names):
        lines.append(f"{0xffffffff82000000 + i * 16:016x} FD:{3:5d} BD:{1:5d} +.+.: {name}")
        lines += [f" -> [{0xffffffff82000000 + b * 16:016x}] {names[b]}" for a, b in sorted(edges) if a == i]
        lines.append("")
    return "\n".join(lines), {(names[a], names[b]) for a, b in edges}


def test_class_and_dependency_lines(proc_path):
    dump = read_lockdep(proc_path.read_text())
    assert dump.problems == []
    by_name = {c.name: c for c in dump.classes}
    cpuhp = by_name["cpu_hotplug_lock"]
    assert (cpuhp.key, cpuhp.usage) == ("ffffffff82a64e90", "++++")
    assert [d.name for d in cpuhp.dependencies] == ["kvm_lock", "jump_label_mutex", "cpuhp_state_mutex"]
    # FD counts the class and every class reachable from it: check against the dependencies.
    g = nx.DiGraph([(c.name, d.name) for c in dump.classes for d in c.dependencies])
    g.add_nodes_from(by_name)
    for c in dump.classes:
        assert c.fd == len(nx.descendants(g, c.name)) + 1, c.name


def test_lines_without_prove_locking_and_with_ops():
    dump = read_lockdep("ffffffff82a5f1d8 OPS:   1234: cgroup_mutex\nffffffff82a5f1e8: css_set_lock\n")
    assert [(c.name, c.ops, c.fd, c.usage) for c in dump.classes] == [
        ("cgroup_mutex", 1234, None, None), ("css_set_lock", None, None, None)]


def test_truncated_and_garbled_lines_name_file_and_line(proc_path):
    lines = proc_path.read_text().splitlines()
    lines[0 + 1] = lines[1][:25]  # first class line (cpu_hotplug_lock) cut short
    cut = lines.index(" -> [ffffffff82b1a9c0] &rq->__lock")
    lines[cut] = lines[cut][:12]  # a dependency line cut short
    text = "\n".join(lines)
    dump = read_lockdep(text, source="lockdep.txt")
    first, second = dump.problems
    assert (first.source, first.line_no, first.line) == ("lockdep.txt", 2, lines[1])
    assert "3 dependency line(s) under it left out" in str(first)
    assert str(first).startswith("lockdep.txt:2: unreadable line")
    assert second.line_no == cut + 1
    # Every other class is still read, and the orphaned dependencies are not given to another class.
    names = [c.name for c in dump.classes]
    assert "cpu_hotplug_lock" not in names and "kvm_lock" in names
    assert all(d.name != "cpuhp_state_mutex" for c in dump.classes for d in c.dependencies)
    with pytest.raises(ParseError, match=r"^lockdep.txt:2: unreadable line"):
        read_lockdep(text, source="lockdep.txt", strict=True)


def test_graph_from_proc_file_keeps_problems(tmp_path, proc_path):
    bad = tmp_path / "lockdep"
    bad.write_text(proc_path.read_text().replace(" -> [ffffffffc0708c50] &kvm->srcu", " -> [ffffffffc07", 1))
    g = LockGraph.from_proc_lockdep(bad)
    assert [(p.source, p.line_no) for p in g.problems] == [(str(bad), 11)]
    assert not g.has_dependency("&kvm->slots_lock", "&kvm->srcu")
    assert g.has_dependency("&kvm->slots_lock", "&kvm->mmu_lock")
    with pytest.raises(ParseError, match=r"lockdep:11: unreadable line"):
        LockGraph.from_proc_lockdep(bad, strict=True)


def test_text_of_a_dump_is_named_by_its_origin(proc_path, chains_path):
    """A dump read as text (standard input, a file the caller read) keeps the name it came from."""
    text = proc_path.read_text().replace(" -> [ffffffffc0708c50] &kvm->srcu", " -> [ffffffffc07", 1)
    g = LockGraph.from_proc_lockdep(text, origin="<stdin>")
    assert [str(p) for p in g.problems] == [
        "<stdin>:11: unreadable line; expected a dependency line like ' -> [ffffffff82a60e20] css_set_lock', "
        "got: ' -> [ffffffffc07'"]
    assert {ev.origin for ev in g.evidence("cpu_hotplug_lock", "kvm_lock")} == {"<stdin>"}
    assert {ev.title for ev in LockGraph.from_proc_lockdep(text).evidence("cpu_hotplug_lock", "kvm_lock")} == {
        "<proc/lockdep>"}
    chains = LockGraph.from_proc_lockdep_chains(chains_path.read_text(), origin="chains.txt")
    assert {ev.origin for _u, _v, data in chains.nx.edges(data=True) for ev in data["evidence"]} == {"chains.txt"}


def test_graph_from_proc_and_chains(proc_path, chains_path):
    g = LockGraph.from_proc_lockdep(proc_path, chains=chains_path)
    ev = g.evidence("cpu_hotplug_lock", "kvm_lock")
    assert sorted(e.source for e in ev) == ["chain", "proc"]
    assert {e.origin for e in ev} == {str(proc_path), str(chains_path)}
    assert g.cycles() == []  # lockdep never records the edge that would close a cycle
    # A chain pair lockdep_chains shows that the direct-dependency list does not: held across a call.
    assert [e.source for e in g.evidence("&kvm->srcu", "cpu_hotplug_lock")] == ["proc", "chain"]


def test_chains_context_names_and_bad_line():
    text = ("all lock chains:\nirq_context: hardirq|softirq\n[ffffffff82b1aa00] &p->pi_lock\n"
            "[ffffffff82b1a9c0] &rq->__lock\n\nirq_context: 2\n[ffffffff82b1aa00] a\n[ffffffff8 b\n[ffffffff82] c\n")
    dump = read_lockdep_chains(text)
    assert [(c.irq_context, [n for n, _ in c.locks]) for c in dump.chains] == [
        ("hardirq|softirq", ["&p->pi_lock", "&rq->__lock"]), ("2", ["a"])]
    assert [p.line_no for p in dump.problems] == [8, 9]


def test_generated_dump_round_trips():
    text, edges = generated_dump(300, 1500)
    g = LockGraph.from_proc_lockdep(text)
    assert g.problems == []
    assert set(g.nx.edges) == edges
    assert nx.is_directed_acyclic_graph(g.nx)


def test_seed_merges_with_a_dump_of_another_boot(seed_splat, proc_path):
    proc = LockGraph.from_proc_lockdep(proc_path)
    merged = proc | LockGraph.from_splats(seed_splat)
    assert merged.identity == "unversioned"
    # The seed's new dependency closes the cycle through three dependencies the dump recorded.
    (cycle,) = merged.cycles()
    assert set(cycle.locks) == set(seed_splat.cycle)
    sources = {edge: {e.source for e in evs} for edge, evs in zip(cycle.edges, cycle.evidence)}
    assert sources[("kvm_lock", "&kvm->slots_lock")] == {"new"}
    assert sources[("cpu_hotplug_lock", "kvm_lock")] == {"proc", "recorded"}
    # sb_writers#4 (splat) and sb_writers#4 (dump) are one class without their key version.
    assert merged.has_dependency("sb_writers", "&of->mutex")
    assert merged.attributes("sb_writers")["printed"] == {"sb_writers#4"}
