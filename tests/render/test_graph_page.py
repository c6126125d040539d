"""The graph page of a big lock graph (render.graph_page): escaped, data not markup, framed on a cycle."""

from __future__ import annotations

import json
import re

import pytest

import splatkit
from splatkit.graph import LockGraph
from splatkit.render.graph_page import graph_page_html
from splatkit.render.graph_page import HIDE_EDGES_ABOVE
from splatkit.synthetic import big_lock_graph

pytest.importorskip("pyvis")

HOSTILE = "</script><img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def splats(seed_text):
    return [*splatkit.parse(seed_text), *splatkit.parse(seed_text.replace("kvm_lock", HOSTILE))]


@pytest.fixture(scope="module")
def large_page(splats):
    return graph_page_html(big_lock_graph(400, splats), splats=splats)


def _data(page: str) -> dict:
    found = re.search(r'<script type="application/json" id="sk-data">(.*?)</script>', page, re.S)
    return json.loads(found.group(1))


def test_hostile_names_are_data_never_markup(splats):
    page = graph_page_html(big_lock_graph(50, splats), title=f"dump {HOSTILE}", splats=splats)
    assert HOSTILE not in page and "<img" not in page
    assert "dump &lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    data = _data(page)
    assert HOSTILE in {n["id"] for n in data["view"]["nodes"]}
    assert any(HOSTILE in c for c in data["view"]["cycles"])


def test_the_page_grows_with_data_not_markup(splats, large_page):
    small = graph_page_html(big_lock_graph(50, splats), splats=splats)
    large = large_page
    for page in (small, large):
        # One header row, no row or section per dependency: the script builds the table on a click.
        assert page.count("<tr") == 1 and "<div data-sk-frames" not in page and page.count("<option") == 1
    edges = len(_data(large)["view"]["edges"]) - len(_data(small)["view"]["edges"])
    assert 200 < (len(large) - len(small)) / edges < 1000  # bytes per added dependency: its data


def test_a_big_page_opens_on_the_first_cycle(splats, large_page):
    data = _data(large_page)
    view = data["view"]
    assert len(view["edges"]) > HIDE_EDGES_ABOVE and data["options"]["interaction"]["hideEdgesOnDrag"] is True
    assert set(view["cycles"][0]) == set(splats[0].cycle) and view["frame"] == view["cycles"][0]
    # The curves of network_options(), some bent their own way so that their middle is seen.
    assert all(e.get("smooth", {"type": "curvedCW"})["type"] == "curvedCW" for e in view["edges"])
    picked = [e for e in view["edges"] if e.get("picked")]
    assert len(picked) == len(view["cycles"][0]) and {e["width"] for e in picked} == {6}
    small = _data(graph_page_html(LockGraph.from_splats(splats[0])))
    assert "hideEdgesOnDrag" not in small["options"]["interaction"]


def test_straight_arrows_keep_opposite_pairs_apart(splats):
    graph = big_lock_graph(50, splats)
    graph.add_evidence("kvm_lock", "cpu_hotplug_lock", graph.evidence("cpu_hotplug_lock", "kvm_lock")[0])
    view = _data(graph_page_html(graph, splats=splats, straight_above=10))["view"]
    pairs = {(e["from"], e["to"]) for e in view["edges"]}
    for e in view["edges"]:
        assert ("smooth" in e) == ((e["to"], e["from"]) not in pairs), e["id"]
    assert sum("smooth" not in e for e in view["edges"]) >= 2


def test_an_empty_graph_is_not_an_answer():
    page = graph_page_html(LockGraph())
    assert "Nothing to draw: the input holds no lock class." in page and 'id="sk-graph"' not in page
