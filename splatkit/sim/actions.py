"""The exercise operations that are not plain lock and unlock: irq state, RCU and SRCU,
work items and completions, ww_mutexes, memory allocation, leaving the kernel.

Each is the lockdep events of its kernel function:

- ``irq_disable``/``irq_enable``, ``bh_disable``/``bh_enable``: ``lockdep_hardirqs_on/off``
  and ``lockdep_softirqs_on/off``; enabling marks the held locks irq-unsafe;
- ``rcu_read_lock`` (and ``_bh``, ``_sched``): a recursive read of the flavour's map with
  checking off; ``synchronize_rcu`` inside one is RCU's own lockdep complaint;
- ``srcu_read_lock``: a recursive read of the SRCU map; ``synchronize_srcu``: a
  ``lock_sync`` of it (6.4+), so the readers' dependencies meet the updater's;
- ``flush_work``/``flush_workqueue``: acquire and release the map the worker holds while the
  work runs (``work_begin`` .. ``work_end``: the workqueue's, then the work item's);
- ``wait_for_completion``/``complete``: cross-release (4.14-4.15): the waiter acquires the
  completion, and ``complete()`` adds ``completion -> held`` for what the completer holds;
- ``alloc``: ``might_alloc(GFP_KERNEL)`` acquires and releases ``fs_reclaim`` unless a
  NOFS scope is open; ``reclaim_begin``/``reclaim_end`` hold it (kswapd, direct reclaim).

>>> from splatkit.sim import run
>>> run("mutex M\\nwork W\\nkworker/0:1: work_begin W\\nkworker/0:1: lock M\\nkworker/0:1: unlock M\\n"
...     "kworker/0:1: work_end W\\nt: lock M\\nt: flush_work W").splat.cycle
('M', '(work_completion)W')
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .findings import SuspiciousRcu
from .frames import Site
from .program import Step
from .state import TaskState
from .ww import EDEADLK

if TYPE_CHECKING:
    from .runner import Runner

__all__ = ["Actions"]

_RCU = {"rcu_read_lock": "rcu", "rcu_read_lock_bh": "rcu_bh", "rcu_read_lock_sched": "rcu_sched"}
_GFP_RECLAIM = {None, "GFP_KERNEL", "kernel"}
_GFP = {*_GFP_RECLAIM - {None}, "GFP_NOFS", "nofs", "GFP_ATOMIC", "atomic", "GFP_NOWAIT", "nowait", "GFP_NOIO",
        "noio"}
#: What ``synchronize_rcu()`` inside a read-side section makes RCU's lockdep check print (6.x).
RCU_SYNC = ("kernel/rcu/tree.c:3802", "Illegal synchronize_rcu() in RCU read-side critical section!")


class Actions:
    """The operation handlers of :class:`~splatkit.sim.runner.Runner` beyond lock and unlock."""

    # -- irq state --------------------------------------------------------------------------

    def op_irq_disable(self: Runner, task: TaskState, step: Step, site: Site) -> None:
        self.lockdep.hardirqs_off(task, site, ("trace_hardirqs_off",))

    def op_irq_enable(self: Runner, task: TaskState, step: Step, site: Site) -> None:
        if task.hardirq_context:
            raise self._error(step, f"{step.task} enables interrupts inside a hardirq handler",
                              "hardirq handlers to run with interrupts disabled")
        self.lockdep.hardirqs_on(task, site)

    def op_bh_disable(self: Runner, task: TaskState, step: Step, site: Site) -> None:
        self.lockdep.bh_disable(task, site, ("__local_bh_disable_ip",))

    def op_bh_enable(self: Runner, task: TaskState, step: Step, site: Site) -> None:
        if not task.bh_count:
            raise self._error(step, f"bh_enable without a bh_disable of {step.task} before it",
                              "a bh_disable to pair it with")
        self.lockdep.bh_enable(task, site)

    def op_hardirq_enter(self: Runner, task: TaskState, step: Step, site: Site) -> None:
        if step.lock not in (None, "nothread"):
            raise self._error(step, f"unexpected {step.lock!r}", "'hardirq_enter' or 'hardirq_enter nothread'")
        self.lockdep.hardirqs_off(task, site, ("asm_common_interrupt",))
        self.lockdep.irq_enter(task, site, "hard", threaded=step.lock is None, internals=("irq_enter_rcu",))

    def op_hardirq_exit(self: Runner, task: TaskState, step: Step, site: Site) -> None:
        if not task.hardirq_context:
            raise self._error(step, f"{step.task} is not in hardirq context", "a hardirq_enter before it")
        self.lockdep.irq_exit(task, site, "hard", internals=("irq_exit_rcu",))
        if not task.hardirq_context:
            self.lockdep.hardirqs_on(task, site, ("asm_common_interrupt",))

    def op_softirq_enter(self: Runner, task: TaskState, step: Step, site: Site) -> None:
        self.lockdep.irq_enter(task, site, "soft", internals=("handle_softirqs",))

    def op_softirq_exit(self: Runner, task: TaskState, step: Step, site: Site) -> None:
        if not task.softirq_context:
            raise self._error(step, f"{step.task} is not in softirq context", "a softirq_enter before it")
        self.lockdep.irq_exit(task, site, "soft", internals=("__local_bh_enable",))

    # -- RCU and SRCU ------------------------------------------------------------------------

    def _rcu(self: Runner, task: TaskState, step: Step, site: Site, *, acquire: bool) -> None:
        name = step.op.replace("unlock", "lock")
        flavour = _RCU[name]
        inst = self.lock(step) if step.lock else self.builtin(flavour, name)
        if acquire:
            if flavour == "rcu_bh":
                self.lockdep.bh_disable(task, site, ("__local_bh_disable_ip",))
            self.lockdep.acquire(task, inst, site, read=2, check=False, internals=(name,))
        else:
            self.lockdep.release(task, inst, site, internals=(step.op,))
            if flavour == "rcu_bh":
                self.lockdep.bh_enable(task, site)

    def op_rcu_read_lock(self: Runner, task, step, site) -> None:
        self._rcu(task, step, site, acquire=True)

    op_rcu_read_lock_bh = op_rcu_read_lock
    op_rcu_read_lock_sched = op_rcu_read_lock

    def op_rcu_read_unlock(self: Runner, task, step, site) -> None:
        self._rcu(task, step, site, acquire=False)

    op_rcu_read_unlock_bh = op_rcu_read_unlock
    op_rcu_read_unlock_sched = op_rcu_read_unlock

    def op_synchronize_rcu(self: Runner, task, step, site) -> None:
        self.lockdep.begin(site, ("synchronize_rcu",), ("lockdep_rcu_suspicious",))
        if any(h.instance.type.name.startswith("rcu") for h in task.held):
            self.lockdep.report(SuspiciousRcu, task, where=RCU_SYNC[0], message=RCU_SYNC[1])

    def op_srcu_read_lock(self: Runner, task, step, site) -> None:
        inst = self.lock(step)
        self.lockdep.acquire(task, inst, site, read=2, internals=inst.type.frames_for("read"))

    def op_srcu_read_unlock(self: Runner, task, step, site) -> None:
        self.lockdep.release(task, self.lock(step), site, internals=("srcu_read_unlock",))

    def op_synchronize_srcu(self: Runner, task, step, site) -> None:
        inst = self.lock(step)
        self.lockdep.acquire(task, inst, site, sync=True, internals=inst.type.frames_for("sync"))

    def op_read_seqbegin(self: Runner, task, step, site) -> None:
        """``seqcount_lockdep_reader_access``: a recursive read with irqs saved off, released at once."""
        inst = self.lock(step)
        self.lockdep.acquire(task, inst, site, read=2, hardirqs_off=True, internals=inst.type.frames_for("read"))
        self.lockdep.release(task, inst, site, internals=("read_seqbegin",))

    # -- waits ------------------------------------------------------------------------------

    def _touch(self: Runner, task, step, site, inst, internals) -> None:
        """Acquire and release a lockdep map: what waiting for its owner means to lockdep."""
        self.lockdep.acquire(task, inst, site, internals=internals)
        self.lockdep.release(task, inst, site, internals=internals)

    def op_flush_work(self: Runner, task, step, site) -> None:
        inst = self.lock(step)
        self._touch(task, step, site, inst, inst.type.frames_for("sync"))

    def op_flush_workqueue(self: Runner, task, step, site) -> None:
        inst = self.lock(step)
        self._touch(task, step, site, inst, inst.type.frames_for("sync"))

    def op_work_begin(self: Runner, task, step, site) -> None:
        work = self.lock(step)
        queue = self.instances[self.queues[work.name]]
        self.lockdep.acquire(task, queue, site, internals=("process_one_work",))
        self.lockdep.acquire(task, work, site, internals=("process_one_work",))

    def op_work_end(self: Runner, task, step, site) -> None:
        work = self.lock(step)
        self.lockdep.release(task, work, site, internals=("process_one_work",))
        self.lockdep.release(task, self.instances[self.queues[work.name]], site, internals=("process_one_work",))

    def op_wait_for_completion(self: Runner, task, step, site) -> None:
        inst = self.lock(step)
        self._touch(task, step, site, inst, inst.type.frames_for("sync"))

    def op_complete(self: Runner, task, step, site) -> None:
        inst = self.lock(step)
        self.lockdep.commit(task, inst, site, internals=inst.type.frames_for("lock"))

    # -- ww_mutex ---------------------------------------------------------------------------

    def _ctx(self: Runner, step: Step, name: str | None):
        return self.ww.context(self.lock(step, name, "ww_acquire_init")) if name else None

    def op_ww_acquire_init(self: Runner, task, step, site) -> None:
        self.ww.acquire_init(task, self._ctx(step, step.lock), site)

    def op_ww_acquire_done(self: Runner, task, step, site) -> None:
        self.ww.acquire_done(task, self._ctx(step, step.lock), site)

    def op_ww_acquire_fini(self: Runner, task, step, site) -> None:
        self.ww.acquire_fini(task, self._ctx(step, step.lock), site)

    def op_ww_lock(self: Runner, task, step, site, *, slow: bool = False) -> None:
        ww = self.ww.mutex(self.lock(step))
        if slow and not step.ctx:
            raise self._error(step, "ww_lock_slow needs the acquire context", f"'ww_lock_slow {step.lock} ctx T'")
        if self.ww.lock(task, ww, self._ctx(step, step.ctx), site, slow=slow) == EDEADLK:
            self.notes.append(f"line {step.line_no}: ww_lock {step.lock} returned -EDEADLK: an older context owns "
                              "it; back off (unlock all), then ww_lock_slow it")

    def op_ww_lock_slow(self: Runner, task, step, site) -> None:
        self.op_ww_lock(task, step, site, slow=True)

    def op_ww_trylock(self: Runner, task, step, site) -> None:
        if not self.ww.trylock(task, self.ww.mutex(self.lock(step)), site):
            self.notes.append(f"line {step.line_no}: ww_trylock {step.lock} failed: it is locked")

    def op_ww_unlock(self: Runner, task, step, site) -> None:
        self.ww.unlock(task, self.ww.mutex(self.lock(step)), site)

    # -- memory and leaving the kernel --------------------------------------------------------

    def op_alloc(self: Runner, task, step, site) -> None:
        if step.lock not in _GFP and step.lock is not None:
            raise self._error(step, f"unknown allocation flags {step.lock!r}", "GFP_KERNEL, GFP_NOFS or GFP_ATOMIC")
        if step.lock in _GFP_RECLAIM and not task.nofs:
            self._touch(task, step, site, self.builtin("fs_reclaim", "fs_reclaim"), ("fs_reclaim_acquire",))

    def op_reclaim_begin(self: Runner, task, step, site) -> None:
        self.lockdep.acquire(task, self.builtin("fs_reclaim", "fs_reclaim"), site, internals=("fs_reclaim_acquire",))

    def op_reclaim_end(self: Runner, task, step, site) -> None:
        self.lockdep.release(task, self.builtin("fs_reclaim", "fs_reclaim"), site, internals=("fs_reclaim_release",))

    def op_nofs_save(self: Runner, task, step, site) -> None:
        task.nofs += 1

    def op_nofs_restore(self: Runner, task, step, site) -> None:
        if not task.nofs:
            raise self._error(step, "nofs_restore without a nofs_save before it", "a nofs_save to pair it with")
        task.nofs -= 1

    def op_return_to_user(self: Runner, task, step, site) -> None:
        self.lockdep.return_to_user(task, site)

    def op_exit(self: Runner, task, step, site) -> None:
        self.lockdep.exit(task, site)
        self.exited[step.task] = step.line_no
