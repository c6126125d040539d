"""The README's main job: ``splatkit lab`` copies the installed notebooks into a working folder
(never over the reader's edits) and serves JupyterLab there, without JupyterLab's news prompt."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from browser.servers import splatkit_lab
from splatkit.cli.lab import MANIFEST, copy_notebooks
from splatkit.samples import notebook_paths

REPO = Path(__file__).resolve().parent.parent


def _env(tmp_path: Path) -> dict[str, str]:
    return {"HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)}


def test_the_notebooks_are_installed_with_the_package():
    names = [p.name for p in notebook_paths()]
    assert names == sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb"))
    assert "01-explore-a-splat.ipynb" in names
    for path in notebook_paths():
        nb = json.loads(path.read_text(encoding="utf-8"))
        # Installed clean: no outputs, no execution counts, no widget state.
        assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb["cells"]
                   if c["cell_type"] == "code"), path.name
        assert "widgets" not in nb.get("metadata", {})


def test_copy_adds_updates_and_never_overwrites_edits(tmp_path):
    bundled = {p.name: p.read_bytes() for p in notebook_paths()}
    first = copy_notebooks(tmp_path)
    assert sorted(first.copied) == sorted(bundled) and not first.kept
    assert {n: (tmp_path / n).read_bytes() for n in bundled} == bundled

    edited, stale, missing = sorted(bundled)[:3]
    (tmp_path / edited).write_text('{"cells": [], "mine": true}')
    # A copy splatkit made from an older release: unchanged since, so it is brought up to date.
    old = b'{"cells": [], "nbformat": 4}'
    (tmp_path / stale).write_bytes(old)
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    manifest["copied"][stale] = hashlib.sha256(old).hexdigest()
    (tmp_path / MANIFEST).write_text(json.dumps(manifest))
    (tmp_path / missing).unlink()

    again = copy_notebooks(tmp_path)
    assert again.kept == [edited] and again.updated == [stale] and again.copied == [missing]
    assert (tmp_path / edited).read_text() == '{"cells": [], "mine": true}'
    assert (tmp_path / stale).read_bytes() == bundled[stale]
    # The edited notebook stays the reader's, run after run.
    assert copy_notebooks(tmp_path).kept == [edited]


def test_the_settings_folder_follows_the_environment(tmp_path):
    """Its link to JupyterLab's static folder is made again when the environment moved (a
    dangling or stale link), and the environment's own overrides are kept."""
    from splatkit.cli.lab import lab_settings_dir

    old, new = tmp_path / "old-env", tmp_path / "new-env"
    for app in (old, new):
        (app / "static").mkdir(parents=True)
    (new / "settings").mkdir()
    (new / "settings" / "overrides.json").write_text('{"x:plugin": {"a": 1}}')
    work = tmp_path / "work"
    lab_settings_dir(work, app_dir=old)
    shutil.rmtree(old)  # the venv is recreated elsewhere: the link dangles
    settings = lab_settings_dir(work, app_dir=new)
    assert (work / ".splatkit-lab" / "static").readlink() == new / "static"
    overrides = json.loads((settings / "overrides.json").read_text())
    assert overrides["x:plugin"] == {"a": 1}
    assert overrides["@jupyter-widgets/jupyterlab-manager:plugin"] == {"saveState": True}


def test_copy_only_says_what_it_kept(tmp_path):
    folder = tmp_path / "work"
    run = [sys.executable, "-m", "splatkit", "lab", "--dir", str(folder), "--copy-only"]
    out = subprocess.run(run, capture_output=True, text=True, env=_env(tmp_path), cwd=tmp_path, timeout=60)
    assert out.returncode == 0 and "copied 01-explore-a-splat.ipynb" in out.stderr
    (folder / "01-explore-a-splat.ipynb").write_text("{}")
    out = subprocess.run(run, capture_output=True, text=True, env=_env(tmp_path), cwd=tmp_path, timeout=60)
    assert out.returncode == 0
    assert f"kept your edited {folder / '01-explore-a-splat.ipynb'}" in out.stderr
    assert (folder / "01-explore-a-splat.ipynb").read_text() == "{}"
    # A file where the folder should be: one clear line, no traceback.
    (tmp_path / "afile").write_text("x")
    out = subprocess.run([*run[:5], str(tmp_path / "afile"), "--copy-only"], capture_output=True, text=True,
                         env=_env(tmp_path), cwd=tmp_path, timeout=60)
    assert out.returncode != 0 and "is a file" in out.stderr and "Traceback" not in out.stderr


@pytest.fixture
def lab(tmp_path):
    """``splatkit lab`` run from an empty folder outside any clone: the URL it prints, the folder."""
    pytest.importorskip("jupyterlab")
    with splatkit_lab(tmp_path) as started:
        yield started


def test_lab_serves_the_copied_notebooks_without_the_news_prompt(lab):
    url, folder = lab
    assert (folder / "01-explore-a-splat.ipynb").is_file()
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200
        page = response.read().decode()
    config = json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                                  page, re.S).group(1))
    assert "@jupyterlab/apputils-extension:announcements" in config["disabledExtensions"]  # (a list here)
    assert config["news"] == {"disabled": True}
    # Widget state is saved with the notebook (a notebook reopened without a kernel shows its
    # graphs): the server's default for the widget manager's saveState, from its settings folder.
    plugin = "@jupyter-widgets/jupyterlab-manager:plugin"
    settings_url = re.sub(r"/lab/tree/[^?]*", f"/lab/api/settings/{plugin}", url)
    with urllib.request.urlopen(settings_url, timeout=30) as response:
        setting = json.loads(response.read())
    assert setting["schema"]["properties"]["saveState"]["default"] is True
    api = url.replace("/lab/tree/", "/api/contents/").replace("?token=", "?content=0&token=")
    with urllib.request.urlopen(api, timeout=30) as response:
        assert json.loads(response.read())["type"] == "notebook"
