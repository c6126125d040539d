"""``splatkit explain`` and ``splatkit trim`` on the seed, corpus reports and files of several reports."""

from __future__ import annotations

import pytest

from splatkit.render.explain import explain


@pytest.fixture
def two_reports(tmp_path, seed_text):
    """The seed followed by the golden recursive case: a file holding two reports."""
    from conftest import REPO

    recursive = (REPO / "tests" / "cases" / "recursive-6.x-double-mutex.splat").read_text().split("\n\n", 1)[1]
    path = tmp_path / "two.txt"
    path.write_text(seed_text + "\n" + recursive)
    return path


def test_text_is_the_librarys_and_wraps_at_the_width(cli, seed_path, seed_splat):
    status, out, _err = cli("explain", seed_path)
    assert status == 0 and out == explain(seed_splat)
    status, out, _err = cli("explain", "--width", "50", "--no-trimmed", seed_path)
    assert status == 0 and max(len(line) for line in out.splitlines()[1:]) <= 50  # (after the heading)
    assert "The splat, trimmed:" not in out


@pytest.mark.parametrize("fmt", ["markdown", "html", "html-fragment"])
def test_every_format(cli, seed_path, seed_splat, fmt):
    status, out, _err = cli("explain", "--format", fmt, seed_path)
    assert status == 0 and out == explain(seed_splat, fmt)


def test_several_reports_first_by_default_and_say_so(cli, two_reports):
    status, out, err = cli("explain", two_reports)
    assert status == 0 and "possible deadlock in set_nx_huge_pages" in out and "demo_ioctl" not in out
    assert err.strip().endswith("2 reports; explaining the first (--index N for the Nth, --all for every one)")
    status, out, err = cli("explain", "--index", "2", two_reports)
    assert status == 0 and out.startswith("lockdep: possible deadlock in demo_ioctl") and err == ""
    status, out, _err = cli("explain", "--all", "--format", "markdown", two_reports)
    assert status == 0 and "## Report 1 of 2, lines 1-" in out and "## Report 2 of 2, lines " in out


def test_a_page_for_several_reports_is_a_one_line_error(cli, two_reports):
    status, out, err = cli("explain", "--all", "--format", "html", two_reports)
    assert status == 2 and out == ""
    (line,) = err.splitlines()
    assert "--format html writes the page of one report" in line and "--index N" in line


def test_width_below_forty_is_a_usage_error(cli, seed_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli("explain", "--width", "20", seed_path)
    assert exit_.value.code == 2


def test_trim_levels(cli, seed_path):
    status, out, _err = cli("trim", seed_path)
    assert status == 0 and "[48419." not in out and "ffffb5fdd4e430a8" not in out
    assert " mutex_lock_nested+0x1f/0x30" in out.splitlines()
    status, out, _err = cli("trim", "--level", "condensed", seed_path)
    assert "-> #1 &kvm->srcu: kvm_swap_active_memslots [kvm] (SRCU wait)" in out.splitlines()


def test_a_missing_vmlinux_is_one_warning_and_the_rest_works(cli, seed_path, seed_splat, tmp_path):
    status, out, err = cli("explain", "--vmlinux", tmp_path / "vmlinux", seed_path)
    assert status == 0 and out == explain(seed_splat)
    (line,) = err.splitlines()
    assert line.startswith(f"splatkit: {seed_path}: warning: frames left as printed: ") and "vmlinux" in line


def test_report_picks_a_report(cli, two_reports, tmp_path):
    page = tmp_path / "out.html"
    status, _out, err = cli("report", "--index", "2", "-o", page, two_reports)
    assert status == 0 and "possible deadlock in demo_ioctl" in page.read_text()
