"""The seed splat, field by field, exactly as the kernel printed it (issue 2)."""

from __future__ import annotations

import json

import pytest

import splatkit


def test_one_circular_report(seed_text):
    splats = splatkit.parse(seed_text)
    assert [s.kind for s in splats] == ["circular"]


def test_header_fields(seed_splat):
    s = seed_splat
    assert s.banner == "WARNING: possible circular locking dependency detected"
    assert (s.task.comm, s.task.pid) == ("tee", 27085)
    assert s.kernel.release == "6.9.0-smp--04b1c6b4841d-next"
    assert s.kernel.build == "#301"
    assert s.kernel.taint == "G S O"
    assert s.title == "possible deadlock in set_nx_huge_pages"
    assert not s.truncated


def test_acquiring_and_holding(seed_splat):
    acq, held = seed_splat.acquiring, seed_splat.holding
    assert acq.name == "&kvm->slots_lock" and acq.instance == "ffffb5fdd4e430a8"
    assert (acq.usage, acq.wait) == ("+.+.", (3, 3))
    assert acq.at.text == "set_nx_huge_pages+0x179/0x1e0 [kvm]"
    assert (acq.at.function, acq.at.offset, acq.at.size, acq.at.module) == ("set_nx_huge_pages", 0x179, 0x1E0, "kvm")
    assert held.name == "kvm_lock" and held.at.offset == 0x14A


def test_chain_entries(seed_splat):
    chain = seed_splat.chain
    assert [e.index for e in chain] == [3, 2, 1, 0]
    assert [e.lock.name for e in chain] == ["kvm_lock", "cpu_hotplug_lock", "&kvm->srcu", "&kvm->slots_lock"]
    assert [e.lock.usage for e in chain] == ["+.+.", "++++", ".?.+", "+.+."]
    assert [e.lock.wait_text for e in chain] == ["3:3", "0:0", "0:0", "3:3"]
    assert [len(e.frames) for e in chain] == [7, 13, 11, 14]
    first = chain[0].frames[0]
    assert (first.function, first.offset, first.size, first.module, first.unreliable) == (
        "__mutex_lock", 0x6A, 0xB40, None, False)
    assert chain[1].frames[2].text == "kvm_lapic_set_base+0x6a/0x1c0 [kvm]"
    assert (chain[1].frames[5].function, chain[1].frames[5].module) == ("vmx_set_msr", "kvm_intel")


def test_cycle_convention(seed_splat):
    # Each lock is acquired while holding the previous one; the first while holding the last.
    assert seed_splat.cycle == ("kvm_lock", "&kvm->slots_lock", "&kvm->srcu", "cpu_hotplug_lock")
    deps = {(held, acquired): entry.index for held, acquired, entry in seed_splat.dependencies()}
    assert deps == {("kvm_lock", "&kvm->slots_lock"): 0, ("&kvm->slots_lock", "&kvm->srcu"): 1,
                    ("&kvm->srcu", "cpu_hotplug_lock"): 2, ("cpu_hotplug_lock", "kvm_lock"): 3}


def test_chain_exists_line(seed_splat):
    assert seed_splat.chain_exists == ("&kvm->slots_lock", "cpu_hotplug_lock", "kvm_lock")


def test_scenario_columns_rebuilt(seed_splat):
    # The mail collapsed lockdep's columns; the steps still land on CPU0/CPU1 as printed.
    steps = [(s.cpu, s.op, s.lock) for s in seed_splat.scenario]
    assert steps == [(0, "lock", "kvm_lock"), (1, "lock", "cpu_hotplug_lock"),
                     (1, "lock", "kvm_lock"), (0, "lock", "&kvm->slots_lock")]


def test_scenario_columns_from_indentation(seed_text):
    # With lockdep's own spacing, columns come from indentation, not from the kind's template.
    spaced = (seed_text.replace("] CPU0 CPU1", "]        CPU0                    CPU1")
              .replace("] lock(cpu_hotplug_lock);", "]                                lock(cpu_hotplug_lock);")
              .replace("] lock(kvm_lock);", "]   lock(kvm_lock);")
              .replace("] lock(&kvm->slots_lock);", "]   lock(&kvm->slots_lock);"))
    (splat,) = splatkit.parse(spaced)
    assert [s.cpu for s in splat.scenario] == [0, 1, 0, 0]
    assert splat.notes == ()


