"""The kernel's lockdep self-test as the oracle: every case of Appendix A through the simulator.

The cases, their expected verdicts and the reports they raise are read from
``../shared/spec/locking-selftest.md`` at run time (the tests skip without it); nothing
the spec says is copied here.
"""

from __future__ import annotations

import re

import pytest

from conftest import SHARED
from splatkit.sim import Config, cases_for, read_cases, render_table, run_case, run_cases
from splatkit.sim.selftest import REPORT_KINDS

SPEC = SHARED / "spec" / "locking-selftest.md"
CASES = read_cases(SPEC) if SPEC.is_file() else []
DEFAULT = cases_for(CASES, Config())
CONFIGS = {
    "default": Config(),
    "no-raw-lock-nesting": Config(raw_lock_nesting=False),
    "preempt-rt": Config(preempt_rt=True),
}


def _ids(cases):
    return [c.id for c in cases] or None


needs_spec = pytest.mark.skipif(not CASES, reason=f"self-test spec not found at {SPEC}")


@needs_spec
@pytest.mark.parametrize("case", DEFAULT, ids=_ids(DEFAULT))
def test_case_agrees_with_the_kernel(case):
    outcome = run_case(case)
    assert outcome.verdict == case.expected, outcome.why
    if case.expected == "FAILURE":
        assert outcome.kind == REPORT_KINDS[case.report]
        assert outcome.at == case.at, f"reported at op {outcome.at} ({case.ops[outcome.at - 1]})"
        assert outcome.finding.detail == case.detail
    assert outcome.agrees


@needs_spec
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_every_configuration_agrees(name):
    """Other kernel configurations build fewer cases; each of those agrees too."""
    config = CONFIGS[name]
    cases = cases_for(CASES, config)
    assert cases and set(c.id for c in cases) <= set(c.id for c in CASES)
    disagreements = [o.why for o in run_cases(cases, config) if not o.agrees]
    assert disagreements == []


@needs_spec
def test_configurations_drop_the_cases_they_do_not_build():
    full = {c.id for c in cases_for(CASES, Config())}
    rt = {c.id for c in cases_for(CASES, Config(preempt_rt=True))}
    raw_off = {c.id for c in cases_for(CASES, Config(raw_lock_nesting=False))}
    assert rt < full and raw_off < full
    assert all(c.cfg in ("!PREEMPT_RT", "QUEUED_RWLOCKS") for c in CASES if c.id in full - rt)
    assert all(c.cfg == "PROVE_RAW_LOCK_NESTING" for c in CASES if c.id in full - raw_off)


@needs_spec
def test_the_read_mode_matters_to_the_chain_cache():
    """A case the chain cache would pass wrongly if its key left out read modes still fails."""
    cached = [c for c in DEFAULT if "chaincache" in c.id]
    assert cached
    for case in cached:
        assert run_case(case).agrees


@needs_spec
def test_the_table_is_the_kernels_layout():
    outcomes = run_cases(DEFAULT)
    text = render_table(outcomes)
    lines = text.splitlines()
    assert lines[-1] == f"{len(DEFAULT)}/{len(DEFAULT)} cases agree"
    assert text.count("  ok  |") == len(DEFAULT) and "FAILED|" not in text
    header = next(line for line in lines if line.strip().startswith("| spin |"))
    columns = [c.strip() for c in header.split("|")[1:]]
    # Every row of the main table puts each case's cell under its own column.
    for outcome in outcomes:
        case = outcome.case
        if case.col not in columns or case.rr != 1 or case.mask == "0x10":
            continue
        row = next(line for line in lines if line.endswith("|") and line[:33].strip() == case.row)
        assert row[33] == ":" and row[:33] == case.row.rjust(33)
        start = 34 + 7 * columns.index(case.col)
        assert row[start:start + 7] == "  ok  |", (case.id, row)


@needs_spec
def test_a_disagreement_is_a_failed_cell(tmp_path):
    """A case whose expectation is flipped prints FAILED, and the count says so."""
    flipped = next(c for c in DEFAULT if c.expected == "SUCCESS")
    text = SPEC.read_text(encoding="utf-8")
    row = text.splitlines()[flipped.line_no - 1]
    broken = tmp_path / "spec.md"
    broken.write_text(text.replace(row, row.replace("\tSUCCESS\t", "\tFAILURE\t", 1)), encoding="utf-8")
    outcomes = run_cases(cases_for(read_cases(broken), Config()))
    table = render_table(outcomes)
    assert table.count("FAILED|") == 1
    assert table.splitlines()[-1] == f"{len(DEFAULT) - 1}/{len(DEFAULT)} cases agree"
    assert re.search(r"BUG: +1 unexpected failures", table)
