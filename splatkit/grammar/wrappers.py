"""What people paste around kernel console lines, as data: prefixes, line-end damage, encodings.

``lines.normalize`` undoes these in a fixed order (lockdep-format.md §7) and records
the name of each one it undid in ``Line.wrappers``, so ``Splat.wrappers`` says what
was stripped:

1. whole-text encodings: quoted-printable (:data:`QP_ESCAPE`, soft line breaks);
2. line-end damage: :data:`LINE_ENDS` (a CRLF's ``\\r``, a literal ``^M``);
3. prefixes: :data:`WRAPPERS`, tried in table order, repeatedly (quoting, commit
   indentation, syslog or journal prefix, timestamp, caller id may combine);
4. newlines escaped inside one syslog line: :data:`NEWLINE_ESCAPES` (rsyslog ``#012``);
5. in-line damage: :data:`TEXT_REPAIRS` (GitHub's ``#N`` autolinks);
6. lines a mailer hard-wrapped, rejoined (``hard-wrap``; the rule needs the report
   grammar, so it is code in ``lines.py``, limited by :data:`HARD_WRAP_MIN_WIDTH`).

Each step keeps the input lines it read in ``Line.raw``/``Line.joined``, so the
input can always be rebuilt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .tokens import unnamed

__all__ = [
    "BASE64",
    "BASE64_HEADER",
    "BASE64_LINE",
    "COLLAPSED",
    "CONTINUATION",
    "COLLAPSED_AT",
    "CUT_AT_WIDTH",
    "CUT_MIN_LINES",
    "CUT_MIN_WIDTH",
    "CUT_NEAR",
    "CUT_PILE_UP",
    "TAB_WIDTH",
    "HARD_WRAP",
    "KERN_CONT",
    "KERN_CONT_FRAGMENTS",
    "KERN_CONT_MAX_LINES",
    "HARD_WRAP_MAX_LINES",
    "HARD_WRAP_MIN_WIDTH",
    "LINE_ENDS",
    "NEWLINE_ESCAPES",
    "NO_BREAK_SPACE",
    "NO_BREAK_SPACES",
    "QP",
    "REFLOW_MAX_LINES",
    "RUN_TOGETHER_CUES",
    "RUN_TOGETHER_LINE_WORDS",
    "RUN_TOGETHER_MAX_WORDS",
    "QP_ESCAPE",
    "QP_FULL_LINE",
    "QP_HEADER",
    "QP_MIN_ESCAPES",
    "QP_SOFT_BREAK",
    "QP_TELLING_ESCAPE",
    "TEXT_REPAIRS",
    "UTF7",
    "UTF7_MARKER",
    "UTF7_MIN_MARKERS",
    "WRAPPERS",
    "ZERO_WIDTH",
    "Fragment",
    "Repair",
    "Wrapper",
]


@dataclass(frozen=True)
class Wrapper:
    name: str
    """Recorded in ``Line.wrappers`` and ``Splat.wrappers``."""
    pattern: re.Pattern[str]
    """Matches the prefix at the start of a line; group ``caller`` captures a printk caller id."""
    record_start: bool = False
    """True when the prefix marks the start of a printk record (so unprefixed lines after it
    are continuation lines of that record)."""
    block: bool = False
    """True when the prefix opens a block: the same prefix string is stripped from the lines
    after it as long as they start with it (an indented commit message)."""
    escapes_newlines: bool = False
    """True for a logger that escapes newlines inside a record (:data:`NEWLINE_ESCAPES`)."""
    outer: bool = False
    """True when the prefix is added outside the console line (mail quoting): stripped only
    before the line's record prefix, so that a kernel line of its own that starts with ``>``
    or ``|`` keeps it."""
    foreign: bool = False
    """True when the prefix is other output glued in front of a kernel line: it is stripped
    only before the line's first record prefix (or when blank). After a timestamp, text
    before another timestamp is the line's own: newlines a tool collapsed
    (:data:`COLLAPSED_AT`), not a prefix to throw away."""
    hint: str | None = None
    """A plain substring every prefix this wrapper strips contains: lines (and whole texts)
    without it are not tried, which a fast ``in`` test tells. Worth giving when the pattern
    may scan far into a line before failing, or when most texts never hold it."""


def _w(name: str, regex: str, *, record_start: bool = False, block: bool = False,
       escapes_newlines: bool = False, outer: bool = False, foreign: bool = False,
       hint: str | None = None) -> Wrapper:
    return Wrapper(name, re.compile(regex), record_start, block, escapes_newlines, outer, foreign, hint)


# -- the printk record prefixes, each once ------------------------------------------------------

#: A printk timestamp as the console prints it, ``[48419.244819]``, unpadded ``[66.729373]``,
#: with dmesg -d's delta ``[48419.244819 <    0.006180>]`` or the delta alone
#: ``[<    0.000123>]`` (§7.1.3).
_STAMP_PRINTK = r"\[\s*(?:\d+\.\d+(?: <\s*\d+\.\d+>)?|<\s*\d+\.\d+>)\]"
#: dmesg -T: ``[Tue May  7 12:37:01 2024]``, ``[Tue May  7 12:37:01 2024 <    0.000123>]``.
_STAMP_DMESG_T = r"\[[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d [\d:]{8} \d{4}(?: <\s*\d+\.\d+>)?\]"
#: dmesg -H: ``[May 7 12:37]`` / ``[Nov25 09:26]`` at each new minute, ``[  +0.000123]`` after
#: (``[  +0,010730]`` in a locale with a decimal comma).
_STAMP_DMESG_H = r"\[\s*(?:\+\d+[.,]\d+|[A-Z][a-z]{2}\s?\d{1,2} \d\d:\d\d(?::\d\d)?)\]"
#: dmesg --time-format iso: ``2024-05-07T12:37:01,123456+02:00``.
_STAMP_ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d,\d+[+-]\d\d:\d\d"
#: The printk caller id CONFIG_PRINTK_CALLER glues on a timestamp: ``[  T125]``, ``[    C3]``.
_GLUED_CALLER = r"(?:\[\s*(?P<caller>[TC]\d+)\])?"
#: What a syslog daemon or the journal writes before a kernel line, after its time: the host
#: (journalctl leaves it out with some outputs) and ``kernel:``, or busybox's ``kern.warn kernel:``.
_HOST_KERNEL = r"(?:\S+ ){0,2}kernel:(?: |$)"
#: What every syslog or journal prefix holds (their hint): a console log has none.
_KERNEL_TAG = "kernel:"
#: A syslog daemon configured to write a level and an empty program field: ``host warning: : ``.
_HOST_LEVEL = r"\S+ (?:emerg|alert|crit|err|warning|warn|notice|info|debug): : "

#: The prefixes that start a printk record, as the console and the tools that read the log
#: print them, in the order they are tried.
_RECORD_WRAPPERS: tuple[Wrapper, ...] = (
    # Classic syslog and journalctl -o short / short-precise:
    # "May  7 12:37:01 host kernel: ", "Nov 25 09:26:38.123456 host kernel: " (§7.1.2).
    _w("syslog", r"[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d{1,9})? (?:" + _HOST_KERNEL + ")",
       record_start=True, escapes_newlines=True, hint=_KERNEL_TAG),
    # RFC 3339 rsyslog / journalctl -o short-iso(-precise): "2016-03-26T20:52:22.526357+00:00 host kernel: ".
    _w("syslog-iso", r"\d{4}-\d\d-\d\dT[\d:.,]+(?:Z|[+-]\d\d:?\d\d)? (?:" + _HOST_KERNEL + ")",
       record_start=True, escapes_newlines=True, hint=_KERNEL_TAG),
    # A syslog daemon that writes the level and no program: "Feb 13 14:13:12 silk warning: : ".
    _w("syslog", r"[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d{1,9})? " + _HOST_LEVEL,
       record_start=True, escapes_newlines=True, hint=": : "),
    # journalctl -o short-full: "Mon 2024-11-25 09:26:38 CET host kernel: ".
    _w("journal-full", r"[A-Z][a-z]{2} \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,9})? \S+ (?:" + _HOST_KERNEL + ")",
       record_start=True, escapes_newlines=True, hint=_KERNEL_TAG),
    # journalctl -o short-monotonic: "[ 1234.567890] host kernel: ", "[ 1234.567890] kernel: ".
    _w("journal-monotonic", r"\[\s*\d+\.\d+\] (?:" + _HOST_KERNEL + ")", record_start=True, escapes_newlines=True,
       hint=_KERNEL_TAG),
    # journalctl -o short-unix: "1732523198.123456 host kernel: ".
    _w("journal-unix", r"\d{9,}\.\d+ (?:" + _HOST_KERNEL + ")", record_start=True, escapes_newlines=True,
       hint=_KERNEL_TAG),
    # dmesg -x / --decode: "kern  :warn  : " (facility kern..authpriv, local0..7; level
    # emerg..debug). Bounded, so that a line of letters is not read to its end.
    _w("dmesg-decode", r"[a-z]{3,8}\d? *:[a-z]{3,6} *: ", record_start=True),
    # Console log level "<4>".
    _w("loglevel", r"<\d>", record_start=True),
    # printk timestamps in every form above; a caller id may be glued on.
    _w("timestamp", _STAMP_PRINTK + _GLUED_CALLER + " ?", record_start=True),
    _w("timestamp", _STAMP_DMESG_T + _GLUED_CALLER + " ?", record_start=True),
    _w("timestamp", _STAMP_DMESG_H + _GLUED_CALLER + " ?", record_start=True),
    _w("timestamp", _STAMP_ISO + " ", record_start=True),
)

#: What starts a kernel line when its indentation is a commit message's: a record's prefix in
#: any of the forms above, or a banner. Indentation before anything else is the kernel's own,
#: but for a lockdep rule after two blanks or more (lockdep's own rules start at most one
#: blank in).
_KERNEL_LINE_START = ("(?=" + "|".join(unnamed(w.pattern.pattern) for w in _RECORD_WRAPPERS)
                      + r"|\[ (?:INFO|BUG): |(?:WARNING|BUG|INFO): )")
_RULE_START = r"(?==={19,}\s*$)"

WRAPPERS: tuple[Wrapper, ...] = (
    # Mail quoting at any depth, "> > >" or ">>>", " > " or ">" and a TAB, and the "| " some
    # commit messages and CI reports quote with (§7.1.1).
    _w("quote", r"(?:[ \t]*[>|][ \t]?)+", outer=True),
    # A PGP clear-signed mail escapes every line that starts with a dash: "- -----" (RFC 4880 §7.1).
    _w("pgp-dash-escape", r"- (?=-)", outer=True),
    # A splat pasted into a commit message or patch description, indented by a tab or
    # blanks ("    [ 1880.242388] ..."), then every line of the block (§7.1.1).
    _w("indent", r"(?:\t| {1,8})" + _KERNEL_LINE_START + r"|(?:\t| {2,8})" + _RULE_START, block=True),
    *_RECORD_WRAPPERS,
    # Other console output glued in front of a kernel line: "syzkaller login: [   16.305150] INFO: ...".
    _w("glued", r".{1,200}?(?=\[\s*\d+\.\d{6}\](?:\[\s*[TC]\d+\])? )", foreign=True, hint="["),
    # printk caller id on its own, CONFIG_PRINTK_CALLER: "[  T125] " or "[    C3] " (§7.1.4).
    _w("caller", r"\[\s*(?P<caller>[TC]\d+)(?::C\d+)?\] ?", record_start=True),
)

#: Damage at the end of a line, stripped before the prefixes: a CRLF's carriage return
#: (the ``\r`` stays in ``Line.raw``) and a literal ``^M`` (serial captures, ``cat -v``).
LINE_ENDS: tuple[tuple[str, str], ...] = (
    ("crlf", "\r"),
    ("caret-m", "^M"),
)


@dataclass(frozen=True)
class Repair:
    """An in-line substitution that undoes damage a tool did to the text of a line."""

    name: str
    """Recorded in ``Line.wrappers`` when the substitution changed the line."""
    hint: str
    """A plain substring every damaged line contains: the regex runs only on those lines."""
    pattern: re.Pattern[str]
    replacement: str


#: Newlines a logger escaped inside one record, with the wrapper name recorded when one is
#: decoded: rsyslog writes control characters as ``#ooo`` octal (``#012`` newline, ``#011``
#: tab), /dev/kmsg readers and journal exports as ``\\x0a`` (§7.2). Decoded only on lines
#: that carry a logger's prefix (``Wrapper.escapes_newlines``): ``#012`` is otherwise text.
NEWLINE_ESCAPES: tuple[tuple[str, str, str], ...] = (
    ("rsyslog-escape", "#012", "\n"),
    ("rsyslog-escape", "#011", "\t"),
    ("kmsg-escape", "\\x0a", "\n"),
    ("kmsg-escape", "\\x09", "\t"),
)

#: Damage inside a line, repaired after the prefixes are stripped.
TEXT_REPAIRS: tuple[Repair, ...] = (
    # GitHub turns "#3" into a link when a splat is pasted into an issue: "-> #3 (x)" becomes
    # "-> https://github.com/<org>/<repo>/pull/3 (x)" (§7.3).
    Repair(
        "github-autolink",
        "https://github.com/",
        re.compile(r"https://github\.com/[\w.-]{1,100}/[\w.-]{1,100}/(?:pull|issues)/(\d{1,9})\b"),
        r"#\1",
    ),
)

# -- blanks written as other characters -------------------------------------------------------

#: The wrapper name recorded on a line whose no-break spaces were read as blanks, or whose
#: zero-width characters were dropped.
NO_BREAK_SPACE = "no-break-space"
#: What mailers, word processors and web pages write for a blank (U+00A0, in UTF-8 ``=C2=A0``
#: and in Latin-1 ``=A0`` once quoted-printable; U+2007, U+202F): a kernel line holds none.
NO_BREAK_SPACES = "\xa0\u2007\u202f"
#: Characters a web page or an editor puts in that show as nothing (a zero-width space or
#: joiner, a byte-order mark): a kernel line holds none, and they are dropped.
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"

# -- base64 mail bodies (RFC 2045 §6.8) ------------------------------------------------------------

#: The wrapper name recorded on every line decoded from a base64 mail body.
BASE64 = "base64"
#: The header that says a MIME part's body is base64; the body starts after the next blank line.
BASE64_HEADER = re.compile(r"^Content-Transfer-Encoding:[ \t]*base64[ \t]*\r?$", re.I | re.M)
#: One line of a base64 body (encoders write 76 characters; the last line is shorter).
BASE64_LINE = re.compile(r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{4}|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2}==)\r?$")

# -- UTF-7 (RFC 2152), decoded after quoted-printable ------------------------------------------

#: The wrapper name recorded on every line UTF-7 decoding changed.
UTF7 = "utf-7"
#: What a mail archive that stored a report as UTF-7 shows: ``_`` as ``+AF8-``, ``[`` as
#: ``+AFs-``, ``]`` as ``+AF0`` (``lock+AF8-acquire+-0x16f/0x3f0``, §7.3), ``__`` as one run
#: ``+AF8AXw-``: a base64 run whose first character is U+0050..U+005F starts ``+AF``. A text
#: with at least :data:`UTF7_MIN_MARKERS` of them is decoded line by line; without them a
#: ``+`` is kernel text (``func+0x1/0x2``) and must not start a base64 run.
UTF7_MARKER = re.compile(r"\+AF[0-9A-Za-z+/]")
UTF7_MIN_MARKERS = 2

# -- continuation lines printed without a prefix ------------------------------------------------

#: The wrapper name recorded on a later line of a printk record that was printed without the
#: record's prefix. A printk record may hold several lines (lockdep prints ``"\nbut task is
#: already holding lock:\n"`` as one record); the console repeats the prefix on each, but
#: util-linux ``dmesg``, ``journalctl`` and syslog daemons print the second and later lines
#: with no prefix, indented by blanks (or TABs, once a mailer touched them) to sit under the
#: message, and ``dmesg -x`` at column 0::
#:
#:     [  781.753030]
#:                    but task is already holding lock:
#:
#: The blanks up to the column where the record's text starts are the tool's, not the
#: kernel's, and are undone. A line at column 0 is taken for a later line only after a record
#: whose first line is empty (lockdep's records of several lines start with a newline), up to
#: the next blank line.
CONTINUATION = "continuation"
#: Tab stops of the text a continuation's columns are counted in (a terminal's, a mailer's).
TAB_WIDTH = 8

# -- newlines collapsed into blanks ------------------------------------------------------------

#: The wrapper name recorded on lines split out of one input line.
COLLAPSED = "collapsed-newlines"
#: Where a tool joined console lines into one (a GitHub issue's paragraph, an archive that
#: drops newlines, §7.3): the blanks before a printk timestamp that follows text on the same
#: line. A line that only starts with blanks and a timestamp is 4.9's doubled timestamp,
#: not a join (the ``glued`` wrapper strips it).
COLLAPSED_AT = re.compile(r"(?<=\S)[ \t]+(?=\[\s*\d+\.\d{6}\](?:\[\s*[TC]\d+\])? )")

#: Texts that begin a report line, as a page that dropped a report's newlines shows them in
#: the middle of a line (without any timestamp to split at): ``====== WARNING: possible
#: circular ...``, ``... net_namespace.c:487 but task is already holding lock:``. A line
#: without a console prefix that holds one, and that reads as no report line itself, is split
#: into the report lines it holds (``run_together.split_run_together``).
RUN_TOGETHER_CUES: tuple[str, ...] = (
    "WARNING: ", "INFO: ", "BUG: ", "=====", "-----", " is trying to ", "but task is already holding",
    "which lock already depends", "the existing dependency chain", "-> #", "other info that might",
    "Chain exists of:", "unsafe locking scenario:", "*** DEADLOCK ***", " held by ", "stack backtrace:",
    "Call Trace:", "CPU: ", "Hardware name: ", " lock(", " --> ", " \u2192 ", "lock in the past:",
    "just changed the state of lock", "this task is already holding", "would create a new lock dependency",
    "new dependency connects", "irq-unsafe lock:", " which became ", "the dependencies between",
    "state was registered at", "irq event stamp:", " is freeing memory ", " takes:", "inconsistent {",
)
#: At most this many words of a run-together line are split, and a report line is at most this
#: many words long (bounds on the search, see ``run_together.split_run_together``).
RUN_TOGETHER_MAX_WORDS = 120
RUN_TOGETHER_LINE_WORDS = 24
#: A paragraph a mail client reflowed is read again from at most this many of its lines.
REFLOW_MAX_LINES = 6

# -- KERN_CONT fragments (4.9-4.10) ---------------------------------------------------------------

#: The wrapper name recorded on a line rebuilt from the fragments 4.9-4.10 printed it in.
KERN_CONT = "kern-cont"


@dataclass(frozen=True)
class Fragment:
    """One piece of a lock as 4.9-4.10 printed it: every printk() of print_lock() started a
    new line until KERN_CONT was added back (lockdep-format.md pitfall 5)."""

    name: str
    pattern: re.Pattern[str] | None
    """Matches the piece's text; None takes any one line (the lock class name)."""
    optional: bool = False
    repeat: bool = False


