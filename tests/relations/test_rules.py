"""kg/relations/rules.py: the linking rules, each phenomenon on sentences written for the test."""
from __future__ import annotations

import pytest

from kg.documents import parse_documents
from kg.nlp.pieces import process
from kg.relations import linked

pytestmark = pytest.mark.model


def extract(extractor, text, source="release.txt"):
    """The rules' extraction (no learned scorer, no identity stage): what these tests pin down is each rule."""
    [document] = parse_documents(text, source)
    return linked(process(extractor.nlp, document.text), document).x


def release(body: str, headline: str = "ACME NEWS") -> str:
    """A newswire release of the invented Acme Biosciences: headline, dateline, then ``body``."""
    return f"{headline}\n\nBOSTON, May 4, 2025 -- Acme Biosciences Inc. (NASDAQ: ACMB) {body}\n"


def name(x, key):
    return x.entities[key].name if key in x.entities else key


def facts(x):
    """(predicate, subject name, object name) for drug facts and trial facts, by name."""
    out = set()
    for a in x.assertions:
        out.add((a.predicate, name(x, a.subject), a.object if a.literal else name(x, a.object)))
    for t in x.trials:
        for d in t.drugs:
            for c in t.conditions:
                out.add(("investigatedFor", name(x, d), name(x, c)))
    return out


def trials(x):
    return [{"drugs": {name(x, k) for k in t.drugs}, "partners": {name(x, k) for k in t.partners},
             "conditions": {name(x, k) for k in t.conditions}, "sites": {name(x, k) for k in t.sites},
             "sponsors": {name(x, k) for k in t.sponsors}, "phases": set(t.phases), "status": t.status,
             "enrollment": t.enrollment, "names": set(t.names)} for t in x.trials]


def trial_with(x, condition):
    return next(t for t in trials(x) if condition in t["conditions"])


DESIGN = """BOSTON, June 2, 2022 - Harbor Biologics Inc. (NASDAQ: HRBR) today announced interim results
from a Phase II clinical trial of HB-3301 in patients with metastatic gastric cancer. The trial
tested HB-3301 in combination with oxaliplatin and has enrolled 34 patients.

About HB-3301

HB-3301 is an antisense drug that targets the R3 subunit of thymidylate synthase. In addition to the
gastric cancer trial described above, HB-3301 is the subject of a Clinical Trial Agreement with the
National Cancer Institute (NCI) under which it will be tested in four clinical trials. Two of these
trials have been initiated: melanoma at the Westbrook University Medical Center and glioblastoma at
Northgate Children's Hospital in Portland. The remaining trials will investigate HB-3301 in bladder
cancer and in mesothelioma.
"""


def test_sites_attach_to_the_right_trial(extractor):
    x = extract(extractor, DESIGN)
    # the unit names its university, the full name stays an alternative label
    assert trial_with(x, "melanoma")["sites"] == {"Westbrook University"}
    site = next(e for e in x.entities.values() if e.name == "Westbrook University")
    assert "Westbrook University Medical Center" in site.aliases
    assert trial_with(x, "glioblastoma")["sites"] == {"Northgate Children's Hospital"}
    assert trial_with(x, "gastric cancer")["sites"] == set()


def test_trial_agreement_sponsor_reaches_the_trials_of_the_agreement(extractor):
    x = extract(extractor, DESIGN)
    for condition in ("melanoma", "glioblastoma", "bladder cancer"):
        assert "National Cancer Institute" in trial_with(x, condition)["sponsors"]
    assert "National Cancer Institute" not in trial_with(x, "gastric cancer")["sponsors"]


def test_trial_described_across_sentences(extractor):
    x = extract(extractor, DESIGN)
    gastric = trial_with(x, "gastric cancer")
    assert gastric["phases"] == {"Phase 2"}
    assert gastric["partners"] == {"oxaliplatin"}
    assert gastric["enrollment"] == 34


def test_target_developer_and_issuer_sponsor(extractor):
    x = extract(extractor, DESIGN)
    f = facts(x)
    assert ("targets", "HB-3301", "R3 subunit of thymidylate synthase") in f
    assert ("developedBy", "HB-3301", "Harbor Biologics") in f
    assert "Harbor Biologics" in trial_with(x, "gastric cancer")["sponsors"]


def test_every_fact_has_evidence_with_offsets_into_the_original(extractor):
    [document] = parse_documents(DESIGN, "release.txt")
    x = extractor.extract(document)
    for a in x.assertions:
        ev = a.evidence
        assert ev.rule and 0 < ev.confidence <= 1
        assert DESIGN[ev.start:ev.end].split()[0] == ev.text.split()[0]
    for t in x.trials:
        for key, ev in t.evidence.items():
            assert ev.text and ev.rule, key


