"""How a lock was acquired, read off the stack lockdep saved for it: the kernel's locking API as data.

A dependency's stack starts in lockdep (``lock_acquire``), goes up through the locking API
(``__mutex_lock``, ``mutex_lock_nested``), and reaches the code that took the lock
(``set_nx_huge_pages``). The API frames say what kind of lock it is and how it was taken
(for write, for read, or waiting for the holders to finish: ``synchronize_srcu``,
``flush_work``); the first frame past them is the code to blame.

>>> import splatkit
>>> splat, = splatkit.parse(splatkit.samples.sample_text())
>>> [(e.lock.name, str(acquisition(e.frames))) for e in splat.chain][:3]
[('kvm_lock', 'mutex'), ('cpu_hotplug_lock', 'percpu-rwsem for read'), ('&kvm->srcu', 'SRCU wait')]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..model import Frame

__all__ = ["WARN_MACHINERY", "ACCESS", "ALLOCATOR", "LOCKDEP_INTERNAL", "LOCKING_API", "LOCK_APIS", "OPS", "PSEUDO_LOCKS", "SIDED",
           "Acquisition", "PseudoLock", "acquire_op", "acquisition", "establishing_frame", "lock_kind_by_name",
           "pseudo_lock", "recorded_by"]

#: The kernel's generic locking and waiting API. The first frame of a dependency's stack
#: that is *not* one of these is the code that established the dependency.
LOCKING_API = re.compile(
    r"^_*(?:lock_acquire|lock_acquired|lock_sync|lock_map_acquire\w*|mutex_lock\w*|mutex_trylock\w*"
    r"|ww_mutex_lock\w*|mutex_lock_common|raw_spin_\w+|spin_lock\w*|read_lock\w*|write_lock\w*"
    r"|raw_read_lock\w*|raw_write_lock\w*|down_\w+|down|up_\w+|percpu_down_\w+|percpu_up_\w+"
    r"|percpu_rwsem_\w+|cpus_read_lock|cpus_write_lock|cpu_hotplug_disable|rwsem_\w+|rt_mutex\w*"
    r"|rt_spin_lock\w*|synchronize_srcu\w*|synchronize_rcu\w*|srcu_read_lock\w*|rcu_read_lock\w*"
    r"|rcu_lock_acquire|srcu_lock_acquire|static_key_\w+|static_branch_\w+|flush_work\w*|start_flush_work"
    r"|flush_workqueue|wait_for_completion\w*|cancel_work_sync|__cancel_work_timer|touch_wq_lockdep_map"
    r"|lock_sock\w*|lock_page\w*|folio_lock\w*|mutex_lock_io\w*|down_read\w*|down_write\w*"
    r"|fs_reclaim_acquire|might_alloc|sb_start_\w+|percpu_ref_\w+|blk_queue_enter|bio_queue_enter"
    r"|blk_mq_freeze_queue\w*|blk_freeze_queue\w*|flush_workqueue\w*|drain_workqueue|local_lock\w*"
    r"|mutex_unlock\w*|__mutex_unlock_slowpath|raw_spin_unlock\w*|spin_unlock\w*|read_unlock\w*|write_unlock\w*"
    r"|rcu_read_unlock\w*|srcu_read_unlock\w*|lock_release|up|rt_mutex_unlock\w*|might_fault|might_lock\w*"
    r"|mmap_read_lock\w*|mmap_write_lock\w*|_?atomic_dec_and\w*lock\w*|refcount_dec_and_\w*lock\w*"
    r"|rcu_lock_release|srcu_lock_release|lock_map_release"
    r"|seqcount_lockdep_reader_access|seqcount_acquire\w*|read_seqcount_begin\w*|raw_read_seqcount\w*"
    r"|read_seqbegin\w*|read_seqlock\w*|write_seqlock\w*|write_sequnlock\w*|write_seqcount\w*|do_write_seqcount\w*"
    r"|rtnl_lock\w*|rtnl_unlock|rtnl_trylock|inode_lock\w*|inode_unlock\w*)"  # (wrappers: name their caller)
    r"(?:\.\w+)*$"
)

#: How an acquisition reads: taken for ``write`` (exclusive), for ``read`` (shared), a
#: ``wait`` for the holders to finish (``synchronize_srcu``, ``flush_work``: lockdep models
#: the wait as taking the lock and dropping it at once), or ``reclaim``: an allocation that
#: may enter memory reclaim (``fs_reclaim`` is lockdep's marker for reclaim, not a lock).
ACCESS = ("write", "read", "wait", "reclaim")

#: The scenario operation of each access (see :data:`splatkit.analysis.explain.circular.LEGEND`).
OPS = {"write": "lock", "read": "rlock", "wait": "sync", "reclaim": "reclaim"}

#: The kinds that have a read side and a write side: only for these does "for write" mean
#: anything (a mutex is just taken).
SIDED = frozenset({"rwsem", "percpu-rwsem", "rwlock", "queue usage counter"})

#: The page and slab allocator: in a stack that enters ``fs_reclaim``, the frames between it
#: and the code that asked for memory (that code is the one to name, not ``__kmalloc()``).
ALLOCATOR = re.compile(
    r"^_*(?:kmalloc\w*|kzalloc\w*|kcalloc\w*|krealloc\w*|kvmalloc\w*|kvzalloc\w*|kvcalloc\w*|kmem_cache_alloc\w*"
    r"|kmem_cache_zalloc|slab_alloc\w*|slab_pre_alloc_hook\w*|\w*slab_alloc\w*|new_slab|allocate_slab"
    r"|alloc_slab_page|alloc_pages\w*|alloc_page\w*|folio_alloc\w*|prepare_alloc_pages\w*|get_page_from_freelist"
    r"|alloc_pages_mpol\w*|vmalloc\w*|vzalloc\w*|vmalloc_node\w*|kmalloc_trace\w*|kmalloc_node_trace\w*"
    r"|kmalloc_large\w*|kmalloc_order\w*|mempool_alloc\w*|kmemdup\w*|kstrdup\w*|memdup_user\w*"
    r"|should_failslab\w*|slab_post_alloc_hook|fs_reclaim_acquire|might_alloc|__need_fs_reclaim"
    r"|gfpflags_allow_blocking|kmem_cache_alloc_node\w*|alloc_pages_node\w*|__get_free_pages|get_zeroed_page)"
    r"(?:\.\w+)*$"
)


@dataclass(frozen=True)
class Acquisition:
    """What kind of lock an acquisition took, and how."""

    kind: str
    """The lock's kind in the kernel's terms: ``mutex``, ``spinlock``, ``rwsem``,
    ``percpu-rwsem``, ``SRCU``, ``work item``... (see :data:`LOCK_APIS`)."""
    access: str
    """One of :data:`ACCESS`."""
    api: str | None = None
    """The API function that took it (``mutex_lock_nested``, ``cpus_read_lock``); for a
    wrapper's internal spinlock, the wrapper (``down_trylock``)."""
    inside: str | None = None
    """The kind of lock whose internal spinlock this is (``semaphore`` for ``(console_sem).lock``,
    taken by ``down_trylock()`` with ``raw_spin_lock_irqsave()``), or None."""

    def __str__(self) -> str:
        """In a reviewer's words: ``rwsem for read``, ``SRCU wait``, ``mutex`` (no side to name),
        ``allocation that may enter reclaim``, ``the internal spinlock of a semaphore``."""
        if self.inside:
            return f"the internal {self.kind} of {'an' if self.inside[0] in 'aeiou' else 'a'} {self.inside}"
        if self.access == "reclaim":
            return "an allocation that may enter FS reclaim"
        if self.access == "wait":
            return f"{self.kind} wait"
        if self.kind in SIDED or self.access == "read":
            return f"{self.kind} for {self.access}"
        return self.kind


