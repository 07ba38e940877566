"""One node per real organisation across releases (kg/relations/entities.py, kg/rdf/build.py).

Each release is keyed on its own text and the data files: the same organisation gets the same key in
every release, whatever else is ingested and in whatever order.
"""
from __future__ import annotations

import pytest
from rdflib import RDF, RDFS, Dataset, Graph, Literal
from rdflib.namespace import SKOS

from kg.paths import ontology_dir
from kg.rdf.build import add_document
from kg.rdf.iris import entity_iri
from kg.rdf.namespace import CP
from kg.relations.entities import link_entities

NCI, NIH = "Organization|national cancer institute", "Organization|national institutes of health"
ISSUER = "Acme Biosciences Inc. (NASDAQ: ACMB) today announced results of its trial. "


def linked(make_doc, text: str, ents: list[tuple], meta: dict | None = None):
    ix, x = make_doc(text, ents, meta)
    link_entities(ix, x)
    return ix, x


def org_keys(x) -> set[str]:
    return {k for k, e in x.entities.items() if e.type in ("Organization", "Company")}


def key_of(ix, surface: str) -> str:
    return next(m.key for m in ix.mentions if m.text == surface)


# -- units fold into their institution ------------------------------------------------

def test_a_cancer_centre_named_with_its_university_is_the_university_in_every_release(make_doc):
    unit = "Norris Comprehensive Cancer Center, University of Southern California"
    ix1, x1 = linked(make_doc, f"The trial runs at the {unit}.", [(unit, "ORG", "org.institution")])
    ix2, x2 = linked(make_doc, "The trial runs at the University of Southern California.",
                     [("University of Southern California", "ORG", "org.institution")])
    assert org_keys(x1) == org_keys(x2) == {"Organization|university of southern california"}
    assert unit in x1.entities["Organization|university of southern california"].aliases


def test_the_centres_of_city_of_hope_are_city_of_hope_and_its_medical_group_is_not(make_doc):
    text = ("Patients are treated at the City of Hope Comprehensive Cancer Center, the City of Hope National "
            "Medical Center and the City of Hope Medical Group.")
    ix, x = linked(make_doc, text, [("City of Hope Comprehensive Cancer Center", "ORG", "org.institution"),
                                    ("City of Hope National Medical Center", "ORG", "org.institution"),
                                    ("City of Hope Medical Group", "ORG", "org.institution")])
    assert key_of(ix, "City of Hope Comprehensive Cancer Center") == "Organization|city of hope"
    assert key_of(ix, "City of Hope National Medical Center") == "Organization|city of hope"
    assert x.entities["Organization|city of hope"].name == "City of Hope"
    assert key_of(ix, "City of Hope Medical Group") == "Organization|city of hope medical group"


def test_a_unit_at_an_institution_and_the_institution_s_hospital_are_one_node(make_doc):
    text = ("Xiaojun Huang is director of the Institute of Hematology at Peking University and of the "
            "Department of Hematology at Peking University People\u2019s Hospital.")
    ix, x = linked(make_doc, text, [("Institute of Hematology", "ORG", "org.institution"),
                                    ("Peking University", "ORG", "org.institution"),
                                    ("Peking University People\u2019s Hospital", "ORG", "org.institution")])
    assert org_keys(x) == {"Organization|peking university"}
    assert {"Institute of Hematology", "Institute of Hematology at Peking University"} <= \
        x.entities["Organization|peking university"].aliases


def test_a_former_name_is_the_organisation(make_doc):
    text = "The trial ran at the Ravenscourt Park Hospital (formerly Stamford Hospital) in London."
    ix, x = linked(make_doc, text, [("Ravenscourt Park Hospital", "ORG", "org.institution"),
                                    ("Stamford Hospital", "ORG", "org.institution")])
    assert org_keys(x) == {"Organization|ravenscourt park hospital"}
    assert "Stamford Hospital" in x.entities["Organization|ravenscourt park hospital"].aliases


def test_units_of_different_universities_stay_apart(make_doc):
    text = ("Sites include the University of Kansas Cancer Center, the University of Chicago Cancer Research "
            "Center, the University of California, Davis and the University of California, Irvine.")
    ix, x = linked(make_doc, text, [("University of Kansas Cancer Center", "ORG", "org.institution"),
                                    ("University of Chicago Cancer Research Center", "ORG", "org.institution"),
                                    ("University of California, Davis", "ORG", "org.institution"),
                                    ("University of California, Irvine", "ORG", "org.institution")])
    assert org_keys(x) == {"Organization|university of kansas", "Organization|university of chicago",
                           "Organization|university of california, davis",
                           "Organization|university of california, irvine"}


