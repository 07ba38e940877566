"""Visual attributes of an exported graph: a colour per node type, a size by degree, a position.

Every graph format carries them (``viz:`` in GEXF, keys in GraphML, attributes
in graphology JSON) and the pictures (:mod:`kg.picture`) draw them.

Positions fill a page of :data:`ASPECT` (width / height). Each connected
component is laid out on its own (spring with a fixed seed, or ForceAtlas2),
turned so its longer axis lies across the page, and scaled so every
component gives its nodes about the same room. The components are then
packed, largest first, by a skyline packing (each goes where its top stays
lowest, then leftmost) into the strip width whose packing is the most compact
at the page's proportions, and the whole is stretched to exactly those
proportions. The same graph and seed give the same positions.
"""
from __future__ import annotations

import logging
import math

import networkx as nx
import numpy as np

from . import schema
from .errors import ExportError

log = logging.getLogger(__name__)

LAYOUTS = ("spring", "forceatlas2", "none")
LAYOUT_SEED = 42
ASPECT = 4 / 3                   # width / height of the positions' bounding box: a landscape page
SIZE_RANGE = (6.0, 30.0)         # viz:size of the least and the most connected node

#: node type -> colour (a cp:Company is drawn as an Organization)
PALETTE: dict[str, str] = {t.name: t.colour for t in schema.TYPES.values() if t.colour}
UNKNOWN_COLOUR = "#BBBBBB"       # grey: a node whose type is none of the above (--query results only)

GAP = 1.5                        # room between packed components, in units of the room per node
MAX_ELONGATION = 4.0             # a thinner component (a chain) is scaled as if this thin: its length stays in bounds
MAX_STRETCH = 3.0                # filling the page stretches one axis at most this much (a chain stays a line)
STRIP_WIDTHS = 32                # strip widths tried by the packing


def hex_to_rgb(colour: str) -> tuple[int, int, int]:
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def node_sizes(G) -> dict[str, float]:
    """Size by degree: square-root scaled into :data:`SIZE_RANGE`."""
    lo, hi = SIZE_RANGE
    degrees = dict(G.degree())
    if not degrees:
        return {}
    dmax = max(degrees.values())
    return {n: round(lo + (hi - lo) * (math.sqrt(d / dmax) if dmax else 0.0), 2) for n, d in degrees.items()}


def compute_layout(G, layout: str = "spring", seed: int = LAYOUT_SEED,
                   aspect: float = ASPECT) -> dict[str, tuple[float, float]]:
    """Node positions filling a ``aspect`` page; deterministic for a given graph and seed; ``{}`` for ``"none"``."""
    if layout not in LAYOUTS:
        raise ExportError(f"unknown layout {layout!r}: use one of {', '.join(LAYOUTS)}")
    if layout == "none" or len(G) == 0:
        return {}
    H = nx.Graph()                      # layouts want one undirected edge per pair, weights summed
    H.add_nodes_from(G)
    for u, v, w in G.edges(data="weight", default=1):
        if u != v:
            H.add_edge(u, v, weight=H.get_edge_data(u, v, {"weight": 0})["weight"] + w)
    comps = sorted((sorted(c, key=str) for c in nx.connected_components(H)), key=lambda c: (-len(c), str(c[0])))
    shapes = [_shape(_subgraph(H, c), layout, seed) for c in comps]
    pos = _fill(_packed(shapes, aspect), aspect)
    scale = 100.0 * math.sqrt(len(G)) + 100.0   # Gephi's coordinates: grow with the graph
    return {n: (round(float(x) * scale, 3), round(float(y) * scale, 3)) for n, (x, y) in pos.items()}


def _subgraph(H, nodes: list) -> nx.Graph:
    """The subgraph of ``nodes`` with its nodes in that order (``H.subgraph`` keeps a set's order,
    which changes from process to process, and the layouts' random start follows the node order)."""
    sub = nx.Graph()
    sub.add_nodes_from(nodes)
    sub.add_edges_from(H.edges(nodes, data=True))
    return sub


def _shape(sub, layout: str, seed: int) -> dict:
    """One component's positions: centred, longer axis across, about one unit of area per node."""
    nodes = list(sub)
    if len(nodes) == 1:
        return {nodes[0]: (0.0, 0.0)}
    if layout == "forceatlas2":
        raw = nx.forceatlas2_layout(sub, seed=seed, weight="weight")
    else:
        raw = nx.spring_layout(sub, seed=seed, weight="weight")
    P = np.array([raw[n] for n in nodes], dtype=float)
    P -= P.mean(axis=0)
    _, axes = np.linalg.eigh(P.T @ P)               # principal axes, the longer last
    P = P @ axes[:, ::-1]
    P *= np.where((P ** 3).sum(axis=0) < 0, -1.0, 1.0)   # a fixed orientation: the heavier side right and up
    w, h = np.ptp(P, axis=0)
    if w > 0:
        P *= math.sqrt(len(nodes) / (w * max(h, w / MAX_ELONGATION)))
    P = P.round(9)                      # a pair lies flat, not off by rounding noise
    return {n: (float(x), float(y)) for n, (x, y) in zip(nodes, P)}


