"""An explanation laid out for people: plain text for mail and commit messages, Markdown, HTML.

:func:`explain` is the one entry point the CLI, the notebooks and the HTML report call:
``splatkit.explain(splat, format="text")``. Plain text keeps every line of prose and every
table within ``width`` columns (72 by default, what a commit message or a mail keeps
unwrapped), so no mailer re-wraps the scenario table (the seed thread shows what
re-wrapping does to lockdep's own). The trimmed splat below it is quoted line for line,
indented, never re-wrapped: checkpatch accepts long lines that are part of a stack dump.

>>> import splatkit, splatkit.samples
>>> text = explain(splatkit.parse(splatkit.samples.sample_text())[0])
>>> prose = text.split("The splat, trimmed:")[0]
>>> max(len(line) for line in prose.splitlines()) <= 72
True
"""

from __future__ import annotations

import re
import textwrap

from ..analysis.explain import Bullets, Code, Explanation, Paragraph, Preformatted, Scenario
from ..analysis.explain import explain as explain_data
from ..model import Splat

__all__ = ["FORMATS", "WIDTH", "explain", "explain_markdown", "explain_text", "scenario_lines"]

WIDTH = 72
#: The formats :func:`explain` writes.
FORMATS = ("text", "markdown", "html", "html-fragment")
_TRIMMED = "The splat, trimmed:"
_MIN_WIDTH = 40


def _explanation(splat: Splat | Explanation) -> Explanation:
    return splat if isinstance(splat, Explanation) else explain_data(splat)


def explain(splat: Splat | Explanation, format: str = "text", *, width: int = WIDTH,
            trimmed: bool = True) -> str:
    """The explanation of one report in ``format`` (one of :data:`FORMATS`).

    ``width`` applies to plain text; ``trimmed`` adds the trimmed splat below the explanation.
    ``html`` is the self-contained report page; ``html-fragment`` the explanation with the
    interactive lock graph, self-contained too, to embed in another page (pass the Splat for the
    graph; an Explanation gives the explanation alone).
    """
    if format == "text":
        return explain_text(splat, width=width, trimmed=trimmed)
    if format == "markdown":
        return explain_markdown(splat, trimmed=trimmed)
    if format in ("html", "html-fragment"):
        from .explain_html import explanation_fragment, explanation_html
        from .html import report_html

        if format == "html-fragment":
            if isinstance(splat, Explanation):
                return explanation_html(splat, trimmed=trimmed)
            return explanation_fragment(splat, trimmed=trimmed)
        if isinstance(splat, Explanation):
            raise TypeError("format='html' draws the report's lock graph: pass the Splat, not its Explanation")
        return report_html(splat)
    raise ValueError(f"unknown format {format!r}; use one of {', '.join(FORMATS)}")


# ---- plain text ----------------------------------------------------------------------


def _wrap(text: str, width: int, indent: str = "", subsequent: str | None = None) -> list[str]:
    return textwrap.wrap(text, width, initial_indent=indent,
                         subsequent_indent=indent if subsequent is None else subsequent,
                         break_long_words=True, break_on_hyphens=False) or [indent.rstrip()]


def scenario_lines(scenario: Scenario, width: int = WIDTH, indent: str = "  ") -> list[str]:
    """The scenario as numbered steps in CPU columns, within ``width`` columns.

    Full lock names when they fit; else letters (A, B...) with a legend above the table;
    else, for many CPUs, one line per step in time order.
    """
    steps = scenario.steps
    if not steps:
        return []
    locks = list(dict.fromkeys(s.lock for s in steps if s.lock is not None))
    number = max(len(str(len(steps))), 1) + 2

    def table(names: dict[str, str]) -> list[str] | None:
        cells = [_cell(s.op, names.get(s.lock) if s.lock else None) for s in steps]
        col = max(len(c) for c in cells + [f"CPU{scenario.cpus - 1}"]) + 2
        if len(indent) + number + col * (scenario.cpus - 1) + max(len(c) for c in cells) > width:
            return None
        rows = [" " * number + "".join(f"CPU{i}".ljust(col) for i in range(scenario.cpus)).rstrip(),
                " " * number + "".join("----".ljust(col) for _ in range(scenario.cpus)).rstrip()]
        rows += [(str(s.number).rjust(number - 2) + "  " + " " * (col * s.cpu) + c).rstrip()
                 for s, c in zip(steps, cells)]
        return [indent + row for row in rows]

    full = table({lock: lock for lock in locks})
    if full is not None:
        return full
    letters = {lock: chr(ord("A") + i) for i, lock in enumerate(locks)} if len(locks) <= 26 else None
    lettered = table(letters) if letters else None
    if lettered is not None:
        legend = [line for lock, letter in letters.items()
                  for line in _wrap(f"{letter} = {lock}", width, indent, indent + "    ")]
        return legend + [""] + lettered
    label = len(f"CPU{scenario.cpus - 1}: ")
    out = []
    digits = len(str(max(s.number for s in steps)))
    for s in steps:  # (numbers right-aligned: "9. CPU8" over "10. CPU0")
        text = f"{s.number}. ".rjust(digits + 2) + f"CPU{s.cpu}: ".ljust(label) + _cell(s.op, s.lock)
        if s.waits_for is not None:
            text += f" (waits for step {s.waits_for})"
        out += _wrap(text, width, indent, indent + " " * (digits + 2 + label))
    return out


