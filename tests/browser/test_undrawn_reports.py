"""Several reports that name no dependency, explored together in a real headless browser: nothing
is drawn, yet the report list stands above the sentence that says so, and a pick in it shows that
report's kind panel; in JupyterLab and Notebook 7, each in its light and its dark theme.

The reports are real ones from the corpora (picked at run time by
:func:`tests.widgets.test_undrawn_reports.pick_undrawn`: their lock graph holds no lock class),
written beside a notebook in a temporary folder; nothing is written into the repository.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

import splatkit
from splatkit.render.kind_view import NOTHING_DRAWN_SEVERAL, kind_view
from splatkit.render.navigate import report_label

from . import servers
from .test_lab import _ALL_RUN_JS, _ERRORS_JS, _OUTPUT_HAS_JS, _READY_JS, _RUN_NEW_CELL_JS
from .test_themes import CONTRAST_JS

pytestmark = pytest.mark.browser

NOTEBOOK = "undrawn.ipynb"


@pytest.fixture(scope="module", params=servers.APPS, ids=["lab", "notebook7"])
def undrawn_server(request, chromium, tmp_path_factory) -> Iterator[tuple[servers.Server, list[splatkit.Splat]]]:
    """A JupyterLab or Notebook 7 serving a notebook (a copy per theme) that explores the picked
    reports together; the splats as the kernel reads them."""
    pytest.importorskip("anywidget")
    from tests.widgets.test_undrawn_reports import pick_undrawn

    app = request.param
    pytest.importorskip("jupyterlab" if app == "lab" else "notebook")
    picked = pick_undrawn()
    home = tmp_path_factory.mktemp(f"undrawn-{app}")
    root = home / "notebooks"
    root.mkdir()
    files, splats = [], []
    for number, (_name, text, splat) in enumerate(picked):
        (root / f"report-{number}.txt").write_text(text, encoding="utf-8")
        again = splatkit.parse(text)
        index = next(i for i, s in enumerate(again) if s.span == splat.span)
        files.append((f"report-{number}.txt", index))
        splats.append(again[index])
    source = ("import splatkit\nfrom splatkit.widgets import explore\n"
              "ex = explore([splatkit.parse(open(name, encoding='utf-8').read())[index]\n"
              f"              for name, index in {files!r}])\n"
              "ex.add_class('kv-undrawn')\nex")
    servers.write_themed(root, NOTEBOOK, json.dumps(servers.code_notebook(source)))
    server = servers.start(app, root, home)
    try:
        yield server, splats
    finally:
        server.stop()


def _which(explorer) -> str:
    """The sentence above the kind panel naming the report it shows."""
    return explorer.locator(".sk-kind").locator("xpath=preceding-sibling::p").first.text_content()


@pytest.mark.parametrize("theme", servers.THEMES, ids=["light", "dark"])
def test_the_report_list_picks_the_kind_panel_when_nothing_is_drawn(undrawn_server, theme, watched_page, tmp_path):
    server, splats = undrawn_server
    page = watched_page.page
    page.set_viewport_size({"width": 1300, "height": 1600})
    servers.run_all_in_theme(page, server, servers.themed(NOTEBOOK, theme), theme, _READY_JS, _ALL_RUN_JS)
    assert page.evaluate(_ERRORS_JS) == []
    name = f"{server.app}-{theme.split()[-1]}"
    explorer = page.locator(".kv-undrawn")
    explorer.locator(".sk-kind").wait_for()
    explorer.scroll_into_view_if_needed()

    # The list, alone, above the sentence that nothing is drawn; no drawing, search, cycles or radius.
    reports = explorer.locator(".splatkit-navigation .splatkit-reports select")
    assert reports.is_visible()
    options = [o.replace("\xa0", " ") for o in reports.locator("option").all_text_contents()]  # (ipywidgets' spaces)
    assert options == [report_label(i, s) for i, s in enumerate(splats)]
    for absent in (".splatkit-graph", ".splatkit-search", ".splatkit-cycles", ".splatkit-radius"):
        assert explorer.locator(absent).count() == 0, absent
    note = explorer.locator("p.sk-note", has_text="Nothing to draw")
    assert note.text_content() == NOTHING_DRAWN_SEVERAL
    assert reports.bounding_box()["y"] + reports.bounding_box()["height"] <= note.bounding_box()["y"]
    # At first, report 0's kind panel.
    assert explorer.locator(".sk-kind > h4").text_content() == kind_view(splats[0]).heading
    assert report_label(0, splats[0]) in _which(explorer)
    explorer.screenshot(path=str(tmp_path / f"undrawn-first-{name}.png"))

    # Pick the second report: its kind panel, named.
    reports.select_option(label=report_label(1, splats[1]))
    page.wait_for_function("(k) => { const s = document.querySelector('.kv-undrawn .sk-kind');"
                           " return s && s.dataset.skKind === k; }", arg=splats[1].kind)
    assert explorer.locator(".sk-kind > h4").text_content() == kind_view(splats[1]).heading
    assert report_label(1, splats[1]) in _which(explorer)
    assert reports.input_value() == "1" or reports.evaluate("(s) => s.selectedIndex") == 1
    if splats[1].task is not None:  # (what the report names: its task)
        assert f"{splats[1].task.comm}/{splats[1].task.pid}" in explorer.locator(".sk-kind").text_content()
    explorer.screenshot(path=str(tmp_path / f"undrawn-picked-{name}.png"))

    # The list and the sentences read in the theme (WCAG AA).
    for element in (reports, note, explorer.locator(".sk-kind").locator("xpath=preceding-sibling::p").first):
        ratio = element.evaluate(CONTRAST_JS)
        assert ratio >= 4.5, f"contrast {ratio:.2f} in {theme}"

    # The kernel followed the pick.
    page.evaluate(_RUN_NEW_CELL_JS, "print('PICKED', ex.kind_report, ex.kind_view.kind, ex.report_list.value)")
    page.wait_for_function(_OUTPUT_HAS_JS, arg=f"PICKED 1 {splats[1].kind} 1")
    assert servers.page_errors(watched_page, server) == []
