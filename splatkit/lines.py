"""Text to normalised lines: strip what surrounds console output, keep what was stripped.

The first stage of the pipeline. Whatever people paste (a dmesg with timestamps,
a syslog, a mail that quotes another) becomes a list of :class:`~splatkit.model.Line`
whose ``text`` the lockdep grammar can read and whose ``raw`` rebuilds the input.
The wrappers themselves are data, in :mod:`splatkit.grammar.wrappers`.
"""

from __future__ import annotations

from .grammar.tokens import MAX_LINE
from .grammar.wrappers import WRAPPERS
from .model import Line

__all__ = ["normalize", "split_lines"]

# A prefix is stripped at most this many times per line (quote, syslog, timestamp, caller...).
_MAX_STRIPS = 8


def split_lines(text: str) -> list[str]:
    """Split on ``\\n`` only, dropping one trailing ``\\r`` (CRLF) per line.

    ``str.splitlines`` would also split on form feeds and Unicode separators that
    a kernel log can carry inside a line, which would shift every line number.
    """
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def _strip(raw: str) -> tuple[str, tuple[str, ...], str | None, bool]:
    """Strip wrappers from one line: (text, wrapper names, caller id, starts a record)."""
    text = raw if len(raw) <= MAX_LINE else raw[:MAX_LINE]
    names: list[str] = []
    caller = None
    record_start = False
    for _ in range(_MAX_STRIPS):
        for wrapper in WRAPPERS:
            m = wrapper.pattern.match(text)
            if m is not None and m.end() > 0:
                names.append(wrapper.name)
                record_start = record_start or wrapper.record_start
                if "caller" in m.re.groupindex and m.group("caller"):
                    caller = m.group("caller")
                text = text[m.end():]
                break
        else:
            break
    if len(raw) > MAX_LINE:
        text += raw[MAX_LINE:]
    return text.rstrip("\r"), tuple(names), caller, record_start


def normalize(text: str, *, first_line: int = 1) -> list[Line]:
    """Normalise ``text`` into lines with their wrappers stripped.

    ``first_line`` is the number of the first line of ``text`` in a larger input
    (the scanner parses windows of a big log and keeps line numbers absolute).

    >>> [line.text for line in normalize("[ 1.000000] WARNING: x\\n> [ 1.000001] y")]
    ['WARNING: x', 'y']
    >>> normalize("> [ 1.000001] y")[0].wrappers
    ('quote', 'timestamp')
    """
    out: list[Line] = []
    seen_record_prefix = False
    caller = None
    for no, raw in enumerate(split_lines(text), start=first_line):
        stripped, names, line_caller, record_start = _strip(raw)
        continuation = seen_record_prefix and not record_start and stripped.strip() != ""
        if record_start:
            seen_record_prefix = True
            caller = line_caller
        elif continuation:
            line_caller = caller  # a continuation line belongs to its record's context
        out.append(Line(no=no, raw=raw, text=stripped, wrappers=names, caller=line_caller,
                        continuation=continuation))
    return out
