"""The learned fact scorer: a calibrated probability for every candidate fact, and the graph it keeps.

Every fact the rules state (:func:`~kg.relations.candidates.rule_candidates`)
and every pair a sentence names (:func:`~kg.relations.candidates.pair_candidates`)
gets a probability from a model trained on the gold annotations
(:mod:`kg.learn.scorer`, ``make train``). What the extraction keeps:

* facts at or above the model's threshold (chosen on company-grouped
  cross-validation for precision, recorded in the model's ``meta.json``);
  what falls below it is **kept out** of the graph;
* the trial structure they need: a trial keeps the drugs, conditions,
  phases, sites, sponsors and partners of its accepted facts; when its
  conditions do not share their accepted phases ("a Phase 2 trial in A, and
  B and C" where only A is at Phase 2) it is split, one trial per set of
  conditions with the same phases;
* accepted pair candidates become drug facts with the sentence as
  evidence and the rule ``pair.<relation>``.

Every kept statement's ``cp:confidence`` is the probability of the best
fact it supports. Without a trained model (before ``make train``) the
rules' extraction is kept as it is.
"""
from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import DataFileError
from ..paths import models_dir
from ..records import Assertion, Evidence, Extraction, Trial
from .candidates import DRUG_PREDICATES, Candidate, main_phase, pair_candidates, rule_candidates
from .features import FactIndex, features

log = logging.getLogger(__name__)

PREDICATES = {fact: predicate for predicate, fact in DRUG_PREDICATES.items()}   # fact relation -> graph property


@dataclass
class ScorerModel:
    vectorizer: object
    model: object
    threshold: float
    meta: dict

    def probabilities(self, rows: list[dict[str, float]]) -> list[float]:
        if not rows:
            return []
        # one thread: a batch is a few hundred rows, and a model's threads would spin against the other
        # worker processes of `kg ingest --jobs N` (jobs 2 ran 1.25x jobs 1 with OpenMP threads, 1.50x
        # without); the forests are built with n_jobs=1, and any OpenMP in scikit-learn is held to one
        with _threads().limit(limits=1, user_api="openmp"):
            return [float(p) for p in self.model.predict_proba(self.vectorizer.transform(rows))[:, 1]]


@functools.lru_cache(maxsize=1)
def _threads():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def scorer_path() -> Path:
    return models_dir() / "scorer"


@functools.lru_cache(maxsize=4)
def load_scorer(path: Path | None = None) -> ScorerModel | None:
    """The trained scorer in ``path`` (default ``kg/models/scorer``), or None when there is none."""
    path = path or scorer_path()
    meta_file, model_file = path / "meta.json", path / "model.joblib"
    if not meta_file.is_file() or not model_file.is_file():
        log.info("no trained fact scorer at %s: the rules' facts are kept as they are", path)
        return None
    import joblib
    import sklearn

    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    if meta.get("sklearn") != sklearn.__version__:
        raise DataFileError(meta_file, None, f"the scorer was trained with scikit-learn {meta.get('sklearn')}, "
                            f"this is {sklearn.__version__}: run make train")
    vectorizer, model = joblib.load(model_file)
    threshold = float(meta["threshold"])
    if not 0.0 <= threshold <= 1.0:
        raise DataFileError(meta_file, None, f"threshold {threshold} is not a probability")
    return ScorerModel(vectorizer, model, threshold, meta)


def candidates_with_features(linker) -> tuple[list[Candidate], list[dict[str, float]]]:
    """Every candidate fact of the linker's extraction, and its features."""
    known = rule_candidates(linker.x)
    cands = list(known.values()) + pair_candidates(linker, known)
    index = FactIndex(linker)
    rows = [features(c, index) for c in cands]
    add_competition(cands, rows)
    return cands, rows


def add_competition(cands: list[Candidate], rows: list[dict[str, float]]) -> None:
    """How a fact stands among the release's other candidates: how many share its relation and subject or
    object, and whether the rules state anything else about its subject or object."""
    from collections import Counter

    same_a = Counter((c.relation, c.fact[1]) for c in cands)
    same_b = Counter((c.relation, c.fact[2]) for c in cands)
    ruled = [c for c in cands if c.parts or c.assertions]
    ruled_args = Counter(arg for c in ruled for arg in c.fact[1:3])
    ruled_same = Counter((c.relation, c.fact[1]) for c in ruled)
    for c, f in zip(cands, rows):
        f["competitors_same_subject"] = float(same_a[(c.relation, c.fact[1])] - 1)
        f["competitors_same_object"] = float(same_b[(c.relation, c.fact[2])] - 1)
        f["a_in_rule_facts"] = float(ruled_args[c.fact[1]])
        f["b_in_rule_facts"] = float(ruled_args[c.fact[2]])
        f["rule_facts_same_relation_subject"] = float(ruled_same[(c.relation, c.fact[1])])


