"""The lockdep workshop in a real headless Chromium: as the app ``splatkit workshop`` serves
(Voila), in the light and the dark theme, and as notebook 04 in JupyterLab.

A learner's clicks: pick a prediction in the menu, toggle the locks of the cycle, click
*Check*; the feedback (drawn by the page from what Python sent back) and the scoreboard change.
Text must stay readable in both themes: the contrast of the feedback, the question, the
program and the scoreboard against what is behind them is measured (WCAG's ratio, 4.5:1 for
text). Screenshots go to the test's tmp_path.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import free_port

from .test_lab import _ERRORS_JS, _OUTPUT_HAS_JS, _RUN_NEW_CELL_JS, _run_all

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
TIMEOUT_S = 90
ABBA = 2  # the third exercise
CIRCULAR = "possible circular locking dependency"
NO_REPORT = "no report (lockdep stays silent)"

#: The foreground colour of `selector`'s first element and the first opaque background behind it.
_COLOURS_JS = """(selector) => {
  const el = document.querySelector(selector);
  if (!el) return null;
  let node = el, bg = null;
  while (node && !bg) {
    const c = getComputedStyle(node).backgroundColor;
    if (c && c !== "transparent" && !/rgba\\(.*, 0\\)$/.test(c)) bg = c;
    node = node.parentElement;
  }
  return [getComputedStyle(el).color, bg || "rgb(255, 255, 255)"];
}"""


def _luminance(rgb: str) -> float:
    r, g, b = (int(v) / 255 for v in re.findall(r"[\d.]+", rgb)[:3])
    return sum(w * (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
               for w, c in zip((0.2126, 0.7152, 0.0722), (r, g, b)))


def _contrast(page, selector: str) -> float:
    colours = page.evaluate(_COLOURS_JS, selector)
    assert colours, f"nothing matches {selector}"
    hi, lo = sorted(map(_luminance, colours), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.fixture(scope="module")
def workshop_url(chromium, tmp_path_factory) -> Iterator[str]:
    """The URL ``splatkit workshop`` prints, with its server running (state kept in a tmp dir)."""
    pytest.importorskip("voila")
    home = tmp_path_factory.mktemp("voila")
    env = {**os.environ, "HOME": str(home), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "JUPYTER_DATA_DIR": str(home / "data"), "IPYTHONDIR": str(home / "ipython")}
    port = free_port()
    log = home / "voila.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "splatkit", "workshop", "--port", str(port), "--root",
                                 str(REPO)], stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        deadline, url = time.monotonic() + TIMEOUT_S, None
        while url is None and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.5)
            text = log.read_text()
            m = re.search(r"^The lockdep workshop: (\S+)$", text, re.M)
            url = m.group(1) if m and "Voil\u00e0 is running at" in text else None
        if url is None:
            pytest.fail(f"splatkit workshop did not start:\n{log.read_text()[-3000:]}")
        yield url
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


def _exercise(page, n: int):
    return page.locator(".splatkit-exercise").nth(n)


def _check(page, n: int, choice: str, locks: tuple[str, ...] = (), *, status: str):
    """Pick ``choice`` in exercise ``n``'s menu, toggle ``locks``, click Check, wait for ``status``."""
    ex = _exercise(page, n)
    ex.scroll_into_view_if_needed()
    ex.locator("select").select_option(label=choice)
    for lock in locks:
        ex.locator(".splatkit-locks button").filter(has_text=re.compile(rf"^{re.escape(lock)}$")).click()
    ex.get_by_role("button", name="Check").click()
    page.wait_for_function(
        "([n, status]) => document.querySelectorAll('.splatkit-exercise')[n]"
        ".querySelector('.splatkit-feedback').dataset.status === status", arg=[n, status])
    return ex


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_workshop_app_grades_a_prediction_and_keeps_score(workshop_url, watched_page, theme, tmp_path):
    page = watched_page.page
    page.goto(f"{workshop_url}&theme={theme}")
    page.wait_for_selector(".splatkit-scoreboard .sk-sb-score", timeout=TIMEOUT_S * 1000)
    page.wait_for_function("() => document.querySelectorAll('.splatkit-exercise').length === 17")
    expected_theme = {"light": "JupyterLab Light", "dark": "JupyterLab Dark"}[theme]
    assert page.evaluate("document.body.dataset.jpThemeName") == expected_theme
    score = page.locator(".splatkit-scoreboard .sk-sb-score")
    assert score.first.text_content() == "Score: 0/17 correct"
    assert page.locator(".jp-InputArea-editor").count() == 0  # Voila shows no code
    assert page.get_by_text("workshop()").count() == 0
    page.screenshot(path=str(tmp_path / f"workshop-top-{theme}.png"))

    # A-B-B-A: the right kind and both locks.
    ex = _exercise(page, ABBA)
    assert ex.locator(".splatkit-locks").is_hidden()
    ex = _check(page, ABBA, CIRCULAR, ("A", "B"), status="correct")
    feedback = ex.locator(".splatkit-feedback")
    assert feedback.locator(".sk-fb-headline").text_content() == (
        "Correct: lockdep reports a possible circular locking dependency.")
    assert feedback.locator(".sk-fb-text").first.text_content().startswith("Line 9 (task2: lock A) triggers it")
    ex.locator("summary", has_text="What the kernel printed").click()
    assert "WARNING: possible circular locking dependency detected" in feedback.locator("pre").first.text_content()
    graph = ex.locator(".splatkit-graph")
    graph.locator("canvas").wait_for(state="attached")
    assert page.evaluate("() => document.querySelectorAll('.splatkit-exercise')[2].querySelector('.splatkit-graph')"
                         ".splatkitNetwork.body.nodeIndices.length") == 2
    assert score.first.text_content() == "Score: 1/17 correct"
    assert score.last.text_content() == "Score: 1/17 correct"  # the scoreboard at the end shows it too
    ex.screenshot(path=str(tmp_path / f"workshop-abba-{theme}.png"))
    graph.scroll_into_view_if_needed()
    graph.screenshot(path=str(tmp_path / f"workshop-abba-graph-{theme}.png"))

    # Two locks, one class: a wrong prediction counts as answered, not correct.
    ex = _check(page, 0, NO_REPORT, status="incorrect")
    assert ex.locator(".sk-fb-headline").text_content() == (
        "Not quite: you predicted no report, but lockdep reports possible recursive locking.")
    assert page.locator(".splatkit-scoreboard .sk-sb-answered").first.text_content().startswith("2 of 17 answered")
    assert score.first.text_content() == "Score: 1/17 correct"
    marks = page.locator(".splatkit-scoreboard").first.locator(".sk-sb-item")
    assert [marks.nth(i).get_attribute("data-status") for i in range(4)] == ["incorrect", "open", "correct", "open"]
    ex.screenshot(path=str(tmp_path / f"workshop-wrong-{theme}.png"))

    # Readable in this theme: text against what is behind it.
    for selector in (".splatkit-feedback[data-status=incorrect] .sk-fb-headline",
                     ".splatkit-feedback[data-status=incorrect] .sk-fb-text", ".splatkit-exercise-header h3",
                     ".splatkit-exercise-header p", ".splatkit-program textarea", ".splatkit-scoreboard .sk-sb-score",
                     ".splatkit-scoreboard .sk-sb-item", ".splatkit-scoreboard .sk-sb-answered"):
        assert _contrast(page, selector) >= 4.5, (theme, selector, page.evaluate(_COLOURS_JS, selector))
    assert watched_page.errors == [] and watched_page.dialogs == []
    host = workshop_url.split("/?")[0]
    assert [u for u in watched_page.requests if u.startswith(("http:", "https:")) and not u.startswith(host)] == []


