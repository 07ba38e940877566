"""kg/relations/candidates.py and scoring.py: facts read off records, trials kept and split by what is accepted."""
from __future__ import annotations

from kg.records import Assertion, Entity, Evidence, Extraction, Trial
from kg.relations.candidates import Candidate, canon, main_phase, rule_candidates
from kg.relations.scoring import add_pair_trials, restructure

EV = Evidence(0, 10, "a sentence", "trial.phase", 0.9)
D, D2, P = "Drug|hb-3301", "Drug|oxaliplatin", "Drug|cisplatin"
C1, C2 = "Condition|gastric cancer", "Condition|melanoma"
S, O = "Organization|westbrook university", "Organization|national cancer institute"


def trial(**parts) -> Trial:
    t = Trial(id="t1")
    for attr, values in parts.items():
        for v in values:
            t.add(attr, v, EV)
    return t


def extraction(*trials: Trial, assertions=()) -> Extraction:
    x = Extraction("doc", "doc.txt", {})
    x.trials = list(trials)
    x.assertions = list(assertions)
    for key in (D, D2, P, C1, C2, S, O):
        x.entities[key] = Entity(key, key.split("|")[0], key.split("|")[1])
    return x


def test_main_phase_folds_roman_numerals_and_subphases():
    assert main_phase("Phase IIa") == "Phase 2"
    assert main_phase("Phase 1b/2") == "Phase 1/2"
    assert main_phase("phase III") == "Phase 3"
    assert main_phase("Phase 2/3") == "Phase 2/3"


def test_combination_facts_are_symmetric():
    assert canon(("combination", D2, D)) == canon(("combination", D, D2))
    assert canon(("targets", D2, D)) == ("targets", D2, D)


def test_rule_candidates_read_trial_facts_as_the_graph_states_them():
    t = trial(drugs=[D], partners=[P], conditions=[C1, C2], phases=["Phase 2a", "Phase 2"], sites=[S], sponsors=[O])
    facts = rule_candidates(extraction(t))
    assert set(facts) == {
        ("investigatedFor", D, C1), ("investigatedFor", D, C2),
        ("phase", D, C1, "Phase 2"), ("phase", D, C2, "Phase 2"),
        canon(("combination", D, P)), ("sponsor", D, O), ("site", C1, S), ("site", C2, S)}
    # one fact, both stated phases: the parts it rests on are the trial's drug, condition and phases
    assert ("t1", "phases", "Phase 2a") in facts[("phase", D, C1, "Phase 2")].parts
    assert facts[("phase", D, C1, "Phase 2")].prior == 0.9


def test_rule_candidates_keep_the_assertion_behind_a_drug_fact():
    a = Assertion(D, "targets", "Target|r3", Evidence(0, 5, "s", "target.inhibitor-of", 0.85))
    facts = rule_candidates(extraction(assertions=[a]))
    c = facts[("targets", D, "Target|r3")]
    assert c.assertions == [0] and c.rules == {"target.inhibitor-of"}


def accepted_from(t: Trial, facts: set, p: float = 0.9) -> list[Candidate]:
    cands = rule_candidates(extraction(t))
    out = []
    for fact in facts:
        c = cands[fact]
        c.probability = p
        out.append(c)
    return out


def test_phase_fanned_over_conditions_is_split_by_the_accepted_phases():
    # "a Phase 2 trial in gastric cancer, and melanoma": only gastric cancer is at Phase 2
    t = trial(drugs=[D], conditions=[C1, C2], phases=["Phase 2"], sponsors=[O])
    acc = accepted_from(t, {("phase", D, C1, "Phase 2"), ("investigatedFor", D, C2), ("sponsor", D, O)})
    parts = restructure(t, acc)
    assert len(parts) == 2
    first, second = parts
    assert (first.conditions, first.phases) == ([C1], ["Phase 2"])
    assert (second.conditions, second.phases) == ([C2], [])
    assert first.sponsors == second.sponsors == [O]
    assert first.id == "t1" and second.id != first.id


def test_a_trial_whose_every_fact_is_rejected_is_dropped():
    t = trial(drugs=[D], conditions=[C1], phases=["Phase 1"])
    assert restructure(t, []) == []


