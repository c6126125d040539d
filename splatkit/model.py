"""The data model: what a lockdep report says, as dataclasses that are read-only by convention.

Nothing here parses; :mod:`splatkit.parse` builds these objects and every later
layer (graph, analyses, views) reads them. The nouns are lockdep's own (see
``Documentation/locking/lockdep-design.rst``): a *lock class* is what lockdep
tracks, a *dependency* ``A -> B`` means "B was acquired while A was held", a *held
lock* is an entry of the task's held-lock stack, a *chain* is the path of
dependencies a circular report prints.

Every object that comes from the input keeps the 1-based input line it was read
from (``line_no``), so any view can point back at the text.

The classes are slots dataclasses, hashable by value (``unsafe_hash``), and none of
splatkit's code changes an object once it is built; they are not ``frozen`` because a
frozen dataclass's ``__init__`` sets every field through ``object.__setattr__``, three
to five times the cost, and parsing a report builds hundreds of them (a line per input
line, a frame per frame line, a lock per lock line). Treat them as values: to change
one, build another (``dataclasses.replace``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .usage import decode_usage, wait_type_name

__all__ = [
    "ChainEntry",
    "DependencyClass",
    "DependencyPath",
    "Frame",
    "HeldLock",
    "HeldLockDump",
    "IrqContext",
    "IrqEvent",
    "KernelIdent",
    "Line",
    "LockUse",
    "ScenarioStep",
    "Span",
    "Splat",
    "StackContext",
    "StateTrace",
    "Task",
    "Unrecognised",
]


@dataclass(slots=True, unsafe_hash=True)
class Line:
    """One input line after the wrappers around it were stripped.

    ``text`` is what the lockdep grammar sees; ``raw`` is the line exactly as
    read, so that the input can always be rebuilt.

    """

    no: int
    """1-based line number in the input."""
    raw: str
    """The line as read, without its ``\\n`` (a CRLF's ``\\r`` stays: see the ``crlf`` wrapper)."""
    text: str
    """The line with wrappers (quoting, timestamps, syslog prefixes...) removed."""
    wrappers: tuple[str, ...] = ()
    """Names of the wrappers stripped from this line, outermost first (see ``grammar.wrappers``)."""
    caller: str | None = None
    """printk caller id (``T123`` or ``C1``) when the line carried one."""
    continuation: bool = False
    """True for an unprefixed line that continues the previous prefixed printk record."""
    joined: tuple[str, ...] = ()
    """Input lines ``no + 1`` .. ``end_no`` joined onto this one, as read: the rest of a line
    that a mailer hard-wrapped, or quoted-printable soft line breaks (``Line.raws``)."""
    piece: int = 0
    """Index of this line among the lines one input line held (rsyslog ``#012``, ``\\x0a``, a
    base64 body, lines a tool ran together): pieces after the first share ``no`` and ``raw``
    with it and rebuild no input text but the lines ``joined`` onto them."""

    @property
    def end_no(self) -> int:
        """Number of the last input line this line was read from (``no`` unless joined)."""
        return self.no + len(self.joined)

    @property
    def raws(self) -> tuple[str, ...]:
        """The input lines this line stands for: ``"\\n".join`` over all lines rebuilds the input."""
        return self.joined if self.piece else (self.raw, *self.joined)


@dataclass(slots=True, unsafe_hash=True)
class Span:
    """The first and last input lines (1-based, inclusive) of a report."""

    first_line: int
    last_line: int


@dataclass(slots=True, unsafe_hash=True)
class Frame:
    """One stack frame, as ``%pS`` printed it (``func+0xoff/0xsize [module]``).

    Example: ``? set_nx_huge_pages+0x179/0x1e0 [kvm]`` gives ``function=
    'set_nx_huge_pages'``, ``offset=0x179``, ``size=0x1e0``, ``module='kvm'``,
    ``unreliable=True``.

    """

    function: str | None
    """Symbol name, with compiler suffixes such as ``.isra.0`` kept; None for a bare address."""
    offset: int | None = None
    size: int | None = None
    module: str | None = None
    """Module name printed in brackets (or after the source location, for decoded traces)."""
    unreliable: bool = False
    """The ``? `` marker: the unwinder found this address on the stack but could not confirm it."""
    address: str | None = None
    """The ``[<...>]`` address, for kernels that print one (hex, without ``0x``)."""
    source: str | None = None
    """``file:line`` when the trace was decoded (syzbot, decode_stacktrace.sh)."""
    inline: bool = False
    """``[inline]``: a frame the compiler inlined into the next one."""
    build_id: str | None = None
    text: str = ""
    """The frame as printed (wrappers stripped)."""
    line_no: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "function": self.function,
            "offset": self.offset,
            "size": self.size,
            "module": self.module,
            "unreliable": self.unreliable,
            "address": self.address,
            "source": self.source,
            "inline": self.inline,
            "text": self.text,
            "line": self.line_no,
        }


