"""The one exception tree of splatkit.

Every error a user can meet derives from :class:`SplatkitError`, and each message
says where the problem is and what to do about it.
"""

from __future__ import annotations

__all__ = [
    "DependencyError",
    "NoCycle",
    "ParseError",
    "ProgramError",
    "SplatkitError",
    "SymbolizeError",
    "SymbolizeWarning",
    "UnknownLock",
]


class SplatkitError(Exception):
    """Root of every error raised by splatkit."""


class ParseError(SplatkitError, ValueError):
    """Input that cannot be read as what the caller asked for.

    Carries the place (``source`` file name, 1-based ``line_no``), the offending
    ``line`` and what was ``expected`` there, and renders them as one line::

        seed.txt:42: expected a chain entry like '-> #1 (&kvm->srcu){.+.+}-{0:0}:', got: '-> #1 ('
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line_no: int | None = None,
        line: str | None = None,
        expected: str | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.line_no = line_no
        self.line = line
        self.expected = expected
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.source or "<input>"
        if self.line_no is not None:
            where = f"{where}:{self.line_no}"
        text = f"{where}: {self.message}"
        if self.expected:
            text += f"; expected {self.expected}"
        if self.line is not None:
            shown = self.line if len(self.line) <= 120 else self.line[:117] + "..."
            text += f", got: {shown!r}"
        return text


class ProgramError(ParseError):
    """A simulator exercise (:mod:`splatkit.sim`) that cannot be run as written: a line that
    cannot be read, an unknown lock, an operation the lock's type does not have. Rendered
    like :class:`ParseError`, with the exercise's name and line::

        abba.txt:7: unknown lock 'C' (did you mean B?); expected a lock declared above, such as 'mutex C'
    """


class NoCycle(SplatkitError):
    """Raised by ``find_*`` functions when the graph has no cycle to return."""


class UnknownLock(SplatkitError, KeyError):
    """A lock class name that the graph does not contain; the message names the closest ones."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else "unknown lock"


class DependencyError(SplatkitError, ImportError):
    """An optional dependency is missing; the message names the pip extra that brings it."""


class EngineError(SplatkitError, RuntimeError):
    """A corpus scan's engine could not run: its worker processes could not start, or stopped.

    The message says why when it is known (a script that would start the workers again in
    each of them) and what to do (``workers=1`` scans in the calling process).
    """


class SymbolizeError(SplatkitError):
    """Symbolisation cannot run: a tool or a file it needs is missing or unreadable.

    The message names what is missing and what to do (``addr2line not found: install
    binutils, or pass frames already decoded``); a caller that can do without source
    locations catches it and carries on with the splats as parsed.
    """


class SymbolizeWarning(UserWarning):
    """Frames that symbolisation left as printed, and why (no such symbol, a size that does
    not match the object given, a module whose ``.ko`` was not found)."""
