"""kg/relations/drug_facts.py: targets, indications and developers outside trials."""
from __future__ import annotations

import pytest

from kg.relations.drug_facts import developer_facts, drug_for_target, indication_facts
from kg.relations.entities import link_entities

DATELINE = "Acme Biosciences Inc. today announced news. "
ACME = ("Acme Biosciences Inc.", "ORG", "org.model")


def linked(make_doc, text, ents):
    ix, x = make_doc(text, ents)
    link_entities(ix, x)
    return ix, x


def facts(x):
    return {(a.subject, a.predicate, a.object, a.evidence.rule, a.evidence.confidence) for a in x.assertions}


def test_indication_cue_between_drug_and_condition(make_doc):
    ix, x = linked(make_doc, "HB-3301 is developed for the treatment of gastric cancer.",
                   [("HB-3301", "DRUG", "drug.code-name"), ("gastric cancer", "CONDITION", "condition.head-noun")])
    indication_facts(ix, x)
    [(drug, pred, cond, rule, conf)] = facts(x)
    assert (drug, pred, x.entities[cond].name, rule) == ("Drug|hb-3301", "investigatedFor", "gastric cancer",
                                                         "indication.for-the-treatment-of")


@pytest.mark.parametrize("text, rule", [
    ("HB-3301 is an antiviral drug the company plans to develop as a treatment of influenza.",
     "indication.treatment-of"),
    ("HB-3301 is a potential treatment for influenza.", "indication.treatment-for"),
    ("HB-3301 is focused on treating influenza.", "indication.treating"),
    ("HB-3301 is a vaccine designed to prevent influenza.", "indication.to-prevent"),
])
def test_a_treatment_word_between_drug_and_condition_is_an_indication_cue(make_doc, text, rule):
    ix, x = linked(make_doc, text, [("HB-3301", "DRUG", "drug.code-name"),
                                    ("influenza", "CONDITION", "condition.dictionary")])
    indication_facts(ix, x)
    assert {(a.predicate, x.entities[a.object].name, a.evidence.rule) for a in x.assertions} == \
        {("investigatedFor", "influenza", rule)}


def test_no_indication_of_a_class_of_diseases(make_doc):
    ix, x = linked(make_doc, "HB-3301 is developed for the treatment of cancer.",
                   [("HB-3301", "DRUG", "drug.code-name"), ("cancer", "CONDITION", "condition.head-noun")])
    indication_facts(ix, x)
    assert x.assertions == []


def test_possessive_credits_the_drug_to_another_company(make_doc):
    ix, x = linked(make_doc, DATELINE + "It is combined with Bayer's darolutamide.",
                   [ACME, ("Bayer", "ORG", "org.model"), ("darolutamide", "DRUG", "drug.inn-stem")])
    owners = developer_facts(ix, x, set(), set())
    assert owners == {"Drug|darolutamide": "Organization|bayer"}
    assert facts(x) == {("Drug|darolutamide", "developedBy", "Organization|bayer", "developer.possessive", 0.85)}


def test_the_issuer_develops_its_own_drugs(make_doc):
    ix, x = linked(make_doc, DATELINE + "Its lead candidate HB-3301 is in the clinic.",
                   [ACME, ("HB-3301", "DRUG", "drug.code-name")])
    developer_facts(ix, x, set(), set())
    assert facts(x) == {("Drug|hb-3301", "developedBy", "Organization|acme biosciences", "developer.possessive-its", 0.9)}


def test_the_company_before_a_development_verb_develops_the_drug(make_doc):
    ix, x = linked(make_doc, DATELINE + "It bought Zeta Pharma, a privately held company developing ZT-101.",
                   [ACME, ("Zeta Pharma", "ORG", "org.model"), ("ZT-101", "DRUG", "drug.code-name")])
    assert developer_facts(ix, x, set(), set()) == {"Drug|zt-101": "Organization|zeta pharma"}
    assert {(a.subject, a.object, a.evidence.rule) for a in x.assertions} == \
        {("Drug|zt-101", "Organization|zeta pharma", "developer.developing")}


@pytest.mark.parametrize("sentence", [
    "Zeta Pharma is developing a platform that may after some years of work yield ZT-101.",   # nine words on
    "Zeta Pharma is developing HB-3301 in combination with ZT-101.",       # a partner of its drug
    "Data from Zeta Pharma show that patients developing resistance to ZT-101 did well.",    # not its verb
])
def test_a_drug_the_development_verb_does_not_reach_is_not_credited_by_it(make_doc, sentence):
    ents = [ACME, ("Zeta Pharma", "ORG", "org.model")] + \
        ([("HB-3301", "DRUG", "drug.code-name")] if "HB-3301" in sentence else []) + [("ZT-101", "DRUG", "drug.code-name")]
    ix, x = linked(make_doc, DATELINE + sentence, ents)
    assert "Drug|zt-101" not in developer_facts(ix, x, set(), set())


@pytest.mark.parametrize("sentence", [
    "Our Oncology Solutions business segment is developing and moving toward commercialization of HB-3301.",
    "The Company is also developing HB-3301.",
    "We are developing HB-3301 for gastric cancer.",
    "We are developing HB-3301 in combination with pembrolizumab.",
])
def test_a_drug_the_issuer_is_developing_is_its_own(make_doc, sentence):
    ents = [ACME] + ([("Oncology Solutions", "ORG", "org.model")] if "Oncology" in sentence else []) + \
        [("HB-3301", "DRUG", "drug.code-name", "HB-3301")] + \
        ([("pembrolizumab", "DRUG", "drug.inn-stem")] if "pembrolizumab" in sentence else [])
    ix, x = linked(make_doc, DATELINE + sentence, ents)
    # a unit of the issuer ("our ... segment") is not the developer: the issuer is; nor is the issuer the
    # developer of a partner of its drug
    assert developer_facts(ix, x, set(), set()) == {}
    assert {(a.subject, a.object, a.evidence.rule) for a in x.assertions} == \
        {("Drug|hb-3301", "Organization|acme biosciences", "developer.issuer-developing")}


def test_a_target_frame_is_about_the_drug_before_it(make_doc):
    ix, x = linked(make_doc, "HB-3301 inhibits thymidylate synthase.",
                   [("HB-3301", "DRUG", "drug.code-name"), ("thymidylate synthase", "TARGET", "target.verb")])
    tm = next(m for m in ix.mentions if m.label == "TARGET")
    verb = ix.text.index("inhibits")
    frame = {"target": [tm.start, tm.end], "cue": [verb, verb + len("inhibits")], "side": "right"}
    assert drug_for_target(ix, ix.sents[0], tm, frame, None) == "Drug|hb-3301"
    # a combination between the drug and the cue: not the drug's target
    ix, x = linked(make_doc, "HB-3301 plus thymidylate synthase.",
                   [("HB-3301", "DRUG", "drug.code-name"), ("thymidylate synthase", "TARGET", "target.verb")])
    tm = next(m for m in ix.mentions if m.label == "TARGET")
    frame = {"target": [tm.start, tm.end], "cue": [tm.start, tm.start], "side": "right"}
    assert drug_for_target(ix, ix.sents[0], tm, frame, None) is None
