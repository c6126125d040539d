"""Named access to the sample splats bundled with splatkit (the seed among them).

Notebooks, doctests and the CLI ask for a sample by name and never hard-code a
path: the files live in the repository's ``data/splats/`` and are installed as
the package ``splatkit._data``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["SEED", "sample_names", "sample_path", "sample_text"]

#: The seed case: a 2024 KVM splat with a 4-lock cycle (kvm_lock, &kvm->slots_lock,
#: &kvm->srcu, cpu_hotplug_lock), as it appeared in Sean Christopherson's mail.
SEED = "kvm-cpuhp-2024"


def _splats_dir() -> Path:
    try:
        path = Path(str(resources.files("splatkit._data").joinpath("splats")))
    except ModuleNotFoundError:  # editable installs: data/ is beside the package
        path = Path(__file__).resolve().parent.parent / "data" / "splats"
    return path


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
