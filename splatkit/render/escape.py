"""The one HTML escape boundary of every page and widget splatkit writes.

Every name in a report is untrusted: lock classes, tasks and functions come from a kernel log
that anyone can fill (``lockdep_set_class_and_name``, ``comm``). They enter a page in exactly
two ways, both defined here: :func:`_text` for HTML text and attributes, :func:`_script_json`
for data read by the page's script; vendor and package code is inlined through
:func:`_inline`. Tables (the report's and the notebook widgets') come from :func:`table_html`.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from typing import Any

import pandas as pd

__all__ = ["note_html", "table_html"]

_JSON_IN_SCRIPT = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027",
                                 "\u2028": "\\u2028", "\u2029": "\\u2029"})
_END_TAG = re.compile(r"</(script|style)", re.IGNORECASE)



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


def note_html(text: str) -> str:
    """One sentence said in a view instead of what it lacks (``class="sk-note"``), escaped."""
    return f'<p class="sk-note">{_text(text)}</p>'
