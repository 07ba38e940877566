"""kg/schema.py: the registry of entity types and relations, and the modules that read it.

- the registry is the public contract (CONTRACT.md section 1 and 3), term for term;
- it is consistent in itself (every type it names exists, every trial relation has its
  ``Trial`` attribute, the export's type precedence covers the node types);
- records, IRIs, the graph builder, the export, the command line and ``kg explain`` read it:
  records made *from the registry* (one fact of every relation, one entity of every type)
  are built into a graph and exported, and every class, predicate, node type, colour, edge
  label and node attribute that comes out is the registry's, and all of the registry's come
  out. A module that kept its own list would miss a relation added to the registry, and
  this test would fail.

The ontology's side (every registry class and property declared in ``ontology/cpkg.ttl``
with the registry's domain and range, the shapes listing the same) is in
``tests/test_ontology.py``.
"""
from __future__ import annotations

import dataclasses
import json

import pytest
from rdflib import RDF, XSD, Literal, URIRef

from kg import export as E
from kg import schema
from kg.cli import build_parser
from kg.explain import COLOURS
from kg.rdf.build import build_dataset
from kg.rdf.iris import document_iri, entity_iri, trial_iri
from kg.rdf.namespace import CP, ID
from kg.records import ENTITY_TYPES, Assertion, Entity, Evidence, Extraction, Trial, entity_key
from kg.schema import RELATIONS, TYPES, VIEWS

# CONTRACT.md section 1: property, domain, range; section 3: the node types and their colours
CONTRACT_TABLE = """
    targets             Drug           Target
    investigatedFor     Drug           Condition
    developedBy         Drug           Organization
    mechanismOfAction   Drug           xsd:string
    studiesDrug         ClinicalTrial  Drug
    combinationPartner  ClinicalTrial  Drug
    studiesCondition    ClinicalTrial  Condition
    site                ClinicalTrial  Organization
    sponsor             ClinicalTrial  Organization
    phase               ClinicalTrial  xsd:string
    status              ClinicalTrial  xsd:string
    enrollment          ClinicalTrial  xsd:integer
"""
CONTRACT_RELATIONS = [tuple(line.split()) for line in CONTRACT_TABLE.strip().splitlines()]
GEPHI_COLOURS = {"Drug": "#4477AA", "Target": "#EE6677", "Condition": "#228833",
                 "ClinicalTrial": "#CCBB44", "Organization": "#AA3377"}
NODE_TYPES = {t.node_type for t in TYPES.values()}


# ---------------------------------------------------------------------------
# the registry: the contract, and consistent in itself
# ---------------------------------------------------------------------------

def test_registry_relations_are_the_contract_properties():
    assert [(r.name, r.subject, r.object) for r in RELATIONS.values()] == CONTRACT_RELATIONS


def test_registry_types_are_the_contract_classes_with_the_gephi_colours():
    assert list(TYPES) == ["Drug", "Target", "Condition", "ClinicalTrial", "Organization", "Company"]
    assert TYPES["Company"].parent == "Organization" and TYPES["Company"].node_type == "Organization"
    assert {t.name: t.colour for t in TYPES.values() if t.colour} == GEPHI_COLOURS
    assert NODE_TYPES == set(GEPHI_COLOURS)


def test_every_type_and_relation_the_registry_names_exists():
    for t in TYPES.values():
        assert t.parent is None or t.parent in TYPES, t
        assert t.colour or t.parent, f"{t.name} has no colour of its own or of a parent"
    for r in RELATIONS.values():
        assert r.subject in TYPES and (r.literal or r.object in TYPES), r
        assert r.literal == bool(r.node_attribute), f"{r.name}: a literal relation is a node attribute"
        assert r.datatype in (None, "string", "integer"), r
        if r.implied_by:
            legs = RELATIONS[r.implied_by.subject_leg], RELATIONS[r.implied_by.object_leg]
            assert all(leg.trial_attr and not leg.literal for leg in legs), r
            assert (legs[0].object, legs[1].object) == (r.subject, r.object), r
    for v in VIEWS.values():
        assert v.relations and all(name in RELATIONS for name in v.relations), v
    assert sorted(schema.NODE_TYPE_PRECEDENCE) == sorted(NODE_TYPES)


