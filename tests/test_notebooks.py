"""Every notebook in notebooks/ runs top to bottom in a real kernel."""

from __future__ import annotations

from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=300,
                                     resources={"metadata": {"path": str(path.parent)}},
                                     store_widget_state=False)
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
    if path.name.startswith("05-"):
        # The grouped table of 60 generated logs, drawn after a progress bar widget.
        assert "in 60 logs" in text and "; 0 problems" in text and "possible deadlock in set_nx_huge_pages" in text
        scan_cell = next(cell for cell in nb.cells if cell.cell_type == "code" and "progress=scan_progress()" in cell.source)
        kinds = [list(o.get("data", {})) for o in scan_cell.outputs]
        assert any("application/vnd.jupyter.widget-view+json" in k for k in kinds)  # (tqdm's widget)
        assert any("text/html" in k for k in kinds)  # (the table)
    if path.name.startswith("01-"):
        assert "possible deadlock in set_nx_huge_pages" in text
        assert "CPU3" in text
