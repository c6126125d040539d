"""Imports flow one way: the lock-graph data, then the analyses, then the LockGraph facade.

The analyses (``splatkit/analysis/``) take the data (``splatkit.depgraph``) and never
import ``splatkit.graph``, the facade that calls them; ``depgraph`` imports neither. Every
module imports on its own, first, in a fresh interpreter.
"""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import networkx as nx

import splatkit

PACKAGE = Path(splatkit.__file__).parent


def _module(path: Path) -> str:
    parts = ["splatkit", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, *, module_level: bool) -> set[str]:
    """The splatkit modules ``path`` imports (relative imports resolved): at module level (not
    under ``if TYPE_CHECKING``) or, with ``module_level=False``, anywhere in it."""
    module = _module(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = []
    if module_level:
        for node in tree.body:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            nodes += node.body if isinstance(node, ast.Try) else [node]
    else:
        nodes = list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([node.module] if node.module else []))
            for alias in node.names:  # 'from . import graph' imports a module; 'from .x import y' imports x
                sub = f"{base}.{alias.name}"
                found.add(sub if _is_module(sub) else base)
    return {name for name in found if name == "splatkit" or name.startswith("splatkit.")}


def _is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages([str(PACKAGE)], prefix="splatkit.")) + ["splatkit"]


def test_the_analyses_never_import_the_graph_facade():
    """Not at module level, not in a function, not for type checking: they take the data."""
    analyses = {f"splatkit.analysis.{p.stem}" for p in (PACKAGE / "analysis").glob("*.py")}
    allowed = analyses | {"splatkit.analysis", "splatkit.depgraph", "splatkit.errors", "splatkit.model"}
    for path in sorted((PACKAGE / "analysis").glob("*.py")):
        imported = _imports(path, module_level=False)
        assert not {m for m in imported if m == "splatkit.graph" or m.startswith("splatkit.graph.")}, path
        assert imported <= allowed, f"{path}: {imported - allowed}"
    assert "splatkit.depgraph" in _imports(PACKAGE / "analysis" / "ordering.py", module_level=True)
    depgraph = _imports(PACKAGE / "depgraph.py", module_level=False)
    assert not {m for m in depgraph if m.startswith(("splatkit.graph", "splatkit.analysis"))}, depgraph
    # The facade calls the analyses, imported once at module level (no lazy import hiding a cycle).
    assert {"splatkit.analysis.cycles", "splatkit.analysis.ordering", "splatkit.analysis.whatif"} <= _imports(
        PACKAGE / "graph.py", module_level=True)


def test_module_level_imports_form_no_cycle():
    graph = nx.DiGraph()
    for path in PACKAGE.rglob("*.py"):
        graph.add_node(_module(path))
        graph.add_edges_from((_module(path), target) for target in _imports(path, module_level=True))
    assert graph.has_edge("splatkit.graph", "splatkit.analysis.whatif")  # (the walk sees imports)
    assert graph.has_edge("splatkit.analysis.ordering", "splatkit.depgraph")
    assert list(nx.simple_cycles(graph)) == []


def test_every_module_imports_first_in_a_fresh_interpreter():
    """Each module imported before any other of splatkit (a cycle shows as a partly
    initialised module), in one child process that forgets splatkit between imports."""
    modules = [m for m in _modules() if m != "splatkit.__main__"]  # (that one runs the command line)
    code = (
        "import importlib, json, sys\n"
        "failed = {}\n"
        f"for name in {modules!r}:\n"
        "    for loaded in [m for m in sys.modules if m == 'splatkit' or m.startswith('splatkit.')]:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as err:\n"
        "        failed[name] = f'{type(err).__name__}: {err}'\n"
        "print(json.dumps(failed))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    failed = json.loads(result.stdout)
    # widgets need the notebook extra; without it they fail with splatkit's own DependencyError.
    assert {name: why for name, why in failed.items() if "DependencyError" not in why} == {}
    assert len(modules) > 30 and {"splatkit.graph", "splatkit.depgraph", "splatkit.analysis.cycles"} <= set(modules)


def test_a_scan_worker_process_imports_no_pandas():
    """Each worker process of ``splatkit scan --workers N`` is spawned: it first imports the
    ``splatkit`` script again (so :mod:`splatkit.cli`), then the scan of a log. Neither needs
    pandas (0.2 s of every worker's start, on cores the scan wants); the table is built in
    the client."""
    code = ("import sys, splatkit.cli, splatkit.corpus.perlog\n"
            "print(sorted(m for m in ('pandas', 'numpy') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["[]"]
