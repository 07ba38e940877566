"""kg/learn: gold matching, NER training data, company-grouped folds and the scores they give."""
from __future__ import annotations

import random

import pytest

from kg.learn import ner, scorer
from kg.learn.corpus import company_group
from kg.learn.gold import GoldDoc, norm

GOLD = {
    "entities": {
        "GTI": {"type": "Drug", "aliases": ["GTI-2040", "GTI 2040"]},
        "RCC": {"type": "Condition", "aliases": ["renal cell cancer", "RCC"]},
        "NCI": {"type": "Organization", "aliases": ["National Cancer Institute", "NCI"]},
        "CAPE": {"type": "Drug", "aliases": ["capecitabine", "GTI-2040 combined with capecitabine"]},
    },
    "facts": [["investigatedFor", "GTI", "RCC"], ["phase", "GTI", "RCC", "Phase II"], ["sponsor", "GTI", "NCI"]],
    "optional": [["combination", "GTI", "CAPE"]],
}


def test_names_compare_in_the_evaluators_normal_form():
    assert norm("The  Renal-Cell Tumour,") == norm("renal-cell tumor")
    assert norm("GTI\u20132040") == norm("gti-2040")


def test_verdicts_follow_the_evaluator():
    g = GoldDoc.from_json(GOLD)
    names = {"Drug|gti-2040": {"GTI-2040"}, "Condition|rcc": {"renal cell cancer", "advanced RCC"},
             "Drug|capecitabine": {"capecitabine"}, "Organization|nci": {"National Cancer Institute"},
             "Condition|colon cancer": {"colon cancer"}}
    assert g.verdict(("phase", "Drug|gti-2040", "Condition|rcc", "Phase 2"), names) == (("phase", "GTI", "RCC", "Phase 2"), "true")
    assert g.verdict(("combination", "Drug|capecitabine", "Drug|gti-2040"), names)[1] == "optional"
    hit, label = g.verdict(("investigatedFor", "Drug|gti-2040", "Condition|colon cancer"), names)
    assert label == "false" and hit[2].startswith("?")


def test_gold_projection_takes_longest_aliases_and_skips_descriptions():
    text = "GTI-2040 combined with capecitabine in renal cell cancer (RCC); the NCI sponsors it. Not rcc."
    spans = ner.project_gold(text, GOLD)
    got = {(text[s:e], lab) for s, e, lab in spans}
    assert ("GTI-2040", "DRUG") in got and ("capecitabine", "DRUG") in got
    assert ("renal cell cancer", "CONDITION") in got and ("RCC", "CONDITION") in got
    assert not any(t == "NCI" for t, _ in got)             # organisations stay with the original NER
    assert not any("combined" in t for t, _ in got)       # a description of a combination is no entity
    assert ("rcc", "CONDITION") not in got                 # a short capital alias keeps its case


def test_gold_spans_win_over_overlapping_silver():
    gold = [(0, 8, "DRUG")]
    silver = [(0, 3, "ORG"), (10, 20, "PERSON")]
    assert ner.merge(gold, silver) == [(0, 8, "DRUG"), (10, 20, "PERSON")]


def test_paragraphs_cover_the_text_and_stay_short():
    text = "First paragraph line one\nline two.\n\n" + ("word " * 600) + "\n\nLast."
    parts = list(ner.paragraphs(text, max_chars=500))
    assert all(e - s <= 500 for s, e in parts)
    assert text[parts[0][0]:parts[0][1]] == "First paragraph line one\nline two."
    assert text[parts[-1][0]:parts[-1][1]] == "Last."


def test_chunks_keep_spans_inside_their_paragraph():
    text = "Drug X works in every patient.\n\nIt treats gout in adults.\n\nNothing here to see, nothing."
    item = ner.Labelled("x", text, [(0, 6, "DRUG"), (42, 46, "CONDITION")], "silver")
    got = list(ner.chunks(item, random.Random(0), negative_rate=1.0))
    assert got[:2] == [("Drug X works in every patient.", [(0, 6, "DRUG")]),
                       ("It treats gout in adults.", [(10, 14, "CONDITION")])]
    assert len(got) == 3
    # a paragraph without a new label is kept at the negative rate
    assert len(list(ner.chunks(item, random.Random(0), negative_rate=0.0))) == 2


def test_company_groups_ignore_legal_forms():
    assert company_group("Lorus Therapeutics Inc.") == company_group("Lorus") == "lorus"
    assert company_group("The GeoVax Labs, Inc.") == "geovax"


def dataset():
    data = scorer.Dataset()
    rows = []
    for doc, group, truth in (("a", "acme", [1, 1, 0]), ("b", "acme", [1, 0]), ("c", "beta", [1, 1]),
                              ("d", "gamma", [0, 1])):
        data.subset[doc] = "train"
        data.group[doc] = group
        data.gold[doc] = set()
        for i, t in enumerate(truth):
            fact = ("investigatedFor", f"{doc}{i}", "c")
            hit = ("investigatedFor", f"G{doc}{i}", "C")
            if t:
                data.gold[doc].add(hit)
            rows.append(scorer.Row(doc, group, "train", fact, hit, "true" if t else "false", {"x": float(t)}))
        data.gold[doc].add(("targets", f"G{doc}", "T"))        # a gold fact no candidate states
    data.rows = rows
    return data


