"""What a parsed report could not read, or had to guess: ``Splat.notes``, in words.

Every view shows these beside what it draws, so that an empty chain table or a
graph without a cycle is never taken for an answer. One function per concern;
each returns the sentences it has to say (none when all was read).

>>> import splatkit
>>> splatkit.parse(splatkit.samples.sample_text())[0].notes
()
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..grammar.wrappers import COLLAPSED, CUT_AT_WIDTH, HARD_WRAP
from ..model import Splat

if TYPE_CHECKING:
    from .reader import ReportReader

__all__ = ["report_notes"]


def report_notes(reader: ReportReader, splat: Splat) -> tuple[str, ...]:
    """The notes of ``splat``, as read by ``reader``."""
    return (*_cut(reader, splat), *_chain(splat), *_scenario(reader, splat), *_held_locks(splat),
            *_unread_frames(reader), *_unread(splat), *_mended(splat))


def _indices(indices: list[int]) -> str:
    return ", ".join(f"#{k}" for k in indices)


def _cut(reader: ReportReader, splat: Splat) -> Iterator[str]:
    if splat.truncated:
        where = f"its '{reader.section.name}' section" if reader.section else "its header"
        yield f"report cut short in {where}: the rest of the report, its stack trace included, is missing"


def _chain(splat: Splat) -> Iterator[str]:
    """A circular report's chain: entries missing, or printed without their stacks."""
    if splat.kind != "circular":
        return
    exists = " --> ".join(splat.chain_exists)
    if not splat.chain:
        also = f"; 'Chain exists of' names {exists}" if exists else ""
        yield f"no dependency chain shown: the cycle is unknown{also}"
        return
    shown = {e.index for e in splat.chain}
    top = max(shown)
    if splat.holding is not None and next(e for e in splat.chain if e.index == top).lock.name != splat.holding.name:
        yield (f"chain cut at its top: the entries shown start at #{top}, which is not the lock held "
               f"({splat.holding.name}); the cycle is unknown")
        return
    cut = [e.index for e in splat.chain if e.index not in splat.chain_members()]
    if cut and not splat.cycle:
        yield f"the lock names of chain entries {_indices(cut)} were cut: the cycle is partial"
    missing = [k for k in range(top, -1, -1) if k not in shown]
    if missing:
        members = splat.chain_members()
        if splat.cycle:
            completed = [k for k in missing if k in members]
            yield (f"chain entries {_indices(missing)} not shown; the cycle is completed from the locks "
                   f"acquired and held and 'Chain exists of' ({_indices(completed)})")
        else:
            unknown = [k for k in missing if k not in members]
            yield f"chain entries {_indices(missing)} not shown: the cycle is partial ({_indices(unknown)} unknown)"
    bare = [e.index for e in splat.chain if not e.frames]
    if bare:
        yield f"chain entries {_indices(bare)} shown without their stacks"


def _scenario(reader: ReportReader, splat: Splat) -> Iterator[str]:
    """The scenario's CPU columns, when neither lockdep's fixed layout nor blanks tell them
    (see ``build.scenario_columns``)."""
    if (splat.scenario and reader.scenario_cpus != 1 and len(splat.scenario) != len(reader.kind.scenario_columns)
            and not reader.scenario_columns):
        yield ("scenario CPU columns guessed: blanks squeezed, and the steps do not follow "
               "lockdep's fixed layout")


def _held_locks(splat: Splat) -> Iterator[str]:
    count, listed = splat.held_locks_count, len(splat.held_locks)
    if count is not None and listed < count and not splat.held_lock_dumps:
        yield f"held locks: {listed} of the {count} the report counts are listed"
    for dump in splat.held_lock_dumps:
        if len(dump.held_locks) < dump.count:
            yield f"held locks of {dump.task}: {len(dump.held_locks)} of {dump.count} listed"


def _unread_frames(reader: ReportReader) -> Iterator[str]:
    """Lines of a stack that look like frames but that no frame rule read: kept as text, in place."""
    for no in reader.unread_frames:
        yield f"line {no}: a frame the parser could not read: kept as text"


def _unread(splat: Splat) -> Iterator[str]:
    elisions = [u.line for u in splat.unrecognised if u.reason.startswith("lines elided")]
    # (consecutive elision lines, "..", "..", are one place)
    places = sum(1 for k, no in enumerate(elisions) if k == 0 or elisions[k - 1] != no - 1)
    if places:
        yield f"the poster elided lines at {places} place{'s' if places > 1 else ''}"
    other = len(splat.unrecognised) - len(elisions)
    if other:
        yield f"{other} line{'s' if other > 1 else ''} inside the report not read (see unrecognised)"


def _mended(splat: Splat) -> Iterator[str]:
    """Lines that reached us damaged: what was lost, what was rebuilt by inference."""
    if CUT_AT_WIDTH in splat.wrappers:
        cut = sum(1 for line in splat.lines if CUT_AT_WIDTH in line.wrappers)
        yield f"{cut} line{'s' if cut > 1 else ''} cut at a terminal's width: their ends are lost"
    if HARD_WRAP in splat.wrappers:
        joined = sum(1 for line in splat.lines if HARD_WRAP in line.wrappers)
        yield f"{joined} line{'s' if joined > 1 else ''} rejoined where a mailer had wrapped {'them' if joined > 1 else 'it'}"
    if COLLAPSED in splat.wrappers:
        yield "lines split again where a tool had joined them into one"
