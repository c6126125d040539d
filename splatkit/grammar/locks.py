"""The lock-name grammar: how lockdep prints a lock class (lockdep-format.md §2).

``print_lock`` prints ``INST (NAME){USAGE}-{O:I}, at: SYM``; ``print_lock_name``
the part in the middle. NAME is ``CLASSNAME[#VERSION][/SUBCLASS]`` and
CLASSNAME can contain anything (parentheses, ``->``, ``:``, spaces), but never a
``){USAGE}``: a name extends to the *first* one on the line (a line a mailer ran into the
next lock line holds two).
"""

from __future__ import annotations

import re

from ..model import LockUse
from . import frames
from .tokens import MAX_LINE, compile

__all__ = ["LOCK_DESC", "LOCK_NAME", "lock_from_name", "match_lock_desc", "parse_lock_desc", "parse_lock_pair",
           "split_name"]

#: A full lock description, with optional instance and ``at:`` suffix (B1 and B3 lines).
LOCK_DESC = compile(
    r"^\s*(?:(?P<inst>{INST})\s+)?\((?P<name>.*?)\)\{(?P<usage>{USAGE})\}(?:{WAIT})?"
    r"(?:, at: (?P<at>.*?))?\s*$"
)

#: LOCK_DESC in two parts, for :func:`match_lock_desc`: what comes before the name, with
#: and without an instance, and what comes after it.
_DESC_HEAD = compile(r"\s*(?:(?P<inst>{INST})\s+)?\(")
_DESC_HEAD_BARE = re.compile(r"\s*\(")
#: (Its ``at`` runs to the line's end: LOCK_DESC's lazy one, without the blanks at the end, is
#: that stripped, without trying every length.)
_DESC_TAIL = compile(r"\)\{(?P<usage>{USAGE})\}(?:{WAIT})?(?:, at: (?P<at>.*))?\s*$")

#: ``#VERSION`` then ``/SUBCLASS`` at the end of a class name.
LOCK_NAME = re.compile(r"(?P<base>.*?)(?:#(?P<version>\d+))?(?:/(?P<subclass>\d+))?\Z", re.S)


def split_name(name: str) -> tuple[str, int | None, int | None]:
    """Split a printed lock name into base name, ``#N`` key version and ``/N`` subclass.

    >>> split_name("&type->s_umount_key#41/1")
    ('&type->s_umount_key', 41, 1)
    >>> split_name("kvm_lock")
    ('kvm_lock', None, None)
    """
    # What LOCK_NAME reads, without its regex (which tries every split of the name, a few
    # microseconds for each of the many names of a report): the shortest base is what is left
    # once a "/N" and then a "#N" are taken off the end.
    base, subclass, version = name, None, None
    head, slash, digits = base.rpartition("/")
    if slash and digits.isdecimal():
        base, subclass = head, int(digits)
    head, hash_, digits = base.rpartition("#")
    if hash_ and digits.isdecimal():
        base, version = head, int(digits)
    if not base:  # a name that is only "#3" or "/1" is not versioned
        return name, None, None
    return base, version, subclass


def match_lock_desc(text: str) -> tuple[str | None, str, re.Match[str]] | None:
    """What :data:`LOCK_DESC` reads in ``text``: (instance, name, match of the part after the
    name, with groups ``usage``, ``wait_outer``, ``wait_inner`` and ``at``, the last with the
    blanks at the line's end); None when LOCK_DESC does not match.

    LOCK_DESC's name is ``.*?``, so its regex tries every end of the name from its start, a
    few microseconds on every lock line. Here only the places where a name can end (a ``){``)
    are tried, from the first one: the same first match.

    >>> inst, name, tail = match_lock_desc("ffff8880 (&(&p->lock)->rlock){-.-.}, at: f+0x1/0x2")
    >>> inst, name, tail.group("usage", "at")
    ('ffff8880', '&(&p->lock)->rlock', ('-.-.', 'f+0x1/0x2'))
    """
    if "\n" in text:  # (the regex's "." stops at a newline: not a line of a report)
        m = LOCK_DESC.match(text)
        return None if m is None else (m.group("inst"), m.group("name"), m)
    # The regex tries the instance first; only when no name end fits after it, the bare form.
    head = _DESC_HEAD.match(text)
    if head is not None:
        found = _name_and_tail(text, head.end())
        if found is not None:
            return head.group("inst"), *found
    head = _DESC_HEAD_BARE.match(text)
    if head is not None:
        found = _name_and_tail(text, head.end())
        if found is not None:
            return None, *found
    return None


def _name_and_tail(text: str, start: int) -> tuple[str, re.Match[str]] | None:
    """The shortest name from ``start`` that :data:`_DESC_TAIL` follows, and that tail."""
    end = text.find("){", start)
    while end >= 0:
        tail = _DESC_TAIL.match(text, end)
        if tail is not None:
            return text[start:end], tail
        end = text.find("){", end + 1)
    return None


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
    found = match_lock_desc(text)
    if found is None:
        return None
    instance, name, m = found
    base, version, subclass = split_name(name)
    usage, wait_outer, wait_inner, at_text = m.group("usage", "wait_outer", "wait_inner", "at")
    if at_text is not None:
        at_text = at_text.rstrip()
    wait = (int(wait_outer), int(wait_inner)) if wait_outer is not None else None
    at = None
    if at_text is not None:
        at = frames.parse_frame(at_text, line_no=line_no)
        if at is None:  # keep an unparsable location as text rather than drop it
            at = frames.raw_frame(at_text, line_no=line_no)
    return LockUse(
        name=name,
        base=base,
        version=version,
        subclass=subclass,
        usage=usage,
        wait=wait,
        instance=instance,
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
