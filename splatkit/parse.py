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

import os
from dataclasses import dataclass, field
from typing import Any

from .grammar import kinds as kinds_table
from .grammar.kinds import IDENT, RULE_DASH, RULE_EQ, ReportKind, match_banner
from .grammar.locks import parse_lock_desc
from .grammar.sections import RULES, SECTIONS, Section
from .grammar.tokens import MAX_LINE
from .lines import normalize
from .model import (
    ChainEntry,
    Frame,
    HeldLock,
    KernelIdent,
    Line,
    LockUse,
    ScenarioStep,
    Span,
    Splat,
    StackContext,
    Task,
    Unrecognised,
)
from .titles import syzkaller_title

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
        found = match_banner(line.text)
        if found is not None:
            starts.append((i, found[0], line.text.strip()))
    splats = []
    for n, (i, kind, banner) in enumerate(starts):
        limit = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        # The '=====' rule above the banner belongs to the report.
        first = i - 1 if i > 0 and RULE_EQ.match(lines[i - 1].text) else i
        splats.append(_ReportReader(kind, banner, lines, first, i, limit).read())
    return splats


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
    backtrace: list[Frame] = field(default_factory=list)
    registers: list[str] = field(default_factory=list)

    def read(self) -> Splat:
        caller = self.lines[self.banner_index].caller
        last = self.banner_index
        run = 0
        ended = False
        for index in range(self.first, self.limit):
            line = self.lines[index]
            if caller is not None and line.caller is not None and line.caller != caller:
                self.interleaved.append(line.no)
                continue
            if index <= self.banner_index:
                self.line_fields.append((line.no, "banner"))
                continue
            outcome = self._read_line(line)
            if outcome == "end":
                ended = True
                break
            if outcome == "unrecognised":
                run += 1
                if run >= MAX_UNRECOGNISED_RUN:
                    break
            elif outcome == "ok":
                run = 0
                last = index
        # The span ends at the last line a rule accepted: trailing blanks, foreign text and
        # lines after a cut-off are outside it.
        end_no = self.lines[last].no
        self.unrecognised = [u for u in self.unrecognised if u.line <= end_no]
        self.interleaved = [no for no in self.interleaved if no <= end_no]
        self.line_fields = [(no, f) for no, f in self.line_fields if no <= end_no]
        return self._build(Span(self.lines[self.first].no, end_no), ended)

    # -- one line ---------------------------------------------------------------------------

    def _read_line(self, line: Line) -> str:
        text = line.text
        if len(text) > MAX_LINE:
            return self._unrecognised(line, "line too long to be part of a lockdep report")
        if self.section is None and self._read_preamble(line):
            return "ok"
        for name in self.kind.sections:
            section = SECTIONS[name]
            m = section.header.match(text)
            if m is not None:
                self._enter(section, m, line)
                return "ok"
        if self.section is not None:
            for rule_name in self.section.body:
                value = RULES[rule_name].match(text, line.no)
                if value is not None:
                    if self._accept(rule_name, value, line):
                        return "ok"
                    break
        if RULES["blank"].match(text, line.no):
            self.line_fields.append((line.no, "blank"))
            return "blank"
        if self.section is not None and self.section.terminal and self.backtrace:
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
        self.section = section
        self.line_fields.append((line.no, section.name))
        groups = m.groupdict()
        if groups.get("comm") is not None:
            task = Task(groups["comm"], int(groups["pid"]))
            if section.name == "held_locks":
                self.holder = task
                count = groups.get("count")
                self.fields.setdefault("held_locks_count", int(count) if count else 0)
            else:
                self.fields.setdefault("task", task)

    # -- rules ------------------------------------------------------------------------------

    def _accept(self, rule: str, value: Any, line: Line) -> bool:
        """Store what ``rule`` read; False when the value has no place here."""
        section = self.section
        assert section is not None
        handler = getattr(self, f"_rule_{rule}")
        accepted = handler(value, line)
        if accepted:
            self.line_fields.append((line.no, section.name))
        return accepted

    def _rule_lock(self, lock: LockUse, line: Line) -> bool:
        assert self.section is not None
        return self.fields.setdefault(self.section.name, lock) is lock

    def _rule_chain_entry(self, m: Any, line: Line) -> bool:
        lock = parse_lock_desc(f"({m.group('name')}){{{m.group('usage')}}}"
                               + (f"-{{{m.group('wait_outer')}:{m.group('wait_inner')}}}"
                                  if m.group("wait_outer") else ""), line_no=line.no)
        self.chain.append({"index": int(m.group("index")), "lock": lock, "frames": [], "line_no": line.no})
        return True

    def _rule_frame(self, frame: Frame, line: Line) -> bool:
        assert self.section is not None
        if self.section.name == "chain":
            if not self.chain:
                return False
            self.chain[-1]["frames"].append(frame)
        else:
            self.backtrace.append(frame)
        return True

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
        # syzbot prints a held lock once per inlined frame of its 'at:'; keep the first.
        self.held_locks.setdefault(index, HeldLock(index=index, lock=lock, holder=self.holder))
        return True

    def _rule_cpu_info(self, m: Any, _line: Line) -> bool:
        self.fields["context"] = m
        return True

    _rule_pid_info = _rule_cpu_info

    def _rule_hardware(self, m: Any, _line: Line) -> bool:
        self.fields["hardware"] = m.group("hardware")
        return True

    def _rule_registers(self, m: Any, _line: Line) -> bool:
        self.registers.append(m.group(0).strip())
        return True

    def _rule_taint_legend(self, _m: Any, _line: Line) -> bool:
        return True

    _rule_workqueue = _rule_taint_legend
    _rule_call_trace = _rule_taint_legend

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
        needs_backtrace = "backtrace" in self.kind.sections
        truncated = not ended and needs_backtrace and not self.backtrace
        lines = tuple(line for line in self.lines[self.first:self.limit] if line.no <= span.last_line)
        wrappers: list[str] = []
        for line in lines:
            for name in line.wrappers:
                if name not in wrappers:
                    wrappers.append(name)
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
            held_locks=tuple(self.held_locks[i] for i in sorted(self.held_locks)),
            held_locks_count=f.get("held_locks_count"),
            backtrace=tuple(self.backtrace),
            context=context,
            unrecognised=tuple(self.unrecognised),
            interleaved=tuple(self.interleaved),
            line_fields=tuple(self.line_fields),
            truncated=truncated,
            wrappers=tuple(wrappers),
            lines=lines,
        )
        return _with_title(splat, self.lines, self.banner_index)


def _with_title(splat: Splat, lines: list[Line], banner_index: int) -> Splat:
    """``splat`` with syzkaller's title and corrupted flag, computed from the raw report text
    (the banner line and the lines after it, which may decide where the report ends)."""
    from dataclasses import replace

    title = syzkaller_title(lines, banner_index, kinds_table.kind_by_id(splat.kind))
    return replace(splat, title=title.text, corrupted=title.corrupted, corrupted_reason=title.corrupted_reason)
