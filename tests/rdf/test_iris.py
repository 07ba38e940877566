"""kg/rdf/iris.py: IRIs are stable, percent-safe and collision-free."""
from __future__ import annotations

import re

import pytest

from kg.rdf.iris import document_iri, entity_iri, slug, trial_iri
from kg.records import entity_key


def test_same_entity_same_iri_whatever_the_spelling():
    assert entity_iri(entity_key("Drug", "GTI-2040")) == entity_iri(entity_key("Drug", "gti-2040"))
    assert entity_iri(entity_key("Condition", "Solid Tumours")) == entity_iri(entity_key("Condition", "solid tumors"))
    assert entity_iri(entity_key("Company", "Acme")) == entity_iri(entity_key("Organization", "Acme"))


def test_spaces_and_hyphens_are_one_separator():
    assert entity_iri(entity_key("Target", "c-Myc")) == entity_iri(entity_key("Target", "c Myc"))
    assert entity_iri(entity_key("Condition", "non-small cell lung cancer")) == \
        entity_iri(entity_key("Condition", "non small cell lung cancer"))


def test_readable_slug_when_lossless():
    assert str(entity_iri(entity_key("Drug", "GTI-2040"))) == "https://w3id.org/cpkg/id/drug/gti-2040"
    assert str(entity_iri(entity_key("Condition", "renal cell cancer"))).endswith("/condition/renal-cell-cancer")


@pytest.mark.parametrize("a, b", [
    ("R2/R3 kinase", "R2 R3 kinase"),
    ("eIF2\u03b1", "eIF2"),
])
def test_names_that_share_a_slug_do_not_collide(a, b):
    assert entity_iri(entity_key("Target", a)) != entity_iri(entity_key("Target", b))


def test_iris_are_percent_safe():
    for name in ("Alzheimer's disease", "Sunnybrook & Women\u2019s Health Centre", "IRCCS \u201cCarlo Besta\u201d",
                 "\u00e9tude", "x" * 300):
        iri = str(entity_iri(entity_key("Organization", name)))
        assert re.fullmatch(r"https://w3id\.org/cpkg/id/org/[a-z0-9-]+", iri), iri
        assert len(iri) < 120


def test_unknown_type_is_an_error():
    with pytest.raises(ValueError):
        entity_iri("Planet|mars")


def test_trial_and_document_iris():
    assert str(trial_iri("abc", "t1", ["NCT01234567"])) == "https://w3id.org/cpkg/id/trial/nct01234567"
    assert trial_iri("abc", "t1", ["GLORA-4"]) == trial_iri("def", "t7", ["GLORA-4"])
    assert trial_iri("abc", "t1") != trial_iri("abd", "t1")
    assert str(document_iri("abc")) == "https://w3id.org/cpkg/doc/abc"


@pytest.mark.parametrize("number", ["NCT01234567", "2004-000123-45", "ISRCTN12345678", "ACTRN12610000123456"])
def test_a_registry_number_names_the_trial_before_its_other_names(number):
    assert trial_iri("abc", "t1", ["GLORA-4", number]) == trial_iri("def", "t7", [number])
    assert str(trial_iri("abc", "t1", ["GLORA-4", number])).endswith("/trial/" + number.lower())


DRUGS = [entity_key("Drug", "GTI-2040"), entity_key("Drug", "capecitabine")]
RCC = [entity_key("Condition", "renal cell carcinoma")]


def test_a_design_names_the_trial_across_documents_in_any_order_and_spelling():
    design = trial_iri("abc", "t1", [], DRUGS, "Phase 2", RCC)
    assert design == trial_iri("def", "t7", None, [entity_key("Drug", "Capecitabine"), entity_key("Drug", "GTI 2040")],
                               "Phase 2", RCC)
    assert re.fullmatch(r"https://w3id\.org/cpkg/id/trial/phase-2-capecitabine-gti-2040-renal-cell-carcinoma-[0-9a-f]{8}",
                        str(design)), design
    assert design != trial_iri("abc", "t1", [], DRUGS, "Phase 3", RCC)
    assert trial_iri("abc", "t1", ["GLORA-4"], DRUGS, "Phase 2", RCC) == trial_iri("x", "t2", ["GLORA-4"])


@pytest.mark.parametrize("drugs, phase, conditions", [([], "Phase 2", RCC), (DRUGS, None, RCC), (DRUGS, "Phase 2", [])])
def test_a_design_missing_a_part_leaves_the_trial_to_its_document(drugs, phase, conditions):
    assert trial_iri("abc", "t1", [], drugs, phase, conditions) == trial_iri("abc", "t1")


def test_slug():
    assert slug("  Hello, World!  ") == "hello-world"
    assert slug("\u4e2d\u6587") == "x"
