"""kg/nlp/organizations.py: one name per institution, the agency lexicon's units and parents, and the
data files behind them."""
from __future__ import annotations

import shutil

import pytest

from kg.errors import DataFileError
from kg.nlp import organizations
from kg.nlp.organizations import institution_name, named_by, names_a_document, org_lexicon, parent_of


@pytest.mark.parametrize("unit, institution", [
    # "<institution> <unit>"
    ("University of Chicago Cancer Research Center", "University of Chicago"),
    ("University of Southern California Norris Comprehensive Cancer Center", "University of Southern California"),
    ("Peking University People\u2019s Hospital", "Peking University"),
    ("Oklahoma State University College of Osteopathic Medicine", "Oklahoma State University"),
    ("City of Hope Comprehensive Cancer Center", "City of Hope"),
    ("City of Hope National Medical Center", "City of Hope"),
    # "<unit>, <institution>"
    ("Norris Comprehensive Cancer Center, University of Southern California", "University of Southern California"),
    ("Division of Hematology and Oncology, Ohio State University", "Ohio State University"),
    ("Department of Leukemia, The University of Texas MD Anderson Cancer Center",
     "University of Texas MD Anderson Cancer Center"),
    # "<unit> of / at <institution>", "<institution>'s <unit>"
    ("Winship Cancer Institute of Emory University", "Emory University"),
    ("Institute of Hematology at Peking University", "Peking University"),
    ("Comprehensive Cancer Center at Wake Forest University School of Medicine", "Wake Forest University"),
    ("University of Pennsylvania's Perelman School of Medicine", "University of Pennsylvania"),
])
def test_a_unit_named_with_its_institution_is_the_institution(unit, institution):
    assert institution_name(unit) == institution


@pytest.mark.parametrize("name", [
    "University of California, Davis", "University of California Davis", "UC Davis",
    "University of California, Davis Cancer Center", "University of California Davis Cancer Center",
    "Davis Cancer Center, University of California",
])
def test_every_name_of_a_campus_is_the_campus(name):
    assert institution_name(name) == "University of California, Davis"


def test_short_names_and_other_spellings_resolve_to_the_full_name():
    assert institution_name("UC Irvine Brain Imaging Center") == "University of California, Irvine"
    assert institution_name("Cross Cancer Center") == "Cross Cancer Institute"
    assert institution_name("MD Anderson Cancer Center") == "University of Texas MD Anderson Cancer Center"


@pytest.mark.parametrize("name", [
    "Karolinska University Hospital",            # a university hospital is an institution of its own
    "City of Hope Medical Group",                # a physicians' practice, not a unit
    "University of Texas Health Science Center",  # a unit of a system is not the system
    "University of California",                  # the system is not one of its campuses
    "National Cancer Institute of Mexico",       # "of <place>" is not "of <institution>"
    "Mayo Clinic, University of Florida",        # a clinic is no unit of the university listed after it
    "Myeloma Center",
])
def test_names_that_are_no_unit_of_another_institution_stay(name):
    assert institution_name(name) == name


def test_different_institutions_keep_different_names():
    names = ["University of California, Davis", "University of California, Irvine",
             "University of Kansas Cancer Center", "University of Chicago Cancer Center",
             "University of Texas MD Anderson Cancer Center", "University of Texas Health Science Center",
             "Ohio State University Medical Center", "Oklahoma State University College of Osteopathic Medicine"]
    assert len({institution_name(n) for n in names}) == len(names)


def test_institution_names_are_idempotent():
    for name in ["Davis Cancer Center, University of California", "Peking University People\u2019s Hospital",
                 "City of Hope National Medical Center", "UC Irvine Brain Imaging Center"]:
        once = institution_name(name)
        assert institution_name(once) == once


def test_a_programme_of_an_agency_is_the_agency_and_an_institute_is_part_of_its_agency():
    lex = org_lexicon()
    assert named_by(lex["CTEP"]).name == "National Cancer Institute"
    assert named_by(lex["DCTD"]).name == "National Cancer Institute"
    assert named_by(lex["NCI"]).name == "National Cancer Institute"
    assert parent_of("National Cancer Institute").name == "National Institutes of Health"
    assert parent_of("Cancer Therapy Evaluation Program") is None      # a unit is its parent, not part of it
    assert parent_of("National Institutes of Health") is None


# -- the data files fail loudly ----------------------------------------------------

@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    """A copy of data/ that KG_DATA_DIR points at; the organisation caches are cleared around the test."""
    from kg.paths import data_dir

    shutil.copytree(data_dir(), tmp_path / "data")
    monkeypatch.setenv("KG_DATA_DIR", str(tmp_path / "data"))
    caches = [org_lexicon, organizations.institution_lexicon, organizations._campuses, organizations._units,
              organizations._university, organizations._unit_of, organizations._document_head]
    for c in caches:
        c.cache_clear()
    yield tmp_path / "data" / "lexicons"
    monkeypatch.delenv("KG_DATA_DIR")
    for c in caches:
        c.cache_clear()


def _append(path, line: str) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write(line + "\n")


def test_a_parent_that_is_no_row_of_the_agency_lexicon_is_an_error(data_copy):
    _append(data_copy / "organizations.tsv", "Office of Things\tOOT\tagency\tNational Cancer Institutes\tyes")
    with pytest.raises(DataFileError, match=r"organizations.tsv:\d+: part_of 'National Cancer Institutes' is not"):
        org_lexicon()


