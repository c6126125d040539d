"""A circular locking report explained: the cycle as numbered steps in CPU columns, and why each waits.

Lockdep prints the evidence (a chain of dependencies, each with the stack that made it)
and a two-CPU scenario that leaves out every lock but three. A reviewer translates the
chain into waits: one CPU per lock of the cycle takes its lock, then wants the next
CPU's. Two locks of the cycle are one CPU's consecutive steps only when the report shows
one task holding both at once (a held-lock list), so fewer CPUs are used only on that
evidence. Every wait gets its reason (:mod:`.waits`), every condition the deadlock needs
(a writer waiting on a read-mostly lock) is said, and what the splat does not show (how a
lock was held, a chain entry that was cut) is written as unknown, never guessed.

>>> import splatkit, splatkit.samples
>>> e = explain_circular(splatkit.parse(splatkit.samples.sample_text())[0])
>>> e.scenario.cpus, len(e.scenario.steps), [s.cell for s in e.scenario.steps][3]
(4, 8, 'take(cpu_hotplug_lock);')
"""

from __future__ import annotations

import re

from ...model import Splat
from ..acquisitions import OPS, acquisition, establishing_frame, lock_kind_by_name, pseudo_lock, recorded_by
from .common import STATIC_CLASS, acquired_site, finish, held_locks_section, held_site, names, site
from .document import Bullets, Code, Dependency, Explanation, Paragraph, Scenario, Section, Step, Wait, a, para, prose
from .waits import holder_op, kind_info, why, writer_of

__all__ = ["LEGEND", "explain_circular"]

#: What each scenario operation means (shown for the operations a scenario uses).
LEGEND: dict[str, str] = {
    "lock": "takes the lock exclusively (a mutex or spinlock, or a read-write lock for write)",
    "rlock": "takes it for read (or enters a read-side section)",
    "sync": "waits for every current holder to let go (synchronize_srcu(), flush_work()...)",
    "take": "takes it, but the splat does not show whether for read or for write",
    "will_complete": "is the task that will call complete() on it, later (a completion is not held: whoever "
                     "waits for it waits for this task)",
    "reclaim": "allocates memory and enters direct reclaim (fs_reclaim is lockdep's marker for memory reclaim, "
               "not a lock: nothing waits for it; the next step is a lock taken inside reclaim)",
}

_OPS = OPS


def _op(access: str | None, kind: str | None) -> str:
    """The scenario operation of an acquisition: from its stack when known, else from the kind."""
    if access is not None:
        return _OPS[access]
    return holder_op(kind) or "take"


def _dependencies(splat: Splat, cycle: tuple[str, ...]) -> list[Dependency]:
    """The cycle's dependencies in cycle order; dependency i acquires cycle[i + 1] and is chain entry #i."""
    by_edge = {(held, acquired): entry for held, acquired, entry in splat.dependencies()}
    deps = []
    for i, held in enumerate(cycle):
        acquired = cycle[(i + 1) % len(cycle)]
        entry = by_edge.get((held, acquired))
        frames = entry.frames if entry is not None else ()
        frame, via = establishing_frame(frames)
        found = acquisition(frames) if frames else None
        named = lock_kind_by_name(acquired)
        if found is not None and named is not None and found.kind != named:
            # (A stack that took another kind of lock than the class's name says does not tell
            # how this lock was taken.)
            found = None
        recorded = recorded_by(frames, held) if frames else "acquire"
        if recorded != "acquire":
            # (The stack released a lock, or is complete()'s: it does not show where or how
            # `acquired` was taken.)
            frame, via, found = None, (), None
        deps.append(Dependency(held, acquired, i, i == 0, frame, via, found, frames, recorded))
    return deps


def _kinds(cycle: tuple[str, ...], deps: list[Dependency]) -> dict[str, str | None]:
    """Each lock's kind: from a stack that acquired it, else from its name, else unknown."""
    kinds: dict[str, str | None] = {}
    for lock in cycle:
        found = next((d.acquisition.kind for d in deps if d.acquired == lock and d.acquisition), None)
        kinds[lock] = found or lock_kind_by_name(lock)
    return kinds


