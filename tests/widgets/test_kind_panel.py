"""Several reports in one explorer: the kind panel shows the report being looked at (the one the
report filter keeps), names it, and the static rendering (a saved notebook) shows the same.

The reports are real ones from the corpora, one of each view, picked at run time.
"""

from __future__ import annotations

import pytest

pytest.importorskip("anywidget")

from splatkit.render.kind_view import VIEWS  # noqa: E402
from splatkit.render.navigate import report_label  # noqa: E402
from splatkit.render.viewmodel import drawing_extent  # noqa: E402
from splatkit.widgets import explore  # noqa: E402
from splatkit.widgets._explore import CIRCULAR_NOTE  # noqa: E402

from tests.render.test_kind_view import corpus  # noqa: E402

#: The views put side by side, a circular report first (its view is the rest of the explorer).
ORDER = ("circular", "recursive", "invalid_wait", "irq")


@pytest.fixture(scope="module")
def several():
    """One complete report of each view of :data:`ORDER`, explored together."""
    picked = {}
    for _name, _text, splat in corpus():
        view = VIEWS.get(splat.kind, "other")
        if view in ORDER and view not in picked and not splat.truncated and splat.acquiring is not None:
            picked[view] = splat
    if set(picked) != set(ORDER):
        pytest.skip(f"the corpora hold no complete report of {sorted(set(ORDER) - set(picked))}")
    splats = [picked[v] for v in ORDER]
    return splats, explore(splats)


def _heading(value: str) -> str:
    return value.split('<section class="sk-kind"', 1)[1].split("<h4>", 1)[1].split("</h4>", 1)[0]


def test_the_panel_follows_the_report_filter(several):
    splats, ex = several
    assert ex.kind_panel is not None and ex.kind_panel in ex.children  # (the first report is circular)
    assert ex.kind_report == 0 and ex.kind_view.view == "circular"
    assert CIRCULAR_NOTE in ex.kind_panel.value.replace("&#x27;", "'")
    for index, view in enumerate(ORDER):
        ex.report_filter = index
        assert ex.kind_report == index and ex.kind_view.view == view
        assert ex.kind_view.kind == splats[index].kind
        value = ex.kind_panel.value
        assert f'data-sk-view="{view}"' in value
        assert _heading(value) == ex.kind_view.heading
        # The panel says which report it is about (escaped, as every name).
        from splatkit.render.escape import _text

        assert _text(report_label(index, splats[index])) in value
        # ... and so does the static rendering a saved notebook keeps: the same view, the same
        # report named, and no list to pick from (it has none), but which one it shows.
        static = ex.static_html()
        assert value.split('<section class="sk-kind"', 1)[1] in static
        assert _text(report_label(index, splats[index])) in static
        assert "the one picked when the notebook was saved" in static and "pick another" not in static
        # The drawing of the report kept is fitted anew to what it draws.
        assert ex.graph.extent == drawing_extent({"nodes": ex.graph.nodes, "edges": ex.graph.edges})
    # Every report again: the panel keeps the report looked at last.
    ex.report_filter = -1
    assert ex.kind_report == len(ORDER) - 1


def test_the_panel_can_be_pointed_at_a_report_and_refuses_one_that_is_not_there(several):
    splats, ex = several
    ex.kind_report = 1
    assert ex.kind_view.view == "recursive" and "Recursive locking" in ex.kind_panel.value
    assert splats[1].acquiring.name in ex.kind_panel.value
    with pytest.raises(Exception, match=r"kind_report=9: this explorer has 4 reports; use 0 to 3"):
        ex.kind_report = 9
    assert ex.kind_report == 1


def test_the_internals_toggle_reaches_the_report_looked_at(several):
    _splats, ex = several
    ex.kind_report = ORDER.index("irq")
    if not any(b.kind == "stack" for b in ex.kind_view.blocks):
        pytest.skip("the irq report picked has no stack of its own")
    ex.show_internals = False
    hidden = ex.kind_panel.value.count("sk-dim")
    ex.show_internals = True
    assert ex.kind_panel.value.count("sk-dim") > hidden
    ex.show_internals = False


def test_one_report_keeps_its_panel_as_before(several):
    splats, _ex = several
    one = explore(splats[1])
    assert one.kind_report == 0 and one.kind_view.view == "recursive"
    assert one.kind_panel.value.startswith('<section class="sk-kind"')  # (no "which report" line)
    assert explore(splats[0]).kind_panel is None  # one circular report: its view is the explorer
