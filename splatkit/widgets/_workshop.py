"""The lockdep workshop in the notebook: exercises to predict and check, and a scoreboard.

Each :class:`Exercise` shows a graded exercise (:class:`splatkit.sim.GradedExercise`): its
question, its program in an editable text area, a prediction (which report lockdep makes,
and for a circular one which locks form the cycle) and a *Check* button. Checking runs the
program in the simulator and grades the prediction (:meth:`GradedExercise.grade`); the
feedback says whether it was right, what lockdep reported at which line and why, the
kernel's text, the full explanation, and draws the lock graph of the report.

:class:`Workshop` holds the exercises of ``data/workshop/`` and a :class:`Scoreboard`; the
first check of each exercise's own program counts toward the score (an edited program is
exploration and is graded, but not scored).

Strings from the program (lock, task, function names) reach the page as text only: the
feedback and the scoreboard are drawn with ``textContent`` (``static/workshop.js``), lock
names are button labels, and the one ipywidgets.HTML (the question) is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from importlib import resources

import anywidget
import ipywidgets
import traitlets

from ..errors import ProgramError
from ..graph import LockGraph
from ..render.explain import explain_text
from ..render.viewmodel import graph_view
from ..sim.grading import NO_REPORT, REPORT_KINDS, Grade, class_names
from ..sim.workshop import GradedExercise, workshop_exercises
from ._graph import LockGraphWidget

__all__ = ["Exercise", "Feedback", "Scoreboard", "Workshop", "workshop"]


def _label(words: str) -> str:
    """``a possible circular locking dependency`` -> ``possible circular locking dependency``
    (lower case, as lockdep's banners are)."""
    first, _, rest = words.partition(" ")
    return rest if first in ("a", "an") else words


#: The prediction menu: no report, then every report kind the simulator makes.
CHOICES: tuple[tuple[str, str], ...] = (("no report (lockdep stays silent)", NO_REPORT),) + tuple(
    (_label(words), kind) for kind, words in REPORT_KINDS.items())


_STATIC = resources.files("splatkit.widgets").joinpath("static")
_JS = _STATIC.joinpath("workshop.js").read_text(encoding="utf-8")
_CSS = _STATIC.joinpath("workshop.css").read_text(encoding="utf-8")


class Feedback(anywidget.AnyWidget):
    """What a check says: a status, a headline, paragraphs, and collapsible sections.

    ``status`` is ``""`` (nothing to say yet), ``correct``, ``incorrect``, ``error`` (the
    program does not run) or ``hint`` (the prediction is incomplete); the page shows it as
    the colour of the box (``data-status``). ``sections`` are ``{"title", "text", "open",
    "pre"}`` dicts (``pre``: monospace, as the kernel printed it).
    """

    _esm = _JS + "\nexport default splatkitWorkshop.feedback;\n"
    _css = _CSS
    status = traitlets.Unicode("").tag(sync=True)
    headline = traitlets.Unicode("").tag(sync=True)
    paragraphs = traitlets.List(traitlets.Unicode()).tag(sync=True)
    sections = traitlets.List(traitlets.Dict()).tag(sync=True)

    def say(self, status: str, headline: str, paragraphs: Iterable[str] = (),
            sections: Iterable[dict] = ()) -> None:
        """Show all of it at once (one message to the page)."""
        with self.hold_sync():
            self.status, self.headline = status, headline
            self.paragraphs, self.sections = list(paragraphs), list(sections)


class Scoreboard(anywidget.AnyWidget):
    """``Score: n/m correct``, how many exercises are answered, and a mark per exercise.

    ``items`` are ``{"title", "status"}`` dicts, ``status`` ``""`` (not answered yet),
    ``correct`` or ``incorrect`` (the first answer).
    """

    _esm = _JS + "\nexport default splatkitWorkshop.scoreboard;\n"
    _css = _CSS
    items = traitlets.List(traitlets.Dict()).tag(sync=True)

    @property
    def correct(self) -> int:
        return sum(item["status"] == "correct" for item in self.items)

    @property
    def answered(self) -> int:
        return sum(bool(item["status"]) for item in self.items)

    @property
    def total(self) -> int:
        return len(self.items)

    def __str__(self) -> str:
        return f"Score: {self.correct}/{self.total} correct ({self.answered} answered)"

    def __repr__(self) -> str:
        return f"<Scoreboard: {self}>"


class Exercise(ipywidgets.VBox):
    """One graded exercise: the question, the program, a prediction, *Check*, the feedback.

    Attributes
    ----------
    exercise : GradedExercise
        The exercise and its answer key (never shown).
    program : ipywidgets.Textarea
        The program, which the learner may edit (*Restore* brings the original back).
    prediction : ipywidgets.Dropdown
        The report kind the learner expects (``"none"``: no report); starts unset.
    locks : dict of str to ipywidgets.ToggleButton
        For a question that asks for the cycle: one toggle per lock class of the program,
        shown when the prediction is a circular report.
    check, restore : ipywidgets.Button
    feedback : Feedback
    graph : LockGraphWidget or None
        The lock graph of the last report, drawn below the feedback (None before one).
    grade : Grade or None
        The last check's grade; ``first`` the first check of the unedited program, which scores.
    status : str (trait)
        ``""``, ``correct`` or ``incorrect``: the first answer's; a :class:`Workshop` observes it.
    """

    status = traitlets.Unicode("")

    def __init__(self, exercise: GradedExercise, *, number: int | None = None, draw_graph: bool = True) -> None:
        super().__init__()
        self.exercise = exercise
        self.draw_graph = draw_graph
        self.grade: Grade | None = None
        self.first: Grade | None = None
        self.attempts = 0
        title = f"Exercise {number}: {exercise.title}" if number is not None else exercise.title
        question = f"<p>{html.escape(exercise.question)}</p>" if exercise.question else ""
        self.header = ipywidgets.HTML(f"<h3>{html.escape(title)}</h3>{question}")
        self.header.add_class("splatkit-exercise-header")
        rows = min(max(exercise.program.count("\n") + 1, 4), 30)
        self.program = ipywidgets.Textarea(exercise.program, rows=rows, continuous_update=False,
                                           layout=ipywidgets.Layout(width="100%"))
        self.program.add_class("splatkit-program")
        self.prediction = ipywidgets.Dropdown(options=CHOICES, value=None, description="lockdep reports:",
                                              style={"description_width": "initial"},
                                              layout=ipywidgets.Layout(width="auto", min_width="360px"))
        self.check = ipywidgets.Button(description="Check", button_style="primary", icon="check",
                                       tooltip="run the program in the simulator and compare")
        self.restore = ipywidgets.Button(description="Restore the program", icon="undo", disabled=True,
                                         layout=ipywidgets.Layout(width="auto"))
        self.locks: dict[str, ipywidgets.ToggleButton] = {}
        self.locks_row = ipywidgets.HBox(layout=ipywidgets.Layout(display="none"))
        self.locks_row.add_class("splatkit-locks")
        self.feedback = Feedback()
        self.graph: LockGraphWidget | None = None
        self.graph_box = ipywidgets.VBox()
        self._set_locks(exercise.program)
        self.check.on_click(lambda _: self.run_check())
        self.restore.on_click(lambda _: setattr(self.program, "value", exercise.program))
        self.program.observe(self._on_program, names="value")
        self.prediction.observe(lambda _: self._show_locks(), names="value")
        controls = ipywidgets.HBox([self.prediction, self.check, self.restore])
        controls.add_class("splatkit-controls")
        self.children = [self.header, self.program, controls, self.locks_row, self.feedback, self.graph_box]
        self.add_class("splatkit-exercise")

    # -- the prediction -----------------------------------------------------------------

    def _set_locks(self, program: str) -> None:
        """One toggle per lock class of ``program`` (kept when the name stays)."""
        if not self.exercise.asks_cycle:
            return
        try:
            names = class_names(program)
        except ProgramError:
            return  # (the check will say what is wrong with it)
        self.locks = {name: self.locks.get(name) or ipywidgets.ToggleButton(description=name, tooltip=name)
                      for name in names}
        label = ipywidgets.Label("Which locks form the cycle?")
        self.locks_row.children = [label, *self.locks.values()]

    def _show_locks(self) -> None:
        shown = self.exercise.asks_cycle and self.prediction.value == "circular"
        self.locks_row.layout.display = "flex" if shown else "none"

    def _on_program(self, change: traitlets.Bunch) -> None:
        self.restore.disabled = change["new"] == self.exercise.program
        self._set_locks(change["new"])

    def predict(self, kind: str | None, locks: Iterable[str] = ()) -> None:
        """Set the prediction as the learner would: the menu, and the lock toggles."""
        self.prediction.value = NO_REPORT if kind is None else kind
        wanted = set(locks)
        unknown = wanted - set(self.locks)
        if unknown:
            raise KeyError(f"no lock toggle for {', '.join(sorted(unknown))}; the program's classes are: "
                           f"{', '.join(self.locks) or '(this question does not ask for the cycle)'}")
        for name, button in self.locks.items():
            button.value = name in wanted

    def __repr__(self) -> str:
        return f"<Exercise {self.exercise.name}: {self.exercise.title!r}, {self.status or 'not answered'}>"

    @property
    def edited(self) -> bool:
        return self.program.value != self.exercise.program

    # -- checking -------------------------------------------------------------------------

    def run_check(self) -> Grade | None:
        """What *Check* does: grade the prediction and show the feedback (None: nothing to grade yet)."""
        kind = self.prediction.value
        locks = [name for name, button in self.locks.items() if button.value]
        if kind is None:
            self.feedback.say("hint", "First pick what you expect lockdep to report.")
            return None
        if self.exercise.asks_cycle and kind == "circular" and not locks:
            self.feedback.say("hint", "The question also asks which locks form the cycle: pick them, then check.")
            return None
        grade = self.exercise.grade(kind, locks, program=self.program.value)
        self.grade = grade
        self.attempts += 1
        scored = self.first is None and not self.edited and grade.error is None
        if scored:
            self.first = grade
        self._show(grade, scored)
        if scored:
            self.status = "correct" if grade.correct else "incorrect"
        return grade

    def _show(self, grade: Grade, scored: bool) -> None:
        paragraphs = list(grade.explanation)
        if grade.error is None and not self.edited and self.exercise.lesson:
            paragraphs.append(self.exercise.lesson)
        if self.edited:
            paragraphs.append("You changed the program: this check is graded, but it does not count toward the "
                              "score. 'Restore the program' brings the exercise back.")
        elif not scored and grade.error is None:
            paragraphs.append("Only your first answer counts toward the score.")
        sections = []
        result = grade.result
        if result is not None and result.text:
            sections.append({"title": "What the kernel printed", "text": result.text, "open": False, "pre": True})
            if result.splat is not None:
                sections.append({"title": "The explanation, in full", "text": explain_text(result.splat, trimmed=False),
                                 "open": False, "pre": True})
        status = "error" if grade.error else "correct" if grade.correct else "incorrect"
        self.feedback.say(status, grade.headline, paragraphs, sections)
        self._draw(result.splat if result is not None and grade.error is None else None)

    def _draw(self, splat) -> None:
        """The report's lock graph below the feedback (nothing for no report, or no dependencies)."""
        if not self.draw_graph or splat is None or not splat.cycle:
            self.graph = None
            self.graph_box.children = []
            return
        view = graph_view(LockGraph.from_splats([splat]), cycle=splat.cycle)
        self.graph = LockGraphWidget.from_view(view, height="320px")
        caption = ipywidgets.Label("The lock graph of this report (each arrow: a lock taken while the one at its "
                                   "tail was held):")
        self.graph_box.children = [caption, self.graph]


class Workshop(ipywidgets.VBox):
    """The workshop: a scoreboard above the exercises, each also displayable on its own.

    ``workshop["abba"]`` (or ``workshop["03-abba"]``, or ``workshop[2]``) is one exercise's
    :class:`Exercise`, to show in its section of a notebook; ``workshop.scoreboard`` keeps
    the score of all of them, wherever they are shown.
    """

    def __init__(self, exercises: Sequence[GradedExercise] | None = None, *, draw_graph: bool = True) -> None:
        super().__init__()
        graded = list(workshop_exercises() if exercises is None else exercises)
        if not graded:
            raise ValueError("a workshop needs at least one exercise")
        self.exercises: dict[str, Exercise] = {}
        for number, exercise in enumerate(graded, 1):
            view = Exercise(exercise, number=number, draw_graph=draw_graph)
            view.observe(self._update, names="status")
            self.exercises[exercise.name] = view
        self.scoreboard = Scoreboard()
        self._update()
        self.children = [self.scoreboard, *self.exercises.values()]

    def _update(self, _change: object = None) -> None:
        self.scoreboard.items = [{"title": view.exercise.title, "status": view.status}
                                 for view in self.exercises.values()]

    def __getitem__(self, key: str | int) -> Exercise:
        if isinstance(key, int):
            return list(self.exercises.values())[key]
        if key in self.exercises:
            return self.exercises[key]
        found = [view for name, view in self.exercises.items() if name.split("-", 1)[-1] == key]
        if len(found) != 1:
            raise KeyError(f"no exercise named {key!r}; the workshop has: {', '.join(self.exercises)}")
        return found[0]

    def __len__(self) -> int:
        return len(self.exercises)

    def __repr__(self) -> str:
        return f"<Workshop of {len(self)} exercises; {self.scoreboard}>"

    @property
    def score(self) -> tuple[int, int]:
        """(correct first answers, exercises)."""
        return self.scoreboard.correct, self.scoreboard.total


def workshop(exercises: Sequence[GradedExercise] | None = None) -> Workshop:
    """The lockdep workshop: the bundled exercises (``data/workshop/``), or ``exercises``."""
    return Workshop(exercises)
