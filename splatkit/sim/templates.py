"""The text of every report the simulator prints, as data: one title and one body per kind.

A body is the sequence of lines the kernel printer writes after the banner
(kernel/locking/lockdep.c, the ``print_*`` function named in each entry). A line is
literal text with ``{field}`` substitutions, or a whole-line ``{=block}`` that
:mod:`splatkit.sim.report` expands into lines (a lock, a stack, the held locks, a
scenario). What differs between eras lives in the blocks and in :mod:`splatkit.sim.eras`.

>>> TITLES["circular"].banner(bracketed=True)
'[ INFO: possible circular locking dependency detected ]'
>>> TITLES["irq_safe_unsafe"].rule(bracketed=False)
53
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BODIES", "TITLES", "Title"]


@dataclass(frozen=True)
class Title:
    """A report's banner: its text in both styles, and the length of the rules around it."""

    text: str
    """The title after ``WARNING: `` (fields: ``{irqclass}``, ``{task}``)."""
    level: str
    """``INFO`` or ``BUG``: the word of the bracketed style (≤4.10)."""
    fixed_rule: int | None = None
    """The rule length when the title's is not its own length (titles with a field)."""
    always_bracketed: bool = False
    """Reports added after 4.11 that kept the bracketed style (invalid wait context)."""
    old_text: str | None = None
    """The bracketed title when its words differed."""

    def banner(self, *, bracketed: bool, **fields: str) -> str:
        if bracketed or self.always_bracketed:
            return f"[ {self.level}: {(self.old_text or self.text).format(**fields)} ]"
        return f"WARNING: {self.text.format(**fields)}"

    def rule(self, *, bracketed: bool, **fields: str) -> int:
        if self.fixed_rule is not None:
            return self.fixed_rule + (1 if bracketed and not self.always_bracketed else 0)
        return len(self.banner(bracketed=bracketed, **fields))


#: Banner titles by report kind (lockdep-format.md §1.0.2).
TITLES: dict[str, Title] = {
    "circular": Title("possible circular locking dependency detected", "INFO"),
    "recursive": Title("possible recursive locking detected", "INFO"),
    "inconsistent_state": Title("inconsistent lock state", "INFO"),
    "irq_inversion": Title("possible irq lock inversion dependency detected", "INFO"),
    "irq_safe_unsafe": Title("{irqclass}-safe -> {irqclass}-unsafe lock order detected", "INFO", fixed_rule=53),
    "bad_unlock": Title("bad unlock balance detected!", "BUG"),
    "held_lock_freed": Title("held lock freed!", "BUG"),
    "still_held": Title("{task} still has locks held!", "BUG", fixed_rule=36),
    "held_on_return": Title("lock held when returning to user space!", "BUG"),
    "invalid_wait": Title("Invalid wait context", "BUG", always_bracketed=True),
    "nested_not_taken": Title("Nested lock was not taken", "BUG"),
    "suspicious_rcu": Title("suspicious RCU usage", "INFO", old_text="suspicious RCU usage."),
}

_TAIL = ("{=held}", "", "stack backtrace:", "{=backtrace}")

#: Report bodies by kind, after the banner's second rule.
BODIES: dict[str, tuple[str, ...]] = {
    # print_circular_bug_header, print_circular_bug_entry, print_circular_lock_scenario
    "circular": (
        "{task} is trying to acquire lock:", "{=lock}", "",
        "but task is already holding lock:", "{=prev}", "",
        "which lock already depends on the new lock.", "", "",
        "the existing dependency chain (in reverse order) is:", "{=chain}", "",
        "other info that might help us debug this:", "", "{=circular_scenario}", *_TAIL),
    # print_deadlock_bug, print_deadlock_scenario
    "recursive": (
        "{task} is trying to acquire lock:", "{=lock}", "",
        "but task is already holding lock:", "{=prev}", "",
        "other info that might help us debug this:", "{=deadlock_scenario}", *_TAIL),
    # print_usage_bug, print_irqtrace_events, print_usage_bug_scenario
    "inconsistent_state": (
        "inconsistent {{{prev_bit}}} -> {{{new_bit}}} usage.",
        "{task} {irq} takes:", "{=lock}",
        "{{{prev_bit}}} state was registered at:", "{=registered}", "{=irq_events}", "",
        "other info that might help us debug this:", "{=usage_scenario}", *_TAIL),
    # print_irq_inversion_bug, print_irq_lock_scenario, print_shortest_lock_dependencies
    "irq_inversion": (
        "{task} just changed the state of lock:", "{=lock}",
        "{inversion_sentence}", "{=other}", "",
        "and interrupts could create inverse lock ordering between them.", "", "",
        "other info that might help us debug this:", "{=irq_scenario}", "{=held}", "",
        "the shortest dependencies between 2nd lock and 1st lock:", "{=inversion_path}", "",
        "stack backtrace:", "{=backtrace}"),
    # print_bad_irq_dependency
    "irq_safe_unsafe": (
        "{task} {irq} is trying to acquire:", "{=lock}", "",
        "and this task is already holding:", "{=prev}",
        "which would create a new lock dependency:", "{=new_dependency}", "",
        "but this new dependency connects a {irqclass}-irq-safe lock:", "{=safe}", "",
        "... which became {irqclass}-irq-safe at:", "{=safe_trace}", "",
        "to a {irqclass}-irq-unsafe lock:", "{=unsafe}", "",
        "... which became {irqclass}-irq-unsafe at:", "{=unsafe_trace}", "",
        "other info that might help us debug this:", "", "{=irq_scenario}", "{=held}", "",
        "the dependencies between {irqclass}-irq-safe lock and the holding lock:", "{=safe_path}", "",
        "{=unsafe_path_header}", "{=unsafe_path}", "",
        "stack backtrace:", "{=backtrace}"),
    # print_unlock_imbalance_bug
    "bad_unlock": (
        "{task} is trying to release lock ({instance}) at:", "{=release_at}",
        "but there are no more locks to release!", "",
        "other info that might help us debug this:", *_TAIL),
    # print_freed_lock_bug
    "held_lock_freed": (
        "{task} is freeing memory {memory}, with a lock still held there!", "{=lock}", *_TAIL),
    # print_held_locks_bug
    "still_held": _TAIL,
    # lockdep_sys_exit: no backtrace
    "held_on_return": ("{task} is leaving the kernel with locks still held!", "{=held}"),
    # print_lock_invalid_wait_context: no blank lines
    "invalid_wait": (
        "{task} is trying to lock:", "{=lock}", "other info that might help us debug this:",
        "context-{{{context}:{context}}}", "{=held}", "stack backtrace:", "{=backtrace}"),
    # print_lock_nested_lock_not_held: the stack is printed twice
    "nested_not_taken": (
        "{task} is trying to lock:", "{=lock}", "",
        "but this task is not holding:", "{nest}", "",
        "stack backtrace:", "{=backtrace}", "",
        "other info that might help us debug this:", *_TAIL),
    # lockdep_rcu_suspicious
    "suspicious_rcu": (
        "{where} {message}", "", "other info that might help us debug this:", "", "",
        "rcu_scheduler_active = 2, debug_locks = 1", *_TAIL),
}
