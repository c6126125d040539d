"""The explanation of the seed: who made each dependency, and the N-CPU scenario."""

from __future__ import annotations

import splatkit
from splatkit.analysis.explain import explain
from splatkit.render.text import explain_text


def test_dependencies_name_the_code_that_made_them(seed_splat):
    e = explain(seed_splat)
    made_by = [(d.held, d.acquired, d.function.function, d.op) for d in e.dependencies]
    assert made_by == [
        ("kvm_lock", "&kvm->slots_lock", "set_nx_huge_pages", "lock"),
        ("&kvm->slots_lock", "&kvm->srcu", "kvm_swap_active_memslots", "sync"),
        ("&kvm->srcu", "cpu_hotplug_lock", "kvm_lapic_set_base", "rlock"),
        ("cpu_hotplug_lock", "kvm_lock", "kvm_dev_ioctl", "lock"),
    ]
    assert [d.new for d in e.dependencies] == [True, False, False, False]


def test_one_cpu_per_lock(seed_splat):
    steps = explain(seed_splat).scenario
    assert sorted({s.cpu for s in steps}) == [0, 1, 2, 3]
    # First every CPU takes its own lock, then each waits for the next CPU's lock.
    holds, waits = steps[:4], steps[4:]
    assert [(s.cpu, s.lock) for s in holds] == list(enumerate(seed_splat.cycle))
    assert [(s.cpu, s.waits_for) for s in waits] == [(0, 1), (1, 2), (2, 3), (3, 0)]
    assert [s.lock for s in waits] == [seed_splat.cycle[(i + 1) % 4] for i in range(4)]


def test_text_fits_a_mail(seed_splat):
    text = explain_text(seed_splat)
    assert max(len(line) for line in text.splitlines()) <= 80
    for name in seed_splat.cycle:
        assert name in text
    for function in ("set_nx_huge_pages", "kvm_swap_active_memslots", "kvm_lapic_set_base", "kvm_dev_ioctl"):
        assert function in text
    header = next(line for line in text.splitlines() if line.strip().startswith("CPU0"))
    assert header.split() == ["CPU0", "CPU1", "CPU2", "CPU3"]


def test_long_names_still_fit(seed_text):
    long_name = "&very_long_structure_name->some_member_lock_with_a_long_name#12/1"
    (splat,) = splatkit.parse(seed_text.replace("&kvm->srcu", long_name))
    text = explain_text(splat)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert long_name in text.replace("\n", "")
