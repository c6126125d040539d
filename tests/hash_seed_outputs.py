"""Write the views of the seed, of corpus reports and of generated lock graphs into a folder.

Run by tests/test_hash_seed.py once per ``PYTHONHASHSEED``: the folders must hold the same
bytes. ``python tests/hash_seed_outputs.py OUT SHARED`` (SHARED: the shared material's folder).
Each file is one view: a report's HTML page, its text and Markdown explanation; a merged
graph's page and JSON; generated graphs' pages (the 3,000-class one is what the browser
benchmark draws); the explorer's first view (when ipywidgets is installed).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from splatkit import LockGraph, parse
from splatkit.render.explain import explain_markdown, explain_text
from splatkit.render.graph_page import graph_page_html
from splatkit.render.graphfile import node_link
from splatkit.render.html import report_html
from splatkit.synthetic import big_lock_graph

#: Generated graphs drawn: class counts (the seed's report merged into each).
BIG = (50, 200, 1000, 3000)


def _reports(shared: Path) -> list[tuple[str, str]]:
    """A spread of corpus reports, each as (file name, text)."""
    wild = sorted((shared / "corpus" / "wild" / "splats").glob("*.txt"))
    syz = sorted(p for p in (shared / "corpus" / "syzkaller" / "report").iterdir() if p.is_file())
    return [(p.name, p.read_text(encoding="utf-8", errors="replace")) for p in wild + syz]


def main(out: Path, shared: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)

    def put(name: str, text: str) -> None:
        (out / name).write_text(text, encoding="utf-8")

    (seed,) = parse((shared / "seed" / "kvm-cpuhp-lockdep-email.txt").read_text(encoding="utf-8"))
    put("seed.html", report_html(seed, source="seed"))
    put("seed.txt", explain_text(seed))
    put("seed.md", explain_markdown(seed))
    reports = _reports(shared)
    splats = [s for _name, text in reports for s in parse(text)]
    for name, text in reports[::12]:
        for i, splat in enumerate(parse(text)[:2]):
            put(f"{name}-{i}.html", report_html(splat, source=name))
            put(f"{name}-{i}.txt", explain_text(splat))
            put(f"{name}-{i}.md", explain_markdown(splat))
    merged = LockGraph.from_splats(splats)
    put("merged.html", graph_page_html(merged, title="corpus", splats=splats))
    put("merged.json", node_link(merged, merged.cycles()))
    for n in BIG:
        put(f"big-{n}.html", graph_page_html(big_lock_graph(n, seed), title=f"{n} classes", splats=[seed]))
    try:
        from splatkit.widgets import explore
    except ImportError:  # (no widgets installed: the core's views only)
        return
    explorer = explore(splats[:12])
    put("explorer.json", json.dumps({"cycles": explorer.cycles, "cycle_index": explorer.cycle_index,
                                     "selected_edge": explorer.selected_edge, "nodes": explorer.graph.nodes,
                                     "edges": explorer.graph.edges}, sort_keys=True))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
