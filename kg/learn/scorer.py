"""Train and cross-validate the fact scorer (:mod:`kg.relations.scoring`).

:func:`build_dataset` runs the pipeline and the linking rules over every
annotated release (the dev corpus and the training set, :mod:`kg.learn.corpus`),
takes every candidate fact with its features (:mod:`kg.relations.features`)
and judges it against the release's gold: a gold fact (1), not one (0), or
optional (left out of training and of the scores, as the evaluator leaves it).

:func:`cross_validate` holds out one group of companies at a time
(``GroupKFold``: a company's releases never sit on both sides), predicts the
held-out candidates, and scores the facts above each threshold exactly as
the shared evaluator does (a gold fact found, a false fact stated, a gold
fact missed, per release). The threshold the graph uses is the lowest whose
cross-validated precision on the releases nobody wrote rules against (200-223
and the training set) reaches ``min_precision`` (the highest recall at that
precision). The final model is fitted on every release.

Model: extremely randomised trees (scikit-learn's ``ExtraTreesClassifier``)
on the ``DictVectorizer``'s columns, calibrated by isotonic regression on
company-grouped folds, so ``cp:confidence`` is a probability
(``bench/results/crossval.md`` shows how well).
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .corpus import Corpus, Item, default_corpus

log = logging.getLogger(__name__)

SEED = 7
FOLDS = 5
MIN_PRECISION = 0.80


@dataclass
class Row:
    doc: str
    group: str
    subset: str
    fact: tuple
    hit: tuple              # the fact in the gold's terms (what the evaluator counts)
    label: str              # true | false | optional
    features: dict[str, float]


@dataclass
class Dataset:
    rows: list[Row] = field(default_factory=list)
    gold: dict[str, set] = field(default_factory=dict)         # doc -> gold facts
    subset: dict[str, str] = field(default_factory=dict)       # doc -> subset
    group: dict[str, str] = field(default_factory=dict)        # doc -> company group

    def training_rows(self) -> list[Row]:
        return [r for r in self.rows if r.label != "optional"]


# ---------------------------------------------------------------------------
# the data
# ---------------------------------------------------------------------------

_nlp = None


def _init() -> None:
    global _nlp
    from ..nlp import build_nlp

    _nlp = build_nlp()


def _rows_of(item: Item) -> tuple[str, list[Row], set]:
    from ..documents import load_documents
    from ..nlp.pieces import process
    from ..relations import linked
    from ..relations.scoring import candidates_with_features
    from .gold import GoldDoc

    document = list(load_documents(item.raw))[0]
    linker = linked(process(_nlp, document.text), document)
    cands, feats = candidates_with_features(linker)
    gold = GoldDoc.from_json(item.read_gold())
    names = {k: {e.name} | set(e.aliases) for k, e in linker.all_entities.items()}
    rows = []
    for c, f in zip(cands, feats):
        hit, label = gold.verdict(c.fact, names)
        rows.append(Row(item.name, item.group, item.subset, c.fact, hit, label, f))
    return item.name, rows, gold.facts


def build_dataset(corpus: Corpus, names: list[str], jobs: int = 2, progress: bool = True) -> Dataset:
    """Candidate facts with features and gold verdicts for the releases ``names`` of ``corpus``."""
    import multiprocessing as mp

    from tqdm import tqdm

    items = corpus.get(names)
    data = Dataset()
    for it in items:
        data.subset[it.name] = it.subset
        data.group[it.name] = it.group
    if jobs <= 1:
        _init()
        results = map(_rows_of, items)
        pool = None
    else:
        pool = mp.get_context("spawn").Pool(jobs, initializer=_init)
        results = pool.imap(_rows_of, items, chunksize=4)
    try:
        for name, rows, gold in tqdm(results, total=len(items), desc="candidate facts", unit="doc",
                                     disable=not progress):
            data.rows.extend(rows)
            data.gold[name] = gold
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    return data


# ---------------------------------------------------------------------------
# the model
# ---------------------------------------------------------------------------

def fit(rows: list[Row], seed: int = SEED):
    """A vectorizer and a calibrated model fitted on ``rows`` (optional facts left out).

    Four forests of extremely randomised trees, each fitted on the rows of three of four company groups
    and calibrated (isotonic) on the fourth, their probabilities averaged (``CalibratedClassifierCV(
    ensemble=True)``): probabilities that mean what they say and hold still when a few rows change.

    Why these trees: on company-grouped cross-validation (``python -m kg.learn.crossval``) they
    kept more true facts at the same precision than gradient-boosted trees (``HistGradientBoosting``,
    the model before): F1 on the untuned releases at precision 0.80, 0.708 -> 0.730, on 200-223 0.729
    -> 0.753. Boosting fits the few features that separate the training companies' facts; a forest
    whose splits are drawn at random and averaged leans on what many features agree on. Seeds move
    those scores by about 0.005; one forest calibrated on out-of-fold scores (``ensemble=False``)
    moved the threshold from 0.51 to 0.61 between seeds, the average of four by 0.01. 100 trees a
    forest: as good as 200-500, a 5 MB model, and 300 candidates scored in about 40 ms on one core.
    """
    import numpy as np
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import ExtraTreesClassifier
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.model_selection import GroupKFold

    vec = DictVectorizer(sparse=False)
    X = vec.fit_transform([r.features for r in rows])
    y = np.array([r.label == "true" for r in rows], dtype=int)
    groups = [r.group for r in rows]
    # one job: `kg ingest --jobs N` runs N processes, each scoring with this model
    base = ExtraTreesClassifier(n_estimators=100, min_samples_leaf=3, max_features="sqrt", n_jobs=1,
                                random_state=seed)
    splits = list(GroupKFold(n_splits=min(4, len(set(groups)))).split(X, y, groups))
    model = CalibratedClassifierCV(base, method="isotonic", cv=splits, ensemble=True)
    model.fit(X, y)
    return vec, model


def predict(vec, model, rows: list[Row]) -> list[float]:
    if not rows:
        return []
    return [float(p) for p in model.predict_proba(vec.transform([r.features for r in rows]))[:, 1]]


# ---------------------------------------------------------------------------
# cross-validation and scores
# ---------------------------------------------------------------------------

def folds(data: Dataset, k: int = FOLDS) -> list[set[str]]:
    """Company groups dealt into ``k`` folds, biggest first, each to the fold with the fewest facts so far."""
    size = defaultdict(int)
    for doc, facts in data.gold.items():
        size[data.group[doc]] += len(facts) + 1
    out: list[set[str]] = [set() for _ in range(k)]
    load = [0] * k
    for g in sorted(size, key=lambda g: (-size[g], g)):
        i = min(range(k), key=lambda i: (load[i], i))
        out[i].add(g)
        load[i] += size[g]
    return out


def cross_validate(data: Dataset, k: int = FOLDS, progress: bool = True, seed: int = SEED) -> list[float]:
    """Held-out probabilities for every row, each from a model that never saw the row's company."""
    from tqdm import tqdm

    probs = [0.0] * len(data.rows)
    for held in tqdm(folds(data, k), desc="cross-validation", unit="fold", disable=not progress):
        train = [r for r in data.training_rows() if r.group not in held]
        test = [i for i, r in enumerate(data.rows) if r.group in held]
        if not test:
            continue
        vec, model = fit(train, seed)
        for i, p in zip(test, predict(vec, model, [data.rows[i] for i in test])):
            probs[i] = p
    return probs


