"""The expert review's later findings, each pinned on real text: the seed, the cases, both corpora
(skipped cleanly without them) and reports the test derives from them.

One test per mechanism: a wrapper's internal spinlock (A5), lockdep's self-check messages (A12),
hashed pointers (A16), chain-key collisions (A17), held-lock dumps (A18), leaked locks of work
items (A19), another task's stack interleaved (A11), recursive verdicts (B1), the seed (B2)...
"""

from __future__ import annotations

import re

import pytest

from splatkit.analysis.acquisitions import LOCK_APIS, LOCKING_API, WARN_MACHINERY, acquisition, establishing_frame
from splatkit.analysis.explain import explain, plain
from splatkit.model import Frame
from splatkit.render.explain import explain_text
from test_explain import all_reports, circular_reports


def _flat(splat) -> str:
    return " ".join(explain_text(splat, trimmed=False).split())


def _corpus_present() -> bool:
    return any(where.startswith(("syzkaller/", "wild/")) for where, _ in all_reports())


# -- A5: a wrapper's internal spinlock is a spinlock, not the wrapper ---------------------------


def _kinds_of(frames):
    _frame, via = establishing_frame(frames)
    out = []
    for f in via:
        out += [kind for pattern, kind, _access in LOCK_APIS if pattern.match(f.function or "")][:1]
    return out


def test_a_lock_taken_by_a_spinlock_call_inside_a_wrapper_is_the_wrappers_internal_spinlock():
    seen = 0
    for where, splat in circular_reports():
        e = explain(splat)
        for dep in e.dependencies:
            if dep.recorded != "acquire" or not dep.frames:
                continue
            kinds = _kinds_of(dep.frames)
            if not kinds or kinds[0] not in ("spinlock", "rwlock") or kinds[-1] in ("spinlock", "rwlock"):
                continue
            seen += 1
            assert dep.acquisition is not None and dep.acquisition.kind == kinds[0], (where, dep.acquired)
            assert dep.acquisition.inside == kinds[-1], (where, dep.acquired)
            text = _flat(splat)
            assert f"{dep.acquired} is {'an' if kinds[-1][0] in 'aeiou' else 'a'} {kinds[-1]}," not in text, where
            assert f"internal {kinds[0]} of" in text, where
    if _corpus_present():
        assert seen >= 1


@pytest.mark.parametrize("frames,expect", [
    (("_raw_spin_lock_irqsave", "down_trylock", "console_trylock"), "the internal spinlock of a semaphore"),
    (("_raw_spin_lock_bh", "lock_sock_nested", "tcp_sendmsg"), "the internal spinlock of a socket lock"),
    (("down_trylock", "console_trylock"), "semaphore"),
    (("percpu_down_read", "cpus_read_lock", "kvm_lapic_set_base"), "percpu-rwsem for read"),
    (("_raw_spin_lock", "do_thing"), "spinlock"),
])
def test_the_innermost_spinlock_call_decides_the_kind(frames, expect):
    stack = (Frame("lock_acquire"), *(Frame(f) for f in frames))
    assert str(acquisition(stack)) == expect


# -- A12: lockdep's self-checks say what the check prints and means ----------------------------


