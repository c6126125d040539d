"""A teaching simulator of lockdep: write lock operations, get the report the kernel would print.

A small, faithful model of the validator in ``kernel/locking/lockdep.c``: lock classes
and instances of every type lockdep tells apart, tasks in process, softirq and hardirq
context, the dependency graph with read/write labels and the breadth-first search that
finds a chain, usage bits, wait-context levels, and the reports, each at the operation
that triggers it. The text comes out in a chosen era's format and reads back with
:func:`splatkit.parse`, so every splatkit view works on it.

The model agrees with the kernel's own lockdep self-test (``lib/locking-selftest.c``) on
every case of its default configuration: :mod:`splatkit.sim.selftest` runs them.

>>> import splatkit.sim
>>> result = splatkit.sim.run('''
... mutex A
... mutex B
... task1: lock A
... task1: lock B
... task1: unlock B
... task1: unlock A
... task2: lock B
... task2: lock A
... ''')
>>> result.kind, result.line, result.splat.cycle
('circular', 9, ('B', 'A'))
>>> print(result.text.splitlines()[1])
WARNING: possible circular locking dependency detected

Modules, in the order data flows: ``classes`` (lock types, classes, instances, wait
types), ``state`` (usage bits, held locks, tasks), ``graph`` (dependencies and the BFS),
``usage`` and ``validator`` (the checks), ``ww`` (acquire contexts), ``findings`` (what a
report is about), ``eras``, ``templates`` and ``report`` (the text), ``program``,
``runner`` and ``actions`` (the exercise format), ``ops``, ``selftest`` and ``table`` (the
self-test oracle), ``grading`` and ``workshop`` (the workshop's graded exercises).
"""

from .config import Config
from .eras import DEFAULT_ERA, ERAS, Era
from .findings import Finding
from .grading import NO_REPORT, REPORT_KINDS, Grade, Prediction, grade
from .program import OPERATIONS, Program, parse_program
from .selftest import Case, Outcome, cases_for, read_cases, run_case, run_cases
from .simulate import SimResult, run, simulate
from .table import render_table
from .workshop import GradedExercise, read_exercise, workshop_exercises, workshop_names

__all__ = [
    "DEFAULT_ERA",
    "ERAS",
    "NO_REPORT",
    "OPERATIONS",
    "REPORT_KINDS",
    "Case",
    "Config",
    "Era",
    "Finding",
    "Grade",
    "GradedExercise",
    "Outcome",
    "Prediction",
    "Program",
    "SimResult",
    "cases_for",
    "grade",
    "parse_program",
    "read_cases",
    "read_exercise",
    "render_table",
    "run",
    "run_case",
    "run_cases",
    "simulate",
    "workshop_exercises",
    "workshop_names",
]
