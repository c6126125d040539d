"""The exercise format: lock declarations, then one step per line, ``TASK: OPERATION LOCK``.

A teacher writes it, a student edits it::

    mutex A
    mutex B
    task1: lock A
    task1: lock B
    task1: unlock B
    task1: unlock A
    task2: lock B
    task2: lock A       # lockdep reports here: B -> A closes A -> B

- A declaration is a lock type and one or more names, optionally the class they share
  (``mutex A1, A2 class A``: two instances, one lock class; ``mutex slots class
  &kvm->slots_lock`` prints the kernel's name). ``work W on Q`` puts a work item on a
  workqueue. ``task NAME pid N cpu N`` fixes what a task's reports print.
- A step is ``TASK[ CONTEXT]: OPERATION [LOCK] [nested N] [nest_lock L] [ctx T]
  [@ FUNCTION [< CALLER ...]]``. CONTEXT is ``process`` (the default), ``softirq``,
  ``hardirq`` or ``hardirq-nothread``: the step runs in an interrupt on the task's CPU.
  ``@`` names the program's functions, innermost first, for the stacks the report shows.
- ``#`` starts a comment at the start of a line or after a blank (``sb_writers#4`` is a
  name). Names are anything without blanks or commas, or double-quoted.

Steps run in the order written; a task keeps its held locks between its steps. The
operations are listed in :data:`OPERATIONS`.

>>> program = parse_program("mutex A, B\\ntask1: lock A\\ntask1 hardirq: lock B @ my_irq")
>>> [(d.type, d.names) for d in program.declarations], [(s.task, s.context, s.op, s.lock) for s in program.steps]
([('mutex', ('A', 'B'))], [('task1', 'process', 'lock', 'A'), ('task1', 'hardirq', 'lock', 'B')])
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from ..errors import ProgramError
from .classes import DECLARABLE

__all__ = ["CONTEXTS", "DECLARATIONS", "OPERATIONS", "Declaration", "Operation", "Program", "Step",
           "parse_program"]

#: Contexts a step may run in.
CONTEXTS = ("process", "softirq", "hardirq", "hardirq-nothread")

#: Declaration words: every declarable lock type, ``ww_ctx`` for a ww acquire context, ``task``.
DECLARATIONS = (*DECLARABLE, "ww_ctx", "task")


@dataclass(frozen=True)
class Operation:
    """What an operation takes: a lock of some types, or nothing."""

    types: tuple[str, ...] | None
    """The lock types it applies to; None when it takes no lock."""
    optional: bool = False
    """The argument may be left out (``alloc``, ``hardirq_enter``)."""
    doc: str = ""


_ANY_LOCK = ("raw_spinlock", "spinlock", "rwlock", "mutex", "rwsem", "percpu_rwsem", "rt_mutex", "local_lock",
             "seqlock", "ww_mutex")
_SPIN = ("raw_spinlock", "spinlock", "rwlock", "seqlock")
_RW = ("rwlock", "rwsem", "percpu_rwsem")
_ALL = (*DECLARABLE, "ww_ctx")

#: Every operation of a step, by name; kernel spellings are aliases (see :data:`ALIASES`).
OPERATIONS: dict[str, Operation] = {
    "lock": Operation(_ANY_LOCK, doc="take it exclusively (write side of an rwlock or rwsem)"),
    "read_lock": Operation((*_RW,), doc="take the read side"),
    "trylock": Operation(_ANY_LOCK, doc="trylock, which succeeds"),
    "read_trylock": Operation(_RW, doc="read-side trylock, which succeeds"),
    "lock_irq": Operation(_SPIN, doc="disable hard irqs, then lock"),
    "lock_irqsave": Operation(_SPIN, doc="save and disable hard irqs, then lock"),
    "lock_bh": Operation(_SPIN, doc="disable bottom halves, then lock"),
    "read_lock_irq": Operation(("rwlock",)),
    "read_lock_irqsave": Operation(("rwlock",)),
    "read_lock_bh": Operation(("rwlock",)),
    "unlock": Operation(_ANY_LOCK, doc="release it, in whatever mode it is held"),
    "unlock_irq": Operation(_SPIN, doc="unlock, then enable hard irqs"),
    "unlock_irqrestore": Operation(_SPIN, doc="unlock, then restore the saved irq state"),
    "unlock_bh": Operation(_SPIN, doc="unlock, then enable bottom halves"),
    "init": Operation(_ALL, doc="initialise it again (the kernel checks it is not held)"),
    "free": Operation(_ALL, doc="free the memory it lives in (the kernel checks it is not held)"),
    "irq_disable": Operation(None), "irq_enable": Operation(None),
    "bh_disable": Operation(None), "bh_enable": Operation(None),
    "hardirq_enter": Operation(None, optional=True, doc="enter hardirq context ('nothread': not threaded)"),
    "hardirq_exit": Operation(None),
    "softirq_enter": Operation(None), "softirq_exit": Operation(None),
    "rcu_read_lock": Operation(("rcu",), optional=True, doc="an RCU read-side section (or one of a declared rcu map)"),
    "rcu_read_unlock": Operation(("rcu",), optional=True),
    "rcu_read_lock_bh": Operation(None), "rcu_read_unlock_bh": Operation(None),
    "rcu_read_lock_sched": Operation(None), "rcu_read_unlock_sched": Operation(None),
    "synchronize_rcu": Operation(None, doc="wait for RCU readers (never inside one)"),
    "srcu_read_lock": Operation(("srcu",)), "srcu_read_unlock": Operation(("srcu",)),
    "synchronize_srcu": Operation(("srcu",), doc="wait for the SRCU readers (lockdep: lock_sync)"),
    "read_seqbegin": Operation(("seqlock",), doc="a seqlock reader's section (a recursive read)"),
    "flush_work": Operation(("work",), doc="wait for the work item to finish"),
    "flush_workqueue": Operation(("workqueue",), doc="wait for every item of the workqueue"),
    "work_begin": Operation(("work",), doc="a worker starts running the work item"),
    "work_end": Operation(("work",), doc="the work function returns"),
    "wait_for_completion": Operation(("completion",), doc="wait (4.14-4.15 cross-release tracked it)"),
    "complete": Operation(("completion",), doc="complete it: the waiter waited for what is held now"),
    "ww_acquire_init": Operation(("ww_ctx",)), "ww_acquire_done": Operation(("ww_ctx",)),
    "ww_acquire_fini": Operation(("ww_ctx",)),
    "ww_lock": Operation(("ww_mutex",), doc="with ctx T: under the acquire context"),
    "ww_lock_slow": Operation(("ww_mutex",)), "ww_trylock": Operation(("ww_mutex",)),
    "ww_unlock": Operation(("ww_mutex",)),
    "alloc": Operation(None, optional=True, doc="an allocation; GFP_KERNEL (default) may enter FS reclaim"),
    "reclaim_begin": Operation(None, doc="the task starts reclaiming memory (kswapd)"),
    "reclaim_end": Operation(None),
    "nofs_save": Operation(None), "nofs_restore": Operation(None),
    "return_to_user": Operation(None, doc="the system call returns (the kernel checks nothing is held)"),
    "exit": Operation(None, doc="the task exits (the kernel checks nothing is held)"),
}

#: Kernel spellings of operations.
ALIASES = {
    "write_lock": "lock", "spin_lock": "lock", "raw_spin_lock": "lock", "mutex_lock": "lock",
    "down_write": "lock", "percpu_down_write": "lock", "rt_mutex_lock": "lock", "local_lock": "lock",
    "write_seqlock": "lock", "down_read": "read_lock", "percpu_down_read": "read_lock",
    "spin_trylock": "trylock", "mutex_trylock": "trylock", "down_write_trylock": "trylock",
    "down_read_trylock": "read_trylock", "spin_lock_irq": "lock_irq", "spin_lock_irqsave": "lock_irqsave",
    "spin_lock_bh": "lock_bh", "write_unlock": "unlock", "read_unlock": "unlock", "spin_unlock": "unlock",
    "raw_spin_unlock": "unlock", "mutex_unlock": "unlock", "up_read": "unlock", "up_write": "unlock",
    "percpu_up_read": "unlock", "percpu_up_write": "unlock", "rt_mutex_unlock": "unlock",
    "local_unlock": "unlock", "write_sequnlock": "unlock", "spin_unlock_irq": "unlock_irq",
    "spin_unlock_irqrestore": "unlock_irqrestore", "spin_unlock_bh": "unlock_bh",
    "local_irq_disable": "irq_disable", "local_irq_enable": "irq_enable", "local_bh_disable": "bh_disable",
    "local_bh_enable": "bh_enable", "kfree": "free", "might_alloc": "alloc", "do_exit": "exit",
}

_MODIFIERS = {"nested": "subclass", "nest_lock": "nest", "ctx": "ctx"}
_NAME = r'"[^"]*"|[^\s,"]+'
_TOKENS = re.compile(rf'\s*({_NAME}|,)')
_COMMENT = re.compile(r'(^|\s)#.*$')


@dataclass(frozen=True)
class Declaration:
    """``TYPE NAME[, NAME...] [class CLASS] [on QUEUE]`` or ``task NAME [pid N] [cpu N]``."""

    type: str
    names: tuple[str, ...]
    cls: str | None = None
    queue: str | None = None
    pid: int | None = None
    cpu: int | None = None
    line_no: int = 0


@dataclass(frozen=True)
class Step:
    """One ``TASK[ CONTEXT]: OPERATION ...`` line."""

    task: str
    context: str
    op: str
    lock: str | None
    line_no: int
    line: str
    subclass: int = 0
    nest: str | None = None
    ctx: str | None = None
    functions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Program:
    """A parsed exercise."""

    declarations: tuple[Declaration, ...]
    steps: tuple[Step, ...]
    source: str = "<exercise>"
    lines: tuple[str, ...] = field(default=(), repr=False)


def _error(source: str, no: int, line: str, message: str, expected: str | None = None) -> ProgramError:
    return ProgramError(message, source=source, line_no=no, line=line, expected=expected)


def _tokens(text: str, source: str, no: int, line: str) -> list[str]:
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKENS.match(text, pos)
        if match is None or match.end() == pos:
            if text[pos:].strip():
                raise _error(source, no, line, f"cannot read {text[pos:].strip()!r}",
                             "names without blanks or commas, or in double quotes")
            break
        tokens.append(match.group(1))
        pos = match.end()
    return [t[1:-1] if t.startswith('"') else t for t in tokens]


def _closest(word: str, choices) -> str:
    close = difflib.get_close_matches(word, list(choices), n=3)
    return f" (did you mean {', '.join(close)}?)" if close else ""


def _declaration(words: list[str], source: str, no: int, line: str) -> Declaration:
    kind, rest = words[0], words[1:]
    if kind == "task":
        if not rest:
            raise _error(source, no, line, "a task declaration needs a name", "'task NAME [pid N] [cpu N]'")
        extra = dict(zip(rest[1::2], rest[2::2]))
        if len(rest[1:]) % 2 or set(extra) - {"pid", "cpu"} or not all(v.isdigit() for v in extra.values()):
            raise _error(source, no, line, "cannot read the task declaration", "'task NAME [pid N] [cpu N]'")
        return Declaration("task", (rest[0],), pid=int(extra["pid"]) if "pid" in extra else None,
                           cpu=int(extra["cpu"]) if "cpu" in extra else None, line_no=no)
    names: list[str] = []
    options: dict[str, str] = {}
    i = 0
    while i < len(rest):
        word = rest[i]
        if word in ("class", "on"):
            if i + 1 >= len(rest):
                raise _error(source, no, line, f"'{word}' needs a name after it", f"'{kind} A1, A2 class A'")
            options[word] = rest[i + 1]
            i += 2
            continue
        if word != ",":
            if options:
                raise _error(source, no, line, f"unexpected {word!r} after '{list(options)[-1]}'",
                             f"'{kind} NAME[, NAME...] [class CLASS]'")
            names.append(word)
        i += 1
    if not names:
        raise _error(source, no, line, f"a {kind} declaration needs at least one name", f"'{kind} A' or '{kind} A1, A2 class A'")
    if "on" in options and kind != "work":
        raise _error(source, no, line, "only a work item goes 'on' a workqueue", "'work W on QUEUE'")
    return Declaration(kind, tuple(names), options.get("class"), options.get("on"), line_no=no)


def _split_step(text: str) -> tuple[str, str] | None:
    """``head: rest`` at the first colon followed by a blank (task names may hold colons)."""
    match = re.search(r":(\s|$)", text)
    if match is None:
        return None
    return text[:match.start()], text[match.end():]


def _step(text: str, source: str, no: int, line: str) -> Step:
    split = _split_step(text)
    if split is None:
        raise _error(source, no, line, "neither a declaration nor a step",
                     "a declaration such as 'mutex A' or a step such as 'task1: lock A'")
    head, rest = split
    head_words = head.split()
    if not head_words or len(head_words) > 2:
        raise _error(source, no, line, f"cannot read the task {head!r}", "'TASK:' or 'TASK CONTEXT:'")
    task, context = head_words[0], head_words[1] if len(head_words) == 2 else "process"
    if context not in CONTEXTS:
        raise _error(source, no, line, f"unknown context {context!r}{_closest(context, CONTEXTS)}",
                     f"one of {', '.join(CONTEXTS)}")
    body, _, funcs = rest.partition("@")
    functions = tuple(f.strip() for f in funcs.split("<")) if funcs.strip() else ()
    if funcs and (not functions or not all(re.fullmatch(r"[A-Za-z_][\w.]*", f) for f in functions)):
        raise _error(source, no, line, "cannot read the functions after '@'", "'@ func' or '@ func < caller'")
    words = _tokens(body, source, no, line)
    if not words:
        raise _error(source, no, line, "a step needs an operation", "'TASK: lock A'")
    op = ALIASES.get(words[0], words[0])
    if op not in OPERATIONS:
        raise _error(source, no, line, f"unknown operation {words[0]!r}{_closest(words[0], [*OPERATIONS, *ALIASES])}",
                     "an operation such as lock, unlock, read_lock, irq_disable, synchronize_srcu")
    spec = OPERATIONS[op]
    args, options = words[1:], {}
    lock = None
    if (spec.types is not None and not spec.optional) or (spec.optional and args and args[0] not in _MODIFIERS):
        if not args or args[0] in _MODIFIERS:
            raise _error(source, no, line, f"'{words[0]}' needs a lock", f"'{task}: {words[0]} NAME'")
        lock, args = args[0], args[1:]
    while args:
        key = args[0]
        if key not in _MODIFIERS or len(args) < 2:
            raise _error(source, no, line, f"unexpected {key!r}",
                         "at most one lock, then 'nested N', 'nest_lock L' or 'ctx T', then '@ func'")
        options[_MODIFIERS[key]] = args[1]
        args = args[2:]
    subclass = options.pop("subclass", "0")
    if not subclass.isdigit() or int(subclass) > 7:
        raise _error(source, no, line, f"bad nesting subclass {subclass!r}", "'nested N' with N from 0 to 7")
    return Step(task, context, op, lock, no, line, int(subclass), options.get("nest"), options.get("ctx"), functions)


def parse_program(text: str, *, source: str = "<exercise>") -> Program:
    """Read an exercise.

    Raises
    ------
    ProgramError
        At the first line that cannot be read, naming the line and what was expected there.
    """
    declarations, steps = [], []
    lines = text.splitlines()
    for no, line in enumerate(lines, 1):
        text_part = _COMMENT.sub("", line).strip()
        if not text_part:
            continue
        first = text_part.split(None, 1)[0]
        if first in DECLARATIONS:
            words = _tokens(text_part, source, no, line)
            declarations.append(_declaration(words, source, no, line))
        else:
            steps.append(_step(text_part, source, no, line))
    return Program(tuple(declarations), tuple(steps), source, tuple(lines))
