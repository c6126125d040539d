"""Generated corpora of console logs for the corpus scan's tests and benchmark.

Each log is console noise (printk timestamps, the lines a real boot prints, now and then a
line that looks like the start of another kernel report) with reports of the shared
syzkaller and wild corpora put in at random places; some logs hold none. The reports are
read from ../shared at run time, never copied into the project.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import random
from collections.abc import Sequence
from pathlib import Path

from conftest import CORPUS, WILD, read_log

#: Unrelated console lines, the bulk of a real log ({n}: a counter).
NOISE = (
    "usb 1-1: new high-speed USB device number {n} using ehci-pci",
    "EXT4-fs (sda1): mounted filesystem with ordered data mode. Opts: (null)",
    'audit: type=1400 audit({n}.512:{n}): apparmor="DENIED" operation="open" profile="snap"',
    "IPv6: ADDRCONF(NETDEV_CHANGE): eth0: link becomes ready",
    "systemd[1]: Started Session {n} of user root.",
    "kworker/u4:{n}: page allocation failure: order:0, mode:0x40cc0",
    "syz-executor.{n}: attempt to access beyond end of device",
)
#: Rarer lines that start other reports (not lockdep's), one in RARE_EVERY.
RARE = (
    "==================================================================",
    "BUG: KASAN: use-after-free in foo+0x12/0x40",
    "WARNING: CPU: 1 PID: {n} at drivers/net/foo.c:12 foo_xmit+0x1/0x2",
    "INFO: task kworker/0:{n} blocked for more than 143 seconds.",
)
RARE_EVERY = 97
#: How generated logs are written, by file ending (plain first).
WRITERS = {
    "": lambda path, data: path.write_bytes(data),
    ".gz": lambda path, data: path.write_bytes(gzip.compress(data, compresslevel=1)),
    ".xz": lambda path, data: path.write_bytes(lzma.compress(data, preset=0)),
    ".bz2": lambda path, data: path.write_bytes(bz2.compress(data, compresslevel=1)),
    ".zst": lambda path, data: path.write_bytes(_zstd(data)),
}


def _zstd(data: bytes) -> bytes:
    import zstandard

    return zstandard.ZstdCompressor(level=1).compress(data)


def shared_reports() -> list[str]:
    """The console log of every syzkaller corpus file and every wild paste (empty without them)."""
    texts = []
    if (CORPUS / "report").is_dir():
        texts += [read_log(path) for path in sorted((CORPUS / "report").iterdir())]
    if (WILD / "splats").is_dir():
        texts += [path.read_text(encoding="utf-8", errors="replace").replace("\r", "")
                  for path in sorted((WILD / "splats").glob("*.txt"))]
    return [t if t.endswith("\n") else t + "\n" for t in texts]


def noise(rng: random.Random, lines: int, start: int) -> str:
    out = []
    for n in range(start, start + lines):
        text = rng.choice(RARE if n % RARE_EVERY == 0 else NOISE).format(n=n)
        out.append(f"[{n // 1000:6d}.{n % 1000000:06d}] {text}\n")
    return "".join(out)


def log_text(rng: random.Random, reports: Sequence[str], *, per_log: tuple[int, int] = (0, 3),
             noise_lines: tuple[int, int] = (20, 200)) -> str:
    """One log: noise, then reports with noise between (``per_log`` of them, at random)."""
    parts = [noise(rng, rng.randint(*noise_lines), 1)]
    for _ in range(rng.randint(*per_log)):
        parts.append(rng.choice(reports))
        parts.append(noise(rng, rng.randint(*noise_lines), 1000))
    return "".join(parts)


def write_corpus(root: Path, reports: Sequence[str], logs: int, *, seed: int = 1,
                 endings: Sequence[str] = ("", "", ".gz", ".xz", ".zst", ".bz2"), per_log: tuple[int, int] = (0, 3),
                 noise_lines: tuple[int, int] = (20, 200)) -> list[Path]:
    """Write ``logs`` generated logs under ``root`` (in a few subdirectories), each plain or
    compressed by turns (``endings``), with modification times a day apart; returns them."""
    rng = random.Random(seed)
    paths = []
    for i in range(logs):
        ending = endings[i % len(endings)]
        path = root / f"host{i % 3}" / f"console-{i:05d}.log{ending}"
        path.parent.mkdir(parents=True, exist_ok=True)
        WRITERS[ending](path, log_text(rng, reports, per_log=per_log, noise_lines=noise_lines).encode())
        stamp = 1_700_000_000 + 86_400 * i
        os.utime(path, (stamp, stamp))
        paths.append(path)
    return paths


def shared_corpus(tmp_path_factory, name: str, logs: int, **options) -> Path:
    """A folder of ``logs`` generated logs (:func:`write_corpus` with ``options``) built from
    the shared corpora, for a module's fixture; the test skips when they are absent."""
    import pytest

    reports = shared_reports()
    if not reports:
        pytest.skip("shared corpora not found (../shared/corpus)")
    root = tmp_path_factory.mktemp(name)
    write_corpus(root, reports, logs, **options)
    return root


def read_text(path: Path) -> str:
    """A generated log's text, decompressed."""
    data = path.read_bytes()
    for ending, decompress in ((".gz", gzip.decompress), (".xz", lzma.decompress), (".bz2", bz2.decompress),
                               (".zst", _unzstd)):
        if path.name.endswith(ending):
            data = decompress(data)
    return data.decode("utf-8", errors="replace")


def parsed_groups(paths) -> dict[str, tuple[int, int]]:
    """title -> (reports, logs) of the logs at ``paths``, from :func:`splatkit.parse` on each
    whole log (what a corpus scan must find)."""
    import collections

    import splatkit

    counts: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    for path in paths:
        for title, n in collections.Counter(s.title for s in splatkit.parse(read_text(path))).items():
            counts[title][0] += n
            counts[title][1] += 1
    return {title: (n, logs) for title, (n, logs) in counts.items()}


def _unzstd(data: bytes) -> bytes:
    import zstandard

    return zstandard.ZstdDecompressor().decompress(data)
