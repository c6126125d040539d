"""What the explanation says about lockdep's pseudo-locks, recorded stacks and read-only locks,
checked on every report of the seed, the cases and both corpora (skipped cleanly without them).

Each test pins one mechanism an expert reviewer found wrong: ``fs_reclaim`` drawn as a lock a
CPU waits for, a release stack presented as an acquisition, a read-only rwlock drawn as
exclusive.
"""

from __future__ import annotations

import re

import pytest

from splatkit.analysis.acquisitions import ALLOCATOR, LOCKING_API, pseudo_lock, recorded_by
from splatkit.analysis.explain import explain, plain
from splatkit.render.explain import explain_text
from splatkit.usage import lock_usage
from test_explain import all_reports, circular_reports

IRQ_KINDS = ("irq_safe_unsafe", "irq_inversion", "inconsistent_state")


def _flat(splat) -> str:
    return " ".join(explain_text(splat, trimmed=False).split())


def _corpus_present() -> bool:
    return any(where.startswith(("syzkaller/", "wild/")) for where, _ in all_reports())


# -- A1/A2: fs_reclaim is a marker for memory reclaim, entered by the allocating CPU ----------


def test_no_cpu_waits_for_another_cpus_fs_reclaim_step():
    seen = 0
    for where, splat in circular_reports():
        if "fs_reclaim" not in splat.cycle:
            continue
        seen += 1
        e = explain(splat)
        n = len(e.cycle)
        steps = e.scenario.steps
        reclaim = [s for s in steps if s.lock == "fs_reclaim"]
        assert [s.op for s in reclaim] == ["reclaim"], where
        # Nothing waits for fs_reclaim, and fs_reclaim is never a CPU's first (held) step.
        assert all(s.waits_for is None for s in reclaim), where
        assert all(e.scenario.step(s.waits_for).lock != "fs_reclaim" for s in steps if s.waits_for), where
        first = {}
        for s in steps:
            first.setdefault(s.cpu, s)
        assert all(s.lock != "fs_reclaim" for s in first.values()), where
        # The step after entering reclaim is on the same CPU: the lock reclaim takes, blocking.
        step = reclaim[0]
        after = next(s for s in steps if s.cpu == step.cpu and s.number > step.number)
        assert after.waits_for is not None, where
        r = e.cycle.index("fs_reclaim")
        assert after.lock == e.cycle[(r + 1) % n], where
        assert e.scenario.cpus < n, where
        text = _flat(splat)
        assert f"CPU{step.cpu} at step {after.number}, inside the reclaim it entered at step {step.number}" in text
        assert "not on a held-lock list" in text, where
        # A2: the condition is the one lockdep's recording implies, not a doubt about the flags.
        (condition,) = [plain(c) for c in e.conditions if "memory pressure" in plain(c)]
        assert "__GFP_FS" in condition and "memalloc_nofs_save()" in condition, where
        assert "would not" not in condition, where
        # The allocation is named by its caller, not the allocator, and never "for write".
        dep = next(d for d in e.dependencies if d.acquired == "fs_reclaim")
        assert dep.site is not None and not ALLOCATOR.match(dep.site.function), (where, dep.site)
        assert "fs_reclaim for write" not in text and "lock(fs_reclaim)" not in text, where
    if _corpus_present():
        assert seen >= 3


def test_irq_reports_on_a_pseudo_lock_never_hold_it_or_disable_irqs_for_it():
    seen = 0
    for where, splat in all_reports():
        if splat.kind not in IRQ_KINDS:
            continue
        names = [lock.name for lock in (splat.acquiring, splat.holding, *[l for _, l in splat.other_locks]) if lock]
        pseudo = next((name for name in names if pseudo_lock(name)), None)
        if pseudo is None or (splat.kind != "inconsistent_state" and splat.holding is not None
                              and pseudo_lock(splat.holding.name)):
            continue
        seen += 1
        e = explain(splat)
        text = _flat(splat)
        assert "not a lock" in text, where
        assert f"holds {pseudo}" not in text and f"lock({pseudo})" not in text, where
        assert f"Take {pseudo} with" not in text, where
        assert e.scenario is None, where
    if _corpus_present():
        assert seen >= 3


# -- A4: a dependency stack recorded at a release or a cross-release commit ---------------------