@dataclass(slots=True, unsafe_hash=True)
class LockUse:
    """A lock class as one report line describes it.

    ``name`` is exactly as printed, ``#N`` key version and ``/N`` subclass
    included (``&type->s_umount_key#41/1``); ``base``, ``version`` and
    ``subclass`` split it. ``usage`` is the string inside ``{}`` and ``wait`` the
    ``-{outer:inner}`` wait types, both kept raw because their meaning depends on
    the kernel era and config.
    """

    name: str
    base: str
    version: int | None = None
    subclass: int | None = None
    usage: str | None = None
    wait: tuple[int, int] | None = None
    instance: str | None = None
    """Address of the lock instance (``ffffb5fdd4e430a8``) when printed."""
    at: Frame | None = None
    """Where the lock was acquired (the ``, at:`` suffix)."""
    line_no: int | None = None

    @property
    def wait_text(self) -> str | None:
        """The wait types as printed between the braces, e.g. ``'3:3'``."""
        return None if self.wait is None else f"{self.wait[0]}:{self.wait[1]}"

    def to_dict(self, *, usage_layout: str | None = None, wait_scale: str | None = None) -> dict[str, Any]:
        """Plain data; ``usage_bits`` and ``wait_types`` decode ``usage`` and ``wait`` with the
        report's era (``Splat.usage_layout``, ``Splat.wait_scale``): ``Splat.to_dict`` passes them."""
        return {
            "name": self.name,
            "base": self.base,
            "version": self.version,
            "subclass": self.subclass,
            "usage": self.usage,
            "wait": self.wait_text,
            "instance": self.instance,
            "at": self.at.text if self.at else None,
            "at_frame": self.at.to_dict() if self.at else None,
            "line": self.line_no,
            "usage_bits": _usage_bits(self.usage, usage_layout),
            "wait_types": _wait_types(self.wait, wait_scale),
        }


def _usage_bits(usage: str | None, layout: str | None) -> list[dict[str, Any]] | None:
    """``usage`` decoded per (irq state, access) with ``layout``; None when either is unknown or
    they do not fit (a cut string, a character no era prints)."""
    if usage is None or layout is None:
        return None
    try:
        return [bit.to_dict() for bit in decode_usage(usage, layout)]
    except ValueError:
        return None


def _wait_types(wait: tuple[int, int] | None, scale: str | None) -> dict[str, str | None] | None:
    """``{outer, inner}`` ``LD_WAIT_*`` names of printed wait types on ``scale`` (a name is None
    when the scale is unknown and the value means different types on the two)."""
    if wait is None:
        return None
    return {"outer": wait_type_name(wait[0], scale), "inner": wait_type_name(wait[1], scale)}


@dataclass(slots=True, unsafe_hash=True)
class Task:
    """A task as lockdep prints it: ``comm/pid`` (comm may itself contain ``/``)."""

    comm: str
    pid: int

    def __str__(self) -> str:
        return f"{self.comm}/{self.pid}"

    def to_dict(self) -> dict[str, Any]:
        return {"comm": self.comm, "pid": self.pid}


@dataclass(slots=True, unsafe_hash=True)
class ChainEntry:
    """One ``-> #K (lock){usage}-{w:w}:`` entry of a circular report, with its stack.

    Entry #K (K >= 1) records the dependency #(K-1) -> #K: its stack is where
    lock #K was acquired while #(K-1) was held. Entry #0's stack is the current
    acquisition, which would add #N -> #0 and close the cycle.
    """

    index: int
    lock: LockUse
    frames: tuple[Frame, ...] = ()
    line_no: int | None = None

    def to_dict(self, **era: str | None) -> dict[str, Any]:
        return {
            "index": self.index,
            "lock": self.lock.to_dict(**era),
            "frames": [f.to_dict() for f in self.frames],
            "line": self.line_no,
        }


