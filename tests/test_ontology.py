"""The ontology (``ontology/cpkg.ttl``) and its shapes (``ontology/shapes.ttl``) against the code.

- both files parse; the ontology declares every term of :class:`kg.rdf.namespace.CP`,
  with a label, a comment and (properties) the contract's domain and range, and no
  ``cp:`` term that ``CP`` lacks, so the two cannot drift;
- every entity type and relation of the registry (:mod:`kg.schema`) is declared with the
  parent class, domain and range the registry gives it (the registry itself is checked
  against CONTRACT.md in ``tests/test_schema.py``);
- the shapes are valid SHACL, check the same domains and ranges as the ontology, and list
  the registry's types and relations;
- a document graph built by :func:`kg.rdf.build.add_document` from hand-made records
  conforms, and graphs broken in one specific way do not, each for the expected reason.

No spaCy model is loaded here. Requires pySHACL (``pyshacl==0.40.1``).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, XSD, BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, PROV, SH, SKOS

from kg.rdf.build import add_document
from kg.rdf.iris import document_iri, entity_iri, trial_iri
from kg.rdf.namespace import BASE, CP
from kg.records import Assertion, Entity, Evidence, Extraction, Trial
from kg.schema import DATE_SOURCES, RELATIONS, TYPES

ONTOLOGY_DIR = Path(__file__).resolve().parents[1] / "ontology"
CPKG = ONTOLOGY_DIR / "cpkg.ttl"
SHAPES = ONTOLOGY_DIR / "shapes.ttl"
CPSH = Namespace("https://w3id.org/cpkg/shapes/")

CONTRACT_PHASES = {"Phase 1", "Phase 1/2", "Phase 2", "Phase 2/3", "Phase 3", "Phase 4"}
CONTRACT_STATUSES = {"planned", "ongoing", "completed", "terminated"}


def registry_range(rel) -> URIRef:
    """The ``rdfs:range`` a registry relation gives its property: a cp: class or an XSD datatype."""
    return XSD[rel.datatype] if rel.literal else TYPES[rel.object].iri


# The terms the namespace module adds to the registry's fact properties (kg.schema).
ADDITIONS = {
    CP.partOf: (CP.Organization, CP.Organization),
    CP.extractedAs: (CP.Target, XSD.anyURI),
    CP.trialName: (CP.ClinicalTrial, XSD.string),
    CP.subPhase: (CP.ClinicalTrial, XSD.string),
    CP.role: (CP.Organization, XSD.string),
    CP.ticker: (CP.Document, XSD.string),
    CP.contentHash: (CP.Document, XSD.string),
    CP.dateSource: (CP.Document, XSD.string),
    CP.screenedOut: (CP.Document, XSD.boolean),
    CP.evidenceText: (RDF.Statement, XSD.string),
    CP.charStart: (RDF.Statement, XSD.integer),
    CP.charEnd: (RDF.Statement, XSD.integer),
    CP.rule: (RDF.Statement, XSD.string),
    CP.confidence: (RDF.Statement, XSD.decimal),
}
DOMAIN_RANGE = {**{r.iri: (TYPES[r.subject].iri, registry_range(r)) for r in RELATIONS.values()}, **ADDITIONS}
CLASSES = {t.iri for t in TYPES.values()} | {CP.Document}
DECLARATION_TYPES = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDF.Property)
TERM_LOCAL = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def cp_terms_in(g: Graph) -> set[URIRef]:
    """Every IRI of the form cp:localName used anywhere in ``g`` (not cpid:, cpdoc:, shapes or releases)."""
    found = set()
    for triple in g:
        for t in triple:
            if isinstance(t, URIRef) and t.startswith(BASE) and TERM_LOCAL.fullmatch(t[len(BASE):]):
                found.add(t)
    return found


@pytest.fixture(scope="module")
def onto() -> Graph:
    return Graph().parse(CPKG, format="turtle")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(SHAPES, format="turtle")


@pytest.fixture(scope="module")
def pyshacl():
    try:
        import pyshacl
    except ImportError:  # pragma: no cover - a missing dependency must fail loudly, not skip
        pytest.fail("pySHACL is needed to check ontology/shapes.ttl: pip install pyshacl==0.40.1")
    return pyshacl


# ---------------------------------------------------------------------------
# (a) the ontology parses and describes itself
# ---------------------------------------------------------------------------

def test_ontology_parses_with_a_header(onto):
    header = URIRef(BASE)
    assert (header, RDF.type, OWL.Ontology) in onto
    for p in (DCTERMS.title, DCTERMS.description, OWL.versionInfo, DCTERMS.license):
        assert onto.value(header, p) is not None, f"ontology header lacks {p}"
    created = onto.value(header, DCTERMS.created)
    assert isinstance(created, Literal) and created.datatype == XSD.date


# ---------------------------------------------------------------------------
# (b) the ontology and the closed namespace agree, term for term
# ---------------------------------------------------------------------------

def test_every_namespace_term_is_declared_with_label_and_comment(onto):
    missing = []
    for term in dir(CP):
        kinds = set(onto.objects(term, RDF.type)) & set(DECLARATION_TYPES)
        if not kinds or onto.value(term, RDFS.label) is None or onto.value(term, RDFS.comment) is None:
            missing.append(term)
    assert missing == []


def test_no_cp_term_in_the_ontology_or_shapes_is_missing_from_the_namespace(onto, shapes):
    in_namespace = set(dir(CP))
    assert cp_terms_in(onto) - in_namespace == set()
    assert cp_terms_in(shapes) - in_namespace == set()
    declared = {s for t in DECLARATION_TYPES for s in onto.subjects(RDF.type, t)
                if isinstance(s, URIRef) and s.startswith(BASE)}
    assert declared == in_namespace


def test_classes_and_properties_have_the_right_kind(onto):
    for term in dir(CP):
        if term in CLASSES:
            assert (term, RDF.type, OWL.Class) in onto, term
        else:
            kind = OWL.DatatypeProperty if DOMAIN_RANGE[term][1].startswith(str(XSD)) else OWL.ObjectProperty
            assert (term, RDF.type, kind) in onto, f"{term} should be a {kind}"
    assert set(dir(CP)) == CLASSES | set(DOMAIN_RANGE), "a term of CP is neither a class nor in DOMAIN_RANGE"


@pytest.mark.parametrize("prop", sorted(ADDITIONS), ids=lambda p: p[len(BASE):])
def test_added_property_domain_and_range(onto, prop):
    domain, range_ = ADDITIONS[prop]
    assert set(onto.objects(prop, RDFS.domain)) == {domain}
    assert set(onto.objects(prop, RDFS.range)) == {range_}


# ---------------------------------------------------------------------------
# (b') the ontology and the registry (kg.schema) agree
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("rel", list(RELATIONS.values()), ids=lambda r: r.name)
def test_registry_relation_is_declared_with_its_domain_and_range(onto, rel):
    kind = OWL.DatatypeProperty if rel.literal else OWL.ObjectProperty
    assert (rel.iri, RDF.type, kind) in onto, f"cp:{rel.name} should be declared a {kind}"
    assert set(onto.objects(rel.iri, RDFS.domain)) == {TYPES[rel.subject].iri}
    assert set(onto.objects(rel.iri, RDFS.range)) == {registry_range(rel)}
    assert onto.value(rel.iri, RDFS.label) is not None and onto.value(rel.iri, RDFS.comment) is not None


@pytest.mark.parametrize("etype", list(TYPES.values()), ids=lambda t: t.name)
def test_registry_type_is_declared_with_its_parent(onto, etype):
    assert (etype.iri, RDF.type, OWL.Class) in onto
    assert onto.value(etype.iri, RDFS.label) is not None and onto.value(etype.iri, RDFS.comment) is not None
    cp_parents = {o for o in onto.objects(etype.iri, RDFS.subClassOf) if str(o).startswith(BASE)}
    assert cp_parents == ({TYPES[etype.parent].iri} if etype.parent else set())


def test_phase_documents_contract_values_and_sub_phases(onto):
    text = " ".join(str(o) for o in onto.objects(CP.phase, RDFS.comment))
    for value in CONTRACT_PHASES:
        assert f'"{value}"' in text, value
    assert "cp:subPhase" in text and "in addition to its contract value" not in text
    sub = " ".join(str(o) for o in onto.objects(CP.subPhase, RDFS.comment))
    assert "Phase 2b" in sub and "cp:phase" in sub


def test_alignment_iris_use_one_form_per_vocabulary(onto):
    iris = {t for triple in onto for t in triple if isinstance(t, URIRef)}
    assert not {i for i in iris if i.startswith("https://schema.org/")}, "schema.org terms use http://schema.org/"
    assert not {i for i in iris if "biolink" in i and not i.startswith("https://w3id.org/biolink/vocab/")}
    aligned = {o for p in (RDFS.subClassOf, RDFS.subPropertyOf, SKOS.closeMatch, SKOS.relatedMatch)
               for o in onto.objects(None, p)}
    for prefix in ("http://schema.org/", "https://w3id.org/biolink/vocab/", str(PROV)):
        assert any(str(o).startswith(prefix) for o in aligned), f"no alignment to {prefix}"
    # the contract's explicit equivalences
    assert (CP.investigatedFor, SKOS.closeMatch, URIRef("https://w3id.org/biolink/vocab/in_clinical_trials_for")) in onto
    assert (CP.Document, RDFS.subClassOf, PROV.Entity) in onto


# ---------------------------------------------------------------------------
# (c) the shapes are valid SHACL and agree with the ontology
# ---------------------------------------------------------------------------

def test_shapes_are_valid_shacl(pyshacl, shapes):
    # meta_shacl validates the shapes graph against the SHACL-SHACL shapes first
    conforms, _, text = pyshacl.validate(Graph(), shacl_graph=shapes, meta_shacl=True, advanced=True)
    assert conforms, text


def test_meta_shacl_check_rejects_a_malformed_shape(pyshacl, shapes):
    broken = Graph()
    for t in shapes:
        broken.add(t)
    prop = BNode()
    broken.add((CPSH.StatementShape, SH.property, prop))
    broken.add((prop, SH.path, CP.rule))
    broken.add((prop, SH.minCount, Literal("one")))
    from pyshacl.errors import ReportableRuntimeError
    with pytest.raises(ReportableRuntimeError, match="does not validate against the SHACL Shapes SHACL"):
        pyshacl.validate(Graph(), shacl_graph=broken, meta_shacl=True, advanced=True)


@pytest.mark.parametrize("prop", sorted(DOMAIN_RANGE), ids=lambda p: p[len(BASE):])
def test_shapes_check_the_ontology_domain_and_range(onto, shapes, prop):
    domain, range_ = onto.value(prop, RDFS.domain), onto.value(prop, RDFS.range)
    constraint = SH.datatype if (prop, RDF.type, OWL.DatatypeProperty) in onto else SH["class"]
    ok = False
    for shape in shapes.subjects(SH.targetSubjectsOf, prop):
        if (shape, SH["class"], domain) not in shapes:
            continue
        ok = ok or any((ps, SH.path, prop) in shapes and (ps, constraint, range_) in shapes
                       for ps in shapes.objects(shape, SH.property))
    assert ok, f"no shape checks {prop}: domain {domain}, range {range_}"


def _in_list(shapes: Graph, path: URIRef) -> set[str]:
    for ps in shapes.subjects(SH.path, path):
        for node in [ps, *shapes.objects(ps, SH["or"])]:
            members = [node] if node == ps else list(Collection(shapes, node))
            for m in members:
                lst = shapes.value(m, SH["in"])
                if lst is not None:
                    return {str(v) for v in Collection(shapes, lst)}
    return set()


def test_shapes_list_the_registry_types_and_relations(shapes):
    relations = {r.iri for r in RELATIONS.values()}
    statement = next(ps for ps in shapes.objects(CPSH.StatementShape, SH.property)
                     if shapes.value(ps, SH.path) == RDF.predicate)
    # joined names are reified too, and a trial's stated sub-phase beside its phase
    assert set(Collection(shapes, shapes.value(statement, SH["in"]))) == relations | {SKOS.altLabel, CP.subPhase}
    assert set(shapes.objects(CPSH.FactEvidenceShape, SH.targetSubjectsOf)) == relations | {CP.subPhase}
    select = " ".join(str(shapes.value(c, SH.select)) for c in shapes.objects(CPSH.FactEvidenceShape, SH.sparql))
    listed = re.search(r"\?p IN \(([^)]*)\)", select).group(1)
    assert {CP[name] for name in re.findall(r"cp:(\w+)", listed)} == relations | {CP.subPhase}
    assert set(shapes.objects(CPSH.EntityShape, SH.targetClass)) == {t.iri for t in TYPES.values()}
    for t in TYPES.values():
        if t.parent:
            assert shapes.value(CPSH[f"{t.name}Shape"], SH["class"]) == TYPES[t.parent].iri


def test_shapes_allow_exactly_the_contract_values(shapes):
    assert _in_list(shapes, CP.status) == CONTRACT_STATUSES
    assert _in_list(shapes, CP.phase) == CONTRACT_PHASES


def test_shapes_and_ontology_list_the_date_sources_the_reader_gives(onto, shapes):
    assert _in_list(shapes, CP.dateSource) == set(DATE_SOURCES)
    comment = str(onto.value(CP.dateSource, RDFS.comment))
    assert all(f'"{source}"' in comment for source in DATE_SOURCES)


# ---------------------------------------------------------------------------
# (d) a built document graph conforms; broken ones do not
# ---------------------------------------------------------------------------

DOC_ID = "acme-2024-03-01"
HASH = "0123456789abcdef" * 4
DRUG, PARTNER = "Drug|acm-101", "Drug|docetaxel"
TARGET, CONDITION = "Target|bcl-2", "Condition|acute myeloid leukemia"
COMPANY, SITE = "Organization|acme pharma", "Organization|md anderson cancer center"
NCT = "NCT01234567"
SENTENCE = "Acme Pharma dosed the first patient in its Phase 2a trial of ACM-101 with docetaxel in AML."


def ev(rule: str, confidence: float = 0.9, start: int = 120) -> Evidence:
    return Evidence(start, start + len(SENTENCE), SENTENCE, rule, confidence)


def make_extraction() -> Extraction:
    x = Extraction(doc_id=DOC_ID, source="data/samples/acme-2024-03-01.txt",
                   meta={"title": "Acme Pharma doses first patient in Phase 2a trial of ACM-101",
                         "date": "2024-03-01", "date_source": "dateline", "tickers": ["NASDAQ: ACME"]})
    for key, etype, name, aliases, ids in [
        (DRUG, "Drug", "ACM-101", {"ACM 101"}, set()),
        (PARTNER, "Drug", "docetaxel", {"Taxotere"}, {"https://go.drugbank.com/drugs/DB01248"}),
        (TARGET, "Target", "Bcl-2", {"BCL2"}, set()),
        (CONDITION, "Condition", "acute myeloid leukemia", {"AML"}, {"http://id.nlm.nih.gov/mesh/D015470"}),
        (COMPANY, "Company", "Acme Pharma", {"Acme Pharma, Inc."}, set()),
        (SITE, "Organization", "MD Anderson Cancer Center", set(), set()),
    ]:
        x.entities[key] = Entity(key, etype, name, aliases=aliases | {name}, ids=ids)
    x.companies = [COMPANY]
    t = Trial("t1")
    t.add("names", NCT, ev("trial.name"))
    t.add("drugs", DRUG, ev("trial.studies-drug"))
    t.add("partners", PARTNER, ev("trial.combination-partner", 0.8))
    t.add("conditions", CONDITION, ev("trial.studies-condition"))
    t.add("sites", SITE, ev("trial.site", 0.7, start=400))
    t.add("sponsors", COMPANY, ev("sponsor.issuer-default", 0.6))
    for p in ("Phase 2a", "Phase 2"):
        t.add("phases", p, ev("trial.phase", 1.0))
    t.status = "ongoing"
    t.evidence["status|ongoing"] = ev("context.status", 0.75)
    t.enrollment = 40
    t.evidence["enrollment|40"] = ev("trial.enrollment", 0.85, start=600)
    x.trials.append(t)
    x.assertions += [
        Assertion(DRUG, "targets", TARGET, ev("target.inhibitor-of", 0.95, start=0)),
        Assertion(DRUG, "developedBy", COMPANY, ev("developer.possessive", 0.85, start=0)),
        Assertion(DRUG, "mechanismOfAction", "antisense oligonucleotide", ev("drug.frame", 0.7, start=0),
                  literal=True),
    ]
    return x


DOC = document_iri(DOC_ID)
TRIAL = trial_iri(DOC_ID, "t1", [NCT])


def build_graph() -> Graph:
    """The document's named graph as a reader of the exports sees it (built, written as N-Triples, read back)."""
    ds = Dataset()
    add_document(ds, make_extraction(), HASH)
    return Graph().parse(data=ds.graph(DOC).serialize(format="nt"), format="nt")


