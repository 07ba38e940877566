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


def test_label_registry_asks_the_store_first_and_relabels_it_for_a_smaller_label():
    from rdflib import Graph

    iri = "https://w3id.org/cpkg/id/condition/ab"

    class Place:                    # what a store answers, and what it is asked to change
        relabelled: list = []

        def labels(self, iris, skip):
            return {iri: ["Bb disease"]} if iri in iris else {}

        def relabel(self, node, label, skip):
            self.relabelled.append((str(node), label))

    def graph(label):
        g = Graph(identifier=URIRef("https://w3id.org/cpkg/doc/x"))
        g.add((URIRef(iri), RDFS.label, Literal(label)))
        return g

    place = Place()
    g = LabelRegistry(place).harmonize(graph("bb disease"))          # the store's label is smaller
    assert set(g.objects(URIRef(iri), RDFS.label)) == {Literal("Bb disease")}
    assert set(g.objects(URIRef(iri), SKOS.altLabel)) == {Literal("bb disease")} and place.relabelled == []
    g = LabelRegistry(place).harmonize(graph("Ab disease"))          # smaller than the store's: it is relabelled
    assert set(g.objects(URIRef(iri), RDFS.label)) == {Literal("Ab disease")}
    assert place.relabelled == [(iri, "Ab disease")]


PHASE_EV = Evidence(70, 140, "The Phase 1b/2 study of AB-101 in gout is enrolling.", "trial.phase", 1.0)


def _phase_statements(g, trial, p):
    """{value: cp:rule} of the statements reifying ``trial p value``."""
    return {str(g.value(st, RDF.object)): str(g.value(st, CP.rule))
            for st in g.subjects(RDF.subject, trial) if (st, RDF.predicate, p) in g}


def test_a_stated_sub_phase_is_a_sub_phase_beside_its_contract_phase():
    x = extraction()
    x.trials[0].phases.clear()
    for p in ("Phase 1b/2", "Phase 1/2"):          # as normalize_phase gives them: stated, then contract value
        x.trials[0].add("phases", p, PHASE_EV)
    g = build_dataset([(x, "h")]).graph(document_iri("d1"))
    [trial] = g.subjects(RDF.type, CP.ClinicalTrial)
    assert set(g.objects(trial, CP.phase)) == {Literal("Phase 1/2")}
    assert set(g.objects(trial, CP.subPhase)) == {Literal("Phase 1b/2")}
    # each reified once, with the sentence and the rule that stated the phase
    assert _phase_statements(g, trial, CP.phase) == {"Phase 1/2": "trial.phase"}
    assert _phase_statements(g, trial, CP.subPhase) == {"Phase 1b/2": "trial.phase"}
    st = next(st for st in g.subjects(RDF.predicate, CP.subPhase))
    assert str(g.value(st, CP.evidenceText)) == PHASE_EV.text and int(g.value(st, CP.charStart)) == 70


def test_a_sub_phase_alone_still_gives_its_contract_phase():
    # a trial record holding only "Phase 2b" (no contract value beside it) states cp:phase "Phase 2" for it
    x = extraction()
    x.trials[0].phases.clear()
    x.trials[0].add("phases", "Phase 2b", PHASE_EV)
    g = build_dataset([(x, "h")]).graph(document_iri("d1"))
    [trial] = g.subjects(RDF.type, CP.ClinicalTrial)
    assert set(g.objects(trial, CP.phase)) == {Literal("Phase 2")}
    assert set(g.objects(trial, CP.subPhase)) == {Literal("Phase 2b")}
    assert _phase_statements(g, trial, CP.phase) == {"Phase 2": "trial.phase"}


def test_the_document_says_where_its_date_was_read():
    x = extraction()
    x.meta["date_source"] = "file-modified"
    g = build_dataset([(x, "h")]).graph(document_iri("d1"))
    doc = document_iri("d1")
    assert str(g.value(doc, DCTERMS.issued)) == "2024-05-01"
    assert g.value(doc, CP.dateSource) == Literal("file-modified")
    # no date, no date source
    del x.meta["date"]
    g = build_dataset([(x, "h")]).graph(document_iri("d1"))
    assert g.value(doc, DCTERMS.issued) is None and g.value(doc, CP.dateSource) is None
