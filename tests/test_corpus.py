"""Invariants over the shared syzkaller corpus (skipped cleanly when ../shared is absent).

Exact titles and every kind's fields are issue 3; here every file must parse,
every line of every report span must be accounted for, and every circular
report must obey the cycle convention.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import splatkit
from conftest import assert_lossless, read_log
from splatkit.lines import split_lines


#: Corpus kinds (index.tsv) whose reports splatkit's kind table does not know yet.
NOT_YET: set[str] = set()


def corpus_kind(corpus_dir: Path, name: str) -> str:
    with open(corpus_dir / "index.tsv", newline="") as f:
        return next(row["kind"] for row in csv.DictReader(f, delimiter="\t") if row["file"] == name)


def test_corpus_file(corpus_file, corpus_dir):
    name = corpus_file
    log = read_log(corpus_dir / "report" / name)
    splats = splatkit.parse(log)
    if not splats and corpus_kind(corpus_dir, name) in NOT_YET:
        pytest.xfail(f"{name}: report kind {corpus_kind(corpus_dir, name)!r} is not in the kind table yet (issue 3)")
    assert splats, f"{name}: no lockdep report found"
    n_lines = len(split_lines(log))
    previous_end, previous_first, previous_caller = 0, 0, None
    for splat in splats:
        first, last = splat.span.first_line, splat.span.last_line
        assert previous_first < first <= last <= n_lines
        caller = next(line.caller for line in splat.lines if line.text.strip() == splat.banner)
        # Reports overlap only when printed by different contexts (printk caller ids).
        assert previous_end < first or (caller is not None and caller != previous_caller)
        previous_end, previous_first, previous_caller = last, first, caller
        assert_lossless(splat)
        if splat.kind == "circular" and splat.chain:
            indices = [e.index for e in splat.chain]
            assert indices == list(range(max(indices), -1, -1)) or splat.truncated
            if splat.holding and splat.acquiring and not splat.truncated:
                assert splat.cycle[0] == splat.holding.name
                assert splat.cycle[1] == splat.acquiring.name


def test_every_report_explains_and_renders(corpus_file, corpus_dir):
    """Whatever state a corpus report is in (cut, garbled, partial chain), the views work."""
    from splatkit.render.html import report_html

    for splat in splatkit.parse(read_log(corpus_dir / "report" / corpus_file)):
        text = splatkit.explain_text(splat)
        prose = text.partition("The splat, trimmed:")[0]
        assert max(len(line) for line in prose.splitlines()[1:]) <= 72  # (the heading: a subject line)
        page = report_html(splat, source=corpus_file)
        assert splat.kind in page


@pytest.mark.parametrize("name", ["546", "553", "561", "guilty_50"])
def test_32_bit_arm_backtraces(corpus_dir, name):
    """32-bit ARM prints "Backtrace:", "[<addr>] (func) from [<addr>] (caller+0x1/0x2)" frames
    and the registers each frame saved; the report reads to its last frame."""
    log = read_log(corpus_dir / "report" / name)
    splat = splatkit.parse(log)[0]
    assert not splat.truncated and not splat.unrecognised
    functions = [frame.function for frame in splat.backtrace]
    assert functions[:3] == ["dump_backtrace", "show_stack", "dump_stack"]
    assert all(frame.address for frame in splat.backtrace)
    # Every "from" line of the stack dump is a frame.
    assert len(functions) == sum(1 for line in splat.lines if ") from [<" in line.text and line.no > splat.lines[0].no)
