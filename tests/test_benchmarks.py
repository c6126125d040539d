"""The benchmark script still runs (a quick smoke run with small inputs; figures are not asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_benchmarks_quick_run(corpus_dir, tmp_path):
    out = tmp_path / "results.txt"
    result = subprocess.run([sys.executable, str(REPO / "benchmarks" / "run.py"), "--quick", "--output", str(out)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    for section in ("parse:", "per report:", "titles:", "scan:", "stream:", "hostile:", "graph:"):
        assert section in text
    # The generated logs hold corpus reports, and locate() must find them all.
    located = int(text.split("locate: ")[1].split()[0])
    assert located >= 20
    # Issue 13's figures: the per-report cost in a log beside alone, for both logs...
    per_report = re.findall(r"\((\d[\d,]*) reports\): [\d.]+ ms/report in the log, [\d.]+ ms alone; "
                            r"log/alone = [\d.]+x \(goal: <= 1.2x\); with the garbage collector paused [\d.]+ and "
                            r"[\d.]+ ms, log/alone = [\d.]+x", text)
    assert len(per_report) == 2 and all(int(n.replace(",", "")) >= 90 for n in per_report)
    # ... the scans timed over several runs, with their spread, and scan's speed beside locate's...
    for tool in ("locate", "scan"):
        assert re.search(rf"  {tool}\b.*median [\d.]+ s \(min [\d.]+, max [\d.]+\)", text), tool
    assert re.search(r"scan/locate speed = [\d.]+", text)
    # ... the streaming scan's peak RSS read from a process of its own, beside the baseline's...
    assert re.search(r"peak RSS \d+ MB .*baseline \(import only\) \d+ MB", text)
    assert "process of its own" in text
    # ... and the graph queries timed with the collector paused, then with it running.
    assert "queries timed with the garbage collector paused" in text
    assert re.search(r"with the collector running: what_if max [\d.]+ ms, neighbourhood max [\d.]+ ms; "
                     r"\d+ full collections meanwhile", text)
