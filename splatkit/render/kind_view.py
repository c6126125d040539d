"""What each kind of report shows besides its lock graph: the kind's own view-model.

Every report kind lands in one of six views (:data:`VIEWS`, keyed by the kinds of
:data:`splatkit.grammar.kinds.KINDS`; a kind not listed gets ``other``):

- ``circular``: the cycle and the new dependency in words (the chain and its stacks are the
  graph's and the chain table's);
- ``recursive``: the class taken twice, the held entry and the new acquisition side by side,
  and the stack of the new acquisition;
- ``irq`` (inconsistent lock state, irq inversion, safe -> unsafe order): the usage change in
  words, each lock's usage decoded per irq state (:func:`splatkit.usage.lock_usage`), the irq
  context, the "state was registered at" / "became irq-safe at" stacks and the dependency
  paths, which are drawn too;
- ``invalid_wait``: the offending acquisition, drawn as a dependency from the held lock that
  forbids it to the lock acquired, with both wait types named;
- ``held_locks_dump``: a task x lock table and who waits on whom;
- ``other``: the lock, the sites, the held locks.

:func:`kind_view` builds a :class:`KindView`: blocks of facts, tables and stacks, and the
dependencies the report implies beyond its chain and held locks (:func:`kind_graph` adds
them to the lock graph both the HTML report and the notebook explorer draw). A block never
holds an empty table: what a report does not print is said in a note instead. Nothing here
is HTML: :mod:`splatkit.render.kind_html` lays a view out, escaping every name.

>>> view = kind_view(parse(seed_text)[0])
>>> view.view, view.blocks[0].facts[0][0]
('circular', 'cycle')
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from ..analysis.explain.common import backtrace
from ..analysis.explain.dump import shared_locks
from ..analysis.explain.irq import usage_words
from ..analysis.explain.wait_context import strictest_held
from ..graph import Evidence, LockGraph
from ..model import Frame, IrqContext, LockUse, Splat, StateTrace
from ..stacks import blamed_function
from ..tables import held_locks_table
from ..usage import lock_usage, wait_type_name

__all__ = ["NOTHING_DRAWN", "VIEWS", "Block", "KindView", "ViewDependency", "kind_graph", "kind_view", "wait_words"]

#: The view each report kind gets; kinds not listed get ``other`` (the lock, the sites, the held locks).
VIEWS: dict[str, str] = {
    "circular": "circular",
    "recursive": "recursive",
    "inconsistent_state": "irq",
    "irq_inversion": "irq",
    "irq_safe_unsafe": "irq",
    "invalid_wait": "invalid_wait",
    "held_locks_dump": "held_locks_dump",
}

#: What a view says instead of drawing a lock graph without a dependency or a lock.
NOTHING_DRAWN = ("Nothing to draw: this report names no dependency between lock classes "
                 "(what it does name is shown below).")

#: Each wait type as a short noun, for "{3:3} sleeping lock inside {2:2} spinning lock".
_WAIT_NOUNS = {
    "LD_WAIT_INV": "unchecked lock",
    "LD_WAIT_FREE": "wait-free section",
    "LD_WAIT_SPIN": "spinning lock",
    "LD_WAIT_CONFIG": "spinlock_t-type lock (sleeps on PREEMPT_RT)",
    "LD_WAIT_SLEEP": "sleeping lock",
    "LD_WAIT_MAX": "context that may sleep",
}

#: A StateTrace's event, as a heading (``{usage}`` is the usage name or irq class printed).
_TRACE_HEADINGS = {
    "registered": "{{{usage}}} state was registered at",
    "became_safe": "... which became {usage}-irq-safe at",
    "became_unsafe": "... which became {usage}-irq-unsafe at",
    "usage": "{usage} at",
}


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


@dataclass(frozen=True, eq=False)
class KindView:
    """Everything a view of one report shows about its kind (see the module docstring)."""

    kind: str
    view: str
    heading: str
    blocks: tuple[Block, ...]
    dependencies: tuple[ViewDependency, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def tables(self) -> list[pd.DataFrame]:
        return [b.table for b in self.blocks if b.kind == "table"]


# ---- small builders ------------------------------------------------------------------------


def _facts(heading: str, pairs: Iterable[tuple[str, str | None]]) -> Block | None:
    kept = tuple((label, value) for label, value in pairs if value)
    return Block(heading, "facts", facts=kept) if kept else None


def _table(heading: str, rows: list[dict], columns: Sequence[str], empty: str, caption: str = "") -> Block:
    """A table block, or a note saying ``empty`` when there are no rows (never a header over nothing)."""
    if not rows:
        return Block(heading, "note", caption=empty)
    return Block(heading, "table", table=pd.DataFrame(rows, columns=list(columns)), caption=caption)


def _stack(heading: str, frames: Sequence[Frame], splat: Splat, caption: str = "",
           missing: str = "The report prints no stack here.") -> Block:
    if not frames:
        return Block(heading, "note", caption=missing)
    return Block(heading, "stack", frames=tuple(frames), caption=caption, blamed=blamed_function(splat.title))


def _at(lock: LockUse | None) -> str:
    return lock.at.text if lock is not None and lock.at is not None else ""


def _held_block(splat: Splat) -> Block:
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


def _backtrace_block(splat: Splat, heading: str = "Stack of the report (the current acquisition)") -> Block:
    frames = backtrace(splat)
    missing = ("The report is cut before its stack backtrace." if splat.truncated or not splat.backtrace else
               "The stack printed is another task's, not the reporting task's.")
    return _stack(heading, frames, splat, missing=missing)


def wait_words(wait: tuple[int, int] | None, scale: str | None, *, inner: bool = False) -> str:
    """``{3:3} sleeping lock``: printed wait types and what they are (the outer one, or the
    inner one with ``inner``: what may nest inside a held lock).

    >>> wait_words((3, 3), "default"), wait_words((1, 2), "default", inner=True)
    ('{3:3} sleeping lock', '{1:2} wait-free section, inside which only a spinning lock may be taken')
    """
    if wait is None:
        return "no wait types printed"
    printed = f"{{{wait[0]}:{wait[1]}}}"
    outer, inside = wait_type_name(wait[0], scale), wait_type_name(wait[1], scale)
    if outer is None:
        return (f"{printed} (wait type {wait[0]}: which one depends on CONFIG_PROVE_RAW_LOCK_NESTING, "
                "and the report does not say)")
    words = f"{printed} {_WAIT_NOUNS.get(outer, outer)}"
    if inner and inside is not None and inside != outer:
        words += f", inside which only a {_WAIT_NOUNS.get(inside, inside)} may be taken"
    return words


def _irq_context_words(ctx: IrqContext) -> str:
    where = (f"hardirq context (nesting {ctx.hardirq_count})" if ctx.hardirq else
             f"softirq context (count {ctx.softirq_count})" if ctx.softirq else "process context")
    return (f"in {where}, hardirqs {'enabled' if ctx.hardirqs_enabled else 'disabled'}, softirqs "
            f"{'enabled' if ctx.softirqs_enabled else 'disabled'}" + (f" {ctx.text.strip()}" if ctx.text else ""))


#: Each irq state's context and enabled state, in words, for a decoded usage bit.
_IN_WORDS = {"HARDIRQ": "hardirq context", "SOFTIRQ": "softirq context", "RECLAIM_FS": "FS reclaim"}
_ON_WORDS = {"HARDIRQ": "hardirqs enabled", "SOFTIRQ": "softirqs enabled",
             "RECLAIM_FS": "__GFP_FS allocations possible"}


def _bit_words(state: str, meaning: str) -> str:
    """``taken in softirq context (irq-safe)``: a decoded usage bit in words."""
    inside = f"taken in {_IN_WORDS.get(state, state)}"
    enabled = f"taken with {_ON_WORDS.get(state, state)}"
    return {"irq-safe": f"{inside} (irq-safe)", "irq-unsafe": f"{enabled} (irq-unsafe)",
            "both": f"{inside} and {enabled} (irq-safe and irq-unsafe)"}.get(meaning, "not used")


# ---- the views ----------------------------------------------------------------------------


def _circular(splat: Splat) -> tuple[list[Block | None], list[ViewDependency]]:
    cycle = splat.cycle
    facts = _facts("The deadlock", [
        ("cycle", " \u2192 ".join((*cycle, cycle[0])) if cycle else None),
        ("new dependency", f"{splat.holding.name} \u2192 {splat.acquiring.name}"
         if splat.holding and splat.acquiring else None),
        ("trying to acquire", splat.acquiring.name if splat.acquiring and not splat.holding else None),
        ("chain entries", str(len(splat.chain)) if splat.chain else None),
    ])
    return [facts, None if facts else Block("The deadlock", "note", caption=(
        "The report is cut before it names the locks of the cycle."))], []


def _recursive(splat: Splat) -> tuple[list[Block | None], list[ViewDependency]]:
    again, first = splat.acquiring, splat.holding
    rows = [{"entry": label, "lock": lock.name, "instance": lock.instance or "", "usage": lock.usage or "",
             "wait": lock.wait_text or "", "at": _at(lock), "line": lock.line_no or ""}
            for label, lock in (("held (first acquisition)", first), ("new acquisition", again)) if lock is not None]
    name = (again or first).name if (again or first) else None
    same = ("the same object (the instances are equal): a real self-deadlock"
            if again and first and again.instance and again.instance == first.instance else
            "two objects of one class (the instances differ): lockdep needs a nesting annotation"
            if again and first and again.instance and first.instance else None)
    blocks: list[Block | None] = [
        _facts("The class taken twice", [("lock class", name), ("objects", same)]),
        _table("Both entries", rows, ["entry", "lock", "instance", "usage", "wait", "at", "line"],
               "The report is cut before it names the lock taken twice."),
        Block("Held entry", "note", caption=(
            f"Lockdep keeps no stack for a held lock, only where it was taken: {_at(first)}." if _at(first) else
            "The report does not say where the held entry was taken.")),
        _backtrace_block(splat, "Stack of the new acquisition"),
    ]
    deps = []
    if again is not None and first is not None:
        deps.append(ViewDependency(first.name, again.name, "new", backtrace(splat), again.line_no,
                                   "the class acquired again while held"))
    return blocks, deps


def _usage_rows(splat: Splat, locks: Iterable[tuple[str, LockUse]]) -> tuple[list[dict], list[str]]:
    rows, undecoded = [], []
    seen = set()
    for role, lock in locks:
        if (lock.name, lock.usage) in seen or not lock.usage:
            continue
        seen.add((lock.name, lock.usage))
        bits = lock_usage(splat, lock)
        if bits is None:
            undecoded.append(f"{lock.name} {{{lock.usage}}}")
            continue
        used = [bit for bit in bits if bit.meaning != "unused"]
        if not used:
            rows.append({"lock": lock.name, "role": role, "irq state": "", "access": "", "char": lock.usage,
                         "meaning": "unused", "in words": "no irq usage recorded yet"})
        for bit in used:
            rows.append({"lock": lock.name, "role": role, "irq state": bit.state,
                         "access": "read" if bit.access == "R" else "write", "char": bit.char,
                         "meaning": bit.meaning, "in words": _bit_words(bit.state, bit.meaning)})
    return rows, undecoded


def _path_dependencies(splat: Splat) -> list[ViewDependency]:
    """The dependency paths' links, each ``held -> acquired`` with the stack that recorded it.

    lockdep prints a path from its leaf: the backwards path (irq-safe lock ... holding lock) in
    dependency order, the forwards one (lock to be acquired ... irq-unsafe lock) reversed. A path
    is read so that it runs from the irq-safe side; a link's stack is the ``... acquired at:``
    of the class acquired (kernels since 5.12 print none under a backwards path's first class),
    or, in older kernels' backwards paths, of the class held.
    """
    safe = {lock.name for role, lock in splat.other_locks if role == "safe"}
    unsafe = {lock.name for role, lock in splat.other_locks if role == "unsafe"}
    deps = []
    for path in splat.dependency_paths:
        classes = list(path.classes)
        if len(classes) < 2:
            continue
        names = [c.lock.name for c in classes]
        if "to be acquired" in path.between or "holding lock" in path.between:
            forwards = "to be acquired" in path.between
        else:
            forwards = names[0] in unsafe - safe or names[-1] in safe - unsafe
        if forwards:  # printed from the leaf (the unsafe side): each class's trace is its own acquisition
            ordered = classes[::-1]
            deps += [ViewDependency(h.lock.name, a.lock.name, "recorded", a.acquired_at, a.line_no,
                                    f"dependency path: {path.between}") for h, a in zip(ordered, ordered[1:])]
        else:
            shifted = not classes[0].acquired_at  # (5.12+: the trace printed under the class acquired)
            deps += [ViewDependency(h.lock.name, a.lock.name, "recorded", a.acquired_at if shifted else h.acquired_at,
                                    a.line_no, f"dependency path: {path.between}")
                     for h, a in zip(classes, classes[1:])]
    return deps


def _trace_heading(trace: StateTrace) -> str:
    return _TRACE_HEADINGS.get(trace.event, "{usage}").format(usage=trace.usage)


def _path_root(splat: Splat, words: str) -> str | None:
    """The last class lockdep printed of the dependency path whose heading has ``words``: a path is
    printed from its leaf to its root, the holding lock (``holding lock``) or the lock to be acquired
    (``to be acquired``)."""
    path = next((p for p in splat.dependency_paths if words in p.between and p.classes), None)
    return path.classes[-1].lock.name if path is not None else None


def _new_dependency(splat: Splat) -> tuple[str, str, str] | None:
    """(held, acquired, where it was read) of an irq report's new dependency: printed, or, when the
    report lost those lines, read from the roots of its two dependency paths."""
    if splat.new_dependency is not None:
        return splat.new_dependency[0].name, splat.new_dependency[1].name, ""
    if splat.kind != "irq_safe_unsafe":
        return None
    held = splat.holding.name if splat.holding else _path_root(splat, "holding lock")
    acquired = splat.acquiring.name if splat.acquiring else _path_root(splat, "to be acquired")
    return (held, acquired, " (read from the dependency paths: the report lost the lines that print it)") \
        if held and acquired else None


def _irq(splat: Splat) -> tuple[list[Block | None], list[ViewDependency]]:
    change = splat.usage_change
    locks = [(role, lock) for role, lock in (("acquiring", splat.acquiring), ("holding", splat.holding))
             if lock is not None] + [(role, lock) for role, lock in splat.other_locks]
    new = _new_dependency(splat)
    safe = splat.other_lock("safe")
    backwards = next((p for p in splat.dependency_paths if "holding lock" in p.between and p.classes), None)
    blocks: list[Block | None] = [_facts("The usage change", [
        ("lock class", splat.acquiring.name if splat.acquiring else None),
        ("usage change", f"{{{change[0]}}} \u2192 {{{change[1]}}}: was {usage_words(change[0])}, now "
                         f"{usage_words(change[1])}" if change else None),
        ("irq class", splat.irq_class),
        ("new dependency", f"{new[0]} \u2192 {new[1]}{new[2]}" if new else None),
        ("irq-safe lock", safe.name if safe else backwards.classes[0].lock.name if backwards else None),
        ("irq-unsafe lock", splat.other_lock("unsafe").name if splat.other_lock("unsafe") else None),
        ("irq context", _irq_context_words(splat.irq_context) if splat.irq_context else None),
    ])]
    rows, undecoded = _usage_rows(splat, locks)
    blocks.append(_table("Usage per irq state", rows, ["lock", "role", "irq state", "access", "char", "meaning",
                                                       "in words"],
                         "The report prints no usage string to decode." if not undecoded else
                         f"Not decoded: the report's era layout is unknown for {', '.join(undecoded)}.",
                         caption=f"Usage strings read with the {splat.usage_layout} layout." if rows else ""))
    for trace in splat.traces:
        blocks.append(_stack(_trace_heading(trace), trace.frames, splat,
                             missing="The report is cut before this stack."))
    deps = _path_dependencies(splat)
    path_rows = [{"path": path.between, "step": i, "lock": cls.lock.name, "usage": cls.lock.usage or "",
                  "acquired at": next((f.function or f.text for f in cls.acquired_at if f.function
                                       and not f.function.startswith(("__lock_acquire", "lock_acquire"))), "")}
                 for path in splat.dependency_paths for i, cls in enumerate(path.classes)]
    if splat.kind != "inconsistent_state":
        blocks.append(_table("Dependency paths", path_rows, ["path", "step", "lock", "usage", "acquired at"],
                             "The report is cut before its dependency paths." if splat.truncated else
                             "The report prints no dependency path."))
    events = [{"irq": e.irq, "last": e.event, "event #": e.stamp, "at": e.at.text if e.at else ""}
              for e in splat.irq_events]
    if events:
        blocks.append(_table("Last irq state changes", events, ["irq", "last", "event #", "at"], "",
                             caption=f"irq event stamp: {splat.irq_event_stamp}"
                             if splat.irq_event_stamp is not None else ""))
    blocks += [_held_block(splat), _backtrace_block(splat)]
    if new is not None:
        line = splat.new_dependency[1].line_no if splat.new_dependency else None
        deps.insert(0, ViewDependency(new[0], new[1], "new", backtrace(splat), line,
                                      "the new dependency the report is about" + new[2]))
    return blocks, deps


def _invalid_wait(splat: Splat) -> tuple[list[Block | None], list[ViewDependency]]:
    lock, scale = splat.acquiring, splat.wait_scale
    blocker = strictest_held(splat)
    context = splat.wait_context
    if lock is not None and blocker is not None:
        offence = f"{wait_words(lock.wait, scale)} inside {wait_words(blocker.wait, scale, inner=True)}"
    elif lock is not None and context is not None:
        offence = f"{wait_words(lock.wait, scale)} in context-{wait_words(context, scale)}"
    else:
        offence = None
    blocks: list[Block | None] = [_facts("The offending acquisition", [
        ("acquiring", lock.name if lock else None),
        ("held lock that forbids it", blocker.name if blocker else None),
        ("wait types", offence),
        ("context", f"context-{wait_words(context, scale)}" if context else None),
        ("wait-type scale", {"raw_lock_nesting": "CONFIG_PROVE_RAW_LOCK_NESTING",
                             "default": "without CONFIG_PROVE_RAW_LOCK_NESTING"}.get(scale or "", "unknown")),
    ])]
    rows = [{"role": role, "lock": what.name, "wait": f"{{{what.wait_text}}}" if what.wait else "",
             "outer": wait_type_name(what.wait[0], scale) or "" if what.wait else "",
             "inner": wait_type_name(what.wait[1], scale) or "" if what.wait else "",
             "at": _at(what)}
            for role, what in (("acquiring", lock), ("held, forbids it", blocker)) if what is not None]
    if context is not None:
        rows.append({"role": "context", "lock": "", "wait": f"{{{context[0]}:{context[1]}}}",
                     "outer": wait_type_name(context[0], scale) or "", "inner": wait_type_name(context[1], scale) or "",
                     "at": ""})
    blocks.append(_table("Wait types", rows, ["role", "lock", "wait", "outer", "inner", "at"],
                         "The report is cut before it prints any wait type."))
    if blocker is None and lock is not None:
        blocks.append(Block("Nothing held forbids it", "note", caption=(
            "No held lock has a stricter inner wait type: the context itself forbids the acquisition, so there is "
            "no held lock to draw the dependency from.")))
    blocks += [_held_block(splat), _backtrace_block(splat, "Stack of the offending acquisition")]
    deps = []
    if lock is not None and blocker is not None:
        deps.append(ViewDependency(blocker.name, lock.name, "new", backtrace(splat), lock.line_no,
                                   f"invalid wait context: {offence}"))
    return blocks, deps


def _dump(splat: Splat) -> tuple[list[Block | None], list[ViewDependency]]:
    dumps = splat.held_lock_dumps
    shared = shared_locks(splat)
    status = {}
    for item in shared:
        if not item.instance or item.read_only or not item.holders:
            continue  # (only a lock one task holds and another lists last is a likely wait)
        for task, index in item.waiters:
            status[task, index] = "waits (likely)"
    classes = list(dict.fromkeys(h.lock.name for d in dumps for h in d.held_locks))
    matrix = []
    for d in dumps:
        row = {"task": str(d.task), "locks": d.count}
        row.update({name: "" for name in classes})
        for k, h in enumerate(d.held_locks):
            mark = f"#{h.index} " + status.get((str(d.task), k), "holds")
            row[h.lock.name] = "; ".join(p for p in (row[h.lock.name], mark) if p)
        matrix.append(row)
    waits = []
    for item in shared:
        likely = bool(item.instance and not item.read_only and item.holders and item.waiters)
        waits.append({"lock": item.name, "instance": item.instance or "(no address)",
                      "listed by": ", ".join(dict.fromkeys(t for t, _ in item.listings)),
                      "likely held by": ", ".join(dict.fromkeys(t for t, _ in item.holders)) if likely else "",
                      "likely waiting": ", ".join(dict.fromkeys(t for t, _ in item.waiters)) if likely else "",
                      "reading": item.reading})
    blocks: list[Block | None] = [
        _facts("The dump", [("tasks", str(len(dumps))),
                            ("locks held", str(sum(len(d.held_locks) for d in dumps)))]),
        _table("Tasks \u00d7 lock classes", matrix, ["task", "locks", *classes],
               "The dump lists no task holding a lock.",
               caption="A task lists a lock from the moment it starts to take it: the last entry of a lock "
                       "another task also lists is most likely the one it waits for."),
        _table("Who waits on whom", waits, ["lock", "instance", "listed by", "likely held by", "likely waiting",
                                            "reading"],
               "No lock is listed by two tasks: no task in the dump waits for a lockdep-tracked lock another task "
               "holds (page locks, I/O and wait_event() are not tracked)."),
    ]
    return blocks, []


def _other(splat: Splat) -> tuple[list[Block | None], list[ViewDependency]]:
    lock = splat.acquiring or splat.unheld_lock or splat.holding
    held = list(dict.fromkeys(h.lock.name for h in splat.held_locks))
    facts = _facts("The report", [
        ("task", str(splat.task) if splat.task else None),
        ("lock", lock.name if lock else None),
        ("locks held" if lock else "locks still held", ", ".join(held) if held else None),
        ("held", splat.holding.name if splat.holding and splat.holding is not lock else None),
        ("instance", lock.instance if lock else None),
        ("freed memory", " - ".join(splat.memory_range) if splat.memory_range else None),
        ("where", splat.source_location),
        ("complaint", splat.rcu_message),
        ("lockdep table exhausted", splat.limit),
        ("failed check", splat.condition),
        ("depth", f"{splat.lock_depth[0]} (max {splat.lock_depth[1]})" if splat.lock_depth else None),
        ("debug_locks", str(splat.debug_locks) if splat.debug_locks is not None else None),
        ("message", " ".join(splat.messages) if splat.messages else None),
    ])
    sites = [{"site": role, "lock": what.name if what else "", "at": frame.text}
             for role, what, frame in (
                 ("acquiring", splat.acquiring, splat.acquiring.at if splat.acquiring else None),
                 ("holding", splat.holding, splat.holding.at if splat.holding else None),
                 ("released or contended", splat.unheld_lock, splat.unheld_lock.at if splat.unheld_lock else None),
                 *((role, what, what.at) for role, what in splat.other_locks),
                 ("WARN fired in", None, splat.warn_at)) if frame is not None]
    sites += [{"site": "released or contended", "lock": splat.unheld_lock.name if splat.unheld_lock else "",
               "at": f.text} for f in splat.unheld_at if not any(s["at"] == f.text for s in sites)]
    blocks: list[Block | None] = [
        facts if facts else Block("The report", "note", caption="The report is cut before it names a lock."),
        _table("Sites", sites, ["site", "lock", "at"], "The report names no site (no 'at:' line).")
        if sites or not held else None,
        _held_block(splat),
        _backtrace_block(splat, "Stack backtrace"),
    ]
    return blocks, []


_BUILDERS = {"circular": _circular, "recursive": _recursive, "irq": _irq, "invalid_wait": _invalid_wait,
             "held_locks_dump": _dump, "other": _other}

_HEADINGS = {"circular": "Circular locking", "recursive": "Recursive locking", "irq": "Interrupt usage",
             "invalid_wait": "Invalid wait context", "held_locks_dump": "Locks held by every task",
             "other": "What the report names"}


def _drawn_stack(block: Block, deps: Sequence[ViewDependency]) -> Block:
    """A stack that is also a drawn dependency's (the report's backtrace of the acquisition it is
    about) is shown there, selected first: the block says so instead of repeating it."""
    dep = next((d for d in deps if block.kind == "stack" and d.source == "new" and d.frames == block.frames), None)
    if dep is None:
        return block
    return Block(block.heading, "note", caption=(
        f"Shown as the stack of the drawn dependency {dep.held} \u2192 {dep.acquired}, selected first "
        f"({len(block.frames)} frames)."))


def kind_view(splat: Splat) -> KindView:
    """The view-model of ``splat``'s kind (see the module docstring)."""
    view = VIEWS.get(splat.kind, "other")
    blocks, deps = _BUILDERS[view](splat)
    blocks = [_drawn_stack(b, deps) if b is not None else None for b in blocks]
    if view in ("circular", "recursive"):
        blocks.append(_held_block(splat))
    return KindView(kind=splat.kind, view=view, heading=_HEADINGS[view],
                    blocks=tuple(b for b in blocks if b is not None), dependencies=tuple(deps),
                    notes=tuple(splat.notes))


def kind_graph(splats: Splat | Sequence[Splat]) -> LockGraph:
    """The lock graph of ``splats`` (:meth:`LockGraph.from_splats`) with every dependency their
    kind views imply (:attr:`KindView.dependencies`): what the report and the explorer draw."""
    splats = (splats,) if isinstance(splats, Splat) else tuple(splats)
    graph = LockGraph.from_splats(splats)
    for number, splat in enumerate(splats):
        if VIEWS.get(splat.kind) == "circular":
            continue
        for dep in kind_view(splat).dependencies:
            graph.add_evidence(dep.held, dep.acquired, Evidence(
                source=dep.source, splat=number, title=splat.title, frames=dep.frames, line_no=dep.line_no))
    return graph
