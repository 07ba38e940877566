"""kg/relations/entities.py: entities, their names, and the issuing company, on blank documents."""
from __future__ import annotations

from kg.relations.entities import has_ticker_after, link_entities

DATELINE = "BOSTON, May 4, 2025 -- Acme Biosciences Inc. (NASDAQ: ACMB) today announced results."


def test_alias_connector_makes_one_drug_named_by_its_former_name(make_doc):
    ix, x = make_doc("LOR-2040 (formerly GTI-2040) is tested in patients.",
                     [("LOR-2040", "DRUG", "drug.code-name"), ("GTI-2040", "DRUG", "drug.code-name")])
    link_entities(ix, x)
    drugs = [e for e in x.entities.values() if e.type == "Drug"]
    assert len(drugs) == 1
    assert drugs[0].name == "GTI-2040" and "LOR-2040" in drugs[0].aliases
    assert {m.key for m in ix.mentions} == {drugs[0].key}


def test_a_later_name_in_an_also_named_bracket_is_the_drug_though_one_before_it_was_missed(make_doc):
    # "sephin1" is found by no recogniser: "icerguastat" is still a name of IFB-088
    ix, x = make_doc("IFB-088 (also named sephin1 or icerguastat) is a small molecule.",
                     [("IFB-088", "DRUG", "drug.code-name"), ("icerguastat", "DRUG", "drug.dictionary")])
    link_entities(ix, x)
    [drug] = [e for e in x.entities.values() if e.type == "Drug"]
    assert {"IFB-088", "icerguastat"} <= drug.aliases | {drug.name}
    ix, x = make_doc("IFB-088 (also named sephin1) and icerguastat are tested.",
                     [("IFB-088", "DRUG", "drug.code-name"), ("icerguastat", "DRUG", "drug.dictionary")])
    link_entities(ix, x)
    assert len([e for e in x.entities.values() if e.type == "Drug"]) == 2      # the bracket closed: two drugs


def test_dateline_company_issues_the_release_and_the_company_is_it(make_doc):
    ix, x = make_doc(DATELINE + " The Company said the trial of Acme's drug goes on.",
                     [("Acme Biosciences Inc.", "ORG", "org.model"), ("The Company", "ORG", "org.model")])
    link_entities(ix, x)
    assert x.companies == ["Organization|acme biosciences"]
    assert x.entities["Organization|acme biosciences"].type == "Company"
    # "The Company" and the unlabelled short name "Acme" are mentions of the issuer
    assert {m.key for m in ix.mentions} == {"Organization|acme biosciences"}
    assert "org.company-short-name" in {m.rule for m in ix.mentions}
    # a mention of the issuer by its kind is no name of it: "Company" would be an alternative label
    # of every issuer, and the one name they all share
    issuer = x.entities["Organization|acme biosciences"]
    assert "The Company" not in issuer.aliases and "Company" not in issuer.aliases and not issuer.joined


def test_a_span_run_on_past_the_issuers_name_is_a_mention_of_it_not_a_name(make_doc):
    ix, x = make_doc("ACME BIOSCIENCES SCORES TRIPLE WIN. " + DATELINE + " Acme Biosciences, Inc. said so.",
                     [("ACME BIOSCIENCES SCORES TRIPLE WIN", "ORG", "org.model"),
                      ("Acme Biosciences Inc.", "ORG", "org.model"), ("Acme Biosciences, Inc.", "ORG", "org.model")])
    link_entities(ix, x)
    issuer = x.entities["Organization|acme biosciences"]
    assert {m.key for m in ix.mentions} == {issuer.key}              # all three are the issuer
    assert not any("WIN" in a.upper() for a in issuer.aliases)       # the headline is no name of it
    assert "Acme Biosciences, Inc." in issuer.aliases                # its name with a legal form is


def test_only_companies_before_the_dateline_verb_issue_the_release(make_doc):
    ix, x = make_doc("Harbor Biologics Inc. today announced a licence from Beta Pharma Inc. for its drug.",
                     [("Harbor Biologics Inc.", "ORG", "org.model"), ("Beta Pharma Inc.", "ORG", "org.model")])
    link_entities(ix, x)
    assert x.companies == ["Organization|harbor biologics"]
    assert x.entities["Organization|beta pharma"].type == "Organization"


def test_the_metadata_names_the_issuer_when_the_dateline_does_not(make_doc):
    ix, x = make_doc("Results of the trial are positive.", [], meta={"companies": ["Acme Biosciences Inc."]})
    link_entities(ix, x)
    assert x.companies == ["Organization|acme biosciences"]


def test_without_dateline_or_metadata_the_organisation_the_release_is_about_issues_it(make_doc):
    # an interview write-up: no "X today announced", no metadata; PainReform is named first and most
    text = ("PainReform CEO Ilan Hadar joined Proactive to discuss PRF-110. The company is running a trial. "
            "PainReform expects data in the third quarter. Proactive will follow up.")
    ix, x = make_doc(text, [("PainReform", "ORG", "org.model"), ("Proactive", "ORG", "org.model"),
                            ("PainReform", "ORG", "org.model")])
    link_entities(ix, x)
    assert x.companies == ["Organization|painreform"]