def statement_of(g: Graph, s, p, o) -> URIRef:
    for st in g.subjects(RDF.subject, s):
        if (st, RDF.predicate, p) in g and (st, RDF.object, o) in g:
            return st
    raise AssertionError(f"no statement reifies {s} {p} {o}")


def results(report: Graph) -> set[tuple]:
    """(constraint component local name, result path or focus node) for every validation result."""
    out = set()
    for r in report.subjects(RDF.type, SH.ValidationResult):
        component = str(report.value(r, SH.sourceConstraintComponent)).rsplit("#", 1)[-1]
        out.add((component, report.value(r, SH.resultPath)))
        out.add((component, report.value(r, SH.focusNode)))
    return out


@pytest.fixture()
def graph() -> Graph:
    return build_graph()


def validate(pyshacl, shapes: Graph, g: Graph):
    conforms, report, text = pyshacl.validate(g, shacl_graph=shapes, advanced=True)
    return conforms, report, text


def test_the_built_graph_has_what_the_shapes_target(graph):
    # guards the conformance test below against passing on an empty or unexpected graph
    assert len(list(graph.subjects(RDF.type, RDF.Statement))) == 13
    assert (TRIAL, CP.subPhase, Literal("Phase 2a")) in graph and (TRIAL, CP.phase, Literal("Phase 2")) in graph
    assert (entity_iri(COMPANY), RDF.type, CP.Company) in graph
    assert (DOC, CP.contentHash, Literal(HASH)) in graph
    assert (DOC, CP.dateSource, Literal("dateline")) in graph


