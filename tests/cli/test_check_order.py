"""``splatkit check-order``: a CI gate. Exit 1 with each cycle and its evidence when a declared
ordering closes a cycle with what the inputs recorded; 0 when it closes none; 2 for bad input."""

from __future__ import annotations

import re

import pytest

import splatkit
from splatkit.samples import data_path

#: The seed's recorded and new dependencies, (held, acquired, chain entry).
SEED_EDGES = [("cpu_hotplug_lock", "kvm_lock", 3), ("&kvm->srcu", "cpu_hotplug_lock", 2),
              ("&kvm->slots_lock", "&kvm->srcu", 1), ("kvm_lock", "&kvm->slots_lock", 0)]


@pytest.fixture
def ordering(tmp_path):
    """``ordering(text)``: a file holding that ordering."""
    def write(text: str, name: str = "order.txt"):
        path = tmp_path / name
        path.write_text(text)
        return path

    return write


@pytest.mark.parametrize("held, acquired, index", SEED_EDGES)
def test_reversing_a_dependency_of_the_seed(cli, ordering, seed_path, seed_splat, held, acquired, index):
    path = ordering(f"# the code now takes them the other way round\n{acquired} -> {held} @ new_path\n")
    status, out, err = cli("check-order", path)  # (no INPUT: the bundled seed)
    assert (status, err) == (1, "")
    line_no = {e.index: e.line_no for e in seed_splat.chain}[index]
    lines = out.splitlines()
    assert lines[0] == (f"{path}: FAIL: the ordering closes 1 dependency cycle with what the inputs recorded "
                        f"({seed_path})")
    assert lines[2] == f"cycle 1 of 1 (2 locks): {acquired} -> {held} -> {acquired}"
    assert lines[3] == f"  closed by {path}:2: {acquired} -> {held}"
    assert f"  {acquired} -> {held}\n      {path}:2: declared @ new_path\n" in out
    recorded = "the new dependency, " if index == 0 else ""
    read = " (read)" if acquired == "cpu_hotplug_lock" else ""  # (cpus_read_lock, as the stack shows)
    assert (f"  {held} -> {acquired}{read}\n      {seed_path}:{line_no}: {recorded}chain entry #{index} of report 1 "
            "(possible deadlock in set_nx_huge_pages), in ") in out
    assert out.endswith("(not counted: the ordering did not close them):\n  kvm_lock -> &kvm->slots_lock -> "
                        "&kvm->srcu -> cpu_hotplug_lock -> kvm_lock  (left by the ordering)\n")


def test_an_ordering_that_agrees_with_the_seed(cli, ordering, seed_path):
    path = ordering("".join(f"{held} -> {acquired}\n" for held, acquired, _ in SEED_EDGES) + "kvm_lock -> kvm_x\n")
    status, out, err = cli("check-order", path, seed_path)
    assert status == 0
    assert out.startswith(f"{path}: OK: the ordering closes no dependency cycle with what the inputs recorded "
                          f"({seed_path}: 8 lock classes, 8 dependencies)\n")
    assert "(left by the ordering)" in out
    assert err == f"{path}:5: warning: lock 'kvm_x' is in none of the inputs; closest: kvm_lock\n"


@pytest.mark.parametrize("name, status, own", [("status-quo", 0, "left"), ("patch-v1", 1, "left"),
                                               ("kvm-usage-lock", 0, "broken")])
def test_the_seed_threads_orderings(cli, name, status, own):
    """The thread's verdicts: v1 of the patch closes cpu_hotplug_lock <-> kvm_lock; the upstream fix
    (a new kvm_usage_lock) closes nothing and breaks the seed's own cycle."""
    path = data_path("orderings", f"{name}.txt")
    code, out, _err = cli("check-order", path)
    assert code == status
    assert f"(not counted: the ordering did not close them):\n  kvm_lock -> &kvm->slots_lock -> &kvm->srcu -> " \
           f"cpu_hotplug_lock -> kvm_lock  ({own} by the ordering)\n" in out
    if status:
        assert "cycle 1 of 1 (2 locks): kvm_lock -> cpu_hotplug_lock -> kvm_lock\n" in out
        assert "  note: cpu_hotplug_lock is acquired for read here: this cycle deadlocks only if a writer" in out


def test_a_new_dependency_against_a_lockdep_dump(cli, ordering, lockdep_dump, seed_splat, tmp_path):
    """The question before the seed was hit: /proc/lockdep of that boot recorded three dependencies;
    would set_nx_huge_pages taking &kvm->slots_lock under kvm_lock close a cycle?"""
    dump = tmp_path / "lockdep.txt"
    dump.write_text(lockdep_dump(seed_splat))
    path = ordering("kvm_lock -> &kvm->slots_lock @ set_nx_huge_pages\n")
    status, out, _err = cli("check-order", path, dump)
    assert status == 1
    assert "cycle 1 of 1 (4 locks): kvm_lock -> &kvm->slots_lock -> &kvm->srcu -> cpu_hotplug_lock -> kvm_lock" in out
    dump_lines = dump.read_text().splitlines()
    cited = [line.split(": ")[0] for line in out.splitlines() if line.startswith(f"      {dump}:")]
    assert len(cited) == 3
    for where in cited:
        assert dump_lines[int(where.rsplit(":", 1)[1]) - 1].startswith(" -> [")
    assert "The inputs hold" not in out  # (a dump holds no cycle: lockdep would have reported it)


