"""The view of interrupt-usage reports (inconsistent lock state, irq inversion, safe -> unsafe order).

What :func:`irq_view` shows: the usage change in words, each lock's usage decoded per irq state
with the report's era (:func:`splatkit.usage.lock_usage`), the irq context, the stacks lockdep
saved when a class gained a usage bit ("state was registered at", "became irq-safe at"), and the
dependency paths, whose links are drawn with the new dependency the report is about.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..analysis.explain.common import backtrace
from ..analysis.explain.irq import usage_words
from ..model import IrqContext, LockUse, Splat, StateTrace
from ..usage import lock_usage
from .kind_blocks import Block, ViewDependency, backtrace_block, facts_block, held_block, stack_block, table_block

__all__ = ["irq_view"]

#: A StateTrace's event, as a heading (``{usage}`` is the usage name or irq class printed).
_TRACE_HEADINGS = {
    "registered": "{{{usage}}} state was registered at",
    "became_safe": "... which became {usage}-irq-safe at",
    "became_unsafe": "... which became {usage}-irq-unsafe at",
    "usage": "{usage} at",
}


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


def irq_view(splat: Splat) -> tuple[list[Block | None], list[ViewDependency]]:
    """The blocks of an irq report's view, and the dependencies it draws."""
    change = splat.usage_change
    locks = [(role, lock) for role, lock in (("acquiring", splat.acquiring), ("holding", splat.holding))
             if lock is not None] + [(role, lock) for role, lock in splat.other_locks]
    new = _new_dependency(splat)
    safe = splat.other_lock("safe")
    backwards = next((p for p in splat.dependency_paths if "holding lock" in p.between and p.classes), None)
    blocks: list[Block | None] = [facts_block("The usage change", [
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
    blocks.append(table_block("Usage per irq state", rows, ["lock", "role", "irq state", "access", "char", "meaning",
                                                       "in words"],
                         "The report prints no usage string to decode." if not undecoded else
                         f"Not decoded: the report's era layout is unknown for {', '.join(undecoded)}.",
                         caption=f"Usage strings read with the {splat.usage_layout} layout." if rows else ""))
    for trace in splat.traces:
        blocks.append(stack_block(_trace_heading(trace), trace.frames, splat,
                             missing="The report is cut before this stack."))
    deps = _path_dependencies(splat)
    path_rows = [{"path": path.between, "step": i, "lock": cls.lock.name, "usage": cls.lock.usage or "",
                  "acquired at": next((f.function or f.text for f in cls.acquired_at if f.function
                                       and not f.function.startswith(("__lock_acquire", "lock_acquire"))), "")}
                 for path in splat.dependency_paths for i, cls in enumerate(path.classes)]
    if splat.kind != "inconsistent_state":
        blocks.append(table_block("Dependency paths", path_rows, ["path", "step", "lock", "usage", "acquired at"],
                             "The report is cut before its dependency paths." if splat.truncated else
                             "The report prints no dependency path."))
    events = [{"irq": e.irq, "last": e.event, "event #": e.stamp, "at": e.at.text if e.at else ""}
              for e in splat.irq_events]
    if events:
        blocks.append(table_block("Last irq state changes", events, ["irq", "last", "event #", "at"], "",
                             caption=f"irq event stamp: {splat.irq_event_stamp}"
                             if splat.irq_event_stamp is not None else ""))
    blocks += [held_block(splat), backtrace_block(splat)]
    if new is not None:
        line = splat.new_dependency[1].line_no if splat.new_dependency else None
        deps.insert(0, ViewDependency(new[0], new[1], "new", backtrace(splat), line,
                                      "the new dependency the report is about" + new[2]))
    return blocks, deps
