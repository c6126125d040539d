"""What people paste around kernel console lines, as a table of prefixes to strip.

Each entry names one wrapper and gives the regex of its prefix; ``lines.normalize``
strips them in table order, repeatedly, and records which ones it removed. See
lockdep-format.md §7 (prefixes may combine in this order: quoting, syslog,
timestamp, caller id).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["WRAPPERS", "Wrapper"]


@dataclass(frozen=True)
class Wrapper:
    name: str
    """Recorded in ``Line.wrappers`` and ``Splat.wrappers``."""
    pattern: re.Pattern[str]
    """Matches the prefix at the start of a line; group ``caller`` captures a printk caller id."""
    record_start: bool = False
    """True when the prefix marks the start of a printk record (so unprefixed lines after it
    are continuation lines of that record)."""


def _w(name: str, regex: str, *, record_start: bool = False) -> Wrapper:
    return Wrapper(name, re.compile(regex), record_start)


WRAPPERS: tuple[Wrapper, ...] = (
    # Mail quoting at any depth, "> > >" or ">>>" (§7.1.1).
    _w("quote", r"(?:> ?)+"),
    # Classic syslog: "May  7 12:37:01 host kernel: " (§7.1.2).
    _w("syslog", r"[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ (?:\S+ )?kernel: ", record_start=True),
    # RFC 3339 rsyslog / journalctl -o short-iso: "2016-03-26T20:52:22.526357+00:00 host kernel: ".
    _w("syslog-iso", r"\d{4}-\d\d-\d\dT[\d:.,]+(?:Z|[+-]\d\d:?\d\d)? \S+ kernel: ", record_start=True),
    # dmesg -x / --decode: "kern  :warn  : ".
    _w("dmesg-decode", r"[a-z]+ *:[a-z]+ *: ", record_start=True),
    # Console log level "<4>".
    _w("loglevel", r"<\d>", record_start=True),
    # printk timestamp "[48419.244819]", dmesg -T "[Tue May  7 12:37:01 2024]",
    # dmesg -H "[May 7 12:37]" / "[  +0.000123]" (§7.1.3). An optional caller id may be glued on.
    _w(
        "timestamp",
        r"\[\s*(?:\d+\.\d+|\+\d+\.\d+|<\s*\d+\.\d+>|[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d [\d:]{8} \d{4}"
        r"|[A-Z][a-z]{2}\s?\d{1,2} \d\d:\d\d(?::\d\d)?)\]"
        r"(?:\[\s*(?P<caller>[TC]\d+)\])? ?",
        record_start=True,
    ),
    # Other console output glued in front of a kernel line: "syzkaller login: [   16.305150] INFO: ...".
    _w("glued", r".{1,200}?(?=\[\s*\d+\.\d{6}\](?:\[\s*[TC]\d+\])? )"),
    # printk caller id on its own, CONFIG_PRINTK_CALLER: "[  T125] " or "[    C3] " (§7.1.4).
    _w("caller", r"\[\s*(?P<caller>[TC]\d+)(?::C\d+)?\] ?", record_start=True),
)
