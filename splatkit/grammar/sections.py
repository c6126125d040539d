"""The sections of a lockdep report and the line rules inside each, as data.

Lockdep prints a report as a sequence of sections, each opened by a fixed
keyword line ("but task is already holding lock:", "stack backtrace:"...) and
holding lines of a few shapes (a lock description, a chain entry, a frame...).
Blank lines and indentation are not reliable (mailers and archives lose them;
lockdep-format.md §8.8, §8.14), so sections are found by their keyword lines and
lines by their shape.

``RULES`` maps a rule name to a matcher; ``SECTIONS`` maps a section name to its
header and the rules its body accepts. ``parse.py`` holds the code that acts on
each rule and no kernel string.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import frames, locks
from .tokens import compile

__all__ = ["RULES", "SECTIONS", "LineRule", "Section"]


@dataclass(frozen=True)
class LineRule:
    """One shape of line: ``match(text, line_no)`` returns what it read, or None."""

    name: str
    match: Callable[[str, int], Any]


def _regex(name: str, pattern: str) -> LineRule:
    compiled = compile(pattern)
    return LineRule(name, lambda text, _no: compiled.match(text))


RULES: dict[str, LineRule] = {
    rule.name: rule
    for rule in (
        _regex("blank", r"^\s*$"),
        LineRule("lock", lambda text, no: locks.parse_lock_desc(text, line_no=no)),
        LineRule("frame", lambda text, no: frames.parse_frame(text, line_no=no)),
        LineRule("stack_marker", lambda text, _no: frames.STACK_MARKER.match(text)),
        # print_circular_bug_entry: "-> #3 (kvm_lock){+.+.}-{3:3}:".
        _regex("chain_entry", r"^\s*-> #(?P<index>\d+) \((?P<name>.*)\)\{(?P<usage>{USAGE})\}(?:{WAIT})?:\s*$"),
        # print_circular_lock_scenario: "  A --> B --> C".
        _regex("chain_names", r"^\s*(?P<names>\S.*? --> .*\S)\s*$"),
        # Scenario table header, rule and steps (B8).
        _regex("scenario_cpus", r"^\s*CPU0(?:\s+CPU1)?\s*$"),
        _regex("scenario_rule", r"^\s*----(?:\s+----)?\s*$"),
        _regex("scenario_step", r"^(?P<indent>\s*)(?P<op>lock|rlock|sync)\((?P<name>.*)\);\s*$"),
        _regex("scenario_event", r"^(?P<indent>\s*)(?P<op><Interrupt>|local_irq_disable\(\);)\s*$"),
        # lockdep_print_held_locks: " #0: ffff... (sb_writers#4){.+.+}-{0:0}, at: vfs_write+0xe4/0x380".
        _regex("held_lock", r"^\s*#(?P<index>\d+):\s*(?P<rest>.*)$"),
        # dump_stack_print_info: "CPU: 93 PID: 27085 Comm: tee Tainted: G S O 6.9.0-... #301".
        _regex(
            "cpu_info",
            r"^CPU: (?P<cpu>\d+) (?:UID: \d+ )?PID: (?P<pid>\d+) Comm: (?P<comm>.*?) "
            r"(?P<taint>Not tainted|Tainted:(?: +[A-Z])*) +(?P<release>\d\S*)(?: .*)?$",
        ),
        # Before 3.10, x86: "Pid: 123, comm: foo Not tainted 3.2.0 #1".
        _regex("pid_info", r"^Pid: (?P<pid>\d+), comm: (?P<comm>.*?) (?P<taint>Not tainted|Tainted:(?: +[A-Z])*) +(?P<release>\S+).*$"),
        _regex("hardware", r"^Hardware name: (?P<hardware>.*?)\s*$"),
        _regex("taint_legend", r"^Tainted: \[.*$"),
        _regex("workqueue", r"^Workqueue: .*$"),
        _regex("call_trace", r"^\s*Call [Tt]race:\s*$"),
        # pt_regs dumps inside a stack: "RIP: 0033:...", "Code: ...", "RAX: ... RBX: ...".
        _regex("registers", r"^\s*(?:RIP|RSP|RAX|RDX|RBP|RSI|R\d\d?|FS|CS|CR2|DR\d|Code|EFLAGS|pc|lr|sp|x\d+)\s?: .*$"),
    )
}


@dataclass(frozen=True)
class Section:
    """A report section: its keyword ``header`` line and the ``body`` rules it accepts."""

    name: str
    header: re.Pattern[str]
    body: tuple[str, ...]
    terminal: bool = False
    """The last section of a report: a line it does not accept ends the report."""


def _section(name: str, header: str, *body: str, terminal: bool = False) -> Section:
    for rule in body:
        if rule not in RULES:
            raise ValueError(f"section {name!r} uses unknown rule {rule!r}")
    return Section(name, compile(header), body, terminal)


SECTIONS: dict[str, Section] = {
    s.name: s
    for s in (
        _section("acquiring", r"^{TASK}(?: {IRQFLAGS})? is trying to acquire(?: lock)?:\s*$", "lock"),
        _section("holding", r"^but task is already holding lock:\s*$", "lock"),
        _section("depends", r"^which lock already depends on the new lock\.\s*$"),
        _section("chain", r"^the existing dependency chain \(in reverse order\) is:\s*$", "chain_entry", "frame"),
        _section("other_info", r"^other info that might help us debug this:\s*$"),
        _section("chain_exists", r"^\s*Chain exists of:\s*$", "chain_names"),
        _section(
            "scenario",
            r"^\s*Possible (?:interrupt )?unsafe locking scenario:\s*$",
            "scenario_cpus", "scenario_rule", "scenario_step", "scenario_event",
        ),
        _section("deadlock", r"^\s*\*\*\* DEADLOCK \*\*\*\s*$"),
        _section("nesting_hint", r"^\s*May be due to missing lock nesting notation\s*$"),
        _section(
            "held_locks",
            r"^(?:no locks held by|(?P<count>\d+) locks? held by) {TASK}[.:]\s*$",
            "held_lock",
        ),
        _section(
            "backtrace",
            r"^stack backtrace:\s*$",
            "cpu_info", "pid_info", "hardware", "taint_legend", "workqueue", "call_trace",
            "frame", "stack_marker", "registers",
            terminal=True,
        ),
        # dump_stack()/__warn() output that no "stack backtrace:" line announces (a WARN in
        # lockdep.c, the workqueue leak report): it opens with the "CPU: N PID: N Comm:" line,
        # or with "Call Trace:" when that line was printed before the banner.
        _section(
            "stack_dump",
            r"^(?:CPU: \d+ (?:UID: \d+ )?PID: (?P<pid>\d+) Comm: (?P<comm>.+?) (?:Not tainted|Tainted:).*"
            r"|\s*Call [Tt]race:\s*)$",
            "cpu_info", "pid_info", "hardware", "taint_legend", "workqueue", "call_trace",
            "frame", "stack_marker", "registers",
            terminal=True,
        ),
        # process_one_work: "     last function: addrconf_dad_work" (the work function that leaked).
        _section("last_function", r"^\s*last function: (?P<function>[\w.]+)\s*$"),
    )
}
