"""Normalised lines to parsed splats: find every lockdep report and read its sections.

The second stage of the pipeline. A report starts at a banner from
:data:`splatkit.grammar.kinds.KINDS`; its body is read section by section with
the rules in :mod:`splatkit.grammar.sections`. This module holds the code that
acts on each rule and no kernel text: what a report looks like is in the
grammar tables.

Every line of a report's span ends up in exactly one place: a field of the
:class:`~splatkit.model.Splat` (recorded in ``Splat.line_fields``), the
``interleaved`` lines of another printk context, or ``unrecognised``.
"""

from __future__ import annotations

import itertools
import operator
import os
import re
from dataclasses import dataclass, field
from typing import Any

from .grammar import kinds as kinds_table
from .grammar.kinds import IDENT, RULE_DASH, FirstMatch, ReportKind, match_banner
from .grammar.frames import parse_frame, raw_frame, simple_frame
from .grammar.locks import lock_from_name, parse_lock_desc
from .grammar.sections import ABOVE_BANNER, RULES, SECTIONS, LineRule, Section, rule_runs
from .grammar.tokens import MAX_LINE
from .lines import normalize
from .model import (
    ChainEntry,
    DependencyClass,
    DependencyPath,
    Frame,
    HeldLock,
    IrqContext,
    IrqEvent,
    KernelIdent,
    Line,
    LockUse,
    ScenarioStep,
    Span,
    Splat,
    StackContext,
    StateTrace,
    Task,
    Unrecognised,
)
from .titles import syzkaller_title
from .usage import WaitEvidence, detect_usage_layout, detect_wait_scale

__all__ = ["parse", "parse_file", "parse_lines"]

#: This many unrecognised lines in a row, before the last section, end a report as truncated.
MAX_UNRECOGNISED_RUN = 40

#: A scenario step indented this much or more sits in the CPU1 column (lockdep indents 31).
_CPU1_INDENT = 12


def parse(text: str) -> list[Splat]:
    """Find and parse every lockdep report in ``text``.

    ``text`` may be anything: a dmesg, a console log, a mail that quotes a splat.
    Lines outside reports are ignored; lines inside a report that no rule
    accepts are kept in ``Splat.unrecognised``.

    >>> [s.kind for s in parse(seed_text)]
    ['circular']
    >>> parse("no report here")
    []
    """
    return parse_lines(normalize(text))


def parse_file(path: str | os.PathLike[str]) -> list[Splat]:
    """Read ``path`` and parse it; bytes that are not UTF-8 are replaced, never fatal."""
    with open(path, "rb") as f:
        data = f.read()
    return parse(data.decode("utf-8", errors="replace"))


def parse_lines(lines: list[Line]) -> list[Splat]:
    """Parse already normalised lines (see :func:`splatkit.lines.normalize`)."""
    starts = []
    for i, line in enumerate(lines):
        text = line.text
        # Every banner has a colon and one of the scan anchors' words; most lines have neither.
        if ":" not in text or _BANNER_WORD.search(text) is None:
            continue
        found = match_banner(text)
        if found is not None:
            kind, m = found
            above = _above_banner(kind, lines, i)
            starts.append((i, kind, m, above))
    splats = []
    for n, (i, kind, m, above) in enumerate(starts):
        # A report ends where the next one of its own printk context starts: with caller ids,
        # another task's or CPU's report may be printed in the middle of this one.
        caller = lines[i].caller
        nxt = next((s for s in starts[n + 1:]
                    if caller is None or lines[s[0]].caller in (None, caller)), None)
        limit = len(lines) if nxt is None else nxt[0] - (1 if nxt[3] is not None else 0)
        reader = _ReportReader(kind, m.group(0).strip(), lines, i if above is None else i - 1, i, max(limit, i + 1))
        splats.append(reader.read(m, above))
    return splats


def _above_banner(kind: ReportKind, lines: list[Line], i: int) -> tuple[str, Any] | None:
    """The rule of ``ABOVE_BANNER`` that the line just above banner ``i`` matches, with its value."""
    if i == 0:
        return None
    text = lines[i - 1].text
    for name in kind.above:
        value = ABOVE_BANNER[name].match(text, lines[i - 1].no)
        if value is not None:
            return name, value
    return None


_PIECE_OF = operator.attrgetter("piece")

