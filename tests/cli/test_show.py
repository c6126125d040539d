"""``splatkit show``: every report of every file summarised, cycles never shown in part,
colour only where it belongs, and input that cannot drive the terminal."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys

import pytest

import splatkit
from splatkit.cli.show import plain

ESC = "\x1b"


def _flat(text: str) -> str:
    """The summary with its line breaks and indentation squeezed: what a list wrapped over lines says."""
    return re.sub(r"\s+", " ", text)


def test_the_seed(cli, seed_path):
    status, out, err = cli("show", seed_path)
    assert (status, err) == (0, "")
    assert ESC not in out  # (not a terminal: no colour)
    lines = out.splitlines()
    assert lines[0] == f"{seed_path}: 1 report"
    assert lines[1].split() == ["[1/1]", "circular", "lines", "1-136"]
    text = _flat(out)
    for field in ("title: possible deadlock in set_nx_huge_pages", "task: tee/27085",
                  "acquiring: &kvm->slots_lock, at set_nx_huge_pages [kvm]",
                  "holding: kvm_lock, at set_nx_huge_pages [kvm]",
                  "chain: #3 kvm_lock, #2 cpu_hotplug_lock, #1 &kvm->srcu, #0 &kvm->slots_lock",
                  "held (5): #0 sb_writers#4, #1 &of->mutex, #2 kn->active#257, #3 &mod->param_lock, #4 kvm_lock",
                  "cycle (4): kvm_lock -> &kvm->slots_lock -> &kvm->srcu -> cpu_hotplug_lock -> kvm_lock",
                  "cpu_hotplug_lock is acquired for read here: this cycle deadlocks only if a writer",
                  "notes: none"):
        assert field in text, field
    assert max(map(len, lines)) <= 80


def test_every_report_of_every_corpus_file(cli, wild_files, syzkaller_files):
    """Each report is listed with its number, kind and title; a whole cycle is shown, one the
    report does not show whole is said to be unknown, and every note of the parser is there."""
    several = partial = 0
    for path in wild_files + syzkaller_files:
        splats = splatkit.parse(path.read_text(encoding="utf-8", errors="replace"))
        status, out, _err = cli("show", "-q", path)
        assert status == 0, path
        n = len(splats)
        assert out.startswith(f"{path}: {n} report{'s' if n != 1 else ''}\n"), path
        assert re.findall(r"^  \[(\d+/\d+)\] ", out, flags=re.M) == [f"{i}/{n}" for i in range(1, n + 1)], path
        blocks = re.split(r"^  \[\d+/\d+\] ", out, flags=re.M)[1:]
        for splat, block in zip(splats, blocks):
            assert block.startswith(f"{splat.kind}  lines {splat.span.first_line}-{splat.span.last_line}\n"), path
            text = _flat(block)
            assert f"title: {_flat(plain(splat.title or splat.banner))}" in text, path
            for note in splat.notes:
                assert _flat(plain(note)) in text, (path, note)
            if splat.cycle:
                assert " -> ".join(splat.cycle + splat.cycle[:1]) in text, path
            else:
                assert "cycle (" not in text, path
                if splat.chain:
                    partial += 1
                    assert "cycle: unknown: the report does not show every lock of its chain" in text, path
        several += n > 1
    assert several >= 4 and partial >= 2  # (the corpora hold files with several reports, and cut chains)


def test_a_chain_cut_short_is_said_not_shown(cli, wild_files):
    (path,) = [p for p in wild_files if p.name.startswith("031-")]
    (splat,) = splatkit.parse(path.read_text())
    assert splat.chain and not splat.cycle and splat.chain_members()  # (some locks known, not all)
    status, out, _err = cli("show", "-q", path)
    assert status == 0
    text = _flat(out)
    assert "cycle: unknown: the report does not show every lock of its chain (entries known: #3, #0)" in text
    assert "chain entries #2, #1, #0 not shown" in text  # the parser's note, as it wrote it
    assert " -> " not in out


def test_several_files_and_one_report_of_each(cli, wild_files, syzkaller_files):
    two = next(p for p in wild_files if p.name.startswith("010-"))
    other = next(p for p in syzkaller_files if p.name == "669")
    status, out, _err = cli("show", "-q", two, other)
    assert status == 0
    assert re.findall(r"^\S.*: \d+ reports?$", out, flags=re.M) == [f"{two}: 2 reports", f"{other}: 2 reports"]
    assert re.findall(r"\[(\d/\d)\] (\w+)", out) == [("1/2", "suspicious_rcu"), ("2/2", "still_held"),
                                                     ("1/2", "inconsistent_state"), ("2/2", "inconsistent_state")]
    status, out, _err = cli("show", "-q", "--index", "2", two, other)
    assert re.findall(r"\[(\d/\d)\] (\w+)", out) == [("2/2", "still_held"), ("2/2", "inconsistent_state")]


def test_an_index_past_the_last_report(cli, seed_path):
    status, out, err = cli("show", "--index", "2", seed_path)
    assert (status, out) == (2, "")
    assert err == f"splatkit: {seed_path}: --index 2: the file holds 1 report\n"


def test_standard_input(child, seed_text):
    result = child("show", "-", stdin="a line before the report\n" + seed_text)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("<stdin>: 1 report\n  [1/1] circular  lines 2-137\n")


def test_a_bad_file_among_good_ones(cli, seed_path, tmp_path):
    missing = tmp_path / "gone.txt"
    status, out, err = cli("show", missing, seed_path)
    assert status == 2
    assert err == f"splatkit: {missing}: cannot read file: No such file or directory\n"
    assert out.startswith(f"{seed_path}: 1 report\n")  # (the others are still shown)


def test_no_report_in_a_file(cli, tmp_path):
    path = tmp_path / "dmesg.txt"
    path.write_text("[    0.000000] Linux version 6.9.0\n[    0.1] Command line: ro\n")
    status, out, err = cli("show", path)
    assert (status, out) == (2, "")
    assert err.startswith(f"splatkit: {path}:1: no lockdep report found in 2 lines;") and err.count("\n") == 1


def test_control_characters_of_the_input_are_escaped(cli, seed_text, tmp_path):
    """A lock name or task with an escape sequence (a log may hold anything) is shown, not obeyed."""
    path = tmp_path / "esc.txt"
    path.write_text(seed_text.replace("kvm_lock", "kvm\x1b[2J\x1b]0;pwned\x07lock").replace("tee/", "t\x1b[31me/"))
    (splat,) = splatkit.parse(path.read_text())
    assert "kvm\x1b[2J\x1b]0;pwned\x07lock" in splat.cycle  # (the parser keeps the name as printed)
    for colour in ("never", "always"):
        status, out, _err = cli("show", "--color", colour, path)
        assert status == 0
        assert "\x07" not in out and "\x1b[2J" not in out and "\x1b]0" not in out
        assert "kvm\\x1b[2J\\x1b]0;pwned\\x07lock" in out and "t\\x1b[31me/27085" in out
        assert (ESC in out) == (colour == "always")


def test_colour_always_marks_the_cycle(cli, seed_path):
    status, out, _err = cli("show", "--color", "always", seed_path)
    assert status == 0
    assert "\x1b[1;31mkvm_lock -> &kvm->slots_lock -> &kvm->srcu -> cpu_hotplug_lock ->\x1b[0m" in out
    assert re.sub(r"\x1b\[[0-9;]*m", "", out) == cli("show", "--color", "never", seed_path)[1]


def _on_a_terminal(args: list[str], env: dict[str, str]) -> str:
    """What ``splatkit ARGS`` writes when its standard output is a terminal (a pseudo-terminal)."""
    leader, follower = pty.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "splatkit", *args], stdout=follower, stderr=subprocess.PIPE,
                                env=env)
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # (EIO: the child closed the terminal)
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert proc.wait(timeout=120) == 0, proc.stderr.read()
    finally:
        os.close(leader)
    return b"".join(chunks).decode()


@pytest.mark.parametrize("no_color, coloured", [(None, True), ("1", False), ("", True)])
def test_colour_on_a_terminal_unless_no_color(seed_path, no_color, coloured):
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    if no_color is not None:
        env["NO_COLOR"] = no_color
    out = _on_a_terminal(["show", str(seed_path)], env)
    assert "possible deadlock in set_nx_huge_pages" in out
    assert (ESC in out) == coloured
    if no_color is not None:
        assert ESC in _on_a_terminal(["show", "--color", "always", str(seed_path)], env)
    assert ESC not in _on_a_terminal(["show", "--color", "never", str(seed_path)], env)


def test_not_coloured_into_a_pipe(child, seed_path):
    result = child("show", seed_path, env={k: v for k, v in os.environ.items() if k != "NO_COLOR"})
    assert result.returncode == 0 and ESC not in result.stdout and "cycle (4)" in result.stdout
