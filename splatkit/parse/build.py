"""The parsed report: what the reader collected, built into a :class:`~splatkit.model.Splat`."""

from __future__ import annotations

import dataclasses
import itertools
import operator
from typing import TYPE_CHECKING, Any

from ..model import (
    ChainEntry,
    DependencyClass,
    DependencyPath,
    HeldLock,
    HeldLockDump,
    IrqEvent,
    LockUse,
    ScenarioStep,
    Span,
    Splat,
    StackContext,
    StateTrace,
    Task,
)
from ..grammar.locks import lock_from_name
from ..titles import MAX_BLOCK_LINES, syzkaller_title
from ..usage import WaitEvidence, detect_usage_layout, detect_wait_scale
from .extent import report_end
from .notes import report_notes

if TYPE_CHECKING:
    from .reader import ReportReader

__all__ = ["build_splat", "scenario_columns"]

_WRAPPERS_OF = operator.attrgetter("wrappers")


def build_splat(reader: ReportReader, span: Span, ended: bool) -> Splat:
    f = reader.fields
    context = None
    ctx = f.get("context")
    if ctx is not None or f.get("hardware") or reader.registers:
        taint = ctx.group("taint") if ctx else None
        if taint and taint.startswith("Tainted:"):
            taint = taint[len("Tainted:"):].strip()
        context = StackContext(
            cpu=int(ctx.group("cpu")) if ctx is not None and "cpu" in ctx.re.groupindex else None,
            pid=int(ctx.group("pid")) if ctx else None,
            comm=ctx.group("comm") if ctx else None,
            taint=taint,
            release=ctx.group("release") if ctx else None,
            hardware=f.get("hardware"),
            registers=tuple(reader.registers),
        )
    chain = tuple(
        ChainEntry(index=e["index"], lock=_whole_name(e["lock"], reader), frames=tuple(e["frames"]),
                   line_no=e["line_no"])
        for e in reader.chain
    )
    stacks = [tuple(stack) for stack in reader.stacks if stack]
    truncated = not ended and bool(reader.kind.stack_sections) and not stacks
    lines = tuple(reader.lines[reader.first:reader.through(span.last_line)])
    # Every wrapper name once, in the order of first appearance (most lines share a tuple).
    wrappers = list(dict.fromkeys(itertools.chain.from_iterable(dict.fromkeys(map(_WRAPPERS_OF, lines)))))
    held_locks = tuple(reader.held_locks[i] for i in sorted(reader.held_locks))
    # syzkaller's title, from the raw report text: the banner line and the lines after it up
    # to the report's end (.extent), which is where syzkaller finds what a report broken off
    # by another crash lacks.
    start = reader.banner_index
    end = report_end(reader.lines, reader.lines[start].caller, reader.last,
                     min(reader.limit, start + MAX_BLOCK_LINES), contexts=reader.contexts)
    title = syzkaller_title(reader.lines, start, reader.kind, end)
    # Every lock the report prints: the era and the wait-type scale are read from them.
    locks = _locks(f, chain, held_locks, reader.other_locks, reader.dumps, reader.paths)
    usage_layout = detect_usage_layout(reader.banner, f.get("kernel"), f.get("usage_change"),
                                       [lock.usage for lock in locks if lock.usage],
                                       kind_since=reader.kind.since)
    splat = Splat(
        kind=reader.kind.kind,
        banner=reader.banner,
        span=span,
        kernel=f.get("kernel"),
        # Kinds without a task line: the task dump_stack() names is the one that got here.
        task=f.get("task") or (Task(context.comm, context.pid) if context and context.comm else None),
        acquiring=f.get("acquiring"),
        holding=f.get("holding"),
        chain=chain,
        chain_exists=f.get("chain_exists", ()),
        scenario=scenario_columns(reader),
        held_locks=held_locks,
        held_locks_count=f.get("held_locks_count"),
        backtrace=stacks[0] if stacks else (),
        extra_backtraces=tuple(stacks[1:]),
        context=context,
        irq_context=f.get("irq_context"),
        usage_change=f.get("usage_change"),
        irq_class=f.get("irq_class"),
        new_dependency=f.get("new_dependency"),
        other_locks=tuple(reader.other_locks),
        traces=tuple(_trace(t) for t in reader.traces),
        irq_events=tuple(IrqEvent(e["irq"], e["event"], e["stamp"], e["at"], e["line_no"])
                         for e in reader.irq_events),
        irq_event_stamp=f.get("irq_event_stamp"),
        dependency_paths=tuple(_path(p) for p in reader.paths),
        unheld_lock=f.get("unheld_lock"),
        unheld_at=tuple(reader.unheld_at),
        memory_range=f.get("memory_range"),
        source_location=f.get("source_location"),
        rcu_message=f.get("rcu_message"),
        rcu_notes=tuple(reader.rcu_notes),
        rcu_scheduler_active=f.get("rcu_scheduler_active"),
        debug_locks=f.get("debug_locks"),
        wait_context=f.get("wait_context"),
        limit=f.get("limit"),
        lock_depth=f.get("lock_depth"),
        condition=f.get("condition"),
        warn_at=f.get("warn_at"),
        messages=tuple(reader.messages),
        held_lock_dumps=tuple(HeldLockDump(task, count, tuple(held[i] for i in sorted(held)))
                              for task, count, held in reader.dumps),
        usage_layout=usage_layout,
        wait_scale=detect_wait_scale(_wait_evidence(f, locks)),
        unrecognised=tuple(reader.unrecognised),
        interleaved=tuple(reader.interleaved),
        line_fields=tuple(reader.line_fields),
        truncated=truncated,
        wrappers=tuple(wrappers),
        lines=lines,
        title=title.text,
        corrupted=title.corrupted,
        corrupted_reason=title.corrupted_reason,
    )
    splat.notes = report_notes(reader, splat)
    return splat