def test_built_document_graph_conforms(pyshacl, shapes, graph):
    conforms, _, text = validate(pyshacl, shapes, graph)
    assert conforms, text


def test_in_memory_graph_conforms_before_serialisation(pyshacl, shapes):
    ds = Dataset()
    g = add_document(ds, make_extraction(), HASH)
    conforms, _, text = validate(pyshacl, shapes, g)
    assert conforms, text


def _set_fact(g: Graph, s, p, old, new) -> None:
    """Change a fact's value, in the fact and in its statement, so only the value is wrong."""
    st = statement_of(g, s, p, old)
    g.remove((s, p, old))
    g.add((s, p, new))
    g.set((st, RDF.object, new))


def _drop_fact(g: Graph, s, p, o) -> None:
    st = statement_of(g, s, p, o)
    g.remove((s, p, o))
    g.remove((st, None, None))


def _drop_statement(g: Graph, s, p, o) -> None:
    """Keep the fact, lose its evidence."""
    g.remove((statement_of(g, s, p, o), None, None))


def _any_statement(g: Graph) -> URIRef:
    return statement_of(g, entity_iri(DRUG), CP.targets, entity_iri(TARGET))


BROKEN = {
    "status-maybe": (lambda g: _set_fact(g, TRIAL, CP.status, Literal("ongoing"), Literal("maybe")),
                     ("InConstraintComponent", CP.status)),
    "two-statuses": (lambda g: (g.add((TRIAL, CP.status, Literal("completed"))),),
                     ("MaxCountConstraintComponent", CP.status)),
    "statement-without-rule": (lambda g: g.remove((_any_statement(g), CP.rule, None)),
                               ("MinCountConstraintComponent", CP.rule)),
    "rule-with-spaces": (lambda g: g.set((_any_statement(g), CP.rule, Literal("some rule"))),
                         ("PatternConstraintComponent", CP.rule)),
    "start-after-end": (lambda g: g.set((_any_statement(g), CP.charStart, Literal(10_000, datatype=XSD.integer))),
                        ("LessThanOrEqualsConstraintComponent", CP.charStart)),
    "offset-not-integer": (lambda g: g.set((_any_statement(g), CP.charEnd, Literal("212"))),
                           ("DatatypeConstraintComponent", CP.charEnd)),
    "confidence-above-one": (lambda g: g.set((_any_statement(g), CP.confidence,
                                              Literal("1.5", datatype=XSD.decimal))),
                             ("MaxInclusiveConstraintComponent", CP.confidence)),
    "statement-without-evidence-text": (lambda g: g.remove((_any_statement(g), CP.evidenceText, None)),
                                        ("MinCountConstraintComponent", CP.evidenceText)),
    "statement-from-no-document": (lambda g: g.set((_any_statement(g), PROV.wasDerivedFrom,
                                                    URIRef("https://example.org/elsewhere"))),
                                   ("ClassConstraintComponent", PROV.wasDerivedFrom)),
    "statement-of-an-unasserted-triple": (
        lambda g: g.remove((entity_iri(DRUG), CP.targets, entity_iri(TARGET))),
        ("SPARQLConstraintComponent", "the statement")),
    "fact-without-statement": (lambda g: g.remove((_any_statement(g), None, None)),
                               ("SPARQLConstraintComponent", entity_iri(DRUG))),
    "phase-5": (lambda g: _set_fact(g, TRIAL, CP.phase, Literal("Phase 2"), Literal("Phase 5")),
                ("InConstraintComponent", CP.phase)),
    "phase-range-outside-contract": (lambda g: _set_fact(g, TRIAL, CP.phase, Literal("Phase 2"), Literal("Phase 3/4")),
                                     ("InConstraintComponent", CP.phase)),
    "sub-phase-without-contract-value": (lambda g: _drop_fact(g, TRIAL, CP.phase, Literal("Phase 2")),
                                         ("SPARQLConstraintComponent", TRIAL)),
    "sub-phase-as-phase": (lambda g: _set_fact(g, TRIAL, CP.phase, Literal("Phase 2"), Literal("Phase 2a")),
                           ("InConstraintComponent", CP.phase)),
    "contract-value-as-sub-phase": (lambda g: _set_fact(g, TRIAL, CP.subPhase, Literal("Phase 2a"), Literal("Phase 2")),
                                    ("PatternConstraintComponent", CP.subPhase)),
    "sub-phase-without-evidence": (lambda g: _drop_statement(g, TRIAL, CP.subPhase, Literal("Phase 2a")),
                                   ("SPARQLConstraintComponent", TRIAL)),
    "negative-enrollment": (lambda g: _set_fact(g, TRIAL, CP.enrollment, Literal(40, datatype=XSD.integer),
                                                Literal(-4, datatype=XSD.integer)),
                            ("MinInclusiveConstraintComponent", CP.enrollment)),
    "enrollment-as-text": (lambda g: _set_fact(g, TRIAL, CP.enrollment, Literal(40, datatype=XSD.integer),
                                               Literal("forty")),
                           ("DatatypeConstraintComponent", CP.enrollment)),
    "two-labels": (lambda g: g.add((entity_iri(DRUG), RDFS.label, Literal("ACM 101"))),
                   ("MaxCountConstraintComponent", RDFS.label)),
    "trial-without-label": (lambda g: g.remove((TRIAL, RDFS.label, None)),
                            ("MinCountConstraintComponent", RDFS.label)),
    "studies-a-condition-as-drug": (
        lambda g: _set_fact(g, TRIAL, CP.studiesDrug, entity_iri(DRUG), entity_iri(CONDITION)),
        ("ClassConstraintComponent", CP.studiesDrug)),
    "targets-from-a-non-drug": (
        lambda g: g.remove((entity_iri(DRUG), RDF.type, CP.Drug)),
        ("ClassConstraintComponent", entity_iri(DRUG))),
    "identifier-not-a-full-iri": (lambda g: g.add((entity_iri(TARGET), SKOS.exactMatch, URIRef("HGNC:990"))),
                                  ("PatternConstraintComponent", SKOS.exactMatch)),
    "company-not-an-organization": (lambda g: g.remove((entity_iri(COMPANY), RDF.type, CP.Organization)),
                                    ("ClassConstraintComponent", entity_iri(COMPANY))),
    "document-without-hash": (lambda g: g.remove((DOC, CP.contentHash, None)),
                              ("MinCountConstraintComponent", CP.contentHash)),
    "document-without-source": (lambda g: g.remove((DOC, DCTERMS.source, None)),
                                ("MinCountConstraintComponent", DCTERMS.source)),
    "hash-not-sha256": (lambda g: g.set((DOC, CP.contentHash, Literal("abc123"))),
                        ("PatternConstraintComponent", CP.contentHash)),
    "release-date-as-text": (lambda g: g.set((DOC, DCTERMS.issued, Literal("March 1, 2024"))),
                             ("OrConstraintComponent", DCTERMS.issued)),
    "date-source-unknown": (lambda g: g.set((DOC, CP.dateSource, Literal("guessed"))),
                            ("InConstraintComponent", CP.dateSource)),
    "two-date-sources": (lambda g: g.add((DOC, CP.dateSource, Literal("body"))),
                         ("MaxCountConstraintComponent", CP.dateSource)),
    "dated-without-date-source": (lambda g: g.remove((DOC, CP.dateSource, None)),
                                  ("OrConstraintComponent", DOC)),
    "date-source-without-date": (lambda g: g.remove((DOC, DCTERMS.issued, None)),
                                 ("MinCountConstraintComponent", DCTERMS.issued)),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_graph_does_not_conform(pyshacl, shapes, graph, case):
    mutate, expected = BROKEN[case]
    if expected[1] == "the statement":
        expected = (expected[0], _any_statement(graph))
    mutate(graph)
    conforms, report, text = validate(pyshacl, shapes, graph)
    assert not conforms
    assert expected in results(report), text


def _state(g: Graph, p: URIRef, value: str) -> None:
    """Add a trial fact with a statement of its own (as the builder reifies one)."""
    g.add((TRIAL, p, Literal(value)))
    st = URIRef(f"{DOC}/evidence/{p[len(BASE):]}-{value.replace(' ', '-').replace('/', '-')}")
    for sp, o in [(RDF.type, RDF.Statement), (RDF.subject, TRIAL), (RDF.predicate, p),
                  (RDF.object, Literal(value)), (PROV.wasDerivedFrom, DOC),
                  (CP.evidenceText, Literal(SENTENCE)), (CP.charStart, Literal(0, datatype=XSD.integer)),
                  (CP.charEnd, Literal(10, datatype=XSD.integer)), (CP.rule, Literal("trial.phase")),
                  (CP.confidence, Literal("0.9", datatype=XSD.decimal))]:
        g.add((st, sp, o))


def test_sub_phase_rule_knows_the_contract_value(pyshacl, shapes, graph):
    # "Phase 1b/2" is kept with "Phase 1/2"; "Phase 2/2b" with "Phase 2"
    for stated, coarse, ok in [("Phase 1b/2", "Phase 1/2", True), ("Phase 2/2b", "Phase 2", True),
                               ("Phase 1/2a", "Phase 1/2", True), ("Phase 1b/2", "Phase 2", False)]:
        g = build_graph()
        _drop_fact(g, TRIAL, CP.subPhase, Literal("Phase 2a"))
        _drop_fact(g, TRIAL, CP.phase, Literal("Phase 2"))
        _state(g, CP.subPhase, stated)
        _state(g, CP.phase, coarse)
        conforms, _, text = validate(pyshacl, shapes, g)
        assert conforms is ok, (stated, coarse, text)


def test_an_undated_document_needs_no_date_source(pyshacl, shapes, graph):
    graph.remove((DOC, DCTERMS.issued, None))
    graph.remove((DOC, CP.dateSource, None))
    conforms, _, text = validate(pyshacl, shapes, graph)
    assert conforms, text
