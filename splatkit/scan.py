"""Find lockdep reports in console logs of any size, reading them in chunks.

:func:`splatkit.parse` normalises every line of its input, which is right for a pasted
splat and wrong for a 1 GB console log with a few reports in it. The scanner reads the log
in chunks and looks for the kinds' anchors (:data:`splatkit.grammar.kinds.SCAN_ANCHORS`)
with literal searches at memory speed. Around the lines that may hold a banner it
normalises and parses one *region*, once: from a line where parse's line state starts
afresh (:mod:`splatkit.cuts`) before the first banner, to one after the last, so that 400
banners in a row are read as one region, not 400 windows. A report is given out once the
region holds its end (:mod:`splatkit.parse.extent`), so that nothing the region lacks
could change it; otherwise the next region starts before it and reads further.

A text that ``normalize`` decodes as a whole (a quoted-printable mail, a UTF-7 archive: see
:class:`~splatkit.cuts.EncodingSniffer`) has no literal anchors to search for; it is read
region by region, every line normalised, as parse reads it. Either way each splat is the one
:func:`splatkit.parse` gives for the whole file, with the same line numbers.

:func:`scan_corpus` scans many logs, on Dask when it is installed, and groups what it finds
by syzbot title (:mod:`splatkit.corpus`).
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from .anchors import Located
from .cuts import Encodings, EncodingSniffer
from .model import Splat
from .scanner import Scanner

__all__ = ["Located", "locate", "scan", "scan_corpus"]

#: Bytes read at a time. Below glibc's mmap threshold (128 KiB) on purpose: a bigger read is
#: a fresh mapping each time, faulted in page by page and unmapped again, which cost a
#: quarter of a corpus scan's time (logs of 1 MB read in 8 MB chunks: 900,000 page faults
#: per 600 MB; with 96 KiB reads, the buffers are reused from the heap).
CHUNK = 96 << 10


# -- opening a log ---------------------------------------------------------------------------

#: The encoding pre-read reads this much at a time (at least).
_SNIFF_READ = CHUNK


def _sniff(stream: BinaryIO, read_size: int, copy: BinaryIO | None = None) -> Encodings:
    """Read ``stream`` to its end (or until the answer is known) for its whole-text encodings;
    ``copy`` receives every byte read."""
    sniffer = EncodingSniffer()
    tail = bytearray()  # a line begun in the last piece read
    while True:
        data = stream.read(max(read_size, _SNIFF_READ))
        if not data:
            break
        if copy is not None:
            copy.write(data)
        if sniffer.decided:
            if copy is None:
                return sniffer.result()
            continue
        first, last = data.find(b"\n") + 1, data.rfind(b"\n") + 1
        if not first:  # no line ends here
            tail += data
            continue
        sniffer.feed(bytes(tail) + data[:first])  # (copies one line, not the piece)
        sniffer.feed(data, first, last)
        tail = bytearray(data[last:])
    if tail:
        sniffer.feed(bytes(tail))
    return sniffer.result()


@contextmanager
def _opened(source: str | os.PathLike[str] | BinaryIO, chunk_size: int) -> Iterator[tuple[BinaryIO, Encodings]]:
    """A binary stream of the log at its start, and its encodings.

    A stream that cannot seek (a pipe) is copied to a temporary file while it is pre-read:
    whether parse decodes a text as a whole depends on all of it.
    """
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as f:
            encodings = _sniff(f, chunk_size)
            f.seek(0)
            yield f, encodings
        return
    stream = source
    if isinstance(source, io.TextIOBase):
        stream = getattr(source, "buffer", None)
        if stream is None:  # an in-memory text stream
            stream = io.BytesIO(source.read().encode("utf-8", errors="surrogatepass"))
    if stream.seekable():
        start = stream.tell()
        encodings = _sniff(stream, chunk_size)
        stream.seek(start)
        yield stream, encodings
        return
    with tempfile.TemporaryFile() as spool:
        encodings = _sniff(stream, chunk_size, copy=spool)
        spool.seek(0)
        yield spool, encodings


def _chunks(source: str | os.PathLike[str] | BinaryIO, chunk_size: int, parse: bool) -> Iterator[Splat | Located]:
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive number of bytes, got {chunk_size}")
    with _opened(source, chunk_size) as (stream, encodings):
        yield from Scanner(stream, chunk_size, encodings, parse).run()


def locate(source: str | os.PathLike[str] | BinaryIO, *, chunk_size: int = CHUNK) -> Iterator[Located]:
    """Yield where every lockdep report of a log starts, without parsing the reports.

    As fast as the log can be searched for :data:`SCAN_ANCHORS` (after one pre-read that
    tells whether the text is encoded as a whole, see :mod:`splatkit.cuts`); use it to
    index a big log, then parse the reports you want (or use :func:`scan`). The banners are
    those :func:`splatkit.parse` finds, at the same line numbers.

    >>> import io
    >>> [(r.kind, r.line_no) for r in locate(io.BytesIO(seed_text.encode()))]
    [('circular', 2)]
    """
    for found in _chunks(source, chunk_size, parse=False):
        assert isinstance(found, Located)
        yield found


def scan(source: str | os.PathLike[str] | BinaryIO, *, chunk_size: int = CHUNK) -> Iterator[Splat]:
    """Yield every lockdep report in a log file, in order, reading it ``chunk_size`` bytes at a time.

    ``source`` is a path or a binary file object (one that cannot seek, a pipe, is copied
    to a temporary file first). Each splat is the one :func:`splatkit.parse` gives for the
    whole file, line numbers included. Each line is normalised and parsed once, however
    many banners there are; memory stays bounded by the chunk size plus the largest report
    window, for a log whose lines carry a console or syslog prefix (a text without any, such
    as a mail, has nowhere to be cut and is held whole, as parse holds it). A report still
    running :data:`splatkit.scanner.MAX_WINDOW` bytes after its banner is given out as read so far, with a
    warning.

    >>> import io
    >>> [s.cycle[0] for s in scan(io.BytesIO(seed_text.encode()))]
    ['kvm_lock']
    """
    for splat in _chunks(source, chunk_size, parse=True):
        assert isinstance(splat, Splat)
        yield splat


def scan_corpus(paths, client=None, **options):  # type: ignore[no-untyped-def]
    """Every lockdep report in many logs, grouped by syzbot title, with the merged lock graph:
    ``table, graph = scan_corpus(paths)``. See :func:`splatkit.corpus.scan_corpus`, which this
    calls (the corpus package reads each log with :func:`scan`)."""
    from .corpus import scan_corpus as run

    return run(paths, client, **options)