#: The words of the scanner's anchors (``WARNING``, ``BUG``...): every banner holds one.
_BANNER_WORDS = tuple(anchor.rstrip(":") for anchor in kinds_table.SCAN_ANCHORS)
_BANNER_WORD = re.compile("|".join(re.escape(word) for word in _BANNER_WORDS))

#: Kind -> its sections in printed order, and which of their headers a line matches first.
_SECTIONS_OF = {kind.kind: tuple(SECTIONS[name] for name in kind.sections) for kind in kinds_table.KINDS}
_HEADER_OF = {kind: FirstMatch([section.header for section in sections]) for kind, sections in _SECTIONS_OF.items()}


_JOINED_OF = operator.attrgetter("joined")
_WRAPPERS_OF = operator.attrgetter("wrappers")

#: Sections whose frames are a dump_stack() output.
_STACK_SECTIONS = frozenset(("backtrace", "stack_dump"))
#: ``Splat`` fields a section's ``lock`` line may fill directly; other section fields are roles
#: in ``Splat.other_locks``.
_LOCK_FIELDS = frozenset(("acquiring", "holding"))


@dataclass
class _ReportReader:
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
    scenario_columns: bool = False
    held_locks: dict[int, HeldLock] = field(default_factory=dict)
    holder: Task | None = None
    stacks: list[list[Frame]] = field(default_factory=list)
    registers: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    other_locks: list[tuple[str, LockUse]] = field(default_factory=list)
    role: str | None = None
    traces: list[dict[str, Any]] = field(default_factory=list)
    irq_events: list[dict[str, Any]] = field(default_factory=list)
    paths: list[dict[str, Any]] = field(default_factory=list)
    path_target: str | None = None
    unheld_at: list[Frame] = field(default_factory=list)
    rcu_notes: list[str] = field(default_factory=list)
    dumps: list[tuple[Task, dict[int, HeldLock]]] = field(default_factory=list)
    finished: bool = False
    #: The kind's sections, in printed order, and which of their headers a line is (see _HEADER_OF).
    sections: tuple[Section, ...] = ()
    headers: Any = None
    any_header: Any = None
    #: (matcher, handler) of each rule the current section's body accepts (see _BODY).
    body: tuple[tuple[Any, Any], ...] = ()

    def __post_init__(self) -> None:
        self.sections = _SECTIONS_OF[self.kind.kind]
        self.headers = _HEADER_OF[self.kind.kind]
        self.any_header = self.headers.match_any

    def read(self, banner_match: Any = None, above: tuple[str, Any] | None = None) -> Splat:
        if banner_match is not None:
            self._banner_facts(banner_match.groupdict())
        lines = self.lines
        caller = lines[self.banner_index].caller
        last = self.banner_index
        run = 0
        ended = False
        for index in range(self.first, self.banner_index + 1):
            line = lines[index]
            if caller is not None and line.caller is not None and line.caller != caller:
                self.interleaved.append(line.no)
            elif index < self.banner_index and above is not None:
                name, value = above
                if name == "condition":
                    self.fields["condition"] = value.group("condition")
                    self.line_fields.append((line.no, "condition"))
                else:
                    self.line_fields.append((line.no, "banner"))
            else:
                self.line_fields.append((line.no, "banner"))
        # How long the three lists were after the last line a rule accepted; kept only when
        # some input line holds several pieces (which share its number).
        pieces = any(map(_PIECE_OF, lines[self.banner_index:self.limit]))
        marks = (len(self.line_fields), len(self.unrecognised), len(self.interleaved))
        for index in range(self.banner_index + 1, self.limit):
            line = lines[index]
            if caller is not None and line.caller is not None and line.caller != caller:
                self.interleaved.append(line.no)
                continue
            outcome = self._read_line(line)
            if outcome == "ok":
                run = 0
                last = index
                if pieces:
                    marks = (len(self.line_fields), len(self.unrecognised), len(self.interleaved))
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
        end_no = self.lines[last].no
        if pieces:
            del self.line_fields[marks[0]:], self.unrecognised[marks[1]:], self.interleaved[marks[2]:]
        else:  # (each list is in line order: cut after its last line at or before end_no)
            while self.line_fields and self.line_fields[-1][0] > end_no:
                self.line_fields.pop()
            while self.unrecognised and self.unrecognised[-1].line > end_no:
                self.unrecognised.pop()
            while self.interleaved and self.interleaved[-1] > end_no:
                self.interleaved.pop()
        end_no = self._account_joined(end_no)
        return self._build(Span(self.lines[self.first].no, end_no), ended)

    def _account_joined(self, end_no: int) -> int:
        """Give the input lines that normalisation joined onto a line (a mailer's hard wrap, a
        quoted-printable soft break) the same place as that line (``joined`` when that line is
        unrecognised, which lists the joined text); returns the span's last input line."""
        span = self.lines[self.first:self.limit]
        if not any(map(_JOINED_OF, span)):  # the usual case, checked at C speed
            return end_no
        joined = {line.no: line for line in span if line.no <= end_no and line.joined}
        for no, f in list(self.line_fields):
            if no in joined:
                self.line_fields.extend((no + k, f) for k in range(1, len(joined[no].joined) + 1))
        for u in self.unrecognised:
            # The head line is listed as unrecognised with the joined text; its pieces go with it.
            if u.line in joined:
                self.line_fields.extend((u.line + k, "joined") for k in range(1, len(joined[u.line].joined) + 1))
        for no in list(self.interleaved):
            if no in joined:
                self.interleaved.extend(no + k for k in range(1, len(joined[no].joined) + 1))
        last = joined.get(end_no)
        return end_no + len(last.joined) if last is not None else end_no

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
            sink = _FRAME_FIRST.get(section.name)
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
            for match, handler in self.body:
                value = match(text, line.no)
                if value is not None:
                    # The handler stores what the rule read; False when it has no place here.
                    if handler(self, value, line):
                        self.line_fields.append((line.no, section.name))
                        return "ok"
                    break
            if section.terminal and self.stacks and self.stacks[-1]:
                return "end"
        return self._unrecognised(line, f"not expected in the {self._where()} of a {self.kind.kind} report")

    def _where(self) -> str:
        return f"'{self.section.name}' section" if self.section else "header"

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
        """Open ``section`` at its header line and keep what the header says."""
        previous = self.section
        self.section = section
        self.body = _BODY[section.name]
        self.line_fields.append((line.no, section.name))
        self.role = None
        groups = m.groupdict()
        name = section.name
        if groups.get("comm") is not None:
            task = Task(groups["comm"], int(groups["pid"]))
            if name in ("held_locks", "dump_held_locks"):
                self.holder = task
                count = groups.get("count")
                self.fields.setdefault("held_locks_count", int(count) if count else 0)
                if name == "dump_held_locks":
                    self.dumps.append((task, {}))
            else:
                self.fields.setdefault("task", task)
        if groups.get("irqflags"):
            g = groups
            self.fields.setdefault("irq_context", IrqContext(
                hardirq=g["hc"] == "1", hardirq_count=int(g["hcn"]), softirq=g["sc"] == "1",
                softirq_count=int(g["scn"]), hardirqs_enabled=g["he"] == "1", softirqs_enabled=g["se"] == "1",
                text=g["irqflags"]))
        if groups.get("note"):
            self.notes.append(groups["note"])
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
        handler = _ENTER_HANDLERS.get(name)
        if handler is not None:
            handler(self, groups, line)

    def _enter_usage_change(self, g: dict[str, Any], _line: Line) -> None:
        self.fields.setdefault("usage_change", (g["prev"], g["new"]))

    def _enter_irq_events(self, g: dict[str, Any], _line: Line) -> None:
        self.fields["irq_event_stamp"] = int(g["stamp"])

    def _enter_dependencies(self, g: dict[str, Any], line: Line) -> None:
        between = g.get("between") or g.get("whose") or ""
        self.paths.append({"between": between, "classes": [], "line_no": line.no})
        self.path_target = None

    def _enter_release(self, g: dict[str, Any], line: Line) -> None:
        self.fields.setdefault("unheld_lock", lock_from_name(g["name"], line_no=line.no))

    _enter_contend = _enter_release

    def _enter_freeing(self, g: dict[str, Any], _line: Line) -> None:
        self.fields.setdefault("memory_range", (g["start"], g["end"]))

    def _enter_rcu_source(self, g: dict[str, Any], _line: Line) -> None:
        self.fields.setdefault("source_location", f"{g['file']}:{g['line']}")
        self.fields.setdefault("rcu_message", g["message"])

    def _enter_warn_condition(self, g: dict[str, Any], _line: Line) -> None:
        self.fields.setdefault("condition", g["condition"])

    def _enter_limit_depth(self, g: dict[str, Any], _line: Line) -> None:
        self.fields.setdefault("lock_depth", (int(g["depth"]), int(g["max"])))

    # -- rules ------------------------------------------------------------------------------

    def _rule_lock(self, lock: LockUse, line: Line) -> bool:
        assert self.section is not None
        name = self.section.field
        if name in _LOCK_FIELDS or name == self.section.name:
            kept = self.fields.setdefault(name, lock)
            # syzbot prints a lock line once per inlined frame of its 'at:' (§2.2).
            return kept is lock or (kept.name == lock.name and kept.instance == lock.instance)
        self.other_locks.append((self.role or name, lock))
        return True

    def _rule_lock_pair(self, pair: tuple[LockUse, LockUse], _line: Line) -> bool:
        return self.fields.setdefault("new_dependency", pair) is pair

    def _rule_chain_entry(self, m: Any, line: Line) -> bool:
        lock = parse_lock_desc(f"({m.group('name')}){{{m.group('usage')}}}"
                               + (f"-{{{m.group('wait_outer')}:{m.group('wait_inner')}}}"
                                  if m.group("wait_outer") else ""), line_no=line.no)
        self.chain.append({"index": int(m.group("index")), "lock": lock, "frames": [], "line_no": line.no})
        return True

    def _rule_frame(self, frame: Frame, line: Line) -> bool:
        assert self.section is not None
        return _FRAME_SINKS[self.section.name](self, frame, line)

    # Where a frame goes, by section (see _frame_sink).

    def _frame_to_chain(self, frame: Frame, _line: Line) -> bool:
        if not self.chain:
            return False
        self.chain[-1]["frames"].append(frame)
        return True

    def _frame_to_trace(self, frame: Frame, _line: Line) -> bool:
        self.traces[-1]["frames"].append(frame)
        return True

    def _frame_to_path(self, frame: Frame, _line: Line) -> bool:
        return self._path_frame(frame)

    def _frame_to_unheld(self, frame: Frame, _line: Line) -> bool:
        self.unheld_at.append(frame)
        return True

    def _frame_to_irq_event(self, frame: Frame, _line: Line) -> bool:
        # 4.9-4.10 print the "[<addr>] sym" of an event on a line of its own (pitfall 8.5).
        if not self.irq_events or self.irq_events[-1]["at"] is not None:
            return False
        self.irq_events[-1]["at"] = frame
        return True

    def _frame_to_stack(self, frame: Frame, _line: Line) -> bool:
        if not self.stacks:
            self.stacks.append([])
        self.stacks[-1].append(frame)
        return True

    def _rule_elided_frame(self, m: Any, line: Line) -> bool:
        text = m.group("frame").strip()
        if not text:
            return True
        frame = parse_frame(text, line_no=line.no)
        return frame is not None and self._rule_frame(frame, line)

    def _rule_stack_marker(self, _m: Any, _line: Line) -> bool:
        return True

    def _rule_chain_names(self, m: Any, _line: Line) -> bool:
        if "chain_exists" in self.fields:
            return False
        self.fields["chain_exists"] = tuple(name.strip() for name in m.group("names").split(" --> "))
        return True

    def _rule_scenario_cpus(self, m: Any, _line: Line) -> bool:
        # Columns survive when CPU0 and CPU1 are still far apart (lockdep prints 20 blanks).
        text = m.group(0).strip()
        self.scenario_columns = "CPU1" in text and text.index("CPU1") - len("CPU0") > 2
        return True

    def _rule_scenario_rule(self, _m: Any, _line: Line) -> bool:
        return True

    def _rule_scenario_step(self, m: Any, line: Line) -> bool:
        name = m.group("name") if "name" in m.re.groupindex else None
        if self.scenario_columns:
            cpu = 1 if len(m.group("indent").expandtabs()) >= _CPU1_INDENT else 0
        else:
            columns = self.kind.scenario_columns
            position = len(self.scenario)
            cpu = columns[position] if position < len(columns) else 0
        self.scenario.append(ScenarioStep(cpu=cpu, op=m.group("op"), lock=name, line_no=line.no))
        return True

    _rule_scenario_event = _rule_scenario_step

    def _rule_held_lock(self, m: Any, line: Line) -> bool:
        lock = parse_lock_desc(m.group("rest"), line_no=line.no)
        if lock is None:
            return False
        index = int(m.group("index"))
        held = self.dumps[-1][1] if self.section is not None and self.section.name == "dump_held_locks" \
            and self.dumps else self.held_locks
        # syzbot prints a held lock once per inlined frame of its 'at:'; keep the first.
        held.setdefault(index, HeldLock(index=index, lock=lock, holder=self.holder))
        return True

    def _rule_cpu_info(self, m: Any, _line: Line) -> bool:
        self.fields.setdefault("context", m)
        return True

    _rule_pid_info = _rule_cpu_info

    def _rule_hardware(self, m: Any, _line: Line) -> bool:
        self.fields.setdefault("hardware", m.group("hardware"))
        return True

    def _rule_registers(self, m: Any, _line: Line) -> bool:
        self.registers.append(m.group(0).strip())
        return True

    def _rule_taint_legend(self, _m: Any, _line: Line) -> bool:
        return True

    _rule_workqueue = _rule_taint_legend
    _rule_call_trace = _rule_taint_legend
    _rule_stack_words = _rule_taint_legend
    _rule_warn_info = _rule_taint_legend
    _rule_end_trace = _rule_taint_legend
    _rule_bad_path = _rule_taint_legend
    _rule_class_close = _rule_taint_legend
    _rule_collision_depth = _rule_taint_legend
    _rule_dump_retry = _rule_taint_legend

    def _rule_irq_event(self, m: Any, line: Line) -> bool:
        where = m.group("at")
        at = (parse_frame(where, line_no=line.no) or raw_frame(where, line_no=line.no)) if where else None
        self.irq_events.append({"irq": m.group("irq"), "event": m.group("event"), "stamp": int(m.group("stamp")),
                                "at": at, "line_no": line.no})
        return True

    def _rule_path_continued(self, m: Any, _line: Line) -> bool:
        if not self.paths or self.paths[-1]["classes"]:
            return False
        self.paths[-1]["between"] += f" and {m.group('between')}"
        return True

    def _rule_class_header(self, m: Any, line: Line) -> bool:
        lock = parse_lock_desc(m.group("desc"), line_no=line.no)
        if lock is None or not self.paths:
            return False
        ops = m.group("ops")
        self.paths[-1]["classes"].append({"lock": lock, "ops": int(ops) if ops else None, "usage_traces": [],
                                          "key": None, "acquired_at": [], "line_no": line.no})
        self.path_target = None
        return True

    def _current_class(self) -> dict[str, Any] | None:
        return self.paths[-1]["classes"][-1] if self.paths and self.paths[-1]["classes"] else None

    def _rule_usage_bit(self, m: Any, line: Line) -> bool:
        cls = self._current_class()
        if cls is None:
            return False
        cls["usage_traces"].append({"event": "usage", "usage": m.group("bit"), "frames": [], "line_no": line.no})
        self.path_target = "usage"
        return True

    def _rule_class_key(self, m: Any, line: Line) -> bool:
        cls = self._current_class()
        if cls is None:
            return False
        cls["key"] = parse_frame(m.group("at"), line_no=line.no) or raw_frame(m.group("at"), line_no=line.no)
        self.path_target = None
        return True

    def _rule_acquired_at(self, _m: Any, _line: Line) -> bool:
        if self._current_class() is None:
            return False
        self.path_target = "acquired"
        return True

    def _path_frame(self, frame: Frame) -> bool:
        cls = self._current_class()
        if cls is None or self.path_target is None:
            return False
        if self.path_target == "usage":
            cls["usage_traces"][-1]["frames"].append(frame)
        else:
            cls["acquired_at"].append(frame)
        return True

    def _rule_rcu_state(self, m: Any, _line: Line) -> bool:
        self.fields.setdefault("rcu_scheduler_active", int(m.group("active")))
        self.fields.setdefault("debug_locks", int(m.group("debug_locks")))
        return True

    def _rule_rcu_note(self, m: Any, _line: Line) -> bool:
        self.rcu_notes.append(m.group("note"))
        return True

    def _rule_wait_context(self, m: Any, _line: Line) -> bool:
        return self.fields.setdefault("wait_context", (int(m.group("outer")), int(m.group("inner")))) is not None

    def _rule_bare_name(self, m: Any, line: Line) -> bool:
        if "unheld_lock" in self.fields:
            return False
        self.fields["unheld_lock"] = lock_from_name(m.group("name"), line_no=line.no)
        return True

    def _rule_collision_lock(self, m: Any, line: Line) -> bool:
        rest = m.group("rest").strip()
        if rest:
            lock = parse_lock_desc(rest, line_no=line.no)
            if lock is None:
                return False
            return self._rule_lock(lock, line)
        return True

    def _rule_lock_stat_hint(self, m: Any, _line: Line) -> bool:
        self.notes.append(m.group(0).strip())
        return True

    def _rule_dump_end(self, _m: Any, _line: Line) -> bool:
        self.finished = True
        return True

    # -- the result -------------------------------------------------------------------------

    def _build(self, span: Span, ended: bool) -> Splat:
        f = self.fields
        context = None
        ctx = f.get("context")
        if ctx is not None or f.get("hardware") or self.registers:
            taint = ctx.group("taint") if ctx else None
            if taint and taint.startswith("Tainted:"):
                taint = taint[len("Tainted:"):].strip()
            context = StackContext(
                cpu=int(ctx.group("cpu")) if ctx is not None and "cpu" in ctx.re.groupindex else None,
                pid=int(ctx.group("pid")) if ctx else None,
                comm=ctx.group("comm") if ctx else None,
                taint=taint,
                release=ctx.group("release") if ctx else None,
                hardware=f.get("hardware"),
                registers=tuple(self.registers),
            )
        chain = tuple(
            ChainEntry(index=e["index"], lock=e["lock"], frames=tuple(e["frames"]), line_no=e["line_no"])
            for e in self.chain
        )
        stacks = [tuple(stack) for stack in self.stacks if stack]
        truncated = not ended and bool(self.kind.stack_sections) and not stacks
        lines = self.lines[self.first:self.limit]
        while lines and lines[-1].no > span.last_line:  # (lines are in input order)
            lines.pop()
        lines = tuple(lines)
        # Every wrapper name once, in the order of first appearance (most lines share a tuple).
        wrappers = list(dict.fromkeys(itertools.chain.from_iterable(dict.fromkeys(map(_WRAPPERS_OF, lines)))))
        held_locks = tuple(self.held_locks[i] for i in sorted(self.held_locks))
        # syzkaller's title, from the raw report text (the banner line and the lines after it,
        # which may decide where the report ends).
        title = syzkaller_title(self.lines, self.banner_index, self.kind)
        # Every lock the report prints: the era and the wait-type scale are read from them.
        locks = _locks(f, chain, held_locks, self.other_locks)
        usage_layout = detect_usage_layout(self.banner, f.get("kernel"), f.get("usage_change"),
                                           [lock.usage for lock in locks if lock.usage],
                                           kind_since=self.kind.since)
        splat = Splat(
            kind=self.kind.kind,
            banner=self.banner,
            span=span,
            kernel=f.get("kernel"),
            task=f.get("task"),
            acquiring=f.get("acquiring"),
            holding=f.get("holding"),
            chain=chain,
            chain_exists=f.get("chain_exists", ()),
            scenario=tuple(self.scenario),
            held_locks=held_locks,
            held_locks_count=f.get("held_locks_count"),
            backtrace=stacks[0] if stacks else (),
            extra_backtraces=tuple(stacks[1:]),
            context=context,
            irq_context=f.get("irq_context"),
            usage_change=f.get("usage_change"),
            irq_class=f.get("irq_class"),
            new_dependency=f.get("new_dependency"),
            other_locks=tuple(self.other_locks),
            traces=tuple(_trace(t) for t in self.traces),
            irq_events=tuple(IrqEvent(e["irq"], e["event"], e["stamp"], e["at"], e["line_no"])
                             for e in self.irq_events),
            irq_event_stamp=f.get("irq_event_stamp"),
            dependency_paths=tuple(_path(p) for p in self.paths),
            unheld_lock=f.get("unheld_lock"),
            unheld_at=tuple(self.unheld_at),
            memory_range=f.get("memory_range"),
            source_location=f.get("source_location"),
            rcu_message=f.get("rcu_message"),
            rcu_notes=tuple(self.rcu_notes),
            rcu_scheduler_active=f.get("rcu_scheduler_active"),
            debug_locks=f.get("debug_locks"),
            wait_context=f.get("wait_context"),
            limit=f.get("limit"),
            lock_depth=f.get("lock_depth"),
            condition=f.get("condition"),
            warn_at=f.get("warn_at"),
            notes=tuple(self.notes),
            held_lock_dumps=tuple((task, tuple(held[i] for i in sorted(held))) for task, held in self.dumps),
            usage_layout=usage_layout,
            wait_scale=detect_wait_scale(_wait_evidence(f, locks)),
            unrecognised=tuple(self.unrecognised),
            interleaved=tuple(self.interleaved),
            line_fields=tuple(self.line_fields),
            truncated=truncated,
            wrappers=tuple(wrappers),
            lines=lines,
            title=title.text,
            corrupted=title.corrupted,
            corrupted_reason=title.corrupted_reason,
        )
        return splat