def test_folds_never_split_a_company():
    data = dataset()
    folds = scorer.folds(data, k=2)
    assert sorted(g for f in folds for g in f) == ["acme", "beta", "gamma"]
    assert sum("acme" in f for f in folds) == 1


def test_scores_count_as_the_evaluator_does():
    data = dataset()
    probs = [0.9 if r.label == "true" else 0.8 for r in data.rows]
    s = scorer.scores(data, probs, 0.85)["micro"]
    assert (s["tp"], s["fp"], s["fn"]) == (6, 0, 4)          # every gold candidate; 4 gold facts no candidate has
    s = scorer.scores(data, probs, 0.5)["micro"]
    assert (s["tp"], s["fp"]) == (6, 3)


def test_threshold_is_the_lowest_that_reaches_the_precision():
    data = dataset()
    probs = [0.9 if r.label == "true" else 0.3 for r in data.rows]
    assert scorer.choose_threshold(data, probs, min_precision=0.99) == pytest.approx(0.31)


def separable_rows(groups: int = 6, per_group: int = 20) -> list:
    """Rows of several companies whose label a feature gives (with noise in another), for fitting."""
    rnd = random.Random(3)
    rows = []
    for g in range(groups):
        for i in range(per_group):
            truth = i % 2
            rows.append(scorer.Row(f"d{g}", f"company{g}", "train", ("investigatedFor", f"a{g}{i}", "c"), (),
                                   "true" if truth else "false", {"cue_between": float(truth), "noise": rnd.random()}))
    return rows


def test_the_fitted_scorer_learns_a_cue_and_gives_probabilities():
    rows = separable_rows()
    vec, model = scorer.fit(rows)
    probs = scorer.predict(vec, model, rows)
    assert all(0.0 <= p <= 1.0 for p in probs)
    assert min(p for p, r in zip(probs, rows) if r.label == "true") > 0.8
    assert max(p for p, r in zip(probs, rows) if r.label == "false") < 0.2


def test_the_fitted_scorer_is_deterministic_and_single_threaded():
    rows = separable_rows()
    vec, model = scorer.fit(rows)
    again = scorer.fit(rows)
    assert scorer.predict(vec, model, rows) == scorer.predict(*again, rows)
    # one job a forest: `kg ingest --jobs N` runs N processes, each scoring with the model
    forests = [c.estimator for c in model.calibrated_classifiers_]
    assert len(forests) == 4 and all(f.n_jobs == 1 for f in forests)


def separable_dataset() -> scorer.Dataset:
    data = scorer.Dataset()
    for i, r in enumerate(separable_rows()):
        r.hit = ("investigatedFor", f"G{i}", "C")
        r.subset = "unseen" if r.group in ("company0", "company1") else "train"
        data.rows.append(r)
        data.subset[r.doc], data.group[r.doc] = r.subset, r.group
        data.gold.setdefault(r.doc, set())
        if r.label == "true":
            data.gold[r.doc].add(r.hit)
    return data


def test_seed_spread_reports_each_seed_at_its_own_threshold():
    data = separable_dataset()
    spread = scorer.seed_spread(data, [7, 8, 9], progress=False)
    assert spread["seeds"] == [7, 8, 9] and len(spread["thresholds"]) == 3
    for name in ("unseen", "train", "untuned", "all"):
        v = spread["f1"][name]
        assert len(v["values"]) == 3
        assert v["mean"] == pytest.approx(sum(v["values"]) / 3, abs=1e-4)
        assert v["sd"] >= 0.0
    assert spread["f1"]["all"]["mean"] > 0.9          # the cue separates the facts whatever the seed


def test_seed_spread_reuses_the_first_seeds_probabilities():
    data = separable_dataset()
    wrong = [0.0] * len(data.rows)                     # given for the first seed: it must be used, not recomputed
    spread = scorer.seed_spread(data, [7, 8], first=wrong, progress=False)
    assert spread["f1"]["all"]["values"][0] == 0.0
    assert spread["f1"]["all"]["values"][1] > 0.9


def test_crossval_report_shows_the_seed_spread():
    from kg.learn.crossval import markdown

    data = separable_dataset()
    probs = scorer.cross_validate(data, progress=False)
    threshold = scorer.choose_threshold(data, probs, docs=scorer.releases_of(data, "unseen", "train"))
    res = {"threshold": threshold, "min_precision": 0.8, "folds": scorer.folds(data),
           "cross_validated": scorer.by_subset(data, probs, threshold), "rules_only": scorer.rules_only(data),
           "reliability": scorer.reliability(data, probs)}
    assert "seeds of the model" not in markdown(res, None)
    res["seed_spread"] = scorer.seed_spread(data, [7, 8], first=probs, progress=False)
    text = markdown(res, None)
    assert "Scored F1 over 2 seeds of the model (seeds 7-8" in text
    row = next(line for line in text.splitlines() if line.startswith("| untuned | "))
    assert len(row.split("|")[4].split()) == 2          # one F1 per seed
