"""Properties over random programs, with answers known independently of the simulator.

- A program whose tasks take mutexes in given orders has a circular report exactly when
  the graph of those orders has a cycle (networkx decides), at the first step that closes
  one, and the cycle it reports is a cycle of that graph.
- Any program's report, printed in any era, parses back to the same kind, locks, cycle
  and held locks.
"""

from __future__ import annotations

import networkx as nx
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from splatkit.errors import ProgramError
from splatkit.sim import ERAS, run

_SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
NAMES = [f"L{i}" for i in range(6)]


@st.composite
def orders(draw):
    """Per task, the mutexes it takes nested, outermost first (no class twice in one task)."""
    tasks = draw(st.integers(1, 6))
    return [draw(st.lists(st.sampled_from(NAMES), min_size=2, max_size=4, unique=True)) for _ in range(tasks)]


def _program(tasks: list[list[str]]) -> tuple[str, list[tuple[int, tuple[str, str]]]]:
    """The exercise, and the line each dependency ``(held, taken)`` is recorded on."""
    lines = [f"mutex {', '.join(NAMES)}"]
    recorded = []
    for index, locks in enumerate(tasks):
        for depth, lock in enumerate(locks):
            lines.append(f"t{index}: lock {lock}")
            if depth:
                recorded.append((len(lines), (locks[depth - 1], lock)))
        lines += [f"t{index}: unlock {lock}" for lock in reversed(locks)]
    return "\n".join(lines) + "\n", recorded


@given(orders())
@_SETTINGS
def test_a_cycle_in_the_lock_order_is_reported_and_nothing_else(tasks):
    text, recorded = _program(tasks)
    graph = nx.DiGraph()
    first_cycle_line = None
    for line, edge in recorded:
        graph.add_edge(*edge)
        if first_cycle_line is None and not nx.is_directed_acyclic_graph(graph):
            first_cycle_line = line
    everything = nx.DiGraph(edge for _, edge in recorded)
    result = run(text)
    if nx.is_directed_acyclic_graph(everything):
        assert result.text is None
        return
    assert result.kind == "circular" and result.line == first_cycle_line
    cycle = result.splat.cycle
    closed = [edge for line, edge in recorded if line <= first_cycle_line]
    assert all((a, b) in closed for a, b in zip(cycle, cycle[1:] + cycle[:1]))


@given(orders())
@_SETTINGS
def test_recursive_readers_never_close_a_cycle(tasks):
    """The same orders with every lock a recursive reader (rwlock_t, forced as the self-test
    does): lockdep-design.rst proves such a cycle cannot deadlock."""
    from splatkit.sim import Config

    text, _ = _program(tasks)
    text = text.replace("mutex ", "rwlock ", 1).replace(": lock ", ": read_lock ")
    assert run(text, config=Config(force_read_lock_recursive=True)).text is None


TYPES = ["mutex", "spinlock", "rwlock", "rwsem", "raw_spinlock", "srcu"]
ENDINGS = ["", "", "", "", "exit", "return_to_user", "free", "unlock twice", "synchronize_rcu"]


@st.composite
def programs(draw):
    """Segments of nested locking, each in one task and context and released in reverse
    order, so that every program runs; the last segment may end badly."""
    names = ["A", "B", "C", "D"]
    types = {name: draw(st.sampled_from(TYPES)) for name in names}
    lines = [f"{kind} {name}" for name, kind in types.items()]
    segments = draw(st.integers(1, 8))
    for index in range(segments):
        task = draw(st.sampled_from(["t1", "t2", "t3"]))
        context = draw(st.sampled_from(["", "", "", " hardirq", " softirq"]))
        guard = draw(st.sampled_from(["", "", "irq", "bh"])) if not context else ""
        head = f"{task}{context}: "
        locks = draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))
        steps = [f"{head}{guard}_disable"] if guard else []
        for lock in locks:
            kind = types[lock]
            if kind == "srcu":
                op = draw(st.sampled_from(["srcu_read_lock", "synchronize_srcu"]))
            elif kind in ("rwlock", "rwsem"):
                op = draw(st.sampled_from(["lock", "read_lock", "trylock"]))
            else:
                op = draw(st.sampled_from(["lock", "lock", "trylock"]))
            steps.append(f"{head}{op} {lock}")
        unlocks = [f"{head}{'srcu_read_unlock' if types[l] == 'srcu' else 'unlock'} {l}"
                   for l, step in zip(reversed(locks), reversed(steps[-len(locks):])) if "synchronize" not in step]
        ending = draw(st.sampled_from(ENDINGS)) if index == segments - 1 and not context else ""
        if ending and unlocks:
            kept = unlocks.pop(0).split()[-1]
            steps.append({"unlock twice": f"{head}unlock {kept}\n{head}unlock {kept}", "free": f"{head}free {kept}",
                          "synchronize_rcu": f"{head}rcu_read_lock\n{head}synchronize_rcu"}.get(ending, f"{head}{ending}"))
        steps += unlocks + ([f"{head}{guard}_enable"] if guard else [])
        lines += steps
    return "\n".join(lines) + "\n", draw(st.sampled_from(list(ERAS)))


@given(programs())
@_SETTINGS
def test_the_report_reads_back(example):
    text, era = example
    try:
        result = run(text, era=era)
    except ProgramError:
        assume(False)  # (a step the kernel could not run as written: not a program to test)
    finding = result.finding
    if finding is None:
        assert result.splat is None
        return
    splat = result.splat
    assert splat is not None and splat.kind == finding.kind
    assert not splat.unrecognised and not splat.notes
    assert [h.lock.name for h in splat.held_locks] == [h.cls.name for h in finding.held]
    lock = getattr(finding, "lock", None)
    if lock is not None and splat.acquiring is not None:
        assert splat.acquiring.name == lock.cls.name
    if finding.kind == "circular":
        chain = [cls.name for cls, _ in finding.chain]
        assert splat.cycle == (chain[0], *reversed(chain[1:]))
    if finding.kind == "inconsistent_state":
        from splatkit.sim.state import USAGE_NAMES

        assert splat.usage_change == (USAGE_NAMES[finding.prev_bit], USAGE_NAMES[finding.new_bit])
