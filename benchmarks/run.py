"""splatkit's speed and memory benchmarks; results go to benchmarks/results/latest.txt.

Run from the repository: ``.venv/bin/python benchmarks/run.py`` (``--quick`` for a
smoke run with small inputs). Every figure is printed beside a baseline measured
in the same run on the same input, because these machines are noisy:

- parse: full structured parse of every corpus file (median per file), beside
  splitting the same text into lines and matching the banner regexes on each
  line (what any line-based reader must at least do);
- per report: the parse of a log of 1,000 reports (the seed repeated; the corpus
  logs one after another), per report, beside the parse of the same reports one at a
  time, their results kept as the log's are (CPU time of this process, best of several
  rounds taken in turn; again with the garbage collector paused);
- titles (not a speed figure): corpus files whose title and corrupted flag match
  syzkaller's, and each miss with its reason;
- scan: a generated console log (default 100 MB) of unrelated lines with corpus
  reports mixed in, scanned by :func:`splatkit.scan.scan` (several runs: median and
  spread), beside :func:`splatkit.scan.locate` (as many runs, taken in turn) and
  ``grep -cE`` for the banner lines over the same file;
- stream: a generated log (default 1 GB) scanned in a process of its own, its peak
  RSS beside that of a process that only imports splatkit. Each is started by a small
  launcher that imports nothing heavy and reads its children's peak
  (``RUSAGE_CHILDREN``): a process's own peak counts the memory of the process it was
  forked from.
- hostile: inputs found by fuzzing (issue 9), each beside the parse of the same text:
  400 banners in a row scanned at two chunk sizes (the scanner once re-read a 2,000-line
  window per banner); a 26 KB held-lock list over 30 lock classes through parse and the
  HTML report (its lock graph has millions of cycles: the report once hung listing them).
- graph: a generated ``/proc/lockdep`` dump in the kernel's format (default 20,000
  classes, 200,000 dependencies) loaded by ``LockGraph.from_proc_lockdep``; then
  what-if queries (``g.what_if(a, b, limit=1)``: does a new a -> b close a cycle, and
  through which path) and neighbourhood extraction for drawing (radius 2, at most
  200 nodes), each beside ``nx.has_path`` on the full DiGraph for the same pairs.
  The queries are timed with the garbage collector paused (after a collection), so
  that a maximum is the query's own; a second pass with it running gives the maxima a
  program sees, and the longest collection in that pass.

The corpus is read from ../shared/corpus/syzkaller (the benchmark stops with a
message when it is absent); generated logs are written to a temporary directory
and removed.
"""

from __future__ import annotations

import argparse
import csv
import gc
import io
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results" / "latest.txt"

sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))  # (the corpus and the generators the tests use)
import splatkit  # noqa: E402
from splatkit.grammar.kinds import match_banner  # noqa: E402
from splatkit.lines import split_lines  # noqa: E402
from splatkit.graph import LockGraph  # noqa: E402
from splatkit.samples import sample_text  # noqa: E402
from splatkit.synthetic import proc_lockdep_text  # noqa: E402
from splatkit.scan import locate, scan  # noqa: E402
from conftest import CORPUS, read_log  # noqa: E402
from corpus_gen import NOISE, RARE  # noqa: E402

#: One line in RARE_EVERY of the noise is a rarer line that starts another (not lockdep) report.
RARE_EVERY = 200
#: grep's view of a banner line: the banner texts of the kinds, as one extended regex.
GREP_BANNERS = ("possible circular locking|possible recursive locking|inconsistent lock state|"
                "lock inversion dependency|-unsafe lock order detected|bad unlock balance|held lock freed|"
                "still has locks held|returning to user space!|suspicious RCU usage|Invalid wait context|"
                "Nested lock was not taken|non-static key")


def corpus_logs() -> list[str]:
    if not CORPUS.is_dir():
        sys.exit(f"benchmarks: the corpus is not at {CORPUS}; set SPLATKIT_SHARED to the shared/ folder")
    return [read_log(path) for path in sorted((CORPUS / "report").iterdir())]


