"""kg/relations/frames.py: what each sentence says about a trial, on blank documents."""
from __future__ import annotations

from kg.relations.entities import link_entities
from kg.relations.frames import sentence_frame, sentence_frames, status, trial_reference, trial_tokens

DRUG = ("HB-3301", "DRUG", "drug.code-name")


def frames_of(make_doc, text, ents):
    ix, x = make_doc(text, ents)
    units = link_entities(ix, x)
    frames, _ = sentence_frames(ix, x, units)
    return ix, x, frames


def names(x, keys):
    return [x.entities[k].name for k in keys]


def test_trial_sentence_gives_drug_condition_phase_enrollment(make_doc):
    ix, x, [f] = frames_of(make_doc, "The Phase 2 trial of HB-3301 in patients with gastric cancer enrolled 34 patients.",
                           [("Phase 2", "PHASE", "phase"), DRUG,
                            ("gastric cancer", "CONDITION", "condition.head-noun"), ("34", "CARDINAL", "ner")])
    assert f.has_trial and f.phases == ["Phase 2"]
    assert names(x, f.drugs) == ["HB-3301"] and names(x, f.conditions) == ["gastric cancer"]
    assert f.enrollment == 34


def test_phase_of_a_dose_is_no_trial_phase(make_doc):
    ix, x, frames = frames_of(make_doc, "HB-3301 reached the recommended Phase 2 dose.",
                              [DRUG, ("Phase 2", "PHASE", "phase")])
    assert frames == []


def test_a_sentence_without_trial_site_or_sponsor_gives_no_frame(make_doc):
    ix, x = make_doc("HB-3301 is a small molecule.", [DRUG])
    units = link_entities(ix, x)
    assert sentence_frame(ix, x, units, ix.sents[0], ix.in_sentence(0)) is None


def test_list_of_conditions_at_institutions_gives_one_frame_each(make_doc):
    ix, x, frames = frames_of(
        make_doc, "Two clinical trials of HB-3301 have begun: melanoma at Westbrook University and "
                  "glioblastoma at Northgate Hospital.",
        [DRUG, ("melanoma", "CONDITION", "condition.lexicon"), ("Westbrook University", "ORG", "org.institution"),
         ("glioblastoma", "CONDITION", "condition.lexicon"), ("Northgate Hospital", "ORG", "org.institution")])
    assert [(names(x, f.conditions), names(x, f.sites)) for f in frames] == [
        (["melanoma"], ["Westbrook University"]), (["glioblastoma"], ["Northgate Hospital"])]
    assert {f.rules["segment"] for f in frames} == {"trial.list-segmentation"}


def test_these_trials_refer_back_to_several(make_doc):
    ix, x = make_doc("These trials of HB-3301 enrolled patients.", [DRUG])
    sent = ix.sents[0]
    assert trial_reference(ix, sent, trial_tokens(ix, sent)) == (True, True)
    ix, x = make_doc("A new trial of HB-3301 enrolled patients.", [DRUG])
    sent = ix.sents[0]
    assert trial_reference(ix, sent, trial_tokens(ix, sent)) == (False, False)


def test_trial_agreement_is_no_trial(make_doc):
    ix, x = make_doc("HB-3301 is the subject of a Clinical Trial Agreement.", [DRUG])
    assert trial_tokens(ix, ix.sents[0]) == []


def test_status_from_the_context_cues():
    assert status({"COMPLETED": "context.completed"}) == "completed"
    assert status({"HYPOTHETICAL": "context.may"}) == "planned"
    assert status({"NEGATED": "context.no"}) is None


def test_phases_in_brackets_after_a_condition_and_its_abbreviation_give_one_trial_per_phase(make_doc):
    ix, x, frames = frames_of(
        make_doc, "HB-3301 is in ongoing clinical trials in non-small cell lung cancer (NSCLC) (phase 2), "
                  "pancreatic cancer (phase 2), and prostate cancer (phase 2 and phase 3).",
        [DRUG, ("non-small cell lung cancer", "CONDITION", "condition.lexicon"),
         ("NSCLC", "CONDITION", "condition.abbreviation", "non-small cell lung cancer"),
         ("phase 2", "PHASE", "phase"), ("pancreatic cancer", "CONDITION", "condition.lexicon"),
         ("phase 2", "PHASE", "phase"), ("prostate cancer", "CONDITION", "condition.lexicon"),
         ("phase 2 and phase 3", "PHASE", "phase")])
    assert [(names(x, f.conditions), f.phases) for f in frames] == [
        (["non-small cell lung cancer"], ["Phase 2"]), (["pancreatic cancer"], ["Phase 2"]),
        (["prostate cancer"], ["Phase 2"]), (["prostate cancer"], ["Phase 3"])]
    assert {f.rules["segment"] for f in frames} == {"trial.list-segmentation"}


def test_phases_and_conditions_respectively_pair_in_order(make_doc):
    text = "HB-3301 has completed phase 2a and phase 3 trials in pancreatic cancer and prostate cancer{}."
    ents = [DRUG, ("phase 2a and phase 3", "PHASE", "phase"), ("pancreatic cancer", "CONDITION", "condition.lexicon"),
            ("prostate cancer", "CONDITION", "condition.lexicon")]
    ix, x, frames = frames_of(make_doc, text.format(", respectively"), ents)
    assert [(names(x, f.conditions), sorted(f.phases)) for f in frames] == [
        (["pancreatic cancer"], ["Phase 2", "Phase 2a"]), (["prostate cancer"], ["Phase 3"])]
    ix, x, [frame] = frames_of(make_doc, text.format(""), ents)      # without it, which goes with which is unknown
    assert len(frame.conditions) == 2


def test_a_phase_of_plural_trials_gives_one_trial_per_condition(make_doc):
    text = "HB-3301 completed {} in melanoma and glioblastoma, and a phase 3 trial in gastric cancer."
    ents = [DRUG, ("phase 2a", "PHASE", "phase"), ("melanoma", "CONDITION", "condition.lexicon"),
            ("glioblastoma", "CONDITION", "condition.lexicon"), ("phase 3", "PHASE", "phase"),
            ("gastric cancer", "CONDITION", "condition.lexicon")]
    ix, x, frames = frames_of(make_doc, text.format("phase 2a clinical trials"), ents)
    assert [(names(x, f.conditions), f.phases[-1]) for f in frames] == [
        (["melanoma"], "Phase 2"), (["glioblastoma"], "Phase 2"), (["gastric cancer"], "Phase 3")]
    ix, x, frames = frames_of(make_doc, text.format("a phase 2a clinical trial"), ents)
    assert [(names(x, f.conditions), f.phases[-1]) for f in frames] == [      # one trial of both (a basket trial)
        (["melanoma", "glioblastoma"], "Phase 2"), (["gastric cancer"], "Phase 3")]