#: The locking API by function name, first match wins: (pattern, kind, access). Checked on the
#: stack's API frames from the one nearest the caller: ``cpus_read_lock`` says more than the
#: ``percpu_down_read`` it calls.
LOCK_APIS: tuple[tuple[re.Pattern[str], str, str], ...] = tuple((re.compile(p), kind, access) for p, kind, access in (
    (ALLOCATOR.pattern, "fs_reclaim", "reclaim"),  # (only in a stack that enters fs_reclaim: see establishing_frame)
    (r"^(?:cpus_read_lock|get_online_cpus|cpu_hotplug_disable)$", "percpu-rwsem", "read"),
    (r"^(?:cpus_write_lock|cpu_hotplug_begin)$", "percpu-rwsem", "write"),
    (r"^_*sb_start_\w+$", "percpu-rwsem", "read"),
    (r"^_*might_fault$|^_*mmap_read_lock\w*$", "rwsem", "read"),  # (might_fault: might_lock_read(mmap_lock))
    (r"^_*mmap_write_lock\w*$", "rwsem", "write"),
    (r"^_*percpu_down_read\w*$", "percpu-rwsem", "read"),
    (r"^_*percpu_down_write\w*$", "percpu-rwsem", "write"),
    (r"^_*synchronize_srcu\w*$", "SRCU", "wait"),
    (r"^_*srcu_read_lock\w*$|^srcu_lock_acquire$", "SRCU", "read"),
    (r"^_*synchronize_rcu\w*$", "RCU", "wait"),
    (r"^_*rcu_read_lock\w*$|^rcu_lock_acquire$", "RCU", "read"),
    (r"^_*(?:flush_work|start_flush_work|cancel_work_sync|cancel_work_timer|cancel_delayed_work_sync"
     r"|flush_delayed_work)(?!queue)\w*$", "work item", "wait"),
    (r"^_*(?:flush_workqueue|drain_workqueue|destroy_workqueue)\w*$", "workqueue", "wait"),
    (r"^_*wait_for_completion\w*$", "completion", "wait"),
    (r"^_*(?:fs_reclaim_acquire|might_alloc)$", "fs_reclaim", "reclaim"),
    (r"^_*(?:blk_queue_enter|bio_queue_enter)$", "queue usage counter", "read"),
    (r"^_*(?:blk_mq_freeze_queue\w*|blk_freeze_queue\w*)$", "queue usage counter", "wait"),
    (r"^_*lock_sock\w*$", "socket lock", "write"),
    (r"^_*ww_mutex_lock\w*$", "ww_mutex", "write"),
    (r"^_*rt_mutex_lock\w*$|^_*rt_mutex_slowlock\w*$", "rt_mutex", "write"),
    (r"^_*(?:mutex_lock\w*|mutex_trylock\w*|mutex_lock_common)$", "mutex", "write"),
    (r"^_*down_read\w*$", "rwsem", "read"),
    (r"^_*down_write\w*$", "rwsem", "write"),
    (r"^_*(?:raw_)?read_lock\w*$", "rwlock", "read"),
    (r"^_*(?:raw_)?write_lock\w*$", "rwlock", "write"),
    (r"^_*(?:raw_)?spin_lock\w*$|^_*raw_spin_lock\w*$|^rt_spin_lock\w*$", "spinlock", "write"),
    (r"^_*local_lock\w*$", "local_lock", "write"),
    (r"^_*(?:lock_page|folio_lock)\w*$", "page lock", "write"),
    (r"^_*down(?:_interruptible|_killable|_timeout|_trylock)?$", "semaphore", "write"),
))

