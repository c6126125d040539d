"""The scanner's reading loop: a log read in chunks, parsed in regions cut at reset lines.

:func:`splatkit.scan.scan` and :func:`~splatkit.scan.locate` drive a :class:`Scanner`. It
holds the log from a cut (:mod:`splatkit.cuts`: the log's start or a reset line) to the
last byte read, and reads it one of three ways:

- a plain log, parsing: the lines that may hold a banner (:func:`splatkit.anchors.anchor_lines`)
  are gathered into clusters (each within :data:`WINDOW_LINES` of the last); a cluster's
  region runs from a reset line before its first to one after where the raw lines suggest
  its last report ends (:meth:`Scanner._hinted_end`), and is normalised and parsed once. A
  report the region cannot settle (it runs on: another context's lines, blanks) is read
  again in a region twice as long;
- a plain log, locating: a banner that is one console line is given out as found; another
  is read in a small region around it;
- a text decoded as a whole: every line is read, region after region of
  :data:`REGION_LINES` lines.

Every region holds exactly the lines the whole log normalises to, so each report is the one
:func:`splatkit.parse` gives for the whole log once the region settles it (see
:meth:`Scanner._read_region`).
"""

from __future__ import annotations

import bisect
import functools
import re
import sys
import warnings
from collections.abc import Iterator
from typing import BinaryIO

from .anchors import Located, anchor_lines, plain_banner
from .cuts import GUARD_LINES, Encodings, lead_lines, may_run_into, starts_afresh
from .grammar.kinds import match_banner
from .grammar.sections import ABOVE_LINES
from .grammar.wrappers import HARD_WRAP_MAX_LINES
from .lines import normalize
from .model import Line, Splat
from .parse import parse_lines
from .parse.extent import MAX_UNRECOGNISED_RUN, Contexts, report_end, same_context
from .titles.stack import in_stack

__all__ = ["LEAD_LINES", "MAX_WINDOW", "REGION_LINES", "WINDOW_LINES", "Scanner"]

#: Banners this many lines apart or closer are read in one region; a report the region
#: cannot settle is read again with at least twice this many lines after its banner. Most
#: reports end within a few hundred lines (:mod:`splatkit.parse.extent`); text far from any
#: banner is never normalised.
WINDOW_LINES = 128
#: A region holds at most about this many lines before it is parsed, however many banners it
#: has (a report that runs on doubles it).
REGION_LINES = 16 * 1024
#: A report's end is counted from its last line, which may come a few lines after its last
#: frame (`` </TASK>``, ``---[ end trace ]---``): the hinted end of a region reads this many
#: lines more (:meth:`Scanner._hinted_end`).
HINT_SLACK = 16
#: The hinted end of a region is at most this many lines after its last banner.
HINT_LINES = 4 * WINDOW_LINES
#: A report still running this many bytes after its banner is given out as read so far (with
#: a warning): what the scanner holds in memory stays bounded by this plus the chunk size.
MAX_WINDOW = 16 << 20
#: A banner line starts at most this many input lines before its anchor's line (a mailer
#: broke it), and each line above it that belongs to it (``ABOVE_LINES``) as many again.
LEAD_LINES = (1 + ABOVE_LINES) * HARD_WRAP_MAX_LINES


def _banner_indexes(lines: list[Line], nos: list[int], splats: list[Splat]) -> list[int]:
    """Index of each splat's banner line in ``lines`` (splats in order, each after the last)."""
    indexes: list[int] = []
    for splat in splats:
        i = max(bisect.bisect_left(nos, splat.span.first_line), indexes[-1] + 1 if indexes else 0)
        while not (":" in lines[i].text and match_banner(lines[i].text) is not None):
            i += 1
        indexes.append(i)
    return indexes


