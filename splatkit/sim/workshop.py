"""The workshop's graded exercises: a program, the question it asks, and the teacher's answer.

A graded exercise is an exercise program (:mod:`splatkit.sim.program`) with a header of
``# key: value`` comment lines at the top; a value goes on over the next lines that start
with ``#`` and two blanks::

    # title: A-B-B-A
    # question: task1 takes A then B; later task2 takes B then A. What does lockdep report?
    # expect: circular
    # cycle: A, B
    # lesson: Nothing deadlocked, and lockdep still reports: it remembers A -> B.
    mutex A
    ...

``expect`` is the report kind the teacher expects (``none`` for no report; splatkit's kind
ids otherwise), ``cycle`` the locks of a circular report's cycle (the question then asks for
them), ``lesson`` what the learner reads after checking, ``era`` the kernel whose text the
report is printed in. The header is not part of the program the learner sees and edits:
:attr:`GradedExercise.program` starts below it, and line numbers count from there.

The bundled workshop (``data/workshop/*.txt``, in file-name order) is what
``notebooks/04-lockdep-workshop.ipynb`` and ``splatkit workshop`` use; a test runs every one
and checks that the simulator's verdict is the teacher's answer.

>>> ex = read_exercise("# title: ABBA\\n# expect: circular\\n# cycle: A, B\\nmutex A, B\\n"
...                    "t1: lock A\\nt1: lock B\\nt1: unlock B\\nt1: unlock A\\nt2: lock B\\nt2: lock A\\n")
>>> ex.title, ex.expect, ex.cycle, ex.program.splitlines()[0]
('ABBA', 'circular', ('A', 'B'), 'mutex A, B')
>>> ex.grade("circular", locks=["A", "B"]).correct
True
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import ProgramError
from ..samples import data_dir
from .grading import REPORT_KINDS, Grade, Prediction, grade

__all__ = ["HEADER_KEYS", "GradedExercise", "read_exercise", "workshop_exercises", "workshop_names"]

#: The header keys a graded exercise may have; ``title`` and ``expect`` are required.
HEADER_KEYS = ("title", "question", "expect", "cycle", "lesson", "era")

_HEADER = re.compile(r"^#\s*(?P<key>[a-z]+):\s*(?P<value>.*)$")
_CONTINUED = re.compile(r"^#\s{2,}(?P<value>\S.*)$")


@dataclass(frozen=True)
class GradedExercise:
    """One exercise of the workshop: what the learner sees, and the teacher's answer key."""

    name: str
    """Its file name without ``.txt`` (``03-abba``)."""
    title: str
    question: str
    program: str
    """The exercise program as the learner sees it (the header removed)."""
    expect: str | None
    """The report kind the teacher expects; None for no report."""
    cycle: tuple[str, ...] | None = None
    """For a circular report: the locks of the cycle the learner is asked to name."""
    lesson: str = ""
    era: str | None = None

    @property
    def asks_cycle(self) -> bool:
        """Whether the question asks which locks form the cycle, beside the report's kind."""
        return self.cycle is not None

    def grade(self, kind: str | None, locks: Iterable[str] | None = None, *,
              program: str | None = None) -> Grade:
        """Grade a prediction against the simulator's verdict on this exercise's program (or on
        ``program``, the learner's edited version). When the question asks for the cycle, a
        circular prediction without locks is incomplete, hence not correct."""
        prediction = Prediction.of(kind, locks)
        return grade(self.program if program is None else program, prediction, era=self.era,
                     require_cycle=self.asks_cycle, source="program")


def _header(lines: list[str], source: str) -> tuple[dict[str, str], int]:
    """The header's values and the number of lines it takes."""
    values: dict[str, str] = {}
    key = None
    n = 0
    for n, line in enumerate(lines):
        more = _CONTINUED.match(line)
        if key and more:
            values[key] += " " + more["value"].strip()
            continue
        m = _HEADER.match(line)
        if not m or m["key"] not in HEADER_KEYS:
            return values, n
        key = m["key"]
        if key in values:
            raise ProgramError(f"'{key}:' is given twice in the header", source=source, line_no=n + 1, line=line,
                               expected="one line per header key")
        values[key] = m["value"].strip()
    return values, len(lines)


def read_exercise(text: str, name: str = "<exercise>") -> GradedExercise:
    """Read a graded exercise: its header, then its program.

    Raises
    ------
    splatkit.errors.ProgramError
        When the header lacks ``title`` or ``expect``, or ``expect`` is not a report kind;
        ``cycle`` given for another kind than ``circular``.
    """
    source = f"{name}.txt" if not name.startswith("<") else name
    lines = text.splitlines()
    values, skip = _header(lines, source)
    for key in ("title", "expect"):
        if not values.get(key):
            raise ProgramError(f"the header has no '{key}:' line", source=source, line_no=1,
                               line=lines[0] if lines else None, expected=f"'# {key}: ...' at the top")
    expect = Prediction.of(values["expect"]).kind
    if expect is not None and expect not in REPORT_KINDS:  # (Prediction.of checked the spelling)
        raise ProgramError(f"unknown report kind {values['expect']!r}", source=source)
    cycle = None
    if "cycle" in values:
        if expect != "circular":
            raise ProgramError("'cycle:' is for a circular report", source=source,
                               expected="'# expect: circular' with '# cycle: A, B'")
        cycle = tuple(n.strip() for n in values["cycle"].split(",") if n.strip())
    program = "\n".join(lines[skip:]).lstrip("\n")
    return GradedExercise(name=name, title=values["title"], question=values.get("question", ""),
                          program=program + ("\n" if program and not program.endswith("\n") else ""),
                          expect=expect, cycle=cycle, lesson=values.get("lesson", ""), era=values.get("era"))


def _workshop_dir() -> Path:
    return data_dir("workshop")


def workshop_names() -> list[str]:
    """Names of the bundled workshop's exercises, in order.

    >>> workshop_names()[2]
    '03-abba'
    """
    return sorted(p.stem for p in _workshop_dir().glob("*.txt"))


def workshop_exercises() -> list[GradedExercise]:
    """The bundled workshop's exercises (``data/workshop/*.txt``), in order."""
    return [read_exercise((_workshop_dir() / f"{name}.txt").read_text(encoding="utf-8"), name)
            for name in workshop_names()]
