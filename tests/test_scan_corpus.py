"""scan_corpus: the same groups and lock graph in one process, on a local Dask scheduler of 2
processes and on a real distributed cluster over TCP, whatever the split of the logs, and
after a worker is killed; bad logs are reported by name (and line) and the rest is scanned.

The corpus is generated from the shared syzkaller and wild corpora (skipped without them):
logs of console noise with reports put in, plain and compressed (.gz, .xz, .zst, .bz2).
The expected groups come from splatkit.parse on each log's whole text, not from the scan.
"""

from __future__ import annotations

import gzip
import json
import lzma
import os
import signal
import sys
import warnings
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import splatkit
from corpus_gen import parsed_groups, read_text, shared_corpus
from splatkit import scanner
from splatkit.corpus import engine, merge_parts, scan_log
from splatkit.corpus.logs import LogRef, find_logs
from splatkit.corpus.mainguard import start_method
from splatkit.grammar.kinds import match_banner
from splatkit.lines import normalize
from splatkit.scan import scan_corpus

LOGS = 48


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return shared_corpus(tmp_path_factory, "corpus", LOGS)


@pytest.fixture(scope="module")
def expected(corpus) -> dict[str, tuple[int, int]]:
    return parsed_groups(sorted(corpus.rglob("*.log*")))


@pytest.fixture(scope="module")
def one_process(corpus):
    return scan_corpus([str(corpus)], workers=1)


def _groups(table) -> dict[str, tuple[int, int]]:
    return {r.title: (r.count, r.logs) for r in table.itertuples(index=False)}


def _graph_data(g) -> tuple:
    nodes = sorted((n, tuple(sorted(d.get("printed", ()))), d.get("usage"), d.get("wait")) for n, d in g.nx.nodes(data=True))
    edges = sorted((u, v, d["evidence_count"], tuple((e.origin, e.line_no, e.chain_index, e.source) for e in d["evidence"]))
                   for u, v, d in g.nx.edges(data=True))
    return nodes, edges


def assert_same_scan(got, want) -> None:
    assert got.table.to_dict("records") == want.table.to_dict("records")
    assert _graph_data(got.graph) == _graph_data(want.graph)
    assert (got.logs, got.unreadable, got.reports, got.bytes) == (want.logs, want.unreadable, want.reports, want.bytes)


# -- one process: what parse finds, grouped ----------------------------------------------------------------------

def test_one_process_groups_what_parse_finds_in_every_log(one_process, expected, corpus):
    table = one_process.table
    assert _groups(table) == expected
    assert one_process.engine == "one process"
    assert one_process.logs == LOGS and one_process.unreadable == 0 and one_process.problems == []
    assert one_process.reports == sum(n for n, _ in expected.values()) > LOGS
    assert list(table.columns) == ["title", "kind", "count", "logs", "first_seen", "last_seen", "example"]
    assert list(table["count"]) == sorted(table["count"], reverse=True)
    # Every example is a file of the corpus and the line of a report with that title.
    for row in table.itertuples(index=False):
        path, line = row.example.rsplit(":", 1)
        splats = splatkit.parse(read_text(Path(path)))
        assert (row.title, int(line)) in {(s.title, s.span.first_line) for s in splats}
        assert Path(path).is_relative_to(corpus)
        assert row.first_seen <= row.last_seen
    # Compressed logs were read too: every ending holds reports.
    origins = {Path(row.example.rsplit(":", 1)[0]).suffix for row in table.itertuples(index=False)}
    assert {".gz", ".xz", ".zst", ".bz2", ".log"} <= origins | {
        Path(ev.origin).suffix for _u, _v, d in one_process.graph.nx.edges(data=True) for ev in d["evidence"]}


def _rank(e):
    return (e.origin, e.line_no or 0, -1 if e.chain_index is None else e.chain_index, e.source)