class _Intervals:
    """Disjoint closed intervals of buffer offsets (where walks found no reset line), so
    that no line is tested twice while the scanner waits for a cut."""

    def __init__(self) -> None:
        self.los: list[int] = []
        self.his: list[int] = []

    def around(self, at: int) -> tuple[int, int] | None:
        i = bisect.bisect_right(self.los, at) - 1
        return (self.los[i], self.his[i]) if i >= 0 and at <= self.his[i] else None

    def add(self, lo: int, hi: int) -> None:
        if lo > hi:
            return
        i = bisect.bisect_left(self.his, lo - 1)
        j = bisect.bisect_right(self.los, hi + 1)
        if i < j:
            lo, hi = min(lo, self.los[i]), max(hi, self.his[j - 1])
        self.los[i:j], self.his[i:j] = [lo], [hi]

    def shift(self, cut: int) -> None:
        """The buffer lost its first ``cut`` bytes (``cut`` is no offset inside an interval)."""
        kept = [(lo - cut, hi - cut) for lo, hi in zip(self.los, self.his) if lo > cut]
        self.los, self.his = [lo for lo, _ in kept], [hi for _, hi in kept]


#: A raw line with nothing but (at most) a console prefix: a blank line of a report.
_BLANK_CONSOLE_LINE = re.compile(r"(?:\[[^\]\n]*\]){0,2}\s*")


@functools.lru_cache(maxsize=64)
def _lines_after(count: int) -> re.Pattern[bytes]:
    """``count`` whole lines (matched in C: a region's end is thousands of lines on)."""
    return re.compile(rb"(?:[^\n]*\n){%d}" % count)


