"""The logs of a corpus: finding them (files, directories, globs, URLs) and opening them
(plain, ``.gz``, ``.xz``, ``.bz2``, ``.zst``).

A local path is read with the standard library (and the ``zstandard`` package for
``.zst``); a URL (``s3://``, ``https://``, anything with ``://``) through fsspec, which the
``dask`` extra installs. Both are opened where the scan runs: on a Dask cluster, on the
worker, so the paths must name files the workers can read.

:class:`LogStream` is what the scanner reads: it reopens the log to go back to its start
(the scanner reads a log twice, first for its whole-text encodings: a ``.zst`` stream cannot
seek back, and copying it to a temporary file would cost a disk write per log), and it ends
a log whose compressed data is cut short where the data ends, saying so, instead of losing
every report before the damage.
"""

from __future__ import annotations

import bz2
import errno
import glob
import gzip
import io
import lzma
import os
import sys
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, BinaryIO

__all__ = ["COMPRESSIONS", "LogRef", "LogStream", "NotFound", "data_errors", "find_logs", "is_url", "open_log"]

#: File name endings read as compressed logs, and how.
COMPRESSIONS = (".gz", ".xz", ".bz2", ".zst")
#: What a damaged or truncated compressed stream raises (besides OSError), by module.
_DATA_ERRORS: tuple[type[BaseException], ...] = (EOFError, lzma.LZMAError, zlib.error)


@dataclass(frozen=True, order=True)
class LogRef:
    """One log of a corpus: where to open it, and its size on disk (for the progress and
    the partitions; 0 when unknown)."""

    path: str
    size: int = 0


@dataclass(frozen=True)
class NotFound:
    """A path on the command line that names no log (no such file, a glob that matches
    nothing, a directory that cannot be listed), and why."""

    path: str
    reason: str


def is_url(path: str) -> bool:
    """True for a path fsspec must open (``s3://bucket/log``); ``file://`` counts as local."""
    return "://" in path and not path.startswith("file://")


def _local(path: str) -> str:
    return path[len("file://"):] if path.startswith("file://") else path


def find_logs(paths: Iterable[str]) -> tuple[list[LogRef], list[NotFound]]:
    """Every log the paths name, each once, in order of path: a file; every file under a
    directory (recursively); every file a glob (``*``, ``?``, ``[...]``, ``**``) matches.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("a.log", "sub/b.log.gz"):
    ...     (d / name).parent.mkdir(exist_ok=True); _ = (d / name).write_bytes(b"x")
    >>> logs, missing = find_logs([str(d), str(d / "nothing*")])
    >>> [pathlib.Path(r.path).relative_to(d).as_posix() for r in logs], [m.reason for m in missing]
    (['a.log', 'sub/b.log.gz'], ['no file matches this pattern'])
    """
    found: dict[str, LogRef] = {}
    missing: list[NotFound] = []
    for path in paths:
        try:
            refs = _find_remote(path) if is_url(path) else _find_local(_local(path))
        except OSError as err:
            missing.append(NotFound(path, err.strerror or str(err)))
            continue
        except ImportError as err:
            missing.append(NotFound(path, str(err)))
            continue
        if isinstance(refs, NotFound):
            missing.append(refs)
            continue
        for ref in refs:
            key = ref.path if is_url(ref.path) else os.path.realpath(ref.path)
            found.setdefault(key, ref)
    return sorted(found.values()), missing


def _find_local(path: str) -> list[LogRef] | NotFound:
    if glob.has_magic(path):
        matches = sorted(glob.glob(path, recursive=True))
        if not matches:
            return NotFound(path, "no file matches this pattern")
    else:
        matches = [path]
    refs: list[LogRef] = []
    for match in matches:
        if os.path.isdir(match):
            for root, dirs, files in os.walk(match, onerror=_raise):
                dirs.sort()
                refs.extend(_local_ref(os.path.join(root, name)) for name in sorted(files))
        elif os.path.lexists(match) or glob.has_magic(path):
            refs.append(_local_ref(match))
        else:
            return NotFound(path, os.strerror(errno.ENOENT))
    return refs


def _raise(err: OSError) -> None:
    raise err


def _local_ref(path: str) -> LogRef:
    try:
        return LogRef(path, os.stat(path).st_size)
    except OSError:  # (reported when it is opened, with the reason)
        return LogRef(path, 0)


def _fsspec() -> Any:
    try:
        import fsspec
    except ImportError as err:
        raise ImportError("reading a URL needs fsspec: pip install 'splatkit[dask]'") from err
    return fsspec


