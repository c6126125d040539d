"""Orderings (parse, apply), what-if, neighbourhood, suggest_order and compare."""

from __future__ import annotations

import itertools
import random
import re
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

import splatkit
from splatkit.analysis.ordering import Ordering, Remove, Split, suggest_order, what_if
from splatkit.errors import ParseError, UnknownLock
from splatkit.graph import LockGraph
from splatkit.samples import ORDERINGS, data_path, ordering_names, ordering_text


@pytest.fixture
def seed_graph(seed_splat):
    return LockGraph.from_splats(seed_splat)


def random_dag(n: int, m: int, seed: int) -> LockGraph:
    rng = random.Random(seed)
    edges = set()
    while len(edges) < m:
        a, b = sorted(rng.sample(range(n), 2))
        edges.add((f"l{a}", f"l{b}"))
    return LockGraph.from_orderings("\n".join(f"{a} -> {b}" for a, b in sorted(edges)))


# -- parsing ----------------------------------------------------------------------------

def test_parse_every_form():
    o = Ordering.parse(
        "# header\n"
        "&kvm->slots_lock -> &kvm->srcu @ kvm_swap_active_memslots  # names with -> inside\n"
        "kvm_lock -> cpu_hotplug_lock (read) @ hardware_enable_all\n"
        "sb_writers#4 -> &of->mutex\n"
        "- cpu_hotplug_lock -> kvm_lock @ kvm_dev_ioctl\n"
        "split kvm_lock: kvm_usage_lock at hardware_enable_all, hardware_disable_all\n", name="all")
    d1, d2, d3 = o.declared
    assert (d1.held, d1.acquired, d1.label, d1.op, d1.line_no) == (
        "&kvm->slots_lock", "&kvm->srcu", "kvm_swap_active_memslots", None, 2)
    assert (d2.op, d2.label) == ("rlock", "hardware_enable_all")
    assert (d3.held, d3.label) == ("sb_writers#4", None)
    assert o.removals == [Remove("cpu_hotplug_lock", "kvm_lock", "kvm_dev_ioctl", 5, o.text.splitlines()[4])]
    (split,) = o.splits
    assert isinstance(split, Split) and split.sites == ("hardware_enable_all", "hardware_disable_all")
    assert o.problems == []


@pytest.mark.parametrize("line", ["a => b", "a ->b", "a -> ", "- a -> b (read)", "split a: b", "a -> b -> c"])
def test_typos_are_errors_naming_file_and_line(line):
    o = Ordering.parse(f"x -> y\n{line}\ny -> z\n", source="patch.txt")
    (problem,) = o.problems
    assert (problem.source, problem.line_no, problem.line) == ("patch.txt", 2, line.strip())
    assert [(d.held, d.acquired) for d in o.declared] == [("x", "y"), ("y", "z")]  # the rest still loads
    with pytest.raises(ParseError, match=r"^patch.txt:2: not an ordering line"):
        Ordering.parse(f"x -> y\n{line}\n", source="patch.txt", strict=True)


def test_from_orderings_keeps_labels_and_refuses_removals():
    g = LockGraph.from_orderings("a -> b @ foo\na -> b @ bar\nb => c\n", name="mine")
    assert [(e.label, e.title, e.line_no) for e in g.evidence("a", "b")] == [("foo", "mine", 1), ("bar", "mine", 2)]
    assert [p.line_no for p in g.problems] == [3]
    with pytest.raises(ParseError, match="need a graph"):
        LockGraph.from_orderings("a -> b\n- a -> b\n")


def test_unknown_lock_is_accepted_and_flagged_new(seed_graph):
    o = Ordering.parse("cpu_hotplug_lock -> kvm_lokc")
    h = seed_graph.with_ordering(o)
    assert h.nx.nodes["kvm_lokc"]["new"] is True
    assert "new" not in h.nx.nodes["kvm_lock"]
    assert o.unknown_locks(seed_graph) == {"kvm_lokc": ["kvm_lock"]}


# -- applying ---------------------------------------------------------------------------

def test_with_ordering_leaves_the_original_untouched(seed_graph):
    before = {e: list(d["evidence"]) for *e, d in seed_graph.nx.edges(data=True) for e in [tuple(e)]}
    h = seed_graph.with_ordering("- cpu_hotplug_lock -> kvm_lock\nkvm_lock -> x\n")
    assert not h.has_dependency("cpu_hotplug_lock", "kvm_lock") and h.has_dependency("kvm_lock", "x")
    assert {e: list(d["evidence"]) for *e, d in seed_graph.nx.edges(data=True) for e in [tuple(e)]} == before
    assert "x" not in seed_graph.nx


