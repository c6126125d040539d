"""The kind table, validated as data; golden cases per kind; per-kind fields on the corpus.

Golden cases live in ``tests/cases/<kind>-<era>-<what>.splat``: header lines, a blank line,
then the raw text (written by the project from the formats in lockdep-format.md, or edited
from our seed). Headers:

- ``KIND:`` the kind of the (only) report; ``TITLE:`` its syzkaller title;
- ``LOCKS:`` every lock class the report names, comma-separated, in first-seen order;
- ``CYCLE:`` the cycle, ``->``-separated (circular only);
- ``COMPLETE: yes`` or ``COMPLETE: truncated``;
- ``FIELD <name>: <json>``: ``Splat.to_dict()[name]`` must equal the JSON value.

``SPLATKIT_UPDATE_GOLDEN=1`` rewrites the KIND/TITLE/LOCKS/CYCLE/COMPLETE headers from what
the parser gives (FIELD lines are kept as written) and still fails, so that a rewrite is
always a deliberate, reviewed step.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

import splatkit
from conftest import REPO, assert_lossless, read_log
from splatkit.grammar.kinds import BANNER_HINT, KINDS, kind_by_id, match_banner
from splatkit.grammar.sections import ABOVE_BANNER, RULES, SECTIONS
from splatkit.lines import normalize
from splatkit.model import Splat
from splatkit.usage import USAGE_LAYOUTS, decode_usage, detect_usage_layout, wait_type_name

CASES = Path(__file__).parent / "cases"
CASE_FILES = sorted(CASES.glob("*.splat"))
KIND_IDS = [k.kind for k in KINDS]
#: Kinds the README's table does not list yet (README is owned elsewhere; reported upstream).
README_PENDING: set[str] = set()  # kinds added to the table before the README lists them


# -- golden files -------------------------------------------------------------------------------

def read_case(path: Path) -> tuple[dict[str, str], dict[str, object], str]:
    """(headers, FIELD expectations, raw text) of a golden file."""
    header, _, text = path.read_text(encoding="utf-8").partition("\n\n")
    headers: dict[str, str] = {}
    fields: dict[str, object] = {}
    for line in header.splitlines():
        if line.startswith("FIELD "):
            name, _, value = line[len("FIELD "):].partition(": ")
            fields[name] = json.loads(value)
        else:
            key, _, value = line.partition(":")
            headers[key] = value.strip()
    return headers, fields, text


def lock_names(splat: Splat) -> list[str]:
    """Every lock class a splat names, in first-seen order."""
    locks = [splat.acquiring, splat.holding, *(e.lock for e in splat.chain), splat.unheld_lock,
             *(splat.new_dependency or ()), *(lock for _, lock in splat.other_locks),
             *(h.lock for h in splat.held_locks),
             *(h.lock for dump in splat.held_lock_dumps for h in dump.held_locks)]
    names: list[str] = []
    for lock in locks:
        if lock is not None and lock.name not in names:
            names.append(lock.name)
    return names


def expected_headers(splat: Splat) -> dict[str, str]:
    headers = {
        "KIND": splat.kind,
        "TITLE": splat.title,
        "LOCKS": ", ".join(lock_names(splat)),
        "COMPLETE": "truncated" if splat.truncated else "yes",
    }
    if splat.cycle:
        headers["CYCLE"] = " -> ".join(splat.cycle)
    return headers


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_golden(path):
    headers, fields, text = read_case(path)
    splats = splatkit.parse(text)
    assert len(splats) == 1, f"{path.name}: expected one report, got {[s.kind for s in splats]}"
    (splat,) = splats
    got = expected_headers(splat)
    if os.environ.get("SPLATKIT_UPDATE_GOLDEN"):
        field_lines = [f"FIELD {k}: {json.dumps(v)}" for k, v in fields.items()]
        path.write_text("\n".join([f"{k}: {v}" for k, v in got.items()] + field_lines) + "\n\n" + text,
                        encoding="utf-8")
        pytest.fail(f"{path.name}: golden headers rewritten; review the diff and run again without "
                    "SPLATKIT_UPDATE_GOLDEN")
    # A golden file is the project's own text: every line of it is understood.
    assert splat.unrecognised == (), f"{path.name}: {splat.unrecognised}"
    assert_lossless(splat)
    assert {k: v for k, v in headers.items() if k in got or k == "CYCLE"} == got
    data = splat.to_dict()
    for name, value in fields.items():
        assert data[name] == value, f"{path.name}: {name}"
    # The file's name says its kind.
    assert path.stem.split("-")[0] == splat.kind


# -- the table itself ---------------------------------------------------------------------------

def test_every_kind_has_a_golden_case():
    covered = {read_case(p)[0]["KIND"] for p in CASE_FILES}
    assert sorted(set(KIND_IDS) - covered) == []


@pytest.mark.parametrize("kind", KIND_IDS)
def test_banner_matches_its_golden_cases(kind):
    entry = kind_by_id(kind)
    cases = [p for p in CASE_FILES if read_case(p)[0]["KIND"] == kind]
    for path in cases:
        lines = normalize(read_case(path)[2])
        banners = [line.text for line in lines if match_banner(line.text) is not None]
        assert banners, f"{path.name}: no banner"
        found = match_banner(banners[0])
        assert found is not None and found[0] is entry
        # The scanner's cheap check accepts the same line.
        text = banners[0].strip()
        start = next(i for i in range(len(text)) if BANNER_HINT.match(text.encode(), i)) if entry.framed else 0
        assert BANNER_HINT.match(text.encode(), start)


def test_kind_ids_are_unique_and_sections_exist():
    assert len(set(KIND_IDS)) == len(KIND_IDS)
    for entry in KINDS:
        assert entry.sections, entry.kind
        for name in entry.sections:
            assert name in SECTIONS, (entry.kind, name)
        for name in entry.above:
            assert name in ABOVE_BANNER, (entry.kind, name)
        for name in entry.stack_sections:
            assert name in entry.sections
        for name in entry.fields:
            assert name in Splat.__dataclass_fields__, (entry.kind, name)
        assert isinstance(entry.banner, re.Pattern)
        assert re.compile(entry.banner_text)


def test_every_section_and_rule_is_used():
    used_sections = {name for entry in KINDS for name in entry.sections}
    assert sorted(set(SECTIONS) - used_sections) == []
    used_rules = {rule for name in used_sections for rule in SECTIONS[name].body}
    # "blank" is tried in every section.
    assert sorted(set(RULES) - used_rules - {"blank"}) == []
    for section in SECTIONS.values():
        assert section.header.pattern.startswith("^"), section.name


@pytest.mark.parametrize("kind", KIND_IDS)
def test_every_kind_is_in_the_readme(kind):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    if f"| `{kind}` |" not in readme and kind in README_PENDING:
        pytest.xfail(f"README's kinds table does not list {kind!r} yet (README is owned elsewhere)")
    assert f"| `{kind}` |" in readme


@pytest.mark.parametrize("module", sorted(p.name for p in (REPO / "splatkit" / "parse").glob("*.py")))
def test_parse_holds_no_kernel_text(module):
    """The parser acts on rule names; what the kernel prints lives in the grammar tables."""
    source = (REPO / "splatkit" / "parse" / module).read_text(encoding="utf-8")
    for phrase in ("held by", "stack backtrace", "is trying to", "irq event stamp", "DEBUG_LOCKS_WARN_ON",
                   "Call Trace", "other info", "rcu_scheduler_active =", "context-{"):
        assert phrase not in source, phrase


# -- usage and wait types -----------------------------------------------------------------------

def test_usage_layouts_by_era():
    assert [b.meaning for b in decode_usage("-.+.", "v4.14")] == ["irq-safe", "unused", "irq-unsafe", "unused"]
    # 2.6.18-2.6.29: W,W,R,R and '+' means irq-safe.
    bits = decode_usage("+-..", "v2.6.18")
    assert [(b.state, b.access, b.meaning) for b in bits[:2]] == [("HARDIRQ", "W", "irq-safe"),
                                                                  ("SOFTIRQ", "W", "irq-unsafe")]
    assert [b.state for b in decode_usage("+.?...", "v2.6.30")][4:] == ["RECLAIM_FS", "RECLAIM_FS"]
    assert set(USAGE_LAYOUTS) == {"v2.6.18", "v2.6.30", "v4.14"}


def test_four_characters_alone_decide_no_era():
    assert detect_usage_layout("Showing all locks held in the system:", None, None, ["+.+."]) is None
    assert detect_usage_layout("WARNING: possible recursive locking detected", None, None, ["+.+."]) == "v4.14"
    assert detect_usage_layout("[ INFO: possible recursive locking detected ]", None, None, ["+.+."]) == "v2.6.18"
    assert detect_usage_layout("[ BUG: Invalid wait context ]", None, None, ["+.+."], kind_since="v5.7") == "v4.14"


def test_wait_types_follow_the_report_scale(seed_splat):
    # The seed (6.9, mutexes at {3:3}, no context line) does not say which scale it uses.
    assert seed_splat.wait_scale is None
    assert wait_type_name(3, seed_splat.wait_scale) is None
    assert wait_type_name(0, seed_splat.wait_scale) == "LD_WAIT_INV"
    (splat,) = splatkit.parse(read_case(CASES / "invalid_wait-6.13-raw-nesting.splat")[2])
    assert splat.wait_scale == "raw_lock_nesting"
    assert wait_type_name(splat.acquiring.wait[0], splat.wait_scale) == "LD_WAIT_SLEEP"


# -- per-kind fields on real reports (the shared corpus; skipped without it) ---------------------

def _corpus_splats(corpus_dir: Path, name: str) -> list[Splat]:
    return splatkit.parse(read_log(corpus_dir / "report" / name))


#: What each kind must yield on every corpus report of that kind that is not cut short.
KIND_CHECKS = {
    "inconsistent_state": lambda s: s.usage_change is not None and s.acquiring is not None
    and s.irq_context is not None and s.task is not None,
    "irq_safe_unsafe": lambda s: s.acquiring is not None and s.irq_context is not None,
    "irq_inversion": lambda s: s.acquiring is not None,
    "bad_unlock": lambda s: s.unheld_lock is not None,
    "held_lock_freed": lambda s: s.memory_range is not None and s.holding is not None,
    "still_held": lambda s: s.task is not None and s.held_locks,
    "held_on_return": lambda s: s.task is not None and s.held_locks,
    "suspicious_rcu": lambda s: s.source_location is not None and s.rcu_message,
    "invalid_wait": lambda s: s.acquiring is not None,
    "nested_not_taken": lambda s: s.acquiring is not None,
    "lockdep_limit": lambda s: s.limit is not None and "turning off the locking correctness validator." in s.messages,
    "non_static_key": lambda s: bool(s.messages) and bool(s.backtrace),
    "lockdep_warning": lambda s: s.source_location is not None,
    "workqueue_leaked_lock": lambda s: bool(s.held_locks),
}


def test_corpus_kind_fields(corpus_file, corpus_dir):
    for splat in _corpus_splats(corpus_dir, corpus_file):
        check = KIND_CHECKS.get(splat.kind)
        if check is None or (splat.truncated and not splat.backtrace):
            continue
        if splat.span.last_line - splat.span.first_line < 4:
            continue  # a banner and little else: the log was cut right after it
        assert check(splat), f"{corpus_file}: {splat.kind} fields missing"
        # Every lock line was parsed into a LockUse with its class name.
        for name in lock_names(splat):
            assert name


def test_corpus_inconsistent_state_reports(corpus_dir):
    """Every inconsistent_state report of the corpus names both usages and the lock taken."""
    seen = 0
    for path in sorted((corpus_dir / "report").iterdir()):
        for splat in splatkit.parse(read_log(path)):
            if splat.kind != "inconsistent_state" or splat.usage_change is None or not splat.backtrace:
                continue
            seen += 1
            prev, new = splat.usage_change
            assert prev and new and prev != new
            assert splat.acquiring is not None and splat.acquiring.usage
            assert any(t.event == "registered" and t.usage == prev for t in splat.traces), path.name
            assert splat.usage_layout in USAGE_LAYOUTS
    assert seen >= 5


def test_corpus_irq_safe_unsafe_paths(corpus_dir):
    """The safe->unsafe reports that run to their end carry both dependency paths."""
    complete = with_new_dependency = 0
    for path in sorted((corpus_dir / "report").iterdir()):
        for splat in splatkit.parse(read_log(path)):
            if splat.kind != "irq_safe_unsafe" or not splat.backtrace:
                continue
            complete += 1
            # One corpus file lost the lines between "is trying to acquire:" and "... which became".
            if splat.new_dependency is None:
                continue
            with_new_dependency += 1
            assert splat.other_lock("safe") is not None and splat.other_lock("unsafe") is not None
            assert {t.event for t in splat.traces} == {"became_safe", "became_unsafe"}
            assert len(splat.dependency_paths) == 2
            for dep in splat.dependency_paths:
                assert dep.classes and all(c.acquired_at for c in dep.classes)
    assert complete >= 3 and with_new_dependency >= complete - 1


def test_corpus_few_unrecognised_lines(corpus_dir):
    """Lines a report's grammar does not know are foreign text interleaved without caller ids."""
    total = sum(len(s.unrecognised) for p in sorted((corpus_dir / "report").iterdir())
                for s in splatkit.parse(read_log(p)))
    assert total <= 80