def _find_remote(path: str) -> list[LogRef] | NotFound:
    fs, root = _fsspec().core.url_to_fs(path)
    if glob.has_magic(root):
        infos = fs.glob(root, detail=True)
        if not infos:
            return NotFound(path, "no file matches this pattern")
    elif fs.isdir(root):
        infos = {root: {"type": "directory"}}
    elif fs.exists(root):
        infos = {root: fs.info(root)}
    else:
        return NotFound(path, os.strerror(errno.ENOENT))
    refs = []
    for name, info in sorted(infos.items()):
        if info.get("type") == "directory":
            refs.extend(LogRef(fs.unstrip_protocol(n), int(i.get("size") or 0))
                        for n, i in sorted(fs.find(name, detail=True).items()))
        else:
            refs.append(LogRef(fs.unstrip_protocol(name), int(info.get("size") or 0)))
    return refs


# -- opening ------------------------------------------------------------------------------------------

def _zstd_open(path: str) -> BinaryIO:
    try:
        import zstandard
    except ImportError as err:
        raise ImportError("reading a .zst log needs the zstandard package: pip install 'splatkit[dask]' "
                          "(or pip install zstandard)") from err
    raw = open(path, "rb")
    return zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True, closefd=True)


#: How a local log is opened, by the end of its name (each closes the file when it is closed).
_OPENERS: dict[str, Callable[[str], BinaryIO]] = {
    ".gz": lambda path: gzip.open(path, "rb"),
    ".xz": lambda path: lzma.open(path, "rb"),
    ".bz2": lambda path: bz2.open(path, "rb"),
    ".zst": _zstd_open,
}


def open_log(path: str) -> BinaryIO:
    """A binary stream of the log's text (decompressed). Raises OSError (or ImportError for a
    form that needs a package not installed) when it cannot be opened."""
    if is_url(path):
        return _fsspec().open(path, "rb", compression="infer").open()
    path = _local(path)
    for ending, opener in _OPENERS.items():
        if path.endswith(ending):
            return opener(path)
    return open(path, "rb")


def data_errors() -> tuple[type[BaseException], ...]:
    """What reading a damaged compressed log raises, besides OSError."""
    errors = _DATA_ERRORS
    try:
        import zstandard
    except ImportError:
        return errors
    return (*errors, zstandard.ZstdError)


class LogStream(io.RawIOBase):
    """A log as the scanner reads it: it goes back to its start by reopening the log, and a
    read error in the middle ends the text there (``error`` says why, ``read_ok`` how much
    was read before it) rather than losing what came before.

    The log is read :data:`PIECE` bytes at a time whatever the caller asks for, so that a
    damaged log ends at the same byte on every pass (a decompressor loses what it had decoded
    in the read that fails: at most a piece).

    >>> import tempfile, gzip
    >>> path = tempfile.mktemp(suffix=".log.gz")
    >>> with open(path, "wb") as f:
    ...     _ = f.write(gzip.compress(b"".join(b"line %d\\n" % i for i in range(200_000)))[:-300])  # cut short
    >>> with LogStream(path) as s:
    ...     text = b"".join(iter(lambda: s.read(4096), b"")); _ = s.seek(0)
    ...     again = b"".join(iter(lambda: s.read(1 << 20), b""))
    >>> text == again, text.startswith(b"line 0"), type(s.error).__name__, s.read_ok == len(text) > 1_000_000
    (True, True, 'EOFError', True)
    """

    #: Bytes read from the log at a time.
    PIECE = 64 << 10

    def __init__(self, path: str, opener: Callable[[str], BinaryIO] = open_log) -> None:
        super().__init__()
        self.path, self._opener = path, opener
        self._stream: BinaryIO | None = None
        self._buf = bytearray()
        self._pos = 0
        self._eof = False
        self.error: BaseException | None = None
        self.read_ok = 0  # the most bytes read before an error or the end
        self._errors = (OSError, *data_errors())
        self._reopen()

    def _reopen(self) -> None:
        if self._stream is not None:
            self._stream.close()
        self._stream, self._pos, self._eof, self.error = None, 0, False, None
        self._buf.clear()
        self._stream = self._opener(self.path)  # (an error opening it goes to the caller)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence != io.SEEK_SET or offset not in (0, self._pos):
            raise io.UnsupportedOperation("a log stream only goes back to its start")
        if offset == 0 and self._pos:
            self._reopen()
        return self._pos

    def read(self, size: int | None = -1) -> bytes:
        want = sys.maxsize if size is None or size < 0 else size
        while len(self._buf) < want and not self._eof and self._stream is not None:
            try:
                piece = self._stream.read(self.PIECE)
            except self._errors as err:  # damaged or cut short: the text ends here
                self.error, self._eof = err, True
                break
            if not piece:
                self._eof = True
            self._buf += piece
        data = bytes(self._buf[:want])
        del self._buf[:want]
        self._pos += len(data)
        self.read_ok = max(self.read_ok, self._pos)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None
        super().close()
