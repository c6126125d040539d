"""Lock graphs of any size, generated: what benchmarks, tests and demos of big graphs draw.

:func:`proc_lockdep_text` writes a ``/proc/lockdep`` dump as a kernel would (``l_show()``
format) over a random lock hierarchy; :func:`big_lock_graph` loads one and merges real
splats into it, their lock classes placed among the generated ones, so the splats' cycles
sit inside a big graph, as when a machine's dump and its reports are read together.

>>> g = big_lock_graph(50, parse(seed_text))
>>> len(g.nx) >= 50, g.has_dependency("kvm_lock", "&kvm->slots_lock")
(True, True)
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence

from .graph import LockGraph
from .model import Splat

__all__ = ["CLASS_NAMES", "big_lock_graph", "proc_lockdep_text"]

#: Lock-class name shapes for generated dumps: static locks, per-object keys, versioned keys.
CLASS_NAMES = ("lock_{i}", "&obj_{i}->mutex", "&(&dev_{i}->lock)->rlock", "&type->i_mutex_key#{v}/{s}",
               "(wq_completion)events_{i}", "&sb->s_type->i_lock_key#{v}")


def proc_lockdep_text(classes: int, deps: int, seed: int = 3, *, names: Sequence[str] = ()) -> str:
    """A /proc/lockdep dump (l_show() format, PROVE_LOCKING) over a random acyclic dependency graph.

    Like a real one: lockdep never records a dependency that closes a cycle; most
    dependencies are between classes "near" each other in the lock hierarchy, a few
    span it; classes are printed in an order unrelated to the hierarchy. ``names`` replace
    the first generated class names (spread over the hierarchy by the same shuffle).
    """
    rng = random.Random(seed)
    names = list(names)[:classes] + [CLASS_NAMES[i % len(CLASS_NAMES)].format(i=i, v=i, s=i % 3)
                                     for i in range(len(names), classes)]
    rank = list(range(classes))
    rng.shuffle(rank)  # rank[i]: position of class i in the hierarchy
    by_rank = sorted(range(classes), key=rank.__getitem__)
    after: list[set[int]] = [set() for _ in range(classes)]
    made = 0
    deps = min(deps, classes * (classes - 1) // 2)
    while made < deps:
        r = rng.randrange(classes - 1)
        span = 1 + int(rng.expovariate(1 / 200)) if rng.random() < 0.95 else rng.randrange(1, classes)
        a, b = by_rank[r], by_rank[min(r + span, classes - 1)]
        if b not in after[a]:
            after[a].add(b)
            made += 1
    lines = ["all lock classes:"]
    for i in range(classes):
        usage = rng.choice(("+.+.", "++++", "-.-.", ".+.+", "...."))
        lines.append(f"{0xffffffff82000000 + 16 * i:016x} FD:{len(after[i]) + 1:5d} BD:{1:5d} {usage}: {names[i]}")
        lines += [f" -> [{0xffffffff82000000 + 16 * j:016x}] {names[j]}" for j in sorted(after[i])]
        lines.append("")
    return "\n".join(lines) + "\n"


def big_lock_graph(classes: int, splats: Iterable[Splat] | Splat = (), *, deps_per_class: float = 2.0,
                   seed: int = 3) -> LockGraph:
    """A generated dump of ``classes`` lock classes merged with ``splats``, whose lock classes
    are among the generated ones (exact names, no ``#N`` merging, so every class stays).

    The dump alone has no cycle (lockdep records none); the splats bring theirs, and
    dependencies of the dump between their locks may make more.
    """
    splats = [splats] if isinstance(splats, Splat) else list(splats)
    reports = LockGraph.from_splats(splats, identity="exact") if splats else None
    embedded = sorted(str(n) for n in reports.nx) if reports is not None else []
    text = proc_lockdep_text(classes, int(classes * deps_per_class), seed, names=embedded)
    dump = LockGraph.from_proc_lockdep(text, identity="exact", origin=f"<generated /proc/lockdep, {classes} classes>")
    return dump | reports if reports is not None else dump
