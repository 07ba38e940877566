"""kg/relations/roles.py: the part a drug, condition or organisation plays in its sentence."""
from __future__ import annotations

from kg.relations.entities import link_entities
from kg.relations.roles import (condition_is_background, drug_roles, generic_name, in_indication_slot,
                                not_site_context, orgs_with_cue)


def linked(make_doc, text, ents):
    ix, x = make_doc(text, ents)
    link_entities(ix, x)
    return ix, x, ix.sents[0], ix.in_sentence(0)


def by_text(ms, text):
    return next(m for m in ms if m.text == text)


def test_drug_roles_principal_partner_comparator(make_doc):
    ix, x, sent, ms = linked(make_doc, "The trial compares HB-3301 in combination with oxaliplatin versus docetaxel.",
                             [("HB-3301", "DRUG", "drug.code-name"), ("oxaliplatin", "DRUG", "drug.inn-stem"),
                              ("docetaxel", "DRUG", "drug.inn-stem")])
    roles = drug_roles(ix, sent, ms)
    assert [roles[id(m)] for m in ms] == ["principal", "partner", "comparator"]


def test_a_trial_combining_two_drugs_makes_the_second_a_partner(make_doc):
    ents = [("HB-3301", "DRUG", "drug.code-name"), ("olaparib", "DRUG", "drug.inn-stem")]
    for text in ("It launched a Phase 2 trial combining HB-3301 and olaparib.",
                 "It launched a Phase 2 trial combining HB-3301 with olaparib."):
        ix, x, sent, ms = linked(make_doc, text, ents)
        roles = drug_roles(ix, sent, ms)
        assert [roles[id(m)] for m in ms] == ["principal", "partner"]
    ix, x, sent, ms = linked(make_doc, "It launched Phase 2 trials of HB-3301 and, later, olaparib.", ents)
    assert [drug_roles(ix, sent, ms)[id(m)] for m in ms] == ["principal", "principal"]


def test_a_comparator_cue_in_a_closed_bracket_does_not_reach_the_drug_after_it(make_doc):
    ents = [("HB-3301", "DRUG", "drug.code-name"), ("HB-4401", "DRUG", "drug.code-name")]
    ix, x, sent, ms = linked(make_doc, "Programs include HB-3301 and vaccines against filoviruses (such as Marburg "
                             "and Ebola) and HB-4401.", ents)
    roles = drug_roles(ix, sent, ms)
    assert [roles[id(m)] for m in ms] == ["principal", "principal"]
    # the cue with the drug inside its bracket, or with no bracket, still makes a comparator
    for text in ("Programs include HB-3301 and vaccines (such as HB-4401).",
                 "Programs include HB-3301 and vaccines such as HB-4401."):
        ix, x, sent, ms = linked(make_doc, text, ents)
        roles = drug_roles(ix, sent, ms)
        assert [roles[id(m)] for m in ms] == ["principal", "comparator"]


def test_a_drug_named_to_describe_another_is_a_description(make_doc):
    ix, x, sent, ms = linked(make_doc, "CYB004, a deuterated DMT analog, is tested.",
                             [("CYB004", "DRUG", "drug.code-name"), ("DMT", "DRUG", "drug.lexicon")])
    roles = drug_roles(ix, sent, ms)
    assert roles[id(ms[1])] == "description"


def test_condition_after_patients_with_is_in_an_indication_slot(make_doc):
    ix, x, sent, ms = linked(make_doc, "HB-3301 is tested in patients with gastric cancer.",
                             [("HB-3301", "DRUG", "drug.code-name"), ("gastric cancer", "CONDITION", "condition.head-noun")])
    assert in_indication_slot(ix, x, sent, by_text(ms, "gastric cancer"))
    ix, x, sent, ms = linked(make_doc, "Melanoma experts praised HB-3301.",
                             [("Melanoma", "CONDITION", "condition.lexicon"), ("HB-3301", "DRUG", "drug.code-name")])
    assert not in_indication_slot(ix, x, sent, by_text(ms, "Melanoma"))


def test_condition_after_risk_of_is_background(make_doc):
    ix, x, sent, ms = linked(make_doc, "HB-3301 lowers the risk of gastric cancer in patients with melanoma.",
                             [("HB-3301", "DRUG", "drug.code-name"), ("gastric cancer", "CONDITION", "condition.head-noun"),
                              ("melanoma", "CONDITION", "condition.lexicon")])
    assert condition_is_background(ix, sent, by_text(ms, "gastric cancer"))
    assert not condition_is_background(ix, sent, by_text(ms, "melanoma"))


def test_a_class_of_diseases_is_generic():
    assert generic_name("cancer") and generic_name("neurological diseases")
    assert not generic_name("gastric cancer")


def test_sponsor_cue_marks_the_organisations_it_governs(make_doc):
    ix, x, sent, ms = linked(make_doc, "The trial is funded in part by the Gates Foundation and the Wellcome Trust, "
                                       "with data presented at Westbrook University.",
                             [("Gates Foundation", "ORG", "org.model"), ("Wellcome Trust", "ORG", "org.model"),
                              ("Westbrook University", "ORG", "org.institution")])
    assert orgs_with_cue(ix, x, sent, ms, "sponsor") == ["Organization|gates foundation", "Organization|wellcome trust"]
    assert not_site_context(ix, by_text(ms, "Westbrook University"))
