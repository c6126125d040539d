"""The browser benchmark of big lock graphs still runs (a quick smoke run on the seed and 50
classes: the figures are not asserted, but every part of the run must be there and agree)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.browser


def test_the_browser_benchmark_runs_quick(chromium, tmp_path):
    pytest.importorskip("playwright.sync_api")
    out = tmp_path / "browser_graph.txt"
    result = subprocess.run([sys.executable, str(REPO / "benchmarks" / "browser_graph.py"), "--quick", "--output",
                             str(out), "--chromium", chromium], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert re.search(r"  seed report: draw [\d.]+ s \(goal < 0.5 s: (met|NOT met)\)", text)
    assert re.search(r"  \d+ classes: draw [\d.]+ s, first zoom [\d.]+; drawings in the next second: \d+", text)
    clicks = re.findall(r"clicks: (\d+)/(\d+) hit their dependency", text)
    assert len(clicks) == 2 and all(int(total) >= 5 for _hit, total in clicks)
    assert len(re.findall(r"longest task \d+ ms, after the first drawing \d+ ms", text)) == 2
    assert len(re.findall(r"bytes per dependency beyond vis-network", text)) == 2 and "page errors" not in text
