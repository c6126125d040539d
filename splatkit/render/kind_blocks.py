"""The pieces of a report kind's view (:mod:`splatkit.render.kind_view`): blocks and drawn dependencies.

A :class:`Block` is one part of a view: facts, a table, a stack or a note. The builders here
never make an empty table or stack: without rows or frames they give a note that says why,
so no view shows a header over nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from ..analysis.explain.common import backtrace
from ..model import Frame, LockUse, Splat
from ..stacks import blamed_function
from ..tables import held_locks_table

__all__ = ["Block", "ViewDependency", "at_text", "backtrace_block", "facts_block", "held_block", "stack_block",
           "table_block"]


@dataclass(frozen=True, eq=False)
class Block:
    """One part of a kind's view: facts (label, value in words), a table, a stack, or a note.

    ``kind`` says which: ``facts`` uses ``facts``; ``table`` uses ``table`` (never empty) and
    ``caption``; ``stack`` uses ``frames`` (never empty), ``caption`` and ``blamed`` (the
    function syzbot's title blames); ``note`` is ``caption`` alone, the words said instead of
    a table or stack the report does not print.
    """

    heading: str
    kind: str
    facts: tuple[tuple[str, str], ...] = ()
    table: pd.DataFrame | None = None
    frames: tuple[Frame, ...] = ()
    caption: str = ""
    blamed: str | None = None


@dataclass(frozen=True)
class ViewDependency:
    """A dependency a report implies beyond its chain and held-lock order, to be drawn.

    ``source`` is an :class:`splatkit.graph.Evidence` source: ``new`` for the acquisition
    the report is about, ``recorded`` for one lockdep had saved (a dependency path's link).
    """

    held: str
    acquired: str
    source: str
    frames: tuple[Frame, ...] = field(default=(), repr=False)
    line_no: int | None = None
    why: str = ""


def facts_block(heading: str, pairs: Iterable[tuple[str, str | None]]) -> Block | None:
    """The facts that have a value, or None when none has."""
    kept = tuple((label, value) for label, value in pairs if value)
    return Block(heading, "facts", facts=kept) if kept else None


def table_block(heading: str, rows: list[dict] | list[list], columns: Sequence[str], empty: str,
                caption: str = "") -> Block:
    """A table block, or a note saying ``empty`` when there are no rows (never a header over nothing);
    rows are dicts by column, or lists in the order of ``columns`` (which may then repeat a name)."""
    if not rows:
        return Block(heading, "note", caption=empty)
    return Block(heading, "table", table=pd.DataFrame(rows, columns=list(columns)), caption=caption)


def stack_block(heading: str, frames: Sequence[Frame], splat: Splat, caption: str = "",
           missing: str = "The report prints no stack here.") -> Block:
    """A stack block (marking the frame syzbot's title blames), or the note ``missing``."""
    if not frames:
        return Block(heading, "note", caption=missing)
    return Block(heading, "stack", frames=tuple(frames), caption=caption, blamed=blamed_function(splat.title))


def at_text(lock: LockUse | None) -> str:
    """Where ``lock`` was taken, as printed (``""`` when the report does not say)."""
    return lock.at.text if lock is not None and lock.at is not None else ""


def held_block(splat: Splat) -> Block:
    """The held locks, or a sentence on why there are none (none held, cut short, not printed)."""
    table = held_locks_table(splat)
    if not len(table):
        count = splat.held_locks_count
        why = ("The report says the task held no locks." if count == 0 else
               f"The report counts {count} held locks but lists none (cut short)." if count else
               "The report prints no list of held locks.")
        return Block("Held locks", "note", caption=why)
    table = table.drop(columns=[c for c in ("usage", "wait", "holder") if not table[c].astype(bool).any()])
    caption = ""
    if splat.held_locks_count is not None and splat.held_locks_count != len(splat.held_locks):
        caption = f"The report counts {splat.held_locks_count} held locks; {len(splat.held_locks)} are listed."
    return Block("Held locks", "table", table=table, caption=caption)


def backtrace_block(splat: Splat, heading: str = "Stack of the report (the current acquisition)") -> Block:
    """The report's own stack backtrace, or why it is not shown (cut short, another task's)."""
    frames = backtrace(splat)
    missing = ("The report is cut before its stack backtrace." if splat.truncated or not splat.backtrace else
               "The stack printed is another task's, not the reporting task's.")
    return stack_block(heading, frames, splat, missing=missing)
