"""Cycles with their evidence, read-lock edges, the shortest cycle through an edge, bounded searches."""

from __future__ import annotations

import itertools
import time

import networkx as nx
import pytest

import splatkit
from conftest import dense_held_locks_report, dense_held_locks_reports
from splatkit.analysis.cycles import MAX_CYCLES, bounded_cycles, find_cycle_through, lock_cycles
from splatkit.errors import NoCycle, UnknownLock
from splatkit.graph import Evidence, LockGraph


def test_seed_cycle_marks_the_read_acquisition(seed_splat):
    (cycle,) = LockGraph.from_splats(seed_splat).cycles()
    # cpus_read_lock() is on the stack of the #2 entry: cpu_hotplug_lock is taken for read.
    assert cycle.ops == ("lock", "sync", "rlock", "lock")
    assert cycle.read_edges == [("&kvm->srcu", "cpu_hotplug_lock")]
    assert cycle.needs_writer
    assert cycle.note.startswith("cpu_hotplug_lock is acquired for read here")
    assert "writer" in cycle.note


def test_cycle_of_exclusive_locks_needs_no_writer():
    g = LockGraph.from_orderings("a -> b\nb -> c\nc -> a\n")
    (cycle,) = g.cycles()
    assert not cycle.needs_writer and cycle.note == "" and cycle.ops == (None, None, None)


def test_read_edge_stays_write_when_any_evidence_writes():
    g = LockGraph.from_orderings("a -> b (read)\nb -> a\n")
    assert g.cycles()[0].read_edges == [("a", "b")]
    g.add_evidence("a", "b", Evidence("declared", op="lock"))
    assert g.cycles()[0].read_edges == []


def test_cycles_match_networkx_on_a_random_graph():
    g = nx.gnp_random_graph(9, 0.3, seed=4, directed=True)
    lg = LockGraph.from_orderings("\n".join(f"l{u} -> l{v}" for u, v in g.edges))
    found = {c.canonical() for c in lg.cycles(max_length=4)}
    expected = {tuple(c) for c in nx.simple_cycles(lg.nx, length_bound=4)}
    assert found == {min((c[i:] + c[:i] for i in range(len(c)))) for c in expected}
    for cycle in lg.cycles(max_length=4):
        assert all(lg.has_dependency(u, v) for u, v in cycle.edges)
        assert all(len(evs) == 1 and evs[0].source == "declared" for evs in cycle.evidence)


def test_shortest_cycle_through_an_edge():
    g = LockGraph.from_orderings("a -> b\nb -> c\nc -> d\nd -> a\nc -> a\nx -> y\n")
    assert find_cycle_through(g, "a", "b").locks == ("a", "b", "c")
    assert find_cycle_through(g, "c", "d").locks == ("c", "d", "a", "b")
    # A cycle through every edge of the graph that lies on one, and all are shortest.
    for u, v in g.nx.edges:
        try:
            cycle = find_cycle_through(g, u, v)
        except NoCycle:
            assert not nx.has_path(g.nx, v, u)
            continue
        assert cycle.edges[0] == (u, v)
        assert len(cycle) == nx.shortest_path_length(g.nx, v, u) + 1
    with pytest.raises(NoCycle):
        find_cycle_through(g, "x", "y")
    with pytest.raises(UnknownLock, match="closest: 'a'"):
        find_cycle_through(g, "aa", "b")


def test_cycles_are_deterministic_and_sorted(seed_text):
    g = LockGraph.from_orderings("\n".join(f"{u} -> {v}" for u, v in itertools.permutations("abcd", 2)))
    first = [c.locks for c in lock_cycles(g)]
    assert first == [c.locks for c in lock_cycles(g.copy())]
    assert [len(c) for c in first] == sorted(len(c) for c in first)


# -- a bounded search (issue 9: a 20 KB held-lock list hung every view) -----------------------------

def _dense_graph() -> LockGraph:
    """Eight reports' held-lock lists of 400 entries over 30 classes, each in another order."""
    splats = splatkit.parse(dense_held_locks_reports())
    assert len(splats) == 8 and all(len(s.held_locks) == 400 for s in splats)
    return LockGraph.from_splats(splats)


def test_one_held_lock_list_gives_the_order_each_class_was_first_taken():
    """A class held again lower in one list (nested rcu_read_lock(), another instance) adds no
    order: one task's list is a chain over its classes, never a loop it could deadlock on."""
    (splat,) = splatkit.parse(dense_held_locks_report())
    g = LockGraph.from_splats(splat)
    order = list(dict.fromkeys(h.lock.name for h in splat.held_locks))
    assert len(order) == 30 and sorted(g.nx.edges) == sorted(zip(order, order[1:]))
    assert len(g.cycles()) == 0


def test_a_dense_graph_of_held_lock_lists_is_searched_within_the_limit():
    g = _dense_graph()
    assert g.nx.number_of_nodes() == 30 and g.nx.number_of_edges() > 150
    start = time.perf_counter()
    found = g.cycles()
    assert time.perf_counter() - start < 10  # a hang guard; speed is measured in benchmarks/
    assert len(found) == MAX_CYCLES and not found.complete
    assert found.note == ("the lock graph has more than 1000 dependency cycles; the search stopped there "
                          "(limit=1000), so shorter ones may be missing")
    assert [len(c) for c in found] == sorted(len(c) for c in found)
    assert len({c.canonical() for c in found}) == len(found)
    for cycle in found:
        assert all(g.has_dependency(u, v) and g.evidence(u, v) == list(evs)
                   for (u, v), evs in zip(cycle.edges, cycle.evidence))


def test_a_bounded_search_is_the_full_one_below_its_limit():
    g = LockGraph.from_orderings("\n".join(f"l{u} -> l{v}" for u, v in
                                           nx.gnp_random_graph(9, 0.3, seed=4, directed=True).edges))
    every = list(lock_cycles(g))
    assert 20 < len(every) < 1000
    assert [c.locks for c in bounded_cycles(g)] == [c.locks for c in every] and bounded_cycles(g).complete
    exact = bounded_cycles(g, limit=len(every))
    assert exact.complete and exact.note == ""
    some = bounded_cycles(g, limit=7)
    assert len(some) == 7 and not some.complete and some.limit == 7
    assert {c.canonical() for c in some} <= {c.canonical() for c in every}
    assert bounded_cycles(g, max_length=2, limit=None) == [c for c in every if len(c) <= 2]


def test_a_bounded_search_does_not_depend_on_the_order_the_graph_was_built_in():
    edges = list(nx.gnp_random_graph(25, 0.3, seed=7, directed=True).edges)
    one = LockGraph.from_orderings("\n".join(f"l{u} -> l{v}" for u, v in edges))
    other = LockGraph.from_orderings("\n".join(f"l{u} -> l{v}" for u, v in reversed(edges)))
    assert [c.locks for c in one.cycles(limit=50)] == [c.locks for c in other.cycles(limit=50)]
    assert not one.cycles(limit=50).complete


def test_graph_and_analysis_agree_on_the_default_limit():
    from splatkit import graph

    assert graph.MAX_CYCLES == MAX_CYCLES