#: The pieces of one lock line in print order, for a held lock (`` #0: `` first), the lock a
#: task is acquiring or holding, a chain entry (``-> #1`` first, ``:`` last) and a scenario
#: step (``  lock(`` first, ``);`` last)::
#:
#:     [   37.540566]  #0:
#:     [   37.540571]  (
#:     [   37.540576] &vcpu->mutex
#:     [   37.540580] ){+.+.+.}
#:     [   37.540609] , at:
#:     [   37.540610] [<ffffffff81055862>] vcpu_load+0x22/0x70
KERN_CONT_FRAGMENTS: tuple[Fragment, ...] = (
    Fragment("lead", re.compile(r"\s*(?:#\d+:|-> #\d+)\s*$"), optional=True),
    Fragment("open", re.compile(r"\s*(?:\(|(?:lock|rlock)\()\s*$")),
    Fragment("name", None),
    Fragment("key", re.compile(r"(?:#\d+|/\d+)\s*$"), optional=True, repeat=True),
    Fragment("close", re.compile(r"\)(?:\{[^}]*\}(?:-\{\d+:\d+\})?|;)\s*$")),
    Fragment("at", re.compile(r"\s*, at:\s*(?P<frame>\S)?"), optional=True),
    Fragment("colon", re.compile(r":\s*$"), optional=True),
)
#: A lock is rebuilt from at most this many lines (lead, open, name, #N, /N, close, at, frame).
KERN_CONT_MAX_LINES = 8

