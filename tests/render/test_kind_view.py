"""Every report kind has its view: real reports of each kind from the corpora, picked at run time.

Each test reads the shared corpora (../shared/corpus/syzkaller and wild) and skips without them;
what a view must name is read from the parsed splat, never written here.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

import pytest

import splatkit
from conftest import CORPUS, WILD, read_log
from splatkit.analysis.explain.dump import shared_locks
from splatkit.analysis.explain.wait_context import strictest_held
from splatkit.grammar.kinds import KINDS
from splatkit.render.html import report_html
from splatkit.render.kind_html import kind_view_html
from splatkit.render.kind_view import VIEWS, kind_graph, kind_view
from splatkit.render.layout import (LOOP_ANGLE, LOOP_LABEL_LIFT, LOOP_SIZE, box_size, curve_middle, label_box,
                                    loop_boxes, loop_places)
from splatkit.render.svg import graph_svg
from splatkit.render.viewmodel import drawing_extent, edge_id, graph_view, legend, network_options
from splatkit.usage import lock_usage, wait_type_name

HOSTILE = "</script><img src=x onerror=alert(1)>"
#: A comm is at most 15 characters and has no blank.
HOSTILE_TASK = "<svg/onload=1>"
#: A symbol has no blank either.
HOSTILE_FUNCTION = "<script>alert(2)</script>"


@lru_cache(maxsize=1)
def _corpus() -> tuple[tuple[str, str, splatkit.Splat], ...]:
    """(report id, text, splat) for every report of both corpora, in file order."""
    out = []
    if (CORPUS / "report").is_dir():
        for path in sorted((CORPUS / "report").iterdir()):
            text = read_log(path)
            out += [(f"syzkaller/{path.name}", text, s) for s in splatkit.parse(text)]
    if (WILD / "splats").is_dir():
        for path in sorted((WILD / "splats").iterdir()):
            text = path.read_text(encoding="utf-8", errors="replace")
            out += [(f"wild/{path.name}", text, s) for s in splatkit.parse_file(path)]
    return tuple(out)


def corpus() -> tuple[tuple[str, str, splatkit.Splat], ...]:
    found = _corpus()
    if not found:
        pytest.skip(f"corpora not found at {CORPUS} and {WILD}")
    return found


def of_view(view: str) -> list[tuple[str, str, splatkit.Splat]]:
    found = [item for item in corpus() if VIEWS.get(item[2].kind, "other") == view]
    if not found:
        pytest.skip(f"no report of the {view} view in the corpora")
    return found


def _blocks(splat, kind):
    return [b for b in kind_view(splat).blocks if b.kind == kind]


def _table(splat, heading):
    return next((b.table for b in kind_view(splat).blocks if b.kind == "table" and b.heading == heading), None)


def test_every_kind_the_parser_knows_lands_in_a_view():
    views = {"circular", "recursive", "irq", "invalid_wait", "held_locks_dump", "other"}
    assert set(VIEWS) <= {k.kind for k in KINDS} and set(VIEWS.values()) <= views
    # (A kind the table does not list is one of "the rest": the lock, the sites, the held locks.)
    assert {VIEWS.get(k.kind, "other") for k in KINDS} == views


def test_every_corpus_report_has_a_non_empty_view_without_an_empty_table():
    for name, _text, splat in corpus():
        view = kind_view(splat)
        assert view.view == VIEWS.get(splat.kind, "other") and view.blocks, name
        assert view.notes == splat.notes
        for block in view.blocks:
            if block.kind == "table":
                assert len(block.table) and len(block.table.columns), (name, block.heading)
            elif block.kind == "stack":
                assert block.frames, (name, block.heading)
            elif block.kind == "facts":
                assert block.facts and all(value for _label, value in block.facts), (name, block.heading)
            else:
                assert block.kind == "note" and block.caption, (name, block.heading)
        # Something the splat holds is named: a lock, a task or a frame of its own.
        page = kind_view_html(view)
        named = [h.lock.name for h in splat.held_locks] + [h.lock.name for d in splat.held_lock_dumps
                                                           for h in d.held_locks]
        named += [lock.name for lock in (splat.acquiring, splat.holding, splat.unheld_lock) if lock]
        if named:
            assert any(html.escape(n) in page for n in named), name


def test_circular_view_names_the_cycle():
    for name, _text, splat in of_view("circular"):
        facts = dict(kind_view(splat).blocks[0].facts)
        if splat.cycle:
            assert facts["cycle"].split(" \u2192 ") == [*splat.cycle, splat.cycle[0]], name


def test_recursive_view_shows_the_class_taken_twice_at_both_sites():
    for name, _text, splat in of_view("recursive"):
        if splat.acquiring is None or splat.holding is None:
            continue
        both = _table(splat, "Both entries")
        assert both["lock"].tolist() == [splat.holding.name, splat.acquiring.name], name
        assert both["at"].tolist() == [splat.holding.at.text if splat.holding.at else "",
                                       splat.acquiring.at.text if splat.acquiring.at else ""], name
        graph = kind_graph(splat)
        edges = {e["id"]: e for e in graph_view(graph)["edges"]}
        loop = edges[edge_id(splat.holding.name, splat.acquiring.name)]
        assert loop["new"] and loop["from"] == loop["to"] == splat.acquiring.name, name
        if splat.backtrace:  # the new acquisition's stack is the loop's, and the view says so
            assert [ev.frames for ev in graph.evidence(loop["from"], loop["to"]) if ev.source == "new"] == [
                splat.backtrace], name
            note = next(b for b in _blocks(splat, "note") if b.heading == "Stack of the new acquisition")
            assert loop["from"] in note.caption and str(len(splat.backtrace)) in note.caption, name


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_recursive_loop_is_drawn_big_with_its_label_clear_of_it_and_of_every_box():
    """The class taken twice has a loop of LOOP_SIZE px over its box (vis-network's selfReference),
    its label lifted above the loop; the layout keeps loop and label off the other lock classes and
    their labels, the fit region and the static picture hold them."""
    options = network_options()["edges"]["selfReference"]
    assert options["size"] == LOOP_SIZE >= 24 and options["angle"] == LOOP_ANGLE
    checked = 0
    for name, _text, splat in of_view("recursive"):
        if splat.acquiring is None or splat.holding is None:  # (a report cut before the held lock)
            continue
        view = graph_view(kind_graph(splat))
        loop = next(e for e in view["edges"] if e["id"] == edge_id(splat.holding.name, splat.acquiring.name))
        assert loop["font"] == {"vadjust": -LOOP_LABEL_LIFT}, name
        where = {n["id"]: (n["x"], n["y"]) for n in view["nodes"]}
        size = box_size(loop["from"])
        (cx, cy), label_at = loop_places(where[loop["from"]], size)
        circle, *label = loop_boxes(where[loop["from"]], size, loop["label"])
        # The label sits above the top of the circle (its 3 px line), over the box's right half.
        if label:
            assert label[0][3] + 1.5 <= circle[1], name
        assert where[loop["from"]][0] < cx and cy < where[loop["from"]][1] - size[1] / 2 + 2, name
        # Nothing else drawn under the loop or its label.
        others = [(x - box_size(n)[0] / 2, y - box_size(n)[1] / 2, x + box_size(n)[0] / 2, y + box_size(n)[1] / 2)
                  for n, (x, y) in where.items() if n != loop["from"]]
        others += [label_box(curve_middle(where[e["from"]], where[e["to"]], e.get("smooth", {}).get("roundness", 0.25)),
                             e["label"]) for e in view["edges"] if e["label"] and e["from"] != e["to"]]
        for box in [circle, *label]:
            assert not any(_overlap(box, other) for other in others), name
        # The live drawing is fitted to a region holding them, the static picture shows them.
        extent = drawing_extent(view)
        assert all(extent["x0"] <= b[0] and b[2] <= extent["x1"] and extent["y0"] <= b[1] and b[3] <= extent["y1"]
                   for b in [circle, *label]), name
        svg = graph_svg(view)
        x0, y0, w, h = map(float, re.search(r'viewBox="([^"]+)"', svg).group(1).split())
        assert all(x0 <= b[0] and b[2] <= x0 + w and y0 <= b[1] and b[3] <= y0 + h for b in [circle, *label]), name
        assert f"A{LOOP_SIZE},{LOOP_SIZE} 0 1 1" in svg, name
        checked += 1
    assert checked >= 5


def test_irq_views_decode_the_usage_as_splatkit_usage_does():
    checked = 0
    for name, _text, splat in of_view("irq"):
        usage = _table(splat, "Usage per irq state")
        locks = [lock for lock in (splat.acquiring, splat.holding, *(lock for _, lock in splat.other_locks))
                 if lock is not None and lock.usage]
        for lock in locks:
            bits = lock_usage(splat, lock)
            if bits is None:
                continue
            rows = usage[(usage["lock"] == lock.name) & (usage["char"] != lock.usage)]
            shown = {(r["irq state"], r["access"], r["meaning"]) for _, r in rows.iterrows()}
            wanted = {(b.state, "read" if b.access == "R" else "write", b.meaning) for b in bits
                      if b.meaning != "unused"}
            assert shown >= wanted, (name, lock.name)
            checked += 1
        facts = dict(next(b.facts for b in kind_view(splat).blocks if b.kind == "facts"))
        if splat.usage_change:
            assert all(f"{{{u}}}" in facts["usage change"] for u in splat.usage_change), name
        if splat.irq_context:
            assert splat.irq_context.text.strip() in facts["irq context"], name
        for trace in splat.traces:
            if trace.frames:
                assert any(b.frames == trace.frames and trace.usage in b.heading
                           for b in _blocks(splat, "stack")), (name, trace.usage)
        # The dependency paths are drawn: every link of a path printed with two classes or more.
        edges = {(e["from"], e["to"]) for e in graph_view(kind_graph(splat))["edges"]}
        for path in splat.dependency_paths:
            for a, b in zip(path.locks, path.locks[1:]):
                assert (a, b) in edges or (b, a) in edges, (name, a, b)
        if splat.new_dependency:
            held, acquired = splat.new_dependency
            assert (held.name, acquired.name) in edges, name
        elif splat.kind == "irq_safe_unsafe":
            # Lines lost: lockdep prints each path from its leaf to its root, the holding lock and
            # the lock to be acquired; the new dependency joins them.
            roots = {p.between: p.classes[-1].lock.name for p in splat.dependency_paths if p.classes}
            held = next((r for b, r in roots.items() if "holding lock" in b), None)
            acquired = splat.acquiring.name if splat.acquiring else None
            if held and acquired:
                new = [e for e in graph_view(kind_graph(splat))["edges"] if e["new"]]
                assert [(e["from"], e["to"]) for e in new] == [(held, acquired)], name
    assert checked


def test_invalid_wait_draws_the_offending_acquisition_with_both_wait_types():
    drawn = 0
    for name, _text, splat in of_view("invalid_wait"):
        blocker, lock = strictest_held(splat), splat.acquiring
        if blocker is None or lock is None:
            continue
        view = graph_view(kind_graph(splat))
        edge = next(e for e in view["edges"] if e["id"] == edge_id(blocker.name, lock.name))
        assert edge["new"] and not edge["cycle"], name
        assert "new" in [e["kind"] for e in legend(view)] and "cycle" not in [e["kind"] for e in legend(view)]
        words = dict(kind_view(splat).blocks[0].facts)["wait types"]
        assert words.startswith(f"{{{lock.wait_text}}}") and f"inside {{{blocker.wait_text}}}" in words, name
        for value in (lock.wait[0], blocker.wait[0]):
            named = wait_type_name(value, splat.wait_scale)
            if named is not None:
                assert _table(splat, "Wait types").isin([named]).any().any(), (name, named)
        drawn += 1
    assert drawn


def _check_matrix(name, splat):
    """The task x lock table, read by position (a lock class may be named like a fixed column)."""
    matrix = _table(splat, "Tasks \u00d7 lock classes")
    assert list(matrix.columns[:2]) == ["task", "locks"], name
    rows = list(matrix.itertuples(index=False, name=None))
    assert [row[0] for row in rows] == [str(d.task) for d in splat.held_lock_dumps], name
    for row, dump in zip(rows, splat.held_lock_dumps):
        assert row[1] == dump.count, name
        cells = dict(zip(matrix.columns[2:], row[2:]))
        for h in dump.held_locks:
            assert f"#{h.index} " in cells[h.lock.name], (name, h.lock.name)


def test_held_locks_dump_is_a_task_by_lock_table_with_who_waits_on_whom():
    for name, _text, splat in of_view("held_locks_dump"):
        _check_matrix(name, splat)
        shared = shared_locks(splat)
        waits = _table(splat, "Who waits on whom")
        if shared:
            assert waits["lock"].tolist() == [s.name for s in shared], name
            for row, item in zip(waits.to_dict("records"), shared):
                if row["likely waiting"]:
                    assert row["likely waiting"].split(", ") == list(dict.fromkeys(t for t, _ in item.waiters))
        else:
            assert waits is None and any(b.heading == "Who waits on whom" for b in _blocks(splat, "note"))


@pytest.mark.parametrize("column", ["task", "locks"])
def test_a_lock_class_named_like_a_column_keeps_its_own_column(column):
    """Lock class names can be anything: one named "task" or "locks" must not overwrite the
    task x lock table's own columns (every held-locks dump of the corpora, its first class renamed)."""
    renamed = 0
    for name, text, splat in of_view("held_locks_dump"):
        first = next((h.lock.name for d in splat.held_lock_dumps for h in d.held_locks), None)
        if first is None:
            continue
        (changed,) = [s for s in splatkit.parse(text.replace(f"({first}){{", f"({column}){{"))
                      if s.span.first_line == splat.span.first_line]
        assert column in {h.lock.name for d in changed.held_lock_dumps for h in d.held_locks}, name
        _check_matrix(name, changed)
        assert column in kind_view_html(kind_view(changed))
        renamed += 1
    assert renamed


def test_the_rest_names_the_lock_the_sites_and_the_held_locks():
    for name, _text, splat in of_view("other"):
        view = kind_view(splat)
        facts = dict(next((b.facts for b in view.blocks if b.kind == "facts"), ()))
        lock = splat.acquiring or splat.unheld_lock
        if lock is not None:
            assert facts["lock"] == lock.name, name
        held = _table(splat, "Held locks")
        if splat.held_locks:
            assert held["lock"].tolist() == [h.lock.name for h in splat.held_locks], name
        sites = _table(splat, "Sites")
        for frame in (lock.at if lock else None, splat.warn_at):
            if frame is not None:
                assert frame.text in sites["at"].tolist(), name


_TABLE = re.compile(r"<table>.*?</table>", re.S)


def _empty_tables(page: str) -> list[str]:
    return [t[:200] for t in _TABLE.findall(page) if "<tbody></tbody>" in t or "<tbody>" not in t]


def test_no_empty_table_in_the_report_or_the_explorer_for_any_corpus_report():
    ipywidgets = pytest.importorskip("ipywidgets")
    from splatkit.widgets import explore

    for name, _text, splat in corpus():
        page = report_html(splat)
        assert not _empty_tables(page), name
        # What the parser could not read is said in both views.
        assert all(html.escape(note[1:]) in page for note in splat.notes), name
        explorer = explore(splat)
        labels = [child.value for child in explorer.children if isinstance(child, ipywidgets.Label)]
        assert all(note in labels for note in splat.notes), name
        shown = "".join(getattr(child, "value", "") for child in explorer.children if hasattr(child, "value")
                        and isinstance(getattr(child, "value"), str))
        assert not _empty_tables(shown), name
        assert not _empty_tables(explorer.static_html()), name
        if not explorer.graph.nodes:
            assert explorer.graph not in explorer.children, name


def _hostile(view: str) -> tuple[str, splatkit.Splat]:
    """The first report of ``view`` that keeps a hostile lock and task name whole once renamed,
    with the function of its last held lock's ``at:`` made hostile too (the frame grammar reads
    no ``<`` in a symbol: the ``at:`` is then kept as printed text, escaped all the same)."""
    for name, text, splat in of_view(view):
        lock = splat.acquiring or (splat.held_locks[0].lock if splat.held_locks else None) or (
            splat.held_lock_dumps[0].held_locks[0].lock if splat.held_lock_dumps and
            splat.held_lock_dumps[0].held_locks else None)
        frame = splat.held_locks[-1].lock.at if splat.held_locks else None
        if lock is None or splat.task is None or frame is None or not frame.function:
            continue
        renamed = text.replace(lock.name, HOSTILE).replace(f" {frame.function}+", f" {HOSTILE_FUNCTION}+")
        renamed = re.sub(rf"(?<![\w-]){re.escape(splat.task.comm)}(?=/{splat.task.pid}\b|\s)", HOSTILE_TASK, renamed)
        for again in splatkit.parse(renamed):
            names = {h.lock.name for h in again.held_locks} | {again.acquiring.name if again.acquiring else ""} | {
                h.lock.name for d in again.held_lock_dumps for h in d.held_locks}
            at = again.held_locks[-1].lock.at if again.held_locks else None
            if again.kind == splat.kind and HOSTILE in names and again.task and again.task.comm == HOSTILE_TASK \
                    and at is not None and HOSTILE_FUNCTION in at.text:
                return name, again
    pytest.skip(f"no {view} report keeps the hostile names whole")


@pytest.mark.parametrize("view", ["recursive", "irq", "invalid_wait", "other"])
def test_hostile_names_are_escaped_in_every_kind_view(view):
    from splatkit.widgets import explore

    name, splat = _hostile(view)
    explorer = explore(splat)
    explorer.show_internals = True  # (every frame shown)
    report = report_html(splat)
    pages = [report, explorer.kind_panel.value, explorer.static_html(), kind_view_html(kind_view(splat))]
    for page in pages:
        for hostile in (HOSTILE, HOSTILE_TASK, HOSTILE_FUNCTION):
            assert hostile not in page, (name, hostile)
    assert html.escape(HOSTILE) in explorer.kind_panel.value and html.escape(HOSTILE) in report
    assert html.escape(HOSTILE_TASK) in report and html.escape(HOSTILE_FUNCTION) in explorer.kind_panel.value


def test_report_labels_end_without_the_banners_colon():
    # A held-locks dump's banner ends with ':'; the label goes on in sentences ("..., one of the
    # 3 reports explored"), so it must not carry the colon on.
    from splatkit.render.navigate import report_label

    if not WILD.is_dir():
        pytest.skip("wild corpus not found")
    dumps = [s for path in sorted((WILD / "splats").iterdir())
             for s in splatkit.parse(read_log(path)) if (s.title or s.banner).endswith(":")]
    assert dumps, "no report of the wild corpus has a title ending in ':'"
    for i, splat in enumerate(dumps):
        label = report_label(i, splat)
        assert label == f"report {i}: {(splat.title or splat.banner)[:-1].rstrip()}"
