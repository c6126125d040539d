"""Running the command line in this process or in a child, and inputs made from real reports."""

from __future__ import annotations

import glob
import io
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import splatkit
from splatkit.cli import main

from conftest import CORPUS, WILD


@pytest.fixture
def cli(capsys, monkeypatch) -> Callable[..., tuple[int, str, str]]:
    """``cli(*args, stdin=None)``: ``main(args)`` in this process, 80 columns wide, with
    ``stdin`` as standard input; returns (exit status, stdout, stderr)."""
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("NO_COLOR", raising=False)

    def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
        status = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return status, out, err

    return run


@pytest.fixture
def child() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``child(*args, stdin=None, env=None)``: ``python -m splatkit ARGS`` in a child process."""
    def run(*args: str, stdin: str | None = None, **kwargs) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "splatkit", *map(str, args)], input=stdin, capture_output=True,
                              text=True, timeout=120, **kwargs)

    return run


@pytest.fixture(scope="session")
def wild_files() -> list[Path]:
    """Every paste of the wild corpus (skips without it)."""
    files = sorted(Path(p) for p in glob.glob(str(WILD / "splats" / "*.txt")))
    if not files:
        pytest.skip(f"wild corpus not found at {WILD}")
    return files


@pytest.fixture(scope="session")
def syzkaller_files() -> list[Path]:
    """Every report file of the syzkaller corpus (skips without it)."""
    files = sorted((CORPUS / "report").glob("*")) if (CORPUS / "report").is_dir() else []
    if not files:
        pytest.skip(f"syzkaller corpus not found at {CORPUS}")
    return files


@pytest.fixture(scope="session")
def lockdep_dump() -> Callable[..., str]:
    """``lockdep_dump(splat, drop_new=True)``: the /proc/lockdep text (``l_show()``'s format) of
    the dependencies a parsed splat's chain recorded, without the new one that closed its cycle
    (lockdep never records that one), as the kernel that printed the splat would show them."""
    def dump(splat: splatkit.Splat, *, drop_new: bool = True) -> str:
        g = splatkit.LockGraph.from_splats(splat, held_locks=False)
        names = sorted(g.nx.nodes)
        key = {name: 0xffffffff82a00000 + 0x40 * i for i, name in enumerate(names)}
        lines = ["all lock classes:"]
        for name in names:
            lines.append(f"{key[name]:016x} FD:{1 + g.nx.out_degree(name):5d} BD:{1 + g.nx.in_degree(name):5d} "
                         f"{g.nx.nodes[name].get('usage') or '+.+.'}: {name}")
            for after in sorted(g.nx.successors(name)):
                if drop_new and any(ev.source == "new" for ev in g.evidence(name, after)):
                    continue
                lines.append(f" -> [{key[after]:016x}] {after}")
            lines.append("")
        return "\n".join(lines) + "\n"

    return dump
