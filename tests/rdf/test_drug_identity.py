"""kg/rdf/identity.py: one node per drug across releases, whatever the order they are stored in."""
from __future__ import annotations

import pytest
from rdflib import RDF, RDFS, Dataset, Graph, Literal, URIRef
from rdflib.namespace import SKOS

from kg.rdf.build import Identities, build_dataset
from kg.rdf.identity import DatasetNodes, StoreNodes, best_name, distinctive
from kg.rdf.iris import document_iri, entity_iri
from kg.rdf.namespace import CP
from kg.records import entity_key
from kg.store import EmbeddedStore

from .test_build import extraction

TARGET = entity_iri(entity_key("Target", "XO-1"))


def drug(name: str) -> URIRef:
    return entity_iri(entity_key("Drug", name))


def release(doc: str, *names: str) -> Graph:
    """A document graph whose one drug node carries ``names`` (the first its label) and targets XO-1."""
    g = Graph(identifier=document_iri(doc))
    node = drug(names[0])
    g.add((node, RDF.type, CP.Drug))
    g.add((node, RDFS.label, Literal(names[0])))
    for n in names[1:]:
        g.add((node, SKOS.altLabel, Literal(n)))
    g.add((node, CP.targets, TARGET))
    return g


#: "GTI-2040"; "LOR-2040 (formerly GTI-2040)"; "LOR-2040" alone; a release of another drug
RELEASES = {"a": ("GTI-2040",), "b": ("LOR-2040", "GTI-2040"), "c": ("LOR-2040",), "d": ("ZZ-99",)}


def in_dataset(order, releases=RELEASES) -> Dataset:
    ds = Dataset()
    identities = Identities(DatasetNodes(ds))
    for doc in order:
        g = ds.graph(document_iri(doc))
        g += identities(release(doc, *releases[doc]))
        identities.written(g)
    return ds


def in_store(path, order, remove=(), graph_of=lambda doc: release(doc, *RELEASES[doc])) -> set:
    """The named-graph quads of a store given the releases ``order`` (in a batch), then ``remove``
    taken away; ``graph_of(doc)`` gives a release's graph."""
    with EmbeddedStore(path) as store:
        identities = Identities(StoreNodes(store))
        with store.batch(8):
            for doc in order:
                g = identities(graph_of(doc))
                store.replace_document(str(document_iri(doc)), g, source=f"/r/{doc}.txt", content_hash=doc)
                identities.written(g)
        for doc in remove:
            before = identities.place.drugs(str(document_iri(doc)))
            store.remove_source(f"/r/{doc}.txt")
            identities.recompute(before)
        store.flush()
        return {str(q) for q in store.oxigraph if q.graph_name.__class__.__name__ == "NamedNode"}


def quads(ds: Dataset) -> set:
    return {(s, p, o, g) for s, p, o, g in ds.quads()}


def test_a_renamed_drug_is_one_node_under_either_name():
    ds = in_dataset("abc")
    drugs = {s for s, _, _, _ in ds.quads((None, RDF.type, CP.Drug, None))}
    assert drugs == {drug("GTI-2040")}              # the smaller of two codes names the drug
    assert {o for _, _, o, _ in ds.quads((drug("GTI-2040"), RDFS.label, None, None))} == {Literal("GTI-2040")}
    assert (drug("GTI-2040"), CP.targets, TARGET) in ds.graph(document_iri("c"))


@pytest.mark.parametrize("order", ["cab", "bca", "cba", "acb"])
def test_any_order_gives_the_graph_of_one_order(order):
    assert quads(in_dataset(order + "d")) == quads(in_dataset("abcd"))


@pytest.mark.parametrize("order", ["cadb", "dcba", "bdac"])
def test_a_release_that_joins_two_stored_nodes_renames_them(tmp_path, order):
    # stored apart, "c" (LOR-2040) and "a" (GTI-2040) are joined by "b": the graphs already stored are renamed
    stored = in_store(tmp_path / order, order)
    assert stored == in_store(tmp_path / "clean", "abcd")
    assert not any("/drug/lor-2040>" in q for q in stored)


def test_removing_the_release_that_joined_two_names_splits_them_again(tmp_path):
    after = in_store(tmp_path / "s", "abcd", remove="b")
    assert after == in_store(tmp_path / "t", "acd")
    assert any("/drug/lor-2040>" in q for q in after)


def test_the_store_and_a_dataset_agree(tmp_path):
    stored = in_store(tmp_path / "s", "cadb")
    in_memory = {f"<{s}> <{p}> {o.n3()} <{g}>" for s, p, o, g in in_dataset("cadb").quads()}
    assert {q for q in stored if "/doc/" in q.split()[-1]} >= {q for q in in_memory if "Drug" in q or "label" in q.lower()}


def test_short_abbreviations_do_not_join_releases():
    assert not distinctive("AZA") and distinctive("AB-1") and distinctive("valtorimab")
    ds = in_dataset([])
    identities = Identities(DatasetNodes(ds))
    for doc, names in (("p", ("azacitidine", "AZA")), ("q", ("aza-dC", "AZA"))):
        g = ds.graph(document_iri(doc))
        g += identities(release(doc, *names))
        identities.written(g)
    assert len({s for s, _, _, _ in ds.quads((None, RDF.type, CP.Drug, None))}) == 2


