"""The public surface: a small deliberate API, and a core that never imports Jupyter."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import splatkit

PACKAGE = Path(splatkit.__file__).parent
JUPYTER = ("ipywidgets", "anywidget", "traitlets", "IPython", "ipykernel", "pyvis")


def test_all_is_sorted_and_importable():
    assert list(splatkit.__all__) == sorted(splatkit.__all__)
    for name in splatkit.__all__:
        assert hasattr(splatkit, name), name


def test_core_import_pulls_no_jupyter():
    code = ("import sys, splatkit, splatkit.cli, splatkit.render.html, splatkit.tables;"
            f"print(sorted(m for m in {JUPYTER!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_no_module_level_jupyter_imports_outside_widgets():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if "widgets" in path.relative_to(PACKAGE).parts:
            continue
        for node in ast.parse(path.read_text()).body:  # module level only: lazy imports are fine
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path}: {n}" for n in names if n.split(".")[0] in JUPYTER]
    assert offenders == []