@dataclass(slots=True, unsafe_hash=True)
class HeldLock:
    """One ``#i: ...`` line of a held-locks list, with the task that holds it."""

    index: int
    lock: LockUse
    holder: Task | None

    def to_dict(self, **era: str | None) -> dict[str, Any]:
        return {
            "index": self.index,
            "name": self.lock.name,
            "holder": self.holder.to_dict() if self.holder else None,
            "at": self.lock.at.text if self.lock.at else None,
            "lock": self.lock.to_dict(**era),
        }


@dataclass(slots=True, unsafe_hash=True)
class HeldLockDump:
    """One task's ``N locks held by comm/pid:`` list in a dump of every task's held locks."""

    task: Task
    count: int
    """The N printed in the header (``no locks held by`` is 0); ``held_locks`` may list fewer
    when the dump was cut."""
    held_locks: tuple[HeldLock, ...] = ()

    def to_dict(self, **era: str | None) -> dict[str, Any]:
        return {"task": self.task.to_dict(), "count": self.count,
                "held_locks": [h.to_dict(**era) for h in self.held_locks]}


@dataclass(slots=True, unsafe_hash=True)
class ScenarioStep:
    """One step of lockdep's "Possible unsafe locking scenario" table."""

    cpu: int
    """Column, 0 for CPU0."""
    op: str
    """``lock``, ``rlock``, ``sync``, ``<Interrupt>``, ``local_irq_disable()``..."""
    lock: str | None
    line_no: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"cpu": self.cpu, "op": self.op, "lock": self.lock, "line": self.line_no}


