"""Lockdep's messages about itself explained: limits reached, failed self-checks, unregistered keys.

These reports say little about the code that hit them: lockdep ran out of a table, its
own bookkeeping disagreed with reality, or it met a lock whose key it cannot use. A reader
needs what the message means and what to do (the config knob to raise, the missing
``lockdep_register_key()``), and to know that lockdep is off for the rest of the boot, so
later reports are missing. The knowledge is data: :data:`LIMITS` and :data:`CHECKS`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...model import Splat
from .common import backtrace, finish, held_locks_section, kernel_version, site, stack_site
from .document import Bullets, Code, Explanation, Paragraph, Section, para, prose

__all__ = ["CHECKS", "LIMITS", "Check", "check_of", "explain_message"]

#: Each table lockdep can exhaust: (what it holds, what to do on 5.13 and later, what to do before
#: 5.13 (when the CONFIG_LOCKDEP_*_BITS options did not exist), or None when the advice is the same).
LIMITS: dict[str, tuple[str, str, str | None]] = {
    "MAX_LOCKDEP_ENTRIES": ("the dependencies between lock classes", "raise CONFIG_LOCKDEP_BITS",
                            "raise MAX_LOCKDEP_ENTRIES in kernel/locking/lockdep_internals.h (CONFIG_LOCKDEP_BITS "
                            "exists from 5.13), or test on 5.13 or later"),
    "MAX_LOCKDEP_CHAINS": ("the distinct chains of held locks", "raise CONFIG_LOCKDEP_CHAINS_BITS",
                           "raise MAX_LOCKDEP_CHAINS_BITS in kernel/locking/lockdep_internals.h "
                           "(CONFIG_LOCKDEP_CHAINS_BITS exists from 5.13), or test on 5.13 or later"),
    "MAX_LOCKDEP_CHAIN_HLOCKS": ("the held locks of all recorded chains", "raise CONFIG_LOCKDEP_CHAINS_BITS",
                                 "raise MAX_LOCKDEP_CHAINS_BITS in kernel/locking/lockdep_internals.h "
                                 "(CONFIG_LOCKDEP_CHAINS_BITS exists from 5.13), or test on 5.13 or later"),
    "MAX_STACK_TRACE_ENTRIES": ("the saved stack traces of every dependency and usage",
                                "raise CONFIG_LOCKDEP_STACK_TRACE_BITS",
                                "raise MAX_STACK_TRACE_ENTRIES in kernel/locking/lockdep_internals.h "
                                "(CONFIG_LOCKDEP_STACK_TRACE_BITS exists from 5.13), or test on 5.13 or later"),
    "MAX_LOCKDEP_KEYS": ("the lock classes",
                         "look for a class leak (lock keys registered with lockdep_register_key() and never "
                         "unregistered, or a class per dynamically created object); the table size is fixed", None),
    "MAX_LOCK_DEPTH": ("the locks one task may hold at once (48)",
                       "find the loop that takes a lock per object without releasing it; the limit is fixed", None),
}

#: The release that made lockdep's table sizes config options.
_BITS_SINCE = (5, 13)


@dataclass(frozen=True)
class Check:
    """One of lockdep's self-checks: where it fires, what it prints, what it means, what to do."""

    condition: str | None
    """Pattern of the ``DEBUG_LOCKS_WARN_ON(condition)`` it prints; ``""``: it prints none (a
    plain ``WARN()``); None: any."""
    meaning: str
    function: str | None = None
    """Pattern of the function the WARN fires in (``lock_downgrade``); None: any."""
    printed: str | None = None
    """The message lockdep prints at this check just before the WARN (``downgrading a read lock``)."""
    printed_before: tuple[tuple[int, int], str] | None = None
    """(version, message): what kernels older than ``version`` print instead."""
    fix: str | None = None
    """What to do, when more precise than "look at the first frames outside lockdep"."""

    def matches(self, condition: str | None, function: str | None) -> bool:
        if self.condition == "" and condition:
            return False
        if self.condition and not (condition and re.search(self.condition, condition)):
            return False
        return self.function is None or bool(function and re.match(self.function, function))


