"""Kernel eras a report can be printed in: one row per era, what changed in the text.

The shape of lockdep's text moved over the years (lockdep-format.md §6): bracketed
``[ INFO: ... ]`` banners gave way to ``WARNING:`` in 4.11; the usage string had six
characters (with RECLAIM_FS) from 2.6.30 to 4.13 and four since 4.14; instance addresses
appeared in 4.17 (hashed until 5.3); ``[<address>]`` left the saved stacks around 4.15;
wait types ``-{O:I}`` and the invalid-wait-context report came in 5.7; ``<TASK>``
markers around 5.16; ``rlock(``/``sync(`` in scenarios in 6.4;
``PROVE_RAW_LOCK_NESTING`` went on by default in 6.13, shifting the wait numbers.
An era is a set of such facts, and the printer reads them; nothing compares versions.

>>> ERAS["3.10"].usage_states, ERAS["6.13"].wait_types
(('HARDIRQ', 'SOFTIRQ', 'RECLAIM_FS'), True)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_ERA", "ERAS", "Era", "era"]


@dataclass(frozen=True)
class Era:
    """What the kernel of one era prints differently."""

    name: str
    release: str
    """The release the ident line and ``CPU:`` line show."""
    bracketed: bool
    """``[ INFO: ... ]`` / ``[ BUG: ... ]`` banners (2.6.18-4.10) instead of ``WARNING: ...``."""
    usage_states: tuple[str, ...]
    """The irq states of the usage string, each a write and a read character."""
    wait_types: bool
    """``-{O:I}`` after every lock, and the wait-context check with its report (5.7+)."""
    raw_lock_nesting: bool
    """``PROVE_RAW_LOCK_NESTING`` by default (6.13+)."""
    instance: str
    """Before a held lock's name: ``none`` (≤4.16), ``hashed`` (4.17-5.2) or ``full`` (5.3+)."""
    addresses: bool
    """``[<address>] `` before symbols in saved stacks, ``, at:`` and the Call Trace (≤4.14)."""
    task_markers: bool
    """``<TASK>`` / ``</TASK>`` around the Call Trace (≈5.16+)."""
    sync_scenario: bool
    """``rlock(`` and ``sync(`` in the circular scenario (6.4+)."""
    backwards_paths: bool
    """``print_shortest_lock_dependencies_backwards`` for the safe lock's path (6.x)."""
    split_phrases: bool
    """4.9+ (KERN_CONT): ``...`` alone before the unsafe trace, and the second dependency
    header over two lines."""
    dump_stack_lvl: bool
    """The backtrace starts in ``dump_stack_lvl`` (5.13+) rather than ``dump_stack``."""


def _era(name: str, release: str, **facts) -> tuple[str, Era]:
    return name, Era(name, release, **facts)


ERAS: dict[str, Era] = dict([
    _era("3.10", "3.10.0-sim", bracketed=True, usage_states=("HARDIRQ", "SOFTIRQ", "RECLAIM_FS"),
         wait_types=False, raw_lock_nesting=False, instance="none", addresses=True, task_markers=False,
         sync_scenario=False, backwards_paths=False, split_phrases=False, dump_stack_lvl=False),
    _era("4.19", "4.19.0-sim", bracketed=False, usage_states=("HARDIRQ", "SOFTIRQ"), wait_types=False,
         raw_lock_nesting=False, instance="hashed", addresses=False, task_markers=False, sync_scenario=False,
         backwards_paths=False, split_phrases=True, dump_stack_lvl=False),
    _era("5.10", "5.10.0-sim", bracketed=False, usage_states=("HARDIRQ", "SOFTIRQ"), wait_types=True,
         raw_lock_nesting=False, instance="full", addresses=False, task_markers=False, sync_scenario=False,
         backwards_paths=False, split_phrases=True, dump_stack_lvl=True),
    _era("6.9", "6.9.0-sim", bracketed=False, usage_states=("HARDIRQ", "SOFTIRQ"), wait_types=True,
         raw_lock_nesting=False, instance="full", addresses=False, task_markers=True, sync_scenario=True,
         backwards_paths=True, split_phrases=True, dump_stack_lvl=True),
    _era("6.13", "6.13.0-sim", bracketed=False, usage_states=("HARDIRQ", "SOFTIRQ"), wait_types=True,
         raw_lock_nesting=True, instance="full", addresses=False, task_markers=True, sync_scenario=True,
         backwards_paths=True, split_phrases=True, dump_stack_lvl=True),
])

#: The era reports are printed in unless another is asked for.
DEFAULT_ERA = "6.13"


def era(name: str | Era | None = None) -> Era:
    """The era called ``name`` (default :data:`DEFAULT_ERA`).

    Raises
    ------
    ValueError
        For an unknown name; the message lists the known ones.
    """
    if isinstance(name, Era):
        return name
    try:
        return ERAS[name or DEFAULT_ERA]
    except KeyError:
        raise ValueError(f"unknown era {name!r}; choose one of {', '.join(ERAS)}") from None