def test_the_lock_graph_merges_every_report(one_process, corpus):
    g = one_process.graph
    assert g.identity == "unversioned" and g.nx.number_of_edges() >= 40  # (a graph of some size: the sums below mean something)
    assert g.cycles(limit=10)  # the corpus holds circular reports: their cycles are in the merged graph
    # Every piece of evidence, against LockGraph.from_splats of each log's reports, merged.
    whole = None
    for path in sorted(corpus.rglob("*.log*")):
        part = splatkit.LockGraph.from_splats(splatkit.parse(read_text(path)), identity="unversioned",
                                              origin=str(path))
        whole = part if whole is None else whole | part
    assert sorted(whole.nx.edges) == sorted(g.nx.edges) and sorted(whole.nx.nodes) == sorted(g.nx.nodes)
    # Each edge keeps its first pieces by file and line, and counts them all.
    cut = scan_corpus([str(corpus)], workers=1, evidence_per_edge=1).graph
    assert any(d["evidence_count"] > 1 for _u, _v, d in cut.nx.edges(data=True))
    for u, v, data in g.nx.edges(data=True):
        every = sorted(whole.evidence(u, v), key=_rank)
        assert data["evidence_count"] == cut.nx.edges[u, v]["evidence_count"] == len(every)
        assert data["evidence"] == every[:engine.EVIDENCE_PER_EDGE]
        assert cut.nx.edges[u, v]["evidence"] == every[:1]


# -- the same on Dask --------------------------------------------------------------------------------------------

def test_local_dask_scheduler_with_2_processes(corpus, one_process):
    seen = []
    got = scan_corpus([str(corpus)], workers=2, partition_bytes=64 << 10, progress=seen.append)
    assert got.engine == f"local Dask scheduler, 2 processes ({start_method()})"
    assert_same_scan(got, one_process)
    # The progress callback heard of every partition: logs, bytes and reports add up.
    assert len(seen) == 1 + len(engine.partitions(find_logs([str(corpus)])[0], 2, 64 << 10)) > 8
    assert [p.logs for p in seen] == sorted(p.logs for p in seen)
    last = seen[-1]
    assert (last.logs, last.bytes, last.reports) == (LOGS, last.bytes_total, one_process.reports)


def test_local_dask_scheduler_merges_in_a_tree(corpus, one_process, monkeypatch):
    # The client merges the top of the tree (at most LOCAL_MERGE partials), the workers the
    # levels below it: with a top of 2, every partition's partial goes through merge tasks.
    monkeypatch.setattr(engine, "LOCAL_MERGE", 2)
    from dask.callbacks import Callback

    ran = []
    with Callback(pretask=lambda key, *_: ran.append(str(key[0]).split("-")[1])):
        got = scan_corpus([str(corpus)], workers=2, partition_bytes=64 << 10)
    assert_same_scan(got, one_process)
    assert ran.count("scan") > 8 and ran.count("merge") >= ran.count("scan") // engine.SPLIT_EVERY


def test_a_distributed_cluster_over_tcp(cluster, corpus, one_process):
    assert cluster.scheduler.address.startswith("tcp://127.0.0.1:")
    got = scan_corpus([str(corpus)], cluster, partition_bytes=64 << 10)
    assert got.engine.startswith("Dask cluster at tcp://127.0.0.1:") and "2 workers" in got.engine
    assert_same_scan(got, one_process)
    # An address instead of a client, and the environment variable Dask reads, do the same.
    assert_same_scan(scan_corpus([str(corpus)], cluster.scheduler.address), one_process)
    import dask

    with dask.config.set({"scheduler-address": cluster.scheduler.address}):
        assert scan_corpus([str(corpus)]).engine == got.engine


def _scans_held(dask_scheduler) -> dict[str, int]:
    """Finished scan tasks whose partial each worker holds (run on the scheduler)."""
    return {ws.address: sum(isinstance(ts.key, tuple) and str(ts.key[0]).startswith("splatkit-scan-")
                            for ts in ws.has_what) for ws in dask_scheduler.workers.values()}


def test_a_worker_killed_mid_scan_loses_no_log(cluster, corpus, one_process):
    """SIGKILL the worker process that holds the most finished partials, a few partitions
    into the scan: Dask runs its tasks again, and the totals are those of one process."""
    from distributed import get_task_stream

    pids = cluster.run(os.getpid)
    seen, killed = [], []

    def progress(p):
        seen.append(p)
        if not killed and p.logs >= 3:
            assert p.logs < p.logs_total, "the scan ended before the kill"
            held = cluster.run_on_scheduler(_scans_held)
            victim = max(held, key=held.get)
            killed.append((pids[victim], held[victim]))
            os.kill(pids[victim], signal.SIGKILL)

    with get_task_stream(cluster) as stream:
        got = scan_corpus([str(corpus)], cluster, partition_bytes=1, progress=progress)
    assert_same_scan(got, one_process)
    (victim_pid, lost), = killed
    assert lost >= 1 and victim_pid not in cluster.run(os.getpid).values()  # (the nanny started a new one)
    scans = [t for t in stream.data if "splatkit-scan-" in str(t["key"])]
    assert len(scans) > LOGS  # what the killed worker held was computed again
    assert (seen[-1].logs, seen[-1].reports) == (LOGS, one_process.reports)


