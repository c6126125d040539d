"""What a circular splat means, as data: the cycle, who made each dependency, a scenario.

Lockdep prints the evidence; a reviewer wants the story: "CPU0 holds kvm_lock
and wants &kvm->slots_lock, which CPU1 holds while waiting for...". This module
builds that story as plain data; :mod:`splatkit.render.text` and the HTML export
lay it out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..model import Frame, Splat
from .acquisitions import acquire_op, establishing_frame

__all__ = ["Dependency", "Explanation", "ScenarioStep", "acquire_op", "establishing_frame", "explain"]

def _read_only(usage: str | None) -> bool:
    """True when a usage string shows read acquisitions only (``.?.+``: srcu, rcu read sides).

    Write and read characters alternate per irq state (W R W R) in every era but
    2.6.18-2.6.29, whose 4-character layout differs; a wrong guess only changes
    ``lock`` into ``rlock`` in a scenario.
    """
    if not usage or len(usage) % 2:
        return False
    writes, reads = usage[0::2], usage[1::2]
    return set(writes) == {"."} and set(reads) != {"."}


@dataclass(frozen=True)
class Dependency:
    """One edge of the cycle: ``acquired`` was taken while ``held`` was held."""

    held: str
    acquired: str
    chain_index: int
    new: bool
    """True for the acquisition that triggered the report (chain entry #0)."""
    function: Frame | None
    """The code that established the dependency (see :func:`establishing_frame`)."""
    via: tuple[Frame, ...]
    op: str
    frames: tuple[Frame, ...]


@dataclass(frozen=True)
class ScenarioStep:
    """One step of the N-CPU scenario: ``cpu`` does ``op(lock)``; ``waits_for`` names the
    CPU holding that lock when the step blocks."""

    cpu: int
    op: str
    lock: str
    waits_for: int | None = None


@dataclass(frozen=True)
class Explanation:
    """A circular splat, explained."""

    title: str
    kernel: str | None
    task: str | None
    cycle: tuple[str, ...]
    dependencies: tuple[Dependency, ...]
    """In cycle order: cycle[0] -> cycle[1], ..., cycle[-1] -> cycle[0]."""
    scenario: tuple[ScenarioStep, ...]
    """One CPU per lock of the cycle: each takes its lock, then wants the next CPU's."""
    partial: bool = False
    """True when the report has chain entries but not all of them (a cut log)."""


def explain(splat: Splat) -> Explanation:
    """Explain a splat that has a dependency chain (a circular report).

    >>> e = explain(parse(seed_text)[0])
    >>> [(d.held, d.acquired, d.function.function) for d in e.dependencies][0]
    ('kvm_lock', '&kvm->slots_lock', 'set_nx_huge_pages')
    >>> max(step.cpu for step in e.scenario)
    3
    """
    cycle = splat.cycle
    by_edge = {(held, acquired): entry for held, acquired, entry in splat.dependencies()}
    dependencies = []
    n = len(cycle)
    for i, held in enumerate(cycle):
        acquired = cycle[(i + 1) % n]
        entry = by_edge[(held, acquired)]
        function, via = establishing_frame(entry.frames)
        dependencies.append(Dependency(held, acquired, entry.index, entry.index == 0, function, via,
                                       acquire_op(entry.frames), entry.frames))
    usage = {e.lock.name: e.lock.usage for e in splat.chain}
    steps = [ScenarioStep(cpu=i, op="rlock" if _read_only(usage.get(cycle[i])) else "lock", lock=cycle[i])
             for i in range(n)]
    steps += [ScenarioStep(cpu=i, op=dependencies[i].op, lock=cycle[(i + 1) % n], waits_for=(i + 1) % n)
              for i in range(n)]
    kernel = None
    if splat.kernel is not None:
        kernel = " ".join(p for p in (splat.kernel.release, splat.kernel.build) if p)
    return Explanation(
        title=splat.title,
        kernel=kernel,
        task=str(splat.task) if splat.task else None,
        cycle=cycle,
        dependencies=tuple(dependencies),
        scenario=tuple(steps) if n else (),
        partial=bool(splat.chain) and not cycle,
    )
