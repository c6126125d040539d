"""``splatkit lab``: JupyterLab on 127.0.0.1 with the exploration notebook open."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from ..errors import ParseError, SplatkitError
from .io import say

NOTEBOOK = Path("notebooks") / "01-explore-a-splat.ipynb"


def register(sub) -> None:
    p = sub.add_parser("lab", help="start JupyterLab with notebooks/01-explore-a-splat.ipynb open")
    p.add_argument("--port", type=int, default=8888)
    p.add_argument("--root", default=".", help="the splatkit repository (default: current directory)")
    p.set_defaults(func=cmd_lab)


def cmd_lab(args: argparse.Namespace) -> int:
    """Start JupyterLab on 127.0.0.1 with the exploration notebook open; print its URL."""
    root = Path(args.root).resolve()
    notebook = root / NOTEBOOK
    if not notebook.is_file():
        raise ParseError(f"notebook not found: {notebook}; run this from the splatkit repository "
                         "or pass --root", source=str(notebook))
    if shutil.which("jupyter") is None and not (Path(sys.executable).parent / "jupyter").exists():
        raise SplatkitError("JupyterLab is not installed; pip install 'splatkit[notebook]'")
    url_path = f"/lab/tree/{NOTEBOOK.as_posix()}"
    command = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={args.port}",
        f"--ServerApp.root_dir={root}", f"--LabApp.default_url={url_path}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    say(f"splatkit: starting JupyterLab; open the URL it prints, ending in {url_path}?token=...")
    # Become JupyterLab (no child left behind when this process is stopped).
    try:
        os.execv(sys.executable, command)
    except OSError as err:
        raise SplatkitError(f"cannot start JupyterLab ({sys.executable}): {err.strerror or err}") from None
    return 0  # not reached
