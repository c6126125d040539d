"""Every arrow's middle can be seen (render.bends): not under a box, not under an arrow drawn later.

Checked with geometry of its own (each curve sampled every pixel or so, brute force), on the
drawings of generated /proc/lockdep graphs with the seed's report in them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import splatkit
from splatkit.render.bends import BOX_CLEARANCE, CLEARANCE, clear_middles
from splatkit.render.layout import curve_via
from splatkit.render.layout import box_size
from splatkit.render.viewmodel import ROUNDNESS, graph_view
from splatkit.synthetic import big_lock_graph


def _roundness(edge: dict) -> float:
    return (edge.get("smooth") or {}).get("roundness", ROUNDNESS)


def _hidden(view: dict, roundness=_roundness) -> list[tuple[str, str]]:
    """The edges of ``view`` whose middle is on a box or within CLEARANCE (and a half-width) of
    the line of an edge drawn after it; with a little slack, these are a check, not the rule."""
    where = {n["id"]: (n["x"], n["y"]) for n in view["nodes"]}
    edges = [e for e in view["edges"] if e["from"] != e["to"]]
    curves, middles = [], []
    for e in edges:
        a, b = where[e["from"]], where[e["to"]]
        via = curve_via(a, b, roundness(e))
        t = np.linspace(0, 1, max(16, int(math.dist(a, b) / 1.5)))[:, None]
        curves.append((1 - t) ** 2 * np.array(a) + 2 * t * (1 - t) * np.array(via) + t * t * np.array(b))
        middles.append(0.25 * np.array(a) + 0.5 * np.array(via) + 0.25 * np.array(b))
    out = []
    for i, (e, m) in enumerate(zip(edges, middles)):
        if any(abs(m[0] - x) < box_size(n)[0] / 2 + BOX_CLEARANCE - 0.5
               and abs(m[1] - y) < box_size(n)[1] / 2 + BOX_CLEARANCE - 0.5 for n, (x, y) in where.items()):
            out.append((e["from"], e["to"]))
            continue
        for later, curve in zip(edges[i + 1:], curves[i + 1:]):
            if np.hypot(*(curve - m).T).min() < CLEARANCE + later["width"] / 2 - 0.5:
                out.append((e["from"], e["to"]))
                break
    return out


@pytest.fixture(scope="module")
def view(seed_text):
    return graph_view(big_lock_graph(250, splatkit.parse(seed_text)))


def test_every_middle_of_a_big_drawing_is_seen(view):
    assert _hidden(view) == []


def test_it_is_the_bends_that_clear_them(view):
    # Drawn all with the common bend (opposite pairs apart), many middles would be hidden.
    before = _hidden(view, lambda e: ROUNDNESS)
    assert len(before) > 20


def test_the_picture_changes_little(view):
    bent = [_roundness(e) for e in view["edges"] if "smooth" in e]
    assert len(bent) < len(view["edges"]) / 3
    assert all(0 <= r <= 1 for r in bent)
    assert sorted(abs(r - ROUNDNESS) for r in bent)[len(bent) // 2] < 0.1  # most by little


def test_the_seed_is_drawn_as_before(seed_text):
    view = graph_view(splatkit.LockGraph.from_splats(splatkit.parse(seed_text)))
    assert _hidden(view) == [] and all("smooth" not in e for e in view["edges"])


def test_two_crossing_arrows():
    where = {"a": (0.0, 0.0), "b": (400.0, 0.0), "c": (200.0, -200.0), "d": (200.0, 200.0)}
    sizes = {n: (60.0, 32.0) for n in where}
    bends = clear_middles([("a", "b"), ("c", "d")], where, sizes, default=0.0)
    assert list(bends.roundness) == [("a", "b")] and 0 < bends.roundness["a", "b"] < 0.2  # the one under, a little
    assert bends.on_top == []
    # A fixed bend (an opposite pair's) only grows.
    bends = clear_middles([("a", "b"), ("c", "d")], where, sizes, default=0.0, fixed={("a", "b"): 0.3})
    assert bends.roundness.get(("a", "b"), 0.3) >= 0.3
    # An arrow whose middle no bend can clear keeps its bend: a box over both ends.
    bends = clear_middles([("a", "b")], where, {**sizes, "a": (900.0, 900.0)}, default=0.25)
    assert bends.roundness == {} and bends.on_top == []


def test_an_arrow_no_bend_clears_is_drawn_over_the_others():
    # Forty arrows fan into "hub" over a short one ("s" -> "hub"), drawn after it: its middle
    # is under them for every bend; drawn last, it is seen, and it hides no other middle.
    where = {"hub": (0.0, 0.0), "s": (0.0, -120.0)}
    fan = [(f"f{i:02}", "hub") for i in range(40)]
    for i, (name, _hub) in enumerate(fan):
        angle = math.radians(-160 + i * 140 / 39)
        where[name] = (3000 * math.cos(angle), 3000 * math.sin(angle))
    sizes = {n: (40.0, 20.0) for n in where}
    bends = clear_middles([("s", "hub"), *fan], where, sizes, default=0.0)
    assert bends.on_top == [("s", "hub")]
