"""``splatkit show``: a terminal summary of every report in each FILE.

Per report: its kind and span, the syzbot-style title, the task and kernel, the locks it
names (acquiring, holding, the chain, the held locks and the other locks some kinds name),
the cycle when the report shows one whole, and the parser's notes. A cycle the report does
not show whole is said to be unknown, never shown in part.

Every string that comes from the input is printed with its control characters escaped
(``\\x1b`` as the four characters ``\\x1b``): a log must not drive the terminal. Colour
(ANSI) only when standard output is a terminal and ``NO_COLOR`` is not set, or with
``--color always``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import textwrap
from collections.abc import Iterable, Sequence

from ..analysis.cycles import Cycle
from ..errors import SplatkitError
from ..graph import LockGraph
from ..model import Frame, HeldLock, LockUse, Splat
from .io import say, write_stdout
from .symbols import add_symbol_options, symbolized
from .reports import add_choice_options, choose, load

HELP = "summarise every report in each FILE: kind, title, task, locks, cycle, notes"
DESCRIPTION = f"""\
{HELP}.

For each report: its kind and where it is in the file, the title syzbot gives
it, the task, the locks it names (acquiring, holding, the dependency chain, the
held locks), the dependency cycle when the report shows it whole, and the notes
on what the parser could not read or had to guess. A cycle the report does not
show whole is said to be unknown.