def test_rejected_site_leaves_the_trial_without_it_and_confidence_is_the_probability():
    t = trial(drugs=[D], conditions=[C1], sites=[S])
    [kept] = restructure(t, accepted_from(t, {("investigatedFor", D, C1)}, p=0.73))
    assert kept.sites == [] and kept.conditions == [C1]
    assert kept.evidence[f"conditions|{C1}"].confidence == 0.73


def test_accepted_pairs_become_trials_or_join_the_drugs_trials():
    trials = [trial(drugs=[D], conditions=[C1])]

    class FakeLinker:
        mentions = []
        sents = [None]

        def evidence(self, sent, rule, conf):
            return Evidence(0, 1, "s", rule, conf)

    pairs = [Candidate(("phase", D, C2, "Phase 3"), rules={"pair.phase"}, probability=0.8),
             Candidate(("sponsor", D, O), rules={"pair.sponsor-issuer"}, probability=0.7),
             Candidate(canon(("combination", D, P)), rules={"pair.combination"}, probability=0.9)]
    add_pair_trials(FakeLinker(), trials, pairs)
    new = [t for t in trials if t.id != "t1"]
    assert len(new) == 1 and new[0].conditions == [C2] and new[0].phases == ["Phase 3"]
    assert all(O in t.sponsors for t in trials)
    assert all(P in t.partners for t in trials)
    assert new[0].evidence[f"sponsors|{O}"].rule == "pair.sponsor-issuer"


def test_drugs_read_as_one_trials_stay_together_only_when_their_combination_is_accepted():
    # "GLP-1 drugs such as semaglutide and tirzepatide are studied in obesity": two drugs, no combination
    t = trial(drugs=[D, D2], conditions=[C1], phases=["Phase 2"])
    parts = restructure(t, accepted_from(t, {("investigatedFor", D, C1), ("investigatedFor", D2, C1),
                                             ("phase", D, C1, "Phase 2")}))
    assert sorted(p.drugs for p in parts) == [[D], [D2]]
    alone = next(p for p in parts if p.drugs == [D2])
    assert alone.conditions == [C1] and alone.phases == []      # its phase fact was not accepted
    together = restructure(t, accepted_from(t, {("investigatedFor", D, C1), canon(("combination", D, D2))}))
    assert [p.drugs for p in together] == [[D, D2]]


def test_the_scorer_predicts_on_one_openmp_thread():
    """Its trees' OpenMP threads would spin against the other workers of `kg ingest --jobs N`."""
    import numpy as np
    import sklearn.ensemble  # noqa: F401  (loads the OpenMP runtime, as a trained scorer does)
    from threadpoolctl import threadpool_info

    from kg.relations.scoring import ScorerModel, _threads

    _threads.cache_clear()
    assert any(lib["user_api"] == "openmp" for lib in threadpool_info())

    seen = []

    class Model:
        def predict_proba(self, x):
            seen.append([lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "openmp"])
            return np.array([[0.25, 0.75]] * len(x))

    class Vectorizer:
        def transform(self, rows):
            return rows

    assert ScorerModel(Vectorizer(), Model(), 0.5, {}).probabilities([{"prior": 1.0}, {"prior": 0.0}]) == [0.75, 0.75]
    assert seen[0] and all(n == 1 for n in seen[0])


def test_a_drug_named_in_the_issuers_about_section_says_so_to_the_scorer(extractor):
    from kg.documents import parse_documents
    from kg.nlp.pieces import process
    from kg.relations import linked
    from kg.relations.scoring import candidates_with_features

    text = ("Acme Biosciences Reports Third Quarter Results\n\nBOSTON, May 4, 2025 -- Acme Biosciences Inc. "
            "(NASDAQ: ACMB) reported results for the quarter. ZX-4410 enrolled 40 patients with psoriasis.\n\n"
            "About Acme Biosciences\n\nAcme Biosciences is developing ZX-7730 for the treatment of asthma.\n")
    [document] = parse_documents(text, "release.txt")
    linker = linked(process(extractor.nlp, document.text), document)
    cands, rows = candidates_with_features(linker)
    about = {c.fact[1]: r for c, r in zip(cands, rows) if c.fact[0] == "developer"}
    by_name = {linker.all_entities[k].name: r for k, r in about.items()}
    assert by_name["ZX-7730"]["a_in_about"] == 1.0 and by_name["ZX-7730"]["a_body_mentions"] == 0.0
    assert by_name["ZX-4410"]["a_in_about"] == 0.0 and by_name["ZX-4410"]["a_body_mentions"] > 0.0