def test_removal_by_site_keeps_other_evidence(seed_graph):
    h = seed_graph.with_ordering("cpu_hotplug_lock -> kvm_lock @ kvm_online_cpu\n"
                                 "- cpu_hotplug_lock -> kvm_lock @ kvm_dev_ioctl\n")
    assert [e.label for e in h.evidence("cpu_hotplug_lock", "kvm_lock")] == ["kvm_online_cpu"]
    bad = seed_graph.with_ordering("- kvm_lock -> cpu_hotplug_lock\n")
    assert [(p.line_no, p.message) for p in bad.problems] == [(1, "no such dependency to remove")]


def test_split_moves_only_the_evidence_at_the_sites(seed_graph):
    h = seed_graph.with_ordering("split kvm_lock: kvm_usage_lock at kvm_dev_ioctl")
    (moved,) = h.evidence("cpu_hotplug_lock", "kvm_usage_lock")
    assert moved.chain_index == 3 and moved.source == "recorded"
    assert h.has_dependency("kvm_lock", "&kvm->slots_lock")  # set_nx_huge_pages still takes kvm_lock
    assert h.has_dependency("&mod->param_lock", "kvm_lock")
    assert h.cycles() == []


# -- what-if ----------------------------------------------------------------------------

def test_what_if_on_the_seed(seed_graph):
    # Without the new dependency, the seed's graph is acyclic; what_if finds the cycle it closes.
    base = seed_graph.with_ordering("- kvm_lock -> &kvm->slots_lock")
    (cycle,) = base.what_if("kvm_lock", "&kvm->slots_lock")
    assert set(cycle.locks) == set(splatkit.parse(splatkit.samples.sample_text())[0].cycle)
    assert cycle.hypothetical == ("kvm_lock", "&kvm->slots_lock") and cycle.evidence[0] == ()
    assert [e[0].chain_index for e in cycle.evidence[1:]] == [1, 2, 3]
    assert base.what_if("kvm_lock", "&kvm->mmu_lock") == []  # a lock never seen closes nothing
    assert base.what_if("&kvm->slots_lock", "kvm_lock", max_length=2) == []


@pytest.mark.parametrize("seed", range(5))
def test_what_if_agrees_with_networkx(seed):
    g = random_dag(60, 200, seed)
    g.add_evidence("l59", "l30", g.evidence("l0", next(iter(g.nx.successors("l0"))))[0])  # some cycles
    g.changed()
    rng = random.Random(seed)
    for _ in range(200):
        a, b = rng.sample(sorted(g.nx), 2)
        cycles = g.what_if(a, b, limit=3)
        assert bool(cycles) == nx.has_path(g.nx, b, a)
        if cycles:
            assert len(cycles[0]) == nx.shortest_path_length(g.nx, b, a) + 1
            assert [len(c) for c in cycles] == sorted(len(c) for c in cycles)
            for c in cycles:
                assert c.locks[:2] == (a, b) and all(g.has_dependency(u, v) for u, v in c.edges[1:])


def test_what_if_index_follows_changes():
    g = LockGraph.from_orderings("a -> b\nb -> c\n")
    assert g.what_if("c", "a") and not g.what_if("a", "c")
    g.add_evidence("c", "d", g.evidence("a", "b")[0])
    assert what_if(g, "d", "a")


# -- neighbourhood ----------------------------------------------------------------------

def test_neighbourhood_radius_and_bound():
    g = random_dag(400, 4000, 1)
    hub = max(g.nx, key=g.nx.degree)
    one = g.neighbourhood(hub, 1, max_nodes=10_000)
    assert set(one.nx) == {hub} | set(nx.all_neighbors(g.nx, hub))
    assert all(one.evidence(u, v) == g.evidence(u, v) for u, v in one.nx.edges)
    small = g.neighbourhood(hub, 3)
    assert small.nx.number_of_nodes() == 200 and small.nx.nodes[hub]["truncated"]
    assert max(d for _, d in small.nx.nodes(data="distance")) <= 3
    assert sorted(g.neighbourhood(hub, 3).nx) == sorted(small.nx)  # deterministic
    with pytest.raises(UnknownLock):
        g.neighbourhood("nope", 1)


# -- suggest_order ----------------------------------------------------------------------

def _back_weight(g: LockGraph, order) -> int:
    place = {n: i for i, n in enumerate(order)}
    return sum(len(d["evidence"]) for u, v, d in g.nx.edges(data=True) if place[v] <= place[u])


