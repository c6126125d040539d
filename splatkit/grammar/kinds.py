"""Every lockdep report kind, one declarative entry each (lockdep-format.md §1).

An entry says how the kind's banner reads in every era, which kernel function
prints it, which sections its body has (names from ``sections.SECTIONS``), how
syzkaller titles it and, for kinds that print a scenario table, which CPU column
each printed step belongs to (used when a mailer collapsed the columns).

Order matters: the first entry whose banner matches wins, so specific banners
come before generic ones.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .sections import ABOVE_BANNER, SECTIONS
from .tokens import compile, expand, unnamed

__all__ = [
    "BANNER",
    "BANNER_HINT",
    "FirstMatch",
    "IDENT",
    "KINDS",
    "RULE_DASH",
    "RULE_EQ",
    "ReportKind",
    "SCAN_ANCHORS",
    "STACK",
    "STACK_PART_TEXTS",
    "SYZ_PLACEHOLDERS",
    "TitleRule",
    "kind_by_id",
    "match_banner",
    "syz_compile",
]

#: The rule lines around a banner.
RULE_EQ = re.compile(r"^\s*={20,}\s*$")
RULE_DASH = re.compile(r"^\s*-{20,}\s*$")

#: The kernel ident line under a banner (print_kernel_ident, 3.5+; without taint 2.6.19-3.4).
IDENT = compile(r"^[ \t]*(?P<release>\d+\.\d+\S*) (?P<build>\S+)(?:\s+(?P<taint>{TAINT}))?\s*$")

#: How every banner frames its text: "WARNING: x", "[ INFO: x ]", "[ ProveLock INFO: x ]".
BANNER = r"^[ \t]*\[?\s*(?:ProveLock\s+)?(?P<level>INFO|BUG|WARNING):?\s+(?:{text})\s*\]?\s*$"

# -- syzkaller's title rules ------------------------------------------------------------------
#
# syzkaller titles a report with the first matching row of its ``linuxOopses`` table
# (google/syzkaller pkg/report/linux.go; syzkaller-titles.md §2.5 and §3). Each kind below
# lists, as ``title_rules``, the rows that can title its banner, in the table's order, with
# the row's regexes and format copied verbatim. :mod:`splatkit.titles` runs them.

#: syzkaller's regex placeholders (pkg/report/report.go ``compile``), so that rules read as
#: they do upstream. ``{{SRC}}`` gains a look-behind: the match is the same (syzkaller's
#: leftmost match starts where the run of path characters starts), but a long run of path
#: characters is tried once instead of once per character.
SYZ_PLACEHOLDERS: dict[str, str] = {
    "{{ADDR}}": r"0x[0-9a-f]+",
    "{{PC}}": r"\[<?(?:0x)?[0-9a-f]+>?\]",
    "{{FUNC}}": r"([a-zA-Z0-9_]+)(?:\.|\+)",
    "{{SRC}}": r"(?<![a-zA-Z0-9_/.\-])([a-zA-Z0-9_/.\-]+\.[a-z]+:[0-9]+)",
}

#: In a rule's ``stack`` parts: "read stack frames from here" (syzkaller's ``parseStackTrace``).
STACK = "<stack trace>"


def syz_compile(pattern: str) -> re.Pattern[str]:
    """Compile a regex written with syzkaller's ``{{PC}}``/``{{FUNC}}``/``{{SRC}}`` placeholders.

    >>> syz_compile("at: (?:{{PC}} +)?{{FUNC}}").search("at: kvm_dev_ioctl+0x4fb/0xe50").group(1)
    'kvm_dev_ioctl'
    """
    for name, fragment in SYZ_PLACEHOLDERS.items():
        pattern = pattern.replace(name, fragment)
    return re.compile(pattern)


@dataclass(frozen=True)
class TitleRule:
    """One row of syzkaller's ``linuxOopses`` table (an ``oopsFormat``), as data.

    References
    ----------
    google/syzkaller ``pkg/report/linux.go`` (``linuxOopses``, ``warningStackFmt``) and
    ``pkg/report/report.go`` (``oopsFormat``, ``stackFmt``); syzkaller-titles.md §3.
    """

    header: str
    """The oops header group the row belongs to: ``BUG:``, ``WARNING:`` or ``INFO:``. Only rows
    of the group whose header the report's first line contains are tried."""
    title: re.Pattern[str]
    """Searched in the report block; of all rows that match, the one matching first wins."""
    fmt: str
    """syzkaller's title format, verbatim: ``%[n]v`` is the n-th argument, first the captures of
    ``report`` (or of ``title`` when there is no ``report``), then one function per stack walk."""
    report: tuple[re.Pattern[str], ...] = ()
    """syzkaller's report regex, one element per line: the first is searched anywhere in the
    block, each further one must match a later line than the previous one (upstream writes
    them joined by ``(?:.*\\n)+?``). When it fails, the title falls back to the header line
    and the report is corrupted."""
    stack: tuple[re.Pattern[str] | str, ...] = ()
    """How to find the blamed function: regexes that consume one matching line each (their
    groups are candidate functions) and :data:`STACK` for "frame lines up to the next stack
    start". Empty for rows whose title needs no function from a stack."""
    stack2: tuple[re.Pattern[str] | str, ...] = ()
    """Tried from the top again when ``stack`` finds no function (syzkaller's ``parts2``)."""
    skip: tuple[str, ...] = ()
    """Skip patterns added to the global set for this row's stack walks."""
    no_stack_trace: bool = False
    """The report has no stack, so a missing one does not make it corrupted."""