#: The function in which a worker holds its workqueue's lockdep map while it runs a work item.
_WORKER = "process_one_work"


def _held_together(splat: Splat, cycle: tuple[str, ...], deps: list[Dependency],
                   kinds: dict[str, str | None]) -> dict[int, Paragraph]:
    """Indices i of the cycle whose locks cycle[i] and cycle[i + 1] one task is known to hold at once,
    each with the evidence: a held-lock list showing both, or a worker running a work item of the
    workqueue (``process_one_work()`` holds the workqueue's map while the work item runs)."""
    lists = []
    if splat.held_locks:
        lists.append((str(splat.task) if splat.task else "the task", [h.lock.name for h in splat.held_locks]))
    lists += [(str(d.task), [h.lock.name for h in d.held_locks]) for d in splat.held_lock_dumps]
    n = len(cycle)
    together: dict[int, Paragraph] = {}
    for task, held in lists:
        for i, lock in enumerate(cycle):
            nxt = cycle[(i + 1) % n]
            if lock in held and nxt in held and held.index(lock) < held.index(nxt):
                together.setdefault(i, para("the report shows ", Code(task), " holding both at once"))
    for i, dep in enumerate(deps):
        if (kinds[dep.held], kinds[dep.acquired]) == ("workqueue", "work item") \
                and any(f.function == _WORKER for f in dep.frames):
            together.setdefault(i, para("a worker runs each work item of a workqueue with the workqueue's map "
                                        "held (", Code(f"{_WORKER}()"), " in chain entry ",
                                        f"#{dep.chain_index})"))
    if len(together) >= n:  # (a task holding the whole cycle contradicts the report: merge nothing)
        together = {}
    return _reclaim_merges(cycle, kinds, together)


def _reclaim_merges(cycle: tuple[str, ...], kinds: dict[str, str | None],
                    together: dict[int, Paragraph]) -> dict[int, Paragraph]:
    """Merge each marker of the cycle (``fs_reclaim``) into the CPU that enters it.

    ``X -> fs_reclaim`` says some code allocates while holding X; ``fs_reclaim -> Y`` says
    reclaim takes Y. Reclaim runs in the allocating task itself, so the CPU holding X
    enters reclaim and waits for Y there: one CPU fewer, on what fs_reclaim means rather
    than on a held-lock list (the text says so). Nothing waits for the marker itself.
    """
    n = len(cycle)
    out = dict(together)
    for r, lock in enumerate(cycle):
        info = kind_info(kinds[lock])
        if info is None or not info.marker:
            continue
        before = (r - 1) % n
        out.pop(r, None)  # (the CPU in reclaim blocks on the next lock: the marker ends its run)
        out[before] = para(Code(lock), " is lockdep's marker for memory reclaim, not a lock. Reclaim runs in the "
                           "allocating task itself, and reclaim takes ", Code(cycle[(r + 1) % n]), " (chain entry ",
                           f"#{_entry_of(r + 1, n)}", "). This rests on what ", Code(lock), " means, not on a "
                           "held-lock list")
    if len(out) >= n:
        return together
    return out


def _entry_of(index: int, n: int) -> int:
    """The chain entry that records the dependency acquiring cycle[index] (entry #i acquires cycle[i+1])."""
    return (index - 1) % n


def _groups(n: int, together: dict[int, Paragraph]) -> list[list[int]]:
    """The CPUs: runs of consecutive cycle indices held by one task, the run holding index 0 first."""
    starts = [i for i in range(n) if (i - 1) % n not in together]
    groups = []
    for start in starts:
        run = [start]
        while run[-1] in together:
            run.append((run[-1] + 1) % n)
        groups.append(run)
    first = next(k for k, g in enumerate(groups) if 0 in g)
    return groups[first:] + groups[:first]


