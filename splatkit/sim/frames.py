"""Made-up but well-formed stack traces for the operations of a simulated program.

A real report shows where each dependency was recorded (the stack ``save_trace()``
kept) and where the current acquisition came from. The simulator has no kernel, so it
makes the stacks up from what it knows: the kernel functions the operation goes through
(from the lock type's row in :data:`splatkit.sim.classes.LOCK_TYPES`), the program's own
function for the step (given with ``@ func`` or named after the task and line), and the
way into the kernel for the task's context (a system call, a worker thread, an
interrupt). Offsets and sizes are hashes of the names, so a program gives the same
text on every run.

>>> frame("mutex_lock_nested").startswith("mutex_lock_nested+0x")
True
>>> Site("task1", 3).stack(("mutex_lock_nested",))[1].split("+")[0]
'task1_line3'
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

__all__ = ["ENTRY_PATHS", "Site", "Trace", "address_of", "frame", "function_of"]

#: A stack as lockdep keeps it: frames innermost first, each ``func+0xOFF/0xSIZE``.
Trace = tuple[str, ...]

#: How each kind of task or context entered the kernel, innermost first (x86-64 names).
ENTRY_PATHS: dict[str, tuple[str, ...]] = {
    "syscall": ("__x64_sys_ioctl", "do_syscall_64", "entry_SYSCALL_64_after_hwframe"),
    "worker": ("process_one_work", "worker_thread", "kthread", "ret_from_fork", "ret_from_fork_asm"),
    "kthread": ("kthread", "ret_from_fork", "ret_from_fork_asm"),
    "hardirq": ("__handle_irq_event_percpu", "handle_irq_event", "handle_edge_irq", "__common_interrupt",
                "common_interrupt", "asm_common_interrupt"),
    "softirq": ("handle_softirqs", "__irq_exit_rcu", "irq_exit_rcu", "sysvec_apic_timer_interrupt",
                "asm_sysvec_apic_timer_interrupt"),
    "boot": ("dotest", "locking_selftest", "start_kernel", "x86_64_start_reservations", "x86_64_start_kernel",
             "common_startup_64"),
}

_IDENT = re.compile(r"[^A-Za-z0-9_]+")


def _hash(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def frame(function: str, salt: str = "") -> str:
    """``function+0xOFF/0xSIZE``: the size a hash of the name, the offset one of name and ``salt``.

    >>> frame("f") == frame("f"), frame("f", "3") != frame("f", "4")
    (True, True)
    """
    size = 0x30 + (_hash(function) % 0x7C) * 0x10
    offset = 1 + _hash(f"{function}/{salt}") % (size - 2)
    return f"{function}+0x{offset:x}/0x{size:x}"


def function_of(text: str) -> str:
    """The function name of a frame (``f+0x1/0x2`` gives ``f``)."""
    return text.split("+", 1)[0]


def address_of(text: str) -> int:
    """A made-up kernel text address for a frame, for eras that print ``[<address>]``."""
    return 0xFFFFFFFF81000000 + (_hash(text) & 0xFFFFFF)


@dataclass(frozen=True)
class Site:
    """Where an operation runs: enough to make up its stack.

    The program's function comes first below the kernel's own functions, then the
    callers the step names, then the way into the kernel (``ENTRY_PATHS``).
    """

    task: str
    line: int
    function: str = ""
    """The step's function (``@ func``); empty: ``<task>_line<N>``."""
    callers: tuple[str, ...] = ()
    """Further functions of the program, innermost first (``@ f < g < h``)."""
    entry: str = "syscall"
    """The key of :data:`ENTRY_PATHS` for the context the step runs in."""

    @property
    def name(self) -> str:
        """The step's function name."""
        return self.function or f"{_IDENT.sub('_', self.task).strip('_') or 'task'}_line{self.line}"

    @property
    def at(self) -> str:
        """The frame of the step's function: what ``, at:`` prints for a lock it took."""
        return frame(self.name, str(self.line))

    def stack(self, internals: tuple[str, ...] = ()) -> Trace:
        """The whole stack: ``internals`` (kernel functions, innermost first), the program, the entry."""
        inner = tuple(frame(f) for f in internals)
        own = (self.at,) + tuple(frame(f, str(self.line)) for f in self.callers)
        return inner + own + tuple(frame(f) for f in ENTRY_PATHS[self.entry])