def _syz(header: str, title: str, fmt: str, *, report: tuple[str, ...] = (),
         stack: tuple[str, ...] = (), stack2: tuple[str, ...] = (), skip: tuple[str, ...] = (),
         no_stack_trace: bool = False) -> TitleRule:
    def parts(items: tuple[str, ...]) -> tuple[re.Pattern[str] | str, ...]:
        return tuple(STACK if item == STACK else syz_compile(item) for item in items)

    return TitleRule(header, syz_compile(title), fmt, tuple(syz_compile(r) for r in report),
                     parts(stack), parts(stack2), skip, no_stack_trace)


#: linuxCallTrace: the line that opens a dump_stack() trace.
_CALL_TRACE = r"(?:Call (?:T|t)race:)|(?:Backtrace:)"
#: linuxRipFrame: the faulting function of a trap (x86 RIP/IP, powerpc NIP, arm pc/PC is at).
_RIP_FRAME = (r"(?:IP|NIP|pc |PC is at):? (?:(?:[0-9]+:)?(?:{{PC}} +){0,2}{{FUNC}}|(?:[0-9]+:)?0x[0-9a-f]+"
              r"|(?:[0-9]+:)?{{PC}} +\[< *\(null\)>\] +\(null\)|[0-9]+: +\(null\))")
#: warningStackFmt: the trapping function and the frames after it; else the Call Trace.
_WARNING_STACK = {"stack": ("(?:" + _RIP_FRAME + "|--- interrupt: [0-9]+ at {{FUNC}})", STACK),
                  "stack2": (_CALL_TRACE, STACK)}
#: The frames after the first Call Trace line.
_CALL_TRACE_STACK = (_CALL_TRACE, STACK)

#: For the stack parts that start with one of several texts (above): texts of which every match
#: holds one, by the part's regex. The regex engine searches for such a regex by testing every
#: character against the texts' first ones, several times slower than ``str.find`` reads a
#: text; a stack walk looks only at the lines that hold one of them.
STACK_PART_TEXTS: dict[str, tuple[str, ...]] = {
    syz_compile(_CALL_TRACE).pattern: ("Call Trace:", "Call trace:", "Backtrace:"),
    syz_compile(_WARNING_STACK["stack"][0]).pattern: ("IP", "pc ", "PC is at", "--- interrupt: "),
}