@dataclass(slots=True, unsafe_hash=True)
class IrqContext:
    """The irq state of the task when lockdep fired: ``[HC0[0]:SC1[1]:HE1:SE0]``.

    Printed by ``print_usage_bug`` and ``print_bad_irq_dependency`` after ``COMM/PID``
    (lockdep-format.md §1.3): in hardirq context and its nesting count, the same for
    softirq, and whether hardirqs and softirqs are enabled.
    """

    hardirq: bool
    """``HC1``: running in hardirq context."""
    hardirq_count: int
    """The ``[n]`` after ``HC``: hardirq nesting depth."""
    softirq: bool
    """``SC1``: running in softirq context."""
    softirq_count: int
    """The ``[n]`` after ``SC``: softirq nesting count."""
    hardirqs_enabled: bool
    """``HE1``: hardirqs enabled."""
    softirqs_enabled: bool
    """``SE1``: softirqs enabled."""
    text: str = ""
    """The bracketed flags as printed."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "hardirq": self.hardirq,
            "hardirq_count": self.hardirq_count,
            "softirq": self.softirq,
            "softirq_count": self.softirq_count,
            "hardirqs_enabled": self.hardirqs_enabled,
            "softirqs_enabled": self.softirqs_enabled,
            "text": self.text,
        }


@dataclass(slots=True, unsafe_hash=True)
class IrqEvent:
    """One line of ``print_irqtrace_events``: ``hardirqs last  enabled at (12343): [<...>] f+0x2c/0x40``."""

    irq: str
    """``hardirqs`` or ``softirqs``."""
    event: str
    """``enabled`` or ``disabled``."""
    stamp: int
    """The event counter value in parentheses; 0 when it never happened."""
    at: Frame | None
    """Where it happened (``0x0`` when it never did)."""
    line_no: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"irq": self.irq, "event": self.event, "stamp": self.stamp,
                "at": self.at.to_dict() if self.at else None, "line": self.line_no}


@dataclass(slots=True, unsafe_hash=True)
class StateTrace:
    """A stack trace lockdep saved when a lock class gained a usage bit.

    ``{SOFTIRQ-ON-W} state was registered at:`` (inconsistent state), ``... which became
    HARDIRQ-irq-safe at:`` (safe -> unsafe order) and the ``IN-HARDIRQ-W at:`` blocks of
    a dependency path each give one.
    """

    event: str
    """What the trace records: ``registered`` (a usage state), ``became_safe``, ``became_unsafe``,
    or ``usage`` (a usage-bit block of a dependency path)."""
    usage: str
    """The usage-bit name or irq class as printed (``SOFTIRQ-ON-W``, ``HARDIRQ``, ``IN-HARDIRQ-W``)."""
    frames: tuple[Frame, ...] = ()
    line_no: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.event, "usage": self.usage,
                "frames": [f.to_dict() for f in self.frames], "line": self.line_no}


@dataclass(slots=True, unsafe_hash=True)
class DependencyClass:
    """One lock-class block of a dependency path (``print_lock_class_header`` + ``... acquired at:``).

    ``-> (NAME){USAGE} ops: N {`` then one trace per usage bit set, ``}``, ``... key at:``
    and the trace that recorded the dependency to the next block.
    """

    lock: LockUse
    ops: int | None = None
    """The ``ops: N`` count, when printed (always up to ~4.19, DEBUG_LOCKDEP later)."""
    usage_traces: tuple[StateTrace, ...] = ()
    """One trace per usage bit of the class (``IN-HARDIRQ-W at:``, ``INITIAL USE at:``...)."""
    key: Frame | None = None
    """The lock_class_key symbol (``... key at:``)."""
    acquired_at: tuple[Frame, ...] = ()
    """``... acquired at:``: the stack that recorded the dependency this block is part of."""
    line_no: int | None = None

    def to_dict(self, **era: str | None) -> dict[str, Any]:
        return {
            "lock": self.lock.to_dict(**era),
            "ops": self.ops,
            "usage_traces": [t.to_dict() for t in self.usage_traces],
            "key": self.key.to_dict() if self.key else None,
            "acquired_at": [f.to_dict() for f in self.acquired_at],
            "line": self.line_no,
        }


@dataclass(slots=True, unsafe_hash=True)
class DependencyPath:
    """A ``the dependencies between ...:`` (or ``the ... lock's dependencies:``) block of an irq report."""

    between: str
    """What the path connects, as printed (``HARDIRQ-irq-safe lock and the holding lock``)."""
    classes: tuple[DependencyClass, ...] = ()
    """The lock-class blocks, in printed order."""
    line_no: int | None = None

    @property
    def locks(self) -> tuple[str, ...]:
        """The class names along the path, in printed order."""
        return tuple(c.lock.name for c in self.classes)

    def to_dict(self, **era: str | None) -> dict[str, Any]:
        return {"between": self.between, "locks": list(self.locks),
                "classes": [c.to_dict(**era) for c in self.classes], "line": self.line_no}


@dataclass(slots=True, unsafe_hash=True)
class KernelIdent:
    """The kernel ident line under the banner: release, build and taint."""

    release: str
    build: str | None = None
    taint: str | None = None
    """``Not tainted`` or the taint letters (``G S O``), None when not printed."""

    def to_dict(self) -> dict[str, Any]:
        return {"release": self.release, "build": self.build, "taint": self.taint}


@dataclass(slots=True, unsafe_hash=True)
class StackContext:
    """What ``dump_stack()`` prints before the frames: CPU, task, hardware, registers."""

    cpu: int | None = None
    pid: int | None = None
    comm: str | None = None
    taint: str | None = None
    release: str | None = None
    hardware: str | None = None
    registers: tuple[str, ...] = ()
    """Register-dump lines (``RIP: ...``, ``Code: ...``, ``RAX: ...``) kept as printed."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "cpu": self.cpu,
            "pid": self.pid,
            "comm": self.comm,
            "taint": self.taint,
            "release": self.release,
            "hardware": self.hardware,
            "registers": list(self.registers),
        }


@dataclass(slots=True, unsafe_hash=True)
class Unrecognised:
    """An input line inside a report's span that no grammar rule accepted."""

    line: int
    text: str
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "text": self.text, "reason": self.reason}


def _whole(name: str) -> bool:
    """Whether a lock class name was printed whole: its parentheses balance.

    >>> _whole("(work_completion)(&peer->work)"), _whole("(work_completion)(&peer->wo")
    (True, False)
    """
    depth = 0
    for char in name:
        depth += (char == "(") - (char == ")")
        if depth < 0:
            return False
    return depth == 0


