"""The self-test's result table, laid out as ``lib/locking-selftest.c`` prints it at boot.

Each printed row is a row label right-aligned in 33 characters and a colon, then one
7-character cell per case: ``  ok  |`` or ``FAILED|`` (locking-selftest.md §4). A case
sits under its column of the sub-table's header; columns a row does not fill are
blanks (so the read-lock rows, with only ``rlock`` and ``rsem``, start with 13 blanks
and a bar), and rows without a column header fill their cells in order. Here a cell
says whether the *simulator* agrees with the kernel's expectation for the case, so the
table can be laid beside the kernel's own boot-time table.

The sub-tables are data (:data:`SECTIONS`): each takes the cases its predicate accepts,
in Appendix A's order, under its own banner and header.

>>> SECTIONS[0].columns[:3], SECTIONS[1].header[1].split("|")[1:4]
(('spin', 'wlock', 'rlock'), ['block ', ' try  ', 'context'])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .selftest import Case, Outcome

__all__ = ["SECTIONS", "Section", "render_table"]

_RULE = "  " + "-" * 74
_LABEL = 33
_CELL = 7


@dataclass(frozen=True)
class Section:
    """One sub-table of the printed results."""

    banner: tuple[str, ...]
    """Lines printed before its first row."""
    columns: tuple[str, ...]
    """Column names, in printed order; empty for rows that print their cells in order (``#1``...)."""
    takes: Callable[[Case], bool]
    header: tuple[str, ...] = ()
    """Lines printed before the first row that uses ``columns`` (the ww ``block/try/context`` rows)."""
    rules_before: tuple[str, ...] = ()
    """Cases (by id) whose row starts a group the kernel sets off with a rule."""


def _is_ww(case: Case) -> bool:
    return case.mask == "0x10"


SECTIONS: tuple[Section, ...] = (
    Section(("------------------------", "| Locking API testsuite:", "-" * 76,
             "                                 | spin |wlock |rlock |mutex | wsem | rsem |rtmutex", _RULE),
            ("spin", "wlock", "rlock", "mutex", "wsem", "rsem", "rtmutex"),
            lambda c: c.rr == 1 and not _is_ww(c), rules_before=("rlock_AA1", "irqsafe1_hard_spin_12")),
    Section((_RULE, "  | Wound/wait tests |", "  ---------------------"), ("block", "try", "context"), _is_ww,
            header=("  " + "-" * 53, "                                 |block | try  |context|", "  " + "-" * 53)),
    Section((_RULE, "  | queued read lock tests |", "  ---------------------------"), (),
            lambda c: c.cfg == "QUEUED_RWLOCKS"),
    Section((_RULE, "  | fs_reclaim tests |", "  --------------------"), (), lambda c: c.mask == "0x00"),
    Section((_RULE, "  | wait context tests |", _RULE, "                                 | rcu  | raw  | spin |mutex |",
             _RULE), ("rcu", "raw", "spin", "mutex"), lambda c: c.cfg == "PROVE_RAW_LOCK_NESTING"),
    Section((_RULE, "  | local_lock tests |", "  ---------------------"), (), lambda c: c.mask == "0x40"),
    Section((), (), lambda c: c.mask == "0x80"),
    Section((_RULE, "  | lockdep_set_subclass() name test|", "  -----------------------------------"), (),
            lambda c: c.rr == 0 and c.mask == "0x08"),
)


def _cell(outcome: Outcome) -> str:
    return "  ok  |" if outcome.agrees else "FAILED|"


def _row(label: str, outcomes: list[Outcome], columns: tuple[str, ...]) -> str:
    """One printed row: blanks for the columns it skips, merged as the kernel's padding is."""
    text = f"{label:>{_LABEL}}:"
    placed = {o.case.col: o for o in outcomes}
    if not columns or not set(placed) <= set(columns):
        return text + "".join(_cell(o) for o in outcomes)
    last = max(columns.index(col) for col in placed)
    blanks = 0
    for col in columns[:last + 1]:
        if col not in placed:
            blanks += 1
            continue
        if blanks:
            text += " " * (_CELL * blanks - 1) + "|"
            blanks = 0
        text += _cell(placed[col])
    return text


def _rows(outcomes: Iterable[Outcome]) -> list[tuple[str, list[Outcome]]]:
    """Consecutive cases with one row label form one printed row."""
    rows: list[tuple[str, list[Outcome]]] = []
    for outcome in outcomes:
        if rows and rows[-1][0] == outcome.case.row:
            rows[-1][1].append(outcome)
        else:
            rows.append((outcome.case.row, [outcome]))
    return rows


def render_table(outcomes: list[Outcome]) -> str:
    """The table for ``outcomes`` (in Appendix A's order), the kernel's summary line, and
    a last line ``N/M cases agree``."""
    lines: list[str] = []
    remaining = list(outcomes)
    for section in SECTIONS:
        mine = [o for o in remaining if section.takes(o.case)]
        if not mine:
            continue
        remaining = [o for o in remaining if not section.takes(o.case)]
        lines += section.banner
        header_done = not section.header
        for label, row in _rows(mine):
            if row[0].case.id in section.rules_before:
                lines.append(_RULE)
            if not header_done and {o.case.col for o in row} <= set(section.columns):
                lines += section.header
                header_done = True
            lines.append(_row(label, row, section.columns if header_done else ()))
    for label, row in _rows(remaining):  # (a case no section takes still gets a row)
        lines.append(_row(label, row, ()))
    agree = sum(o.agrees for o in outcomes)
    failed = len(outcomes) - agree
    if failed:
        lines += ["-" * 65, f"BUG: {failed:3d} unexpected failures (out of {len(outcomes):3d}) - debugging disabled! |",
                  "-" * 65]
    else:
        lines += ["-" * 55, f"Good, all {agree:3d} testcases passed! |", "-" * 33]
    lines.append(f"{agree}/{len(outcomes)} cases agree")
    return "\n".join(lines) + "\n"
