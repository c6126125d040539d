"""The expert review's later findings, each pinned on real text: the seed, the cases, both corpora
(skipped cleanly without them) and reports the test derives from them.

One test per mechanism: a wrapper's internal spinlock (A5), lockdep's self-check messages (A12),
hashed pointers (A16), chain-key collisions (A17), held-lock dumps (A18), leaked locks of work
items (A19), another task's stack interleaved (A11), recursive verdicts (B1), the seed (B2)...
"""

from __future__ import annotations

import re

import pytest

from splatkit.analysis.acquisitions import LOCK_APIS, acquisition, establishing_frame
from splatkit.analysis.explain import explain, plain
from splatkit.model import Frame
from splatkit.render.explain import explain_text
from test_explain import all_reports, circular_reports


def _flat(splat) -> str:
    return " ".join(explain_text(splat, trimmed=False).split())


def _corpus_present() -> bool:
    return any(where.startswith(("syzkaller/", "wild/")) for where, _ in all_reports())


# -- A5: a wrapper's internal spinlock is a spinlock, not the wrapper ---------------------------


def _kinds_of(frames):
    _frame, via = establishing_frame(frames)
    out = []
    for f in via:
        out += [kind for pattern, kind, _access in LOCK_APIS if pattern.match(f.function or "")][:1]
    return out


def test_a_lock_taken_by_a_spinlock_call_inside_a_wrapper_is_the_wrappers_internal_spinlock():
    seen = 0
    for where, splat in circular_reports():
        e = explain(splat)
        for dep in e.dependencies:
            if dep.recorded != "acquire" or not dep.frames:
                continue
            kinds = _kinds_of(dep.frames)
            if not kinds or kinds[0] not in ("spinlock", "rwlock") or kinds[-1] in ("spinlock", "rwlock"):
                continue
            seen += 1
            assert dep.acquisition is not None and dep.acquisition.kind == kinds[0], (where, dep.acquired)
            assert dep.acquisition.inside == kinds[-1], (where, dep.acquired)
            text = _flat(splat)
            assert f"{dep.acquired} is {'an' if kinds[-1][0] in 'aeiou' else 'a'} {kinds[-1]}," not in text, where
            assert f"internal {kinds[0]} of" in text, where
    if _corpus_present():
        assert seen >= 1


@pytest.mark.parametrize("frames,expect", [
    (("_raw_spin_lock_irqsave", "down_trylock", "console_trylock"), "the internal spinlock of a semaphore"),
    (("_raw_spin_lock_bh", "lock_sock_nested", "tcp_sendmsg"), "the internal spinlock of a socket lock"),
    (("down_trylock", "console_trylock"), "semaphore"),
    (("percpu_down_read", "cpus_read_lock", "kvm_lapic_set_base"), "percpu-rwsem for read"),
    (("_raw_spin_lock", "do_thing"), "spinlock"),
])
def test_the_innermost_spinlock_call_decides_the_kind(frames, expect):
    stack = (Frame("lock_acquire"), *(Frame(f) for f in frames))
    assert str(acquisition(stack)) == expect
