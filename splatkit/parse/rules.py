"""What each line rule of a report stores: one function per rule, section header and frame sink.

The reader (:mod:`splatkit.parse.reader`) matches a line against the rules of the
section it is in (:mod:`splatkit.grammar.sections`) and calls the function of the rule
that matched, with what the rule read. Each returns False when what was read has no
place here (a second ``Chain exists of:`` line), and the line is then unrecognised.
Functions named ``enter_SECTION`` keep what a section's header line says.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..grammar.frames import parse_frame, raw_frame
from ..grammar.locks import lock_from_name, parse_lock_desc
from ..grammar.sections import CHAIN_NAMES_SEPARATOR, RULES, SECTIONS, Section
from ..model import Frame, HeldLock, Line, LockUse, ScenarioStep

if TYPE_CHECKING:
    from .reader import ReportReader

#: A scenario step indented this much or more sits in the CPU1 column (lockdep indents 31).
_CPU1_INDENT = 12
#: Lockdep indents every scenario step at least this much ("  lock(A);").
_STEP_INDENT = 2

#: ``Splat`` fields a section's ``lock`` line may fill directly; other section fields are roles
#: in ``Splat.other_locks``.
_LOCK_FIELDS = frozenset(("acquiring", "holding"))


# -- section headers ------------------------------------------------------------------------------

def enter_usage_change(reader: ReportReader, g: dict[str, Any], _line: Line) -> None:
    reader.fields.setdefault("usage_change", (g["prev"], g["new"]))


def enter_irq_events(reader: ReportReader, g: dict[str, Any], _line: Line) -> None:
    reader.fields["irq_event_stamp"] = int(g["stamp"])


def enter_dependencies(reader: ReportReader, g: dict[str, Any], line: Line) -> None:
    between = g.get("between") or g.get("whose") or ""
    reader.paths.append({"between": between, "classes": [], "line_no": line.no})
    reader.path_target = None


def enter_release(reader: ReportReader, g: dict[str, Any], line: Line) -> None:
    reader.fields.setdefault("unheld_lock", lock_from_name(g["name"], line_no=line.no))


enter_contend = enter_release


def enter_freeing(reader: ReportReader, g: dict[str, Any], _line: Line) -> None:
    reader.fields.setdefault("memory_range", (g["start"], g["end"]))


def enter_rcu_source(reader: ReportReader, g: dict[str, Any], _line: Line) -> None:
    reader.fields.setdefault("source_location", f"{g['file']}:{g['line']}")
    reader.fields.setdefault("rcu_message", g["message"])


def enter_warn_condition(reader: ReportReader, g: dict[str, Any], _line: Line) -> None:
    reader.fields.setdefault("condition", g["condition"])


def enter_limit_depth(reader: ReportReader, g: dict[str, Any], _line: Line) -> None:
    reader.fields.setdefault("lock_depth", (int(g["depth"]), int(g["max"])))


# -- line rules -----------------------------------------------------------------------------------

def rule_lock(reader: ReportReader, lock: LockUse, line: Line) -> bool:
    assert reader.section is not None
    name = reader.section.field
    if name in _LOCK_FIELDS or name == reader.section.name:
        kept = reader.fields.setdefault(name, lock)
        # syzbot prints a lock line once per inlined frame of its 'at:' (§2.2).
        return kept is lock or (kept.name == lock.name and kept.instance == lock.instance)
    reader.other_locks.append((reader.role or name, lock))
    return True


def rule_lock_pair(reader: ReportReader, pair: tuple[LockUse, LockUse], _line: Line) -> bool:
    return reader.fields.setdefault("new_dependency", pair) is pair


def rule_chain_entry(reader: ReportReader, m: Any, line: Line) -> bool:
    if m.group("usage") is None:  # (rewritten or cut: the name alone)
        lock = lock_from_name(m.group("name"), line_no=line.no)
    else:
        lock = parse_lock_desc(f"({m.group('name')}){{{m.group('usage')}}}"
                               + (f"-{{{m.group('wait_outer')}:{m.group('wait_inner')}}}"
                                  if m.group("wait_outer") else ""), line_no=line.no)
    reader.chain.append({"index": int(m.group("index")), "lock": lock, "frames": [], "line_no": line.no})
    return True


def rule_frame(reader: ReportReader, frame: Frame, line: Line) -> bool:
    assert reader.section is not None
    return FRAME_SINKS[reader.section.name](reader, frame, line)

# Where a frame goes, by section (see _frame_sink).


def frame_to_chain(reader: ReportReader, frame: Frame, _line: Line) -> bool:
    if not reader.chain:
        return False
    reader.chain[-1]["frames"].append(frame)
    return True


def frame_to_trace(reader: ReportReader, frame: Frame, _line: Line) -> bool:
    reader.traces[-1]["frames"].append(frame)
    return True


def frame_to_path(reader: ReportReader, frame: Frame, _line: Line) -> bool:
    return _path_frame(reader, frame)


def frame_to_unheld(reader: ReportReader, frame: Frame, _line: Line) -> bool:
    reader.unheld_at.append(frame)
    return True


def frame_to_irq_event(reader: ReportReader, frame: Frame, _line: Line) -> bool:
    # 4.9-4.10 print the "[<addr>] sym" of an event on a line of its own (pitfall 8.5).
    if not reader.irq_events or reader.irq_events[-1]["at"] is not None:
        return False
    reader.irq_events[-1]["at"] = frame
    return True


def frame_to_stack(reader: ReportReader, frame: Frame, _line: Line) -> bool:
    if not reader.stacks:
        reader.stacks.append([])
    reader.stacks[-1].append(frame)
    return True


def rule_elided_frame(reader: ReportReader, m: Any, line: Line) -> bool:
    text = m.group("frame").strip()
    if not text:
        return True
    frame = parse_frame(text, line_no=line.no)
    return frame is not None and rule_frame(reader, frame, line)


def rule_stack_marker(reader: ReportReader, _m: Any, _line: Line) -> bool:
    return True


def rule_chain_names(reader: ReportReader, m: Any, _line: Line) -> bool:
    if "chain_exists" in reader.fields:
        return False
    reader.fields["chain_exists"] = tuple(name.strip() for name in CHAIN_NAMES_SEPARATOR.split(m.group("names")))
    return True


def rule_scenario_cpus(reader: ReportReader, m: Any, line: Line) -> bool:
    # Columns survive when CPU0 and CPU1 are still far apart (lockdep prints 20 blanks).
    reader.scenario_wrappers = line.wrappers
    text = m.group(0).strip()
    reader.scenario_cpus = 2 if "CPU1" in text else 1
    reader.scenario_columns = "CPU1" in text and text.index("CPU1") - len("CPU0") > 2
    return True


def rule_scenario_rule(reader: ReportReader, _m: Any, _line: Line) -> bool:
    return True


def rule_scenario_step(reader: ReportReader, m: Any, line: Line) -> bool:
    # The column its indentation puts it in; build.scenario_columns decides.
    name = m.group("name") if "name" in m.re.groupindex else None
    cpu = 1 if len(m.group("indent").expandtabs()) >= _CPU1_INDENT else 0
    reader.scenario.append(ScenarioStep(cpu=cpu, op=m.group("op"), lock=name, line_no=line.no))
    if line.wrappers != reader.scenario_wrappers or len(m.group("indent")) < _STEP_INDENT:
        # Not printed as the header was (rebuilt from pieces: the blanks between them are the
        # rejoin's; its prefix lost where a mailer broke it), or its blanks lost (lockdep
        # indents every step): the blanks no longer tell the column.
        reader.scenario_columns = False
    return True


rule_scenario_event = rule_scenario_step


def rule_held_lock(reader: ReportReader, m: Any, line: Line) -> bool:
    lock = parse_lock_desc(m.group("rest"), line_no=line.no)
    if lock is None:
        return False
    index = int(m.group("index"))
    held = reader.dumps[-1][2] if reader.section is not None and reader.section.name == "dump_held_locks" \
        and reader.dumps else reader.held_locks
    # syzbot prints a held lock once per inlined frame of its 'at:'; keep the first.
    held.setdefault(index, HeldLock(index=index, lock=lock, holder=reader.holder))
    return True


def rule_cpu_info(reader: ReportReader, m: Any, _line: Line) -> bool:
    reader.fields.setdefault("context", m)
    return True


rule_pid_info = rule_cpu_info


def rule_hardware(reader: ReportReader, m: Any, _line: Line) -> bool:
    reader.fields.setdefault("hardware", m.group("hardware"))
    return True


def rule_registers(reader: ReportReader, m: Any, _line: Line) -> bool:
    reader.registers.append(m.group(0).strip())
    return True


def rule_taint_legend(reader: ReportReader, _m: Any, _line: Line) -> bool:
    return True


rule_workqueue = rule_taint_legend
rule_call_trace = rule_taint_legend
rule_stack_words = rule_taint_legend
rule_warn_info = rule_taint_legend
rule_end_trace = rule_taint_legend
rule_bad_path = rule_taint_legend
rule_class_close = rule_taint_legend
rule_collision_depth = rule_taint_legend
rule_dump_retry = rule_taint_legend


def rule_irq_event(reader: ReportReader, m: Any, line: Line) -> bool:
    where = m.group("at")
    at = (parse_frame(where, line_no=line.no) or raw_frame(where, line_no=line.no)) if where else None
    reader.irq_events.append({"irq": m.group("irq"), "event": m.group("event"), "stamp": int(m.group("stamp")),
                            "at": at, "line_no": line.no})
    return True


def rule_path_continued(reader: ReportReader, m: Any, _line: Line) -> bool:
    if not reader.paths or reader.paths[-1]["classes"]:
        return False
    reader.paths[-1]["between"] += f" and {m.group('between')}"
    return True


def rule_class_header(reader: ReportReader, m: Any, line: Line) -> bool:
    lock = parse_lock_desc(m.group("desc"), line_no=line.no)
    if lock is None or not reader.paths:
        return False
    ops = m.group("ops")
    reader.paths[-1]["classes"].append({"lock": lock, "ops": int(ops) if ops else None, "usage_traces": [],
                                      "key": None, "acquired_at": [], "line_no": line.no})
    reader.path_target = None
    return True


def _current_class(reader: ReportReader) -> dict[str, Any] | None:
    return reader.paths[-1]["classes"][-1] if reader.paths and reader.paths[-1]["classes"] else None


def rule_usage_bit(reader: ReportReader, m: Any, line: Line) -> bool:
    cls = _current_class(reader)
    if cls is None:
        return False
    cls["usage_traces"].append({"event": "usage", "usage": m.group("bit"), "frames": [], "line_no": line.no})
    reader.path_target = "usage"
    return True


def rule_class_key(reader: ReportReader, m: Any, line: Line) -> bool:
    cls = _current_class(reader)
    if cls is None:
        return False
    cls["key"] = parse_frame(m.group("at"), line_no=line.no) or raw_frame(m.group("at"), line_no=line.no)
    reader.path_target = None
    return True


def rule_acquired_at(reader: ReportReader, _m: Any, _line: Line) -> bool:
    if _current_class(reader) is None:
        return False
    reader.path_target = "acquired"
    return True


def _path_frame(reader: ReportReader, frame: Frame) -> bool:
    cls = _current_class(reader)
    if cls is None or reader.path_target is None:
        return False
    if reader.path_target == "usage":
        cls["usage_traces"][-1]["frames"].append(frame)
    else:
        cls["acquired_at"].append(frame)
    return True


def rule_rcu_state(reader: ReportReader, m: Any, _line: Line) -> bool:
    reader.fields.setdefault("rcu_scheduler_active", int(m.group("active")))
    reader.fields.setdefault("debug_locks", int(m.group("debug_locks")))
    return True


def rule_rcu_note(reader: ReportReader, m: Any, _line: Line) -> bool:
    reader.rcu_notes.append(m.group("note"))
    return True


def rule_wait_context(reader: ReportReader, m: Any, _line: Line) -> bool:
    return reader.fields.setdefault("wait_context", (int(m.group("outer")), int(m.group("inner")))) is not None


def rule_bare_name(reader: ReportReader, m: Any, line: Line) -> bool:
    """The nest lock's name: the first line after its header, or nothing. A kernel that oopsed
    while printing the name prints its oops there, and a frame of that oops is no lock."""
    if "unheld_lock" in reader.fields:
        return False
    if len(reader.unrecognised) > reader.unread_at_entry:
        return False
    reader.fields["unheld_lock"] = lock_from_name(m.group("name"), line_no=line.no)
    return True


def rule_collision_lock(reader: ReportReader, m: Any, line: Line) -> bool:
    rest = m.group("rest").strip()
    if rest:
        lock = parse_lock_desc(rest, line_no=line.no)
        if lock is None:
            return False
        return rule_lock(reader, lock, line)
    return True


def rule_lock_stat_hint(reader: ReportReader, m: Any, _line: Line) -> bool:
    reader.messages.append(m.group(0).strip())
    return True


def rule_dump_end(reader: ReportReader, _m: Any, _line: Line) -> bool:
    reader.finished = True
    return True


# -- the tables the reader looks handlers up in ------------------------------------------------------

#: Where the frames of a section go, by section name; the sections that record a usage
#: trace put them in it, and the others in the current stack.
_SECTION_FRAME_SINKS = {
    "chain": frame_to_chain,
    "dependencies": frame_to_path,
    "release": frame_to_unheld,
    "contend": frame_to_unheld,
    "irq_events": frame_to_irq_event,
}


def _frame_sink(section: Section) -> Any:
    """The function that stores a frame line of ``section``."""
    default = frame_to_trace if section.trace else frame_to_stack
    return _SECTION_FRAME_SINKS.get(section.name, default)


#: Section name -> where its frames go.
FRAME_SINKS = {section.name: _frame_sink(section) for section in SECTIONS.values()}
#: Section name -> its frame sink, for the sections whose body takes frames.
FRAME_FIRST = {section.name: FRAME_SINKS[section.name] for section in SECTIONS.values() if "frame" in section.body}
#: Section name -> the function that keeps what its header says, for the sections with one.
ENTER_HANDLERS = {name: globals()[f"enter_{name}"] for name in SECTIONS if f"enter_{name}" in globals()}
#: Rule name -> the function that stores what the rule read.
RULE_HANDLERS = {name: globals()[f"rule_{name}"] for name in RULES if name != "blank"}
