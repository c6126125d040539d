"""``paste()``: text pasted, the reports listed, the picked one explored, problems inline."""

from __future__ import annotations

import pytest

pytest.importorskip("anywidget")
ipywidgets = pytest.importorskip("ipywidgets")

import splatkit  # noqa: E402
from splatkit.widgets import Explorer, PasteView, explore, paste  # noqa: E402

HOSTILE = "</script><img src=x onerror=alert(1)>"


def test_explore_without_an_argument_is_the_paste_view():
    view = explore()
    assert isinstance(view, PasteView) and view.text == "" and view.reports == () and view.explorer is None
    assert view.children == (view.textarea, view.read, view.message, view.result)


def test_pasting_the_seed_lists_and_explores_its_report(seed_text, seed_splat):
    view = paste()
    view.text = "some mail text before it\n" + seed_text
    view.read.click()
    assert view.error == "" and view.reports == tuple(splatkit.parse(view.text))
    assert len(view.reports) == 1 and view.reports[0].cycle == seed_splat.cycle
    assert isinstance(view.explorer, Explorer) and view.result.children == (view.explorer,)
    assert view.explorer.splat is view.reports[0]
    assert "kvm_lock" in {n["id"] for n in view.explorer.graph.nodes}
    first, last = view.reports[0].span.first_line, view.reports[0].span.last_line
    assert first > 1 and view.choices.options[0][0] == (
        f"1. circular: {seed_splat.title} (lines {first}-{last})")
    assert "1 report found" in view.message.value


def test_several_reports_are_listed_and_picking_one_explores_it(shared_dir):
    logs = sorted((shared_dir / "corpus" / "wild" / "splats").glob("*.txt"))[:4]
    text = "\n\n".join(p.read_text(encoding="utf-8", errors="replace") for p in logs)
    expected = splatkit.parse(text)
    assert len(expected) >= 2, "the corpus sample should hold several reports"
    view = paste(text)  # read at once
    assert [s.title for s in view.reports] == [s.title for s in expected]
    assert view.choices in view.children and len(view.choices.options) == len(expected)
    labels = [label for label, _ in view.choices.options]
    assert all(f"{s.kind}: " in label and f"lines {s.span.first_line}-" in label
               for label, s in zip(labels, expected))
    assert view.explorer is not None and view.explorer.splat is view.reports[0]
    last = len(expected) - 1
    explorer = view.pick(last)
    assert explorer is view.explorer and explorer.splat is view.reports[last] and view.choices.value == last
    view.choices.value = 0  # as a click in the list does
    assert view.explorer.splat is view.reports[0]
    # The parser's notes about the picked report are shown above its graph.
    assert view.explorer.notes == list(view.reports[0].notes)
    with pytest.raises(IndexError, match="use 0 to"):
        view.pick(len(expected))


def test_garbage_is_an_inline_error_with_its_lines():
    view = paste()
    view.text = "hello\nthis is not a kernel log\n" + HOSTILE + "\n"
    view.read.click()  # no exception: the problem is shown in the view
    assert view.reports == () and view.explorer is None and view.result.children == ()
    assert view.error.startswith("pasted text, lines 1-3: no lockdep report found")
    assert "sk-error" in view.message.value and "lines 1-3" in view.message.value
    assert "Traceback" not in view.message.value


def test_a_splatkit_error_is_shown_with_its_line(monkeypatch):
    from splatkit.errors import ParseError
    from splatkit.widgets import _paste

    def broken(text):
        raise ParseError("unreadable line", line_no=7, line=HOSTILE, expected="a lock class")

    monkeypatch.setattr(_paste, "parse", broken)
    view = paste()
    view.text = "x\n" * 8
    view.read.click()
    assert view.error == f"pasted text: <input>:7: unreadable line; expected a lock class, got: {HOSTILE!r}"
    assert HOSTILE not in view.message.value and "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in view.message.value


def test_hostile_names_are_escaped(seed_text):
    text = seed_text.replace("kvm_lock", HOSTILE)
    view = paste(text)
    assert view.error == "" and view.explorer is not None
    assert HOSTILE in {n["id"] for n in view.explorer.graph.nodes}
    assert HOSTILE not in view.explorer.graph.static_svg
    for html_view in (view.message, view.explorer.chain_view, view.explorer.frames_view, view.explorer.lock_view):
        assert "<img" not in html_view.value and "<script" not in html_view.value.lower().replace("</script", "")
    # The list shows labels as text (option elements), not HTML.
    assert view.choices.options[0][0].startswith("1. circular:")


def test_a_new_read_replaces_the_old_reports(seed_text):
    view = paste(seed_text)
    assert view.explorer is not None
    view.text = "nothing here"
    view.read.click()
    assert view.reports == () and view.explorer is None and view.result.children == ()
    assert view.error.startswith("pasted text, line 1: no lockdep report found")
    view.text = ""
    view.read.click()
    assert view.error.startswith("Nothing pasted yet")
