"""A self-contained, offline HTML report of one splat, and the one HTML escape boundary.

The report gives the same exploration as the notebook explorer in a single file
that can be mailed or attached to a bug: the explanation, the lock graph (drawn
by the shared ``static/lock_graph.js`` with vis-network), the chain, the stack of
the selected dependency, the held locks and the raw report lines. It loads
nothing: vis-network's JS and CSS are inlined from the pyvis package, which is
used as a data source only (its page template links a CDN and does not escape the
heading).

Every name in a report is untrusted: lock classes, tasks and functions come from
a kernel log that anyone can fill (``lockdep_set_class_and_name``, ``comm``).
They enter the page in exactly two ways, both defined here: :func:`_text` for
HTML text and attributes, :func:`_script_json` for data read by the page's
script. The notebook widgets render their tables with :func:`table_html` for the
same reason.
"""

from __future__ import annotations

import html
import importlib.util
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path, PurePath
from typing import Any

import pandas as pd

from ..errors import DependencyError
from ..graph import Evidence, LockGraph
from ..model import Splat
from ..stacks import HIDDEN_ROLES, blamed_function
from ..tables import chain_table, stack_table
from ..analysis.explain import Bullets, Code, Explanation, Paragraph, Preformatted, Scenario
from ..analysis.explain import explain as explain_data
from .kind_view import NOTHING_DRAWN, kind_graph, kind_view
from .viewmodel import edge_id, graph_view, legend, network_options

__all__ = [
    "Assets",
    "chain_edges",
    "default_edge",
    "dependency_stack",
    "explanation_fragment",
    "explanation_html",
    "hidden_summary",
    "legend_html",
    "lock_graph_assets",
    "report_html",
    "stack_caption",
    "stack_html",
    "table_html",
    "vis_network_assets",
    "write_report",
]

#: The vis-network build inside pyvis that both views use (standalone UMD, with DataSet).
VIS_NETWORK_DIR = ("lib", "vis-9.1.2")

_JSON_IN_SCRIPT = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027",
                                 "\u2028": "\\u2028", "\u2029": "\\u2029"})
_END_TAG = re.compile(r"</(script|style)", re.IGNORECASE)


@dataclass(frozen=True)
class Assets:
    """A JavaScript source and its stylesheet, as text to inline or to hand to a widget."""

    js: str
    css: str


# ---- the escape boundary ---------------------------------------------------------


