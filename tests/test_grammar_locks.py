"""The lock-name grammar: the code that reads names and lock lines fast reads them as the
grammar's regexes do (``LOCK_NAME``, ``LOCK_DESC``), on every lock of the corpus and on
generated names and lines."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

import splatkit
from conftest import corpus_files, read_log
from splatkit.grammar.locks import LOCK_DESC, LOCK_NAME, match_lock_desc, split_name
from splatkit.lines import normalize


def split_name_by_regex(name: str) -> tuple[str, int | None, int | None]:
    """What :data:`LOCK_NAME` says of ``name`` (the definition split_name follows)."""
    m = LOCK_NAME.match(name)
    assert m is not None  # the pattern matches every string
    base = m.group("base")
    if not base:
        return name, None, None
    version, subclass = m.group("version", "subclass")
    return base, int(version) if version else None, int(subclass) if subclass else None


#: Characters that make names interesting: the separators, digits (a non-ASCII one too),
#: and the text of real class names.
_NAME_CHARS = st.sampled_from(list("ab&->_.#/0129 \n\u0663()"))


@settings(max_examples=3000, derandomize=True, database=None)
@given(st.text(alphabet=_NAME_CHARS, max_size=14))
def test_split_name_follows_lock_name_regex(name):
    assert split_name(name) == split_name_by_regex(name)


def test_split_name_on_corpus_locks(corpus_dir):
    names = set()
    for name in corpus_files():
        for splat in splatkit.parse(read_log(corpus_dir / "report" / name)):
            names.update(lock.name for lock in _locks(splat))
    assert len(names) > 50
    assert any("#" in name for name in names) and any("/" in name for name in names)
    for name in sorted(names):
        assert split_name(name) == split_name_by_regex(name), name


def _locks(splat: splatkit.Splat):
    for lock in (splat.acquiring, splat.holding):
        if lock is not None:
            yield lock
    yield from (entry.lock for entry in splat.chain)
    yield from (held.lock for held in splat.held_locks)
    yield from (lock for _, lock in splat.other_locks)


def desc_by_regex(text: str):
    """What :data:`LOCK_DESC` reads: (instance, name, usage, wait, at) or None."""
    m = LOCK_DESC.match(text)
    return None if m is None else m.group("inst", "name", "usage", "wait_outer", "wait_inner", "at")


def desc_by_code(text: str):
    found = match_lock_desc(text)
    if found is None:
        return None
    inst, name, tail = found
    at = tail.group("at")
    return (inst, name, *tail.group("usage", "wait_outer", "wait_inner"), None if at is None else at.rstrip())


#: Pieces of lock lines, and of text that only looks like one.
_DESC_PIECES = ["ffff888012345678 ", "(____ptrval____) ", "(ptrval)", " ", "  ", "\t", "(", ")", "(", ")", "{", "}",
                "){", "+.+.", "-.-.", "....", "+.+.+.", "-{3:3}", "-{2:2}", ", at: ", "f+0x1/0x2", " [kvm]", "&",
                "->", "#3", "/1", "x", "\n", ":", "0"]


def test_lock_desc_code_follows_lock_desc_regex():
    # A fixed loop rather than hypothesis: it must meet enough texts that are lock descriptions.
    rng = random.Random(7)
    matched = 0
    for _ in range(30000):
        text = "".join(rng.choice(_DESC_PIECES) for _ in range(rng.randrange(2, 14)))
        if rng.random() < 0.5:  # a description with noise around it
            text = rng.choice(["", "ffff8880 ", "(ptrval) "]) + "(" + text + "){+.+.}" + rng.choice(
                ["", "-{3:3}", ", at: ", ", at: g+0x1/0x2  ", "  "]) + text[: rng.randrange(3)]
        expected = desc_by_regex(text)
        assert desc_by_code(text) == expected, text
        matched += expected is not None
    assert matched > 5000


def test_lock_desc_code_on_corpus_lines(corpus_dir):
    seen = 0
    for name in corpus_files():
        for line in normalize(read_log(corpus_dir / "report" / name)):
            text = line.text.split(":", 1)[1] if line.text.lstrip().startswith("#") else line.text
            assert desc_by_code(text) == desc_by_regex(text), text
            seen += desc_by_regex(text) is not None
    assert seen > 200