#: Lock classes whose name says their kind (lockdep's pseudo-locks and well-known globals),
#: when no API frame does: (name pattern, kind).
_KINDS_BY_NAME: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), kind) for p, kind in (
    (r"^\(work_completion\)", "work item"),
    (r"^\(wq_completion\)", "workqueue"),
    (r"^\(completion\)|^\(&[\w.>-]+done\)", "completion"),
    (r"^fs_reclaim$", "fs_reclaim"),
    (r"^cpu_hotplug_lock", "percpu-rwsem"),
    (r"^sb_writers|^sb_pagefaults|^sb_internal", "percpu-rwsem"),
    (r"mmap_lock|mmap_sem", "rwsem"),
    (r"^rcu_read_lock$|^rcu_callback$", "RCU"),
    (r"srcu$", "SRCU"),
    (r"q_usage_counter", "queue usage counter"),
    (r"^sk_lock-", "socket lock"),
    (r"^cpuhp_state-(?:up|down)$", "cpuhp state"),
))


def lock_kind_by_name(name: str) -> str | None:
    """The kind a lock class's name alone says, or None.

    >>> lock_kind_by_name("(work_completion)(&peer->transmit_handshake_work)"), lock_kind_by_name("kvm_lock")
    ('work item', None)
    """
    for pattern, kind in _KINDS_BY_NAME:
        if pattern.search(name):
            return kind
    return None