#: Where the frames of a section go, by section name; the sections that record a usage
#: trace put them in it, and the others in the current stack.
_SECTION_FRAME_SINKS = {
    "chain": _ReportReader._frame_to_chain,
    "dependencies": _ReportReader._frame_to_path,
    "release": _ReportReader._frame_to_unheld,
    "contend": _ReportReader._frame_to_unheld,
    "irq_events": _ReportReader._frame_to_irq_event,
}


def _frame_sink(section: Section) -> Any:
    """The reader method that stores a frame line of ``section``."""
    default = _ReportReader._frame_to_trace if section.trace else _ReportReader._frame_to_stack
    return _SECTION_FRAME_SINKS.get(section.name, default)


#: Section name -> where its frames go.
_FRAME_SINKS = {section.name: _frame_sink(section) for section in SECTIONS.values()}
#: Section name -> its frame sink, for the sections whose body takes frames.
_FRAME_FIRST = {section.name: _FRAME_SINKS[section.name] for section in SECTIONS.values() if "frame" in section.body}
#: Section name -> the reader method that keeps what its header says, for the sections with one.
_ENTER_HANDLERS = {name: getattr(_ReportReader, f"_enter_{name}") for name in SECTIONS
                   if hasattr(_ReportReader, f"_enter_{name}")}
