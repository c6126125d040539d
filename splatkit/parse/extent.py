"""Where a report ends: one rule for the reader, the title and the scanner.

A report's lines start at its banner (with the line above it that belongs to it) and
end at the first of:

1. the next report of its printk context (:func:`same_context`): the next banner on a
   line with the report's caller id, or with none (the line above that banner goes with
   it). With caller ids, another task's or CPU's report may be printed in the middle of
   this one, so its banner ends nothing;
2. a run of :data:`MAX_UNRECOGNISED_RUN` non-blank lines of the report's context, after
   its last read line, none of which holds a stack's frame or start (:func:`report_end`).
   The reader gives up on a report after that many lines it cannot read (sooner when the
   grammar says the report is over); a stack it could not read (a part of another
   kernel's format, another crash that broke the report off) is still the report's for
   its title, and a run of other text is not;
3. a run of :data:`MAX_FOREIGN_RUN` lines of other printk contexts after a line of its
   own: a report is printed in one go, and another task that prints that much meanwhile
   is not in the middle of it. (Without this, whether a report goes on would depend on
   whether its task ever prints again, up to the log's end: a scan could not tell a
   report from a log where each report is another task's without reading to the end.)

The reader (:mod:`.reader`) reads sections up to the end. syzkaller's title rules
(:func:`splatkit.titles.syzkaller_title`) read the lines up to it too, and no more than
:data:`~splatkit.titles.MAX_BLOCK_LINES` from the banner: so a report's title is the same
alone and in a log of many reports, and costs what the report costs (syzkaller reads to
the end of the log; the lines after a report's last one are where it finds the stack of a
report that another crash broke off). The scanner (:mod:`splatkit.scanner`) gives out a
report once the region it parsed holds the end.

>>> from splatkit.lines import normalize
>>> lines = normalize("[ 1.0][ T1] WARNING: x\\n[ 1.1][ T2] other\\n[ 1.2][ T1] y\\n[ 1.3][ T1] z")
>>> report_end(lines, caller="T1", last=0, limit=len(lines), run=2)  # after the second T1 line
4
"""

from __future__ import annotations

import bisect
import operator
from collections.abc import Iterator, Sequence

from ..grammar.tokens import MAX_LINE
from ..model import Line
from ..titles.stack import in_stack

__all__ = ["MAX_FOREIGN_RUN", "MAX_UNRECOGNISED_RUN", "Contexts", "report_end", "same_context"]

#: This many unrecognised lines in a row, before the last section, end a report as truncated.
MAX_UNRECOGNISED_RUN = 40
#: This many lines of other printk contexts in a row end a report (another task's report, all
#: the CPUs' backtraces fit in between).
MAX_FOREIGN_RUN = 4096


def same_context(caller: str | None, other: str | None) -> bool:
    """Whether a line whose caller id is ``other`` may be a line of a report whose banner's is
    ``caller``: the same id, or either line has none.

    >>> same_context("T1", "T1"), same_context("T1", None), same_context("T1", "T2")
    (True, True, False)
    """
    return caller is None or other is None or other == caller


def report_end(lines: Sequence[Line], caller: str | None, last: int, limit: int,
               run: int = MAX_UNRECOGNISED_RUN, contexts: Contexts | None = None) -> int:
    """Index after the end of a report whose last line is ``lines[last]`` (rules 2 and 3 of
    the module docstring): after ``run`` non-blank lines in a row of the context of
    ``caller`` that hold no stack (:func:`splatkit.titles.stack.in_stack`), or after
    MAX_FOREIGN_RUN lines in a row of other contexts; or ``limit`` (where the next report
    of its context starts) when that comes first. ``contexts`` (of ``lines``) spares reading
    the lines of other contexts."""
    count = 0
    previous = last  # the last line of the context
    indexes = (contexts.own(caller, last + 1, limit) if contexts is not None else
               (i for i in range(last + 1, limit) if same_context(caller, lines[i].caller)))
    for index in indexes:
        if index - previous > MAX_FOREIGN_RUN:
            return previous + 1 + MAX_FOREIGN_RUN
        previous = index
        text = lines[index].text
        if in_stack(text):
            count = 0
        elif len(text) > MAX_LINE or (text and not text.isspace()):
            count += 1
            if count >= run:
                return index + 1
    return min(limit, previous + 1 + MAX_FOREIGN_RUN)


_CALLER_OF = operator.attrgetter("caller")


class Contexts:
    """Where the lines of each printk context are in a list of lines.

    A report's reader and :func:`report_end` read the lines of the report's context
    (:func:`same_context`) and pass over the others'. In a log where every report is another
    task's, each would otherwise pass over all the lines after it, up to the next report of
    its context: the log's end.
    """

    def __init__(self, lines: Sequence[Line]) -> None:
        #: Indexes of the lines of each caller id (None: lines without one); None when no line
        #: has a caller id, and every line is of every context.
        self.by_caller: dict[str | None, list[int]] | None = None
        if any(map(_CALLER_OF, lines)):
            by_caller: dict[str | None, list[int]] = {}
            for index, line in enumerate(lines):
                indexes = by_caller.get(line.caller)
                if indexes is None:
                    by_caller[line.caller] = [index]
                else:
                    indexes.append(index)
            self.by_caller = by_caller

    def own(self, caller: str | None, start: int, stop: int) -> Iterator[int]:
        """Indexes from ``start`` to ``stop`` of the lines that may be of a report whose banner
        has the caller id ``caller`` (:func:`same_context`), in order."""
        if caller is None or self.by_caller is None:
            return iter(range(start, stop))
        return _merged(self.by_caller.get(caller, []), self.by_caller.get(None, []), start, stop)


def _merged(first: list[int], second: list[int], start: int, stop: int) -> Iterator[int]:
    """The items of two sorted lists from ``start`` to ``stop``, in order."""
    i, j = bisect.bisect_left(first, start), bisect.bisect_left(second, start)
    while True:
        a = min(first[i], stop) if i < len(first) else stop
        b = min(second[j], stop) if j < len(second) else stop
        if a < b:
            yield a
            i += 1
        elif b < stop:
            yield b
            j += 1
        else:
            return
