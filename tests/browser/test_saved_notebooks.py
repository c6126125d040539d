"""Notebooks saved with their outputs, reopened without running anything: the graphs and tables
must show (issue 11, item 1).

Notebooks 01 and 02 are executed by nbclient, which saves the widget state as JupyterLab's
"save widget state" does, then served by a JupyterLab or Notebook 7 that has no kernel at all.
A notebook one did not run oneself is untrusted, so the front end shows each output's
``text/html``: the static rendering, the graph as an ``<img>`` of its SVG. A trusted copy
opened with a kernel that never ran it restores the widgets from the saved state: the graph
widget shows the same picture (it asks that kernel for vis-network, which does not know the
widget, so the picture stays).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from . import servers

pytestmark = pytest.mark.browser

SAVED = ("01-explore-a-splat.ipynb", "02-compare-orderings.ipynb")
#: No kernel can start on these servers.
NO_KERNELS = '--KernelSpecManager.allowed_kernelspecs=["no-such-kernel"]'

#: Scroll the open notebook (Lab or Notebook 7) to the first cell whose source holds `text`.
_SCROLL_TO_JS = """(text) => {
  const nb = window.jupyterapp.shell.currentWidget.content;
  const i = nb.widgets.findIndex((c) => c.model.sharedModel.getSource().includes(text));
  return nb.scrollToItem(i, "start");
}"""

#: The notebook is open and its cells are loaded.
_OPEN_JS = """() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  return Boolean(w && w.content && w.context && w.context.isReady && w.content.widgets.length); }"""

#: Every static picture of the page that finished loading, with its drawn width.
_PICTURES_JS = """() => [...document.querySelectorAll("img.sk-static-img")]
  .filter((img) => img.complete && img.naturalWidth > 0)
  .map((img) => ({alt: img.alt, width: img.getBoundingClientRect().width}))"""


def _execute(src: Path, dest: Path) -> None:
    """Run ``src`` top to bottom with nbclient (widget state stored) and save it as ``dest``."""
    code = ("import sys, nbformat, nbclient\n"
            "nb = nbformat.read(sys.argv[1], as_version=4)\n"
            "nbclient.NotebookClient(nb, kernel_name='python3', timeout=300, store_widget_state=True,\n"
            "    resources={'metadata': {'path': sys.argv[3]}}).execute()\n"
            "nbformat.write(nb, sys.argv[2])\n")
    env = servers.server_env(dest.parent.parent / "exec-home")
    subprocess.run([sys.executable, "-c", code, str(src), str(dest), str(src.parent)], check=True, env=env,
                   timeout=600, capture_output=True)


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    """A folder with notebooks 01 and 02 executed and saved with their outputs and widget state."""
    pytest.importorskip("nbclient")
    root = tmp_path_factory.mktemp("saved") / "notebooks"
    root.mkdir()
    for name in SAVED:
        _execute(servers.REPO / "notebooks" / name, root / name)
    return root


@pytest.fixture(scope="module", params=["lab", "notebook"])
def kernelless(request, chromium, saved, tmp_path_factory) -> Iterator[servers.Server]:
    """JupyterLab, then Notebook 7, serving the saved notebooks with no kernel available."""
    pytest.importorskip("jupyterlab" if request.param == "lab" else "notebook")
    server = servers.start(request.param, saved, tmp_path_factory.mktemp(f"{request.param}-home"), [NO_KERNELS])
    try:
        yield server
    finally:
        server.stop()


def _open_without_kernel(page, server: servers.Server, name: str) -> None:
    app = "lab/tree" if server.app == "lab" else "notebooks"
    page.goto(f"{server.url}/{app}/{name}?reset")
    page.wait_for_function("window.jupyterapp !== undefined")
    # No kernel can start: the front end asks which one to use; keep "No Kernel".
    page.wait_for_selector(".jp-Dialog")
    page.locator(".jp-Dialog button.jp-mod-accept").click()
    page.wait_for_selector(".jp-Dialog", state="detached")
    page.wait_for_function(_OPEN_JS)


@pytest.mark.parametrize("theme", ["JupyterLab Light", "JupyterLab Dark"])
def test_explorer_output_shows_its_static_rendering_without_a_kernel(kernelless, watched_page, theme, tmp_path):
    page = watched_page.page
    _open_without_kernel(page, kernelless, SAVED[0])
    page.evaluate(f"window.jupyterapp.commands.execute('apputils:change-theme', {{theme: '{theme}'}})")
    page.wait_for_function("(t) => document.body.dataset.jpThemeName === t", arg=theme)
    page.evaluate(_SCROLL_TO_JS, "explore(splat)")
    page.wait_for_function(f"() => ({_PICTURES_JS})().length === 1")
    (picture,) = page.evaluate(_PICTURES_JS)
    assert picture["width"] > 500  # drawn at a readable size, not a thumbnail
    output = page.locator(".jp-OutputArea-output:has(img.sk-static-img)")
    text = output.inner_text()
    assert "Dependency chain" in text and "set_nx_huge_pages" in text and "&kvm->slots_lock" in text
    assert "Error displaying widget" not in page.content()
    output.screenshot(path=str(tmp_path / f"static-{kernelless.app}-{theme.split()[-1]}.png"))
    assert servers.page_errors(watched_page, kernelless) == [] and watched_page.dialogs == []
    assert [u for u in watched_page.requests if u.startswith(("http:", "https:"))
            and not u.startswith(kernelless.url)] == []


def test_orderings_output_shows_three_pictures_without_a_kernel(kernelless, watched_page, tmp_path):
    page = watched_page.page
    _open_without_kernel(page, kernelless, SAVED[1])
    page.evaluate(_SCROLL_TO_JS, "compare_orderings(")
    page.wait_for_function(f"() => ({_PICTURES_JS})().length === 3")
    alts = [p["alt"] for p in page.evaluate(_PICTURES_JS)]
    assert alts == [f"lock graph with {name}" for name in ("status-quo", "patch-v1", "kvm-usage-lock")]
    tops = page.evaluate("[...document.querySelectorAll('img.sk-static-img')].map(i => i.getBoundingClientRect().top)")
    assert max(tops) - min(tops) < 60  # side by side, not wrapped under each other
    page.locator(".jp-OutputArea-output:has(img.sk-static-img)").screenshot(
        path=str(tmp_path / f"orderings-static-{kernelless.app}.png"))
    assert servers.page_errors(watched_page, kernelless) == []


@pytest.fixture(scope="module")
def trusted_lab(chromium, saved, tmp_path_factory) -> Iterator[servers.Server]:
    """JupyterLab with kernels, serving the saved notebooks signed as trusted by its own notary."""
    pytest.importorskip("jupyterlab")
    home = tmp_path_factory.mktemp("trusted-home")
    root = home / "notebooks"
    root.mkdir()
    (root / SAVED[0]).write_bytes((saved / SAVED[0]).read_bytes())
    subprocess.run([sys.executable, "-m", "jupyter", "trust", str(root / SAVED[0])], check=True,
                   env=servers.server_env(home), capture_output=True, timeout=60)
    server = servers.start("lab", root, home)
    try:
        yield server
    finally:
        server.stop()


def test_saved_widget_state_shows_the_picture_until_the_cell_runs_again(trusted_lab, watched_page, tmp_path):
    page = watched_page.page
    page.goto(f"{trusted_lab.url}/lab/tree/{SAVED[0]}?reset")
    page.wait_for_function(_OPEN_JS)
    page.evaluate(_SCROLL_TO_JS, "explore(splat)")
    # The widget restored from the saved state draws its static picture at once...
    page.wait_for_selector(".splatkit-graph .sk-static-picture svg.splatkit-svg")
    assert page.locator(".splatkit-graph svg [data-sk-node]").count() == 8
    assert page.locator(".splatkit-tables caption").first.inner_text().startswith("kvm_lock \u2192 &kvm->slots_lock")
    # ...and keeps it: the kernel does not know the widget, so vis-network never comes.
    page.wait_for_function("document.querySelector('.splatkit-graph').dataset.skState === 'static-no-kernel'",
                           timeout=30_000)
    assert page.locator(".splatkit-graph canvas").count() == 0
    page.locator(".jp-OutputArea-output:has(.splatkit-graph)").screenshot(path=str(tmp_path / "state.png"))
    assert watched_page.errors == []
