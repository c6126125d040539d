"""The lock graph: where a graph comes from, and the questions one asks of it.

:class:`LockGraph` is the facade the issues name: it builds a graph of lock classes and
their dependencies (the data, :class:`splatkit.depgraph.DependencyGraph`) from a splat's
chain entry or held-locks list (:meth:`LockGraph.from_splats`), a ``/proc/lockdep`` or
``/proc/lockdep_chains`` dump (:meth:`LockGraph.from_proc_lockdep`), or an ordering a
person declared (:meth:`LockGraph.from_orderings`), and asks it questions (cycles,
what-if, orderings) by calling the functions of :mod:`splatkit.analysis`, graph first.
The analyses import only the data module, never this one: imports flow one way.

The graph is a thin facade over a :class:`networkx.DiGraph`, exposed as ``g.nx`` for
anything this API does not cover; lock identity is explained in :mod:`splatkit.depgraph`.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from .analysis.cycles import MAX_CYCLES, Cycle, Cycles, bounded_cycles, find_cycle_through
from .analysis.orderfile import Ordering
from .analysis.ordering import apply_ordering
from .analysis.suggest import OrderSuggestion, suggest_order
from .analysis.whatif import neighbourhood, what_if
from .depgraph import IDENTITIES, DependencyGraph, Evidence, lock_identity
from .errors import ParseError
from .model import Splat

__all__ = ["IDENTITIES", "Evidence", "LockGraph", "lock_identity"]


def _read_input(text_or_path: str | Path, default: str) -> tuple[str, str]:
    """The text, and the name errors should give for it.

    A :class:`~pathlib.Path`, a one-line string naming a file, or a string without any blank
    (every line of a dump or of an ordering has one: ``/proc/lockdep``, ``patch.txt``) is a
    path; one that cannot be read is a :class:`ParseError` naming it, never text to parse.
    """
    if isinstance(text_or_path, Path) or _names_a_file(text_or_path):
        path = Path(text_or_path)
        try:
            return path.read_text(encoding="utf-8", errors="replace"), str(path)
        except OSError as err:
            raise ParseError(f"cannot read file: {err.strerror or err}", source=str(path)) from err
    return text_or_path, default


def _names_a_file(text: str) -> bool:
    if "\n" in text or not text:
        return False
    if not any(c.isspace() for c in text):
        return True
    try:
        return Path(text).is_file()
    except (OSError, ValueError):  # a name too long for the file system, a NUL: text
        return False


def first_taken(held: Sequence[Any]) -> list[Any]:
    """The entries of one task's held-locks list whose lock class is not held above them: the
    order in which it first took each class. A class held again lower in the list (nested
    ``rcu_read_lock()``, another instance under a nesting annotation) adds no order lockdep
    keeps: had it recorded ``B -> A`` beside ``A -> B`` it would have reported that cycle, so
    reading it from the list would draw a deadlock the task cannot have.

    >>> from types import SimpleNamespace as E
    >>> [e.lock.name for e in first_taken([E(lock=E(name=n)) for n in "ABAC"])]
    ['A', 'B', 'C']
    """
    seen: set[str] = set()
    out = []
    for entry in held:
        if entry.lock.name not in seen:
            seen.add(entry.lock.name)
            out.append(entry)
    return out


class LockGraph(DependencyGraph):
    """Lock classes (nodes, named as lockdep prints them) and dependencies (edges).

    Build one with :meth:`from_splats`, :meth:`from_proc_lockdep` or
    :meth:`from_orderings`, merge with ``|``; ask it for :meth:`cycles`,
    :meth:`what_if`, :meth:`neighbourhood`, :meth:`suggest_order`.

    Attributes
    ----------
    identity : str
        The lock identity its node names follow (one of :data:`IDENTITIES`).
    problems : list of ParseError
        Input lines that could not be read and were left out (each names its file
        and line); empty for clean input. ``strict=True`` builders raise instead.

    Examples
    --------
    >>> g = LockGraph.from_splats(parse(seed_text))
    >>> g.nx.number_of_nodes() >= 4
    True
    >>> g.has_dependency("kvm_lock", "&kvm->slots_lock")
    True
    """

    @classmethod
    def from_splats(cls, splats: Iterable[Splat] | Splat, *, held_locks: bool = True,
                    identity: str = "auto", origin: str | None = None) -> LockGraph:
        """Merge the dependencies every splat asserts into one graph.

        Chain entries give recorded dependencies (and the new one that closes the
        cycle); with ``held_locks`` (the default) each held-locks list gives ``held``
        dependencies too, in the order the task first took each class (:func:`first_taken`). With ``identity="auto"``, one splat keeps names
        exactly as printed and several splats are merged without ``#N`` versions.
        ``origin`` names the file the splats were read from, in every piece of
        evidence (``Evidence.origin``; with its ``line_no``, where to look).

        >>> g = LockGraph.from_splats(parse(seed_text), origin="seed.txt")
        >>> [(ev.origin, ev.line_no, ev.chain_index) for ev in g.evidence("cpu_hotplug_lock", "kvm_lock")]
        [('seed.txt', 16, 3)]
        """
        splats = [splats] if isinstance(splats, Splat) else list(splats)
        if identity == "auto" and len(splats) > 1:
            identity = "unversioned"
        g = cls(identity=identity)
        for number, splat in enumerate(splats):
            for lock in (splat.acquiring, splat.holding, *(e.lock for e in splat.chain)):
                if lock is not None:
                    g.add_lock(lock.name, usage=lock.usage, wait=lock.wait_text)
            for held, acquired, entry in splat.dependencies():
                g.add_evidence(held, acquired, Evidence(
                    source="new" if entry.index == 0 else "recorded",
                    splat=number, title=splat.title, chain_index=entry.index,
                    frames=entry.frames, line_no=entry.line_no, origin=origin))
            if held_locks:
                for h in splat.held_locks:
                    g.add_lock(h.lock.name, usage=h.lock.usage, wait=h.lock.wait_text)
                order = first_taken(splat.held_locks)
                for before, after in zip(order, order[1:]):
                    g.add_evidence(before.lock.name, after.lock.name, Evidence(
                        source="held", splat=number, title=splat.title, line_no=after.lock.line_no,
                        origin=origin))
        return g

    @classmethod
    def from_proc_lockdep(cls, text_or_path: str | Path, *, chains: str | Path | None = None,
                          identity: str = "auto", strict: bool = False, origin: str | None = None) -> LockGraph:
        """The dependencies of a ``/proc/lockdep`` dump (and optionally ``/proc/lockdep_chains``).

        Parameters
        ----------
        text_or_path : str or Path
            The text of ``/proc/lockdep`` (``cat /proc/lockdep``), or a path to a file holding it.
        chains : str or Path, optional
            The text of (or a path to) ``/proc/lockdep_chains`` from the same boot.
        identity : {"auto", "exact", "unversioned", "base"}
            Lock identity; ``auto`` keeps names exact (a dump is one boot).
        strict : bool
            Raise the first :class:`ParseError` instead of collecting it in ``g.problems``.
        origin : str, optional
            The name its problems and evidence give for the dump (a file name, ``<stdin>``);
            default the path, or ``<proc/lockdep>`` for text.

        Raises
        ------
        ParseError
            With ``strict=True``, on the first line that is not /proc/lockdep's format.

        Examples
        --------
        >>> g = LockGraph.from_proc_lockdep("ffffffff82a5f1d8 FD:    1 BD:    1 +.+.: a\\n -> [ffffffff82a60e20] b\\n")
        >>> g.has_dependency("a", "b"), g.problems
        (True, [])
        >>> LockGraph.from_proc_lockdep("ffffffff82a5f1d8 FD:    1 BD", strict=True)
        Traceback (most recent call last):
        ...
        splatkit.errors.ParseError: <proc/lockdep>:1: unreadable line; expected a lock class line like 'ffffffff82a5f1d8 FD:   37 BD:    1 +.+.: cgroup_mutex', got: 'ffffffff82a5f1d8 FD:    1 BD'
        """
        from .proc import read_lockdep

        text, source = _read_input(text_or_path, "<proc/lockdep>")
        source = source if origin is None else origin
        g = cls(identity=identity)
        # Hundreds of thousands of small objects and no reference cycles among them: the
        # cyclic garbage collector would run dozens of times for nothing (2.5x the load time).
        collecting = gc.isenabled()
        gc.disable()
        try:
            dump = read_lockdep(text, source=source, strict=strict)
            g.problems.extend(dump.problems)
            for cls_ in dump.classes:
                g.add_lock(cls_.name, usage=cls_.usage, key=cls_.key)
            fields = {f: getattr(Evidence("proc"), f) for f in Evidence.__dataclass_fields__}
            fields.update(title=source, origin=source)
            g.add_evidence_many((cls_.name, dep.name, Evidence._bulk(fields, line_no=dep.line_no))
                                for cls_ in dump.classes for dep in cls_.dependencies)
        finally:
            if collecting:
                gc.enable()
        if chains is not None:
            g = g | cls.from_proc_lockdep_chains(chains, identity=g.identity, strict=strict)
        return g

    @classmethod
    def from_proc_lockdep_chains(cls, text_or_path: str | Path, *, identity: str = "auto",
                                 strict: bool = False, origin: str | None = None) -> LockGraph:
        """The held-lock orders of ``/proc/lockdep_chains``: consecutive classes of a chain.

        Each chain lists the classes one task held at once, outermost first, so each
        consecutive pair is a ``chain`` dependency (``chain_index`` = the chain's number).
        ``origin`` names the dump in problems and evidence, as for :meth:`from_proc_lockdep`.

        >>> g = LockGraph.from_proc_lockdep_chains("irq_context: 0\\n[ffffffff82a5f1d8] a\\n[ffffffff82a60e20] b\\n")
        >>> [(ev.source, ev.chain_index) for ev in g.evidence("a", "b")]
        [('chain', 0)]
        """
        from .proc import read_lockdep_chains

        text, source = _read_input(text_or_path, "<proc/lockdep_chains>")
        source = source if origin is None else origin
        g = cls(identity=identity)
        dump = read_lockdep_chains(text, source=source, strict=strict)
        g.problems.extend(dump.problems)
        for number, chain in enumerate(dump.chains):
            for name, _ in chain.locks:
                g.add_lock(name)
            for (held, _), (acquired, line_no) in zip(chain.locks, chain.locks[1:]):
                g.add_evidence(held, acquired, Evidence("chain", title=source, chain_index=number,
                                                        line_no=line_no, origin=source))
        return g

    @classmethod
    def from_orderings(cls, text_or_path: str | Path, *, name: str | None = None, identity: str = "auto",
                       strict: bool = False) -> LockGraph:
        """The dependencies a person declared, one ``A -> B [@ label]`` per line.

        The format is :class:`splatkit.analysis.orderfile.Ordering`'s; removal and
        split lines are refused here (they only make sense against a graph: use
        :meth:`with_ordering`).

        >>> g = LockGraph.from_orderings("# KVM\\ncpu_hotplug_lock -> kvm_lock @ hardware_enable_all\\n")
        >>> [(ev.source, ev.label, ev.line_no) for ev in g.evidence("cpu_hotplug_lock", "kvm_lock")]
        [('declared', 'hardware_enable_all', 2)]
        """
        text, source = _read_input(text_or_path, "<orderings>")
        ordering = Ordering.parse(text, name=name or source, source=source, strict=strict)
        if ordering.removals or ordering.splits:
            step = (ordering.removals or ordering.splits)[0]
            raise ParseError("removal and split lines need a graph to apply to; use g.with_ordering()",
                             source=source, line_no=step.line_no, line=step.text)
        return cls(identity=identity).with_ordering(ordering)

    # -- questions (delegating to splatkit.analysis) -------------------------------------

    def cycles(self, *, max_length: int | None = None, limit: int | None = MAX_CYCLES) -> Cycles:
        """The elementary cycles of at most ``max_length`` locks, shortest first, with their evidence;
        at most ``limit`` of them (``.complete`` and ``.note`` say when there are more).

        See :func:`splatkit.analysis.cycles.bounded_cycles`.
        """
        return bounded_cycles(self, max_length=max_length, limit=limit)

    def cycle_through(self, held: str, acquired: str) -> Cycle:
        """The shortest cycle through the dependency ``held -> acquired``; raises :class:`NoCycle`.

        See :func:`splatkit.analysis.cycles.find_cycle_through`.
        """
        return find_cycle_through(self, held, acquired)

    def what_if(self, held: str, acquired: str, *, op: str | None = None, limit: int = 10,
                max_length: int | None = None) -> list[Cycle]:
        """The cycles a new dependency ``held -> acquired`` would close (empty when it is safe).

        See :func:`splatkit.analysis.whatif.what_if`.
        """
        return what_if(self, held, acquired, op=op, limit=limit, max_length=max_length)

    def neighbourhood(self, lock: str, radius: int = 1, *, max_nodes: int = 200) -> LockGraph:
        """The locks within ``radius`` dependencies of ``lock`` (either way), for drawing.

        See :func:`splatkit.analysis.whatif.neighbourhood`.
        """
        return neighbourhood(self, lock, radius, max_nodes=max_nodes)

    def suggest_order(self, *, exact_max: int = 12,
                      key: Callable[[str], Any] | None = None) -> OrderSuggestion:
        """A total order of the lock classes agreeing with the most evidence.

        See :func:`splatkit.analysis.suggest.suggest_order`.
        """
        return suggest_order(self, exact_max=exact_max, key=key)

    def with_ordering(self, ordering: Ordering | str) -> LockGraph:
        """A new graph with ``ordering`` applied (this graph is left as it is).

        See :func:`splatkit.analysis.ordering.apply_ordering`.
        """
        return apply_ordering(self, ordering)
