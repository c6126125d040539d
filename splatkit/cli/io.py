"""Input and output of the command line: FILE, ``-`` or the bundled seed in; standard output
or a file out; every failure one :class:`OutputError` or :class:`~splatkit.errors.ParseError`.

Input is read whole, at most ``--max-mb`` megabytes (:data:`MAX_INPUT_MB` by default):
:func:`splatkit.parse` holds the whole text and several times as much again while it reads
it, and a big console log is for :func:`splatkit.scan.scan`, which reads it in chunks.
"""

from __future__ import annotations

import errno
import os
import sys

from ..errors import ParseError, SplatkitError
from ..samples import SEED, sample_path

__all__ = ["BIG_LOGS", "MAX_INPUT_MB", "OutputError", "read_input", "say", "write_file", "write_stdout"]

#: Commands that parse read at most this many megabytes: parse() holds the whole text and
#: several times as much again while it reads it (use --max-mb for more, splatkit.scan for logs).
MAX_INPUT_MB = 256
BIG_LOGS = ("for a big console log use 'splatkit scan FILE' (or splatkit.scan.scan(path) from Python), which "
            "reads it in chunks")


class OutputError(SplatkitError):
    """Standard output or an output file could not be written (the message says which and why)."""


def say(message: str) -> None:
    """Write one line to standard error, if there is one to write to (``2>&-`` closes it)."""
    if sys.stderr is not None:
        try:
            print(message, file=sys.stderr, flush=True)
        except OSError:
            pass


def too_big(name: str, size: int | None, cap_mb: int) -> ParseError:
    """The error for input over the cap (``size`` None: a stream, known only to be over it)."""
    mb = size / (1 << 20) if size is not None else None
    what = f"{mb:.1f} MB" if mb is not None and mb < 10 else f"{mb:.0f} MB" if mb is not None else "the input"
    return ParseError(f"{what} is more than the {cap_mb} MB splatkit parses at once (--max-mb); "
                      f"{BIG_LOGS}, or raise --max-mb", source=name)


def read_input(file: str | None, cap_mb: int = MAX_INPUT_MB) -> tuple[str, str]:
    """(display name, text) of FILE, ``-`` or, when None, the bundled seed."""
    cap = cap_mb << 20
    if file is None:
        path = sample_path(SEED)
        return str(path), path.read_text(encoding="utf-8", errors="replace")
    if file == "-":
        return "<stdin>", _read_stdin(cap, cap_mb).decode("utf-8", errors="replace")
    try:
        with open(file, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > cap:
                raise too_big(file, size, cap_mb)
            data = f.read(cap + 1)
    except OSError as err:
        raise ParseError(f"cannot read file: {err.strerror or err}", source=file) from err
    if len(data) > cap:
        raise too_big(file, None, cap_mb)  # (a device or a FIFO: read to the cap and one byte more)
    return file, data.decode("utf-8", errors="replace")


def _read_stdin(cap: int, cap_mb: int) -> bytes:
    stdin = sys.stdin
    if stdin is None or stdin.closed:
        raise ParseError("standard input is closed; give a FILE, or pipe a log in: splatkit json - < console.log",
                         source="<stdin>")
    try:
        data = stdin.buffer.read(cap + 1)
    except OSError as err:
        raise ParseError(f"cannot read standard input: {err.strerror or err}; give a FILE instead",
                         source="<stdin>") from err
    if len(data) > cap:
        raise too_big("<stdin>", None, cap_mb)
    return data


def write_stdout(text: str) -> None:
    """Write ``text`` to standard output and flush it, or raise OutputError saying why not."""
    stdout = sys.stdout
    if stdout is None or stdout.closed:
        raise OutputError("<stdout>: standard output is closed; redirect it to a file (splatkit json FILE > "
                          "out.json), or give report -o FILE")
    try:
        stdout.write(text)
        stdout.flush()
    except BrokenPipeError:
        _forget_stdout()
        raise OutputError("<stdout>: the program reading standard output exited before the output ended "
                          "(a pipe into head?); the output is cut short: write it to a file to keep it all") from None
    except OSError as err:
        _forget_stdout()
        raise OutputError(f"<stdout>: cannot write standard output: {err.strerror or err}; "
                          f"{_OUTPUT_HINTS.get(err.errno, 'write to a file instead')}") from None


#: What to do about a write that failed, by errno.
_OUTPUT_HINTS = {
    errno.ENOSPC: "free some space or write somewhere else",
    errno.EDQUOT: "free some space or write somewhere else",
    errno.EACCES: "choose a path you may write to",
    errno.EROFS: "choose a path on a writable file system",
    errno.ENOENT: "create its directory first, or choose another path",
    errno.ENOTDIR: "a part of the path is a file, not a directory: choose another path",
    errno.EISDIR: "it is a directory: give a file name in it",
}


def _forget_stdout() -> None:
    """Point standard output's file descriptor at /dev/null, so that the interpreter's last
    flush of what is still buffered does not fail again (Python's advice for SIGPIPE)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def write_file(path: str, text: str) -> None:
    """Write ``text`` to ``path`` (UTF-8), or raise OutputError saying why not; a file this
    created is removed when the write fails half way (a full disk)."""
    existed = os.path.lexists(path)
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as err:
        if not existed and os.path.isfile(path):
            os.remove(path)
        raise OutputError(f"{path}: cannot write the report: {err.strerror or err}; "
                          f"{_OUTPUT_HINTS.get(err.errno, 'choose another -o path')} (or -o - for standard output)"
                          ) from None
