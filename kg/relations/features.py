"""Features of a candidate fact, for the learned scorer.

Pure functions of the linker's state (mentions, sentences, zones, context
cues) and one :class:`~kg.relations.candidates.Candidate`; the result is a
flat ``{name: number}`` dict (scikit-learn's ``DictVectorizer`` turns it into
a row). Features describe *kinds of language*, never particular words of a
release: which rule stated the fact, how the arguments were recognised and
grounded, how far apart and how often they are named, which cue words
(``relation_cues.tsv``) stand between them, the zone and context of the
sentence, the dependency path between them, how crowded the sentence is
(one phase among many conditions), and the size of the release.
"""
from __future__ import annotations

import bisect
import math
import re
from collections import Counter, defaultdict
from functools import lru_cache

from spacy.tokens import Span, Token

from .candidates import Candidate, main_phase

NO_DISTANCE = 60
QUOTE = re.compile(r"[\"\u201c\u201d]|\b(?:said|says|commented|stated|added)\b", re.I)


class FactIndex:
    """Per-release look-ups the features share: mentions by entity, by sentence, phases, title."""

    def __init__(self, linker):
        self.linker = linker
        self.x = linker.x
        self.by_key: dict[str, list] = defaultdict(list)
        for m in linker.mentions:
            if m.key:
                self.by_key[m.key].append(m)
        self.sent_of = {}
        for sid, ms in linker.by_sent.items():
            for m in ms:
                self.sent_of[id(m)] = sid
        for m in linker.mentions:
            if id(m) not in self.sent_of:
                self.sent_of[id(m)] = linker.sidx(m.span)
        self._sentence: dict[int, dict[str, float]] = {}
        self._sentences: dict[str, tuple[list[int], dict[int, list]]] = {}
        self._entity: dict[str, tuple[int, bool, int]] = {}
        self._zones: dict[str, tuple[bool, int]] = {}
        self._phase_condition: dict[tuple[str, str], tuple[int, float]] = {}
        self.phases: list[tuple[int, object, str]] = []      # (sentence, mention, main phase)
        for sid, ms in linker.by_sent.items():
            for m in ms:
                if m.label == "PHASE":
                    from .values import normalize_phase
                    for p in normalize_phase(m.text):
                        self.phases.append((sid, m, main_phase(p)))
        self.phase_values = {p for _, _, p in self.phases}
        #: main phase -> sentence -> its mentions there, each with its place in ``phases``
        self.phase_sentences: dict[str, dict[int, list]] = defaultdict(lambda: defaultdict(list))
        for i, (sid, m, p) in enumerate(self.phases):
            self.phase_sentences[p][sid].append((i, m))
        self.trials_by_id: dict[str, list] = defaultdict(list)
        for t in self.x.trials:
            self.trials_by_id[t.id].append(t)
        self.n_chars = max(1, len(linker.text))
        self.title_end = linker.sents[0].end_char if linker.sents else 0
        counts = Counter(m.key for m in linker.mentions if m.label == "DRUG")
        self.drug_rank = {k: i for i, (k, _) in enumerate(counts.most_common())}
        self.n_drugs = len(counts)
        self.n_conditions = len({m.key for m in linker.mentions if m.label == "CONDITION"})
        self.n_orgs = len({m.key for m in linker.mentions if m.label == "ORG"})

    def sid(self, m) -> int:
        sid = self.sent_of.get(id(m))
        return self.linker.sidx(m.span) if sid is None else sid

    def sentences(self, key: str) -> tuple[list[int], dict[int, list]]:
        """The sentences naming ``key``, in order, and its mentions in each, each with its place in
        ``by_key[key]`` (computed once per entity: a pair looks up the entity with fewer sentences in the
        other's, so its cost does not grow with how often the other is named)."""
        got = self._sentences.get(key)
        if got is None:
            at: dict[int, list] = defaultdict(list)
            for i, m in enumerate(self.by_key.get(key, [])):
                at[self.sid(m)].append((i, m))
            got = self._sentences[key] = (sorted(at), at)
        return got

    def phase_near_condition(self, phase: str, condition: str) -> tuple[int, float]:
        """The fewest characters between a mention of ``phase`` and one of ``condition`` in a sentence,
        and how many conditions that sentence names (once per phase and condition, whatever the drug;
        among equals the first mention of the phase, then of the condition)."""
        got = self._phase_condition.get((phase, condition))
        if got is None:
            stated = self.phase_sentences.get(phase, {})
            conds = self.sentences(condition)[1]
            best, crowd = NO_DISTANCE, 0.0
            for _, m, sid in sorted((i, m, sid) for sid in shared_sentences(stated, conds) for i, m in stated[sid]):
                for _, c in conds[sid]:
                    gap = max(c.span.start - m.span.end, m.span.start - c.span.end, 0)
                    if gap < best:
                        best = gap
                        crowd = float(sum(1 for x in self.linker.by_sent.get(sid, []) if x.label == "CONDITION"))
            got = self._phase_condition[(phase, condition)] = (best, crowd)
        return got

    def entity_stats(self, key: str) -> tuple[int, bool, int]:
        """``key``'s mentions, whether one is in the title, and where the first starts (once per entity)."""
        got = self._entity.get(key)
        if got is None:
            ms = self.by_key.get(key, [])
            got = self._entity[key] = (len(ms), any(m.start < self.title_end for m in ms),
                                       min((m.start for m in ms), default=self.n_chars))
        return got

    def zone_stats(self, key: str) -> tuple[bool, int]:
        """Whether ``key`` is named in an "About" section (the issuer's own description: its pipeline),
        and how many of its mentions stand in the release's body, outside every zone (once per entity)."""
        got = self._zones.get(key)
        if got is None:
            sids, at = self.sentences(key)
            zones = [self.linker.zone(self.linker.sents[sid]) for sid in sids]
            got = self._zones[key] = ("about" in zones, sum(len(at[sid]) for sid, z in zip(sids, zones) if z is None))
        return got

    def sentence_features(self, sid: int) -> dict[str, float]:
        """What a sentence says whatever pair it holds (computed once per sentence): cue words present,
        entities per label, zone, context cues, quotation, length."""
        f = self._sentence.get(sid)
        if f is None:
            linker = self.linker
            sent = linker.sents[sid]
            f = {}
            for rel, pattern in cue_patterns().items():
                if pattern.search(sent.text):
                    f[f"cue_sentence={rel}"] = 1.0
            labels = Counter(m.label for m in linker.by_sent.get(sid, []))
            for lab in ("DRUG", "CONDITION", "ORG", "TARGET", "PHASE"):
                f[f"sentence_{lab.lower()}s"] = float(labels.get(lab, 0))
            f[f"zone={linker.zone(sent) or 'body'}"] = 1.0
            for cat in linker._sentence_context(sent):
                f[f"context={cat}"] = 1.0
            f["quote"] = float(bool(QUOTE.search(sent.text)))
            f["sentence_tokens"] = float(min(len(sent), 120))
            f["in_title_sentence"] = float(sid == 0)
            self._sentence[sid] = f
        return f