@dataclass(slots=True, unsafe_hash=True)
class Splat:
    """One lockdep report, parsed.

    Built by :func:`splatkit.parse`; ``to_dict()`` gives plain JSON-able data.
    """

    kind: str
    """Report kind identifier from ``grammar.kinds`` (``circular``, ``recursive``...)."""
    banner: str
    """The banner line as printed (wrappers stripped)."""
    span: Span
    title: str = ""
    """A one-line title in syzkaller's style (``possible deadlock in set_nx_huge_pages``)."""
    corrupted: bool = False
    """True when syzkaller would flag the report as corrupted: its text is cut or garbled where
    the title rules look (no stack, no frame survives, the title fell back to the banner...).
    Such a title may not match syzbot's title for the same bug."""
    corrupted_reason: str = ""
    """Why ``corrupted`` is set, in syzkaller's words (``no stack trace in report``); empty otherwise."""
    kernel: KernelIdent | None = None
    task: Task | None = None
    """The task that triggered the report."""
    acquiring: LockUse | None = None
    """The lock the task was trying to acquire (circular, recursive, ...)."""
    holding: LockUse | None = None
    """The lock the task already held that conflicts with ``acquiring``."""
    chain: tuple[ChainEntry, ...] = ()
    """Dependency chain entries in printed order (#N first, down to #0)."""
    chain_exists: tuple[str, ...] = ()
    """The three names of the ``Chain exists of:`` line (source, parent of target, target)."""
    scenario: tuple[ScenarioStep, ...] = ()
    held_locks: tuple[HeldLock, ...] = ()
    held_locks_count: int | None = None
    """The count printed in the ``N locks held by`` header (may differ from len(held_locks))."""
    backtrace: tuple[Frame, ...] = ()
    """The frames of the first stack dump (``stack backtrace:`` or the WARN's ``Call Trace:``)."""
    extra_backtraces: tuple[tuple[Frame, ...], ...] = ()
    """Further stack dumps of the same report (``nested_not_taken`` prints the stack twice)."""
    context: StackContext | None = None
    irq_context: IrqContext | None = None
    """``[HC0[0]:SC1[1]:HE1:SE0]``: the irq state of the task (inconsistent_state, irq_safe_unsafe)."""
    usage_change: tuple[str, str] | None = None
    """``inconsistent {PREV} -> {NEW} usage.``: the usage-bit names (PREV, NEW), as printed."""
    irq_class: str | None = None
    """The irq class an irq report is about (``HARDIRQ``, ``SOFTIRQ-READ``; ``hard``, ``soft`` before 2.6.30)."""
    new_dependency: tuple[LockUse, LockUse] | None = None
    """``which would create a new lock dependency:`` (held -> acquired) of irq_safe_unsafe."""
    other_locks: tuple[tuple[str, LockUse], ...] = ()
    """Further locks a report names, each with its role: ``safe``/``unsafe`` (irq_safe_unsafe;
    irq_inversion's other lock, by the side of its usage that the banner's line names),
    ``held``/``cached`` (chain_key_collision)."""
    traces: tuple[StateTrace, ...] = ()
    """Usage-state traces: ``{X} state was registered at:``, ``... which became X-irq-safe at:``..."""
    irq_events: tuple[IrqEvent, ...] = ()
    """The ``hardirqs/softirqs last enabled/disabled at`` lines (print_irqtrace_events)."""
    irq_event_stamp: int | None = None
    """``irq event stamp: N``: the event counter when the report was printed."""
    dependency_paths: tuple[DependencyPath, ...] = ()
    """The dependency paths of irq reports (``the dependencies between ...:``)."""
    unheld_lock: LockUse | None = None
    """The lock the task released (bad_unlock) or contended (bad_contention) without holding it,
    or the nest lock it does not hold (nested_not_taken); a bare lockdep_map name."""
    unheld_at: tuple[Frame, ...] = ()
    """Where ``unheld_lock`` was released or contended (syzbot prints one line per inlined frame)."""
    memory_range: tuple[str, str] | None = None
    """``is freeing memory A-B``: first and last address freed (held_lock_freed), as printed."""
    source_location: str | None = None
    """``file:line`` the report points at: the RCU check (suspicious_rcu) or the WARN (lockdep_warning)."""
    rcu_message: str | None = None
    """The RCU complaint after the location (``suspicious rcu_dereference_check() usage!``)."""
    rcu_notes: tuple[str, ...] = ()
    """Extra RCU lines (``RCU used illegally from offline CPU!``, the false-positive hint)."""
    rcu_scheduler_active: int | None = None
    """``rcu_scheduler_active = N`` (suspicious_rcu)."""
    debug_locks: int | None = None
    """``debug_locks = N`` (suspicious_rcu): 0 means lockdep was already off."""
    wait_context: tuple[int, int] | None = None
    """``context-{X:Y}`` of invalid_wait: the wait type of the current context (outer, inner)."""
    limit: str | None = None
    """The exhausted lockdep table (``MAX_LOCKDEP_ENTRIES``...) of lockdep_limit."""
    lock_depth: tuple[int, int] | None = None
    """``depth: N  max: M!`` (MAX_LOCK_DEPTH) or the collision report's ``depth: N``."""
    condition: str | None = None
    """The failed check of a lockdep WARN: the expression of ``DEBUG_LOCKS_WARN_ON(...)``."""
    warn_at: Frame | None = None
    """The function the WARN fired in (``lock_release+0x6e6/0xa40``)."""
    messages: tuple[str, ...] = ()
    """Fixed sentences a report prints (``but there are no more locks to release!``,
    ``turning off the locking correctness validator.``), as printed."""
    notes: tuple[str, ...] = ()
    """What the parser could not read or had to guess, in words a reader of any view can
    act on (``chain cut after #2; cycle completed from 'Chain exists of'``, ``scenario
    columns guessed: blanks squeezed``, ``report ends early: no stack backtrace``). Empty
    when the report was read whole."""
    held_lock_dumps: tuple[HeldLockDump, ...] = ()
    """Every task's held locks, for reports that list several tasks (held_locks_dump)."""
    usage_layout: str | None = None
    """How to read this report's usage strings, decided from era clues (``splatkit.usage``)."""
    wait_scale: str | None = None
    """How to read its wait-type numbers (``splatkit.usage``): PROVE_RAW_LOCK_NESTING or not."""
    unrecognised: tuple[Unrecognised, ...] = ()
    """Lines inside the span that no grammar rule accepted, with the reason."""
    interleaved: tuple[int, ...] = ()
    """Line numbers inside the span that carry another printk caller id (another CPU or task)."""
    line_fields: tuple[tuple[int, str], ...] = field(default=(), repr=False, compare=False)
    """For every attributed line of the span: (line number, section or field it went to)."""
    truncated: bool = False
    """True when the report ends before its last section (cut log, lost lines)."""
    wrappers: tuple[str, ...] = ()
    """Names of every wrapper stripped from the report's lines, in first-seen order."""
    lines: tuple[Line, ...] = field(default=(), repr=False, compare=False)
    """The normalised input lines of the span, for views that show the text."""

    @property
    def cycle(self) -> tuple[str, ...]:
        """Lock classes of the deadlock cycle, each acquired while holding the previous one.

        The first is the lock the task already holds, and the first is acquired
        while holding the last. For the seed:
        ``('kvm_lock', '&kvm->slots_lock', '&kvm->srcu', 'cpu_hotplug_lock')``.

        A chain printed whole gives it alone. A chain cut short, or abbreviated, is
        completed from what the report says elsewhere: the lock being acquired is #0,
        the lock held is #N, and ``Chain exists of:`` names #0, #N-1 and #N. Empty when
        even that leaves a lock of the cycle unknown: a partial cycle would mislead
        (``notes`` then says which entries are missing).
        """
        known = self.chain_members()
        if not known or sorted(known) != list(range(len(known))):
            return ()
        top = len(known) - 1
        return (known[top],) + tuple(known[k] for k in range(top))

    def chain_members(self) -> dict[int, str]:
        """The lock of each chain index ``#K`` the report tells, printed or completed (see
        :attr:`cycle`); empty without a chain. A name whose parentheses do not balance was cut
        (no lock class has such a name) and tells nothing."""
        known = {e.index: e.lock.name for e in self.chain if _whole(e.lock.name)}
        if not known:
            return {}
        top = max(known)
        if self.holding is not None and known[top] != self.holding.name:
            # The entries shown stop before #N (cut at the top): only they are known.
            return known
        if self.acquiring is not None:
            known.setdefault(0, self.acquiring.name)
        if len(self.chain_exists) == 3 and top >= 2:
            source, parent, target = self.chain_exists
            if known.get(0, source) == source and known.get(top, target) == target \
                    and known.get(top - 1, parent) == parent:
                known.update({0: source, top - 1: parent, top: target})
        return known

    def dependencies(self) -> list[tuple[str, str, ChainEntry]]:
        """The cycle's dependencies ``(held, acquired, entry)``, entry carrying the stack.

        Entry #K records #(K-1) -> #K, and entry #0 the new #N -> #0.
        """
        by_index = {e.index: e for e in self.chain}
        if not by_index:
            return []
        top = max(by_index)
        deps = []
        for k in sorted(by_index):
            prev = by_index.get(top if k == 0 else k - 1)
            if prev is not None:
                deps.append((prev.lock.name, by_index[k].lock.name, by_index[k]))
        return deps

    def other_lock(self, role: str) -> LockUse | None:
        """The first of ``other_locks`` with ``role`` (``safe``, ``unsafe``...), or None."""
        return next((lock for r, lock in self.other_locks if r == role), None)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data; key names are part of the public interface, documented by the
        JSON Schema in :mod:`splatkit.schema` (``splatkit json --schema``)."""
        era = {"usage_layout": self.usage_layout, "wait_scale": self.wait_scale}
        return {
            "kind": self.kind,
            "title": self.title,
            "corrupted": self.corrupted,
            "corrupted_reason": self.corrupted_reason,
            "banner": self.banner,
            "kernel": self.kernel.to_dict() if self.kernel else None,
            "task": self.task.to_dict() if self.task else None,
            "acquiring": self.acquiring.to_dict(**era) if self.acquiring else None,
            "holding": self.holding.to_dict(**era) if self.holding else None,
            "chain": [e.to_dict(**era) for e in self.chain],
            "dependencies": [{"held": held, "acquired": acquired, "chain_index": entry.index}
                             for held, acquired, entry in self.dependencies()],
            "cycle": list(self.cycle),
            "chain_exists": list(self.chain_exists),
            "scenario": [s.to_dict() for s in self.scenario],
            "held_locks_count": self.held_locks_count,
            "held_locks": [h.to_dict(**era) for h in self.held_locks],
            "backtrace": [f.to_dict() for f in self.backtrace],
            "extra_backtraces": [[f.to_dict() for f in b] for b in self.extra_backtraces],
            "context": self.context.to_dict() if self.context else None,
            "irq_context": self.irq_context.to_dict() if self.irq_context else None,
            "usage_change": list(self.usage_change) if self.usage_change else None,
            "irq_class": self.irq_class,
            "new_dependency": [lock.to_dict(**era) for lock in self.new_dependency] if self.new_dependency else None,
            "other_locks": [{"role": role, "lock": lock.to_dict(**era)} for role, lock in self.other_locks],
            "traces": [t.to_dict() for t in self.traces],
            "irq_event_stamp": self.irq_event_stamp,
            "irq_events": [e.to_dict() for e in self.irq_events],
            "dependency_paths": [p.to_dict(**era) for p in self.dependency_paths],
            "unheld_lock": self.unheld_lock.to_dict(**era) if self.unheld_lock else None,
            "unheld_at": [f.to_dict() for f in self.unheld_at],
            "memory_range": list(self.memory_range) if self.memory_range else None,
            "source_location": self.source_location,
            "rcu_message": self.rcu_message,
            "rcu_notes": list(self.rcu_notes),
            "rcu_scheduler_active": self.rcu_scheduler_active,
            "debug_locks": self.debug_locks,
            "wait_context": f"{self.wait_context[0]}:{self.wait_context[1]}" if self.wait_context else None,
            "wait_context_types": _wait_types(self.wait_context, self.wait_scale),
            "limit": self.limit,
            "lock_depth": list(self.lock_depth) if self.lock_depth else None,
            "condition": self.condition,
            "warn_at": self.warn_at.to_dict() if self.warn_at else None,
            "messages": list(self.messages),
            "notes": list(self.notes),
            "held_lock_dumps": [dump.to_dict(**era) for dump in self.held_lock_dumps],
            "usage_layout": self.usage_layout,
            "wait_scale": self.wait_scale,
            "unrecognised": [u.to_dict() for u in self.unrecognised],
            "interleaved": list(self.interleaved),
            "truncated": self.truncated,
            "wrappers": list(self.wrappers),
            "span": {"first_line": self.span.first_line, "last_line": self.span.last_line},
        }