@dataclass(frozen=True)
class ReportKind:
    kind: str
    """Stable identifier, used in ``Splat.kind`` and the CLI."""
    banner: re.Pattern[str]
    """Matches the banner line (any era) after wrapper stripping."""
    banner_text: str
    """The regex of the banner's text after its level (``BANNER``'s ``{text}``)."""
    printer: str
    """The kernel function that prints this report (kernel/locking/lockdep.c)."""
    sections: tuple[str, ...]
    """Section names, in printed order."""
    title: str
    """syzkaller-style title, for people; ``{func}`` is the function the report blames, ``{level}``
    the banner's level, ``{banner}`` the banner line. ``title_rules`` is what computes it."""
    scenario_columns: tuple[int, ...] = ()
    """CPU column of each printed scenario step, in order (for collapsed columns)."""
    since: str = ""
    """The first kernel release that prints this report."""
    title_rules: tuple[TitleRule, ...] = ()
    """The rows of syzkaller's table that can title this kind's banner, in the table's order.
    Empty when none can: syzkaller then titles the report with its header line."""
    above: tuple[str, ...] = ("rule",)
    """Rules of ``sections.ABOVE_BANNER`` the line directly above the banner may match to
    belong to the report (the '=====' rule, a WARN's ``DEBUG_LOCKS_WARN_ON(...)``)."""
    framed: bool = True
    """The banner has a level (``WARNING:``/``BUG:``/``INFO:``); False for the held-locks dump,
    whose banner is a bare sentence."""
    stack_sections: tuple[str, ...] = ()
    """The sections that hold a stack dump; a report without one of them ended early."""
    fields: tuple[str, ...] = ()
    """The ``Splat`` fields this kind fills beyond the common ones (documentation and tests)."""


#: The sections that hold a dump_stack() output.
_STACKS = ("backtrace", "stack_dump")


def _kind(kind: str, text: str, printer: str, sections: tuple[str, ...], title: str,
          scenario_columns: tuple[int, ...] = (), since: str = "",
          title_rules: tuple[TitleRule, ...] = (), above: tuple[str, ...] = ("rule",),
          framed: bool = True, fields: tuple[str, ...] = ()) -> ReportKind:
    for name in sections:
        if name not in SECTIONS:
            raise ValueError(f"kind {kind!r} uses unknown section {name!r}")
    for name in above:
        if name not in ABOVE_BANNER:
            raise ValueError(f"kind {kind!r} uses unknown above-banner rule {name!r}")
    text = expand(text)
    banner = compile(BANNER.replace("{text}", text) if framed else rf"^\s*(?:{text})\s*$")
    stacks = tuple(name for name in sections if name in _STACKS)
    return ReportKind(kind, banner, text, printer, sections, title, scenario_columns, since, title_rules,
                      above, framed, stacks, fields)


_COMMON_TAIL = ("other_info", "held_locks", "backtrace")

#: print_irq_lock_scenario: CPU0 lock(unsafe); CPU1 local_irq_disable(); CPU1 lock(safe);
#: CPU1 lock(middle); CPU0 <Interrupt>; CPU0 lock(safe).
_IRQ_SCENARIO_COLUMNS = (0, 1, 1, 1, 0, 0)