def test_common_frames_are_no_header_and_no_earlier_rule(corpus_dir):
    """The parser reads a line of the common frame form as a frame first, in a section that takes
    frames: that is right only if no section header and no rule before "frame" in a section's
    body reads such a line. Checked on every such line of the corpus and the golden cases."""
    from splatkit.grammar.frames import SIMPLE_FRAME

    texts = [read_log(p) for p in sorted((corpus_dir / "report").iterdir())]
    texts += [read_case(p)[2] for p in CASE_FILES]
    frames = {line.text for text in texts for line in normalize(text) if SIMPLE_FRAME.match(line.text)}
    assert len(frames) > 1000
    for section in SECTIONS.values():
        assert not any(section.header.match(text) for text in frames), section.name
        if "frame" in section.body:
            for name in section.body[:section.body.index("frame")]:
                assert not any(RULES[name].match(text, 0) for text in frames), (section.name, name)


def _nested_texts(corpus_dir: Path | None) -> list[str]:
    """The text of every nested_not_taken report we have: the golden case, and the corpus's."""
    texts = [read_case(p)[2] for p in CASE_FILES if p.name.startswith("nested_not_taken")]
    if corpus_dir is not None:
        texts += [t for t in (read_log(p) for p in sorted((corpus_dir / "report").iterdir()))
                  if any(s.kind == "nested_not_taken" for s in splatkit.parse(t))]
    return texts


