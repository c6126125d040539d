"""Explanations at a reviewer's standard, checked on the seed, every corpus report and generated variants.

The properties are the issue's: every lock of a cycle named once per dependency, as many
steps as acquisitions, fewer CPUs only on held-lock evidence, the writer condition exactly
when a cycle lock is read-acquired where it blocks, unknown read/write written as unknown,
every line within the width, and an explanation for every kind.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pytest

import splatkit
from conftest import CORPUS, REPO, WILD, read_log
from splatkit.analysis.acquisitions import OPS, acquisition
from splatkit.analysis.explain import EXPLAINERS, explain, plain
from splatkit.analysis.explain.waits import kind_info
from splatkit.grammar.kinds import KINDS
from splatkit.render.explain import explain_markdown, explain_text
from splatkit.render.explain_html import explanation_html

CASES = sorted((REPO / "tests" / "cases").glob("*.splat"))


@lru_cache(maxsize=1)
def all_reports() -> tuple[tuple[str, splatkit.Splat], ...]:
    """(where, splat) for the seed, the golden cases and every report of both corpora present."""
    out = [("seed", s) for s in splatkit.parse(splatkit.samples.sample_text())]
    for path in CASES:
        out += [(path.name, s) for s in splatkit.parse(path.read_text().split("\n\n", 1)[1])]
    if (CORPUS / "report").is_dir():
        for path in sorted((CORPUS / "report").iterdir()):
            out += [(f"syzkaller/{path.name}", s) for s in splatkit.parse(read_log(path))]
    if (WILD / "splats").is_dir():
        for path in sorted((WILD / "splats").iterdir()):
            out += [(f"wild/{path.name}", s) for s in splatkit.parse_file(path)]
    return tuple(out)


def circular_reports() -> list[tuple[str, splatkit.Splat]]:
    return [(where, s) for where, s in all_reports() if s.kind == "circular" and s.cycle]


# -- the seed ---------------------------------------------------------------------------------


def test_seed_dependencies_name_the_code_and_how_each_lock_was_taken(seed_splat):
    e = explain(seed_splat)
    made = [(d.held, d.acquired, d.site.function, str(d.acquisition)) for d in e.dependencies]
    assert made == [
        ("kvm_lock", "&kvm->slots_lock", "set_nx_huge_pages", "mutex"),
        ("&kvm->slots_lock", "&kvm->srcu", "kvm_swap_active_memslots", "SRCU wait"),
        ("&kvm->srcu", "cpu_hotplug_lock", "kvm_lapic_set_base", "percpu-rwsem for read"),
        ("cpu_hotplug_lock", "kvm_lock", "kvm_dev_ioctl", "mutex"),
    ]
    assert [d.new for d in e.dependencies] == [True, False, False, False]


def test_seed_scenario_reads_as_a_reviewer_would_write_it(seed_splat):
    e = explain(seed_splat)
    cells = [(s.number, s.cpu, s.cell, s.waits_for) for s in e.scenario.steps]
    assert cells == [
        (1, 0, "lock(kvm_lock);", None), (2, 1, "lock(&kvm->slots_lock);", None),
        (3, 2, "rlock(&kvm->srcu);", None), (4, 3, "take(cpu_hotplug_lock);", None),
        (5, 0, "lock(&kvm->slots_lock);", 2), (6, 1, "sync(&kvm->srcu);", 3),
        (7, 2, "rlock(cpu_hotplug_lock);", 4), (8, 3, "lock(kvm_lock);", 1),
    ]
    waits = {w.step: plain(w.why) for w in e.waits}
    assert waits[5] == "&kvm->slots_lock is a mutex, held there"
    assert "synchronize_srcu_expedited()" in waits[6] and "SRCU read-side section" in waits[6]
    assert "percpu-rwsem" in waits[7] and "for read" in waits[7]
    # The condition a reviewer must state first, in the explanation itself.
    condition, objects = e.conditions  # (the writer first; then that the cycle is between classes)
    assert "needs a writer" in plain(condition) and "cpus_write_lock()" in plain(condition)
    assert "same objects" in plain(objects) and "&kvm->slots_lock" in plain(objects)
    # cpu_hotplug_lock's holder at step 4 is not shown: written as unknown, never as lock().
    assert any("cpu_hotplug_lock" in plain(u) and "step 4" in plain(u) for u in e.unknowns)


def test_seed_text_wraps_at_72_and_quotes_the_trimmed_splat(seed_splat):
    text = explain_text(seed_splat)
    prose, _, quoted = text.partition("The splat, trimmed:")
    assert max(len(line) for line in prose.splitlines()) <= 72
    assert "[48419." not in text and "ffffb5fdd4e430a8" not in text  # no timestamps, no addresses
    assert "   mutex_lock_nested+0x1f/0x30" in quoted.splitlines()  # the chain kept, indented
    assert "dump_stack_lvl" not in quoted and "? " not in quoted  # lockdep's frames and guesses gone


@pytest.mark.parametrize("width", [40, 60, 72, 100])
def test_every_line_of_prose_is_within_the_width(width):
    for where, splat in all_reports():
        text = explain_text(splat, width=width)
        prose = text.partition("The splat, trimmed:")[0]
        long = [line for line in prose.splitlines()[1:] if len(line) > width]  # (the heading is a subject line)
        assert not long, f"{where}: {long[:2]}"


def test_a_narrower_width_than_a_table_needs_is_refused(seed_splat):
    with pytest.raises(ValueError, match="too narrow"):
        explain_text(seed_splat, width=20)


# -- circular reports of every corpus ---------------------------------------------------------


def test_steps_equal_acquisitions_and_each_wait_is_for_the_next_cpus_lock():
    reports = circular_reports()
    assert len(reports) >= 10
    for where, splat in reports:
        e = explain(splat)
        n, cpus = len(e.cycle), e.scenario.cpus
        holds = [s for s in e.scenario.steps if s.waits_for is None]
        waits = [s for s in e.scenario.steps if s.waits_for is not None]
        # Every lock of the cycle is taken once, and every CPU ends in one blocked acquisition.
        assert sorted(s.lock for s in holds) == sorted(e.cycle), where
        assert len(e.scenario.steps) == n + cpus and len(waits) == cpus, where
        for step in waits:
            holder = e.scenario.step(step.waits_for)
            assert holder.lock == step.lock and holder.cpu != step.cpu, where
        assert [w.step for w in e.waits] == [s.number for s in waits], where


def test_every_lock_of_the_cycle_is_named_once_per_dependency():
    for where, splat in circular_reports():
        e = explain(splat)
        section = e.section("Where each dependency was established")
        (items,) = section.blocks
        assert len(items.items) == len(e.cycle), where
        for dep, item in zip(sorted(e.dependencies, key=lambda d: d.chain_index), items.items):
            codes = [p for p in item.parts if isinstance(p, splatkit.analysis.explain.Code)]
            assert codes.count(dep.held) == 1 and codes.count(dep.acquired) == 1, (where, plain(item))


def test_the_writer_condition_is_there_exactly_when_a_lock_is_read_acquired_where_it_blocks():
    """A read acquisition of an rwsem-like lock blocks only behind a writer: the condition says so
    for each lock read-acquired at a step that waits, unless the stack shows its holder took it for
    write; for no other lock."""
    seen = set()
    for where, splat in circular_reports():
        e = explain(splat)
        by_acquired = {d.acquired: acquisition(d.frames) if d.frames else None for d in e.dependencies}
        blocked_reads = set()
        for step in e.scenario.steps:
            found = by_acquired.get(step.lock) if step.waits_for is not None else None
            if found and found.access == "read" and kind_info(found.kind) and kind_info(found.kind).shared:
                if e.scenario.step(step.waits_for).op != "lock":
                    blocked_reads.add(step.lock)
        says = {lock for lock in e.cycle for c in e.conditions  # (one writer, or "For X:" of several)
                if ("needs a writer" in plain(c) or "blocks only behind" in plain(c)) and lock in c.parts}
        assert says == blocked_reads, where
        seen.add(bool(blocked_reads))
    assert seen == {True, False}  # (both cases occur in the corpora)


def test_read_or_write_is_never_guessed():
    """A CPU's first lock is ``lock``/``rlock`` only when its kind says how every holder holds
    it (a mutex, an SRCU reader); every other step's operation is the one its stack shows; else
    ``take``."""
    for where, splat in circular_reports():
        e = explain(splat)
        shown = {(d.acquired, d.site): d.acquisition for d in e.dependencies}
        first_of_cpu = {}
        for step in e.scenario.steps:
            first_of_cpu.setdefault(step.cpu, step.number)
        for step in e.scenario.steps:
            if step.number == first_of_cpu[step.cpu]:
                kind = next((d.acquisition.kind for d in e.dependencies if d.acquired == step.lock
                             and d.acquisition), None)
                info = kind_info(kind)
                if info is not None and info.holder_op is None:
                    assert step.op == "take", (where, step)
            else:
                found = shown.get((step.lock, step.site))
                expected = OPS[found.access] if found else None
                assert step.op == expected or found is None and step.op in ("take", "lock", "rlock"), (where, step)


def _with_held_lock(seed_text: str, name: str, before: str) -> splatkit.Splat:
    """The seed with one more lock in its held-lock list, inserted before ``before``."""
    lines = seed_text.splitlines()
    at = next(i for i, line in enumerate(lines) if f"({before})" in line and "#4:" in line)
    extra = lines[at].replace(f"({before})", f"({name})").replace("#4:", "#5:")
    lines[at] = lines[at].replace("#4:", "#5:")
    extra = extra.replace("#5:", "#4:")
    lines.insert(at, extra)
    text = "\n".join(lines).replace("5 locks held by", "6 locks held by")
    (splat,) = splatkit.parse(text)
    return splat


def test_two_cycle_locks_held_at_once_are_one_cpus_steps(seed_text):
    # The task that triggers the report also holds cpu_hotplug_lock, the lock before kvm_lock.
    splat = _with_held_lock(seed_text, "cpu_hotplug_lock", "kvm_lock")
    assert [h.lock.name for h in splat.held_locks][-2:] == ["cpu_hotplug_lock", "kvm_lock"]
    e = explain(splat)
    assert e.scenario.cpus == 3
    cpu0 = [s.cell for s in e.scenario.steps if s.cpu == 0]
    assert cpu0 == ["take(cpu_hotplug_lock);", "lock(kvm_lock);", "lock(&kvm->slots_lock);"]
    text = explain_text(splat)
    assert "tee/27085 holding both at once" in text.replace("\n", " ")


def test_a_held_lock_outside_the_cycle_merges_nothing(seed_text):
    splat = _with_held_lock(seed_text, "&kvm->lock", "kvm_lock")
    assert explain(splat).scenario.cpus == 4


def test_a_cut_chain_says_what_is_missing(seed_text):
    # Cut the chain's #2 and #1 entries and the 'Chain exists' line: the cycle cannot be told.
    text = re.sub(r"-> #2 .*?(?=-> #0)", "", seed_text, flags=re.S)
    text = re.sub(r"Chain exists of:.*?\n.*?\n", "", text)
    (splat,) = splatkit.parse(text)
    assert not splat.cycle
    e = explain(splat)
    assert e.scenario is None
    assert "cut" in plain(e.summary) and "#1" in plain(e.summary) and "#2" in plain(e.summary)
    assert any("cycle" in plain(u).lower() for u in e.unknowns)


# -- every kind ---------------------------------------------------------------------------------


def test_every_kind_has_an_explainer():
    assert set(EXPLAINERS) == {kind.kind for kind in KINDS}


def test_every_report_explains_without_an_empty_answer():
    kinds = set()
    for where, splat in all_reports():
        e = explain(splat)
        kinds.add(splat.kind)
        assert plain(e.summary).strip(), where
        assert e.sections or e.unknowns, where
        text = explain_text(splat)
        assert "lockdep:" in text
        # What the parser could not read reaches the reader.
        for note in splat.notes:
            assert note[1:30].replace("\n", " ") in " ".join(text.split()), (where, note)
    assert kinds >= {case.name.split("-")[0] for case in CASES}


@pytest.mark.parametrize("case", [c.name for c in CASES])
def test_each_kind_names_its_lock_and_code(case):
    (splat,) = splatkit.parse((REPO / "tests" / "cases" / case).read_text().split("\n\n", 1)[1])
    text = " ".join(explain_text(splat, trimmed=False).split())
    lock = splat.acquiring or splat.unheld_lock or splat.holding or (splat.held_locks[0].lock if splat.held_locks
                                                                      else None)
    if lock is not None:
        assert lock.name in text, case
    if splat.kind == "recursive":
        assert "same object" in text
    if splat.kind in ("inconsistent_state", "irq_inversion", "irq_safe_unsafe"):
        assert "<Interrupt>" in text
    if splat.kind == "invalid_wait":
        assert "LD_WAIT_SLEEP" in text and "LD_WAIT_SPIN" in text
    if splat.kind == "lockdep_limit":
        assert "CONFIG_LOCKDEP_STACK_TRACE_BITS" in text
    if splat.kind == "non_static_key":
        assert "lockdep_register_key()" in text
    if splat.kind == "suspicious_rcu":
        assert splat.source_location in text


def test_hostile_names_are_escaped_in_every_format(seed_text):
    name = "<img src=x onerror=alert(1)>`*_|"
    (splat,) = splatkit.parse(seed_text.replace("kvm_lock", name))
    assert splat.cycle[0] == name
    page = explanation_html(explain(splat))
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    md = explain_markdown(splat)
    assert "`` <img src=x onerror=alert(1)>`*_| ``" in md  # a code span that holds the backtick


# -- golden files ---------------------------------------------------------------------------------

GOLDEN = REPO / "tests" / "golden" / "explain"
FORMATS = {"txt": lambda s: explain_text(s), "md": lambda s: explain_markdown(s),
           "html": lambda s: explanation_html(explain(s))}


@pytest.mark.parametrize("case", [c.name for c in CASES])
@pytest.mark.parametrize("ext", sorted(FORMATS))
def test_golden(case, ext):
    """Each format on one report of each kind (the seed is the circular case).

    ``SPLATKIT_UPDATE_GOLDEN=1`` rewrites the file and still fails: review the diff, run again.
    """
    import os

    (splat,) = splatkit.parse((REPO / "tests" / "cases" / case).read_text().split("\n\n", 1)[1])
    got = FORMATS[ext](splat)
    path = GOLDEN / f"{Path(case).stem}.{ext}"
    if os.environ.get("SPLATKIT_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(got, encoding="utf-8")
        pytest.fail(f"{path.name} rewritten; review the diff and run again without SPLATKIT_UPDATE_GOLDEN")
    assert path.is_file(), f"no golden file {path}; create it with SPLATKIT_UPDATE_GOLDEN=1"
    assert got == path.read_text(encoding="utf-8")