#: Lockdep's self-checks, first match wins.
CHECKS: tuple[Check, ...] = (
    Check(r"^1$", "a lock was initialised with a lock class key (struct lock_class_key) that is neither in static "
          "memory nor registered: a key in allocated memory that lockdep_register_key() never saw, or one "
          "unregistered or freed before this use",
          function=r"^_*lockdep_init_map\w*$",
          printed="BUG: key \u2026 has not been registered!", printed_before=((5, 1), "BUG: key \u2026 not in .data!"),
          fix="Register a key that lives in allocated memory with lockdep_register_key() before the lock is "
              "initialised (and unregister it with lockdep_unregister_key() before freeing it), or use a static "
              "key"),
    Check("", "the task called downgrade_write() on an rwsem it holds for read: only a write hold can be "
          "downgraded", function=r"^_*lock_downgrade(?:\.\w+)*$", printed="downgrading a read lock",
          fix="Find the path that reaches downgrade_write() after down_read() instead of down_write()"),
    Check(r"class_idx|id\s*>=?\s*MAX_LOCKDEP_KEYS", "the held lock's class index is garbage: the lock's memory is "
          "corrupted, was freed (a use-after-free) or was never initialised",
          fix="Look for a use-after-free or a missing init of the lock used by the code in the stack (KASAN "
              "finds the first); the lock operation touched memory that is not a live lock"),
    Check(r"^1$", "the held lock's class index is garbage (no class in use has it): the lock's memory is "
          "corrupted, was freed (a use-after-free) or was never initialised", function=r"^_*hlock_class$",
          fix="Look for a use-after-free or a missing init of the lock used by the code in the stack (KASAN "
              "finds the first); the lock operation touched memory that is not a live lock"),
    Check(r"depth\s*<=\s*0|!\s*depth|curr->lockdep_depth\s*<=\s*0",
          "a lock was released while the task held none: an unbalanced unlock, like a bad unlock balance report"),
    Check(r"irqs_disabled|hardirqs_enabled|softirqs_enabled|hardirq_context|softirq_context|irq_context",
          "lockdep's record of the interrupt state disagrees with the real one: code that enables or disables "
          "interrupts without telling lockdep (a missing trace_hardirqs_on()/off() in architecture or entry code)"),
    Check(r"hlock_class|chain_key|prev_hlock",
          "a held-lock entry is inconsistent: memory corruption, or a lock used after it was freed"),
    Check(r"lock->magic|magic\s*!=", "the lock was never initialised or was overwritten (its magic does not match)"),
    Check(r"owner|current", "the lock was released by a task other than its owner"),
)


def check_of(splat: Splat) -> Check | None:
    """The self-check a ``lockdep_warning`` report failed, from its condition and the WARN's function."""
    function = splat.warn_at.function if splat.warn_at else None
    return next((c for c in CHECKS if c.matches(splat.condition, function)), None)


def explain_message(splat: Splat) -> Explanation:
    """Explain ``lockdep_limit``, ``lockdep_warning``, ``non_static_key`` and ``chain_key_collision``."""
    where = stack_site(backtrace(splat))
    off = any("turning off the locking correctness validator" in m for m in splat.messages)
    sections: list[Section | None] = []
    if splat.kind == "lockdep_limit":
        table = splat.limit or "a lockdep table"
        holds, todo, before = LIMITS.get(splat.limit or "", ("one of its tables", "raise the matching "
                                                                         "CONFIG_LOCKDEP_* option", None))
        version = kernel_version(splat)
        if before is not None and version is not None and version < _BITS_SINCE:
            todo = before
        elif before is not None and version is None:
            todo = f"{todo} (5.13 and later; before, {before.split(' (')[0][len('raise '):]})"
        summary = para("Lockdep ran out of room in ", Code(table), f", which holds {holds}, and turned itself off. "
                       "This is not a bug in the code that hit it", para(" (", site(where), ")") if where else "",
                       "; it means the kernel exercised more locking than the table was sized for.")
        sections.append(Section("What to do", (para(prose(todo[0].upper() + todo[1:]), ", then run the test again: "
                                                    "every lockdep report after this point is missing."),)))
        if splat.lock_depth:
            sections.append(Section("Depth", (para(f"The task held {splat.lock_depth[0]} locks; the maximum is "
                                                   f"{splat.lock_depth[1]}."),)))
    elif splat.kind == "non_static_key":
        summary = para("Lockdep met a lock whose class key is not in static memory, in ", site(where),
                       ", and turned itself off. Lockdep keys lock classes by the address of a static ",
                       Code("struct lock_class_key"), "; a lock initialised by its init function gets one, a lock "
                       "that was never initialised (or was copied or zeroed) does not.")
        sections.append(Section("What to do", (Bullets((
            para("If the lock lives in allocated memory, make sure its init function (", Code("spin_lock_init()"),
                 ", ", Code("mutex_init()"), ", ", Code("init_rwsem()"), "...) runs before first use, on every "
                 "path that creates the object."),
            para("If the code gives the lock a key in allocated memory on purpose, register the key with ",
                 Code("lockdep_register_key()"), " (and unregister it before freeing)."),
            para("Every lockdep report after this one is missing: fix it first."))),)))
    elif splat.kind == "chain_key_collision":
        summary = para("Lockdep's debug checks (CONFIG_DEBUG_LOCKDEP) found two different chains of held locks "
                       "with the same chain key, in ", site(where), ". This is a problem in lockdep's hashing or "
                       "a corrupted held-lock stack, not a locking bug of the code.")
        held = [(lock.name, _hlock_id(splat, lock.line_no)) for role, lock in splat.other_locks if role == "held"]
        cached = [(lock.name, _hlock_id(splat, lock.line_no)) for role, lock in splat.other_locks
                  if role == "cached"]
        if held or cached:
            blocks: list[Bullets | Paragraph] = [Bullets((para("Held: ", *_ids(held)), para("Cached: ", *_ids(cached))))]
            blocks += _collision_differences(held, cached)
            sections.append(Section("The two chains", tuple(blocks)))
        sections.append(Section("What to do", (para("Report it to the lockdep maintainers with the full report; "
                                                    "check for memory corruption first."),)))
    else:  # lockdep_warning
        condition = splat.condition
        check = check_of(splat)
        at = site(splat.warn_at) if splat.warn_at else para("lockdep")
        summary = para("One of lockdep's own consistency checks failed",
                       para(": ", Code(condition)) if condition else "", " in ", at,
                       para(" (", Code(splat.source_location), ")") if splat.source_location and not (
                           splat.warn_at and splat.source_location in (splat.warn_at.source or "").split()) else "",
                       ", while running ", site(where), ".",
                       _printed(splat, check))
        sections.append(Section("What it usually means", (para(prose(check.meaning[0].upper() + check.meaning[1:] + "."))
                                                           if check else
                                                           para("The report names no condition splatkit knows; "
                                                                "read the check at the source line in the kernel "
                                                                "that printed it."),)))
        todo = para(prose(check.fix + ".")) if check and check.fix else para(
            "Look at the first frames outside lockdep (", site(where), ") for the lock operation that broke the "
            "invariant; an earlier lockdep report in the same log is often the cause.")
        sections.append(Section("What to do", (todo,)))
    if off:
        sections.append(Section("Lockdep is off", (para("Lockdep printed that it turned the locking correctness "
                                                        "validator off: no further lockdep report is printed in "
                                                        "this boot."),)))
    sections.append(held_locks_section(splat))
    return finish(splat, summary, sections)


