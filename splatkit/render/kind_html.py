"""A report kind's view (:func:`splatkit.render.kind_view.kind_view`) as an HTML fragment.

Shared by the HTML report and the notebook explorer, so both show the same thing. Every
name goes through the escape boundary (:mod:`splatkit.render.escape`); stacks
through :func:`splatkit.render.html.stack_html` (lockdep's own frames hidden unless
``internals``).

>>> from splatkit.render.kind_view import kind_view
>>> page = kind_view_html(kind_view(parse(seed_text)[0]))
>>> page.startswith('<section class="sk-kind" data-sk-view="circular" data-sk-kind="circular">')
True
"""

from __future__ import annotations

from .escape import _text, note_html, table_html
from .html import stack_html
from .kind_view import Block, KindView

__all__ = ["block_html", "kind_view_html"]


#: Label and value side by side, the labels' column as wide as the widest (styled inline, so it
#: reads the same in the report, the notebook and a sanitised static output).
_FACTS_STYLE = "display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0"


def block_html(block: Block, *, internals: bool = False) -> str:
    """One block: a heading, then its facts, table, stack or note."""
    head = f"<h4>{_text(block.heading)}</h4>"
    if block.kind == "facts":
        items = "".join(f'<dt style="font-weight: 600; white-space: nowrap">{_text(label)}</dt><dd style="margin: 0">{_text(value)}</dd>'
                        for label, value in block.facts)
        return (f'<div class="sk-kind-block" data-sk-block="facts">{head}<dl class="sk-kind-facts" '
                f'style="{_FACTS_STYLE}">{items}</dl></div>')
    if block.kind == "table":
        return (f'<div class="sk-kind-block" data-sk-block="table">{head}<div class="sk-scroll">'
                f"{table_html(block.table, caption=block.caption or None)}</div></div>")
    if block.kind == "stack":
        _table, table = stack_html(block.frames, internals=internals, blamed=block.blamed,
                                   caption=block.caption or None)
        return f'<div class="sk-kind-block" data-sk-block="stack">{head}<div class="sk-scroll">{table}</div></div>'
    return f'<div class="sk-kind-block" data-sk-block="note">{head}{note_html(block.caption)}</div>'


def kind_view_html(view: KindView, *, internals: bool = False, heading: str = "h3") -> str:
    """The whole view: its heading and every block, in order."""
    blocks = "".join(block_html(b, internals=internals) for b in view.blocks)
    return (f'<section class="sk-kind" data-sk-view="{_text(view.view)}" data-sk-kind="{_text(view.kind)}">'
            f"<{heading}>{_text(view.heading)}</{heading}>{blocks}</section>")