def score(linkers: list, model: ScorerModel) -> list[Extraction]:
    """Each linker's extraction, reduced to the facts the model accepts, each with its probability.

    The candidates of all the linkers go through the model in one call (its cost is mostly per call).
    """
    return [keep(linker, cands, model.threshold) for linker, cands in zip(linkers, scored(linkers, model))]


def scored(linkers: list, model: ScorerModel) -> list[list[Candidate]]:
    """Each linker's candidate facts with the model's probability set (one call of the model for all)."""
    batches = [candidates_with_features(linker) for linker in linkers]
    probs = iter(model.probabilities([row for _, rows in batches for row in rows]))
    for cands, _ in batches:
        for c in cands:
            c.probability = next(probs)
    return [cands for cands, _ in batches]


def keep(linker, cands: list[Candidate], threshold: float) -> Extraction:
    x = linker.x
    accepted = [c for c in cands if c.probability is not None and c.probability >= threshold]
    # assertions the accepted facts rest on, with the fact's probability as confidence
    best: dict[int, float] = {}
    for c in accepted:
        for i in c.assertions:
            best[i] = max(best.get(i, 0.0), c.probability)
    assertions = [_with_confidence(a, best[i]) for i, a in enumerate(x.assertions) if i in best or
                  a.predicate not in PREDICATES.values() or a.literal]
    pairs = [c for c in accepted if not c.parts and not c.assertions]
    for c in pairs:
        if c.relation in PREDICATES:
            assertions.append(Assertion(c.fact[1], PREDICATES[c.relation], c.fact[2], _pair_evidence(linker, c)))
    x.assertions = assertions
    parts = _parts_by_trial(accepted)
    x.trials = [part for t in x.trials for part in _restructure(t, parts.get(t.id, []))]
    add_pair_trials(linker, x.trials, [c for c in pairs if c.relation not in PREDICATES])
    x.entities = dict(linker.all_entities)
    linker._prune_entities()
    return linker.x


def _pair_evidence(linker, c: Candidate) -> Evidence:
    """A pair candidate's evidence: the sentence that named the pair, else the first that names its drug."""
    sent = c.sentences[0] if c.sentences else next(
        (m.span.sent for m in linker.mentions if m.key == c.fact[1]), linker.sents[0])
    return linker.evidence(sent, sorted(c.rules)[0], c.probability)


def add_pair_trials(linker, trials: list[Trial], pairs: list[Candidate]) -> None:
    """Accepted trial facts no rule stated: a phase joins the trial of its drug and condition that has no
    phase yet, else a new trial of that drug, phase and its conditions; a partner drug joins the trials of
    the drug it goes with; a sponsor joins every trial of its drug (a new one when the drug has none)."""
    n = 0

    def new_trial(drug: str, ev: Evidence) -> Trial:
        nonlocal n
        n += 1
        t = Trial(id=f"p{n}")
        t.add("drugs", drug, ev)
        trials.append(t)
        return t

    for c in sorted((c for c in pairs if c.relation == "phase"), key=lambda c: c.fact):
        _, d, cond, phase = c.fact
        ev = _pair_evidence(linker, c)
        home = next((t for t in trials if d in t.drugs and cond in t.conditions and not t.phases), None)
        if home is None:
            home = next((t for t in trials if t.id.startswith("p") and t.drugs == [d]
                         and {main_phase(p) for p in t.phases} == {phase}), None)
        if home is None:
            home = new_trial(d, ev)
        if any(main_phase(p) == phase for p in home.phases) and cond in home.conditions:
            continue
        home.add("conditions", cond, ev)
        if not any(main_phase(p) == phase for p in home.phases):
            home.add("phases", phase, ev)
    for c in (c for c in pairs if c.relation == "combination"):
        a, b = c.fact[1], c.fact[2]
        ev = _pair_evidence(linker, c)
        homes = [t for t in trials if a in t.drugs or b in t.drugs]
        if not homes:
            homes = [new_trial(a, ev)]
        for t in homes:
            other = b if a in t.drugs else a
            if other not in t.drugs:
                t.add("partners", other, ev)
    for c in (c for c in pairs if c.relation == "sponsor"):
        d, org = c.fact[1], c.fact[2]
        ev = _pair_evidence(linker, c)
        homes = [t for t in trials if d in t.drugs] or [new_trial(d, ev)]
        for t in homes:
            t.add("sponsors", org, ev)
    for c in (c for c in pairs if c.relation == "site"):
        cond, org = c.fact[1], c.fact[2]
        for t in trials:
            if cond in t.conditions:
                t.add("sites", org, _pair_evidence(linker, c))


def _with_confidence(a: Assertion, p: float) -> Assertion:
    return replace(a, evidence=replace(a.evidence, confidence=round(p, 3)))


