"""The simulator's text, in every era, read back by splatkit.parse; and splatkit's views on it."""

from __future__ import annotations

import re

import pytest

import splatkit
from conftest import assert_lossless
from splatkit.render.html import report_html
from splatkit.sim import ERAS, Config, run
from splatkit.sim.templates import BODIES, TITLES

#: One exercise per report kind, with what its report is about.
KINDS = {
    "circular": "mutex A, B, C\nt1: lock A\nt1: lock B\nt1: unlock B\nt1: unlock A\nt2: lock B\nt2: lock C\n"
                "t2: unlock C\nt2: unlock B\nt3: lock C\nt3: lock A\n",
    "recursive": "mutex A1, A2 class A\nmutex B\nt1: lock B\nt1: lock A1\nt1: lock A2\n",
    "inconsistent_state": "spinlock D\nt1 hardirq: lock D\nt1 hardirq: unlock D\nt1: lock D\n",
    "irq_inversion": "spinlock A, B\nt1: irq_disable\nt1: lock A\nt1: lock B\nt1: unlock B\nt1: unlock A\n"
                     "t1: irq_enable\nt2 hardirq: lock A\nt2 hardirq: unlock A\nt1: lock B\n",
    "irq_safe_unsafe": "spinlock A, B\nt1: lock B\nt1: unlock B\nt2 hardirq: lock A\nt2 hardirq: unlock A\n"
                       "t1: irq_disable\nt1: lock A\nt1: lock B\n",
    "bad_unlock": "mutex A, B\nt1: lock B\nt1: lock A\nt1: unlock A\nt1: unlock A\n",
    "held_lock_freed": "mutex A, B\nt1: lock B\nt1: lock A\nt1: free A\n",
    "still_held": "mutex A\nt1: lock A\nt1: exit\n",
    "held_on_return": "mutex A, B\nt1: lock A\nt1: lock B\nt1: return_to_user\n",
    "invalid_wait": "spinlock S\nmutex M\nt1: lock S\nt1: lock M\n",
    "nested_not_taken": "spinlock A, B\nt1: lock A nest_lock B\n",
    "suspicious_rcu": "mutex M\nt1: lock M\nt1: rcu_read_lock\nt1: synchronize_rcu\n",
}
#: The kinds an era prints (invalid wait context came with wait types, in 5.7).
CASES = [(kind, era) for kind in KINDS for era in ERAS if kind != "invalid_wait" or ERAS[era].wait_types]


def test_every_kind_has_an_exercise_a_title_and_a_body():
    assert set(KINDS) == set(TITLES) == set(BODIES)


@pytest.mark.parametrize("kind, era", CASES)
def test_the_text_reads_back(kind, era):
    result = run(KINDS[kind], era=era)
    assert result.kind == kind
    splat = result.splat
    assert splat is not None and splat.kind == kind
    assert splat.unrecognised == () and splat.notes == () and not splat.truncated
    assert_lossless(splat)
    finding = result.finding
    # The task, the locks and the held locks are the simulator's own.
    assert (splat.task.comm, splat.task.pid) == (finding.task.comm, finding.task.pid)
    assert [h.lock.name for h in splat.held_locks] == [h.cls.name for h in finding.held]
    assert [h.lock.at.function for h in splat.held_locks] == [h.site.name for h in finding.held]
    lock = getattr(finding, "lock", None)
    if lock is not None and kind not in ("held_lock_freed",):
        assert splat.acquiring.name == lock.cls.name
    prev = getattr(finding, "prev", None)
    if prev is not None:
        assert splat.holding.name == prev.cls.name
    if kind == "circular":
        classes = [cls.name for cls, _ in finding.chain]  # #N .. #0
        assert splat.cycle == (classes[0], *reversed(classes[1:]))
        assert [e.index for e in splat.chain] == list(range(len(classes) - 1, -1, -1))
        assert all(e.frames for e in splat.chain)
    else:
        assert splat.cycle == ()


@pytest.mark.parametrize("era", ERAS)
def test_each_era_prints_its_own_shapes(era):
    facts = ERAS[era]
    text = run(KINDS["circular"], era=era).text
    banner = text.splitlines()[1]
    assert banner.startswith("[ INFO: ") if facts.bracketed else banner.startswith("WARNING: ")
    usages = re.findall(r"\(([^()]+)\)\{([-+.?]+)\}", text)
    assert usages and all(len(usage) == 2 * len(facts.usage_states) for _, usage in usages)
    assert bool(re.search(r"\}-\{\d:\d\}", text)) == facts.wait_types
    assert (" <TASK>" in text) == facts.task_markers
    assert bool(re.search(r"\[<ffffffff[0-9a-f]{8}>\] ", text)) == facts.addresses
    splat = run(KINDS["circular"], era=era).splat
    assert splat.usage_layout == ("v2.6.30" if len(facts.usage_states) == 3 else "v4.14")
    assert splat.held_locks[0].lock.instance is None if facts.instance == "none" else splat.held_locks[0].lock.instance


