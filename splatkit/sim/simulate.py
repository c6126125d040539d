"""Run an exercise and read back what lockdep printed.

:func:`run` parses an exercise (:mod:`splatkit.sim.program`), runs it on a fresh
lockdep (:mod:`splatkit.sim.runner`), prints the first report in the chosen era
(:mod:`splatkit.sim.report`) and parses that text with :func:`splatkit.parse`, so that
every view splatkit has (``explain_text``, the HTML report, ``LockGraph``) works on it.

>>> text, splat = run("mutex A\\nmutex B\\nt1: lock A\\nt1: lock B\\nt1: unlock B\\nt1: unlock A\\n"
...                   "t2: lock B\\nt2: lock A")
>>> splat.kind, splat.cycle
('circular', ('B', 'A'))
>>> run("mutex A\\nt1: lock A\\nt1: unlock A").text is None
True
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterator

from ..model import Splat
from ..parse import parse
from .config import Config
from .eras import Era, era as era_named
from .findings import Finding
from .program import Program, Step, parse_program
from .report import render
from .runner import Runner

__all__ = ["SimResult", "run", "simulate"]


@dataclass
class SimResult:
    """What a run gave: the first report (its text, parsed), or none.

    Unpacks as ``text, splat``.
    """

    program: Program
    era: Era
    config: Config
    finding: Finding | None = None
    """The report as the simulator found it (locks, path, usage bits)."""
    step: Step | None = None
    """The step whose operation triggered it."""
    text: str | None = None
    """The kernel's text for it, in ``era``; None when lockdep stayed silent."""
    splat: Splat | None = None
    """``text`` read back by :func:`splatkit.parse` (None for a report splatkit does not read as
    lockdep's: the ww_mutex checks print a plain WARN)."""
    notes: tuple[str, ...] = field(default=())
    """What else happened that a learner may want to know (a task that would have waited)."""

    def __iter__(self) -> Iterator[str | Splat | None]:
        return iter((self.text, self.splat))

    @property
    def kind(self) -> str | None:
        """The report's kind (splatkit's kind ids), None without one."""
        return self.finding.kind if self.finding else None

    @property
    def line(self) -> int | None:
        """The exercise line that triggered the report."""
        return self.step.line_no if self.step else None

    def summary(self) -> str:
        """One line: what lockdep reported, where, about what; or that it stayed silent."""
        if self.finding is None:
            return "no report"
        return f"{self.program.source}:{self.line}: {self.kind}: {self.finding.detail}"


def simulate(program: Program, *, era: str | Era | None = None, config: Config | None = None) -> SimResult:
    """Run a parsed exercise. The era decides the text and whether the wait-context check
    exists (5.7+); ``config`` defaults to the era's (``PROVE_RAW_LOCK_NESTING`` from 6.13)."""
    chosen = era_named(era)
    config = config or Config(raw_lock_nesting=chosen.raw_lock_nesting)
    if not chosen.wait_types:
        config = replace(config, wait_context=False)
    runner = Runner(program, config)
    finding, step = runner.run()
    result = SimResult(program, chosen, config, finding, step, notes=tuple(runner.notes))
    if finding is not None:
        result.text = render(finding, chosen, raw_nesting=config.raw_lock_nesting)
        splats = parse(result.text)
        result.splat = splats[0] if splats else None
    return result


def run(text: str, *, era: str | Era | None = None, config: Config | None = None,
        source: str = "<exercise>") -> SimResult:
    """Parse and run an exercise; see :class:`SimResult`.

    Raises
    ------
    splatkit.errors.ProgramError
        When a line cannot be read or run as written (the message names it and says what was expected).
    """
    return simulate(parse_program(text, source=source), era=era, config=config)