def _packed(shapes: list[dict], aspect: float) -> dict:
    """The components' positions side by side, packed into the most compact rectangle of ``aspect``."""
    if len(shapes) == 1:
        return shapes[0]
    boxes = []
    for shape in shapes:
        P = np.array(list(shape.values()))
        (left, bottom), (right, top) = P.min(axis=0), P.max(axis=0)
        boxes.append((right - left + GAP, top - bottom + GAP, (left, top)))
    widest, total = max(b[0] for b in boxes), sum(b[0] for b in boxes)
    best = None
    for width in np.geomspace(widest, max(total, widest), STRIP_WIDTHS):
        corners, used, height = _skyline([(w, h) for w, h, _ in boxes], float(width))
        area = max(used, height * aspect) * max(height, used / aspect)   # the page that holds it
        if best is None or area < best[0] - 1e-9:
            best = (area, corners)
    pos = {}
    for shape, (_, _, (left, top)), (x, y) in zip(shapes, boxes, best[1]):
        for n, (px, py) in shape.items():       # y downward in the packing, upward on the page
            pos[n] = (x + GAP / 2 + px - left, -(y + GAP / 2) - (top - py))
    return pos


def _skyline(boxes: list[tuple[float, float]], width: float) -> tuple[list[tuple[float, float]], float, float]:
    """Pack boxes in order into a strip of ``width``, y growing downward: each where its top stays lowest.

    Returns each box's top-left corner, the width used and the height.
    """
    sky = [(0.0, width, 0.0)]           # the skyline: segments (x, width, depth reached)
    corners, used = [], 0.0
    for w, h in boxes:
        best = None
        for i, (x, _, _) in enumerate(sky):
            if x + w > width + 1e-9:
                break
            depth, j = 0.0, i
            while j < len(sky) and sky[j][0] < x + w - 1e-9:
                depth = max(depth, sky[j][2])
                j += 1
            if best is None or depth + h < best[1] + h - 1e-9:
                best = (x, depth)
        x, y = best
        corners.append((x, y))
        used = max(used, x + w)
        cut = []
        for sx, sw, sd in sky:          # the segments left of, right of and under the new box
            if sx + sw <= x + 1e-9 or sx >= x + w - 1e-9:
                cut.append((sx, sw, sd))
            else:
                if sx < x:
                    cut.append((sx, x - sx, sd))
                if sx + sw > x + w:
                    cut.append((x + w, sx + sw - x - w, sd))
        cut.append((x, w, y + h))
        cut.sort()
        sky = []
        for seg in cut:                 # merge neighbours of one depth
            if sky and abs(sky[-1][2] - seg[2]) < 1e-9:
                sky[-1] = (sky[-1][0], sky[-1][1] + seg[1], seg[2])
            else:
                sky.append(seg)
    return corners, used, max(sd for _, _, sd in sky)


def _fill(pos: dict, aspect: float) -> dict:
    """Stretch positions towards a bounding box of ``aspect`` (by :data:`MAX_STRETCH` at most),
    centred on the origin, from -1 to 1 across."""
    P = np.array(list(pos.values()), dtype=float)
    P -= (P.min(axis=0) + P.max(axis=0)) / 2
    w, h = np.ptp(P, axis=0)
    if w > 0 and h > 0:
        P[:, 1] *= min(max(w / (h * aspect), 1 / MAX_STRETCH), MAX_STRETCH)
    if w > 0:
        P *= 2 / w
    elif h > 0:
        P *= 2 / (h * aspect)
    return {n: (x, y) for n, (x, y) in zip(pos, P)}


def decorate(G, layout: str = "spring", seed: int = LAYOUT_SEED) -> None:
    """Store ``colour``, ``size`` and (unless ``layout="none"``) ``x``/``y`` in ``G.graph['visual']``."""
    sizes = node_sizes(G)
    pos = compute_layout(G, layout, seed)
    visual = {}
    for n, data in G.nodes(data=True):
        v = {"color": PALETTE.get(data.get("type"), UNKNOWN_COLOUR), "size": sizes.get(n, SIZE_RANGE[0])}
        if n in pos:
            v["x"], v["y"] = pos[n]
        visual[n] = v
    G.graph["visual"] = visual
    G.graph["layout"] = layout
