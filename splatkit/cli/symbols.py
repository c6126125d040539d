"""``--vmlinux``, ``--modules``, ``--kernel-tree``: decode frames to ``file:line`` before a command shows them.

Shared by ``explain``, ``report``, ``json`` and ``show``. Symbolisation is an extra: when
the tools or the files are missing, one warning line says why and the command goes on with
the frames as printed. Frames that cannot be decoded (a module not found, a build that does
not match) get one warning line each, as :mod:`splatkit.symbolize` reports them.
"""

from __future__ import annotations

import argparse
import warnings

from ..errors import SymbolizeError, SymbolizeWarning
from ..model import Splat
from .io import say

__all__ = ["add_symbol_options", "symbolized"]


def add_symbol_options(p: argparse.ArgumentParser) -> None:
    group = p.add_argument_group("source locations (needs binutils, or the kernel tree's scripts/faddr2line)")
    group.add_argument("--vmlinux", metavar="PATH", help="the kernel image with debug info that printed the report")
    group.add_argument("--modules", metavar="DIR", help="a directory holding the modules' .ko files")
    group.add_argument("--kernel-tree", metavar="DIR",
                       help="the kernel's build tree: its scripts/faddr2line, vmlinux and modules")


def symbolized(name: str, splats: list[Splat], args: argparse.Namespace) -> list[Splat]:
    """``splats`` with decoded frames when a symbol option was given, else ``splats`` unchanged."""
    vmlinux, modules, tree = (getattr(args, key, None) for key in ("vmlinux", "modules", "kernel_tree"))
    if not (vmlinux or modules or tree):
        return splats
    from ..symbolize import symbolize

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SymbolizeWarning)
        try:
            decoded = symbolize(splats, vmlinux=vmlinux, modules=modules, kernel_tree=tree)
        except SymbolizeError as err:
            say(f"splatkit: {name}: warning: frames left as printed: {err}")
            return splats
    quiet = getattr(args, "quiet", False)
    for warning in caught:
        if issubclass(warning.category, SymbolizeWarning) and not quiet:
            say(f"splatkit: {name}: warning: {warning.message}")
    return decoded
