"""Lockdep's rules as the simulator applies them, one behaviour per test, through exercises."""

from __future__ import annotations

import pytest

from splatkit.sim import Config, run
from splatkit.sim.classes import LOCK_TYPES, LockClass, LockInstance, WaitType
from splatkit.sim.frames import Site
from splatkit.sim.graph import DEP_NAMES
from splatkit.sim.state import TaskState
from splatkit.sim.validator import Lockdep, Reported

ABBA_TAIL = "t1: lock A\nt1: lock B\nt1: unlock B\nt1: unlock A\nt2: lock B\nt2: lock A\n"


def edges(program: str, config: Config | None = None) -> dict[tuple[str, str], tuple[str, ...]]:
    """The dependency graph a program leaves behind (it must not report)."""
    from splatkit.sim.program import parse_program
    from splatkit.sim.runner import Runner

    runner = Runner(parse_program(program), config or Config())
    finding, _ = runner.run()
    assert finding is None, finding.detail
    return {(e.prev.name, e.next.name): e.types for e in runner.lockdep.graph}


def test_a_trylock_adds_no_dependency_into_it_but_one_out_of_it():
    assert edges("mutex A, B, C\nt: lock A\nt: trylock B\nt: lock C\n") == {("A", "C"): ("EN",), ("B", "C"): ("EN",)}


def test_only_the_lock_below_is_linked_after_a_plain_lock():
    assert edges("mutex A, B, C\nt: lock A\nt: lock B\nt: lock C\n") == {("A", "B"): ("EN",), ("B", "C"): ("EN",)}


def test_dependency_types():
    """E/S: the held lock is a writer or a reader; R/N: the new one is a recursive reader or not."""
    graph = edges("srcu R, Q\nmutex M, N\n"
                  "t: lock M\nt: srcu_read_lock R\nt: srcu_read_unlock R\nt: lock N\nt: unlock N\nt: unlock M\n"
                  "t: srcu_read_lock R\nt: lock M\nt: unlock M\nt: srcu_read_lock Q\n")
    assert graph == {("M", "R"): ("ER",), ("M", "N"): ("EN",), ("R", "M"): ("SN",), ("R", "Q"): ("SR",)}
    # M -(ER)-> R -(SN)-> M is a cycle, but not a strong one: nobody waits on it.
    assert DEP_NAMES == ("SR", "ER", "SN", "EN")


def test_an_abba_of_recursive_readers_cannot_deadlock():
    # rwlock readers are recursive when forced (the self-test) or without queued rwlocks (RT).
    program = "rwlock A, B\n" + ABBA_TAIL.replace("lock A", "read_lock A").replace("lock B", "read_lock B") \
        .replace("unread_lock", "unlock")
    assert run(program, config=Config(preempt_rt=True)).text is None
    assert run(program, config=Config(force_read_lock_recursive=True)).text is None
    # With queued rwlocks a process-context reader waits behind a queued writer.
    assert run(program).kind == "circular"


def test_a_read_lock_in_interrupt_is_recursive():
    assert run("rwlock R\nt softirq: read_lock R\nt softirq: read_lock R\n").text is None
    assert run("rwlock R\nt: read_lock R\nt: read_lock R\n").kind == "recursive"


def test_subclasses_are_classes():
    assert run("mutex A1, A2 class A\nt: lock A1\nt: lock A2 nested 1\n").text is None
    assert run("mutex A1, A2 class A\nt: lock A1 nested 1\nt: lock A2 nested 1\n").splat.acquiring.name == "A/1"


def test_a_nest_lock_serialises_its_class():
    text = "mutex big\nmutex a1, a2 class item\nt: lock big\nt: lock a1 nest_lock big\nt: lock a2 nest_lock big\n"
    assert run(text).text is None
    assert run(text.replace("t: lock big\n", "")).kind == "nested_not_taken"


def test_ww_mutexes_nest_under_an_acquire_context():
    text = "ww_mutex o1, o2\nww_ctx t\nk: ww_acquire_init t\nk: ww_lock o1 ctx t\nk: ww_lock o2 ctx t\n" \
           "k: ww_unlock o2\nk: ww_unlock o1\nk: ww_acquire_fini t\n"
    assert run(text).text is None
    assert run(text.replace("ww_lock o2 ctx t", "ww_lock o2")).kind == "recursive"


def test_ww_wait_die():
    text = "ww_mutex o1, o2\nww_ctx old, young\n" \
           "a: ww_acquire_init old\na: ww_lock o2 ctx old\n" \
           "b: ww_acquire_init young\nb: ww_lock o1 ctx young\nb: ww_lock o2 ctx young\n"
    result = run(text)
    assert result.text is None
    assert result.notes == ("line 7: ww_lock o2 returned -EDEADLK: an older context owns it; back off "
                            "(unlock all), then ww_lock_slow it",)


def test_held_lock_freed_checks_only_the_freeing_task():
    assert run("mutex A\nt1: lock A\nt2: free A\n").text is None
    assert run("mutex A\nt1: lock A\nt1: init A\n").kind == "held_lock_freed"


def test_local_lock_is_left_out_of_the_irq_searches():
    """A local_lock between an irq-safe and an irq-unsafe lock links nothing (lockdep's usage_skip)."""
    text = ("local_lock L\nspinlock A, B\n"
            "t: lock L\nt: lock B\nt: unlock B\nt: unlock L\n"
            "t hardirq: lock A\nt hardirq: unlock A\n"
            "t: irq_disable\nt: lock A\nt: lock L\nt: unlock L\nt: unlock A\nt: irq_enable\n")
    assert run(text).text is None
    assert run(text.replace("local_lock L", "spinlock L")).kind == "irq_safe_unsafe"


