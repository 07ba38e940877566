"""Candidate facts: what the rules state, and the pairs a sentence puts side by side.

A *fact* is the unit researchers query and the evaluator counts: a relation
and its arguments over entity keys, ``("phase", drug, condition, "Phase 2")``,
``("site", condition, organisation)``. The graph states most facts through
trial nodes, so one fact rests on several *parts* (a trial's drug, its
condition, its phase); :func:`rule_candidates` reads the facts off an
:class:`~kg.records.Extraction` exactly as the graph will state them, with
the parts and assertions each one rests on.

:func:`pair_candidates` adds what the rules did not state: every drug and
condition, drug and target, drug and organisation named in one sentence
(and a target in a sentence about the release's drug), for the learned
scorer (:mod:`kg.relations.scoring`) to accept or reject. Those candidates
carry the rule ``pair.<relation>``.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from spacy.tokens import Span

from ..records import Extraction
from ..schema import ASSERTED_RELATIONS, main_phase
from .values import normalize_phase

Fact = tuple                     # (relation, a, b) or ("phase", drug, condition, "Phase N")
SYMMETRIC = {"combination"}
# the drug-level relations of the graph (kg.schema) by their name in the gold annotations and the evaluator
GOLD_NAMES = {"developedBy": "developer"}
DRUG_PREDICATES = {r.name: GOLD_NAMES.get(r.name, r.name) for r in ASSERTED_RELATIONS if not r.literal}
PAIR_RELATIONS = {("DRUG", "CONDITION"): "investigatedFor", ("DRUG", "TARGET"): "targets", ("DRUG", "ORG"): "developer"}


def canon(fact: Fact) -> Fact:
    if fact[0] in SYMMETRIC:
        return (fact[0],) + tuple(sorted(fact[1:3]))
    return fact


@dataclass
class Candidate:
    fact: Fact
    assertions: list[int] = field(default_factory=list)                    # indices into Extraction.assertions
    parts: list[tuple[str, str, str]] = field(default_factory=list)        # (trial id, attribute, value)
    sentences: list[Span] = field(default_factory=list)                    # where a pair candidate was seen
    rules: set[str] = field(default_factory=set)
    prior: float = 0.0                  # the highest confidence a rule gave it
    probability: float | None = None    # the scorer's

    @property
    def relation(self) -> str:
        return self.fact[0]


def rule_candidates(x: Extraction) -> dict[Fact, Candidate]:
    """The facts the rules' extraction states, as the graph will state them."""
    out: dict[Fact, Candidate] = {}

    def add(fact: Fact, assertion: int | None = None, parts: tuple = (), evidence=()) -> None:
        c = out.setdefault(canon(fact), Candidate(canon(fact)))
        if assertion is not None:
            c.assertions.append(assertion)
        c.parts.extend(p for p in parts if p not in c.parts)
        for ev in evidence:
            c.rules.add(ev.rule)
            c.prior = max(c.prior, ev.confidence)

    for i, a in enumerate(x.assertions):
        if a.predicate in DRUG_PREDICATES and not a.literal:
            add((DRUG_PREDICATES[a.predicate], a.subject, a.object), assertion=i, evidence=(a.evidence,))
    for t in x.trials:
        ev = lambda attr, key: t.evidence[f"{attr}|{key}"]       # noqa: E731
        for d in t.drugs:
            for c in t.conditions:
                parts = ((t.id, "drugs", d), (t.id, "conditions", c))
                add(("investigatedFor", d, c), parts=parts, evidence=(ev("conditions", c),))
                for p in t.phases:
                    add(("phase", d, c, main_phase(p)), parts=parts + ((t.id, "phases", p),),
                        evidence=(ev("phases", p), ev("conditions", c)))
            for p in t.partners:
                if p != d:
                    add(("combination", d, p), parts=((t.id, "drugs", d), (t.id, "partners", p)),
                        evidence=(ev("partners", p),))
            for d2 in t.drugs:
                if d2 != d:
                    add(("combination", d, d2), parts=((t.id, "drugs", d), (t.id, "drugs", d2)),
                        evidence=(ev("drugs", d2),))
            for o in t.sponsors:
                add(("sponsor", d, o), parts=((t.id, "drugs", d), (t.id, "sponsors", o)), evidence=(ev("sponsors", o),))
        for c in t.conditions:
            for s in t.sites:
                add(("site", c, s), parts=((t.id, "conditions", c), (t.id, "sites", s)), evidence=(ev("sites", s),))
    return out


