"""Reports that reach us incomplete, made from complete ones: what is still read, and what the
notes say is missing or inferred. Never an empty answer presented as a full one."""

from __future__ import annotations

import re

import pytest

import splatkit
from conftest import corpus_files, read_log, CORPUS
from splatkit.samples import sample_text

_ENTRY = re.compile(r"-> #(\d+) \(")
#: A console line's prefix: its timestamp and caller id.
_PREFIX = re.compile(r"^\[\s*\d+\.\d+\](?:\[\s*[TC]\d+\])?")


def _circular_sources() -> list[tuple[str, str]]:
    """(name, text) of the seed and every corpus log whose first report is a complete circular
    one with a chain of three locks or more."""
    sources = [("seed", sample_text())]
    for name in corpus_files():
        log = read_log(CORPUS / "report" / name)
        splats = splatkit.parse(log)
        if splats and splats[0].kind == "circular" and len(splats[0].cycle) >= 3 and not splats[0].truncated \
                and not splats[0].notes:
            sources.append((name, log))
    return sources


SOURCES = _circular_sources()
IDS = [name for name, _ in SOURCES]


def _entry_of(lines: list[str]) -> list[int | None]:
    """For each line, the index of the chain entry it belongs to (its header or a frame)."""
    out, current = [], None
    for line in lines:
        m = _ENTRY.search(line)
        if m is not None:
            current = int(m.group(1))
        elif "other info that might help" in line or "Chain exists of" in line:
            current = None
        out.append(current)
    return out


@pytest.mark.parametrize(("name", "text"), SOURCES, ids=IDS)
def test_chain_without_stacks(name, text):
    """Entries printed without their stacks (a poster abbreviated the chain): the same cycle,
    and the notes name the entries."""
    (whole, *_) = splatkit.parse(text)
    lines = text.split("\n")
    owners = _entry_of(lines)
    abbreviated = "\n".join(line for line, owner in zip(lines, owners)
                            if owner is None or _ENTRY.search(line) or not _PREFIX.sub("", line).strip())
    (splat, *_) = splatkit.parse(abbreviated)
    assert splat.cycle == whole.cycle
    assert all(not entry.frames for entry in splat.chain)
    assert any("without their stacks" in note for note in splat.notes)


@pytest.mark.parametrize(("name", "text"), SOURCES, ids=IDS)
def test_chain_cut_after_its_first_entry(name, text):
    """Only #N shown (the rest of the chain cut by the poster): the cycle is completed from the
    locks acquired and held and 'Chain exists of' when that tells every lock, else not given;
    the notes say which."""
    (whole, *_) = splatkit.parse(text)
    top = len(whole.cycle) - 1
    lines = text.split("\n")
    owners = _entry_of(lines)
    cut = "\n".join(line for line, owner in zip(lines, owners) if owner is None or owner == top)
    (splat, *_) = splatkit.parse(cut)
    assert [e.index for e in splat.chain] == [top]
    if top <= 2 and whole.chain_exists:  # #N held, #N-1 and #0 named by 'Chain exists of'
        assert splat.cycle == whole.cycle
        assert any("completed" in note for note in splat.notes)
    else:
        assert splat.cycle == ()
        assert any("partial" in note for note in splat.notes)
    assert not splat.truncated


@pytest.mark.parametrize(("name", "text"), SOURCES, ids=IDS)
def test_header_only(name, text):
    """A poster kept the report up to its chain's heading: kind, task and locks, no cycle, and
    notes that say so."""
    lines = text.split("\n")
    end = next(i for i, line in enumerate(lines) if "the existing dependency chain" in line)
    (splat, *_) = splatkit.parse("\n".join(lines[:end + 1]))
    (whole, *_) = splatkit.parse(text)
    assert (splat.kind, splat.task, splat.acquiring.name, splat.holding.name) == (
        whole.kind, whole.task, whole.acquiring.name, whole.holding.name)
    assert splat.truncated and splat.cycle == ()
    assert any("cut short" in note for note in splat.notes)
    assert any("no dependency chain shown" in note for note in splat.notes)


def _terminal(text: str, width: int = 80) -> str:
    """A terminal that cut every line at ``width`` columns, keeping its last character."""
    return "\n".join(line if len(line) <= width else line[:width - 1] + line[-1] for line in text.split("\n"))


@pytest.mark.parametrize(("name", "text"), SOURCES, ids=IDS)
def test_lines_cut_at_a_terminals_width(name, text):
    (whole, *_) = splatkit.parse(text)
    cut = _terminal(text)
    if cut == text:
        pytest.skip("no line longer than the terminal")
    (splat, *_) = splatkit.parse(cut)
    assert (splat.kind, splat.task, splat.held_locks_count) == (whole.kind, whole.task, whole.held_locks_count)
    # A held lock whose line was cut inside its name is lost, and the notes count what is left.
    uncut = {h.lock.name for h in whole.held_locks if len(text.split("\n")[h.lock.line_no - 1]) <= 80}
    names = [h.lock.name for h in splat.held_locks]
    assert uncut <= set(names) and set(names) <= {h.lock.name for h in whole.held_locks}
    if len(names) < len(whole.held_locks):
        assert any(note.startswith("held locks:") for note in splat.notes)
    entries_cut = any(len(line) > 80 and _ENTRY.search(line) for line in text.split("\n"))
    if entries_cut and splat.cycle != whole.cycle:  # a lock name lost with the end of its line
        assert splat.cycle == () and any("were cut: the cycle is partial" in note for note in splat.notes)
    else:
        assert splat.cycle == whole.cycle
    assert any("terminal's width" in note for note in splat.notes)
