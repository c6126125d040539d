"""One report, read line by line: which section each line opens or belongs to.

:class:`ReportReader` walks the lines of one report from its banner; a line is a
section's header (the kind's sections, :mod:`splatkit.grammar.sections`), a line its
current section's body accepts (handed to :mod:`.rules`), a line of another printk
context (``interleaved``), or unrecognised, with the reason. The report ends at its
last section's end, at the next report, or after a run of unrecognised lines (:mod:`.extent`).
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass, field
from typing import Any

from ..grammar import kinds as kinds_table
from ..grammar.frames import frame_like, parse_frame, raw_frame, simple_frame
from ..grammar.kinds import IDENT, RULE_DASH, FirstMatch, ReportKind
from ..grammar.sections import ELISION, RULES, SECTIONS, LineRule, Section, rule_runs
from ..grammar.tokens import MAX_LINE
from ..model import Frame, HeldLock, IrqContext, KernelIdent, Line, LockUse, ScenarioStep, Span, Splat, Task, Unrecognised
from ..rejoin import shape as line_shape
from .build import build_splat
from .extent import MAX_FOREIGN_RUN, MAX_UNRECOGNISED_RUN, Contexts, same_context
from .rules import ENTER_HANDLERS, FRAME_FIRST, FRAME_SINKS, RULE_HANDLERS

__all__ = ["ReportReader"]

#: The reason given for a line a poster wrote for lines left out.
_ELIDED = "lines elided by the poster"

#: Kind -> its sections in printed order, and which of their headers a line matches first.
_SECTIONS_OF = {kind.kind: tuple(SECTIONS[name] for name in kind.sections) for kind in kinds_table.KINDS}
_HEADER_OF = {kind: FirstMatch([section.header for section in sections]) for kind, sections in _SECTIONS_OF.items()}


_JOINED_OF = operator.attrgetter("joined")

#: Sections whose frames are a dump_stack() output.
_STACK_SECTIONS = frozenset(("backtrace", "stack_dump"))


@dataclass
class ReportReader:
    """Reads one report, from its banner to the end of its last section."""

    kind: ReportKind
    banner: str
    lines: list[Line]
    first: int
    banner_index: int
    limit: int
    fields: dict[str, Any] = field(default_factory=dict)
    line_fields: list[tuple[int, str]] = field(default_factory=list)
    unrecognised: list[Unrecognised] = field(default_factory=list)
    interleaved: list[int] = field(default_factory=list)
    section: Section | None = None
    chain: list[dict[str, Any]] = field(default_factory=list)
    scenario: list[ScenarioStep] = field(default_factory=list)
    #: Whether the scenario's CPU1 column still stands apart (blanks not squeezed), and how
    #: many CPUs its header names (None without a header).
    scenario_columns: bool = False
    scenario_cpus: int | None = None
    #: The wrappers of the scenario's header line: a step printed otherwise lost its blanks.
    scenario_wrappers: tuple[str, ...] = ()
    held_locks: dict[int, HeldLock] = field(default_factory=dict)
    holder: Task | None = None
    stacks: list[list[Frame]] = field(default_factory=list)
    registers: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    other_locks: list[tuple[str, LockUse]] = field(default_factory=list)
    role: str | None = None
    traces: list[dict[str, Any]] = field(default_factory=list)
    irq_events: list[dict[str, Any]] = field(default_factory=list)
    paths: list[dict[str, Any]] = field(default_factory=list)
    path_target: str | None = None
    unheld_at: list[Frame] = field(default_factory=list)
    rcu_notes: list[str] = field(default_factory=list)
    #: (task, printed count, held locks by index) of each task of a held-locks dump.
    dumps: list[tuple[Task, int, dict[int, HeldLock]]] = field(default_factory=list)
    finished: bool = False
    #: Index in ``lines`` of the report's last line, the last a rule accepted (set by read).
    last: int = -1
    #: Where the lines of each printk context are in ``lines`` (made by read when not given).
    contexts: Contexts | None = None
    #: Whether the last line not read was one a poster wrote for lines left out (``...``).
    elided: bool = False
    #: Indexes in ``unrecognised`` of the lines whose reason :meth:`_explain` tells.
    unexplained: list[int] = field(default_factory=list)
    #: The kind's sections, in printed order, and which of their headers a line is (see _HEADER_OF).
    sections: tuple[Section, ...] = ()
    headers: Any = None
    any_header: Any = None
    #: (matcher, handler) of each rule the current section's body accepts (see _BODY).
    body: tuple[tuple[Any, Any], ...] = ()
    #: How many lines were unrecognised when the current section opened: a rule that reads
    #: only the line right after its header checks that none was since.
    unread_at_entry: int = 0
    #: Input line numbers of the lines of a stack that look like frames but that no frame rule
    #: reads: each is kept in its stack as text (:func:`~splatkit.grammar.frames.raw_frame`)
    #: and named in the notes, instead of ending the stack there.
    unread_frames: list[int] = field(default_factory=list)
    #: Index in ``lines`` of the line being read (set by read).
    index: int = -1

    def __post_init__(self) -> None:
        self.sections = _SECTIONS_OF[self.kind.kind]
        self.headers = _HEADER_OF[self.kind.kind]
        self.any_header = self.headers.match_any

    def read(self, banner_match: Any = None, above: tuple[tuple[str, Any], ...] = ()) -> Splat:
        if banner_match is not None:
            self._banner_facts(banner_match.groupdict())
        lines = self.lines
        caller = lines[self.banner_index].caller
        last = self.banner_index
        run = 0
        ended = False
        for index in range(self.first, self.banner_index + 1):
            line = lines[index]
            if not same_context(caller, line.caller):
                self.interleaved.append(line.no)
            elif index < self.banner_index and above:
                name, value = above[index - self.banner_index]
                if name == "condition":
                    self.fields["condition"] = value.group("condition")
                    self.line_fields.append((line.no, "condition"))
                else:
                    self.line_fields.append((line.no, "banner"))
            else:
                self.line_fields.append((line.no, "banner"))
        # How long the lists were after the last line a rule accepted (an input line that holds
        # several pieces gives them one number: the lists cannot be cut by number).
        marks = (len(self.line_fields), len(self.unrecognised))
        # The lines of the report's context only (the others' are listed once its end is known).
        if self.contexts is None:
            self.contexts = Contexts(lines)
        previous = self.banner_index  # the last line of the context
        for index in self.contexts.own(caller, self.banner_index + 1, self.limit):
            if index - previous > MAX_FOREIGN_RUN:
                break  # (so many lines of other contexts end the report: .extent)
            previous = index
            line = lines[index]
            self.index = index
            outcome = self._read_line(line)
            if outcome == "ok":
                run = 0
                last = index
                marks = (len(self.line_fields), len(self.unrecognised))
                if self.finished:
                    ended = True
                    break
            elif outcome == "end":
                ended = True
                break
            elif outcome == "unrecognised":
                run += 1
                if run >= MAX_UNRECOGNISED_RUN:
                    break
        # The span ends at the last line a rule accepted: trailing blanks, foreign text and
        # lines after a cut-off are outside it (so are the later pieces of that line, when a
        # tool had joined several console lines into it).
        self.last = last
        del self.line_fields[marks[0]:], self.unrecognised[marks[1]:]
        if caller is not None:
            self.interleaved += [line.no for line in lines[self.banner_index + 1:last + 1]
                                 if not same_context(caller, line.caller)]
        end_no = self._account_joined(self.lines[last].no)
        self._explain()
        return build_splat(self, Span(self.lines[self.first].no, end_no), ended)

    def _account_joined(self, end_no: int) -> int:
        """Give the input lines that normalisation joined onto a line (a mailer's hard wrap, a
        quoted-printable soft break) the same place as that line (``joined`` when that line is
        unrecognised, which lists the joined text); returns the span's last input line."""
        span = self.lines[self.first:self.through(end_no)]
        if not any(map(_JOINED_OF, span)):  # the usual case, checked at C speed
            return end_no
        joined = {line.no: line for line in span if line.no <= end_no and line.joined}
        # (Each joined line once, with the first place its head line went: a head line split
        # into pieces, the pieces of a reflowed paragraph, has several.)
        placed: set[int] = set()
        for no, f in list(self.line_fields):
            if no in joined and no not in placed:
                placed.add(no)
                self.line_fields.extend((no + k, f) for k in range(1, len(joined[no].joined) + 1))
        for u in self.unrecognised:
            # The head line is listed as unrecognised with the joined text; its pieces go with it.
            if u.line in joined and u.line not in placed:
                placed.add(u.line)
                self.line_fields.extend((u.line + k, "joined") for k in range(1, len(joined[u.line].joined) + 1))
        for no in list(self.interleaved):
            if no in joined and no not in placed:
                placed.add(no)
                self.interleaved.extend(no + k for k in range(1, len(joined[no].joined) + 1))
        last = joined.get(end_no)
        return end_no + len(last.joined) if last is not None else end_no

    def through(self, no: int) -> int:
        """Index after the last line numbered ``no`` or less (from the report's last line on)."""
        index = self.last
        while index < self.limit and self.lines[index].no <= no:
            index += 1
        return index

    def _banner_facts(self, groups: dict[str, Any]) -> None:
        """What a banner itself says: the task (still_held), the table (lockdep_limit), the WARN site."""
        if groups.get("comm") is not None:
            self.fields["task"] = Task(groups["comm"], int(groups["pid"]))
        if groups.get("limit"):
            self.fields["limit"] = groups["limit"]
        source = groups.get("source") or groups.get("source2")
        if source:
            self.fields["source_location"] = source
        warn_at = groups.get("warn_at") or groups.get("warn_at2")
        if warn_at:
            self.fields["warn_at"] = parse_frame(warn_at, line_no=self.lines[self.banner_index].no) or raw_frame(
                warn_at, line_no=self.lines[self.banner_index].no)

    # -- one line ---------------------------------------------------------------------------

    def _read_line(self, line: Line) -> str:
        text = line.text
        if len(text) > MAX_LINE:
            return self._unrecognised(line, "line too long to be part of a lockdep report")
        section = self.section
        if section is None and self._read_preamble(line):
            return "ok"
        # Most lines of a report are frames of the common form: in a section that takes frames,
        # such a line is read as one first (no section header and no rule before "frame" in a
        # body reads a line of that form, so the general path below would read it the same way).
        if section is not None and "+0x" in text:
            sink = FRAME_FIRST.get(section.name)
            if sink is not None:
                frame = simple_frame(text, line.no)
                if frame is not None and sink(self, frame, line):
                    self.line_fields.append((line.no, section.name))
                    return "ok"
        if not text or text.isspace():
            self.line_fields.append((line.no, "blank"))
            return "blank"
        # The first section whose header the line is; most lines (frames, locks) are none.
        m = self.any_header(text)
        if m is not None:
            i, m = self.headers.resolve(m, text)
            self._enter(self.sections[i], m, line)
            return "ok"
        if section is not None:
            if self._read_body(line):
                return "ok"
            if self._unread_frame(line):
                return "ok"
            if section.terminal and self.stacks and self.stacks[-1]:
                return "end"
        if self.elided and section is not None and self._resume_after_elision(line):
            return "ok"
        self.elided = ELISION.match(text) is not None
        if self.elided:
            return self._unrecognised(line, _ELIDED)
        # Why, is told once the report's end is known (see _explain): most lines not read
        # are after it.
        self.unexplained.append(len(self.unrecognised))
        return self._unrecognised(line, self._where())

    def _read_body(self, line: Line) -> bool:
        """Whether a rule of the current section's body read ``line`` and stored what it read."""
        text = line.text
        for match, handler in self.body:
            value = match(text, line.no)
            if value is not None:
                # The handler stores what the rule read; False when it has no place here.
                if handler(self, value, line):
                    self.line_fields.append((line.no, self.section.name))
                    self.elided = False
                    return True
                break
        return False

    def _unread_frame(self, line: Line) -> bool:
        """Keep ``line`` in the current section's stack as text when it looks like a frame that no
        rule read (a mangled or hostile name), rather than end the stack there unsaid.

        It looks like one when it is indented as a frame line just before or after it and it
        shows a frame's marks (:func:`~splatkit.grammar.frames.frame_like`: ``+0xoff/0xsize``,
        ``[<address>]``, a decoded source location), or, without them, when it is indented as
        the frame lines both before and after it.

        >>> import splatkit
        >>> text = splatkit.samples.sample_text().replace("kvm_vm_ioctl+", "kvm vm(ioctl)+")
        >>> [n for n in splatkit.parse(text)[0].notes if "could not read" in n]
        ['line 47: a frame the parser could not read: kept as text']
        """
        sink = FRAME_FIRST.get(self.section.name)
        if sink is None:
            return False
        text = line.text
        indent = text[:len(text) - len(text.lstrip())]
        before, after = self._frame_at(self.index - 1, indent), self._frame_at(self.index + 1, indent)
        if not ((before or after) and frame_like(text) or (before and after and indent)):
            return False
        if not sink(self, raw_frame(text, line_no=line.no), line):
            return False
        self.line_fields.append((line.no, self.section.name))
        self.unread_frames.append(line.no)
        self.elided = False
        return True

    def _frame_at(self, index: int, indent: str) -> bool:
        """Whether the line at ``index`` is a frame (read, or kept as text) indented by ``indent``."""
        if not self.first <= index < self.limit:
            return False
        line = self.lines[index]
        text = line.text
        return (text.startswith(indent) and text[len(indent):len(indent) + 1] not in ("", " ", "\t")
                and (line.no in self.unread_frames or parse_frame(text) is not None))

    def _resume_after_elision(self, line: Line) -> bool:
        """Read ``line`` in a later section, when the lines a poster elided just before it
        may have held that section's header (``..`` then the frames of the backtrace)."""
        after = self.sections.index(self.section) + 1
        for section in self.sections[after:]:
            if section.body and any(match(line.text, line.no) is not None for match, _ in _BODY[section.name]):
                self._enter(section, None, line)
                if self._read_body(line):
                    return True
        return False

    def _where(self) -> str:
        return f"'{self.section.name}' section" if self.section else "header"

    def _explain(self) -> None:
        """Give each line the report did not read, inside its span, the reason its text tells
        (it was read in the section ``Unrecognised.reason`` holds until then)."""
        for i in self.unexplained:
            if i >= len(self.unrecognised):
                break
            unread = self.unrecognised[i]
            where, shape = unread.reason, line_shape(unread.text)
            if shape is not None:
                unread.reason = (f"a {shape.removesuffix('-cut').replace('_', ' ')} line out of place in the "
                                 f"{where}: output of another context, interleaved without a caller id?")
            else:
                unread.reason = f"not expected in the {where} of a {self.kind.kind} report"

    def _unrecognised(self, line: Line, reason: str) -> str:
        self.unrecognised.append(Unrecognised(line.no, line.text, reason))
        return "unrecognised"

    def _read_preamble(self, line: Line) -> bool:
        """The lines between banner and first section: rules and the kernel ident."""
        text = line.text
        if RULE_DASH.match(text):
            self.line_fields.append((line.no, "banner"))
            return True
        m = IDENT.match(text)
        if m is not None and "kernel" not in self.fields:
            taint = m.group("taint")
            if taint and taint.startswith("Tainted:"):
                taint = taint[len("Tainted:"):].strip()
            self.fields["kernel"] = KernelIdent(m.group("release"), m.group("build"), taint)
            self.line_fields.append((line.no, "kernel"))
            return True
        return False

    def _enter(self, section: Section, m: Any, line: Line) -> None:
        """Open ``section`` at its header line and keep what the header says; with no header
        match ``m``, open it without a header (its header was elided)."""
        previous = self.section
        self.section = section
        self.body = _BODY[section.name]
        self.role = None
        self.unread_at_entry = len(self.unrecognised)
        if m is None:
            groups = {}
        else:
            self.line_fields.append((line.no, section.name))
            self.elided = False
            groups = m.groupdict()
        name = section.name
        if groups.get("comm") is not None:
            task = Task(groups["comm"], int(groups["pid"]))
            if name in ("held_locks", "dump_held_locks"):
                self.holder = task
                count = groups.get("count")
                self.fields.setdefault("held_locks_count", int(count) if count else 0)
                if name == "dump_held_locks":
                    self.dumps.append((task, int(count) if count else 0, {}))
            else:
                self.fields.setdefault("task", task)
        if groups.get("irqflags"):
            g = groups
            self.fields.setdefault("irq_context", IrqContext(
                hardirq=g["hc"] == "1", hardirq_count=int(g["hcn"]), softirq=g["sc"] == "1",
                softirq_count=int(g["scn"]), hardirqs_enabled=g["he"] == "1", softirqs_enabled=g["se"] == "1",
                text=g["irqflags"]))
        if groups.get("note"):
            self.messages.append(groups["note"])
        if groups.get("irqclass"):
            self.fields.setdefault("irq_class", groups["irqclass"])
        if groups.get("side"):
            self.role = groups["side"]
        if section.trace:
            self.traces.append({"event": section.trace, "usage": groups.get("usage") or "", "frames": [],
                                "line_no": line.no})
        if name in _STACK_SECTIONS:
            if not self.stacks or (self.stacks[-1] and (previous is None or previous.name not in _STACK_SECTIONS)):
                self.stacks.append([])
        handler = ENTER_HANDLERS.get(name)
        if handler is not None and m is not None:
            handler(self, groups, line)


