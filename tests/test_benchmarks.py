"""The benchmark script still runs (a quick smoke run with small inputs; figures are not asserted)."""

from __future__ import annotations

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
    for section in ("parse:", "titles:", "scan:", "stream:", "hostile:"):
        assert section in text
    # The generated logs hold corpus reports, and locate() must find them all.
    located = int(text.split("locate: ")[1].split()[0])
    assert located >= 20
