"""kg/rdf/build.py: the graph builder follows the contract (named graphs, labels, evidence)."""
from __future__ import annotations

from rdflib import RDF, RDFS, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, SKOS

from kg.rdf.build import LabelRegistry, build_dataset
from kg.rdf.iris import document_iri, entity_iri
from kg.rdf.namespace import CP
from kg.records import Assertion, Entity, Evidence, Extraction, Trial, entity_key

EV = Evidence(10, 60, "AB-101 is an inhibitor of XO-1 in a Phase 2 trial in gout.", "target.inhibitor-of", 0.9)


def extraction(doc_id="d1", drug_name="AB-101", condition="gout"):
    drug, target = entity_key("Drug", drug_name), entity_key("Target", "XO-1")
    cond, company = entity_key("Condition", condition), entity_key("Company", "Acme")
    x = Extraction(doc_id, f"/data/{doc_id}.txt", {"title": "Acme starts trial", "date": "2024-05-01",
                                                 "tickers": ["NASDAQ:ACME"]})
    x.entities = {
        drug: Entity(drug, "Drug", drug_name, {drug_name, "AB 101"}, {"https://go.drugbank.com/drugs/DB00001"}),
        target: Entity(target, "Target", "XO-1", {"XO-1"}),
        cond: Entity(cond, "Condition", condition, {condition}),
        company: Entity(company, "Company", "Acme", {"Acme Inc."}),
    }
    x.companies = [company]
    t = Trial("t1")
    t.add("drugs", drug, EV)
    t.add("conditions", cond, EV)
    t.add("sponsors", company, EV)
    t.add("phases", "Phase 2", EV)
    t.status = "ongoing"
    t.evidence["status|ongoing"] = EV
    x.trials = [t]
    x.assertions = [Assertion(drug, "targets", target, EV), Assertion(drug, "developedBy", company, EV)]
    return x


def test_one_named_graph_per_document_with_metadata():
    ds = build_dataset([(extraction("d1"), "h1"), (extraction("d2"), "h2")])
    graphs = {g.identifier for g in ds.graphs() if len(g)}
    assert graphs == {document_iri("d1"), document_iri("d2")}
    g = ds.graph(document_iri("d1"))
    doc = document_iri("d1")
    assert (doc, RDF.type, CP.Document) in g
    assert g.value(doc, DCTERMS.source) == Literal("/data/d1.txt")
    assert str(g.value(doc, DCTERMS.issued)) == "2024-05-01"
    assert g.value(doc, CP.contentHash) == Literal("h1")
    assert g.value(doc, DCTERMS.publisher) == entity_iri(entity_key("Company", "Acme"))


def test_entities_have_one_label_alt_labels_and_exact_match():
    g = build_dataset([(extraction(), "h")]).graph(document_iri("d1"))
    drug = entity_iri(entity_key("Drug", "AB-101"))
    assert list(g.objects(drug, RDFS.label)) == [Literal("AB-101")]
    assert Literal("AB 101") in set(g.objects(drug, SKOS.altLabel))
    assert URIRef("https://go.drugbank.com/drugs/DB00001") in set(g.objects(drug, SKOS.exactMatch))
    company = entity_iri(entity_key("Company", "Acme"))
    assert {CP.Company, CP.Organization} <= set(g.objects(company, RDF.type))


def test_every_fact_is_reified_once_with_its_evidence():
    g = build_dataset([(extraction(), "h")]).graph(document_iri("d1"))
    facts = [(s, p, o) for s, p, o in g if p in (CP.targets, CP.developedBy, CP.studiesDrug, CP.sponsor,
                                                 CP.studiesCondition, CP.phase, CP.status, CP.investigatedFor)]
    assert len(facts) == 8       # two drug facts, five trial facts, investigatedFor from the trial
    for s, p, o in facts:
        statements = list(g.subjects(RDF.subject, s))
        st = [x for x in statements if (x, RDF.predicate, p) in g and (x, RDF.object, o) in g]
        assert len(st) == 1, (s, p, o)
        st = st[0]
        assert g.value(st, PROV.wasDerivedFrom) == document_iri("d1")
        assert int(g.value(st, CP.charStart)) == 10 and int(g.value(st, CP.charEnd)) == 60
        assert str(g.value(st, CP.rule)) and 0 < float(g.value(st, CP.confidence)) <= 1