@pytest.mark.parametrize("name_line", [
    "general protection fault, probably for non-canonical address 0xdffffc0000000003: 0000 [#1] SMP",
    "Unable to handle kernel paging request at virtual address 0000000100000017",
])
def test_nest_lock_name_is_never_the_next_message(corpus_dir, name_line):
    """A kernel that oopses while printing the nest lock prints its oops where the name goes;
    the report then names no nest lock (and says so), rather than a sentence as a lock."""
    texts = _nested_texts(corpus_dir)
    assert len(texts) >= 3
    for text in texts:
        lines = text.splitlines()
        at = next(i for i, line in enumerate(lines) if line.rstrip().endswith("is not holding:")) + 1
        prefix = lines[at][:len(lines[at]) - len(lines[at].lstrip())] if lines[at].strip() else ""
        stamp = re.match(r"^(\[[^]]*\](?:\[[^]]*\])? ?)", lines[at])
        lines[at] = (stamp.group(1) if stamp else prefix) + name_line
        (splat,) = [s for s in splatkit.parse("\n".join(lines)) if s.kind == "nested_not_taken"]
        assert splat.unheld_lock is None, splat.unheld_lock
        assert "Which nest lock: the report stops before naming it." in splatkit.explain(splat, width=200)


def test_nest_lock_name_may_hold_blanks_inside_parentheses():
    """A class name stringified from an expression keeps its blanks: it is still read whole."""
    (path,) = [p for p in CASE_FILES if p.name.startswith("nested_not_taken")]
    text = read_case(path)[2]
    name = "per_cpu_ptr(&demo_rstat_lock, cpu)"
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.rstrip().endswith("is not holding:")) + 1
    lines[at] = name
    (splat,) = splatkit.parse("\n".join(lines))
    assert splat.unheld_lock is not None and splat.unheld_lock.name == name
