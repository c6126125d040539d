"""Which frames of a stack a developer reads, and which are lockdep's and the locking API's.

A dependency's stack starts in lockdep (``__lock_acquire``, ``lock_acquire``), goes up
through the locking API (``__mutex_lock``, ``mutex_lock_nested``) and reaches the code
that took the lock; a report's own backtrace starts with lockdep's printing
(``dump_stack_lvl``, ``print_circular_bug``). :func:`frame_roles` names each frame's part,
reusing the lists of :mod:`splatkit.analysis.acquisitions` (``LOCKDEP_INTERNAL``,
``LOCKING_API``), so that a view can hide what is not the developer's code and keep two
locking frames worth reading: the one that says how the lock was taken (``cpus_read_lock``)
and the one the code called (``static_key_slow_inc``).

:func:`blamed_function` is the function a syzkaller title names (``possible deadlock in
set_nx_huge_pages``): the frame syzbot files the bug under.

>>> import splatkit
>>> entry = splatkit.parse(splatkit.samples.sample_text())[0].chain[1]  # -> #2
>>> [(f.function, role) for f, role in zip(entry.frames, frame_roles(entry.frames))][:4]
[('cpus_read_lock', 'takes it'), ('static_key_slow_inc', 'locking call'), ('kvm_lapic_set_base', 'code'), ('kvm_set_apic_base', 'code')]
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .analysis.acquisitions import LOCKDEP_INTERNAL, LOCKING_API, acquisition, establishing_frame
from .model import Frame

__all__ = ["HIDDEN_ROLES", "ROLES", "blamed_function", "frame_roles", "is_blamed"]

#: A frame's part in its stack: the developer's ``code``; lockdep's own frames; the locking
#: API below the code (``locking``), except the frame that ``takes it`` (names how the lock
#: was taken) and the ``locking call`` the code made; frames the unwinder marked ``?``.
ROLES = ("code", "takes it", "locking call", "locking", "lockdep", "unreliable")
#: The roles a stack table hides until asked to show internals.
HIDDEN_ROLES = frozenset({"locking", "lockdep", "unreliable"})

#: syzkaller titles of lockdep reports end with the blamed function: ``... in FUNC``.
_BLAMED = re.compile(r" in ([A-Za-z_][\w.]*)$")


def frame_roles(frames: Sequence[Frame]) -> list[str]:
    """The role (one of :data:`ROLES`) of each frame, in order."""
    code, via = establishing_frame(frames)
    found = acquisition(frames)
    start = next((i for i, f in enumerate(frames) if f is code), len(frames))
    call = via[-1] if via else None  # the API frame nearest the caller: what the code called
    roles = []
    for i, frame in enumerate(frames):
        name = frame.function
        if frame.unreliable:
            roles.append("unreliable")
        elif name is not None and LOCKDEP_INTERNAL.match(name):
            roles.append("lockdep")
        elif name is not None and i < start and LOCKING_API.match(name):
            roles.append("takes it" if found is not None and name == found.api else
                         "locking call" if frame is call else "locking")
        else:
            roles.append("code")
    return roles


def blamed_function(title: str) -> str | None:
    """The function a syzkaller title blames, or None when the title names none.

    >>> blamed_function("possible deadlock in set_nx_huge_pages"), blamed_function("BUG: held lock freed!")
    ('set_nx_huge_pages', None)
    """
    m = _BLAMED.search(title or "")
    return m.group(1) if m else None


def is_blamed(frame: Frame, blamed: str | None) -> bool:
    """True when ``frame`` is a frame of the blamed function (compiler suffixes such as
    ``.isra.0`` aside, which syzkaller's titles leave out)."""
    if not blamed or frame.function is None or frame.unreliable:
        return False
    return frame.function == blamed or frame.function.split(".")[0] == blamed.split(".")[0]