def test_a_unit_without_a_parent_is_an_error(data_copy):
    _append(data_copy / "organizations.tsv", "Office of Things\tOOT\tagency\t\tyes")
    with pytest.raises(DataFileError, match=r"organizations.tsv:\d+: a unit needs the part_of"):
        org_lexicon()


def test_a_bad_unit_kind_is_an_error(data_copy):
    _append(data_copy / "institution_units.tsv", "Clinic\theads")
    with pytest.raises(DataFileError, match=r"institution_units.tsv:\d+: kind 'heads' is not valid"):
        institution_name("Peking University People's Hospital")


def test_a_name_two_institutions_claim_is_an_error(data_copy):
    _append(data_copy / "institutions.tsv", "Cross Cancer Centre of Alberta\tCross Cancer Center\t\t")
    with pytest.raises(DataFileError, match=r"institutions.tsv:\d+: 'Cross Cancer Center' already names"):
        institution_name("Cross Cancer Center")


def test_a_bad_document_noun_kind_is_an_error(data_copy):
    _append(data_copy / "document_nouns.tsv", "Waiver\theads")
    with pytest.raises(DataFileError, match=r"document_nouns.tsv:\d+: kind 'heads' is not valid"):
        names_a_document("a Clinical Trial Agreement")


# -- agreements, filings and laws are no organisations ------------------------------

@pytest.mark.parametrize("name", [
    "a Clinical Trial Agreement", "the Material Transfer Agreement", "Cooperative Research and Development Agreement",
    "Letter of Intent", "the Letter of Intent for the Acquisition", "Memorandum of Understanding",
    "Exclusive License Agreement With Borealis Pharma", "the \u201cRegistration Statement\u201d",
    "Orphan Drug Designation", "the Private Securities Litigation Reform Act", "Biologics License Application",
    "the Clinical Study Report", "CLINICAL SUPPLY AGREEMENT",
])
def test_the_name_of_an_agreement_filing_designation_or_law_names_a_document(name):
    assert names_a_document(name)


@pytest.mark.parametrize("name", [
    "Contract Research Organization", "Contract Pharmacal Corp.", "Act Pharma Inc.", "Application Science Group",
    "National Cancer Institute", "Report Therapeutics", "Cancer Therapy Evaluation Program",
])
def test_an_organisation_whose_name_only_holds_such_a_word_is_an_organisation(name):
    assert not names_a_document(name)


def test_the_entities_leave_out_documents_the_model_reads_as_organisations(nlp):
    from spacy.tokens import Span

    from kg.nlp.entities import MODEL_KEY, NER_KEY, resolve

    doc = nlp.make_doc("Harbor Biologics signed a Clinical Trial Agreement and a Letter of Intent with Contract "
                       "Pharmacal Corp. under the Orphan Drug Act.")
    words = [t.text for t in doc]
    span = lambda first, last: Span(doc, words.index(first), words.index(last) + 1, label="ORG")   # noqa: E731
    doc.spans[MODEL_KEY] = [span("Harbor", "Biologics"), span("Clinical", "Agreement"), span("Letter", "Intent"),
                            span("Contract", "Corp."), span("Orphan", "Act")]
    doc.spans[NER_KEY] = []
    assert [s.text for s in resolve(doc) if s.label_ == "ORG"] == ["Harbor Biologics", "Contract Pharmacal Corp."]


def test_an_agreement_and_its_short_form_are_no_organisations_in_a_release(nlp):
    doc = nlp("Harbor Biologics entered into an Exclusive License Agreement with Borealis Pharma for ZX-4410. "
              "Under a Cooperative Research and Development Agreement (CRADA) with the National Cancer Institute, "
              "ZX-4410 will be tested in gout. The CRADA runs for five years. "
              "The Asset Purchase Agreement with Borealis Pharma closed in March.")
    orgs = [e.kb_id_ for e in doc.ents if e.label_ == "ORG"]
    assert not [o for o in orgs if "Agreement" in o or o == "CRADA"]
    assert "Borealis Pharma" in orgs and "National Cancer Institute" in orgs


# -- the recogniser: institutions in a list stay apart -------------------------------

def test_institutions_listed_after_a_colon_are_not_joined(nlp):
    doc = nlp("The technology was licensed from three research institutions: Mayo Clinic, University of "
              "Florida, and NYU Langone Health.")
    orgs = [e.text for e in doc.ents if e.label_ == "ORG"]
    assert "Mayo Clinic" in orgs and "University of Florida" in orgs
    assert not any("," in o for o in orgs)


def test_a_unit_and_its_university_after_a_comma_are_one_name(nlp):
    doc = nlp("GTI-2040 is studied by Dr. David Quinn of the Norris Comprehensive Cancer Center, University of "
              "Southern California.")
    orgs = [e.text for e in doc.ents if e.label_ == "ORG"]
    assert "Norris Comprehensive Cancer Center, University of Southern California" in orgs


def test_a_long_run_of_text_is_read_in_steps_that_grow_no_faster_than_its_length():
    from work import calls

    # every "of" and "at" is a place to split a unit from its institution: tried naively, each more word
    # multiplied the ways to split it (minutes for a run of fifty words)
    words = "Center of Excellence of University of Chicago at".split() * 10

    def per_word(n: int) -> float:
        institution_name("warm " * n)                                    # caches filled
        return calls(institution_name, " ".join(words[:n]) + " Peking University") / n

    base = per_word(10)
    assert max(per_word(n) for n in range(11, 60)) < 2 * base
