"""``splatkit lab``: the bundled notebooks copied into a working folder, and JupyterLab there.

The notebooks are installed with splatkit (:func:`splatkit.samples.notebook_paths`), so the
command works from any install and never writes into a clone's tracked notebooks. The copy
keeps the reader's work: a notebook is copied when the folder lacks it, brought up to date
when the copy there is still the one splatkit put (a manifest, ``.splatkit-notebooks.json``,
records what it copied), and otherwise left alone, with a line saying so.

The JupyterLab it starts has JupyterLab's news prompt and update check off: a splatkit
configuration directory (``lab_config/``, installed with the package) is put first on
``JUPYTER_CONFIG_PATH`` for that server only. It disables the
``@jupyterlab/apputils-extension:announcements`` plugin (the prompt is that plugin's) and
sets ``LabApp.news_url`` to None; the reader's own settings are not touched.

It also saves widget state with every notebook (the ``saveState`` setting of
``@jupyter-widgets/jupyterlab-manager``, off by default in JupyterLab): a notebook saved there
and reopened without a kernel shows its graphs, where JupyterLab would otherwise say "Error
displaying widget: model not found". JupyterLab reads setting defaults only from its
application settings folder, so the server gets its own (``.splatkit-lab/settings`` in the
working folder): the environment's ``overrides.json`` and ``page_config.json`` with this one
setting added, and a link to the application's ``static`` folder beside it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SplatkitError
from ..samples import notebook_paths
from .io import say

FIRST = "01-explore-a-splat.ipynb"
DEFAULT_DIR = "splatkit-notebooks"
MANIFEST = ".splatkit-notebooks.json"
#: Jupyter configuration for the servers this command starts (news prompt and update check off).
LAB_CONFIG = Path(__file__).resolve().parent / "lab_config"
#: Setting defaults for the servers this command starts: widget state saved with the notebook.
SETTING_DEFAULTS = {"@jupyter-widgets/jupyterlab-manager:plugin": {"saveState": True}}


def register(sub) -> None:
    p = sub.add_parser("lab", help=f"copy the bundled notebooks into a folder (default ./{DEFAULT_DIR}) "
                                   "and start JupyterLab there",
                       description="Copy the notebooks installed with splatkit into DIR (new ones "
                                   "added, unedited ones updated, edited ones kept), then start "
                                   f"JupyterLab on 127.0.0.1 there with {FIRST} open.")
    p.add_argument("--dir", default=DEFAULT_DIR, help=f"the working folder (default: ./{DEFAULT_DIR})")
    p.add_argument("--port", type=int, default=8888)
    p.add_argument("--copy-only", action="store_true", help="copy the notebooks and stop (no JupyterLab)")
    p.set_defaults(func=cmd_lab)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class CopyResult:
    """What :func:`copy_notebooks` did, by notebook name."""

    copied: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    current: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    """Notebooks the reader edited: left as they are, the bundled version not copied."""


def copy_notebooks(folder: Path) -> CopyResult:
    """Copy the bundled notebooks into ``folder`` without overwriting anyone's edits.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     first = copy_notebooks(Path(tmp))
    ...     _ = (Path(tmp) / FIRST).write_text("{}")  # the reader edits one
    ...     again = copy_notebooks(Path(tmp))
    >>> FIRST in first.copied, again.kept, FIRST in again.current
    (True, ['01-explore-a-splat.ipynb'], False)
    """
    folder.mkdir(parents=True, exist_ok=True)
    manifest_path = folder / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        recorded: dict[str, str] = dict(manifest.get("copied", {}))
    except (OSError, ValueError, AttributeError):
        recorded = {}
    result = CopyResult()
    sources = notebook_paths()
    if not sources:
        raise SplatkitError("no notebooks were installed with splatkit (the package splatkit._notebooks is "
                            "empty); reinstall it: pip install --force-reinstall 'splatkit[notebook]'")
    for source in sources:
        bundled = source.read_bytes()
        target = folder / source.name
        if not target.exists():
            target.write_bytes(bundled)
            result.copied.append(source.name)
        else:
            mine = target.read_bytes()
            if mine == bundled:
                result.current.append(source.name)
            elif recorded.get(source.name) == _digest(mine):  # still what splatkit put there
                target.write_bytes(bundled)
                result.updated.append(source.name)
            else:
                result.kept.append(source.name)
                continue
        recorded[source.name] = _digest(bundled)
    manifest_path.write_text(json.dumps({"copied": recorded}, indent=1, sort_keys=True)
                             + "\n", encoding="utf-8")
    return result


def _report(folder: Path, result: CopyResult) -> None:
    if result.copied:
        say(f"splatkit: copied {', '.join(result.copied)} into {folder}")
    if result.updated:
        say(f"splatkit: updated {', '.join(result.updated)} (unchanged since splatkit copied them)")
    for name in result.kept:
        say(f"splatkit: kept your edited {folder / name}; the version installed with splatkit was not "
            f"copied (rename or delete yours to get it)")


def lab_settings_dir(folder: Path, app_dir: Path | None = None) -> Path:
    """The application settings folder for a server started in ``folder``: the environment's own
    (``app_dir/settings``; JupyterLab's application folder, as ``jupyterlab.commands.get_app_dir``
    finds it) with :data:`SETTING_DEFAULTS` merged into its
    ``overrides.json``, where a setting the environment overrides keeps its value.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     settings = lab_settings_dir(Path(tmp), app_dir=Path(tmp) / "none")
    ...     json.loads((settings / "overrides.json").read_text())
    {'@jupyter-widgets/jupyterlab-manager:plugin': {'saveState': True}}
    """
    if app_dir is None:
        try:  # (JupyterLab's own answer: $JUPYTERLAB_DIR, the prefix's, or where it was built)
            from jupyterlab.commands import get_app_dir

            app_dir = Path(get_app_dir())
        except ImportError:  # (no JupyterLab: cmd_lab says so before starting anything)
            app_dir = Path(os.environ.get("JUPYTERLAB_DIR") or Path(sys.prefix) / "share" / "jupyter" / "lab")
    ours = folder / ".splatkit-lab"
    settings = ours / "settings"
    settings.mkdir(parents=True, exist_ok=True)
    theirs = app_dir / "settings"
    overrides: dict = {}
    try:
        overrides = json.loads((theirs / "overrides.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass  # none, or unreadable: JupyterLab itself would have ignored it with a warning
    for plugin, values in SETTING_DEFAULTS.items():
        overrides[plugin] = {**values, **overrides.get(plugin, {})}
    (settings / "overrides.json").write_text(json.dumps(overrides, indent=1, sort_keys=True) + "\n",
                                             encoding="utf-8")
    for name in ("page_config.json", "page_config.json5"):
        if (theirs / name).is_file():
            shutil.copyfile(theirs / name, settings / name)
    static = ours / "static"
    if static.is_symlink() and static.readlink() != app_dir / "static":
        static.unlink()  # (a link to an environment since moved or recreated)
    if (app_dir / "static").is_dir() and not static.is_symlink():
        static.symlink_to(app_dir / "static", target_is_directory=True)
    return settings


def cmd_lab(args: argparse.Namespace) -> int:
    """Copy the notebooks into ``--dir``, then become JupyterLab there (127.0.0.1, notebook 01 open)."""
    folder = Path(args.dir).expanduser().resolve()
    if folder.exists() and not folder.is_dir():
        raise SplatkitError(f"--dir {folder} is a file; give a folder to copy the notebooks into")
    try:
        result = copy_notebooks(folder)
    except OSError as err:
        raise SplatkitError(f"cannot copy the notebooks into {folder}: {err.strerror or err}; "
                            "choose another folder with --dir") from None
    _report(folder, result)
    if args.copy_only:
        return 0
    if shutil.which("jupyter") is None and not (Path(sys.executable).parent / "jupyter").exists():
        raise SplatkitError("JupyterLab is not installed; pip install 'splatkit[notebook]'")
    url_path = f"/lab/tree/{FIRST}"
    command = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={args.port}",
        f"--ServerApp.root_dir={folder}", f"--LabApp.default_url={url_path}",
        f"--LabApp.app_settings_dir={lab_settings_dir(folder)}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    env = dict(os.environ)
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(p for p in (str(LAB_CONFIG), env.get("JUPYTER_CONFIG_PATH")) if p)
    say(f"splatkit: starting JupyterLab in {folder}; open the URL it prints, ending in {url_path}?token=...")
    # Become JupyterLab (no child left behind when this process is stopped).
    try:
        os.chdir(folder)
        os.execve(sys.executable, command, env)
    except OSError as err:
        raise SplatkitError(f"cannot start JupyterLab ({sys.executable}): {err.strerror or err}") from None
    return 0  # not reached