def _scenario(splat: Splat, cycle: tuple[str, ...], deps: list[Dependency], kinds: dict[str, str | None],
              groups: list[list[int]]) -> Scenario:
    n = len(cycle)
    steps: list[Step] = []
    held_at: dict[int, int] = {}
    for cpu, group in enumerate(groups):
        for k, idx in enumerate(group):
            lock = cycle[idx]
            if k == 0:
                frame = splat.holding.at if (idx == 0 and splat.holding is not None
                                             and splat.holding.name == lock) else None
                op = holder_op(kinds[lock]) or "take"
            else:
                dep = deps[group[k - 1]]
                frame = dep.site
                op = _op(dep.acquisition.access if dep.acquisition else None, kinds[lock])
            steps.append(Step(len(steps) + 1, cpu, op, lock, frame))
            held_at[idx] = len(steps)
    for cpu, group in enumerate(groups):
        dep = deps[group[-1]]
        target = (group[-1] + 1) % n
        steps.append(Step(len(steps) + 1, cpu, _op(dep.acquisition.access if dep.acquisition else None,
                                                  kinds[dep.acquired]), dep.acquired, dep.site, held_at[target]))
    used = {s.op for s in steps}
    return Scenario(len(groups), tuple(steps), tuple((op, text) for op, text in LEGEND.items() if op in used))


def _waits(scenario: Scenario, deps: list[Dependency], kinds: dict[str, str | None]) -> list[Wait]:
    out = []
    for step in scenario.steps:
        if step.waits_for is None:
            continue
        holder = scenario.step(step.waits_for)
        blocked = next(s.number for s in scenario.steps if s.cpu == holder.cpu and s.waits_for is not None)
        found = next((d.acquisition for d in deps if d.acquired == step.lock and d.acquisition
                      and d.site == step.site), None)
        inside = next((d.acquisition.inside for d in deps if d.acquired == step.lock and d.acquisition
                       and d.acquisition.inside), None)
        reason = why(lock=step.lock, kind=kinds[step.lock], op=step.op, api=found.api if found else None,
                     holder_cpu=holder.cpu, holder_step=holder.number, holder=holder.op, holder_blocked=blocked,
                     step=step.number, inside=inside)
        out.append(Wait(step.number, holder.number, step.lock, reason))
    return out


def _wait_sentence(scenario: Scenario, wait: Wait) -> Paragraph:
    step, holder = scenario.step(wait.step), scenario.step(wait.holder_step)
    entered = next((s for s in reversed(scenario.steps[:step.number - 1]) if s.cpu == step.cpu), None)
    inside = f", inside the reclaim it entered at step {entered.number}," if entered is not None \
        and entered.op == "reclaim" else ""
    whose = "its own" if holder.cpu == step.cpu else f"CPU{holder.cpu}'s"
    return para(f"CPU{step.cpu} at step {step.number}{inside} waits for {whose} step {holder.number} (", wait.why,
                ").")


#: Functions that run with a read-mostly lock held for write: when a dependency's stack (recorded
#: while holding the lock) runs under one, its holder most likely holds the lock for write.
WRITE_HOLDERS: tuple[tuple[re.Pattern[str], re.Pattern[str], str], ...] = tuple(
    (re.compile(lock), re.compile(fn), how) for lock, fn, how in (
        (r"^cpu_hotplug_lock", r"^_*(?:_cpu_up|_cpu_down|cpu_up|cpu_down|bringup_nonboot_cpus|freeze_secondary_cpus"
                               r"|thaw_secondary_cpus|cpu_device_up|cpu_device_down)(?:\.\w+)*$", "cpus_write_lock()"),
        (r"^sb_writers|^sb_pagefaults|^sb_internal", r"^_*(?:freeze_super|thaw_super)(?:\.\w+)*$",
         "sb_wait_write()"),
        (r"mmap_lock$|mmap_sem$", r"^_*(?:vm_mmap_pgoff|do_mmap|__do_munmap|do_vmi_munmap|vm_munmap|do_brk_flags"
                                  r"|mprotect_fixup|do_mprotect_pkey)(?:\.\w+)*$", "mmap_write_lock()"),
    ))


