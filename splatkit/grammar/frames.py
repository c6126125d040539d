"""The stack-frame grammar: every way a kernel or a tool prints one frame (lockdep-format.md §5).

- ``func+0xoff/0xsize [module buildid]`` (``%pS``/``%pSb``), optionally after ``[<addr>]``
  (kernels before ~4.15; ``[<(____ptrval____)>]`` when 4.15-4.17 hashed it away) and ``? ``
  (unreliable, dump_stack only);
- ``func+0xoff/0xsize path/file.c:123`` and ``func path/file.h:45 [inline]`` (syzbot);
- ``func (path/file.c:123 path/file.h:9) module`` (scripts/decode_stacktrace.sh), with
  ``(discriminator N)`` after a location;
- s390's ``([<000000000011444a>] show_stack+0x72/0xf0)`` (a frame of the backchain);
- 2.6.17's ``[txn_end+1011/1139] txn_end+0x3f3/0x473`` (print_symbol's decimal form first);
- a bare ``0xaddr`` (user or unresolved address); arm64's ``(C)``/``(P)``/``(L)`` tags;
- 32-bit ARM's ``[<80de0078>] (dump_backtrace) from [<80de0574>] (show_stack+0x28/0x2c)``
  (BACKTRACE_VERBOSE; before ~3.16 the function entered has its offset too,
  ``(unwind_backtrace+0x0/0xe0)``, and a module's is ``(snd_foo [snd])``),
  ``dump_backtrace from show_stack+0x28/0x2c`` and, without kallsyms, ``Function entered at
  [<80de0078>] from [<80de0574>]``: the frame is the function entered; its caller is the
  next line's frame.

Stack markers (``<TASK>``, ``</IRQ>``...) are not frames; :data:`STACK_MARKER` matches them.
"""

from __future__ import annotations

import dataclasses
import re

from ..model import Frame
from .tokens import MAX_LINE

__all__ = ["ARM_FRAME", "FRAME", "FRAME_LIKE", "NAME", "SIMPLE_FRAME", "STACK_MARKER", "frame_like", "parse_frame",
           "raw_frame", "simple_frame"]

#: A function name as kernels, compilers and decoding tools print it: a C symbol with its
#: compiler suffixes (``foo.isra.0.cold``, ``$x.1``), a demangled Rust or C++-ish path
#: (``<impl Foo for Bar>::baz``, ``<kernel::sync::Arc<T> as Drop>::drop``, whose ``<...>``
#: may hold spaces, two levels deep) and any other text a mangled or hostile name holds
#: (``a<b``, ``"x"``, ``&y``, non-ASCII): kernel names are untrusted text, and a name this
#: grammar refused would end the stack it is in. What it refuses: whitespace outside ``<...>``,
#: ``+`` (the offset follows it), brackets and parentheses (the address, module, location and
#: s390's frame are printed in them), a digit or ``?`` first (a bare address, the unreliable
#: mark), a ``:`` but in a path's ``::`` (``r4:00000001 r3:00000000``, ARM's registers, and
#: ``Label: value`` lines are no frames), and a ``,`` last.
#:
#: >>> [bool(re.fullmatch(NAME, n)) for n in ("print_circular_bug.isra.0.cold", "<impl Foo for Bar>::baz",
#: ...                                        "a<b", "Tainted:", "r4:00000001", "0xffff", "foo bar")]
#: [True, True, True, False, False, False, False]
_ANGLED = r"<[^<>+\n]*(?:<[^<>+\n]*>[^<>+\n]*)*>"
NAME = (r"(?:" + _ANGLED + r"|[^\s\d+()\[\]<>?:])(?:" + _ANGLED + r"|[^\s+()\[\]<>:]|[<>]|::)*(?<!,)")

