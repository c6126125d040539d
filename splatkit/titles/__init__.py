"""syzkaller's title for a lockdep report, so that a splat from any log can be found on syzbot.

syzbot names each bug by the title its console-log parser gives the report
(google/syzkaller ``pkg/report``: ``linux.go`` and ``report.go``), and two crashes
are the same bug when their titles are equal. A title that is merely *like*
syzbot's finds nothing, so this package does not derive one from the parsed
splat: it runs syzkaller's own algorithm on the report's text, step by step
(syzkaller-titles.md; section numbers below refer to it). :func:`syzkaller_title`
runs the steps, one module each:

1. :func:`report_block` (:mod:`.block`) - the lines syzkaller reads: from the
   banner to the report's end, only the banner's printk context, without the
   console prefix (:mod:`.console`), cut before a second report (:mod:`.oops`) or a
   panic (§2.1-§2.4; upstream ``findReport``).
2. :mod:`.describe` - the first row of syzkaller's table that matches the
   block (``ReportKind.title_rules``), its report regex, and the blamed function
   (:mod:`.stack`): the lines the row names (``at:``, a trap's RIP), then frame
   lines up to the next stack start, skipping :data:`SKIP_PATTERNS`, minus a
   syscall prefix (:mod:`.blame`) (§1, §2.5, §3; upstream ``extractDescription``,
   ``extractStackFrameImpl``).
3. :func:`normalize_title` (:mod:`.normalize`) - addresses, numbers and line
   numbers become placeholders (§2.6; upstream ``dynamicTitleReplacement``,
   ``sanitizeTitle``).
4. the corrupted flag (:mod:`.corrupted`) - why syzbot would distrust the title
   (§4; upstream ``isCorrupted``).

:mod:`.joined` holds the two helpers that search many lines at once, which the
block and the stack walks share. The tables in these modules are syzkaller's,
with its regexes copied verbatim (Go-only syntax such as ``[[:xdigit:]]``
spelled out, and the rewrites for linear time that the comments point out), so
that they can be compared with upstream line by line.

Where splatkit departs from syzkaller, and why:

- The block starts at *this* report's banner. syzkaller titles only the first
  crash of a log; a lockdep report that follows a KASAN report gets the title
  syzbot would give it had it come first.
- Only the rows of syzkaller's table that can title the kind's banner are tried
  (``ReportKind.title_rules``); the others match other crashes' first lines.
- The block ends where the report ends (syzkaller reads to the end of the log):
  before the next report of the banner's printk context, or after a run of
  :data:`~splatkit.parse.extent.MAX_UNRECOGNISED_RUN` lines of that context without
  a stack after the report's last line (:mod:`splatkit.parse.extent`), and at most
  :data:`MAX_BLOCK_LINES` lines after the banner. So a report's title is the same
  alone and in a log of many reports, and titling a report costs what reading it
  costs. For the same reason the corrupted check stops at a second report, as the
  title rules do (syzkaller's reads on: another crash's stack would vouch for this
  report). Every line is cut to :data:`~splatkit.grammar.tokens.MAX_LINE` characters
  before a regex sees it.
- A console line that a mailer quoted or syslog prefixed (recognised by
  :mod:`splatkit.grammar.wrappers`) counts as a console line; syzkaller only
  knows its own ``[  123.456789][ T123]`` prefix.
- Only simple C++ names are demangled (``_Z8fakeNameiii`` gives ``fakeName``);
  syzkaller also demangles templates and Rust names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..grammar.kinds import ReportKind
from ..grammar.tokens import MAX_LINE
from ..grammar.wrappers import BASE64
from ..model import Line
from .blame import SKIP_PATTERNS, STRIP_FRAME_PREFIXES, demangle, strip_frame_prefix
from .block import CONSOLE_HANGUP, MAX_BLOCK_LINES, _shares_its_raw, report_block
from .console import CONSOLE, CONSOLE_PREFIX
from .corrupted import _corrupted_reason
from .describe import NO_FRAMES, NO_REPORT_MATCH, _describe
from .normalize import MAX_TITLE_BYTES, TITLE_REPLACEMENTS, normalize_title
from .oops import INFO_MESSAGES_WITH_STACK, OOPS_HEADERS, REPORT_START_IGNORES, _oops_header
from .stack import CORRUPTED_LINES, FRAME_LINES, STACK_START

# Private names the tests import from splatkit.titles, as they did before the split
# (tests/test_titles_paths.py, tests/test_titles_speed_paths.py). A module reads its own
# globals: to change what it reads, patch the module that defines the name.
from ..grammar.kinds import STACK  # noqa: F401
from .blame import _functions, _skip_regex  # noqa: F401
from .console import _CPU_CONTEXT, _SYZKALLER_LINES, _console_view, _Views  # noqa: F401
from .oops import _starts_report  # noqa: F401
from .stack import _CORRUPTED_ANY, _STACK_START_ANY, _frame_line, _Lines, _walk  # noqa: F401

__all__ = [
    "CONSOLE",
    "CONSOLE_HANGUP",
    "CONSOLE_PREFIX",
    "CORRUPTED_LINES",
    "FRAME_LINES",
    "INFO_MESSAGES_WITH_STACK",
    "MAX_BLOCK_LINES",
    "MAX_TITLE_BYTES",
    "NO_FRAMES",
    "NO_REPORT_MATCH",
    "OOPS_HEADERS",
    "REPORT_START_IGNORES",
    "SKIP_PATTERNS",
    "STACK_START",
    "STRIP_FRAME_PREFIXES",
    "TITLE_REPLACEMENTS",
    "Title",
    "demangle",
    "normalize_title",
    "report_block",
    "strip_frame_prefix",
    "syzkaller_title",
]


# -- the result ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Title:
    """A syzkaller title and, when syzkaller would flag the report as corrupted, why."""

    text: str
    """The normalised title, e.g. ``possible deadlock in set_nx_huge_pages``."""
    corrupted_reason: str = ""
    """syzkaller's reason (``no stack trace in report``...); empty when not corrupted."""

    @property
    def corrupted(self) -> bool:
        """True when syzbot would not trust this title (see ``corrupted_reason``)."""
        return bool(self.corrupted_reason)


