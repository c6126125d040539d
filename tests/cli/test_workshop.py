"""``splatkit workshop``: Voila serving the workshop notebook on 127.0.0.1, its URL printed.

One test starts the real server on a free port, fetches the page with the printed URL (the
notebook rendered by Voila with splatkit's template, the exercises' widgets in it), checks
that the page is refused without the token, and stops it. The others check the command line
it builds and its errors without starting anything.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import free_port
from splatkit.cli.workshop import INSTALL, NOTEBOOK, TEMPLATE

REPO = Path(__file__).resolve().parents[2]


def test_dry_run_prints_the_url_and_the_voila_command(cli):
    pytest.importorskip("voila")
    status, out, err = cli("workshop", "--dry-run", "--port", "9123", "--theme", "dark", "--root", REPO)
    assert status == 0 and err == ""
    url, command = out.splitlines()
    assert re.fullmatch(r"http://127\.0\.0\.1:9123/\?token=[\w-]{32}", url)
    args = command.split()
    assert args[1:4] == ["-m", "voila", str(REPO / NOTEBOOK)]
    assert {"--no-browser", "--token", "--port=9123", "--Voila.ip=127.0.0.1", "--Voila.port_retries=0",
            "--theme=dark", f"--template={TEMPLATE}"} <= set(args)
    # Each run makes a new token.
    assert cli("workshop", "--dry-run", "--root", REPO)[1].split("token=")[1] != url.split("token=")[1]


def test_the_template_ships_in_the_package():
    from splatkit.cli.workshop import voila_env

    env = voila_env("t0ken")
    assert env["JUPYTER_TOKEN"] == "t0ken"
    root = Path(env["JUPYTER_PATH"].split(os.pathsep)[0])
    template = root / "voila" / "templates" / TEMPLATE
    assert (template / "conf.json").is_file() and (template / "index.html.j2").is_file()
    assert '"base_template": "lab"' in (template / "conf.json").read_text()


def test_without_voila_one_line_says_how_to_install_it(cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "voila", None)  # (import voila now raises ImportError)
    status, out, err = cli("workshop", "--dry-run", "--root", REPO)
    assert (status, out) == (2, "")
    assert err == f"splatkit: {INSTALL}\n" and "pip install 'splatkit[notebook]'" in err


def test_a_root_without_the_notebook_is_named(cli, tmp_path):
    status, out, err = cli("workshop", "--dry-run", "--root", tmp_path)
    assert status == 2 and err.count("\n") == 1
    assert f"the workshop notebook is not at {tmp_path / NOTEBOOK}" in err and "--root" in err


def _env(tmp_path: Path) -> dict[str, str]:
    """Voila's state (runtime files, signing key) in tmp_path, not in the real home."""
    return {**os.environ, "HOME": str(tmp_path / "home"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
            "JUPYTER_DATA_DIR": str(tmp_path / "data"), "IPYTHONDIR": str(tmp_path / "ipython")}


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)  # Voila shuts its kernels down on SIGINT
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def test_the_workshop_serves_the_notebook_at_the_printed_url(tmp_path):
    pytest.importorskip("voila")
    port = free_port()
    log = tmp_path / "voila.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "splatkit", "workshop", "--port", str(port), "--root",
                                 str(REPO)], stdout=out, stderr=subprocess.STDOUT, env=_env(tmp_path),
                                start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        url = None
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.5)
            text = log.read_text()
            m = re.search(rf"^The lockdep workshop: (http://127\.0\.0\.1:{port}/\?token=\S+)$", text, re.M)
            if m and "Voil\u00e0 is running at" in text:
                url = m.group(1)
                break
        assert url, f"Voila did not start:\n{log.read_text()[-3000:]}"
        with urllib.request.urlopen(url, timeout=120) as response:  # (Voila runs the notebook first)
            assert response.status == 200
            page = response.read().decode()
        assert "<title>The lockdep workshop</title>" in page
        assert f"voila/templates/{TEMPLATE}" in page and "cdn.jsdelivr.net" not in page
        assert page.count("application/vnd.jupyter.widget-view+json") >= 19  # 17 exercises, 2 scoreboards
        assert "The lockdep workshop" in page and "same lock classes:     True" in page
        assert "ws[&quot;abba&quot;]" not in page and 'ws["abba"]' not in page  # the code is not shown
        # Without the token: sent to the login page.
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", "/")
        refused = connection.getresponse()
        assert refused.status == 302 and refused.getheader("Location").startswith("/login")
        connection.close()
    finally:
        _stop(proc)
    assert proc.returncode is not None


def test_a_busy_port_is_not_replaced_by_another(tmp_path):
    """The printed URL must be the one served: with the port taken, Voila stops instead of
    trying the next one."""
    pytest.importorskip("voila")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "splatkit", "workshop", "--port", str(port), "--root",
                                 str(REPO)], capture_output=True, text=True, timeout=120, env=_env(tmp_path))
    assert result.returncode != 0
    assert f"http://127.0.0.1:{port}/?token=" in result.stdout
    assert "could not be started" in result.stderr and "Voil\u00e0 is running" not in result.stderr
