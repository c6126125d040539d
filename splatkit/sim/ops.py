"""The self-test's operation language (locking-selftest.md §2), run on the simulator.

One operation per step: ``lock(spin:A)``, ``read_lock(rwlock:X1)``, ``irq_enter(soft)``,
``ww_lock(o, t)=-EDEADLK``... Instances are ``type:Name``; ``A``..``D`` are classes of
their own, ``X1``/``X2`` are two instances of class ``X`` (likewise Y and Z); every
``ww:`` instance is of the class ``ww_lockdep_mutex`` and every ``wwctx:`` of
``ww_lockdep_acquire``. A trailing ``=value`` is what the test expects the call to
return; only plain ``WARN_ON()``\\s look at it, never lockdep, so it is not checked here.

Each case runs on a blank model, in one task (the boot task that runs the self-test),
and stops at the first report, as ``debug_locks`` does.

>>> machine = SelftestMachine()
>>> machine.run("lock(mutex:X1)", 1); machine.run("lock(mutex:X2)", 2)
Traceback (most recent call last):
  ...
splatkit.sim.validator.Reported: recursive
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .classes import LOCK_TYPES, LockClass, LockInstance
from .config import Config
from .frames import Site
from .state import TaskState
from .validator import Lockdep
from .ww import WwModel

__all__ = ["OP", "SelftestMachine"]

#: One operation: ``name(args)`` and an optional ``=expected return``.
OP = re.compile(r"^(?P<name>\w+)\((?P<args>[^()]*)\)(?:=(?P<value>\S+))?$")

#: Type tags of §2.1 -> lock types (``rcu:`` instances are typed by their flavour).
TAGS = {"spin": "spinlock", "raw": "raw_spinlock", "rwlock": "rwlock", "mutex": "mutex", "rwsem": "rwsem",
        "rtmutex": "rt_mutex", "local": "local_lock", "ww": "ww_mutex", "wwctx": "ww_acquire_ctx",
        "fs_reclaim": "fs_reclaim"}
#: Classes that do not follow the letter rule (§2.2).
SHARED_CLASSES = {"ww": "ww_lockdep_mutex", "wwctx": "ww_lockdep_acquire", "fs_reclaim": "fs_reclaim"}
_RCU = {"rcu": "rcu", "rcu_bh": "rcu_bh", "rcu_sched": "rcu_sched"}


class SelftestMachine:
    """A blank lockdep and the self-test's task, driven one §2 operation at a time."""

    def __init__(self, config: Config | None = None, case: str = "selftest") -> None:
        self.lockdep = Lockdep(config)
        self.ww = WwModel(self.lockdep)
        self.task = TaskState("swapper/0", 1, 0)
        self.case = case
        self.instances: dict[str, LockInstance] = {}
        self.subclasses: dict[str, int] = {}
        self._ops: dict[str, Callable[..., None]] = {
            name[3:]: getattr(self, name) for name in dir(self) if name.startswith("op_")}

    def instance(self, ref: str) -> LockInstance:
        """The instance ``type:Name`` (``ww`` and ``wwctx`` refs may leave the type out)."""
        ref = ref.strip()
        if ":" not in ref:
            ref = f"{'wwctx' if ref.startswith('t') else 'ww'}:{ref}"
        if ref not in self.instances:
            tag, name = ref.split(":", 1)
            if tag == "rcu":
                ltype, base = LOCK_TYPES[_RCU[name]], ref
            else:
                ltype = LOCK_TYPES[TAGS[tag]]
                base = SHARED_CLASSES.get(tag) or f"{tag}:{name.rstrip('0123456789') or name}"
            self.instances[ref] = LockInstance(ref, LockClass(base, ltype))
        return self.instances[ref]

    def site(self, index: int) -> Site:
        return Site("swapper/0", index, self.case, entry="boot")

    def run(self, text: str, index: int) -> None:
        """Run operation number ``index`` (1-based); raises ``Reported`` at the first report."""
        match = OP.match(text.strip())
        if match is None or match["name"] not in self._ops:
            raise ValueError(f"unknown self-test operation {text!r}")
        args = [a.strip() for a in match["args"].split(",")] if match["args"].strip() else []
        self._ops[match["name"]](self.site(index), *args)

    # -- locks -----------------------------------------------------------------------------

    def _acquire(self, site: Site, ref: str, *, read: bool = False, trylock: bool = False,
                 nest: str | None = None) -> None:
        inst = self.instance(ref)
        ld = self.lockdep
        mode = ld.read_mode(self.task, inst.type) if read else 0
        op = ("read" if read else "") + ("_trylock" if trylock else "")
        ld.acquire(self.task, inst, site, read=mode, trylock=trylock, nest=self.instance(nest) if nest else None,
                   subclass=self.subclasses.get(inst.name, 0), internals=inst.type.frames_for(op or "lock"))

    def op_lock(self, site: Site, ref: str) -> None:
        if ref.startswith("ww:"):
            self.ww.lock(self.task, self.ww.mutex(self.instance(ref)), None, site)
        else:
            self._acquire(site, ref)

    def op_read_lock(self, site: Site, ref: str) -> None:
        self._acquire(site, ref, read=True)

    def op_trylock(self, site: Site, ref: str) -> None:
        if ref.startswith("ww:"):
            self.ww.trylock(self.task, self.ww.mutex(self.instance(ref)), site)
        else:
            self._acquire(site, ref, trylock=True)

    def op_lock_nest(self, site: Site, ref: str, nest: str) -> None:
        self._acquire(site, ref, nest=nest)
        if ref.startswith("ww:"):
            self.ww.mutex(self.instance(ref)).locked = True

    def op_unlock(self, site: Site, ref: str) -> None:
        inst = self.instance(ref)
        self.lockdep.release(self.task, inst, site, internals=inst.type.frames_for("unlock"))
        if ref.startswith("ww:"):
            self.ww.mutex(inst).locked = False

    def op_init(self, site: Site, ref: str) -> None:
        self.lockdep.init(self.task, self.instance(ref), site)

    def op_set_subclass(self, site: Site, ref: str, subclass: str) -> None:
        self.subclasses[self.instance(ref).name] = int(subclass)

    # -- irq state -------------------------------------------------------------------------

    def op_local_irq_disable(self, site: Site) -> None:
        self.lockdep.hardirqs_off(self.task, site)

    def op_local_irq_enable(self, site: Site) -> None:
        self.lockdep.hardirqs_on(self.task, site)

    def op_local_bh_disable(self, site: Site) -> None:
        self.lockdep.bh_disable(self.task, site)

    def op_local_bh_enable(self, site: Site) -> None:
        self.lockdep.bh_enable(self.task, site)

    def op_irq_enter(self, site: Site, kind: str, how: str = "") -> None:
        ld = self.lockdep
        if kind == "hard":
            ld.hardirqs_off(self.task, site)
            ld.irq_enter(self.task, site, "hard", threaded=how != "unthreaded")
        else:
            ld.bh_disable(self.task, site)
            ld.hardirqs_off(self.task, site)
            ld.irq_enter(self.task, site, "soft")

    def op_irq_exit(self, site: Site, kind: str) -> None:
        ld = self.lockdep
        ld.irq_exit(self.task, site, kind)
        ld.hardirqs_on(self.task, site)
        if kind == "soft":
            ld.bh_enable(self.task, site)

    # -- RCU and fs_reclaim ----------------------------------------------------------------

    def op_rcu_read_lock(self, site: Site, flavour: str) -> None:
        if flavour == "rcu_bh":
            self.lockdep.bh_disable(self.task, site)
        self.lockdep.acquire(self.task, self.instance(f"rcu:{flavour}"), site, read=2, check=False)

    def op_rcu_read_unlock(self, site: Site, flavour: str) -> None:
        self.lockdep.release(self.task, self.instance(f"rcu:{flavour}"), site)
        if flavour == "rcu_bh":
            self.lockdep.bh_enable(self.task, site)

    def _enters_reclaim(self, gfp: str) -> bool:
        return gfp == "GFP_KERNEL" and not self.task.nofs

    def op_fs_reclaim_acquire(self, site: Site, gfp: str) -> None:
        if self._enters_reclaim(gfp):
            self._acquire(site, "fs_reclaim:map")

    def op_fs_reclaim_release(self, site: Site, gfp: str) -> None:
        if self._enters_reclaim(gfp):
            self.op_unlock(site, "fs_reclaim:map")

    def op_might_alloc(self, site: Site, gfp: str) -> None:
        self.op_fs_reclaim_acquire(site, gfp)
        self.op_fs_reclaim_release(site, gfp)

    def op_memalloc_nofs_save(self, site: Site) -> None:
        self.task.nofs += 1

    def op_memalloc_nofs_restore(self, site: Site) -> None:
        self.task.nofs -= 1

    # -- ww_mutex (§5.6) -------------------------------------------------------------------

    def _ctx(self, name: str):
        return self.ww.context(self.instance(f"wwctx:{name}"))

    def _ww(self, name: str):
        return self.ww.mutex(self.instance(f"ww:{name}"))

    def op_ww_acquire_init(self, site: Site, ctx: str) -> None:
        self.ww.acquire_init(self.task, self._ctx(ctx), site)

    def op_ww_acquire_done(self, site: Site, ctx: str) -> None:
        self.ww.acquire_done(self.task, self._ctx(ctx), site)

    def op_ww_acquire_fini(self, site: Site, ctx: str) -> None:
        self.ww.acquire_fini(self.task, self._ctx(ctx), site)

    def op_ww_lock(self, site: Site, ww: str, ctx: str | None = None) -> None:
        self.ww.lock(self.task, self._ww(ww), self._ctx(ctx) if ctx else None, site)

    def op_ww_lock_slow(self, site: Site, ww: str, ctx: str) -> None:
        self.ww.lock(self.task, self._ww(ww), self._ctx(ctx), site, slow=True)

    def op_ww_trylock(self, site: Site, ww: str) -> None:
        self.ww.trylock(self.task, self._ww(ww), site)

    def op_ww_unlock(self, site: Site, ww: str) -> None:
        self.ww.unlock(self.task, self._ww(ww), site)

    def op_ww_ctx_set(self, site: Site, ctx: str, what: str) -> None:
        context = self._ctx(ctx)
        if what == "stamp+1":
            context.stamp += 1
        elif what == "acquired=0":
            context.acquired = 0
        elif what == "class=NULL":
            context.class_ok = False
        else:
            raise ValueError(f"unknown ww_ctx_set change {what!r}")

    def op_ww_ctx_copy(self, site: Site, dst: str, src: str, age: str) -> None:
        source, target = self._ctx(src), self._ctx(dst)
        target.acquired, target.done, target.contending, target.class_ok = (
            source.acquired, source.done, source.contending, source.class_ok)
        target.stamp = source.stamp + (-1 if age == "older" else 1)

    def op_ww_set_owner(self, site: Site, ww: str, ctx: str) -> None:
        self._ww(ww).ctx = None if ctx == "none" else self._ctx(ctx)

    def op_ld_release(self, site: Site, ref: str) -> None:
        self.lockdep.release(self.task, self.instance(ref), site)

    def op_ld_trylock(self, site: Site, ref: str) -> None:
        self._acquire(site, ref, trylock=True)