def _text(value: object) -> str:
    """``value`` as HTML text or a quoted attribute value; missing values (None, NaN, NA) become empty."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    return html.escape(str(value), quote=True)


def _script_json(data: Any) -> str:
    """``data`` as JSON that is safe inside ``<script>``: ``<``, ``>``, ``&``, ``'`` escaped
    as ``\\u003c``... (as Jinja's ``tojson``), so no name can close the element."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).translate(_JSON_IN_SCRIPT)


def _inline(source: str) -> str:
    """Vendor or package JS/CSS made safe to inline: ``</script``/``</style`` cannot close it.

    ``<\\/`` means the same as ``</`` in JS strings, regexes and comments, the only
    places where the sequence can occur.

    >>> print(_inline("const end = '</SCRIPT>';"))
    const end = '<\\/SCRIPT>';
    """
    return _END_TAG.sub(r"<\\/\1", source)


def table_html(df: pd.DataFrame, *, caption: str | None = None, row_edges: Sequence[str] | None = None,
               selected: str | None = None, row_classes: Sequence[str] | None = None) -> str:
    """An HTML table of ``df`` with every header and cell escaped; the notebook uses it too.

    ``row_edges`` gives each row a ``data-sk-edge`` dependency id (the report's
    script selects that dependency when the row is clicked); the rows whose id is
    ``selected`` get the class ``sk-selected``. ``row_classes`` adds CSS classes to each
    row (plain class names made by the caller, escaped all the same).

    >>> table_html(pd.DataFrame({"lock": ["</script>"]}))
    '<table><thead><tr><th>lock</th></tr></thead><tbody><tr><td>&lt;/script&gt;</td></tr></tbody></table>'
    """
    head = "".join(f"<th>{_text(c)}</th>" for c in df.columns)
    rows = []
    for i, values in enumerate(df.itertuples(index=False, name=None)):
        attr = ""
        classes = row_classes[i].split() if row_classes is not None and row_classes[i] else []
        if row_edges is not None:
            attr = f' data-sk-edge="{_text(row_edges[i])}"'
            classes += ["sk-selected"] if selected and row_edges[i] == selected else []
        attr += f' class="{_text(" ".join(classes))}"' if classes else ""
        rows.append(f"<tr{attr}>" + "".join(f"<td>{_text(v)}</td>" for v in values) + "</tr>")
    cap = f"<caption>{_text(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


# ---- assets ----------------------------------------------------------------------


@lru_cache(maxsize=1)
def vis_network_assets() -> Assets:
    """vis-network's JS and CSS as shipped inside pyvis (no download, no CDN).

    Raises
    ------
    DependencyError
        When pyvis is not installed; it comes with ``pip install 'splatkit[notebook]'``.
    """
    # Only pyvis's files are needed, not the module: find it without importing it.
    try:
        spec = importlib.util.find_spec("pyvis")
    except (ImportError, ValueError):  # ValueError: a stand-in module without a spec
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise DependencyError("drawing the lock graph needs pyvis (it ships vis-network); "
                              "install it with: pip install 'splatkit[notebook]'")
    folder = Path(spec.submodule_search_locations[0]).joinpath(*VIS_NETWORK_DIR)
    return Assets(js=(folder / "vis-network.min.js").read_text(encoding="utf-8"),
                  css=(folder / "vis-network.css").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def lock_graph_assets() -> Assets:
    """splatkit's own drawing code (``static/lock_graph.js``) and styles (``.css``)."""
    static = resources.files("splatkit.render").joinpath("static")
    return Assets(js=static.joinpath("lock_graph.js").read_text(encoding="utf-8"),
                  css=static.joinpath("lock_graph.css").read_text(encoding="utf-8"))


# ---- what a view shows for a dependency ------------------------------------------


def dependency_stack(graph: LockGraph, held: str, acquired: str) -> Evidence | None:
    """The evidence whose stack a view shows for ``held -> acquired``: the first with frames.

    None when no evidence has a stack (an order read from a held-locks list).
    """
    return next((ev for ev in graph.evidence(held, acquired) if ev.frames), None)


def default_edge(view: dict[str, Any]) -> str:
    """The dependency a view selects first: the new one (chain entry #0), else the first
    cycle edge, else the first edge; empty for a graph without edges."""
    edges = view["edges"]
    for wanted in (lambda e: e["new"], lambda e: e["cycle"], lambda e: True):
        found = next((e["id"] for e in edges if wanted(e)), None)
        if found is not None:
            return found
    return ""


# ---- an explanation ---------------------------------------------------------------


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
        return f'<div class="splatkit-fragment">{_note(str(err))}{text}</div>'
    data = {"view": view, "options": network_options()}
    mount = ("(function () { const root = document.currentScript.parentElement;\n"
             f"{_inline(vis.js)}\n{_inline(ours.js)}\n"
             "const data = JSON.parse(root.querySelector('script[data-sk-graph-data]').textContent);\n"
             "const div = root.querySelector('div[data-sk-graph]');\n"
             "const graph = div.splatkitGraph = splatkitLockGraph.draw(vis, div, data.view,"
             " splatkitLockGraph.themed(data.options, div), () => {});\n"
             # JupyterLab switches themes by changing attributes of <body>: follow it.
             "new MutationObserver(() => graph.network.setOptions(splatkitLockGraph.themed(data.options, div)))"
             ".observe(document.body, {attributes: true, attributeFilter: ['data-jp-theme-name', 'data-jp-theme-light']});\n"
             "})();")
    return (f'<div class="splatkit-fragment"><style>{_inline(vis.css)}</style><style>{_inline(ours.css)}</style>'
            f'<div class="splatkit-graph" data-sk-graph style="height: 420px"></div>'
            f'<script type="application/json" data-sk-graph-data>{_script_json(data)}</script>'
            f"<script>{mount}</script>{text}</div>")


# ---- the report ------------------------------------------------------------------


def _facts(splat: Splat, source: str | None) -> list[tuple[str, str | None]]:
    kernel = None
    if splat.kernel is not None:
        kernel = " ".join(p for p in (splat.kernel.release, splat.kernel.build, splat.kernel.taint) if p)
    return [
        ("kernel", kernel),
        ("task", str(splat.task) if splat.task else None),
        ("source", PurePath(source).name if source else None),
        ("report", splat.kind),
        ("lines", f"{splat.span.first_line}-{splat.span.last_line}"),
    ]


def _header(splat: Splat, source: str | None) -> str:
    facts = "".join(f"<div><dt>{_text(k)}</dt><dd>{_text(v)}</dd></div>" for k, v in _facts(splat, source) if v)
    return (f"<header><h1>lockdep: {_text(splat.title or splat.banner)}</h1>"
            f'<dl class="sk-facts">{facts}</dl></header>')


def stack_caption(edge: dict[str, Any], evidence: Evidence | None) -> str:
    """Where the stack shown for a view-model ``edge`` comes from, as one plain sentence."""
    if evidence is None:
        sources = {ev["source"] for ev in edge.get("evidence", [])}
        if sources - {"held"}:
            return f"No stack: the source of this dependency prints none ({', '.join(sorted(sources))})."
        return ("No stack: this order comes from the list of locks held by the task "
                "(each was taken while the ones above it were held).")
    entry = (f"chain entry #{evidence.chain_index}" if evidence.chain_index is not None else
             "the report's stack backtrace" if evidence.source == "new" else
             "a dependency path the report prints" if evidence.source == "recorded" else evidence.source)
    kind = ("a dependency lockdep recorded" if evidence.source != "new" else
            "the new dependency that closes the cycle" if edge["cycle"] else "the acquisition the report is about")
    where = f", made in {edge['label']}" if edge["label"] else ""
    return f"From {entry}: {kind}{where}. Innermost frame first."


#: How a caption names the frames a stack table left out, by role.
_HIDDEN_NAMES = {"lockdep": "of lockdep", "locking": "of the locking API", "unreliable": "unreliable (?)"}


def hidden_summary(hidden: dict[str, int]) -> str:
    """What a stack table left out, as a sentence (empty when nothing was).

    >>> hidden_summary({"lockdep": 2, "unreliable": 1})
    '3 frames hidden: 2 of lockdep, 1 unreliable (?).'
    """
    total = sum(hidden.values())
    if not total:
        return ""
    parts = ", ".join(f"{n} {_HIDDEN_NAMES.get(role, role)}" for role, n in hidden.items())
    return f"{total} frame{'s' if total != 1 else ''} hidden: {parts}."


def stack_html(frames: Sequence[Any], *, internals: bool = False, blamed: str | None = None,
               caption: str | None = None) -> tuple[pd.DataFrame, str]:
    """A stack as a developer reads it (:func:`splatkit.tables.stack_table`) and its HTML table.

    Rows of internals, when shown, have the class ``sk-dim``; the frame syzbot blames
    ``sk-blamed``. The ``role`` column becomes those classes; columns that are empty for the
    whole stack (no module, not decoded, no note) are left out. The caption ends with what
    was hidden (:func:`hidden_summary`); when every frame is hidden, the HTML is that sentence
    instead of a table.
    """
    table = stack_table(frames, internals=internals, blamed=blamed)
    classes = [" ".join(c for c in ("sk-dim" if role in HIDDEN_ROLES else "",
                                    "sk-blamed" if "syzbot blames" in note else "") if c)
               for role, note in zip(table["role"], table["note"])]
    shown = table.drop(columns=["role"])
    shown = shown.drop(columns=[c for c in ("module", "file:line", "note") if not shown[c].astype(bool).any()])
    text = " ".join(p for p in (caption or "", hidden_summary(table.attrs["hidden"])) if p)
    if not len(shown):  # (every frame hidden: say so rather than draw a header over nothing)
        return table, _note(" ".join(p for p in (text, "Show the hidden frames to see them.") if p))
    return table, table_html(shown, caption=text or None, row_classes=classes)


def _stack_sections(graph: LockGraph, view: dict[str, Any], selected: str) -> str:
    """One section per dependency with its stack table; only ``selected`` is visible."""
    parts = []
    for edge in view["edges"]:
        evidence = dependency_stack(graph, edge["from"], edge["to"])
        table = stack_html(evidence.frames, internals=True, blamed=blamed_function(evidence.title))[1] if evidence else ""
        hidden = "" if edge["id"] == selected else " hidden"
        parts.append(f'<div data-sk-frames="{_text(edge["id"])}"{hidden}>'
                     f"<h3>{_text(edge['from'])} \u2192 {_text(edge['to'])}</h3>"
                     f'<p class="sk-note">{_text(stack_caption(edge, evidence))}</p>'
                     f'<div class="sk-scroll">{table}</div></div>')
    return "".join(parts)


def chain_edges(df: pd.DataFrame) -> list[str]:
    """The dependency id of each row of a :func:`splatkit.tables.chain_table` (``""`` without a held lock)."""
    return ["" if not h or pd.isna(h) else edge_id(h, a) for h, a in zip(df["held"], df["acquired"])]


def _note(text: str) -> str:
    return f'<p class="sk-note">{_text(text)}</p>'


def _table_or_note(df: pd.DataFrame, empty: str, **kwargs: Any) -> str:
    """The table, or one sentence instead of a header row over nothing."""
    return f'<div class="sk-scroll">{table_html(df, **kwargs)}</div>' if len(df) else _note(empty)


def _graph_pane(view: dict[str, Any]) -> str:
    if not view["nodes"]:
        return _note(NOTHING_DRAWN)
    note = view.get("cycle_note")
    return (f'<div id="sk-graph" class="splatkit-graph"></div>{legend_html(view)}'
            + (_note(f"{note[0].upper()}{note[1:]}; the cycle drawn in red is the shortest of those found.")
               if note else ""))


def _raw_lines(splat: Splat) -> str:
    return "\n".join(f'<span class="sk-ln">{line.no}</span>{_text(line.raw)}' for line in splat.lines)


def legend_html(view: dict[str, Any], *, lock_panel: bool = False, hint: str | None = None) -> str:
    """The legend of what the drawing shows (:func:`splatkit.render.viewmodel.legend`), and how to
    read an arrow. Swatches are styled inline: the legend reads the same in the report, the
    notebook widget and a sanitised static output. ``lock_panel``: the view shows a lock class
    when its box is clicked (the notebook explorer), and the hint says so; ``hint`` replaces
    what the hint says a click does (plain text, escaped here)."""
    items = "".join(
        f'<li><span class="sk-swatch" style="display: inline-block; width: 22px; height: 0; margin-right: 6px; '
        f'vertical-align: middle; border-top: {e["width"]}px {e.get("style", "dashed" if e["dashed"] else "solid")} '
        f'{e["color"]}"></span>{_text(e["label"])}</li>' for e in legend(view))
    click = _text(hint) if hint is not None else (
        "Click an arrow, or a chain row, to see its stack"
        + ("; click a lock class (a box) for its usage, wait type, dependencies and the held-lock "
           "entries naming it." if lock_panel else "."))
    return (f'<ul class="sk-legend">{items}</ul>'
            '<p class="sk-hint">An arrow A \u2192 B means B was acquired while A was held; its label is the '
            f"function that did it. {click}</p>")


def _body(splat: Splat, source: str | None, graph: LockGraph, view: dict[str, Any], selected: str) -> str:
    from .kind_html import kind_view_html  # (it lays tables out with this module's escape boundary)

    chain = chain_table(splat)
    stacks = _stack_sections(graph, view, selected) or _note("This report names no lock dependency.")
    kind = kind_view(splat)
    chain_section = ("<section><h2>Dependency chain</h2>"
                     f"{_table_or_note(chain, '', row_edges=chain_edges(chain), selected=selected)}</section>"
                     if len(chain) else "")
    return (
        f"{_header(splat, source)}<main>"
        '<div class="sk-left">'
        f"<section><h2>Lock graph</h2>{_graph_pane(view)}</section>"
        f"<section><h2>Explanation</h2>{explanation_html(explain_data(splat), trimmed=False, title=False)}</section>"
        "</div>"
        '<div class="sk-right">'
        f'<section id="sk-stack"><h2>Stack of the selected dependency</h2>{stacks}</section>'
        f"{chain_section}"
        f'<section id="sk-kind">{kind_view_html(kind, internals=True, heading="h2")}</section>'
        "</div>"
        f'<section class="sk-wide"><details open><summary>Raw report '
        f'({len(splat.lines)} lines)</summary><pre class="sk-raw">{_raw_lines(splat)}</pre></details></section>'
        "</main>"
    )


def report_html(splat: Splat, *, source: str | None = None, notes: list[str] | None = None) -> str:
    """One self-contained HTML page exploring ``splat``; it loads no URL at all.

    Parameters
    ----------
    splat : Splat
        The report to show; its own cycle is the one highlighted (without one, the shortest
        cycle a bounded search of its lock graph finds).
    source : str, optional
        Where the text came from; only the file name is shown in the header.
    notes : list of str, optional
        Gets the notes the page shows about what it could not show in full (a cycle
        search that stopped at its limit), for a caller that reports them elsewhere too.

    Returns
    -------
    str
        The page. The same input always gives the same bytes.

    Raises
    ------
    DependencyError
        When pyvis (which ships vis-network) is missing: ``pip install 'splatkit[notebook]'``.

    Examples
    --------
    >>> page = report_html(parse(seed_text)[0], source="kvm-cpuhp-2024.txt")
    >>> "&amp;kvm-&gt;slots_lock" in page and 'src="http' not in page
    True
    """
    vis, ours = vis_network_assets(), lock_graph_assets()
    graph = kind_graph(splat)
    view = graph_view(graph, cycle=splat.cycle or None)
    if notes is not None and view["cycle_note"]:
        notes.append(view["cycle_note"])
    selected = default_edge(view)
    data = {"view": view, "options": network_options(), "selected": selected}
    title = f"lockdep: {splat.title or splat.banner}"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="splatkit"><title>{_text(title)}</title>'
        f"<style>{_inline(vis.css)}</style><style>{_inline(ours.css)}</style>"
        f'</head><body class="splatkit-report">{_body(splat, source, graph, view, selected)}'
        f'<script type="application/json" id="sk-data">{_script_json(data)}</script>'
        f"<script>{_inline(vis.js)}</script><script>{_inline(ours.js)}</script>"
        '<script>splatkitLockGraph.mountReport(vis, JSON.parse(document.getElementById("sk-data").textContent));'
        "</script></body></html>\n"
    )


def write_report(splat: Splat, path: str | Path, *, source: str | None = None) -> Path:
    """Write :func:`report_html` of ``splat`` to ``path`` (UTF-8) and return the path."""
    path = Path(path)
    path.write_text(report_html(splat, source=source), encoding="utf-8")
    return path