class Scanner:
    """The chunked reading loop shared by :func:`scan` and :func:`locate` (module docstring).

    ``buf`` always starts at the log's start or at a reset line (:func:`splatkit.cuts.is_reset_line`),
    so a region cut from it at reset lines normalises exactly as in the whole log.
    """

    def __init__(self, stream: BinaryIO, chunk_size: int, encodings: Encodings, parse: bool) -> None:
        self.stream, self.chunk_size, self.encodings, self.parse = stream, chunk_size, encodings, parse
        self.lead = [*lead_lines(encodings), ""] if encodings.any else []
        self.buf = bytearray()
        self.first_no = 1  # line number of buf[0]
        self.offset = 0  # log offset of buf[0]
        self.at_start = True  # buf[0] is the log's first byte
        self.limit = 0  # buf[:limit] holds whole lines (all of buf at the end of the log)
        self.eof = False
        self.scanned = 0  # anchors were looked for in buf[:scanned]
        self.pending: list[int] = []  # starts of lines that may hold a banner, not read yet
        self.done = (0, 0)  # (line number, piece) of the last banner handled, or past all of a line
        self.reach = REGION_LINES  # lines a decoded text's region reads on (doubles in vain)
        self.after: int | None = None  # lines a region reads after its last banner (None: to the hinted end)
        self._marks: list[tuple[int, int]] = [(0, 1)]  # (offset, line number) where each read began
        self._mark = (0, 1)  # where _no last counted to
        self._no_reset = _Intervals()  # starts of lines known not to be reset lines

    def run(self) -> Iterator[Splat | Located]:
        while not self.eof:
            data = self.stream.read(self.chunk_size)
            start = len(self.buf)
            if data:
                self._marks.append((start, self._no(start)))
                self.buf += data
                nl = self.buf.rfind(b"\n", start)
                if nl != -1:
                    self.limit = nl + 1
            else:
                self.eof = True
                self.limit = len(self.buf)
            if self.encodings.any:
                yield from self._decoded_step()
            elif self.parse:
                yield from self._scan_step()
            else:
                yield from self._locate_step()

    # -- line arithmetic ---------------------------------------------------------------------

    def _no(self, at: int) -> int:
        """Line number of the line starting at offset ``at`` of the buffer (counted from the
        nearest of where it last counted and where a read began)."""
        mark_at, mark_no = self._mark
        off, no = self._marks[bisect.bisect_right(self._marks, (at, sys.maxsize)) - 1]
        if abs(at - mark_at) < at - off:
            off, no = mark_at, mark_no
        no += self.buf.count(b"\n", off, at) if at >= off else -self.buf.count(b"\n", at, off)
        self._mark = (at, no)
        return no

    def _end(self, start: int) -> int:
        nl = self.buf.find(b"\n", start, self.limit)
        return self.limit if nl == -1 else nl

    def _next(self, start: int) -> int:
        return self._end(start) + 1

    def _prev(self, start: int) -> int:
        return self.buf.rfind(b"\n", 0, start - 1) + 1

    def _back(self, start: int, lines: int) -> int:
        for _ in range(lines):
            if start == 0:
                break
            start = self._prev(start)
        return start

    def _raw(self, start: int) -> str:
        return self.buf[start:self._end(start)].decode("utf-8", errors="replace")

    def _last_line(self) -> int:
        """Start of the last whole line held."""
        return self.buf.rfind(b"\n", 0, max(self.limit - 1, 0)) + 1

    def _offset_of(self, no: int, start: int) -> int:
        """Offset of line ``no``, counted on from the line starting at ``start`` (at the end of
        the whole lines held when there are fewer)."""
        lines = no - self._no(start)
        if lines <= 0:
            return start
        m = _lines_after(lines).match(self.buf, start, self.limit)
        return m.end() if m is not None else self.limit

    # -- reset lines -----------------------------------------------------------------------

    def _is_reset(self, start: int) -> bool:
        if start == 0:  # the buffer starts at the log's start or at a reset line
            return True
        if not starts_afresh(self._raw(start), self.encodings):
            return False
        before, at = [], start
        while at > 0 and len(before) < 4 * GUARD_LINES:
            at = self._prev(at)
            before.append(self._raw(at))
        return not may_run_into(before[::-1], self.encodings)

    def _last_reset(self, at: int, above: int = -1) -> int | None:
        """Start of the last reset line at or before ``at`` (a line start) and after ``above``;
        the buffer's start counts as one. None when there is none."""
        start = at
        while start > above:
            known = self._no_reset.around(start)
            if start == 0 or (known is None and self._is_reset(start)):
                break
            start = self._prev(known[0] if known is not None else start)  # (never 0: a reset line)
        found = start if start > above else None
        self._no_reset.add(self._next(found) if found is not None else (self._next(above) if above >= 0 else 0), at)
        return found

    def _next_reset(self, after: int) -> int | None:
        """Start of the first reset line after the line starting at ``after``, among the
        whole lines held; None when there is none yet."""
        first = start = self._next(after)
        last = self._last_line()
        while start <= last and start < self.limit:
            known = self._no_reset.around(start)
            if known is not None:
                start = self._next(known[1])
            elif self._is_reset(start):
                self._no_reset.add(first, start - 1)
                return start
            else:
                start = self._next(start)
        self._no_reset.add(first, last)
        return None

    def _drop(self, cut: int) -> None:
        """Forget ``buf[:cut]`` (``cut`` is a reset line's start)."""
        if cut <= 0:
            return
        no = self._no(cut)
        self.first_no, self.offset, self.at_start = no, self.offset + cut, False
        del self.buf[:cut]
        self.limit -= cut
        self.scanned = max(self.scanned - cut, 0)
        self.pending = [p - cut for p in self.pending if p >= cut]
        self._marks = [(0, no)] + [(off - cut, n) for off, n in self._marks if off > cut]
        self._mark = (0, no)
        self._no_reset.shift(cut)

    def _keep_before(self, start: int) -> None:
        """Drop what no region needs any more: keep from a reset line a few lines before ``start``."""
        self._drop(self._last_reset(self._back(start, LEAD_LINES)) or 0)

    def _done_before(self, end: int) -> None:
        """Every banner before the line starting at ``end`` was handled."""
        self.done = max(self.done, (self._no(end) - 1, sys.maxsize))

    # -- regions ---------------------------------------------------------------------------

    def _region(self, start: int, end: int) -> list[Line]:
        """The normalised lines of ``buf[start:end]`` (cut at reset lines): those of the whole log."""
        text = self.buf[start:end].decode("utf-8", errors="replace")
        no = self._no(start)
        if not self.lead:
            return normalize(text, first_line=no)
        lines = normalize("\n".join(self.lead) + "\n" + text, first_line=no - len(self.lead))
        return [line for line in lines if line.no >= no]

    def _read_region(self, start: int, end: int) -> tuple[list[Splat], int | None]:
        """Parse the region ``buf[start:end]``; (the reports settled in it, the line number of
        the banner of the first that is not, if any).

        A report is settled when the whole log cannot give another one: the region holds
        the lines above its banner and the report's end (:mod:`splatkit.parse.extent`: the
        next banner of its printk context, or the run of its context's lines after it that
        ends it), up to which the reader and the title read; or the region runs to the
        log's end.
        """
        lines = self._region(start, end)
        splats = parse_lines(lines)
        contexts = Contexts(lines)
        nos = [line.no for line in lines]
        starts = _banner_indexes(lines, nos, splats)
        whole_start = start == 0 and self.at_start
        eof = end == len(self.buf) and self.eof
        settled: list[Splat] = []
        for n, (i, splat) in enumerate(zip(starts, splats)):
            if (lines[i].no, lines[i].piece) <= self.done:
                continue
            caller = lines[i].caller
            above = i >= ABOVE_LINES or whole_start
            ok = above and (eof or any(same_context(caller, lines[j].caller) for j in starts[n + 1:])
                            or report_end(lines, caller, bisect.bisect_right(nos, splat.span.last_line) - 1,
                                          len(lines), contexts=contexts) < len(lines))
            if not ok and above and not settled and end - start >= MAX_WINDOW:
                warnings.warn(f"line {lines[i].no}: {splat.kind} report still runs {MAX_WINDOW >> 20} MB after "
                              "its banner; scan gives it as read so far (splatkit.parse reads it whole)",
                              stacklevel=4)
                ok = True
            if not ok:
                return settled, lines[i].no
            settled.append(splat)
            self.done = (lines[i].no, lines[i].piece)
        return settled, None

    def _located(self, start: int, end: int) -> Iterator[Located]:
        """Every banner line of the region ``buf[start:end]`` after ``done``."""
        for line in self._region(start, end):
            found = match_banner(line.text) if (line.no, line.piece) > self.done and ":" in line.text else None
            if found is not None:
                self.done = (line.no, line.piece)
                yield Located(found[0].kind, line.no, self.offset + self._offset_of(line.no, start),
                              line.text.strip())
        self._done_before(end)

    # -- the three ways through a log --------------------------------------------------------

    def _find_pending(self) -> None:
        """Look for anchors in the whole lines not searched yet (but the last few: a wrapped
        banner's check reads the lines after its anchor)."""
        safe = self.limit if self.eof else self._back(self.limit, HARD_WRAP_MAX_LINES - 1)
        if safe > self.scanned:
            self.pending.extend(anchor_lines(self.buf, self.scanned, safe, self.limit))
            self.scanned = safe

    def _cluster_end(self) -> tuple[int, int] | None:
        """Where the region of the first pending anchors should end, and how many lines it reads
        after the last of the anchors that follow each other within WINDOW_LINES lines (and
        within REGION_LINES of the first): up to a reset line ``after`` lines after it, or at
        least to its hinted end. None until the log holds it."""
        last_at = self.pending[0]
        lines = 0  # from the first anchor to the last
        for at in self.pending[1:]:
            if _lines_after(WINDOW_LINES).match(self.buf, last_at, at) is not None:
                break  # (the lines between far anchors are not counted)
            lines += self.buf.count(b"\n", last_at, at)
            if lines >= REGION_LINES:
                break
            last_at = at
        if self.eof:
            return len(self.buf), self.buf.count(b"\n", last_at)
        if self.after is None:
            end = self._hinted_end(last_at)
        else:
            m = _lines_after(self.after).match(self.buf, last_at, self.limit)
            end = m.end() if m is not None else None
        if end is not None and end >= self.limit:
            end = None
        if end is not None and not self._is_reset(end):
            end = self._next_reset(end)
        return None if end is None else (end, self.buf.count(b"\n", last_at, end))

    def _hinted_end(self, at: int) -> int | None:
        """Start of the line after where the report whose anchor is on the line at ``at`` ends,
        as its raw lines suggest: after MAX_UNRECOGNISED_RUN + HINT_SLACK lines in a row that
        are not blank (but for a console prefix) and hold no stack
        (:func:`splatkit.titles.stack.in_stack`), at most HINT_LINES lines on; None when the
        whole lines held end first.

        :func:`splatkit.parse.extent.report_end` says the same of the normalised lines of the
        report's context; these are all the raw lines, so the hint ends no later unless lines
        of the report lost their marks to normalisation. Either way the region's reports are
        only given out when the region holds their end.
        """
        count = 0
        start = self._next(at)
        for _ in range(HINT_LINES // WINDOW_LINES):
            m = _lines_after(WINDOW_LINES).match(self.buf, start, self.limit)
            if m is None:
                return None
            for k, raw in enumerate(self.buf[start:m.end()].decode("utf-8", errors="replace").split("\n")):
                if in_stack(raw):
                    count = 0
                elif _BLANK_CONSOLE_LINE.fullmatch(raw) is None:
                    count += 1
                    if count >= MAX_UNRECOGNISED_RUN + HINT_SLACK:
                        return _lines_after(k + 1).match(self.buf, start).end()
            start = m.end()
        return start  # (reports one after another: the region's reports settle or are read again)

    def _scan_step(self) -> Iterator[Splat]:
        """A plain log, parsing: parse the region of a cluster of anchors once it is held."""
        self._find_pending()
        while self.pending:
            found = self._cluster_end()
            if found is None:
                return  # read on
            end, after = found
            start = self._last_reset(self._back(self.pending[0], LEAD_LINES)) or 0
            settled, unsettled = self._read_region(start, end)
            yield from settled
            if unsettled is None:
                self._done_before(end)
                self.pending = [p for p in self.pending if p >= end]
                self.after = None
                self._keep_before(self.pending[0] if self.pending else end)
                continue
            at = self._offset_of(unsettled, start)
            if self.eof and at == start and not settled:
                raise AssertionError(f"scan: no region can hold line {unsettled} with the line above it")
            self.pending = [at] + [p for p in self.pending if p > at]
            self.after = 2 * max(after, WINDOW_LINES)  # a report that runs on
            self._keep_before(at)
        self._keep_before(self.scanned)

    def _locate_step(self) -> Iterator[Located]:
        """A plain log, locating: most banners are one input line each; a line that may be
        more (wrapped, collapsed, prefixed in another way) is read in a small region."""
        self._find_pending()
        while self.pending:
            at = self.pending[0]
            no = self._no(at)
            plain = plain_banner(self._raw(at)) if (no, 0) > self.done else None
            if plain is not None:
                self.done = (no, sys.maxsize)
                yield Located(plain[0], no, self.offset + at, plain[1])
            elif (no, 0) > self.done:
                end = len(self.buf) if self.eof else self._next_reset(at)
                if end is None:
                    break  # the line may go on: read on
                yield from self._located(self._last_reset(self._back(at, LEAD_LINES)) or 0, end)
            self.pending.pop(0)
        self._keep_before(self.pending[0] if self.pending else self.scanned)

    def _decoded_step(self) -> Iterator[Splat | Located]:
        """A text decoded as a whole: every line is read, region after region."""
        while self.eof or self._no(self.limit) - self.first_no >= self.reach:
            end = len(self.buf) if self.eof else self._last_reset(self._last_line(), above=0)
            if end is None:
                self.reach *= 2
                return
            if self.parse:
                settled, unsettled = self._read_region(0, end)
                yield from settled
            else:
                yield from self._located(0, end)
                settled, unsettled = [], None
            if unsettled is None and self.eof and end == len(self.buf):
                return
            if unsettled is None:
                self._done_before(end)
                self.reach = REGION_LINES
                self._keep_before(end)
                continue
            at = self._offset_of(unsettled, 0)
            if self.eof and at == 0 and not settled:
                raise AssertionError(f"scan: no region can hold line {unsettled} with the line above it")
            self.reach = REGION_LINES if settled else 2 * self.reach
            self._keep_before(at)
