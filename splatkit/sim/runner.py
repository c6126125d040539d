"""Running an exercise: each step's operation, as the kernel functions it names would call lockdep.

:class:`Runner` keeps the program's locks and tasks and turns each step into the lockdep
events of its kernel counterpart: ``lock_irqsave`` disables hard irqs and then acquires,
``flush_work`` acquires and releases the work item's lockdep map (the worker holds it
while the work runs, ``work_begin``), ``synchronize_srcu`` is a ``lock_sync`` of the SRCU
map, a step in ``hardirq`` context enters an interrupt on the task's CPU (irqs off, a
threaded handler unless ``hardirq-nothread``) and leaves it at the task's next step in
another context. A step the kernel could not run as written (an interrupt on a CPU with
interrupts disabled, a task leaving an interrupt with its locks held, a lock of the
wrong type) is a :class:`~splatkit.errors.ProgramError` naming the line.

No task ever blocks: lockdep checks an acquisition before waiting for it, so the run
goes on, and a note says when a task would have waited for another.

>>> from splatkit.sim import run
>>> run("mutex A\\nt1: lock A\\nt2: lock A").notes[0][:36]
'line 3: t2 would wait for A, held by'
"""

from __future__ import annotations

import difflib
from collections.abc import Callable

from ..errors import ProgramError
from .actions import Actions
from .classes import LOCK_TYPES, LockClass, LockInstance
from .config import Config
from .findings import Finding
from .frames import Site
from .program import OPERATIONS, Declaration, Program, Step
from .state import HeldLock, TaskState
from .validator import Lockdep, Reported
from .ww import WwModel

__all__ = ["Runner"]

_TYPE_WORDS = {"ww_ctx": "ww_acquire_ctx"}