@pytest.mark.parametrize("which", range(3))
def test_every_complete_wild_cycle(cli, ordering, wild_files, which):
    """On real pastes: reversing a dependency of each complete cycle (the which-th) closes a cycle
    through it, unless the report recorded the reverse too (a cycle of two locks: nothing new);
    declaring its recorded dependencies again closes none."""
    checked = reverse_recorded = 0
    for path in wild_files:
        splats = [s for s in splatkit.parse(path.read_text(errors="replace")) if s.cycle]
        if not splats:
            continue
        dependencies = splats[0].dependencies()
        held, acquired, entry = dependencies[which % len(dependencies)]
        reverse = ordering(f"{acquired} -> {held}\n", name=f"{path.stem}-reverse.txt")
        status, out, _err = cli("check-order", "-q", "--identity", "exact", reverse, path)
        if (acquired, held) in {(h, a) for h, a, _ in dependencies}:
            assert status == 0, path
            reverse_recorded += 1
        else:
            assert status == 1, path
            assert re.search(rf"^  {re.escape(held)} -> {re.escape(acquired)}( \(read\))?\n"
                             rf"      {re.escape(str(path))}:{entry.line_no}: ", out, flags=re.M), path
        agree = ordering("".join(f"{h} -> {a}\n" for h, a, _ in splats[0].dependencies()), name=f"{path.stem}-ok.txt")
        status, out, _err = cli("check-order", "-q", "--identity", "exact", agree, path)
        assert status == 0, (path, out)
        checked += 1
    assert checked >= 10 and checked - reverse_recorded >= 7, (checked, reverse_recorded)


def test_ordering_on_standard_input(child, seed_path):
    result = child("check-order", "-", seed_path, stdin="&kvm->srcu -> &kvm->slots_lock\n")
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("<stdin>: FAIL: the ordering closes 1 dependency cycle")
    assert "      <stdin>:1: declared\n" in result.stdout


def test_a_dump_on_standard_input(child, ordering, lockdep_dump, seed_splat):
    path = ordering("cpu_hotplug_lock -> &kvm->srcu\n")
    result = child("check-order", path, "-", stdin=lockdep_dump(seed_splat))
    assert result.returncode == 1 and "<stdin>:" in result.stdout


@pytest.mark.parametrize("text, message", [
    ("kvm_lock -> &kvm->slots_lock\nkvm_lock => cpu_hotplug_lock\n",
     "{path}:2: not an ordering line; expected 'A -> B', 'A -> B @ site', 'A -> B (read) @ site', '- A -> B [@ site]' "
     "or 'split A: NEW at site1, site2', got: 'kvm_lock => cpu_hotplug_lock'"),
    ("a -> b (raed)\n", "{path}:1: not an ordering line: unknown qualifier '(raed)': the only one is ' (read)'; "
     "expected 'A -> B', 'A -> B @ site' or 'A -> B (read) @ site', got: 'a -> b (raed)'"),
    ("# only a comment\n\n", "{path}: no ordering statement found; expected lines like 'A -> B', 'A -> B @ site', "
     "'A -> B (read) @ site', '- A -> B [@ site]' or 'split A: NEW at site1, site2'"),
])
def test_a_bad_ordering_is_one_line_and_status_2(cli, ordering, text, message):
    path = ordering(text)
    status, out, err = cli("check-order", path)
    assert (status, out) == (2, "")
    assert err == "splatkit: " + message.format(path=path) + "\n"


def test_bad_inputs(cli, ordering, tmp_path):
    path = ordering("a -> b\n")
    missing = tmp_path / "missing.txt"
    assert cli("check-order", path, missing) == (2, "", f"splatkit: {missing}: cannot read file: No such file or "
                                                        "directory\n")
    assert cli("check-order", missing) == (2, "", f"splatkit: {missing}: cannot read file: No such file or directory\n")
    empty = tmp_path / "empty.log"
    empty.write_text("nothing\n")
    status, _out, err = cli("check-order", path, empty)
    assert status == 2 and err.startswith(f"splatkit: {empty}:1: no lockdep report found in 1 line;")
    status, _out, err = cli("check-order", "-", "-")
    assert (status, err) == (2, "splatkit: <stdin>: standard input can be read once: give '-' for one of "
                                "ORDERING and INPUT only\n")


def test_a_removal_of_nothing_is_a_warning(cli, ordering):
    path = ordering("- kvm_lock -> &kvm->srcu\n")
    status, out, err = cli("check-order", path)
    assert status == 0 and "OK" in out
    assert err == f"{path}:1: warning: no such dependency to remove, got: '- kvm_lock -> &kvm->srcu'\n"
