"""pandas DataFrames of a splat: the chain, the frames of a stack, the held locks.

Tables are the notebook's main reading surface; they contain plain values (no
HTML), so any renderer may escape them its own way.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .analysis.acquisitions import acquire_op, establishing_frame
from .model import Frame, Splat

__all__ = ["chain_table", "frames_table", "held_locks_table"]


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
            "held": deps.get(entry.index),
            "acquired": entry.lock.name,
            "op": acquire_op(entry.frames),
            "function": frame.function if frame else None,
            "module": frame.module if frame else None,
            "usage": entry.lock.usage,
            "wait": entry.lock.wait_text,
            "frames": len(entry.frames),
            "new": entry.index == 0,
        })
    return pd.DataFrame(rows, columns=["entry", "held", "acquired", "op", "function", "module", "usage",
                                       "wait", "frames", "new"])


def frames_table(frames: Sequence[Frame]) -> pd.DataFrame:
    """One row per frame, innermost first: function, offset, size, module, unreliable, source."""
    rows = [{"function": f.function, "offset": f"0x{f.offset:x}" if f.offset is not None else None,
             "size": f"0x{f.size:x}" if f.size is not None else None, "module": f.module,
             "unreliable": f.unreliable, "source": f.source, "line": f.line_no} for f in frames]
    return pd.DataFrame(rows, columns=["function", "offset", "size", "module", "unreliable", "source", "line"])


def held_locks_table(splat: Splat) -> pd.DataFrame:
    """One row per held lock: index, lock name, usage, wait, where it was acquired, holder."""
    rows = [{"index": h.index, "lock": h.lock.name, "usage": h.lock.usage, "wait": h.lock.wait_text,
             "at": h.lock.at.text if h.lock.at else None, "holder": str(h.holder) if h.holder else None}
            for h in splat.held_locks]
    return pd.DataFrame(rows, columns=["index", "lock", "usage", "wait", "at", "holder"])
