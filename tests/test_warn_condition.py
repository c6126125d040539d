"""A lockdep WARN's failed check, ``DEBUG_LOCKS_WARN_ON(expr)``, belongs to its report in both
orders the kernel printed it: before the trap's ``cut here`` line (4.12 to 4.18, the message
printed before the trap) and after it (later kernels, ``__warn_printk``). Tested on variants of
every lockdep_warning report of the syzkaller corpus, parsed whole and scanned in small chunks."""

from __future__ import annotations

import io
import re

import pytest

import splatkit
from conftest import CORPUS, assert_lossless, corpus_files, read_log
from splatkit.scan import scan

CUT_HERE = re.compile(r"-+\[ cut here \]-+")
CONDITION = re.compile(r"DEBUG_LOCKS_WARN_ON\((?P<expr>.*)\)")
WARN_BANNER = re.compile(r"WARNING: .*lockdep\.c")


def _warn_reports() -> list[tuple[str, list[str], int]]:
    """(file, log lines, index of the banner) of every corpus log whose first report is a
    lockdep_warning with a ``cut here`` line directly above its banner."""
    found = []
    for name in corpus_files():
        lines = read_log(CORPUS / "report" / name).split("\n")
        splats = splatkit.parse("\n".join(lines))
        if not splats or splats[0].kind != "lockdep_warning":
            continue
        banner = next(i for i, line in enumerate(lines) if WARN_BANNER.search(line))
        if banner and CUT_HERE.search(lines[banner - 1]):
            found.append((name, lines, banner))
    return found


def _variant(lines: list[str], banner: int, order: str, expr: str) -> tuple[list[str], int]:
    """The log with its WARN's lines above the banner rewritten as ``order`` (``"condition
    first"``, ``"cut first"`` or ``"cut only"``), each with the cut line's own prefix; and the
    first line number (1-based) of the report that should result."""
    cut = lines[banner - 1]
    condition = CUT_HERE.sub(lambda _m: f"DEBUG_LOCKS_WARN_ON({expr})", cut)
    above = banner - 1
    while above > 0 and (CONDITION.search(lines[above - 1]) or CUT_HERE.search(lines[above - 1])):
        above -= 1  # the lines above the banner that belong to the WARN already
    head = {"condition first": [condition, cut], "cut first": [cut, condition], "cut only": [cut]}[order]
    return lines[:above] + head + lines[banner:], above + 1


@pytest.mark.parametrize("order", ["condition first", "cut first", "cut only"])
def test_the_condition_above_a_warn_is_read_in_either_order(order):
    reports = _warn_reports()
    if not reports:
        pytest.skip(f"no lockdep_warning with a cut-here line in the corpus at {CORPUS}")
    for name, lines, banner in reports:
        expr = "hlock->class_idx > MAX_LOCKDEP_KEYS" if "class_idx" not in "\n".join(lines) else "depth <= 0"
        text_lines, first = _variant(lines, banner, order, expr)
        text = "\n".join(text_lines)
        whole = splatkit.parse(text)[0]
        # Scanned in small chunks: the region the scanner reads must hold both lines above.
        scanned = next(iter(scan(io.BytesIO(text.encode()), chunk_size=256)))
        # Without a condition above, the one kernels before ~4.10 printed after the banner, if any.
        below = next((m.group("expr") for line in lines[banner + 1:banner + 3] for m in [CONDITION.search(line)] if m),
                     None)
        for splat in (whole, scanned):
            assert splat.kind == "lockdep_warning", (name, order)
            assert splat.condition == (below if order == "cut only" else expr), (name, order)
            assert splat.span.first_line == first, (name, order)
            assert_lossless(splat)
        # A report before it in the same log ends above the WARN's lines.
        assert whole.title == splatkit.parse("\n".join(lines))[0].title, (name, order)
