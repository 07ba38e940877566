"""The project's spaCy components on sentences written for the tests (model-backed)."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.model


def ents(nlp, text, label=None):
    doc = nlp(text)
    return [(e.text, e.label_, e.kb_id_, e.id_) for e in doc.ents if label is None or e.label_ == label]


def kb(nlp, text, label):
    return {e[2] for e in ents(nlp, text, label)}


# -- conditions --------------------------------------------------------------

def test_condition_phrase_and_canonical_name(nlp):
    found = ents(nlp, "The trial enrolled patients with advanced, end-stage renal cell carcinoma.", "CONDITION")
    assert [(t, k) for t, _, k, _ in found] == [("advanced, end-stage renal cell carcinoma", "renal cell carcinoma")]


def test_condition_abbreviation_defined_in_the_text(nlp):
    text = "AB-101 is studied in non-small cell lung cancer (NSCLC). Patients with advanced NSCLC responded."
    found = ents(nlp, text, "CONDITION")
    assert {k for _, _, k, _ in found} == {"non-small cell lung cancer"}
    assert sum(1 for t, *_ in found if t.endswith("NSCLC")) == 2


def test_coordinated_modifiers_share_their_head(nlp):
    found = kb(nlp, "Its indications are lung, breast and colorectal cancer.", "CONDITION")
    assert {"lung cancer", "breast cancer", "colorectal cancer"} <= found


def test_head_noun_used_as_a_modifier_is_not_a_condition(nlp):
    assert kb(nlp, "The drug reduced tumor growth and cancer cell survival.", "CONDITION") == set()


@pytest.mark.parametrize("text, name", [
    ("The company's COVID-19 vaccine entered a Phase 2 trial.", "COVID-19"),
    ("It is the Company's Alzheimer's disease program.", "Alzheimer's disease"),
])
def test_the_owner_of_a_program_is_no_part_of_its_condition(nlp, text, name):
    assert [t for t, *_ in ents(nlp, text, "CONDITION")] == [name]


def test_a_disease_named_by_its_eponym_alone(nlp):
    found = ents(nlp, "ZX-4410 is in development for Parkinson's and early-stage Alzheimer\u2019s.", "CONDITION")
    assert [(t, k, r) for t, _, k, r in found] == [("Parkinson's", "Parkinson's disease", "condition.eponym"),
                                                   ("Alzheimer\u2019s", "Alzheimer's disease", "condition.eponym")]
    # a capitalised word after it makes the name of something else; a disease word, the whole name
    assert ents(nlp, "The Alzheimer's Association praised the study.", "CONDITION") == []
    # after a capitalised word or a title, a person's name
    assert ents(nlp, "It was seen in Dr. Parkinson's lab and by James Alzheimer's team.", "CONDITION") == []
    assert [(t, r) for t, _, _, r in ents(nlp, "It enrolled patients with Alzheimer's disease.", "CONDITION")] == \
        [("Alzheimer's disease", "condition.head-noun")]


def test_british_and_american_spellings_name_one_condition(nlp):
    assert kb(nlp, "It was tested in solid tumours.", "CONDITION") == kb(nlp, "It was tested in solid tumors.", "CONDITION")


# -- conditions in text in capitals (headlines, EDGAR titles) ----------------------

@pytest.mark.parametrize("headline, mixed", [
    ("ZX-4410 SHOWS ACTIVITY IN ADVANCED RENAL CELL CANCER", "ZX-4410 shows activity in advanced renal cell cancer."),
    ("HARBOR BIOLOGICS REPORTS DATA IN IDIOPATHIC PULMONARY FIBROSIS",
     "Harbor Biologics reports data in idiopathic pulmonary fibrosis."),
    ("FIRST PATIENT DOSED IN TRIAL OF ZX-4410 IN RELAPSED OR REFRACTORY MULTIPLE MYELOMA",
     "The first patient was dosed in a trial of ZX-4410 in relapsed or refractory multiple myeloma."),
    ("HARBOR BIOLOGICS TO PRESENT DATA IN NON-SMALL CELL LUNG CANCER AT THE ANNUAL MEETING",
     "Harbor Biologics will present data in non-small cell lung cancer at the annual meeting."),
    ("ZX-4410 ENTERS PHASE 2 IN PATIENTS WITH ACUTE MYELOID LEUKEMIA",
     "ZX-4410 entered Phase 2 in patients with acute myeloid leukemia."),
    ("HARBOR BIOLOGICS STARTS PHASE 2 STUDY OF ZX-4410 IN NSCLC",
     "Harbor Biologics started a study of ZX-4410 in NSCLC."),
    ("ZX-4410 IMPROVES MOTOR SCORES IN PARKINSON'S DISEASE", "ZX-4410 improved motor scores in Parkinson's disease."),
])
def test_a_condition_in_capitals_is_found_whole_and_named_as_in_running_text(nlp, headline, mixed):
    in_capitals = [(t, k.casefold()) for t, _, k, _ in ents(nlp, headline, "CONDITION")]
    [(_, name)] = in_capitals
    assert {name} == {k.casefold() for k in kb(nlp, mixed, "CONDITION")}


@pytest.mark.parametrize("text, name, whole", [
    # the parser cuts the headline after "RENAL"; "CELL CANCER" is a sentence of its own
    ("HARBOR BIOLOGICS ANNOUNCES INTERIM CLINICAL RESULTS OF ZX-4410 IN COMBINATION CHEMOTHERAPY FOR THE "
     "TREATMENT OF RENAL CELL CANCER\n\n- Further clinical development plans to proceed -", "RENAL CELL CANCER", True),
    # a paragraph break ends a name: "BOSTON" of the dateline is no part of it
    ("HARBOR BIOLOGICS DOSES FIRST PATIENT WITH ADVANCED NSCLC\n\nBOSTON, May 4, 2025 -- Harbor Biologics Inc. "
     "today announced that the first patient was dosed.", "ADVANCED NSCLC", True),
    # the headline wraps inside the name
    ("HARBOR BIOLOGICS REPORTS ZX-4410 DATA FOR THE TREATMENT OF RENAL\nCELL CANCER", "RENAL\nCELL CANCER", False),
    ("HARBOR BIOLOGICS REPORTS DATA IN METASTATIC CASTRATION-RESISTANT PROSTATE CANCER",
     "CASTRATION-RESISTANT PROSTATE CANCER", False),
    ("HARBOR BIOLOGICS STARTS TRIAL IN PARKINSON'S DISEASE PSYCHOSIS", "PARKINSON'S DISEASE PSYCHOSIS", False),
    ("HARBOR BIOLOGICS REPORTS DATA IN SQUAMOUS CELL CARCINOMA OF THE HEAD AND NECK",
     "SQUAMOUS CELL CARCINOMA OF THE HEAD AND NECK", False),
])
def test_a_condition_in_capitals_is_never_the_tail_of_a_longer_name(nlp, text, name, whole):
    """The whole name, or (where it cannot be told from the words around it) nothing."""
    found = [t for t, *_ in ents(nlp, text, "CONDITION")]
    assert found == ([name] if whole else [])


def test_text_in_capitals_is_told_by_its_sentence_or_its_line(nlp):
    from kg.nlp.conditions import capital_tokens
    from kg.nlp.resources import in_capitals

    assert in_capitals("CELL CANCER") and not in_capitals("AML, MDS") and not in_capitals("Renal Cell Cancer")
    doc = nlp("HARBOR BIOLOGICS REPORTS ZX-4410 DATA FOR THE TREATMENT OF RENAL\nCELL CANCER\n\n"
              "Harbor Biologics Inc. today announced results in renal cell cancer.")
    capitals = capital_tokens(doc)
    assert [t.text for t in doc if capitals[t.i] and not t.is_space][-3:] == ["RENAL", "CELL", "CANCER"]
    assert not any(capitals[t.i] for t in doc if t.text == "Harbor")


# -- drugs ---------------------------------------------------------------------

def test_dictionary_drug_carries_identifiers(nlp, extractor):
    from kg.nlp.drugs import drug_lexicon

    found = ents(nlp, "Patients received docetaxel every three weeks.", "DRUG")
    assert found and found[0][3] == "drug.lexicon"
    rec = drug_lexicon().lookup("docetaxel")
    assert ("drugbank", "DB01248") in rec.ids


def test_code_name_spellings_share_one_canonical_form(nlp):
    names = kb(nlp, "ZX-4410 and ZX 4410 and ZX4410 were dosed.", "DRUG")
    assert names == {"ZX-4410"}


def test_code_used_only_as_a_trial_name_is_a_trial(nlp):
    found = ents(nlp, "Acme enrolled the first patient in the ORCHID-7 study of zelotinib.")
    assert ("ORCHID-7", "TRIAL") in [(t, l) for t, l, *_ in found]
    assert ("zelotinib", "DRUG") in [(t, l) for t, l, *_ in found]


def test_cell_lines_and_mutations_are_not_drugs(nlp):
    labels = [(t, l) for t, l, *_ in ents(nlp, "Activity was seen in the human K5612 ovarian carcinoma model "
                                          "and in tumours with R1234Q mutations.")]
    assert ("K5612", "DRUG") not in labels and ("R1234Q", "DRUG") not in labels


@pytest.mark.parametrize("text, is_drug", [
    ("Drill hole QX-2207 intersected 40 metres of brine. Assays follow in May.", False),
    ("The warehouse has an R-38 insulated roof. Leasing starts in the spring.", False),
    ("Drilling is complete. QX-2207 will be tested in patients with gout next year.", True),
    ("QX-2207 reduced uric acid. It is the company's lead compound.", True),   # a drug noun nearby
])
def test_a_code_is_a_drug_only_near_medicine(nlp, text, is_drug):
    code = "QX-2207" if "QX" in text else "R-38"
    assert ((code, "DRUG") in [(t, l) for t, l, *_ in ents(nlp, text)]) is is_drug


@pytest.mark.parametrize("text, code, is_drug", [
    ("Session: B31 - Airway inflammation in patients with asthma, Sunday, 9:15 am.", "B31", False),
    ("Poster #LB-207 shows survival data in patients with melanoma.", "LB-207", False),
    ("Visit Booth 12-3 to learn about our oncology drug candidates.", "12-3", False),
    ("The poster shows that LB-207 improved survival in patients with melanoma.", "LB-207", True),
])
def test_a_code_labelling_a_session_poster_or_booth_is_not_a_drug(nlp, text, code, is_drug):
    assert ((code, "DRUG") in [(t, l) for t, l, *_ in ents(nlp, text)]) is is_drug


@pytest.mark.parametrize("model_label", ["ORG", "PERSON", "GPE"])
def test_a_coinage_that_names_the_company_is_not_a_drug(nlp, model_label):
    # whatever the statistical model calls "GreenVale Biopharma" (it often says PERSON), the company
    # word makes "GreenVale" a company, even where a sentence uses the word like a drug's name
    from spacy.tokens import Span

    from kg.nlp.entities import MODEL_KEY, confirm_drugs

    doc = nlp("GreenVale Biopharma (NASDAQ: GRVB) reported results. GreenVale is an oral drug in a Phase 2 study.")
    doc.spans[MODEL_KEY] = [Span(doc, 0, 2, label=model_label)]
    coinage = Span(doc, 10, 11, label="DRUG", kb_id="GreenVale", span_id="drug.coinage")
    assert coinage.text == "GreenVale"
    assert confirm_drugs(doc, [coinage]) == []
    doc.spans[MODEL_KEY] = []            # no company of that name: the drug frame confirms the coinage
    assert [s.text for s in confirm_drugs(doc, [coinage])] == ["GreenVale"]


@pytest.mark.parametrize("label, rule", [("PERSON", "org.model-company-word"), ("ORG", "org.model")])
def test_a_person_whose_name_ends_on_a_company_word_is_an_organisation(nlp, label, rule):
    from spacy.tokens import Span

    from kg.nlp.entities import MODEL_KEY, NER_KEY, resolve

    doc = nlp.make_doc("Annovis Bio said that Mary Stone joined the board.")
    doc.spans[MODEL_KEY] = [Span(doc, 0, 2, label=label), Span(doc, 4, 6, label="PERSON")]
    doc.spans[NER_KEY] = []
    got = {(s.text, s.label_, s.id_) for s in resolve(doc)}
    assert ("Annovis Bio", "ORG", rule) in got
    assert ("Mary Stone", "PERSON", "ner.model") in got       # no company word: a person stays one


@pytest.mark.parametrize("text, condition, substance", [
    ("ZX-101 is being developed for children with growth hormone deficiency.", "growth hormone deficiency",
     "growth hormone"),
    ("The FDA granted ZX-101, an oral agonist, orphan drug status for leptin receptor deficiency obesity.",
     "leptin receptor deficiency obesity", "leptin"),
])
def test_a_substance_a_condition_is_named_after_is_not_a_drug(nlp, text, condition, substance):
    found = [(t, l) for t, l, *_ in ents(nlp, text)]
    assert (condition, "CONDITION") in found and (substance, "DRUG") not in found
    # the same substance given as a treatment is a drug
    assert ("growth hormone", "DRUG") in [(t, l) for t, l, *_ in ents(nlp, "ZX-101 is given with growth hormone.")]


def test_a_condition_keeps_the_words_another_entity_did_not_take(nlp):
    found = [(t, l, k) for t, l, k, _ in ents(nlp, "ZX-101 was given to 40 patients with cisplatin-resistant "
                                                    "ovarian cancer and to 12 patients with T315I mutations.")]
    assert ("cisplatin", "DRUG", "Cisplatin") in found
    assert ("ovarian cancer", "CONDITION", "ovarian cancer") in found
    assert not any(l == "CONDITION" and "mutations" in t for t, l, _ in found)   # not a condition alone


def test_words_describing_an_inhibitor_are_not_part_of_its_target(nlp):
    text = ("ZX-900 enhanced the effect of ALK inhibitors by targeting SRC/YES1 kinases, beyond the reach of "
            "standard ALK inhibitors. ZY-12 is a novel, first-in-class KDR inhibitor.")
    targets = [t for t, l, *_ in ents(nlp, text) if l == "TARGET"]
    assert targets.count("ALK") == 2 and "KDR" in targets and not any("standard" in t for t in targets)


@pytest.mark.parametrize("text, code, label", [
    ("QZ007 is a new Phase Ib/randomized Phase II, open label study to assess ZX-47 with pembrolizumab "
     "in patients with lung cancer.", "QZ007", "TRIAL"),
    ("RX-4000, a wearable cardiac monitoring device, was tested in 40 patients with heart failure.", "RX-4000", None),
    ("NV-387, a broad-spectrum antiviral drug, is in a Phase 2 trial in patients with RSV.", "NV-387", "DRUG"),
])
def test_the_description_after_a_code_says_what_it_is(nlp, text, code, label):
    labels = {t: l for t, l, *_ in ents(nlp, text)}
    assert labels.get(code) == label


def test_brand_mark_needs_drug_use(nlp):
    found = kb(nlp, "Veltrana(R) is an investigational drug. Nimbus(R) is our cloud platform.", "DRUG")
    assert "Veltrana" in found and "Nimbus" not in found


# -- organisations and targets --------------------------------------------------

def test_institution_names_stop_at_people_and_places(nlp):
    text = ("The study is led by Dr. Jane Roe at the Riverside Cancer Center in Springfield and by "
            "Dr. John Doe, Director of Oncology at Lakeside University Hospital.")
    orgs = [t for t, l, k, r in ents(nlp, text, "ORG") if r == "org.institution"]
    assert orgs == ["Riverside Cancer Center", "Lakeside University Hospital"]


@pytest.mark.parametrize("text, name", [
    ("We will submit our plan to the Mayo Clinic's Independent Review Board for clearance.", "Mayo Clinic"),
    ("We will submit our plan to the University of Texas's Review Board for clearance.", "University of Texas"),
])
def test_an_institution_name_stops_at_its_possessive(nlp, text, name):
    assert [t for t, l, k, r in ents(nlp, text, "ORG") if r == "org.institution"] == [name]


def test_agency_lexicon_and_its_abbreviation(nlp):
    found = ents(nlp, "The trial is sponsored by the National Cancer Institute (NCI). The NCI will fund it.", "ORG")
    assert {k for _, _, k, _ in found} == {"National Cancer Institute"}
    assert len(found) == 3


@pytest.mark.parametrize("text, target", [
    ("ZX-4410 is a selective inhibitor of the enzyme XYZ kinase-3.", "XYZ kinase-3"),
    ("ZX-4410 is a potent, oral KRAS G12C inhibitor.", "KRAS G12C"),
    ("ZX-4410 is an antibody that blocks interleukin-17 (IL-17).", "interleukin-17"),
    ("ZX-4410, an anti-CD38 antibody, was well tolerated.", "CD38"),
])
def test_target_frames(nlp, text, target):
    assert target in {t for t, *_ in ents(nlp, text, "TARGET")}


def test_no_target_without_a_molecular_name(nlp):
    assert ents(nlp, "ZX-4410 is an immune checkpoint inhibitor and a novel angiogenesis inhibitor.", "TARGET") == []


@pytest.mark.parametrize("text, target", [
    ("The trial evaluates the TGF-β2 Targeting Antisense Oligonucleotide ZX-4410 with docetaxel.", "TGF-β2"),
    ("The trial evaluates the CD47-targeting antibody ZX-4410 with docetaxel.", "CD47"),
])
def test_the_drug_after_a_targeting_cue_is_no_target_the_name_before_it_is(nlp, text, target):
    found = ents(nlp, text)
    assert [(t, l) for t, l, *_ in found if l in ("TARGET", "DRUG")] == \
        [(target, "TARGET"), ("ZX-4410", "DRUG"), ("docetaxel", "DRUG")]


# -- context and zones -------------------------------------------------------------

def test_context_cues(nlp):
    from kg.nlp.context import categories

    doc = nlp("ZX-4410 did not show activity in gout. A Phase 3 trial is expected to begin in 2027.")
    gout = next(e for e in doc.ents if e.text == "gout")
    assert "NEGATED" in categories(doc, gout.start_char, gout.end_char)
    trial = doc.text.index("Phase 3")
    assert "PLANNED" in categories(doc, trial, trial + 7)


def test_entity_component_is_idempotent(nlp):
    doc = nlp("Acme Biosciences Inc. began a Phase 2 trial of ZX-4410 in gout at the Lakeside University Hospital.")
    before = [(e.start, e.end, e.label_, e.kb_id_, e.id_) for e in doc.ents]
    doc = nlp.get_pipe("kg_entities")(doc)
    assert [(e.start, e.end, e.label_, e.kb_id_, e.id_) for e in doc.ents] == before


def test_units_of_a_university_name_the_university():
    from kg.nlp.organizations import institution_name

    assert institution_name("The Ohio State University Medical Center") == "Ohio State University"
    assert institution_name("Stanford University School of Medicine") == "Stanford University"
    assert institution_name("University of Chicago Comprehensive Cancer Center") == "University of Chicago"
    assert institution_name("Karolinska University Hospital") == "Karolinska University Hospital"
    assert institution_name("Dana-Farber Cancer Institute") == "Dana-Farber Cancer Institute"


def test_mesh_names_a_condition_across_spellings():
    from kg.nlp.conditions import lookup_condition

    a, b = lookup_condition("renal cell cancer"), lookup_condition("renal cell carcinoma")
    assert a is not None and a == b and a.mesh_id == "D002292" and a.name == "renal cell carcinoma"
    assert lookup_condition("acute myeloid leukemia").name == "acute myeloid leukemia"
    assert lookup_condition("no such disease at all") is None


def test_a_trademark_on_the_first_word_of_a_company_name_marks_the_company_not_a_drug(nlp):
    found = ents(nlp, "Harvella\u2122 Biologics (AMEX: HRVL) is developing VCN-01. Harvella Biologics said so.")
    assert not any(t == "Harvella" and l == "DRUG" for t, l, *_ in found)
    assert ("VCN-01", "DRUG") in [(t, l) for t, l, *_ in found]


def test_a_disease_name_of_the_mesh_dictionary_is_a_condition_without_a_head_noun(nlp):
    assert "fibromyalgia" in kb(nlp, "Fibromyalgia, a chronic condition, affects millions of adults.", "CONDITION")


def test_a_headline_run_into_the_next_sentence_makes_no_coined_drug(nlp):
    found = ents(nlp, "Acme reports data from the trialThe company said AX-12 helped patients with gout.")
    assert not any(l == "DRUG" and "The" in t for t, l, *_ in found)


def test_never_in_a_hyphenated_population_word_negates_nothing(nlp):
    from kg.nlp.context import KEY
    doc = nlp("The trial evaluates AX-12 in never-smoker non-small cell lung cancer patients.")
    assert not any(cat == "NEGATED" for *_, cat, _rule, _dir in doc.user_data.get(KEY, []))


def test_an_injury_named_with_its_organ_is_a_condition(nlp):
    assert "mild traumatic brain injury" in kb(nlp, "ONP-002 treats mild traumatic brain injury, or concussion.", "CONDITION")
    assert "concussion" in kb(nlp, "ONP-002 treats mild traumatic brain injury, or concussion.", "CONDITION")


# -- names no recogniser knows, in drug frames ---------------------------------

def framed(nlp, text):
    """The names the drug frames alone find in ``text``, whatever the other recognisers make of them."""
    from kg.nlp.entities import english_words, frame_drugs

    return [s.text for s in frame_drugs(nlp(text), set(), english_words(nlp))]


@pytest.mark.parametrize("text, name", [
    # a new INN in lower case, right after its description
    ("Zentra Bio is developing its lead drug candidate, velunafitap, for Alzheimer's disease. "
     "In the study velunafitap was well tolerated.", "velunafitap"),
    # a code of an unusual shape the code patterns do not cover, after a possessive description
    ("Their lead asset, QRX-HER2, is an off-the-shelf immunotherapy. QRX-HER2 is given monthly.", "QRX-HER2"),
    # "X is <a company>'s other drug candidate"
    ("VX-CoV-2-R is Zentra\u2019s other drug candidate for COVID-19.", "VX-CoV-2-R"),
    # "<possessive> other advanced candidate is X"
    ("Our other advanced drug candidate is ZN-HHV-1 for the treatment of shingles.", "ZN-HHV-1"),
    # a brand in capitals, described as a drug
    ("GEMORA\u2122, a first-in-class oral gemcitabine prodrug, is in development.", "GEMORA"),
    # a headline's phase study of an unknown name
    ("Zentra Announces Data From Phase III Study of Velunafitap for Early Parkinson\u2019s", "Velunafitap"),
])
def test_a_name_no_recogniser_knows_is_a_drug_in_a_drug_frame(nlp, text, name):
    assert (name, "DRUG") in [(t, l) for t, l, *_ in ents(nlp, text)]
    assert name in framed(nlp, text)


@pytest.mark.parametrize("text, word", [
    # an English word in the frame is not a new name
    ("Its lead product, apparatus, is in development.", "apparatus"),
    # a company described by what it makes is not a drug
    ("Zentrix, a clinical-stage company developing novel therapeutics, announced results.", "Zentrix"),
    # the frame's description is not a drug's
    ("VELO-3X, a wearable sensor platform, is in development.", "VELO-3X"),
    # "of X" after a study with no phase: not a frame on its own
    ("The study of Velunafitap for memory is described.", "Velunafitap"),
])
def test_a_word_outside_a_drug_frame_or_an_english_word_is_not_a_new_drug(nlp, text, word):
    assert word not in framed(nlp, text)


def test_the_english_words_come_from_the_models_lemmatizer_tables(nlp):
    from kg.nlp.entities import english_words

    words = english_words(nlp)
    assert {"patient", "study", "apparatus"} <= words and "velunafitap" not in words
    import spacy
    assert english_words(spacy.blank("en")) == frozenset()    # no lemmatizer: no plain word is a new name


@pytest.mark.parametrize("text, word", [
    ("Kadimora is a clinical stage cell therapy company developing cell products.", "Kadimora"),
    ("Torvexa is a regenerative medicine company developing technologies.", "Torvexa"),
    ("Our products are called zentrafins and are sold online.", "called"),
])
def test_a_drug_noun_modifying_the_noun_after_it_does_not_make_a_drug(nlp, text, word):
    assert word not in framed(nlp, text)


# -- conditions a treatment frames --------------------------------------------

@pytest.mark.parametrize("text, names", [
    # a list after "a treatment of", with an item the dictionary does not know ("RSV")
    ("ZN-387 is an antiviral drug the company plans to develop as a treatment of RSV, Long COVID, "
     "influenza and other respiratory viral infections.", {"Long COVID"}),
    ("Our other advanced drug candidate is ZN-HHV-1 for the treatment of Shingles.", {"Shingles"}),
    # eponyms in the possessive, named by their disease
    ("The phase two trial is focused on treating Alzheimer\u2019s, Parkinson\u2019s and rare diseases.",
     {"Alzheimer\u2019s", "Parkinson\u2019s"}),
    # the list ends right before the cue
    ("The results support pan-herpesvirus and measles programs.", {"measles"}),
])
def test_dictionary_names_a_treatment_frames_are_conditions(nlp, text, names):
    found = {(t, r) for t, _, _, r in ents(nlp, text, "CONDITION")}
    assert names <= {t for t, _ in found}
    assert all(r == "condition.frame" for t, r in found if t in names)


def test_an_eponym_in_the_possessive_is_named_by_its_disease(nlp):
    found = ents(nlp, "The trial is focused on treating Alzheimer\u2019s and other rare diseases.", "CONDITION")
    assert ("Alzheimer\u2019s", "CONDITION", "Alzheimer's disease", "condition.frame") in found


@pytest.mark.parametrize("text", [
    "The treatment of patients with pain and infections improved.",      # general or unknown names
    "The partners will market the combined therapy.",                     # one word that is no noun
    "Clinics offer mental health treatments.",                            # a field, not an indication
    "The company reported smallpox data without any treatment.",          # no frame around the name
])
def test_no_condition_without_a_treatment_frame_or_from_a_general_word(nlp, text):
    assert not [r for *_, r in ents(nlp, text, "CONDITION") if r == "condition.frame"]


@pytest.mark.parametrize("text, mention, name", [
    # the modified dosing is a name of the same regimen: one node for both
    ("ZX-101 is given in combination with mFOLFIRINOX to patients.", "mFOLFIRINOX", "FOLFIRINOX"),
    ("ZX-101 is given with modified FOLFIRINOX to patients.", "modified FOLFIRINOX", "FOLFIRINOX"),
    ("ZX-101 is added to FOLFIRINOX-based therapies.", "FOLFIRINOX", "FOLFIRINOX"),
    ("ZX-101 is studied with R-CHOP in lymphoma.", "R-CHOP", "R-CHOP"),
])
def test_a_chemotherapy_regimen_named_by_its_acronym_is_a_drug(nlp, text, mention, name):
    assert (mention, "DRUG", name, "drug.regimen") in ents(nlp, text, "DRUG")


@pytest.mark.parametrize("text", [
    "The FLOT4 and CHOPIN studies enrolled 40 patients.",      # inside a longer word
    "Patients were enrolled at CHOP and at Stanford.",          # the Children's Hospital of Philadelphia
    "The filing was reported to the FEC in March.",             # the Federal Election Commission
])
def test_an_acronym_that_names_something_else_is_no_regimen(nlp, text):
    assert not [e for e in ents(nlp, text, "DRUG") if e[3] == "drug.regimen"]


@pytest.mark.parametrize("text, target", [
    ("ZX-900, its second candidate, targets YES1/SRC-driven tumors.", "YES1/SRC"),
    ("ZX-101 is a type II kinase inhibitor, targeting BRAF mutations common in glioma.", "BRAF"),
    ("ZX-202 is an immunotherapy targeting HER2-positive cancers.", "HER2"),
])
def test_a_population_named_by_its_target_gives_the_target(nlp, text, target):
    found = [(t, l) for t, l, *_ in ents(nlp, text)]
    assert (target, "TARGET") in found
    # the population's own words are not part of the target
    assert not any(l == "TARGET" and ("tumors" in t or "mutations" in t or "positive" in t) for t, l in found)
