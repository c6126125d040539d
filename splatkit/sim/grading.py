"""Grading a learner's prediction against what the simulator's lockdep reports.

The workshop asks "what will lockdep say about this program?" The learner predicts a
report kind (or no report) and, for a circular report, which locks form the cycle;
:func:`grade` runs the program (:func:`splatkit.sim.run`) and compares. The answer is
never typed in by a teacher: the simulator's verdict is the key, and the feedback says in
words what lockdep found, at which line, and why (the explanation's summary from
:func:`splatkit.analysis.explain.explain`, read off the parsed report).

Lock names in a prediction may be the program's instance names or the class names lockdep
prints (``slots_lock`` or ``&kvm->slots_lock``); both mean the class.

>>> abba = "mutex A\\nmutex B\\nt1: lock A\\nt1: lock B\\nt1: unlock B\\nt1: unlock A\\nt2: lock B\\nt2: lock A\\n"
>>> g = grade(abba, "no report")
>>> g.correct, g.verdict, g.cycle
(False, 'circular', ('B', 'A'))
>>> g.headline
'Not quite: you predicted no report, but lockdep reports a possible circular locking dependency.'
>>> grade(abba, Prediction("circular", frozenset({"A", "B"}))).correct
True
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..analysis.explain import explain, plain
from ..errors import ProgramError
from .config import Config
from .program import Program, parse_program
from .runner import Runner
from .simulate import SimResult, simulate

__all__ = ["NO_REPORT", "REPORT_KINDS", "Grade", "Prediction", "class_names", "grade", "lock_classes"]

#: How a prediction of no report is spelled where a string is needed (widgets, files).
NO_REPORT = "none"

#: Every report the simulator makes, by splatkit's kind id, in words after lockdep's banner.
REPORT_KINDS: dict[str, str] = {
    "circular": "a possible circular locking dependency",
    "recursive": "possible recursive locking",
    "inconsistent_state": "an inconsistent lock state",
    "irq_inversion": "a possible irq lock inversion dependency",
    "irq_safe_unsafe": "an irq-safe -> irq-unsafe lock order",
    "invalid_wait": "an invalid wait context",
    "bad_unlock": "a bad unlock balance",
    "held_lock_freed": "a held lock freed",
    "still_held": "locks still held at task exit",
    "held_on_return": "a lock held when returning to user space",
    "nested_not_taken": "a nested lock that was not taken",
    "suspicious_rcu": "suspicious RCU usage",
    "debug_locks_warn": "a DEBUG_LOCKS_WARN_ON warning",
}

_NO_REPORT_WORDS = {None, "", NO_REPORT, "no report", "no_report", "silent"}


def _what(kind: str | None) -> str:
    return "no report" if kind is None else REPORT_KINDS.get(kind, kind)


@dataclass(frozen=True)
class Prediction:
    """What the learner expects: a report kind (None: no report) and, optionally, the cycle's locks."""

    kind: str | None
    locks: frozenset[str] | None = None
    """The locks the learner says form the cycle (instance or class names); None: not said."""

    @classmethod
    def of(cls, kind: Prediction | str | None, locks: Iterable[str] | None = None) -> Prediction:
        """A prediction from a kind id (``"circular"``), ``"none"``/``"no report"``/None, or a
        Prediction; ``locks`` empty means not said.

        >>> Prediction.of("no report"), Prediction.of("circular", ["A", "B"]).locks == {"A", "B"}
        (Prediction(kind=None, locks=None), True)
        """
        if isinstance(kind, Prediction):
            return kind if locks is None else cls(kind.kind, frozenset(locks) or None)
        word = kind.strip().lower() if isinstance(kind, str) else kind
        if word in _NO_REPORT_WORDS:
            word = None
        elif word not in REPORT_KINDS:
            raise ValueError(f"unknown report kind {kind!r}; use {NO_REPORT!r} or one of: {', '.join(REPORT_KINDS)}")
        return cls(word, frozenset(locks) if locks else None)

    def __str__(self) -> str:
        text = _what(self.kind)
        if self.locks:
            text += f" between {', '.join(sorted(self.locks))}"
        return text


