"""Where a banner may be in a console log: anchors found at memory speed, checked cheaply.

The kinds' banners (:data:`splatkit.grammar.kinds.KINDS`) all hold one of a few literal
anchors (:data:`~splatkit.grammar.kinds.SCAN_ANCHORS`: ``WARNING:``, ``BUG:``...). A log is
searched for them with the regex engine's literal search; each hit is checked with
:data:`~splatkit.grammar.kinds.BANNER_HINT` where it stands, or on its line joined with the
next ones (a mailer's hard wrap). The lines found are a superset of the banner lines of a
text that is not decoded as a whole; :func:`plain_banner` tells the common case, a banner
that is one console line on its own, without normalising anything around it.

>>> log = b"[ 1.0] boot\\n[ 2.0] WARNING: possible circular locking dependency detected\\n"
>>> anchor_lines(log, 0, len(log), len(log))
[12]
>>> plain_banner("[ 2.0] WARNING: possible circular locking dependency detected")
('circular', 'WARNING: possible circular locking dependency detected')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .grammar.kinds import BANNER_HINT, SCAN_ANCHORS, match_banner
from .grammar.wrappers import COLLAPSED_AT, HARD_WRAP_MAX_LINES, NEWLINE_ESCAPES, TEXT_REPAIRS
from .lines import _strip

__all__ = ["Located", "anchor_lines", "plain_banner"]

_ANCHORS: tuple[bytes, ...] = tuple(a.encode() for a in SCAN_ANCHORS)
_ESCAPES = tuple(escape for _name, escape, _char in NEWLINE_ESCAPES)


def _search_keys(anchors: tuple[bytes, ...]) -> tuple[tuple[re.Pattern[bytes], tuple[bytes, ...]], ...]:
    """What to search a log for: (a literal regex, the anchors it finds).

    Each search reads the whole log once, so anchors that end in the same two bytes
    (``WARNING:`` and ``BUG:`` in ``G:``) are found by one search for those, each hit
    checked against them; the others by a search for themselves. (A literal regex: the
    regex engine finds a literal of two bytes faster than ``bytes.find`` does.)
    """
    by_tail: dict[bytes, list[bytes]] = {}
    for anchor in anchors:
        by_tail.setdefault(anchor[-2:], []).append(anchor)
    keys = []
    for tail, group in by_tail.items():
        if len(group) > 1:
            keys.append((re.compile(re.escape(tail)), tuple(group)))
        else:
            keys.extend((re.compile(re.escape(anchor)), (anchor,)) for anchor in group)
    return tuple(keys)


#: The searches that find every anchor (see _search_keys).
_SEARCH_KEYS = _search_keys(_ANCHORS)


def anchor_lines(buf: bytes | bytearray, start: int, end: int, more: int) -> list[int]:
    """Sorted line-start offsets of the lines in ``buf[start:end]`` that may hold or start a banner.

    A hit of an anchor counts when :data:`BANNER_HINT` matches there, or matches the line
    joined with the next ones (``buf[end:more]`` holds them), as a mailer that wraps long
    lines may have broken it. Every banner of a text that is not decoded as a whole is on a
    line this finds (its anchor is on the line, or on a line it was joined from).
    """
    starts = set()
    for key, anchors in _SEARCH_KEYS:
        for hit in key.finditer(buf, start, end):
            for anchor in anchors:
                i = hit.end() - len(anchor)
                if i < start or not buf.startswith(anchor, i):
                    continue
                if BANNER_HINT.match(buf, i) is not None or _wrapped_banner(buf, i, more):
                    starts.add(buf.rfind(b"\n", 0, i) + 1)
    return sorted(starts)


def _wrapped_banner(buf: bytes | bytearray, at: int, end: int) -> bool:
    """Whether the line from ``at`` joined with the next few reads as a banner (hard wrap)."""
    nl = buf.find(b"\n", at, end)
    if nl == -1:
        return False
    text = bytes(buf[at:nl]).rstrip(b" \t\r")
    for _ in range(HARD_WRAP_MAX_LINES - 1):
        start = nl + 1
        if start >= end:
            return False
        nl = buf.find(b"\n", start, end)
        nl = end if nl == -1 else nl
        piece = bytes(buf[start:nl]).lstrip(b" \t>|").rstrip(b" \t\r").removesuffix(b"^M")
        if not piece:
            return False
        text += b" " + piece
        if BANNER_HINT.match(text) is not None:
            return True
    return False


_REPAIR_HINTS = tuple(repair.hint for repair in TEXT_REPAIRS)


def plain_banner(raw: str) -> tuple[str, str] | None:
    """(kind, banner) of an input line that normalises into one line, a banner; else None.

    Such a line starts a printk record (so it is no piece of a wrapped line), holds no
    newlines a logger escaped or a tool collapsed, and is outside any indentation block.
    """
    if not raw or raw[0] in " \t":
        return None
    text, _names, _caller, record_start, indent = _strip(raw)
    if not record_start or indent is not None or COLLAPSED_AT.search(text) is not None:
        return None
    if any(escape in text for escape in _ESCAPES) or any(hint in text for hint in _REPAIR_HINTS):
        return None
    found = match_banner(text)
    return (found[0].kind, text.strip()) if found is not None else None


@dataclass(frozen=True)
class Located:
    """Where a report starts in a log: what :func:`locate` yields, without parsing the report."""

    kind: str
    line_no: int
    """1-based line number of the banner line in the whole log."""
    offset: int
    """Byte offset of the banner line in the whole log."""
    banner: str
    """The banner line, wrappers stripped."""