#: (The function name is taken whole, in a lookahead, then consumed by a back-reference: a
#: shorter name can never be followed by what may follow one, and on a line that is no frame,
#: trying each shorter one with every optional part after it is most of the time spent.)
FRAME = re.compile(
    r"^\s*(?P<paren>\()?(?P<unrel>\?\s+)?(?:\[<(?P<addr>[0-9a-f]+|\(____ptrval____\)|\(ptrval\))>\]\s+)?"
    r"(?P<unrel2>\?\s+)?"
    r"(?:\[[A-Za-z_$.][\w$.]*\+\d+/\d+\]\s+)?"
    r"(?:"
    r"(?=(?P<func>" + NAME + r"))(?P=func)(?:\+0x(?P<off>[0-9a-f]+)/0x(?P<size>[0-9a-f]+))?"
    r"(?: \[(?P<mod>[\w-]+)(?: (?P<bid>[0-9a-f]+))?\])?"
    r"(?: \((?P<dsrc>(?:[^()]|\([^()]*\))*)\)(?: (?P<dmod>[\w-]+))?)?"
    r"(?: (?P<src>[\w./+-]+:(?:\d+|\?)))?"
    r"(?: \[(?P<inline>inline)\])?"
    r"(?: \((?P<tag>[CPLK])\))?"
    r"|0x(?P<raw>[0-9a-f]+))(?(paren)\))\s*$"
)

#: What decode_stacktrace.sh adds after a ``file:line`` that the compiler split into several
#: basic blocks: `` (discriminator 15)``. Not part of the location.
_DISCRIMINATOR = re.compile(r" \(discriminator \d+\)")

#: The common form alone (``[? ]func+0xoff/0xsize[ [module]]``), tried first: most frames of
#: most reports are this, and it is several times cheaper than :data:`FRAME`. It accepts
#: nothing that FRAME would read differently.
#: (ASCII: a faster match, and a frame with other characters is FRAME's to read.)
SIMPLE_FRAME = re.compile(
    r"^\s*(?P<unrel>\?\s+)?(?P<func>[A-Za-z_$.][\w$.]*)\+0x(?P<off>[0-9a-f]+)/0x(?P<size>[0-9a-f]+)"
    r"(?: \[(?P<mod>[\w-]+)\])?\s*$", re.ASCII
)

#: 32-bit ARM's dump_backtrace_entry(), in its three configurations (see the module docstring).
_ARM_SYM = r"(?P<{0}>[A-Za-z_$.][\w$.]*)(?:\+0x(?P<{0}_off>[0-9a-f]+)/0x(?P<{0}_size>[0-9a-f]+))?(?: \[(?P<{0}_mod>[\w-]+)\])?"
ARM_FRAME = re.compile(
    r"^\s*(?:\[<(?P<addr>[0-9a-f]+)>\] \(" + _ARM_SYM.format("v") + r"\) from \[<[0-9a-f]+>\] \([^()]+\)"
    r"|" + _ARM_SYM.format("f") + r" from [A-Za-z_$.][\w$.]*\+0x[0-9a-f]+/0x[0-9a-f]+(?: \[[\w-]+\])?"
    r"|Function entered at \[<(?P<entered>[0-9a-f]+)>\] from \[<[0-9a-f]+>\])\s*$"
)

#: What shows a line of a stack is a frame even when :func:`parse_frame` cannot read it (a name
#: with a space or a parenthesis, a cut line): ``%pS``'s ``+0xoff/0xsize``, an ``[<address>]``,
#: or a source location as decode_stacktrace.sh and syzbot print them (``(kernel/x.c:12``,
#: `` lib/y.h:3 [inline]``; not a message's ``at mm/slab.h:420``). The reader keeps such a line
#: in its stack as text, and says so, rather than end the stack there.
#:
#: >>> [bool(FRAME_LIKE.search(t)) for t in (" bad name(x)+0x1/0x2", "a b (kernel/fork.c:12)", "RIP: 0033:0x434e69",
#: ...                                       "BUG: sleeping function called from invalid context at mm/slab.h:420")]
#: [True, True, False, False]
FRAME_LIKE = re.compile(r"\+0x[0-9a-f]+/0x[0-9a-f]+|\[<[0-9a-f]+>\]"
                        r"|\([\w./-]+\.(?:c|h|S|rs):(?:\d+|\?)|[\w./-]+\.(?:c|h|S|rs):\d+ \[inline\]\s*$")

#: A line whose first word ends with ``:`` (``WARNING: CPU: 0 PID: 1 at f+0x1/0x2``,
#: ``RIP: 0010:f+0x1/0x2``) is a message or a register, not a frame, whatever
#: :data:`FRAME_LIKE` finds in it.
_LABELLED = re.compile(r"^\s*(?:\?\s+)?\S+:(?:\s|$)")


def frame_like(text: str) -> bool:
    """Whether ``text`` shows a frame's marks (:data:`FRAME_LIKE`) and is no ``Label: ...`` line.

    >>> frame_like(" a(b c)+0x1/0x2"), frame_like("WARNING: CPU: 0 PID: 1 at f+0x1/0x2")
    (True, False)
    """
    return FRAME_LIKE.search(text) is not None and _LABELLED.match(text) is None