KINDS: tuple[ReportKind, ...] = (
    _kind(
        "circular",
        r"possible circular locking dependency detected",
        "print_circular_bug",
        ("acquiring", "holding", "depends", "chain", "other_info", "chain_exists", "scenario",
         "deadlock", "held_locks", "backtrace"),
        "possible deadlock in {func}",
        # print_circular_lock_scenario: CPU0 lock(target); CPU1 lock(parent); CPU1 lock(target);
        # CPU0 lock(source).
        scenario_columns=(0, 1, 1, 0),
        since="v2.6.18",
        title_rules=(
            # The acquire site of the lock being taken, else of the held lock, else the first
            # frame of the dependency chain. Work-item plumbing is never the culprit.
            _syz("WARNING:", "WARNING: possible circular locking dependency detected",
                 "possible deadlock in %[1]v",
                 report=("WARNING: possible circular locking dependency detected", ".*is trying to acquire lock"),
                 stack=("at: (?:{{PC}} +)?{{FUNC}}", "at: (?:{{PC}} +)?{{FUNC}}", STACK),
                 skip=("process_one_work", "flush_workqueue", "drain_workqueue", "destroy_workqueue")),
            # Up to 4.13: the acquire site, as printed, nothing skipped.
            _syz("INFO:", "INFO: possible circular locking dependency detected", "possible deadlock in %[1]v",
                 report=(r"INFO: possible circular locking dependency detected \]", ".*is trying to acquire lock",
                         ".*at: {{PC}} +{{FUNC}}")),
        ),
    ),
    _kind(
        "recursive",
        r"possible recursive locking detected",
        "print_deadlock_bug",
        ("acquiring", "holding", "lock_cmp", "other_info", "scenario", "deadlock", "nesting_hint",
         "held_locks", "backtrace"),
        "possible deadlock in {func}",
        scenario_columns=(0, 0),
        since="v2.6.18",
        title_rules=(
            # The acquire site of the lock taken twice, as printed, nothing skipped.
            _syz("WARNING:", "WARNING: possible recursive locking detected", "possible deadlock in %[1]v",
                 report=("WARNING: possible recursive locking detected", ".*is trying to acquire lock",
                         ".*at: (?:{{PC}} +)?{{FUNC}}")),
            _syz("INFO:", "INFO: possible recursive locking detected", "possible deadlock in %[1]v",
                 report=(r"INFO: possible recursive locking detected \]", ".*is trying to acquire lock",
                         ".*at: {{PC}} +{{FUNC}}")),
        ),
    ),
    _kind("inconsistent_state", r"inconsistent lock state", "print_usage_bug",
          ("usage_change", "takes", "registered", "irq_events", "other_info", "scenario", "deadlock",
           "held_locks", "backtrace"),
          "inconsistent lock state in {func}", since="v2.6.18",
          # print_usage_bug_scenario: one CPU, "lock(X); <Interrupt> lock(X);".
          scenario_columns=(0, 0, 0),
          fields=("usage_change", "task", "irq_context", "acquiring", "traces", "irq_events", "scenario"),
          title_rules=(
              # The report must name the first usage ("takes ... at:"); the title blames the
              # first caller on the Call Trace, not that site.
              _syz("WARNING:", "WARNING: inconsistent lock state", "inconsistent lock state in %[2]v",
                   report=("WARNING: inconsistent lock state", ".*takes", ".*at: (?:{{PC}} +)?{{FUNC}}"),
                   stack=_CALL_TRACE_STACK),
              _syz("INFO:", "INFO: inconsistent lock state", "inconsistent lock state in %[1]v",
                   report=(r"INFO: inconsistent lock state \]", ".*takes", ".*at: {{PC}} +{{FUNC}}")),
          )),
    _kind("irq_inversion", r"possible irq lock inversion dependency detected", "print_irq_inversion_bug",
          ("state_changed", "inversion_other", "inversion_note", "other_info", "chain_exists", "scenario",
           "deadlock", "held_locks", "dependencies", "backtrace"),
          "possible deadlock in {func}", since="v2.6.18",
          scenario_columns=_IRQ_SCENARIO_COLUMNS,
          fields=("task", "acquiring", "other_locks", "irq_class", "scenario", "dependency_paths"),
          title_rules=(
              # Where the lock that just changed state was taken, as printed.
              _syz("WARNING:", "WARNING: possible irq lock inversion dependency detected",
                   "possible deadlock in %[1]v",
                   report=("WARNING: possible irq lock inversion dependency detected",
                           ".*just changed the state of lock", ".*at: (?:{{PC}} +)?{{FUNC}}")),
              _syz("INFO:", "INFO: possible irq lock inversion dependency detected", "possible deadlock in %[1]v",
                   report=(r"INFO: possible irq lock inversion dependency detected \]",
                           ".*just changed the state of lock", ".*at: {{PC}} +{{FUNC}}")),
          )),
    _kind("irq_safe_unsafe", r"[\w-]+-safe -> [\w-]+-unsafe lock order detected", "print_bad_irq_dependency",
          ("acquiring", "holding_too", "new_dependency", "safe_lock", "became_safe", "unsafe_lock",
           "became_unsafe", "other_info", "chain_exists", "scenario", "deadlock", "held_locks", "dependencies",
           "backtrace"),
          "possible deadlock in {func}", since="v2.6.18",
          scenario_columns=_IRQ_SCENARIO_COLUMNS,
          fields=("task", "irq_context", "acquiring", "holding", "new_dependency", "other_locks", "irq_class",
                  "traces", "scenario", "dependency_paths"),
          title_rules=(
              # The stack that took the irq-safe lock in irq context ("which became ... at:").
              _syz("WARNING:", "WARNING: .*-safe -> .*-unsafe lock order detected", "possible deadlock in %[1]v",
                   stack=("which became (?:.*) at:", STACK)),
              _syz("INFO:", "INFO: SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected", "possible deadlock in %[1]v",
                   report=(r"INFO: SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected \]", ".*is trying to acquire",
                           ".*at: {{PC}} +{{FUNC}}")),
          )),
    _kind("bad_unlock", r"bad unlock balance detected!", "print_unlock_imbalance_bug",
          ("release", "note", "other_info", "held_locks", "backtrace"),
          "{level}: bad unlock balance in {func}", since="v2.6.18",
          fields=("task", "unheld_lock", "unheld_at", "messages"),
          title_rules=(
              # The release site printed under the banner, else the Call Trace.
              _syz("BUG:", "BUG: bad unlock balance detected!", "BUG: bad unlock balance in %[1]v",
                   stack=("{{PC}} +{{FUNC}}",) + _CALL_TRACE_STACK),
              _syz("WARNING:", "WARNING: bad unlock balance detected!", "WARNING: bad unlock balance in %[1]v",
                   stack=("{{PC}} +{{FUNC}}",) + _CALL_TRACE_STACK),
          )),
    _kind("held_lock_freed", r"held lock freed!", "print_freed_lock_bug",
          ("freeing", "held_locks", "backtrace"),
          "{level}: held lock freed in {func}", since="v2.6.18",
          fields=("task", "memory_range", "holding"),
          title_rules=(
              # The held lock's acquire site, as printed.
              _syz("BUG:", "BUG: held lock freed!", "BUG: held lock freed in %[1]v",
                   report=("BUG: held lock freed!", ".*{{PC}} +{{FUNC}}")),
              _syz("WARNING:", "WARNING: held lock freed!", "WARNING: held lock freed in %[1]v",
                   report=("WARNING: held lock freed!", ".*at:(?: {{PC}})? +{{FUNC}}")),
          )),
    _kind("still_held", r"(?:{TASK} still has locks held!|lock held at task exit time!)",
          "print_held_locks_bug", ("exiting", "held_locks", "backtrace"),
          "{level}: still has locks held in {func}", since="v2.6.18", fields=("task", "held_locks"),
          title_rules=(
              # The first held lock's acquire site, as printed.
              _syz("BUG:", "BUG: .*still has locks held!", "BUG: still has locks held in %[1]v",
                   report=("BUG: .*still has locks held!", ".*{{PC}} +{{FUNC}}")),
              _syz("WARNING:", "WARNING: .*still has locks held!", "WARNING: still has locks held in %[1]v",
                   report=("WARNING: .*still has locks held!", ".*at: {{FUNC}}")),
          )),
    _kind("held_on_return", r"lock held when returning to user space!", "lockdep_sys_exit",
          ("exiting", "held_locks"), "{level}: lock held when returning to user space in {func}", since="v2.6.18",
          fields=("task", "held_locks", "messages"),
          title_rules=(
              # The acquire site of held lock #0; the report has no stack.
              _syz("BUG:", "BUG: lock held when returning to user space",
                   "BUG: lock held when returning to user space in %[1]v",
                   report=("BUG: lock held when returning to user space", ".*leaving the kernel with locks still held",
                           ".*at: (?:{{PC}} +)?{{FUNC}}"),
                   no_stack_trace=True),
              _syz("WARNING:", "WARNING: lock held when returning to user space",
                   "WARNING: lock held when returning to user space in %[1]v",
                   report=("WARNING: lock held when returning to user space",
                           ".*leaving the kernel with locks still held", ".*at: (?:{{PC}} +)?{{FUNC}}"),
                   no_stack_trace=True),
          )),
    _kind("suspicious_rcu", r"suspicious (?:RCU usage|rcu_dereference_check\(\) usage)\.?",
          "lockdep_rcu_suspicious", ("rcu_source", "other_info", "held_locks", "backtrace"),
          "{level}: suspicious RCU usage in {func}", since="v2.6.34",
          fields=("source_location", "rcu_message", "rcu_notes", "rcu_scheduler_active", "debug_locks",
                  "held_locks"),
          title_rules=(
              # The report must name the source line; the title blames the first caller on the
              # Call Trace that is not RCU or allocator code.
              _syz("WARNING:", "WARNING: suspicious RCU usage", "WARNING: suspicious RCU usage in %[2]v",
                   report=("WARNING: suspicious RCU usage", ".*?{{SRC}}"),
                   stack=_CALL_TRACE_STACK, skip=("rcu", "kmem", "slab")),
              _syz("INFO:", "INFO: suspicious RCU usage", "INFO: suspicious RCU usage in %[2]v",
                   report=("INFO: suspicious RCU usage", ".*?{{SRC}}"),
                   stack=_CALL_TRACE_STACK, skip=("rcu", "kmem", "slab")),
          )),
    _kind("invalid_wait", r"Invalid wait context", "print_lock_invalid_wait_context",
          ("trying_lock", "other_info", "held_locks", "backtrace"), "WARNING: locking bug in {func}", since="v5.7",
          fields=("task", "acquiring", "wait_context", "held_locks"),
          title_rules=(
              # Titled like a lockdep WARN so that x86 and arm reports of one bug meet.
              _syz("BUG:", "BUG: Invalid wait context", "WARNING: locking bug in %[1]v",
                   stack=_CALL_TRACE_STACK, skip=("lock_sock", "release_sock")),
          )),
    _kind("nested_not_taken", r"Nested lock was not taken", "print_lock_nested_lock_not_held",
          ("trying_lock", "not_holding", "backtrace", "other_info", "held_locks"),
          "WARNING: nested lock was not taken in {func}", since="v2.6.27",
          fields=("task", "acquiring", "unheld_lock", "extra_backtraces"),
          title_rules=(
              _syz("WARNING:", "WARNING: Nested lock was not taken", "WARNING: nested lock was not taken in %[1]v",
                   **_WARNING_STACK),
          )),
    # No row of syzkaller's table matches the next three: it titles them with the banner.
    _kind("bad_contention", r"bad contention detected!", "print_lock_contention_bug",
          ("contend", "note", "other_info", "held_locks", "backtrace"),
          "{banner}", since="v2.6.27", fields=("task", "unheld_lock", "unheld_at", "messages")),
    _kind("chain_key_collision", r"chain_key collision", "print_collision",
          ("collision_task", "collision", "collision_held", "collision_cached", "other_info", "held_locks",
           "backtrace"),
          "{banner}", since="v4.6", fields=("task", "lock_depth", "other_locks", "messages")),
    _kind("non_static_key", r"trying to register non-static key\.?", "register_lock_class",
          ("annotation_hint", "validator_off", "backtrace", "stack_dump"),
          "INFO: trying to register non-static key in {func}", since="v2.6.18", fields=("messages",),
          title_rules=(
              # The first caller on the Call Trace that is not locking code ("lock" anywhere in
              # the name, so also block_* and clock_*) or stack plumbing.
              _syz("INFO:", "INFO: trying to register non-static key", "INFO: trying to register non-static key in %[1]v",
                   stack=_CALL_TRACE_STACK, skip=("stack", "lock", "IRQ")),
          )),
    _kind("lockdep_limit", r"(?P<limit>MAX_\w+) too low!", "print_lockdep_off",
          ("validator_off", "limit_depth", "held_locks", "backtrace", "stack_dump"), "{banner}", since="v2.6.18",
          fields=("limit", "messages", "lock_depth")),
    # A WARN_ON/DEBUG_LOCKS_WARN_ON in lockdep's own code: "WARNING: CPU: 1 PID: 21689 at
    # kernel/locking/lockdep.c:3676 lock_release+0x6e6/0xa40" (kernel/lockdep.c in older trees,
    # "WARNING: kernel/locking/lockdep.c:N at ..., CPU#N: ..." in the newest WARN format), then
    # the WARN's register and stack dump. The DEBUG_LOCKS_WARN_ON(expr) line comes before it.
    _kind("lockdep_warning",
          r"(?:CPU: \d+ PID: \d+ )?at (?P<source>kernel/(?:locking/)?lockdep\.c:\d+) (?P<warn_at>\S.*)"
          # 7.x prints one line: "kernel/locking/lockdep.c:4976 at f+0x122/0x220, CPU#11: mount/1829".
          r"|(?P<source2>kernel/(?:locking/)?lockdep\.c:\d+) at (?P<warn_at2>[^\s,]+)"
          r"(?:, CPU#\d+: {TASK}\s*|.*)",
          "__warn", ("warn_condition", "panic", "modules", "stack_dump", "irq_events"), "WARNING: locking bug in {func}",
          since="v2.6.18", above=("rule", "cut_here", "condition"),
          fields=("condition", "source_location", "warn_at", "context"),
          title_rules=(
              # The trapping function, then the frames after it; else the Call Trace.
              _syz("WARNING:", r"WARNING: .*kernel/locking/lockdep\.c.*lock_", "WARNING: locking bug in %[1]v",
                   skip=("lock_sock", "release_sock"), **_WARNING_STACK),
              # A WARN whose function has no "lock_" in its name is an ordinary "WARNING in F".
              _syz("WARNING:", r"WARNING: {{SRC}} at 0x\d+, CPU#\d+", "WARNING in %[2]v", **_WARNING_STACK),
              _syz("WARNING:", "WARNING: .* at {{SRC}} {{FUNC}}", "WARNING in %[3]v", **_WARNING_STACK),
              _syz("WARNING:", "WARNING: {{SRC}} at {{FUNC}}", "WARNING in %[3]v", **_WARNING_STACK),
              _syz("WARNING:", r"WARNING: \[.*\] {{SRC}} at {{FUNC}}.*", "WARNING in %[3]v", **_WARNING_STACK),
          )),
    # Not a lockdep splat: process_one_work (kernel/workqueue.c) reports a work function that
    # returned with locks held, and prints lockdep's held-lock list. Newer kernels print
    # "leaked atomic, lock or RCU", which no row of syzkaller's table matches.
    # The task: "comm/0x<preempt_count>/pid", or since 5.x "comm[pid]".
    _kind("workqueue_leaked_lock", r"workqueue leaked (?:lock or atomic|atomic, lock or RCU): "
          r"(?:(?P<comm>.+?)(?:/0x[0-9a-f]{1,8}/|\[)(?P<pid>\d+)\]?\s*$|.+)",
          "process_one_work", ("last_function", "held_locks", "stack_dump"),
          "BUG: workqueue leaked lock or atomic in {func}", fields=("task", "held_locks"),
          title_rules=(
              # The work function named on the "last function:" line; no stack needed.
              _syz("BUG:", "BUG: workqueue leaked lock or atomic", "BUG: workqueue leaked lock or atomic in %[1]v",
                   report=("BUG: workqueue leaked lock or atomic", r".*last function: ([a-zA-Z0-9_]+)$"),
                   no_stack_trace=True),
          )),
    # debug_show_all_locks (hung-task detector, SysRq-d, lockdep_limit's MAX_LOCK_DEPTH): one
    # B2 block per task that holds locks, closed by a '=====' rule. Only this header starts a
    # report: a bare "N locks held by" list belongs to whatever report printed it (a BUG, a
    # hung task...) and is not a lockdep report of its own.
    _kind("held_locks_dump", r"Showing all locks held in the system:", "debug_show_all_locks",
          ("dump_held_locks",), "{banner}", since="v2.6.18", framed=False, above=(),
          fields=("held_lock_dumps", "held_locks")),
)


