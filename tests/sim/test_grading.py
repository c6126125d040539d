"""Grading predictions against the simulator, and the workshop's exercises with their answer keys.

The keys are never taken from the simulator itself: a bundled exercise's key is what its
teacher wrote (``# expect:``, ``# cycle:``), a corpus program's key is the real report it
rebuilds (parsed from ../shared or the bundled seed), and a generated program's key comes from
networkx (is the graph of its lock orders acyclic?) or from the ring of locks it was built as.
"""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import splatkit
from conftest import program_reports, real_report
from splatkit.errors import ProgramError
from splatkit.samples import program_text, sample_text
from splatkit.sim import (NO_REPORT, REPORT_KINDS, Prediction, grade, read_exercise, workshop_exercises,
                          workshop_names)
from splatkit.sim.grading import class_names, lock_classes

EXERCISES = workshop_exercises()
ABBA = "mutex A\nmutex B\nt1: lock A\nt1: lock B\nt1: unlock B\nt1: unlock A\nt2: lock B\nt2: lock A\n"


# -- the bundled workshop ------------------------------------------------------------------


def test_the_workshop_has_the_sections_of_the_issue():
    assert len(EXERCISES) >= 8
    kinds = {ex.expect for ex in EXERCISES}
    assert {None, "circular", "recursive", "inconsistent_state", "irq_safe_unsafe", "invalid_wait"} <= kinds
    assert [ex.name for ex in EXERCISES] == workshop_names() == sorted(workshop_names())
    for ex in EXERCISES:
        assert ex.title and ex.question.endswith("?") and ex.lesson, ex.name
        assert not ex.program.startswith(("# title", "# question", "# expect")), ex.name
        assert "expect" not in ex.program and "lesson:" not in ex.program, f"{ex.name}: the key shows"


@pytest.mark.parametrize("exercise", EXERCISES, ids=[ex.name for ex in EXERCISES])
def test_the_teachers_answer_is_what_the_simulator_reports(exercise):
    right = exercise.grade(exercise.expect, exercise.cycle)
    assert right.correct, str(right)
    assert right.verdict == exercise.expect and right.error is None
    assert right.headline.startswith("Correct: ")
    if exercise.asks_cycle:
        assert set(right.cycle) == set(lock_classes(exercise.program).get(n, n) for n in exercise.cycle)
        assert f"The cycle: {right.cycle[0]} \u2192" in right.explanation_text
    # Every other kind is wrong, and the feedback names both.
    for kind in [None, *REPORT_KINDS]:
        if kind == exercise.expect:
            continue
        wrong = exercise.grade(kind, exercise.cycle if kind == "circular" else None)
        assert not wrong.correct and wrong.verdict == exercise.expect
        assert wrong.headline.startswith("Not quite: you predicted ")
        said = "no report" if kind is None else REPORT_KINDS[kind]
        assert f"you predicted {said}, but lockdep " in wrong.headline


def test_a_report_says_where_and_why_and_a_silence_says_so():
    for ex in EXERCISES:
        g = ex.grade(ex.expect, ex.cycle)
        if ex.expect is None:
            assert g.kernel_text is None and g.explanation[0].startswith("Lockdep checked all ")
            continue
        line = g.result.line
        step = ex.program.splitlines()[line - 1].strip()
        assert g.explanation[0].startswith(f"Line {line} ({step}) triggers it: ")
        assert g.kernel_text and splatkit.parse(g.kernel_text)[0].kind == ex.expect
        # The explanation's summary, as splatkit.explain words it for the parsed report.
        summary = splatkit.explain(g.result.splat, width=10_000).split("\n\n")[1]
        assert g.explanation[1] == summary


def test_the_seed_exercise_rebuilds_the_seeds_cycle():
    (seed,) = splatkit.parse(sample_text())
    (ex,) = [ex for ex in EXERCISES if ex.name.endswith("seed-cycle")]
    g = ex.grade("circular", ex.cycle)
    assert g.correct and set(g.cycle) == set(seed.cycle) and len(seed.cycle) == 4
    # ...and the exercises before and after it: the paths without the last step, and the fix.
    before, after = (e for e in EXERCISES if e.name.endswith(("seed-three-paths", "seed-fixed")))
    assert before.grade(None).correct and after.grade(None).correct
    assert "kvm_usage_lock" in after.program and "kvm_usage_lock" not in ex.program


def test_a_cycle_question_wants_the_locks():
    (ex,) = [ex for ex in EXERCISES if ex.name.endswith("three-locks")]
    assert ex.asks_cycle
    half = ex.grade("circular")
    assert not half.correct and half.headline.startswith("Half right: ")
    assert not any(p.startswith("The cycle") for p in half.explanation)  # not given away
    partial = ex.grade("circular", ["A", "B"])
    assert not partial.correct and "missing C" in partial.headline
    extra = ex.grade("circular", ["A", "B", "C", "D"])
    assert not extra.correct and "not in it: D" in extra.headline
    assert ex.grade("circular", ["C", "B", "A"]).correct  # any order


# -- real programs: the report each one rebuilds is the key ---------------------------------


PAIRS = program_reports()


