"""kg/layout.py: positions that fill the page, components packed without overlapping, largest first."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

from kg import export as E
from kg import layout as L

from fixtures_export import crowded_graph, dataset


def bounding_box(points) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def aspect(pos: dict) -> float:
    x0, y0, x1, y1 = bounding_box(pos.values())
    return (x1 - x0) / (y1 - y0)


@pytest.fixture(scope="module")
def crowded():
    return crowded_graph()


@pytest.fixture(scope="module")
def full():
    return E.build_graph(E.Facts.from_quads(E.DatasetSource(dataset()).quads()), "full")


@pytest.mark.parametrize("layout", ["spring", "forceatlas2"])
@pytest.mark.parametrize("graph", ["crowded", "full"])
def test_positions_fill_the_page_proportions(request, graph, layout):
    pos = L.compute_layout(request.getfixturevalue(graph), layout)
    assert aspect(pos) == pytest.approx(L.ASPECT, rel=0.01)


def test_a_page_of_other_proportions_is_filled_too(crowded):
    assert aspect(L.compute_layout(crowded, aspect=2.0)) == pytest.approx(2.0, rel=0.01)


def test_components_are_packed_without_overlapping(crowded):
    pos = L.compute_layout(crowded)
    boxes = [bounding_box([pos[n] for n in c]) for c in nx.weakly_connected_components(crowded)]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            apart = a[2] < b[0] or b[2] < a[0] or a[3] < b[1] or b[3] < a[1]
            assert apart, f"components overlap: {a} and {b}"


def test_the_largest_component_is_not_squeezed(crowded):
    """It keeps the room its nodes need: over half the page's width and height, at most twice as wide as high."""
    pos = L.compute_layout(crowded)
    page = bounding_box(pos.values())
    core = bounding_box([pos[n] for n in max(nx.weakly_connected_components(crowded), key=len)])
    width, height = core[2] - core[0], core[3] - core[1]
    assert width > 0.5 * (page[2] - page[0]) and height > 0.5 * (page[3] - page[1])
    assert 0.5 < width / height < 2.0
    assert core[0] == page[0] and core[3] == page[3], "the largest component comes first, top left"


def test_positions_are_distinct_and_deterministic(crowded):
    pos = L.compute_layout(crowded)
    assert len(set(pos.values())) == len(crowded)
    assert pos == L.compute_layout(crowded_graph())
    assert pos != L.compute_layout(crowded, seed=7)


def test_positions_are_the_same_in_every_process():
    """String hashing changes from process to process: so do set orders, never positions."""
    here = Path(__file__).parent
    code = ("import json; from fixtures_export import crowded_graph; from kg.layout import compute_layout; "
            "print(json.dumps(sorted(compute_layout(crowded_graph()).items())))")
    path = os.pathsep.join([str(here), str(here.parent), os.environ.get("PYTHONPATH", "")])
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": path}).stdout
            for seed in ("1", "2", "3")}
    assert len(runs) == 1 and len(runs.pop()) > 1000


def test_a_lone_node_sits_in_the_middle_and_a_pair_lies_flat():
    G = nx.MultiDiGraph()
    G.add_node("a")
    assert L.compute_layout(G) == {"a": (0.0, 0.0)}
    G.add_edge("a", "b")
    pos = L.compute_layout(G)
    assert pos["a"][1] == pos["b"][1] == 0.0 and pos["a"][0] == -pos["b"][0] != 0.0


def test_filling_the_page_stretches_by_max_stretch_at_most():
    """A page far wider or far higher than a graph of one component: it is stretched so much and no more."""
    G = nx.les_miserables_graph()
    wide, high = aspect(L.compute_layout(G, aspect=100.0)), aspect(L.compute_layout(G, aspect=0.01))
    assert wide / high == pytest.approx(L.MAX_STRETCH ** 2, rel=0.01)
