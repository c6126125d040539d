"""pandas DataFrames of a splat: the chain, the frames of a stack, the held locks.

Tables are the notebook's main reading surface; they contain plain values (no
HTML), so any renderer may escape them its own way. A value the report does not print
is an empty string, never ``None`` or ``NaN``, so that a table reads as the report does.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .analysis.acquisitions import acquire_op, acquisition, establishing_frame
from .model import Frame, Splat
from .stacks import HIDDEN_ROLES, frame_roles, is_blamed

__all__ = ["STACK_COLUMNS", "chain_table", "frames_table", "held_locks_table", "stack_table"]


def _s(value: object) -> str:
    """A text cell: the value, or ``""`` when the report printed none."""
    return "" if value is None else str(value)


def chain_table(splat: Splat) -> pd.DataFrame:
    """One row per chain entry, in printed order (#N first).

    Columns: ``entry``, ``held``, ``acquired``, ``op``, ``function``, ``usage``,
    ``wait``, ``frames``, ``new``.

    >>> chain_table(parse(seed_text)[0])[["acquired", "function"]].iloc[0].tolist()
    ['kvm_lock', 'kvm_dev_ioctl']
    """
    rows = []
    deps = {entry.index: held for held, _acquired, entry in splat.dependencies()}
    for entry in splat.chain:
        frame, _via = establishing_frame(entry.frames)
        rows.append({
            "entry": entry.index,
            "held": _s(deps.get(entry.index)),
            "acquired": entry.lock.name,
            "op": acquire_op(entry.frames),
            "function": _s(frame.function if frame else None),
            "module": _s(frame.module if frame else None),
            "usage": _s(entry.lock.usage),
            "wait": _s(entry.lock.wait_text),
            "frames": len(entry.frames),
            "new": entry.index == 0,
        })
    return pd.DataFrame(rows, columns=["entry", "held", "acquired", "op", "function", "module", "usage",
                                       "wait", "frames", "new"])


def frames_table(frames: Sequence[Frame]) -> pd.DataFrame:
    """One row per frame, innermost first: function, offset, size, module, unreliable, source."""
    rows = [{"function": _s(f.function) or f.text, "offset": f"0x{f.offset:x}" if f.offset is not None else "",
             "size": f"0x{f.size:x}" if f.size is not None else "", "module": _s(f.module),
             "unreliable": f.unreliable, "source": _s(f.source), "line": f.line_no} for f in frames]
    return pd.DataFrame(rows, columns=["function", "offset", "size", "module", "unreliable", "source", "line"])


#: The columns of :func:`stack_table`.
STACK_COLUMNS = ["function", "offset", "module", "file:line", "line", "role", "note"]


def stack_table(frames: Sequence[Frame], *, internals: bool = False, blamed: str | None = None) -> pd.DataFrame:
    """The frames a developer reads, innermost first: lockdep's frames, the locking API below the
    code and the unreliable ``?`` frames left out unless ``internals`` (see
    :func:`splatkit.stacks.frame_roles`); the frame that takes the lock and the locking call
    the code made are kept.

    Columns (:data:`STACK_COLUMNS`): ``function``; ``offset`` as printed (``+0x179/0x1e0``);
    ``module``; ``file:line`` when the trace is decoded (``[inline]`` for an inlined frame);
    ``line`` of the input; ``role``; ``note``: how the lock was taken, on the frame that takes
    it, and ``syzbot blames it`` on the first frame of the ``blamed`` function (the one a
    syzkaller title names, :func:`splatkit.stacks.blamed_function`); ``not read: kept as text`` on
    a frame line the parser could not read (its text is the ``function``). ``attrs["hidden"]``
    counts the frames left out by role.

    >>> entry = parse(seed_text)[0].chain[-1]  # #0, the new dependency
    >>> t = stack_table(entry.frames, blamed="set_nx_huge_pages")
    >>> t[["function", "note"]].head(2).values.tolist(), t.attrs["hidden"]
    ([['mutex_lock_nested', 'takes it: mutex'], ['set_nx_huge_pages', 'syzbot blames it']], {'lockdep': 2, 'locking': 1})
    """
    roles = frame_roles(frames)
    found = acquisition(frames)
    rows, hidden = [], {}
    marked = False
    for frame, role in zip(frames, roles):
        if role in HIDDEN_ROLES and not internals:
            hidden[role] = hidden.get(role, 0) + 1
            continue
        notes = []
        if role == "takes it" and found is not None:
            notes.append(f"takes it: {found}")
        if not marked and is_blamed(frame, blamed):
            notes.append("syzbot blames it")
            marked = True
        if frame.function is None and frame.address is None:
            notes.append("not read: kept as text")  # (the parser's notes name its line)
        offset = f"+0x{frame.offset:x}/0x{frame.size:x}" if frame.offset is not None and frame.size is not None else ""
        where = _s(frame.source) + (" [inline]" if frame.inline else "")
        rows.append({"function": _s(frame.function) or frame.text, "offset": offset, "module": _s(frame.module),
                     "file:line": where.strip(), "line": frame.line_no if frame.line_no is not None else "",
                     "role": role, "note": "; ".join(notes)})
    table = pd.DataFrame(rows, columns=STACK_COLUMNS)
    table.attrs["hidden"] = hidden
    return table


def held_locks_table(splat: Splat) -> pd.DataFrame:
    """One row per held lock: index, lock name, usage, wait, where it was acquired, holder."""
    rows = [{"index": h.index, "lock": h.lock.name, "usage": _s(h.lock.usage), "wait": _s(h.lock.wait_text),
             "at": h.lock.at.text if h.lock.at else "", "holder": str(h.holder) if h.holder else ""}
            for h in splat.held_locks]
    return pd.DataFrame(rows, columns=["index", "lock", "usage", "wait", "at", "holder"])