def _write_holder(lock: str, deps: list[Dependency]) -> tuple[str, str] | None:
    """(function, locking call) when a stack recorded while ``lock`` was held runs under a function
    that holds it for write (see :data:`WRITE_HOLDERS`)."""
    for lock_pattern, fn_pattern, how in WRITE_HOLDERS:
        if not lock_pattern.search(lock):
            continue
        for dep in deps:
            if dep.held != lock:
                continue
            fn = next((f.function for f in dep.frames if f.function and fn_pattern.match(f.function)), None)
            if fn is not None:
                return fn, how
    return None


def _conditions(scenario: Scenario, kinds: dict[str, str | None], deps: list[Dependency] = ()) -> list[Paragraph]:
    out = []
    writers = [s for s in scenario.steps if s.waits_for is not None and s.op == "rlock"
               and kind_info(kinds[s.lock]) is not None and kind_info(kinds[s.lock]).shared
               and scenario.step(s.waits_for).op != "lock"]
    many = len(writers) > 1
    if many:
        out.append(para(f"The deadlock needs {len(writers)} writers at once, one for each lock below that is "
                        "taken for read where the cycle waits: all of them, not one of them."))
    for step in scenario.steps:
        if step.waits_for is None:
            continue
        info = kind_info(kinds[step.lock])
        holder = scenario.step(step.waits_for)
        if step.op == "rlock" and info is not None and info.shared and holder.op != "lock":
            writer = writer_of(step.lock)
            third = para("a third task waiting to take ", Code(step.lock), " for write",
                         para(", such as ", prose(writer)) if writer else "", f", queued after step {holder.number} and "
                         f"before step {step.number}: ", info.queues_readers, ".")
            head = f"For {step.lock}: " if many else "The deadlock needs a writer. "
            if holder.op == "rlock":
                text = para(head, f"CPU{holder.cpu} holds ", Code(step.lock),
                            f" ({a(info.name)}) for read and CPU{step.cpu} takes it for read at step "
                            f"{step.number}, which blocks only behind ", third)
            else:
                held_for_write = _write_holder(step.lock, deps)
                how = para(" (probably so: the stack recorded while it held the lock runs under ",
                           Code(f"{held_for_write[0]}()"), ", which takes it with ", Code(held_for_write[1]),
                           "; an inference from the function names)") if held_for_write else \
                    " (the splat does not show how)"
                text = para(head, f"CPU{step.cpu} takes ", Code(step.lock),
                            f" ({a(info.name)}) for read at step {step.number}, which blocks only behind a "
                            f"writer: CPU{holder.cpu}, if it took it for write at step {holder.number}", how,
                            ", or else ", third)
            out.append(text)
    crossed = [lock for lock, kind in kinds.items() if kind == "completion" and lock.startswith("(completion)")]
    if crossed:
        out.append(para("The ", Code(crossed[0]), " class comes from cross-release (CONFIG_LOCKDEP_COMPLETIONS, "
                        "4.14 and 4.15), which was removed for its false positives: the deadlock is real only if "
                        "the task that calls ", Code("complete()"), " really takes the next lock before it, on the "
                        "path the waiter depends on."))
    for step in scenario.steps:
        if step.op == "reclaim":
            out.append(para(f"The deadlock needs memory pressure: the allocation at step {step.number} must go into "
                            "direct reclaim, and reclaim must need the filesystem or the block layer. Lockdep "
                            "recorded ", Code(step.lock), ", so this allocation allowed FS reclaim (",
                            Code("__GFP_FS"), "). A ", Code("GFP_NOFS"), "/", Code("GFP_NOIO"), " allocation, or a ",
                            Code("memalloc_nofs_save()"), "/", Code("memalloc_noio_save()"), " scope around it, "
                            "would break this link."))
    return out