def test_wait_numbers_follow_raw_lock_nesting():
    on = run(KINDS["invalid_wait"], config=Config(raw_lock_nesting=True)).splat
    off = run(KINDS["invalid_wait"], era="5.10", config=Config(raw_lock_nesting=False)).splat
    assert (on.acquiring.wait, on.held_locks[0].lock.wait, on.wait_context) == ((4, 4), (3, 3), (5, 5))
    assert (off.acquiring.wait, off.held_locks[0].lock.wait, off.wait_context) == ((3, 3), (2, 2), (4, 4))
    assert on.wait_scale == "raw_lock_nesting" and off.wait_scale == "default"


def test_a_spinlock_in_a_raw_spinlock_needs_raw_lock_nesting():
    text = "raw_spinlock R\nspinlock S\nt: lock R\nt: lock S\n"
    assert run(text, config=Config(raw_lock_nesting=True)).kind == "invalid_wait"
    assert run(text, config=Config(raw_lock_nesting=False)).text is None
    assert run(text, era="4.19").text is None  # no wait types before 5.7


def test_the_chain_is_the_one_lockdeps_search_finds():
    """Two paths close the cycle; breadth first finds the shorter one."""
    text = ("mutex A, B, C, D\n"
            "t1: lock A\nt1: lock B\nt1: lock C\nt1: unlock C\nt1: unlock B\nt1: unlock A\n"  # A->B, B->C
            "t2: lock A\nt2: lock D\nt2: unlock D\nt2: unlock A\n"  # A->D
            "t3: lock C\nt3: lock D\nt3: unlock D\nt3: unlock C\n"  # C->D
            "t4: lock D\nt4: lock A\n")  # D->A closes A->D and A->B->C->D
    splat = run(text).splat
    assert splat.cycle == ("D", "A")
    assert splat.chain_exists == ()  # a two-class cycle prints no "Chain exists of:"


def test_chain_exists_names_source_parent_and_target():
    splat = run(KINDS["circular"]).splat
    assert splat.chain_exists == ("A", "B", "C")
    steps = [(s.cpu, s.op, s.lock) for s in splat.scenario]
    assert steps == [(0, "lock", "C"), (1, "lock", "B"), (1, "lock", "C"), (0, "lock", "A")]


def test_sync_and_read_in_the_scenario():
    text = "srcu S\nmutex M\nt1: srcu_read_lock S\nt1: lock M\nt1: unlock M\nt1: srcu_read_unlock S\n" \
           "t2: lock M\nt2: synchronize_srcu S\n"
    new = [(s.op, s.lock) for s in run(text).splat.scenario]
    old = [(s.op, s.lock) for s in run(text, era="5.10").splat.scenario]
    assert new[-1] == ("sync", "S") and old[-1] == ("lock", "S")


def test_the_text_is_the_same_on_every_run():
    for text in KINDS.values():
        assert run(text).text == run(text).text


def test_the_programs_functions_are_on_the_stacks():
    splat = run(KINDS["circular"].replace("t3: lock A", "t3: lock A @ grab_a < outer_fn")).splat
    zero = next(e for e in splat.chain if e.index == 0)
    names = [f.function for f in zero.frames]
    assert names.index("grab_a") + 1 == names.index("outer_fn")
    assert splat.acquiring.at.function == "grab_a"
    assert "grab_a" in [f.function for f in splat.backtrace]
    assert splat.title == "possible deadlock in grab_a"
    assert all(re.fullmatch(r"[\w.]+\+0x[0-9a-f]+/0x[0-9a-f]+", f.text.strip()) for f in zero.frames)


def test_splatkits_views_work_on_it():
    splat = run(KINDS["circular"]).splat
    explanation = splatkit.explain_text(splat)
    assert "t3_line11" in explanation
    assert re.search(r"^\s*C\W+A\W+B\W+C\s*$", explanation, re.M), explanation  # the cycle, whatever the arrows
    page = report_html(splat)
    assert page.startswith("<!DOCTYPE html>") and "possible circular locking dependency" in page
    graph = splatkit.LockGraph.from_splats([splat])
    (cycle,) = graph.cycles()
    assert set(cycle.locks) == {"A", "B", "C"}
    seed = splatkit.LockGraph.from_splats([run(splatkit.samples.program_text()).splat])
    assert {n for n in seed.nx} >= {"kvm_lock", "&kvm->slots_lock", "&kvm->srcu", "cpu_hotplug_lock"}


def test_the_ww_checks_print_a_warn():
    result = run("ww_mutex o\nww_ctx t\nk: ww_acquire_init t\nk: ww_acquire_done t\nk: ww_acquire_done t\n")
    assert result.kind == "debug_locks_warn" and result.line == 5
    assert "DEBUG_LOCKS_WARN_ON(ctx->done_acquire)" in result.text
    assert "WARNING: CPU: 0 PID: 1001 at include/linux/ww_mutex.h:" in result.text
    assert result.splat is None  # not lockdep's own report: splatkit reads lockdep's
