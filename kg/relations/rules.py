"""Link the entities of one release into the contract's facts.

Input: a processed spaCy ``Doc`` (entities, zones, abbreviations, context
cues) and its :class:`~kg.documents.Document`. Output: an
:class:`~kg.records.Extraction` of entities, trials and assertions, each
assertion carrying its evidence sentence and the id of the rule that made it.

The decisions, in order (one method each, so "where is the sponsor of a
trial decided?" has one answer: :meth:`Linker.sentence_frames`):

1. entities: mentions clustered by canonical name, abbreviations and alias
   connectors ("X (formerly Y)", "Brand (generic)"); the issuing company
   found in the dateline, "the Company" and short names resolved to it;
2. trial frames: every sentence that describes a clinical trial (a phase, a
   trial noun, a trial name) gives a frame of drugs, partner drugs,
   conditions, sites, sponsors, phase, status and enrollment; a list of
   "condition at institution" pairs gives one frame per pair;
3. trials: frames merged into trials when they refer back ("the study") or
   describe the same drug, condition and phase;
4. drug facts outside trials: targets (from the target frames), indications,
   developers (possessives, "developed by", the issuing company for its own
   drugs);
5. sponsors by default: the issuing company sponsors trials of its own drugs
   unless the release says the trial is investigator-sponsored.

Cue words are data (``data/lexicons/relation_cues.tsv``,
``trial_words.tsv``); context (negation, hypotheticals, status) comes from
the ``kg_context`` component.
"""
from __future__ import annotations

import functools
import re
from collections import defaultdict
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span

from ..documents import Document
from ..errors import DataFileError
from ..nlp.conditions import lookup_condition
from ..nlp.context import categories
from ..nlp.drugs import drug_lexicon, normalize_code
from ..nlp.organizations import canonical_org, institution_name, institution_words, org_lexicon
from ..nlp.resources import company_words, data_path, doc_text, load_tsv, word_set
from ..nlp.sections import ZONES_KEY
from ..nlp.targets import FRAMES_KEY
from ..records import Assertion, Entity, Evidence, Extraction, Trial, entity_key, normalize_name

LABEL_TYPES = {"DRUG": "Drug", "TARGET": "Target", "CONDITION": "Condition", "ORG": "Organization"}
MARKER_LABELS = {"PHASE", "TRIAL"}
NON_SITE_ROLES = {"agency", "regulator", "conference", "journal", "exchange", "media", "company"}
PHASE_RE = re.compile(r"(?:phase|phases|ph\.?)\s*((?:I{1,3}|IV|[1-4])[abAB]?)(?:\s*(?:/|-|\u2013|and|&)\s*(?:phase\s*)?"
                      r"((?:I{1,3}|IV|[1-4])[abAB]?))?", re.I)
ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4"}
NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
NUMBER_WORDS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
                     "ninety": 90, "hundred": 100})
ALIAS_CONNECTOR = re.compile(
    r"^\s*(?:\((?:R|TM|r|tm)\)|[\u00ae\u2122])?\s*(?:,\s*)?"
    r"(?:\(\s*(?:(?:formerly|previously|also)\s+(?:known\s+as|called|named)\s+|(?:INN|USAN|generic name)\s*:\s*)?"
    r"|,?\s*(?:formerly|previously|now|also)\s+(?:known\s+as|called|named)\s+|,?\s*\(?formerly\s+)$", re.I)
POSSESSIVE_END = re.compile(r"['\u2019]s?$")
ALIAS_IN_LIST = re.compile(r"^\s*(?:,|;|or|, or|also known as|aka)\s*(?:synthetic\s+)?$", re.I)
FORMERLY = re.compile(r"formerly|previously", re.I)


# ---------------------------------------------------------------------------
# Cue lexicons
# ---------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Cues:
    by_relation: dict[str, tuple[tuple[tuple[str, ...], str, float], ...]]
    words: dict[str, str]

    def cues(self, relation: str, position: str | None = None):
        return [c for c in self.by_relation.get(relation, ()) if position is None or c[1] == position]

    def sentence_regex(self, relation: str) -> re.Pattern:
        """The relation's sentence-wide cues as one case-insensitive regex."""
        return _cue_regex(self, relation, "sentence")

    def before_regex(self, relation: str) -> re.Pattern:
        """The relation's cues that end right before their argument ("developed by ...")."""
        return _cue_regex(self, relation, "before")

    def kind(self, phrase: str) -> str | None:
        return self.words.get(phrase.lower())


@functools.lru_cache(maxsize=None)
def _cue_regex(cues: "Cues", relation: str, position: str) -> re.Pattern:
    phrases = sorted((" ".join(c) for c, pos, _ in cues.cues(relation, position)), key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in phrases) + r")(?![\w-])",
                      re.I)


@functools.lru_cache(maxsize=1)
def cue_lexicon() -> Cues:
    path = data_path("lexicons", "relation_cues.tsv")
    rel: dict[str, list] = defaultdict(list)
    for row in load_tsv(path, ["relation", "cue", "position", "confidence"]):
        if row["position"] not in ("before", "after", "between", "sentence"):
            raise DataFileError(path, int(row["_line"]), f"position {row['position']!r} is not valid",
                                ["before", "after", "between", "sentence"])
        try:
            conf = float(row["confidence"])
        except ValueError:
            raise DataFileError(path, int(row["_line"]), f"confidence must be a number, got {row['confidence']!r}") from None
        rel[row["relation"]].append((tuple(_words(row["cue"])), row["position"], conf))
    kinds = {"trial", "plural", "anaphor", "drug-anaphor", "company-anaphor", "not-clinical", "enrollment"}
    words = {}
    wpath = data_path("lexicons", "trial_words.tsv")
    for row in load_tsv(wpath, ["word", "kind"]):
        if row["kind"] not in kinds:
            raise DataFileError(wpath, int(row["_line"]), f"kind {row['kind']!r} is not valid", kinds)
        words[row["word"].lower()] = row["kind"]
    return Cues({k: tuple(sorted(v, key=lambda c: -len(c[0]))) for k, v in rel.items()}, words)