def kind_by_id(kind: str) -> ReportKind:
    """The table entry for ``kind``; raises KeyError naming the known kinds."""
    for entry in KINDS:
        if entry.kind == kind:
            return entry
    raise KeyError(f"unknown report kind {kind!r}; known kinds: {', '.join(k.kind for k in KINDS)}")


class FirstMatch:
    """Which of several regexes is the first to match at the start of a text, in one match.

    An alternation tries its alternatives in order and takes the first that matches, as a
    loop over the regexes does; an empty group closing each alternative says which one it
    was (the last group closed is ``lastindex``). The winner is then matched alone for its
    named groups: one regex cannot hold two groups of one name, so the alternation has
    none. Most texts match no regex, and one failed match replaces one per regex.
    """

    def __init__(self, patterns: Sequence[re.Pattern[str]]) -> None:
        flags = {p.flags for p in patterns}
        if len(flags) > 1 or any("(?P=" in p.pattern or _BACKREF.search(p.pattern) for p in patterns):
            raise ValueError("FirstMatch needs regexes with the same flags and no back-references")
        self.patterns = tuple(patterns)
        #: lastindex of the alternation -> index of the regex that matched.
        self._which: dict[int, int] = {}
        parts = []
        group = 0
        for i, p in enumerate(self.patterns):
            plain = unnamed(p.pattern)
            group += re.compile(plain, p.flags).groups + 1
            self._which[group] = i
            parts.append(f"(?:{plain})()")
        #: The alternation's ``match``: not None when one of the regexes matches.
        self.match_any = re.compile("|".join(parts), flags.pop() if flags else 0).match

    def match(self, text: str) -> tuple[int, re.Match[str]] | None:
        """(index, match) of the first regex that matches at the start of ``text``, or None."""
        m = self.match_any(text)
        return None if m is None else self.resolve(m, text)

    def resolve(self, m: re.Match[str], text: str) -> tuple[int, re.Match[str]]:
        """(index, match) of the regex that made ``match_any(text)`` match (``m``)."""
        i = self._which[m.lastindex]
        return i, self.patterns[i].match(text)


