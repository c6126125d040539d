"""The README's main job: ``splatkit lab`` serves JupyterLab with the exploration notebook."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_lab_prints_a_url_that_opens_the_notebook(tmp_path):
    pytest.importorskip("jupyterlab")
    port = _free_port()
    log = tmp_path / "lab.log"
    env_home = tmp_path / "home"  # keep JupyterLab's runtime and settings files out of the real home
    env = {"HOME": str(env_home), "PATH": "/usr/bin:/bin", "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt")}
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "splatkit", "lab", "--port", str(port), "--root", str(REPO)],
                                stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        pattern = re.compile(rf"http://127\.0\.0\.1:{port}/lab/tree/notebooks/01-explore-a-splat\.ipynb\?token=\w+")
        deadline = time.monotonic() + 90
        url = None
        while url is None and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.5)
            m = pattern.search(log.read_text())
            url = m.group(0) if m else None
        assert url, f"no notebook URL printed:\n{log.read_text()[-2000:]}"
        with urllib.request.urlopen(url, timeout=30) as response:
            assert response.status == 200
        api = url.replace("/lab/tree/", "/api/contents/").replace("?token=", "?content=0&token=")
        with urllib.request.urlopen(api, timeout=30) as response:
            assert b'"type": "notebook"' in response.read().replace(b'"type":"notebook"', b'"type": "notebook"')
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
