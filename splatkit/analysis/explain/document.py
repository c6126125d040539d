"""An explanation as data: sections of paragraphs, lists and scenarios, with names marked as code.

Every report kind is explained with the same few building blocks, so that each output
format (plain text for mail, Markdown, HTML) is written once, in :mod:`splatkit.render.explain`,
and never has to know which kind it lays out. Names that come from the splat (lock classes,
functions, files, tasks) are :class:`Code` parts of a paragraph: Markdown puts them in
backticks, HTML escapes them inside ``<code>``, plain text prints them as they are.

>>> p = para("CPU1 waits for ", Code("&kvm->slots_lock"), ".")
>>> plain(p)
'CPU1 waits for &kvm->slots_lock.'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ...model import Frame
from ..acquisitions import Acquisition

__all__ = ["Bullets", "Code", "Dependency", "Explanation", "Paragraph", "Preformatted", "Scenario", "Section",
           "Step", "Wait", "a", "bullets", "para", "plain", "prose"]


class Code(str):
    """A name taken from the splat (lock class, function, file:line, task): untrusted text shown as code."""

    __slots__ = ()


@dataclass(frozen=True)
class Paragraph:
    """Running text: plain strings and :class:`Code` names, in order."""

    parts: tuple[str, ...]

    def __str__(self) -> str:
        return "".join(self.parts)


def para(*parts: str | Paragraph | None) -> Paragraph:
    """A paragraph from strings, :class:`Code` names and other paragraphs (None and "" are skipped)."""
    out: list[str] = []
    for part in parts:
        if isinstance(part, Paragraph):
            out.extend(part.parts)
        elif part:
            out.append(part)
    return Paragraph(tuple(out))


_CALL = re.compile(r"\b(?:[A-Za-z_]\w*)\(\)")


def prose(text: str) -> Paragraph:
    """Running text written as data (a rule, a condition), with each ``function()`` it names
    marked as code, the way names from the splat are.

    >>> prose("use cpus_write_lock() first").parts
    ('use ', 'cpus_write_lock()', ' first')
    """
    parts: list[str] = []
    at = 0
    for m in _CALL.finditer(text):
        parts += [text[at:m.start()], Code(m.group(0))]
        at = m.end()
    parts.append(text[at:])
    return para(*parts)


def plain(paragraph: Paragraph) -> str:
    """The paragraph's text without markup."""
    return "".join(paragraph.parts)


@dataclass(frozen=True)
class Bullets:
    """A list of paragraphs (numbered when ``numbered``)."""

    items: tuple[Paragraph, ...]
    numbered: bool = False


@dataclass(frozen=True)
class Preformatted:
    """Lines laid out by the splat or by lockdep (a one-CPU scenario, a trimmed splat): kept as they are."""

    lines: tuple[str, ...]


@dataclass(frozen=True)
class Step:
    """One step of a scenario: ``cpu`` does ``op(lock)`` (``op`` alone when ``lock`` is None)."""

    number: int
    """1-based, in time order across all CPUs."""
    cpu: int
    op: str
    """``lock`` (exclusive), ``rlock`` (for read), ``sync`` (waits for every holder to let go),
    ``take`` (the splat does not show for read or for write), ``reclaim`` (an allocation entering
    memory reclaim: ``fs_reclaim``), or a bare action of lockdep's
    irq scenarios (``<Interrupt>``, ``local_irq_disable()``)."""
    lock: str | None = None
    site: Frame | None = None
    """The code that takes the lock at this step, when the splat shows it."""
    waits_for: int | None = None
    """The number of the step whose lock this step waits for (the deadlock), if it blocks."""

    @property
    def cell(self) -> str:
        """``op(lock);`` as lockdep prints it in its scenario tables."""
        return f"{self.op}({self.lock});" if self.lock is not None else self.op


@dataclass(frozen=True)
class Scenario:
    """Numbered steps in CPU columns; ``legend`` explains each operation the steps use."""

    cpus: int
    steps: tuple[Step, ...]
    legend: tuple[tuple[str, str], ...] = ()

    def step(self, number: int) -> Step:
        return self.steps[number - 1]


@dataclass(frozen=True)
class Wait:
    """Why one blocking step cannot go on: the step it waits for and the reason, in words."""

    step: int
    holder_step: int
    lock: str
    why: Paragraph


@dataclass(frozen=True)
class Dependency:
    """One dependency of a cycle: ``acquired`` was taken while ``held`` was held."""

    held: str
    acquired: str
    chain_index: int
    new: bool
    """True for the acquisition that triggered the report (chain entry #0)."""
    site: Frame | None
    """The code that established the dependency: the first frame outside the locking API."""
    via: tuple[Frame, ...]
    """The locking-API frames above ``site`` (``mutex_lock_nested``, ``cpus_read_lock``)."""
    acquisition: Acquisition | None
    """How ``acquired`` was taken, read off the stack; None when the stack does not show it."""
    frames: tuple[Frame, ...] = field(default=(), repr=False)
    recorded: str = "acquire"
    """How lockdep recorded it (:func:`splatkit.analysis.acquisitions.recorded_by`): ``acquire``, or
    ``release`` / ``commit`` when the stack is not the acquisition's (``site`` is then None)."""


@dataclass(frozen=True)
class Section:
    """A titled part of an explanation."""

    heading: str
    blocks: tuple[Paragraph | Bullets | Scenario | Preformatted, ...]


@dataclass(frozen=True)
class Explanation:
    """A report explained the way an experienced lockdep reader would write it for a list or a commit.

    ``summary`` says what lockdep found and why it matters; ``sections`` walk through the
    evidence (for a circular report: the waits, the conditions, where each lock was taken);
    ``unknowns`` says what the splat does not show and what the parser could not read;
    ``trimmed`` is the splat cut to what a commit message should quote.
    """

    kind: str
    title: str
    summary: Paragraph
    sections: tuple[Section, ...] = ()
    facts: tuple[tuple[str, str], ...] = ()
    """(label, value) pairs: the kernel and the task that hit the report."""
    conditions: tuple[Paragraph, ...] = ()
    """What must also happen for the problem to bite (a waiting writer, an interrupt, PREEMPT_RT)."""
    unknowns: tuple[Paragraph, ...] = ()
    trimmed: tuple[str, ...] = ()
    cycle: tuple[str, ...] = ()
    dependencies: tuple[Dependency, ...] = ()
    scenario: Scenario | None = None
    waits: tuple[Wait, ...] = ()

    def section(self, heading: str) -> Section | None:
        return next((s for s in self.sections if s.heading == heading), None)


def a(word: str) -> str:
    """The indefinite article for ``word``: ``an rwsem``, ``a mutex``, ``an SRCU``."""
    sounds_vowel = word[:1].lower() in "aeio" or word[:2] in ("rw", "RC", "SR", "fs") or word.startswith("u")
    return f"an {word}" if sounds_vowel else f"a {word}"


def bullets(items: Iterable[Paragraph], *, numbered: bool = False) -> Bullets:
    return Bullets(tuple(items), numbered)