def test_every_registry_term_is_in_the_closed_namespace():
    for term in [*TYPES.values(), *RELATIONS.values()]:
        assert term.name in CP, f"cp:{term.name} is in kg.schema but not in kg.rdf.namespace.CP"
        assert term.iri == URIRef(str(CP._NS) + term.name)
    with pytest.raises(AttributeError):
        CP.studiesDrugs        # still closed: a misspelt term is an error


def test_trial_records_carry_every_trial_relation():
    fields = {f.name: f for f in dataclasses.fields(Trial)}
    for r in schema.TRIAL_RELATIONS:
        f = fields[r.trial_attr]
        if r.single:
            assert f.default is None, f"Trial.{f.name} holds one value of {r.name}"
        else:
            assert f.default_factory is list, f"Trial.{f.name} holds the values of {r.name}"
    assert {r.subject for r in schema.TRIAL_RELATIONS} == {"ClinicalTrial"}


def test_records_keys_and_iris_follow_the_registry():
    assert ENTITY_TYPES == tuple(t.name for t in TYPES.values() if t.key_prefix)
    for t in TYPES.values():
        if t.key_prefix:
            key = entity_key(t.name, "Some Name")
            assert key == f"{t.key_prefix}|some name"
            assert str(entity_iri(key)).startswith(str(ID[f"{t.iri_path}/"]))
    assert str(trial_iri("d1", "t1")).startswith(str(ID[f"{TYPES['ClinicalTrial'].iri_path}/"]))


def test_command_line_and_explain_read_the_registry():
    sub = next(a for a in build_parser()._actions if a.dest == "command").choices["export"]
    assert next(a for a in sub._actions if a.dest == "view").choices == list(VIEWS)
    assert E.VIEWS == tuple(VIEWS)
    for t in TYPES.values():
        if t.span_label and t.colour:
            assert COLOURS[t.span_label] == t.colour


# ---------------------------------------------------------------------------
# records made from the registry -> RDF -> export: everything comes from the registry
# ---------------------------------------------------------------------------

EV = Evidence(0, 40, "A sentence that states every relation.", "test.registry", 0.9)
LITERAL_SAMPLES = {"string": "a value", "integer": 40}


def registry_extraction() -> Extraction:
    """One entity of every keyed type and, for every relation, its facts to every entity of the object type."""
    x = Extraction("registry", "registry.txt", {"title": "Every relation", "date": "2024-01-02"})
    for t in TYPES.values():
        if t.key_prefix:
            key = entity_key(t.name, f"a {t.name}")
            x.entities[key] = Entity(key, t.name, f"a {t.name}")

    def objects(rel):
        if rel.literal:
            return [LITERAL_SAMPLES[rel.datatype]]
        node_type = TYPES[rel.object].node_type
        return [k for k, e in x.entities.items() if TYPES[e.type].node_type == node_type]

    trial = Trial("t1")
    for rel in RELATIONS.values():
        for value in objects(rel)[:1] if rel.single else objects(rel):
            if rel.trial_attr and rel.single:
                setattr(trial, rel.trial_attr, value)
                trial.evidence[f"{rel.trial_attr}|{value}"] = EV
            elif rel.trial_attr:
                trial.add(rel.trial_attr, value, EV)
            else:
                subject = entity_key(rel.subject, f"a {rel.subject}")
                x.assertions.append(Assertion(subject, rel.name, value, EV, literal=rel.literal))
    x.trials.append(trial)
    return x


@pytest.fixture(scope="module")
def dataset():
    return build_dataset([(registry_extraction(), "0" * 64)])


@pytest.fixture(scope="module")
def graph(dataset):
    """The document's named graph."""
    return dataset.graph(document_iri("registry"))


@pytest.fixture(scope="module")
def facts(dataset):
    return E.Facts.from_quads(E.DatasetSource(dataset).quads())