def test_stacks_that_release_or_complete_are_not_presented_as_acquisitions():
    seen = set()
    for where, splat in circular_reports():
        e = explain(splat)
        items = e.section("Where each dependency was established").blocks[0].items
        by_index = {d.chain_index: item for d, item in zip(sorted(e.dependencies, key=lambda d: d.chain_index),
                                                             items)}
        for dep in e.dependencies:
            functions = [f.function for f in dep.frames if f.function and not f.unreliable]
            released = bool(functions) and functions[0] == "lock_release"
            completed = dep.held.startswith("(completion)") and "complete" in functions \
                and "lock_acquire" not in functions
            assert (dep.recorded == "release") == released, (where, dep.chain_index)
            assert (dep.recorded == "commit") == completed, (where, dep.chain_index)
            item = plain(by_index[dep.chain_index])
            if released or completed:
                seen.add(dep.recorded)
                assert dep.site is None and dep.acquisition is None, where
                assert " takes " not in item.split(":", 1)[0], where
                step = next(s for s in e.scenario.steps if s.lock == dep.acquired and s.waits_for is not None
                            or s.lock == dep.acquired and s.site is None)
                assert step.site is None, where
            if released:
                assert "recorded the dependency" in item and "released out of order" in item, where
            if completed:
                assert "complete()" in item and "cross-release" in item, where
                assert any("cross-release" in plain(c) for c in e.conditions), where
    if _corpus_present():
        assert seen == {"release", "commit"}


def test_recorded_by_reads_the_top_of_the_stack():
    from splatkit.model import Frame

    acquire = (Frame("lock_acquire"), Frame("__mutex_lock"), Frame("mutex_lock_nested"), Frame("f"))
    release = (Frame("lock_release"), Frame("up_write"), Frame("btrfs_tree_unlock"))
    commit = (Frame("try_to_wake_up"), Frame("__wake_up_common"), Frame("complete"), Frame("devtmpfsd"))
    assert recorded_by(acquire, "&x->mutex") == "acquire"
    assert recorded_by(release, "&x->mutex") == "release"
    assert recorded_by(commit, "(completion)&req.done") == "commit"
    assert recorded_by(commit, "&x->mutex") == "acquire"  # (only a completion class is committed)
    assert all(LOCKING_API.match(f.function) for f in release[1:2])


# -- A6: read-only rwlocks in irq reports --------------------------------------------------------


def _read_only(splat, lock) -> bool:
    bits = lock_usage(splat, lock) if lock is not None else None
    used = [b for b in bits or () if b.meaning != "unused"]
    return bool(used) and all(b.access == "R" for b in used)


def test_irq_reports_read_a_read_only_lock_with_rlock_and_the_writer_condition():
    seen = 0
    for where, splat in all_reports():
        if splat.kind not in ("irq_safe_unsafe", "irq_inversion"):
            continue
        e = explain(splat)
        if e.scenario is None:  # (a pseudo-lock: no scenario to draw)
            continue
        unsafe = e.scenario.step(1).lock
        locks = {lock.name: lock for lock in (splat.acquiring, splat.holding, *[l for _, l in splat.other_locks],
                                              *(splat.new_dependency or ())) if lock}
        read_only = _read_only(splat, locks.get(unsafe))
        ops = [s.op for s in e.scenario.steps if s.lock == unsafe]
        writer = [plain(c) for c in e.conditions if "needs a writer" in plain(c)]
        if read_only:
            seen += 1
            assert ops == ["rlock", "rlock"], where
            (condition,) = writer
            wants = next(s.number for s in e.scenario.steps if s.cpu == 1 and s.lock == unsafe)
            assert unsafe in condition and f"step {wants}" in condition and "write" in condition, where
        else:
            assert ops == ["lock", "lock"] and not writer, where
    if _corpus_present():
        assert seen >= 1


@pytest.mark.parametrize("usage,expect", [("{.+.+}", True), ("{+.+.}", False), ("{++++}", False)])
def test_a_generated_read_only_unsafe_lock_gets_the_writer_condition(usage, expect):
    """The irq_safe_unsafe case with its unsafe lock's usage rewritten: read-only use or not."""
    import splatkit
    from conftest import REPO

    path = next((REPO / "tests" / "cases").glob("irq_safe_unsafe-*.splat"))
    text = path.read_text().split("\n\n", 1)[1]
    (splat,) = splatkit.parse(text)
    _safe, unsafe = splat.new_dependency
    changed = text.replace(f"({unsafe.name}){{{unsafe.usage}}}", f"({unsafe.name}){usage}")
    assert changed != text or usage == f"{{{unsafe.usage}}}"
    (splat,) = splatkit.parse(changed)
    e = explain(splat)
    assert any("needs a writer" in plain(c) for c in e.conditions) is expect
    assert (e.scenario.step(1).op == "rlock") is expect


# -- A10: wait types --------------------------------------------------------------------------


