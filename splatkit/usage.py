"""Usage strings and wait types: what ``{+.-.}`` and ``-{3:3}`` mean in a given report.

Lockdep prints a lock class's usage as one character per (irq state, access) pair
(``get_usage_char``/``get_usage_chars`` in kernel/locking/lockdep.c) and, since 5.7,
its wait types as ``-{OUTER:INNER}`` (``print_lock_name``). Neither can be read
without knowing the kernel that printed it (lockdep-format.md §3):

- the usage layout changed twice: 2.6.18-2.6.29 printed 4 characters W,W,R,R with
  ``+`` meaning irq-safe; 2.6.30-4.13 print 6 (HARDIRQ, SOFTIRQ, RECLAIM_FS, each W then
  R) and 4.14+ print 4 (HARDIRQ, SOFTIRQ), both with ``-`` meaning irq-safe. A 4-character
  string alone does not say which era it is from (pitfall 8.1), so the era is decided
  from clues in the report: its banner style, its release string, the case of its
  usage-bit names;
- wait-type numbers depend on ``CONFIG_PROVE_RAW_LOCK_NESTING`` (§3.4): ``{3:3}`` is a
  sleeping lock without it and a ``spinlock_t`` with it. The report itself tells
  which scale it uses when it shows a value that exists in only one of them.

The layouts and scales are data (:data:`USAGE_LAYOUTS`, :data:`WAIT_SCALES`); the parser
records which apply in ``Splat.usage_layout`` and ``Splat.wait_scale``.

>>> [(b.state, b.access, b.meaning) for b in decode_usage("-.+.", "v4.14")]
[('HARDIRQ', 'W', 'irq-safe'), ('HARDIRQ', 'R', 'unused'), ('SOFTIRQ', 'W', 'irq-unsafe'), ('SOFTIRQ', 'R', 'unused')]
>>> wait_type_name(3, "raw_lock_nesting"), wait_type_name(3, "default"), wait_type_name(3, None)
('LD_WAIT_CONFIG', 'LD_WAIT_SLEEP', None)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # (only for annotations: model imports this module to decode usages in to_dict)
    from .model import KernelIdent, LockUse, Splat

__all__ = [
    "USAGE_LAYOUTS",
    "WAIT_SCALES",
    "UsageBit",
    "UsageLayout",
    "WaitEvidence",
    "WaitScale",
    "decode_usage",
    "detect_usage_layout",
    "detect_wait_scale",
    "lock_usage",
    "lock_wait_types",
    "wait_type_name",
]


@dataclass(frozen=True)
class UsageLayout:
    """How one kernel era prints a usage string."""

    name: str
    """Identifier stored in ``Splat.usage_layout``: the first release that printed it."""
    until: str
    """The last release that printed it (empty: still current)."""
    positions: tuple[tuple[str, str], ...]
    """(irq state, ``W`` or ``R``) of each character, in printed order."""
    symbols: dict[str, tuple[bool, bool]]
    """Character -> (used in that irq context, acquired with that irq enabled)."""


#: Modern characters (2.6.30+): '-' irq-safe, '+' irq-unsafe, '?' both (lockdep-design.rst).
_MODERN = {".": (False, False), "-": (True, False), "+": (False, True), "?": (True, True)}
#: 2.6.18-2.6.29 ``get_usage_chars``: '+' USED_IN (irq-safe), '-' ENABLED (irq-unsafe).
_ORIGINAL = {".": (False, False), "+": (True, False), "-": (False, True), "?": (True, True)}

USAGE_LAYOUTS: dict[str, UsageLayout] = {
    layout.name: layout
    for layout in (
        UsageLayout("v2.6.18", "v2.6.29",
                    (("HARDIRQ", "W"), ("SOFTIRQ", "W"), ("HARDIRQ", "R"), ("SOFTIRQ", "R")), _ORIGINAL),
        UsageLayout("v2.6.30", "v4.13",
                    (("HARDIRQ", "W"), ("HARDIRQ", "R"), ("SOFTIRQ", "W"), ("SOFTIRQ", "R"),
                     ("RECLAIM_FS", "W"), ("RECLAIM_FS", "R")), _MODERN),
        UsageLayout("v4.14", "",
                    (("HARDIRQ", "W"), ("HARDIRQ", "R"), ("SOFTIRQ", "W"), ("SOFTIRQ", "R")), _MODERN),
    )
}


@dataclass(frozen=True)
class UsageBit:
    """One character of a usage string, decoded."""

    state: str
    """The irq state: ``HARDIRQ``, ``SOFTIRQ`` or ``RECLAIM_FS``."""
    access: str
    """``W`` (exclusive) or ``R`` (read)."""
    used_in: bool
    """The lock was taken in this irq context (USED_IN: irq-safe)."""
    enabled: bool
    """The lock was taken with this irq enabled (ENABLED: irq-unsafe)."""
    char: str
    """The character as printed."""

    @property
    def meaning(self) -> str:
        """``irq-safe``, ``irq-unsafe``, ``both`` or ``unused``."""
        if self.used_in and self.enabled:
            return "both"
        return "irq-safe" if self.used_in else "irq-unsafe" if self.enabled else "unused"

    def to_dict(self) -> dict[str, Any]:
        return {"state": self.state, "access": self.access, "char": self.char, "used_in": self.used_in,
                "enabled": self.enabled, "meaning": self.meaning}


def decode_usage(usage: str, layout: str) -> tuple[UsageBit, ...]:
    """Decode ``usage`` (the characters inside ``{}``) with the layout named ``layout``.

    Parameters
    ----------
    usage : str
        The 4- or 6-character string printed inside ``{}`` (``+.+.``, ``-.-...``).
    layout : str
        A key of :data:`USAGE_LAYOUTS`, usually ``Splat.usage_layout``.

    Raises
    ------
    ValueError
        When the string's length or characters do not fit the layout.

    >>> [b.meaning for b in decode_usage("+.-.", "v2.6.18")]
    ['irq-safe', 'unused', 'irq-unsafe', 'unused']
    >>> decode_usage("+.+.", "v2.6.30")
    Traceback (most recent call last):
    ...
    ValueError: usage '+.+.' has 4 characters; layout v2.6.30 prints 6
    """
    entry = USAGE_LAYOUTS[layout]
    if len(usage) != len(entry.positions):
        raise ValueError(f"usage {usage!r} has {len(usage)} characters; layout {layout} prints {len(entry.positions)}")
    bits = []
    for char, (state, access) in zip(usage, entry.positions):
        if char not in entry.symbols:
            raise ValueError(f"usage {usage!r}: {char!r} is not a usage character")
        used_in, enabled = entry.symbols[char]
        bits.append(UsageBit(state, access, used_in, enabled, char))
    return tuple(bits)


#: Release strings: "2.6.29-rc3", "4.14.176-syzkaller", "6.9.0-smp-...".
_RELEASE = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?")
#: 2.6.18-2.6.29 usage-bit names are lower case: "{in-softirq-W}", "hardirq-on-R", "initial-use ".
_OLD_USAGE_NAME = re.compile(r"^(?:in-)?(?:hard|soft)irq|^initial-use")
#: The bracketed banner style, printed up to 4.10.
_BRACKETED = re.compile(r"^\[\s*(?:ProveLock\s+)?(?:INFO|BUG|WARNING)")


def _release(kernel: KernelIdent | None, release: str | None = None) -> tuple[int, int, int] | None:
    text = release or (kernel.release if kernel else None)
    m = _RELEASE.match(text or "")
    if m is None:
        return None
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)


def detect_usage_layout(banner: str, kernel: KernelIdent | None, usage_change: tuple[str, str] | None,
                        usages: list[str], *, kind_since: str = "") -> str | None:
    """The :data:`USAGE_LAYOUTS` key for a report, from its era clues; None when undecidable.

    Never from the length of a 4-character string alone (pitfall 8.1): a 6-character
    string, the release on the ident line, lower-case usage-bit names, and the banner
    style (bracketed up to 4.10, ``WARNING:`` from 4.11) decide.

    >>> detect_usage_layout("WARNING: inconsistent lock state", None, None, ["+.+."])
    'v4.14'
    >>> detect_usage_layout("[ INFO: inconsistent lock state ]", None, ("in-softirq-W", "softirq-on-W"), ["+..."])
    'v2.6.18'
    >>> detect_usage_layout("[ INFO: possible recursive locking detected ]", None, None, ["+.+."])
    'v2.6.18'
    >>> detect_usage_layout("Showing all locks held in the system:", None, None, ["+.+."]) is None
    True
    """
    lengths = {len(u) for u in usages}
    if 6 in lengths:
        return "v2.6.30"
    if usage_change and any(_OLD_USAGE_NAME.match(name) for name in usage_change):
        return "v2.6.18"
    release = _release(kernel)
    if release is not None:
        if release < (2, 6, 30):
            return "v2.6.18"
        if release < (4, 14, 0):
            return "v2.6.30" if not lengths or lengths == {6} else None
        return "v4.14"
    if not lengths or lengths - {4}:
        return None
    if _BRACKETED.match(banner):
        # Bracketed banners ended in 4.10, before the 4-character layout came back; only
        # reports added after 2.6.29 that kept brackets (invalid_wait, 5.7+) are modern.
        since = _release(None, kind_since.lstrip("v"))
        return "v4.14" if since is not None and since >= (4, 14, 0) else "v2.6.18"
    if banner.startswith(("WARNING:", "BUG:", "INFO:")):
        return "v4.14"
    return None


@dataclass(frozen=True)
class WaitScale:
    """How one kernel config numbers ``enum lockdep_wait_type`` (include/linux/lockdep_types.h)."""

    name: str
    """Identifier stored in ``Splat.wait_scale``."""
    names: tuple[str, ...]
    """The enum names by value."""


WAIT_SCALES: dict[str, WaitScale] = {
    scale.name: scale
    for scale in (
        # LD_WAIT_CONFIG = LD_WAIT_SPIN without CONFIG_PROVE_RAW_LOCK_NESTING.
        WaitScale("default", ("LD_WAIT_INV", "LD_WAIT_FREE", "LD_WAIT_SPIN", "LD_WAIT_SLEEP", "LD_WAIT_MAX")),
        WaitScale("raw_lock_nesting", ("LD_WAIT_INV", "LD_WAIT_FREE", "LD_WAIT_SPIN", "LD_WAIT_CONFIG",
                                       "LD_WAIT_SLEEP", "LD_WAIT_MAX")),
    )
}

#: Values that name the same type on every scale.
_SHARED_WAIT_VALUES = 3


def wait_type_name(value: int, scale: str | None) -> str | None:
    """The ``LD_WAIT_*`` name of a wait-type number on ``scale``; None when it cannot be known.

    Values 0-2 mean the same on both scales; 3 and up need the scale.

    >>> wait_type_name(2, None)
    'LD_WAIT_SPIN'
    """
    if scale is None:
        names = WAIT_SCALES["default"].names
        return names[value] if 0 <= value < _SHARED_WAIT_VALUES else None
    names = WAIT_SCALES[scale].names
    return names[value] if 0 <= value < len(names) else None


@dataclass(frozen=True)
class WaitEvidence:
    """What a report shows about its wait-type scale."""

    waits: tuple[tuple[str, tuple[int, int]], ...]
    """(lock name, (outer, inner)) of every lock printed with wait types."""
    context: tuple[int, int] | None = None
    """``context-{X:Y}`` (invalid_wait), when printed."""
    release: str | None = None
    """The kernel release, when printed."""


def detect_wait_scale(evidence: WaitEvidence) -> str | None:
    """``raw_lock_nesting``, ``default``, or None when nothing in the report decides.

    A value of 5, a lock at 4 (only ``LD_WAIT_SLEEP`` is 4 there; without the option 4 is
    ``LD_WAIT_MAX``, which no lock has) or a 6.13+ release (the option is on with
    PROVE_LOCKING since 560af5dc839e) mean the shifted scale; ``context-{4:4}`` means the
    default one (a task context is ``LD_WAIT_MAX``, 4 or 5). ``{3:3}`` alone decides nothing.

    >>> detect_wait_scale(WaitEvidence((("&mm->mmap_lock", (4, 4)),)))
    'raw_lock_nesting'
    >>> detect_wait_scale(WaitEvidence((("&mm->mmap_lock", (3, 3)),), context=(4, 4)))
    'default'
    >>> detect_wait_scale(WaitEvidence((("&mm->mmap_lock", (3, 3)),))) is None
    True
    """
    if evidence.context is not None:
        if max(evidence.context) >= 5:
            return "raw_lock_nesting"
        if evidence.context == (4, 4):
            return "default"
    if any(max(wait) >= 4 for _, wait in evidence.waits):
        return "raw_lock_nesting"
    release = _release(None, evidence.release)
    if release is not None and release >= (6, 13, 0):
        return "raw_lock_nesting"
    return None


def lock_usage(splat: Splat, lock: LockUse) -> tuple[UsageBit, ...] | None:
    """``lock``'s usage decoded with ``splat``'s era; None when the era or the usage is unknown."""
    if lock.usage is None or splat.usage_layout is None:
        return None
    try:
        return decode_usage(lock.usage, splat.usage_layout)
    except ValueError:
        return None


def lock_wait_types(splat: Splat, lock: LockUse) -> tuple[str | None, str | None] | None:
    """``lock``'s (outer, inner) wait types named on ``splat``'s scale; None when not printed."""
    if lock.wait is None:
        return None
    return wait_type_name(lock.wait[0], splat.wait_scale), wait_type_name(lock.wait[1], splat.wait_scale)