def test_status_planned_ongoing_completed(extractor):
    text = """Acme Biosciences Inc. announced that it has completed a Phase 3 trial of ZX-4410 in gout.
A Phase 2 trial of ZX-4410 in lupus is expected to begin in 2027.
Acme is enrolling patients in a Phase 1 study of ZX-4410 in psoriasis.
Acme has completed enrollment of 120 patients in a Phase 2 study of ZX-4410 in asthma."""
    x = extract(extractor, text)
    assert trial_with(x, "gout")["status"] == "completed"
    assert trial_with(x, "asthma")["status"] == "ongoing"      # enrollment complete, the trial goes on
    assert trial_with(x, "lupus")["status"] == "planned"
    assert trial_with(x, "psoriasis")["status"] == "ongoing"


def test_negated_statement_is_not_asserted(extractor):
    text = """Acme Biosciences Inc. reported that ZX-4410 is being developed for the treatment of gout.
ZX-4410 did not show any benefit in patients with lupus, and Acme will not develop it for lupus."""
    f = facts(extract(extractor, text))
    assert ("investigatedFor", "ZX-4410", "gout") in f
    assert not any(p == "investigatedFor" and o == "lupus" for p, s, o in f)


def test_alias_formerly_merges_two_code_names(extractor):
    text = """Acme Biosciences Inc. started a Phase 2 trial of ZX-4410 (formerly QA-220) in gout.
QA-220 was well tolerated."""
    x = extract(extractor, text)
    drugs = [e for e in x.entities.values() if e.type == "Drug"]
    assert len(drugs) == 1
    assert {"ZX-4410", "QA-220"} <= drugs[0].aliases | {drugs[0].name}


def test_abbreviation_and_the_company_resolve(extractor):
    text = """Acme Biosciences Inc. ("Acme") announced a Phase 2 trial of ZX-4410 in chronic kidney disease (CKD).
The Company expects data in CKD next year. Acme owns ZX-4410."""
    x = extract(extractor, text)
    conditions = [e for e in x.entities.values() if e.type == "Condition"]
    assert [c.name for c in conditions] == ["chronic kidney disease"] and "CKD" in conditions[0].aliases
    orgs = [e for e in x.entities.values() if e.type in ("Company", "Organization")]
    assert [o.name for o in orgs] == ["Acme Biosciences"]


def test_combination_partner_versus_comparator(extractor):
    text = """Acme Biosciences Inc. began a Phase 3 trial comparing ZX-4410 plus docetaxel versus
docetaxel plus placebo in patients with prostate cancer."""
    t = trial_with(extract(extractor, text), "prostate cancer")
    assert t["drugs"] == {"ZX-4410"} and t["partners"] == {"docetaxel"}


def test_other_companys_drug_is_not_the_issuers(extractor):
    text = """Acme Biosciences Inc. announced a Phase 2 trial of ZX-4410 in combination with Bayer's
darolutamide in men with prostate cancer."""
    f = facts(extract(extractor, text))
    assert ("developedBy", "ZX-4410", "Acme Biosciences") in f
    assert ("developedBy", "darolutamide", "Bayer") in f
    assert ("developedBy", "darolutamide", "Acme Biosciences") not in f


@pytest.mark.parametrize("owner, sentence", [
    ("Northwind", "First approved in 2021, and now sold in 80 countries, Northwind\u2019s darolutamide was the "
                  "fastest-growing androgen receptor blocker in the U.S."),
    ("Northwind Pharmaceuticals", "Acme is evaluating ZX-4410 sequenced with Northwind Pharmaceuticals Inc.\u2019s "
                                  "(NASDAQ: NWND) immune checkpoint inhibitor (CPI) darolutamide in patients with "
                                  "advanced prostate cancer."),
])
def test_possessive_owner_with_a_curly_apostrophe_or_a_ticker_between(extractor, owner, sentence):
    x = extract(extractor, release("today announced a Phase 2 trial of ZX-4410 with darolutamide in men with "
                                   "prostate cancer. " + sentence))
    f = facts(x)
    assert ("developedBy", "darolutamide", owner) in f
    assert ("developedBy", "darolutamide", "Acme Biosciences") not in f
    assert ("developedBy", "ZX-4410", "Acme Biosciences") in f
    assert any("Acme Biosciences" in t["sponsors"] for t in trials(x))


def test_the_issuers_possessive_keeps_it_the_sponsor_of_its_trial(extractor):
    x = extract(extractor, release("today announced that the first patient was dosed in a Phase 2 trial of "
                                   "Acme\u2019s ZX-4410 in patients with gout."))
    assert ("developedBy", "ZX-4410", "Acme Biosciences") in facts(x)
    assert trial_with(x, "gout")["sponsors"] == {"Acme Biosciences"}


