"""Plain-text and Markdown explanations a reviewer can paste into a mail or a commit message.

No line is longer than :data:`WIDTH` columns, so mailers do not re-wrap it (the
seed thread shows what re-wrapping does to lockdep's own scenario table).
"""

from __future__ import annotations

import textwrap

from ..analysis.explain import Dependency, Explanation, explain
from ..model import Frame, Splat

__all__ = ["WIDTH", "explain_markdown", "explain_text", "scenario_lines"]

WIDTH = 80
_INDENT = "  "


def _site(frame: Frame | None) -> str:
    if frame is None or frame.function is None:
        return "an unknown function"
    return frame.function + (f" [{frame.module}]" if frame.module else "")


def _wrap(text: str, indent: str = "", subsequent: str | None = None) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent,
                         subsequent_indent=indent if subsequent is None else subsequent,
                         break_long_words=True, break_on_hyphens=False)


def _dependency_lines(dep: Dependency) -> list[str]:
    tag = "new, #0" if dep.new else f"#{dep.chain_index}"
    head = f"{dep.held} -> {dep.acquired}"
    where = f"in {_site(dep.function)}"
    if dep.via:
        where += " via " + " -> ".join(f.function or "?" for f in reversed(dep.via[-2:]))
    return _wrap(f"{head} ({tag}): {where}", _INDENT, _INDENT * 3)


def scenario_lines(explanation: Explanation) -> list[str]:
    """The N-CPU scenario as a column table, one column per CPU.

    When full lock names do not fit in :data:`WIDTH` columns the table uses the
    letters A, B, C... and a legend above it; when even that is too wide (nine
    CPUs or more), one line per step, in time order.
    """
    steps = explanation.scenario
    if not steps:
        return []
    cpus = max(s.cpu for s in steps) + 1

    def table(names: dict[str, str]) -> list[str] | None:
        cells = [f"{s.op}({names[s.lock]});" for s in steps]
        width = max(len(c) for c in cells + [f"CPU{cpus - 1}"]) + 2
        if len(_INDENT) + width * (cpus - 1) + max(len(c) for c in cells) > WIDTH:
            return None
        rows = ["".join(f"CPU{i}".ljust(width) for i in range(cpus)).rstrip(),
                "".join("----".ljust(width) for _ in range(cpus)).rstrip()]
        rows += [(" " * (width * step.cpu) + cell).rstrip() for step, cell in zip(steps, cells)]
        return [_INDENT + row for row in rows]

    full = table({name: name for name in explanation.cycle})
    if full is not None:
        return full
    letters = {name: chr(ord("A") + i) for i, name in enumerate(explanation.cycle)} if cpus <= 26 else None
    lettered = table(letters) if letters else None
    if lettered is not None:
        legend = ["Where:"] + [line for name, letter in letters.items()
                               for line in _wrap(f"{letter} = {name}", _INDENT * 2, _INDENT * 3)]
        return legend + [""] + lettered
    label = len(f"CPU{cpus - 1}: ")
    out = []
    for step in steps:
        text = f"CPU{step.cpu}: ".ljust(label) + f"{step.op}({step.lock});"
        if step.waits_for is not None:
            text += f"  (waits for CPU{step.waits_for})"
        out += _wrap(text, _INDENT, _INDENT + " " * label)
    return out


def explain_text(splat: Splat | Explanation) -> str:
    """A plain-text explanation of a circular splat, at most 80 columns wide.

    >>> text = explain_text(parse(seed_text)[0])
    >>> max(len(line) for line in text.splitlines()) <= 80
    True
    >>> "CPU3" in text
    True
    """
    e = splat if isinstance(splat, Explanation) else explain(splat)
    out = _wrap(f"lockdep: {e.title}")
    facts = ", ".join(p for p in (f"kernel {e.kernel}" if e.kernel else "",
                                  f"task {e.task}" if e.task else "") if p)
    if facts:
        out += _wrap(facts[0].upper() + facts[1:] + ".")
    if not e.cycle:
        why = ("Its dependency chain is cut short (entries are missing), so the cycle is unknown."
               if e.dependencies or e.partial else "This report has no dependency chain to explain.")
        return "\n".join(out + [""] + _wrap(why)) + "\n"
    n = len(e.cycle)
    out.append("")
    out += _wrap(f"The dependency cycle ({n} lock classes; each is acquired while the one "
                 "before it is held):")
    out += _wrap(" -> ".join(e.cycle + (e.cycle[0],)), _INDENT, _INDENT * 2)
    out.append("")
    out.append("How each dependency was established (from the chain lockdep printed):")
    for dep in e.dependencies:
        out += _dependency_lines(dep)
    new = next((d for d in e.dependencies if d.new), None)
    if new is not None:
        out.append("")
        out += _wrap(f"The new dependency {new.held} -> {new.acquired}, taken in {_site(new.function)}, "
                     f"closes the cycle: the other {n - 1} were already recorded.")
    out.append("")
    out += _wrap(f"Possible deadlock with {n} CPUs, one per lock class: each CPU takes its lock, "
                 "then waits for the lock the next CPU holds.")
    out.append("")
    out += scenario_lines(e)
    out.append("")
    out.append(_INDENT + "*** DEADLOCK ***")
    waits = "; ".join(f"CPU{s.cpu} waits for CPU{s.waits_for}" for s in e.scenario if s.waits_for is not None)
    out += _wrap(waits + ".", _INDENT, _INDENT)
    return "\n".join(out) + "\n"


def explain_markdown(splat: Splat | Explanation) -> str:
    """The same explanation as Markdown (the scenario in a code block)."""
    e = splat if isinstance(splat, Explanation) else explain(splat)
    out = [f"### lockdep: {e.title}", ""]
    if e.kernel or e.task:
        out += [", ".join(p for p in (f"Kernel `{e.kernel}`" if e.kernel else "",
                                      f"task `{e.task}`" if e.task else "") if p) + ".", ""]
    if e.cycle:
        out += ["**Cycle:** " + " → ".join(f"`{c}`" for c in e.cycle + (e.cycle[0],)), "",
                "| # | held | acquired | established in |", "|---|---|---|---|"]
        for d in e.dependencies:
            cell = _site(d.function).replace("|", "\\|")
            out.append(f"| {d.chain_index}{' (new)' if d.new else ''} | `{d.held}` | `{d.acquired}` | `{cell}` |")
        out += ["", "```", *scenario_lines(e), "", "  *** DEADLOCK ***", "```"]
    return "\n".join(out) + "\n"
