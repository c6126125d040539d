"""Cycles with their evidence, read-lock edges, and the shortest cycle through an edge."""

from __future__ import annotations

import itertools

import networkx as nx
import pytest

from splatkit.analysis.cycles import find_cycle_through, lock_cycles
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