def _body(section: Section) -> tuple[tuple[Any, Any], ...]:
    """(matcher, handler) of each rule ``section``'s body accepts, in order; a frame goes
    straight to its section's sink.

    A run of rules that are each one regex match becomes one step that tries them all in
    one match (see :func:`~splatkit.grammar.sections.rule_runs`).
    """
    def handler(name: str) -> Any:
        return FRAME_SINKS[section.name] if name == "frame" else RULE_HANDLERS[name]

    return tuple((_first_of([(RULES[name], handler(name)) for name in run]), _call_first_of) if len(run) > 1
                 else (RULES[run[0]].match, handler(run[0]))
                 for run in rule_runs(section.body))


def _first_of(rules: list[tuple[LineRule, Any]]) -> Any:
    """The matcher of a run of regex rules: (handler, match) of the first that matches, or None."""
    first = FirstMatch([rule.pattern for rule, _ in rules])
    handlers = tuple(handler for _, handler in rules)
    match_any, resolve = first.match_any, first.resolve

    def match(text: str, _no: int) -> tuple[Any, re.Match[str]] | None:
        m = match_any(text)
        if m is None:
            return None
        i, m = resolve(m, text)
        return handlers[i], m

    return match


def _call_first_of(reader: ReportReader, value: tuple[Any, re.Match[str]], line: Line) -> bool:
    handler, m = value
    return handler(reader, m, line)


#: Section name -> the steps that read a line of its body (see _body).
_BODY = {section.name: _body(section) for section in SECTIONS.values()}
