"""How much each arrow bends, so that its middle can be seen and clicked.

vis-network draws a dependency as a quadratic curve (``smooth: curvedCW``) whose bend is its
``roundness``; the middle of the curve is where its label sits and where a reader clicks it.
The arrows are drawn one after the other, in the order of the view's edges, and the boxes of
the lock classes over all of them. In a big graph many middles fall under a box, or under an
arrow drawn later: what the reader sees there is the box, or that other arrow, and a click
there selects it (the page's hit test picks what is drawn under the pointer).
:func:`clear_middles` bends each such arrow a little more or less than the others, until its
middle is clear of every box and of every arrow drawn over it, without laying its new course
over the middle of an arrow drawn under it. The picture changes little: most arrows keep the
common bend, and a long arrow needs to change its bend by a hundredth to move its middle by
tens of pixels.

In numpy: the arrows are cut into short straight pieces, and pieces, boxes and middles are
found through a grid of cells; one arrow after another, about a millisecond each (2,300 of
the 6,000 arrows of a generated 3,000-class graph need a bend of their own: 2.5 s).

>>> where = {"a": (0.0, 0.0), "b": (400.0, 0.0), "c": (200.0, -200.0), "d": (200.0, 200.0)}
>>> sizes = {n: (60.0, 32.0) for n in where}
>>> # two straight arrows crossing at both middles: the one drawn first bends
>>> clear_middles([("a", "b"), ("c", "d")], where, sizes, default=0.0)
Bends(roundness={('a', 'b'): 0.0741}, on_top=[])
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

__all__ = ["BOX_CLEARANCE", "CLEARANCE", "Bends", "clear_middles"]

#: Room between an arrow's middle and the line of an arrow drawn over it, beyond that line's
#: half-width, in pixels at zoom 1: a click on the middle (a mouse is off by up to 0.7 px)
#: lands on the arrow's own line, not on the other one's (the hit test counts a line as under
#: the pointer within a pixel beyond its half-width).
CLEARANCE = 2.0
#: Room between an arrow's middle and any box.
BOX_CLEARANCE = 4.0
#: An arrow is cut into straight pieces at most _PIECE long and _STRAY off the curve; a piece
#: within CLEARANCE (and a half-width) of a point has its own middle within a grid _CELL of
#: the point: in the point's cell or one of the eight around.
_PIECE = 96.0
_STRAY = 0.25
_CELL = 64.0
#: Bends tried for an arrow: its middle moved sideways by steps of about this many pixels,
#: either way, at most this many tries, within these roundness bounds (a last try goes up to
#: 1, a half circle).
_SHIFT_STEP = 8.0
_MAX_TRIES = 30
_MIN_ROUNDNESS, _MAX_ROUNDNESS = 0.0, 0.6


@dataclass
class Bends:
    """What :func:`clear_middles` changes: a roundness per arrow, and the arrows to draw last."""

    roundness: dict[tuple[Hashable, Hashable], float]
    on_top: list[tuple[Hashable, Hashable]]


def _controls(np, a, b, r):
    """:func:`~splatkit.render.layout.curve_via` of many arrows at once (arrays ``(n, 2)``, ``(n, 2)``, ``(n,)``)."""
    dx, dy = b[:, 0] - a[:, 0], a[:, 1] - b[:, 1]
    radius = np.hypot(dx, dy)
    factor = 0.5 * r + 0.5
    angle = np.mod(np.arctan2(dy, dx) + factor * np.pi, 2 * np.pi)
    return np.stack([a[:, 0] + factor * radius * np.sin(angle), a[:, 1] + factor * radius * np.cos(angle)], axis=1)


def _pieces(np, a, via, b):
    """The arrows cut into straight pieces: (owner, start, end), arrays. A chord over 1/n of a
    quadratic curve strays from it by |P''| / (8 n^2), where P'' = 2 (a - 2 via + b)."""
    arc = np.hypot(*(via - a).T) + np.hypot(*(b - via).T)
    bend = np.hypot(*(a - 2 * via + b).T)
    count = np.clip(np.ceil(np.maximum(arc / _PIECE, np.sqrt(bend / (4 * _STRAY)))), 2, 4000).astype(int)
    owner = np.repeat(np.arange(len(a)), count)
    k = np.arange(len(owner)) - np.repeat(np.cumsum(count) - count, count)
    n = count[owner]

    def at(t):
        u = 1 - t
        return (u * u)[:, None] * a[owner] + (2 * u * t)[:, None] * via[owner] + (t * t)[:, None] * b[owner]
    return owner, at(k / n), at((k + 1) / n)


def _distance(np, p, s0, s1):
    """Distance from points ``p`` to segments ``s0``-``s1`` (arrays of the same length)."""
    d = s1 - s0
    length = (d * d).sum(axis=1)
    t = np.clip(((p - s0) * d).sum(axis=1) / np.where(length > 0, length, 1.0), 0.0, 1.0)
    return np.hypot(*(s0 + t[:, None] * d - p).T)


def _nearest(np, points, s0, s1):
    """For each point, its distance to the nearest of the segments ``s0``-``s1``."""
    n, m = len(points), len(s0)
    d = _distance(np, np.repeat(points, m, axis=0), np.tile(s0, (n, 1)), np.tile(s1, (n, 1)))
    return d.reshape(n, m).min(axis=1)


def _cells(np, points):
    """The grid cell of each point, as one integer."""
    c = np.floor(points / _CELL).astype(np.int64)
    return (c[:, 0] << 32) + c[:, 1]


#: The cell keys around a cell's key (3 x 3, the cell's own included).
_AROUND = [(dx << 32) + dy for dx in (-1, 0, 1) for dy in (-1, 0, 1)]


class _Index:
    """Items (pieces of lines, or points) sorted by grid cell, found around points."""

    def __init__(self, np, keys):
        self.np = np
        self.order = np.argsort(keys, kind="stable")
        self.keys, self.starts = np.unique(keys[self.order], return_index=True)
        self.ends = np.append(self.starts[1:], len(self.order))

    def around(self, points):
        """(i, item) pairs: the items in the 3 x 3 cells around each of ``points``."""
        np = self.np
        want = (_cells(np, points)[:, None] + np.array(_AROUND, dtype=np.int64)[None, :]).ravel()
        at = np.minimum(np.searchsorted(self.keys, want), max(0, len(self.keys) - 1))
        count = np.where(self.keys[at] == want, self.ends[at] - self.starts[at], 0) if len(self.keys) else \
            np.zeros(len(want), dtype=int)
        point = np.repeat(np.arange(len(want)) // len(_AROUND), count)
        slot = np.repeat(self.starts[at], count) + (np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count))
        return point, self.order[slot]


class _Grid:
    """Items added one at a time, each at a point, found around points (3 x 3 cells)."""

    def __init__(self, np):
        self.np = np
        self.cells: dict[int, list[int]] = {}

    def add(self, items, points) -> None:
        for item, key in zip(items, _cells(self.np, points).tolist()):
            self.cells.setdefault(key, []).append(item)

    def around(self, points):
        """(i, item) pairs: the items in the 3 x 3 cells around each of ``points``; for a few
        points (the tries for one arrow's middle, close together), every item around any."""
        np, cells = self.np, self.cells
        keys = _cells(np, points).tolist()
        if len(keys) <= 16:
            items = np.array([item for key in {key + k for key in keys for k in _AROUND}
                              for item in cells.get(key, ())], dtype=int)
            return np.repeat(np.arange(len(keys)), len(items)), np.tile(items, len(keys))
        pairs = [(i, item) for i, key in enumerate(keys) for k in _AROUND for item in cells.get(key + k, ())]
        point, item = np.array(pairs, dtype=int).reshape(-1, 2).T
        return point, item


class _Lines:
    """The arrows' lines as short straight pieces, found by grid cell.

    The pieces of the first drawing are indexed once; an arrow bent anew has its old pieces
    ignored (``moved``) and its new ones added to a second, growing index.
    """

    def __init__(self, np, a, via, b, width, rank):
        self.np, self.width, self.rank = np, width, rank  # rank: the order arrows are drawn in
        self.owner, self.s0, self.s1 = _pieces(np, a, via, b)
        self.index = _Index(np, _cells(np, (self.s0 + self.s1) / 2))
        self.moved = np.zeros(len(a), dtype=bool)
        self.bent = _Grid(np)
        self.bent_owner, self.bent_s0, self.bent_s1 = np.zeros(0, dtype=int), np.zeros((0, 2)), np.zeros((0, 2))
        self.bent_count = 0
        self.bent_live = np.zeros(0, dtype=bool)
        self.bent_at: dict[int, range] = {}

    def covered(self, points, arrows):
        """For each point (on arrow ``arrows[i]``): whether the line of an arrow drawn after
        that one passes within CLEARANCE and its half-width."""
        np = self.np
        out = np.zeros(len(points), dtype=bool)
        point, piece = self.index.around(points)
        other = self.owner[piece]
        keep = (self.rank[other] > self.rank[arrows[point]]) & ~self.moved[other]
        found = [(point[keep], other[keep], self.s0[piece[keep]], self.s1[piece[keep]])]
        if self.bent_count:
            point, piece = self.bent.around(points)
            other = self.bent_owner[piece]
            keep = (self.rank[other] > self.rank[arrows[point]]) & self.bent_live[piece]
            found.append((point[keep], other[keep], self.bent_s0[piece[keep]], self.bent_s1[piece[keep]]))
        for point, other, s0, s1 in found:
            d = _distance(np, points[point], s0, s1)
            out[point[d < CLEARANCE + self.width[other] / 2]] = True
        return out

    def bend(self, arrow: int, s0, s1) -> None:
        """Arrow ``arrow`` is now drawn by the pieces ``s0``-``s1``."""
        np = self.np
        self.moved[arrow] = True
        if arrow in self.bent_at:
            old = self.bent_at[arrow]
            self.bent_live[old.start:old.stop] = False
        n, start = len(s0), self.bent_count
        if start + n > len(self.bent_owner):  # grow by half at least: adding costs about its size
            grow = max(n, len(self.bent_owner) // 2, 1024)
            self.bent_owner = np.concatenate([self.bent_owner, np.zeros(grow, dtype=int)])
            self.bent_live = np.concatenate([self.bent_live, np.zeros(grow, dtype=bool)])
            self.bent_s0 = np.concatenate([self.bent_s0, np.zeros((grow, 2))])
            self.bent_s1 = np.concatenate([self.bent_s1, np.zeros((grow, 2))])
        self.bent_owner[start:start + n] = arrow
        self.bent_live[start:start + n] = True
        self.bent_s0[start:start + n] = s0
        self.bent_s1[start:start + n] = s1
        self.bent_at[arrow] = range(start, start + n)
        self.bent_count += n
        self.bent.add(range(start, start + n), (s0 + s1) / 2)


class _Boxes:
    """The lock classes' boxes (x0, y0, x1, y1), grown by BOX_CLEARANCE, found by grid cell."""

    def __init__(self, np, boxes):
        self.np, self.boxes = np, boxes.tolist()
        self.grid: dict[int, list[int]] = {}
        for i, (x0, y0, x1, y1) in enumerate(self.boxes):
            for cx in range(math.floor(x0 / _CELL), math.floor(x1 / _CELL) + 1):
                for cy in range(math.floor(y0 / _CELL), math.floor(y1 / _CELL) + 1):
                    self.grid.setdefault((cx << 32) + cy, []).append(i)

    def cover(self, points):
        """For each point: whether it lies on a box."""
        out = self.np.zeros(len(points), dtype=bool)
        for i, (key, (x, y)) in enumerate(zip(_cells(self.np, points).tolist(), points.tolist())):
            for j in self.grid.get(key, ()):
                x0, y0, x1, y1 = self.boxes[j]
                if x0 <= x <= x1 and y0 <= y <= y1:
                    out[i] = True
                    break
        return out


def clear_middles(edges: Sequence[tuple[Hashable, Hashable]], where: Mapping[Hashable, tuple[float, float]],
                  sizes: Mapping[Hashable, tuple[float, float]], *, default: float,
                  fixed: Mapping[tuple[Hashable, Hashable], float] | None = None,
                  widths: Mapping[tuple[Hashable, Hashable], float] | None = None) -> Bends:
    """The bend of each arrow that needs another than ``default`` for its middle to be seen,
    and the arrows to draw over all others.

    ``edges`` ``(held, acquired)``, in the order they are drawn, join the boxes of ``sizes``
    (the boxes drawn) centred at ``where``; ``fixed`` arrows (opposite pairs already bent apart) bend as given
    or more; ``widths`` (default 1) widen an arrow's line. An arrow whose middle is under a box
    (within :data:`BOX_CLEARANCE`) or under an arrow drawn after it (within :data:`CLEARANCE`
    beyond that one's half-width) gets the nearest bend that clears its middle and keeps its
    line off the middles of the arrows drawn before it. If no bend does (a short arrow in the
    fan of arrows into a busy lock class), it is drawn over all others, when that hides no
    other middle (``on_top``); else it keeps its bend. Loops (a class to itself) are left
    alone, and are no obstacle.
    """
    import numpy as np

    fixed = dict(fixed or {})
    widths = widths or {}
    arrows = [e for e in edges if e[0] != e[1]]
    if not arrows:
        return Bends({}, [])
    a = np.array([where[e[0]] for e in arrows], dtype=float)
    b = np.array([where[e[1]] for e in arrows], dtype=float)
    r = np.array([fixed.get(e, default) for e in arrows], dtype=float)
    w = np.array([float(widths.get(e, 1.0)) for e in arrows])
    via = _controls(np, a, b, r)
    mid = 0.25 * a + 0.5 * via + 0.25 * b
    boxes = np.array([(where[n][0] - w_ / 2 - BOX_CLEARANCE, where[n][1] - h_ / 2 - BOX_CLEARANCE,
                       where[n][0] + w_ / 2 + BOX_CLEARANCE, where[n][1] + h_ / 2 + BOX_CLEARANCE)
                      for n, (w_, h_) in sizes.items()], dtype=float).reshape(-1, 4)
    rank = np.arange(len(arrows))
    lines = _Lines(np, a, via, b, w, rank)
    on_box = _Boxes(np, boxes).cover
    ids = np.arange(len(arrows))
    hidden = np.flatnonzero(on_box(mid) | lines.covered(mid, ids))
    middles = _Index(np, _cells(np, mid))  # where they were; the moved ones are indexed apart
    moved: list[int] = []

    def covers(e: int, v, s0, s1) -> bool:
        """Whether the pieces ``s0``-``s1`` of arrow ``e`` pass over the middle of an arrow
        drawn before it (within CLEARANCE beyond its half-width)."""
        reach = CLEARANCE + w[e] / 2
        piece, found = middles.around((s0 + s1) / 2)
        keep = (rank[found] < rank[e]) & ~lines.moved[found]
        piece, found = piece[keep], found[keep]
        if len(found) and (_distance(np, mid[found], s0[piece], s1[piece]) < reach).any():
            return True
        if moved:  # the new middles of the arrows bent so far: those within the curve's box,
            ids = np.array(moved, dtype=int)  # then those near one of 16 chords of it
            lo, hi = np.minimum(s0, s1).min(axis=0) - reach, np.maximum(s0, s1).max(axis=0) + reach
            ids = ids[((mid[ids] >= lo) & (mid[ids] <= hi)).all(axis=1) & (rank[ids] < rank[e])]
            if len(ids):
                stray = float(np.hypot(*(a[e] - 2 * v + b[e]))) / (4 * 16 * 16)
                t = np.linspace(0.0, 1.0, 17)[:, None]
                chord = (1 - t) ** 2 * a[e] + 2 * t * (1 - t) * v + t * t * b[e]
                ids = ids[_nearest(np, mid[ids], chord[:-1], chord[1:]) < reach + stray]
                return bool(len(ids)) and bool((_nearest(np, mid[ids], s0, s1) < reach).any())
        return False

    out: dict[tuple[Hashable, Hashable], float] = {}

    def bend(e: int, ts) -> bool:
        """Bend arrow ``e`` by the first roundness of ``ts`` that clears its middle, if any."""
        ts = np.round(ts, 4)  # as written in the view
        vs = _controls(np, np.repeat(a[e:e + 1], len(ts), axis=0), np.repeat(b[e:e + 1], len(ts), axis=0), ts)
        ms = 0.25 * a[e] + 0.5 * vs + 0.25 * b[e]
        seen = ~(on_box(ms) | lines.covered(ms, np.full(len(ts), e)))
        for k in np.flatnonzero(seen).tolist():
            _o, s0, s1 = _pieces(np, a[e:e + 1], vs[k:k + 1], b[e:e + 1])
            if covers(e, vs[k], s0, s1):
                continue
            lines.bend(e, s0, s1)
            mid[e], r[e] = ms[k], ts[k]
            moved.append(e)
            out[arrows[e]] = float(ts[k])
            return True
        return False

    def clear(e: int, spread: int, most: float = _MAX_ROUNDNESS) -> None:
        """Bend arrow ``e`` the least that clears its middle: its middle moved by steps of about
        _SHIFT_STEP either way, then (a short arrow's middle moves little) ``spread`` bends
        over the whole range."""
        # The middle moves sideways by about 0.27 x length per unit of roundness.
        step = max(0.004, _SHIFT_STEP / max(1.0, 0.27 * float(np.hypot(*(b[e] - a[e])))))
        low = r[e] if arrows[e] in fixed else _MIN_ROUNDNESS
        near = [r[e] + k * step for i in range(1, _MAX_TRIES + 1) for k in (i, -i)]
        near = [t for t in near if low <= t <= _MAX_ROUNDNESS][:_MAX_TRIES]
        wide = sorted((t for t in np.linspace(low, most, spread + 1).tolist() if t != r[e]),
                      key=lambda t: abs(t - r[e]))
        for ts in (near, wide):
            for chunk in range(0, len(ts), 10):  # the first few bends clear most middles
                if bend(e, np.array(ts[chunk:chunk + 10])):
                    return

    for e in hidden.tolist():
        clear(e, 2 * _MAX_TRIES)
    # Once more, more finely and up to a half circle, for those still hidden: the arrows drawn
    # over one may have moved since, or a box sits between the two ends of a short one.
    for e in np.flatnonzero(on_box(mid) | lines.covered(mid, ids)).tolist():
        clear(e, 8 * _MAX_TRIES, 1.0)
    # Last, those in a fan of arrows no bend gets out of: drawn over all others, if that hides
    # no other middle.
    on_top: list[tuple[Hashable, Hashable]] = []

    def seen(e: int) -> bool:
        """Whether arrow ``e``'s middle is off the boxes and its line off the middles under it."""
        v = _controls(np, a[e:e + 1], b[e:e + 1], r[e:e + 1])
        _o, s0, s1 = _pieces(np, a[e:e + 1], v, b[e:e + 1])
        return not on_box(mid[e:e + 1])[0] and not covers(e, v[0], s0, s1)

    for e in np.flatnonzero(on_box(mid) | lines.covered(mid, ids)).tolist():
        below, rank[e] = rank[e], len(arrows) + len(on_top)
        if not seen(e):
            clear(e, 8 * _MAX_TRIES, 1.0)  # over all others, only the boxes and the middles under it count
        if seen(e):
            on_top.append(arrows[e])
        else:
            rank[e] = below
    return Bends(out, on_top)