# -- quoted-printable (RFC 2045 §6.7), decoded before anything else -------------------------------

#: The wrapper name recorded on every line that quoted-printable decoding changed.
QP = "quoted-printable"
#: A mail header that says the body is quoted-printable.
QP_HEADER = re.compile(r"^Content-Transfer-Encoding:[ \t]*quoted-printable[ \t]*\r?$", re.I | re.M)
#: An encoded byte. Upper-case hex only, as RFC 2045 writes it, so that lower-case
#: ``=3d``-like text in a log is less likely to be taken for an escape.
QP_ESCAPE = re.compile(r"=([0-9A-F]{2})")
#: A soft line break: ``=`` at the end of a line (blanks a transport added may follow it).
#: A line that ends in ``==`` is not one: ``=`` itself is always encoded as ``=3D``.
QP_SOFT_BREAK = re.compile(r"(?<!=)=[ \t]*$")
#: Without the header, a text is taken for quoted-printable when it has at least this many
#: :data:`QP_TELLING_ESCAPE` escapes (a lockdep rule line alone encodes to 54 of them), or two
#: :data:`QP_FULL_LINE` soft breaks, or one and a ``=3D`` (a console line may end in ``=``).
QP_MIN_ESCAPES = 4
#: The escape an encoder writes and a console log does not: ``=3D`` (``=``). ``=20`` and
#: ``=09`` are not counted, even at a line's end: a log's own ``queue_depth=20`` or
#: ``idVendor=0926`` has them.
QP_TELLING_ESCAPE = "=3D"
#: The lengths (before the ``=``) of a line that ends in a soft break where an encoder puts
#: it: filled to 76 columns, or up to 2 fewer (an escape is never split), so that an ``=``
#: ending another line is not one. A line ending in ``==`` (a rule) is never one.
QP_FULL_LINE = range(73, 76)

