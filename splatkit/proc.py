"""Readers for ``/proc/lockdep`` and ``/proc/lockdep_chains`` (lockdep-format.md §4).

``/proc/lockdep`` is printed by ``l_show()`` in ``kernel/locking/lockdep_proc.c``:
one line per lock class, ``KEY[ OPS: n][ FD: n BD: n][ USAGE]: NAME``, then one
`` -> [KEY2] NAME2`` line per direct dependency (NAME2 acquired while NAME held).
``/proc/lockdep_chains`` is printed by ``lc_show()``: per chain an
``irq_context: CTX`` line, then one ``[KEY] NAME`` line per held class, outermost
first.

Nothing is dropped silently: a line that is not in the format (a truncated copy,
a garbled paste) becomes a :class:`~splatkit.errors.ParseError` in ``problems``,
naming the file and line, and the rest is still read where that is safe: the
dependency lines under an unreadable class line are left out (their owner is
unknown) and counted in that problem. ``strict=True`` raises the first problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from .errors import ParseError

__all__ = ["ChainDump", "LockdepDump", "ProcChain", "ProcClass", "ProcDependency", "read_lockdep",
           "read_lockdep_chains"]

#: A class line (lockdep-format.md §4.1).
CLASS_LINE = re.compile(
    r"^(?P<key>[0-9a-f]+)(?: OPS:\s*(?P<ops>\d+))?(?: FD:\s*(?P<fd>\d+) BD:\s*(?P<bd>\d+))?"
    r"(?: (?P<usage>[-+.?]{4,6}))?: (?P<name>.+)$")
#: A dependency line under a class line.
DEP_LINE = re.compile(r"^ -> \[(?P<key>[0-9a-f]+)\] (?P<name>.+)$")
#: A class line of /proc/lockdep_chains.
CHAIN_LOCK = re.compile(r"^\[(?P<key>[0-9a-f]+)\] (?P<name>.+)$")
CHAIN_CONTEXT = re.compile(r"^irq_context: (?P<ctx>[0-9]+|softirq|hardirq|hardirq\|softirq)$")
HEADERS = ("all lock classes:", "all lock chains:", "(buggered) all lock chains:")

CLASS_EXAMPLE = "a lock class line like 'ffffffff82a5f1d8 FD:   37 BD:    1 +.+.: cgroup_mutex'"
DEP_EXAMPLE = "a dependency line like ' -> [ffffffff82a60e20] css_set_lock'"


class ProcDependency(NamedTuple):
    """One `` -> [KEY] NAME`` line: NAME was acquired while the class above was held.

    A named tuple: a big dump has hundreds of thousands of them.
    """

    key: str
    name: str
    line_no: int


@dataclass(frozen=True)
class ProcClass:
    """One lock class of /proc/lockdep, with its direct dependencies."""

    key: str
    """The class key as ``%p`` printed it (hashed since 4.15: stable within one boot only)."""
    name: str
    usage: str | None
    """The usage string without braces; None without CONFIG_PROVE_LOCKING."""
    fd: int | None
    """Forward dependencies (transitive count); None without CONFIG_PROVE_LOCKING."""
    bd: int | None
    ops: int | None
    """Acquisitions, only with CONFIG_DEBUG_LOCKDEP."""
    line_no: int
    dependencies: list[ProcDependency] = field(default_factory=list)


@dataclass
class LockdepDump:
    """What :func:`read_lockdep` read: the classes, and the lines it could not read."""

    classes: list[ProcClass]
    problems: list[ParseError]


@dataclass(frozen=True)
class ProcChain:
    """One chain of /proc/lockdep_chains: classes held at once, outermost first."""

    irq_context: str
    locks: tuple[tuple[str, int], ...]
    """``(name, line_no)`` per class."""
    line_no: int


@dataclass
class ChainDump:
    """What :func:`read_lockdep_chains` read."""

    chains: list[ProcChain]
    problems: list[ParseError]


def _problem(problems: list[ParseError], strict: bool, error: ParseError) -> None:
    if strict:
        raise error
    problems.append(error)


def read_lockdep(text: str, *, source: str | None = None, strict: bool = False) -> LockdepDump:
    """Read the text of ``/proc/lockdep``.

    Parameters
    ----------
    text : str
        As ``cat /proc/lockdep`` prints it.
    source : str, optional
        File name errors should give.
    strict : bool
        Raise the first unreadable line instead of collecting it.

    Returns
    -------
    LockdepDump
        ``classes`` in input order and ``problems`` (one :class:`ParseError` per unreadable line).

    Raises
    ------
    ParseError
        With ``strict=True``, for the first line that is not in the format.

    Examples
    --------
    >>> dump = read_lockdep("all lock classes:\\nffffffff82a5f1d8 FD:   37 BD:    1 +.+.: cgroup_mutex\\n"
    ...                     " -> [ffffffff82a60e20] css_set_lock\\n -> [ffffffff82a6")
    >>> [(c.name, c.fd, c.usage, [d.name for d in c.dependencies]) for c in dump.classes]
    [('cgroup_mutex', 37, '+.+.', ['css_set_lock'])]
    >>> print(dump.problems[0])
    <input>:4: unreadable line; expected a dependency line like ' -> [ffffffff82a60e20] css_set_lock', got: ' -> [ffffffff82a6'
    """
    classes: list[ProcClass] = []
    problems: list[ParseError] = []
    current: ProcClass | None = None
    orphan: ParseError | None = None  # the unreadable class line whose dependencies we skip
    orphans = 0
    class_match, dep_match = CLASS_LINE.match, DEP_LINE.match

    def close_orphans() -> None:
        nonlocal orphan, orphans
        if orphan is not None and orphans:
            orphan.message += f" ({orphans} dependency line(s) under it left out)"
        orphan, orphans = None, 0

    for no, line in enumerate(text.splitlines(), 1):
        if line.startswith(" -> "):
            close = line.find("] ", 5)  # fast path for ' -> [KEY] NAME'; the regex checks the rest
            if line[4:5] == "[" and close > 5 and line[5:close].isalnum() and len(line) > close + 2:
                if current is not None:
                    current.dependencies.append(ProcDependency(line[5:close], line[close + 2:], no))
                    continue
                m = dep_match(line)
            else:
                m = dep_match(line)
            if m is None:
                _problem(problems, strict, ParseError("unreadable line", source=source, line_no=no, line=line,
                                                      expected=DEP_EXAMPLE))
            elif current is not None:
                current.dependencies.append(ProcDependency(m.group("key"), m.group("name"), no))
            elif orphan is not None:
                orphans += 1
            else:
                _problem(problems, strict, ParseError("dependency line before any lock class", source=source,
                                                      line_no=no, line=line, expected=CLASS_EXAMPLE))
            continue
        if not line.strip() or line.strip() in HEADERS:
            continue
        m = class_match(line)
        close_orphans()
        if m is None:
            error = ParseError("unreadable line", source=source, line_no=no, line=line, expected=CLASS_EXAMPLE)
            _problem(problems, strict, error)
            current, orphan = None, error
            continue
        fd, bd, ops = m.group("fd"), m.group("bd"), m.group("ops")
        current = ProcClass(key=m.group("key"), name=m.group("name"), usage=m.group("usage"),
                            fd=int(fd) if fd else None, bd=int(bd) if bd else None,
                            ops=int(ops) if ops else None, line_no=no)
        classes.append(current)
    close_orphans()
    return LockdepDump(classes, problems)


def read_lockdep_chains(text: str, *, source: str | None = None, strict: bool = False) -> ChainDump:
    """Read the text of ``/proc/lockdep_chains``.

    >>> dump = read_lockdep_chains("all lock chains:\\nirq_context: 0\\n[ffffffff82a5f1d8] cgroup_mutex\\n"
    ...                            "[ffffffff82a60e20] css_set_lock\\n\\nirq_context: softirq\\n[ffffffff8")
    >>> [(c.irq_context, [name for name, _ in c.locks]) for c in dump.chains]
    [('0', ['cgroup_mutex', 'css_set_lock'])]
    >>> dump.problems[0].line_no
    7
    """
    chains: list[ProcChain] = []
    problems: list[ParseError] = []
    context: str | None = None
    start = 0
    locks: list[tuple[str, int]] = []

    def flush() -> None:
        if context is not None and locks:
            chains.append(ProcChain(context, tuple(locks), start))

    for no, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped in HEADERS:
            continue
        m = CHAIN_LOCK.match(line)
        if m is not None and context is not None:
            locks.append((m.group("name"), no))
            continue
        c = CHAIN_CONTEXT.match(line)
        if c is not None:
            flush()
            context, start, locks = c.group("ctx"), no, []
            continue
        _problem(problems, strict, ParseError(
            "unreadable line" + ("; the rest of this chain is left out" if context is not None else ""),
            source=source, line_no=no, line=line,
            expected="'irq_context: 0' or a chain class line like '[ffffffff82a60e20] css_set_lock'"))
        flush()  # keep what came before the bad line, but never join across it
        context, locks = None, []
    flush()
    return ChainDump(chains, problems)