def test_a_lockdep_warning_is_read_by_its_check():
    from splatkit.analysis.explain.messages import check_of

    seen = set()
    for where, splat in all_reports():
        if splat.kind != "lockdep_warning":
            continue
        e = explain(splat)
        text = _flat(splat)
        function = (splat.warn_at.function if splat.warn_at else None) or ""
        check = check_of(splat)
        if function.startswith("lockdep_init_map") and splat.condition == "1":
            seen.add("key")
            assert "has not been registered!" in text and "lockdep_register_key()" in text, where
            assert "static key" in plain(e.section("What to do").blocks[0]), where
        if function.startswith(("lock_downgrade", "__lock_downgrade")) and not splat.condition:
            seen.add("downgrade")
            assert "\u201cdowngrading a read lock\u201d" in text, where
            assert "downgrade_write()" in plain(e.section("What it usually means").blocks[0]), where
        if splat.condition and "MAX_LOCKDEP_KEYS" in splat.condition or (function == "hlock_class"
                                                                         and splat.condition == "1"):
            seen.add("garbage")
            assert "class index is garbage" in text and "use-after-free" in text, where
        if check is None:
            assert "The report names no condition splatkit knows" in text, where
        # The WARN's site is said once, and the code named is not the trap that printed it.
        summary = plain(e.summary)
        assert not re.search(r"(\([\w/.-]+:\d+\)),? \1", summary), (where, summary)
        running = re.search(r"while running (\w+)\(\)", summary)
        if running:
            assert not WARN_MACHINERY.match(running.group(1)) and not LOCKING_API.match(running.group(1)), where
            named = next(f for f in splat.backtrace if f.function == running.group(1))
            assert not any(f.function and WARN_MACHINERY.match(f.function)
                           for f in splat.backtrace[splat.backtrace.index(named):]), where
    if _corpus_present():
        assert seen == {"key", "downgrade", "garbage"}, seen


@pytest.mark.parametrize("release,expect,absent", [
    ("6.1.0", "has not been registered!", "not in .data!"), ("4.19.0", "not in .data!", "has not been registered!")])
def test_the_unregistered_key_message_follows_the_kernel_version(release, expect, absent):
    """wild-019's warning given a kernel ident line: the message quoted is this kernel's."""
    import dataclasses

    from splatkit.model import KernelIdent

    splat = next((s for w, s in all_reports() if s.kind == "lockdep_warning" and s.warn_at
                  and (s.warn_at.function or "").startswith("lockdep_init_map")), None)
    if splat is None:
        pytest.skip("no unregistered-key warning in the corpora")
    text = " ".join(explain_text(dataclasses.replace(splat, kernel=KernelIdent(release)), trimmed=False).split())
    assert expect in text and absent not in text


# -- A11: a backtrace of another task interleaved -----------------------------------------------


def test_a_stack_dumped_by_another_task_is_not_named():
    from splatkit.analysis.explain.common import foreign_stack

    seen = 0
    for where, splat in all_reports():
        pids = [(line.no, m.group(1)) for line in splat.lines
                if (m := re.search(r"CPU: \d+ PID: (\d+) Comm:", line.text))]
        first = next((f.line_no for f in splat.backtrace if f.line_no is not None), None)
        if splat.task is None or first is None:
            continue
        above = [pid for no, pid in pids if no < first]
        other = (above[-1] != str(splat.task.pid)) if above else any(
            pid == str(splat.task.pid) and no > first for no, pid in pids)
        assert bool(foreign_stack(splat)) == other, where
        if not other:
            continue
        seen += 1
        e = explain(splat)
        functions = {f.function for f in splat.backtrace if f.function}
        named = {p[:-2] for p in e.summary.parts if p.endswith("()")}
        assert not (named & functions - ({splat.warn_at.function} if splat.warn_at else set())), where
        assert e.section("Where lockdep caught it") is None, where
        assert any("another task's" in plain(u) for u in e.unknowns), where
    if _corpus_present():
        assert seen >= 2


# -- A13: irq reports keep every lock of lockdep's chain, and name what the report names -------


def test_irq_scenarios_keep_the_chain_and_merge_only_on_evidence():
    seen = 0
    for where, splat in all_reports():
        if splat.kind not in ("irq_safe_unsafe", "irq_inversion") or len(splat.chain_exists) < 3:
            continue
        e = explain(splat)
        if e.scenario is None:
            continue
        chain = splat.chain_exists
        cpu1 = [s.lock for s in e.scenario.steps if s.cpu == 1 and s.lock]
        if cpu1[0] != chain[0] or cpu1[-1] != chain[-1]:
            continue
        seen += 1
        assert cpu1 == list(chain), where  # (every lock of the chain, in order)
        text = _flat(splat)
        held = {h.lock.name for h in splat.held_locks}
        evidence = {chain[0], chain[1]} <= held
        assert ("recorded earlier" in text and "one more CPU" in text) is not evidence, where
        wants = next(s for s in e.scenario.steps if s.cpu == 1 and s.lock == chain[-1])
        assert f"CPU1 at step {wants.number} waits for CPU0's step 1" in text, where
        if splat.holding is not None:
            assert f"The dependency {splat.holding.name} \u2192 {chain[-1]}" in text, where
    if _corpus_present():
        assert seen >= 2