@lru_cache(maxsize=1)
def cue_patterns() -> dict[str, re.Pattern]:
    """One regex per relation of ``relation_cues.tsv`` (every position), for cue-presence features."""
    from .lexicon import cue_lexicon

    cues = cue_lexicon()
    out = {}
    for rel, rows in cues.by_relation.items():
        phrases = sorted({" ".join(c) for c, _, _ in rows}, key=len, reverse=True)
        out[rel] = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in phrases)
                              + r")(?![\w-])", re.I)
    return out


def _depth(tok: Token) -> int:
    d = 0
    while tok.head.i != tok.i and d < 200:
        tok = tok.head
        d += 1
    return d


def shared_sentences(a: dict[int, list], b: dict[int, list]) -> list[int]:
    """The sentences in both ``a`` and ``b`` (sentence -> mentions there), found by going through the
    smaller: the cost does not grow with how often the other entity is named."""
    few, many = (a, b) if len(a) < len(b) else (b, a)
    return [s for s in few if s in many]


def dependency_distance(a: Span, b: Span) -> int:
    """Edges on the dependency path between the roots of two spans of one sentence."""
    x, y = a.root, b.root
    dx, dy = _depth(x), _depth(y)
    steps = 0
    while dx > dy:
        x, dx, steps = x.head, dx - 1, steps + 1
    while dy > dx:
        y, dy, steps = y.head, dy - 1, steps + 1
    while x.i != y.i and steps < 400:
        x, y, steps = x.head, y.head, steps + 2
    return steps


def _entity_features(f: dict, role: str, key: str, index: FactIndex) -> None:
    x = index.x
    e = index.linker.all_entities.get(key)
    n, in_title, first = index.entity_stats(key)
    f[f"{role}_mentions"] = math.log1p(n)
    f[f"{role}_in_title"] = float(in_title)
    f[f"{role}_first"] = first / index.n_chars
    in_about, body = index.zone_stats(key)
    f[f"{role}_in_about"] = float(in_about)
    f[f"{role}_body_mentions"] = math.log1p(body)
    if e is None:
        return
    f[f"{role}_type={e.type}"] = 1.0
    f[f"{role}_grounded"] = float(bool(e.ids))
    f[f"{role}_words"] = float(len(e.name.split()))
    f[f"{role}_digit"] = float(bool(re.search(r"\d", e.name)))
    f[f"{role}_issuer"] = float(key in x.companies)
    for r in e.rules:
        f[f"{role}_rec={r.split('+')[0]}"] = 1.0
    for r in e.roles:
        f[f"{role}_role={r}"] = 1.0
    if e.type == "Drug":
        f[f"{role}_drug_rank"] = float(min(index.drug_rank.get(key, 9), 9))
        f[f"{role}_owned_by_other"] = float(index.linker.drug_owner.get(key) not in (None, *x.companies))
    if e.type == "Condition":
        f[f"{role}_generic"] = float(index.linker._generic_name(e.name))


