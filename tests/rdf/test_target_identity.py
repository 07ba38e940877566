"""kg/rdf/targets.py: a target one release names only by a short name is the same drug's grounded
target of another release, in any order of ingestion, and splits again when that release goes."""
from __future__ import annotations

import pytest
from rdflib import RDF, RDFS, XSD, Dataset, Graph, Literal, URIRef
from rdflib.namespace import SKOS

from kg.rdf.build import Identities
from kg.rdf.identity import DatasetNodes
from kg.rdf.iris import document_iri, entity_iri
from kg.rdf.namespace import CP
from kg.rdf.targets import TargetNode, resolve
from kg.records import entity_key
from kg.store import EmbeddedStore

from .test_drug_identity import in_store as drug_store

RRM2_ID = URIRef("https://identifiers.org/hgnc:10452")
RRM2, R2 = entity_iri(entity_key("Target", "RRM2")), entity_iri(entity_key("Target", "R2"))


def drug(name: str) -> URIRef:
    return entity_iri(entity_key("Drug", name))


def release(doc: str, drug_name: str, target: str, *alt: str, gene: URIRef | None = None) -> Graph:
    """A document graph: ``drug_name`` targets ``target`` (grounded in ``gene`` when given)."""
    g = Graph(identifier=document_iri(doc))
    d, t = drug(drug_name), entity_iri(entity_key("Target", target))
    g.add((d, RDF.type, CP.Drug))
    g.add((d, RDFS.label, Literal(drug_name)))
    g.add((t, RDF.type, CP.Target))
    g.add((t, RDFS.label, Literal(target)))
    for n in alt:
        g.add((t, SKOS.altLabel, Literal(n)))
    if gene is not None:
        g.add((t, SKOS.exactMatch, gene))
    g.add((d, CP.targets, t))
    return g


#: a release grounding the target (its names include "R2"); one naming it "R2" only; another drug's "R2"
RELEASES = {
    "a": ("LOR-2040", "RRM2", "R2", "R2 component of ribonucleotide reductase"),
    "b": ("LOR-2040", "R2"),
    "c": ("ZX-7", "R2"),
}
GROUNDED = {"a": RRM2_ID}


def graph_of(doc: str) -> Graph:
    return release(doc, *RELEASES[doc], gene=GROUNDED.get(doc))


def in_dataset(order) -> Dataset:
    ds = Dataset()
    identities = Identities(DatasetNodes(ds))
    for doc in order:
        g = ds.graph(document_iri(doc))
        g += identities(graph_of(doc))
        identities.written(g)
    return ds


def in_store(path, order, remove=()) -> set:
    return drug_store(path, order, remove, graph_of)


def quads(ds: Dataset) -> set:
    return set(ds.quads())


def test_a_short_name_of_the_same_drugs_target_is_the_grounded_gene():
    ds = in_dataset("abc")
    b = ds.graph(document_iri("b"))
    assert (drug("LOR-2040"), CP.targets, RRM2) in b
    assert (RRM2, RDFS.label, Literal("RRM2")) in b and (RRM2, SKOS.altLabel, Literal("R2")) in b
    assert (RRM2, CP.extractedAs, Literal(str(R2), datatype=XSD.anyURI)) in b     # what its release minted
    assert (RRM2, SKOS.exactMatch, RRM2_ID) not in b       # the grounding is the other release's
    # another drug's "R2" is not joined: nothing says it is the same protein
    assert (drug("ZX-7"), CP.targets, R2) in ds.graph(document_iri("c"))


@pytest.mark.parametrize("order", ["bac", "cba", "bca"])
def test_any_order_gives_the_graph_of_one_order(order):
    assert quads(in_dataset(order)) == quads(in_dataset("abc"))


@pytest.mark.parametrize("order", ["bac", "cba"])
def test_a_stored_release_is_renamed_when_the_grounding_release_comes(tmp_path, order):
    stored = in_store(tmp_path / order, order)
    assert stored == in_store(tmp_path / "clean", "abc")
    assert any(f'<{CP.extractedAs}> "{R2}"' in q for q in stored)


def test_removing_the_grounding_release_splits_the_target_again(tmp_path):
    after = in_store(tmp_path / "s", "abc", remove="a")
    assert after == in_store(tmp_path / "t", "bc")
    assert not any(str(CP.extractedAs) in q for q in after)


def test_the_store_and_a_dataset_agree(tmp_path):
    stored = in_store(tmp_path / "s", "bca")
    in_memory = {f"<{s}> <{p}> {o.n3()} <{g}>" for s, p, o, g in in_dataset("bca").quads()}
    assert {q for q in stored if "/doc/" not in q.split()[0]} == in_memory     # besides the document nodes


def node(names, drugs, genes=(), own=R2):
    return TargetNode(frozenset(names), frozenset(genes), own, frozenset(map(drug, drugs)))


