"""``splatkit json``: every report by default (``--all``), one with ``--index N``."""

from __future__ import annotations

import json

import pytest

import splatkit


def test_all_is_the_default(cli, wild_files, syzkaller_files):
    several = [p for p in wild_files + syzkaller_files if len(splatkit.parse(p.read_text(errors="replace"))) > 1]
    assert len(several) >= 4
    for path in several:
        status, out, _err = cli("json", "-q", path)
        assert status == 0
        assert cli("json", "-q", "--all", path)[1] == out
        reports = json.loads(out)
        assert [r["title"] for r in reports] == [s.title for s in splatkit.parse(path.read_text(errors="replace"))]
        for number, report in enumerate(reports, 1):
            status, one, _err = cli("json", "-q", "--index", str(number), path)
            assert status == 0 and json.loads(one) == report  # (one object, not an array)


def test_index_warns_only_about_the_report_it_prints(cli, wild_files):
    path = next(p for p in wild_files if p.name.startswith("010-"))
    _status, _out, err = cli("json", path)
    assert err.count("warning: suspicious_rcu report ends early") == 1 and "still_held report ends early" in err
    _status, _out, err = cli("json", "--index", "2", path)
    assert err == f"{path}:15: warning: still_held report ends early (truncated)\n"


def test_index_past_the_last(cli, wild_files):
    path = next(p for p in wild_files if p.name.startswith("010-"))
    assert cli("json", "--index", "3", path) == (2, "", f"splatkit: {path}: --index 3: the file holds 2 reports "
                                                        "(1 to 2)\n")


@pytest.mark.parametrize("args, message", [
    (["--index", "0"], "argument --index: expected a report number from 1 up, got '0'"),
    (["--index", "first"], "argument --index: expected a report number from 1 up, got 'first'"),
    (["--index", "1", "--all"], "argument --all: not allowed with argument --index"),
])
def test_usage_errors(child, seed_path, args, message):
    result = child("json", *args, seed_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines()[-1] == f"splatkit json: error: {message}"
