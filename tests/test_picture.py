"""kg/picture.py: PNG / SVG pictures, measured on matplotlib's own renderer.

Labels are measured where they are drawn (the extent of each label's box as
the renderer lays it out), nodes where their markers stand; the pages are the
export fixture's views and a graph too crowded to label every node.
"""
from __future__ import annotations

import sys
import xml.etree.ElementTree as ET

import pytest
from rdflib import RDF, RDFS, Literal, URIRef

from kg import export as E
from kg import picture as P
from kg.cli import main
from kg.errors import ExportError

from fixtures_export import crowded_graph, dataset, drug_target_graph

STORE = "out/pipeline-store"


@pytest.fixture(scope="module")
def facts():
    return E.Facts.from_quads(E.DatasetSource(dataset()).quads())


def view(facts, name):
    G = E.build_graph(facts, name)
    E.decorate(G, "spring")
    return G


def drawn(G, **kw) -> P.Picture:
    pic = P.draw(G, **kw)
    pic.figure.canvas.draw()            # as savefig renders it
    return pic


@pytest.fixture(scope="module")
def crowded():
    G = crowded_graph()
    E.decorate(G, "spring")
    return drawn(G, store=STORE, date="2026-05-04"), G


@pytest.fixture(scope="module")
def full(facts):
    G = view(facts, "full")
    return drawn(G, store=STORE), G


def label_boxes(pic: P.Picture) -> dict:
    renderer = pic.figure.canvas.get_renderer()
    return {n: t.get_bbox_patch().get_window_extent(renderer) for n, t in pic.labels.items()}


def node_centres(pic: P.Picture, G) -> dict:
    visual = G.graph["visual"]
    return {n: tuple(pic.axes.transData.transform((visual[n]["x"], visual[n]["y"]))) for n in G}


@pytest.mark.parametrize("page", ["crowded", "full"])
def test_labels_never_overlap_each_other(request, page):
    pic, _ = request.getfixturevalue(page)
    boxes = list(label_boxes(pic).items())
    assert len(boxes) >= 10
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1:]:
            assert not box_a.overlaps(box_b), f"labels of {a!r} and {b!r} overlap"


@pytest.mark.parametrize("page", ["crowded", "full"])
def test_labels_cover_no_node_and_stay_on_the_page(request, page):
    pic, G = request.getfixturevalue(page)
    page_box = pic.figure.bbox
    centres = node_centres(pic, G)
    for n, box in label_boxes(pic).items():
        assert page_box.x0 <= box.x0 and box.x1 <= page_box.x1 and page_box.y0 <= box.y0 and box.y1 <= page_box.y1
        covered = [m for m, (x, y) in centres.items() if box.contains(x, y)]
        assert not covered, f"the label of {n!r} covers {covered}"


def test_the_most_connected_nodes_are_labelled_first(crowded):
    pic, G = crowded
    assert len(pic.labels) < len(G), "the crowded graph cannot have every label: it tests the choice"
    hubs = sorted(G, key=lambda n: -G.degree(n))[:5]
    assert set(hubs) <= set(pic.labels)
    assert {t.get_text() for t in pic.labels.values()} >= {G.nodes[n]["label"] for n in hubs}


@pytest.mark.parametrize("layout", ["spring", "forceatlas2"])
def test_every_node_of_a_small_drug_target_view_has_a_label(layout):
    G = drug_target_graph()
    E.decorate(G, layout)
    pic = drawn(G)
    assert len(G) > 30 and set(pic.labels) == set(G)
    assert {t.get_text() for t in pic.labels.values()} == {d["label"] for _, d in G.nodes(data=True)}


@pytest.mark.parametrize("page", ["crowded", "full"])
def test_the_graph_fills_its_frame(request, page):
    """Nodes reach across the page's frame both ways: no strip, no row off to one side."""
    pic, G = request.getfixturevalue(page)
    frame = pic.axes.get_window_extent()
    xs, ys = zip(*node_centres(pic, G).values())
    assert (max(xs) - min(xs)) > 0.85 * frame.width and (max(ys) - min(ys)) > 0.85 * frame.height


