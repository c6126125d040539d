"""The lock-name grammar: how lockdep prints a lock class (lockdep-format.md §2).

``print_lock`` prints ``INST (NAME){USAGE}-{O:I}, at: SYM``; ``print_lock_name``
the part in the middle. NAME is ``CLASSNAME[#VERSION][/SUBCLASS]`` and
CLASSNAME can contain anything (parentheses, ``->``, ``:``, spaces), so a name
always extends to the *last* ``){USAGE}`` on the line.
"""

from __future__ import annotations

import re

from ..model import LockUse
from . import frames
from .tokens import MAX_LINE, compile

__all__ = ["LOCK_DESC", "LOCK_NAME", "lock_from_name", "parse_lock_desc", "parse_lock_pair", "split_name"]

#: A full lock description, with optional instance and ``at:`` suffix (B1 and B3 lines).
LOCK_DESC = compile(
    r"^\s*(?:(?P<inst>{INST})\s+)?\((?P<name>.*)\)\{(?P<usage>{USAGE})\}(?:{WAIT})?"
    r"(?:, at: (?P<at>.*?))?\s*$"
)

#: ``#VERSION`` then ``/SUBCLASS`` at the end of a class name.
LOCK_NAME = re.compile(r"^(?P<base>.*?)(?:#(?P<version>\d+))?(?:/(?P<subclass>\d+))?$", re.S)


def split_name(name: str) -> tuple[str, int | None, int | None]:
    """Split a printed lock name into base name, ``#N`` key version and ``/N`` subclass.

    >>> split_name("&type->s_umount_key#41/1")
    ('&type->s_umount_key', 41, 1)
    >>> split_name("kvm_lock")
    ('kvm_lock', None, None)
    """
    m = LOCK_NAME.match(name)
    assert m is not None  # the pattern matches every string
    base = m.group("base")
    if not base:  # a name that is only "#3" or "/1" is not versioned
        return name, None, None
    version = int(m.group("version")) if m.group("version") else None
    subclass = int(m.group("subclass")) if m.group("subclass") else None
    return base, version, subclass


def lock_from_name(name: str, *, line_no: int | None = None) -> LockUse:
    """A :class:`LockUse` for a bare name (scenario lines, ``Chain exists of:``)."""
    base, version, subclass = split_name(name)
    return LockUse(name=name, base=base, version=version, subclass=subclass, line_no=line_no)


def parse_lock_desc(text: str, line_no: int | None = None) -> LockUse | None:
    """Parse ``[INST ](NAME){USAGE}[-{O:I}][, at: SYM]``; None when ``text`` is not one.

    (``line_no`` may be passed by position: ``sections.RULES["lock"]`` is this function.)

    >>> lock = parse_lock_desc("ffffffffc06ccba8 (kvm_lock){+.+.}-{3:3}, at: set_nx_huge_pages+0x14a/0x1e0 [kvm]")
    >>> lock.name, lock.usage, lock.wait, lock.at.function
    ('kvm_lock', '+.+.', (3, 3), 'set_nx_huge_pages')
    """
    if len(text) > MAX_LINE:
        return None
    m = LOCK_DESC.match(text)
    if m is None:
        return None
    name = m.group("name")
    base, version, subclass = split_name(name)
    wait = None
    if m.group("wait_outer") is not None:
        wait = (int(m.group("wait_outer")), int(m.group("wait_inner")))
    at = None
    if m.group("at") is not None:
        at = frames.parse_frame(m.group("at"), line_no=line_no)
        if at is None:  # keep an unparsable location as text rather than drop it
            at = frames.raw_frame(m.group("at"), line_no=line_no)
    return LockUse(
        name=name,
        base=base,
        version=version,
        subclass=subclass,
        usage=m.group("usage"),
        wait=wait,
        instance=m.group("inst"),
        at=at,
        line_no=line_no,
    )


#: Where two B3 descriptions meet on a "which would create a new lock dependency:" line.
_PAIR_JOIN = re.compile(r"\}(?:-\{\d+:\d+\})? -> \(")


def parse_lock_pair(text: str, *, line_no: int | None = None) -> tuple[LockUse, LockUse] | None:
    """Parse `` (PREV){USAGE}[-{O:I}] -> (NEXT){USAGE}[-{O:I}]``; None when ``text`` is not one.

    Names may themselves contain ``->``, so every join point is tried.

    >>> prev, next_ = parse_lock_pair(" (&(&m->tree_lock)->rlock){-.-.} -> (&(&i->lock)->rlock){+.+.}")
    >>> prev.name, next_.name
    ('&(&m->tree_lock)->rlock', '&(&i->lock)->rlock')
    """
    if len(text) > MAX_LINE:
        return None
    for m in _PAIR_JOIN.finditer(text):
        cut = m.start() + m.group(0).index(" -> ")
        prev = parse_lock_desc(text[:cut], line_no=line_no)
        if prev is None or prev.at is not None:
            continue
        nxt = parse_lock_desc(text[cut + len(" -> "):], line_no=line_no)
        if nxt is not None and nxt.at is None:
            return prev, nxt
    return None