def syzkaller_title(lines: Sequence[Line], start: int, kind: ReportKind, end: int | None = None) -> Title:
    """The title syzbot gives the report whose banner is ``lines[start]``.

    Parameters
    ----------
    lines : sequence of Line
        The normalised input lines (:func:`splatkit.lines.normalize`), at least from the
        banner to the end of the report.
    start : int
        Index of the banner line in ``lines``.
    kind : ReportKind
        The report's kind; its ``title_rules`` are the rows of syzkaller's table to try.
    end : int, optional
        Index after the report's end (:func:`splatkit.parse.extent.report_end`; the parser
        passes it); by default the report runs to the end of ``lines``. At most
        :data:`MAX_BLOCK_LINES` lines are read.

    Returns
    -------
    Title

    Examples
    --------
    >>> from splatkit.lines import normalize
    >>> from splatkit.grammar.kinds import kind_by_id
    >>> lines = normalize(seed_text)
    >>> start = next(i for i, line in enumerate(lines) if "circular locking" in line.text)
    >>> syzkaller_title(lines, start, kind_by_id("circular")).text
    'possible deadlock in set_nx_huge_pages'
    """
    block, cut, hangup = report_block(lines, start, end)
    own_raw = not _shares_its_raw(lines, start) and BASE64 not in lines[start].wrappers
    header = _oops_header(lines[start].raw[:MAX_LINE] if own_raw else block[0])
    if header is None:  # a banner without "BUG:"/"WARNING:"/"INFO:" (none is known to exist)
        return Title(normalize_title(block[0]))
    rules = tuple(rule for rule in kind.title_rules if rule.header == header)
    text, reason, rule = _describe(block[:cut], header, rules)
    if not reason:
        reason = _corrupted_reason(text, block[:cut], rule)
    if hangup and not reason:
        reason = f"the console was cut off ({CONSOLE_HANGUP})"
    return Title(normalize_title(text), reason)
