"""The exercise format: the issue's example as written, every syntax, and errors that name the line."""

from __future__ import annotations

import pytest

import splatkit
from splatkit.errors import ParseError, ProgramError
from splatkit.sim import OPERATIONS, parse_program, run
from splatkit.sim.program import ALIASES

ABBA = """\
mutex A
mutex B
task1: lock A
task1: lock B
task1: unlock B
task1: unlock A
task2: lock B
task2: lock A
"""


def test_the_abba_exercise_as_written():
    result = run(ABBA)
    assert result.kind == "circular" and result.line == 8
    text, splat = result  # unpacks as the report text and its parsed splat
    assert text == result.text and splat is result.splat
    assert splat.kind == "circular"
    assert splat.task.comm == "task2"
    assert splat.cycle == ("B", "A")
    assert [h.lock.name for h in splat.held_locks] == ["B"]
    assert text.splitlines()[1] == "WARNING: possible circular locking dependency detected"


def test_no_report():
    result = run("mutex A\nmutex B\nt: lock A\nt: lock B\nt: unlock B\nt: unlock A\nu: lock A\nu: lock B\n")
    assert (result.text, result.splat, result.kind) == (None, None, None)
    assert result.summary() == "no report"


def test_comments_and_names_with_hashes_and_blanks():
    program = parse_program('# a comment\nmutex sb_writers#4   # trailing comment\n'
                            'spinlock x class "per_cpu_ptr(&lock, cpu)"\n\n  t1: lock sb_writers#4  # why\n')
    assert [d.names for d in program.declarations] == [("sb_writers#4",), ("x",)]
    assert program.declarations[1].cls == "per_cpu_ptr(&lock, cpu)"
    assert [(s.op, s.lock, s.line_no) for s in program.steps] == [("lock", "sb_writers#4", 5)]


def test_instances_of_one_class_are_one_class():
    splat = run("mutex A1, A2 class A\nt: lock A1\nt: lock A2\n").splat
    assert splat.kind == "recursive"
    assert splat.acquiring.name == splat.holding.name == "A"


def test_separate_declarations_are_separate_classes():
    assert run("mutex A1\nmutex A2\nt: lock A1\nt: lock A2\n").text is None


def test_rwsem_read_and_write():
    # Two readers of one rwsem nest badly (a writer may queue between them).
    assert run("rwsem C\nt: read_lock C\nt: read_lock C\n").kind == "recursive"
    # write_lock is lock's kernel spelling; a read after the write was released is fine.
    assert run("rwsem C\nt: write_lock C\nt: unlock C\nt: read_lock C\n").text is None


def test_contexts_and_irq_disable():
    text = """\
spinlock D
task1 hardirq: lock D
task1 hardirq: unlock D
task1: lock D
"""
    result = run(text)
    assert result.kind == "inconsistent_state" and result.line == 4
    assert result.splat.usage_change == ("IN-HARDIRQ-W", "HARDIRQ-ON-W")
    quiet = text.replace("task1: lock D", "task1: irq_disable\ntask1: lock D\ntask1: unlock D\ntask1: irq_enable")
    assert run(quiet).text is None


def test_waits():
    srcu = "srcu S\nmutex M\nt1: srcu_read_lock S\nt1: lock M\nt1: unlock M\nt1: srcu_read_unlock S\n" \
           "t2: lock M\nt2: synchronize_srcu S\n"
    assert run(srcu).splat.cycle == ("M", "S")
    work = "mutex M\nwork W\nkworker/0:1: work_begin W\nkworker/0:1: lock M\nkworker/0:1: unlock M\n" \
           "kworker/0:1: work_end W\ntask2: lock M\ntask2: flush_work W\n"
    assert run(work).splat.cycle == ("M", "(work_completion)W")


def test_every_operation_has_a_handler_and_aliases_point_at_operations():
    from splatkit.sim.runner import Runner

    assert all(callable(getattr(Runner, f"op_{name}", None)) for name in OPERATIONS)
    assert set(ALIASES.values()) <= set(OPERATIONS)


@pytest.mark.parametrize("text, line, message, expected", [
    ("mutex", 1, "needs at least one name", "'mutex A'"),
    ("mutex A\nt1: lok A", 2, "unknown operation 'lok' (did you mean lock", "an operation such as lock"),
    ("mutex A\nt1: lock", 2, "'lock' needs a lock", "'t1: lock NAME'"),
    ("t1 irq: irq_disable", 1, "unknown context 'irq' (did you mean", "one of process, softirq"),
    ("mutex A\nt1: lock A nested x", 2, "bad nesting subclass 'x'", "from 0 to 7"),
    ("mutex A\nt1: lock A B", 2, "unexpected 'B'", "at most one lock"),
    ("frob A", 1, "neither a declaration nor a step", "a step such as 'task1: lock A'"),
    ("mutex A class", 1, "'class' needs a name", "class A"),
    ("task", 1, "needs a name", "'task NAME"),
    ("mutex A\nt1: lock A @ 3x", 2, "cannot read the functions after '@'", "'@ func'"),
    ("mutex A\nwork W on nowhere", 2, "unknown workqueue nowhere", "'workqueue nowhere' declared above"),
])
def test_a_line_that_cannot_be_read(text, line, message, expected):
    with pytest.raises(ProgramError) as caught:
        run(text, source="ex.txt")
    err = caught.value
    assert isinstance(err, ParseError) and isinstance(err, splatkit.SplatkitError)
    assert (err.source, err.line_no) == ("ex.txt", line)
    assert message in err.message and expected in (err.expected or "")
    assert str(err).startswith(f"ex.txt:{line}: ")


@pytest.mark.parametrize("text, line, message", [
    ("mutex A\nmutex B\nt1: lock C", 3, "unknown lock 'C'"),
    ("mutex Alpha\nt1: lock Alpah", 2, "(did you mean Alpha?)"),
    ("mutex A\nt1: read_lock A", 2, "'read_lock' does not apply to A, a mutex"),
    ("mutex A\nmutex A", 2, "A is declared twice"),
    ("mutex A1 class K\nspinlock B1 class K", 2, "class K is a mutex class (line 1), not a spinlock"),
    ("mutex A\nt1: irq_disable\nt1 hardirq: lock A", 3, "runs with hard irqs disabled here"),
    ("spinlock D\nt1 hardirq: lock D\nt1: unlock D", 3, "leaves hardirq context still holding D (taken on line 2)"),
    ("t1: bh_enable", 1, "bh_enable without a bh_disable"),
    ("t1 hardirq: irq_enable", 1, "enables interrupts inside a hardirq handler"),
    ("mutex A\nt1: exit\nt1: lock A", 3, "t1 exited on line 2"),
])
def test_a_line_that_cannot_run(text, line, message):
    with pytest.raises(ProgramError) as caught:
        run(text, source="ex.txt")
    assert caught.value.line_no == line and message in str(caught.value)
    assert str(caught.value).startswith(f"ex.txt:{line}: ")


def test_a_task_that_would_wait_gets_a_note():
    result = run("mutex A\nt1: lock A\nt2: lock A\n")
    assert result.text is None
    assert result.notes == ("line 3: t2 would wait for A, held by t1 (line 2); lockdep checks before waiting, "
                            "so the run goes on",)