def _printed(splat: Splat, check: Check | None) -> Paragraph | str:
    """What lockdep prints at the check just before the WARN, for this kernel's version (both
    messages when the version is unknown)."""
    if check is None or not check.printed:
        return ""
    messages = [check.printed]
    if check.printed_before is not None:
        version = kernel_version(splat)
        since, older = check.printed_before
        messages = [check.printed] if version and version >= since else [older] if version else [check.printed, older]
    quoted: list[str | Paragraph] = []
    for i, message in enumerate(messages):
        quoted += [" (before " + ".".join(map(str, check.printed_before[0])) + ": " if i else "", "\u201c",
                   Code(message), "\u201d"]
    return para(" At this check lockdep prints ", *quoted, ")" if len(messages) > 1 else "", " just before the "
                "warning (the line above it in the log).")


#: The id lockdep prints for each lock of a chain key collision: ``hlock_id:13 -> chain_key:...``.
_HLOCK_ID = re.compile(r"hlock_id:(\d+)")

#: hlock_id() is the class index with the read flag above MAX_LOCKDEP_KEYS_BITS (13).
_KEYS_BITS = 13


def _hlock_id(splat: Splat, line_no: int | None) -> int | None:
    text = next((line.text for line in splat.lines if line.no == line_no), "")
    m = _HLOCK_ID.search(text)
    return int(m.group(1)) if m else None


def _ids(items: list[tuple[str, int | None]]) -> list[str | Paragraph]:
    out: list[str | Paragraph] = []
    for i, (name, hid) in enumerate(items):
        out += [", " if i else "", Code(name), f" (id {hid})" if hid is not None else ""]
    return out or ["(not shown)"]


def _collision_differences(held: list[tuple[str, int | None]], cached: list[tuple[str, int | None]]
                           ) -> list[Paragraph]:
    """Where the two chains differ: the same name with another id is another class (or the
    same class taken for read in one chain and for write in the other)."""
    out = []
    for (name, hid), (other, cid) in zip(held, cached):
        if hid is None or cid is None or hid == cid:
            continue
        if name != other:
            out.append(para(Code(name), f" (id {hid}) is held where the cached chain has ", Code(other),
                            f" (id {cid})."))
        elif abs(hid - cid) == 1 << _KEYS_BITS and hid % (1 << _KEYS_BITS) == cid % (1 << _KEYS_BITS):
            out.append(para(Code(name), f" is the same class in both (ids {hid} and {cid} differ only in the read "
                            "flag): it is taken for read in one chain and for write in the other."))
        else:
            out.append(para(Code(name), f" has id {hid} in the held chain and {cid} in the cached one: two distinct "
                            "lock classes with the same name (a key reused for two classes, or freed and registered "
                            "again). The chains differ in class, not in name."))
    if not out and held and cached and len(held) == len(cached):
        out.append(para("The two chains list the same names and ids; the report shows no difference, which points "
                        "to a corrupted held-lock stack or a hash collision."))
    return out


def _names(items: list[str]) -> list[str | Paragraph]:
    out: list[str | Paragraph] = []
    for i, name in enumerate(items):
        out += [", " if i else "", Code(name)]
    return out or ["(not shown)"]