def test_the_generic_name_names_the_drug():
    assert best_name({"Genasense", "oblimersen", "G3139"}) == "oblimersen"      # the dictionary's own name
    assert best_name({"Eldepryl", "selegiline"}) == "selegiline"                 # not its brand
    assert best_name({"LOR-2040", "GTI-2040", "antisense"}) == "GTI-2040"       # codes by the IRI they mint


def test_extract_in_reverse_order_gives_the_same_dataset():
    x1 = extraction("d1", drug_name="GTI-2040")
    x1.entities[entity_key("Drug", "GTI-2040")].aliases.add("LOR-2040")
    x2 = extraction("d2", drug_name="LOR-2040")
    x3 = extraction("d3", drug_name="LOR-2040", condition="solid tumours")
    items = [(x1, "h1"), (x2, "h2"), (x3, "h3")]
    assert quads(build_dataset(items)) == quads(build_dataset(items[::-1]))


def test_a_trial_of_a_subtype_answers_the_question_about_its_condition(tmp_path):
    """condition-trials: a castration-resistant prostate cancer trial is a prostate cancer trial."""
    from kg.query import load_query, run_query
    from kg.relations.entities import _condition_identity
    from kg.relations.identity import resolve

    key_name, ids, broader = _condition_identity("castration-resistant prostate cancer", "CRPC")
    assert broader == {entity_key("Condition", "prostatic neoplasms")}
    x1 = extraction("d1", drug_name="AB-101", condition=key_name)
    crpc = x1.entities[entity_key("Condition", key_name)]
    crpc.ids, crpc.broader = ids, broader
    x2 = extraction("d2", drug_name="CD-202", condition="prostatic neoplasms")
    x2.entities[entity_key("Drug", "CD-202")].aliases = {"CD-202"}        # the fixture's "AB 101" would join them
    x2.entities[entity_key("Condition", "prostatic neoplasms")].ids.add("http://id.nlm.nih.gov/mesh/D017430")
    ds = build_dataset([(resolve(x1), "h1"), (resolve(x2), "h2")])
    with EmbeddedStore(tmp_path / "s") as store:
        for doc in ("d1", "d2"):
            store.replace_document(str(document_iri(doc)), ds.graph(document_iri(doc)), source=doc, content_hash=doc)
    result = run_query(load_query("condition-trials"), store=str(tmp_path / "s"),
                       bindings={"conditionLabel": "prostatic cancer"})
    rows = [dict(zip(result.variables, (t and t.value for t in row))) for row in result.rows]
    assert sorted(r["drugLabel"] for r in rows) == ["AB-101", "CD-202"]
    assert {r["drugLabel"]: r["studied"] for r in rows}["AB-101"].startswith("castration-resistant")


def test_same_thing_shows_the_rule_and_sentence_that_joined_two_names(tmp_path):
    from kg.query import load_query, run_query
    from kg.records import Evidence

    why = Evidence(0, 40, "LOR-2040 (formerly GTI-2040) is an antisense drug.", "alias.former-name", 1.0)
    x1 = extraction("d1", drug_name="GTI-2040")
    x1.entities[entity_key("Drug", "GTI-2040")].aliases = {"GTI-2040", "LOR-2040"}
    x1.entities[entity_key("Drug", "GTI-2040")].joined["LOR-2040"] = why
    x2 = extraction("d2", drug_name="LOR-2040")
    x2.entities[entity_key("Drug", "LOR-2040")].aliases = {"LOR-2040"}
    ds = build_dataset([(x1, "h1"), (x2, "h2")])
    with EmbeddedStore(tmp_path / "s") as store:
        for doc in ("d1", "d2"):
            store.replace_document(str(document_iri(doc)), ds.graph(document_iri(doc)), source=doc, content_hash=doc)
    result = run_query(load_query("same-thing"), store=str(tmp_path / "s"), bindings={"label": "GTI-2040"})
    rows = [dict(zip(result.variables, (t and t.value for t in row))) for row in result.rows]
    lor = [r for r in rows if r["name"] == "LOR-2040"]
    assert len(lor) == 2                                       # both releases call it LOR-2040
    assert {(r["rule"], r["sentence"]) for r in lor} == {("alias.former-name", why.text), (None, None)}
    assert [r["rule"] for r in rows if r["name"] == "GTI-2040"] == [None]


#: two releases spelling one code two ways, and no other name they share (found at review)
SPELLINGS = {"p": ("AB-101",), "q": ("Ab-101", "Zorbexa")}


def test_one_code_spelt_two_ways_is_one_drug_with_one_label(tmp_path):
    ds = in_dataset("pq", SPELLINGS)
    assert {str(o) for _, _, o, _ in ds.quads((drug("AB-101"), RDFS.label, None, None))} == {"AB-101"}
    assert quads(ds) == quads(in_dataset("qp", SPELLINGS))
    graph_of = lambda doc: release(doc, *SPELLINGS[doc])            # noqa: E731
    both = in_store(tmp_path / "pq", "pq", graph_of=graph_of)
    assert both == in_store(tmp_path / "qp", "qp", graph_of=graph_of)
    # the second release gone, the first is as it was alone
    assert in_store(tmp_path / "r", "pq", remove="q", graph_of=graph_of) == in_store(tmp_path / "p", "p", graph_of=graph_of)