def test_the_builder_states_every_registry_relation_and_no_other(graph):
    assert len(graph) > 0
    stated = set(graph.objects(None, RDF.predicate))
    assert stated == {r.iri for r in RELATIONS.values()}


def test_facts_have_the_registry_domain_and_range(graph):
    typed = lambda node, etype: (node, RDF.type, TYPES[etype].iri) in graph
    for rel in RELATIONS.values():
        facts = list(graph.subject_objects(rel.iri))
        assert facts, rel.name
        for s, o in facts:
            assert typed(s, rel.subject), (rel.name, s)
            if rel.literal:
                assert isinstance(o, Literal) and (o.datatype or XSD.string) == XSD[rel.datatype], (rel.name, o)
            else:
                assert typed(o, TYPES[rel.object].node_type), (rel.name, o)


def test_entities_are_typed_with_the_registry_classes(graph):
    cp_classes = {o for o in graph.objects(None, RDF.type) if str(o).startswith(str(CP._NS))}
    assert cp_classes == {t.iri for t in TYPES.values()} | {CP.Document}
    for t in TYPES.values():
        if t.key_prefix:
            node = entity_iri(entity_key(t.name, f"a {t.name}"))
            assert set(graph.objects(node, RDF.type)) >= {TYPES[c].iri for c in t.classes}


@pytest.mark.parametrize("view", list(VIEWS))
def test_export_types_colours_and_edge_labels_come_from_the_registry(facts, view):
    G = E.build_graph(facts, view)
    E.decorate(G, "none")
    v = VIEWS[view]
    assert G.is_directed() == v.directed
    types = {d["type"] for _, d in G.nodes(data=True)}
    assert types and types <= NODE_TYPES
    for n, d in G.nodes(data=True):
        assert G.graph["visual"][n]["color"] == TYPES[d["type"]].colour
    labels = {d["label"] for _, _, d in G.edges(data=True)}
    expected = {v.edge_label} if v.edge_label else set(v.relations)
    assert labels == expected
    data = json.loads(E.to_json(G))
    assert {e["attributes"]["label"] for e in data["edges"]} == expected


def test_full_export_has_every_node_type_relation_and_attribute(facts):
    G = E.build_graph(facts, "full")
    assert {d["type"] for _, d in G.nodes(data=True)} == NODE_TYPES
    assert {d["label"] for _, _, d in G.edges(data=True)} == {r.name for r in schema.ENTITY_RELATIONS}
    for rel in schema.LITERAL_RELATIONS:
        carriers = {d["type"] for _, d in G.nodes(data=True) if rel.node_attribute in d}
        assert carriers == {TYPES[rel.subject].node_type}, rel.name
        value = next(d[rel.node_attribute] for _, d in G.nodes(data=True) if rel.node_attribute in d)
        assert value == LITERAL_SAMPLES[rel.datatype]


@pytest.mark.parametrize("stated, parts", [
    ("Phase 2", ("Phase 2", None)), ("Phase 1/2", ("Phase 1/2", None)),
    ("Phase 2a", ("Phase 2", "Phase 2a")), ("Phase 1b/2", ("Phase 1/2", "Phase 1b/2")),
    ("Phase 1/2a", ("Phase 1/2", "Phase 1/2a")), ("Phase 2/2b", ("Phase 2", "Phase 2/2b")),
    ("Phase 2b/3", ("Phase 2/3", "Phase 2b/3")), ("Phase 1a/1b", ("Phase 1", "Phase 1a/1b")),
])
def test_phase_parts_give_the_contract_phase_and_the_sub_phase(stated, parts):
    assert schema.phase_parts(stated) == parts


@pytest.mark.parametrize("text", ["Phase I/IIa", "phase 1b", "Phase IIb/III", "Phase 2a/2b", "Phase 3", "phase 1 and phase 2"])
def test_every_phase_the_reader_states_has_a_contract_phase(text):
    from kg.relations import normalize_phase

    for value in normalize_phase(text):
        main, sub = schema.phase_parts(value)
        assert main in schema.PHASES, (text, value)
        assert sub is None or schema.SUB_PHASE.fullmatch(sub), (text, value)