def test_uc_davis_in_every_spelling_is_one_key(make_doc):
    keys = set()
    for name in ("UC Davis", "University of California Davis Cancer Center",
                 "Davis Cancer Center, University of California"):
        ix, x = linked(make_doc, f"The study is led at {name}.", [(name, "ORG", "org.model")])
        keys |= org_keys(x)
    assert keys == {"Organization|university of california, davis"}


# -- agencies: a programme is its agency, an institute is part of its agency ----------------

CTEP_TEXT = ("The trial is sponsored by the National Cancer Institute (NCI) under a Clinical Trials Agreement with "
             "its Cancer Therapy Evaluation Program (CTEP).")
CTEP_ENTS = [("National Cancer Institute", "ORG", "org.agency"), ("NCI", "ORG", "org.agency", "National Cancer Institute"),
             ("Cancer Therapy Evaluation Program", "ORG", "org.agency"),
             ("CTEP", "ORG", "org.agency", "Cancer Therapy Evaluation Program")]


def test_a_programme_of_an_agency_is_the_agency(make_doc):
    ix, x = linked(make_doc, CTEP_TEXT, CTEP_ENTS)
    assert org_keys(x) == {NCI}
    assert {m.key for m in ix.mentions} == {NCI}
    assert {"CTEP", "Cancer Therapy Evaluation Program"} <= x.entities[NCI].aliases
    assert x.entities[NCI].part_of == {NIH: "National Institutes of Health"}


@pytest.fixture
def nci_graph(make_doc) -> Graph:
    ix, x = linked(make_doc, CTEP_TEXT, CTEP_ENTS)
    return add_document(Dataset(), x, "0" * 64)


def test_the_graph_states_the_agency_part_of_its_parent(nci_graph):
    nci, nih = entity_iri(NCI), entity_iri(NIH)
    assert (nci, CP.partOf, nih) in nci_graph
    assert (nih, RDF.type, CP.Organization) in nci_graph
    assert list(nci_graph.objects(nih, RDFS.label)) == [Literal("National Institutes of Health")]
    assert (nci, SKOS.altLabel, Literal("CTEP")) in nci_graph
    # the programme is no node of its own
    assert not list(nci_graph.subjects(RDFS.label, Literal("Cancer Therapy Evaluation Program")))


def test_a_graph_with_part_of_conforms_to_the_shapes(nci_graph):
    pyshacl = pytest.importorskip("pyshacl")
    shapes = Graph().parse(ontology_dir() / "shapes.ttl", format="turtle")
    conforms, _, text = pyshacl.validate(nci_graph, shacl_graph=shapes, advanced=True)
    assert conforms, text


# -- companies: a ticker is a name of the company -------------------------------------------

def test_a_ticker_is_a_label_of_the_issuer_never_a_node(make_doc):
    ix, x = linked(make_doc, ISSUER + "ACMB shares rose.",
                   [("Acme Biosciences Inc.", "ORG", "org.model"), ("ACMB", "ORG", "org.model"),
                    ("ACMB", "ORG", "org.model")])
    assert org_keys(x) == {"Organization|acme biosciences"}
    assert x.companies == ["Organization|acme biosciences"]
    assert "ACMB" in x.entities["Organization|acme biosciences"].aliases


def test_a_ticker_of_a_company_that_does_not_issue_the_release_is_that_company(make_doc):
    text = ISSUER + "Its partner Oncolytics Biotech Inc. (NASDAQ: ONCY) supplies the virus."
    ix, x = linked(make_doc, text, [("Acme Biosciences Inc.", "ORG", "org.model"),
                                    ("Oncolytics Biotech Inc.", "ORG", "org.model"), ("ONCY", "ORG", "org.model")])
    assert org_keys(x) == {"Organization|acme biosciences", "Organization|oncolytics biotech"}
    assert "ONCY" in x.entities["Organization|oncolytics biotech"].aliases


def test_a_ticker_after_a_product_names_no_company(make_doc):
    text = ISSUER + "It outperformed Merck's Keytruda (NYSE: MRK) in the trial."
    ix, x = linked(make_doc, text, [("Acme Biosciences Inc.", "ORG", "org.model"), ("Merck", "ORG", "org.model"),
                                    ("MRK", "ORG", "org.model")], meta={"tickers": ["NASDAQ:ACMB", "NYSE:MRK"]})
    assert key_of(ix, "MRK") not in ("Organization|acme biosciences", "Organization|merck")