def test_scenario_columns_when_blanks_are_lost(seed_text):
    """The seed's blanks were squeezed: lockdep's fixed layout for a circular report gives the
    columns; a step whose blanks a mailer dropped does not count as CPU0's."""
    (splat,) = splatkit.parse(seed_text)
    assert [s.cpu for s in splat.scenario] == [0, 1, 1, 0]
    spaced = (seed_text.replace("] CPU0 CPU1", "]        CPU0                    CPU1")
              .replace("] lock(kvm_lock);", "]   lock(kvm_lock);", 1))
    (splat,) = splatkit.parse(spaced)
    assert [s.cpu for s in splat.scenario] == [0, 1, 1, 0]


def test_held_locks(seed_splat):
    held = seed_splat.held_locks
    assert seed_splat.held_locks_count == 5
    assert [h.index for h in held] == [0, 1, 2, 3, 4]
    assert [h.lock.name for h in held] == ["sb_writers#4", "&of->mutex", "kn->active#257", "&mod->param_lock",
                                           "kvm_lock"]
    assert {str(h.holder) for h in held} == {"tee/27085"}
    assert held[2].lock.base == "kn->active" and held[2].lock.version == 257
    assert held[4].lock.at.text == "set_nx_huge_pages+0x14a/0x1e0 [kvm]"


def test_backtrace_and_context(seed_splat):
    bt = seed_splat.backtrace
    assert bt[0].function == "dump_stack_lvl"
    assert bt[-1].function == "entry_SYSCALL_64_after_hwframe"
    assert sum(f.unreliable for f in bt) == 13
    assert len(bt) == 31
    ctx = seed_splat.context
    assert (ctx.cpu, ctx.pid, ctx.comm, ctx.taint) == (93, 27085, "tee", "G S O")
    assert ctx.release == "6.9.0-smp--04b1c6b4841d-next"
    assert ctx.hardware == "Google Interlaken/interlaken, BIOS 0.20231025.0-0 10/25/2023"
    assert ctx.registers[0] == "RIP: 0033:0x7f98eff1ee0d"
    assert len(ctx.registers) == 8


def test_every_line_accounted_for(seed_splat, seed_text):
    span = seed_splat.span
    assert (span.first_line, span.last_line) == (1, len(seed_text.splitlines()))
    attributed = [no for no, _ in seed_splat.line_fields]
    assert seed_splat.unrecognised == ()
    assert sorted(attributed) == list(range(span.first_line, span.last_line + 1))


def test_to_dict_is_json(seed_splat):
    d = json.loads(json.dumps(seed_splat.to_dict()))
    assert d["kind"] == "circular" and d["task"] == {"comm": "tee", "pid": 27085}
    assert d["acquiring"]["name"] == "&kvm->slots_lock" and d["acquiring"]["wait"] == "3:3"
    assert d["holding"]["at"] == "set_nx_huge_pages+0x14a/0x1e0 [kvm]"
    assert [e["index"] for e in d["chain"]] == [3, 2, 1, 0]
    assert d["cycle"] == ["kvm_lock", "&kvm->slots_lock", "&kvm->srcu", "cpu_hotplug_lock"]
    assert d["held_locks"][0] == {**d["held_locks"][0], "index": 0, "name": "sb_writers#4",
                                  "holder": {"comm": "tee", "pid": 27085}, "at": "vfs_write+0xe4/0x380"}
    assert d["held_locks"][0]["lock"]["base"] == "sb_writers" and d["held_locks"][0]["lock"]["version"] == 4
    assert d["unrecognised"] == [] and d["span"] == {"first_line": 1, "last_line": 136}
    assert len(d["backtrace"]) == 31


def test_parse_file_replaces_bad_bytes(tmp_path, seed_text):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"\xff\xfe garbage\n" + seed_text.encode() + b"\n\x80\x81 trailing\n")
    (splat,) = splatkit.parse_file(path)
    assert splat.cycle[0] == "kvm_lock"
    assert splat.span.first_line == 2


def test_the_whole_email(shared_dir):
    """The seed thread as mailed: prose, a quoted patch, then the splat."""
    splats = splatkit.parse_file(shared_dir / "seed" / "kvm-cpuhp-lockdep-email.txt")
    assert len(splats) == 1
    assert splats[0].cycle == ("kvm_lock", "&kvm->slots_lock", "&kvm->srcu", "cpu_hotplug_lock")
    assert splats[0].unrecognised == ()


@pytest.mark.parametrize("prefix", ["> ", ">> ", "> > ", "May  7 12:37:01 host kernel: "])
def test_wrapped_seed_parses_the_same(seed_text, seed_splat, prefix):
    wrapped = "".join(prefix + line + "\n" for line in seed_text.splitlines())
    (splat,) = splatkit.parse(wrapped)
    assert splat.to_dict() | {"wrappers": None} == seed_splat.to_dict() | {"wrappers": None}
    assert splat.wrappers[0] in {"quote", "syslog"}