def test_irq_reports_cut_before_naming_a_lock_use_the_name_they_have_and_a_letter():
    seen = 0
    for where, splat in all_reports():
        if splat.kind not in ("irq_safe_unsafe", "irq_inversion"):
            continue
        text = _flat(splat)
        assert "an irq-safe lock" not in text and "an irq-unsafe lock" not in text, where
        if splat.other_locks or splat.new_dependency or splat.acquiring is None:
            continue
        seen += 1
        e = explain(splat)
        assert splat.acquiring.name in plain(e.summary), where
        assert "inferred from its usage" in plain(e.summary), where
        letters = [s.lock for s in e.scenario.steps if s.lock in ("S", "U")]
        assert letters, where
        assert any("the report is cut before lockdep names it" in plain(u) for u in e.unknowns), where
        if not splat.irq_class and splat.kind == "irq_inversion":
            assert "hardirq or softirq" in text and "softirq-safe" not in text, where
    if _corpus_present():
        assert seen >= 2


# -- A16: hashed pointers are no range -----------------------------------------------------------


def test_a_freed_range_of_hashed_pointers_is_not_read_as_a_range():
    seen = 0
    for where, splat in all_reports():
        if splat.kind != "held_lock_freed" or not splat.memory_range:
            continue
        start, end = splat.memory_range
        hashed = (start.startswith("00000000") and end.startswith("00000000")) or int(start, 16) > int(end, 16)
        text = _flat(splat)
        seen += hashed
        assert ("runs from" in text) is not hashed, where
        assert ("hashed by this kernel" in text) is hashed, where
    assert seen >= 1


@pytest.mark.parametrize("start,end,hashed", [("000000007fcba654", "00000000499fef26", True),
                                              ("ffff888003a1b000", "ffff888003a1b0ff", False),
                                              ("ffff888003a1b0ff", "ffff888003a1b000", True)])
def test_the_hashed_range_rule(start, end, hashed):
    from splatkit.analysis.explain.misuse import _hashed

    assert _hashed(start, end) is hashed


# -- A17: chain key collisions show what differs ------------------------------------------------


def test_a_chain_key_collision_shows_the_ids_and_what_differs():
    seen = 0
    for where, splat in all_reports():
        if splat.kind != "chain_key_collision":
            continue
        ids = {}
        for role, lock in splat.other_locks:
            line = next(l.text for l in splat.lines if l.no == lock.line_no)
            ids.setdefault(role, []).append((lock.name, int(re.search(r"hlock_id:(\d+)", line).group(1))))
        seen += 1
        chains = plain(explain(splat).section("The two chains").blocks[0].items[0]) + " " + \
            plain(explain(splat).section("The two chains").blocks[0].items[1])
        for name, hid in ids["held"] + ids["cached"]:
            assert f"{name} (id {hid})" in chains, where
        text = _flat(splat)
        for (name, hid), (other, cid) in zip(ids["held"], ids["cached"]):
            if name == other and hid != cid:
                assert f"{name} has id {hid} in the held chain and {cid} in the cached one: two distinct lock " \
                       "classes with the same name" in text, where
    assert seen >= 1


