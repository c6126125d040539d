"""The quick paths of splatkit/titles/ that rely on what splatkit.lines.normalize read.

report_block reads a console log's lines from their ``Line.text`` and ``Line.caller``
instead of matching syzkaller's console prefix on every raw line, when every line of
the window has syzkaller's prefix shape and no wrapper but ``timestamp``
(``_SYZKALLER_LINES``). That is only right while normalize strips exactly syzkaller's
prefix from such a line and keeps its caller id: the tests here compare each such
line's view with syzkaller's (``_console_view``), on generated console prefixes of
many shapes and on every file of the shared corpus, and compare report_block with
upstream's line-by-line reading on windows of each shape.
"""

from __future__ import annotations

import random
import re

import pytest

from conftest import corpus_files, read_log
from splatkit.grammar.tokens import MAX_LINE
from splatkit.lines import normalize
from splatkit.titles import CONSOLE, _SYZKALLER_LINES, _console_view, _Views, report_block
from splatkit.titles import console
from test_titles_paths import plain_report_block

#: Console prefixes: syzkaller's shapes, and shapes splatkit also strips as a timestamp that
#: syzkaller's regex reads otherwise (tabs, other digits, dmesg -d, no space after it...).
PREFIXES = [
    "[  {i}.000000] ", "[{i}.000000] ", "[  {i}.000000][  T1] ", "[  {i}.000000][ C0] ", "[  {i}.000000][T12] ",
    "[  {i}.000000][  T1]  ", "[  {i}.000000]  ", "[  {i}.000000]\t", "[\t{i}.000000] ", "[  {i}.000000]",
    "[  \u0663.000000] ", "[  {i}.\u0660\u0660] ", "[  {i}.000000 <    0.000100>] ", "[<    0.000100>] ",
    "[  {i}.000000][  T1]", "[  {i}.000000] [  T1] ", "[  {i}.000000][  T1][  T2] ", "[  {i}.000000][  T1:C2] ",
    "[  {i}.000000][\tT1] ", "[  {i}.000000][  X1] ", "[Tue May  7 12:37:01 2024] ", "[  +0.000123] ",
    "2024-05-07T12:37:01,123456+02:00 ", "<4>[  {i}.000000] ", "** 3 printk messages dropped ** [  {i}.000000] ",
    "[  {i}.000000] <4>", "[  {i}.000000] [  {i}.000001] ", "[ {i}.0] host kernel: ", "> [  {i}.000000] ",
    "May  7 12:37:01 host kernel: [  {i}.000000] ", "[  {i}.000000][  T1] [  T2] ", "",
]

#: Texts after the prefix, besides the seed's lines.
BODIES = [
    "", " ", "x login: [   1.000000] hi", "a\rb", "text^M", "[  1.000000] glued", "[  T3] caller glued",
    "  lock_acquire+0x1a2/0x4b0", " ? foo+0x1/0x2", " bar+0x10/0x20 (unreliable)", "<4>level", "\u00e9t\u00e9",
    "x" * (MAX_LINE + 10), "WARNING: possible circular locking dependency detected",
]


def _fast_line(line) -> bool:
    """Whether report_block may read ``line``'s view from the Line (its part of _Views' test)."""
    return (line.wrappers == ("timestamp",) and not line.joined and not line.piece and len(line.raw) <= MAX_LINE
            and " login: " not in line.raw and _SYZKALLER_LINES.fullmatch(line.raw) is not None)


def _check_views(text: str) -> int:
    """Compare the Line's view with syzkaller's on each line that may take the quick path."""
    checked = 0
    for line in normalize(text):
        if _fast_line(line):
            context, body, _ = _console_view(line)
            assert (line.caller or CONSOLE, line.text) == (context, body), line
            checked += 1
    return checked


def _generated(seed_text: str) -> list[str]:
    """The seed under each prefix (and with CRLF line ends), then with each of BODIES in it."""
    seed = [re.sub(r"^\[ *\d+\.\d+\](?:\[ *[TC]\d+\])? ?", "", line) for line in seed_text.rstrip("\n").split("\n")]
    logs = []
    for prefix in PREFIXES:
        for bodies in [seed, *([*seed[:20], body, *seed[20:]] for body in BODIES)]:
            logs.append("\n".join(prefix.format(i=i) + body for i, body in enumerate(bodies)))
        logs.append("\r\n".join(prefix.format(i=i) + body for i, body in enumerate(seed)))
    # Several contexts in one log: each line's caller id (or none) decides whether it is kept.
    rnd = random.Random(5)
    for _ in range(12):
        logs.append("\n".join(rnd.choice(MIXED).format(i=i) + body for i, body in enumerate(seed)))
    return logs


