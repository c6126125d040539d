"""The corpus scan's benchmark: ``splatkit scan`` on 1 and 2 workers beside ``grep -c``.

Run from the repository: ``.venv/bin/python benchmarks/scan_corpus.py`` (``--quick`` for a
smoke run; ``--logs`` and ``--mb-per-log`` set the corpus size). It writes a corpus of console
logs (default 2,000 logs of 1 MB: 2 GB) into a temporary directory, each one console noise
with 0 to 3 reports of the shared syzkaller corpus put in, then in the same run:

- ``grep -rcE`` for the lockdep banner lines over the same files (one process, the baseline:
  what reading the bytes costs);
- ``splatkit scan --format json --workers N`` for N = 1 and 2 (Dask's local process
  scheduler), each as its own process, started by a small parent, and beside them the
  ceiling of this machine for 2 workers: two ``--workers 1`` scans at once, each over half
  the logs; a few rounds taken in turn (``--rounds``), best and median of each: wall time,
  throughput, the throughput per worker, the speed-up from 1 to 2 workers (goal: >= 1.8x)
  and what share of the ceiling's it is, and memory two ways: the client process's own peak (``VmHWM``, read by the client itself as it exits: goal
  < 300 MB) and the largest process of the tree (``RUSAGE_CHILDREN`` of the small parent,
  which counts the worker processes too);
- the scan's scaling on the same kind of engine for 1 and 2 workers: a warm local
  ``distributed`` cluster of 1, then 2 worker processes of one thread each (started, and
  their imports done, before the clock; a few rounds in turn, best of each), with the CPU
  time of the workers, of the client and its scheduler, and of the other programs on the
  machine meanwhile: the speed-up from 1 to 2 workers (goal: >= 1.8x) and how much work the
  second worker adds;
- the engine: how much of the wall time a task was out to each of 2 workers;
- the reduction: what merging partials costs (``merge_parts`` of 8 copies of the final
  partial of a sample of the corpus, the worst a merge task of this corpus can meet), and
  how big a partial is when it is sent (pickled);

and checks that 1 and 2 workers give the same groups. The figures go to
``benchmarks/results/scan_corpus.txt``; the generated corpus is removed afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results" / "scan_corpus.txt"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from conftest import CORPUS, read_log  # noqa: E402
from corpus_gen import NOISE, RARE, RARE_EVERY  # noqa: E402
from run import GREP_BANNERS  # noqa: E402  (the other benchmark: grep's view of a banner line)

#: The client, run by the small parent: splatkit's command line, then its own peak RSS.
CLIENT = """\
import sys
from splatkit.cli import main
status = main(sys.argv[2:])
with open("/proc/self/status") as f:
    hwm = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
with open(sys.argv[1], "w") as f:
    f.write(str(hwm))
sys.exit(status)
"""
#: The small parent: runs one or more commands at once (a JSON list, in a file), then writes its wall time
#: (until the last one ends), the CPU time of its tree, the largest RSS of its tree, and the CPU
#: time the whole machine spent meanwhile (/proc/stat). The first command's output goes to the
#: output file, the others' to that name with ".1", ".2"... added.
PARENT = """\
import json, os, resource, subprocess, sys, time
def busy():
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")
with open(sys.argv[3]) as f:
    commands = json.load(f)
outs = [open(sys.argv[2] + (f".{i}" if i else ""), "wb") for i in range(len(commands))]
t0, b0 = time.perf_counter(), busy()
status = max([p.wait() for p in [subprocess.Popen(c, stdout=o) for c, o in zip(commands, outs)]])
seconds, machine = time.perf_counter() - t0, busy() - b0
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as f:
    json.dump({"status": status, "seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime,
               "machine_cpu": machine, "maxrss_kb": usage.ru_maxrss}, f)