def establishing_frame(frames: Sequence[Frame]) -> tuple[Frame | None, tuple[Frame, ...]]:
    """The first frame outside the locking API, and the API frames above it ("via").

    >>> import splatkit
    >>> frame, via = establishing_frame(splatkit.parse(splatkit.samples.sample_text())[0].chain[1].frames)
    >>> frame.function, [f.function for f in via]
    ('kvm_lapic_set_base', ['cpus_read_lock', 'static_key_slow_inc'])
    """
    via: list[Frame] = []
    reclaim = False
    for frame in frames:
        if frame.unreliable or frame.function is None:
            continue
        if LOCKING_API.match(frame.function) or (reclaim and ALLOCATOR.match(frame.function)):
            via.append(frame)
            reclaim = reclaim or _RECLAIM_ENTRY.match(frame.function) is not None
            continue
        if LOCKDEP_INTERNAL.match(frame.function):  # (a report's own stack starts in lockdep's printing)
            continue
        return frame, tuple(via)
    return None, tuple(via)


#: The calls with which an allocation enters lockdep's ``fs_reclaim`` map.
_RECLAIM_ENTRY = re.compile(r"^_*(?:fs_reclaim_acquire|might_alloc)(?:\.\w+)*$")


def _api_kind(name: str) -> tuple[str, str] | None:
    return next(((kind, access) for pattern, kind, access in LOCK_APIS if pattern.match(name)), None)


#: The kinds a raw locking primitive takes: when the innermost API frame of a stack is one of
#: these, lockdep's lock_acquire() was called for a spinlock or rwlock, whatever wrapper called it.
_PRIMITIVE = frozenset({"spinlock", "rwlock"})


def acquisition(frames: Sequence[Frame]) -> Acquisition | None:
    """What the stack of an acquisition says it took, and how; None when no frame tells.

    The API frame nearest the caller names the lock's kind (``cpus_read_lock`` says more than
    the ``percpu_down_read`` it calls), except when the innermost is a spinlock or rwlock
    primitive under a wrapper of another kind: then the lock taken is the wrapper's internal
    spinlock (``(console_sem).lock``, taken by ``down_trylock()``), not the wrapper's lock.

    >>> str(acquisition((Frame("_raw_spin_lock_irqsave"), Frame("down_trylock"), Frame("console_trylock"))))
    'the internal spinlock of a semaphore'
    """
    _frame, via = establishing_frame(frames)
    named = [(frame.function or "", found) for frame in via if (found := _api_kind(frame.function or ""))]
    if not named:
        return None
    inner_name, (inner_kind, inner_access) = named[0]
    outer_name, (outer_kind, outer_access) = named[-1]  # (nearest the caller)
    if inner_kind in _PRIMITIVE and outer_kind not in _PRIMITIVE:
        return Acquisition(inner_kind, inner_access, outer_name, inside=outer_kind)
    return Acquisition(outer_kind, outer_access, outer_name)


def acquire_op(frames: Sequence[Frame]) -> str:
    """``lock``, ``rlock`` (a read acquisition) or ``sync`` (waiting for holders), from the stack;
    ``lock`` when the stack does not tell."""
    found = acquisition(frames)
    if found is None:
        return "lock"
    return OPS[found.access]