def scores(data: Dataset, probs: list[float], threshold: float, docs: set[str] | None = None) -> dict:
    """Per relation and micro P/R/F1 of the facts at or above ``threshold``, counted as the evaluator does."""
    pred: dict[str, set] = defaultdict(set)
    for r, p in zip(data.rows, probs):
        if p >= threshold and (docs is None or r.doc in docs):
            pred[r.doc].add((r.hit, r.label))
    per = defaultdict(lambda: [0, 0, 0])
    for doc, gold in data.gold.items():
        if docs is not None and doc not in docs:
            continue
        found = {h for h, lab in pred.get(doc, ()) if lab == "true"}
        for h in found:
            per[h[0]][0] += 1
        for h, lab in pred.get(doc, ()):
            if lab == "false":
                per[h[0]][1] += 1
        for g in gold - found:
            per[g[0]][2] += 1
    tot = [sum(v[i] for v in per.values()) for i in range(3)]
    return {"per_relation": {k: _prf(v) for k, v in sorted(per.items())}, "micro": _prf(tot)}


def _prf(v) -> dict:
    tp, fp, fn = v
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "p": round(p, 4), "r": round(r, 4),
            "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0}


def choose_threshold(data: Dataset, probs: list[float], min_precision: float = MIN_PRECISION,
                     docs: set[str] | None = None) -> float:
    """The lowest threshold whose cross-validated micro precision on ``docs`` (default all) reaches
    ``min_precision``: the most facts at that precision; else the threshold of the best F1."""
    grid = [round(t / 100, 2) for t in range(5, 96)]
    table = [(t, scores(data, probs, t, docs)["micro"]) for t in grid]
    ok = [t for t, m in table if m["p"] >= min_precision]
    if ok:
        return min(ok)
    return max(table, key=lambda tm: tm[1]["f1"])[0]


def reliability(data: Dataset, probs: list[float], bins: int = 10) -> list[dict]:
    """Cross-validated probabilities in bins against the share of gold facts among them."""
    out = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        sel = [(p, r.label == "true") for r, p in zip(data.rows, probs)
               if r.label != "optional" and (lo <= p < hi or (b == bins - 1 and p == 1.0))]
        if sel:
            out.append({"bin": f"{lo:.1f}-{hi:.1f}", "facts": len(sel),
                        "mean_probability": round(sum(p for p, _ in sel) / len(sel), 3),
                        "share_true": round(sum(t for _, t in sel) / len(sel), 3)})
    return out


def rules_only(data: Dataset) -> dict:
    """What the rules alone state (every rule candidate, no pair candidate), per subset, for comparison."""
    probs = [0.0 if r.features.get("pair_candidate") else 1.0 for r in data.rows]
    return by_subset(data, probs, 0.5)