"""

#: The scan on a warm local cluster, in a process of its own: a ``distributed`` LocalCluster of
#: N worker processes of one thread each, started, and every worker's imports done, before
#: the clock starts; then ``scan_corpus(client=)`` timed RUNS times, each with the CPU time of
#: the workers and of the client (which runs the scheduler) and what the whole machine spent.
WARM = """\
import json, os, resource, sys, time
from distributed import Client, LocalCluster
from splatkit.corpus import scan_corpus

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

def warm():
    import splatkit.corpus.perlog  # noqa: F401 (what a scan task needs)
    return os.getpid()

import pandas, networkx  # noqa: E401,F401 (what the client needs for the result, imported before the clock too)

def busy():
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")

if __name__ == "__main__":
    workers, root, runs = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \\
            Client(cluster) as client:
        assert len(set(client.run(warm).values())) == workers
        results = []
        for _ in range(runs):
            before, c0, b0, t0 = client.run(cpu), cpu(), busy(), time.perf_counter()
            found = scan_corpus([root], client=client)
            seconds = time.perf_counter() - t0
            after = client.run(cpu)
            results.append({"seconds": seconds, "workers_cpu": sum(after.values()) - sum(before.values()),
                            "client_cpu": cpu() - c0, "machine_cpu": busy() - b0, "reports": found.reports,
                            "titles": len(found.table)})
    print(json.dumps(results))