def test_the_workshop_notebook_in_lab(lab_url, watched_page, tmp_path):
    """Notebook 04 in JupyterLab, dark theme: Run All, answer A-B-B-A in the page, and ask the
    kernel for the score; an exercise with a hostile lock name shows it as text."""
    page = _run_all(watched_page.page, lab_url, "04-lockdep-workshop.ipynb")
    page.evaluate("window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})")
    page.wait_for_function("() => document.body.dataset.jpThemeName === 'JupyterLab Dark'")
    assert page.evaluate(_ERRORS_JS) == []
    page.evaluate("""() => { const nb = window.jupyterapp.shell.currentWidget.content;
      const i = nb.widgets.findIndex((c) => c.model.sharedModel.getSource() === 'ws["abba"]');
      return nb.scrollToItem(i, 'start'); }""")
    page.wait_for_selector(".splatkit-exercise:has-text('Exercise 3: A-B-B-A') select")
    ex = page.locator(".splatkit-exercise", has_text="Exercise 3: A-B-B-A")
    ex.locator("select").select_option(label=CIRCULAR)
    for lock in ("A", "B"):
        ex.locator(".splatkit-locks button").filter(has_text=re.compile(rf"^{lock}$")).click()
    ex.get_by_role("button", name="Check").click()
    ex.locator(".splatkit-feedback[data-status=correct]").wait_for()
    assert ex.locator(".sk-fb-headline").text_content().startswith("Correct: ")
    ex.screenshot(path=str(tmp_path / "lab-abba-dark.png"))
    assert _contrast(page, ".splatkit-feedback[data-status=correct] .sk-fb-text") >= 4.5
    page.evaluate(_RUN_NEW_CELL_JS, "print('SCORE=' + str(ws.scoreboard), ws['abba'].grade.verdict)")
    page.wait_for_function(_OUTPUT_HAS_JS, arg="SCORE=Score: 1/17 correct (1 answered) circular")

    hostile = "x</script><img src=x onerror=alert(1)>"
    page.evaluate(_RUN_NEW_CELL_JS, (
        "from splatkit.sim import read_exercise\n"
        "from splatkit.widgets import Workshop\n"
        f"h = {hostile!r}\n"
        "bad = Workshop([read_exercise(f'# title: {h}\\n# expect: recursive\\nmutex \"{h}\"\\n"
        "t1: lock \"{h}\"\\nt1: lock \"{h}\"\\n', 'hostile')])\n"
        "bad[0].predict('recursive')\n"
        "bad[0].check.click()\n"
        "bad"))
    page.wait_for_function("(h) => [...document.querySelectorAll('.splatkit-exercise-header h3')]"
                           ".some((e) => e.textContent === 'Exercise 1: ' + h)", arg=hostile)
    page.wait_for_function("(h) => [...document.querySelectorAll('.splatkit-feedback pre')]"
                           ".some((e) => e.textContent.includes(h))", arg=hostile)
    assert page.evaluate("document.querySelectorAll('.splatkit-exercise img').length") == 0
    assert watched_page.errors == [] and watched_page.dialogs == []
    assert [u for u in watched_page.requests if u.startswith(("http:", "https:")) and not u.startswith(lab_url)] == []


from .test_lab import lab_url  # noqa: E402,F401  (the JupyterLab server fixture, one per module)