# -- mail hard-wrapping ---------------------------------------------------------------------------

#: The wrapper name recorded on a line rebuilt from the pieces a mailer broke it into.
HARD_WRAP = "hard-wrap"
#: A mailer wraps at 72-80 columns (60 for some): a line is taken for the first piece of a
#: wrapped line only when it and the next piece's first word would not fit in this width.
HARD_WRAP_MIN_WIDTH = 60
#: A wrapped line is rebuilt from at most this many input lines.
HARD_WRAP_MAX_LINES = 4

# -- lines cut at a terminal's width --------------------------------------------------------------

#: The wrapper name recorded on a line a terminal cut at its width.
CUT_AT_WIDTH = "cut-at-width"
#: A terminal (or a screen capture) that cuts long lines at its width and keeps the line's last
#: character in the last column (``{....}-{3:3}0``: ``, at: f+0x1/0x2`` lost, its ``0`` kept)
#: leaves many lines of exactly one length, the longest, and few just shorter. Taken for one
#: only when at least :data:`CUT_MIN_LINES` lines have that length, of at least
#: :data:`CUT_MIN_WIDTH` characters, :data:`CUT_PILE_UP` times as many as have one of the
#: :data:`CUT_NEAR` lengths below it. A line of that length loses its last character only when
#: it does not need it to read whole (see ``lines.py``).
CUT_MIN_LINES = 6
CUT_MIN_WIDTH = 60
CUT_NEAR = 4
CUT_PILE_UP = 2
