"""The frame grammar on every frame of the corpus, printed the other ways kernels and tools print
frames: each corpus report, its frames rewritten, reads the same functions in the same places."""

from __future__ import annotations

import re

import pytest

import splatkit
from conftest import read_log
from splatkit.grammar.frames import parse_frame

#: A frame line of the common form as the corpus prints it: a console prefix, indentation, an
#: optional ``[<addr>]`` and ``? `` (in either order), ``func+0xoff/0xsize``, an optional ``[module]``.
_FRAME = re.compile(r"^(?P<lead>(?:\[\s*\d+\.\d+\](?:\[\s*[TC]\d+\])?)?\s*)(?P<unrel>\?\s+)?"
                    r"(?:\[<(?P<addr>[0-9a-f]+)>\]\s+)?(?P<unrel2>\?\s+)?"
                    r"(?P<func>[A-Za-z_][\w.]*)\+0x(?P<off>[0-9a-f]+)/0x(?P<size>[0-9a-f]+)(?P<mod> \[[\w-]+\])?$")


def _rewrite(form: str):
    def frame(m: re.Match[str]) -> str:
        lead, addr, func = m.group("lead"), m.group("addr"), m.group("func")
        unrel = m.group("unrel") or m.group("unrel2") or ""
        off, size, mod = m.group("off"), m.group("size"), m.group("mod") or ""
        if form == "decoded":  # scripts/decode_stacktrace.sh, a location the compiler split
            return f"{lead}{unrel}{func} (kernel/x/{func}.c:{int(off, 16) % 997 + 1} (discriminator 3)){mod}"
        if form == "s390":  # the backchain's frames, in parentheses
            return f"{lead}([<{addr or '0000000000123456'}>] {unrel}{func}+0x{off}/0x{size}{mod})"
        if form == "ptrval":  # 4.15-4.17: the address hashed away
            return f"{lead}{unrel}[<(____ptrval____)>] {func}+0x{off}/0x{size}{mod}"
        # 2.6.17: print_symbol's decimal form, then the hex one
        return f"{lead}{unrel}[{func}+{int(off, 16)}/{int(size, 16)}] {func}+0x{off}/0x{size}{mod}"
    return lambda text: "\n".join(_FRAME.sub(frame, line) for line in text.split("\n"))


def _functions(text: str) -> list[dict]:
    return [{
        "kind": s.kind, "task": str(s.task), "cycle": s.cycle, "held": [h.lock.name for h in s.held_locks],
        "backtrace": [f.function for f in s.backtrace],
        "chain": [[f.function for f in e.frames] for e in s.chain],
        "traces": [[f.function for f in t.frames] for t in s.traces],
    } for s in splatkit.parse(text)]


def test_frame_forms_read_the_same(corpus_file, corpus_dir):
    log = read_log(corpus_dir / "report" / corpus_file)
    if _rewrite("ptrval")(log) == log:
        pytest.skip("no frame of the common form (syzbot's decoded frames only)")
    want = _functions(log)
    for form in ("decoded", "s390", "ptrval", "2.6.17"):
        assert _functions(_rewrite(form)(log)) == want, form


@pytest.mark.parametrize(("text", "function", "source", "address"), [
    ("  __lock_acquire (kernel/locking/lockdep.c:5191 (discriminator 1))", "__lock_acquire",
     "kernel/locking/lockdep.c:5191", None),
    ("lock_acquire (include/trace/events/lock.h:24 (discriminator 15) kernel/locking/lockdep.c:5825)",
     "lock_acquire", "include/trace/events/lock.h:24 kernel/locking/lockdep.c:5825", None),
    ("  ([<00000000001143d2>] show_trace+0xea/0xf0)", "show_trace", None, "00000000001143d2"),
    ("        [lock_acquire+94/129] lock_acquire+0x5e/0x81", "lock_acquire", None, None),
    (" [<(____ptrval____)>] lock_acquire+0x1/0x2", "lock_acquire", None, "(____ptrval____)"),
])
def test_frame_forms(text, function, source, address):
    frame = parse_frame(text)
    assert (frame.function, frame.source, frame.address) == (function, source, address)


@pytest.mark.parametrize("text", ["(foo+0x1/0x2", "foo+0x1/0x2)", "[foo+1/2]", "but task is (already) holding"])
def test_not_frames(text):
    assert parse_frame(text) is None