@dataclass(frozen=True)
class Grade:
    """The outcome of one check: right or wrong, what lockdep said, and why, in words."""

    prediction: Prediction
    correct: bool
    verdict: str | None
    """The kind the simulator reported (None: no report, or the program did not run)."""
    headline: str
    """One sentence: right or not, and what lockdep reports."""
    explanation: tuple[str, ...] = ()
    """Paragraphs: the line that triggered the report, what it means, the cycle, notes."""
    cycle: tuple[str, ...] = ()
    """The reported cycle's lock classes, as the parsed report gives them (circular only)."""
    result: SimResult | None = field(default=None, repr=False, compare=False)
    error: str | None = None
    """Why the program could not run (``exercise.txt:LINE: message``); None when it ran."""

    @property
    def kernel_text(self) -> str | None:
        """What the kernel printed (None: no report, or the program did not run)."""
        return self.result.text if self.result else None

    @property
    def explanation_text(self) -> str:
        return "\n\n".join(self.explanation)

    def __str__(self) -> str:
        return "\n\n".join((self.headline, *self.explanation))


def lock_classes(program: Program | str) -> dict[str, str]:
    """Each lock the program declares, by name, with the class lockdep prints for it.

    >>> lock_classes("mutex A1, A2 class A\\nmutex slots class &kvm->slots_lock")
    {'A1': 'A', 'A2': 'A', 'slots': '&kvm->slots_lock'}
    """
    if isinstance(program, str):
        program = parse_program(program)
    runner = Runner(program, Config())
    declared = [name for decl in program.declarations if decl.type != "task" for name in decl.names]
    return {name: runner.instances[name].cls.name for name in declared}


def class_names(program: Program | str) -> tuple[str, ...]:
    """The program's lock classes, once each, in the order they are declared."""
    return tuple(dict.fromkeys(lock_classes(program).values()))


def _cycle(result: SimResult) -> tuple[str, ...]:
    if result.kind != "circular":
        return ()
    if result.splat is not None and result.splat.cycle:
        return tuple(result.splat.cycle)
    return tuple(cls.name for cls, _ in reversed(result.finding.chain))


def _arrows(cycle: tuple[str, ...]) -> str:
    return " \u2192 ".join((*cycle, cycle[0]))


def _paragraphs(result: SimResult, cycle: tuple[str, ...]) -> list[str]:
    """What lockdep found, where, and what it means; or that it found nothing."""
    if result.finding is None:
        steps = len(result.program.steps)
        out = [f"Lockdep checked all {steps} steps and found nothing to report."]
    else:
        step = result.program.lines[result.line - 1].strip()
        out = [f"Line {result.line} ({step}) triggers it: {result.finding.detail}."]
        if result.splat is not None:
            out.append(plain(explain(result.splat).summary))
        if cycle:
            out.append(f"The cycle: {_arrows(cycle)}.")
    return out + [note[0].upper() + note[1:] + "." for note in result.notes]


def grade(program: str, prediction: Prediction | str | None, *, era: str | None = None,
          config: Config | None = None, require_cycle: bool = False, source: str = "<exercise>") -> Grade:
    """Run ``program`` and grade ``prediction`` against the report lockdep makes.

    A prediction is right when its kind is the simulator's verdict and, for a circular
    report, the locks it names (if any) are the cycle's lock classes, in any order.
    ``require_cycle``: a circular prediction must name the locks to be right.

    A program that cannot run is not graded: the Grade is not correct, ``error`` says which
    line is wrong and what was expected there.
    """
    prediction = Prediction.of(prediction)
    try:
        result = simulate(parse_program(program, source=source), era=era, config=config)
    except ProgramError as err:
        return Grade(prediction, False, None, "The program does not run as written; fix it and check again.",
                     (str(err),), error=str(err))
    verdict, cycle = result.kind, _cycle(result)
    explanation = _paragraphs(result, cycle)
    reports = "lockdep stays silent" if verdict is None else f"lockdep reports {_what(verdict)}"
    if prediction.kind != verdict:
        headline = f"Not quite: you predicted {_what(prediction.kind)}, but {reports}."
        return Grade(prediction, False, verdict, headline, tuple(explanation), cycle, result)
    named = None
    if prediction.locks is not None and cycle:
        classes = lock_classes(result.program)
        named = frozenset(classes.get(name, name) for name in prediction.locks)
    if cycle and named is None and require_cycle:
        headline = f"Half right: {reports}; now also pick the locks that form the cycle."
        return Grade(prediction, False, verdict, headline, tuple(e for e in explanation if not e.startswith("The cycle")),
                     cycle, result)
    if cycle and named is not None and named != set(cycle):
        missing, extra = set(cycle) - named, named - set(cycle)
        parts = ([f"missing {', '.join(sorted(missing))}"] if missing else []) + (
            [f"not in it: {', '.join(sorted(extra))}"] if extra else [])
        headline = f"Half right: {reports}, but the cycle's locks are not the ones you picked ({'; '.join(parts)})."
        return Grade(prediction, False, verdict, headline, tuple(explanation), cycle, result)
    return Grade(prediction, True, verdict, f"Correct: {reports}.", tuple(explanation), cycle, result)