Colour is used when standard output is a terminal and NO_COLOR is not set
(--color auto), or always, or never."""

#: The most entries a list of locks shows (the rest are counted); 'splatkit json' has all.
MAX_ITEMS = 12
#: The most cycles the search of one report's chain lists (it has one when read whole).
CYCLE_LIMIT = 10

#: ANSI styles (SGR parameters) by what they mark.
STYLES = {"file": "1", "kind": "1;35", "title": "1", "label": "36", "cycle": "1;31", "unknown": "33",
          "note": "33", "dim": "2"}


def register(add) -> None:
    p = add("show", HELP, cmd_show, file_optional=False, many=True)
    p.description = DESCRIPTION
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="colour the output: auto (a terminal without NO_COLOR), always or never")
    add_choice_options(p, every=True)
    add_symbol_options(p)


def use_colour(choice: str, stream=None) -> bool:
    """Whether to colour: ``always``, ``never``, or (``auto``) when ``stream`` is a terminal and
    ``NO_COLOR`` is unset or empty (https://no-color.org)."""
    if choice != "auto":
        return choice == "always"
    stream = sys.stdout if stream is None else stream
    if os.environ.get("NO_COLOR"):
        return False
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


#: Characters a terminal acts on rather than shows: C0 and C1 controls, DEL, and the
#: bidirectional overrides that reorder what is shown.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\t\n\r]")


def plain(text: str) -> str:
    r"""``text`` with every control character written as an escape (``\x1b``), so that
    printing it cannot move the cursor, change colours or reorder the line.

    >>> plain("lock\x1b[31m")
    'lock\\x1b[31m'
    """
    return _CONTROL.sub(lambda m: ascii(m.group())[1:-1], text)


class _Out:
    """The lines of the summary, coloured or not, filled to ``width`` columns."""

    def __init__(self, colour: bool, width: int) -> None:
        self.colour, self.width = colour, max(width, 40)
        self.lines: list[str] = []

    def style(self, text: str, what: str) -> str:
        return f"\x1b[{STYLES[what]}m{text}\x1b[0m" if self.colour and text else text

    def line(self, text: str = "") -> None:
        self.lines.append(text)

    def field(self, label: str, pieces: Iterable[str], *, sep: str = ", ", what: str | None = None,
              prose: bool = False) -> None:
        """``label: pieces`` with continuation lines under the first piece; ``pieces`` are
        never cut (a lock name with blanks stays on one line) unless ``prose``."""
        head = f"    {label + ':' if label else '':<11}"
        room = self.width - len(head)
        if prose:
            rows = textwrap.wrap(sep.join(pieces), room, break_long_words=False, break_on_hyphens=False) or [""]
        else:
            rows = _fill(list(pieces), sep, room)
        for i, row in enumerate(rows):
            prefix = self.style(head.rstrip(), "label") + head[len(head.rstrip()):] if i == 0 and label else " " * len(head)
            self.lines.append(prefix + (self.style(row, what) if what else row))


def _fill(items: Sequence[str], sep: str, width: int) -> list[str]:
    """``items`` joined by ``sep`` in rows of at most ``width`` columns, no item cut (an item
    wider than that has a row of its own); a row that goes on ends with ``sep`` stripped.

    >>> _fill(["kvm_lock", "&kvm->slots_lock", "&kvm->srcu"], " -> ", 31)
    ['kvm_lock -> &kvm->slots_lock ->', '&kvm->srcu']
    """
    tail = sep.rstrip()
    rows: list[str] = []
    row = ""
    for item in items:
        if row and len(row) + len(sep) + len(item) + len(tail) > width:
            rows.append(row + tail)
            row = item
        else:
            row = f"{row}{sep}{item}" if row else item
    rows.append(row)
    return rows


def _counted(names: list[str]) -> list[str]:
    if len(names) <= MAX_ITEMS:
        return names
    return names[:MAX_ITEMS] + [f"... {len(names) - MAX_ITEMS} more ('splatkit json' lists them all)"]


def _site(frame: Frame | None) -> str:
    if frame is None:
        return ""
    where = frame.function or frame.text or ""
    if frame.module:
        where += f" [{frame.module}]"
    if frame.source:
        where += f" ({frame.source})"
    return plain(where)


def _lock(lock: LockUse) -> str:
    at = _site(lock.at)
    return plain(lock.name) + (f", at {at}" if at else "")


def _held(held: Sequence[HeldLock], count: int | None) -> tuple[str, list[str]]:
    label = "held"
    if count is not None and count != len(held):
        label = f"held ({len(held)} of {count} listed)"
    elif held:
        label = f"held ({len(held)})"
    return label, _counted([f"#{h.index} {plain(h.lock.name)}" for h in held])


def report_cycle(splat: Splat) -> Cycle | None:
    """The report's own cycle as :class:`~splatkit.analysis.cycles.Cycle` (with what it takes to
    deadlock), from a bounded search of the graph of its chain; None when it shows no cycle whole."""
    if not splat.cycle:
        return None
    found = LockGraph.from_splats(splat, held_locks=False).cycles(limit=CYCLE_LIMIT)
    want = Cycle(splat.cycle, ()).canonical()
    return next((c for c in found if c.canonical() == want), None)


def summarise(out: _Out, number: int, total: int, splat: Splat) -> None:
    """The lines of one report."""
    span = splat.span
    out.line(f"  [{number}/{total}] " + out.style(splat.kind, "kind") + out.style(
        f"  lines {span.first_line}-{span.last_line}", "dim"))
    out.field("title", [plain(splat.title or splat.banner)], what="title", prose=True)
    if splat.corrupted:
        out.field("", [f"(syzbot would flag this title as corrupted: {plain(splat.corrupted_reason)})"],
                  what="note", prose=True)
    if splat.task is not None:
        out.field("task", [plain(str(splat.task))])
    if splat.kernel is not None:
        out.field("kernel", [plain(" ".join(p for p in (splat.kernel.release, splat.kernel.build) if p))])
    if splat.acquiring is not None:
        out.field("acquiring", [_lock(splat.acquiring)])
    if splat.holding is not None:
        out.field("holding", [_lock(splat.holding)])
    if splat.unheld_lock is not None:
        out.field("not held", [_lock(splat.unheld_lock)])
    if splat.new_dependency is not None:
        held, acquired = splat.new_dependency
        out.field("new dep", [plain(held.name), plain(acquired.name)], sep=" -> ")
    for role, lock in splat.other_locks:
        out.field(role.replace("_", " "), [_lock(lock)])
    if splat.chain:
        out.field("chain", _counted([f"#{e.index} {plain(e.lock.name)}" for e in splat.chain]))
    if splat.held_locks or splat.held_locks_count:
        label, names = _held(splat.held_locks, splat.held_locks_count)
        out.field(label, names or ["(none listed)"])
    for dump in splat.held_lock_dumps[:MAX_ITEMS]:
        names = _counted([f"#{h.index} {plain(h.lock.name)}" for h in dump.held_locks])
        out.field(f"held by {plain(str(dump.task))} ({dump.count})", names or ["(none listed)"])
    if len(splat.held_lock_dumps) > MAX_ITEMS:
        out.field("", [f"... {len(splat.held_lock_dumps) - MAX_ITEMS} more tasks ('splatkit json' lists them)"])
    _cycle(out, splat)
    _notes(out, splat)


def _cycle(out: _Out, splat: Splat) -> None:
    if splat.cycle:
        locks = [plain(name) for name in splat.cycle]
        out.field(f"cycle ({len(locks)})", locks + [locks[0]], sep=" -> ", what="cycle")
        cycle = report_cycle(splat)
        if cycle is not None and cycle.note:
            out.field("", [plain(cycle.note)], prose=True)
    elif splat.chain:
        known = splat.chain_members()
        shown = ", ".join(f"#{k}" for k in sorted(known, reverse=True)) or "none"
        out.field("cycle", ["unknown: the report does not show every lock of its chain "
                            f"(entries known: {shown}); see the notes"], what="unknown", prose=True)


def _notes(out: _Out, splat: Splat) -> None:
    notes = [plain(note) for note in splat.notes]
    if splat.unrecognised:
        n = len(splat.unrecognised)
        notes.append(f"{n} line{'s' if n != 1 else ''} in the report not understood (warnings on standard "
                     "error; 'splatkit json' lists them)")
    if splat.interleaved:
        n = len(splat.interleaved)
        notes.append(f"{n} line{'s' if n != 1 else ''} of another printk context set aside")
    if not notes:
        out.field("notes", ["none"])
        return
    for i, note in enumerate(notes):
        out.field("notes" if i == 0 else "", ["- " + note], what="note", prose=True)


def cmd_show(args: argparse.Namespace) -> int:
    colour = use_colour(args.color)
    width = shutil.get_terminal_size((80, 24)).columns
    failed = False
    for file in args.files:
        try:
            name, splats = load(file, warn=not args.quiet, cap_mb=args.max_mb)
            chosen = choose(name, splats, args, every=True)
            chosen = list(zip([n for n, _s in chosen], symbolized(name, [s for _n, s in chosen], args)))
        except SplatkitError as err:  # (say it, and go on with the other files)
            say(f"splatkit: {err}")
            failed = True
            continue
        out = _Out(colour, width)
        n = len(splats)
        out.line(out.style(plain(name), "file") + f": {n} report{'s' if n != 1 else ''}")
        for number, splat in chosen:
            summarise(out, number, n, splat)
        out.line()
        write_stdout("\n".join(out.lines) + "\n")
    return 2 if failed else 0