def bench_titles() -> list[str]:
    """Not a speed figure: how many corpus files get syzkaller's title and corrupted flag, and
    why each other one does not (from the corpus index). ``guilty_*`` files have no TITLE
    header; their expected title is what syzkaller's parser returned (``baseline_*``)."""
    with open(CORPUS / "index.tsv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    misses, total = [], 0
    for row in rows:
        title, corrupted = ((row["expected_title"], row["corrupted"] == "Y") if row["expected_title"]
                            else (row["baseline_title"], row["baseline_corrupted"] == "Y"))
        text = (CORPUS / "report" / row["file"]).read_text(encoding="utf-8", errors="replace").replace("\r", "")
        splats = splatkit.parse(text.partition("\n\n")[2].split("\n\nREPORT:\n")[0])
        total += 1
        got = (splats[0].title, splats[0].corrupted) if splats else (None, None)
        if got != (title, corrupted):
            reason = (f"syzkaller titles the {row['expected_type']} report before the lockdep one"
                      if row["lockdep_is_primary"] == "no" else "unexplained")
            misses.append(f"  miss {row['file']}: expected {title!r}{' (corrupted)' if corrupted else ''}, "
                          f"got {got[0]!r}: {reason}")
    matched = total - len(misses)
    return [f"titles: {matched}/{total} corpus files ({100 * matched / total:.1f}%) get syzkaller's title and "
            "corrupted flag (goal: >= 98%)", *misses]


def bench_parse(logs: list[str], repeat: int) -> list[str]:
    def per_file(func) -> list[float]:
        times = []
        for log in logs:
            best = float("inf")
            for _ in range(repeat):
                t0 = time.perf_counter()
                func(log)
                best = min(best, time.perf_counter() - t0)
            times.append(best)
        return times

    def baseline(log: str) -> None:
        for line in split_lines(log):
            match_banner(line)

    parsed = per_file(splatkit.parse)
    base = per_file(baseline)
    median, base_median = statistics.median(parsed), statistics.median(base)
    return [
        f"parse: {len(logs)} corpus files, full structured parse, best of {repeat} per file",
        f"  median {median * 1e3:.3f} ms/file, p90 {statistics.quantiles(parsed, n=10)[-1] * 1e3:.3f} ms, "
        f"max {max(parsed) * 1e3:.3f} ms (goal: median <= 0.5 ms)",
        f"  baseline (split lines + banner regex per line): median {base_median * 1e3:.3f} ms/file; "
        f"parse/baseline = {median / base_median:.1f}x",
    ]


def bench_per_report(logs: list[str], reports: int, rounds: int) -> list[str]:
    """Per-report parse cost in a log of ``reports`` reports beside the same reports alone.

    Two logs: the seed repeated (reports close together, one printk context) and the corpus
    logs one after another (102 console formats and contexts). Each round parses every
    report of the log alone, keeping the results as the log's parse keeps its own (both
    sides end holding the same reports, so the garbage collector walks the same heap), then
    the whole log; the best round of each is kept. CPU time of this process: other processes
    on the machine weigh less than on the wall clock. The same rounds are taken again with
    the collector paused (after a collection): the parse's own cost, and the collector's
    share of the figures above.
    """
    def timed(func, count: int, paused: bool) -> float:
        """CPU time per report of ``func()``, its result dropped only once the clock stopped."""
        gc.collect()
        if paused:
            gc.disable()
        try:
            t0 = time.process_time()
            kept = func()  # noqa: F841 (held until the clock stops, as a caller holds it)
            return (time.process_time() - t0) / count
        finally:
            gc.enable()

    def ratio(texts: list[str]) -> tuple[float, float, float, float, int]:
        texts = [text.rstrip("\n") for text in texts if splatkit.parse(text)]
        alone_reports = sum(len(splatkit.parse(text)) for text in texts)
        cycled = [texts[i % len(texts)] for i in range(max(reports * len(texts) // alone_reports, 1))]
        log = "\n".join(cycled)
        in_log = len(splatkit.parse(log))
        in_cycled = sum(len(splatkit.parse(text)) for text in cycled)
        times = {}
        for paused in (False, True):
            alone_s = log_s = float("inf")
            for _ in range(rounds):
                alone_s = min(alone_s, timed(lambda: [splatkit.parse(text) for text in cycled], in_cycled, paused))
                log_s = min(log_s, timed(lambda: splatkit.parse(log), in_log, paused))
            times[paused] = alone_s, log_s
        return (*times[False], *times[True], in_log)

    out = [f"per report: parse of a log of {reports:,} reports, per report, beside the same reports parsed alone "
           f"and kept (CPU time, best of {rounds} rounds taken in turn)"]
    for name, texts in (("the seed repeated", [sample_text()]), ("the corpus logs one after another", logs)):
        alone_s, log_s, paused_alone_s, paused_log_s, in_log = ratio(texts)
        out.append(f"  {name} ({in_log:,} reports): {log_s * 1e3:.3f} ms/report in the log, "
                   f"{alone_s * 1e3:.3f} ms alone; log/alone = {log_s / alone_s:.2f}x (goal: <= 1.2x); "
                   f"with the garbage collector paused {paused_log_s * 1e3:.3f} and {paused_alone_s * 1e3:.3f} ms, "
                   f"log/alone = {paused_log_s / paused_alone_s:.2f}x")
    return out


def generate_log(path: Path, size: int, logs: list[str], reports: int, seed: int = 1) -> int:
    """Write ``size`` bytes of noise with ``reports`` corpus logs spread through it; returns bytes."""
    rng = random.Random(seed)
    noise_bytes = max(size - sum(len(log) for log in logs) * reports // len(logs), size // 2)
    every = max(noise_bytes // max(reports, 1), 1)
    written = since = n = 0
    with open(path, "w", encoding="utf-8") as f:
        block = []
        while written < size:
            n += 1
            text = rng.choice(RARE if n % RARE_EVERY == 0 else NOISE).format(n=n)
            line = f"[{n // 1000:6d}.{n % 1000000:06d}] {text}\n"
            block.append(line)
            written += len(line)
            since += len(line)
            if since >= every and reports:
                log = rng.choice(logs)
                block.append(log if log.endswith("\n") else log + "\n")
                written += len(log) + 1
                since = 0
            if len(block) > 4096:
                f.write("".join(block))
                block = []
        f.write("".join(block))
    return path.stat().st_size


def _spread(times: list[float]) -> str:
    return f"median {statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f})"


def bench_scan(tmp: Path, logs: list[str], size: int, reports: int, runs: int) -> list[str]:
    path = tmp / "console.log"
    total = generate_log(path, size, logs, reports)
    located, parsed = [], []
    # locate and scan in turn, so that both see the same machine (the first run also pays
    # for the page cache).
    for _ in range(runs):
        t0 = time.perf_counter()
        found = sum(1 for _ in locate(path))
        located.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        n_parsed = sum(1 for _ in scan(path))
        parsed.append(time.perf_counter() - t0)
    locate_s, scan_s = statistics.median(located), statistics.median(parsed)
    grep = shutil.which("grep")
    lines = [f"scan: {total / 1e6:.0f} MB console log, ~{reports} corpus logs mixed in, {runs} runs of each, in turn",
             f"  locate: {found} reports found, {_spread(located)} = {total / 1e6 / locate_s:.0f} MB/s "
             "(goal: >= 300 MB/s)",
             f"  scan (found and fully parsed): {n_parsed} reports, {_spread(parsed)} = {total / 1e6 / scan_s:.0f} MB/s; "
             f"scan/locate speed = {locate_s / scan_s:.2f} (goal: >= 0.5)"]
    if grep:
        grep_s = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            out = subprocess.run([grep, "-cE", GREP_BANNERS, str(path)], capture_output=True, text=True)
            grep_s = min(grep_s, time.perf_counter() - t0)
        lines.append(f"  grep -cE banners: {out.stdout.strip()} lines in {grep_s:.2f} s (best of 3) = "
                     f"{total / 1e6 / grep_s:.0f} MB/s; locate/grep time = {locate_s / grep_s:.1f}x")
    path.unlink()
    return lines


def bench_hostile() -> list[str]:
    """Inputs that once hung a view or the scanner, each beside parse() of the same text."""
    from splatkit.render.html import report_html

    from conftest import dense_held_locks_report, dense_held_locks_reports

    rule, banner = sample_text().split("\n")[:2]
    banners = ("\n".join([rule, banner] * 400) + "\n").encode()

    def best(func, repeat: int = 3) -> float:
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            func()
            times.append(time.perf_counter() - t0)
        return min(times)

    parse_s = best(lambda: splatkit.parse(banners.decode()))
    scan_s = best(lambda: list(scan(io.BytesIO(banners))))
    small_s = best(lambda: list(scan(io.BytesIO(banners), chunk_size=4096)))
    out = ["hostile: inputs found by fuzzing, best of 3",
           f"  400 banners in a row: scan {scan_s:.3f} s (4 KiB chunks: {small_s:.3f} s) beside parse "
           f"{parse_s:.3f} s; scan/parse = {scan_s / parse_s:.1f}x (goal: <= 2x)"]
    dense = dense_held_locks_report()
    dense_parse_s = best(lambda: splatkit.parse(dense))
    report_s = best(lambda: report_html(splatkit.parse(dense)[0]))
    # Eight such lists, each taking the classes in another order: a dense graph across reports.
    graph = LockGraph.from_splats(splatkit.parse(dense_held_locks_reports()))
    cycles_s = best(lambda: graph.cycles())
    found = graph.cycles()
    out.append(f"  a {len(dense) // 1024} KB held-lock list over 30 classes: parse + report_html {report_s:.3f} s "
               f"(goal: <= 1 s) beside parse {dense_parse_s:.3f} s; eight such lists in different orders "
               f"({graph.nx.number_of_edges()} dependencies): g.cycles() {cycles_s:.3f} s for {len(found)} cycles "
               f"(complete: {found.complete})")
    return out


_CHILD_SCAN = "import sys; from splatkit.scan import scan; print(sum(1 for _ in scan(sys.argv[1])))"
_CHILD_IMPORT = "import splatkit.scan; print(0)"
#: Runs the command in its argv, then prints its output, its seconds and the peak RSS (KiB) of
#: its process. It imports nothing heavy: a process forked from it counts its memory in its
#: own peak, as a child of this benchmark would count this benchmark's hundreds of MB.
_LAUNCHER = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
             "out = subprocess.run(sys.argv[1:], capture_output=True, text=True, check=True).stdout; "
             "print(out.strip(), time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def measured(*command: str) -> tuple[str, float, float]:
    """(output, seconds, peak RSS in MB) of ``command`` run as a process of its own."""
    out = subprocess.run([sys.executable, "-c", _LAUNCHER, *command], capture_output=True, text=True,
                         check=True, cwd=REPO).stdout.split()
    return " ".join(out[:-2]), float(out[-2]), int(out[-1]) / 1024


def bench_stream(tmp: Path, logs: list[str], size: int, reports: int) -> list[str]:
    path = tmp / "huge.log"
    total = generate_log(path, size, logs, reports, seed=2)
    found, seconds, rss = measured(sys.executable, "-c", _CHILD_SCAN, str(path))
    _zero, _t, base_rss = measured(sys.executable, "-c", _CHILD_IMPORT)
    path.unlink()
    return [f"stream: {total / 1e9:.2f} GB log scanned in a process of its own (peak RSS read by a small launcher)",
            f"  {found} reports in {seconds:.1f} s, peak RSS {rss:.0f} MB (goal: < 200 MB); "
            f"baseline (import only) {base_rss:.0f} MB; scan/baseline = {rss / base_rss:.1f}x"]


# The /proc/lockdep generator is the package's (the browser benchmark and tests draw it too).
generate_proc_lockdep = proc_lockdep_text


def bench_graph(classes: int, deps: int, queries: int) -> list[str]:
    import networkx as nx

    text = generate_proc_lockdep(classes, deps)
    load = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        g = LockGraph.from_proc_lockdep(text)
        load = min(load, time.perf_counter() - t0)
    rng = random.Random(5)
    nodes = sorted(g.nx)
    pairs = [tuple(rng.sample(nodes, 2)) for _ in range(queries)]
    t0 = time.perf_counter()
    g.what_if(*pairs[0], limit=1)  # the first query computes the reachability index once
    index_s = time.perf_counter() - t0

    def timed(func, args, collector: bool = False) -> tuple[list[float], list]:
        """Seconds of each call and its result; the garbage collector paused (after a collection)
        unless ``collector``, so that a call's time is its own."""
        times, results = [], []
        if not collector:
            gc.collect()
            gc.disable()
        try:
            for a in args:
                t0 = time.perf_counter()
                results.append(func(*a))
                times.append(time.perf_counter() - t0)
        finally:
            gc.enable()
        return times, results

    wi, closing = timed(lambda a, b: g.what_if(a, b, limit=1), pairs)
    hp, reach = timed(lambda a, b: nx.has_path(g.nx, b, a), pairs)
    assert [bool(c) for c in closing] == reach, "what_if disagrees with nx.has_path"
    hubs = [(rng.choice(nodes),) for _ in range(max(queries // 10, 10))]
    nb, subs = timed(lambda lock: g.neighbourhood(lock, 2, max_nodes=200), hubs)
    nb_base, _ = timed(lambda lock: nx.has_path(g.nx, lock, nodes[0]), hubs)
    # The same queries with the collector running, and the collections it made meanwhile.
    pauses: list[float] = []
    started = [0.0]

    def on_collection(phase: str, info: dict) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        elif info["generation"] == 2:
            pauses.append(time.perf_counter() - started[0])

    gc.collect()
    gc.callbacks.append(on_collection)
    try:
        wi_gc, _ = timed(lambda a, b: g.what_if(a, b, limit=1), pairs, collector=True)
        nb_gc, _ = timed(lambda lock: g.neighbourhood(lock, 2, max_nodes=200), hubs, collector=True)
    finally:
        gc.callbacks.remove(on_collection)
    med = statistics.median
    return [
        f"graph: generated /proc/lockdep, {classes} classes, {g.nx.number_of_edges()} dependencies "
        f"({len(text) / 1e6:.1f} MB), {len(pairs)} what-if pairs ({sum(reach)} close a cycle); queries timed "
        "with the garbage collector paused",
        f"  load (from_proc_lockdep): {load:.2f} s, best of 3 (goal: <= 2 s); problems: {len(g.problems)}",
        f"  what_if(a, b, limit=1): median {med(wi) * 1e3:.3f} ms, p90 {statistics.quantiles(wi, n=10)[-1] * 1e3:.3f} "
        f"ms, max {max(wi) * 1e3:.1f} ms (goal: median <= 5 ms); pairs closing a cycle: median "
        f"{med([t for t, r in zip(wi, reach) if r]) * 1e3:.3f} ms, safe pairs: median "
        f"{med([t for t, r in zip(wi, reach) if not r]) * 1e3:.3f} ms; reachability index built once on the "
        f"first query in {index_s * 1e3:.0f} ms, nothing rebuilt per query",
        f"  baseline nx.has_path(G, b, a), same pairs: median {med(hp) * 1e3:.3f} ms, max {max(hp) * 1e3:.1f} ms; "
        f"what_if/has_path = {med(wi) / med(hp):.2f}x",
        f"  neighbourhood(lock, 2, max_nodes=200): median {med(nb) * 1e3:.2f} ms, max {max(nb) * 1e3:.2f} ms, "
        f"<= {max(s.nx.number_of_nodes() for s in subs)} nodes (goal: <= 50 ms); baseline nx.has_path from the "
        f"same locks: median {med(nb_base) * 1e3:.3f} ms",
        f"  with the collector running: what_if max {max(wi_gc) * 1e3:.1f} ms, neighbourhood max "
        f"{max(nb_gc) * 1e3:.2f} ms; {len(pauses)} full collections meanwhile, the longest "
        f"{max(pauses, default=0) * 1e3:.0f} ms (a query that meets one waits for it)",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small inputs, for a smoke run")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--only", choices=("graph", "hostile", "titles", "per-report", "scan"),
                        help="run one section and print it")
    args = parser.parse_args()
    classes, deps, queries = (2_000, 20_000, 200) if args.quick else (20_000, 200_000, 2_000)
    scan_size, stream_size = (4 << 20, 16 << 20) if args.quick else (100 << 20, 1 << 30)
    reports = 20 if args.quick else 300
    runs = 2 if args.quick else 5
    if args.only == "per-report":
        print("\n".join(bench_per_report(corpus_logs(), reports=100 if args.quick else 1000, rounds=runs)))
        return
    if args.only == "scan":
        with tempfile.TemporaryDirectory(prefix="splatkit-bench-") as tmp:
            print("\n".join(bench_scan(Path(tmp), corpus_logs(), scan_size, reports, runs)))
        return
    if args.only == "graph":
        print("\n".join(bench_graph(classes, deps, queries)))
        return
    if args.only == "hostile":
        print("\n".join(bench_hostile()))
        return
    if args.only == "titles":
        corpus_logs()  # stops with a message when the corpus is absent
        print("\n".join(bench_titles()))
        return
    logs = corpus_logs()
    out = [f"splatkit benchmarks, {time.strftime('%Y-%m-%d %H:%M')}, python {sys.version.split()[0]}, "
           f"{os.cpu_count()} cores{' (quick)' if args.quick else ''}", ""]
    out += bench_parse(logs, repeat=1 if args.quick else 5)
    out += bench_per_report(logs, reports=100 if args.quick else 1000, rounds=runs)
    out += bench_titles()
    with tempfile.TemporaryDirectory(prefix="splatkit-bench-") as tmp:
        out += bench_scan(Path(tmp), logs, scan_size, reports, runs)
        out += bench_stream(Path(tmp), logs, stream_size, reports)
    out += bench_hostile()
    out += bench_graph(classes, deps, queries)
    text = "\n".join(out) + "\n"
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(text, end="")
    print(f"(written to {args.output})")


if __name__ == "__main__":
    main()
