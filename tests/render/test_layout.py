"""Where lock classes sit (splatkit.render.layout), on the corpus's own reports: a drawing meant
for a wide, short canvas (the explorer's 460 px, a report page's) is not laid out as a column,
which fitting it whole would shrink until no label reads. Before the turn, five of the 27
corpus reports of three lock classes or more drew their 14 px labels at 5.2 to 6.4 px when
fitted in a 1,000 x 460 canvas; now the smallest is 10 px."""

from __future__ import annotations

import networkx as nx

import splatkit
from splatkit.render.kind_view import kind_graph
from splatkit.render.layout import FONT_SIZE, VIEW_HEIGHT, VIEW_WIDTH, box_size, positions

from conftest import read_log


def _box(pos: dict, g: nx.DiGraph) -> tuple[float, float]:
    sizes = {n: box_size(str(n)) for n in g}
    xs = [x + s * sizes[n][0] / 2 for n, (x, _y) in pos.items() for s in (-1, 1)]
    ys = [y + s * sizes[n][1] / 2 for n, (_x, y) in pos.items() for s in (-1, 1)]
    return max(xs) - min(xs), max(ys) - min(ys)


def test_every_report_fits_the_canvas_at_a_readable_zoom(corpus_dir):
    checked = []
    for path in sorted((corpus_dir / "report").iterdir()):
        splat = next(iter(splatkit.parse(read_log(path))), None)
        if splat is None:
            continue
        g = kind_graph([splat]).nx
        if len(g) < 3 or nx.number_weakly_connected_components(g) != 1:
            continue
        width, height = _box(positions(g), g)
        label = min(1.0, VIEW_WIDTH / width, VIEW_HEIGHT / height) * FONT_SIZE
        assert label >= 10, (path.name, splat.kind, width, height, label)
        checked.append(path.name)
    assert len(checked) >= 20, checked