def test_boilerplate_yields_no_facts(extractor):
    text = """Acme Biosciences Inc. announced a Phase 2 trial of ZX-4410 in gout.

Forward-Looking Statements

This press release contains forward-looking statements about ZX-4410 in lupus, including a Phase 3
trial at the Lakeside University Hospital.

Media Contact: Jane Roe, Roe Communications, Tel: (555) 555-0100, Email: jane@example.org"""
    x = extract(extractor, text)
    names = {e.name for e in x.entities.values()}
    assert "lupus" not in names and "Lakeside University Hospital" not in names and "Roe Communications" not in names
    assert ("investigatedFor", "ZX-4410", "gout") in facts(x)


def test_investigator_sponsored_trial_has_no_company_sponsor(extractor):
    text = """Acme Biosciences Inc. said ZX-4410 is in an ongoing investigator-sponsored Phase 1 trial in
patients with recurrent glioma."""
    t = trial_with(extract(extractor, text), "glioma")
    assert "Acme Biosciences" not in t["sponsors"]


def test_list_of_conditions_with_their_phases(extractor):
    text = """Acme Biosciences Inc. is testing ZX-4410 in ongoing clinical trials in gout (phase 2), lupus
(phase 2), and psoriasis (phase 3)."""
    x = extract(extractor, text)
    assert trial_with(x, "gout")["phases"] == {"Phase 2"}
    assert trial_with(x, "psoriasis")["phases"] == {"Phase 3"}


def test_brand_generic_and_code_in_one_parenthesis_are_one_drug(extractor):
    text = """Acme Biosciences Inc. reported results of a Phase 3 trial of Veltrana(R) (zelotinib, AC-8812)
in patients with gout."""
    x = extract(extractor, text)
    drugs = [e for e in x.entities.values() if e.type == "Drug"]
    assert len(drugs) == 1
    assert {"Veltrana", "zelotinib", "AC-8812"} <= {a.replace("(R)", "") for a in drugs[0].aliases} | {drugs[0].name}


def test_the_drug_and_the_trial_refer_back(extractor):
    text = """Acme Biosciences Inc. started a Phase 2 trial of ZX-4410 in patients with gout.
The trial is being conducted at the Lakeside University Hospital and will enroll 60 patients.
The drug is an inhibitor of XO-7 kinase."""
    x = extract(extractor, text)
    t = trial_with(x, "gout")
    assert t["sites"] == {"Lakeside University Hospital"} and t["enrollment"] == 60
    assert ("targets", "ZX-4410", "XO-7 kinase") in facts(x)


def test_trials_in_a_bulleted_list(extractor):
    text = """Acme Biosciences Inc. today provided an update on ZX-4410:

* A Phase 2 trial of ZX-4410 in gout is enrolling at the Lakeside University Hospital.
* A Phase 1 trial of ZX-4410 in lupus completed enrollment at the Riverside Cancer Center.
"""
    x = extract(extractor, text, "update.md")
    assert trial_with(x, "gout")["sites"] == {"Lakeside University Hospital"}
    assert trial_with(x, "lupus")["sites"] == {"Riverside Cancer Center"}
    assert trial_with(x, "lupus")["phases"] == {"Phase 1"}


def test_hypothetical_trial_is_planned_with_less_confidence(extractor):
    text = """Acme Biosciences Inc. said that, if approved, ZX-4410 could be tested in a Phase 3 program in
psoriasis. Acme is running a Phase 2 trial of ZX-4410 in gout."""
    x = extract(extractor, text)
    supposed = next(t for t in x.trials if any("psoriasis" in k for k in t.conditions))
    running = next(t for t in x.trials if any("gout" in k for k in t.conditions))
    assert supposed.status == "planned"
    conf = lambda t: max(ev.confidence for k, ev in t.evidence.items() if k.startswith("phases|"))
    assert conf(supposed) < conf(running)


def test_confidence_is_lower_for_defaults_than_for_stated_facts(extractor):
    text = """Acme Biosciences Inc. began a Phase 2 trial of ZX-4410 in gout, sponsored by the National
Cancer Institute."""
    x = extract(extractor, text)
    [t] = x.trials
    stated = t.evidence["sponsors|" + next(k for k in t.sponsors if "national" in k)]
    default = t.evidence["sponsors|" + next(k for k in t.sponsors if "acme" in k)]
    assert stated.rule == "trial.sponsor-cue" and default.rule == "sponsor.issuer-default"
    assert default.confidence < stated.confidence


@pytest.mark.parametrize("cue", ["sponsored by", "funded in part by", "conducted in cooperation with",
                                 "supported by a $4 million grant from"])
def test_sponsor_cues(extractor, cue):
    text = f"""Acme Biosciences Inc. started a Phase 2 trial of ZX-4410 in gout,
{cue} the National Institutes of Health."""
    assert "National Institutes of Health" in trial_with(extract(extractor, text), "gout")["sponsors"]


