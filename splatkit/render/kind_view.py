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

:func:`kind_view` builds a :class:`KindView`: blocks of facts, tables and stacks
(:mod:`splatkit.render.kind_blocks`; the irq view is :mod:`splatkit.render.kind_irq`), and the
dependencies the report implies beyond its chain and held locks (:func:`kind_graph` adds
them to the lock graph both the HTML report and the notebook explorer draw). A block never
holds an empty table: what a report does not print is said in a note instead. Nothing here
is HTML: :mod:`splatkit.render.kind_html` lays a view out, escaping every name.

>>> view = kind_view(parse(seed_text)[0])
>>> view.view, view.blocks[0].facts[0][0]
('circular', 'cycle')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from ..analysis.explain.common import backtrace
from ..analysis.explain.dump import shared_locks
from ..analysis.explain.wait_context import strictest_held
from ..graph import Evidence, LockGraph
from ..model import Splat
from ..usage import wait_type_name
from .kind_blocks import (Block, ViewDependency, at_text, backtrace_block, facts_block, held_block,
                          table_block)
from .kind_irq import irq_view

__all__ = ["NOTHING_DRAWN", "NOTHING_DRAWN_SEVERAL", "VIEWS", "Block", "KindView", "ViewDependency", "kind_graph",
           "kind_view", "wait_words"]

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
#: The same, of several reports shown together (an explorer of several): their kind views are
#: shown one at a time, the one picked.
NOTHING_DRAWN_SEVERAL = ("Nothing to draw: these reports name no dependency between lock classes "
                         "(what the report picked names is shown below).")

#: Each wait type as a short noun, for "{3:3} sleeping lock inside {2:2} spinning lock".
_WAIT_NOUNS = {
    "LD_WAIT_INV": "unchecked lock",
    "LD_WAIT_FREE": "wait-free section",
    "LD_WAIT_SPIN": "spinning lock",
    "LD_WAIT_CONFIG": "spinlock_t-type lock (sleeps on PREEMPT_RT)",
    "LD_WAIT_SLEEP": "sleeping lock",
    "LD_WAIT_MAX": "context that may sleep",
}


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


# ---- the views ----------------------------------------------------------------------------


def _circular(splat: Splat) -> tuple[list[Block | None], list[ViewDependency]]:
    cycle = splat.cycle
    facts = facts_block("The deadlock", [
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
             "wait": lock.wait_text or "", "at": at_text(lock), "line": lock.line_no or ""}
            for label, lock in (("held (first acquisition)", first), ("new acquisition", again)) if lock is not None]
    name = (again or first).name if (again or first) else None
    same = ("the same object (the instances are equal): a real self-deadlock"
            if again and first and again.instance and again.instance == first.instance else
            "two objects of one class (the instances differ): lockdep needs a nesting annotation"
            if again and first and again.instance and first.instance else None)
    blocks: list[Block | None] = [
        facts_block("The class taken twice", [("lock class", name), ("objects", same)]),
        table_block("Both entries", rows, ["entry", "lock", "instance", "usage", "wait", "at", "line"],
               "The report is cut before it names the lock taken twice."),
        Block("Held entry", "note", caption=(
            f"Lockdep keeps no stack for a held lock, only where it was taken: {at_text(first)}." if at_text(first) else
            "The report does not say where the held entry was taken.")),
        backtrace_block(splat, "Stack of the new acquisition"),
    ]
    deps = []
    if again is not None and first is not None:
        deps.append(ViewDependency(first.name, again.name, "new", backtrace(splat), again.line_no,
                                   "the class acquired again while held"))
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
    blocks: list[Block | None] = [facts_block("The offending acquisition", [
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
             "at": at_text(what)}
            for role, what in (("acquiring", lock), ("held, forbids it", blocker)) if what is not None]
    if context is not None:
        rows.append({"role": "context", "lock": "", "wait": f"{{{context[0]}:{context[1]}}}",
                     "outer": wait_type_name(context[0], scale) or "", "inner": wait_type_name(context[1], scale) or "",
                     "at": ""})
    blocks.append(table_block("Wait types", rows, ["role", "lock", "wait", "outer", "inner", "at"],
                         "The report is cut before it prints any wait type."))
    if blocker is None and lock is not None:
        blocks.append(Block("Nothing held forbids it", "note", caption=(
            "No held lock has a stricter inner wait type: the context itself forbids the acquisition, so there is "
            "no held lock to draw the dependency from.")))
    blocks += [held_block(splat), backtrace_block(splat, "Stack of the offending acquisition")]
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
    column = {name: i for i, name in enumerate(dict.fromkeys(h.lock.name for d in dumps for h in d.held_locks))}
    matrix = []  # (rows as lists: a lock class may be named "task" or "locks" too)
    for d in dumps:
        cells = [""] * len(column)
        for k, h in enumerate(d.held_locks):
            mark = f"#{h.index} " + status.get((str(d.task), k), "holds")
            i = column[h.lock.name]
            cells[i] = "; ".join(p for p in (cells[i], mark) if p)
        matrix.append([str(d.task), d.count, *cells])
    waits = []
    for item in shared:
        likely = bool(item.instance and not item.read_only and item.holders and item.waiters)
        waits.append({"lock": item.name, "instance": item.instance or "(no address)",
                      "listed by": ", ".join(dict.fromkeys(t for t, _ in item.listings)),
                      "likely held by": ", ".join(dict.fromkeys(t for t, _ in item.holders)) if likely else "",
                      "likely waiting": ", ".join(dict.fromkeys(t for t, _ in item.waiters)) if likely else "",
                      "reading": item.reading})
    blocks: list[Block | None] = [
        facts_block("The dump", [("tasks", str(len(dumps))),
                            ("locks held", str(sum(len(d.held_locks) for d in dumps)))]),
        table_block("Tasks \u00d7 lock classes", matrix, ["task", "locks", *column],
               "The dump lists no task holding a lock.",
               caption="A task lists a lock from the moment it starts to take it: the last entry of a lock "
                       "another task also lists is most likely the one it waits for."),
        table_block("Who waits on whom", waits, ["lock", "instance", "listed by", "likely held by", "likely waiting",
                                            "reading"],
               "No lock is listed by two tasks: no task in the dump waits for a lockdep-tracked lock another task "
               "holds (page locks, I/O and wait_event() are not tracked)."),
    ]
    return blocks, []


def _other(splat: Splat) -> tuple[list[Block | None], list[ViewDependency]]:
    lock = splat.acquiring or splat.unheld_lock or splat.holding
    held = list(dict.fromkeys(h.lock.name for h in splat.held_locks))
    facts = facts_block("The report", [
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
        table_block("Sites", sites, ["site", "lock", "at"], "The report names no site (no 'at:' line).")
        if sites or not held else None,
        held_block(splat),
        backtrace_block(splat, "Stack backtrace"),
    ]
    return blocks, []


_BUILDERS = {"circular": _circular, "recursive": _recursive, "irq": irq_view, "invalid_wait": _invalid_wait,
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
        blocks.append(held_block(splat))
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