def test_a_generated_collision_with_equal_ids_says_so():
    """The golden case with the cached chain's ids made equal to the held chain's."""
    import splatkit
    from conftest import REPO

    path = next((REPO / "tests" / "cases").glob("chain_key_collision-*.splat"))
    text = path.read_text().split("\n\n", 1)[1]
    held, cached = text.split("Locks in cached chain:", 1)
    ids = iter(re.findall(r"hlock_id:(\d+)", held))
    cached = re.sub(r"hlock_id:\d+", lambda m: f"hlock_id:{next(ids)}", cached)
    assert cached != text.split("Locks in cached chain:", 1)[1]
    (splat,) = splatkit.parse(held + "Locks in cached chain:" + cached)
    flat = " ".join(explain_text(splat, trimmed=False).split())
    assert "two distinct lock classes" not in flat
    assert "the report shows no difference" in flat


# -- A18: a held-lock dump claims only what lockdep tracks --------------------------------------


def test_a_dump_without_shared_locks_claims_only_lockdep_tracked_waits():
    seen = 0
    for where, splat in all_reports():
        if splat.kind != "held_locks_dump":
            continue
        text = _flat(splat)
        assert "the dump shows no task waiting for a lock another task holds" not in text, where
        if "No lock is listed by two tasks" in text:
            seen += 1
            assert "lockdep-tracked lock" in text and "waits lockdep does not track" in text, where
    assert seen >= 1


# -- A19: a leaked lock says what the header shows and names the work function -----------------


def test_a_leaked_lock_report_says_what_its_header_shows():
    seen = set()
    for where, splat in all_reports():
        if splat.kind != "workqueue_leaked_lock":
            continue
        header = " ".join(line.text for line in splat.lines[:3])
        text = _flat(splat)
        summary = plain(explain(splat).summary)
        assert "or left preemption or RCU unbalanced" not in text, where
        workfn = re.search(r"(?:workfn=|last function: )([\w.]+)", header)
        if workfn:
            seen.add("workfn")
            assert f"work function {workfn.group(1)}()" in summary, where
        if re.search(r"preempt=0x0+\b|/0x0+/\d+", header):
            seen.add("preempt")
            assert "preemption balanced" in text, where
        m = re.search(r"lock=(\d+)->(\d+)", header)
        if m:
            assert f"{int(m.group(2)) - int(m.group(1))} lock" in text, where
        if any(h.lock.name.startswith("rcu_read_lock") for h in splat.held_locks):
            seen.add("rcu")
            name = next(h.lock.name for h in splat.held_locks if h.lock.name.startswith("rcu_read_lock"))
            assert "RCU read-side section" in summary and name.replace("_lock", "_unlock", 1) + "()" in summary, where
    assert seen >= {"workfn", "preempt", "rcu"}


# -- B1: recursive verdicts follow the addresses, the lock's kind and its name --------------------


def test_recursive_verdicts_follow_what_the_report_shows():
    from splatkit.analysis.acquisitions import acquisition
    from splatkit.analysis.explain.common import STATIC_CLASS
    from splatkit.trim import trim

    seen = set()
    for where, splat in all_reports():
        if splat.kind != "recursive" or splat.acquiring is None or splat.holding is None:
            continue
        e = explain(splat)
        saw = " ".join(plain(b) for b in e.section("What lockdep saw").blocks if hasattr(b, "parts"))
        todo = plain(e.section("What to do").blocks[0])
        name = splat.acquiring.name
        same = splat.acquiring.instance and splat.acquiring.instance == splat.holding.instance
        assert "unless the lock allows recursive readers" not in saw, where
        if same:
            seen.add("same")
            assert "when the objects are the same" not in saw, where
            assert "takes the same lock twice" in todo and not todo.startswith("If the objects differ"), where
            trimmed = "\n".join(trim(splat))
            assert splat.acquiring.instance in trimmed, where  # (the evidence stays in the trimmed splat)
            found = acquisition(splat.backtrace)
            if found is not None and found.access == "read" and found.kind in ("rwsem", "percpu-rwsem"):
                seen.add("read")
                assert "not recursive" in saw or "Likely reading" in saw, where
        elif not splat.acquiring.instance and STATIC_CLASS.match(name):
            seen.add("static")
            assert "static lock" in saw and "inference" in saw, where
            assert todo.startswith("Most likely the code takes the same lock twice"), where
        elif splat.acquiring.instance and not same:
            seen.add("different")
            assert "annotate" in todo, where
    if _corpus_present():
        assert seen >= {"same", "static"}, seen


