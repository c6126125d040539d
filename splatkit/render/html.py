"""A self-contained, offline HTML report of one splat.

The report gives the same exploration as the notebook explorer in a single file
that can be mailed or attached to a bug: the explanation, the lock graph (drawn
by the shared ``static/lock_graph.js`` with vis-network), the chain, the stack of
the selected dependency, the held locks and the raw report lines. It loads
nothing: vis-network's JS and CSS are inlined from the pyvis package, which is
used as a data source only (its page template links a CDN and does not escape the
heading).

Every name in a report is untrusted: lock classes, tasks and functions come from
a kernel log that anyone can fill (``lockdep_set_class_and_name``, ``comm``); they
enter the page through the escape boundary, :mod:`splatkit.render.escape`. The
assets it inlines come from :mod:`splatkit.render.assets`, the explanation from
:mod:`splatkit.render.explain_html`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path, PurePath
from typing import Any

import pandas as pd

from ..analysis.explain import explain as explain_data
from ..errors import DependencyError
from ..graph import Evidence, LockGraph
from ..model import Splat
from ..stacks import HIDDEN_ROLES, blamed_function
from ..tables import chain_table, stack_table
from .assets import lock_graph_assets, vis_network_assets
from .escape import _inline, _script_json, _text, note_html, table_html
from .explain_html import explanation_html
from .kind_view import NOTHING_DRAWN, kind_graph, kind_view
from .layout import READABLE_ZOOM
from .viewmodel import drawing_extent, edge_id, graph_view, legend, network_options, view_height

__all__ = [
    "chain_edges",
    "default_edge",
    "dependency_stack",
    "hidden_summary",
    "legend_html",
    "report_html",
    "stack_caption",
    "stack_html",
    "write_report",
]

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
        return table, note_html(" ".join(p for p in (text, "Show the hidden frames to see them.") if p))
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


def _table_ornote_html(df: pd.DataFrame, empty: str, **kwargs: Any) -> str:
    """The table, or one sentence instead of a header row over nothing."""
    return f'<div class="sk-scroll">{table_html(df, **kwargs)}</div>' if len(df) else note_html(empty)


#: How wide the report's drawing is beside the stacks (its left column, in a 1,300 px window), in
#: CSS pixels, and how tall at least: a drawing that needs more width to be read
#: (:func:`_graph_is_wide`) takes the page's width, above the columns.
REPORT_PANE_WIDTH, REPORT_PANE_HEIGHT = 520, 560


def _graph_is_wide(view: dict[str, Any]) -> bool:
    """Whether the drawing of ``view``, fitted at a zoom its lock class labels read at, is wider
    than the report's left column."""
    extent = drawing_extent(view)
    return (extent["x1"] - extent["x0"]) * READABLE_ZOOM + 2 * extent["pad"] > REPORT_PANE_WIDTH


def _graph_pane(view: dict[str, Any]) -> str:
    if not view["nodes"]:
        return note_html(NOTHING_DRAWN)
    note = view.get("cycle_note")
    height = view_height(view, least=REPORT_PANE_HEIGHT)
    return (f'<div id="sk-graph" class="splatkit-graph" style="height: {height}px"></div>{legend_html(view)}'
            + (note_html(f"{note[0].upper()}{note[1:]}; the cycle drawn in red is the shortest of those found.")
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
    stacks = _stack_sections(graph, view, selected) or note_html("This report names no lock dependency.")
    kind = kind_view(splat)
    chain_section = ("<section><h2>Dependency chain</h2>"
                     f"{_table_ornote_html(chain, '', row_edges=chain_edges(chain), selected=selected)}</section>"
                     if len(chain) else "")
    # A drawing that needs more width to be read than the left column has spans the page above it.
    wide = _graph_is_wide(view)
    wide_class = ' class="sk-wide"' if wide else ""
    graph_section = f"<section{wide_class}><h2>Lock graph</h2>{_graph_pane(view)}</section>"
    return (
        f"{_header(splat, source)}<main>"
        f"{graph_section if wide else ''}"
        '<div class="sk-left">'
        f"{'' if wide else graph_section}"
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
    data = {"view": {**view, "extent": drawing_extent(view)}, "options": network_options(), "selected": selected}
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
