"""Every exercise in data/programs rebuilds the lock structure of the reports it names.

A program's header says which reports it reproduces (``# reproduces: syzkaller 185, 187``
or ``# reproduces: sample kvm-cpuhp-2024``), the era to print in (``# era: 4.19``), and
what a report does not tell reliably (``# ignores: unheld_lock (why)``). The simulator's
report and the real one, both parsed by splatkit, must agree on everything the real one
tells: the kind, the cycle, the lock being taken and the one held, the held locks (names
and usage), the usage change, the irq class, the other locks, the new dependency, the
lock released unheld. The corpus is read from ../shared at run time.
"""

from __future__ import annotations

import pytest

import splatkit
from conftest import CORPUS, corpus_files, program_header, program_reports, read_log, real_report
from splatkit.samples import program_names, program_text
from splatkit.sim import run

#: Kinds whose lock structure the simulator rebuilds.
SUPPORTED = {"circular", "recursive", "inconsistent_state", "irq_inversion", "irq_safe_unsafe", "bad_unlock",
             "held_lock_freed", "still_held", "held_on_return", "invalid_wait", "nested_not_taken"}
#: Corpus reports of those kinds that no program rebuilds, and why.
NOT_REBUILT = {
    "27": "cut before the chain, and its one lock is a workqueue named without the (wq_completion) prefix",
    "28": "cut before the chain: only the two locks of the last step are known",
    "32": "cut before the chain: one lock name is all it tells",
    "86": "cut before the chain: only the two locks of the last step are known",
    "98": "cut before the report names any lock",
    "102": "cut before the report names any lock",
    "152": "cut before the report names any lock",
    "543": "an NMI usage bug ({INITIAL USE} -> {IN-NMI}): NMI context is not modelled",
}


PAIRS = program_reports()


def _usage(lock) -> str | None:
    # The first four characters (HARDIRQ and SOFTIRQ, write and read) mean the same in the
    # 4- and 6-character layouts; RECLAIM_FS (2.6.30-4.13) is not modelled.
    return lock.usage[:4] if lock.usage else None


def test_every_program_names_what_it_reproduces():
    assert program_names() and all(program_header(program_text(n), "reproduces") for n in program_names())
    assert len({(s, r) for _, s, r in PAIRS}) == len(PAIRS), "a report is claimed by two programs"


@pytest.mark.parametrize("program, source, report", PAIRS, ids=[f"{p}:{r}" for p, _, r in PAIRS])
def test_the_program_rebuilds_the_report(program, source, report):
    text = program_text(program)
    eras = program_header(text, "era")
    ignores = {line.split()[0] for line in program_header(text, "ignores")}
    real = real_report(source, report)
    result = run(text, era=eras[0] if eras else None, source=f"{program}.txt")
    sim = result.splat
    assert sim is not None and sim.kind == real.kind
    assert not sim.unrecognised
    if real.cycle:
        assert sim.cycle == real.cycle
    for field in ("acquiring", "holding"):
        if getattr(real, field) is not None:
            assert getattr(sim, field).name == getattr(real, field).name, field
            assert _usage(getattr(sim, field)) == _usage(getattr(real, field)), field
    if real.held_locks_count is not None:
        assert [h.lock.name for h in sim.held_locks] == [h.lock.name for h in real.held_locks]
        assert [_usage(h.lock) for h in sim.held_locks] == [_usage(h.lock) for h in real.held_locks]
    real_chain = {e.lock.name: _usage(e.lock) for e in real.chain}
    sim_chain = {e.lock.name: _usage(e.lock) for e in sim.chain}
    assert {k: sim_chain.get(k) for k in real_chain} == real_chain
    for field in ("usage_change", "irq_class"):
        if getattr(real, field):
            assert getattr(sim, field) == getattr(real, field), field
    assert {(role, lock.name) for role, lock in real.other_locks} <= {(r, lock.name) for r, lock in sim.other_locks}
    if real.new_dependency:
        assert [lock.name for lock in sim.new_dependency] == [lock.name for lock in real.new_dependency]
    if real.unheld_lock and "unheld_lock" not in ignores:
        assert sim.unheld_lock.name == real.unheld_lock.name


def test_the_seeds_cycle_is_rebuilt_step_by_step(seed_splat):
    sim = run(program_text()).splat
    assert sim.cycle == seed_splat.cycle == ("kvm_lock", "&kvm->slots_lock", "&kvm->srcu", "cpu_hotplug_lock")
    assert [(e.index, e.lock.name) for e in sim.chain] == [(e.index, e.lock.name) for e in seed_splat.chain]
    assert sim.chain_exists == seed_splat.chain_exists
    assert (sim.task.comm, sim.task.pid) == (seed_splat.task.comm, seed_splat.task.pid)
    # The scenario names the same locks in the same columns.
    assert [(s.cpu, s.lock) for s in sim.scenario] == [(s.cpu, s.lock) for s in seed_splat.scenario]


def test_every_supported_corpus_report_is_rebuilt_or_explained():
    files = corpus_files()
    if not files:
        pytest.skip(f"syzkaller corpus not found at {CORPUS}")
    supported = set()
    for name in files:
        splats = splatkit.parse(read_log(CORPUS / "report" / name))
        if splats and splats[0].kind in SUPPORTED:
            supported.add(name)
    rebuilt = {report for _, source, report in PAIRS if source == "syzkaller"}
    assert rebuilt <= supported
    assert supported - rebuilt == set(NOT_REBUILT)