def test_a_wire_tag_line_is_no_sentence_of_the_lead(make_doc):
    # "--News Direct--" splits into sentences of one word each: the lead still reaches the first paragraph
    text = ("Acme Advances Its Drug. --News. Direct--. Acme Biosciences joined Proactive to discuss AB-101. "
            "Acme Biosciences expects data soon.")
    ix, x = make_doc(text, [("Acme Biosciences", "ORG", "org.model"), ("Acme Biosciences", "ORG", "org.model")])
    link_entities(ix, x)
    assert x.companies == ["Organization|acme biosciences"]


def test_the_company_a_dateline_sentence_opens_with_issues_it_when_no_mention_names_it(make_doc):
    # the NER found no organisation: the name before the dateline verb, with an apposition naming a kind
    # of company, is the issuer (after a wire's dash, or at the sentence's start)
    for text, name in (("VIENNA, February 10, 2025 /24-7PressRelease/ -- Delta4, a leader in drug discovery, "
                        "announced new patents.", "delta4"),
                       ("Lophora, a Danish biotech advancing psychedelic therapies, announced the first dosing.",
                        "lophora"),
                       ("Nantes, France \u2013 September 2nd, 2025 \u2013 InFlectis BioScience, a pioneering biotech "
                        "company, announces a milestone.", "inflectis bioscience")):
        ix, x = make_doc(text, [])
        link_entities(ix, x)
        assert x.companies == [f"Organization|{name}"], text
        assert any(m.rule == "org.dateline-apposition" for m in ix.mentions)
    # no kind of company in the apposition, or a mention found: nothing is guessed
    ix, x = make_doc("Vienna, a city of music, announced a festival.", [])
    link_entities(ix, x)
    assert x.companies == []


def test_no_issuer_is_guessed_when_two_organisations_are_named_as_often(make_doc):
    ix, x = make_doc("Alpha Labs met Beta Labs. Alpha Labs and Beta Labs agreed.",
                     [("Alpha Labs", "ORG", "org.model"), ("Beta Labs", "ORG", "org.model"),
                      ("Alpha Labs", "ORG", "org.model"), ("Beta Labs", "ORG", "org.model")])
    link_entities(ix, x)
    assert x.companies == []


def test_unit_of_an_institution_is_not_a_site_of_its_own(make_doc):
    ix, x = make_doc("The trial runs at the Myeloma Center at the Heidelberg University Hospital.",
                     [("Myeloma Center", "ORG", "org.institution"),
                      ("Heidelberg University Hospital", "ORG", "org.institution")])
    units = link_entities(ix, x)
    unit = next(m for m in ix.mentions if m.text == "Heidelberg University Hospital")
    assert units == {id(unit)}
    assert "Myeloma Center at the Heidelberg University Hospital" in x.entities[ix.mentions[0].key].aliases


def test_a_unit_named_by_its_bracketed_abbreviation_gives_no_half_bracketed_name(make_doc):
    ix, x = make_doc("The study runs at the Cancer Therapy Center (CTRC) at The Gamma University.",
                     [("CTRC", "ORG", "org.institution"), ("Gamma University", "ORG", "org.institution")])
    units = link_entities(ix, x)
    assert len(units) == 1                                           # the unit is the university
    names = {n for e in x.entities.values() for n in e.aliases | {e.name}}
    assert not [n for n in names if n.count("(") != n.count(")")]


def test_a_law_or_an_agreement_is_no_organisation(make_doc):
    ix, x = make_doc("The Orphan Drug Act applies.", [("Orphan Drug Act", "ORG", "org.model")])
    link_entities(ix, x)
    assert x.entities == {} and ix.mentions == []


def test_an_organisation_whose_name_holds_a_document_word_keeps_its_node(make_doc):
    ix, x = make_doc("Act Pharma Inc. and the Contract Research Organization of Lakeside signed it.",
                     [("Act Pharma Inc.", "ORG", "org.model"), ("Contract Research Organization of Lakeside", "ORG",
                                                                 "org.model")])
    link_entities(ix, x)
    named = {m.span.text: x.entities[m.key].name for m in ix.mentions if m.rule == "org.model"}
    assert named == {"Act Pharma Inc.": "Act Pharma",
                     "Contract Research Organization of Lakeside": "Contract Research Organization of Lakeside"}


def test_ticker_after_a_name_is_read_from_the_exchange_list(make_doc):
    ix, x = make_doc(DATELINE, [("Acme Biosciences Inc.", "ORG", "org.model")])
    link_entities(ix, x)
    assert has_ticker_after(ix.text, ix.mentions[0])
    ix, x = make_doc("Acme Biosciences Inc. (PHASE: 2) today announced results.",
                     [("Acme Biosciences Inc.", "ORG", "org.model")])
    link_entities(ix, x)
    assert not has_ticker_after(ix.text, ix.mentions[0])
