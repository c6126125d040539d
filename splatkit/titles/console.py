"""How syzkaller sees one console line: its printk context, and its text without the prefix.

A console line starts with a timestamp and, on kernels with printk caller ids, the
id of the task or CPU that printed it (``[  123.456789][ T123] text``). The report
block (:mod:`.block`) keeps the lines of the banner's context, without their prefix
and without ``? func`` frames. Mirrors google/syzkaller ``pkg/report/linux.go``'s
``stripLinePrefix`` with ``consoleOutputRe`` and ``questionableFrame``
(syzkaller-titles.md §2.2); a line that splatkit unwrapped (quoted, from a journal
or syslog, a mail's encoding) is read from its text and caller, as its console line
would be.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..grammar.tokens import MAX_LINE
from ..grammar.wrappers import CONTINUATION, WRAPPERS
from ..model import Line

__all__ = ["CONSOLE", "CONSOLE_PREFIX"]

#: syzkaller's console prefix; group 1 is the printk caller id (``consoleOutputRe``), without its
#: brackets and padding: a context is named by the id alone (``T123``, ``C1``), so that a line
#: whose prefix splatkit stripped (quoted, rejoined) has the same context as a plain one.
CONSOLE_PREFIX = re.compile(
    r"^(?:\*\* [0-9]+ printk messages dropped \*\* )?(?:.* login: )?(?:<[0-9]+>)?"
    r"\[ *[0-9]+\.[0-9]+\](?:\[ *((?:C|T)[0-9]+)\])? "
)
#: The same without the "login: " alternative, for the lines that do not contain it (most):
#: it spares a scan of the whole line.
_CONSOLE_PREFIX_NO_LOGIN = re.compile(
    r"^(?:\*\* [0-9]+ printk messages dropped \*\* )?(?:<[0-9]+>)?\[ *[0-9]+\.[0-9]+\](?:\[ *((?:C|T)[0-9]+)\])? "
)
#: The context of console lines that carry no caller id (``contextConsole``).
CONSOLE = "console"
#: A CPU caller id: after "Sending NMI from CPU", other CPUs' lines belong to the block.
_CPU_CONTEXT = re.compile(r"C[0-9]+")

#: Wrappers that mark a line as a printk record's, as another tool than the console prints it.
_RECORD_WRAPPERS = frozenset({w.name for w in WRAPPERS if w.record_start} | {CONTINUATION})
#: Wrappers that syzkaller's console-prefix regex itself strips.
_CONSOLE_WRAPPERS = frozenset({"timestamp", "caller", "glued"})


def _console_view(line: Line) -> tuple[str, str, bool]:
    """(context, text, questionable) of one line, as syzkaller's ``stripLinePrefix`` sees it.

    The context is the printk caller id (``T123``), ``console`` for a console
    line without one, or ``""`` for a line without a console prefix, whose text is
    then kept whole (with splatkit's wrappers removed).
    """
    raw = line.raw[:MAX_LINE]
    # syzkaller's own view of the raw line, when the line is a plain console line: other
    # wrappers (quoting, a journal, a mail's encoding) would end up in the text.
    plain = set(line.wrappers) <= _CONSOLE_WRAPPERS and not line.joined and not line.piece
    m = (CONSOLE_PREFIX if " login: " in raw else _CONSOLE_PREFIX_NO_LOGIN).match(raw) if plain else None
    if m is None:
        return _unprefixed_view(line)
    text = raw[raw.index("] ") + 2:]
    return m.group(1) or CONSOLE, text, _questionable(text)


def _unprefixed_view(line: Line) -> tuple[str, str, bool]:
    """:func:`_console_view` of a line that syzkaller's console prefix does not start."""
    if "timestamp" in line.wrappers:  # quoted, syslog-prefixed, or another dmesg format
        own_caller = line.caller if not line.continuation else None
        text = line.text[:MAX_LINE]
        return own_caller or CONSOLE, text, _questionable(text)
    if not _RECORD_WRAPPERS.isdisjoint(line.wrappers):
        # A record's line as a journal or syslog prints it, or a later line of a record (the
        # console would have prefixed it too).
        text = line.text[:MAX_LINE]
        return line.caller or CONSOLE, text, _questionable(text)
    return "", line.text[:MAX_LINE], False


def _questionable(text: str) -> bool:
    """A "? func" frame (questionableFrame) or a powerpc "(unreliable)" one, except in "<EOI>"."""
    return "<EOI>" not in text and (" ? " in text or text.endswith(" (unreliable)"))


#: A line that starts with syzkaller's console prefix (without "login: ", which
#: :data:`_CONSOLE_PREFIX_NO_LOGIN` leaves out): group 1 the caller id, group 2 the text after
#: the prefix. Searched in lines joined by newlines.
_CONSOLE_LINE = re.compile(
    r"^(?:\*\* [0-9]+ printk messages dropped \*\* )?(?:<[0-9]+>)?\[ *[0-9]+\.[0-9]+\]"
    r"(?:\[ *((?:C|T)[0-9]+)\])? (.*)$", re.M)

#: The timestamp every console prefix holds (CONSOLE_PREFIX): a window without one has none.
_CONSOLE_TIMESTAMP = re.compile(r"\[ *[0-9]+\.[0-9]+\]")
#: The same for every line, the prefix optional: group 2 is the space that ends a prefix, empty
#: when the line has none.
_CONSOLE_LINE_OR_NOT = re.compile(
    r"^(?:(?:\*\* [0-9]+ printk messages dropped \*\* )?(?:<[0-9]+>)?\[ *[0-9]+\.[0-9]+\]"
    r"(?:\[ *((?:C|T)[0-9]+)\])?( ))?(.*)$", re.M)

#: A window whose lines all have syzkaller's console prefix, spelled as its regex reads it
#: (CONSOLE_PREFIX: spaces, digits 0-9, a space after it), and nothing before it. splatkit
#: strips such a prefix as the ``timestamp`` wrapper, and nothing more from a line that has
#: no other wrapper: the line's text is then what follows syzkaller's prefix, and its caller
#: syzkaller's caller id (tests/test_titles_speed_paths.py checks that normalize agrees).
_SYZKALLER_LINES = re.compile(
    r"(?:\[ *[0-9]+\.[0-9]+\](?:\[ *[CT][0-9]+\])? .*\n)*\[ *[0-9]+\.[0-9]+\](?:\[ *[CT][0-9]+\])? .*")
#: The wrapper tuples of such a window.
_TIMESTAMP_ONLY = {("timestamp",)}

class _Views:
    """:func:`_console_view` of each line of a window, and the runs of them a block keeps.

    Three kinds of windows are read at once instead of line by line:

    - a console log's, where every line is a plain console line that splatkit read
      with syzkaller's prefix shape: a line's text and caller id are syzkaller's view
      already (:data:`_SYZKALLER_LINES` says when);
    - a console log's, where every line is a plain console line with syzkaller's prefix
      and none holds " login: ": one regex reads all the prefixes, and a line's text is
      what follows its prefix (the first "] " of such a line ends its prefix);
    - a bare report's, where no line has a console timestamp, nor one that splatkit
      stripped: every line's view is ("", its text, False).
    """

    __slots__ = ("window", "lines", "pairs", "bare", "questionable", "views")

    def __init__(self, window: Sequence[Line], joined: str, wrappers: set[str],
                 wrapper_tuples: set[tuple[str, ...]], merged: bool, cut_lines: bool) -> None:
        """``wrappers`` are the window's wrapper names, ``wrapper_tuples`` its lines' tuples of
        them; ``merged`` says whether some line is a piece or has input lines joined on,
        ``cut_lines`` whether some raw line is longer than MAX_LINE."""
        self.window = window
        #: The window, when each line's text and caller are its view (see _SYZKALLER_LINES).
        self.lines: Sequence[Line] | None = None
        #: (caller id or "", text) of each line, when all are prefixed console lines.
        self.pairs: list[tuple[str, str]] | None = None
        #: True when no line has a console prefix.
        self.bare = False
        #: Whether any line may be questionable (its raw line holds the marks).
        self.questionable = " ? " in joined or " (unreliable)" in joined
        self.views: list[tuple[str, str, bool]] = []
        if "timestamp" not in wrappers and _CONSOLE_TIMESTAMP.search(joined) is None:
            self.bare = True
            return
        if " login: " not in joined and wrappers <= _CONSOLE_WRAPPERS and not merged:
            if (wrapper_tuples == _TIMESTAMP_ONLY and not cut_lines
                    and _SYZKALLER_LINES.fullmatch(joined) is not None):
                self.lines = window
                return
            if () not in wrapper_tuples:  # (a line splatkit found no prefix on has none)
                pairs = _CONSOLE_LINE.findall(joined)
                if len(pairs) == len(window):  # (a line matches at most once)
                    self.pairs = pairs
                    return
            # Some lines have no prefix: those take _unprefixed_view.
            found = _CONSOLE_LINE_OR_NOT.findall(joined)
            if len(found) == len(window):  # (every line matches once)
                questionable = self.questionable
                self.views = [
                    (caller or CONSOLE, text, questionable and _questionable(text)) if space else _unprefixed_view(line)
                    for (caller, space, text), line in zip(found, window)]
                return
        self.views = [_console_view(line) for line in window]

    def view(self, i: int) -> tuple[str, str, bool]:
        """(context, text, questionable) of line ``i``."""
        if self.lines is not None:
            line = self.lines[i]
            return line.caller or CONSOLE, line.text, _questionable(line.text)
        if self.bare:
            return "", self.window[i].text[:MAX_LINE], False
        if self.pairs is None:
            return self.views[i]
        caller, text = self.pairs[i]
        return caller or CONSOLE, text, _questionable(text)

    def kept(self, start: int, end: int, context: str, cpu_traceback: bool) -> list[str]:
        """The texts of the lines ``start`` .. ``end - 1`` that are not questionable and are of
        ``context`` (or, after "Sending NMI from CPU", of any CPU)."""
        if self.bare:  # every line's context is "", the banner's too
            return [line.text[:MAX_LINE] for line in self.window[start:end]]
        if self.lines is not None:
            lines = self.lines[start:end]
            if cpu_traceback:
                return [line.text for line in lines if not _questionable(line.text) and (
                    (line.caller or CONSOLE) == context or _CPU_CONTEXT.search(line.caller or CONSOLE))]
            # A line without a caller id has the context CONSOLE.
            caller = None if context == CONSOLE else context
            if self.questionable:  # (_questionable, inline)
                return [line.text for line in lines if line.caller == caller and (
                    "<EOI>" in line.text or (" ? " not in line.text and not line.text.endswith(" (unreliable)")))]
            return [line.text for line in lines if line.caller == caller]
        if self.pairs is None:
            return [text for line_context, text, questionable in self.views[start:end] if not questionable and (
                line_context == context or (cpu_traceback and _CPU_CONTEXT.search(line_context)))]
        pairs = self.pairs[start:end]
        if cpu_traceback:
            return [text for caller, text in pairs if not _questionable(text) and (
                (caller or CONSOLE) == context or _CPU_CONTEXT.search(caller or CONSOLE))]
        # Without a caller id, a prefixed line's context is CONSOLE.
        caller_id = "" if context == CONSOLE else context
        if self.questionable:  # (_questionable, inline)
            return [text for caller, text in pairs if caller == caller_id and (
                "<EOI>" in text or (" ? " not in text and not text.endswith(" (unreliable)")))]
        return [text for caller, text in pairs if caller == caller_id]