#: The WARN, BUG and panic machinery and the unwinder: frames printed by the report itself,
#: never the code that hit it (``panic()`` with panic_on_warn, ``unwind_backtrace()`` on arm).
WARN_MACHINERY = re.compile(
    r"^_*(?:panic|vpanic|check_panic_on_warn|__warn\w*|warn_slowpath\w*|report_bug|handle_bug|fixup_bug|do_trap\w*"
    r"|do_error_trap|do_invalid_op|exc_invalid_op|asm_exc_invalid_op|invalid_op|do_int3\w*|die|oops_end"
    r"|unwind_backtrace|dump_backtrace|show_stack|show_trace\w*|dump_stack\w*|__dump_stack|show_regs\w*"
    r"|bug_handler|early_brk64|brk_handler|do_debug_exception|el1_dbg|el1h_64_sync\w*|el1_sync\w*"
    r"|should_fail\w*|fail_dump|_*might_sleep|__might_resched|might_resched)(?:\.\w+)*$"
)

#: Lockdep's own frames and the reporting around them: never the code to look at, left out
#: of a trimmed splat.
LOCKDEP_INTERNAL = re.compile(
    r"^_*(?:lock_acquire|lock_acquired|lock_contended|lock_release|lock_sync|validate_chain|check_prev_add"
    r"|check_prevs_add|check_noncircular|check_irq_usage|check_deadlock|check_wait_context|check_usage\w*"
    r"|mark_lock\w*|mark_usage|mark_held_locks|mark_irqflags|print_\w*bug\w*|print_\w*_scenario|print_usage_bug"
    r"|print_circular_bug\w*|print_lock\w*|lockdep_\w+|debug_check_no_locks_\w+|debug_show_\w+|dump_stack\w*"
    r"|show_stack|lock_is_held\w*|hlock_class|lookup_chain_cache_add|add_chain_cache|check_flags|__warn"
    r"|warn_slowpath\w*|report_bug|handle_bug|exc_invalid_op|asm_exc_invalid_op|do_error_trap|do_invalid_op"
    r"|invalid_op|lock_map_acquire\w*|lock_map_release|trace_hardirqs_\w+|register_lock_class"
    r"|look_up_lock_class|dump_backtrace|show_trace\w*|save_trace\w*|check_chain_key|validate_chain\w*"
    r"|add_lock_to_list|alloc_list_entry|lookup_chain_cache\w*|add_chain_cache\w*)(?:\.\w+)*$"
)


@dataclass(frozen=True)
class PseudoLock:
    """A lockdep map that is not a lock: what "taking" it and "holding" it really mean.

    Lockdep draws these like locks (``lock(fs_reclaim)``), but nobody holds them the way a
    task holds a spinlock: ``fs_reclaim`` marks "this code may enter memory reclaim",
    ``(work_completion)X`` marks "work item X is running" (``flush_work()`` waits for it).
    """

    kind: str
    """The kind in :data:`splatkit.analysis.explain.waits.LOCK_KINDS` terms."""
    what: str
    """What the map stands for, for a reader who takes it for a lock."""
    takes: str
    """What code that "takes" it does, after the code's name (``allocates memory that may ...``)."""
    under_irq_lock: str
    """Why doing that under a lock taken in interrupt context is wrong in its own right."""
    fix: str
    """What to do instead, under such a lock."""
    in_irq_fix: str = "move it out of interrupt context (a workqueue, a threaded handler)"
    """What to do when it happened in interrupt context."""


