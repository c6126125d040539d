"""``splatkit sim FILE|-`` and ``splatkit sim --selftest``, as a user runs them."""

from __future__ import annotations

import subprocess
import sys

import pytest

import splatkit
from conftest import SHARED
from splatkit.cli import main
from splatkit.samples import program_path

SPEC = SHARED / "spec" / "locking-selftest.md"
ABBA = "mutex A\nmutex B\ntask1: lock A\ntask1: lock B\ntask1: unlock B\ntask1: unlock A\ntask2: lock B\ntask2: lock A\n"


def sim(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "splatkit", "sim", *args], input=stdin, capture_output=True,
                          text=True, timeout=300)


def test_a_file(tmp_path):
    path = tmp_path / "abba.txt"
    path.write_text(ABBA)
    result = sim(str(path))
    assert result.returncode == 0 and result.stderr == ""
    (splat,) = splatkit.parse(result.stdout)
    assert splat.kind == "circular" and splat.cycle == ("B", "A")


def test_standard_input_and_an_era():
    result = sim("--era", "3.10", "-", stdin=ABBA)
    assert result.returncode == 0
    assert result.stdout.splitlines()[1] == "[ INFO: possible circular locking dependency detected ]"


def test_no_report():
    result = sim("-", stdin="mutex A\nt: lock A\nt: unlock A\n")
    assert (result.returncode, result.stdout) == (0, "no report\n")


def test_a_bundled_program():
    result = sim(str(program_path()))
    assert result.returncode == 0
    assert splatkit.parse(result.stdout)[0].cycle == ("kvm_lock", "&kvm->slots_lock", "&kvm->srcu", "cpu_hotplug_lock")


def test_a_note_goes_to_standard_error():
    result = sim("-", stdin="mutex A\nt1: lock A\nt2: lock A\n")
    assert result.stdout == "no report\n"
    assert result.stderr.startswith("<stdin>: note: line 3: t2 would wait for A")


@pytest.mark.parametrize("args, stdin, where", [
    (["-"], "mutex A\nt1: lok A\n", "splatkit: <stdin>:2: unknown operation 'lok'"),
    (["-"], "mutex A\nt1: lock B\n", "splatkit: <stdin>:2: unknown lock 'B'"),
    ([], None, "splatkit: splatkit sim: give an exercise FILE ('-' for standard input), or --selftest"),
    (["/nonexistent/x.txt"], None, "splatkit: /nonexistent/x.txt: cannot read file"),
    (["--selftest", "--spec", "/nonexistent/spec.md"], None, "splatkit: /nonexistent/spec.md: cannot read"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, monkeypatch, args, stdin, where):
    if stdin is not None:
        import io

        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
    assert main(["sim", *args]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    (line,) = err.splitlines()
    assert line.startswith(where) and "Traceback" not in err


@pytest.mark.skipif(not SPEC.is_file(), reason=f"self-test spec not found at {SPEC}")
def test_selftest_prints_the_table_and_agrees():
    from splatkit.sim import Config, cases_for, read_cases

    total = len(cases_for(read_cases(SPEC), Config()))
    result = sim("--selftest", "--spec", str(SPEC))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == f"{total}/{total} cases agree"
    assert any(line.strip().startswith("| spin |wlock |rlock |mutex") for line in lines)
    assert result.stderr == ""


@pytest.mark.skipif(not SPEC.is_file(), reason=f"self-test spec not found at {SPEC}")
def test_selftest_exits_1_on_a_disagreement(tmp_path):
    lines = SPEC.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("AA_spin\t"))
    lines[index] = lines[index].replace("\tFAILURE\t", "\tSUCCESS\t", 1)
    broken = tmp_path / "spec.md"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = sim("--selftest", "--spec", str(broken))
    assert result.returncode == 1
    assert "FAILED|" in result.stdout
    assert f"{broken}:{index + 1}: disagrees: AA_spin: expected no report" in result.stderr
