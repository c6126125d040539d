"""Printing a finding as the kernel would: banner, body and backtrace, in a chosen era.

:func:`render` fills the kind's body from :data:`splatkit.sim.templates.BODIES`: literal
lines get their ``{field}`` values, and each ``{=block}`` line becomes the lines of one
of lockdep's building blocks (lockdep-format.md §1.0.3), written here once:
``print_lock`` (B1), ``lockdep_print_held_locks`` (B2), ``print_lock_name`` (B3),
``print_irqtrace_events`` (B4), saved stacks (B5), ``print_lock_class_header`` (B6), the
shortest dependency paths (B7), the scenario tables (B8) and ``dump_stack``. The era
(:mod:`splatkit.sim.eras`) decides the shapes: banner style, usage characters, wait
types, addresses, markers.

>>> from splatkit.sim.eras import ERAS
>>> Printer(ERAS["6.13"], raw_nesting=True).sym("f+0x1/0x2")
'f+0x1/0x2'
>>> Printer(ERAS["3.10"], raw_nesting=False).sym("f+0x1/0x2").endswith("] f+0x1/0x2")
True
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator

from .classes import WaitType
from .eras import Era
from .findings import (
    BadUnlock,
    Circular,
    DebugWarn,
    Finding,
    HeldLockFreed,
    Inconsistent,
    InvalidWait,
    IrqInversion,
    NestedNotHeld,
    Recursive,
    SafeUnsafe,
    SuspiciousRcu,
)
from .frames import Trace, address_of, frame
from .graph import Node
from .state import USAGE_NAMES, ClassState, HeldLock, TaskState, usage_bit
from .templates import BODIES, TITLES

__all__ = ["Printer", "render"]

_CPU1 = " " * 31


class Printer:
    """Lockdep's printing building blocks for one era and wait-type scale."""

    def __init__(self, era: Era, *, raw_nesting: bool) -> None:
        self.era = era
        self.raw_nesting = raw_nesting

    # -- names and locks -------------------------------------------------------------------

    def usage(self, cls: ClassState) -> str:
        """``get_usage_chars``: per irq state, the write then the read character."""
        chars = []
        for state in self.era.usage_states:
            for read in (False, True):
                if state not in ("HARDIRQ", "SOFTIRQ"):
                    chars.append(".")
                    continue
                used_in = cls.has(usage_bit(state, enabled=False, read=read))
                enabled = cls.has(usage_bit(state, enabled=True, read=read))
                chars.append("?" if used_in and enabled else "+" if enabled else "-" if used_in else ".")
        return "".join(chars)

    def wait(self, cls: ClassState) -> str:
        if not self.era.wait_types:
            return ""
        ltype = cls.cls.type
        inner = ltype.inner.printed(raw_nesting=self.raw_nesting)
        outer = ltype.outer.printed(raw_nesting=self.raw_nesting) if ltype.outer != WaitType.INV else inner
        return f"-{{{outer}:{inner}}}"

    def lock_name(self, cls: ClassState) -> str:
        """``print_lock_name``: `` (name){usage}-{O:I}``, with its leading blank."""
        return f" ({cls.name}){{{self.usage(cls)}}}{self.wait(cls)}"

    def sym(self, text: str) -> str:
        """A symbol as ``%pS`` prints it, with ``[<address>] `` in eras that print one."""
        return f"[<{address_of(text):016x}>] {text}" if self.era.addresses else text

    def instance(self, held: HeldLock) -> str:
        address = held.instance.address
        if self.era.instance == "full":
            return f"{address:016x}"
        if self.era.instance == "hashed":
            return f"00000000{zlib.crc32(address.to_bytes(8, 'little')):08x}"
        return ""

    def lock(self, held: HeldLock) -> str:
        """``print_lock`` (B1): instance, name, usage, wait types, where it was taken."""
        return f"{self.instance(held)}{self.lock_name(held.cls)}, at: {self.sym(held.at)}"

    def held(self, task: TaskState, held: tuple[HeldLock, ...]) -> list[str]:
        """``lockdep_print_held_locks`` (B2)."""
        who = f"{task.comm}/{task.pid}"
        if not held:
            return [f"no locks held by {who}."]
        lines = [f"{len(held)} lock{'s' if len(held) > 1 else ''} held by {who}:"]
        return lines + [f" #{i}: {self.lock(h)}" for i, h in enumerate(held)]

    def trace(self, trace: Trace, spaces: int) -> list[str]:
        """A saved stack (B5): ``1 + spaces`` blanks before each frame."""
        return [" " * (1 + spaces) + self.sym(f) for f in trace]

    # -- dependency paths (B6, B7) -----------------------------------------------------------

    def class_header(self, cls: ClassState, depth: int) -> list[str]:
        """``print_lock_class_header``: the class, one stack per usage bit, its key."""
        pad = " " * depth
        lines = [f"{pad}->{self.lock_name(cls)} {{"]
        for bit, name in enumerate(USAGE_NAMES):
            if cls.has(bit):
                head = f"{pad}   {name}"
                lines.append(f"{head} at:")
                lines += self.trace(cls.traces.get(bit, ()), depth + len(head) + 5)
        lines.append(f"{pad} }}")
        key = frame(f"__key.{cls.index}")
        lines.append(f"{pad} ... key      at: [<{address_of(key):016x}>] {key}")
        return lines

    def path(self, leaf: Node, root_trace: Trace) -> list[str]:
        """``print_shortest_lock_dependencies``: from ``leaf`` back to the search's root."""
        lines: list[str] = []
        for node in leaf.path():
            lines += self.class_header(node.cls, node.depth)
            lines.append(f"{' ' * node.depth} ... acquired at:")
            lines += self.trace(node.edge.trace if node.edge else root_trace, 2)
            lines.append("")
        return lines[:-1]

    def path_backwards(self, leaf: Node) -> list[str]:
        """``print_shortest_lock_dependencies_backwards``: each stack one block later."""
        lines: list[str] = []
        previous: Trace | None = None
        for node in leaf.path():
            lines += self.class_header(node.cls, node.depth)
            if previous is not None:
                lines += [f"{' ' * node.depth} ... acquired at:", *self.trace(previous, 2), ""]
            previous = node.edge.trace if node.edge else ()
        return lines[:-1] if lines and lines[-1] == "" else lines

    # -- scenarios (B8) -----------------------------------------------------------------

    @staticmethod
    def chain_exists(first: str, middle: str, last: str) -> list[str]:
        return ["Chain exists of:", f"  {first} --> {middle} --> {last}", ""]

    @staticmethod
    def two_cpus(title: str) -> list[str]:
        return [f" {title}", "", "       CPU0                    CPU1", "       ----                    ----"]

    @staticmethod
    def deadlock() -> list[str]:
        return ["", " *** DEADLOCK ***", ""]

    def irq_scenario(self, safe: ClassState, unsafe: ClassState, prev: ClassState, nxt: ClassState) -> list[str]:
        """``print_irq_lock_scenario``."""
        middle = nxt if prev is safe else prev
        lines = self.chain_exists(safe.name, middle.name, unsafe.name) if middle is not unsafe else []
        return lines + self.two_cpus("Possible interrupt unsafe locking scenario:") + [
            f"  lock({unsafe.name});", f"{_CPU1}local_irq_disable();", f"{_CPU1}lock({safe.name});",
            f"{_CPU1}lock({middle.name});", "  <Interrupt>", f"    lock({safe.name});"] + self.deadlock()

    # -- the backtrace ------------------------------------------------------------------

    def backtrace(self, finding: Finding) -> list[str]:
        """``dump_stack``: the ``CPU:`` line, the hardware, the Call Trace."""
        task = finding.task
        frames = ["dump_stack_lvl" if self.era.dump_stack_lvl else "dump_stack", *finding.printer]
        trace = tuple(frame(f) for f in frames) + finding.trace
        lines = [f"CPU: {task.cpu} PID: {task.pid} Comm: {task.comm} Not tainted {self.era.release} #1",
                 "Hardware name: splatkit simulator, BIOS 0.0 01/01/2024", "Call Trace:"]
        body = [" " + self.sym(f) for f in trace]
        if self.era.task_markers:
            body = [" <TASK>", *body, " </TASK>"]
        return lines + body


