"""splatkit: read, graph and explain Linux kernel lockdep reports ("splats").

The pipeline runs one way: text -> normalised lines -> parsed splats -> lock
graph -> analyses (cycles, explanations) -> views (text, HTML, widgets).

>>> import splatkit
>>> splat = splatkit.parse(seed_text)[0]
>>> splat.cycle
('kvm_lock', '&kvm->slots_lock', '&kvm->srcu', 'cpu_hotplug_lock')
"""

from .analysis.ordering import Ordering, compare
from .errors import (DependencyError, NoCycle, ParseError, SplatkitError, SymbolizeError, SymbolizeWarning,
                     UnknownLock)
from .graph import LockGraph
from .model import ChainEntry, Frame, HeldLock, LockUse, Splat
from .parse import parse, parse_file
from .render.explain import explain, explain_markdown, explain_text
from .symbolize import Symbolizer, symbolize

__all__ = [
    "ChainEntry",
    "DependencyError",
    "Frame",
    "HeldLock",
    "LockGraph",
    "LockUse",
    "NoCycle",
    "Ordering",
    "ParseError",
    "Splat",
    "SplatkitError",
    "SymbolizeError",
    "SymbolizeWarning",
    "Symbolizer",
    "UnknownLock",
    "compare",
    "explain",
    "explain_markdown",
    "explain_text",
    "parse",
    "parse_file",
    "symbolize",
]
