"""The exploration notebook in a real headless JupyterLab: Run All, click an arrow on the
canvas, and check that the *Python* side (``explorer.selected_edge``, ``explorer.frames``)
followed the click and sent the new stack back to the page.

The server runs on a copy of ``notebooks/`` in a temporary directory, so the test never
writes into the repository, with its settings, workspaces and runtime files there too.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from . import servers

pytestmark = pytest.mark.browser

NOTEBOOKS = servers.REPO / "notebooks"
NOTEBOOK = "01-explore-a-splat.ipynb"
ORDERINGS_NOTEBOOK = "02-compare-orderings.ipynb"
SRCU_CPUHP = "&kvm->srcu -> cpu_hotplug_lock"

#: The notebook is open, its cells are loaded and its kernel is idle (JupyterLab or Notebook 7,
#: whose app object may not exist yet).
_READY_JS = """() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const kernel = panel && panel.sessionContext && panel.sessionContext.session
    && panel.sessionContext.session.kernel;
  return Boolean(kernel && kernel.status === "idle" && panel.context.isReady && panel.content.widgets.length);
}"""

#: The notebook panel's kernel is idle and every code cell has run (has an execution count).
_ALL_RUN_JS = """() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const kernel = panel && panel.sessionContext.session && panel.sessionContext.session.kernel;
  if (!kernel || kernel.status !== "idle") return false;
  const code = panel.content.widgets.filter((cell) => cell.model.type === "code");
  return code.length > 0 && code.every((cell) => cell.model.executionCount !== null);
}"""

#: Append a code cell holding `source` at the end of the notebook and run it.
_RUN_NEW_CELL_JS = """async (source) => {
  const app = window.jupyterapp, nb = app.shell.currentWidget.content;
  nb.activeCellIndex = nb.widgets.length - 1;
  await app.commands.execute("notebook:insert-cell-below");
  nb.activeCell.model.sharedModel.setSource(source);
  await app.commands.execute("notebook:run-cell");
}"""

#: ename: evalue of every error output in the notebook.
_ERRORS_JS = """() => window.jupyterapp.shell.currentWidget.content.widgets
  .filter((cell) => cell.model.type === "code")
  .flatMap((cell) => cell.model.outputs.toJSON())
  .filter((output) => output.output_type === "error")
  .map((output) => `${output.ename}: ${output.evalue}`)"""

_OUTPUT_HAS_JS = """(text) => [...document.querySelectorAll(".jp-OutputArea-output")]
  .some((output) => output.textContent.includes(text))"""


@pytest.fixture(scope="module")
def lab_url(chromium, tmp_path_factory) -> Iterator[str]:
    """Base URL of a JupyterLab serving a temporary copy of ``notebooks/`` (no token)."""
    pytest.importorskip("jupyterlab")
    if not (NOTEBOOKS / NOTEBOOK).is_file():
        pytest.fail(f"{NOTEBOOKS / NOTEBOOK} is missing")
    home = tmp_path_factory.mktemp("lab")
    root = home / "notebooks"
    shutil.copytree(NOTEBOOKS, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    server = servers.start("lab", root, home)
    try:
        yield server.url
    finally:
        server.stop()


def _run_all(page, lab_url: str, notebook: str):
    """Open ``notebook`` in a fresh workspace, wait for its kernel, run every cell, wait for them."""
    page.goto(f"{lab_url}/lab/tree/{notebook}?reset")
    page.wait_for_function("window.jupyterapp !== undefined")
    page.wait_for_function(_READY_JS)
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(_ALL_RUN_JS)
    return page


def test_clicking_an_edge_in_lab_updates_python(lab_url, watched_page, click_edge):
    page = _run_all(watched_page.page, lab_url, NOTEBOOK)
    page.wait_for_selector(".splatkit-graph canvas", state="attached")
    assert page.evaluate(_ERRORS_JS) == []

    click_edge(page, ".splatkit-graph", SRCU_CPUHP)
    # Python -> page: the explorer's stack table (an ipywidgets.HTML) now shows that dependency.
    page.wait_for_function(
        "() => [...document.querySelectorAll('.splatkit-tables caption')]"
        ".some((c) => c.textContent.startsWith('&kvm->srcu \u2192 cpu_hotplug_lock'))")
    # The kernel itself: ask it.
    page.evaluate(_RUN_NEW_CELL_JS, "print('SELECTED=' + explorer.selected_edge,"
                                    " len(explorer.frames), explorer.frames['function'].iloc[0])")
    page.wait_for_function(_OUTPUT_HAS_JS, arg=f"SELECTED={SRCU_CPUHP} 13 cpus_read_lock")
    assert watched_page.errors == []
    # Nothing leaves the host (anywidget imports the ESM from a blob: URL of the page).
    assert [u for u in watched_page.requests if u.startswith(("http:", "https:")) and not u.startswith(lab_url)] == []


def test_the_internals_toggle_shows_lockdep_frames(lab_url, watched_page, tmp_path):
    """Stacks start at the code; one click on the toggle shows lockdep's and the locking API's
    frames, greyed, in the page and in Python; the frame syzbot blames stays marked."""
    page = _run_all(watched_page.page, lab_url, NOTEBOOK)
    page.wait_for_selector(".splatkit-graph[data-sk-state=live] canvas")
    stack = page.locator(".splatkit-tables:has(h4:text('Stack of the selected dependency'))")
    stack.scroll_into_view_if_needed()
    assert stack.locator("tr.sk-blamed td").first.text_content() == "set_nx_huge_pages"
    assert "__lock_acquire" not in stack.text_content() and "3 frames hidden" in stack.text_content()
    page.locator(".splatkit-internals input[type=checkbox]").click()
    page.wait_for_function("() => [...document.querySelectorAll('.splatkit-tables tr.sk-dim td:first-child')]"
                           ".map((td) => td.textContent).join(',') === '__lock_acquire,lock_acquire,__mutex_lock'")
    page.evaluate(_RUN_NEW_CELL_JS, "print('INTERNALS=%s %d %s' % (explorer.show_internals, len(explorer.frames),"
                                    " explorer.frames['role'].iloc[0]))")
    page.wait_for_function(_OUTPUT_HAS_JS, arg="INTERNALS=True 14 lockdep")
    stack.screenshot(path=str(tmp_path / "stack-internals.png"))
    assert watched_page.errors == []


def test_clicking_a_lock_class_shows_its_panel(lab_url, watched_page, click_node, tmp_path):
    page = _run_all(watched_page.page, lab_url, NOTEBOOK)
    page.wait_for_selector(".splatkit-graph[data-sk-state=live] canvas")
    click_node(page, ".splatkit-graph", "kvm_lock")
    page.wait_for_function("() => [...document.querySelectorAll('.sk-lock-class h4')]"
                           ".some((h) => h.textContent === 'Lock class kvm_lock')")
    panel = page.locator(".sk-lock-class")
    assert "irq-unsafe" in panel.text_content() and "set_nx_huge_pages" in panel.text_content()
    page.evaluate(_RUN_NEW_CELL_JS, "print('LOCK=' + explorer.lock_class['name'], explorer.graph.selected_node)")
    page.wait_for_function(_OUTPUT_HAS_JS, arg="LOCK=kvm_lock kvm_lock")
    panel.scroll_into_view_if_needed()
    panel.screenshot(path=str(tmp_path / "lock-class.png"))
    assert watched_page.errors == []


def test_clicking_an_edge_in_an_ordering_column_updates_python(lab_url, watched_page, click_edge):
    page = _run_all(watched_page.page, lab_url, ORDERINGS_NOTEBOOK)
    # The widget is the last cell of a long notebook: bring it into view (Lab renders cells lazily).
    page.evaluate("() => { const nb = window.jupyterapp.shell.currentWidget.content;"
                  " return nb.scrollToItem(nb.widgets.length - 1, 'start'); }")
    page.wait_for_selector(".splatkit-ordering-2 .splatkit-graph canvas", state="attached")
    assert page.evaluate(_ERRORS_JS) == []
    assert page.locator(".splatkit-graph").count() == 3  # one drawing per ordering

    # patch-v1 (the second column) declares kvm_lock -> cpu_hotplug_lock: click it there.
    click_edge(page, ".splatkit-ordering-1 .splatkit-graph", "kvm_lock -> cpu_hotplug_lock")
    page.evaluate(_RUN_NEW_CELL_JS, "print('SELECTED=' + view.selected + ' | ' + view.selected_edge)")
    page.wait_for_function(_OUTPUT_HAS_JS, arg="SELECTED=patch-v1 | kvm_lock -> cpu_hotplug_lock")
    assert watched_page.errors == []
    assert [u for u in watched_page.requests if u.startswith(("http:", "https:")) and not u.startswith(lab_url)] == []


@pytest.mark.parametrize("theme", ["JupyterLab Light", "JupyterLab Dark"])
def test_patch_review_notebook_shows_the_reply_in_lab(lab_url, watched_page, theme, tmp_path):
    """Notebook 03 in Lab: the Markdown reply renders with code spans, the HTML fragment's scenario
    is a table and its own graph draws (its inline scripts run in the trusted output), in both themes."""
    page = _run_all(watched_page.page, lab_url, "03-patch-review.ipynb")
    page.evaluate(f"window.jupyterapp.commands.execute('apputils:change-theme', {{theme: '{theme}'}})")
    page.wait_for_function("(t) => document.body.dataset.jpThemeName === t", arg=theme)
    assert page.evaluate(_ERRORS_JS) == []
    page.evaluate("() => { const nb = window.jupyterapp.shell.currentWidget.content;"
                  " return nb.scrollToItem(nb.widgets.length - 1, 'start'); }")
    page.wait_for_selector(".jp-RenderedHTMLCommon .splatkit-explanation table.sk-scenario", state="attached")
    page.wait_for_selector("div[data-sk-graph] canvas", state="attached")
    assert page.evaluate("document.querySelector('div[data-sk-graph]').splatkitGraph"
                         ".network.body.nodeIndices.length") == 8
    # The fragment's canvas follows the theme: its frame the page's background, arrow labels
    # in the theme's text colour.
    background, label = page.evaluate("""() => { const div = document.querySelector('div[data-sk-graph]');
      const edge = Object.values(div.splatkitGraph.network.body.edges)[0];
      return [getComputedStyle(div).backgroundColor, edge.options.font.color]; }""")
    channels = [int(v) for v in background.strip("rgba()").split(",")[:3]]
    dark = theme.endswith("Dark")
    assert (sum(channels) < 200) if dark else (sum(channels) > 600), background
    white = label.replace(" ", "").startswith(("rgba(255,255,255", "#fff", "rgb(255,255,255"))
    assert white == dark, label
    # The Markdown output: lock names as code.
    assert page.evaluate("[...document.querySelectorAll('.jp-RenderedMarkdown code')]"
                         ".some((c) => c.textContent === 'cpu_hotplug_lock')")
    page.locator(".splatkit-fragment").screenshot(path=str(tmp_path / f"fragment-{theme.split()[-1]}.png"))
    assert watched_page.errors == []
    assert [u for u in watched_page.requests if u.startswith(("http:", "https:")) and not u.startswith(lab_url)] == []
