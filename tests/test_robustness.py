"""Bad input: parsing never raises, never hangs, and keeps its invariants on whatever it gets.

Empty and binary input, text with no report, a 10 MB line inside and outside a
report, the seed cut at every line, and property-based mutations of the seed and
of corpus reports (cut, duplicated lines, a shuffled window, wrappers, quoting,
random bytes). Every example must parse within the hypothesis deadline; the
examples are derandomised so that a failure reproduces.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import splatkit
from conftest import CORPUS, corpus_files, read_log
from splatkit.lines import normalize
from test_lines import WRAPS, assert_rebuilds, comparable

_SETTINGS = settings(max_examples=40, deadline=2000, derandomize=True, database=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def check_invariants(text: str) -> list[splatkit.Splat]:
    """Parse ``text`` and check what holds for every input (see the module docstring)."""
    splats = splatkit.parse(text)
    lines = normalize(text)
    n_lines = max((line.end_no for line in lines), default=0)
    split = any(line.piece for line in lines)
    pieced = {line.no for line in lines if line.piece}
    previous_end = 0
    for splat in splats:
        first, last = splat.span.first_line, splat.span.last_line
        # Spans never overlap, but for an input line that held the end of one report and the
        # start of the next (pieces: lines a tool ran together, a base64 body).
        assert previous_end < first or (previous_end == first and first in pieced)
        assert first <= last <= n_lines
        previous_end = last
        seen = [no for no, _ in splat.line_fields] + [u.line for u in splat.unrecognised] + list(splat.interleaved)
        expected = list(range(first, last + 1))  # lines joined onto another (hard wrap) included
        if split:  # the pieces of one input line share its number
            assert set(seen) == set(expected)
        else:
            assert sorted(seen) == expected, "a span line is lost or counted twice"
    return splats


def assert_reparses(text: str, splats: list[splatkit.Splat]) -> None:
    """A splat's own span, parsed alone, gives the same splat (titles aside: they may read past it)."""
    lines = text.split("\n")
    for splat, want in zip(splats, comparable(text, titles=False)):
        span = "\n".join(lines[splat.span.first_line - 1:splat.span.last_line])
        again = comparable(span, titles=False)
        assert again and again[0] == want


# -- fixed cases ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["", "\n", "\n\n\n", " ", "\r\n", "no report here\n", "=" * 80,
                                  "WARNING:", "[ 1.0]", "> > >", "=\n=\n=", "#012#012", "\x00\x01\x02"])
def test_degenerate_input_gives_no_report(text):
    assert check_invariants(text) == []


@given(st.binary(max_size=4096))
@_SETTINGS
def test_binary_data(data):
    check_invariants(data.decode("utf-8", errors="replace"))


@given(st.text(max_size=2000))
@_SETTINGS
def test_any_text(text):
    check_invariants(text)


@pytest.mark.parametrize("where", ["outside", "inside", "banner"])
def test_a_10_mb_line(seed_text, where):
    huge = "x(" * (5 << 20)
    lines = seed_text.split("\n")
    if where == "outside":
        text = huge + "\n" + seed_text
    elif where == "inside":
        text = "\n".join(lines[:20] + [lines[20] + huge] + lines[20:])
    else:
        text = "\n".join(lines[:1] + [lines[1] + huge] + lines[2:])
    start = time.perf_counter()
    splats = check_invariants(text)
    assert time.perf_counter() - start < 10
    assert len(splats) == (0 if where == "banner" else 1)
    assert_rebuilds(text)


def test_seed_cut_at_every_line(seed_text):
    lines = seed_text.rstrip("\n").split("\n")
    backtrace = next(i for i, line in enumerate(lines) if line.endswith("stack backtrace:"))
    banner = next(i for i, line in enumerate(lines) if "WARNING:" in line)
    for cut in range(len(lines) + 1):
        splats = check_invariants("\n".join(lines[:cut]))
        assert len(splats) == (cut > banner)
        if splats and cut <= backtrace + 1:
            assert splats[0].truncated, f"cut after line {cut}"


# -- mutations ------------------------------------------------------------------------------------

def _sources() -> list[str]:
    from splatkit.samples import sample_text

    texts = [sample_text()]
    files = corpus_files()
    # A spread of the corpus (every 8th file): the whole corpus is read by test_lines.
    texts += [read_log(CORPUS / "report" / name) for name in files[::8]]
    return texts


_SOURCES = _sources()


@st.composite
def mutated(draw) -> str:
    lines = draw(st.sampled_from(_SOURCES)).split("\n")
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["cut", "duplicate", "shuffle", "wrap", "quote", "bytes", "drop"]))
        n = len(lines)
        i = draw(st.integers(0, max(n - 1, 0)))
        if op == "cut":
            lines = lines[:i]
        elif op == "duplicate" and lines:
            k = draw(st.integers(1, 5))
            lines = lines[:i] + lines[i:i + k] * 2 + lines[i + k:]
        elif op == "shuffle" and lines:
            window = lines[i:i + draw(st.integers(2, 8))]
            lines = lines[:i] + draw(st.permutations(window)) + lines[i + len(window):]
        elif op == "wrap":
            lines = WRAPS[draw(st.sampled_from(sorted(WRAPS)))][0]("\n".join(lines)).split("\n")
        elif op == "quote":
            depth = draw(st.integers(1, 3))
            lines = ["> " * depth + line for line in lines]
        elif op == "bytes" and lines:
            junk = draw(st.binary(min_size=1, max_size=64)).decode("utf-8", errors="replace")
            line = lines[i]
            at = draw(st.integers(0, len(line)))
            lines[i] = line[:at] + junk + line[at:]
        elif op == "drop" and lines:
            lines = lines[:i] + lines[i + draw(st.integers(1, 10)):]
    return "\n".join(lines)


@given(mutated())
@settings(_SETTINGS, max_examples=400)
def test_mutated_reports(text):
    splats = check_invariants(text)
    assert_rebuilds(text)
    if not any(line.piece or line.joined for line in normalize(text)):
        assert_reparses(text, splats)