@pytest.mark.parametrize("seed", range(4))
def test_suggest_order_is_minimum_on_small_graphs(seed):
    rng = random.Random(seed)
    lines = [f"l{u} -> l{v}" for u, v in itertools.permutations(range(6), 2) if rng.random() < 0.35]
    lines += [rng.choice(lines) for _ in range(5)]  # some dependencies with more evidence
    g = LockGraph.from_orderings("\n".join(lines))
    s = g.suggest_order()
    assert s.exact and sorted(s.order) == sorted(g.nx)
    best = min(_back_weight(g, p) for p in itertools.permutations(sorted(g.nx)))
    assert s.weight == best == _back_weight(g, s.order)
    kept = g.nx.copy()
    kept.remove_edges_from(s.removed)
    assert nx.is_directed_acyclic_graph(kept)


def test_suggest_order_heuristic_on_large_components():
    g = random_dag(80, 400, 2).with_ordering("\n".join(f"l{i + 10} -> l{i}" for i in range(0, 70, 3)))
    s = suggest_order(g, exact_max=5)
    assert not s.exact and "Eades-Lin-Smyth" in s.method
    kept = g.nx.copy()
    kept.remove_edges_from(s.removed)
    assert nx.is_directed_acyclic_graph(kept)
    assert s.weight == _back_weight(g, s.order) <= 24  # never worse than dropping the added edges


def test_suggest_order_on_the_seed_keeps_the_recorded_order(seed_graph):
    s = seed_graph.suggest_order()
    assert s.exact and len(s.removed) == 1 and s.removed[0] in set(seed_graph.cycles()[0].edges)
    # With the recorded order declared twice more, the new acquisition is what must go.
    h = seed_graph.with_ordering(ordering_text("status-quo") + "\n&kvm->srcu -> cpu_hotplug_lock\n"
                                 "&kvm->slots_lock -> &kvm->srcu\n")
    assert h.suggest_order().removed == (("kvm_lock", "&kvm->slots_lock"),)


# -- compare and the seed's orderings ---------------------------------------------------

def test_bundled_orderings_parse_cleanly():
    assert sorted(ORDERINGS) == ordering_names()
    for name in ORDERINGS:
        o = Ordering.parse(ordering_text(name), name=name)
        assert o.problems == [] and o.steps


def test_compare_the_seed_orderings(seed_graph):
    df = splatkit.compare(seed_graph, {name: ordering_text(name) for name in ORDERINGS})
    assert isinstance(df, pd.DataFrame) and list(df.index) == list(ORDERINGS)
    seed_cycle = "kvm_lock -> &kvm->slots_lock -> &kvm->srcu -> cpu_hotplug_lock -> kvm_lock"
    assert df.loc["status-quo", "verdict"] == "cyclic" and df.loc["status-quo", "introduced"] == []
    assert df.loc["patch-v1", "introduced"] == ["cpu_hotplug_lock -> kvm_lock -> cpu_hotplug_lock"]
    assert df.loc["patch-v1", "removed"] == [] and df.loc["patch-v1", "needs_writer"]
    assert df.loc["kvm-usage-lock", "verdict"] == "acyclic"
    assert df.loc["kvm-usage-lock", "removed"] == [seed_cycle]
    assert df.loc["kvm-usage-lock", "new_locks"] == ["kvm_usage_lock"]
    assert any("declared (patch-v1:" in row for row in df.loc["patch-v1", "evidence"])
    assert set(df.attrs["graphs"]) == set(ORDERINGS)


def test_compare_accepts_ordering_objects_and_reports_problems(seed_graph):
    df = splatkit.compare(seed_graph, {"typo": Ordering.parse("kvm_lock => x\n", name="typo", source="t.txt")})
    assert df.loc["typo", "problems"][0].startswith("t.txt:1: not an ordering line")
    assert df.loc["typo", "verdict"] == "cyclic"


def test_compare_says_when_a_cycle_search_stopped(seed_graph):
    df = splatkit.compare(seed_graph, {"as is": "", "cross": "kvm_lock -> cpu_hotplug_lock\n"
                                                            "&kvm->srcu -> kvm_lock\n"}, limit=1)
    assert df["complete"].tolist() == [True, False]
    assert df.loc["cross", "cycles"] == 1 and df.loc["cross", "verdict"] == "cyclic"
    assert df.loc["cross", "problems"] == ["cross: the lock graph has more than 1 dependency cycles; the search "
                                           "stopped there (limit=1), so shorter ones may be missing"]
    # A cycle of the base graph is 'removed' only when one of its edges is gone, listed or not.
    assert df.loc["cross", "removed"] == []


# -- typos in an ordering file (issue 9: they were read as new locks, or dropped) -------------------