def _unknowns(scenario: Scenario, deps: list[Dependency], kinds: dict[str, str | None], splat: Splat) -> list[Paragraph]:
    out = []
    printed = {e.index for e in splat.chain if e.frames}
    for dep in deps:
        if dep.chain_index not in printed:
            out.append(para(f"The stack of chain entry #{dep.chain_index} is not in the report: where ",
                            Code(dep.held), " \u2192 ", Code(dep.acquired), " was established is unknown."))
    for step in scenario.steps:
        if step.op == "take":
            kind = kinds[step.lock]
            out.append(para(f"Whether CPU{step.cpu} takes ", Code(step.lock),
                            f" ({a(kind)}) " if kind else " ", f"for read or for write at step {step.number}: ",
                            "lockdep prints how a lock was taken only in the stack of the dependency that "
                            "acquired it." if step.waits_for is None else "its stack is not in the report."))
    for lock, kind in kinds.items():
        if kind is None:
            out.append(para("What kind of lock ", Code(lock), " is: no stack in the report shows the call that takes it."))
    return out


def _cpu_paths(scenario: Scenario, deps: list[Dependency], splat: Splat) -> list[Paragraph]:
    """What each CPU runs: each of its steps with the code that takes the lock, where the splat shows it."""
    api = {(d.acquired, d.site): d.acquisition.api for d in deps if d.acquisition and d.acquisition.api}
    out = []
    for cpu in range(scenario.cpus):
        steps = [s for s in scenario.steps if s.cpu == cpu]
        last = steps[-1]
        parts: list[str | Paragraph] = [f"CPU{cpu}"]
        if cpu == 0 and splat.task is not None and steps[0].lock == (splat.cycle or (None,))[0]:
            parts += [" (the report's task, ", Code(str(splat.task)), ")"]
        parts.append(": ")
        for k, step in enumerate(steps):
            parts += ["; " if k else "", f"step {step.number} ", Code(step.cell.rstrip(";"))]
            if step.site is not None:
                call = api.get((step.lock, step.site))
                parts += [" in ", site(step.site), para(" via ", Code(f"{call}()")) if call else ""]
            elif step is last:
                parts.append(", where the report's stacks do not show")
            else:
                parts.append(f", taken earlier on the path that reaches step {last.number}")
        out.append(para(*parts, "."))
    return out


def _merges(groups: list[list[int]], together: dict[int, Paragraph], cycle: tuple[str, ...],
            kinds: dict[str, str | None]) -> list[Paragraph]:
    out = []
    for cpu, group in enumerate(groups):
        for k in range(len(group) - 1):
            i = group[k]
            nxt = cycle[(i + 1) % len(cycle)]
            info = kind_info(kinds[nxt])
            if info is not None and info.marker:
                out.append(para(f"CPU{cpu} allocates memory while holding ", Code(cycle[i]), " and enters reclaim "
                                "itself: ", together[i], "."))
            else:
                out.append(para(f"CPU{cpu} takes ", Code(cycle[i]), " and then ", Code(nxt), ": ", together[i], "."))
    return out