def _pair_features(f: dict, a: str, b: str, index: FactIndex) -> None:
    """Co-occurrence of two entities: sentences, distance, what stands between, the sentence's shape."""
    linker = index.linker
    a_sents, sa = index.sentences(a)
    b_sents, sb = index.sentences(b)
    few, many, at = (a_sents, b_sents, sb) if len(a_sents) < len(b_sents) else (b_sents, a_sents, sa)
    sent_gap = NO_DISTANCE
    both = []
    for s in few:
        k = bisect.bisect_left(many, s)             # the other's sentences nearest to this one
        for s2 in many[max(0, k - 1):k + 1]:
            sent_gap = min(sent_gap, abs(s - s2))
        if s in at:
            both.append(s)
    best = None
    # the nearest pair in a shared sentence; among equals the first in ``b``'s then ``a``'s order
    for _, m, s in sorted((i, m, s) for s in both for i, m in sb[s]):
        for _, m2 in sa[s]:
            gap = max(m.span.start - m2.span.end, m2.span.start - m.span.end, 0)
            if best is None or gap < best[0]:
                best = (gap, m2, m, s)
    f["cooc_sentences"] = float(len(both))
    f["sentence_gap"] = float(sent_gap)
    if best is None:
        f["token_gap"] = float(NO_DISTANCE)
        return
    gap, m1, m2, sid = best
    first, second = (m1, m2) if m1.start <= m2.start else (m2, m1)
    between = linker.text[first.end:second.start]
    f["token_gap"] = float(min(gap, NO_DISTANCE))
    f["a_first_in_sentence"] = float(m1.start <= m2.start)
    f["dep_distance"] = float(min(dependency_distance(m1.span, m2.span), NO_DISTANCE))
    sentence = index.sentence_features(sid)
    f.update(sentence)
    for rel, pattern in cue_patterns().items():
        if f"cue_sentence={rel}" in sentence and pattern.search(between):
            f[f"cue_between={rel}"] = 1.0
            del f[f"cue_sentence={rel}"]
    ms = linker.by_sent.get(sid, [])
    f["entities_between"] = float(sum(1 for m in ms if m.start >= first.end and m.end <= second.start))
    f["between_comma_or_semicolon"] = float(between.count(",") + 2 * between.count(";"))
    f["between_paren"] = float("(" in between or ")" in between)


def _phase_features(f: dict, drug: str, condition: str, phase: str, index: FactIndex) -> None:
    f[f"phase={phase}"] = 1.0
    f["doc_phase_values"] = float(len(index.phase_values))
    stated = index.phase_sentences.get(phase, {})       # sentence -> this phase's mentions there
    best, crowd = index.phase_near_condition(phase, condition)
    same_drug = float(bool(shared_sentences(stated, index.sentences(drug)[1])))
    f["phase_condition_gap"] = float(min(best, NO_DISTANCE))
    f["phase_sentence_conditions"] = crowd
    f["phase_with_drug"] = same_drug


def features(c: Candidate, index: FactIndex) -> dict[str, float]:
    rel, a, b = c.fact[0], c.fact[1], c.fact[2]
    f: dict[str, float] = {f"rel={rel}": 1.0, "prior": c.prior, "n_rules": float(len(c.rules)),
                           "n_parts": float(len(c.parts)), "has_assertion": float(bool(c.assertions)),
                           "pair_candidate": float(not c.parts and not c.assertions)}
    for r in c.rules:
        f[f"rule={r}"] = 1.0
        f[f"rule_family={r.split('.')[0]}"] = 1.0
    _entity_features(f, "a", a, index)
    _entity_features(f, "b", b, index)
    _pair_features(f, a, b, index)
    if rel == "phase":
        _phase_features(f, a, b, c.fact[3], index)
    trials = {tid for tid, _, _ in c.parts}
    if trials:
        ts = [t for tid in trials for t in index.trials_by_id.get(tid, ())]
        f["trial_conditions"] = float(max(len(t.conditions) for t in ts))
        f["trial_phases"] = float(max(len({main_phase(p) for p in t.phases}) for t in ts))
        f["trial_drugs"] = float(max(len(t.drugs) for t in ts))
        f["trial_named"] = float(any(t.names for t in ts))
        f["trial_sponsors"] = float(max(len(t.sponsors) for t in ts))
        f["trials"] = float(len(ts))
    f["doc_drugs"] = float(index.n_drugs)
    f["doc_conditions"] = float(index.n_conditions)
    f["doc_orgs"] = float(index.n_orgs)
    f["doc_trials"] = float(len(index.x.trials))
    f["doc_sentences"] = math.log1p(len(index.linker.sents))
    f["doc_has_issuer"] = float(bool(index.x.companies))
    return f