# -- B2: what lockdep's own chain line leaves out; classes versus objects -----------------------


def test_circular_explanations_name_the_locks_lockdeps_chain_line_leaves_out(seed_splat):
    e = explain(seed_splat)
    note = plain(e.section("The cycle").blocks[-1])
    assert "Chain exists of:" in note and "&kvm->srcu is the other lock of the cycle of 4" in note
    for where, splat in circular_reports():
        e = explain(splat)
        left = [lock for lock in splat.cycle if lock not in splat.chain_exists]
        text = " ".join(plain(b) for b in e.section("The cycle").blocks if hasattr(b, "parts"))
        assert ("Chain exists of:" in text) is (len(splat.chain_exists) >= 3 and bool(left)), where
        for lock in left if len(splat.chain_exists) >= 3 else ():
            assert lock in text.split("Chain exists of:", 1)[1], where


def test_circular_conditions_say_the_deadlock_needs_the_same_objects():
    seen = 0
    for where, splat in circular_reports():
        e = explain(splat)
        caveat = [plain(c) for c in e.conditions if "same objects" in plain(c)]
        per_object = [lock for lock in splat.cycle if lock.startswith("&") or "->" in lock]
        if per_object:
            seen += 1
            (text,) = caveat
            assert all(lock in text for lock in per_object), where
        if all(re.fullmatch(r"[A-Za-z_]\w*", lock) for lock in splat.cycle):
            assert not caveat, where
    assert seen >= 1


# -- B17: function names in conditions are code, wherever the text comes from --------------------


def test_function_names_in_conditions_are_code():
    from splatkit.analysis.explain import Code

    for where, splat in all_reports():
        for condition in explain(splat).conditions:
            for part in condition.parts:
                if not isinstance(part, Code):
                    assert not re.search(r"\b\w+\(\)", part), (where, part)


# -- B16: the heading is a subject line; step numbers right-aligned --------------------------------


def test_headings_are_one_line_and_step_numbers_are_right_aligned():
    seen = 0
    for where, splat in all_reports():
        text = explain_text(splat, trimmed=False)
        lines = text.splitlines()
        assert lines[0] == f"lockdep: {explain(splat).title}", where
        assert all(len(line) <= 72 for line in lines[1:]), where
        steps = [line for line in lines if re.match(r"^\s*\d+\. CPU\d+: ", line)]
        if len(steps) >= 10:
            seen += 1
            assert len({line.index(".") for line in steps}) == 1, where
    if _corpus_present():
        assert seen >= 1


# -- B11: the advice for a full lockdep table fits the kernel's version ----------------------------


def test_lockdep_limit_advice_fits_the_kernels_version():
    import dataclasses

    from splatkit.analysis.explain.common import kernel_version
    from splatkit.analysis.explain.messages import LIMITS
    from splatkit.model import KernelIdent

    seen = set()
    for where, splat in all_reports():
        if splat.kind != "lockdep_limit" or LIMITS.get(splat.limit or "", (0, 0, None))[2] is None:
            continue
        for release in ("5.1.0", "6.6.0"):
            variant = dataclasses.replace(splat, kernel=KernelIdent(release))
            todo = plain(explain(variant).section("What to do").blocks[0])
            old = kernel_version(variant) < (5, 13)
            seen.add(old)
            assert ("lockdep_internals.h" in todo and not todo.startswith("Raise CONFIG_")) is old, (where, release)
    assert seen == {True, False}


# -- B12, B14: bad unlock of RCU or in an annotation; bad contention --------------------------------