def _dependency_item(dep: Dependency, kinds: dict[str, str | None]) -> Paragraph:
    tag = "#0, new" if dep.new else f"#{dep.chain_index}"
    if dep.site is None and not dep.frames:
        return para(f"{tag}: ", Code(dep.held), " \u2192 ", Code(dep.acquired), ": its stack is not in the report.")
    if dep.recorded == "release":
        frame, _via = establishing_frame(dep.frames)
        return para(f"{tag}: ", Code(dep.held), " \u2192 ", Code(dep.acquired), ": the stack shows where lockdep "
                    "recorded the dependency, while another lock was released out of order in ", site(frame),
                    " (lockdep re-checks the locks held above it), not where the lock was taken: that was earlier, "
                    "in code this stack does not show.")
    if dep.recorded == "commit":
        return para(f"{tag}: whoever completes ", Code(dep.held), " takes ", Code(dep.acquired), " before it calls ",
                    Code("complete()"), "; the stack shows the ", Code("complete()"), " call (cross-release), not "
                    "the acquisition.")
    held_marker = kind_info(kinds.get(dep.held))
    holding = para(" inside memory reclaim (", Code(dep.held), ")") if held_marker and held_marker.marker \
        else para(" while holding ", Code(dep.held))
    via = para(", via ", Code(f"{dep.acquisition.api}()")) if dep.acquisition and dep.acquisition.api else ""
    if dep.acquisition and dep.acquisition.access == "reclaim":
        return para(f"{tag}: ", site(dep.site), " allocates memory with GFP flags that allow FS reclaim, so it may "
                    "enter reclaim (", Code(dep.acquired), via, ")", holding, ".")
    if dep.acquisition and dep.acquisition.api and "might_fault" in dep.acquisition.api:
        return para(f"{tag}: ", site(dep.site), " may fault; the fault handler would take ", Code(dep.acquired),
                    " for read (a lockdep annotation in ", Code(f"{dep.acquisition.api}()"), ", not an acquisition)",
                    holding, ".")
    how = para(" (", str(dep.acquisition), via, ")") if dep.acquisition and dep.acquisition.api else None
    return para(f"{tag}: ", site(dep.site), " takes ", Code(dep.acquired), how, holding, ".")


def explain_circular(splat: Splat) -> Explanation:
    """Explain a ``circular`` report (see the module docstring)."""
    cycle = splat.cycle
    if not cycle:
        return _partial(splat)
    n = len(cycle)
    deps = _dependencies(splat, cycle)
    kinds = _kinds(cycle, deps)
    together = _held_together(splat, cycle, deps, kinds)
    groups = _groups(n, together)
    scenario = _scenario(splat, cycle, deps, kinds, groups)
    waits = _waits(scenario, deps, kinds)
    new = deps[0]
    who = Code(str(splat.task)) if splat.task else "The task"
    held_info = kind_info(kinds[new.held])
    holding = para(" inside memory reclaim (", Code(new.held), ")") if held_info and held_info.marker \
        else para(" while holding ", Code(new.held))
    access = new.acquisition.access if new.acquisition else None
    doing = para(" waited for the holders of ", Code(new.acquired)) if access == "wait" else \
        para(" allocated memory that may enter reclaim (", Code(new.acquired), ")") if access == "reclaim" else \
        para(" tried to take ", Code(new.acquired))
    summary = para("Lockdep found a possible deadlock. ", who, doing, " in ", site(new.site),
                   holding, f"; this new dependency closes a cycle of {n} lock classes "
                   f"with {n - 1} dependenc{'ies' if n > 2 else 'y'} recorded earlier, so the code paths involved "
                   "can deadlock when they run at the same time.")
    cycle_text = para(*[part for i, lock in enumerate(cycle + (cycle[0],))
                        for part in ((" \u2192 " if i else ""), Code(lock))])
    cpus = scenario.cpus
    fewest = ("one CPU per lock class" if cpus == n else
              f"{cpus} CPUs for {n} lock classes, on the evidence below")
    how = [para(f"Each CPU takes its locks, then wants the lock the next CPU holds ({fewest}):"), scenario,
           Bullets(tuple(_wait_sentence(scenario, w) for w in waits)),
           para("The code on each CPU:"), Bullets(tuple(_cpu_paths(scenario, deps, splat)))]
    merges = _merges(groups, together, cycle, kinds)
    if merges:
        how += [para("Why a CPU takes more than one lock of the cycle:"), Bullets(tuple(merges))]
    sections = [
        Section("The cycle", tuple(b for b in (para(f"Each lock class is acquired while the one before it is held:"),
                                               cycle_text, _chain_exists_note(splat, cycle)) if b is not None)),
        Section("How it deadlocks", tuple(how)),
        Section("Where each dependency was established",
                (Bullets(tuple(_dependency_item(d, kinds) for d in sorted(deps, key=lambda d: d.chain_index))),)),
        held_locks_section(splat),
    ]
    return finish(splat, summary, sections, conditions=_conditions(scenario, kinds, deps) + _same_objects(cycle),
                  unknowns=_unknowns(scenario, deps, kinds, splat), cycle=cycle, dependencies=tuple(deps),
                  scenario=scenario, waits=tuple(waits))