#: subsets that join others: the dev corpus, and the releases nobody wrote rules against (what a new feed
#: looks like, where the threshold is chosen)
UNIONS = {"dev": ("tuned", "unseen"), "untuned": ("unseen", "train")}


def releases_of(data: Dataset, *subsets: str) -> set[str]:
    return {d for d, s in data.subset.items() if s in subsets}


def by_subset(data: Dataset, probs: list[float], threshold: float) -> dict:
    out = {}
    for name in ("tuned", "unseen", "train"):
        docs = releases_of(data, name)
        if docs:
            out[name] = scores(data, probs, threshold, docs)
    for name, parts in UNIONS.items():
        out[name] = scores(data, probs, threshold, releases_of(data, *parts))
    out["all"] = scores(data, probs, threshold)
    return out


def seed_spread(data: Dataset, seeds: list[int], min_precision: float = MIN_PRECISION,
                first: list[float] | None = None, progress: bool = True) -> dict:
    """The cross-validated micro F1 of each subset for several seeds of the model, each at its own
    threshold (chosen as the shipped one is), with their mean and standard deviation.

    A change of a few candidate facts moves one seed's scores by 0.005-0.01 (the threshold moves on the
    untuned releases' precision plateau), so a small change is judged on the mean of several seeds.
    ``first``: the probabilities of ``seeds[0]`` when they are at hand.
    """
    from statistics import mean, pstdev

    from tqdm import tqdm

    untuned = releases_of(data, *UNIONS["untuned"])
    runs = []
    for i, seed in enumerate(tqdm(seeds, desc="seeds", unit="seed", disable=not progress)):
        probs = first if i == 0 and first is not None else cross_validate(data, progress=False, seed=seed)
        threshold = choose_threshold(data, probs, min_precision, untuned)
        runs.append((threshold, by_subset(data, probs, threshold)))
    subsets = list(runs[0][1])
    f1 = {name: [run[name]["micro"]["f1"] for _, run in runs] for name in subsets}
    return {"seeds": list(seeds), "thresholds": [t for t, _ in runs],
            "f1": {name: {"mean": round(mean(v), 4), "sd": round(pstdev(v), 4), "values": v} for name, v in f1.items()}}


def data_hash(data: Dataset) -> str:
    h = hashlib.sha256()
    for r in sorted(data.rows, key=lambda r: (r.doc, repr(r.fact))):
        h.update(json.dumps([r.doc, list(r.fact), r.label, sorted(r.features.items())]).encode())
    return h.hexdigest()


# ---------------------------------------------------------------------------
# make train / make eval
# ---------------------------------------------------------------------------

def evaluate(shared: Path, jobs: int = 2, progress: bool = True, min_precision: float = MIN_PRECISION,
             seeds: int = 1) -> dict:
    """Company-grouped cross-validation of the scorer on every annotated release; the rules alone beside it;
    with ``seeds`` > 1, the spread of the scores over that many seeds of the model (:func:`seed_spread`)."""
    corpus = default_corpus(shared)
    data = build_dataset(corpus, corpus.subset("everything"), jobs=jobs, progress=progress)
    probs = cross_validate(data, progress=progress)
    threshold = choose_threshold(data, probs, min_precision, releases_of(data, *UNIONS["untuned"]))
    res = {"data": data, "probs": probs, "threshold": threshold,
           "cross_validated": by_subset(data, probs, threshold), "rules_only": rules_only(data),
           "reliability": reliability(data, probs), "folds": [sorted(f) for f in folds(data)]}
    if seeds > 1:
        res["seed_spread"] = seed_spread(data, list(range(SEED, SEED + seeds)), min_precision, probs, progress)
    return res


def train_scorer_model(shared: Path, jobs: int = 2, progress: bool = True,
                       min_precision: float = MIN_PRECISION) -> dict:
    import joblib
    import sklearn

    from ..paths import models_dir

    started = time.perf_counter()
    res = evaluate(shared, jobs, progress, min_precision)
    data = res["data"]
    vec, model = fit(data.training_rows())
    out = models_dir() / "scorer"
    out.mkdir(parents=True, exist_ok=True)
    joblib.dump((vec, model), out / "model.joblib", compress=3)
    meta = {
        "component": "fact scorer", "sklearn": sklearn.__version__, "threshold": res["threshold"],
        "min_precision": min_precision, "training_data_sha256": data_hash(data),
        "releases": {s: sum(1 for v in data.subset.values() if v == s) for s in ("tuned", "unseen", "train")},
        "candidates": {lab: sum(r.label == lab for r in data.rows) for lab in ("true", "false", "optional")},
        "features": len(vec.feature_names_), "folds": res["folds"],
        "cross_validated": res["cross_validated"], "rules_only": res["rules_only"],
        "reliability": res["reliability"], "minutes": round((time.perf_counter() - started) / 60, 1),
        "command": "make train",
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    log.info("fact scorer written to %s: threshold %.2f, CV micro %s", out, res["threshold"],
             res["cross_validated"]["all"]["micro"])
    return meta
