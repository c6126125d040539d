"""``splatkit scan``: the grouped table as text, CSV or JSON; the lock graph for the explorer;
logs that cannot be read, one line each; the progress bar only on a terminal."""

from __future__ import annotations

import collections
import csv
import fcntl
import io
import json
import os
import pty
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

import networkx as nx
import pytest
from networkx.readwrite import json_graph

import splatkit
from corpus_gen import parsed_groups, read_text, shared_corpus
from splatkit import scanner
from splatkit.corpus import engine

LOGS = 12


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return shared_corpus(tmp_path_factory, "cli-corpus", LOGS, seed=7, per_log=(1, 3))


@pytest.fixture(scope="module")
def expected(corpus) -> dict[str, tuple[int, int]]:
    return parsed_groups(sorted(corpus.rglob("*.log*")))


def test_json_is_a_list_of_groups(cli, corpus, expected):
    status, out, err = cli("scan", "--format", "json", "--workers", "1", corpus)
    assert (status, err) == (0, "")  # (nothing on standard error when it is no terminal)
    groups = json.loads(out)
    assert all(list(g) == ["title", "kind", "count", "logs", "first_seen", "last_seen", "example"] for g in groups)
    assert {g["title"]: (g["count"], g["logs"]) for g in groups} == expected
    assert [g["count"] for g in groups] == sorted((g["count"] for g in groups), reverse=True)
    for g in groups:
        assert g["first_seen"] <= g["last_seen"] and g["last_seen"].endswith("Z")
        path, line = g["example"].rsplit(":", 1)
        assert (g["title"], g["kind"], int(line)) in {
            (s.title, s.kind, s.span.first_line) for s in splatkit.parse(read_text(Path(path)))}


def test_csv_and_table_say_the_same(cli, corpus, expected):
    _status, out, _err = cli("scan", "--format", "json", "--workers", "1", corpus)
    groups = json.loads(out)
    status, out, _err = cli("scan", "--format", "csv", "--workers", "1", corpus)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert status == 0 and [dict(r) for r in rows] == [
        {k: str(v) for k, v in g.items()} for g in groups]
    status, out, _err = cli("scan", "--workers", "1", corpus)
    lines = out.splitlines()
    assert status == 0 and lines[0].split()[:2] == ["count", "logs"] and len(lines) == len(groups) + 1
    for line, g in zip(lines[1:], groups):
        assert line.split()[:2] == [str(g["count"]), str(g["logs"])]
        assert f"  {g['kind']}  " in line and g["title"] in line and line.endswith(g["example"])


def test_files_globs_directories_and_stdin(cli, corpus, seed_text):
    logs = sorted(corpus.rglob("*.log*"))
    args = [logs[0], str(corpus / "host1" / "*.zst"), corpus / "host2", "-"]
    status, out, err = cli("scan", "--format", "json", "--workers", "1", *args, stdin=seed_text)
    assert (status, err) == (0, "")
    read = {logs[0], *(corpus / "host1").glob("*.zst"), *(corpus / "host2").rglob("*")}
    assert len(read) == 1 + 2 + 4
    want = collections.Counter(s.title for p in read for s in splatkit.parse(read_text(p)))
    want[splatkit.parse(seed_text)[0].title] += 1
    assert {g["title"]: g["count"] for g in json.loads(out)} == want


def test_unreadable_logs_one_line_each_and_the_scan_goes_on(cli, corpus, expected, tmp_path):
    (tmp_path / "broken.log.zst").write_bytes(b"not zstd at all")
    (tmp_path / "dangling.log").symlink_to(tmp_path / "nowhere")
    status, out, err = cli("scan", "--format", "json", "--workers", "1", corpus, tmp_path, tmp_path / "no-such.log")
    assert status == 0
    assert {g["title"]: (g["count"], g["logs"]) for g in json.loads(out)} == expected
    assert sorted(err.splitlines()) == [
        f"splatkit: {tmp_path / 'broken.log.zst'}: cannot read: ZstdError: zstd decompress error: Unknown frame "
        "descriptor",
        f"splatkit: {tmp_path / 'dangling.log'}: cannot read: No such file or directory",
        f"splatkit: {tmp_path / 'no-such.log'}: cannot read: No such file or directory",
    ]


def test_exit_2_only_when_nothing_could_be_read(cli, tmp_path):
    (tmp_path / "broken.log.gz").write_bytes(b"not gzip")
    status, out, err = cli("scan", tmp_path / "broken.log.gz", tmp_path / "missing")
    assert (status, out) == (2, "")
    assert err.splitlines()[-1] == "splatkit: scan: no log could be read" and len(err.splitlines()) == 3
    (tmp_path / "empty").mkdir()
    status, out, err = cli("scan", tmp_path / "empty")
    assert (status, out, err) == (2, "", f"splatkit: scan: no log was found in {tmp_path / 'empty'}\n")
    # A log without a report was read: no error.
    (tmp_path / "quiet.log").write_text("[    1.000000] nothing to see\n")
    assert cli("scan", tmp_path / "quiet.log") == (0, "no lockdep report found\n", "")


