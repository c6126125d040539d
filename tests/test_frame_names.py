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
import splatkit.tables
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
    of a form :func:`_after` knows, whose name the title does not blame; None when no report has one."""
    best = None
    for i, splat in enumerate(splats):
        for k, stack in enumerate(_stacks(splat)):
            middle = [j for j in range(1, len(stack) - 1)
                      if stack[j].function and stack[j].line_no and stack[j].function not in (splat.title or "")
                      and _after(stack[j])]
            if middle and (best is None or len(stack) > best[0]):
                best = (len(stack), (i, k, middle[len(middle) // 2]))
    return best and best[1]


def _after(frame) -> str | None:
    """What follows the function name in ``frame``'s line: ``+0x`` (``%pS``), or `` (`` (a
    location decode_stacktrace.sh wrote); None for other forms (ARM's, s390's)."""
    return next((after for after in ("+0x", " (") if f" {frame.function}{after}" in f" {frame.text}"), None)


def _summary(splat) -> dict:
    return {"kind": splat.kind, "title": splat.title, "cycle": splat.cycle, "task": str(splat.task),
            "held": [h.lock.name for h in splat.held_locks], "chain": [e.lock.name for e in splat.chain]}


def _mangle(log: str, frame, new: str) -> str:
    lines, after = log.split("\n"), _after(frame)
    lines[frame.line_no - 1] = lines[frame.line_no - 1].replace(f"{frame.function}{after}", f"{new}{after}", 1)
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
        pytest.skip("no stack of three frames or more with a frame in the %pS or decoded form")
    i, k, j = target
    frame = _stacks(splats[i])[k][j]
    for name in READ + UNREAD:
        if "cut-at-width" in splats[i].wrappers and len(name) > len(frame.function):
            continue  # (a line longer than the width the paste's lines were cut at says they were not cut)
        text = _mangle(log, frame, name)
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
            assert (got[j].function, got[j].offset, got[j].source) == (name, frame.offset, frame.source)
            assert mangled[i].notes == splats[i].notes, name
        else:
            assert got[j].function is None and name in got[j].text and got[j].line_no == frame.line_no
            assert [n for n in mangled[i].notes if n not in splats[i].notes] == [note], name
            row = splatkit.tables.stack_table(got, internals=True).iloc[j]
            assert (row["function"], row["note"], row["line"]) == (got[j].text, "not read: kept as text", frame.line_no)
        if name in (READ[-1], UNREAD[-1]):
            page = report_html(mangled[i])
            assert name not in page and "<svg" not in page and "<img" not in page
            assert html.escape(name) in page
            if name in UNREAD:
                assert html.escape(note) in page
                # (the text and Markdown explanations may wrap it: compared without line breaks)
                for view in (splatkit.explain_text(mangled[i], width=10_000), splatkit.explain_markdown(mangled[i])):
                    assert note in " ".join(view.split()), view


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


@pytest.mark.parametrize("where", [0, -1])
def test_first_and_last_frames_of_the_seed_backtrace(seed_text, seed_splat, where):
    """The frame right after ``Call Trace:``/``<TASK>``, and the last before ``</TASK>``, have one
    frame line beside them only: a mark of a frame (here ``+0xoff/0xsize``) is enough."""
    frame = seed_splat.backtrace[where]
    (splat,) = splatkit.parse(_mangle(seed_text, frame, "bad name(x)"))
    got = splat.backtrace
    assert len(got) == len(seed_splat.backtrace)
    assert got[where].function is None and got[where].line_no == frame.line_no
    assert [f.function for f in got if f is not got[where]] == [f.function for f in seed_splat.backtrace
                                                                  if f is not frame]
    assert splat.notes == (f"line {frame.line_no}: a frame the parser could not read: kept as text",)
    assert_lossless(splat)


def test_a_message_with_a_frame_in_it_still_ends_the_backtrace(seed_text, seed_splat):
    """``WARNING: ... at f+0x1/0x2`` right after a backtrace's last frame is the next message, not a
    frame of it: the report ends at that frame, as at any line it does not read there."""
    last = seed_splat.backtrace[-1]
    lines = seed_text.split("\n")
    prefix = lines[last.line_no - 1][:len(lines[last.line_no - 1]) - len(last.text)]
    lines.insert(last.line_no, f"{prefix}WARNING: CPU: 1 PID: 2 at kernel/x.c:1 f+0x1/0x2")
    (splat,) = splatkit.parse("\n".join(lines))
    assert [f.function for f in splat.backtrace] == [f.function for f in seed_splat.backtrace]
    assert splat.notes == seed_splat.notes and splat.span.last_line == last.line_no
