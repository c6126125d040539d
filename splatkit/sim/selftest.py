"""The kernel's lockdep self-test as an oracle: every case through the simulator, compared.

``lib/locking-selftest.c`` runs a few hundred tiny lock sequences at boot and checks
that lockdep complains exactly when it should. ``shared/spec/locking-selftest.md``
describes each case as one row of its Appendix A (a tab-separated table: the case, its
printed row and column, the configuration it needs, its operations in the §2 language,
the expected verdict, and the report lockdep raises, at which operation, about what).
:func:`read_cases` reads that table from the spec at run time; :func:`run_case` runs a
case on a blank simulator and says whether it agrees.

A case *agrees* when the simulator's verdict is the expected one and, for a case that
fails, its first report is of the kind the oracle names (``report``), raised by the same
operation (``at``) and about the same locks (``detail``).

>>> REPORT_KINDS["safe_unsafe"], REPORT_KINDS["unlock_imbalance"]
('irq_safe_unsafe', 'bad_unlock')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import ParseError
from .config import Config
from .findings import Finding
from .ops import SelftestMachine
from .validator import Reported

__all__ = ["REPORT_KINDS", "Case", "Outcome", "cases_for", "read_cases", "run_case", "run_cases"]

#: The oracle's ``report`` values -> the simulator's report kinds (splatkit's kind ids).
REPORT_KINDS = {
    "recursive": "recursive",
    "circular": "circular",
    "inconsistent": "inconsistent_state",
    "irq_inversion": "irq_inversion",
    "safe_unsafe": "irq_safe_unsafe",
    "unlock_imbalance": "bad_unlock",
    "held_lock_freed": "held_lock_freed",
    "nested_lock_not_held": "nested_not_taken",
    "invalid_wait_context": "invalid_wait",
    "debug_locks_warn": "debug_locks_warn",
}
COLUMNS = ("id", "row", "col", "cfg", "rr", "mask", "expected", "report", "at", "ops", "detail")
_FENCE = re.compile(r"^```tsv\s*$")


@dataclass(frozen=True)
class Case:
    """One row of Appendix A."""

    id: str
    row: str
    col: str
    cfg: str
    """``-`` (always built) or the option the case needs (``RT_MUTEXES``, ``!PREEMPT_RT``...)."""
    rr: int
    mask: str
    expected: str
    """``SUCCESS`` (lockdep stays silent) or ``FAILURE``."""
    report: str
    at: int
    ops: tuple[str, ...]
    detail: str
    line_no: int = 0
    """The line of the spec the row is on."""

    @property
    def kind(self) -> str | None:
        """The simulator kind of the expected report; None for a SUCCESS case."""
        return REPORT_KINDS.get(self.report) if self.expected == "FAILURE" else None


@dataclass(frozen=True)
class Outcome:
    """What the simulator made of a case."""

    case: Case
    finding: Finding | None
    at: int
    """The 1-based operation that raised the report; 0 when none did."""

    @property
    def kind(self) -> str | None:
        return self.finding.kind if self.finding else None

    @property
    def verdict(self) -> str:
        return "FAILURE" if self.finding else "SUCCESS"

    @property
    def agrees(self) -> bool:
        """Same verdict, and for a report the same kind, operation and detail."""
        if self.verdict != self.case.expected:
            return False
        if self.finding is None:
            return True
        return (self.kind == self.case.kind and self.at == self.case.at
                and self.finding.detail == self.case.detail)

    @property
    def why(self) -> str:
        """How the outcome differs from the oracle (empty when it agrees)."""
        if self.agrees:
            return ""
        got = f"{self.kind} at op {self.at}: {self.finding.detail}" if self.finding else "no report"
        want = f"{self.case.kind} at op {self.case.at}: {self.case.detail}" if self.case.kind else "no report"
        return f"{self.case.id}: expected {want}; the simulator gives {got}"


def read_cases(path: str | Path) -> list[Case]:
    """Every row of the spec's Appendix A table, in the order the kernel runs them.

    Raises
    ------
    ParseError
        When the file has no ``tsv`` table or a row does not have its 11 fields.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise ParseError(f"cannot read the self-test spec: {err.strerror or err}", source=str(path)) from err
    start = next((i for i, line in enumerate(lines) if _FENCE.match(line)), None)
    if start is None:
        raise ParseError("no Appendix A table (a ```tsv block) in the self-test spec", source=str(path),
                         expected="the shared locking-selftest.md")
    cases = []
    for no in range(start + 2, len(lines)):  # (the line after the fence is the header)
        line = lines[no]
        if line.startswith("```"):
            break
        fields = line.split("\t")
        if len(fields) != len(COLUMNS):
            raise ParseError(f"a case row needs {len(COLUMNS)} tab-separated fields, this one has {len(fields)}",
                             source=str(path), line_no=no + 1, line=line, expected="\t".join(COLUMNS))
        row = dict(zip(COLUMNS, fields))
        cases.append(Case(row["id"], row["row"], row["col"], row["cfg"], int(row["rr"]), row["mask"],
                          row["expected"], row["report"], int(row["at"]),
                          tuple(op.strip() for op in row["ops"].split("; ")), row["detail"], no + 1))
    return cases


def cases_for(cases: list[Case], config: Config, *, rt_mutexes: bool = True) -> list[Case]:
    """The cases a kernel built with ``config`` runs (§6): the others are not compiled in."""
    built = {"-": True, "RT_MUTEXES": rt_mutexes, "!PREEMPT_RT": not config.preempt_rt,
             "QUEUED_RWLOCKS": config.queued_rwlocks, "PROVE_RAW_LOCK_NESTING": config.raw_lock_nesting}
    return [case for case in cases if built.get(case.cfg, False)]


def run_case(case: Case, config: Config | None = None) -> Outcome:
    """Run ``case`` on a blank simulator (with the case's ``force_read_lock_recursive``)."""
    config = config or Config()
    config = Config(raw_lock_nesting=config.raw_lock_nesting, preempt_rt=config.preempt_rt,
                    wait_context=config.wait_context, force_read_lock_recursive=bool(case.rr))
    machine = SelftestMachine(config, case.id)
    for index, op in enumerate(case.ops, 1):
        try:
            machine.run(op, index)
        except Reported as reported:
            return Outcome(case, reported.finding, index)
    return Outcome(case, None, 0)


def run_cases(cases: list[Case], config: Config | None = None) -> list[Outcome]:
    """:func:`run_case` for each case, in order."""
    return [run_case(case, config) for case in cases]