#: A numbered back-reference: its number would be another group's in the alternation.
_BACKREF = re.compile(r"\\[1-9]")
#: A named group's opening, made a plain group where regexes are combined into one.
def match_banner(text: str) -> tuple[ReportKind, re.Match[str]] | None:
    """The first kind whose banner matches ``text``, with the match; None otherwise."""
    if len(text) > 300 or ":" not in text:  # every banner has a colon (a level, or the dump's)
        return None
    found = _BANNERS.match(text)
    if found is None:
        return None
    i, m = found
    return KINDS[i], m


_BANNERS = FirstMatch([entry.banner for entry in KINDS])


#: Fixed text on every banner line, its level: the scanner finds candidate banners in big logs
#: with ``bytes.find`` on these, one pass each at memory speed. Every kernel prints the colon;
#: only :func:`match_banner` also accepts a banner that lost it.
SCAN_ANCHORS: tuple[str, ...] = ("WARNING:", "BUG:", "INFO:") + tuple(
    entry.banner_text for entry in KINDS if not entry.framed)

#: Matched (as bytes) at an anchor: the level and the text of some kind's banner. Cheap enough
#: to run on every anchor hit, so only real banners reach the full :func:`match_banner`.
BANNER_HINT: re.Pattern[bytes] = re.compile(
    ("(?:WARNING:|BUG:|INFO:)\\s+(?:"
     + "|".join(f"(?:{unnamed(entry.banner_text)})" for entry in KINDS if entry.framed) + ")|"
     + "|".join(f"(?:{unnamed(entry.banner_text)})" for entry in KINDS if not entry.framed)).encode())
