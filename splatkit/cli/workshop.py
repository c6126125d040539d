"""``splatkit workshop``: the lockdep workshop (``notebooks/04-lockdep-workshop.ipynb``) as an app,
served by Voila on 127.0.0.1 (code hidden, the exercises' widgets live), with its URL printed."""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path

from ..errors import ParseError, SplatkitError
from .io import say

NOTEBOOK = Path("notebooks") / "04-lockdep-workshop.ipynb"
HELP = ("serve the lockdep workshop (notebooks/04-lockdep-workshop.ipynb) as an app with Voila on "
        "127.0.0.1 and print its URL")
INSTALL = "Voila is not installed; install it with: pip install 'splatkit[notebook]'"

#: The Voila template the workshop is served with (Voila's lab template, offline), shipped in
#: the package under ``jupyter/voila/templates/`` and found through ``JUPYTER_PATH``.
TEMPLATE = "splatkit-workshop"


def register(sub) -> None:
    p = sub.add_parser("workshop", help="serve the lockdep workshop (notebooks/04) with Voila and print its URL",
                       description=HELP)
    p.add_argument("--port", type=int, default=8866, help="the port to listen on (default 8866)")
    p.add_argument("--theme", choices=("light", "dark"), default="light",
                   help="JupyterLab's light or dark theme (default light; '&theme=dark' in the URL switches too)")
    p.add_argument("--root", help="the splatkit repository holding notebooks/ (default: the current directory, "
                   "else the checkout splatkit runs from)")
    p.add_argument("--dry-run", action="store_true", help="print the URL and the Voila command, start nothing")
    p.set_defaults(func=cmd_workshop)


def notebook_path(root: str | None) -> Path:
    """The workshop notebook under ``root``, else the current directory, else the source checkout."""
    candidates = [Path(root)] if root else [Path.cwd(), Path(__file__).resolve().parents[2]]
    for base in candidates:
        if (base / NOTEBOOK).is_file():
            return (base / NOTEBOOK).resolve()
    where = " nor ".join(str(base / NOTEBOOK) for base in candidates)
    raise ParseError(f"the workshop notebook is not at {where}; run this from the splatkit repository or "
                     "pass --root", source=str(NOTEBOOK))


def voila_command(notebook: Path, port: int, theme: str) -> list[str]:
    """The Voila command line: 127.0.0.1 only, no other port if this one is taken (the URL printed
    must be right), a token (from ``JUPYTER_TOKEN``), no browser, splatkit's template."""
    return [sys.executable, "-m", "voila", str(notebook), "--no-browser", "--token", f"--port={port}",
            "--Voila.ip=127.0.0.1", "--Voila.port_retries=0", f"--theme={theme}", f"--template={TEMPLATE}"]


def voila_env(token: str) -> dict[str, str]:
    """Voila's environment: the token, and ``JUPYTER_PATH`` leading to splatkit's template."""
    ours = str(Path(__file__).resolve().parent.parent / "widgets" / "jupyter")
    path = os.pathsep.join(p for p in (ours, os.environ.get("JUPYTER_PATH", "")) if p)
    return {**os.environ, "JUPYTER_TOKEN": token, "JUPYTER_PATH": path}


def cmd_workshop(args: argparse.Namespace) -> int:
    """Print the workshop's URL, then become Voila serving it."""
    notebook = notebook_path(args.root)
    try:
        import voila  # noqa: F401  (only to say how to install it when it is missing)
    except ImportError:
        raise SplatkitError(INSTALL) from None
    token = secrets.token_urlsafe(24)
    url = f"http://127.0.0.1:{args.port}/?token={token}"
    command = voila_command(notebook, args.port, args.theme)
    if args.dry_run:
        print(url)
        print(" ".join(command))
        return 0
    print(f"The lockdep workshop: {url}", flush=True)
    say(f"splatkit: starting Voila on {notebook.name}; open the URL above once it says it is running "
        "(Ctrl-C stops it)")
    # Become Voila (no child left behind when this process is stopped); the token reaches it
    # through the environment, not through the command line, which other users can read.
    try:
        os.execve(sys.executable, command, voila_env(token))
    except OSError as err:
        raise SplatkitError(f"cannot start Voila ({sys.executable}): {err.strerror or err}") from None
    return 0  # not reached
