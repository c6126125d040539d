"""The workshop widgets driven from Python as a learner drives them: pick a prediction, click
*Check* (``button.click()``), read the feedback and the score. The answers come from each
exercise's key (the teacher's ``# expect:``), which tests/sim/test_grading.py checks against
the simulator."""

from __future__ import annotations

import html

import pytest

pytest.importorskip("anywidget")
ipywidgets = pytest.importorskip("ipywidgets")

import splatkit  # noqa: E402
from splatkit.sim import REPORT_KINDS, read_exercise, workshop_exercises  # noqa: E402
from splatkit.widgets import Exercise, Feedback, LockGraphWidget, Scoreboard, Workshop, workshop  # noqa: E402
from splatkit.widgets._workshop import CHOICES  # noqa: E402

#: A lock name that is HTML (the simulator's own maps are named "<...>", so it starts otherwise).
HOSTILE = "x</script><img src=x onerror=alert(1)>"


def _wrong(kind: str | None) -> str:
    """A kind that is not ``kind``."""
    return "recursive" if kind in (None, "circular") else "none"


@pytest.fixture
def ws() -> Workshop:
    return workshop()


def test_the_workshop_holds_every_exercise_and_a_scoreboard(ws):
    names = [ex.name for ex in workshop_exercises()]
    assert list(ws.exercises) == names and len(ws) == len(names) >= 8
    assert ws.children[0] is ws.scoreboard and list(ws.children[1:]) == list(ws.exercises.values())
    assert ws["abba"] is ws["03-abba"] is ws[2]
    with pytest.raises(KeyError, match="no exercise named 'abab'; the workshop has: 01-one-class"):
        ws["abab"]
    assert str(ws.scoreboard) == f"Score: 0/{len(names)} correct (0 answered)"
    assert [item["status"] for item in ws.scoreboard.items] == [""] * len(names)


def test_the_menu_offers_no_report_and_every_kind():
    values = [value for _, value in CHOICES]
    assert values == ["none", *REPORT_KINDS]
    assert dict(CHOICES)["possible circular locking dependency"] == "circular"


def test_checking_every_exercise_right_scores_all_of_them(ws):
    for n, view in enumerate(ws.exercises.values(), 1):
        ex = view.exercise
        assert view.prediction.value is None and view.feedback.status == ""
        view.predict(ex.expect, ex.cycle or ())
        view.check.click()
        assert view.feedback.status == "correct", view.feedback.headline
        assert view.feedback.headline.startswith("Correct: ")
        assert view.feedback.paragraphs[-1] == ex.lesson  # the teacher's lesson, after checking
        assert view.status == "correct" and ws.score == (n, len(ws))
    assert str(ws.scoreboard) == f"Score: {len(ws)}/{len(ws)} correct ({len(ws)} answered)"


def test_a_wrong_prediction_is_incorrect_and_the_first_answer_counts(ws):
    view = ws["abba"]
    view.predict("none")
    view.check.click()
    fb = view.feedback
    assert fb.status == "incorrect"
    assert fb.headline == ("Not quite: you predicted no report, but lockdep reports a possible circular locking "
                           "dependency.")
    assert fb.paragraphs[0].startswith("Line 9 (task2: lock A) triggers it: new dependency B -> A")
    titles = [s["title"] for s in fb.sections]
    assert titles == ["What the kernel printed", "The explanation, in full"]
    kernel = fb.sections[0]["text"]
    assert "WARNING: possible circular locking dependency detected" in kernel
    assert splatkit.parse(kernel)[0].cycle == view.grade.cycle
    assert ws.score == (0, len(ws)) and ws.scoreboard.items[2] == {"title": "A-B-B-A", "status": "incorrect"}
    # Trying again teaches, but does not change the score.
    view.predict("circular", ["A", "B"])
    view.check.click()
    assert view.feedback.status == "correct" and view.attempts == 2
    assert view.feedback.paragraphs[-1] == "Only your first answer counts toward the score."
    assert ws.score == (0, len(ws)) and view.first.correct is False


def test_a_cycle_question_asks_for_the_locks_before_it_grades(ws):
    view = ws["three-locks"]
    assert view.locks_row.layout.display == "none" and list(view.locks) == ["A", "B", "C"]
    view.check.click()
    assert view.feedback.status == "hint" and view.feedback.headline.startswith("First pick")
    view.predict("circular")
    assert view.locks_row.layout.display == "flex"
    view.check.click()
    assert view.feedback.status == "hint" and "which locks form the cycle" in view.feedback.headline
    assert view.grade is None and view.status == ""  # nothing graded, nothing revealed
    view.predict("circular", ["A", "B"])
    view.check.click()
    assert view.feedback.status == "incorrect" and "missing C" in view.feedback.headline
    assert ws.scoreboard.items[4]["status"] == "incorrect"
    with pytest.raises(KeyError, match="no lock toggle for D"):
        view.predict("circular", ["D"])


