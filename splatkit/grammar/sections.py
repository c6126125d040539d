"""The sections of a lockdep report and the line rules inside each, as data.

Lockdep prints a report as a sequence of sections, each opened by a fixed
keyword line ("but task is already holding lock:", "stack backtrace:"...) and
holding lines of a few shapes (a lock description, a chain entry, a frame...).
Blank lines and indentation are not reliable (mailers and archives lose them;
lockdep-format.md §8.8, §8.14), so sections are found by their keyword lines and
lines by their shape.

``RULES`` maps a rule name to a matcher; ``SECTIONS`` maps a section name to its
header and the rules its body accepts. ``splatkit.parse`` holds the code that acts on
each rule and no kernel string.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from . import frames, locks
from .tokens import compile

__all__ = ["ABOVE_BANNER", "CHAIN_NAMES_SEPARATOR", "ELISION", "RULES", "SECTIONS", "LineRule", "Section", "rule_runs"]


@dataclass(frozen=True)
class LineRule:
    """One shape of line: ``match(text, line_no)`` returns what it read, or None."""

    name: str
    match: Callable[[str, int], Any]
    pattern: re.Pattern[str] | None = None
    """For a rule that is one regex match (``match`` returns ``pattern.match(text)``): the
    regex, so that a reader may try several such rules in one match."""


def _after_blanks(pattern: str) -> str:
    r"""``pattern``, anchored at a line's start, also matching after blanks: a poster who cut
    the timestamps off a log, or quoted it with a blank more, leaves one before a line that
    lockdep starts at its first column. Patterns that read the indentation keep it
    (``(?P<indent>``).

    >>> _after_blanks("^stack backtrace:$"), _after_blanks(r"^\s*x")
    ('^[ \\t]*stack backtrace:$', '^\\s*x')
    """
    if pattern.startswith("^") and not pattern.startswith(("^\\s*", "^(?P<indent>", "^[ \\t]*")):
        return "^[ \\t]*" + pattern[1:]
    return pattern


def _regex(name: str, pattern: str) -> LineRule:
    compiled = compile(_after_blanks(pattern))
    return LineRule(name, lambda text, _no: compiled.match(text), compiled)


RULES: dict[str, LineRule] = {
    rule.name: rule
    for rule in (
        _regex("blank", r"^\s*$"),
        LineRule("lock", locks.parse_lock_desc),
        LineRule("frame", frames.parse_frame),
        LineRule("stack_marker", lambda text, _no: frames.STACK_MARKER.match(text), frames.STACK_MARKER),
        # print_circular_bug_entry: "-> #3 (kvm_lock){+.+.}-{3:3}:".
        # Its usage and wait types may be missing, with the colon: a poster's rewrite, a line
        # cut at a terminal's width.
        _regex("chain_entry", r"^\s*{ENTRYARROW} #(?P<index>\d+) \((?P<name>.*)\)"
                              r"(?:\{(?P<usage>{USAGE})\}(?:{WAIT})?:|:?)\s*$"),
        # print_circular_lock_scenario: "  A --> B --> C".
        _regex("chain_names", r"^\s*(?P<names>\S.*? {NAMESARROW} .*\S)\s*$"),
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
            r"(?P<taint>{TAINT}) +(?P<release>\d\S*)(?: .*)?$",
        ),
        # Before 3.10, x86: "Pid: 123, comm: foo Not tainted 3.2.0 #1".
        _regex("pid_info", r"^Pid: (?P<pid>\d+), comm: (?P<comm>.*?) (?P<taint>{TAINT}) +(?P<release>\S+).*$"),
        _regex("hardware", r"^Hardware name: (?P<hardware>(?:.*\S)?)\s*$"),
        _regex("taint_legend", r"^Tainted: \[.*$"),
        _regex("workqueue", r"^Workqueue: .*$"),
        # "Call Trace:" (x86), "Call trace:" (arm64...), "Backtrace:" (32-bit ARM).
        _regex("call_trace", r"^\s*(?:Call [Tt]race|Backtrace):\s*$"),
        # pt_regs dumps inside a stack: "RIP: 0033:...", "Code: ...", "RAX: ... RBX: ...",
        # arm64 "pc : f+0x1/0x2", "x29: ... x28: ...", "pstate: 60400005 (nZCv ...)".
        # 32-bit ARM: the registers each frame saved (" r10:8336a068 r9:00000000 ..."), an
        # "Exception stack(0x83381bc0 to 0x83381c08)" and its words ("1bc0: 00000001 00000001 ...").
        _regex("registers", r"^\s*(?:(?:RIP|RSP|RAX|RDX|RBP|RSI|R\d\d?|FS|CS|CR2|DR\d|Code|EFLAGS|pc|lr|sp|x\d+|pstate)\s*: .*"
                            r"|r\d\d?:[0-9a-f]{8}(?: +r\d\d?:[0-9a-f]{8})*"
                            r"|Exception stack\(0x[0-9a-f]+ to 0x[0-9a-f]+\)|[0-9a-f]{4}:(?: +[0-9a-f]{8}){0,8})\s*$"),
        # Raw stack words dumped before the frames by x86 kernels up to 4.9: " ffff8800458dfa38 ffffffff82d383a9 ...".
        _regex("stack_words", r"^\s*(?:[0-9a-f]{8,16} ){1,7}[0-9a-f]{8,16}\s*$"),
        # The WARN's "Modules linked in: ..." and the x86 "task: ffff... task.stack: ffff..." line (< 4.14).
        _regex("warn_info", r"^(?:Modules linked in:.*|task: [0-9a-f]+ (?:task\.stack|ti): [0-9a-f]+)\s*$"),
        # "---[ end trace 0000000000000000 ]---" after a WARN's stack.
        _regex("end_trace", r"^-+\[ end trace [0-9a-f]+ \]-+\s*$"),
        # print_irqtrace_events (B4): "hardirqs last  enabled at (12343): [<ffffffff81234567>] f+0x2c/0x40".
        _regex("irq_event", r"^\s*(?P<irq>hardirqs|softirqs) last\s+(?P<event>enabled|disabled) at \((?P<stamp>\d+)\):\s*(?P<at>(?:.*\S)?)\s*$"),
        # A print_stack_trace() line that the '...' of "which became X-irq-unsafe at:" shares (<= 4.8).
        _regex("elided_frame", r"^\s*\.\.\.(?P<frame>(?:\s+\S.*)?)$"),
        # The B3 pair of "which would create a new lock dependency:".
        LineRule("lock_pair", lambda text, no: locks.parse_lock_pair(text, line_no=no)),
        # B6 lock-class header: "-> (&(&info->lock)->rlock){+.+.} ops: 96687 {".
        _regex("class_header", r"^\s*-> (?P<desc>\(.*\)\{{USAGE}\}(?:-\{\d+:\d+\})?)(?: ops: (?P<ops>\d+))? \{\s*$"),
        # B6 usage-bit block: "   IN-HARDIRQ-W at:", "   INITIAL USE at:", "   in-softirq-W at:", "initial-use  at:".
        _regex("usage_bit", r"^\s*(?P<bit>[A-Za-z][\w-]*(?: [A-Z][\w-]*)*)\s+at:\s*$"),
        _regex("class_close", r"^\s*\}\s*$"),
        # "... key      at: [<ffffffff8a5a8020>] __key.49022+0x0/0x40".
        _regex("class_key", r"^\s*\.\.\. key\s+at: (?P<at>(?:.*\S)?)\s*$"),
        _regex("acquired_at", r"^\s*\.\.\. acquired at:\s*$"),
        # The second line of "the dependencies between the lock to be acquired" (4.9+, pitfall 8.9).
        _regex("path_continued", r"^\s*and (?P<between>.+?):\s*$"),
        _regex("bad_path", r"^lockdep:print_shortest_lock_dependencies bad path found in chain graph\s*$"),
        # lockdep_rcu_suspicious after "other info": "rcu_scheduler_active = 2, debug_locks = 1".
        _regex("rcu_state", r"^\s*rcu_scheduler_active = (?P<active>\d+), debug_locks = (?P<debug_locks>\d+)\s*$"),
        _regex("rcu_note", r"^\s*(?P<note>RCU used illegally from .*!|Possible false positive due to lockdep disabling via debug_locks = 0)\s*$"),
        # print_lock_invalid_wait_context: "context-{5:5}".
        _regex("wait_context", r"^\s*context-\{(?P<outer>\d+):(?P<inner>\d+)\}\s*$"),
        # The nest lock of nested_not_taken, a bare lockdep_map name on its own line. A sentence
        # here is the kernel's next message (an oops raised while printing the name), left for
        # the reader to report as unread.
        _regex("bare_name", r"^\s*(?P<name>{CLASSNAME})\s*$"),
        # print_collision: " hlock_id:12 -> chain_key:000000000000000c" fused with a lock description.
        _regex("collision_lock", r"^\s*hlock_id:(?P<id>\d+) -> chain_key:(?P<key>[0-9a-f]+)(?P<rest>.*)$"),
        _regex("collision_depth", r"^\s*depth: (?P<depth>\d+)(?: \(irq_context (?P<irq>\d+)\))?\s*$"),
        # print_lockdep_off with LOCK_STAT.
        _regex("lock_stat_hint", r"^Please attach the output of /proc/lock_stat to the bug report\s*$"),
        # debug_show_all_locks: the rule that closes the dump, and the old retry message.
        _regex("dump_end", r"^\s*={20,}\s*$"),
        _regex("dump_retry", r"^hm, tasklist_lock locked, retrying\.\.\..*$"),
    )
}


@dataclass(frozen=True)
class Section:
    """A report section: its keyword ``header`` line and the ``body`` rules it accepts."""

    name: str
    """Stable identifier, used in kind entries and ``Splat.line_fields``."""
    header: re.Pattern[str]
    """Matches the keyword line that opens the section; its named groups are the section's facts."""
    body: tuple[str, ...]
    """Names of the ``RULES`` the lines after the header may match, tried in order."""
    terminal: bool = False
    """The last section of a report: a line it does not accept ends the report."""
    field: str = ""
    """The ``Splat`` field a ``lock`` line of this section fills (default: the section name)."""
    trace: str = ""
    """When set, the header opens a :class:`~splatkit.model.StateTrace` of this event, which
    the section's frames fill."""


def rule_runs(names: Iterable[str]) -> list[tuple[str, ...]]:
    """The rules ``names``, in order, grouped for reading a line: each run of rules that are
    each one regex match (``LineRule.pattern``) together, every other rule alone.

    A reader tries a run in one match (:class:`~splatkit.grammar.kinds.FirstMatch`): the
    first of its regexes that matches is the rule a loop over them would take.

    >>> rule_runs(["frame", "cpu_info", "hardware", "lock"])
    [('frame',), ('cpu_info', 'hardware'), ('lock',)]
    """
    runs: list[tuple[str, ...]] = []
    run: list[str] = []
    for name in names:
        if RULES[name].pattern is not None:
            run.append(name)
            continue
        if run:
            runs.append(tuple(run))
            run = []
        runs.append((name,))
    if run:
        runs.append(tuple(run))
    return runs


def _section(name: str, header: str, *body: str, terminal: bool = False, field: str = "",
             trace: str = "") -> Section:
    for rule in body:
        if rule not in RULES:
            raise ValueError(f"section {name!r} uses unknown rule {rule!r}")
    return Section(name, compile(_after_blanks(header)), body, terminal, field or name, trace)


#: What dump_stack() prints, whatever opened it.
#: Frames first: they are most of the lines, and no other rule's line is a frame.
_STACK_BODY = ("frame", "cpu_info", "pid_info", "hardware", "taint_legend", "workqueue", "call_trace",
               "stack_marker", "registers", "stack_words", "warn_info", "end_trace")


SECTIONS: dict[str, Section] = {
    s.name: s
    for s in (
        _section("acquiring", r"^{TASK}(?: {IRQFLAGS})? is trying to acquire(?: lock)?:\s*$", "lock"),
        _section("holding", r"^but task is already holding lock:\s*$", "lock"),
        _section("depends", r"^which lock already depends on the new lock\.\s*$"),
        _section("chain", r"^the existing dependency chain \(in reverse order\) is:\s*$", "chain_entry", "frame"),
        # Body: the extra lines suspicious_rcu and invalid_wait print there.
        _section("other_info", r"^other info that might help us debug this:\s*$",
                 "rcu_state", "rcu_note", "wait_context"),
        _section("chain_exists", r"^\s*Chain exists of:\s*$", "chain_names"),
        _section(
            "scenario",
            r"^\s*Possible (?:interrupt )?unsafe locking scenario:\s*$",
            "scenario_cpus", "scenario_rule", "scenario_step", "scenario_event",
        ),
        _section("deadlock", r"^\s*\*\*\* DEADLOCK \*\*\*\s*$"),
        _section("nesting_hint", r"^\s*May be due to missing lock nesting notation\s*$"),
        # print_deadlock_bug, 6.5+: "and the lock comparison function returns 0:".
        _section("lock_cmp", r"^(?P<note>and the lock comparison function returns -?\d+:)\s*$"),
        _section(
            "held_locks",
            r"^(?:no locks held by|(?P<count>\d+) locks? held by) {TASK}[.:]\s*$",
            "held_lock",
        ),
        _section("backtrace", r"^stack backtrace:\s*$", *_STACK_BODY, terminal=True),
        # dump_stack()/__warn() output that no "stack backtrace:" line announces (a WARN in
        # lockdep.c, the workqueue leak report): it opens with the "CPU: N PID: N Comm:" line,
        # or with "Call Trace:" when that line was printed before the banner.
        _section(
            "stack_dump",
            r"^(?:CPU: \d+ (?:UID: \d+ )?PID: (?P<pid>\d+) Comm: (?P<comm>.+?) (?:Not tainted|Tainted:).*"
            r"|\s*Call [Tt]race:\s*)$",
            *_STACK_BODY,
            terminal=True,
        ),
        # process_one_work: "     last function: addrconf_dad_work" (the work function that leaked).
        # "     last function: F"; since 6.x "     preempt=0x.. lock=N->M RCU=N->M workfn=F".
        _section("last_function", r"^\s*(?:last function: |preempt=0x[0-9a-f]+ lock=-?\d+->-?\d+ "
                                  r"RCU=-?\d+->-?\d+ workfn=)(?P<function>[\w.]+)(?: \[[\w-]+\])?\s*$"),
        # -- inconsistent_state (print_usage_bug, §1.3) --------------------------------------
        _section("usage_change", r"^inconsistent \{(?P<prev>[^}]+)\} -> \{(?P<new>[^}]+)\} usage\.\s*$"),
        _section("takes", r"^{TASK} {IRQFLAGS} takes:\s*$", "lock", field="acquiring"),
        _section("registered", r"^\{(?P<usage>[^}]+)\} state was registered at:\s*$", "frame",
                 trace="registered"),
        # print_irqtrace_events (B4); also printed after a lockdep WARN's stack.
        _section("irq_events", r"^irq event stamp: (?P<stamp>\d+)\s*$", "irq_event", "frame"),
        # -- irq_safe_unsafe (print_bad_irq_dependency, §1.5) ------------------------------
        _section("holding_too", r"^and this task is already holding:\s*$", "lock", field="holding"),
        _section("new_dependency", r"^which would create a new lock dependency:\s*$", "lock_pair"),
        _section("safe_lock", r"^but this new dependency connects a (?P<irqclass>\S+?)-irq-safe lock:\s*$",
                 "lock", field="safe"),
        _section("became_safe", r"^\.\.\. which became (?P<usage>\S+?)-irq-safe at:\s*$",
                 "frame", "elided_frame", trace="became_safe"),
        _section("unsafe_lock", r"^to a (?P<irqclass>\S+?)-irq-unsafe lock:\s*$", "lock", field="unsafe"),
        _section("became_unsafe", r"^\.\.\. which became (?P<usage>\S+?)-irq-unsafe at:\s*$",
                 "frame", "elided_frame", trace="became_unsafe"),
        # B7 paths: "the dependencies between HARDIRQ-irq-safe lock and the holding lock:",
        # "the shortest dependencies between 2nd lock and 1st lock:", 2.6.18-2.6.30 trees
        # "the hard-irq-safe lock's dependencies:". Two printk calls in 4.9+ (path_continued).
        _section(
            "dependencies",
            r"^the (?:(?:shortest )?dependencies between (?P<between>.+?)|(?P<whose>.+?) lock's dependencies):?\s*$",
            "path_continued", "class_header", "usage_bit", "class_close", "class_key", "acquired_at",
            "frame", "bad_path",
        ),
        # -- irq_inversion (print_irq_inversion_bug, §1.4) ---------------------------------
        _section("state_changed", r"^{TASK} just changed the state of lock:\s*$", "lock", field="acquiring"),
        _section(
            "inversion_other",
            r"^but this lock (?P<direction>took another|was taken by another), "
            r"(?P<irqclass>\S+?)-(?:irq-)?(?P<side>(?:un)?safe) lock in the past:\s*$",
            "lock", field="other",
        ),
        _section("inversion_note", r"^and interrupts could create inverse lock ordering between them\.\s*$"),
        # -- bad_unlock, bad_contention (§1.6, §1.13) --------------------------------------
        _section("release", r"^{TASK} is trying to release lock \((?P<name>.*)\) at:\s*$", "frame"),
        _section("contend", r"^{TASK} is trying to contend lock \((?P<name>.*)\) at:\s*$", "frame"),
        _section("note", r"^(?P<note>but there are no (?:more locks to release|locks held)!)\s*$"),
        # -- held_lock_freed (§1.7) --------------------------------------------------------
        _section(
            "freeing",
            r"^{TASK} is freeing memory (?P<start>\S+?)-(?P<end>\S+), with a lock still held there!\s*$",
            "lock", field="holding",
        ),
        # -- still_held (2.6.18 body line), held_on_return (§1.8, §1.9) ----------------------
        _section("exiting", r"^{TASK} is (?P<note>exiting|leaving the kernel) with locks still held!\s*$"),
        # -- suspicious_rcu (§1.10): "kernel/sched/core.c:1234 suspicious rcu_dereference_check() usage!"
        _section("rcu_source", r"^(?P<file>[\w./+-]+\.[a-zA-Z]+):(?P<line>\d+) (?P<message>[^:]*!)\s*$"),
        # -- invalid_wait, nested_not_taken (§1.11, §1.12) -------------------------------
        _section("trying_lock", r"^{TASK} is trying to lock:\s*$", "lock", field="acquiring"),
        _section("not_holding", r"^but this task is not holding:\s*$", "bare_name"),
        # -- non_static_key, lockdep_limit (§1.15) ---------------------------------------
        _section(
            "annotation_hint",
            r"^(?P<note>the code is fine but needs lockdep annotation\.|The code is fine but needs lockdep "
            r"annotation, or maybe|you didn't initialize this object before use\?)\s*$",
        ),
        _section("validator_off", r"^(?P<note>turning off the locking correctness validator\.)\s*$",
                 "lock_stat_hint"),
        _section("limit_depth", r"^depth: (?P<depth>\d+)\s+max: (?P<max>\d+)!\s*$"),
        # -- chain_key_collision (print_collision, §1.14): parsed leniently -------------------
        _section("collision_task", r"^{TASK}:\s*$"),
        _section("collision", r"^(?:{TASK}: ?)?(?P<note>Hash chain already cached but the contents don't match!)\s*$"),
        _section("collision_held", r"^Held locks:\s*$", "collision_depth", "collision_lock", "lock",
                 field="held"),
        _section("collision_cached", r"^Locks in cached chain:\s*$", "collision_depth", "collision_lock", "lock",
                 field="cached"),
        # -- lockdep_warning: what __warn prints before its stack ---------------------------
        # panic_on_warn: printed in the middle of the WARN's dump, whose lines go on after it.
        _section("panic", r"^(?P<note>Kernel panic - not syncing: (?:.*\S)?)\s*$", *_STACK_BODY),
        # Before ~4.10 the WARN printed its message after the "WARNING: ... at" line.
        _section("warn_condition", r"^\s*DEBUG_LOCKS_WARN_ON\((?P<condition>.*)\)\s*$"),
        _section("modules", r"^Modules linked in:.*$"),
        # -- held_locks_dump (debug_show_all_locks) --------------------------------------
        _section("dump_held_locks", r"^(?:no locks held by|(?P<count>\d+) locks? held by) {TASK}[.:]\s*$",
                 "held_lock", "dump_end", "dump_retry"),
    )
}

#: Lines that may sit directly above a banner and belong to its report, each rule at most
#: once, at most :data:`ABOVE_LINES` of them. A WARN prints two in either order: 4.12 to 4.18
#: printed the ``DEBUG_LOCKS_WARN_ON(...)`` message before the trap's ``cut here`` line, later
#: kernels print ``cut here`` first (``__warn_printk``).
ABOVE_BANNER: dict[str, LineRule] = {
    rule.name: rule
    for rule in (
        _regex("rule", r"^\s*={20,}\s*$"),
        # __warn's "------------[ cut here ]------------".
        _regex("cut_here", r"^-+\[ cut here \]-+\s*$"),
        # DEBUG_LOCKS_WARN_ON(expr) prints the expression, then WARNs (lockdep_warning).
        _regex("condition", r"^\s*DEBUG_LOCKS_WARN_ON\((?P<condition>.*)\)\s*$"),
    )
}
#: The most lines above a banner that belong to its report (the scanner keeps as many).
ABOVE_LINES = 2

#: What a poster writes for lines they left out of a paste: ``...``, ``..``, ``[snip]``,
#: ``[...]``, ``<snip>``. Never a kernel line of a report; an unrecognised line's reason says so.
ELISION = re.compile(r"^\s*(?:\.{2,}|\u2026|[\[<(]\s*(?:\.{2,}|\u2026|snip(?:ped)?|cut|trimmed)\s*[\]>)])\s*$", re.I)

#: What separates the names of a ``Chain exists of:`` line (``A --> B --> C``, or as rewritten).
CHAIN_NAMES_SEPARATOR = compile(" {NAMESARROW} ")