def test_a_seqlock_reader_in_an_interrupt_against_a_writer_with_interrupts_on():
    text = "seqlock S\nt: lock S\nt: unlock S\nt hardirq: read_seqbegin S\n"
    result = run(text)
    assert result.kind == "inconsistent_state"
    assert result.splat.usage_change == ("HARDIRQ-ON-W", "IN-HARDIRQ-R")
    assert run(text.replace("t: lock S", "t: lock_irq S").replace("t: unlock S", "t: unlock_irq S")).text is None


def test_softirq_unsafe_is_hardirq_unsafe_too():
    """Enabling hard irqs with softirqs on marks held locks unsafe for both (lockdep-design.rst)."""
    result = run("spinlock D\nt softirq: lock D\nt softirq: unlock D\nt: irq_disable\nt: lock D\nt: irq_enable\n")
    assert result.kind == "inconsistent_state" and result.line == 6
    assert result.splat.usage_change == ("IN-SOFTIRQ-W", "SOFTIRQ-ON-W")
    # spin_unlock_bh() releases before it enables bottom halves; enabling them first does not.
    assert run("spinlock D\nt softirq: lock D\nt softirq: unlock D\nt: lock_bh D\nt: unlock_bh D\n").text is None
    assert run("spinlock D\nt softirq: lock D\nt softirq: unlock D\nt: lock_bh D\nt: bh_enable\n").line == 5


def test_lock_irqsave_restores_what_it_saved():
    text = "spinlock D, E\nt hardirq: lock D\nt hardirq: unlock D\nt: irq_disable\nt: lock_irqsave E\n" \
           "t: unlock_irqrestore E\nt: lock D\nt: unlock D\nt: irq_enable\n"
    assert run(text).text is None  # irqs stayed off after the restore


@pytest.mark.parametrize("context, inner, reports", [
    ("hardirq", "spinlock", False),            # a threaded handler may take spinlock_t (it sleeps on RT)
    ("hardirq-nothread", "spinlock", True),
    ("hardirq-nothread", "raw_spinlock", False),
    ("softirq", "mutex", True),
    ("process", "mutex", False),
])
def test_wait_context(context, inner, reports):
    text = f"{inner} X\nt{' ' + context if context != 'process' else ''}: lock X\n"
    assert (run(text).kind == "invalid_wait") == reports


def test_rcu_read_side():
    assert run("mutex M\nt: rcu_read_lock\nt: lock M\n").kind == "invalid_wait"
    assert run("spinlock S\nt: rcu_read_lock\nt: lock S\n").text is None
    assert run("spinlock S\nt: rcu_read_lock_sched\nt: lock S\n").kind == "invalid_wait"
    assert run("t: rcu_read_lock\nt: synchronize_rcu\n").kind == "suspicious_rcu"
    assert run("t: rcu_read_lock\nt: rcu_read_unlock\nt: synchronize_rcu\n").text is None


def test_synchronize_srcu_inside_its_own_reader():
    assert run("srcu S\nt: srcu_read_lock S\nt: synchronize_srcu S\n").kind == "recursive"
    assert run("srcu S, T\nt: srcu_read_lock S\nt: synchronize_srcu T\n").text is None


def test_a_completion_waits_for_what_the_completer_holds():
    text = "mutex M\ncompletion C\nwaiter: lock M\nwaiter: wait_for_completion C\nwaiter: unlock M\n" \
           "completer: lock M\ncompleter: complete C\n"
    assert run(text).splat.cycle == ("(completion)C", "M")
    assert run(text.replace("completer: lock M\n", "")).text is None


def test_fs_reclaim():
    text = "mutex M\nkswapd0: reclaim_begin\nkswapd0: lock M\nkswapd0: unlock M\nkswapd0: reclaim_end\n" \
           "t: lock M\nt: alloc\n"
    assert run(text).splat.cycle == ("M", "fs_reclaim")
    assert run(text.replace("t: alloc", "t: alloc GFP_NOFS")).text is None
    assert run(text.replace("t: alloc", "t: nofs_save\nt: alloc\nt: nofs_restore")).text is None


def test_release_revalidates_the_locks_above():
    """Releasing a lock from the middle re-acquires the ones above it: a ww mutex whose acquire
    context is finished now has a nest lock that is not held."""
    text = "ww_mutex o\nww_ctx t\nk: ww_acquire_init t\nk: ww_lock o ctx t\nk: ww_acquire_fini t\n"
    assert run(text).kind == "nested_not_taken"


def test_the_first_report_stops_lockdep():
    ld = Lockdep()
    task = TaskState("t", 1, 0)
    a = LockInstance("A", LockClass("A", LOCK_TYPES["mutex"]))
    site = Site("t", 1)
    ld.acquire(task, a, site)
    with pytest.raises(Reported):
        ld.acquire(task, a, site)
    with pytest.raises(Reported) as again:
        ld.release(task, a, site)  # nothing is checked any more: the first report stands
    assert again.value.finding.kind == "recursive"


def test_wait_type_numbers():
    assert [w.printed(raw_nesting=True) for w in WaitType] == [0, 1, 2, 3, 4, 5]
    assert [w.printed(raw_nesting=False) for w in WaitType] == [0, 1, 2, 2, 3, 4]