"""


def noise_blocks(rng: random.Random, count: int, size: int) -> list[str]:
    """``count`` blocks of console noise of about ``size`` bytes each."""
    blocks = []
    n = 0
    for _ in range(count):
        lines, total = [], 0
        while total < size:
            n += 1
            text = rng.choice(RARE if n % RARE_EVERY == 0 else NOISE).format(n=n)
            line = f"[{n // 1000:6d}.{n % 1000000:06d}] {text}\n"
            lines.append(line)
            total += len(line)
        blocks.append("".join(lines))
    return blocks


def write_corpus(root: Path, logs: int, log_bytes: int, reports: list[str], seed: int = 1) -> tuple[int, int]:
    """Write the corpus; returns (bytes, reports put in)."""
    rng = random.Random(seed)
    blocks = noise_blocks(rng, 64, 64 << 10)
    written = put = 0
    for i in range(logs):
        parts, size = [], 0
        inserts = sorted(rng.random() for _ in range(rng.randint(0, 3)))
        while size < log_bytes:
            block = rng.choice(blocks)
            parts.append(block)
            size += len(block)
            while inserts and inserts[0] * log_bytes <= size:
                inserts.pop(0)
                report = rng.choice(reports)
                parts.append(report)
                size += len(report)
                put += 1
        path = root / f"host{i % 8}" / f"console-{i:05d}.log"
        path.parent.mkdir(exist_ok=True)
        data = "".join(parts).encode()
        path.write_bytes(data)
        written += len(data)
    return written, put


def measured(tmp: Path, name: str, *commands: list[str], client: bool = False) -> dict:
    """Run ``commands`` at once under the small parent; wall time, tree CPU and max RSS, and
    (``client``: each a ``splatkit`` command line) the largest client peak RSS."""
    stats, out = tmp / f"{name}.json", tmp / f"{name}.out"
    hwms = [tmp / f"{name}.{i}.hwm" for i in range(len(commands))]
    if client:
        commands = tuple([sys.executable, "-c", CLIENT, str(hwm), *command] for hwm, command in zip(hwms, commands))
    listed = tmp / f"{name}.commands.json"  # (a file: one argument is limited to 128 KB)
    listed.write_text(json.dumps(commands))
    subprocess.run([sys.executable, "-c", PARENT, str(stats), str(out), str(listed)], check=True,
                   env={**os.environ, "PYTHONPATH": str(REPO)})
    result = json.loads(stats.read_text())
    result["stdouts"] = [Path(f"{out}{f'.{i}' if i else ''}").read_text() for i in range(len(commands))]
    result["stdout"] = result["stdouts"][0]
    if client:
        result["client_kb"] = max(int(hwm.read_text()) for hwm in hwms)
    return result


def bench_commands(tmp: Path, root: Path, mb: float, rounds: int) -> list[str]:
    """``splatkit scan`` with 1 and 2 workers, end to end, ``rounds`` times in turn, beside the
    most this machine's 2 cores give this work: two ``--workers 1`` scans at once, each over
    half the logs (no engine, nothing shared between them). On a VM two busy cores are each
    slower than one alone (the cores' shared clock, cache and memory, the neighbours), so
    that pair's speed-up over one process, measured in the same rounds, is the ceiling any
    engine meets here; best and median of each."""
    from splatkit.corpus.logs import find_logs

    refs, _ = find_logs([str(root)])
    halves = [[ref.path for ref in refs[i::2]] for i in (0, 1)]
    scan = ["scan", "--format", "json", "--workers"]
    runs: dict[str, list[dict]] = {"1": [], "2": [], "halves": []}
    for i in range(rounds):
        runs["1"].append(measured(tmp, f"scan1-{i}", [*scan, "1", str(root)], client=True))
        runs["2"].append(measured(tmp, f"scan2-{i}", [*scan, "2", str(root)], client=True))
        runs["halves"].append(measured(tmp, f"halves-{i}", *([*scan, "1", *half] for half in halves), client=True))
    out, groups = [], {}
    for workers in ("1", "2"):
        r = min(runs[workers], key=lambda run: run["seconds"])
        groups[workers] = [json.loads(run["stdout"]) if run["status"] == 0 else None for run in runs[workers]]
        reports_found = sum(g["count"] for g in groups[workers][0] or [])
        out.append(f"splatkit scan --workers {workers}: {reports_found} reports, {len(groups[workers][0] or [])} "
                   f"titles in {r['seconds']:.1f} s = {mb / r['seconds']:.1f} MB/s, "
                   f"{mb / r['seconds'] / int(workers):.1f} MB/s per worker (best of {rounds} round{'s' * (rounds > 1)}: "
                   f"{_times(runs[workers])})")
        others = max(r["machine_cpu"] - r["cpu"], 0.0)
        out.append(f"  CPU: {r['cpu']:.1f} s in all its processes = {mb / r['cpu']:.1f} MB per CPU second; "
                   f"the {os.cpu_count()} cores were busy {r['machine_cpu'] / (r['seconds'] * os.cpu_count()) * 100:.0f}"
                   f"% of the time, {others:.0f} CPU s of it for other programs")
        out.append(f"  peak memory: client process {r['client_kb'] / 1024:.0f} MB (goal: < 300 MB); largest "
                   f"process of the tree {r['maxrss_kb'] / 1024:.0f} MB")
    best = {k: min(v, key=lambda run: run["seconds"]) for k, v in runs.items()}
    median = {k: statistics.median(run["seconds"] for run in v) for k, v in runs.items()}
    h = best["halves"]
    halves_found = sum(g["count"] for text in h["stdouts"] for g in json.loads(text))
    out.append(f"two splatkit scan --workers 1 at once, each over half the logs (the ceiling: no engine): "
               f"{halves_found} reports in {h['seconds']:.1f} s (best of {rounds}: {_times(runs['halves'])}), "
               f"CPU {h['cpu']:.1f} s")
    speedup, ceiling = best["1"]["seconds"] / best["2"]["seconds"], best["1"]["seconds"] / h["seconds"]
    out.append(f"speed-up from 1 to 2 workers: {speedup:.2f}x wall-clock (goal: >= 1.8x; best against best, median "
               f"against median {median['1'] / median['2']:.2f}x); this machine's ceiling, two halves at once: "
               f"{ceiling:.2f}x (median {median['1'] / median['halves']:.2f}x): the engine gets "
               f"{speedup / ceiling * 100:.0f}% of it; CPU seconds with 2 workers / with 1: "
               f"{best['2']['cpu'] / best['1']['cpu']:.2f} (1.00: no work added by the second worker)")
    same = all(g == groups["1"][0] for g in groups["1"] + groups["2"])
    out.append("1 and 2 workers give the same groups: " + ("yes" if same else "NO") + f" (in each of the {rounds} round{'s' * (rounds > 1)})")
    return out


def _times(runs: list[dict]) -> str:
    return ", ".join(f"{run['seconds']:.1f}" for run in runs) + " s"


def bench_reduction(root: Path, sample: int) -> list[str]:
    """What a merge task costs at this corpus's number of titles and lock classes."""
    from splatkit.corpus import merge_parts, scan_log
    from splatkit.corpus.logs import find_logs

    refs, _ = find_logs([str(root)])
    partial = merge_parts(scan_log(ref) for ref in refs[:sample])
    entries = len(partial.groups) + len(partial.nodes) + len(partial.edges)
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        merge_parts([partial] * 8)
        best = min(best, time.perf_counter() - t0)
    size = len(pickle.dumps(partial))
    return [f"reduction: the partial of {sample} logs holds {len(partial.groups)} titles, {len(partial.nodes)} lock "
            f"classes, {len(partial.edges)} dependencies ({entries} entries), {size / 1024:.0f} KB pickled "
            f"({size / entries:.0f} bytes an entry)",
            f"  merging 8 of them (one merge task): {best * 1e3:.1f} ms (best of 5) = "
            f"{best / (8 * entries) * 1e6:.2f} us per entry merged"]


def bench_occupancy(root: Path, workers: int = 2) -> list[str]:
    """Whether the engine keeps its workers fed: the share of the scan's wall time during which
    it had a task out to each worker (from Dask's callbacks in this process; other programs on
    the machine slow the tasks down but do not change this)."""
    from dask.callbacks import Callback

    from splatkit.corpus import scan_corpus

    events: list[tuple[float, int]] = []
    with Callback(pretask=lambda *a: events.append((time.perf_counter(), 1)),
                  posttask=lambda *a: events.append((time.perf_counter(), -1))):
        t0 = time.perf_counter()
        scan_corpus([str(root)], workers=workers)
        wall = time.perf_counter() - t0
    fed, out, last = 0.0, 0, t0
    for at, step in sorted(events):
        fed += min(out, workers) * (at - last)
        out, last = out + step, at
    tasks = len(events) // 2
    return [f"engine: {tasks} tasks on {workers} local worker processes; a task was out to each worker "
            f"{fed / (workers * wall) * 100:.0f}% of the {wall:.1f} s (start-up included)"]


def bench_warm(tmp: Path, root: Path, mb: float, rounds: int) -> list[str]:
    """The scan's scaling from 1 to 2 workers on the same kind of engine: a warm local cluster
    of 1, then 2 worker processes (see :data:`WARM`), ``rounds`` times in turn, best of each."""
    script = tmp / "warm.py"
    script.write_text(WARM)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    best: dict[int, dict] = {}
    for _ in range(rounds):
        for workers in (1, 2):
            done = subprocess.run([sys.executable, str(script), str(workers), str(root), "1"], check=True,
                                  capture_output=True, text=True, env=env)
            for run in json.loads(done.stdout.splitlines()[-1]):
                if workers not in best or run["seconds"] < best[workers]["seconds"]:
                    best[workers] = run
    out = [f"warm local cluster (distributed: 1 or 2 worker processes of one thread, started and their imports "
           f"done before the clock; best of {rounds} rounds taken in turn):"]
    for workers, run in sorted(best.items()):
        others = max(run["machine_cpu"] - run["workers_cpu"] - run["client_cpu"], 0.0)
        out.append(f"  {workers} worker{'s' if workers > 1 else ''}: {run['reports']} reports, {run['titles']} titles "
                   f"in {run['seconds']:.1f} s = {mb / run['seconds']:.1f} MB/s, "
                   f"{mb / run['seconds'] / workers:.1f} MB/s per worker; CPU: workers {run['workers_cpu']:.1f} s "
                   f"({mb / run['workers_cpu']:.0f} MB per CPU second), client and scheduler "
                   f"{run['client_cpu']:.1f} s, other programs {others:.0f} s")
    speedup = best[1]["seconds"] / best[2]["seconds"]
    out.append(f"  speed-up from 1 to 2 workers: {speedup:.2f}x wall-clock (goal: >= 1.8x); workers' CPU seconds "
               f"with 2 / with 1: {best[2]['workers_cpu'] / best[1]['workers_cpu']:.2f} (1.00: no work added by "
               "the second worker)")
    if (best[1]["reports"], best[1]["titles"]) != (best[2]["reports"], best[2]["titles"]):
        out.append("  1 and 2 workers found different reports: NO")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--logs", type=int, default=2000, help="logs in the corpus (default 2000)")
    parser.add_argument("--mb-per-log", type=float, default=1.0, help="size of each log in MB (default 1)")
    parser.add_argument("--quick", action="store_true", help="100 logs of 0.2 MB, for a smoke run")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the scans, taken in turn (default 3)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--tmp", type=Path, default=None, help="where to write the corpus (default: the temp dir)")
    args = parser.parse_args()
    if args.quick:
        args.logs, args.mb_per_log, args.rounds = 100, 0.2, 1
    # The syzkaller corpus: console logs as syzbot keeps them.
    reports = [read_log(p) for p in sorted((CORPUS / "report").iterdir())] if (CORPUS / "report").is_dir() else []
    if not reports:
        sys.exit("benchmarks: the shared corpus is not at ../shared/corpus; set SPLATKIT_SHARED")
    need = args.logs * args.mb_per_log * 1.1 * (1 << 20)
    tmp_root = args.tmp or Path(tempfile.gettempdir())
    free = shutil.disk_usage(tmp_root).free
    if free < need:
        sys.exit(f"benchmarks: {need / 1e9:.1f} GB needed in {tmp_root}, {free / 1e9:.1f} GB free; use --tmp or "
                 "fewer --logs")
    out = [f"splatkit corpus scan benchmark, {time.strftime('%Y-%m-%d %H:%M')}, python {sys.version.split()[0]}, "
           f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start", ""]
    with tempfile.TemporaryDirectory(prefix="splatkit-corpus-", dir=tmp_root) as tmp_name:
        tmp = Path(tmp_name)
        root = tmp / "corpus"
        root.mkdir()
        t0 = time.perf_counter()
        total, put = write_corpus(root, args.logs, int(args.mb_per_log * (1 << 20)), reports)
        mb = total / 1e6
        out.append(f"corpus: {args.logs} logs, {mb:,.0f} MB ({total / args.logs / 1e6:.2f} MB a log), {put} "
                   f"syzkaller-corpus logs put in; written in {time.perf_counter() - t0:.0f} s")
        grep = shutil.which("grep")
        if grep:
            runs = [measured(tmp, f"grep{i}", [grep, "-rcE", GREP_BANNERS, str(root)]) for i in range(2)]
            g = min(runs, key=lambda r: r["seconds"])
            lines = sum(int(row.rsplit(":", 1)[1]) for row in g["stdout"].splitlines())
            out.append(f"grep -rcE banners (one process, best of 2): {lines} banner lines in {g['seconds']:.1f} s "
                       f"= {mb / g['seconds']:.0f} MB/s")
        out += bench_commands(tmp, root, mb, args.rounds)
        out += bench_warm(tmp, root, mb, args.rounds)
        out += bench_occupancy(root)
        out += bench_reduction(root, min(args.logs, 64))
    text = "\n".join(out) + "\n"
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(text, end="")
    print(f"(written to {args.output})")


if __name__ == "__main__":
    main()
