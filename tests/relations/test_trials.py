"""kg/relations/trials.py: frames merged into trials, inherited conditions, default sponsors."""
from __future__ import annotations

import pytest

from kg.records import Evidence, Trial
from kg.relations.entities import link_entities
from kg.relations.frames import Frame
from kg.relations.trials import TrialBuilder, inherit_conditions, trial_facts

TEXT = ("Acme Biosciences Inc. today announced a Phase 2 trial of HB-3301 in melanoma. "
        "The study enrolled 30 patients. A Phase 3 trial in glioblastoma follows. HB-3301 may enter a Phase 3 trial.")
DRUG, MELANOMA, GLIOBLASTOMA = "Drug|hb-3301", "Condition|melanoma", "Condition|glioblastoma"


@pytest.fixture
def release(make_doc):
    ix, x = make_doc(TEXT, [("Acme Biosciences Inc.", "ORG", "org.model"), ("HB-3301", "DRUG", "drug.code-name"),
                            ("melanoma", "CONDITION", "condition.lexicon"),
                            ("glioblastoma", "CONDITION", "condition.lexicon")])
    link_entities(ix, x)
    return ix, x


def test_a_frame_referring_back_fills_the_trial_in_focus(release):
    ix, x = release
    first = Frame(ix.sents[0], drugs=[DRUG], conditions=[MELANOMA], phases=["Phase 2"], has_trial=True)
    again = Frame(ix.sents[1], enrollment=30, anaphoric=True, has_trial=True)
    [trial] = TrialBuilder(ix, x).build([first, again], {0: DRUG})
    assert (trial.drugs, trial.conditions, trial.phases, trial.enrollment) == ([DRUG], [MELANOMA], ["Phase 2"], 30)
    assert trial.evidence["enrollment|30"].rule == "trial.enrollment"


def test_another_phase_and_condition_is_another_trial_of_the_drug_in_focus(release):
    ix, x = release
    first = Frame(ix.sents[0], drugs=[DRUG], conditions=[MELANOMA], phases=["Phase 2"], has_trial=True)
    other = Frame(ix.sents[2], conditions=[GLIOBLASTOMA], phases=["Phase 3"], has_trial=True)
    builder = TrialBuilder(ix, x)
    trials = builder.build([first, other], {0: DRUG})
    assert [(t.drugs, t.conditions, t.phases) for t in trials] == [
        ([DRUG], [MELANOMA], ["Phase 2"]), ([DRUG], [GLIOBLASTOMA], ["Phase 3"])]
    assert builder.trial_drugs == {DRUG}


def test_a_supposed_trial_has_less_confidence(release):
    ix, x = release
    [trial] = TrialBuilder(ix, x).build([Frame(ix.sents[3], drugs=[DRUG], phases=["Phase 3"], has_trial=True,
                                               hypothetical=True)], {3: DRUG})
    assert trial.evidence[f"drugs|{DRUG}"].confidence == pytest.approx(0.9 * 0.6)


def test_issuer_sponsors_trials_of_its_drugs_unless_investigator_sponsored(release):
    ix, x = release
    frames = [Frame(ix.sents[0], drugs=[DRUG], conditions=[MELANOMA], phases=["Phase 2"], has_trial=True),
              Frame(ix.sents[2], drugs=[DRUG], conditions=[GLIOBLASTOMA], phases=["Phase 3"], has_trial=True,
                    investigator_sponsored=True)]
    builder = TrialBuilder(ix, x)
    trials = builder.build(frames, {0: DRUG})
    trial_facts(x, trials, {}, builder.investigator_sponsored)
    assert [t.sponsors for t in x.trials] == [["Organization|acme biosciences"], []]
    assert x.trials[0].evidence["sponsors|Organization|acme biosciences"].rule == "sponsor.issuer-default"


def test_a_trial_without_condition_inherits_the_one_condition_of_its_drug():
    ev = Evidence(0, 10, "text", "trial.phase", 0.9)
    known = Trial("t1", drugs=["Drug|x"], conditions=["Condition|y"], phases=["Phase 2"], evidence={"phases|Phase 2": ev})
    bare = Trial("t2", drugs=["Drug|x"], phases=["Phase 3"], evidence={"phases|Phase 3": ev})
    inherit_conditions([known, bare])
    assert bare.conditions == ["Condition|y"]
    assert bare.evidence["conditions|Condition|y"].rule == "trial.condition-of-drug"


def test_a_trial_named_without_condition_takes_it_when_named_again(release):
    """ "Phase 2 trial of X expanded" (a headline), then "X ... for melanoma, in a Phase 2 trial": one trial."""
    ix, x = release
    headline = Frame(ix.sents[0], drugs=[DRUG], phases=["Phase 2"], has_trial=True)
    again = Frame(ix.sents[1], drugs=[DRUG], conditions=[MELANOMA], phases=["Phase 2"], has_trial=True)
    other = Frame(ix.sents[2], drugs=[DRUG], conditions=[GLIOBLASTOMA], phases=["Phase 2"], has_trial=True)
    trials = TrialBuilder(ix, x).build([headline, again, other], {0: DRUG})
    assert [(t.conditions, t.phases) for t in trials] == [([MELANOMA], ["Phase 2"]), ([GLIOBLASTOMA], ["Phase 2"])]


def test_a_study_of_the_drug_in_focus_that_adds_nothing_is_the_trial_in_focus(release):
    """ "Ongoing clinical study sites for X are located ...": the trial named before, not a new one."""
    ix, x = release
    first = Frame(ix.sents[0], drugs=[DRUG], conditions=[MELANOMA], phases=["Phase 2"], has_trial=True)
    sites = Frame(ix.sents[1], drugs=[DRUG], has_trial=True, status="ongoing")
    [trial] = TrialBuilder(ix, x).build([first, sites], {0: DRUG})
    assert trial.status == "ongoing" and trial.evidence["status|ongoing"].start == ix.sents[1].start_char
    other = Frame(ix.sents[2], drugs=[DRUG, "Drug|hb-9"], has_trial=True)
    assert len(TrialBuilder(ix, x).build([first, other], {0: DRUG})) == 2      # another drug: another trial
