"""When a report was printed: a wall-clock time on its own lines, else the log file's time.

A console log's ``[  123.456789]`` counts seconds since boot and says nothing about the
date; the tools that store logs often add one. The forms below are the wall-clock prefixes
of :mod:`splatkit.grammar.wrappers` (``dmesg -T``, ``--time-format iso``, syslog, the
journal) and syzkaller's own ``2023/05/01 12:00:00``, tried at the start of a report's first
lines (after mail quoting). A time without a zone is taken as UTC; a syslog time has no year
and takes the year of the file's modification time (the year before when that would put it
after the file was last written). A report without any is dated by its file's modification
time, and a report read from standard input by none (``None``: unknown).

>>> report_time(["[Wed Dec 16 13:30:45 2020] WARNING: possible circular locking dependency detected"])
datetime.datetime(2020, 12, 16, 13, 30, 45, tzinfo=datetime.timezone.utc)
>>> report_time(["2016-03-26T20:52:22.526357+01:00 host kernel: ======"])
datetime.datetime(2016, 3, 26, 19, 52, 22, tzinfo=datetime.timezone.utc)
>>> report_time(["[   46.573327] [ BUG: bad unlock balance detected! ]"]) is None
True
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

__all__ = ["LINES_LOOKED_AT", "WALL_CLOCKS", "WallClock", "report_time"]

#: The first lines of a report that are looked at for a time (the banner's and a few after:
#: the rule above a banner is often printed without a prefix in a mail).
LINES_LOOKED_AT = 4
#: Mail quoting and indentation before a prefix.
_LEAD = r"^[>|\s]*"
_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                                       "Nov", "Dec"), start=1)}


@dataclass(frozen=True)
class WallClock:
    """One way a tool writes the time before a kernel line."""

    name: str
    pattern: re.Pattern[str]
    read: Callable[[re.Match[str], datetime | None], datetime | None]
    """The time of a match, in UTC; the file's time (or None) is there for a form without a year."""


def _utc(year: str, month: str | int, day: str, hour: str, minute: str, second: str,
         zone: str | None = None) -> datetime | None:
    try:
        month_no = int(month) if str(month).isdigit() else _MONTHS[str(month)]
        at = datetime(int(year), month_no, int(day), int(hour), int(minute), int(second), tzinfo=timezone.utc)
    except (KeyError, ValueError):  # a month or day that does not exist: not a time
        return None
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        at -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
    return at


def _iso(m: re.Match[str], _file_time: datetime | None) -> datetime | None:
    return _utc(*m.group("y", "mo", "d", "h", "mi", "s"), m.groupdict().get("zone"))


def _dmesg_t(m: re.Match[str], _file_time: datetime | None) -> datetime | None:
    return _utc(*m.group("y", "mon", "d", "h", "mi", "s"))


def _unix(m: re.Match[str], _file_time: datetime | None) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(m.group("epoch")), tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def _syslog(m: re.Match[str], file_time: datetime | None) -> datetime | None:
    if file_time is None:
        return None
    at = _utc(str(file_time.year), *m.group("mon", "d", "h", "mi", "s"))
    if at is not None and at > file_time + timedelta(days=1):
        at = _utc(str(file_time.year - 1), *m.group("mon", "d", "h", "mi", "s"))
    return at


_TIME = r"(?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d)"
_MON = r"(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"

#: The wall-clock forms, tried in this order on each line.
WALL_CLOCKS: tuple[WallClock, ...] = (
    # dmesg --time-format iso, rsyslog and journalctl -o short-iso: 2024-05-07T12:37:01,123456+02:00;
    # journalctl -o short-full: Mon 2024-11-25 09:26:38 CET (the zone name is not read: UTC).
    WallClock("iso", re.compile(_LEAD + r"(?:[A-Z][a-z]{2} )?(?P<y>\d{4})-(?P<mo>\d\d)-(?P<d>\d\d)[T ]" + _TIME
                                + r"(?:[.,]\d+)?(?P<zone>Z|[+-]\d\d:?\d\d)?\b"), _iso),
    # dmesg -T: [Wed Dec 16 13:30:45 2020]
    WallClock("dmesg -T", re.compile(_LEAD + r"\[[A-Z][a-z]{2} " + _MON + r" +(?P<d>\d{1,2}) " + _TIME
                                     + r" (?P<y>\d{4})"), _dmesg_t),
    # syzkaller's programs and tools: 2023/05/01 12:00:00
    WallClock("syzkaller", re.compile(_LEAD + r"(?P<y>\d{4})/(?P<mo>\d\d)/(?P<d>\d\d) " + _TIME), _iso),
    # journalctl -o short-unix: 1732523198.123456 host kernel:
    WallClock("unix", re.compile(_LEAD + r"(?P<epoch>\d{9,11})\.\d+ (?:\S+ )?kernel:"), _unix),
    # syslog and journalctl -o short: May  7 12:37:01 host kernel: (no year)
    WallClock("syslog", re.compile(_LEAD + _MON + r" +(?P<d>\d{1,2}) " + _TIME + r"\b"), _syslog),
)


def report_time(raw_lines: Iterable[str], file_time: datetime | None = None) -> datetime | None:
    """The wall-clock time on the first of ``raw_lines`` (a report's lines as written) that has
    one, in UTC; None when none of the first :data:`LINES_LOOKED_AT` has one.

    >>> import datetime as dt
    >>> report_time(["May  7 12:37:01 host kernel: WARNING: bad unlock balance detected!"],
    ...             dt.datetime(2024, 6, 1, tzinfo=dt.timezone.utc))
    datetime.datetime(2024, 5, 7, 12, 37, 1, tzinfo=datetime.timezone.utc)
    """
    for n, raw in enumerate(raw_lines):
        if n == LINES_LOOKED_AT:
            break
        head = raw[:120]
        for clock in WALL_CLOCKS:
            m = clock.pattern.match(head)
            if m is not None:
                at = clock.read(m, file_time)
                if at is not None:
                    return at
    return None
