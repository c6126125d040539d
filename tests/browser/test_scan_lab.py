"""Notebook 05 in a real headless JupyterLab: the corpus scan's progress bar widget ends full,
with the reports and logs counted, above the grouped table; in the light and dark themes."""

from __future__ import annotations

import re

import pytest

from browser.test_lab import _ERRORS_JS, _OUTPUT_HAS_JS, _run_all, lab_url  # noqa: F401 - (lab_url is a fixture)

NOTEBOOK = "05-scan-a-corpus.ipynb"

#: The text of tqdm's widget (its description, bar and figures) and the bar's fill, in %.
_BAR_JS = """() => [...document.querySelectorAll(".widget-hbox")]
  .filter((box) => box.querySelector(".widget-hprogress"))
  .map((box) => ({text: box.textContent.replaceAll("\\u2007", " "), classes: box.querySelector(".progress-bar").className,
                  fill: box.querySelector(".progress-bar").getBoundingClientRect().width
                        / box.querySelector(".progress").getBoundingClientRect().width}))"""


@pytest.mark.parametrize("theme", ["JupyterLab Light", "JupyterLab Dark"])
def test_the_scan_notebook_shows_its_progress_bar_and_table(lab_url, watched_page, theme, tmp_path):  # noqa: F811
    page = _run_all(watched_page.page, lab_url, NOTEBOOK)
    page.evaluate(f"window.jupyterapp.commands.execute('apputils:change-theme', {{theme: '{theme}'}})")
    page.wait_for_function("(t) => document.body.dataset.jpThemeName === t", arg=theme)
    assert page.evaluate(_ERRORS_JS) == []
    page.evaluate("() => window.jupyterapp.shell.currentWidget.content.scrollToItem(3, 'start')")
    page.wait_for_selector(".widget-hprogress .progress-bar", state="visible")
    (bar,) = page.evaluate(_BAR_JS)
    # Full, green (tqdm's "success" once every log is scanned), with the figures.
    assert bar["fill"] > 0.99 and "progress-bar-success" in bar["classes"]
    assert "scan: 100%" in bar["text"] and "60/60 logs" in bar["text"] and "B/s" in bar["text"]
    reports = int(re.search(r"(\d+) reports", bar["text"]).group(1))
    assert page.evaluate(_OUTPUT_HAS_JS, f"{reports} reports in 60 logs")  # (what the cell printed)
    # The grouped table, under the bar: the seed's title is one of its rows.
    titles = page.evaluate("[...document.querySelectorAll('.jp-RenderedHTMLCommon table.dataframe tbody tr')]"
                           ".map((row) => row.children[1].textContent)")
    assert "possible deadlock in set_nx_huge_pages" in titles and len(titles) > 20
    cell = page.locator(".jp-Cell", has=page.locator(".widget-hprogress"))
    cell.screenshot(path=str(tmp_path / f"scan-{theme.split()[-1]}.png"))
    assert watched_page.errors == []