def test_a_drugs_appositive_target_is_not_given_to_a_substance_in_the_indication(extractor):
    x = extract(extractor, release("said the FDA granted orphan drug designation to ZX-7737, the company's oral "
                                   "melanocortin-4 receptor agonist, for leptin receptor deficiency obesity."))
    found = facts(x)
    assert ("targets", "ZX-7737", "melanocortin-4 receptor") in found
    assert ("investigatedFor", "ZX-7737", "leptin receptor deficiency obesity") in found
    assert not any(s.lower() == "leptin" for _, s, _ in found)


@pytest.mark.parametrize("clause", [
    "including those who have relapsed from venetoclax-based treatment",
    "whose disease progressed on venetoclax",
    "who were previously treated with venetoclax",
])
def test_a_prior_therapy_is_neither_a_trial_drug_nor_the_issuers(extractor, clause):
    x = extract(extractor, release("today announced that a Phase 1 trial of ZX-101 is underway in patients with "
                                   f"relapsed acute myeloid leukemia, {clause}."))
    assert [t["drugs"] for t in trials(x)] == [{"ZX-101"}]
    assert not any(s.lower() == "venetoclax" and p in ("developedBy", "investigatedFor") for p, s, _ in facts(x))


def test_their_is_not_the_issuers_possessive(extractor):
    x = extract(extractor, release("today announced a Phase 2 trial of ZX-101 in depression. Several celebrities "
                                   "have spoken about their success with ketamine as a depression treatment."))
    f = facts(x)
    assert ("developedBy", "ZX-101", "Acme Biosciences") in f
    assert not any(p == "developedBy" and s.lower() == "ketamine" for p, s, _ in f)


def test_the_company_of_an_unknown_issuer_is_credited_with_nothing(extractor):
    x = extract(extractor, "Oral Care News\n\nThe study enrolled 40 adults with gum disease. Results support the "
                           "Company's patented iodine rinse, ZX-101, as a daily therapy for gingivitis.\n")
    assert x.companies == []
    assert not any(p == "developedBy" for p, _, _ in facts(x))


def test_counted_trials_listing_as_many_conditions_are_one_trial_each(extractor):
    x = extract(extractor, release(
        "today said that three clinical trials to be initiated with NCI sponsorship will investigate "
        "AX-12 in colon cancer, prostate cancer, and a variety of solid tumors."))
    conds = sorted(tuple(t["conditions"]) for t in trials(x) if t["conditions"])
    assert conds == [("colon cancer",), ("prostate cancer",), ("solid tumors",)]


def test_interim_results_of_a_trial_still_treating_patients_leave_it_ongoing(extractor):
    x = extract(extractor, release(
        "announced today interim results from a recently conducted Phase II clinical trial of AX-12 in "
        "patients with renal cell cancer. One patient is still receiving treatment."))
    [t] = [t for t in trials(x) if "renal cell cancer" in t["conditions"]]
    assert t["status"] == "ongoing"


def test_an_nih_institute_with_commas_in_its_name_is_one_agency_of_the_nih(extractor):
    x = extract(extractor, release(
        "today announced that its Phase 2 trial of AC-101 in pulmonary arterial hypertension is funded by "
        "the National Heart, Lung, and Blood Institute."))
    orgs = {e.name: e for e in x.entities.values() if e.type in ("Organization", "Company")}
    assert "Blood Institute" not in orgs
    nhlbi = orgs["National Heart, Lung, and Blood Institute"]
    assert "agency" in nhlbi.roles
    assert "National Institutes of Health" in nhlbi.part_of.values()
    assert "National Heart, Lung, and Blood Institute" in trial_with(x, "pulmonary arterial hypertension")["sponsors"]


def test_a_researchers_affiliation_is_not_a_trial_site(extractor):
    body = ("today announced results of its Phase 2 trial of AC-101 in heart failure. \"The results are "
            "encouraging,\" said Dr. Jane Roe, lead author of the trial and a scientist at {0}. The trial enrolled "
            "patients at {1}.")
    x = extract(extractor, release(body.format("Westbrook University", "Northgate Children's Hospital")))
    sites = trial_with(x, "heart failure")["sites"]
    assert "Westbrook University" not in sites
    assert sites == {"Northgate Children's Hospital"}


def test_an_acronym_other_organisations_use_is_no_nih_institute(extractor):
    # "NIA" names an insurance alliance and an investor association in the archive's releases, most
    # mentions bare ("a review by an internal panel of NIA judges")
    [document] = parse_documents(release("today announced that a panel of NIA judges reviewed the results of "
                                         "its Phase 2 trial of AC-101 in asthma."), "release.txt")
    linker = linked(process(extractor.nlp, document.text), document)
    nia = [e for e in linker.all_entities.values() if "NIA" in {e.name, *e.aliases}]
    assert nia and all(e.name != "National Institute on Aging" and "agency" not in e.roles for e in nia)
