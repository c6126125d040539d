"""Questions asked of a lock graph or a splat: cycles, scenarios, explanations.

Functions take the graph (or splat) first and options as keywords, in the
manner of networkx, and stay usable on their own; ``LockGraph`` methods delegate
to them.
"""