def test_invalid_wait_reads_held_locks_by_what_may_nest_inside_them():
    seen = 0
    for where, splat in all_reports():
        if splat.kind != "invalid_wait":
            continue
        seen += 1
        e = explain(splat)
        text = _flat(splat)
        summary = plain(e.summary)
        for h in splat.held_locks:
            if h.lock.wait is not None and h.lock.name in summary:
                # A held lock is described by its inner number: what may be taken inside it.
                assert f"{h.lock.name} (LD_WAIT" not in summary, where
                assert f"{{{h.lock.wait[0]}:{h.lock.wait[1]}}}" in summary, where
        rcu3 = any(h.lock.name == "rcu_read_lock" and h.lock.wait == (1, 3) for h in splat.held_locks)
        if rcu3 or splat.wait_scale:
            assert "and the report does not say" not in text, where
            assert "consequences are not spelt out" not in text, where
        # The context's wait type comes from hardirq/softirq/task context alone.
        assert "interrupts disabled" not in text, where
        at = splat.acquiring.at if splat.acquiring else None
        if at is not None and at.function and "might_fault" in at.function:
            assert "annotation" in summary and f"{at.function}() takes" not in summary, where
    assert seen >= 1


# -- A11: the code named is never a locking call, lockdep, the WARN machinery or the unwinder -----


def test_the_code_a_summary_names_is_outside_lockdep_locking_and_warn_machinery():
    from splatkit.analysis.acquisitions import LOCKDEP_INTERNAL, WARN_MACHINERY
    from splatkit.analysis.explain import Code

    bad = []
    for where, splat in all_reports():
        parts = explain(splat).summary.parts
        for i, part in enumerate(parts):
            if not (isinstance(part, Code) and part.endswith("()")):
                continue
            name = part[:-2]
            before, after = "".join(parts[max(0, i - 2):i]), "".join(parts[i + 1:i + 4])
            # (An API named as the API, not as the code to blame: "via mutex_lock()", "the hook
            # lock_contended()", "no matching lock_acquire()".)
            mentioned = before.endswith(("via ", "annotation in ", "(", "calls ", " without ", "hook ", "matching ",
                                         " or ")) or "only the locking call is printed" in after
            if WARN_MACHINERY.match(name) or LOCKDEP_INTERNAL.match(name):
                if not (splat.warn_at and splat.warn_at.function == name) and not (
                        mentioned and before.endswith(("hook ", "matching "))):  # (the WARN's own function)
                    bad.append((where, name))
            elif LOCKING_API.match(name) and not mentioned:
                bad.append((where, name))
    assert not bad, bad[:10]


# -- A7-A9: the template follows the report's message and stack -------------------------------


def test_the_template_follows_the_message_and_the_stack():
    seen = set()
    for where, splat in all_reports():
        summary = plain(explain(splat).summary)
        functions = {f.function for f in splat.backtrace if f.function}
        if splat.kind == "suspicious_rcu" and splat.rcu_message:
            if "Illegal context switch" in splat.rcu_message:
                seen.add("sleep")
                assert "may sleep" in summary and "dereferenced" not in summary, where
            elif "rcu_dereference" in splat.rcu_message:
                seen.add("dereference")
                assert "dereferenced" in summary, where
        if splat.kind == "still_held" and functions:
            exited = bool(functions & {"do_exit", "do_group_exit", "make_task_dead"})
            seen.add(f"exit={exited}")
            assert ("exited with" in summary) is exited, where
            assert ("freezable sleep" in summary) is not exited, where
        if splat.kind == "inconsistent_state" and splat.usage_change and "NMI" in splat.usage_change[1].upper():
            seen.add("nmi")
            text = _flat(splat)
            assert "NMI context" in summary and "softirq handler" not in text and "softirq context" not in text, where
            assert "spin_lock_bh" not in text and "INITIAL USE (in" not in summary, where
    if _corpus_present():
        assert seen >= {"sleep", "dereference", "exit=True", "exit=False", "nmi"}, seen


# -- A15: the explanation's heading ------------------------------------------------------------


def test_headings_carry_no_bracket_tail_or_syzkaller_placeholder():
    for where, splat in all_reports():
        title = explain(splat).title
        assert not title.rstrip().endswith(" ]"), where
        assert not re.search(r"\bcorrupted\b|\bNUM\b", title) or re.search(r"\bcorrupted\b|\bNUM\b",
                                                                           splat.banner), (where, title)
        if re.search(r"\bcorrupted\b", splat.title or ""):
            assert "(report truncated or interleaved)" in title, where