def _irq_events(p: Printer, task: TaskState) -> list[str]:
    """``print_irqtrace_events`` (B4)."""
    lines = [f"irq event stamp: {task.irq_events}"]
    for key, label in (("hardirqs_on", "hardirqs last  enabled"), ("hardirqs_off", "hardirqs last disabled"),
                       ("softirqs_on", "softirqs last  enabled"), ("softirqs_off", "softirqs last disabled")):
        event = task.events[key]
        where = f"[<{address_of(event.at):016x}>] {event.at}" if event.at else f"[<{0:016x}>] 0x0"
        lines.append(f"{label} at ({event.stamp}): {where}")
    return lines


def _circular_scenario(f: Circular, sync: bool) -> list[str]:
    """``print_circular_lock_scenario``: the chain's ends and the parent of its target."""
    source, target = f.lock.cls, f.prev.cls
    parent = f.target.parent.cls
    lines = Printer.chain_exists(source.name, parent.name, target.name) if parent is not source else []
    first = "rlock" if sync and f.prev.read else "lock"
    last = "rlock" if sync and f.lock.read else "sync" if sync and f.lock.sync else "lock"
    return lines + Printer.two_cpus("Possible unsafe locking scenario:") + [
        f"  {first}({target.name});", f"{_CPU1}lock({parent.name});", f"{_CPU1}lock({target.name});",
        f"  {last}({source.name});"] + Printer.deadlock()