# -- any split gives the same result -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def per_log(corpus):
    refs, _ = find_logs([str(corpus)])
    return [scan_log(ref) for ref in refs]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_split_and_any_merge_tree_give_the_same_result(per_log, one_process, data):
    """Logs dealt to partitions at random, each partition merged, the partials merged in a
    random order and tree: the same groups, counts and lock graph as one process."""
    n = data.draw(st.integers(1, 8))
    owner = data.draw(st.lists(st.integers(0, n - 1), min_size=len(per_log), max_size=len(per_log)))
    parts = [merge_parts([p for p, o in zip(per_log, owner) if o == i]) for i in range(n)]
    while len(parts) > 1:
        order = data.draw(st.permutations(range(len(parts))))
        k = data.draw(st.integers(2, len(parts)))
        parts = [merge_parts([parts[i] for i in order[:k]]), *(parts[i] for i in order[k:])]
    (total,) = parts
    assert total.table().to_dict("records") == one_process.table.to_dict("records")
    assert _graph_data(total.lock_graph()) == _graph_data(one_process.graph)


# -- bad logs ------------------------------------------------------------------------------------------------------

def test_a_log_that_crashes_the_parser_is_named_with_its_line(corpus, one_process, monkeypatch, tmp_path):
    """The parser raising on one log's reports: that log is reported with the line of the
    report it failed on; every other log is scanned."""
    victim = sorted(corpus.rglob("*.log.gz"))[1]
    text = read_text(victim)
    victim_splats = splatkit.parse(text)
    assert len(victim_splats) >= 1
    real = scanner.parse_lines

    def fragile(lines):
        if any("CRASH-ME" in line.raw for line in lines):
            raise RuntimeError("boom")
        return real(lines)

    monkeypatch.setattr(scanner, "parse_lines", fragile)
    crasher = tmp_path / "crasher.log"
    banner = next(line.no for line in normalize(text) if ":" in line.text and match_banner(line.text))
    lines = text.split("\n")
    crasher.write_text("\n".join(lines[:banner] + ["CRASH-ME"] + lines[banner:]))
    got = scan_corpus([str(corpus), str(crasher)], workers=1)
    (problem,) = got.problems
    assert problem.source == str(crasher) and problem.what == "parser"
    assert problem.line == banner  # (the line inserted is below the banner)
    assert "RuntimeError: boom" in problem.message and str(problem).startswith(f"{crasher}:{problem.line}: ")
    assert got.logs == LOGS + 1 and got.reports == one_process.reports
    assert got.table.to_dict("records") == one_process.table.to_dict("records")