def test_a_release_that_grounds_the_gene_itself_keeps_its_other_target_apart():
    grounded = node({"RRM2", "R2"}, ["LOR-2040"], {str(RRM2_ID)}, RRM2)
    nodes = {("b", R2): node({"R2"}, ["LOR-2040"])}
    known = {("a", RRM2): grounded, **nodes}
    assert resolve(nodes, known, lambda graph, iri: False) == {("b", R2): (RRM2, "RRM2")}
    assert resolve(nodes, known, lambda graph, iri: graph == "b") == {}      # "b" holds an RRM2 node already


def test_two_genes_carrying_the_name_leave_it_ungrounded():
    cd82 = URIRef("https://identifiers.org/hgnc:6210")
    known = {("a", RRM2): node({"RRM2", "R2"}, ["LOR-2040"], {str(RRM2_ID)}, RRM2),
             ("c", entity_iri(entity_key("Target", "CD82"))): node({"CD82", "R2"}, ["LOR-2040"], {str(cd82)})}
    nodes = {("b", R2): node({"r2"}, ["LOR-2040"])}
    assert resolve(nodes, {**known, **nodes}, lambda graph, iri: False) == {}
    # the symbols compare whatever their case: one gene left, "r2" is joined to it
    del known[("c", entity_iri(entity_key("Target", "CD82")))]
    assert resolve(nodes, {**known, **nodes}, lambda graph, iri: False) == {("b", R2): (RRM2, "RRM2")}


def test_same_thing_says_why_the_short_name_is_the_gene(tmp_path):
    from kg.query import load_query, run_query

    ds = in_dataset("ab")
    sentence = "R2-targeted drug LOR-2040."
    b = ds.graph(document_iri("b"))
    st = URIRef(str(document_iri("b")) + "-evidence-1")
    for p, o in ((RDF.type, RDF.Statement), (RDF.subject, drug("LOR-2040")), (RDF.predicate, CP.targets),
                 (RDF.object, RRM2), (CP.evidenceText, Literal(sentence)), (CP.rule, Literal("target.prefix"))):
        b.add((st, p, o))
    with EmbeddedStore(tmp_path / "s") as store:
        for doc in "ab":
            store.replace_document(str(document_iri(doc)), ds.graph(document_iri(doc)), source=doc, content_hash=doc)
    result = run_query(load_query("same-thing"), store=str(tmp_path / "s"), bindings={"label": "RRM2"})
    rows = [dict(zip(result.variables, (t and t.value for t in row))) for row in result.rows]
    r2 = {(r["doc"], r["rule"], r["sentence"]) for r in rows if r["name"] == "R2"}
    assert r2 == {(str(document_iri("a")), None, None),
                  (str(document_iri("b")), "identity.target-of-same-drug", sentence)}


# found at review: what the store's batch, another drug or another gene must not change

def _graphs(spec: dict) -> dict:
    """doc -> its graph, from doc -> [(drug, target label, its other names, its gene or None)]."""
    out = {}
    for doc, targets in spec.items():
        g = Graph(identifier=document_iri(doc))
        for drug_name, target, alt, gene in targets:
            g += release(doc, drug_name, target, *alt, gene=gene)
        out[doc] = g
    return out


CD82_ID = URIRef("https://identifiers.org/hgnc:6210")


@pytest.mark.parametrize("order", ["bad", "abd", "dba"])
def test_a_second_gene_carrying_the_name_keeps_it_apart_whatever_the_batch(tmp_path, order):
    graphs = _graphs({"a": [("LOR-2040", "RRM2", ("R2",), RRM2_ID)], "b": [("LOR-2040", "R2", (), None)],
                      "d": [("LOR-2040", "CD82", ("R2",), CD82_ID)]})
    stored = drug_store(tmp_path / "s", order, (), lambda doc: graphs[doc])
    assert any(f"<{drug('LOR-2040')}> <{CP.targets}> <{R2}> <{document_iri('b')}>" in q for q in stored)
    assert not any(str(CP.extractedAs) in q for q in stored)


@pytest.mark.parametrize("order", ["bae", "bea", "eab"])
def test_two_targets_of_a_release_never_land_on_one_gene(order):
    """b names two drugs' targets "R2" and "M2"; a and e ground both names in one gene."""
    graphs = _graphs({"a": [("LOR-2040", "RRM2", ("R2",), RRM2_ID)], "e": [("GTI-9", "RRM2", ("M2",), RRM2_ID)],
                      "b": [("LOR-2040", "R2", (), None), ("GTI-9", "M2", (), None)]})
    ds = Dataset()
    identities = Identities(DatasetNodes(ds))
    for doc in order:
        g = ds.graph(document_iri(doc))
        g += identities(graphs[doc])
        identities.written(g)
    b = ds.graph(document_iri("b"))
    assert {o for _, o in b.subject_objects(CP.targets)} == {R2, entity_iri(entity_key("Target", "M2"))}


def test_one_node_grounded_in_two_genes_joins_nothing():
    nodes = {("b", R2): node({"R2"}, ["LOR-2040"])}
    known = {("a", RRM2): node({"RRM2", "R2"}, ["LOR-2040"], {str(RRM2_ID)}, RRM2),
             ("c", RRM2): node({"RRM2", "R2"}, ["LOR-2040"], {str(CD82_ID)}, RRM2), **nodes}
    assert resolve(nodes, known, lambda graph, iri: False) == {}
