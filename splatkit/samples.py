"""Named access to the sample splats bundled with splatkit (the seed among them).

Notebooks, doctests and the CLI ask for a sample by name and never hard-code a
path: the files live in the repository's ``data/splats/`` and are installed as
the package ``splatkit._data``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["ORDERINGS", "SEED", "data_dir", "data_path", "notebook_paths", "ordering_names", "ordering_text",
           "program_names", "program_path", "program_text", "sample_names", "sample_path", "sample_text"]

#: The seed case: a 2024 KVM splat with a 4-lock cycle (kvm_lock, &kvm->slots_lock,
#: &kvm->srcu, cpu_hotplug_lock), as it appeared in Sean Christopherson's mail.
SEED = "kvm-cpuhp-2024"


#: The seed's three orderings (data/orderings/), in the order the thread met them.
ORDERINGS = ("status-quo", "patch-v1", "kvm-usage-lock")


def data_dir(kind: str) -> Path:
    """The bundled ``data/<kind>/`` directory (``splats``, ``orderings``, ``proc``, ``programs``,
    ``workshop``).

    A source checkout (``pyproject.toml`` beside the package) reads its own ``data/``, so that a
    second checkout of the repository never reads the files of the one that is installed.
    """
    source = Path(__file__).resolve().parent.parent
    if (source / "pyproject.toml").is_file() and (source / "data" / kind).is_dir():
        return source / "data" / kind
    try:
        path = Path(str(resources.files("splatkit._data").joinpath(kind)))
    except ModuleNotFoundError:  # editable installs: data/ is beside the package
        path = source / "data" / kind
    return path


def notebook_paths() -> list[Path]:
    """The notebooks installed with splatkit (the repository's ``notebooks/``, installed as the
    package ``splatkit._notebooks``), sorted by name; ``splatkit lab`` copies them to work in.

    >>> [p.name for p in notebook_paths()][:2]
    ['01-explore-a-splat.ipynb', '02-compare-orderings.ipynb']
    """
    try:
        # (A namespace package: iterate it, its str() is no path.)
        found = [Path(str(item)) for item in resources.files("splatkit._notebooks").iterdir()]
    except ModuleNotFoundError:  # editable installs: notebooks/ is beside the package
        found = list((Path(__file__).resolve().parent.parent / "notebooks").iterdir())
    return sorted((p for p in found if p.suffix == ".ipynb"), key=lambda p: p.name)


def _splats_dir() -> Path:
    return data_dir("splats")


def data_path(kind: str, name: str) -> Path:
    """Path of the bundled file ``data/<kind>/<name>`` (``kind``: ``splats``, ``orderings``, ``proc``).

    >>> data_path("proc", "kvm-lockdep.txt").name
    'kvm-lockdep.txt'
    """
    path = data_dir(kind) / name
    if not path.is_file():
        known = sorted(p.name for p in data_dir(kind).glob("*.txt"))
        raise FileNotFoundError(f"no bundled {kind} file named {name!r}; available: {', '.join(known)}")
    return path


def ordering_names() -> list[str]:
    """Names of the bundled orderings (``data/orderings/*.txt``), sorted."""
    return sorted(p.stem for p in data_dir("orderings").glob("*.txt"))


def ordering_text(name: str) -> str:
    """Text of the bundled ordering ``name`` (one of :data:`ORDERINGS` among them)."""
    return data_path("orderings", f"{name}.txt").read_text(encoding="utf-8")


def program_names() -> list[str]:
    """Names of the bundled simulator exercises (``data/programs/*.txt``), sorted.

    >>> SEED in program_names()
    True
    """
    return sorted(p.stem for p in data_dir("programs").glob("*.txt"))


def program_path(name: str = SEED) -> Path:
    """Path of the bundled exercise ``name`` (default: the seed's cycle rebuilt)."""
    return data_path("programs", f"{name}.txt")


def program_text(name: str = SEED) -> str:
    """Text of the bundled exercise ``name``, for :func:`splatkit.sim.run`."""
    return program_path(name).read_text(encoding="utf-8")


def sample_names() -> list[str]:
    """Names of the bundled samples, sorted."""
    return sorted(p.stem for p in _splats_dir().glob("*.txt"))


def sample_path(name: str = SEED) -> Path:
    """Path of the bundled sample ``name`` (default: the seed)."""
    path = _splats_dir() / f"{name}.txt"
    if not path.is_file():
        raise FileNotFoundError(f"no bundled sample named {name!r}; available: {', '.join(sample_names())}")
    return path


def sample_text(name: str = SEED) -> str:
    """Text of the bundled sample ``name`` (default: the seed)."""
    return sample_path(name).read_text(encoding="utf-8", errors="replace")
