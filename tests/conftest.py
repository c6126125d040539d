"""Shared fixtures: the seed, the shared corpus (skipped cleanly when absent), a browser."""

from __future__ import annotations

import csv
import os
import random
import re
import shutil
import socket
from pathlib import Path

import pytest

import splatkit
from splatkit.samples import program_names, program_text, sample_path, sample_text

REPO = Path(__file__).resolve().parent.parent
#: ../shared beside the repository (the CI clone has it too); tests that need it skip without it.
SHARED = Path(os.environ.get("SPLATKIT_SHARED", REPO.parent / "shared"))
SEED_EMAIL = SHARED / "seed" / "kvm-cpuhp-lockdep-email.txt"
CORPUS = SHARED / "corpus" / "syzkaller"
#: Real pastes as posted, with hand-read ground truth in index.tsv (see its README).
WILD = SHARED / "corpus" / "wild"

#: Chromium flags for this sandbox: no network chatter, no GPU, no sandbox (we run as root).
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def seed_text() -> str:
    return sample_text()


@pytest.fixture(scope="session")
def seed_path() -> Path:
    return sample_path()


@pytest.fixture(scope="session")
def seed_splat(seed_text):
    (splat,) = splatkit.parse(seed_text)
    return splat


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"shared material not found at {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def corpus_dir(shared_dir) -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"syzkaller corpus not found at {CORPUS}")
    return CORPUS


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of a system Chromium; browser tests skip without one, unless CI demands it."""
    path = os.environ.get("SPLATKIT_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        if os.environ.get("SPLATKIT_REQUIRE_BROWSER"):
            pytest.fail("SPLATKIT_REQUIRE_BROWSER is set but no chromium was found; apt-get install chromium")
        pytest.skip("no chromium on PATH (apt-get install chromium)")
    return path


@pytest.fixture(scope="session")
def cluster():
    """A client of a real Dask cluster on this machine: a scheduler and 2 worker processes
    (one thread each) over TCP on 127.0.0.1 (skips without distributed)."""
    import logging

    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  protocol="tcp", dashboard_address=None, silence_logs=logging.CRITICAL) as c, \
            distributed.Client(c) as client:
        yield client


def assert_lossless(splat) -> None:
    """Every input line of the report's span is in exactly one place: a field, ``unrecognised``
    (with its reason) or ``interleaved``; nothing is dropped silently."""
    seen = ([no for no, _ in splat.line_fields] + [u.line for u in splat.unrecognised] + list(splat.interleaved))
    # (An input line a tool had joined several report lines into holds one piece per line.)
    split = {line.no for line in splat.lines if line.piece}
    assert sorted(set(seen)) == list(range(splat.span.first_line, splat.span.last_line + 1))
    assert all(seen.count(no) == 1 for no in set(seen) - split)
    assert all(u.reason for u in splat.unrecognised)


def read_log(path: Path) -> str:
    """The console log of a corpus file: after the header block, before a ``REPORT:`` section."""
    text = path.read_text(encoding="utf-8", errors="replace").replace("\r", "")
    _header, _, log = text.partition("\n\n")
    return log.split("\n\nREPORT:\n")[0]


def program_header(text: str, key: str) -> list[str]:
    """The values of an exercise program's ``# key: value`` header lines."""
    return [m.group(1).strip() for m in re.finditer(rf"^#\s*{key}:\s*(.+)$", text, re.M)]


def program_reports() -> list[tuple[str, str, str]]:
    """(program, source, report) for every report a bundled program says it reproduces
    (``# reproduces: syzkaller 185, 187`` or ``# reproduces: sample kvm-cpuhp-2024``)."""
    pairs = []
    for name in program_names():
        for line in program_header(program_text(name), "reproduces"):
            source, _, reports = line.partition(" ")
            pairs += [(name, source, report) for report in re.split(r"[,\s]+", reports.strip()) if report]
    return pairs


def real_report(source: str, report: str) -> splatkit.Splat:
    """The real report a program rebuilds: a bundled sample, or a syzkaller corpus report
    (the test skips without the corpus)."""
    if source == "sample":
        return splatkit.parse(sample_text(report))[0]
    if not CORPUS.is_dir():
        pytest.skip(f"syzkaller corpus not found at {CORPUS}")
    return splatkit.parse(read_log(CORPUS / "report" / report))[0]


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def corpus_files(**where: str) -> list[str]:
    """File names listed in the corpus index (empty when the corpus is absent), optionally only
    those whose index columns have the given values (``printk_caller="Y"``)."""
    index = CORPUS / "index.tsv"
    if not index.is_file():
        return []
    with open(index, newline="") as f:
        return [row["file"] for row in csv.DictReader(f, delimiter="\t")
                if all(row[column] == value for column, value in where.items())]


def pytest_generate_tests(metafunc):
    """Tests that take ``corpus_file`` run once per corpus file (or skip without the corpus)."""
    for name, where in (("corpus_file", {}), ("caller_corpus_file", {"printk_caller": "Y"})):
        if name in metafunc.fixturenames:
            files = corpus_files(**where)
            metafunc.parametrize(name, files or [pytest.param(None, marks=pytest.mark.skip(
                reason=f"syzkaller corpus not found at {CORPUS}"))])


def dense_held_locks_report(held: int = 400, classes: int = 30, seed: int = 1) -> str:
    """A bad-unlock report whose held-lock list has ``held`` entries over ``classes`` lock
    classes, in random order (about 65 bytes an entry: 400 make 26 KB).

    Its lock graph (consecutive held locks are dependencies) is dense: with 30 classes it has
    hundreds of edges and more elementary cycles than anyone could list.
    """
    rng = random.Random(seed)
    entries = [f" #{i}: ffff88800a4c{i:04x} (lock_{rng.randrange(classes)}){{+.+.}}-{{3:3}}, at: f_{i}+0x1/0x2"
               for i in range(held)]
    return "\n".join([
        "=====================================", "WARNING: bad unlock balance detected!",
        "5.15.0-demo #4 Not tainted", "-------------------------------------",
        "demo/3310 is trying to release lock (&dev->io_mutex) at:",
        "[<ffffffffc08a1234>] demo_release+0x44/0x90 [demo]", "but there are no more locks to release!", "",
        "other info that might help us debug this:", f"{held} locks held by demo/3310:", *entries, "",
        "stack backtrace:", "CPU: 3 PID: 3310 Comm: demo Not tainted 5.15.0-demo #4", "Call Trace:", " <TASK>",
        " dump_stack_lvl+0x45/0x59", " lock_release+0x3a4/0x6b0", " </TASK>"]) + "\n"


def dense_held_locks_reports(reports: int = 8, held: int = 400, classes: int = 30) -> str:
    """Several :func:`dense_held_locks_report` one after the other, each taking the classes in
    another order: one list's order is a chain (a class held again adds none), but across the
    reports the lock graph is dense, with more elementary cycles than anyone could list."""
    return "".join(dense_held_locks_report(held, classes, seed) for seed in range(1, reports + 1))


def static_pictures(page: str) -> list[str]:
    """The SVG pictures of a widget's static rendering (``text/html``), decoded from the
    ``data:`` URLs of its ``<img class="sk-static-img">`` elements, in order."""
    import html
    import re
    from urllib.parse import unquote

    prefix = "data:image/svg+xml;charset=utf-8,"
    tags = re.findall(r'<img\s[^>]*class="sk-static-img"[^>]*>', page)  # (nbconvert reorders attributes)
    return [unquote(html.unescape(re.search(r'\ssrc="([^"]*)"', tag).group(1))[len(prefix):]) for tag in tags]
