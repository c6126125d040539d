"""Every notebook in notebooks/ runs top to bottom in a real kernel, and saved with its
widget state it stays small and shows its graphs without a kernel (nbconvert's HTML)."""

from __future__ import annotations

import copy
import html
import json
import re
from pathlib import Path

import pytest
from conftest import static_pictures

from splatkit.render.snapshot import image_svg

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, monkeypatch):
    # The kernel imports this checkout's splatkit (a worktree, or a clone installed elsewhere).
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parent.parent))
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=300,
                                     resources={"metadata": {"path": str(path.parent)}},
                                     store_widget_state=True)
    client.execute()  # raises CellExecutionError, with the failing cell, on any error
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(o.get("text", "") for o in outputs) + "".join(
        str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    if path.name.startswith("03-"):
        # The reply: the explanation, the condition first, the condensed splat, the patch's cycle.
        assert "The deadlock needs a writer" in text and "cpus_write_lock()" in text
        assert "-> #2 cpu_hotplug_lock: kvm_lapic_set_base [kvm] (percpu-rwsem for read)" in text
        assert "kvm_lock -> cpu_hotplug_lock -> kvm_lock" in text
        html = "".join(str(o.get("data", {}).get("text/html", "")) for o in outputs)
        assert "<code>&amp;kvm-&gt;slots_lock</code>" in html
        markdown = "".join(str(o.get("data", {}).get("text/markdown", "")) for o in outputs)
        assert "`cpu_hotplug_lock`" in markdown
    if path.name.startswith("01-"):
        assert "possible deadlock in set_nx_huge_pages" in text
        assert "CPU3" in text

    if path.name.startswith(("01-", "02-")):
        _check_saved_widgets(nb, nbformat)


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
#: What a notebook saved with widget state may weigh per drawn graph, beyond the same notebook
#: without its widget outputs and state (issue 11: vis-network once per page, not per widget).
BUDGET_PER_GRAPH = 60_000


def _check_saved_widgets(nb, nbformat) -> None:
    """The executed notebook, saved with widget state: every widget output carries its static
    rendering, its weight per graph is within budget, and nbconvert's HTML shows the pictures."""
    nbconvert = pytest.importorskip("nbconvert")
    widget_outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])
                      if WIDGET_VIEW in o.get("data", {})]
    assert widget_outputs, "no widget output"
    state = nb.metadata["widgets"][WIDGET_STATE]["state"]
    graphs = 0
    for output in widget_outputs:
        static = output["data"]["text/html"]
        assert static.startswith('<div class="splatkit-static">') and "<script" not in static
        graphs += len(static_pictures(static))
    drawn = [m for m in state.values() if m["model_name"] == "AnyModel"]
    assert graphs == len(drawn) >= 1
    from splatkit.render.html import vis_network_assets

    vis = vis_network_assets()
    for model in drawn:
        assert model["state"]["static_svg"].startswith('<svg class="splatkit-svg"')
        saved = json.dumps(model["state"])
        assert vis.js[5000:5200] not in saved and vis.css[:200] not in saved  # sent on request, never saved

    without = copy.deepcopy(nb)
    for cell in without.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if WIDGET_VIEW not in o.get("data", {})]
    del without.metadata["widgets"]
    weight = len(nbformat.writes(nb).encode()) - len(nbformat.writes(without).encode())
    assert weight <= BUDGET_PER_GRAPH * graphs, f"{weight} bytes for {graphs} graph(s)"

    # nbconvert without the widget state (what JupyterLab saves by default) shows text/html: the SVG.
    no_state = copy.deepcopy(nb)
    del no_state.metadata["widgets"]
    page, _ = nbconvert.HTMLExporter().from_notebook_node(no_state)
    pictures = static_pictures(page)
    assert sorted(pictures) == sorted(image_svg(m["state"]["static_svg"]) for m in drawn)
    names = {node["id"] for m in drawn for node in m["state"]["nodes"]}
    for name in names:
        assert any(f"data-sk-node='{html.escape(name)}'" in svg for svg in pictures)
    # With the state, nbconvert embeds the widgets, whose state carries the same pictures.
    page, _ = nbconvert.HTMLExporter().from_notebook_node(nb)
    embedded = re.search(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', page, re.S)
    assert embedded and embedded.group(1).count("splatkit-svg") >= graphs