#: lockdep's pseudo-locks by class name (first match wins).
PSEUDO_LOCKS: tuple[tuple[re.Pattern[str], PseudoLock], ...] = tuple((re.compile(p), k) for p, k in (
    (r"^fs_reclaim$", PseudoLock(
        "fs_reclaim", "lockdep's marker for memory reclaim, not a lock: an allocation whose GFP flags allow "
        "direct reclaim with __GFP_FS \"takes\" it, and reclaim runs inside it",
        "allocates memory with GFP flags that allow FS reclaim",
        "Reclaim can sleep and can take locks that are taken with interrupts enabled, so such an allocation "
        "must not be made under this lock",
        "allocate before taking the lock, or use GFP_ATOMIC or GFP_NOWAIT under it",
        "allocate with GFP_ATOMIC or GFP_NOWAIT in interrupt context (look for a gfp argument passed down from a "
        "caller that assumed process context)")),
    (r"^mmu_notifier_invalidate_range_start$", PseudoLock(
        "mmu notifier", "lockdep's marker for an MMU-notifier invalidation, not a lock: the notifier "
        "callbacks run inside it and may sleep (reclaim can start one)",
        "may start an MMU-notifier invalidation (whose callbacks may sleep)",
        "The notifier callbacks can sleep, so an invalidation must not start under this lock",
        "start the invalidation (or the allocation that may reclaim) before taking the lock")),
    (r"^\(work_completion\)", PseudoLock(
        "work item", "lockdep's map of a work item, not a lock: a worker \"holds\" it while the work item "
        "runs, and flush_work()/cancel_work_sync() \"take\" it to wait for the work item",
        "waits for the work item to finish (flush_work(), cancel_work_sync()), or runs it",
        "Waiting for a work item sleeps, so it must not happen under this lock",
        "flush or cancel the work item before taking the lock")),
    (r"^\(wq_completion\)", PseudoLock(
        "workqueue", "lockdep's map of a workqueue, not a lock: a worker \"holds\" it while a work item of the "
        "workqueue runs, and flush_workqueue()/destroy_workqueue() \"take\" it to wait for them",
        "waits for the workqueue's work items (flush_workqueue(), destroy_workqueue()), or runs one",
        "Waiting for a workqueue sleeps, so it must not happen under this lock",
        "flush the workqueue before taking the lock")),
))


def pseudo_lock(name: str) -> PseudoLock | None:
    """The pseudo-lock a lock class name is, or None for a real lock.

    >>> pseudo_lock("fs_reclaim").kind, pseudo_lock("&port_lock_key")
    ('fs_reclaim', None)
    """
    return next((k for pattern, k in PSEUDO_LOCKS if pattern.search(name)), None)


#: The first frames of a dependency stack recorded while a lock was *released* (lockdep
#: re-validates the locks held above one released out of order) rather than acquired.
_RELEASING = re.compile(r"^_*(?:lock_release|\w*_unlock\w*|up_\w+|up|percpu_up_\w+|rcu_read_unlock\w*)"
                        r"(?:\.\w+)*$")
#: The frames of a cross-release commit (4.14-4.15: a ``(completion)`` class's dependency recorded
#: when complete() is called, with complete()'s stack).
_COMMIT = re.compile(r"^_*(?:complete|complete_all|try_to_wake_up|default_wake_function|__wake_up\w*"
                     r"|commit_xhlocks?|lock_commit_crosslock)(?:\.\w+)*$")


def recorded_by(frames: Sequence[Frame], held: str) -> str:
    """How a dependency's saved stack was recorded: ``acquire`` (the usual case: the stack takes
    the lock), ``release`` (lockdep re-validated held locks while another was released out of
    order: the stack releases, it does not take), or ``commit`` (cross-release: ``held`` is a
    ``(completion)`` class and the stack is complete()'s, not the acquisition's).

    >>> recorded_by((Frame("lock_release"), Frame("up_write"), Frame("btrfs_tree_unlock")), "&x->mutex")
    'release'
    """
    api = []
    for frame in frames:
        if frame.unreliable or frame.function is None:
            continue
        if frame.function in ("lock_acquire", "__lock_acquire", "lock_acquire.part.0"):
            return "acquire"
        if held.startswith("(completion)") and _COMMIT.match(frame.function):
            return "commit"
        if not (LOCKING_API.match(frame.function) or LOCKDEP_INTERNAL.match(frame.function)
                or _RELEASING.match(frame.function)):
            break
        api.append(frame.function)
    if api and _RELEASING.match(api[0]):
        return "release"
    return "acquire"