def _blocks(p: Printer, f: Finding) -> dict[str, Callable[[], list[str]]]:
    """The ``{=block}`` expansions a finding can use."""
    blocks: dict[str, Callable[[], list[str]]] = {
        "held": lambda: p.held(f.task, f.held),
        "backtrace": lambda: p.backtrace(f),
    }
    lock = getattr(f, "lock", None)
    if lock is not None:
        blocks["lock"] = lambda: [p.lock(lock)]
    prev = getattr(f, "prev", None)
    if prev is not None:
        blocks["prev"] = lambda: [p.lock(prev)]
    if isinstance(f, Circular):
        blocks["chain"] = lambda: [line for index, (cls, trace) in enumerate(f.chain)
                                   for line in ("", f"-> #{len(f.chain) - 1 - index}{p.lock_name(cls)}:",
                                                *p.trace(trace, 6))]
        blocks["circular_scenario"] = lambda: _circular_scenario(f, p.era.sync_scenario)
    elif isinstance(f, Recursive):
        blocks["deadlock_scenario"] = lambda: [" Possible unsafe locking scenario:", "", "       CPU0", "       ----",
                                               f"  lock({f.prev.cls.name});", f"  lock({f.lock.cls.name});",
                                               *Printer.deadlock(), " May be due to missing lock nesting notation",
                                               ""]
    elif isinstance(f, Inconsistent):
        blocks["registered"] = lambda: p.trace(f.lock.cls.traces.get(f.prev_bit, ()), 1)
        blocks["irq_events"] = lambda: _irq_events(p, f.task)
        name = f.lock.cls.name
        blocks["usage_scenario"] = lambda: [" Possible unsafe locking scenario:", "", "       CPU0", "       ----",
                                            f"  lock({name});", "  <Interrupt>", f"    lock({name});",
                                            *Printer.deadlock()]
    elif isinstance(f, IrqInversion):
        _inversion_blocks(p, f, blocks)
    elif isinstance(f, SafeUnsafe):
        _safe_unsafe_blocks(p, f, blocks)
    elif isinstance(f, BadUnlock):
        blocks["release_at"] = lambda: [f"[<{address_of(f.at):016x}>] {f.at}"]
    return blocks


def _inversion_blocks(p: Printer, f: IrqInversion, blocks: dict[str, Callable[[], list[str]]]) -> None:
    root, other = f.other.path()[-1], f.other
    nodes = other.path()
    middle = nodes[-2] if len(nodes) > 1 else root
    blocks["other"] = lambda: [p.lock_name(other.cls)]
    if f.forwards:
        blocks["irq_scenario"] = lambda: p.irq_scenario(root.cls, other.cls, middle.cls, other.cls)
    else:
        blocks["irq_scenario"] = lambda: p.irq_scenario(other.cls, root.cls, middle.cls, root.cls)
    blocks["inversion_path"] = lambda: p.path(other, (frame("lock_acquire"),) + f.trace)