def _chain_exists_note(splat: Splat, cycle: tuple[str, ...]) -> Paragraph | None:
    """For a cycle longer than lockdep's "Chain exists of:" line: which locks that line (and
    lockdep's scenario, drawn from it) leave out."""
    shown = splat.chain_exists
    left = [lock for lock in cycle if lock not in shown]
    if len(shown) < 3 or not left:
        return None
    return para("Lockdep's own \u201cChain exists of:\u201d line and its scenario show only the first, next-to-last "
                "and last lock (", names(shown), "); ", names(left), f" {'is' if len(left) == 1 else 'are'} the "
                f"other lock{'s' if len(left) > 1 else ''} of the cycle of {len(cycle)}.")


def _same_objects(cycle: tuple[str, ...]) -> list[Paragraph]:
    """The classes-versus-objects caveat: lockdep's cycle is between classes, a deadlock needs objects."""
    many = [lock for lock in dict.fromkeys(cycle) if not STATIC_CLASS.match(lock)
            and (kind_info(lock_kind_by_name(lock)) is None or not kind_info(lock_kind_by_name(lock)).marker)
            and lock_kind_by_name(lock) != "cpuhp state" and lock != "mmu_notifier_invalidate_range_start"]
    if not many:
        return []
    return [para("The deadlock needs the same objects on each side: the cycle is between lock classes, and ",
                 names(many), f" {'is a class' if len(many) == 1 else 'are classes'} with an instance per object. "
                 "Lockdep recorded each dependency on whatever objects it saw then; the paths deadlock only if they "
                 "can meet on the same ", "one" if len(many) == 1 else "ones",
                 " (a false positive is usually two paths that never share an object).")]


def _partial(splat: Splat) -> Explanation:
    """A circular report whose cycle cannot be told (a cut chain): what is known, and what is missing."""
    known = splat.chain_members()
    if not splat.chain:
        summary = para("Lockdep found a possible circular locking dependency, but the report's dependency chain "
                       "is missing, so the cycle cannot be told from it.")
    else:
        missing = sorted(set(range(max(known) + 1)) - set(known)) if known else []
        summary = para("Lockdep found a possible circular locking dependency, but the report's dependency chain is "
                       "cut", f" (entries {', '.join(f'#{k}' for k in missing)} are missing)" if missing else "",
                       ", so the cycle cannot be told from it. The entries it shows are listed below.")
    sections = []
    if splat.acquiring is not None and splat.holding is not None:
        sections.append(Section("The new dependency", (para(
            Code(str(splat.task)) if splat.task else "The task", " tried to take ", Code(splat.acquiring.name), " in ",
            held_site(splat, acquired_site(splat, splat.acquiring.at)), " while holding ", Code(splat.holding.name), "."),)))
    if splat.chain:
        items = []
        for entry in splat.chain:
            frame, _via = establishing_frame(entry.frames)
            found = acquisition(entry.frames)
            items.append(para(f"#{entry.index}: ", Code(entry.lock.name), ", taken in ", site(frame),
                              f" ({found})" if found else ""))
        sections.append(Section("Chain entries shown", (Bullets(tuple(items)),)))
    if len(splat.chain_exists) == 3:
        sections.append(Section("Chain exists of", (names(splat.chain_exists, "then"),)))
    sections.append(held_locks_section(splat))
    unknowns = [para("The cycle: the report does not show every lock of its chain.")]
    return finish(splat, summary, sections, unknowns=unknowns)
