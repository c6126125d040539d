"""The corpus benchmark still runs (a quick smoke run: figures are not asserted, but the run
must find what it put in and agree with itself)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_the_corpus_benchmark_runs_quick(corpus_dir, tmp_path):
    out = tmp_path / "scan_corpus.txt"
    result = subprocess.run([sys.executable, str(REPO / "benchmarks" / "scan_corpus.py"), "--quick", "--output",
                             str(out), "--tmp", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert "1 and 2 workers give the same groups: yes" in text
    put = int(re.search(r"(\d+) syzkaller-corpus logs put in", text).group(1))
    found = [int(n) for n in re.findall(r"splatkit scan --workers \d: (\d+) reports", text)]
    assert len(found) == 2 and found[0] == found[1] >= put  # (a corpus log may hold more than one report)
    assert re.search(r"peak memory: client process \d+ MB", text) and "speed-up from 1 to 2 workers" in text
    # This machine's ceiling: two one-process scans at once, each over half the logs, find them all.
    halves = re.search(r"two splatkit scan --workers 1 at once, each over half the logs \(the ceiling: no engine\): "
                       r"(\d+) reports", text)
    assert halves and int(halves.group(1)) == found[0]
    assert re.search(r"this machine's ceiling, two halves at once: [\d.]+x \(median [\d.]+x\): the engine gets "
                     r"\d+% of it", text)
    # The scaling measured on a warm local cluster of 1 and of 2 worker processes: same reports.
    warm = [int(n) for n in re.findall(r"  [12] workers?: (\d+) reports, \d+ titles in [\d.]+ s", text)]
    assert warm == found
    assert re.search(r"  speed-up from 1 to 2 workers: [\d.]+x wall-clock \(goal: >= 1.8x\); workers' CPU seconds "
                     r"with 2 / with 1: [\d.]+", text)
    assert [p.name for p in tmp_path.iterdir()] == ["scan_corpus.txt"]  # (the corpus is removed)
