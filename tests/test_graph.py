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


def test_identity_choices(seed_splat):
    exact = LockGraph.from_splats(seed_splat)  # one splat: one boot, names as printed
    assert exact.identity == "exact" and "kn->active#257" in exact.nx
    two = LockGraph.from_splats([seed_splat, seed_splat])  # several: versions differ between boots
    assert two.identity == "unversioned" and "kn->active" in two.nx and "kn->active#257" not in two.nx
    assert two.has_dependency("kn->active#257", "&mod->param_lock")  # printed names still work
    assert len(two.evidence("cpu_hotplug_lock", "kvm_lock")) == 2
    g = LockGraph.from_orderings("&type->s_umount_key#41/1 -> a\n&type->s_umount_key#7 -> a\n"
                                 "&type->s_umount_key#41 -> b\n")
    assert sorted(g.nx) == ["&type->s_umount_key#41", "&type->s_umount_key#41/1", "&type->s_umount_key#7",
                            "a", "b"]
    assert sorted(g.with_identity("unversioned").nx) == ["&type->s_umount_key", "&type->s_umount_key/1", "a", "b"]
    base = g.with_identity("base")
    assert sorted(base.nx) == ["&type->s_umount_key", "a", "b"]
    assert len(base.evidence("&type->s_umount_key", "a")) == 2
    assert base.attributes("&type->s_umount_key")["printed"] == {
        "&type->s_umount_key#41/1", "&type->s_umount_key#7", "&type->s_umount_key#41"}


def test_merge_of_two_boots_joins_versioned_classes():
    boot1 = LockGraph.from_orderings("sb_writers#4 -> &of->mutex\n")
    boot2 = LockGraph.from_orderings("sb_writers#7 -> &of->mutex\n&of->mutex -> sb_writers#7\n")
    merged = boot1 | boot2
    assert merged.identity == "unversioned"
    (cycle,) = merged.cycles()
    assert set(cycle.locks) == {"sb_writers", "&of->mutex"}
    assert [len(e) for e in cycle.evidence] in ([2, 1], [1, 2])
    exact = LockGraph.from_orderings("x#1 -> y\n", identity="exact") | LockGraph.from_orderings(
        "x#2 -> y\n", identity="exact")
    assert sorted(exact.nx) == ["x#1", "x#2", "y"]  # an explicit choice is kept


def test_evidence_records_every_source(seed_splat):
    g = LockGraph.from_splats(seed_splat) | LockGraph.from_orderings(
        "cpu_hotplug_lock -> kvm_lock @ hardware_enable_all\n", name="declared")
    recorded, declared = g.evidence("cpu_hotplug_lock", "kvm_lock")
    assert (recorded.source, recorded.splat, recorded.chain_index) == ("recorded", 0, 3)
    assert recorded.frames[2].function == "kvm_dev_ioctl"
    assert (declared.source, declared.label, declared.title, declared.splat) == (
        "declared", "hardware_enable_all", "declared", None)


def test_what_if_does_not_rebuild_the_graph(seed_splat):
    g = LockGraph.from_splats(seed_splat)
    nx_graph = g.nx
    edges = g.nx.number_of_edges()
    assert g.what_if("&kvm->srcu", "kvm_lock")
    assert g.nx is nx_graph and g.nx.number_of_edges() == edges


def test_view_model_draws_merged_and_neighbourhood_graphs(seed_splat):
    import json

    from splatkit.render.viewmodel import graph_view
    from splatkit.samples import data_path

    merged = LockGraph.from_proc_lockdep(data_path("proc", "kvm-lockdep.txt")) | LockGraph.from_splats(seed_splat)
    view = graph_view(merged)
    json.dumps(view)  # plain data only (no sets, no Evidence objects)
    assert {e["id"] for e in view["edges"] if e["cycle"]} == {
        f"{u} -> {v}" for u, v in merged.cycles()[0].edges}
    near = merged.neighbourhood("kvm_lock", 1)
    assert {n["id"] for n in graph_view(near)["nodes"]} == set(near.nx)


def test_benchmark_graph_section_runs():
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"
    out = subprocess.run([sys.executable, str(script), "--only", "graph", "--quick"], capture_output=True,
                         text=True, timeout=300, check=True).stdout
    assert "graph: generated /proc/lockdep, 2000 classes, 20000 dependencies" in out
    for figure in ("load (from_proc_lockdep)", "what_if(a, b, limit=1)", "baseline nx.has_path", "neighbourhood("):
        assert figure in out
