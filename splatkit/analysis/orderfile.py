"""The ordering format: one lock-order statement per line, as a kernel developer writes them.

A kernel developer's question after a splat is about orderings: "we take A inside
B here, this patch takes B inside A there: which is safe?". An :class:`Ordering`
is a named list of such statements, written one per line::

    # a comment: from '#' at the start of a line, or after a blank, to the end
    cpu_hotplug_lock -> kvm_lock                   B (kvm_lock) is taken while A is held
    cpu_hotplug_lock -> kvm_lock @ hardware_enable_all     ... by that code (a label)
    kvm_lock -> cpu_hotplug_lock (read) @ cpuhp_setup_state ... for read (cpus_read_lock)
    - cpu_hotplug_lock -> kvm_lock                 the code no longer does it: drop the edge
    - cpu_hotplug_lock -> kvm_lock @ kvm_dev_ioctl ... drop only the evidence from that code
    split kvm_lock: kvm_usage_lock at hardware_enable_all, hardware_disable_all
                                                   those sites take a new lock instead

Lock names are lockdep's (they may contain ``->`` and ``#``, never `` -> `` or `` #``; never
``@``, a word ``at`` or a final `` (word)``): a name with one of those is a typo of the rest
of the line (``(raed)``, ``at site`` for ``@ site``, ``@site``, ``split A : B``) and the line
is an error, never read as a new lock. A line in none of these forms is a
:class:`~splatkit.errors.ParseError` naming the file and line, collected in ``problems``
(``strict=True`` raises it) while the other lines still apply.
:func:`splatkit.analysis.ordering.apply_ordering` applies the statements to a graph.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import ParseError

if TYPE_CHECKING:
    from ..depgraph import DependencyGraph

__all__ = ["FORMS", "Declare", "Ordering", "Remove", "Split"]

_COMMENT = re.compile(r"(?:^|\s)#(?!\S*\))")
_EDGE = re.compile(r"^(?P<held>\S.*?) -> (?P<acquired>\S.*?)(?P<read> \(read\))?(?: @ (?P<label>\S.*?))?$")
_SPLIT = re.compile(r"^split (?P<lock>\S.*?): (?P<new>\S.*?) at (?P<sites>\S.*)$")
FORMS = ("'A -> B', 'A -> B @ site', 'A -> B (read) @ site', '- A -> B [@ site]' "
         "or 'split A: NEW at site1, site2'")


@dataclass(frozen=True)
class Declare:
    """``held -> acquired [(read)] [@ label]``: the code takes ``acquired`` while holding ``held``."""

    held: str
    acquired: str
    label: str | None
    op: str | None
    """``rlock`` with ``(read)``, else None (not said)."""
    line_no: int
    text: str


@dataclass(frozen=True)
class Remove:
    """``- held -> acquired [@ label]``: the dependency (or its evidence at ``label``) goes away."""

    held: str
    acquired: str
    label: str | None
    line_no: int
    text: str


@dataclass(frozen=True)
class Split:
    """``split lock: new at site, ...``: those sites take ``new`` instead of ``lock``."""

    lock: str
    new: str
    sites: tuple[str, ...]
    line_no: int
    text: str


def _strip_comment(line: str) -> str:
    m = _COMMENT.search(line)
    return (line[:m.start()] if m else line).strip()


@dataclass
class Ordering:
    """A named set of lock-order statements: declared edges, removals, lock splits.

    Build one with :meth:`parse`; apply it with ``g.with_ordering(o)``.

    Examples
    --------
    >>> o = Ordering.parse("kvm_lock -> cpu_hotplug_lock (read) @ hardware_enable_all\\n"
    ...                    "- cpu_hotplug_lock -> kvm_lock  # the old order\\n", name="patch")
    >>> [(type(s).__name__, s.held, s.acquired) for s in o.steps]
    [('Declare', 'kvm_lock', 'cpu_hotplug_lock'), ('Remove', 'cpu_hotplug_lock', 'kvm_lock')]
    >>> print(Ordering.parse("kvm_lock => cpu_hotplug_lock", source="typo.txt").problems[0])
    typo.txt:1: not an ordering line; expected 'A -> B', 'A -> B @ site', 'A -> B (read) @ site', '- A -> B [@ site]' or 'split A: NEW at site1, site2', got: 'kvm_lock => cpu_hotplug_lock'
    """

    name: str
    steps: tuple[Declare | Remove | Split, ...]
    problems: list[ParseError] = field(default_factory=list)
    source: str | None = None
    text: str = ""

    @classmethod
    def parse(cls, text: str, *, name: str | None = None, source: str | None = None,
              strict: bool = False) -> Ordering:
        """Read an ordering (format in the module docstring).

        Parameters
        ----------
        text : str
            One statement per line.
        name : str, optional
            What to call it (``compare`` rows, evidence titles); default ``source`` or ``ordering``.
        source : str, optional
            File name errors should give.
        strict : bool
            Raise the first bad line instead of collecting it in ``problems``.

        Raises
        ------
        ParseError
            With ``strict=True``, for the first line in none of the forms.
        """
        steps: list[Declare | Remove | Split] = []
        problems: list[ParseError] = []
        for no, raw in enumerate(text.splitlines(), 1):
            line = _strip_comment(raw)
            if not line:
                continue
            step = _parse_line(line, no, raw)
            if isinstance(step, tuple):
                message, expected = step
                error = ParseError(message, source=source, line_no=no, line=raw.strip(), expected=expected)
                if strict:
                    raise error
                problems.append(error)
            else:
                steps.append(step)
        return cls(name or source or "ordering", tuple(steps), problems, source, text)

    @property
    def declared(self) -> list[Declare]:
        """The declared dependencies, in file order."""
        return [s for s in self.steps if isinstance(s, Declare)]

    @property
    def removals(self) -> list[Remove]:
        """The removed dependencies, in file order."""
        return [s for s in self.steps if isinstance(s, Remove)]

    @property
    def splits(self) -> list[Split]:
        """The lock splits, in file order."""
        return [s for s in self.steps if isinstance(s, Split)]

    def locks(self) -> list[str]:
        """Every lock name the ordering mentions, sorted."""
        names: set[str] = set()
        for s in self.steps:
            names.update((s.lock, s.new) if isinstance(s, Split) else (s.held, s.acquired))
        return sorted(names)

    def unknown_locks(self, G: DependencyGraph) -> dict[str, list[str]]:
        """Locks ``G`` has never seen, each with the closest known names (a typo shows here).

        >>> o = Ordering.parse("cpu_hotplug_lock -> kvm_lokc")
        >>> o.unknown_locks(LockGraph.from_splats(parse(seed_text)))
        {'kvm_lokc': ['kvm_lock']}
        """
        known = [str(n) for n in G.nx.nodes]
        return {name: difflib.get_close_matches(name, known, n=3) for name in self.locks()
                if name not in G.nx and G.key(name) not in G.nx}


def _parse_line(line: str, no: int, raw: str) -> Declare | Remove | Split | tuple[str, str]:
    """The statement on a line (comment stripped), or (what is wrong with it, the form expected)."""
    if line.startswith("split "):
        return _parse_split(line, no, raw)
    remove = line.startswith("- ")
    m = _EDGE.match(line[2:].strip() if remove else line)
    if m is None or " -> " in m.group("acquired") or m.group("held").startswith("-"):
        return "not an ordering line", FORMS
    held, acquired, label = m.group("held", "acquired", "label")
    form = _REMOVE_FORM if remove else _DECLARE_FORM
    word = held.split(" ", 1)[0]
    if " " in held and word.lower() in _REMOVAL_WORDS:
        return f"not an ordering line: {word!r} is no keyword; a removal is written '- A -> B'", _REMOVE_FORM
    for name in (held, acquired):
        problem = _name_problem(name)
        if problem is not None:
            return f"not an ordering line: {problem}", form
    if label is not None and ("@" in label or " " in label):
        return f"not an ordering line: one site per line, a function name ({label!r})", form
    if remove:
        if m.group("read"):
            return "not an ordering line: a removal takes no '(read)' (it removes the dependency however taken)", form
        return Remove(held, acquired, label, no, raw)
    return Declare(held, acquired, label, "rlock" if m.group("read") else None, no, raw)


def _parse_split(line: str, no: int, raw: str) -> Split | tuple[str, str]:
    m = _SPLIT.match(line)
    if m is None:
        if " @ " in line or line.endswith(" @"):
            return "not an ordering line: a split line names its sites after ' at ', not '@'", _SPLIT_FORM
        return "not an ordering line", FORMS
    lock, new, sites = m.group("lock", "new", "sites")
    if lock != lock.rstrip():
        return "not an ordering line: no blank before the ':' of a split line", _SPLIT_FORM
    for name in (lock, new):
        problem = _name_problem(name)
        if problem is not None:
            return f"not an ordering line: {problem}", _SPLIT_FORM
    names = [site.strip() for site in sites.split(",")]
    bad = next((site for site in names if not site or any(c.isspace() or c == "@" for c in site)), None)
    if bad is not None:
        what = "an empty site between commas" if not bad else f"a site is one function name, got {bad!r}"
        return f"not an ordering line: {what}", _SPLIT_FORM
    return Split(lock, new, tuple(names), no, raw)


#: The forms an error about a line of each kind expects.
_DECLARE_FORM = "'A -> B', 'A -> B @ site' or 'A -> B (read) @ site'"
_REMOVE_FORM = "'- A -> B' or '- A -> B @ site'"
_SPLIT_FORM = "'split A: NEW at site1, site2'"
#: Words that start no statement: a lock named 'remove x' is a typo of '- x -> y'.
_REMOVAL_WORDS = frozenset({"remove", "delete", "del", "drop", "rm"})
#: A lock name's last word in parentheses, after a blank: a qualifier, and '(read)' is the only one.
_QUALIFIER = re.compile(r"\s(\([A-Za-z]+\))$")


def _name_problem(name: str) -> str | None:
    """What is wrong with a lock name as written in an ordering, or None.

    Lockdep's class names are C expressions or names a driver gave (``&(&dev->lock)->rlock``,
    ``sb_writers#4``, ``&ACCESS_PRIVATE(ssp->srcu_sup, lock)``): they may hold blanks, but
    no ``@``, no word ``at`` and no `` (word)`` at their end. A name with one of those is the
    rest of the line misread: a misspelt ``(read)``, a site written ``at site`` or ``@site``.

    >>> _name_problem("b (raed)")
    "unknown qualifier '(raed)': the only one is ' (read)'"
    >>> _name_problem("b at f")
    "'at' names a split line's sites; a dependency's site is written ' @ site'"
    >>> _name_problem("&ACCESS_PRIVATE(ssp->srcu_sup, lock)") is None
    True
    """
    if "@" in name:
        if name.rstrip().endswith("@"):
            return "'@' without a site after it"
        return "a site is written ' @ site', with a blank on each side of '@'"
    if name.endswith("(read)") and not name.endswith(" (read)"):
        return "'(read)' goes after the lock name, with a blank before it"
    m = _QUALIFIER.search(name)
    if m is not None:
        if m.group(1) == "(read)":
            return "'(read)' twice"
        return f"unknown qualifier {m.group(1)!r}: the only one is ' (read)'"
    if " at " in f" {name} ":
        return "'at' names a split line's sites; a dependency's site is written ' @ site'"
    if name != name.strip():
        return f"a blank at the start or end of the lock name {name!r}"
    return None