#: Rule name -> the reader method that stores what the rule read.
_RULE_HANDLERS = {name: getattr(_ReportReader, f"_rule_{name}") for name in RULES if name != "blank"}


def _body(section: Section) -> tuple[tuple[Any, Any], ...]:
    """(matcher, handler) of each rule ``section``'s body accepts, in order; a frame goes
    straight to its section's sink.

    A run of rules that are each one regex match becomes one step that tries them all in
    one match (see :func:`~splatkit.grammar.sections.rule_runs`).
    """
    def handler(name: str) -> Any:
        return _FRAME_SINKS[section.name] if name == "frame" else _RULE_HANDLERS[name]

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


def _call_first_of(reader: _ReportReader, value: tuple[Any, re.Match[str]], line: Line) -> bool:
    handler, m = value
    return handler(reader, m, line)


#: Section name -> the steps that read a line of its body (see _body).
_BODY = {section.name: _body(section) for section in SECTIONS.values()}


def _trace(t: dict[str, Any]) -> StateTrace:
    return StateTrace(t["event"], t["usage"], tuple(t["frames"]), t["line_no"])


def _path(p: dict[str, Any]) -> DependencyPath:
    classes = tuple(
        DependencyClass(lock=c["lock"], ops=c["ops"], usage_traces=tuple(_trace(t) for t in c["usage_traces"]),
                        key=c["key"], acquired_at=tuple(c["acquired_at"]), line_no=c["line_no"])
        for c in p["classes"]
    )
    return DependencyPath(p["between"], classes, p["line_no"])


def _locks(f: dict[str, Any], chain: tuple[ChainEntry, ...], held: tuple[HeldLock, ...],
           others: list[tuple[str, LockUse]]) -> list[LockUse]:
    locks = [f.get("acquiring"), f.get("holding"), *(e.lock for e in chain), *(h.lock for h in held),
             *(lock for _, lock in others)]
    pair = f.get("new_dependency")
    if pair:
        locks.extend(pair)
    return [lock for lock in locks if lock is not None]


def _wait_evidence(f: dict[str, Any], locks: list[LockUse]) -> WaitEvidence:
    kernel = f.get("kernel")
    return WaitEvidence(tuple((lock.name, lock.wait) for lock in locks if lock.wait),
                        f.get("wait_context"), kernel.release if kernel else None)
