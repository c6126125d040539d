"""What a non-editable install (a wheel, conda) gets: every package, the notebooks, the data."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _setuptools() -> dict:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    return tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_package_of_the_source_tree_is_installed():
    listed = set(_setuptools()["packages"])
    found = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "splatkit").rglob("__init__.py")}
    assert sorted(found - listed) == []


def test_notebooks_and_lab_config_are_package_data():
    config = _setuptools()
    assert config["package-dir"]["splatkit._notebooks"] == "notebooks"
    assert "*.ipynb" in config["package-data"]["splatkit._notebooks"]
    data = config["package-data"]["splatkit.cli.lab_config"]
    folder = REPO / "splatkit" / "cli" / "lab_config"
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*.json")}
    assert files and all(any(Path(f).match(pattern) for pattern in data) for f in files)