@functools.lru_cache(maxsize=None)
def generic_conditions(kind: str) -> frozenset[str]:
    path = data_path("lexicons", "generic_conditions.tsv")
    rows = load_tsv(path, ["word", "kind"])
    for r in rows:
        if r["kind"] not in ("name", "head", "organ"):
            raise DataFileError(path, int(r["_line"]), f"kind {r['kind']!r} is not valid", ["head", "name", "organ"])
    return frozenset(r["word"] for r in rows if r["kind"] == kind)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+(?:[-'\u2019]\w+)*|[^\w\s]", text.lower().replace("\u2019", "'")) or [text.lower()]


# ---------------------------------------------------------------------------
# Phases and numbers
# ---------------------------------------------------------------------------

def _phase_part(p: str) -> str:
    p = p.strip()
    m = re.fullmatch(r"(i{1,3}|iv|[1-4])([ab]?)", p.lower())
    if not m:
        return p
    return ROMAN.get(m.group(1), m.group(1)) + m.group(2)


def normalize_phase(text: str) -> list[str]:
    """"Phase I/IIa" -> ["Phase 1/2a", "Phase 1/2"]: the stated phase and its contract value."""
    m = PHASE_RE.search(text)
    if not m:
        return []
    a = _phase_part(m.group(1))
    b = _phase_part(m.group(2)) if m.group(2) else None
    if b and (re.search(r"\band\b|&", m.group(0), re.I) or (a[0], b[0]) not in (("1", "2"), ("2", "3"), ("1", "1"), ("2", "2"))):
        # "phase 2 and phase 3": two phases, not a phase 2/3 trial
        return sorted({p for x in (a, b) for p in (f"Phase {x}", f"Phase {x[0]}")})
    stated = f"Phase {a}/{b}" if b else f"Phase {a}"
    coarse_a, coarse_b = a[0], (b[0] if b else None)
    if coarse_b and coarse_b != coarse_a:
        coarse = f"Phase {coarse_a}/{coarse_b}"
    else:
        coarse = f"Phase {coarse_a}"
    return [stated] if stated == coarse else [stated, coarse]


def parse_count(text: str) -> int | None:
    t = text.lower().replace(",", "").strip()
    if t.isdigit():
        return int(t)
    parts = re.split(r"[\s-]+", t)
    total = 0
    for p in parts:
        if p not in NUMBER_WORDS:
            return None
        v = NUMBER_WORDS[p]
        total = total * v if v == 100 else total + v
    return total or None


# ---------------------------------------------------------------------------
# Mentions
# ---------------------------------------------------------------------------

@dataclass
class Mention:
    label: str
    span: Span
    key: str
    rule: str

    @property
    def start(self) -> int:
        return self.span.start_char

    @property
    def end(self) -> int:
        return self.span.end_char

    @property
    def text(self) -> str:
        return self.span.text


@dataclass
class Frame:
    sent: Span
    drugs: list[str] = field(default_factory=list)
    partners: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    sites: list[str] = field(default_factory=list)
    sponsors: list[str] = field(default_factory=list)
    phases: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    status: str | None = None
    enrollment: int | None = None
    anaphoric: bool = False
    plural: bool = False
    has_trial: bool = False
    investigator_sponsored: bool = False
    hypothetical: bool = False
    rules: dict[str, str] = field(default_factory=dict)


class Linker:
    """Decides the facts of one document. See the module docstring for the order."""

    def __init__(self, doc: Doc, document: Document):
        self.doc = doc
        self.text = doc_text(doc)       # Doc.text joins every token on each call: read it once
        self._usable: dict[int, bool] = {}   # sentence start -> usable(sentence), asked by every pass
        self.document = document
        self.cues = cue_lexicon()
        self.x = Extraction(document.id, document.source, dict(document.meta))
        self.mentions: list[Mention] = []
        self.by_sent: dict[int, list[Mention]] = defaultdict(list)
        self.sents = list(doc.sents)
        self.sent_index = {s.start: i for i, s in enumerate(self.sents)}
        self.parent: dict[str, str] = {}
        self.formerly: set[str] = set()
        self.trials: list[Trial] = []
        self.focus_trial: Trial | None = None
        self.focus_drug: str | None = None
        self.drug_owner: dict[str, str] = {}
        self.partner_only: set[str] = set()
        self.trial_drugs: set[str] = set()
        self.investigator_sponsored: set[str] = set()
        self.not_sites: set[int] = set()
        self.sentence_drug: dict[int, str] = {}

    # -- helpers -------------------------------------------------------------

    def sidx(self, span: Span) -> int:
        return self.sent_index[span.sent.start]

    def zone(self, sent: Span) -> str | None:
        """The zone a sentence lies in: "skip" when most of it is boilerplate, "about", or None."""
        label = None
        length = max(1, sent.end_char - sent.start_char)
        for z in self.doc.spans.get(ZONES_KEY, []):
            covered = min(z.end_char, sent.end_char) - max(z.start_char, sent.start_char)
            if covered <= 0:
                continue
            if z.label_ == "skip" and covered > length / 2:
                return "skip"
            if z.label_ == "about" and covered > length / 2:
                label = z.label_
        return label

    def usable(self, sent: Span) -> bool:
        if sent.start not in self._usable:
            self._usable[sent.start] = self._usable_now(sent)
        return self._usable[sent.start]

    def _usable_now(self, sent: Span) -> bool:
        if self.zone(sent) == "skip":
            return False
        letters = [c for c in self.text[sent.start_char:sent.end_char] if c.isalpha()]
        return not (len(letters) > 20 and sum(c.isupper() for c in letters) > 0.8 * len(letters))

    def evidence(self, sent: Span, rule: str, confidence: float) -> Evidence:
        if self.zone(sent) == "about":
            confidence *= 0.95
        text = sent.text.strip()
        lead = len(sent.text) - len(sent.text.lstrip())
        start, end = self.document.original_span(sent.start_char + lead, sent.start_char + lead + len(text))
        return Evidence(start, end, re.sub(r"\s+", " ", text), rule, round(min(confidence, 1.0), 3))

    def find(self, key: str) -> str:
        while self.parent.get(key, key) != key:
            key = self.parent[key]
        return key

    def union(self, a: str, b: str, prefer: str | None = None) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        keep, drop = (ra, rb) if (prefer is None or self.find(prefer) == ra) else (rb, ra)
        self.parent[drop] = keep

    def words_between(self, a: int, b: int) -> list[str]:
        return _words(self.text[a:b]) if b > a else []

    # -- 1. entities ---------------------------------------------------------

    def collect_entities(self) -> None:
        doc = self.doc
        lex = drug_lexicon()
        orgs = org_lexicon()
        for ent in doc.ents:
            if ent.label_ in MARKER_LABELS:
                m = Mention(ent.label_, ent, "", ent.id_)
                self.by_sent[self.sidx(ent)].append(m)
                continue
            if ent.label_ not in LABEL_TYPES:
                continue
            etype = LABEL_TYPES[ent.label_]
            canon, ids, roles = self._canonical(ent, etype, lex, orgs)
            if not canon:
                continue
            key_name = canon
            if etype == "Condition":
                # MeSH names the condition across releases: "renal cell cancer" = "renal cell carcinoma"
                rec = lookup_condition(canon, ent.text)
                if rec is not None and not self._generic_name(canon):
                    key_name = rec.name
                    ids = ids | {f"http://id.nlm.nih.gov/mesh/{rec.mesh_id}"}
            key = entity_key(etype, key_name)
            e = self.x.entities.get(key)
            if e is None:
                e = self.x.entities[key] = Entity(key, etype, canon)
            e.aliases.add(_surface(ent.text))
            e.ids |= ids
            e.roles |= roles
            e.rules.add(ent.id_)
            m = Mention(ent.label_, ent, key, ent.id_)
            self.mentions.append(m)
            self.by_sent[self.sidx(ent)].append(m)
        self._alias_connectors()
        self._units_of_institutions()
        self._issuing_companies()
        self._merge_clusters()

    def _canonical(self, ent: Span, etype: str, lex, orgs) -> tuple[str, set[str], set[str]]:
        ids: set[str] = set()
        roles: set[str] = set()
        kb = ent.kb_id_ or ent.text
        if etype == "Drug":
            rec = lex.lookup(kb) or lex.lookup(ent.text)
            if ent.id_ == "drug.lexicon" and rec is not None:
                for scheme, ident in rec.ids:
                    ids.add(_id_iri(scheme, ident))
                return rec.name.lower(), ids, roles
            text = re.sub(r"\s*(?:\((?:R|TM|r|tm)\)|[\u00ae\u2122])\s*$", "", kb).strip()
            text = re.sub(r"(?<=[a-z])TM$", "", text)
            if re.search(r"\d", text):
                return normalize_code(text), ids, roles
            return text, ids, roles
        if etype == "Organization":
            rule = ent.id_ or ""
            name = canonical_org(kb)
            if rule.startswith("org.") and rule.split(".")[1].split("+")[0] not in ("model", "institution"):
                roles.add(rule.split(".")[1].split("+")[0])
            entry = orgs.get(kb) or orgs.get(ent.text)
            if entry:
                roles.add(entry.role)
                name = entry.name
            if rule.startswith("org.institution") or institution_words().search(name):
                roles.add("institution")
                name = institution_name(name)      # one node per institution, its units as alternative labels
            if not name or name[0].islower() or re.search(r"\b(?:Agreement|Designation|Act)\b", name):
                return "", ids, roles
            return name, ids, roles
        if etype == "Condition":
            return kb, ids, roles
        return re.sub(r"\s+", " ", kb), ids, roles

    def _alias_connectors(self) -> None:
        """ "LOR-2040 (formerly GTI-2040)", "Genasense (oblimersen sodium)": one drug, several names."""
        for sid, ms in self.by_sent.items():
            drugs = [m for m in ms if m.label == "DRUG"]
            for a, b in zip(drugs, drugs[1:]):
                between = self.text[a.end:b.start]
                if ALIAS_CONNECTOR.match(between) or (
                        ALIAS_IN_LIST.match(between) and "(" in self.text[max(0, a.start - 60):a.start]
                        and ")" not in self.text[a.start - 60 if a.start > 60 else 0:a.start].split("(")[-1]):
                    older = b.key if FORMERLY.search(between) else None
                    if FORMERLY.search(between):
                        self.formerly.add(b.key)
                    self.union(a.key, b.key, prefer=older or self._preferred_drug(a.key, b.key))
            # a condition written "X (Y)" where Y is another condition name
            conds = [m for m in ms if m.label in ("CONDITION", "TARGET", "ORG")]
            for a, b in zip(conds, conds[1:]):
                if a.label == b.label and re.fullmatch(r"\s*\(\s*", self.text[a.end:b.start]) \
                        and self.text[b.end:b.end + 2].lstrip().startswith(")"):
                    self.union(a.key, b.key, prefer=a.key)

    def _units_of_institutions(self) -> None:
        """ "the Myeloma Center at the University Hospital Heidelberg": the site is the institution."""
        for sid, ms in self.by_sent.items():
            orgs = [m for m in sorted(ms, key=lambda m: m.start) if m.label == "ORG"]
            for a, b in zip(orgs, orgs[1:]):
                ea, eb = self.x.entities[a.key], self.x.entities[b.key]
                if "institution" in ea.roles and "institution" in eb.roles and a.key != b.key and \
                        re.fullmatch(r"\)?\s*(?:\([^()]*\)\s*)?at\s+(?:the\s+|The\s+)?", self.text[a.end:b.start]):
                    ea.aliases.add(_surface(self.text[a.start:b.end]))
                    self.not_sites.add(id(b))

    def _preferred_drug(self, a: str, b: str) -> str:
        ea, eb = self.x.entities[a], self.x.entities[b]
        # a dictionary name (with identifiers) names the drug across documents; else the first name
        if eb.ids and not ea.ids and not re.search(r"\d", ea.name):
            return b
        return a

    def _issuing_companies(self) -> None:
        """The company issuing the release: ORG subjects of the dateline sentence, else the metadata."""
        companies: list[str] = []
        verbs = re.compile(r"\b(?:announce[sd]?|today|report(?:s|ed)?|present(?:s|ed)?|begins?|obtains?|"
                           r"initiate[sd]?|releases?|completes?|issues?|scores?|gets?|receives?|expands?)\b", re.I)
        for sent in self.sents[:40]:
            if self.zone(sent) == "skip":
                continue
            m = verbs.search(sent.text)
            if not m:
                continue
            cut = sent.start_char + m.start()
            for mm in self.by_sent.get(self.sidx(sent), []):
                if mm.label != "ORG" or mm.start >= cut:
                    continue
                if normalize_name(mm.text).strip("\"'\u201c\u201d ") in ("company", "corporation"):
                    continue
                e = self.x.entities[mm.key]
                if e.roles & {"agency", "regulator", "exchange", "media", "conference", "journal", "institution"}:
                    continue
                meta_hit = next((c for c in self.document.meta.get("companies", [])
                                 if normalize_name(canonical_org(c)) in normalize_name(mm.text)), None)
                if meta_hit and normalize_name(canonical_org(meta_hit)) != normalize_name(canonical_org(mm.text)):
                    # "Noonan/Russo Communications Lorus Therapeutics Inc.": the NER span ran too far left
                    key = entity_key("Organization", canonical_org(meta_hit))
                    e2 = self.x.entities.setdefault(key, Entity(key, "Organization", canonical_org(meta_hit)))
                    e2.aliases.add(meta_hit)
                    self.union(mm.key, key, prefer=key)
                    if key not in companies:
                        companies.append(key)
                elif company_words().search(mm.text) or self._has_ticker_after(mm) or meta_hit:
                    if mm.key not in companies:
                        companies.append(mm.key)
            for name in self.document.meta.get("companies", []):
                pos = sent.text.find(name)
                if 0 <= pos < m.start():
                    key = entity_key("Organization", canonical_org(name))
                    if key not in companies and self.find(key) not in [self.find(c) for c in companies]:
                        e = self.x.entities.setdefault(key, Entity(key, "Organization", canonical_org(name)))
                        e.aliases.add(name)
                        span = self.doc.char_span(sent.start_char + pos, sent.start_char + pos + len(name),
                                                  alignment_mode="expand")
                        if span is not None:
                            mm = Mention("ORG", span, key, "org.dateline-company")
                            self.mentions.append(mm)
                            self.by_sent[self.sidx(span)].append(mm)
                        companies.append(key)
            if companies:
                companies.sort(key=lambda k: min((mm.start for mm in self.mentions if mm.key == k), default=0))
                break
        if not companies:
            for name in self.document.meta.get("companies", []):
                key = entity_key("Organization", canonical_org(name))
                e = self.x.entities.get(key)
                if e is None:
                    e = self.x.entities[key] = Entity(key, "Organization", canonical_org(name), {name})
                companies.append(key)
                break
        # "ABVC BioPharma" and "BioPharma": a company named by the end of another's name is that company
        for a in list(companies):
            for b in list(companies):
                if a != b and a in companies and b in companies and \
                        normalize_name(self.x.entities[a].name).endswith(" " + normalize_name(self.x.entities[b].name)):
                    self.union(b, a, prefer=a)
                    companies.remove(b)
        for key in companies:
            self.x.entities[key].roles.add("company")
            self.x.entities[key].type = "Company"
        self.x.companies = companies
        if not companies:
            return
        # "the Company", "Lorus", "Candel's": short names and anaphors of the issuer
        first = self.x.entities[companies[0]]
        shorts = {}
        for key in companies:
            e = self.x.entities[key]
            w = e.name.split()[0] if e.name.split() else ""
            if len(w) >= 4 and w[0].isupper():
                shorts[w] = key
        for m in self.mentions:
            if m.label != "ORG" or m.key in companies:
                continue
            t = normalize_name(m.text).strip("\"'\u201c\u201d ")
            if t in ("company", "corporation"):
                self.union(m.key, first.key, prefer=first.key)
                continue
            for w, key in shorts.items():
                if t == w.lower() or t.startswith(w.lower() + " ") and not (
                        self.x.entities[m.key].roles & {"institution", "agency"}):
                    self.union(m.key, key, prefer=key)
        # unlabeled short names ("Lorus' objective") become company mentions
        taken = {i for e in self.doc.ents for i in range(e.start, e.end)}
        for tok in self.doc:
            w = POSSESSIVE_END.sub("", tok.text)
            if tok.i in taken or w not in shorts:
                continue
            span = self.doc[tok.i:tok.i + 1]
            m = Mention("ORG", span, shorts[w], "org.company-short-name")
            self.x.entities[shorts[w]].aliases.add(w)
            self.mentions.append(m)
            self.by_sent[self.sidx(span)].append(m)
        for m in self.mentions:
            if m.label == "ORG" and normalize_name(m.text).strip("\"'\u201c\u201d ") in ("company", "corporation"):
                m.key = first.key

    def _unresolved_anaphor(self, m: Mention) -> bool:
        """ "the Company's patented ..." in a release whose issuer is unknown: no organisation to credit."""
        return m.key not in self.x.companies and \
            normalize_name(m.text).strip("\"'\u201c\u201d ") in ("company", "corporation")

    def _is_ticker(self, m: Mention) -> bool:
        """ "(NASDAQ: HRBR)": a stock symbol, not an organisation in its own right."""
        return bool(re.search(r"[(;,]\s*[A-Za-z][\w ]{1,20}:\s*$", self.text[max(0, m.start - 30):m.start]))

    def _has_ticker_after(self, m: Mention) -> bool:
        return bool(re.match(r"\s*,?\s*\(\s*(?:NASDAQ|Nasdaq|NYSE|AMEX|TSX|TSE|ASX|HKEX|FSE|OTC|LSE|ETR)",
                             self.text[m.end:m.end + 30]))

    def _merge_clusters(self) -> None:
        """Fold alias clusters into one entity each (names kept as alternative labels)."""
        if not self.parent:
            return
        for key in list(self.x.entities):
            root = self.find(key)
            if root == key:
                continue
            src, dst = self.x.entities.pop(key), self.x.entities[root]
            dst.aliases |= src.aliases | {src.name}
            dst.ids |= src.ids
            dst.roles |= src.roles
            dst.rules |= src.rules
            if src.type == "Company":
                dst.type = "Company"
        for m in self.mentions:
            m.key = self.find(m.key)
        self.x.companies = list(dict.fromkeys(self.find(k) for k in self.x.companies))

    # -- 2. sentence frames --------------------------------------------------

    def sentence_frames(self) -> list[Frame]:
        frames: list[Frame] = []
        for sid, sent in enumerate(self.sents):
            if not self.usable(sent):
                continue
            ms = sorted(self.by_sent.get(sid, []), key=lambda m: m.start)
            drugs = [m for m in ms if m.label == "DRUG"]
            if drugs:
                roles = self._drug_roles(sent, drugs)
                first = next((m for m in drugs if roles[id(m)] == "principal"), None)
                # the drug in focus changes only to a drug the release is about (not "Cytarabine is the
                # current established drug for treating AML")
                if first is not None and (not self.x.entities[first.key].ids or first.key in self.trial_drugs
                                          or any(f.drugs and f.drugs[0] == first.key for f in frames)):
                    self.sentence_drug[sid] = first.key
            frame = self._frame(sent, ms)
            if frame is not None:
                parts = self._segment(frame, sent, ms)
                if len(parts) == 1:
                    parts = self._segment_by_phase(frame, sent, ms)
                frames.extend(parts)
        return frames

    def _frame(self, sent: Span, ms: list[Mention]) -> Frame | None:
        text = sent.text
        low = text.lower()
        ctx = self._sentence_context(sent)
        if "NEGATED" in ctx and not any(m.label in ("PHASE",) for m in ms):
            negated = True
        else:
            negated = False
        phases = [p for m in ms if m.label == "PHASE" and not self._phase_is_dose(m) for p in normalize_phase(m.text)]
        names = [m.text for m in ms if m.label == "TRIAL"] + re.findall(r"\bNCT\d{8}\b", text)
        lead = self._aside_end(sent)
        trial_tokens = [t for t in sent if self.cues.kind(t.lower_) in ("trial", "plural") and t.idx >= lead
                        and not (t.i + 1 < len(self.doc) and self.doc[t.i + 1].lower_ in ("agreement", "agreements"))]
        not_clinical = any(self.cues.kind(t.lower_) == "not-clinical" for t in sent) or "in vitro" in low \
            or "PRECLINICAL" in ctx
        clinical_words = bool(re.search(r"\b(?:clinical|patients?|phase|enrol|dosed|investigator|registration|"
                                        r"pivotal|randomi[sz]ed|placebo|open[- ]label|multi-?cent(?:er|re)|"
                                        r"volunteers?|participants?)", low))
        anaphoric, plural = self._trial_reference(sent, trial_tokens)
        drugs_here = any(m.label == "DRUG" for m in ms)
        has_trial = bool(phases or names or (trial_tokens and (clinical_words or anaphoric or drugs_here)
                                             and not not_clinical))
        if not_clinical and not phases:
            has_trial = False
        site_context = bool(self.cues.sentence_regex("site").search(text))
        sponsor_orgs = self._orgs_with_cue(sent, ms, "sponsor")
        if not has_trial and not site_context and not sponsor_orgs:
            return None
        if not has_trial and not site_context and not any(m.label == "DRUG" for m in ms):
            return None       # "funding from a venture fund": not about a trial or a drug
        if "HYPOTHETICAL" in ctx and not phases and not names:
            return None
        f = Frame(sent, phases=phases, names=names, has_trial=has_trial)
        f.anaphoric = anaphoric
        f.hypothetical = "HYPOTHETICAL" in ctx
        f.plural = plural
        f.investigator_sponsored = bool(self.cues.sentence_regex("status").search(low))
        # drugs: principal and partners
        drugs = [m for m in ms if m.label == "DRUG"]
        roles = self._drug_roles(sent, drugs)
        for m in drugs:
            r = roles.get(id(m), "principal")
            if r == "principal" and m.key not in f.drugs:
                f.drugs.append(m.key)
            elif r == "partner" and m.key not in f.partners:
                f.partners.append(m.key)
        if not f.drugs and re.search(r"\b(?:the|this) (?:drug|compound|product|therapy)\b", low) and self.focus_drug:
            f.drugs.append(self.focus_drug)
        f.partners = [p for p in f.partners if p not in f.drugs]
        # conditions
        conds = [m for m in ms if m.label == "CONDITION"]
        specific = [m for m in conds if not self._generic(m.key)]
        for m in (specific or conds):
            if self._condition_is_background(sent, m) or not self._in_indication_slot(sent, m):
                continue
            if "PRECLINICAL" in categories(self.doc, m.start, m.end):
                continue
            if m.key not in f.conditions:
                f.conditions.append(m.key)
        # sponsors and sites
        f.sponsors = [k for k in sponsor_orgs if k not in f.sponsors]
        if has_trial or site_context:
            for m in ms:
                if m.label != "ORG" or m.key in f.sponsors:
                    continue
                e = self.x.entities[m.key]
                if id(m) in self.not_sites or self._org_in_apposition(sent, m):
                    continue
                if "institution" in e.roles and not (e.roles & NON_SITE_ROLES) and not self._not_site_context(m):
                    if m.key not in f.sites:
                        f.sites.append(m.key)
        # status and enrollment
        f.status = self._status(ctx)
        f.enrollment = self._enrollment(sent)
        if negated and not f.sites and not f.sponsors:
            return None
        if not (f.has_trial or f.sites or f.sponsors):
            return None
        return f

    def _aside_end(self, sent: Span) -> int:
        """End of a leading aside ("In addition to the trial described above, ..."): its mentions
        are background to the sentence."""
        m = re.match(r"\s*(?:in addition to|besides|apart from|unlike|like|following|after|before|prior to)\b[^,]{0,200},",
                     sent.text, re.I)
        return sent.start_char + m.end() if m else sent.start_char

    def _trial_reference(self, sent: Span, trial_tokens: list) -> tuple[bool, bool]:
        """How the sentence first refers to a trial: (definite, plural).

        "This trial is one of six studies" refers back to one trial; "in six different clinical
        trials" and "these trials" speak of several; "a new trial" introduces one.
        """
        if not trial_tokens:
            return False, False
        tok = trial_tokens[0]
        plural = self.cues.kind(tok.lower_) == "plural"
        window = list(self.doc[max(sent.start, tok.i - 10):tok.i])
        det = None
        for t in reversed(window):
            w = t.lower_
            if w in ("new", "current", "present", "same", "ongoing", "planned", "pivotal", "global", "remaining"):
                continue          # "the new study": look further for the article
            if w in ("the", "this", "these", "that", "those", "a", "an", "another", "its", "their", "our") \
                    or parse_count(w) or w in ("several", "multiple", "two", "both", "all"):
                det = w
                break
            # "the open label, single center, dose escalating study": design words between
            if w in (".", ";", "of", "in", "from", "to", "with", "and", "for", "which", "that") or t.pos_ in ("AUX", "ADP"):
                break
        definite = det in ("the", "this", "these", "that", "those")
        if det and (parse_count(det) or det in ("several", "multiple", "both", "all", "these", "those")):
            plural = True
        return definite, plural

    def _phase_is_dose(self, m: Mention) -> bool:
        """ "the recommended Phase II dose", "positive Phase I clinical data": not the phase of a trial
        the sentence describes."""
        return bool(re.match(r"\s*(?:clinical\s+)?(?:dose|doses|dosing|dose level|data|endpoints?)\b",
                             self.text[m.end:m.end + 24], re.I))

    def _sentence_context(self, sent: Span) -> dict[str, str]:
        out: dict[str, str] = {}
        for cs, ce, cat, rule, direction in self.doc.user_data.get("kg_context", []):
            if sent.start_char <= cs < sent.end_char:
                out.setdefault(cat, rule)
        return out

    def _status(self, ctx: dict[str, str]) -> str | None:
        for cat, status in (("TERMINATED", "terminated"), ("COMPLETED", "completed"),
                            ("ONGOING", "ongoing"), ("PLANNED", "planned"), ("HYPOTHETICAL", "planned")):
            if cat in ctx:
                return status
        return None

    def _enrollment(self, sent: Span) -> int | None:
        kinds = self.cues.words
        for ent in sent.ents:
            if ent.label_ not in ("CARDINAL", "QUANTITY"):
                continue
            nxt = self.doc[ent.end:ent.end + 4]
            words = [t.lower_ for t in nxt if t.pos_ != "ADJ" or kinds.get(t.lower_) == "enrollment"]
            following = " ".join(t.lower_ for t in nxt)
            if not any(kinds.get(w) == "enrollment" for w in words[:3]) and not re.match(
                    r"(?:-\s*)?(?:patient|subject|participant)", following):
                continue
            if re.search(r"%|percent|per cent|months?|weeks?|years?|\$|million|mg", self.doc[ent.start - 1:ent.end + 1].text):
                continue
            n = parse_count(ent.text.replace("approximately", "").replace("over", "").strip())
            if n and 1 <= n <= 100000:
                return n
        m = re.search(r"\b(\d{1,5})[- ](?:patient|subject|participant)s?\b", sent.text)
        if m:
            return int(m.group(1))
        return None

    def _drug_roles(self, sent: Span, drugs: list[Mention]) -> dict[int, str]:
        """principal / partner / comparator / alias for each drug mention of the sentence.

        A drug is a partner when the words between the last principal drug and it hold a
        combination cue ("in combination with", "plus", "followed by"); a comparator after
        "versus", "such as" and the like; an alias when an alias connector links it to the
        previous drug ("X (formerly Y)").
        """
        roles: dict[int, str] = {}
        principal: Mention | None = None
        combo = [" ".join(c) for c, _, conf in self.cues.cues("combination", "before")]
        combo_between = [" ".join(c) for c, _, _ in self.cues.cues("combination", "between")]
        comparators = [" ".join(c) for c, _, _ in self.cues.cues("comparator", "before")]
        prev: Mention | None = None
        for m in drugs:
            role = "principal"
            lead = " ".join(self.words_between(max(sent.start_char, (prev.end if prev else sent.start_char)), m.start))
            if prev is not None and self.find(prev.key) == self.find(m.key):
                role = roles[id(prev)]
            elif prev is not None and (re.fullmatch(r"\s*,\s*(?:a|an|the|our|its)\s+(?:[\w-]+\s+){0,4}",
                                                    self.text[prev.end:m.start], re.I)
                                       or re.match(r"\s*(?:\([\"\u201c]?\w+[\"\u201d]?\)\s*)?"
                                                   r"(?:toxin|antigen|analog|analogue|derivative|molecule)\b",
                                                   self.text[m.end:m.end + 30], re.I)):
                role = "description"      # "CYB004, a deuterated DMT": a drug named to describe another
            elif prev is not None and roles.get(id(prev)) == "comparator" and \
                    re.fullmatch(r"\s*(?:,|or|and|, or|, and|\(|/)\s*", self.text[prev.end:m.start]):
                role = "comparator"       # "such as enzalutamide, apalutamide, darolutamide or abiraterone"
            elif any(re.search(r"(?:^|\s)" + re.escape(c) + r"(?:\s+\S+){0,6}$", lead) for c in comparators):
                role = "comparator"
            elif principal is not None:
                between = " ".join(self.words_between(principal.end, m.start))
                if any(re.search(r"(?:^|\s)" + re.escape(c) + r"(?:\s|$)", between) for c in combo):
                    role = "partner"
                elif prev is not None and roles.get(id(prev)) == "partner" and re.fullmatch(r"\s*(?:,|and|, and|or)\s*",
                                                                                           self.text[prev.end:m.start]):
                    role = "partner"
                elif prev is principal and re.fullmatch(r"(?:and|plus|with|\+|/)(?:\s+[\w-]+){0,2}",
                                                         self.text[prev.end:m.start].strip().lower()) \
                        and re.search(r"\b(?:with|received|receiving|treated|administered|of)\s+(?:\S+\s+){0,2}$",
                                      self.text[max(sent.start_char, principal.start - 40):principal.start].lower()):
                    role = "partner"      # "patients treated with LOR-2040 and high-dose Ara-C"
            elif re.search(r"(?:^|\s)(?:in combination with|combined with|together with)(?:\s+\S+){0,3}$", lead):
                role = "partner"          # the sentence starts with "In combination with X, ..."
            roles[id(m)] = role
            if role == "principal" and principal is None:
                principal = m
            prev = m
        return roles

    def _generic(self, key: str) -> bool:
        """ "cancer", "tumors", "neurological diseases": a class of diseases, not an indication."""
        return self._generic_name(self.x.entities[key].name)

    @staticmethod
    def _generic_name(name: str) -> bool:
        name = normalize_name(name)
        if name in generic_conditions("name"):
            return True
        words = name.split()
        # "neurological diseases", unless an organ word makes it an indication ("hematologic cancers")
        return len(words) <= 2 and words[-1] in generic_conditions("head") and \
            not any(organ in name for organ in generic_conditions("organ"))

    def _in_indication_slot(self, sent: Span, m: Mention) -> bool:
        """Is the condition what a trial or drug is for ("in patients with X", "for X", "X patients")?"""
        before = " ".join(self.words_between(max(sent.start_char, m.start - 70), m.start)[-7:])
        after = self.words_between(m.end, min(sent.end_char, m.end + 30))[:2]
        generic = self._generic(m.key)
        if generic:
            return bool(re.search(r"(?:patients?|subjects?|participants?)\s+(?:with|whose|suffering from|who have)"
                                  r"(?:\s+[\w-]+){0,5}$|(?:^|\s)with (?:advanced|a variety of|various|refractory|solid)"
                                  r"(?:\s+[\w-]+){0,3}$", before))
        if after and after[0] in ("patients", "patient", "trial", "trials", "study", "studies", "program", "indication",
                                  "population", "subjects", "cohort", "setting", ")", "("):
            return True
        return bool(re.search(r"(?:^|\s)(?:in|for|with|of|against|treat|treating|treatment|indication|"
                              r"indications|targeting|including|include|includes|and|or|,|investigate|evaluate|"
                              r"evaluating|study|studying|examines|designation|diagnosed|suffering from|"
                              r"focus(?:ed)? on|such as|namely|:|;)(?:\s+[\w'/-]+){0,4}$", before))

    def _condition_is_background(self, sent: Span, m: Mention) -> bool:
        head = self.text[sent.start_char:m.start]
        if re.match(r"\s*(?:in addition to|besides|apart from|unlike|following|after)\b[^,]*$", head, re.I) \
                and "," in self.text[m.end:sent.end_char]:
            return True      # "In addition to the trial in renal cell cancer described above, ..."
        before = " ".join(self.words_between(max(sent.start_char, m.start - 40), m.start)[-4:])
        if re.search(r"(?:progress(?:ion)? to|risk of|rather than|compared to|department of|division of|"
                     r"institute of|center for|centre for|society (?:of|for)|association|foundation for|"
                     r"journal of|congress (?:of|on))\s*(?:an?|the)?$", before):
            return True
        if re.search(r"\b(?:forms?|types?|subtypes?|kinds?) of\s+(?:[\w-]+\s+){0,1}$", self.text[max(sent.start_char, m.start - 30):m.start], re.I):
            return True       # "one of the most common forms of lung cancer"
        # "the pulmonary disease associated with CF": the condition is the one it is associated with
        if re.match(r"\s*(?:associated with|related to|caused by|secondary to)\b", self.text[m.end:m.end + 20], re.I):
            return True
        # a condition inside a description of an organisation ("ANZUP, a group ... for prostate cancers")
        orgs = [x for x in self.by_sent.get(self.sidx(sent), []) if x.label == "ORG" and x.end <= m.start]
        for org in orgs:
            if re.fullmatch(r"\)?\s*(?:\([^()]*\)\s*)?,\s*(?:a|an)\s+[^,;]*(?:,[^,;]*){0,4}", self.text[org.end:m.start]) \
                    and not any(x.label == "DRUG" and org.end < x.start < m.start for x in self.by_sent.get(self.sidx(sent), [])):
                return True
        # "Somerset, which markets Eldepryl for the treatment of Parkinson's disease, announced ...":
        # a relative clause about the company
        if re.search(r",\s*which\s+(?:markets|sells|manufactures|distributes)\b[^,]*$",
                     self.text[sent.start_char:m.start], re.I):
            return True
        # "multiple myeloma, a bone marrow cancer": an apposition describing the previous condition
        if re.search(r"\S\s*,\s*(?:a|an)\s+(?:[\w-]+\s+){0,3}$", self.text[max(sent.start_char, m.start - 40):m.start]):
            prev = [x for x in self.by_sent.get(self.sidx(sent), []) if x.label == "CONDITION" and x.end <= m.start]
            if prev and len(self.words_between(prev[-1].end, m.start)) <= 5:
                return True
        # "chronic-pain patients with opioid-induced constipation": the population, not the indication
        after = self.text[m.end:min(sent.end_char, m.end + 40)].lower()
        return bool(re.match(r"\s*patients (?:with|who have|suffering from)\s+\S", after))

    def _org_in_apposition(self, sent: Span, m: Mention) -> bool:
        """ "ANZUP, a leading Cancer Cooperative Trials Group": a description of the previous organisation."""
        orgs = [x for x in self.by_sent.get(self.sidx(sent), []) if x.label == "ORG" and x.end <= m.start]
        if not orgs:
            return False
        between = self.text[orgs[-1].end:m.start]
        return bool(re.fullmatch(r"\)?\s*(?:\([^()]*\)\s*)?,\s*(?:a|an)\s+[^,;]*", between))

    def _not_site_context(self, m: Mention) -> bool:
        before = " ".join(self.words_between(max(0, m.start - 60), m.start)[-5:])
        return bool(re.search(r"(?:presented at|meeting of|published in|according to|licensed from|"
                              r"journal|congress|annual meeting|by the)\s*(?:the)?$", before))

    def _orgs_with_cue(self, sent: Span, ms: list[Mention], relation: str) -> list[str]:
        """Organisations a cue of ``relation`` marks in this sentence ("sponsored by the NCI")."""
        out: list[str] = []
        orgs = [m for m in ms if m.label == "ORG"]
        active = False
        last_end = sent.start_char
        for m in orgs:
            e = self.x.entities[m.key]
            if e.roles & {"exchange", "media", "conference", "journal"}:
                continue
            # "funded in part by", "fully supported by": the adverb does not change the cue
            text = self.text[max(sent.start_char, m.start - 80):m.start]
            text = re.sub(r"\b(?:in part|partly|jointly|fully|partially|generously)\b", " ", text, flags=re.I)
            before = _words(text)
            after = self.words_between(m.end, min(sent.end_char, m.end + 40))
            hit = False
            for cue, pos, conf in self.cues.cues(relation, "before"):
                if conf < 0.6:
                    continue
                n = len(cue)
                window = before[-(n + 6):]
                for k in range(len(window) - n + 1):
                    if tuple(window[k:k + n]) == cue:
                        gap = window[k + n:]
                        # the cue must govern this organisation: only articles, adjectives, money in between
                        if all(re.fullmatch(r"the|a|an|\$|[\d.,]+|million|billion|u\.?s\.?|national|grant|award|"
                                            r"\d{4}|financial|orphan|products|development|clinical|trial|research|"
                                            r"multi-year|two-year|three-year|\w+-year|in|part|partly|jointly", w) for w in gap) \
                                and len(gap) <= 6 and not any(w in ("researchers", "from", "investigators") for w in gap):
                            hit = True
                if hit:
                    break
            if not hit:
                for cue, pos, conf in self.cues.cues(relation, "after"):
                    n = len(cue)
                    if tuple(after[:n]) == cue or (cue[0].startswith("-") and after[:2] == ["-", cue[0][1:]]):
                        if cue == ("program",) and "sponsor" not in " ".join(after[:8]):
                            continue
                        hit = True
                        break
            if hit:
                active = True
            elif active:
                gap = self.words_between(last_end, m.start)
                if not (len(gap) <= 12 and gap and gap[-1] in ("and", ",", "&") or gap[-2:] == ["and", "the"]):
                    active = False
                hit = active
            if hit and m.key not in out:
                if "institution" in e.roles and relation == "sponsor" and not (e.roles & {"agency", "cooperative_group"}) \
                        and re.search(r"\bat\s+(?:the\s+)?$", self.text[max(0, m.start - 6):m.start]):
                    continue
                out.append(m.key)
            last_end = m.end
        return out

    def _segment(self, frame: Frame, sent: Span, ms: list[Mention]) -> list[Frame]:
        """One frame per "condition at institution" or "condition (phase N)" pair of a list.

        "breast cancer at UC Davis; AML at Ohio State and NSCLC at Princess Margaret" and
        "NSCLC (phase 2), pancreatic cancer (phase 2), and prostate cancer (phase 2 and phase 3)"
        describe several trials.
        """
        conds = [m for m in ms if m.label == "CONDITION" and m.key in frame.conditions]
        if len(conds) < 2:
            return [frame]
        pairs = []
        for c in conds:
            site, phases = None, []
            for m in ms:
                if m.label == "ORG" and m.key in frame.sites and m.start > c.end and \
                        re.fullmatch(r"\s*(?:at|in)\s+(?:the\s+)?", self.text[c.end:m.start]):
                    site = m.key
                    break
            paren = re.match(r"\s*\(([^()]{3,60})\)", self.text[c.end:c.end + 70])
            if paren and normalize_phase(paren.group(1)):
                phases = sorted({p for part in re.split(r",|;", paren.group(1)) for p in normalize_phase(part)}
                                | set(normalize_phase(paren.group(1))))
            pairs.append((c.key, site, phases))
        by_site = sum(1 for _, s_, _ in pairs if s_)
        by_phase = sum(1 for _, _, p in pairs if p)
        if by_site < 2 and by_phase < 2:
            return [frame]
        out = []
        for ckey, skey, phases in pairs:
            f = Frame(sent, drugs=list(frame.drugs), partners=list(frame.partners), conditions=[ckey],
                      sites=[skey] if skey else ([] if by_site >= 2 else list(frame.sites)),
                      sponsors=list(frame.sponsors), phases=phases or ([] if by_phase >= 2 else list(frame.phases)),
                      names=[], status=frame.status, enrollment=None, anaphoric=frame.anaphoric,
                      plural=False, has_trial=True, investigator_sponsored=frame.investigator_sponsored)
            f.rules["segment"] = "trial.list-segmentation"
            out.append(f)
        return out

    def _segment_by_phase(self, frame: Frame, sent: Span, ms: list[Mention]) -> list[Frame]:
        """One frame per named trial or per phase of a sentence that lists several.

        "the GLORA-2 study in CLL; the GLORA-3 study in AML; and the GLORA-4 study in MDS" and
        "phase 2a trials of X in NSCLC and PDAC, and a phase 3 trial of X in prostate cancer":
        each condition belongs to the anchor (trial name, else phase) before it, each drug to
        the nearest anchor.
        """
        names = [m for m in ms if m.label == "TRIAL"]
        phases = [m for m in ms if m.label == "PHASE" and not self._phase_is_dose(m)]
        if len({m.text for m in names}) >= 2:
            anchors, by_name = names, True
        elif len({tuple(normalize_phase(a.text)) for a in phases}) >= 2:
            anchors, by_name = phases, False
        else:
            return [frame]

        def nearest(m: Mention, before_first: bool) -> Mention:
            prior = [a for a in anchors if a.end <= m.start]
            if prior and before_first:
                return prior[-1]
            return min(anchors, key=lambda a: abs(a.start - m.start))

        groups: dict[int, Frame] = {}
        for a in anchors:
            g = Frame(sent, phases=list(frame.phases) if by_name else normalize_phase(a.text), has_trial=True,
                      status=frame.status, sponsors=list(frame.sponsors), sites=list(frame.sites),
                      partners=list(frame.partners), names=[a.text] if by_name else [],
                      anaphoric=frame.anaphoric, investigator_sponsored=frame.investigator_sponsored)
            g.rules["segment"] = "trial.name-segmentation" if by_name else "trial.phase-segmentation"
            groups[id(a)] = g
        for m in ms:
            if m.label == "CONDITION" and m.key in frame.conditions:
                g = groups[id(nearest(m, True))]
                if m.key not in g.conditions:
                    g.conditions.append(m.key)
            elif m.label == "DRUG" and m.key in frame.drugs:
                g = groups[id(nearest(m, False))]
                if m.key not in g.drugs:
                    g.drugs.append(m.key)
        merged: dict[tuple, Frame] = {}
        for a in anchors:
            g = groups[id(a)]
            if not g.drugs:
                g.drugs = list(frame.drugs[:1])
            key = (tuple(g.names), tuple(g.phases), tuple(g.drugs))
            if key in merged:
                merged[key].conditions += [c for c in g.conditions if c not in merged[key].conditions]
            else:
                merged[key] = g
        return list(merged.values())

    # -- 3. trials -----------------------------------------------------------

    def build_trials(self, frames: list[Frame]) -> None:
        program: Frame | None = None
        for f in frames:
            sid = self.sidx(f.sent)
            latest = [k for k in self.sentence_drug if k <= sid]
            if latest:
                drug = self.sentence_drug[max(latest)]
                if drug != self.focus_drug:
                    self.focus_drug = drug
                    # the trial in focus is the latest one of the drug now talked about
                    self.focus_trial = next((t for t in reversed(self.trials) if drug in t.drugs), None)
                    if program is not None and drug not in program.drugs:
                        program = None
            if f.drugs:
                self.focus_drug = f.drugs[0]
            if not f.has_trial and not f.sites and f.sponsors and not f.conditions and f.drugs:
                # "X is the subject of a Clinical Trial Agreement with the NCI": sponsors the drug's trials
                program = f
            if f.plural and not f.conditions and not f.sites:
                program = f
                continue
            if program is not None and (f.anaphoric or f.plural or not f.drugs):
                for k in program.drugs:
                    if k not in f.drugs and not f.drugs:
                        f.drugs.append(k)
                for k in program.sponsors:
                    if k not in f.sponsors:
                        f.sponsors.append(k)
                for k in program.partners:
                    if k not in f.partners:
                        f.partners.append(k)
            inherited = not f.drugs
            if not f.drugs and f.conditions:
                # "complete its Phase 2 GAD study": the trial of that condition (and phase) named before
                known = [t for t in reversed(self.trials) if set(f.conditions) & set(t.conditions)
                         and (not f.phases or not t.phases or set(f.phases) & set(t.phases))]
                if known:
                    f.drugs = list(known[0].drugs)
            if not f.drugs:
                if self.focus_trial is not None and (f.anaphoric or not f.has_trial or f.names):
                    f.drugs = list(self.focus_trial.drugs)
                elif self.focus_drug:
                    f.drugs = [self.focus_drug]
            if not f.drugs:
                continue
            if not f.has_trial and not f.conditions and f.sponsors and self.focus_trial is None:
                continue          # a sponsor named before any trial: nothing to attach it to yet
            target = self._matching_trial(f)
            if target is None and self.focus_trial is not None:
                if not f.has_trial and set(f.drugs) & set(self.focus_trial.drugs):
                    target = self.focus_trial
                elif not f.conditions and not f.phases and not f.names and (not f.has_trial or inherited):
                    # "an open-label, single-arm study enrolling 30 patients": nothing new, the same trial
                    target = self.focus_trial
            if target is None:
                self._new_trial(f)
            else:
                self._fill(target, f)
                self.focus_trial = target

    def _matching_trial(self, f: Frame) -> Trial | None:
        for t in reversed(self.trials):
            if not set(f.drugs) & set(t.drugs):
                continue
            if f.names and t.names and not set(f.names) & set(t.names):
                continue
            if f.names and set(f.names) & set(t.names):
                return t
            phase_ok = not f.phases or not t.phases or bool(set(f.phases) & set(t.phases))
            fc = [c for c in f.conditions if not self._generic(c)]
            tc = [c for c in t.conditions if not self._generic(c)]
            cond_ok = not fc or not tc or bool(set(fc) & set(tc))
            if not (phase_ok and cond_ok):
                continue
            if f.phases and not f.conditions and set(f.phases) <= set(t.phases):
                return t          # "GTI-2040 met its Phase I endpoints": the Phase I trial again
            if f.phases and t.phases and set(f.phases) & set(t.phases) and f.conditions and t.conditions \
                    and set(f.conditions) <= set(t.conditions):
                return t
            if (f.anaphoric or not f.has_trial) and t is self.focus_trial:
                return t
            if not f.has_trial and f.sites:
                return t if t is self.focus_trial else None
        return None

    def _new_trial(self, f: Frame) -> None:
        t = Trial(id=f"t{len(self.trials) + 1}")
        self.trials.append(t)
        self._fill(t, f)
        self.focus_trial = t

    def _fill(self, t: Trial, f: Frame) -> None:
        # a trial the release only supposes ("if approved, X could be tested in a Phase 3 program")
        # is kept as planned, with less confidence
        scale = 0.6 if f.hypothetical else 1.0
        ev = lambda rule, conf: self.evidence(f.sent, rule, conf * scale)
        seg = f.rules.get("segment")
        for k in f.drugs:
            if k in t.partners:
                continue          # a partner named first in a later sentence stays a partner
            t.add("drugs", k, ev("trial.studies-drug", 0.9))
            self.trial_drugs.add(k)
        for k in f.partners:
            if k not in t.drugs:
                t.add("partners", k, ev("trial.combination-partner", 0.85))
        for k in f.conditions:
            t.add("conditions", k, ev(seg or "trial.studies-condition", 0.85))
        for k in f.sites:
            t.add("sites", k, ev(seg or "trial.site", 0.8))
        for k in f.sponsors:
            t.add("sponsors", k, ev("trial.sponsor-cue", 0.9))
        for p in f.phases:
            t.add("phases", p, ev("trial.phase", 0.9))
        for n in f.names:
            t.add("names", n, ev("trial.name", 0.9))
        if f.status:
            if t.status and t.status != f.status:
                t.evidence.pop(f"status|{t.status}", None)
            t.status = f.status
            t.evidence[f"status|{f.status}"] = ev("context.status", 0.75)
        if f.enrollment and t.enrollment is None:
            t.enrollment = f.enrollment
            t.evidence[f"enrollment|{f.enrollment}"] = ev("trial.enrollment", 0.8)
        if f.investigator_sponsored:
            self.investigator_sponsored.add(t.id)

    # -- 4. drug facts outside trials ---------------------------------------

    def target_facts(self) -> None:
        frames = self.doc.user_data.get(FRAMES_KEY, [])
        targets = {(m.start, m.end): m for m in self.mentions if m.label == "TARGET"}
        for fr in frames:
            tm = targets.get(tuple(fr["target"]))
            if tm is None:
                # the target span may have been re-labelled; take any target mention at that place
                tm = next((m for m in self.mentions if m.label == "TARGET" and m.start <= fr["target"][0] < m.end), None)
            if tm is None:
                continue
            sent = tm.span.sent
            if not self.usable(sent):
                continue
            ctx = self._sentence_context(sent)
            if "NEGATED" in ctx and re.search(r"\bnot\b", sent.text):
                continue
            drug = self._drug_for_target(sent, tm, fr)
            if drug is None:
                continue
            self.x.assertions.append(Assertion(drug, "targets", tm.key,
                                               self.evidence(sent, fr["rule"], fr["confidence"])))

    def _drug_for_target(self, sent: Span, tm: Mention, fr: dict) -> str | None:
        drugs = [m for m in self.by_sent.get(self.sidx(sent), []) if m.label == "DRUG"]
        cue_s, cue_e = fr["cue"]
        # a drug right after the cue: "MC4R agonist PL8177", "the target of LOR-2040"
        after = [m for m in drugs if m.start >= max(cue_e, tm.end) and
                 len(self.words_between(max(cue_e, tm.end), m.start)) <= 3]
        if fr["side"] == "left" and after:
            return after[0].key
        anchor = min(cue_s, tm.start)
        before = [m for m in drugs if m.end <= anchor]
        if before:
            m = before[-1]
            between = " ".join(self.words_between(m.end, anchor))
            if not re.search(r"\b(?:in combination with|combined with|plus|versus|compared|with|and|or)\b", between) \
                    or re.search(r"\b(?:is|was|,)\s", " " + between + " "):
                if not re.search(r"\b(?:in combination with|plus|combined with)\b", between):
                    return m.key
        if after and fr["side"] != "right":
            return after[0].key
        if not drugs and self.focus_drug:
            head = self.text[sent.start_char:anchor].lower()
            # "It ...", "the drug ...", "a second-generation antisense drug designed to inhibit ...":
            # a drug the sentence does not name is the drug the release is about
            if re.match(r"\s*(?:it|which|the drug|the compound)\b", head) or re.search(
                    r"\b(?:drug|compound|therapy|agent|candidate|molecule|oligonucleotide)\b[^.;]{0,60}$", head):
                return self.focus_drug
        return None

    def indication_facts(self) -> None:
        """Drug-condition links outside trials: "X for the treatment of Y", "X in Y", designations."""
        cues = self.cues.cues("indication", "between")
        for sid, sent in enumerate(self.sents):
            if not self.usable(sent):
                continue
            ms = sorted(self.by_sent.get(sid, []), key=lambda m: m.start)
            drugs = [m for m in ms if m.label == "DRUG"]
            conds = [m for m in ms if m.label == "CONDITION"]
            if not drugs or not conds:
                continue
            ctx = self._sentence_context(sent)
            if "HYPOTHETICAL" in ctx:
                continue
            roles = self._drug_roles(sent, drugs)
            for c in conds:
                cname = normalize_name(self.x.entities[c.key].name)
                if self._condition_is_background(sent, c):
                    continue
                # the nearest principal drug before the condition, with an indication cue between them
                # a partner drug ("X in combination with Y in patients with Z") is not what is tested for Z,
                # nor a drug named to describe another ("CYB003, a deuterated psilocybin analog for ...")
                prev = [d for d in drugs if d.end <= c.start and roles.get(id(d)) not in ("comparator", "partner", "description")
                        and not re.match(r"[\s-]*(?:analog|analogue|derivative|prodrug|-based|-like|class)\b",
                                         self.text[d.end:d.end + 14], re.I)]
                best = None
                for d in reversed(prev):
                    between = self.words_between(d.end, c.start)
                    if len(between) > 25:
                        break
                    if any(other.start > d.end and other.end <= c.start and roles.get(id(other)) == "principal"
                           and other.key != d.key for other in drugs):
                        continue
                    if "NEGATED" in categories(self.doc, c.start, c.end):
                        break
                    text = " ".join(between)
                    hit = next(((cue, conf) for cue, _, conf in cues
                                if re.search(r"(?:^|\s)" + re.escape(" ".join(cue)) + r"(?:\s|$)", text)), None)
                    if hit:
                        best = (d, hit)
                        break
                if best is None:
                    # "Orphan Designation for the treatment of CF ... for the compound duramycin"
                    nxt = [d for d in drugs if d.start >= c.end and len(self.words_between(c.end, d.start)) <= 12]
                    if nxt and re.search(r"designation|approv|indicat", sent.text, re.I) and \
                            re.search(r"\b(?:for|to|of)\s+(?:the\s+)?(?:compound|drug|product)?\s*$",
                                      self.text[c.end:nxt[0].start].lower() + " "):
                        best = (nxt[0], (("designation",), 0.8))
                if best is None:
                    continue
                d, (cue, conf) = best
                if self._generic(c.key):
                    continue          # "the management of cancer": not an indication
                if "PRECLINICAL" in ctx:
                    conf *= 0.7
                self.x.assertions.append(Assertion(d.key, "investigatedFor", c.key,
                                                   self.evidence(sent, "indication." + "-".join(cue), conf)))

    def developer_facts(self) -> None:
        companies = self.x.companies
        other_owner: dict[str, tuple[str, Span, str]] = {}
        for sid, sent in enumerate(self.sents):
            if not self.usable(sent):
                continue
            ms = sorted(self.by_sent.get(sid, []), key=lambda m: m.start)
            drugs = [m for m in ms if m.label == "DRUG"]
            orgs = [m for m in ms if m.label == "ORG" and not (self.x.entities[m.key].roles &
                                                               {"agency", "regulator", "exchange", "media",
                                                                "conference", "journal", "institution"})
                    and not self._is_ticker(m) and not self._unresolved_anaphor(m)]
            for d in drugs:
                # "Bayer's darolutamide", "Regeneron Pharmaceuticals Inc.'s ... cemiplimab"
                for o in reversed([o for o in orgs if o.end <= d.start]):
                    between = self.text[o.end:d.start]
                    if re.match(r"^\s*(?:\([^)]*\)\s*)?['\u2019]s?(?=\s|$)", between) \
                            and sum(w[:1].isalnum() for w in self.words_between(o.end, d.start)) <= 12 \
                            and not any(x.start > o.end and x.end <= d.start for x in drugs):
                        other_owner.setdefault(d.key, (o.key, sent, "developer.possessive"))
                        break
                # "vinorelbine (Navelbine(R); Glaxo Smith Kline)", "capecitabine (Xeloda, Roche)"
                for o in orgs:
                    if o.start > d.end and re.fullmatch(r"\s*(?:\((?:R|TM)\))?\s*[;,]\s*", self.text[d.end:o.start]) \
                            and "(" in self.text[max(sent.start_char, d.start - 40):d.start]:
                        other_owner.setdefault(d.key, (o.key, sent, "developer.brand-owner"))
                # "PENNSAID is the first product developed by Dimethaid Research"
                for o in orgs:
                    between = self.text[d.end:o.start]
                    cue = self.cues.before_regex("developer")
                    if o.start > d.end and any(re.fullmatch(r"\s*(?:the\s+)?", between[m.end():]) for m in cue.finditer(between)) \
                            and len(self.words_between(d.end, o.start)) <= 10:
                        other_owner.setdefault(d.key, (o.key, sent, "developer.developed-by"))
                # "Rhythm Pharmaceuticals just reported successful Phase 3 results for setmelanotide"
                for o in orgs:
                    if o.key in companies or o.end > d.start:
                        continue
                    between = self.text[o.end:d.start]
                    if len(self.words_between(o.end, d.start)) <= 12 and re.search(
                            r"\b(?:reported|announced|presented|develops|is developing|markets)\b", between) \
                            and not any(x.start > o.end and x.end <= d.start for x in drugs):
                        other_owner.setdefault(d.key, (o.key, sent, "developer.reporting-company"))
        for drug, (org, sent, rule) in other_owner.items():
            if org in companies and rule == "developer.reporting-company":
                continue
            self.drug_owner[drug] = org
            self.x.assertions.append(Assertion(drug, "developedBy", org, self.evidence(sent, rule, 0.85)))
        if not companies:
            return
        # the issuer develops its own drugs: those its trials study, those it calls "its", code names, the headline's
        own: dict[str, tuple[Span, str, float]] = {}
        for m in self.mentions:
            if m.label != "DRUG":
                continue
            sent = m.span.sent
            if not self.usable(sent) and not self._in_title(m):
                continue
            e = self.x.entities[m.key]
            if m.key in other_owner and other_owner[m.key][0] not in companies:
                continue
            before = self.text[max(sent.start_char, m.start - 60):m.start].lower()
            if re.search(r"\b(?:its|our)\b(?:\s+[\w-]+){0,5}[\s,]*$", before) or re.search(
                    r"(?:company|corporation)['\u2019]s\b(?:\s+[\w-]+){0,5}[\s,]*$", before):
                own.setdefault(m.key, (sent, "developer.possessive-its", 0.9))
            elif m.key in self.trial_drugs and m.key not in self.partner_only:
                own.setdefault(m.key, (sent, "developer.issuer-trial", 0.8))
            elif not e.ids and (re.search(r"\d", e.name) or "drug.brand-mark" in e.rules or "drug.frame" in e.rules):
                own.setdefault(m.key, (sent, "developer.issuer-code-name", 0.75))
        for drug, (sent, rule, conf) in own.items():
            if drug in self.drug_owner:
                continue
            for c in companies:
                self.x.assertions.append(Assertion(drug, "developedBy", c, self.evidence(sent, rule, conf)))

    def _in_title(self, m: Mention) -> bool:
        return m.start < 400 and m.span.sent.start_char < 400

    # -- 5. default sponsors, trial assertions -------------------------------

    def _inherit_conditions(self) -> None:
        """A trial of a drug whose other trials here all study one and the same condition studies it too
        ("a significant efficacy signal in phase 2 testing" of a drug the release only discusses for CTCL)."""
        for t in self.trials:
            if t.conditions or not t.drugs or not t.phases:
                continue
            others = [o for o in self.trials if o is not t and o.conditions and set(o.drugs) & set(t.drugs)]
            sets = {tuple(sorted(o.conditions)) for o in others}
            if len(sets) == 1 and len(next(iter(sets))) == 1:
                c = next(iter(sets))[0]
                ev = next(iter(t.evidence.values()))
                t.add("conditions", c, Evidence(ev.start, ev.end, ev.text, "trial.condition-of-drug", 0.6))

    def trial_facts(self) -> None:
        companies = self.x.companies
        self._inherit_conditions()
        for t in self.trials:
            if not t.drugs:
                continue
            t.partners = [p for p in t.partners if p not in t.drugs]
            own = [d for d in t.drugs if self.drug_owner.get(d) is None or self.drug_owner[d] in companies]
            if companies and own and t.id not in self.investigator_sponsored and (t.phases or t.conditions or t.sites):
                ev = next(iter(t.evidence.values()))
                for c in companies:
                    if c not in t.sponsors:
                        t.sponsors.append(c)
                        t.evidence[f"sponsors|{c}"] = Evidence(ev.start, ev.end, ev.text, "sponsor.issuer-default", 0.6)
            self.x.trials.append(t)
        # partners seen only as partners are not the issuer's drugs
        for t in self.trials:
            for p in t.partners:
                if p not in self.trial_drugs:
                    self.partner_only.add(p)

    def run(self) -> Extraction:
        self.collect_entities()
        frames = self.sentence_frames()
        self.build_trials(frames)
        for t in self.trials:
            for p in t.partners:
                if p not in self.trial_drugs:
                    self.partner_only.add(p)
        self.target_facts()
        self.indication_facts()
        self.developer_facts()
        self.trial_facts()
        self.all_entities = dict(self.x.entities)     # the scorer's pair candidates may use any of them
        self._prune_entities()
        return self.x

    def _prune_entities(self) -> None:
        """Keep the entities some fact uses (the graph describes the pipeline, not every name)."""
        used = set(self.x.companies)
        for a in self.x.assertions:
            used.add(a.subject)
            if not a.literal:
                used.add(a.object)
        for t in self.x.trials:
            used.update(t.drugs, t.partners, t.conditions, t.sites, t.sponsors)
        self.x.entities = {k: e for k, e in self.x.entities.items() if k in used}


def _surface(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _id_iri(scheme: str, ident: str) -> str:
    if scheme == "drugbank":
        return f"https://go.drugbank.com/drugs/{ident}"
    if scheme == "mesh":
        return f"http://id.nlm.nih.gov/mesh/{ident}"
    if scheme == "medlineplus":
        return f"https://medlineplus.gov/druginfo/meds/{ident}.html"
    return ident