#: A typo of each part of the bundled kvm-usage-lock ordering, and what the error says.
TYPOS = [
    ("(read) @ hardware_enable_all", "(raed) @ hardware_enable_all",
     "unknown qualifier '(raed)': the only one is ' (read)'"),
    ("(read) @ hardware_enable_all", "(READ) @ hardware_enable_all",
     "unknown qualifier '(READ)': the only one is ' (read)'"),
    (" (read) @ hardware_enable_all", "(read) @ hardware_enable_all",
     "'(read)' goes after the lock name, with a blank before it"),
    ("(read) @ hardware_enable_all", "(read) at hardware_enable_all",
     "'at' names a split line's sites; a dependency's site is written ' @ site'"),
    ("(read) @ hardware_enable_all", "(read) @hardware_enable_all",
     "a site is written ' @ site', with a blank on each side of '@'"),
    ("(read) @ hardware_enable_all", "(read)  @  hardware_enable_all",
     "a site is written ' @ site', with a blank on each side of '@'"),
    ("(read) @ hardware_enable_all", "(read) @", "'@' without a site after it"),
    ("(read) @ hardware_enable_all", "(read) @ hardware_enable_all @ kvm_dev_ioctl",
     "one site per line, a function name ('hardware_enable_all @ kvm_dev_ioctl')"),
    ("split kvm_lock: kvm_usage_lock", "split kvm_lock : kvm_usage_lock",
     "no blank before the ':' of a split line"),
    ("at hardware_enable_all, hardware_disable_all", "@ hardware_enable_all, hardware_disable_all",
     "a split line names its sites after ' at ', not '@'"),
    ("hardware_enable_all, hardware_disable_all", "hardware_enable_all,, hardware_disable_all",
     "an empty site between commas"),
    ("- cpu_hotplug_lock -> kvm_usage_lock", "remove cpu_hotplug_lock -> kvm_usage_lock",
     "'remove' is no keyword; a removal is written '- A -> B'"),
    ("- cpu_hotplug_lock -> kvm_usage_lock", "- cpu_hotplug_lock -> kvm_usage_lock (read)",
     "a removal takes no '(read)' (it removes the dependency however taken)"),
]


@pytest.mark.parametrize("good, bad, message", TYPOS, ids=[bad for _, bad, _ in TYPOS])
def test_a_typo_is_an_error_naming_file_and_line_never_a_new_lock(seed_graph, tmp_path, good, bad, message):
    text = ordering_text("kvm-usage-lock")
    assert text.count(good) == 1
    no = text[:text.index(good)].count("\n") + 1
    path = tmp_path / "kvm-usage-lock.txt"
    path.write_text(text.replace(good, bad))
    o = Ordering.parse(path.read_text(), source=str(path))
    (problem,) = o.problems
    assert str(problem).startswith(f"{path}:{no}: not an ordering line: {message}; expected ")
    assert problem.line == text.replace(good, bad).splitlines()[no - 1].strip()
    assert len(o.steps) == len(Ordering.parse(text).steps) - 1  # the other lines still apply
    h = seed_graph.with_ordering(o)
    assert {str(p) for p in h.problems} >= {str(problem)}
    assert not [n for n in h.nx if any(word in n for word in ("(", "@", " at ", " "))]
    with pytest.raises(ParseError, match=rf"^{re.escape(str(path))}:{no}: not an ordering line: "):
        Ordering.parse(path.read_text(), source=str(path), strict=True)


def test_every_bundled_line_still_reads_and_odd_lock_names_are_names():
    for name in ORDERINGS:
        assert Ordering.parse(ordering_text(name)).problems == []
    o = Ordering.parse("&ACCESS_PRIVATE(ssp->srcu_sup, lock) -> (wq_completion)events\n"
                       "&(&dev->lock)->rlock -> sb_writers#4/1 @ f\n")
    assert o.problems == [] and [d.acquired for d in o.declared] == ["(wq_completion)events", "sb_writers#4/1"]


@pytest.mark.parametrize("build", [
    lambda p: LockGraph.from_proc_lockdep(p),
    lambda p: LockGraph.from_proc_lockdep(Path(p)),
    lambda p: LockGraph.from_proc_lockdep_chains(p),
    lambda p: LockGraph.from_orderings(p),
    lambda p: LockGraph.from_proc_lockdep(data_path("proc", "kvm-lockdep.txt"), chains=p),
])
def test_a_path_that_does_not_exist_is_an_error_naming_it(tmp_path, build):
    missing = str(tmp_path / "nope" / "lockdep")
    with pytest.raises(ParseError, match=rf"^{re.escape(missing)}: cannot read file: No such file or directory$"):
        build(missing)
    with pytest.raises(ParseError, match=rf"^{re.escape(str(tmp_path))}: cannot read file: Is a directory$"):
        build(str(tmp_path))
