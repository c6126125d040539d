"""The wild corpus: real pastes as posted (journals, quoted mail, quoted-printable, bug
trackers, CI logs), read against the ground truth in its ``index.tsv``.

Every expected value comes from the index, read by hand from each paste (see the corpus
README); nothing here is copied from a paste. Where the index is wrong, the correction and
the reason are in ``wild_corrections.tsv`` beside this file, never in the test.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import splatkit
from conftest import WILD, assert_lossless

#: The corpus README's kinds and splatkit's kind for each.
KIND_OF = {
    "circular_locking": "circular",
    "recursive_locking": "recursive",
    "inconsistent_lock_state": "inconsistent_state",
    "irq_lock_inversion": "irq_inversion",
    "irq_safe_to_unsafe_order": "irq_safe_unsafe",
    "bad_unlock_balance": "bad_unlock",
    "held_lock_freed": "held_lock_freed",
    "lock_held_returning_to_user": "held_on_return",
    "suspicious_rcu_usage": "suspicious_rcu",
    "invalid_wait_context": "invalid_wait",
    "still_has_locks_held": "still_held",
    "lock_held_at_task_exit": "still_held",
    "non_static_key": "non_static_key",
    "max_lockdep_chain_hlocks_too_low": "lockdep_limit",
    "debug_locks_warn_on": "lockdep_warning",
    "key_not_registered": "lockdep_warning",
    "workqueue_leaked_lock": "workqueue_leaked_lock",
    "nested_lock_not_taken": "nested_not_taken",
    "show_all_locks": "held_locks_dump",
    "hung_task_held_locks": "held_locks_dump",
}

CORRECTIONS = Path(__file__).parent / "wild_corrections.tsv"


def _rows() -> list[dict[str, str]]:
    index = WILD / "index.tsv"
    if not index.is_file():
        return []
    with open(index, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    with open(CORRECTIONS, newline="", encoding="utf-8") as f:
        for fix in csv.DictReader((line for line in f if not line.startswith("#")), delimiter="\t"):
            row = next(row for row in rows if row["file"] == fix["file"])
            row[fix["column"]] = fix["value"]
    return rows


ROWS = _rows()
PARAMS = [pytest.param(row, id=row["file"][:3]) for row in ROWS] or [
    pytest.param(None, marks=pytest.mark.skip(reason=f"wild corpus not found at {WILD}"))]

_parsed: dict[str, list[splatkit.Splat]] = {}


def _splats(row: dict[str, str]) -> list[splatkit.Splat]:
    name = row["file"]
    if name not in _parsed:
        _parsed[name] = splatkit.parse_file(WILD / "splats" / name)
    return _parsed[name]


def _kinds(row: dict[str, str]) -> list[str]:
    return [KIND_OF[kind] for kind in row["report_kind"].split(";")]


def _tasks(splat: splatkit.Splat) -> list[tuple[str, int | None]]:
    """(``comm/pid``, printed held-lock count) of each task a report names."""
    if splat.held_lock_dumps:
        return [(str(dump.task), dump.count) for dump in splat.held_lock_dumps]
    return [(str(splat.task) if splat.task else None, splat.held_locks_count)]


@pytest.mark.parametrize("row", PARAMS)
def test_kind(row):
    found = [splat.kind for splat in _splats(row)]
    for kind in _kinds(row):
        assert kind in found, f"{row['file']}: {kind} not found (found {found})"


@pytest.mark.parametrize("row", PARAMS)
def test_task_and_held_lock_count(row):
    tasks = {}
    for splat in _splats(row):
        if splat.kind in _kinds(row):
            for task, count in _tasks(splat):
                tasks.setdefault(task, []).append(count)
    counts = row["n_held_locks"].split(";") if row["n_held_locks"] else []
    for n, task in enumerate(row["task"].split(";")):
        assert task in tasks, f"{row['file']}: task {task} not found (found {sorted(map(str, tasks))})"
        if n < len(counts) and counts[n].isdigit():
            assert int(counts[n]) in tasks[task], f"{row['file']}: {task} holds {counts[n]} locks"


COMPLETE_CYCLES = [param for param in PARAMS if param.values[0] is None
                   or (param.values[0]["lock_cycle"] and param.values[0]["complete"].startswith("yes"))]


@pytest.mark.parametrize("row", COMPLETE_CYCLES)
def test_complete_cycle(row):
    want = {name.strip() for name in row["lock_cycle"].split(" -> ")}
    cycles = [set(splat.cycle) for splat in _splats(row) if splat.kind == "circular"]
    assert want in cycles, f"{row['file']}: cycle {want}, got {cycles}"


@pytest.mark.parametrize("row", PARAMS)
def test_nothing_is_dropped_silently(row):
    """Every line of every report is read, set aside as another context's, or listed with a
    reason; what could not be read is said in the notes; a complete paste is not truncated."""
    for splat in _splats(row):
        assert_lossless(splat)
        if splat.unrecognised:
            assert any("not read" in note or "elided" in note for note in splat.notes), splat.notes
        if splat.truncated:
            assert any("cut short" in note for note in splat.notes)
        if row["complete"].startswith("yes") and splat.kind in _kinds(row):
            assert not splat.truncated, f"{row['file']}: a complete {splat.kind} report marked truncated"
        if splat.kind == "circular" and not splat.cycle:
            assert any("cycle" in note for note in splat.notes), f"{row['file']}: no cycle and no note why"


@pytest.mark.parametrize("row", PARAMS)
def test_no_blank_leaks_into_a_name(row):
    for splat in _splats(row):
        names = [str(t) for t, _ in _tasks(splat) if t] + [
            lock.name for lock in (splat.acquiring, splat.holding, *(e.lock for e in splat.chain),
                                   *(h.lock for h in splat.held_locks)) if lock is not None]
        assert all(name == name.strip() for name in names), names