def test_the_legend_lists_the_node_types_present(facts, crowded):
    full = drawn(view(facts, "full"))
    targets = drawn(view(facts, "drug-target"))
    def entries(pic):
        return [t.get_text() for t in pic.figure.legends[0].get_texts()]
    assert entries(full) == ["Drug", "Target", "Condition", "ClinicalTrial", "Organization"]
    assert entries(targets) == ["Drug", "Target"]
    colours = [h.get_color() for h in targets.figure.legends[0].legend_handles]
    assert colours == [E.PALETTE["Drug"], E.PALETTE["Target"]]


def test_a_type_outside_the_palette_is_other_in_the_legend(facts):
    G = view(facts, "drug-target")
    G.nodes[next(iter(G))]["type"] = "Unknown"
    assert [t.get_text() for t in drawn(G).figure.legends[0].get_texts()][-1] == "other"


def test_the_title_names_the_store_the_date_and_the_view(crowded):
    pic, G = crowded
    title = pic.figure.get_suptitle()
    assert STORE in title and "2026-05-04" in title
    assert pic.axes.get_title() == f"full view: {len(G)} nodes, {G.number_of_edges()} edges"


def test_the_date_is_today_or_source_date_epoch(facts, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")      # 2026-01-01T00:00:00Z
    assert P.draw(view(facts, "drug-target")).figure.get_suptitle().endswith("2026-01-01")


def test_kg_export_titles_the_picture_with_the_store(tmp_path):
    from kg.store import EmbeddedStore

    store = tmp_path / "trial-store"
    drug = URIRef("https://w3id.org/cpkg/id/drug/aa-1")
    with EmbeddedStore(store) as s:
        s.replace_document("https://w3id.org/cpkg/doc/0a", [(drug, RDF.type, URIRef("https://w3id.org/cpkg/Drug")),
                                                            (drug, RDFS.label, Literal("AA-1"))],
                           source="/docs/a.txt", content_hash="h")
    out = tmp_path / "picture.svg"
    assert main(["export", "--format", "svg", "-o", str(out), "--store", str(store)]) == 0
    svg = out.read_text(encoding="utf-8")          # matplotlib draws text as paths, each after a comment
    ET.fromstring(svg)
    assert f"<!-- Clinical pipeline in {store}, " in svg and "<!-- AA-1 -->" in svg


def test_an_empty_view_says_so(facts):
    G = view(facts, "drug-target")
    G.remove_nodes_from(list(G))
    pic = drawn(G)
    assert [t.get_text() for t in pic.axes.texts] == ["no nodes in this view"] and not pic.figure.legends


@pytest.mark.parametrize("missing", ["matplotlib", "textalloc"])
@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_without_the_viz_extra_a_picture_fails_in_one_line_saying_how_to_install(
        missing, fmt, monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, missing, None)        # import fails as if it were not installed
    out = tmp_path / f"picture.{fmt}"
    with pytest.raises(ExportError, match=rf"--format {fmt} needs .*{missing} is not installed.*"
                                          rf"pip install 'clinical-pipeline-kg\[viz\]'"):
        E.export_source(E.DatasetSource(dataset()), fmt, output=out)
    assert main(["export", "--format", fmt, "-o", str(out), "--store", str(tmp_path / "none")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("kg: error: --format") and "[viz]" in err
    assert not out.exists()


def test_the_graph_formats_need_no_picture_library(monkeypatch, tmp_path):
    for name in ("matplotlib", "textalloc"):
        monkeypatch.setitem(sys.modules, name, None)
    out = tmp_path / "pipeline.gexf"
    assert E.export_source(E.DatasetSource(dataset()), "gexf", output=out)
    assert "viz:position" in out.read_text(encoding="utf-8")


def test_labels_are_cut_with_an_ellipsis():
    assert P._short("Phase 2 trial of GTI-2040 in combination with docetaxel") == "Phase 2 trial of GTI-2040 in\u2026"
    assert len(P._short("x" * 100)) == P.LABEL_CHARS
    assert P._short("GTI-2040") == "GTI-2040"
