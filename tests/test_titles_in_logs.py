"""A report's title is the same alone and in a log of many reports (issue 13).

syzkaller's title rules read on to the end of the log. splatkit's read a report's lines up
to its end (:mod:`splatkit.parse.extent`: the next report of its printk context, or a run
of other text after its last line), so that titling every report of a long log costs what
reading them costs. Here the title and corrupted flag of every report of the shared corpora
and of tests/cases must stay what they are when the report is alone:

- each file three times in a row;
- the syzkaller corpus's logs one after another, in several orders (the logs of one console
  format at a time: a log without timestamps after one with them reads otherwise, as
  syzkaller's context rules say);
- two reports that two tasks printed at the same time, their lines interleaved one by one
  (printk caller ids): the other task's banner must not end a report's lines early.

Correctness only; the cost is measured by benchmarks/run.py.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

import splatkit
from conftest import CORPUS, REPO, WILD, corpus_files, read_log
from splatkit.lines import normalize


def _banner_no(splat) -> int:
    """The input line number of the splat's banner line."""
    return next(line.no for line in splat.lines if splat.banner in line.text)


def _titles(text: str, first_line: int = 1) -> list[tuple[int, str, str, str]]:
    """(banner line, kind, title, corrupted reason) of each report of ``text``, numbered as if
    ``text`` started at line ``first_line``."""
    return [(_banner_no(s) - 1 + first_line, s.kind, s.title, s.corrupted_reason) for s in splatkit.parse(text)]


def assert_same_titles_in_a_log(texts: list[str]) -> None:
    """Each text's reports keep their titles when the texts are joined into one log."""
    texts = [text.rstrip("\n") for text in texts]
    expected, first = [], 1
    for text in texts:
        expected += _titles(text, first)
        first += text.count("\n") + 1
    got = _titles("\n".join(texts))
    assert [t[2:] for t in got if t[:2] not in {e[:2] for e in expected}] == []  # (no report read otherwise)
    assert got == expected


def _syzkaller_logs() -> dict[str, str]:
    return {name: read_log(CORPUS / "report" / name) for name in corpus_files()}


def _console_format(text: str) -> str:
    """How the first banner line of a log is printed: with a caller id, a timestamp, or bare."""
    splats = splatkit.parse(text)
    if not splats:
        return "none"
    lines = normalize(text)
    banner = next(line for line in lines if splats[0].banner in line.text)
    return "caller" if banner.caller else "timestamp" if "timestamp" in banner.wrappers else "bare"


# -- each file three times ---------------------------------------------------------------------

def test_corpus_log_three_times(corpus_file, corpus_dir):
    assert_same_titles_in_a_log([read_log(corpus_dir / "report" / corpus_file)] * 3)


@pytest.mark.parametrize("name", sorted(p.name for p in (WILD / "splats").glob("*.txt")) or
                         [pytest.param(None, marks=pytest.mark.skip(reason=f"wild corpus not found at {WILD}"))])
def test_wild_paste_three_times(name):
    assert_same_titles_in_a_log([(WILD / "splats" / name).read_text(encoding="utf-8", errors="replace")] * 3)


@pytest.mark.parametrize("path", sorted((REPO / "tests" / "cases").glob("*.splat")), ids=lambda p: p.name)
def test_case_three_times(path):
    assert_same_titles_in_a_log([path.read_text(encoding="utf-8").partition("\n\n")[2]] * 3)


def test_seed_a_thousand_times(seed_text):
    titles = _titles("\n".join([seed_text.rstrip("\n")] * 1000))
    assert len(titles) == 1000
    assert {t[2:] for t in titles} == {("possible deadlock in set_nx_huge_pages", "")}


# -- the corpus's logs one after another -----------------------------------------------------------

@pytest.mark.parametrize("console", ["caller", "timestamp", "bare"])
@pytest.mark.parametrize("order", range(3))
def test_corpus_logs_one_after_another(corpus_dir, console, order):
    logs = [text for text in _syzkaller_logs().values() if _console_format(text) == console]
    assert len(logs) >= 5, console
    random.Random(order).shuffle(logs)
    assert_same_titles_in_a_log(logs)