#: Syzkaller's prefixes with and without caller ids, mixed line by line in some logs.
MIXED = ["[  {i}.000000][  T1] ", "[  {i}.000000][  T1] ", "[  {i}.000000][  T2] ", "[  {i}.000000] ",
         "[  {i}.000000][    C0] ", "[  {i}.000000][C1] "]


def test_line_views_are_syzkallers_on_generated_prefixes(seed_text):
    assert sum(_check_views(text) for text in _generated(seed_text)) > 200


def test_line_views_are_syzkallers_on_corpus(corpus_file, corpus_dir):
    _check_views(read_log(corpus_dir / "report" / corpus_file))


def _blocks(texts: list[str]) -> list:
    blocks = []
    for text in texts:
        lines = normalize(text)
        blocks += [report_block(lines, start) for start in range(0, len(lines), 7)]
    return blocks


def _window_views(lines) -> _Views:
    raws = [line.raw for line in lines]
    return _Views(lines, "\n".join(raws), {w for line in lines for w in line.wrappers},
                  {line.wrappers for line in lines}, False, max(map(len, raws)) > MAX_LINE)


def test_quick_views_on_generated_windows(seed_text, monkeypatch):
    texts = _generated(seed_text)
    # The quick path is taken on syzkaller's shapes...
    assert sum(_window_views(normalize(text)).lines is not None for text in texts) >= 5
    quick = _blocks(texts)
    # ... and gives the blocks that reading every line's prefix gives.
    monkeypatch.setattr(console, "_SYZKALLER_LINES", re.compile("(?!)"))
    assert sum(_window_views(normalize(text)).lines is not None for text in texts) == 0
    assert quick == _blocks(texts)


def test_quick_views_read_as_upstream_on_syzkaller_shapes(seed_text):
    for text in _generated(seed_text):
        lines = normalize(text)
        if _window_views(lines).lines is not None:
            for start in range(0, len(lines), 7):
                assert report_block(lines, start) == plain_report_block(lines, start), (text[:60], start)


def test_quick_views_are_taken_on_the_corpus(corpus_dir):
    files = corpus_files()
    if not files:
        pytest.skip("no corpus")
    quick = 0
    for name in files:
        quick += _window_views(normalize(read_log(corpus_dir / "report" / name))).lines is not None
    assert quick >= len(files) // 2


# -- the texts of stack parts ----------------------------------------------------------------------

def test_stack_part_texts_are_rule_parts_held_by_every_match(corpus_dir):
    """Each STACK_PART_TEXTS entry is a stack part of some title rule, and every line its regex
    matches (generated ones and every corpus line) holds one of its texts: the walks that only
    look at such lines (_Lines._first_holding) miss none."""
    from splatkit.grammar.kinds import KINDS, STACK, STACK_PART_TEXTS
    from test_titles_paths import WALK_LINES

    parts = {part.pattern: part for kind in KINDS for rule in kind.title_rules
             for part in (*rule.stack, *rule.stack2) if part != STACK}
    assert set(STACK_PART_TEXTS) <= set(parts)
    lines = WALK_LINES + [
        "RIP: 0010:foo+0x1/0x2", "NIP [c0000000] bar+0x1/0x2", "pc : baz+0x1/0x2", "PC is at qux+0x1/0x2",
        "IP: 0x1234", "RIP: 0033:0x457ec9", "pc : [<ffff>] [<  (null)>]   (null)", "LR is at x+0x1/0x2",
        "Call trace:", "Call Trace:", " backtrace:", "--- interrupt: 900 at handler+0x1/0x2", "trace:",
    ] + [line.text for name in corpus_files() for line in normalize(read_log(corpus_dir / "report" / name))]
    matched = 0
    for text, texts in STACK_PART_TEXTS.items():
        for line in lines:
            m = parts[text].search(line)
            if m is not None:
                matched += 1
                assert any(held in line for held in texts), (text, line)
    assert matched > 100