def restructure(t: Trial, accepted: list[Candidate]) -> list[Trial]:
    """The parts of trial ``t`` that accepted facts need, as one or more trials.

    Drugs the trial studies side by side stay in one trial only when their combination is accepted
    (a list of drugs the rules read as one trial's becomes one trial per drug, each with its own
    accepted facts); within each, conditions that do not share their accepted phases are split.
    """
    return _restructure(t, _parts_by_trial(accepted).get(t.id, []))


def _parts_by_trial(accepted: list[Candidate]) -> dict[str, list[tuple[Candidate, list[tuple[str, str]]]]]:
    """Trial id -> the accepted facts that rest on parts of that trial, each with those parts (in the
    order of ``accepted``): one pass over the facts, whatever the number of trials."""
    out: dict[str, dict[int, tuple[Candidate, list]]] = {}
    for i, c in enumerate(accepted):
        for tid, a, v in c.parts:
            out.setdefault(tid, {}).setdefault(i, (c, []))[1].append((a, v))
    return {tid: list(by_fact.values()) for tid, by_fact in out.items()}


def _restructure(t: Trial, mine: list[tuple[Candidate, list[tuple[str, str]]]]) -> list[Trial]:
    """:func:`restructure` given the accepted facts resting on ``t`` (:func:`_parts_by_trial`)."""
    drugs = [d for d in t.drugs if any(("drugs", d) in parts for _, parts in mine)]
    if not drugs:
        return []
    out: list[Trial] = []
    for members in _drug_groups(drugs, mine):
        need: dict[tuple[str, str], float] = {}
        phases_of: dict[str, set[str]] = {}
        facts = [(c, parts) for c, parts in mine if any(a == "drugs" and v in members for a, v in parts)]
        for c, parts in facts:
            for part in parts:
                if part[0] != "drugs" or part[1] in members:
                    need[part] = max(need.get(part, 0.0), c.probability)
            if c.relation == "phase":
                phases_of.setdefault(c.fact[2], set()).add(c.fact[3])
        for c, parts in mine:           # a site goes with the conditions this group keeps
            if c.relation == "site" and ("conditions", c.fact[1]) in need:
                need[("sites", c.fact[2])] = max(need.get(("sites", c.fact[2]), 0.0), c.probability)
        conditions = [c for c in t.conditions if ("conditions", c) in need]
        groups: dict[frozenset, list[str]] = {}
        for c in conditions:
            groups.setdefault(frozenset(phases_of.get(c, ())), []).append(c)
        split = len(groups) > 1
        for phases, conds in sorted(groups.items(), key=lambda g: t.conditions.index(g[1][0])) or [(None, [])]:
            tid = t.id if not out else f"{t.id}-{len(out) + 1}"
            out.append(_subtrial(t, tid, members, conds, phases if split else None, need, first=not out))
    return out


def _drug_groups(drugs: list[str], mine: list) -> list[list[str]]:
    """The studied drugs of a trial grouped by the accepted combinations between them."""
    root = {d: d for d in drugs}

    def find(d: str) -> str:
        while root[d] != d:
            d = root[d]
        return d

    for c, parts in mine:
        pair = [v for a, v in parts if a == "drugs"]
        if c.relation == "combination" and len(pair) == 2 and all(p in root for p in pair):
            root[find(pair[0])] = find(pair[1])
    groups: dict[str, list[str]] = {}
    for d in drugs:
        groups.setdefault(find(d), []).append(d)
    return list(groups.values())


def _subtrial(t: Trial, tid: str, drugs: list[str], conditions: list[str], phases: frozenset | None,
              need: dict, first: bool) -> Trial:
    """A trial of ``t``'s kept parts; ``phases`` (main phases) limits its phases when it is one of a split."""
    new = Trial(id=tid, status=t.status, enrollment=t.enrollment if first else None,
                names=list(t.names) if first else [])

    def keep(attr: str, values: list[str]) -> None:
        for v in values:
            p = need.get((attr, v))
            if p is not None:
                getattr(new, attr).append(v)
                new.evidence[f"{attr}|{v}"] = _evidence(t.evidence[f"{attr}|{v}"], p)

    keep("drugs", drugs)
    keep("conditions", conditions)
    keep("partners", t.partners)
    keep("sponsors", t.sponsors)
    keep("sites", t.sites)
    if phases is None:
        keep("phases", t.phases)
        if not conditions:       # a trial without a condition keeps its phase: no fact rests on it
            for p in t.phases:
                if p not in new.phases:
                    new.phases.append(p)
                    new.evidence[f"phases|{p}"] = t.evidence[f"phases|{p}"]
    else:
        keep("phases", [p for p in t.phases if main_phase(p) in phases])
    for key in ("names", "status", "enrollment"):
        for k, ev in t.evidence.items():
            if k.startswith(key + "|") and (key != "enrollment" or first) and (key != "names" or first):
                new.evidence[k] = ev
    return new


def _evidence(ev: Evidence, p: float) -> Evidence:
    return replace(ev, confidence=round(p, 3))
