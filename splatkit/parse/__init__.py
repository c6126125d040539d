"""Normalised lines to parsed splats: find every lockdep report and read its sections.

The second stage of the pipeline. A report starts at a banner from
:data:`splatkit.grammar.kinds.KINDS`; its body is read section by section with
the rules in :mod:`splatkit.grammar.sections`. The package holds the code that
acts on each rule and no kernel text: what a report looks like is in the
grammar tables.

- this module finds the reports (banners) and where the next one of each one's printk
  context starts;
- :mod:`.extent` says where a report ends, for the reader, the title and the scanner;
- :mod:`.reader` reads one report line by line, section by section;
- :mod:`.rules` stores what each line rule read;
- :mod:`.build` builds the :class:`~splatkit.model.Splat`, with the notes on what
  could not be read or had to be guessed (:mod:`.notes`);
- :mod:`.terminal` finds a report's lines a terminal cut at its width.

Every line of a report's span ends up in exactly one place: a field of the
:class:`~splatkit.model.Splat` (recorded in ``Splat.line_fields``), the
``interleaved`` lines of another printk context, or ``unrecognised``.
"""

from __future__ import annotations

import os
import re
from typing import Any

from ..grammar import kinds as kinds_table
from ..grammar.kinds import ReportKind, match_banner
from ..grammar.sections import ABOVE_BANNER, ABOVE_LINES
from ..lines import normalize
from ..model import Line, Splat
from .extent import MAX_UNRECOGNISED_RUN, Contexts
from .reader import ReportReader
from .terminal import cut_lines, cut_width

__all__ = ["MAX_UNRECOGNISED_RUN", "parse", "parse_file", "parse_lines"]


def parse(text: str) -> list[Splat]:
    """Find and parse every lockdep report in ``text``.

    ``text`` may be anything: a dmesg, a console log, a mail that quotes a splat.
    Lines outside reports are ignored; lines inside a report that no rule
    accepts are kept in ``Splat.unrecognised``.

    >>> [s.kind for s in parse(seed_text)]
    ['circular']
    >>> parse("no report here")
    []
    """
    return parse_lines(normalize(text))


def parse_file(path: str | os.PathLike[str]) -> list[Splat]:
    """Read ``path`` and parse it; bytes that are not UTF-8 are replaced, never fatal."""
    with open(path, "rb") as f:
        data = f.read()
    return parse(data.decode("utf-8", errors="replace"))


def parse_lines(lines: list[Line]) -> list[Splat]:
    """Parse already normalised lines (see :func:`splatkit.lines.normalize`)."""
    starts = []
    for i, line in enumerate(lines):
        text = line.text
        # Every banner has a colon and one of the scan anchors' words; most lines have neither.
        if ":" not in text or _BANNER_WORD.search(text) is None:
            continue
        found = match_banner(text)
        if found is not None:
            kind, m = found
            above = _above_banner(kind, lines, i)
            starts.append((i, kind, m, above))
    splats = []
    contexts = Contexts(lines) if starts else None
    for (i, kind, m, above), nxt in zip(starts, _next_of_context(lines, starts)):
        # A report ends where the next one of its own printk context starts (.extent).
        limit = max(len(lines) if nxt is None else nxt[0] - len(nxt[3]), i + 1)
        first = i - len(above)
        splat = ReportReader(kind, m.group(0).strip(), lines, first, i, limit, contexts=contexts).read(m, above)
        width = cut_width(list(splat.lines))
        if width is not None:  # read again, the lines a terminal cut mended (see .terminal)
            mended = cut_lines(lines, first, limit, width)
            splat = ReportReader(kind, m.group(0).strip(), mended, first, i, limit, contexts=contexts).read(m, above)
        splats.append(splat)
    return splats


def _next_of_context(lines: list[Line], starts: list[tuple[Any, ...]]) -> list[tuple[Any, ...] | None]:
    """For each report start (its line index first), the next start of its printk context
    (:func:`.extent.same_context`), or None: found from the last start back, once each."""
    nexts: list[tuple[Any, ...] | None] = []
    after: tuple[Any, ...] | None = None  # the next start
    after_none: tuple[Any, ...] | None = None  # the next start on a line without a caller id
    after_caller: dict[str, tuple[Any, ...]] = {}  # the next start of each caller id
    for start in reversed(starts):
        caller = lines[start[0]].caller
        if caller is None:
            nexts.append(after)
            after_none = start
        else:
            found = [s for s in (after_caller.get(caller), after_none) if s is not None]
            nexts.append(min(found, key=lambda s: s[0]) if found else None)
            after_caller[caller] = start
        after = start
    return nexts[::-1]


def _above_banner(kind: ReportKind, lines: list[Line], i: int) -> tuple[tuple[str, Any], ...]:
    """The rules of ``ABOVE_BANNER`` that the lines just above banner ``i`` match, with their
    values, top line first: read upwards while a line matches a rule of ``kind.above`` not
    matched yet, at most ``ABOVE_LINES`` lines."""
    found: list[tuple[str, Any]] = []
    for j in range(i - 1, max(i - 1 - ABOVE_LINES, -1), -1):
        text = lines[j].text
        match = next(((name, value) for name in kind.above if name not in (n for n, _v in found)
                      for value in (ABOVE_BANNER[name].match(text, lines[j].no),) if value is not None), None)
        if match is None:
            break
        found.append(match)
    return tuple(reversed(found))


#: The words of the scanner's anchors (``WARNING``, ``BUG``...): every banner holds one.
_BANNER_WORDS = tuple(anchor.rstrip(":") for anchor in kinds_table.SCAN_ANCHORS)
_BANNER_WORD = re.compile("|".join(re.escape(word) for word in _BANNER_WORDS))
