"""One lock class, everything the reports say about it: what a view shows when a node is clicked.

:func:`lock_class_view` gathers, for a lock-class name, the parts of the name (the
``&struct->member`` form, a ``#N`` key version, a ``/N`` subclass, a ``(map)`` pseudo-lock),
its usage decoded per irq state with the era of the report that printed it
(:func:`splatkit.usage.lock_usage`), its wait types named on that report's scale
(:func:`splatkit.usage.lock_wait_types`), every dependency into and out of it with the
function that made it, and the held-lock entries that name it. :func:`lock_class_html`
lays that out; every name goes through :func:`splatkit.render.escape.table_html` or
:func:`html.escape`.

>>> import splatkit
>>> splats = splatkit.parse(seed_text)
>>> view = lock_class_view(splats, splatkit.LockGraph.from_splats(splats), "cpu_hotplug_lock")
>>> [(u["state"], u["access"], u["meaning"]) for u in view["usage"]][:2]
[('HARDIRQ', 'W', 'irq-unsafe'), ('HARDIRQ', 'R', 'irq-unsafe')]
>>> view["wait"], [d["lock"] for d in view["in"]], [d["lock"] for d in view["out"]]
('LD_WAIT_INV:LD_WAIT_INV (0:0)', ['&kvm->srcu'], ['kvm_lock'])
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence
from typing import Any

import pandas as pd

from ..analysis.acquisitions import acquisition, establishing_frame, lock_kind_by_name
from ..graph import LockGraph
from ..grammar.locks import split_name
from ..model import LockUse, Splat
from ..usage import lock_usage, lock_wait_types, wait_type_name
from .escape import table_html

__all__ = ["lock_class_html", "lock_class_view"]


def _uses(splat: Splat) -> Iterator[tuple[str, LockUse]]:
    """Every lock a report prints, with where it prints it."""
    if splat.acquiring is not None:
        yield "trying to acquire", splat.acquiring
    if splat.holding is not None:
        yield "already holding", splat.holding
    for entry in splat.chain:
        yield f"chain entry #{entry.index}", entry.lock
    for role, lock in splat.other_locks:
        yield role.replace("_", " "), lock
    for held in splat.held_locks:
        yield f"held lock #{held.index}", held.lock
    for dump in splat.held_lock_dumps:
        for held in dump.held_locks:
            yield f"held by {dump.task} #{held.index}", held.lock
    if splat.unheld_lock is not None:
        yield "released", splat.unheld_lock


def name_parts(name: str) -> list[tuple[str, str]]:
    """The parts of a lock-class name, each with what it means.

    >>> name_parts("&type->s_umount_key#41/1")[1:]
    [('#41', 'key version: the 41st class lockdep registered under this name'), ('/1', 'subclass 1: taken nested (*_nested(..., 1) or a lockdep_set_subclass)')]
    """
    base, version, subclass = split_name(name)
    parts = []
    if base.startswith("(") and ")" in base:
        parts.append((base, "a lockdep map: a pseudo-lock that stands for waiting on something "
                            "(work item, workqueue, completion...)"))
    elif base.startswith("&") and "->" in base:
        owner, _, member = base[1:].rpartition("->")
        parts.append((base, f"the lock {member} in a {owner.split('->')[-1].lstrip('&(*')} structure: "
                            "one class for every instance initialised at the same place"))
    else:
        parts.append((base, "the name the code gave the class: a static lock's own name, or one given "
                            "with lockdep_set_class or lockdep_init_map"))
    if version is not None:
        nth = f"{version}{'th' if 10 <= version % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(version % 10, 'th')}"
        parts.append((f"#{version}", f"key version: the {nth} class lockdep registered under this name"))
    if subclass is not None:
        parts.append((f"/{subclass}", f"subclass {subclass}: taken nested (*_nested(..., {subclass}) "
                                      "or a lockdep_set_subclass)"))
    kind = lock_kind_by_name(name)
    if kind:
        parts.append(("kind", kind))
    return parts


def _dependency(graph: LockGraph, held: str, acquired: str, other: str) -> dict[str, Any]:
    functions, sources = [], []
    for ev in graph.evidence(held, acquired):
        frame, _via = establishing_frame(ev.frames)
        if frame is not None and frame.function and frame.function not in functions:
            functions.append(frame.function)
        where = f"{ev.source} #{ev.chain_index}" if ev.chain_index is not None else ev.source
        if where not in sources:
            sources.append(where)
    return {"lock": other, "function": ", ".join(functions), "evidence": ", ".join(sources),
            "edge": f"{held} -> {acquired}"}


#: Lock kinds (as the chain's stacks name them) that are LD_WAIT_SLEEP on either scale.
_SLEEPING = frozenset({"mutex", "rwsem", "percpu-rwsem", "semaphore", "rt_mutex", "ww_mutex"})


def lock_class_view(splats: Sequence[Splat], graph: LockGraph, name: str) -> dict[str, Any]:
    """What the reports and the lock graph say about the lock class ``name`` (plain data)."""
    usage_rows: list[dict[str, str]] = []
    wait = ""
    unsure_wait: tuple[str, str] | None = None
    seen_at: list[dict[str, str]] = []
    held: list[dict[str, str]] = []
    taken: list[str] = []
    for i, splat in enumerate(splats):
        for where, lock in _uses(splat):
            if lock.name != name:
                continue
            if not usage_rows and lock.usage:
                bits = lock_usage(splat, lock)
                if bits:
                    usage_rows = [{"state": b.state, "access": b.access, "char": b.char, "meaning": b.meaning}
                                  for b in bits]
            if not wait and lock.wait is not None:
                named = lock_wait_types(splat, lock)
                names = ":".join(n or "?" for n in named) if named and any(named) else ""
                if names:
                    wait = f"{names} ({lock.wait_text})"
                else:  # the report does not tell which scale: name it on both (a sleeping lock decides it below)
                    plain = ":".join(wait_type_name(v, "default") or "?" for v in lock.wait)
                    nested = ":".join(wait_type_name(v, "raw_lock_nesting") or "?" for v in lock.wait)
                    wait = (f"{lock.wait_text}: {plain}" if plain == nested else
                            f"{lock.wait_text}: {plain}, or {nested} with CONFIG_PROVE_RAW_LOCK_NESTING")
                    unsure_wait = (lock.wait_text, plain)
            if where.startswith("chain entry"):
                entry = next(e for e in splat.chain if e.lock is lock)
                found = acquisition(entry.frames)
                if found is not None and str(found) not in taken:
                    taken.append(str(found))
            if where.startswith(("held lock", "held by")):
                task = str(splat.task) if where.startswith("held lock") and splat.task else where[8:].split(" #")[0]
                held.append({"report": str(i), "task": task, "entry": where.rsplit("#", 1)[-1],
                             "at": lock.at.text if lock.at else ""})
            else:
                seen_at.append({"report": str(i), "where": where, "at": lock.at.text if lock.at else ""})
    if unsure_wait is not None and unsure_wait[0] == "3:3" and any(t.split()[0] in _SLEEPING for t in taken):
        # A sleeping lock is LD_WAIT_SLEEP: 3 on the default scale, 4 with raw nesting on.
        wait = (f"{unsure_wait[0]}: {unsure_wait[1]} (a sleeping lock prints 4:4 with "
                "CONFIG_PROVE_RAW_LOCK_NESTING, so this report is on the default scale)")
    g = graph.nx
    key = name if name in g else None
    incoming = [_dependency(graph, h, name, h) for h in sorted(g.predecessors(key))] if key else []
    outgoing = [_dependency(graph, name, a, a) for a in sorted(g.successors(key))] if key else []
    raw_usage = next((lock.usage for s in splats for _w, lock in _uses(s) if lock.name == name and lock.usage), "")
    return {"name": name, "parts": name_parts(name), "taken": taken, "usage": usage_rows, "usage_raw": raw_usage, "wait": wait,
            "in": incoming, "out": outgoing, "held": held, "printed": seen_at, "reports": len(splats)}


def _table(rows: list[dict[str, str]], columns: list[str], empty: str) -> str:
    if not rows:
        return f'<p class="sk-note">{html.escape(empty)}</p>'
    return table_html(pd.DataFrame(rows, columns=columns))


def lock_class_html(view: dict[str, Any]) -> str:
    """The lock class panel: every name escaped; a sentence instead of an empty table."""
    several = view["reports"] > 1
    parts = "".join(f"<li><code>{html.escape(part)}</code>: {html.escape(meaning)}</li>"
                    for part, meaning in view["parts"])
    if view["usage"]:
        usage = table_html(pd.DataFrame(view["usage"], columns=["state", "access", "char", "meaning"]),
                           caption=f"usage {{{view['usage_raw']}}}, one character per irq state and access")
    elif view["usage_raw"]:
        usage = f'<p class="sk-note">usage {{{html.escape(view["usage_raw"])}}}: the report does not say which ' \
                "kernel era printed it, so it is not decoded.</p>"
    else:
        usage = '<p class="sk-note">No usage printed for this class.</p>'
    wait = (f"<p>wait type (outer:inner): <code>{html.escape(view['wait'])}</code></p>" if view["wait"] else
            '<p class="sk-note">No wait type printed (kernels before 5.7 do not print one).</p>')
    report = ["report"] if several else []
    return (f'<div class="sk-lock-class"><h4>Lock class <code>{html.escape(view["name"])}</code></h4>'
            f"<ul>{parts}</ul>"
            + (f"<p>taken as: {html.escape('; '.join(view['taken']))} (from the chain's stacks)</p>"
               if view["taken"] else "")
            + f"{usage}{wait}"
            "<h4>Dependencies into it (held while it was taken)</h4>"
            + _table(view["in"], ["lock", "function", "evidence"], "None: nothing was held when it was taken.")
            + "<h4>Dependencies out of it (taken while it was held)</h4>"
            + _table(view["out"], ["lock", "function", "evidence"], "None: nothing was taken while it was held.")
            + "<h4>Held-lock entries naming it</h4>"
            + _table(view["held"], [*report, "task", "entry", "at"], "No held-lock list names it.")
            + "</div>")