def _safe_unsafe_blocks(p: Printer, f: SafeUnsafe, blocks: dict[str, Callable[[], list[str]]]) -> None:
    era = p.era
    blocks["new_dependency"] = lambda: [f"{p.lock_name(f.prev.cls)} ->{p.lock_name(f.lock.cls)}"]
    blocks["safe"] = lambda: [p.lock_name(f.safe.cls)]
    blocks["unsafe"] = lambda: [p.lock_name(f.unsafe.cls)]
    blocks["safe_trace"] = lambda: p.trace(f.safe.cls.traces.get(f.safe_bit, ()), 1)

    def unsafe_trace() -> list[str]:
        lines = p.trace(f.unsafe.cls.traces.get(f.unsafe_bit, ()), 1)
        if era.split_phrases or not lines:
            return ["...", *lines]
        return ["..." + lines[0], *lines[1:]]

    blocks["unsafe_trace"] = unsafe_trace
    blocks["irq_scenario"] = lambda: p.irq_scenario(f.safe.cls, f.unsafe.cls, f.prev.cls, f.lock.cls)
    blocks["safe_path"] = lambda: (p.path_backwards(f.safe) if era.backwards_paths
                                   else p.path(f.safe, (frame("lock_acquire"),) + f.trace))
    header = "the dependencies between the lock to be acquired"
    tail = f" and {f.irqclass}-irq-unsafe lock:"
    blocks["unsafe_path_header"] = lambda: [header, tail] if era.split_phrases else [header + tail]
    blocks["unsafe_path"] = lambda: p.path(f.unsafe, (frame("lock_acquire"),) + f.trace)


def _fields(f: Finding, era: Era) -> dict[str, str]:
    fields = {"task": f"{f.task.comm}/{f.task.pid}", "irq": str(f.irq) if f.irq else ""}
    if isinstance(f, Inconsistent):
        fields.update(prev_bit=USAGE_NAMES[f.prev_bit], new_bit=USAGE_NAMES[f.new_bit])
    elif isinstance(f, IrqInversion):
        fields["irqclass"] = f.irqclass
        fields["inversion_sentence"] = (f"but this lock took another, {f.irqclass}-unsafe lock in the past:"
                                        if f.forwards else
                                        f"but this lock was taken by another, {f.irqclass}-safe lock in the past:")
    elif isinstance(f, SafeUnsafe):
        fields["irqclass"] = f.irqclass
    elif isinstance(f, BadUnlock):
        fields["instance"] = f.instance.cls.base
    elif isinstance(f, HeldLockFreed):
        start = f.lock.instance.address
        fields["memory"] = f"{start:016x}-{start + f.size - 1:016x}"
    elif isinstance(f, InvalidWait):
        fields["context"] = str(f.context)
    elif isinstance(f, NestedNotHeld):
        fields["nest"] = f.nest.cls.base
    elif isinstance(f, SuspiciousRcu):
        fields.update(where=f.where, message=f.message)
    return fields


def _expand(body: tuple[str, ...], fields: dict[str, str], blocks: dict[str, Callable[[], list[str]]]) -> Iterator[str]:
    for line in body:
        if line.startswith("{=") and line.endswith("}"):
            yield from blocks[line[2:-1]]()
        else:
            yield line.format(**fields)


def _warn_text(p: Printer, f: DebugWarn) -> list[str]:
    """A ``DEBUG_LOCKS_WARN_ON()``: ``__warn``'s cut-here block, not a lockdep banner."""
    task = f.task
    at = frame(f.function)
    return ["------------[ cut here ]------------", f"DEBUG_LOCKS_WARN_ON({f.condition})",
            f"WARNING: CPU: {task.cpu} PID: {task.pid} at {f.where} {at}", "Modules linked in:",
            f"CPU: {task.cpu} PID: {task.pid} Comm: {task.comm} Not tainted {p.era.release} #1",
            "Hardware name: splatkit simulator, BIOS 0.0 01/01/2024", f"RIP: 0010:{at}", "Call Trace:",
            *([" <TASK>"] if p.era.task_markers else []), *(" " + p.sym(x) for x in f.trace),
            *([" </TASK>"] if p.era.task_markers else []), "---[ end trace 0000000000000000 ]---"]


def render(finding: Finding, era: Era, *, raw_nesting: bool) -> str:
    """The kernel's text for ``finding`` in ``era`` (without the leading blank line)."""
    p = Printer(era, raw_nesting=raw_nesting)
    if isinstance(finding, DebugWarn):
        return "\n".join(_warn_text(p, finding)) + "\n"
    fields = _fields(finding, era)
    title = TITLES[finding.kind]
    bracketed = era.bracketed
    rule = title.rule(bracketed=bracketed, **fields)
    lines = ["=" * rule, title.banner(bracketed=bracketed, **fields), f"{era.release} #1 Not tainted", "-" * rule]
    lines += _expand(BODIES[finding.kind], fields, _blocks(p, finding))
    return "\n".join(lines) + "\n"
