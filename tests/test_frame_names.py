"""A frame whose function name is mangled or hostile never ends its stack unsaid.

Each syzkaller and wild corpus report with a stack, one function name in the middle of its
longest stack rewritten: a name the grammar reads (``<``, ``>``, ``&``, quotes, a Rust path,
non-ASCII) is read in place; one it cannot read (a blank and parentheses in the name) is kept
in place as text, with a note naming its line. Either way the stack keeps its length, the
frames after it are read, the rest of the report reads the same, and HTML views escape it.
"""

from __future__ import annotations

import html
import re

import pytest

import splatkit
from conftest import CORPUS, WILD, assert_lossless, corpus_files, read_log
from splatkit.render.html import report_html

#: Names the grammar reads, as a mangled, demangled or hostile symbol may print.
READ = ["register_lock<class", "x>y", "a&b", "q\"u'ote", "<impl Foo for Bar>::baz",
        "<kernel::sync::arc::Arc<T> as core::ops::drop::Drop>::drop", "naïve_función_ß", "x\"><svg/onload=alert`1`>"]
#: Names it cannot read: the line is kept as text, and said.
UNREAD = ["bad name(x)", "(x", "\"><img src=x onerror=alert(1)"]


def _texts() -> list:
    files = [pytest.param(("syzkaller", name), id=f"syz{name}") for name in corpus_files()]
    if (WILD / "splats").is_dir():
        files += [pytest.param(("wild", p.name), id=f"wild{p.name[:3]}") for p in sorted((WILD / "splats").iterdir())]
    return files or [pytest.param(None, marks=pytest.mark.skip(reason="corpus not found"))]


def _log(source: tuple[str, str]) -> str:
    where, name = source
    if where == "syzkaller":
        return read_log(CORPUS / "report" / name)
    return (WILD / "splats" / name).read_text(encoding="utf-8", errors="replace").replace("\r", "")


def _stacks(splat) -> list[tuple]:
    return [splat.backtrace, *splat.extra_backtraces, *(e.frames for e in splat.chain),
            *(t.frames for t in splat.traces)]


def _target(splats):
    """(splat index, stack index, frame index) of a frame in the middle of the longest stack,
    with an offset and a name the title does not blame; None when no report has one."""
    best = None
    for i, splat in enumerate(splats):
        for k, stack in enumerate(_stacks(splat)):
            middle = [j for j in range(1, len(stack) - 1)
                      if stack[j].function and stack[j].offset is not None and stack[j].line_no
                      and stack[j].function not in (splat.title or "")
                      and f"{stack[j].function}+0x" in stack[j].text]
            if middle and (best is None or len(stack) > best[0]):
                best = (len(stack), (i, k, middle[len(middle) // 2]))
    return best and best[1]


def _summary(splat) -> dict:
    return {"kind": splat.kind, "title": splat.title, "cycle": splat.cycle, "task": str(splat.task),
            "held": [h.lock.name for h in splat.held_locks], "chain": [e.lock.name for e in splat.chain]}


def _mangle(log: str, line_no: int, old: str, new: str) -> str:
    lines = log.split("\n")
    lines[line_no - 1] = lines[line_no - 1].replace(f"{old}+0x", f"{new}+0x", 1)
    return "\n".join(lines)


@pytest.fixture(scope="module")
def parsed() -> dict:
    return {}


@pytest.mark.parametrize("source", _texts())
def test_a_mangled_name_keeps_its_stack(source, parsed):
    log = _log(source)
    splats = splatkit.parse(log)
    target = _target(splats)
    if target is None:
        pytest.skip("no stack of three frames or more")
    i, k, j = target
    frame = _stacks(splats[i])[k][j]
    for name in READ + UNREAD:
        if "cut-at-width" in splats[i].wrappers and len(name) > len(frame.function):
            continue  # (a line longer than the width the paste's lines were cut at says they were not cut)
        text = _mangle(log, frame.line_no, frame.function, name)
        assert text != log
        mangled = splatkit.parse(text)
        assert len(mangled) == len(splats), name
        got, want = _stacks(mangled[i])[k], _stacks(splats[i])[k]
        assert len(got) == len(want), name
        assert [f.function for f in got[j + 1:]] == [f.function for f in want[j + 1:]], name  # read on after it
        assert [f.function for f in got[:j]] == [f.function for f in want[:j]], name
        assert [_summary(s) for s in mangled] == [_summary(s) for s in splats], name
        assert_lossless(mangled[i])
        note = f"line {frame.line_no}: a frame the parser could not read: kept as text"
        if name in READ:
            assert (got[j].function, got[j].offset) == (name, frame.offset)
            assert mangled[i].notes == splats[i].notes, name
        else:
            assert got[j].function is None and name in got[j].text and got[j].line_no == frame.line_no
            assert [n for n in mangled[i].notes if n not in splats[i].notes] == [note], name
        if name in (READ[-1], UNREAD[-1]):
            page = report_html(mangled[i])
            assert name not in page and "<svg" not in page and "<img" not in page
            assert html.escape(name) in page
            if name in UNREAD:
                assert html.escape(note) in page


@pytest.mark.parametrize("text", [
    "  <impl Foo for Bar>::baz+0x1/0x2 [rust_mod]", "  ? foo.isra.0.cold+0x1/0x2", " <T as Tr>::f+0x1c/0x40",
    " __se_sys_ioctl+0x1/0x2", " $x.12+0x0/0x4", " a<b+0x1/0x2 [m 0123abcd]",
])
def test_names_real_tools_print(text):
    frame = splatkit.grammar.frames.parse_frame(text)
    assert frame is not None and frame.offset is not None
    assert frame.function == re.split(r"\+0x", text.strip().removeprefix("? "))[0]


@pytest.mark.parametrize("text", [" <IRQ>", " </IRQ>", " <TASK>", "r4:00000001 r3:00000000", "Tainted: foo.c:12",
                                  "RIP: 0033:0x434e69", "Call Trace:"])
def test_not_frames(text):
    assert splatkit.grammar.frames.parse_frame(text) is None
