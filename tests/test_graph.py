"""The lock graph built from splats: edges, their evidence, cycles, merging."""

from __future__ import annotations

import splatkit
from splatkit.graph import LockGraph


def test_cycle_edges_and_evidence(seed_splat):
    g = LockGraph.from_splats([seed_splat])
    (cycle,) = g.cycles()
    assert cycle.locks == seed_splat.cycle
    sources = [[ev.source for ev in evs] for evs in cycle.evidence]
    assert sources == [["new"], ["recorded"], ["recorded"], ["recorded"]]
    assert cycle.evidence[2][0].chain_index == 2
    assert cycle.evidence[2][0].frames[0].function == "cpus_read_lock"


def test_held_lock_order_edges(seed_splat):
    g = LockGraph.from_splats(seed_splat)
    assert g.has_dependency("sb_writers#4", "&of->mutex")
    assert [ev.source for ev in g.evidence("&mod->param_lock", "kvm_lock")] == ["held"]
    assert not LockGraph.from_splats(seed_splat, held_locks=False).has_dependency("sb_writers#4", "&of->mutex")


def test_merge_keeps_all_evidence(seed_text):
    a = LockGraph.from_splats(splatkit.parse(seed_text))
    b = LockGraph.from_splats(splatkit.parse(seed_text))
    merged = a | b
    assert merged.nx.number_of_nodes() == a.nx.number_of_nodes()
    assert len(merged.evidence("cpu_hotplug_lock", "kvm_lock")) == 2
    assert len(a.evidence("cpu_hotplug_lock", "kvm_lock")) == 1  # operands untouched


def test_max_length_bounds_cycles(seed_splat):
    g = LockGraph.from_splats(seed_splat)
    assert g.cycles(max_length=3) == []
    assert len(g.cycles(max_length=4)) == 1
