"""The command line, run as a user runs it: a subprocess, real files, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import dense_held_locks_report


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "splatkit", *args], input=stdin, capture_output=True,
                          text=True, timeout=120)


def test_json_of_the_seed(seed_path):
    result = run("json", str(seed_path))
    assert result.returncode == 0, result.stderr
    (report,) = json.loads(result.stdout)
    assert report["kind"] == "circular"
    assert report["cycle"] == ["kvm_lock", "&kvm->slots_lock", "&kvm->srcu", "cpu_hotplug_lock"]
    assert report["task"] == {"comm": "tee", "pid": 27085}
    assert result.stderr == ""


def test_json_from_stdin(seed_text):
    result = run("json", "-", stdin="unrelated line\n" + seed_text)
    assert result.returncode == 0
    (report,) = json.loads(result.stdout)
    assert report["span"]["first_line"] == 2


def test_explain_defaults_to_the_seed():
    result = run("explain")
    assert result.returncode == 0
    prose = result.stdout.partition("The splat, trimmed:")[0]
    assert max(map(len, prose.splitlines())) <= 72
    assert "kvm_lock \u2192 &kvm->slots_lock \u2192 &kvm->srcu \u2192 cpu_hotplug_lock \u2192 kvm_lock" in result.stdout
    assert "CPU3" in result.stdout and "CPU4" not in result.stdout


def test_explain_markdown(seed_path):
    result = run("explain", "--markdown", str(seed_path))
    assert result.returncode == 0
    assert ("- \\#0, new: `set_nx_huge_pages()` \\[kvm\\] takes `&kvm->slots_lock` (mutex, via "
            "`mutex_lock_nested()`) while holding `kvm_lock`.") in result.stdout


def test_no_report_is_a_one_line_error(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("just\nsome\ntext\n")
    result = run("json", str(path))
    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"splatkit: {path}:1: no lockdep report found in 3 lines")


def test_missing_file(tmp_path):
    result = run("explain", str(tmp_path / "nope.txt"))
    assert result.returncode == 2
    assert "nope.txt" in result.stderr and "Traceback" not in result.stderr


def test_unrecognised_lines_are_reported(tmp_path, seed_text):
    lines = seed_text.splitlines()
    lines.insert(20, "[48419.400000] this line is not lockdep's")
    path = tmp_path / "damaged.txt"
    path.write_text("\n".join(lines) + "\n")
    result = run("json", str(path))
    assert result.returncode == 0
    assert f"{path}:21: warning: unrecognised line in circular report" in result.stderr
    (report,) = json.loads(result.stdout)
    assert report["unrecognised"][0]["line"] == 21


def test_report_writes_html(tmp_path):
    out = tmp_path / "out.html"
    result = run("report", "-o", str(out))
    assert result.returncode == 0, result.stderr
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>") or page.lower().startswith("<!doctype html>")
    assert "&amp;kvm-&gt;slots_lock" in page


def test_report_of_a_dense_held_lock_list_ends_and_draws_no_deadlock(tmp_path):
    """A 26 KB held-lock list over 30 lock classes held again and again (issue 9: report hung on
    the millions of loops it used to draw): the order each class was first taken, no cycle."""
    path = tmp_path / "dense.txt"
    path.write_text(dense_held_locks_report())
    out = tmp_path / "dense.html"
    result = run("report", "-q", str(path), "-o", str(out))  # (run() gives up after 120 s)
    assert result.returncode == 0, result.stderr
    (wrote,) = result.stderr.splitlines()
    assert wrote.startswith(f"wrote {out}")
    assert "dependency cycle" not in out.read_text()
