"""Named regex fragments shared by every grammar, and the one ``compile()`` that expands them.

A grammar entry writes ``{LOCKDESC}`` or ``{TASK}`` instead of repeating a
fragment, as syzkaller's report table writes ``{{FUNC}}``.
"""

from __future__ import annotations

import re

__all__ = ["FRAGMENTS", "MAX_LINE", "compile", "expand", "unnamed"]

#: Lines longer than this are never matched against structured grammars: they are
#: reported as unrecognised instead, so that no regex ever runs on megabytes of text.
MAX_LINE = 4096

FRAGMENTS: dict[str, str] = {
    # A lockdep usage string: 4 (2.6.18-2.6.29, 4.14+), 6 (2.6.30-4.13) or 8 characters.
    "USAGE": r"[-+.?]{4,8}",
    # Wait types (5.7+): -{outer:inner}.
    "WAIT": r"-\{(?P<wait_outer>\d+):(?P<wait_inner>\d+)\}",
    # A lock class name printed alone: blanks only inside parentheses, as in a name stringified
    # from an expression ("per_cpu_ptr(&cgroup_rstat_cpu_lock, cpu)"), up to two levels deep
    # ("(work_completion)(&(&x->y)->work)"); a sentence is not a class name.
    "CLASSNAME": r"(?:[^\s()]|\((?:[^()]|\([^()]*\))*\))+",
    # Instance address: raw or hashed pointer, or a placeholder early in boot.
    "INST": r"(?:[0-9a-f]{8,16}|\(____ptrval____\)|\(ptrval\))",
    # A task: comm and pid, split on the last '/'. A comm is at most 15 characters
    # (TASK_COMM_LEN), and may hold blanks and '/' ("CPU 0/KVM/1537", "kbnepd bnep0/2098"); so
    # a rule before it ("------ syz/2181 is trying...") is never read into it.
    "TASK": r"(?P<comm>\S.{0,14})/(?P<pid>\d+)",
    # print_tainted(): "Not tainted", or one letter per taint flag set, blanks for those unset
    # ("Tainted: G        W  OE"), and the rule some distributions append ("--------- ---").
    "TAINT": r"Not tainted|Tainted:(?: +[A-Z]+)*(?: +-+)*",
    # The arrow between the names of "Chain exists of:", and the one that opens a chain entry:
    # a blog or a page may have rewritten them as arrows of one character.
    "NAMESARROW": "(?:-->|\u2192|\u27f6)",
    "ENTRYARROW": "(?:->|\u2192)",
    # The hardirq/softirq context flags printed by inconsistent-state and irq reports.
    "IRQFLAGS": r"(?P<irqflags>\[HC(?P<hc>\d)\[(?P<hcn>\d+)\]:SC(?P<sc>\d)\[(?P<scn>\d+)\]:HE(?P<he>\d):SE(?P<se>\d)\])",
}


def expand(pattern: str) -> str:
    """``pattern`` with each ``{NAME}`` replaced by ``FRAGMENTS[NAME]``.

    >>> expand(r"^{USAGE}$")
    '^[-+.?]{4,8}$'
    """
    return re.sub(r"\{([A-Z]+)\}", lambda m: FRAGMENTS[m.group(1)], pattern)


def compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """Compile ``pattern`` after replacing each ``{NAME}`` by ``FRAGMENTS[NAME]``.

    >>> compile(r"^{USAGE}$").match("+.+.") is not None
    True
    """
    return re.compile(expand(pattern), flags)


_NAMED_GROUP = re.compile(r"\(\?P<\w+>")


def unnamed(pattern: str) -> str:
    """``pattern`` with its named groups made plain groups: one regex cannot hold two groups
    of one name, so regexes combined into one alternation lose their names.

    >>> unnamed(r"(?P<a>x)|(?P<a>y)")
    '(?:x)|(?:y)'
    """
    return _NAMED_GROUP.sub("(?:", pattern)
