"""An explanation as HTML: the whole of it (the report's first section), or a fragment a
notebook shows with its own drawing of the lock graph.

Every name goes through the escape boundary (:mod:`splatkit.render.escape`).
"""

from __future__ import annotations

from ..analysis.explain import Bullets, Code, Explanation, Paragraph, Preformatted, Scenario
from ..analysis.explain import explain as explain_data
from ..errors import DependencyError
from ..model import Splat
from .assets import lock_graph_assets, vis_network_assets
from .escape import _inline, _script_json, _text, note_html
from .kind_view import kind_graph
from .viewmodel import graph_view, network_options

__all__ = ["explanation_fragment", "explanation_html"]

def _paragraph(p: Paragraph) -> str:
    return "".join(f"<code>{_text(part)}</code>" if isinstance(part, Code) else _text(part) for part in p.parts)


#: A scenario wider than this many characters of cells is drawn with letters for its locks.
_SCENARIO_CHARS = 72


def _scenario_html(scenario: Scenario) -> str:
    """The scenario as a table: one row per step, one column per CPU (the step in its CPU's cell);
    long lock names become letters with a legend above, as in the plain-text table."""
    locks = list(dict.fromkeys(s.lock for s in scenario.steps if s.lock is not None))
    widest = max((len(s.cell) for s in scenario.steps), default=0)
    letters = scenario.cpus * widest > _SCENARIO_CHARS and len(locks) <= 26
    names = {lock: chr(ord("A") + i) if letters else lock for i, lock in enumerate(locks)}
    legend = ""
    if letters:
        legend = '<ul class="sk-scenario-legend">' + "".join(
            f"<li><code>{names[lock]}</code> = <code>{_text(lock)}</code></li>" for lock in locks) + "</ul>"
    head = "<th>step</th>" + "".join(f"<th>CPU{i}</th>" for i in range(scenario.cpus))
    rows = []
    for step in scenario.steps:
        shown = f"{step.op}({names[step.lock]});" if step.lock is not None else step.op
        cell = f"<code>{_text(shown)}</code>"
        if step.waits_for is not None:
            cell += f'<span class="sk-waits">waits for step {step.waits_for}</span>'
        cells = "".join(f"<td>{cell if i == step.cpu else ''}</td>" for i in range(scenario.cpus))
        rows.append(f'<tr data-sk-step="{step.number}"><td>{step.number}</td>{cells}</tr>')
    ops = "".join(f"<li><code>{_text(op)}</code>: {_text(meaning)}</li>" for op, meaning in scenario.legend)
    return (legend + f'<div class="sk-scroll"><table class="sk-scenario"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>'
            + (f'<ul class="sk-scenario-legend">{ops}</ul>' if ops else ""))


def _block_html(block: object) -> str:
    if isinstance(block, Paragraph):
        return f"<p>{_paragraph(block)}</p>"
    if isinstance(block, Bullets):
        tag = "ol" if block.numbered else "ul"
        return f"<{tag}>" + "".join(f"<li>{_paragraph(item)}</li>" for item in block.items) + f"</{tag}>"
    if isinstance(block, Scenario):
        return _scenario_html(block)
    if isinstance(block, Preformatted):
        return f"<pre>{_text(chr(10).join(block.lines))}</pre>"
    raise TypeError(f"cannot lay out {type(block).__name__}")


def explanation_html(explanation: Explanation, *, trimmed: bool = True, title: bool = True) -> str:
    """An explanation as an HTML fragment: every name escaped, no script, no style, no URL.

    >>> from splatkit.analysis.explain import Explanation, para, Code
    >>> explanation_html(Explanation("circular", "t", para("took ", Code("</p><script>"))))
    '<section class="splatkit-explanation" data-sk-kind="circular"><h3>lockdep: t</h3><p>took <code>&lt;/p&gt;&lt;script&gt;</code></p></section>'
    """
    out = [f'<section class="splatkit-explanation" data-sk-kind="{_text(explanation.kind)}">']
    if title:
        out.append(f"<h3>lockdep: {_text(explanation.title)}</h3>")
    if explanation.facts:
        out.append('<p class="sk-explain-facts">' + "; ".join(f"{_text(label)} <code>{_text(value)}</code>"
                                                      for label, value in explanation.facts) + "</p>")
    out.append(f"<p>{_paragraph(explanation.summary)}</p>")
    for section in explanation.sections:
        out.append(f"<h4>{_text(section.heading)}</h4>" + "".join(_block_html(b) for b in section.blocks))
    if trimmed and explanation.trimmed:
        out.append(f'<h4>The splat, trimmed</h4><pre class="sk-trimmed">{_text(chr(10).join(explanation.trimmed))}</pre>')
    return "".join(out) + "</section>"


def explanation_fragment(splat: Splat, *, trimmed: bool = True) -> str:
    """The explanation with the splat's interactive lock graph, as one self-contained HTML fragment.

    Meant to be pasted into another page (a bug tracker, a wiki, a notebook output): its styles
    and scripts are inline and load nothing, the graph's scripts run in their own function scope
    (two fragments in one page do not clash) and find their graph from their own element. Every
    name is escaped (:func:`explanation_html`, :func:`_script_json`). Without pyvis the fragment
    is the explanation alone, and says why.
    """
    text = explanation_html(explain_data(splat), trimmed=trimmed)
    graph = kind_graph(splat)
    view = graph_view(graph, cycle=splat.cycle or None)
    if not view["nodes"]:
        return f'<div class="splatkit-fragment">{text}</div>'
    try:
        vis, ours = vis_network_assets(), lock_graph_assets()
    except DependencyError as err:
        return f'<div class="splatkit-fragment">{note_html(str(err))}{text}</div>'
    data = {"view": view, "options": network_options()}
    mount = ("(function () { const root = document.currentScript.parentElement;\n"
             f"{_inline(vis.js)}\n{_inline(ours.js)}\n"
             "const data = JSON.parse(root.querySelector('script[data-sk-graph-data]').textContent);\n"
             "const div = root.querySelector('div[data-sk-graph]');\n"
             "const graph = div.splatkitGraph = splatkitLockGraph.draw(vis, div, data.view,"
             " splatkitLockGraph.themed(data.options, div), () => {});\n"
             # JupyterLab switches themes by changing attributes of <body>: follow it.
             # (Once the output is cleared, the observer lets go of the drawing.)
             "const watch = new MutationObserver(() => div.isConnected ?"
             " graph.network.setOptions(splatkitLockGraph.themed(data.options, div)) : watch.disconnect());\n"
             "watch.observe(document.body, {attributes: true, attributeFilter: ['data-jp-theme-name', 'data-jp-theme-light']});\n"
             "})();")
    return (f'<div class="splatkit-fragment"><style>{_inline(vis.css)}</style><style>{_inline(ours.css)}</style>'
            f'<div class="splatkit-graph" data-sk-graph style="height: 420px"></div>'
            f'<script type="application/json" data-sk-graph-data>{_script_json(data)}</script>'
            f"<script>{mount}</script>{text}</div>")
