"""Several reports none of which names a dependency, in one explorer: nothing is drawn, yet the
report list stays (alone: search, cycles and radius mean nothing without a graph) and picks the
report whose kind panel is shown; the static rendering says which one it shows.

The reports are real ones from the corpora (held-lock dumps, capacity and other reports that name
no dependency), picked at run time by what their lock graph holds: nothing.
"""

from __future__ import annotations

import html
import re

import pytest

pytest.importorskip("anywidget")

import ipywidgets  # noqa: E402

import splatkit  # noqa: E402
from splatkit.render.escape import _text  # noqa: E402
from splatkit.render.kind_view import NOTHING_DRAWN, NOTHING_DRAWN_SEVERAL, kind_graph  # noqa: E402
from splatkit.render.navigate import report_label  # noqa: E402
from splatkit.render.snapshot import STATIC_NOTE  # noqa: E402
from splatkit.widgets import explore  # noqa: E402

from tests.render.test_kind_view import HOSTILE, HOSTILE_FUNCTION, HOSTILE_TASK, corpus  # noqa: E402


def _undrawn() -> list[tuple[str, str, splatkit.Splat]]:
    """Every complete corpus report whose lock graph has no lock class, in corpus order."""
    found = [item for item in corpus() if not item[2].truncated and not kind_graph([item[2]]).nx]
    if len(found) < 2:
        pytest.skip("the corpora hold fewer than two complete reports that name no dependency")
    return found


def pick_undrawn() -> list[tuple[str, str, splatkit.Splat]]:
    """(report id, text, splat) of three reports that name no dependency, of different kinds (a
    held-lock dump first when the corpora have one: its panel names tasks and lock classes)."""
    picked: dict[str, tuple[str, str, splatkit.Splat]] = {}
    for item in sorted(_undrawn(), key=lambda item: item[2].kind != "held_locks_dump"):
        picked.setdefault(item[2].kind, item)
    if len(picked) < 2:
        pytest.skip("the corpora's reports that name no dependency are all of one kind")
    return list(picked.values())[:3]


@pytest.fixture(scope="module")
def reports() -> list[splatkit.Splat]:
    """The splats of :func:`pick_undrawn`."""
    return [splat for _name, _text_, splat in pick_undrawn()]


def _descendants(widget) -> list:
    out = [widget]
    for child in getattr(widget, "children", ()):
        out += _descendants(child)
    return out


def _heading(value: str) -> str:
    return value.split('<section class="sk-kind"', 1)[1].split("<h4>", 1)[1].split("</h4>", 1)[0]


def test_the_report_list_alone_stands_above_the_note(reports):
    ex = explore(reports)
    assert not ex.drawn and not ex.lock_graph.nx
    everything = _descendants(ex)
    assert ex.report_list in everything
    assert ex.navigation in ex.children and ex.report_list in ex.navigation.children
    # Only the list: nothing that needs a graph (search box, cycle list, radius), and no drawing.
    assert [w for w in everything if isinstance(w, (ipywidgets.Combobox, ipywidgets.BoundedIntText))] == []
    assert [w for w in everything if isinstance(w, ipywidgets.Dropdown)] == [ex.report_list]
    assert ex.graph not in everything
    # One entry per report, named as everywhere else; no "every report" (there is nothing to filter).
    assert ex.report_list.options == tuple((report_label(i, s), i) for i, s in enumerate(reports))
    assert ex.report_list.value == ex.kind_report == 0
    # The list comes first, then the sentence that nothing is drawn, worded for several reports.
    notes = [i for i, c in enumerate(ex.children) if isinstance(c, ipywidgets.HTML)
             and html.escape(NOTHING_DRAWN_SEVERAL) in c.value]
    assert len(notes) == 1 and ex.children.index(ex.navigation) < notes[0]
    assert ex.children.index(ex.kind_panel) > notes[0]
    assert not any(html.escape(NOTHING_DRAWN) in c.value for c in ex.children if isinstance(c, ipywidgets.HTML))
    # The panel points at the list above (not at a drawing that is not there).
    assert "pick another in the report list above." in ex.kind_panel.value