def pair_candidates(linker, known: dict[Fact, Candidate]) -> list[Candidate]:
    """Facts the rules did not state, from what the release names side by side (rule ``pair.<kind>``).

    Every usable sentence contributes, for the drugs it names (or, when it names none, the drugs of
    the last :data:`NEARBY` sentences that named one, else the drug the release names most):

    * each condition: ``investigatedFor``; with each phase the sentence states: ``phase``;
    * each target: ``targets``;
    * each organisation that can develop a drug (no institution, agency or medium): ``developer``;
    * each organisation a sponsor cue marks ("funded by a grant from"): ``sponsor``;
    * each other drug it names: ``combination``;

    and every drug of the release goes with the issuer as ``developer``, and as ``sponsor`` of the
    trials the release speaks of. The scorer decides which of these hold.
    """
    x = linker.x
    entities = linker.all_entities
    new: dict[Fact, Candidate] = {}
    drug_counts = Counter(m.key for m in linker.mentions if m.label == "DRUG")
    focus = drug_counts.most_common(1)[0][0] if drug_counts else None
    sponsor_cue = linker.cues.sentence_regex("sponsor")
    recent: list[tuple[int, list[str]]] = []          # (sentence, drugs) of the last sentences naming a drug
    trial_drugs: set[str] = set()

    def add(fact: Fact, sent: Span | None, rule: str) -> None:
        fact = canon(fact)
        if fact in known or fact[1] == fact[2]:
            return
        c = new.setdefault(fact, Candidate(fact, rules={rule}))
        if sent is not None and all(s.start != sent.start for s in c.sentences):
            c.sentences.append(sent)

    for sid, sent in enumerate(linker.sents):
        if not linker.usable(sent):
            continue
        ms = [m for m in linker.by_sent.get(sid, []) if m.key in entities or m.label == "PHASE"]
        drugs = list(dict.fromkeys(m.key for m in ms if m.label == "DRUG"))
        if drugs:
            recent = [(sid, drugs)] + [r for r in recent if sid - r[0] <= NEARBY][:NEARBY - 1]
            subjects, how = drugs, ""
        else:
            near = [d for r in recent if sid - r[0] <= NEARBY for d in r[1]]
            subjects = list(dict.fromkeys(near)) or ([focus] if focus else [])
            how = "-nearby" if near else "-release-drug"
        conditions = list(dict.fromkeys(m.key for m in ms if m.label == "CONDITION"))
        phases = sorted({main_phase(p) for m in ms if m.label == "PHASE" for p in normalize_phase(m.text)})
        sponsors = _cued_orgs(linker, sent, ms, sponsor_cue)
        for d in subjects:
            for c in conditions:
                add(("investigatedFor", d, c), sent, "pair.investigatedFor" + how)
                for p in phases:
                    add(("phase", d, c, p), sent, "pair.phase" + how)
            for m in ms:
                if m.label == "TARGET":
                    add(("targets", d, m.key), sent, "pair.targets" + how)
                elif m.label == "ORG" and not (entities[m.key].roles & NOT_DEVELOPERS) and not how:
                    add(("developer", d, m.key), sent, "pair.developer")
            for o in sponsors:
                add(("sponsor", d, o), sent, "pair.sponsor" + how)
            if phases or any(linker.cues.kind(t.lower_) in ("trial", "plural") for t in sent):
                trial_drugs.add(d)
        for i, d in enumerate(drugs):
            for d2 in drugs[i + 1:]:
                add(("combination", d, d2), sent, "pair.combination")
    for d in drug_counts:
        for company in x.companies:
            add(("developer", d, company), None, "pair.developer-issuer")
            if d in trial_drugs or d in linker.trial_drugs:
                add(("sponsor", d, company), None, "pair.sponsor-issuer")
    return list(new.values())


def _cued_orgs(linker, sent: Span, ms: list, cue: re.Pattern) -> list[str]:
    """Organisations of a sentence that states sponsorship or funding ("funded by", "grant from")."""
    if not cue.search(sent.text):
        return []
    skip = {"exchange", "media", "conference", "journal"}
    return list(dict.fromkeys(m.key for m in ms if m.label == "ORG" and not (linker.all_entities[m.key].roles & skip)))


NEARBY = 3                       # sentences back a drug stays the subject of sentences that name none
NOT_DEVELOPERS = {"institution", "agency", "regulator", "exchange", "media", "conference", "journal",
                  "cooperative_group"}
