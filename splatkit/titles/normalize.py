"""syzkaller's normalisation of a title: numbers, addresses and names become placeholders.

The last step of a title (syzkaller-titles.md §2.6). Mirrors google/syzkaller
``pkg/report/report.go``, as ``ParseFrom`` applies it: the replacements of
``dynamicTitleReplacement`` (``replaceTable``), each until the title stops changing,
then ``sanitizeTitle`` (at most 120 bytes, printable ASCII, single spaces).
"""

from __future__ import annotations

import re

__all__ = ["MAX_TITLE_BYTES", "TITLE_REPLACEMENTS", "normalize_title"]

#: Title normalisation (``dynamicTitleReplacement``): each replacement is applied until the
#: title stops changing. Two are written differently from upstream to stay linear in time
#: with the same result; see the comments.
TITLE_REPLACEMENTS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.ASCII), replacement) for pattern, replacement in (
        # Executor PIDs are not interesting.
        (r"syz-executor\.?[0-9]+((/|:)[0-9]+)?", "syz-executor"),
        (r"syzkaller[0-9]+((/|:)[0-9]+)?", "syzkaller"),
        # Anything that looks like an address.
        (r"([^a-zA-Z0-9])(?:0x)?[0-9a-f]{6,}", r"\1ADDR"),
        (r"([0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3})", "IP"),
        # Line numbers.
        (r"(\.\w+)(:[0-9]+)+", r"\1:LINE"),
        # "ip6_fragment+0x1052/0x2d80" -> "ip6_fragment". Upstream matches from the first letter
        # of a name, ([a-zA-Z][a-zA-Z0-9_.]+); starting at the start of the run of name
        # characters gives the same text, and tries a long run once instead of once per letter.
        (r"(?<![a-zA-Z0-9_.])([0-9_.]*)([a-zA-Z][a-zA-Z0-9_.]+)\+0x[0-9a-z]+/0x[0-9a-z]+", r"\1\2"),
        (r"CPU#[0-9]+", "CPU"),
        # Any remaining decimal number (may take several passes: "0,1,2").
        (r"(\W)(\d+)(\W|$)", r"\1NUM\3"),
        # Long digit runs inside names. Upstream writes (\d+){7,}, which backtracks exponentially.
        (r"\d{7,}", "NUM"),
    )
)

#: syzkaller keeps only this many bytes of a title (``sanitizeTitle``).
MAX_TITLE_BYTES = 120


def normalize_title(title: str) -> str:
    """syzkaller's normalisation of a title (upstream ``replaceTable`` and ``sanitizeTitle``).

    Addresses become ``ADDR``, line numbers ``LINE``, numbers ``NUM``, executor names
    lose their ids; then the title is cut to 120 bytes, tabs become spaces, control
    and non-ASCII bytes go, and runs of spaces collapse.

    >>> normalize_title("BUG: key ffff888012345678 has not been registered!")
    'BUG: key ADDR has not been registered!'
    >>> normalize_title("BUG: looking up invalid subclass: 8")
    'BUG: looking up invalid subclass: NUM'
    """
    digits = _DIGIT.search(title) is not None
    for (pattern, replacement), needed in zip(TITLE_REPLACEMENTS, _REPLACEMENT_NEEDS):
        if needed is not None and not (digits and needed in title):
            continue
        while True:
            replaced = pattern.sub(replacement, title)
            if replaced == title:
                break
            title = replaced
    if title.isascii() and title.isprintable():
        # The common case, read as text: one byte per character, no tab, nothing to drop.
        title = title[:MAX_TITLE_BYTES]
        return (_SPACES_TEXT.sub(" ", title) if "  " in title else title).strip()
    # Tabs become spaces, other control bytes and non-ASCII ones go, runs of spaces collapse.
    data = title.encode("utf-8", errors="replace")[:MAX_TITLE_BYTES].replace(b"\t", b" ")
    return _SPACES.sub(b" ", data.translate(None, _UNPRINTABLE)).decode("ascii").strip()


#: For each of TITLE_REPLACEMENTS, a text that every match of it holds, or None: a rule is not
#: run on a title without that text. All but the address rule (None) need a digit as well
#: ("+0x", ":[0-9]+", "CPU#[0-9]+", "\\d"...), and the address rule writes none ("ADDR" after a
#: character that is not one), so on a title without digits only the address rule is run.
_REPLACEMENT_NEEDS: tuple[str | None, ...] = ("syz-executor", "syzkaller", None, ".", ":", "+0x", "CPU#", "", "")
assert len(_REPLACEMENT_NEEDS) == len(TITLE_REPLACEMENTS)
assert all(needed is None or needed in pattern.pattern.replace("\\", "")
           for (pattern, _), needed in zip(TITLE_REPLACEMENTS, _REPLACEMENT_NEEDS))
_DIGIT = re.compile("[0-9]")

#: The bytes a sanitized title drops (a tab is made a space first). For printable ASCII text,
#: str.isprintable is true exactly on the characters kept (0x20-0x7E).
_UNPRINTABLE = bytes(range(0x20)) + bytes(range(0x7F, 0x100))
_SPACES = re.compile(b" {2,}")
_SPACES_TEXT = re.compile(" {2,}")
