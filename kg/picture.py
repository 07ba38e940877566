"""PNG / SVG pictures of an exported graph, drawn with matplotlib (the ``viz`` extra).

A picture is a landscape page: a title naming the store and the date, the
graph in the positions :mod:`kg.layout` computed (they fill the page's
proportions), nodes in their type colours and sized by degree, and a legend of
the node types present. Labels go to the most connected nodes first, each
placed by textalloc beside its node where its text touches no other label and
no node; a label that finds no such place is left out, so labels never overlap.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import io
import math
import os
import sys
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from .errors import ExportError
from .layout import ASPECT, PALETTE, SIZE_RANGE, UNKNOWN_COLOUR, decorate

PAGE_WIDTH = 12.0                # inches; the height follows from the layout's ASPECT
DPI = 150                        # png: 1800 pixels across
MAX_LABELS = 100                 # label at most this many nodes, the most connected first
LABEL_SIZE = 7.5                 # points
LABEL_CHARS = 30                 # longer labels are cut with an ellipsis
ARROW_LIMIT = 300                # above this many edges, lines without arrow heads (one patch per arrow: slow)
EXTRA = "clinical-pipeline-kg[viz]"


def require(fmt: str) -> None:
    """Refuse ``--format png|svg`` in one line, saying how to install them, when the picture libraries are missing."""
    try:
        import matplotlib  # noqa: F401
        import textalloc  # noqa: F401
    except ImportError as e:
        missing = e.name or str(e)
        raise ExportError(f"--format {fmt} needs matplotlib and textalloc ({missing} is not installed): "
                          f"pip install '{EXTRA}'") from None


@dataclass
class Picture:
    """A drawn page: the matplotlib figure, its graph axes, and the label drawn for each labelled node."""

    figure: Any
    axes: Any
    labels: dict[str, Any] = field(default_factory=dict)


def draw(G, store: str = "", date: str | None = None) -> Picture:
    """The picture of ``G``, titled with ``store`` and ``date`` (default: today, or ``SOURCE_DATE_EPOCH``'s day)."""
    import matplotlib

    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")           # never an interactive backend
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    visual = G.graph.get("visual") or {}
    if len(visual) != len(G) or any("x" not in v for v in visual.values()):
        decorate(G, "spring")           # a picture needs positions even with --layout none
        visual = G.graph["visual"]

    fig = Figure(figsize=(PAGE_WIDTH, PAGE_WIDTH / ASPECT), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_axis_off()
    fig.suptitle(f"Clinical pipeline{f' in {store}' if store else ''}, {date or _today()}", fontsize=14)
    view = G.graph.get("view", "full")
    ax.set_title(f"{view} view: {_count(len(G), 'node')}, {_count(G.number_of_edges(), 'edge')}",
                 fontsize=10, color="#444444")
    pic = Picture(fig, ax)
    if not len(G):
        ax.text(0.5, 0.5, "no nodes in this view", ha="center", va="center", transform=ax.transAxes)
        return pic
    _legend(fig, G)
    pic.labels = _label(ax, G, _draw_graph(ax, G, visual))
    return pic


def render_image(G, fmt: str, store: str = "", date: str | None = None) -> bytes:
    """The picture of ``G`` (see :func:`draw`) as png or svg bytes."""
    require(fmt)
    pic = draw(G, store, date)
    buf = io.BytesIO()
    pic.figure.savefig(buf, format=fmt, dpi="figure", metadata={"Date": None} if fmt == "svg" else None)
    return buf.getvalue()


def _today() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")     # reproducible builds' convention
    if epoch and epoch.strip().isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), _dt.timezone.utc).date().isoformat()
    return _dt.date.today().isoformat()


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _legend(fig, G) -> None:
    """One entry per node type present, in the palette's order; other types as "other"."""
    from matplotlib.lines import Line2D

    present = {d.get("type") for _, d in G.nodes(data=True)}
    entries = [(t, colour) for t, colour in PALETTE.items() if t in present]
    if present - set(PALETTE):
        entries.append(("other", UNKNOWN_COLOUR))
    handles = [Line2D([], [], marker="o", linestyle="", markersize=9, color=colour, label=t) for t, colour in entries]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False)


def _draw_graph(ax, G, visual: dict):
    """Edges, then nodes (a PathCollection, returned); markers shrink when the page is crowded."""
    nodes = list(G)
    pos = {n: (visual[n]["x"], visual[n]["y"]) for n in nodes}
    xs, ys = [p[0] for p in pos.values()], [p[1] for p in pos.values()]
    span = max(max(xs) - min(xs), (max(ys) - min(ys)) * ASPECT, 1e-9)
    pad = 0.06 * span                   # room for the labels of the outer nodes
    ax.set_xlim(min(xs) - pad, max(xs) + pad)
    ax.set_ylim(min(ys) - pad / ASPECT, max(ys) + pad / ASPECT)
    width_pt, height_pt = PAGE_WIDTH * 72 * 0.92, PAGE_WIDTH / ASPECT * 72 * 0.8   # the axes, about
    shrink = min(1.0, 0.8 * math.sqrt(width_pt * height_pt / len(nodes)) / SIZE_RANGE[1])
    sizes = [(visual[n]["size"] * shrink) ** 2 for n in nodes]    # scatter sizes are areas in points²
    arrows = G.is_directed() and G.number_of_edges() <= ARROW_LIMIT
    nx.draw_networkx_edges(G, pos, ax=ax, nodelist=nodes, node_size=sizes, edge_color="#999999", alpha=0.6,
                           width=0.7, arrows=arrows, **({"arrowsize": 7} if arrows else {}))
    return nx.draw_networkx_nodes(G, pos, ax=ax, nodelist=nodes, node_size=sizes,
                                  node_color=[visual[n]["color"] for n in nodes], edgecolors="white", linewidths=0.5)


def _label(ax, G, nodes) -> dict:
    """Label the most connected nodes where their text overlaps no other label and no node."""
    import textalloc

    visual = G.graph["visual"]
    ranked = sorted(G, key=lambda n: (-G.degree(n), -G.nodes[n].get("documents", 0), G.nodes[n].get("label", n)))
    ranked = ranked[:MAX_LABELS]
    with contextlib.redirect_stdout(io.StringIO()):     # textalloc prints when no label fits
        # it lays the figure out (title, legend, axes), then measures each text where it would stand
        _, _, texts, lines = textalloc.allocate(
            ax, [visual[n]["x"] for n in ranked], [visual[n]["y"] for n in ranked],
            [_short(G.nodes[n].get("label", n)) for n in ranked],
            scatter_plot=nodes, textsize=LABEL_SIZE, margin=0.004, min_distance=0.006, max_distance=0.12,
            draw_lines=True, linecolor="#666666", linewidth=0.5, draw_all=False, nbr_candidates=300,
            bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.75})
    for artist in (*texts, *lines):
        if artist is not None:
            artist.set_in_layout(False)     # the page's layout stays the one the labels were placed in
    return {n: t for n, t in zip(ranked, texts) if t is not None}


def _short(text: str, n: int = LABEL_CHARS) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "\u2026"