class Runner(Actions):
    """One run of a program: its lockdep, its locks and its tasks."""

    def __init__(self, program: Program, config: Config) -> None:
        self.program = program
        self.lockdep = Lockdep(config)
        self.ww = WwModel(self.lockdep)
        self.instances: dict[str, LockInstance] = {}
        self.queues: dict[str, str] = {}
        self.tasks: dict[str, TaskState] = {}
        self.task_decls: dict[str, Declaration] = {}
        self.context: dict[str, tuple[str, int]] = {}
        """Per task, the interrupt context a step's prefix entered and the held depth then."""
        self.notes: list[str] = []
        self.exited: dict[str, int] = {}
        """Tasks that exited, and the line they did it on."""
        self._classes: dict[str, tuple[LockClass, int]] = {}
        for decl in program.declarations:
            self._declare(decl)
        self._handlers: dict[str, Callable[[TaskState, Step, Site], None]] = {
            name: getattr(self, f"op_{name}") for name in OPERATIONS}

    # -- declarations -----------------------------------------------------------------------

    def _error(self, step_or_decl: Step | Declaration, message: str, expected: str | None = None) -> ProgramError:
        no = step_or_decl.line_no
        line = self.program.lines[no - 1] if 0 < no <= len(self.program.lines) else None
        return ProgramError(message, source=self.program.source, line_no=no, line=line, expected=expected)

    def _declare(self, decl: Declaration) -> None:
        if decl.type == "task":
            self.task_decls[decl.names[0]] = decl
            return
        ltype = LOCK_TYPES[_TYPE_WORDS.get(decl.type, decl.type)]
        for name in decl.names:
            if name in self.instances:
                raise self._error(decl, f"{name} is declared twice", "one declaration per lock name")
            base = decl.cls or name
            if ltype.name in ("ww_mutex", "ww_acquire_ctx"):
                base = f"{decl.cls or 'ww_class'}_{'mutex' if ltype.name == 'ww_mutex' else 'acquire'}"
            base = ltype.prefix + base
            known = self._classes.get(base)
            if known and known[0].type is not ltype:
                raise self._error(decl, f"class {base} is a {known[0].type.name} class (line {known[1]}), "
                                        f"not a {ltype.name}", "instances of one class to have one type")
            cls = known[0] if known else LockClass(base, ltype)
            self._classes.setdefault(base, (cls, decl.line_no))
            self.instances[name] = LockInstance(name, cls)
            if ltype.name == "work":
                self.queues[name] = decl.queue or "events"
        for name in decl.names:
            queue = self.queues.get(name)
            if queue and queue not in self.instances:
                if decl.queue is not None:
                    raise self._error(decl, f"unknown workqueue {queue}", f"'workqueue {queue}' declared above")
                self.instances[queue] = LockInstance(queue, LockClass(f"(wq_completion){queue}", LOCK_TYPES["workqueue"]))

    def builtin(self, type_name: str, name: str) -> LockInstance:
        """The instance of a built-in lockdep map (the RCU flavours, ``fs_reclaim``)."""
        key = f"<{name}>"
        if key not in self.instances:
            self.instances[key] = LockInstance(name, LockClass(name, LOCK_TYPES[type_name]))
        return self.instances[key]

    def task(self, name: str) -> TaskState:
        if name not in self.tasks:
            decl = self.task_decls.get(name)
            index = len(self.tasks)
            pid = decl.pid if decl and decl.pid is not None else 1001 + index
            cpu = decl.cpu if decl and decl.cpu is not None else index % 4
            self.tasks[name] = TaskState(name[:15], pid, cpu)
        return self.tasks[name]

    def lock(self, step: Step, name: str | None = None, op: str | None = None) -> LockInstance:
        """The declared lock a step names, of a type its operation takes."""
        name = name or step.lock
        inst = self.instances.get(name) if name and not name.startswith("<") else None
        if inst is None:
            declared = [n for n in self.instances if not n.startswith("<")]
            close = difflib.get_close_matches(name or "", declared, n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise self._error(step, f"unknown lock {name!r}{hint}",
                              f"a lock declared above, such as 'mutex {name}'")
        types = OPERATIONS[op or step.op].types or ()
        word = {"ww_acquire_ctx": "ww_ctx"}.get(inst.type.name, inst.type.name)
        if word not in types:
            raise self._error(step, f"'{op or step.op}' does not apply to {name}, a {word}",
                              f"a {', '.join(types[:-1])} or {types[-1]}" if len(types) > 1 else f"a {types[0]}")
        return inst

    # -- running ----------------------------------------------------------------------------

    def run(self) -> tuple[Finding | None, Step | None]:
        """Run every step; stop at the first report (lockdep turns itself off there)."""
        for step in self.program.steps:
            try:
                self.step(step)
            except Reported as reported:
                return reported.finding, step
        return None, None

    def site(self, step: Step, task: TaskState) -> Site:
        if task.hardirq_context:
            entry = "hardirq"
        elif task.softirq_context:
            entry = "softirq"
        elif step.task.startswith("kworker"):
            entry = "worker"
        elif step.task.startswith(("kswapd", "ksoftirqd", "kthread")):
            entry = "kthread"
        else:
            entry = "syscall"
        functions = step.functions
        return Site(step.task, step.line_no, functions[0] if functions else "", tuple(functions[1:]), entry)

    def step(self, step: Step) -> None:
        if step.task in self.exited:
            raise self._error(step, f"{step.task} exited on line {self.exited[step.task]}",
                              "no steps of a task after its exit (use another task name)")
        task = self.task(step.task)
        self._switch_context(task, step)
        self._handlers[step.op](task, step, self.site(step, task))

    def _switch_context(self, task: TaskState, step: Step) -> None:
        current = self.context.get(step.task)
        want = step.context
        if (current and current[0] == want) or (current is None and want == "process"):
            return
        site = self.site(step, task)
        if current is not None:
            self._leave(task, step, site, *current)
        if want != "process":
            self._enter(task, step, site, want)

    def _enter(self, task: TaskState, step: Step, site: Site, context: str) -> None:
        ld = self.lockdep
        if not task.hardirqs_enabled:
            raise self._error(step, f"{step.task} runs with hard irqs disabled here, so no interrupt can arrive on "
                                    f"its CPU", "irq_enable first, or the interrupt on another task")
        if context == "softirq":
            if not task.softirqs_enabled:
                raise self._error(step, f"{step.task} runs with bottom halves disabled here, so no softirq can run",
                                  "bh_enable first, or the softirq on another task")
            ld.irq_enter(task, site, "soft", internals=("handle_softirqs",))
        else:
            ld.hardirqs_off(task, site, ("asm_common_interrupt",))
            ld.irq_enter(task, site, "hard", threaded=context == "hardirq", internals=("irq_enter_rcu",))
        self.context[step.task] = (context, len(task.held))

    def _leave(self, task: TaskState, step: Step, site: Site, context: str, depth: int) -> None:
        if len(task.held) > depth:
            held = task.held[depth]
            raise self._error(step, f"{step.task} leaves {context} context still holding {held.instance.name} "
                                    f"(taken on line {held.site.line})", f"an unlock of it in {context} context first")
        ld = self.lockdep
        if context == "softirq":
            ld.irq_exit(task, site, "soft", internals=("__local_bh_enable",))
        else:
            ld.irq_exit(task, site, "hard", internals=("irq_exit_rcu",))
            ld.hardirqs_on(task, site, ("asm_common_interrupt",))
        del self.context[step.task]

    def _blocking_note(self, step: Step, inst: LockInstance, read: bool) -> None:
        for name, other in self.tasks.items():
            if name == step.task:
                continue
            for held in other.held:
                if held.instance is inst and (not read or not held.read):
                    self.notes.append(f"line {step.line_no}: {step.task} would wait for {inst.name}, held by {name} "
                                      f"(line {held.site.line}); lockdep checks before waiting, so the run goes on")
                    return

    # -- locks ------------------------------------------------------------------------------

    def _acquire(self, task: TaskState, step: Step, site: Site, *, read: bool = False, trylock: bool = False,
                 variant: str = "") -> HeldLock:
        inst = self.lock(step)
        ld = self.lockdep
        mode = ld.read_mode(task, inst.type) if read else 0
        if not trylock:
            self._blocking_note(step, inst, read)
        base = ("read" if read else "lock") if not trylock else ("read_trylock" if read else "trylock")
        name = f"read_{variant}" if read and variant else variant or base
        nest = self.lock(step, step.nest, "lock") if step.nest else None
        return ld.acquire(task, inst, site, read=mode, trylock=trylock, nest=nest, subclass=step.subclass,
                          internals=inst.type.frames_for(name))

    def op_lock(self, task: TaskState, step: Step, site: Site) -> None:
        inst = self.lock(step)
        if inst.type.name == "ww_mutex" and not step.nest:
            self.ww.lock(task, self.ww.mutex(inst), None, site)
        else:
            self._acquire(task, step, site)

    def op_read_lock(self, task, step, site) -> None:
        self._acquire(task, step, site, read=True)

    def op_trylock(self, task, step, site) -> None:
        self._acquire(task, step, site, trylock=True)

    def op_read_trylock(self, task, step, site) -> None:
        self._acquire(task, step, site, read=True, trylock=True)

    def _irq_lock(self, task, step, site, *, read: bool, how: str) -> None:
        self.lock(step)
        saved = task.hardirqs_enabled
        if how == "bh":
            self.lockdep.bh_disable(task, site)
        else:
            self.lockdep.hardirqs_off(task, site)
        held = self._acquire(task, step, site, read=read, variant=how)
        held.saved_irqs = saved if how == "irqsave" else None

    def op_lock_irq(self, task, step, site) -> None:
        self._irq_lock(task, step, site, read=False, how="irq")

    def op_lock_irqsave(self, task, step, site) -> None:
        self._irq_lock(task, step, site, read=False, how="irqsave")

    def op_lock_bh(self, task, step, site) -> None:
        self._irq_lock(task, step, site, read=False, how="bh")

    def op_read_lock_irq(self, task, step, site) -> None:
        self._irq_lock(task, step, site, read=True, how="irq")

    def op_read_lock_irqsave(self, task, step, site) -> None:
        self._irq_lock(task, step, site, read=True, how="irqsave")

    def op_read_lock_bh(self, task, step, site) -> None:
        self._irq_lock(task, step, site, read=True, how="bh")

    def op_unlock(self, task, step, site) -> None:
        inst = self.lock(step)
        self.lockdep.release(task, inst, site, internals=inst.type.frames_for("unlock"))
        if inst.type.name == "ww_mutex":
            self.ww.mutex(inst).locked = False

    def op_unlock_irq(self, task, step, site) -> None:
        self.op_unlock(task, step, site)
        self.lockdep.hardirqs_on(task, site, ("_raw_spin_unlock_irq",))

    def op_unlock_irqrestore(self, task, step, site) -> None:
        inst = self.lock(step)
        saved = next((h.saved_irqs for h in reversed(task.held) if h.instance is inst), None)
        self.op_unlock(task, step, site)
        if saved:
            self.lockdep.hardirqs_on(task, site, ("_raw_spin_unlock_irqrestore",))

    def op_unlock_bh(self, task, step, site) -> None:
        self.op_unlock(task, step, site)
        self.lockdep.bh_enable(task, site, ("_raw_spin_unlock_bh",))

    def op_init(self, task, step, site) -> None:
        self.lockdep.init(task, self.lock(step), site, internals=("lockdep_init_map_type",))

    def op_free(self, task, step, site) -> None:
        self.lockdep.init(task, self.lock(step), site, internals=("kfree",))