#: ``<TASK>``, ``</TASK>``, ``<IRQ>``, ``<SOFTIRQ>``, ``<NMI>``, ``<#DF>``, ``<EOI>``...
STACK_MARKER = re.compile(r"^\s*<(?P<close>/)?(?P<kind>TASK|IRQ|SOFTIRQ|NMI|EOI|#\w+|ENTRY_TRAMPOLINE)>\s*$")


def parse_frame(text: str, line_no: int | None = None) -> Frame | None:
    """Parse one frame; None when ``text`` is not a frame.

    (``line_no`` may be passed by position, as a line rule's matcher gets it:
    ``sections.RULES["frame"]`` is this function.)

    >>> f = parse_frame("? set_nx_huge_pages+0x179/0x1e0 [kvm]")
    >>> (f.function, hex(f.offset), hex(f.size), f.module, f.unreliable)
    ('set_nx_huge_pages', '0x179', '0x1e0', 'kvm', True)
    >>> parse_frame("but task is already holding lock:") is None
    True
    """
    if len(text) > MAX_LINE:
        return None
    # (SIMPLE_FRAME needs "+0x"; without it, its match would only fail, after reading the name.)
    frame = simple_frame(text, line_no) if "+0x" in text else None
    if frame is not None:
        return frame
    m = FRAME.match(text)
    if m is None:
        return _arm_frame(text, line_no) if " from " in text else None
    unrel, unrel2, addr, func, off, size, mod, dmod, bid, src, dsrc, inline, raw = m.group(*_FRAME_GROUPS)
    if raw is not None:
        return Frame(function=None, address=raw, unreliable=bool(unrel or unrel2), text=text.strip(),
                     line_no=line_no)
    source = src or (_DISCRIMINATOR.sub("", dsrc) if dsrc and "(" in dsrc else dsrc)
    # A bare word is a frame only with a location: otherwise any one-word line would be one.
    if off is None and source is None and addr is None:
        return None
    return Frame(
        function=func,
        offset=int(off, 16) if off else None,
        size=int(size, 16) if size else None,
        module=mod or dmod,
        unreliable=bool(unrel or unrel2),
        address=addr,
        source=source,
        inline=inline is not None,
        build_id=bid,
        text=text.strip(),
        line_no=line_no,
    )


def simple_frame(text: str, line_no: int | None = None) -> Frame | None:
    """The frame ``text`` is when it has the common form (:data:`SIMPLE_FRAME`), else None.

    Whatever it reads, :func:`parse_frame` reads the same way; a text it does not read may
    still be a frame of another form.
    """
    m = SIMPLE_FRAME.match(text)
    if m is None:
        return None
    unrel, func, off, size, mod = m.groups()
    # By position (see _FRAME_FIELDS): half the cost of keywords, for most frames of a report.
    return Frame(func, int(off, 16), int(size, 16), mod, unrel is not None, None, None, False, None, text.strip(),
                 line_no)


#: The order of Frame's fields, which simple_frame passes by position.
_FRAME_FIELDS = ("function", "offset", "size", "module", "unreliable", "address", "source", "inline", "build_id",
                 "text", "line_no")
assert tuple(f.name for f in dataclasses.fields(Frame)) == _FRAME_FIELDS, "update simple_frame"


def _arm_frame(text: str, line_no: int | None) -> Frame | None:
    m = ARM_FRAME.match(text)
    if m is None:
        return None
    side = "v" if m.group("v") else "f"
    func, off, size, mod = m.group(side, f"{side}_off", f"{side}_size", f"{side}_mod")
    return Frame(function=func, offset=int(off, 16) if off else None, size=int(size, 16) if size else None,
                 module=mod, address=m.group("addr") or m.group("entered"), text=text.strip(), line_no=line_no)


#: The groups of FRAME that parse_frame reads, in the order it unpacks them (one ``group`` call).
_FRAME_GROUPS = ("unrel", "unrel2", "addr", "func", "off", "size", "mod", "dmod", "bid", "src", "dsrc", "inline",
                 "raw")


def raw_frame(text: str, *, line_no: int | None = None) -> Frame:
    """A frame that keeps text no frame rule accepted (an ``at:`` we cannot read)."""
    return Frame(function=None, text=text.strip(), line_no=line_no)
