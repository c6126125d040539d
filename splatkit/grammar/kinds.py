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
from dataclasses import dataclass

from .sections import SECTIONS
from .tokens import compile

__all__ = ["BANNER", "IDENT", "KINDS", "RULE_DASH", "RULE_EQ", "ReportKind", "kind_by_id", "match_banner", "SCAN_ANCHORS"]

#: The rule lines around a banner.
RULE_EQ = re.compile(r"^\s*={20,}\s*$")
RULE_DASH = re.compile(r"^\s*-{20,}\s*$")

#: The kernel ident line under a banner (print_kernel_ident, 3.5+; without taint 2.6.19-3.4).
IDENT = re.compile(
    r"^(?P<release>\d\S*) (?P<build>\S+)(?:\s+(?P<taint>Not tainted|Tainted:(?: +[A-Z])*))?\s*$"
)

#: How every banner frames its text: "WARNING: x", "[ INFO: x ]", "[ ProveLock INFO: x ]".
BANNER = r"^\[?\s*(?:ProveLock\s+)?(?P<level>INFO|BUG|WARNING):?\s+(?:{text})\s*\]?\s*$"


@dataclass(frozen=True)
class ReportKind:
    kind: str
    """Stable identifier, used in ``Splat.kind`` and the CLI."""
    banner: re.Pattern[str]
    """Matches the banner line (any era) after wrapper stripping."""
    printer: str
    """The kernel function that prints this report (kernel/locking/lockdep.c)."""
    sections: tuple[str, ...]
    """Section names, in printed order."""
    title: str
    """syzkaller-style title; ``{func}`` is the function the report blames, ``{level}`` the banner's level."""
    scenario_columns: tuple[int, ...] = ()
    """CPU column of each printed scenario step, in order (for collapsed columns)."""
    since: str = ""


def _kind(kind: str, text: str, printer: str, sections: tuple[str, ...], title: str,
          scenario_columns: tuple[int, ...] = (), since: str = "") -> ReportKind:
    for name in sections:
        if name not in SECTIONS:
            raise ValueError(f"kind {kind!r} uses unknown section {name!r}")
    return ReportKind(kind, compile(BANNER.replace("{text}", text)), printer, sections, title,
                      scenario_columns, since)


_COMMON_TAIL = ("other_info", "held_locks", "backtrace")

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
    ),
    _kind(
        "recursive",
        r"possible recursive locking detected",
        "print_deadlock_bug",
        ("acquiring", "holding", "other_info", "scenario", "deadlock", "nesting_hint",
         "held_locks", "backtrace"),
        "possible deadlock in {func}",
        scenario_columns=(0, 0),
        since="v2.6.18",
    ),
    _kind("inconsistent_state", r"inconsistent lock state", "print_usage_bug", _COMMON_TAIL,
          "inconsistent lock state in {func}", since="v2.6.18"),
    _kind("irq_inversion", r"possible irq lock inversion dependency detected", "print_irq_inversion_bug",
          _COMMON_TAIL, "possible deadlock in {func}", since="v2.6.18"),
    _kind("irq_safe_unsafe", r"[\w-]+-safe -> [\w-]+-unsafe lock order detected", "print_bad_irq_dependency",
          ("acquiring",) + _COMMON_TAIL, "possible deadlock in {func}", since="v2.6.18"),
    _kind("bad_unlock", r"bad unlock balance detected!", "print_unlock_imbalance_bug", _COMMON_TAIL,
          "{level}: bad unlock balance in {func}", since="v2.6.18"),
    _kind("held_lock_freed", r"held lock freed!", "print_freed_lock_bug", _COMMON_TAIL,
          "{level}: held lock freed in {func}", since="v2.6.18"),
    _kind("still_held", r"(?:.+/\d+ still has locks held!|lock held at task exit time!)",
          "print_held_locks_bug", _COMMON_TAIL, "{level}: still has locks held in {func}", since="v2.6.18"),
    _kind("held_on_return", r"lock held when returning to user space!", "lockdep_sys_exit",
          ("held_locks",), "{level}: lock held when returning to user space in {func}", since="v2.6.18"),
    _kind("suspicious_rcu", r"suspicious (?:RCU usage|rcu_dereference_check\(\) usage)\.?",
          "lockdep_rcu_suspicious", _COMMON_TAIL, "{level}: suspicious RCU usage in {func}", since="v2.6.34"),
    _kind("invalid_wait", r"Invalid wait context", "print_lock_invalid_wait_context",
          ("acquiring",) + _COMMON_TAIL, "WARNING: locking bug in {func}", since="v5.7"),
    _kind("nested_not_taken", r"Nested lock was not taken", "print_lock_nested_lock_not_held",
          _COMMON_TAIL, "WARNING: nested lock was not taken in {func}", since="v2.6.27"),
    _kind("bad_contention", r"bad contention detected!", "print_lock_contention_bug", _COMMON_TAIL,
          "{banner}", since="v2.6.27"),
    _kind("chain_key_collision", r"chain_key collision", "print_collision", _COMMON_TAIL,
          "{banner}", since="v4.6"),
    _kind("non_static_key", r"trying to register non-static key\.?", "register_lock_class",
          ("backtrace",), "INFO: trying to register non-static key in {func}", since="v2.6.18"),
    _kind("lockdep_limit", r"(?:MAX_\w+|MAX_STACK_TRACE_ENTRIES) too low!", "print_lockdep_off",
          ("held_locks", "backtrace"), "{banner}", since="v2.6.18"),
)


def kind_by_id(kind: str) -> ReportKind:
    """The table entry for ``kind``; raises KeyError naming the known kinds."""
    for entry in KINDS:
        if entry.kind == kind:
            return entry
    raise KeyError(f"unknown report kind {kind!r}; known kinds: {', '.join(k.kind for k in KINDS)}")


def match_banner(text: str) -> tuple[ReportKind, re.Match[str]] | None:
    """The first kind whose banner matches ``text``, with the match; None otherwise."""
    if len(text) > 300 or ":" not in text:  # every banner has a level and a colon
        return None
    for entry in KINDS:
        m = entry.banner.match(text)
        if m is not None:
            return entry, m
    return None


#: Fixed text on every banner line (its level, as :data:`BANNER` requires) or on the '====='
#: rule above it. The scanner finds candidate reports in big logs with ``bytes.find`` on these,
#: one pass each at memory speed, then confirms each candidate with the banner grammar.
SCAN_ANCHORS: tuple[str, ...] = ("=====", "WARNING:", "BUG:", "INFO:")
