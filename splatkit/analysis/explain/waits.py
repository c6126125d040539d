"""Why a step of a deadlock scenario blocks: the semantics of each kind of lock, as data.

Lockdep treats everything as a lock, but a reviewer has to say what really waits for
what: a mutex waits for its holder; ``synchronize_srcu()`` waits for read-side sections
to end; a read acquisition of an rwsem waits only behind a writer; ``flush_work()`` waits
for a work item to finish running. :data:`LOCK_KINDS` holds that knowledge per kind (the
kinds :mod:`splatkit.analysis.acquisitions` reads off stacks), :data:`WRITERS` names the
usual writer of well-known read-mostly locks, and :func:`why` turns one wait into the
sentence an expert writes: "``&kvm->slots_lock`` is a mutex held there".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .document import Code, Paragraph, a, para

__all__ = ["LOCK_KINDS", "WRITERS", "LockKind", "holder_op", "kind_info", "why", "writer_of"]


@dataclass(frozen=True)
class LockKind:
    """What holding and waiting mean for one kind of lock."""

    name: str
    shared: bool = False
    """It has a read side and a write side (rwsem, percpu-rwsem, rwlock)."""
    holder_op: str | None = "lock"
    """How any holder holds it, when the kind alone says (``rlock`` for an SRCU reader);
    None when only the acquisition can say (a shared lock may be held either way)."""
    queues_readers: str = ""
    """For shared kinds: how a waiting writer holds up new readers (empty: it does not)."""
    holding: str = "held it"
    """What the holder has been doing, after "has" (``been inside an SRCU read-side section``)."""
    waiting: str = ""
    """For acquisitions that wait for holders (``access == "wait"``): what the wait waits for."""
    marker: bool = False
    """Not a lock but lockdep's marker for a context (``fs_reclaim``: memory reclaim): entering it
    never blocks and nothing waits for it; the wait is at the next lock taken inside it."""


LOCK_KINDS: dict[str, LockKind] = {k.name: k for k in (
    LockKind("mutex"),
    LockKind("spinlock"),
    LockKind("rt_mutex"),
    LockKind("ww_mutex"),
    LockKind("semaphore"),
    LockKind("local_lock"),
    LockKind("socket lock"),
    LockKind("page lock"),
    LockKind("rwsem", shared=True, holder_op=None,
             queues_readers="an rwsem makes new readers wait behind a waiting writer"),
    LockKind("percpu-rwsem", shared=True, holder_op=None,
             queues_readers="a percpu-rwsem makes new readers wait behind a waiting writer"),
    LockKind("rwlock", shared=True, holder_op=None,
             queues_readers="a queued rwlock makes new readers outside interrupt context wait behind a "
                            "waiting writer"),
    LockKind("SRCU", holder_op="rlock", holding="been inside an SRCU read-side section",
             waiting="returns only when every SRCU read-side section that started before it has ended"),
    LockKind("RCU", holder_op="rlock", holding="been inside an RCU read-side critical section",
             waiting="returns only when every RCU read-side critical section that started before it has ended"),
    LockKind("work item", holding="been running the work item",
             waiting="waits until the work item has finished running"),
    LockKind("workqueue", holding="been running a work item of the workqueue",
             waiting="waits until every work item queued on the workqueue has finished running"),
    LockKind("completion", holder_op="will_complete", holding="not completed it",
             waiting="waits until the completion is completed"),
    LockKind("cpuhp state", holding="been running the CPU-hotplug state's callbacks",
             waiting="waits until the CPU-hotplug thread of the CPU has run the state's callbacks"),
    LockKind("fs_reclaim", holder_op="reclaim", holding="been in memory reclaim", marker=True),
    LockKind("queue usage counter", holder_op=None, holding="been using the queue",
             waiting="waits until every user of the request queue has left it (a queue freeze)"),
)}

#: Who takes a well-known read-mostly lock for write: (lock class pattern, the writer in words).
WRITERS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), w) for p, w in (
    (r"^cpu_hotplug_lock", "a CPU-hotplug operation (a CPU going offline or online takes it with cpus_write_lock())"),
    (r"^sb_writers|^sb_pagefaults|^sb_internal", "a filesystem freeze (freeze_super())"),
    (r"mmap_lock$|mmap_sem$", "an address-space change such as mmap() or munmap() (mmap_write_lock())"),
    (r"^&type->s_umount_key", "an unmount or a remount (down_write(&sb->s_umount))"),
    (r"^cgroup_threadgroup_rwsem", "a task migrating between cgroups (cgroup_attach_lock())"),
    (r"^namespace_sem", "a mount or unmount (namespace_lock())"),
    (r"^&sb->s_type->i_mutex_key|i_rwsem", "a writer of the inode (inode_lock())"),
    (r"q_usage_counter", "a queue freeze (blk_mq_freeze_queue())"),
    (r"^&new->fa_lock$|^&fa->fa_lock$", "fasync_insert_entry() or fasync_remove_entry() (write_lock_irq(&fa->fa_lock))"),
))


def kind_info(kind: str | None) -> LockKind | None:
    return LOCK_KINDS.get(kind) if kind else None


def writer_of(lock: str) -> str | None:
    """The usual writer of a well-known read-mostly lock, in words; None for others."""
    return next((who for pattern, who in WRITERS if pattern.search(lock)), None)


def holder_op(kind: str | None) -> str | None:
    """How a holder of a lock of ``kind`` holds it when the kind alone says; None otherwise."""
    info = kind_info(kind)
    return info.holder_op if info is not None else None


def why(*, lock: str, kind: str | None, op: str, api: str | None, holder_cpu: int, holder_step: int,
        holder: str, holder_blocked: int | None = None, step: int | None = None,
        inside: str | None = None) -> Paragraph:
    """Why the acquisition of ``lock`` by ``op`` blocks behind the holder's step.

    ``op`` is the waiting step's operation (``lock``, ``rlock``, ``sync``, ``take``) and
    ``holder`` the holder's (``lock``, ``rlock``, ``take``). ``inside`` is the kind of lock whose
    internal spinlock ``lock`` is (a semaphore's, taken by ``down_trylock()``), if it is one.

    >>> str(why(lock="&kvm->slots_lock", kind="mutex", op="lock", api="mutex_lock_nested",
    ...         holder_cpu=1, holder_step=2, holder="lock"))
    '&kvm->slots_lock is a mutex, held there'
    """
    info = kind_info(kind)
    there = f"CPU{holder_cpu} has {info.holding if info else 'held it'} since step {holder_step}"
    if kind == "completion":
        return para(Code(f"{api}()") if api else "waiting for the completion", " waits until someone calls ",
                    Code("complete()"), f", and CPU{holder_cpu}, which would, does so only after its step "
                    f"{holder_blocked}, where it is stuck in turn")
    if op == "sync":
        call = Code(f"{api}()") if api else "waiting for it"
        waiting = info.waiting if info and info.waiting else "waits until every holder has let it go"
        return para(call, f" {waiting}, and {there}")
    if op == "take" or (info is None and op != "lock"):
        return para(Code(lock), " is held there; the splat does not show how this step takes it, so whether it "
                    "really waits depends on that")
    if info is None:
        return para(Code(lock), " is held there (its kind is not shown, so the wait is assumed exclusive)")
    if inside and not info.shared:
        return para(Code(lock), f" is the internal {info.name} of {a(inside)}",
                    para(" (taken by ", Code(f"{api}()"), ")") if api else "", ", held there")
    if not info.shared:
        if info.waiting:
            return para(Code(lock), f" is held there: CPU{holder_cpu} has {info.holding} since step {holder_step}")
        return para(Code(lock), f" is {a(info.name)}, held there")
    if op == "lock":
        return para(Code(lock), f" is {a(info.name)}: taking it for write waits for every holder, reader or "
                    "writer")
    # A read acquisition of a shared lock.
    if holder == "lock":
        return para(Code(lock), f" is {a(info.name)} held for write there")
    if holder == "rlock":
        return para(Code(lock), f" is {a(info.name)} held for read there, and this step takes it for read: it "
                    "blocks only behind a waiting writer; see the conditions")
    return para(Code(lock), f" is {a(info.name)} and this step takes it for read: it blocks only if CPU"
                f"{holder_cpu} took it for write, or behind a waiting writer; see the conditions")
