"""The self-contained HTML report: content, no URL of any kind, one escape boundary."""

from __future__ import annotations

import html
import json
import sys
from html.parser import HTMLParser

import pandas as pd
import pytest

import splatkit
from conftest import dense_held_locks_report
from splatkit.errors import DependencyError
from splatkit.render.assets import vis_network_assets
from splatkit.render.escape import table_html
from splatkit.render.html import report_html, write_report
from splatkit.analysis.explain import explain
from splatkit.render.explain_html import explanation_html

CYCLE = ("kvm_lock", "&kvm->slots_lock", "&kvm->srcu", "cpu_hotplug_lock")
#: Lock and task names that would run script if a view put them into the page unescaped.
HOSTILE = [
    "</script><img src=x onerror=alert(1)>",
    'x"><img src=x onerror=alert(2)>',
    "x'><svg onload=alert(3)>",
]


class _Page(HTMLParser):
    """What a browser would see: elements with their attributes, and the text of each script."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data

    def tags(self, name: str) -> list[dict[str, str | None]]:
        return [attrs for tag, attrs in self.elements if tag == name]


@pytest.fixture(scope="module")
def seed_page(seed_splat) -> str:
    return report_html(seed_splat, source="data/splats/kvm-cpuhp-2024.txt")


def _hostile_splat(seed_text: str, name: str) -> splatkit.Splat:
    """The seed with ``kvm_lock`` and the task ``tee`` renamed to ``name``."""
    text = seed_text.replace("kvm_lock", name).replace("tee/27085", f"{name}/27085")
    (splat,) = splatkit.parse(text.replace("Comm: tee", f"Comm: {name}"))
    assert splat.cycle[0] == name and splat.task.comm == name  # the parser kept the name whole
    return splat


def test_seed_report_shows_the_cycle_and_the_explanation(seed_page, seed_splat):
    for lock in CYCLE:
        assert html.escape(lock) in seed_page
    assert explanation_html(explain(seed_splat), trimmed=False, title=False) in seed_page
    assert "<title>lockdep: possible deadlock in set_nx_huge_pages</title>" in seed_page
    assert "<dd>kvm-cpuhp-2024.txt</dd>" in seed_page  # the file name, not the path
    assert "<dd>tee/27085</dd>" in seed_page


def test_seed_report_embeds_the_view_model(seed_page):
    data = json.loads(_Page(seed_page).scripts[0])
    assert data["view"]["cycle"] == list(CYCLE)
    assert data["selected"] == "kvm_lock -> &kvm->slots_lock"  # the new dependency, chain entry #0
    labels = {e["id"]: e["label"] for e in data["view"]["edges"] if e["cycle"]}
    assert labels["&kvm->srcu -> cpu_hotplug_lock"] == "kvm_lapic_set_base"


def test_seed_report_loads_no_url(seed_page):
    page = _Page(seed_page)
    for tag, attrs in page.elements:
        for name in ("src", "href", "action", "srcset", "poster", "data"):
            assert not attrs.get(name), f"<{tag} {name}={attrs[name]!r}>"
    assert page.tags("link") == [] and page.tags("iframe") == []
    assert [s for s in page.tags("script") if set(s) - {"type", "id"}] == []
    # The only http(s) strings are comments and namespaces inside vis-network's own JS.
    vendor = vis_network_assets().js
    assert "http" not in seed_page.replace(vendor, "")
    assert "url(http" not in seed_page.replace(" ", "") and "@import" not in seed_page


def test_seed_report_has_one_stack_per_dependency_and_shows_the_new_one(seed_page):
    sections = [a for a in _Page(seed_page).tags("div") if "data-sk-frames" in a]
    assert len(sections) == 8  # 4 cycle edges and 4 from the held-locks order
    shown = [a["data-sk-frames"] for a in sections if "hidden" not in a]
    assert shown == ["kvm_lock -> &kvm->slots_lock"]
    selected_rows = [a["data-sk-edge"] for a in _Page(seed_page).tags("tr") if a.get("class") == "sk-selected"]
    assert selected_rows == ["kvm_lock -> &kvm->slots_lock"]


def test_seed_report_shows_every_raw_line(seed_page, seed_splat):
    assert len(seed_splat.lines) == 136
    for line in seed_splat.lines:
        assert html.escape(line.raw) in seed_page


def test_report_is_byte_stable(seed_splat, seed_page):
    assert report_html(seed_splat, source="data/splats/kvm-cpuhp-2024.txt") == seed_page


def test_write_report_writes_the_page(seed_splat, tmp_path):
    path = write_report(seed_splat, tmp_path / "r.html", source="kvm.txt")
    assert path.read_text(encoding="utf-8") == report_html(seed_splat, source="kvm.txt")


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_appear_only_escaped(seed_text, name):
    page = report_html(_hostile_splat(seed_text, name), source=name)
    assert name not in page
    for fragment in ("<img", "<svg"):  # nowhere as markup; the vendor JS has neither
        assert fragment not in page
    assert html.escape(name) in page  # header, tables, explanation, raw lines, attributes
    assert f"<dd>{html.escape(name)}/27085</dd>" in page
    assert f'data-sk-frames="{html.escape(name)} -&gt; &amp;kvm-&gt;slots_lock"' in page
    data = json.loads(_Page(page).scripts[0])  # JSON escapes decode back to the exact name
    assert data["view"]["cycle"][0] == name and data["selected"] == f"{name} -> &kvm->slots_lock"


def test_report_without_locks_says_so_instead_of_drawing():
    (splat,) = splatkit.parse("=====\nWARNING: suspicious RCU usage\n6.9.0 #1 Not tainted\n-----\n")
    page = report_html(splat)
    assert 'id="sk-graph"' not in page and "<table" not in page
    assert "<h2>Dependency chain</h2>" not in page  # (no chain: no section, rather than a header over nothing)
    for note in ("Nothing to draw", "The report prints no list of held locks."):
        assert note in page


def test_table_html_escapes_headers_cells_and_row_ids():
    df = pd.DataFrame({"<b>": ["</td><script>"], "n": [pd.NA]})
    out = table_html(df, caption="<i>", row_edges=['"><x'], selected='"><x')
    assert out == ('<table><caption>&lt;i&gt;</caption><thead><tr><th>&lt;b&gt;</th><th>n</th></tr></thead>'
                   '<tbody><tr data-sk-edge="&quot;&gt;&lt;x" class="sk-selected"><td>&lt;/td&gt;&lt;script&gt;</td>'
                   "<td></td></tr></tbody></table>")


def test_missing_pyvis_names_the_extra(seed_splat, monkeypatch):
    vis_network_assets.cache_clear()
    monkeypatch.setitem(sys.modules, "pyvis", None)  # import pyvis -> ImportError
    try:
        with pytest.raises(DependencyError, match=r"splatkit\[notebook\]"):
            report_html(seed_splat)
    finally:
        vis_network_assets.cache_clear()


def test_a_long_held_lock_list_with_classes_held_again_draws_no_deadlock():
    """400 held locks over 30 classes, many held again lower in the list (issue 9's shape): the
    drawing is the order each class was first taken, dashed, with no cycle and no legend for one."""
    (splat,) = splatkit.parse(dense_held_locks_report())
    assert not splat.cycle
    notes: list[str] = []
    page = report_html(splat, source="dense.txt", notes=notes)
    assert notes == [] and "dependency cycles" not in page
    data = json.loads(html.unescape(_Page(page).scripts[0]))
    order = list(dict.fromkeys(h.lock.name for h in splat.held_locks))
    assert data["view"]["cycle"] == [] and not any(e["cycle"] for e in data["view"]["edges"])
    assert sorted((e["from"], e["to"]) for e in data["view"]["edges"]) == sorted(zip(order, order[1:]))
    assert all(e["held_order"] for e in data["view"]["edges"])
    few = splatkit.parse(dense_held_locks_report(held=20, classes=10_000))[0]  # (20 classes, no cycle)
    assert "cycle search" not in report_html(few, notes=notes) and notes == []