def test_unreadable_logs_are_reported_and_the_rest_scanned(corpus, one_process, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "garbage.log.gz").write_bytes(b"this is not gzip data\n" * 10)
    (bad / "gone.log").symlink_to(bad / "nowhere")
    text = "".join(read_text(p) for p in sorted(corpus.rglob("*.log"))[:12])
    data = lzma.compress(text.encode(), preset=0)
    (bad / "cut.log.xz").write_bytes(data[:len(data) * 2 // 3])
    got = scan_corpus([str(corpus), str(bad), str(tmp_path / "missing.log")], workers=1)
    by_file = {Path(p.source).name: p for p in got.problems}
    assert sorted(by_file) == ["cut.log.xz", "garbage.log.gz", "gone.log", "missing.log"]
    assert by_file["garbage.log.gz"].what == "unreadable" and "Not a gzipped file" in by_file["garbage.log.gz"].message
    assert by_file["gone.log"].message == "cannot read: No such file or directory"
    assert by_file["missing.log"].message == "cannot read: No such file or directory"
    cut = by_file["cut.log.xz"]
    assert cut.what == "partial" and "read only the first" in cut.message
    assert (got.logs, got.unreadable) == (LOGS + 1, 3)
    # What the cut log held before the damage is counted, as parse counts that much of its text.
    readable = int(cut.message.split("first ")[1].split(" bytes")[0].replace(",", ""))
    assert len(text) // 2 < readable < len(text)
    extra = splatkit.parse(text.encode()[:readable].decode("utf-8", errors="replace"))
    assert extra
    assert got.reports == one_process.reports + len(extra)
    assert got.graph.problems and all(p.source for p in got.graph.problems)


def test_times_from_the_reports_lines_else_the_files(tmp_path, seed_text):
    stamped = tmp_path / "syslog.log"
    stamped.write_text("".join(f"2024-05-07T12:37:{i % 60:02d}+02:00 host kernel: {line}\n"
                               for i, line in enumerate(seed_text.splitlines())))
    plain = tmp_path / "console.log.gz"
    plain.write_bytes(gzip.compress(seed_text.encode()))
    os.utime(plain, (1_600_000_000, 1_600_000_000))
    os.utime(stamped, (1_700_000_000, 1_700_000_000))
    (row,) = scan_corpus([str(tmp_path)], workers=1).table.itertuples(index=False)
    assert row.count == 2 and row.logs == 2
    assert row.first_seen == datetime.fromtimestamp(1_600_000_000, tz=timezone.utc)
    (splat,) = splatkit.parse(stamped.read_text())
    second = (splat.lines[0].no - 1) % 60  # (the report's first line; +02:00 is two hours ahead of UTC)
    assert row.last_seen == datetime(2024, 5, 7, 10, 37, second, tzinfo=timezone.utc)


def test_standard_input_and_globs(corpus, tmp_path, seed_text):
    import io

    got = scan_corpus([str(corpus / "host0" / "*.log.zst"), "-"], workers=1, stdin=io.BytesIO(seed_text.encode()))
    zst = sorted((corpus / "host0").glob("*.log.zst"))
    assert got.logs == len(zst) + 1
    assert got.reports == sum(len(splatkit.parse(read_text(p))) for p in zst) + 1
    seed_title = splatkit.parse(seed_text)[0].title
    in_files = sum(s.title == seed_title for p in zst for s in splatkit.parse(read_text(p)))
    assert _groups(got.table)[seed_title][0] == in_files + 1


def test_without_dask_one_process_and_one_warning(corpus, one_process, monkeypatch):
    monkeypatch.setattr(engine, "_dask", lambda: None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = scan_corpus([str(corpus)], workers=2)
    assert [str(w.message) for w in caught] == [
        "splatkit scans the corpus in one process: install the parallel engine with: pip install 'splatkit[dask]'"]
    assert got.engine == "one process (Dask is not installed)"
    assert_same_scan(got, one_process)


def test_partitions_are_even_and_cover_every_log():
    refs = [LogRef(f"log{i}", size) for i, size in enumerate([50, 1, 7, 30, 30, 2, 9, 11, 40, 3])]
    batches = engine.partitions(refs, workers=2, partition_bytes=10)
    assert sorted(r for b in batches for r in b) == sorted(refs) and len(batches) == len(refs)
    batches = engine.partitions(refs, workers=1, partition_bytes=1000)
    sizes = [sum(r.size for r in b) for b in batches]
    assert len(batches) == 4 and max(sizes) - min(sizes) <= 50


# -- a script that calls the scan --------------------------------------------------------------------------------

SCRIPT = """\
import json, sys
from splatkit.scan import scan_corpus

{guard}
    found = scan_corpus([sys.argv[1]], workers=2, partition_bytes=64 << 10)
    print("reports", found.reports, found.engine)
    print(json.dumps([[g.title, g.count, g.logs, list(g.example)] for g in found.groups]))
"""


def _script_groups(stdout: str) -> list:
    return json.loads(stdout.splitlines()[1])


def _groups_of(found) -> list:
    return [[g.title, g.count, g.logs, list(g.example)] for g in found.groups]


def _run_script(tmp_path: Path, corpus: Path, guard: str, start: str | None = "spawn", before: str = ""):
    """Run SCRIPT with ``guard``; ``start``: Dask's start method setting (None: splatkit's choice);
    ``before``: lines run first (at the script's top level)."""
    import subprocess

    script = tmp_path / "scan_script.py"
    script.write_text(SCRIPT.format(guard=guard).replace("\n\n", f"\n{before}\n", 1))
    env = {**os.environ, "PYTHONPATH": str(Path(splatkit.__file__).parent.parent)}
    env.pop("DASK_MULTIPROCESSING__CONTEXT", None)
    if start is not None:
        env["DASK_MULTIPROCESSING__CONTEXT"] = start
    return script, subprocess.run([sys.executable, str(script), str(corpus)], capture_output=True, text=True,
                                  env=env, timeout=600)


def _error_line(stderr: str) -> str:
    """The exception's line of a traceback (multiprocessing's resource tracker may warn after it,
    at exit, of the dead workers' semaphores)."""
    return next((line for line in reversed(stderr.splitlines()) if line.startswith("splatkit.errors.")), stderr)


def test_a_script_without_its_main_guard_is_told_to_add_it(corpus, tmp_path):
    # Workers started with 'spawn' (Dask's default, and splatkit's choice in a process that
    # runs threads or off Linux) run the main script again in each: the scan stops before starting any, and says where and what to do (it once ended in a bare
    # BrokenProcessPool, after every worker had died printing a traceback).
    script, result = _run_script(tmp_path, corpus, "if True:")
    assert result.returncode != 0 and "reports" not in result.stdout
    last = _error_line(result.stderr)
    assert last.startswith("splatkit.errors.EngineError: scan_corpus(workers=2) needs worker processes")
    assert f"{script}, line 5" in last and 'under `if __name__ == "__main__":`' in last and "workers=1" in last
    assert "BrokenProcessPool" not in result.stderr and "bootstrapping" not in result.stderr


def test_a_guard_that_does_not_guard_gets_the_engines_own_error(corpus, tmp_path):
    # An `if` that tests __name__ passes for a guard; when it lets the script run again in the
    # workers, they die as they start, and the error says so instead of BrokenProcessPool.
    _script, result = _run_script(tmp_path, corpus, 'if __name__ == "__main__" or True:')
    assert result.returncode != 0 and "reports" not in result.stdout
    last = _error_line(result.stderr)
    assert last.startswith("splatkit.errors.EngineError: scan_corpus(workers=2): the local Dask scheduler's worker "
                           "processes stopped before any task finished")
    assert 'not under `if __name__ == "__main__":`' in last and "pass workers=1" in last


def test_a_script_with_its_main_guard_scans_on_2_processes(corpus, tmp_path, one_process):
    _script, result = _run_script(tmp_path, corpus, 'if __name__ == "__main__":')
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].split() == ["reports", str(one_process.reports), "local", "Dask",
                                                     "scheduler,", "2", "processes", "(spawn)"]
    assert _script_groups(result.stdout) == _groups_of(one_process)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="splatkit forks its workers on Linux only")
def test_workers_are_forked_where_that_is_safe(corpus, tmp_path, one_process):
    # A process of one thread forks its workers (they start with splatkit imported), and then
    # even a script without its main guard scans; a process that runs another thread spawns
    # them (a fork could copy a lock that thread holds), and Dask's own setting wins over both.
    for guard in ("if True:", 'if __name__ == "__main__":'):
        _script, result = _run_script(tmp_path, corpus, guard, start=None)
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines()[0].split()[1:] == [str(one_process.reports), "local", "Dask",
                                                             "scheduler,", "2", "processes", "(fork)"]
        assert _script_groups(result.stdout) == _groups_of(one_process)
    threaded = "import threading\nthreading.Thread(target=threading.Event().wait, daemon=True).start()"
    _script, result = _run_script(tmp_path, corpus, 'if __name__ == "__main__":', start=None, before=threaded)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].split()[-1] == "(spawn)"
    assert _script_groups(result.stdout) == _groups_of(one_process)
    _script, result = _run_script(tmp_path, corpus, "if True:", start=None, before=threaded)
    assert "EngineError: scan_corpus(workers=2) needs worker processes" in result.stderr
    _script, result = _run_script(tmp_path, corpus, 'if __name__ == "__main__":', start="forkserver")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].split()[-1] == "(forkserver)"
    assert _script_groups(result.stdout) == _groups_of(one_process)
