"""The explorer in JupyterLab's light and dark themes, in JupyterLab and Notebook 7 (issue 11,
item 2): table headers, cells and the selected row readable (WCAG contrast measured on the
rendered colours), and the canvas following the theme (its frame, the labels on arrows).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from . import servers
from .test_lab import _ALL_RUN_JS, _READY_JS

pytestmark = pytest.mark.browser

NOTEBOOK = "01-explore-a-splat.ipynb"
THEMES = ("JupyterLab Light", "JupyterLab Dark")

#: The WCAG contrast ratio between an element's text colour and the colour behind it (the
#: backgrounds of it and its ancestors composited, semi-transparent ones included).
CONTRAST_JS = """(el) => {
  const parse = (c) => {
    const nums = (c.match(/[\\d.]+/g) || []).map(Number);
    if (c.startsWith("color(")) return [nums[0] * 255, nums[1] * 255, nums[2] * 255, nums.length > 3 ? nums[3] : 1];
    return [nums[0], nums[1], nums[2], nums.length > 3 ? nums[3] : 1];
  };
  const layers = [];
  for (let e = el; e; e = e.parentElement) {
    const bg = parse(getComputedStyle(e).backgroundColor);
    if (bg[3] > 0) layers.push(bg);
    if (bg[3] >= 1) break;
  }
  let back = [255, 255, 255];
  for (const [r, g, b, a] of layers.reverse()) back = [r * a + back[0] * (1 - a), g * a + back[1] * (1 - a), b * a + back[2] * (1 - a)];
  const fg = parse(getComputedStyle(el).color);
  const lum = (rgb) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(rgb[0]) + 0.7152 * f(rgb[1]) + 0.0722 * f(rgb[2]);
  };
  const [hi, lo] = [lum(fg), lum(back)].sort((a, b) => b - a);
  return (hi + 0.05) / (lo + 0.05);
}"""


@pytest.fixture(scope="module", params=["lab", "notebook"])
def server(request, chromium, tmp_path_factory) -> Iterator[servers.Server]:
    pytest.importorskip("jupyterlab" if request.param == "lab" else "notebook")
    home = tmp_path_factory.mktemp(f"themes-{request.param}")
    root = home / "notebooks"
    shutil.copytree(servers.REPO / "notebooks", root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    servers.write_themed(root, NOTEBOOK, (root / NOTEBOOK).read_text(encoding="utf-8"))  # (for the clicks)
    srv = servers.start(request.param, root, home)
    try:
        yield srv
    finally:
        srv.stop()


@pytest.mark.parametrize("theme", THEMES)
def test_explorer_reads_in_both_themes(server, watched_page, theme, tmp_path):
    page = watched_page.page
    servers.run_all_in_theme(page, server, NOTEBOOK, theme, _READY_JS, _ALL_RUN_JS)
    page.evaluate("""() => { const nb = window.jupyterapp.shell.currentWidget.content;
      const i = nb.widgets.findIndex((c) => c.model.sharedModel.getSource().includes("explore(splat)"));
      return nb.scrollToItem(i, "start"); }""")
    page.wait_for_selector(".splatkit-graph[data-sk-state=live] canvas")

    # The tables: every header, a cell and the selected row read at WCAG AA (4.5:1) or better.
    for selector in (".splatkit-tables th", ".splatkit-tables td", ".splatkit-tables tr.sk-selected td",
                     ".splatkit-tables caption", ".splatkit-tables h4"):
        element = page.locator(selector).first
        ratio = element.evaluate(CONTRAST_JS)
        assert ratio >= 4.5, f"{selector} contrast {ratio:.2f} in {theme}"

    # The canvas follows the theme: its frame is the page's background, arrow labels its text colour.
    colours = page.evaluate("""() => {
      const div = document.querySelector(".splatkit-graph"), css = getComputedStyle(div);
      const net = div.splatkitNetwork, edge = Object.values(net.body.edges)[0];
      const probe = document.createElement("span");
      probe.style.color = css.getPropertyValue("--jp-ui-font-color1"); div.appendChild(probe);
      const text = getComputedStyle(probe).color; probe.remove();
      probe.style.color = edge.options.font.color; div.appendChild(probe);
      const label = getComputedStyle(probe).color; probe.remove();
      return {background: css.backgroundColor, text, label, halo: edge.options.font.strokeColor,
              layout0: css.getPropertyValue("--jp-layout-color0").trim()};
    }""")
    assert colours["label"] == colours["text"] and colours["halo"] == colours["layout0"]
    dark = theme.endswith("Dark")
    channels = [int(v) for v in colours["background"].strip("rgba()").split(",")[:3]]
    assert (sum(channels) < 200) if dark else (sum(channels) > 600), colours["background"]
    page.locator(".jp-OutputArea-output:has(.splatkit-graph)").screenshot(
        path=str(tmp_path / f"explorer-{server.app}-{theme.split()[-1]}.png"))
    assert servers.page_errors(watched_page, server) == []


#: Notebook 7 folds a tall output into a scrolled box after a run: unfold it, as a reader would.
_UNFOLD_JS = """() => { for (const cell of window.jupyterapp.shell.currentWidget.content.widgets)
  if (cell.model.type === 'code') cell.outputsScrolled = false; }"""

@pytest.mark.parametrize("server, theme", [("notebook", "JupyterLab Dark"), ("notebook", "JupyterLab Light"),
                                           ("lab", "JupyterLab Dark")],
                         ids=["notebook7-dark", "notebook7-light", "lab-dark"], indirect=["server"])
def test_seed_explorer_clicks(server, theme, watched_page, click_edge, click_node, tmp_path):
    """The seed's explorer clicked as in JupyterLab's light theme (test_lab.py), in the other three
    of JupyterLab and Notebook 7, light and dark: the internals toggle (lockdep's frames, greyed and
    still readable), an arrow (its stack, in the page and in Python), and a lock class (its panel);
    in the dark theme, what they show is measured at WCAG AA."""
    from .test_lab import _OUTPUT_HAS_JS, _RUN_NEW_CELL_JS, SRCU_CPUHP

    page = watched_page.page
    name = f"{server.app}-{theme.split()[-1]}"
    servers.run_all_in_theme(page, server, servers.themed(NOTEBOOK, theme), theme, _READY_JS, _ALL_RUN_JS)
    page.evaluate(_UNFOLD_JS)
    page.wait_for_selector(".splatkit-graph[data-sk-state=live] canvas", state="attached")

    # The internals toggle, on the stack shown first: lockdep's frames appear greyed (and readable).
    stack = page.locator(".splatkit-tables:has(h4:text('Stack of the selected dependency'))")
    stack.scroll_into_view_if_needed()
    assert "__lock_acquire" not in stack.text_content() and "3 frames hidden" in stack.text_content()
    page.locator(".splatkit-internals input[type=checkbox]").click()
    page.wait_for_function("() => [...document.querySelectorAll('.splatkit-tables tr.sk-dim td:first-child')]"
                           ".map((td) => td.textContent).join(',') === '__lock_acquire,lock_acquire,__mutex_lock'")
    ratio = page.locator(".splatkit-tables tr.sk-dim td").first.evaluate(CONTRAST_JS)
    assert ratio >= 4.5, f"internal frame contrast {ratio:.2f} in {theme}"
    page.screenshot(path=str(tmp_path / f"seed-internals-{name}.png"))

    # An arrow: its stack below the drawing, and in the kernel.
    click_edge(page, ".splatkit-graph", SRCU_CPUHP)
    page.wait_for_function("() => [...document.querySelectorAll('.splatkit-tables caption')]"
                           ".some((c) => c.textContent.startsWith('&kvm->srcu \u2192 cpu_hotplug_lock'))")
    page.evaluate(_RUN_NEW_CELL_JS, "print('SELECTED=' + explorer.selected_edge, len(explorer.frames),"
                                    " explorer.frames['function'].iloc[0], explorer.show_internals)")
    page.wait_for_function(_OUTPUT_HAS_JS, arg=f"SELECTED={SRCU_CPUHP} 13 cpus_read_lock True")

    # A lock class: its panel (usage decoded, the function that took it), and the kernel's view.
    click_node(page, ".splatkit-graph", "kvm_lock")
    page.wait_for_function("() => [...document.querySelectorAll('.sk-lock-class h4')]"
                           ".some((h) => h.textContent === 'Lock class kvm_lock')")
    panel = page.locator(".sk-lock-class")
    assert "irq-unsafe" in panel.text_content() and "set_nx_huge_pages" in panel.text_content()
    for selector in (".sk-lock-class h4", ".sk-lock-class th", ".sk-lock-class td"):
        ratio = page.locator(selector).first.evaluate(CONTRAST_JS)
        assert ratio >= 4.5, f"{selector} contrast {ratio:.2f} in {theme}"
    page.evaluate(_RUN_NEW_CELL_JS, "print('STATE=%s %s' % (explorer.lock_class['name'], explorer.graph.selected_node))")
    page.wait_for_function(_OUTPUT_HAS_JS, arg="STATE=kvm_lock kvm_lock")
    panel.scroll_into_view_if_needed()
    panel.screenshot(path=str(tmp_path / f"seed-lock-class-{name}.png"))
    assert servers.page_errors(watched_page, server) == []
