"""Wound/wait mutexes: acquire contexts, the wait-die back-off and the ww debug checks.

A ``ww_mutex`` taken under a ``ww_acquire_ctx`` names the context as its nest lock, so
lockdep lets any number of mutexes of the class nest under it (the context serialises
them); taken without one, two of them are recursive locking. When a mutex is held by an
older context, the younger one "dies": ``-EDEADLK``, and it must release everything and
take the contended mutex first (``ww_mutex_lock_slow``). ``CONFIG_DEBUG_WW_MUTEXES``
checks that protocol with ``DEBUG_LOCKS_WARN_ON()`` (``kernel/locking/ww_mutex.h``,
``include/linux/ww_mutex.h``); a failed check is a WARN that turns lockdep off like a
report (:class:`~splatkit.sim.findings.DebugWarn`).

No task ever blocks here: a mutex that is locked and not contended away is taken anyway,
as in the kernel's self-test, which only checks the bookkeeping.

>>> from splatkit.sim import run
>>> run("ww_mutex o\\nww_ctx t\\nk: ww_acquire_init t\\nk: ww_lock o ctx t\\nk: ww_acquire_fini t").kind
'nested_not_taken'
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from .classes import LockInstance
from .findings import DebugWarn
from .frames import Site
from .state import TaskState
from .validator import Lockdep

__all__ = ["EALREADY", "EDEADLK", "WwContext", "WwModel", "WwMutex"]

EDEADLK = -35
EALREADY = -114

_LOCK = ("__ww_mutex_lock.constprop.0", "ww_mutex_lock")
#: Where each check lives, for the WARN line (file:line as in a 6.x tree; the lines are illustrative).
_CHECKS: dict[str, tuple[str, str]] = {
    "ww->ctx": ("kernel/locking/ww_mutex.h:193", "__ww_mutex_lock.constprop.0"),
    "ww_ctx->done_acquire": ("kernel/locking/ww_mutex.h:198", "__ww_mutex_lock.constprop.0"),
    "ww_ctx->contending_lock != ww": ("kernel/locking/ww_mutex.h:205", "__ww_mutex_lock.constprop.0"),
    "ww_ctx->acquired > 0": ("kernel/locking/ww_mutex.h:211", "__ww_mutex_lock.constprop.0"),
    "ww_ctx->ww_class != ww->ww_class": ("kernel/locking/ww_mutex.h:218", "__ww_mutex_lock.constprop.0"),
    "ww_ctx->contending_lock": ("kernel/locking/ww_mutex.h:323", "__ww_mutex_lock.constprop.0"),
    "ctx->done_acquire": ("include/linux/ww_mutex.h:182", "ww_acquire_done"),
    "ctx->acquired": ("include/linux/ww_mutex.h:202", "ww_acquire_fini"),
    "!ctx->contending_lock": ("include/linux/ww_mutex.h:355", "ww_mutex_lock_slow"),
    "!lock->ctx->acquired": ("kernel/locking/mutex.c:764", "ww_mutex_unlock"),
}


@dataclass(eq=False)
class WwContext:
    """A ``struct ww_acquire_ctx``: its stamp (lower is older) and the debug bookkeeping."""

    instance: LockInstance
    stamp: int = 0
    acquired: int = 0
    done: bool = False
    contending: WwMutex | None = None
    class_ok: bool = True


@dataclass(eq=False)
class WwMutex:
    """A ``struct ww_mutex``: whether its mutex is locked, and the context that owns it."""

    instance: LockInstance
    locked: bool = False
    ctx: WwContext | None = None


@dataclass
class WwModel:
    """The ww objects of one run, over a :class:`~splatkit.sim.validator.Lockdep`."""

    lockdep: Lockdep
    contexts: dict[str, WwContext] = field(default_factory=dict)
    mutexes: dict[str, WwMutex] = field(default_factory=dict)
    _stamps: itertools.count = field(default_factory=lambda: itertools.count(1))

    def context(self, instance: LockInstance) -> WwContext:
        return self.contexts.setdefault(instance.name, WwContext(instance))

    def mutex(self, instance: LockInstance) -> WwMutex:
        return self.mutexes.setdefault(instance.name, WwMutex(instance))

    def _warn(self, task: TaskState, condition: str) -> None:
        where, function = _CHECKS[condition]
        self.lockdep.warn(task, DebugWarn, condition=condition, where=where, function=function)

    def acquire_init(self, task: TaskState, ctx: WwContext, site: Site) -> None:
        """``ww_acquire_init``: a fresh stamp, then the context is taken like a lock."""
        ctx.stamp, ctx.acquired, ctx.done, ctx.contending, ctx.class_ok = next(self._stamps), 0, False, None, True
        self.lockdep.acquire(task, ctx.instance, site, internals=("ww_acquire_init",))

    def acquire_done(self, task: TaskState, ctx: WwContext, site: Site) -> None:
        """``ww_acquire_done``: no more mutexes will be taken under ``ctx``."""
        self.lockdep.begin(site, ("ww_acquire_done",), ())
        if ctx.done:
            self._warn(task, "ctx->done_acquire")
        ctx.done = True

    def acquire_fini(self, task: TaskState, ctx: WwContext, site: Site) -> None:
        """``ww_acquire_fini``: the context is released; it must not still own mutexes."""
        self.lockdep.release(task, ctx.instance, site, internals=("ww_acquire_fini",))
        if ctx.acquired:
            self._warn(task, "ctx->acquired")

    def lock(self, task: TaskState, ww: WwMutex, ctx: WwContext | None, site: Site, *, slow: bool = False) -> int:
        """``ww_mutex_lock`` (``slow``: ``ww_mutex_lock_slow``): 0, ``-EALREADY`` or ``-EDEADLK``."""
        if slow and ctx is not None:
            self.lockdep.begin(site, ("ww_mutex_lock_slow",), ())
            if ctx.contending is None:
                self._warn(task, "!ctx->contending_lock")
        if ctx is None:
            self.lockdep.acquire(task, ww.instance, site, internals=_LOCK)
            ww.locked = True
            return 0
        if ww.ctx is ctx:
            return EALREADY
        self.lockdep.acquire(task, ww.instance, site, nest=ctx.instance, internals=_LOCK)
        if ww.locked and ctx.acquired > 0 and ww.ctx is not None and ww.ctx.stamp < ctx.stamp:
            if ctx.contending is not None:
                self._warn(task, "ww_ctx->contending_lock")
            ctx.contending = ww
            self.lockdep.release(task, ww.instance, site, internals=_LOCK)
            return EDEADLK
        ww.locked = True
        checks = [("ww->ctx", ww.ctx is not None), ("ww_ctx->done_acquire", ctx.done)]
        if ctx.contending is not None:
            checks += [("ww_ctx->contending_lock != ww", ctx.contending is not ww),
                       ("ww_ctx->acquired > 0", ctx.acquired > 0)]
        checks.append(("ww_ctx->ww_class != ww->ww_class", not ctx.class_ok))
        for condition, failed in checks:
            if failed:
                self._warn(task, condition)
        ctx.contending = None
        ctx.acquired += 1
        ww.ctx = ctx
        return 0

    def trylock(self, task: TaskState, ww: WwMutex, site: Site) -> int:
        """``ww_mutex_trylock`` without a context: 1 when taken, 0 (and no lockdep event) when locked."""
        if ww.locked:
            return 0
        self.lockdep.acquire(task, ww.instance, site, trylock=True, internals=("ww_mutex_trylock",))
        ww.locked = True
        return 1

    def unlock(self, task: TaskState, ww: WwMutex, site: Site) -> None:
        """``ww_mutex_unlock``: the owning context gives the mutex back, then the mutex is released."""
        if ww.ctx is not None:
            self.lockdep.begin(site, ("ww_mutex_unlock",), ())
            if not ww.ctx.acquired:
                self._warn(task, "!lock->ctx->acquired")
            ww.ctx.acquired -= 1
            ww.ctx = None
        self.lockdep.release(task, ww.instance, site, internals=("ww_mutex_unlock",))
        ww.locked = False