def test_the_merged_lock_graph_as_graphml_and_json(cli, corpus, tmp_path):
    table, graph = splatkit.scan.scan_corpus([str(corpus)], workers=1)
    for name in ("locks.graphml", "locks.json"):
        status, _out, err = cli("scan", "--workers", "1", "--graph", tmp_path / name, corpus)
        assert (status, err) == (0, "")
    g = nx.read_graphml(tmp_path / "locks.graphml")
    assert sorted(g.nodes) == sorted(graph.nx.nodes) and sorted(g.edges) == sorted(graph.nx.edges)
    data = json.loads((tmp_path / "locks.json").read_text())
    j = json_graph.node_link_graph(data, edges="edges")
    assert sorted(j.edges) == sorted(graph.nx.edges)
    # Each edge says how much evidence there was, and where the first pieces are.
    for u, v, attrs in j.edges(data=True):
        assert attrs["evidence_count"] == graph.nx.edges[u, v]["evidence_count"] >= len(attrs["evidence"]) >= 1
        assert all(Path(ev["file"]).is_relative_to(corpus) and ev["line"] for ev in attrs["evidence"])
    assert any(attrs["in_cycle"] for _u, _v, attrs in j.edges(data=True))
    status, _out, err = cli("scan", "--graph", tmp_path / "locks.dot", corpus)
    assert status == 2 and "give a file name ending in .graphml or .json" in err


def test_a_parser_crash_is_named_and_the_rest_scanned(cli, corpus, expected, monkeypatch, tmp_path, seed_text):
    real = scanner.parse_lines

    def fragile(lines):
        if any("CRASH-ME" in line.raw for line in lines):
            raise ValueError("cannot happen")
        return real(lines)

    monkeypatch.setattr(scanner, "parse_lines", fragile)
    lines = seed_text.split("\n")
    (tmp_path / "crash.log").write_text("\n".join(["boot"] * 10 + lines[:5] + ["CRASH-ME"] + lines[5:]))
    status, out, err = cli("scan", "--format", "json", "--workers", "1", corpus, tmp_path / "crash.log")
    assert status == 0 and {g["title"]: (g["count"], g["logs"]) for g in json.loads(out)} == expected
    (line,) = err.splitlines()
    assert line.startswith(f"splatkit: {tmp_path / 'crash.log'}:12: the parser failed on the report here "
                           "(ValueError: cannot happen)")


def test_without_dask_a_note_once_then_the_same(cli, corpus, expected, monkeypatch):
    monkeypatch.setattr(engine, "_dask", lambda: None)
    status, out, err = cli("scan", "--format", "json", corpus)
    assert status == 0 and {g["title"]: (g["count"], g["logs"]) for g in json.loads(out)} == expected
    assert err == ("splatkit: note: splatkit scans the corpus in one process: install the parallel engine with: "
                   "pip install 'splatkit[dask]'\n")


def test_on_a_dask_cluster(cli, cluster, corpus, expected, monkeypatch):
    status, out, _err = cli("scan", "--format", "json", "--scheduler", cluster.scheduler.address, corpus)
    assert status == 0 and {g["title"]: (g["count"], g["logs"]) for g in json.loads(out)} == expected
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", cluster.scheduler.address)
    import dask

    dask.config.refresh()
    try:
        status, out2, _err = cli("scan", "--format", "json", corpus)
    finally:
        monkeypatch.delenv("DASK_SCHEDULER_ADDRESS")
        dask.config.refresh()
    assert (status, out2) == (0, out)


def _run_on_a_terminal(args: list[str]) -> tuple[int, str, str]:
    """Run ``python -m splatkit ARGS`` with standard error on a pseudo-terminal; (status,
    stdout, what the terminal showed)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # (a new one has 0 columns)
    proc = subprocess.Popen([sys.executable, "-m", "splatkit", *args], stdout=subprocess.PIPE, stderr=slave,
                            stdin=subprocess.DEVNULL)
    os.close(slave)
    shown = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(master, 4096)
        except OSError:  # (the child closed the terminal)
            break
        if not data:
            break
        shown += data
    out = proc.stdout.read().decode()
    status = proc.wait(timeout=60)
    os.close(master)
    return status, out, shown.decode(errors="replace")


def test_a_progress_bar_on_a_terminal_and_nothing_when_piped(corpus, child):
    status, out, shown = _run_on_a_terminal(["scan", "--format", "csv", "--workers", "2", str(corpus)])
    assert status == 0 and out.startswith("title,kind,count,logs,first_seen,last_seen,example\n")
    assert "scan: 100%" in shown and "B/s" in shown and f" reports, {LOGS}/{LOGS} logs" in shown
    assert f"in {LOGS} logs" in shown and "local Dask scheduler, 2 processes" in shown  # (the summary)
    piped = child("scan", "--format", "csv", "--workers", "2", corpus)
    assert (piped.returncode, piped.stdout, piped.stderr) == (0, out, "")