@pytest.mark.parametrize("name,source,report", PAIRS[::3] + [p for p in PAIRS if p[1] == "sample"],
                         ids=lambda v: str(v))
def test_predicting_the_real_report_is_right(name, source, report):
    real = real_report(source, report)
    text = program_text(name)
    era = next((line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("# era:")), None)
    locks = real.cycle if real.kind == "circular" else None
    right = grade(text, Prediction.of(real.kind, locks), era=era, require_cycle=bool(locks))
    assert right.correct, str(right)
    assert not grade(text, NO_REPORT, era=era).correct


def test_instance_names_mean_their_class():
    text = program_text("kvm-cpuhp-2024")
    classes = lock_classes(text)
    assert classes["slots_lock"] == "&kvm->slots_lock" and classes["kvm_srcu"] == "&kvm->srcu"
    assert class_names(text)[:4] == ("kvm_lock", "&kvm->slots_lock", "&kvm->srcu", "cpu_hotplug_lock")
    by_instance = ["kvm_lock", "slots_lock", "kvm_srcu", "cpu_hotplug_lock"]
    by_class = ["kvm_lock", "&kvm->slots_lock", "&kvm->srcu", "cpu_hotplug_lock"]
    assert grade(text, Prediction.of("circular", by_instance), era="6.9").correct
    assert grade(text, Prediction.of("circular", by_class), era="6.9").correct
    assert lock_classes("mutex A1, A2 class A") == {"A1": "A", "A2": "A"}


# -- generated programs ----------------------------------------------------------------------


@st.composite
def rings(draw):
    """A ring of 2-5 locks, each dependency taken by its own task, the tasks in any order, and
    other tasks that take locks in the ring's order without closing it."""
    names = [f"L{i}" for i in range(6)]
    ring = draw(st.lists(st.sampled_from(names), min_size=2, max_size=5, unique=True))
    pairs = [(ring[i], ring[(i + 1) % len(ring)]) for i in range(len(ring))]
    order = draw(st.permutations(range(len(pairs))))
    return names, ring, [pairs[i] for i in order]


@given(rings(), st.randoms(use_true_random=False))
@settings(max_examples=40, deadline=None, derandomize=True, database=None)
def test_generated_rings_are_graded_by_networkx(example, rnd):
    names, ring, pairs = example
    lines = [f"mutex {', '.join(names)}"]
    for k, (a, b) in enumerate(pairs):
        lines += [f"t{k}: lock {a}", f"t{k}: lock {b}", f"t{k}: unlock {b}", f"t{k}: unlock {a}"]
    whole, first = "\n".join(lines) + "\n", "\n".join(lines[:-4]) + "\n"
    # networkx, not the simulator, says which prefix has a cycle.
    assert not nx.is_directed_acyclic_graph(nx.DiGraph(pairs))
    assert nx.is_directed_acyclic_graph(nx.DiGraph(pairs[:-1]))
    assert grade(whole, Prediction.of("circular", ring)).correct
    assert grade(first, NO_REPORT).correct and not grade(first, "circular").correct
    missing = rnd.choice(ring)
    fewer = grade(whole, Prediction.of("circular", [n for n in ring if n != missing]))
    assert not fewer.correct and f"missing {missing}" in fewer.headline
    assert not grade(whole, NO_REPORT).correct


# -- bad input ----------------------------------------------------------------------------------


def test_a_program_that_does_not_run_is_not_graded_and_says_where():
    g = grade("mutex A\nt1: lock A\nt1: lock B\n", "recursive", source="program")
    assert not g.correct and g.verdict is None and g.result is None
    assert g.error.startswith("program:3: unknown lock 'B'") and g.explanation == (g.error,)


def test_unknown_kinds_are_refused_with_the_choices():
    with pytest.raises(ValueError, match="unknown report kind 'deadlock'; use 'none' or one of: circular"):
        Prediction.of("deadlock")
    for spelling in (None, "", "none", "No report", "no_report"):
        assert Prediction.of(spelling).kind is None


def test_exercise_headers_are_checked():
    with pytest.raises(ProgramError, match=r"x\.txt:1: the header has no 'expect:' line"):
        read_exercise("# title: T\nmutex A\n", "x")
    with pytest.raises(ProgramError, match="'cycle:' is for a circular report"):
        read_exercise("# title: T\n# expect: recursive\n# cycle: A, B\nmutex A\n", "x")
    with pytest.raises(ValueError, match="unknown report kind 'cyclic'"):
        read_exercise("# title: T\n# expect: cyclic\nmutex A\n", "x")
    with pytest.raises(ProgramError, match=r"x\.txt:3: 'title:' is given twice"):
        read_exercise("# title: T\n# expect: none\n# title: U\nmutex A\n", "x")
    ex = read_exercise("# title: T\n# question: one\n#   two\n# expect: none\n\nmutex A\n# a comment\n", "x")
    assert ex.question == "one two" and ex.program == "mutex A\n# a comment\n"


def test_the_abba_example_of_the_issue():
    g = grade(ABBA, "circular")
    assert g.correct and set(g.cycle) == {"A", "B"} and g.result.line == 8