def test_a_circular_report_draws_its_lock_graph(ws):
    view = ws["seed-cycle"]
    assert view.graph is None and view.graph_box.children == ()
    view.predict("circular", ["kvm_lock", "&kvm->slots_lock", "&kvm->srcu", "cpu_hotplug_lock"])
    view.check.click()
    assert view.feedback.status == "correct"
    assert isinstance(view.graph, LockGraphWidget) and view.graph in view.graph_box.children
    cycle_nodes = {n["id"] for n in view.graph.nodes if n["cycle"]}
    assert cycle_nodes == {"kvm_lock", "&kvm->slots_lock", "&kvm->srcu", "cpu_hotplug_lock"}
    # No report: no graph (an empty drawing is never an answer).
    quiet = ws["seed-fixed"]
    quiet.predict(None)
    quiet.check.click()
    assert quiet.feedback.status == "correct" and quiet.graph is None and quiet.feedback.sections == []


def test_an_edited_program_is_graded_but_not_scored(ws):
    view = ws["same-order"]
    assert view.restore.disabled
    view.program.value = view.program.value.replace("task2: lock A\ntask2: lock B", "task2: lock B\ntask2: lock A")
    assert not view.restore.disabled and view.edited
    view.predict("circular")
    view.check.click()
    assert view.feedback.status == "correct" and view.grade.verdict == "circular"
    assert view.feedback.paragraphs[-1].startswith("You changed the program: this check is graded, but it does not")
    assert view.status == "" and ws.score == (0, len(ws))
    view.restore.click()
    assert view.program.value == view.exercise.program and view.restore.disabled
    view.predict(None)
    view.check.click()
    assert view.status == "correct" and ws.score == (1, len(ws))


def test_a_broken_program_says_which_line(ws):
    view = ws["abba"]
    view.program.value = view.program.value.replace("task2: lock A", "task2: lock C")
    view.predict("circular", ["A", "B"])
    view.check.click()
    assert view.feedback.status == "error"
    assert view.feedback.paragraphs[0].startswith("program:9: unknown lock 'C'")
    assert view.status == "" and view.graph is None


def test_hostile_names_reach_the_page_as_text_only():
    ex = read_exercise(f'# title: {HOSTILE}\n# question: Is {HOSTILE} safe?\n# expect: circular\n'
                       f'# cycle: "{HOSTILE}", B\nmutex "{HOSTILE}"\nmutex B\n'
                       f't1: lock "{HOSTILE}"\nt1: lock B\nt1: unlock B\nt1: unlock "{HOSTILE}"\n'
                       f't2: lock B\nt2: lock "{HOSTILE}"\n', "hostile")
    ws = Workshop([ex])
    view = ws[0]
    # The only HTML widget is the question, escaped.
    assert HOSTILE not in view.header.value and html.escape(HOSTILE) in view.header.value
    assert HOSTILE in view.locks  # a toggle button's label is text
    view.predict("circular", [HOSTILE, "B"])
    view.check.click()
    assert view.feedback.status == "correct"
    htmls = [w.value for w in _descendants(view) if isinstance(w, ipywidgets.HTML)]
    assert htmls == [view.header.value]
    assert HOSTILE in view.feedback.sections[0]["text"]  # plain data, drawn with textContent
    assert "innerHTML" not in Feedback._esm and "innerHTML" not in Scoreboard._esm
    assert ws.scoreboard.items == [{"title": HOSTILE, "status": "correct"}]


def _descendants(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _descendants(child)


def test_an_exercise_on_its_own():
    (ex,) = [e for e in workshop_exercises() if e.name.endswith("irq-inconsistent")]
    view = Exercise(ex, draw_graph=False)
    assert "<h3>A lock taken in hardirq context</h3>" in view.header.value
    assert view.locks == {} and not ex.asks_cycle
    view.predict("inconsistent_state")
    view.check.click()
    assert view.feedback.status == "correct" and view.graph is None
    assert repr(view) == "<Exercise 10-irq-inconsistent: 'A lock taken in hardirq context', correct>"