# -- two tasks' reports interleaved ---------------------------------------------------------------

def _as_task(text: str, task: str) -> list[str]:
    """The lines of a log with caller ids, every one given to ``task``."""
    return [re.sub(r"^(\[ *[0-9]+\.[0-9]+\])\[ *[CT][0-9]+\]", rf"\1[{task:>6}]", line)
            for line in text.rstrip("\n").split("\n")]


def _interleaved(first: list[str], second: list[str], rng: random.Random) -> list[str]:
    """The lines of both, each list in its order, mixed at random."""
    merged, i, j = [], 0, 0
    while i < len(first) or j < len(second):
        if j == len(second) or (i < len(first) and rng.random() < 0.5):
            merged.append(first[i])
            i += 1
        else:
            merged.append(second[j])
            j += 1
    return merged


def _caller_logs() -> list[str]:
    return [text for text in _syzkaller_logs().values() if _console_format(text) == "caller"]


@pytest.mark.parametrize("pair", range(12))
def test_two_tasks_reports_interleaved(corpus_dir, pair):
    rng = random.Random(pair)
    first, second = rng.sample(_caller_logs(), 2)
    a, b = _as_task(first, "T101"), _as_task(second, "T202")
    alone = {"T101": [t[1:] for t in _titles("\n".join(a))], "T202": [t[1:] for t in _titles("\n".join(b))]}
    lines = _interleaved(a, b, rng)
    got = {"T101": [], "T202": []}
    for splat in splatkit.parse("\n".join(lines)):
        task = re.search(r"\[ *(T[0-9]+)\]", lines[_banner_no(splat) - 1]).group(1)
        got[task].append((splat.kind, splat.title, splat.corrupted_reason))
    assert got == alone


def test_the_seed_interleaved_with_itself(seed_text):
    """The seed as two tasks print it at once, line by line: neither banner ends the other report."""
    stamped = [f"[  100.{i:06d}][  T1] {line}" for i, line in enumerate(
        re.sub(r"^\[ *[0-9]+\.[0-9]+\] ?", "", line) for line in seed_text.rstrip("\n").split("\n"))]
    other = [line.replace("][  T1]", "][  T2]") for line in stamped]
    lines = [line for pair in zip(stamped, other) for line in pair]
    titles = _titles("\n".join(lines))
    assert len(titles) == 2
    assert {t[2:] for t in titles} == {("possible deadlock in set_nx_huge_pages", "")}


# -- each line is read about once ------------------------------------------------------------------

def test_reports_of_many_tasks_are_read_about_once(corpus_dir, monkeypatch):
    """A log of 200 reports, each another task's: the reader and the title read each line a
    few times, not once per later report (they read on to the next report of their printk
    context: here the log's end)."""
    from splatkit.parse import reader
    from splatkit.parse.reader import ReportReader
    from splatkit.titles import block

    text = read_log(corpus_dir / "report" / "466").rstrip("\n")  # every line is task T3699's
    log = "\n".join(re.sub(r"\[ *T3699\]", f"[T{9000 + i}]", text) for i in range(200))
    read, looked, blocks = [0], [0], [0]
    read_line, same_context, views = ReportReader._read_line, reader.same_context, block._Views

    def counting_read_line(self, line):
        read[0] += 1
        return read_line(self, line)

    def counting_same_context(caller, other):
        looked[0] += 1
        return same_context(caller, other)

    def counting_views(window, *args):
        blocks[0] += len(window)
        return views(window, *args)

    monkeypatch.setattr(ReportReader, "_read_line", counting_read_line)
    monkeypatch.setattr(reader, "same_context", counting_same_context)
    monkeypatch.setattr(block, "_Views", counting_views)
    titles = _titles(log)
    assert len(titles) == 200 and {t[2:] for t in titles} == {t[2:] for t in _titles(text)}
    n_lines = log.count("\n") + 1
    # (lines read by a section's rules, lines whose context the reader looked at, lines of title blocks)
    assert max(read[0], looked[0], blocks[0]) <= 2 * n_lines, (read[0], looked[0], blocks[0], n_lines)