def test_trial_investigated_for_is_materialised():
    g = build_dataset([(extraction(), "h")]).graph(document_iri("d1"))
    drug, cond = entity_iri(entity_key("Drug", "AB-101")), entity_iri(entity_key("Condition", "gout"))
    assert (drug, CP.investigatedFor, cond) in g


def test_label_registry_keeps_one_label_per_entity_across_documents():
    ds = build_dataset([(extraction("d1", condition="solid tumors"), "h1"),
                        (extraction("d2", condition="solid tumours"), "h2")])
    cond = entity_iri(entity_key("Condition", "solid tumors"))
    labels = {o for _, _, o, _ in ds.quads((cond, RDFS.label, None, None))}
    assert labels == {Literal("solid tumors")}
    assert Literal("solid tumours") in set(ds.graph(document_iri("d2")).objects(cond, SKOS.altLabel))


def test_label_registry_asks_the_store_first():
    from rdflib import Graph
    g = Graph()
    iri = "https://w3id.org/cpkg/id/drug/ab-101"
    g.add((URIRef(iri), RDFS.label, Literal("Ab-101")))
    reg = LabelRegistry(lookup=lambda iris: {iri: ["AB-101"]} if iri in iris else {})
    reg.harmonize(g)
    assert set(g.objects(URIRef(iri), RDFS.label)) == {Literal("AB-101")}
    assert set(g.objects(URIRef(iri), SKOS.altLabel)) == {Literal("Ab-101")}


def test_a_drug_renamed_in_one_release_is_one_node_in_later_ones():
    # release 1: "LOR-2040 (formerly GTI-2040)" -> one drug with both names; release 2 names only LOR-2040
    x1 = extraction("d1", drug_name="GTI-2040")
    x1.entities[entity_key("Drug", "GTI-2040")].aliases.add("LOR-2040")
    x2 = extraction("d2", drug_name="LOR-2040")
    ds = build_dataset([(x1, "h1"), (x2, "h2")])
    drugs = {s for s, _, _, _ in ds.quads((None, RDF.type, CP.Drug, None))}
    assert drugs == {entity_iri(entity_key("Drug", "GTI-2040"))}
    g2 = ds.graph(document_iri("d2"))
    assert (entity_iri(entity_key("Drug", "GTI-2040")), CP.targets, entity_iri(entity_key("Target", "XO-1"))) in g2


def test_short_abbreviations_do_not_join_documents():
    from kg.rdf.build import DrugIdentities
    assert not DrugIdentities.distinctive("AZA") and DrugIdentities.distinctive("AB-1") \
        and DrugIdentities.distinctive("valtorimab")


def test_names_resolve_in_a_run_as_the_store_resolves_them_in_the_next():
    """A run resumed after an interruption gives the store of one clean run: a name carried by two drug
    nodes maps to the same node whether this run saw it or the store answers for it (the smaller IRI)."""
    from rdflib import Graph

    from kg.rdf.build import DrugIdentities

    def drug(iri, *names):
        g = Graph()
        node = URIRef(f"{CP}id/drug/{iri}")
        g.add((node, RDF.type, CP.Drug))
        g.add((node, RDFS.label, Literal(names[0])))
        for n in names[1:]:
            g.add((node, SKOS.altLabel, Literal(n)))
        return g

    def releases():
        return [drug("zz-302", "ZZ-302"), drug("aa-301", "AA-301"), drug("aa-301", "AA-301", "ZZ-302")]

    one_run = DrugIdentities()
    for g in releases():
        one_run.resolve(g)
    in_run = set(one_run.resolve(drug("zz302", "ZZ-302")).subjects(RDF.type, CP.Drug))

    first_run = DrugIdentities()
    stored = [first_run.resolve(g) for g in releases()]

    def lookup(names):      # what the store answers: the smallest IRI of the drug nodes carrying each name
        out = {}
        for g in stored:
            for s in g.subjects(RDF.type, CP.Drug):
                for n in (*g.objects(s, RDFS.label), *g.objects(s, SKOS.altLabel)):
                    if str(n) in names:
                        out[str(n)] = min(out.get(str(n), str(s)), str(s))
        return out

    resumed = set(DrugIdentities(lookup).resolve(drug("zz302", "ZZ-302")).subjects(RDF.type, CP.Drug))
    assert in_run == resumed == {URIRef(f"{CP}id/drug/aa-301")}
