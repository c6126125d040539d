"""Find lockdep reports in console logs of any size, reading them in chunks.

:func:`splatkit.parse` normalises every line of its input, which is right for a
pasted splat and wrong for a 1 GB console log with a few reports in it. The
scanner reads the log in chunks, looks for the kinds' anchors
(:data:`splatkit.grammar.kinds.SCAN_ANCHORS`) with literal searches at memory speed,
confirms each candidate with the banner grammar, and parses only a window
around each report. Memory stays bounded by the chunk size plus the window;
line numbers stay absolute.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .grammar.kinds import BANNER_HINT, SCAN_ANCHORS, match_banner
from .lines import _strip, normalize
from .model import Splat
from .parse import MAX_UNRECOGNISED_RUN, parse_lines
from .titles import MAX_BLOCK_LINES

__all__ = ["Located", "locate", "scan"]

CHUNK = 8 << 20
#: A report is parsed first from a window of this many lines after its banner (the title reads
#: MAX_BLOCK_LINES of them, and a report ends MAX_UNRECOGNISED_RUN lines after its last one);
#: the window doubles while the report runs on.
WINDOW_LINES = MAX_BLOCK_LINES + MAX_UNRECOGNISED_RUN + 2
#: No report is read past this many bytes from its banner.
MAX_WINDOW = 4 << 20

_ANCHORS: tuple[bytes, ...] = tuple(a.encode() for a in SCAN_ANCHORS)


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


def _banners(buf: bytes, end: int) -> list[int]:
    """Sorted line-start offsets of the banner lines in ``buf[:end]``.

    Each anchor hit is checked with :data:`BANNER_HINT` where it stands, then its
    line (wrappers stripped) with :func:`match_banner`.
    """
    starts = set()
    for key, anchors in _SEARCH_KEYS:
        for hit in key.finditer(buf, 0, end):
            for anchor in anchors:
                i = hit.end() - len(anchor)
                if i < 0 or not buf.startswith(anchor, i) or not BANNER_HINT.match(buf, i):
                    continue
                line_start = buf.rfind(b"\n", 0, i) + 1
                nl = buf.find(b"\n", i, end)
                line = buf[line_start:nl if nl != -1 else end].decode("utf-8", errors="replace")
                if match_banner(_strip(line.rstrip("\r"))[0]) is not None:
                    starts.add(line_start)
    return sorted(starts)


class _LineCounter:
    """Line numbers of offsets in a buffer, counted incrementally (offsets only grow)."""

    def __init__(self, first_line: int) -> None:
        self.offset = 0
        self.line = first_line

    def at(self, buf: bytes, offset: int) -> int:
        self.line += buf.count(b"\n", self.offset, offset)
        self.offset = offset
        return self.line


def _parse_at(buf: bytes, region_start: int, banner_no: int, first_no: int, eof: bool) -> tuple[Splat | None, bool]:
    """Parse the report whose banner is line ``banner_no``; (splat, needs more data).

    The parser ends a report at its end marker or after ``MAX_UNRECOGNISED_RUN``
    foreign lines, and the title reads at most ``MAX_BLOCK_LINES`` lines from the
    banner on, so a window holding both gives the same splat as the whole file would.
    """
    wanted = banner_no - first_no + WINDOW_LINES
    at_most = region_start + MAX_WINDOW
    cap = min(len(buf), at_most)
    while True:
        end, found = _after_lines(buf, region_start, wanted, cap)
        complete = not found and end == len(buf) and eof
        if not found and not complete:  # parse complete lines only
            end = buf.rfind(b"\n", region_start, end) + 1
        text = buf[region_start:end].decode("utf-8", errors="replace")
        lines = normalize(text, first_line=first_no)
        splat = next((s for s in parse_lines(lines)
                      if any(no == banner_no for no, f in s.line_fields if f == "banner")), None)
        last = lines[-1].no if lines else first_no
        settled = splat is None or (last - splat.span.last_line > MAX_UNRECOGNISED_RUN
                                    and last - banner_no + 1 >= MAX_BLOCK_LINES)
        if complete or settled:
            return splat, False
        if not found:
            if cap == at_most:  # MAX_WINDOW read: the report is cut there
                return splat, False
            return None, True  # the next chunk is needed
        wanted *= 2


def _after_lines(buf: bytes, start: int, count: int, cap: int) -> tuple[int, bool]:
    """(offset just after the ``count``-th newline from ``start``, True), or (``cap``, False)
    when ``buf[start:cap]`` holds fewer."""
    at = start
    for _ in range(count):
        nl = buf.find(b"\n", at, cap)
        if nl == -1:
            return cap, False
        at = nl + 1
    return at, True


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


def _chunks(source: str | os.PathLike[str] | BinaryIO, chunk_size: int, parse: bool) -> Iterator[Splat | Located]:
    """The chunked reading loop shared by :func:`scan` and :func:`locate`."""
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as f:
            yield from _chunks(f, chunk_size, parse)
        return
    stream: BinaryIO = source.buffer if isinstance(source, io.TextIOBase) else source  # type: ignore[assignment]
    buf = b""
    base_line = 1  # line number of buf[0]
    base_offset = 0  # file offset of buf[0]
    last_banner_no = 0  # banners at or before this line were handled
    eof = False
    while not eof:
        data = stream.read(chunk_size)
        eof = not data
        buf += data
        # Look for anchors in complete lines only, unless the file has ended.
        limit = len(buf) if eof else buf.rfind(b"\n") + 1
        counter = _LineCounter(base_line)
        # Keep the last complete line for the next round: it may be the rule above a banner.
        keep_from = limit if eof else buf.rfind(b"\n", 0, max(limit - 1, 0)) + 1
        for banner in _banners(buf, limit):
            region_start = buf.rfind(b"\n", 0, max(banner - 1, 0)) + 1 if banner > 0 else 0
            first_no = counter.at(buf, region_start)
            banner_no = first_no + buf.count(b"\n", region_start, banner)
            if banner_no <= last_banner_no:
                continue
            if not parse:
                last_banner_no = banner_no
                nl = buf.find(b"\n", banner, limit)
                text = _strip(buf[banner:nl if nl != -1 else limit].decode("utf-8", errors="replace"))[0]
                found = match_banner(text)
                assert found is not None  # _banners checked it
                yield Located(found[0].kind, banner_no, base_offset + banner, text.strip())
                continue
            splat, more = _parse_at(buf, region_start, banner_no, first_no, eof)
            if more:  # the report runs past what was read: keep it for the next chunk
                keep_from = min(keep_from, region_start)
                break
            last_banner_no = banner_no
            if splat is not None:
                yield splat
        # Drop what is done; keep the tail the next chunk needs.
        base_line = counter.at(buf, keep_from)
        base_offset += keep_from
        buf = buf[keep_from:]


def locate(source: str | os.PathLike[str] | BinaryIO, *, chunk_size: int = CHUNK) -> Iterator[Located]:
    """Yield where every lockdep report of a log starts, without parsing the reports.

    As fast as the log can be searched for :data:`SCAN_ANCHORS`; use it to index
    a big log, then parse the reports you want (or use :func:`scan`).

    >>> import io
    >>> [(r.kind, r.line_no) for r in locate(io.BytesIO(seed_text.encode()))]
    [('circular', 2)]
    """
    for found in _chunks(source, chunk_size, parse=False):
        assert isinstance(found, Located)
        yield found


def scan(source: str | os.PathLike[str] | BinaryIO, *, chunk_size: int = CHUNK) -> Iterator[Splat]:
    """Yield every lockdep report in a log file, in order, reading it ``chunk_size`` bytes at a time.

    ``source`` is a path or a binary file object. Line numbers in the splats are
    those of the whole file, and each splat is the one :func:`splatkit.parse`
    would give for the whole file; memory stays bounded by the chunk size plus
    the largest report window (:data:`MAX_WINDOW`).

    >>> import io
    >>> [s.cycle[0] for s in scan(io.BytesIO(seed_text.encode()))]
    ['kvm_lock']
    """
    for splat in _chunks(source, chunk_size, parse=True):
        assert isinstance(splat, Splat)
        yield splat