def _cell(op: str, lock: str | None) -> str:
    return f"{op}({lock});" if lock is not None else op


def _plain_block(block: object, width: int) -> list[str]:
    if isinstance(block, Paragraph):
        return _wrap(str(block), width)
    if isinstance(block, Bullets):
        out = []
        digits = len(str(len(block.items)))
        for i, item in enumerate(block.items, 1):
            mark = f"{i}. ".rjust(digits + 2) if block.numbered else "- "
            out += _wrap(str(item), width, mark, " " * len(mark))
        return out
    if isinstance(block, Scenario):
        out = scenario_lines(block, width)
        if block.legend:
            out.append("")
            out += [line for op, meaning in block.legend for line in _wrap(f"{op}: {meaning}", width, "  ", "    ")]
        return out
    if isinstance(block, Preformatted):
        return ["  " + line for line in block.lines]
    raise TypeError(f"cannot lay out {type(block).__name__}")


def _facts_text(e: Explanation) -> str:
    return "; ".join(f"{label} {value}" for label, value in e.facts)


def explain_text(splat: Splat | Explanation, *, width: int = WIDTH, trimmed: bool = True) -> str:
    """The explanation as plain text, prose and tables within ``width`` columns."""
    if width < _MIN_WIDTH:
        raise ValueError(f"width {width} is too narrow for a scenario table; use {_MIN_WIDTH} or more")
    e = _explanation(splat)
    out = [f"lockdep: {e.title}"]  # (a subject line: never wrapped)
    if e.facts:
        out += _wrap(_facts_text(e)[0].upper() + _facts_text(e)[1:] + ".", width)
    out += [""] + _wrap(str(e.summary), width)
    for section in e.sections:
        out += ["", section.heading + ":", ""]
        for k, block in enumerate(section.blocks):
            if k:
                out.append("")
            out += _plain_block(block, width)
    if trimmed and e.trimmed:
        out += ["", _TRIMMED, ""] + ["  " + line if line else "" for line in e.trimmed]
    return "\n".join(out) + "\n"


# ---- Markdown ------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


def _md_code(text: str) -> str:
    """``text`` as a Markdown code span, whatever backticks it holds (CommonMark 6.1)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or longest else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _md_plain(text: str) -> str:
    """Our own words, with the characters Markdown would read as markup escaped."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def _md(paragraph: Paragraph) -> str:
    return "".join(_md_code(part) if isinstance(part, Code) else _md_plain(part) for part in paragraph.parts)


def _fence(lines: list[str]) -> list[str]:
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + "text", *lines, fence]


def _md_block(block: object) -> list[str]:
    if isinstance(block, Paragraph):
        return [_md(block)]
    if isinstance(block, Bullets):
        return [(f"{i}. " if block.numbered else "- ") + _md(item) for i, item in enumerate(block.items, 1)]
    if isinstance(block, Scenario):
        return _fence(_plain_block(block, 100))
    if isinstance(block, Preformatted):
        return _fence(list(block.lines))
    raise TypeError(f"cannot lay out {type(block).__name__}")


def explain_markdown(splat: Splat | Explanation, *, trimmed: bool = True) -> str:
    """The explanation as Markdown: names in code spans, the scenario and the splat in code blocks."""
    e = _explanation(splat)
    out = [f"### lockdep: {_md_plain(e.title)}", ""]
    if e.facts:
        out += ["; ".join(f"{label} {_md_code(value)}" for label, value in e.facts), ""]
    out += [_md(e.summary)]
    for section in e.sections:
        out += ["", f"#### {section.heading}", ""]
        for k, block in enumerate(section.blocks):
            if k:
                out.append("")
            out += _md_block(block)
    if trimmed and e.trimmed:
        out += ["", f"#### {_TRIMMED.rstrip(':')}", ""] + _fence(list(e.trimmed))
    return "\n".join(out) + "\n"

