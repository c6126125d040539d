"""Questions asked of a lock graph or a splat: cycles, scenarios, explanations.

Functions take the graph (or splat) first and options as keywords, in the
manner of networkx, and stay usable on their own; ``LockGraph`` methods delegate
to them. The graph they take is the data, :class:`splatkit.depgraph.DependencyGraph`
(a ``LockGraph`` is one): no module here imports :mod:`splatkit.graph`, the facade
that calls them, so imports flow one way (a test walks them).
"""
