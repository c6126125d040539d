"""The command line as a whole: its entry points, --version, help that reads as plain text, and
the choice of reports every command shares."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

import splatkit
from splatkit.cli import _parser
from splatkit.cli.reports import choose
from splatkit.samples import sample_text

COMMANDS = sorted(_parser()._subparsers._group_actions[0].choices)  # noqa: SLF001 - argparse keeps them there
#: reStructuredText that has no place in a terminal: roles, double backticks, directives.
RST = re.compile(r"``|:(?:func|class|meth|mod|data|attr|exc|ref|doc):|^\.\. \w+::", re.M)


def test_the_commands():
    assert COMMANDS == ["check-order", "explain", "graph", "json", "lab", "report", "scan", "show", "sim", "trim",
                        "workshop"]


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_reads_as_plain_text(command, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")  # (argparse wraps what it wraps to the terminal's width)
    with pytest.raises(SystemExit) as exit_:
        _parser().parse_args([command, "--help"] if command else ["--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("usage: splatkit")
    assert not RST.search(text), RST.search(text)
    assert max(len(line) for line in text.splitlines()) <= 80


@pytest.mark.parametrize("how", [["-m", "splatkit"], ["-m", "splatkit.cli"], "console script"])
def test_version_from_every_entry_point(how):
    if how == "console script":
        script = Path(sys.executable).parent / "splatkit"
        if not script.exists():
            pytest.skip(f"no console script beside {sys.executable} (not installed with pip)")
        command = [str(script)]
    else:
        command = [sys.executable, *how]
    result = subprocess.run([*command, "--version"], capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stdout) == (0, f"splatkit {version('splatkit')}\n")


def test_python_m_splatkit_cli_runs_a_command(seed_path):
    result = subprocess.run([sys.executable, "-m", "splatkit.cli", "show", str(seed_path)], capture_output=True,
                            text=True, timeout=120, env={**os.environ, "COLUMNS": "80"})
    assert result.returncode == 0 and "possible deadlock in set_nx_huge_pages" in result.stdout


def test_no_command_is_a_usage_error():
    result = subprocess.run([sys.executable, "-m", "splatkit"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "the following arguments are required: command" in result.stderr


@pytest.fixture
def three():
    text = sample_text()
    return splatkit.parse("\n".join([text, text, text]))


def test_choose_the_first_and_say_how_many(three, capsys):
    chosen = choose("log.txt", three, argparse.Namespace(all=False, index=None), every=False, doing="explaining")
    assert chosen == [(1, three[0])]
    assert capsys.readouterr().err == ("log.txt: 3 reports; explaining the first (--index N for the Nth, --all for "
                                       "every one)\n")
    assert choose("log.txt", three, argparse.Namespace(all=True, index=None), every=False) == list(enumerate(three, 1))
    assert choose("log.txt", three, argparse.Namespace(all=False, index=3), every=False) == [(3, three[2])]
    assert choose("log.txt", three[:1], argparse.Namespace(all=False, index=None), every=False) == [(1, three[0])]
    assert capsys.readouterr().err == ""
