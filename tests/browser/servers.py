"""Jupyter servers for the browser tests: JupyterLab or Notebook 7 on a free port, no token,
its settings, workspaces, runtime and data files in a temporary home, the checked-out
splatkit first on the kernels' path (so a worktree tests its own code), stopped with its
kernels at the end.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent
TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(home: Path) -> dict[str, str]:
    """Environment keeping Jupyter's state in ``home``, JupyterLab's news toast silenced (it can
    cover the canvas), and this checkout of splatkit importable by the kernels."""
    settings = home / "settings"
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True, exist_ok=True)
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        '{"fetchNews": "false", "checkForUpdates": false}')
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(settings),
            "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
            "JUPYTER_DATA_DIR": str(home / "data"), "IPYTHONDIR": str(home / "ipython"), "PYTHONPATH": path}


@dataclass
class Server:
    """A running server: its base URL, the folder it serves, its process and log."""

    app: str
    url: str
    root: Path
    home: Path
    proc: subprocess.Popen
    log: Path

    def stop(self) -> None:
        """SIGTERM lets the server shut its kernels down; kill its process group if it hangs."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


def start(app: str, root: Path, home: Path, extra: Sequence[str] = ()) -> Server:
    """Start ``jupyter lab`` or ``jupyter notebook`` (``app``) serving ``root``; wait until it answers."""
    port = free_port()
    log = home / f"{app}.log"
    command = [sys.executable, "-m", "jupyter", app, "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               f"--ServerApp.root_dir={root}", "--IdentityProvider.token=", "--ServerApp.password=",
               "--LabApp.expose_app_in_browser=True", *extra]
    if app == "notebook":
        command[command.index("--LabApp.expose_app_in_browser=True")] = "--JupyterNotebookApp.expose_app_in_browser=True"
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=server_env(home), cwd=root,
                                start_new_session=True)
    server = Server(app, f"http://127.0.0.1:{port}", root, home, proc, log)
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"jupyter {app} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{server.url}/api/status", timeout=2):
                return server
        except OSError:
            time.sleep(0.25)
    server.stop()
    pytest.fail(f"jupyter {app} did not answer within {TIMEOUT_S}s:\n{log.read_text()[-3000:]}")


#: The themes the notebook tests run in (issue 11, item 10: light and dark), and the two apps.
THEMES = ("JupyterLab Light", "JupyterLab Dark")
APPS = ("lab", "notebook")


def themed(notebook: str, theme: str) -> str:
    """The name of ``notebook``'s copy for ``theme`` (``kinds.ipynb`` -> ``kinds-dark.ipynb``).

    One server runs a test in each theme; each run opens its own copy, with its own kernel, so that
    the cells a run appends to ask the kernel (and an autosave may keep) are not in the next.
    """
    stem, dot, ext = notebook.rpartition(".")
    return f"{stem}-{theme.split()[-1].lower()}{dot}{ext}"


def code_notebook(*sources: str) -> dict:
    """A notebook (nbformat's model, JSON-ready) of one code cell per source, on the python3 kernel."""
    import nbformat

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in sources])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


def write_themed(root: Path, notebook: str, text: str) -> None:
    """Write ``text`` (a notebook) as ``notebook``'s copy for each of :data:`THEMES` in ``root``."""
    for theme in THEMES:
        (root / themed(notebook, theme)).write_text(text, encoding="utf-8")


#: An error Notebook 7 (7.6) raises by itself on opening any notebook, even a one-cell ``1+1``
#: with no setting of ours: its settings code reads a schema that is not there.
NOTEBOOK7_OWN_ERROR = "Cannot read properties of undefined (reading 'schema')"


def page_errors(watched, server: Server) -> list[str]:
    """The page's uncaught errors, less the one Notebook 7 raises on its own."""
    return [e for e in watched.errors if not (server.app == "notebook" and e == NOTEBOOK7_OWN_ERROR)]


def run_all_in_theme(page, server: Server, notebook: str, theme: str, ready_js: str, all_run_js: str) -> None:
    """Open ``notebook`` (JupyterLab or Notebook 7) in a fresh workspace, switch to ``theme`` once
    ``ready_js`` holds, run every cell and wait until ``all_run_js`` holds."""
    path = "lab/tree" if server.app == "lab" else "notebooks"
    page.goto(f"{server.url}/{path}/{notebook}?reset")
    page.wait_for_function(ready_js)
    page.evaluate(f"window.jupyterapp.commands.execute('apputils:change-theme', {{theme: '{theme}'}})")
    page.wait_for_function("(t) => document.body.dataset.jpThemeName === t", arg=theme)
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(all_run_js)


@contextmanager
def splatkit_lab(tmp: Path, *, expose_app: bool = False) -> Iterator[tuple[str, Path]]:
    """``splatkit lab`` run from the empty folder ``tmp`` (outside any clone) on a free port,
    with a fresh home (no JupyterLab settings: its news prompt would show by default) and this
    checkout of splatkit on the path: the notebook URL it prints, and the folder it copied to.
    ``expose_app`` adds a configuration folder that exposes ``window.jupyterapp`` to the test."""
    port = free_port()
    log = tmp / "splatkit-lab.log"
    env = {"HOME": str(tmp / "home"), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO),
           "JUPYTER_RUNTIME_DIR": str(tmp / "rt"), "JUPYTER_DATA_DIR": str(tmp / "data")}
    if expose_app:
        config = tmp / "test-config"
        config.mkdir(exist_ok=True)
        (config / "jupyter_server_config.json").write_text('{"LabApp": {"expose_app_in_browser": true}}')
        env["JUPYTER_CONFIG_PATH"] = str(config)
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "splatkit", "lab", "--port", str(port)],
                                stdout=out, stderr=subprocess.STDOUT, env=env, cwd=tmp)
    try:
        pattern = re.compile(rf"http://127\.0\.0\.1:{port}/lab/tree/01-explore-a-splat\.ipynb\?token=\w+")
        deadline = time.monotonic() + 90
        url = None
        while url is None and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.5)
            m = pattern.search(log.read_text())
            url = m.group(0) if m else None
        assert url, f"no notebook URL printed:\n{log.read_text()[-2000:]}"
        yield url, tmp / "splatkit-notebooks"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
