"""``paste()`` in a real headless JupyterLab: paste the seed (twice) into the text area, press
Read, pick the second report in the list, see its graph, and download it with the SVG, PNG
and DOT buttons; ``save_png`` from Python gets its picture from the same page."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

import splatkit

from browser import servers
from browser.test_lab import (_ALL_RUN_JS, _ERRORS_JS, _OUTPUT_HAS_JS, _READY_JS, _RUN_NEW_CELL_JS,  # noqa: F401
                              _run_all, lab_url)
from browser.test_themes import CONTRAST_JS

pytestmark = pytest.mark.browser

NOTEBOOK = "paste-test.ipynb"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
#: The one cell of the notebooks here: the paste view.
PASTE_CELL = "import splatkit.widgets\nview = splatkit.widgets.explore()\nview"


def _put_notebook(page, lab_url: str) -> None:
    """A one-cell notebook showing ``explore()`` (the paste view), saved through Lab's contents service."""
    content = servers.code_notebook(PASTE_CELL)
    page.goto(f"{lab_url}/lab?reset")
    page.wait_for_function("window.jupyterapp !== undefined && window.jupyterapp.serviceManager !== undefined")
    page.evaluate("([path, content]) => window.jupyterapp.serviceManager.contents.save(path, "
                  "{type: 'notebook', format: 'json', content})", [NOTEBOOK, content])


def test_paste_read_pick_and_export_in_lab(lab_url, watched_page, seed_text, tmp_path):  # noqa: F811
    _put_notebook(watched_page.page, lab_url)
    page = _run_all(watched_page.page, lab_url, NOTEBOOK)
    assert page.evaluate(_ERRORS_JS) == []
    area = page.locator(".splatkit-paste-text textarea")
    text = seed_text + "\n" + seed_text
    first, second = (s.span.first_line for s in splatkit.parse(text))
    area.fill(text)
    page.locator(".splatkit-paste-read button, button.splatkit-paste-read").first.click()
    # Two reports listed; the first is explored at once.
    options = page.locator(".splatkit-paste-reports select option")
    page.wait_for_function("() => document.querySelectorAll('.splatkit-paste-reports select option').length === 2")
    labels = [label.replace("\xa0", " ") for label in options.all_text_contents()]  # (ipywidgets: nbsp)
    assert labels[0].startswith(f"1. circular: possible deadlock in set_nx_huge_pages (lines {first}-")
    assert labels[1].startswith(f"2. circular: possible deadlock in set_nx_huge_pages (lines {second}-")
    page.locator(".splatkit-paste-reports select").select_option(index=1)
    page.wait_for_selector(".splatkit-graph[data-sk-state=live] canvas")
    page.evaluate(_RUN_NEW_CELL_JS, "print('PICKED=%d %s' % (len(view.reports), "
                                    "view.explorer.splat.span.first_line))")
    page.wait_for_function(_OUTPUT_HAS_JS, arg=f"PICKED=2 {second}")

    # The export buttons download files (Blob URLs), each what it says.
    page.locator(".splatkit-graph").first.scroll_into_view_if_needed()
    page.wait_for_timeout(800)  # a few physics frames, so the PNG is a drawing
    page.screenshot(path=str(tmp_path / "paste-lab.png"))
    got = {}
    for kind in ("svg", "png", "dot"):
        with page.expect_download() as info:
            page.locator(f".splatkit-export .sk-export-{kind}").first.click()
        download = info.value
        assert download.suggested_filename == f"lock-graph.{kind}"
        path = tmp_path / download.suggested_filename
        download.save_as(path)
        got[kind] = path.read_bytes()
    root = ET.fromstring(got["svg"])
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "kvm_lock" in {g.get("data-sk-node") for g in root.iter("{http://www.w3.org/2000/svg}g")}
    assert got["png"].startswith(PNG_MAGIC) and len(got["png"]) > 5000
    assert got["dot"].decode().splitlines()[1] == "digraph locks {" and b'"kvm_lock"' in got["dot"]
    assert page.locator(".sk-export-status").first.text_content() == ""

    # save_png from Python: the page draws it once the cell is done; the next cell sees the file.
    page.evaluate(_RUN_NEW_CELL_JS, "png = view.explorer.save_png('from-python.png')")
    page.wait_for_timeout(1500)
    page.evaluate(_RUN_NEW_CELL_JS, "print('PNG=%s %r' % (png.done(), open('from-python.png', 'rb').read(8)))")
    page.wait_for_function(_OUTPUT_HAS_JS, arg="PNG=True b'\\x89PNG\\r\\n\\x1a\\n'")
    assert page.evaluate(_ERRORS_JS) == []
    page.locator(".splatkit-paste-text").scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "paste-top.png"))  # text area, Read, the list, the export buttons
    assert watched_page.errors == []
    assert [u for u in watched_page.requests if u.startswith(("http:", "https:")) and not u.startswith(lab_url)] == []


@pytest.fixture(scope="module")
def notebook7(chromium, tmp_path_factory):
    """A Notebook 7 server over an empty folder."""
    pytest.importorskip("notebook")
    home = tmp_path_factory.mktemp("paste-nb7")
    root = home / "notebooks"
    root.mkdir()
    server = servers.start("notebook", root, home)
    try:
        yield server
    finally:
        server.stop()


def test_paste_in_notebook7_dark_reads_and_reports_errors_inline(notebook7, watched_page, seed_text, tmp_path):
    """Notebook 7 in the dark theme: the text area, its button and the list read at WCAG AA; text
    with no report says so inline (what was read, no traceback); the seed then explores live."""
    page = watched_page.page
    content = servers.code_notebook(PASTE_CELL)
    (notebook7.root / NOTEBOOK).write_text(json.dumps(content))
    page.goto(f"{notebook7.url}/notebooks/{NOTEBOOK}")
    page.wait_for_function(_READY_JS)
    page.evaluate("window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})")
    page.wait_for_function("() => document.body.dataset.jpThemeName === 'JupyterLab Dark'")
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(_ALL_RUN_JS)
    area = page.locator(".splatkit-paste-text textarea")
    read = page.locator(".splatkit-paste-read button, button.splatkit-paste-read").first

    area.fill("just some text\nwith no lockdep report in it\n")
    read.click()
    page.wait_for_function("() => /no lockdep report found/.test("
                           "document.querySelector('.splatkit-paste-message').textContent)")
    message = page.locator(".splatkit-paste-message")
    assert "Traceback" not in message.text_content()
    assert message.locator(":scope *").first.evaluate(CONTRAST_JS) >= 4.5

    area.fill(seed_text)
    read.click()
    page.wait_for_selector(".splatkit-graph[data-sk-state=live] canvas")
    for element in (area, read):
        ratio = element.evaluate(CONTRAST_JS)
        assert ratio >= 4.5, f"contrast {ratio:.2f}"
    page.evaluate(_RUN_NEW_CELL_JS, "print('REPORTS=%d %s' % (len(view.reports), view.explorer.splat.kind))")
    page.wait_for_function(_OUTPUT_HAS_JS, arg="REPORTS=1 circular")
    area.scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "paste-notebook7-dark.png"))
    assert page.evaluate(_ERRORS_JS) == []
    assert servers.page_errors(watched_page, notebook7) == []