def test_bad_unlock_and_contention_advice_fits_what_was_released():
    seen = set()
    for where, splat in all_reports():
        if splat.kind not in ("bad_unlock", "bad_contention"):
            continue
        text = _flat(splat)
        summary = plain(explain(splat).summary)
        lock = splat.unheld_lock.name if splat.unheld_lock else ""
        annotation = any(f.function and re.match(r"^_*(?:might_fault|might_lock\w*)$", f.function)
                         for f in splat.unheld_at)
        if splat.kind == "bad_contention":
            seen.add("contention")
            assert "lock_contended()" in summary and "no matching lock_acquire()" in summary, where
        elif lock.startswith("rcu_read_lock"):
            seen.add("rcu")
            assert "RCU read-side section" in summary and "completion or a semaphore" not in text, where
        elif annotation:
            seen.add("annotation")
            assert "not a double unlock" in summary and "completion or a semaphore" not in text, where
        else:
            assert "holds no such lock" in summary, where
    if _corpus_present():
        assert seen == {"contention", "rcu", "annotation"}, seen


# -- B6, B3: several writers are needed together; a writer read off the holder's stack -------------


def test_writer_conditions_are_joined_and_read_off_the_holders_stack():
    from splatkit.analysis.explain.circular import WRITE_HOLDERS

    seen = set()
    for where, splat in circular_reports():
        e = explain(splat)
        conditions = [plain(c) for c in e.conditions]
        writers = [c for c in conditions if "blocks only behind" in c]
        assert sum("The deadlock needs a writer." in c for c in conditions) <= 1, where
        if len(writers) > 1:
            seen.add("several")
            assert any(f"needs {len(writers)} writers at once" in c for c in conditions), where
            assert all(c.startswith("For ") for c in writers), where
        for dep in e.dependencies:
            functions = [f.function for f in dep.frames if f.function]
            for lock, fn, how in WRITE_HOLDERS:
                hit = next((f for f in functions if fn.match(f)), None)
                if lock.search(dep.held) and hit and any(dep.held in c for c in writers):
                    seen.add("inferred")
                    assert any(f"runs under {hit}()" in c and "an inference from the function names" in c
                               for c in writers), where
    if _corpus_present():
        assert seen == {"several", "inferred"}, seen


# -- B10: held-lock dumps put the likely reading first, hedge what is inferred ---------------------


def test_dump_readings_lead_with_the_likely_one():
    seen = set()
    for where, splat in all_reports():
        if splat.kind != "held_locks_dump":
            continue
        e = explain(splat)
        section = e.section("Tasks that wait on each other")
        items = [plain(i) for b in section.blocks if hasattr(b, "items") for i in b.items] if section else []
        for item in items:
            assert "maybe two objects" not in item and ": held by" not in item, where
            if "(no address printed)" in item:
                seen.add("class")
                assert item.index("probably different objects") < item.index("else"), where
            if "lists it last" in item or "list it last" in item:
                seen.add("wait")
                assert "probably held by" in item, where
                assert ("lists it last, so most likely waits" in item) or ("list it last, so most likely wait " in item)
            if "usage shows read use only" in item:
                seen.add("read")
                assert "waiting" not in item, where
    if _corpus_present():
        assert seen == {"class", "wait", "read"}, seen


# -- B13: invalid_wait advice fits the context ----------------------------------------------------


def test_a_sleeping_lock_in_interrupt_context_is_not_advised_to_be_taken_earlier():
    seen = 0
    for where, splat in all_reports():
        if splat.kind != "invalid_wait":
            continue
        e = explain(splat)
        breaks = " ".join(plain(b) for b in e.section("What breaks").blocks)
        todo = plain(e.section("What to do").blocks[0])
        if "interrupt context" in breaks and "sleeping lock" in breaks:
            seen += 1
            assert todo.startswith("Do not take") and "before entering" not in todo, where
            assert "raw_spinlock_t" not in todo, where
    assert seen >= 1
