"""The same input gives the same pages, whatever Python's hash seed.

A set of lock-class names iterates in an order that follows ``PYTHONHASHSEED``, which each
Python process draws at random: a view that takes that order (which cycle a bounded search
lists, where a cycle starts, where a small component is laid out) changes from one run to the
next, and so does a saved report or notebook. tests/hash_seed_outputs.py writes the views in
one process per hash seed; every file must be the same bytes in each.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO

SEEDS = ("0", "1", "2")


def test_views_are_the_same_bytes_whatever_the_hash_seed(shared_dir, tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    runs = {seed: subprocess.Popen([sys.executable, str(REPO / "tests" / "hash_seed_outputs.py"), str(tmp_path / seed),
                                    str(shared_dir)], cwd=REPO, env={**env, "PYTHONHASHSEED": seed},
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for seed in SEEDS}
    for seed, run in runs.items():
        _out, err = run.communicate(timeout=600)
        assert run.returncode == 0, f"PYTHONHASHSEED={seed}: {err[-3000:]}"
    first, *others = SEEDS
    names = sorted(p.name for p in (tmp_path / first).iterdir())
    assert {"seed.html", "merged.html", "big-3000.html"} <= set(names)
    for seed in others:
        assert sorted(p.name for p in (tmp_path / seed).iterdir()) == names
    differ = [f"{name} (PYTHONHASHSEED={seed})" for seed in others for name in names
              if (tmp_path / seed / name).read_bytes() != (tmp_path / first / name).read_bytes()]
    assert not differ, (f"not the same bytes as with PYTHONHASHSEED={first}: {', '.join(differ)}; "
                        f"diff the folders of {tmp_path}")
