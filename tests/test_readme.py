"""The README's two set-up commands stay true: CI runs the test command verbatim."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _commands() -> list[str]:
    readme = (REPO / "README.md").read_text()
    setup = readme.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", setup)


def test_exactly_two_setup_commands():
    commands = _commands()
    assert len(commands) == 2
    assert commands[0].endswith("splatkit lab")
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command():
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    assert _commands()[1] in ci


def test_every_wrapper_is_in_the_readme():
    from splatkit.grammar import wrappers

    names = {w.name for w in wrappers.WRAPPERS} | {name for name, _ in wrappers.LINE_ENDS}
    names |= {name for name, _, _ in wrappers.NEWLINE_ESCAPES} | {r.name for r in wrappers.TEXT_REPAIRS}
    names |= {wrappers.QP, wrappers.UTF7, wrappers.COLLAPSED, wrappers.HARD_WRAP, wrappers.KERN_CONT,
              wrappers.CONTINUATION, wrappers.NO_BREAK_SPACE, wrappers.CUT_AT_WIDTH, wrappers.BASE64}
    readme = (REPO / "README.md").read_text().split("## What you can paste", 1)[1].split("\n## ", 1)[0]
    assert sorted(name for name in names if f"`{name}`" not in readme) == []