def _trace(t: dict[str, Any]) -> StateTrace:
    return StateTrace(t["event"], t["usage"], tuple(t["frames"]), t["line_no"])


def _path(p: dict[str, Any]) -> DependencyPath:
    classes = tuple(
        DependencyClass(lock=c["lock"], ops=c["ops"], usage_traces=tuple(_trace(t) for t in c["usage_traces"]),
                        key=c["key"], acquired_at=tuple(c["acquired_at"]), line_no=c["line_no"])
        for c in p["classes"]
    )
    return DependencyPath(p["between"], classes, p["line_no"])


def _locks(f: dict[str, Any], chain: tuple[ChainEntry, ...], held: tuple[HeldLock, ...],
           others: list[tuple[str, LockUse]], dumps: list[Any], paths: list[dict[str, Any]]) -> list[LockUse]:
    locks = [f.get("acquiring"), f.get("holding"), *(e.lock for e in chain), *(h.lock for h in held),
             *(lock for _, lock in others), *(h.lock for _, _, dump in dumps for h in dump.values()),
             *(c["lock"] for p in paths for c in p["classes"])]
    pair = f.get("new_dependency")
    if pair:
        locks.extend(pair)
    return [lock for lock in locks if lock is not None]


def _wait_evidence(f: dict[str, Any], locks: list[LockUse]) -> WaitEvidence:
    kernel = f.get("kernel")
    return WaitEvidence(tuple((lock.name, lock.wait) for lock in locks if lock.wait),
                        f.get("wait_context"), kernel.release if kernel else None)


def scenario_columns(reader: ReportReader) -> tuple[ScenarioStep, ...]:
    """The scenario's steps, each in its CPU's column.

    The indentation says it (lockdep indents CPU1's steps 31 blanks) while the blanks stand
    as printed: the CPU0 and CPU1 header still apart, no step line rebuilt from pieces.
    Otherwise (blanks a mailer or an archive squeezed, a hard wrap lost), lockdep's fixed
    layout for the kind does (``ReportKind.scenario_columns``) when the steps are as many;
    else the columns are guessed (``notes`` says so).
    """
    steps = reader.scenario
    layout = reader.kind.scenario_columns
    if reader.scenario_cpus == 1:
        return tuple(dataclasses.replace(step, cpu=0) for step in steps)
    if reader.scenario_columns:
        return tuple(steps)
    return tuple(dataclasses.replace(step, cpu=layout[i] if i < len(layout) else 0) for i, step in enumerate(steps))


def _whole_name(lock: LockUse, reader: ReportReader) -> LockUse:
    """A chain entry's lock, its name completed when its line lost the end of it.

    An entry printed without its usage (a line cut at a terminal's width, a poster's rewrite)
    shows where its name ends only by its parentheses; when they do not balance, the name was
    cut, and the one lock the report names elsewhere that starts with it is that lock
    (``(work_completion)(&peer->work`` is ``(work_completion)(&peer->work)``). Without such a
    lock, the name stays as printed.
    """
    name = lock.name
    if lock.usage is not None or name.count("(") <= name.count(")"):
        return lock
    f = reader.fields
    seen = {other.name for other in (f.get("acquiring"), f.get("holding"), *(e["lock"] for e in reader.chain),
                                     *(h.lock for h in reader.held_locks.values())) if other is not None}
    seen |= {step.lock for step in reader.scenario if step.lock} | set(f.get("chain_exists", ()))
    whole = [other for other in seen if other != name and other.startswith(name)]
    return lock_from_name(whole[0], line_no=lock.line_no) if len(whole) == 1 else lock