def test_picking_a_report_shows_its_kind_panel(reports):
    ex = explore(reports)
    first = ex.kind_panel.value
    assert f'data-sk-kind="{reports[0].kind}"' in first and _text(report_label(0, reports[0])) in first
    # The report filter (a pick in a drawn explorer's list) moves the panel and the list...
    ex.report_filter = 1
    assert ex.kind_report == 1 and ex.report_list.value == 1
    assert ex.kind_view.kind == reports[1].kind
    value = ex.kind_panel.value
    assert value != first and f'data-sk-kind="{reports[1].kind}"' in value
    assert _text(report_label(1, reports[1])) in value and _heading(value) == ex.kind_view.heading
    # ... and so does a pick in the list itself (what the page does).
    ex.report_list.value = len(reports) - 1
    assert ex.kind_report == len(reports) - 1 and ex.kind_view.kind == reports[-1].kind
    assert _text(report_label(len(reports) - 1, reports[-1])) in ex.kind_panel.value
    # "Every report" keeps the report looked at last (as in a drawn explorer).
    ex.report_filter = -1
    assert ex.kind_report == len(reports) - 1 and ex.report_list.value == len(reports) - 1


def test_the_static_rendering_says_nothing_is_drawn_and_which_report_it_shows(reports):
    ex = explore(reports)
    ex.report_filter = 1
    static = ex.static_html()
    assert html.escape(NOTHING_DRAWN_SEVERAL) in static
    assert ex.kind_panel.value.split('<section class="sk-kind"', 1)[1] in static
    assert _text(report_label(1, reports[1])) in static and "the one picked when the notebook was saved" in static
    # No picture, so no word of one, no legend of its arrows, no list to point at.
    assert "<img" not in static and html.escape(STATIC_NOTE) not in static and "sk-legend" not in static
    assert "pick another in the report list above" not in static


def test_one_report_that_names_no_dependency_keeps_its_note_and_gets_no_list(reports):
    ex = explore(reports[0])
    assert ex.navigation is None and not hasattr(ex, "report_list")
    assert any(html.escape(NOTHING_DRAWN) in c.value for c in ex.children if isinstance(c, ipywidgets.HTML))
    static = ex.static_html()
    assert html.escape(NOTHING_DRAWN) in static and "sk-legend" not in static and "<img" not in static


def _renamed(text: str, splat: splatkit.Splat) -> splatkit.Splat | None:
    """``splat``'s report with a lock class, its task and the function its WARN fired in renamed
    to the hostile names (those it has), parsed again; None when it no longer reads as it did.
    (A stack's frames cannot carry one: the frame grammar reads no ``<`` in a symbol; the WARN's
    site is kept as printed text.)"""
    renamed = text
    locks = [h.lock.name for d in splat.held_lock_dumps for h in d.held_locks]
    if locks:
        renamed = renamed.replace(locks[0], HOSTILE)
    task = splat.task or (splat.held_lock_dumps[0].task if splat.held_lock_dumps else None)
    if task is not None:
        renamed = re.sub(rf"(?<![\w-]){re.escape(task.comm)}(?=/{task.pid}\b|\s)", HOSTILE_TASK, renamed)
    function = splat.warn_at.function if splat.warn_at is not None else None
    if function and f" {function}+" in renamed:
        renamed = renamed.replace(f" {function}+", f" {HOSTILE_FUNCTION}+", 1)  # (the WARNING line comes first)
    again = next((s for s in splatkit.parse(renamed) if s.kind == splat.kind), None)
    if again is None or kind_graph([again]).nx:
        return None
    return again


def test_hostile_names_in_the_reports_are_escaped_in_every_panel():
    """A held-lock dump (lock class and task names) and a WARN (task and function names), renamed
    to hostile names: escaped in each report's panel and in the static rendering."""
    dump = other = None
    for _name, text, splat in _undrawn():
        again = _renamed(text, splat)
        if again is None:
            continue
        names = {h.lock.name for d in again.held_lock_dumps for h in d.held_locks}
        tasks = {d.task.comm for d in again.held_lock_dumps if d.task}
        if dump is None and HOSTILE in names and HOSTILE_TASK in tasks:
            dump = again
        if other is None and again.task is not None and again.task.comm == HOSTILE_TASK and (
                again.warn_at is not None and HOSTILE_FUNCTION in again.warn_at.text):
            other = again
    if dump is None or other is None:
        pytest.skip("no held-lock dump and no WARN that names no dependency keep the hostile names whole")
    ex = explore([dump, other])
    ex.show_internals = True  # (every frame shown)
    assert not ex.drawn
    panels = []
    for index in (0, 1):
        ex.report_list.value = index
        panels.append(ex.kind_panel.value)
        panels.append(ex.static_html())
    for page in panels:
        for hostile in (HOSTILE, HOSTILE_TASK, HOSTILE_FUNCTION):
            assert hostile not in page, hostile
    assert html.escape(HOSTILE) in panels[0] and html.escape(HOSTILE_TASK) in panels[0]
    assert html.escape(HOSTILE_TASK) in panels[2] and html.escape(HOSTILE_FUNCTION) in panels[2]
    assert html.escape(HOSTILE_FUNCTION) in panels[3]
