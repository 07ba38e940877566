"""Stage 1: the entities of a release, and the company issuing it.

Decides which entity each mention names (its canonical name and identifiers), which names are one
entity ("LOR-2040 (formerly GTI-2040)", "Genasense (oblimersen sodium)", a condition and its
bracketed other name), which organisation mentions are only the unit of an institution named just
before ("the Myeloma Center at the University Hospital Heidelberg"), and which company issues the
release (the ORG subjects of the dateline, else the metadata), with its short names ("Lorus") and
anaphors ("the Company") resolved to it. Names of one entity are folded into one record, the
other names kept as aliases.
"""
from __future__ import annotations

import functools
import re
from dataclasses import fields

from spacy.tokens import Span

from ..documents import only_company_words
from ..nlp.conditions import ground_condition, mesh_parents, normal_condition_name
from ..nlp.drugs import code_aliases, drug_lexicon, normalize_code
from ..nlp.organizations import (canonical_org, institution_name, institution_words, known_institution,
                                  named_by, names_a_document, org_lexicon, parent_of)
from ..nlp.resources import company_words, phrase_regex, word_set
from ..records import Entity, Evidence, Extraction, entity_key, normalize_name
from .lexicon import Vocabulary, org_roles
from .mentions import LABEL_TYPES, MARKER_LABELS, DocumentIndex, Mention, surface
from .roles import generic_name

WORDS = Vocabulary("entity_words.tsv", ("dateline-verb", "exchange", "issuer-noun", "issuer-apposition"))
#: the dateline sentence's subject when the NER misses it: a capitalised name at the start of the sentence or
#: after the dateline's dash ("/24-7PressRelease/ -- Delta4, a leader in ...", "- Nantes, France - September 2nd,
#: 2025 - InFlectis BioScience, a pioneering biotech company"), then an apposition naming a kind of company
APPOSITION_SUBJECT = WORDS.regex(
    r"(?:^|\s[-\u2013\u2014]{1,2}\s+)(?P<name>[A-Z][\w&.'\u2019+-]*(?:\s+[A-Z][\w&.'\u2019+-]*){0,4}),\s+(?:a|an)\s+"
    r"(?:[\w-]+\s+){0,6}?(?:<<issuer-apposition>>)\b")

ALIAS_CONNECTOR = re.compile(
    r"^\s*(?:\((?:R|TM|r|tm)\)|[\u00ae\u2122])?\s*(?:,\s*)?"
    r"(?:\(\s*(?:(?:formerly|previously|also)\s+(?:known\s+as|called|named)\s+|(?:INN|USAN|generic name)\s*:\s*)?"
    r"|,?\s*(?:formerly|previously|now|also)\s+(?:known\s+as|called|named)\s+|,?\s*\(?formerly\s+)$", re.I)
POSSESSIVE_END = re.compile(r"['\u2019]s?$")
ALIAS_IN_LIST = re.compile(r"^\s*(?:,|;|or|, or|also known as|aka)\s*(?:synthetic\s+)?$", re.I)
#: "IFB-088 (also named sephin1 or icerguastat)": a later name of the bracket, after names no recogniser
#: found ("sephin1"), is a name of the drug before it all the same
ALIAS_LATER_IN_BRACKET = re.compile(
    r"^\s*\(\s*(?:formerly|previously|also)\s+(?:known\s+as|called|named)\s+"
    r"[\w\-]+(?:\s*,\s*[\w\-]+){0,3}\s*,?\s*(?:or|and)\s+$", re.I)
FORMERLY = re.compile(r"formerly|previously", re.I)


@functools.lru_cache(maxsize=1)
def product_of() -> re.Pattern:
    """ "TNX-102 SL, a sublingual formulation of cyclobenzaprine", "FSD202, based on ultra-micronized
    palmitoylethanolamide": the words between a product (a dosage-form suffix such as "SL" may follow
    its code) and the drug substance it is made of (``drug_alias_cues.tsv``); the two names are one drug."""
    cues = sorted(word_set("drug_alias_cues.tsv", "cue"), key=len, reverse=True)
    alts = "|".join(re.escape(c).replace("\\ ", r"\s+") for c in cues)
    processed = r"(?:\w+-[\w-]+|\w+(?:ized|ised|ated))\s+"      # "ultra-micronized", "pegylated"
    return re.compile(rf"^(?:\s+[A-Z]{{2,3}})?\s*,\s*(?:(?:a|an|the)\s+)?(?:[\w-]+\s+){{0,3}}?(?:{alts})\s+"
                      rf"(?:{processed}){{0,2}}$", re.I)


def made_of(between: str, after: str) -> bool:
    """ "NRX-100 (preservative-free intravenous ketamine)", "JOTROL, an enhanced orally administered
    resveratrol formulation": a product, then the substance it is made of behind words of how it is
    made or given (``drug_form_words.tsv``) in brackets, or in "a ... <substance> formulation"."""
    forms = word_set("drug_form_words.tsv", "word")
    m = re.fullmatch(r"(?:\s+[A-Z]{2,3})?\s*(\(|,\s*(?:a|an)\s)\s*((?:[\w-]+\s+){0,4})", between)
    if m is None or not all(w.lower() in forms for w in m.group(2).split()):
        return False
    if m.group(1) == "(":
        return bool(m.group(2)) and after.lstrip().startswith(")")
    return bool(re.match(r"\s*formulation\b", after))


QUOTES = "\"'\u201c\u201d "
#: a stock symbol ("ONCY", "BRK.B")
TICKER = re.compile(r"[A-Z][A-Z0-9]{0,5}(?:\.[A-Z])?")
#: between an organisation and its former name: "Ravenscourt Park Hospital (formerly Stamford Hospital)"
FORMER_NAME = re.compile(r"\s*\(\s*(?:formerly|previously)(?:\s+(?:known\s+as|called|named))?\s+(?:the\s+)?", re.I)


class Clusters:
    """Union-find over entity keys: names found to be one entity."""

    def __init__(self):
        self.parent: dict[str, str] = {}
        self.why: dict[str, Evidence] = {}      # a key folded into another -> the rule and sentence that joined them
        self.nameless: set[str] = set()         # keys folded in as mentions, their text no name of the entity

    def find(self, key: str) -> str:
        while self.parent.get(key, key) != key:
            key = self.parent[key]
        return key

    def union(self, a: str, b: str, prefer: str | None = None, why: Evidence | None = None) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        keep, drop = (ra, rb) if (prefer is None or self.find(prefer) == ra) else (rb, ra)
        self.parent[drop] = keep
        if why is not None:
            self.why.setdefault(drop, why)


def link_entities(ix: DocumentIndex, x: Extraction) -> set[int]:
    """Fill ``x.entities`` and ``x.companies`` and index the mentions; returns the ids of the
    mentions that name the unit of an institution (not a site of their own)."""
    clusters = Clusters()
    collect_entities(ix, x)
    alias_connectors(ix, x, clusters)
    units = units_of_institutions(ix, x, clusters)
    issuing_companies(ix, x, clusters)
    merge_clusters(ix, x, clusters)
    organisation_parents(x)
    return units


# -- entities and their names --------------------------------------------------

def collect_entities(ix: DocumentIndex, x: Extraction) -> None:
    """One entity per canonical name; every mention indexed under its sentence."""
    lex, orgs = drug_lexicon(), org_lexicon()
    for ent in ix.doc.ents:
        if ent.label_ in MARKER_LABELS:
            ix.add(Mention(ent.label_, ent, "", ent.id_), entity=False)
        elif ent.label_ in LABEL_TYPES:
            key = _entity_of(x, ent, lex, orgs)
            if key:
                ix.add(Mention(ent.label_, ent, key, ent.id_))


def _entity_of(x: Extraction, ent: Span, lex, orgs) -> str | None:
    """The key of the entity ``ent`` names (the entity created or extended), None for no entity."""
    etype = LABEL_TYPES[ent.label_]
    canon, ids, roles = canonical(ent, etype, lex, orgs)
    if not canon:
        return None
    key_name, broader = canon, set()
    if etype == "Condition":
        key_name, ids, broader = _condition_identity(canon, ent.text)
    key = entity_key(etype, key_name)
    e = x.entities.get(key)
    if e is None:
        e = x.entities[key] = Entity(key, etype, canon)
    e.broader |= broader
    e.aliases.add(surface(ent.text))
    if etype == "Drug":
        e.aliases |= code_aliases(canon)
    e.ids |= ids
    e.roles |= roles
    e.rules.add(ent.id_)
    return key


def _condition_identity(canon: str, text: str) -> tuple[str, set[str], set[str]]:
    """(the name a condition is keyed by, its MeSH identifiers, the keys of its broader conditions).

    MeSH names the condition across releases: "renal cell cancer" = "renal cell carcinoma"; a subtype
    keeps its own node, linked to the heading above it ("castration-resistant prostate cancer" ->
    prostatic neoplasms; "bulbar-onset ALS" -> amyotrophic lateral sclerosis). A class of diseases
    ("cancers") is left as written: the fact scorer reads grounding as a sign of an indication, and the
    identity stage keys it by its heading after scoring.
    """
    if generic_name(canon):      # keyed by its heading ("cancers", "tumors" -> neoplasms) after scoring
        return canon, set(), set()
    rec, parent = ground_condition(canon)
    if rec is None and text != canon:
        rec, parent = ground_condition(text)
    if rec is None:
        return normal_condition_name(canon), set(), {entity_key("Condition", parent.name)} if parent else set()
    return rec.name, {rec.iri}, {entity_key("Condition", p.name) for p in mesh_parents(rec)}


def canonical(ent: Span, etype: str, lex, orgs) -> tuple[str, set[str], set[str]]:
    """(canonical name, identifier IRIs, organisation roles) of an entity span; "" for no entity."""
    kb = ent.kb_id_ or ent.text
    if etype == "Drug":
        return _drug_name(ent, kb, lex)
    if etype == "Organization":
        return _org_name(ent, kb, orgs)
    if etype == "Condition":
        return kb, set(), set()
    return re.sub(r"\s+", " ", kb), set(), set()


def _drug_name(ent: Span, kb: str, lex) -> tuple[str, set[str], set[str]]:
    rec = lex.lookup(kb) or lex.lookup(ent.text)
    if ent.id_ == "drug.lexicon" and rec is not None:
        return rec.name.lower(), {_id_iri(scheme, ident) for scheme, ident in rec.ids}, set()
    text = re.sub(r"\s*(?:\((?:R|TM|r|tm)\)|[\u00ae\u2122])\s*$", "", kb).strip()
    text = re.sub(r"(?<=[a-z])TM$", "", text)
    if re.search(r"\d", text):
        return normalize_code(text), set(), set()
    return text, set(), set()


def _org_name(ent: Span, kb: str, orgs) -> tuple[str, set[str], set[str]]:
    roles: set[str] = set()
    rule = ent.id_ or ""
    name = canonical_org(kb)
    if rule.startswith("org.") and rule.split(".")[1].split("+")[0] not in ("model", "institution"):
        roles.add(rule.split(".")[1].split("+")[0])
    entry = orgs.get(kb) or orgs.get(ent.text)
    if entry:
        entry = named_by(entry)            # a programme of an agency is the agency ("CTEP": the NCI)
        roles.add(entry.role)
        name = entry.name
    if rule.startswith("org.institution") or known_institution(name) or institution_words().search(name):
        roles.add("institution")
        name = institution_name(name)      # one node per institution, its units as alternative labels
    if not name or name[0].islower() or names_a_document(name):      # "the Orphan Drug Act"
        return "", set(), roles
    return name, set(), roles


def _id_iri(scheme: str, ident: str) -> str:
    if scheme == "drugbank":
        return f"https://go.drugbank.com/drugs/{ident}"
    if scheme == "mesh":
        return f"http://id.nlm.nih.gov/mesh/{ident}"
    if scheme == "medlineplus":
        return f"https://medlineplus.gov/druginfo/meds/{ident}.html"
    return ident


def alias_connectors(ix: DocumentIndex, x: Extraction, clusters: Clusters) -> None:
    """ "LOR-2040 (formerly GTI-2040)", "Genasense (oblimersen sodium)": one drug, several names."""
    text = ix.text
    for ms in ix.by_sent.values():
        drugs = [m for m in ms if m.label == "DRUG"]
        for a, b in zip(drugs, drugs[1:]):
            between = text[a.end:b.start]
            product = product_of().match(between) or made_of(between, text[b.end:b.end + 200])
            if product or ALIAS_CONNECTOR.match(between) or ALIAS_LATER_IN_BRACKET.match(between) or (
                    ALIAS_IN_LIST.match(between) and "(" in text[max(0, a.start - 60):a.start]
                    and ")" not in text[a.start - 60 if a.start > 60 else 0:a.start].split("(")[-1]):
                older = b.key if FORMERLY.search(between) else None
                rule = "alias.former-name" if older else "alias.product-of" if product else "alias.other-name"
                clusters.union(a.key, b.key, prefer=older or _preferred_drug(x, a.key, b.key),
                               why=ix.evidence(a.span.sent, rule, 1.0))
        # a condition written "X (Y)" where Y is another condition name
        conds = [m for m in ms if m.label in ("CONDITION", "TARGET", "ORG")]
        for a, b in zip(conds, conds[1:]):
            if a.label == b.label and re.fullmatch(r"\s*\(\s*", text[a.end:b.start]) \
                    and text[b.end:b.end + 2].lstrip().startswith(")"):
                clusters.union(a.key, b.key, prefer=a.key, why=ix.evidence(a.span.sent, "alias.bracketed-name", 1.0))


def _preferred_drug(x: Extraction, a: str, b: str) -> str:
    ea, eb = x.entities[a], x.entities[b]
    # a dictionary name (with identifiers) names the drug across documents; else the first name
    if eb.ids and not ea.ids and not re.search(r"\d", ea.name):
        return b
    return a


def units_of_institutions(ix: DocumentIndex, x: Extraction, clusters: Clusters) -> set[int]:
    """ "the Myeloma Center at the University Hospital Heidelberg": the unit is the institution (one node,
    the unit's names kept as alternative labels); "Ravenscourt Park Hospital (formerly Stamford
    Hospital)": an organisation's former name is the organisation.

    Returns the ids of the second mentions (not sites of their own)."""
    units: set[int] = set()
    for ms in ix.by_sent.values():
        orgs = [m for m in sorted(ms, key=lambda m: m.start) if m.label == "ORG"]
        for a, b in zip(orgs, orgs[1:]):
            ea, eb = x.entities[a.key], x.entities[b.key]
            if a.key == b.key:
                continue
            between = ix.text[a.end:b.start]
            if "institution" in ea.roles and "institution" in eb.roles and \
                    re.fullmatch(r"\)?\s*(?:\([^()]*\)\s*)?at\s+(?:the\s+|The\s+)?", between):
                whole = surface(ix.text[a.start:b.end])
                if whole.count("(") == whole.count(")"):    # not "CTRC) at The University of ..."
                    ea.aliases.add(whole)
                clusters.union(a.key, b.key, prefer=b.key)
                units.add(id(b))
            elif FORMER_NAME.fullmatch(between) and ix.text[b.end:b.end + 2].lstrip().startswith(")"):
                clusters.union(a.key, b.key, prefer=a.key)
                units.add(id(b))
    return units


def organisation_parents(x: Extraction) -> None:
    """An organisation of its own within a larger one ("the National Cancer Institute", an institute of
    the NIH): the larger one, by ``organizations.tsv``, is stated as its parent (cp:partOf)."""
    for e in x.entities.values():
        parent = parent_of(e.name) if e.type in ("Organization", "Company") else None
        if parent is not None:
            e.part_of[entity_key("Organization", parent.name)] = parent.name


def fold(dst: Entity, src: Entity) -> None:
    """``src``'s names, identifiers, roles, rules and links added to ``dst`` (one entity, two records)."""
    for f in fields(Entity):
        value, more = getattr(dst, f.name), getattr(src, f.name)
        if isinstance(value, set):
            value |= more
        elif isinstance(value, dict):
            value.update({k: v for k, v in more.items() if k not in value})
    dst.aliases.add(src.name)
    if src.type == "Company":
        dst.type = "Company"


def merge_clusters(ix: DocumentIndex, x: Extraction, clusters: Clusters) -> None:
    """Fold alias clusters into one entity each (names kept as alternative labels)."""
    if not clusters.parent:
        return
    for key in list(x.entities):
        root = clusters.find(key)
        if root == key:
            continue
        src, dst = x.entities.pop(key), x.entities[root]
        names = dst.aliases | {dst.name}
        fold(dst, src)
        if key in clusters.nameless:        # "the Company", "Palatin Technologies Scores Triple Win"
            dst.aliases = names - {dst.name}
        elif key in clusters.why and src.name != dst.name:
            dst.joined.setdefault(src.name, clusters.why[key])
    for m in ix.mentions:
        m.key = clusters.find(m.key)
    x.companies = list(dict.fromkeys(clusters.find(k) for k in x.companies))


# -- the issuing company -------------------------------------------------------

def issuing_companies(ix: DocumentIndex, x: Extraction, clusters: Clusters) -> None:
    """The company issuing the release: ORG subjects of the dateline sentence, else the metadata."""
    companies = _dateline_companies(ix, x, clusters) or _metadata_company(ix, x) or _subject_company(ix, x)
    # "ABVC BioPharma" and "BioPharma": a company named by the end of another's name is that company
    for a in list(companies):
        for b in list(companies):
            if a != b and a in companies and b in companies and \
                    normalize_name(x.entities[a].name).endswith(" " + normalize_name(x.entities[b].name)):
                clusters.union(b, a, prefer=a)
                companies.remove(b)
    for key in companies:
        x.entities[key].roles.add("company")
        x.entities[key].type = "Company"
    x.companies = companies
    if companies:
        _issuer_names(ix, x, clusters, companies)
    _ticker_names(ix, x, clusters, companies)


def _dateline_companies(ix: DocumentIndex, x: Extraction, clusters: Clusters) -> list[str]:
    """The companies named before the verb of the first sentence that has one ("X today announced")."""
    verbs = WORDS.regex(r"\b<<dateline-verb>>\b", re.I)
    for sent in ix.sents[:40]:
        if ix.zone(sent) == "skip":
            continue
        m = verbs.search(sent.text)
        if not m:
            continue
        companies: list[str] = []
        _org_subjects(ix, x, clusters, sent, sent.start_char + m.start(), companies)
        _metadata_subjects(ix, x, clusters, sent, m.start(), companies)
        if not companies:
            _apposition_subject(ix, x, clusters, sent, m.start(), companies)
        if companies:
            companies.sort(key=lambda k: min((mm.start for mm in ix.mentions if mm.key == k), default=0))
            return companies
    return []


def _org_subjects(ix: DocumentIndex, x: Extraction, clusters: Clusters, sent: Span, cut: int,
                  companies: list[str]) -> None:
    """ORG mentions before ``cut`` that name a company (a company word, a ticker, the metadata)."""
    meta = ix.document.meta.get("companies", [])
    for mm in ix.by_sent.get(ix.sidx(sent), []):
        if mm.label != "ORG" or mm.start >= cut or is_issuer_noun(mm.text):
            continue
        if x.entities[mm.key].roles & org_roles("not-issuer"):
            continue
        meta_hit = next((c for c in meta if normalize_name(canonical_org(c)) in normalize_name(mm.text)), None)
        if meta_hit and normalize_name(canonical_org(meta_hit)) != normalize_name(canonical_org(mm.text)):
            # "Noonan/Russo Communications Lorus Therapeutics Inc.": the NER span ran too far left
            key = entity_key("Organization", canonical_org(meta_hit))
            e2 = x.entities.setdefault(key, Entity(key, "Organization", canonical_org(meta_hit)))
            e2.aliases.add(meta_hit)
            clusters.union(mm.key, key, prefer=key)
            if key not in companies:
                companies.append(key)
        elif company_words().search(mm.text) or has_ticker_after(ix.text, mm) or meta_hit:
            if mm.key not in companies:
                companies.append(mm.key)


def _metadata_subjects(ix: DocumentIndex, x: Extraction, clusters: Clusters, sent: Span, cut: int,
                       companies: list[str]) -> None:
    """Companies of the metadata written before ``cut`` (an offset in the sentence) and not found yet."""
    for name in ix.document.meta.get("companies", []):
        pos = sent.text.find(name)
        if not 0 <= pos < cut:
            continue
        key = entity_key("Organization", canonical_org(name))
        if key in companies or clusters.find(key) in [clusters.find(c) for c in companies]:
            continue
        e = x.entities.setdefault(key, Entity(key, "Organization", canonical_org(name)))
        e.aliases.add(name)
        span = ix.doc.char_span(sent.start_char + pos, sent.start_char + pos + len(name), alignment_mode="expand")
        if span is not None:
            ix.add(Mention("ORG", span, key, "org.dateline-company"))
        companies.append(key)


def _apposition_subject(ix: DocumentIndex, x: Extraction, clusters: Clusters, sent: Span, cut: int,
                        companies: list[str]) -> None:
    """The company a dateline sentence opens with when no organisation mention names it: "Lophora, a
    Danish biotech advancing ..., announced" (:data:`APPOSITION_SUBJECT`, before ``cut``)."""
    m = APPOSITION_SUBJECT.search(sent.text[:cut])
    if m is None or is_issuer_noun(m.group("name")):
        return
    start = sent.start_char + m.start("name")
    span = ix.doc.char_span(start, start + len(m.group("name")), alignment_mode="contract")
    if span is None:
        return
    name = canonical_org(span.text)
    key = entity_key("Organization", name)
    e = x.entities.setdefault(key, Entity(key, "Organization", name))
    e.aliases.add(span.text)
    ix.add(Mention("ORG", span, key, "org.dateline-apposition"))
    companies.append(key)


def _metadata_company(ix: DocumentIndex, x: Extraction) -> list[str]:
    """The first company of the metadata, for a release whose dateline names none."""
    for name in ix.document.meta.get("companies", [])[:1]:
        key = entity_key("Organization", canonical_org(name))
        if key not in x.entities:
            x.entities[key] = Entity(key, "Organization", canonical_org(name), {name})
        return [key]
    return []


def _subject_company(ix: DocumentIndex, x: Extraction) -> list[str]:
    """For a release with neither dateline nor metadata (an interview write-up, a newsroom post): the
    organisation it is about, named in its first sentences and more often than any other, at least twice."""
    counts: dict[str, int] = {}
    early: set[str] = set()
    # the first three sentences of words: a wire's tag line ("--News Direct--") is no sentence of the lead
    lead = [s for s in ix.sents if sum(t.is_alpha for t in s) >= 3][:3]
    lead_end = lead[-1].end_char if lead else 0
    for m in ix.mentions:
        if m.label != "ORG" or is_issuer_noun(m.text) or is_ticker(ix.text, m) or \
                x.entities[m.key].roles & (org_roles("not-issuer") | {"institution"}):
            continue
        counts[m.key] = counts.get(m.key, 0) + 1
        if m.start < lead_end:
            early.add(m.key)
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    if not ranked or ranked[0][1] < 2 or ranked[0][0] not in early or \
            (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
        return []
    return [ranked[0][0]]


def _issuer_names(ix: DocumentIndex, x: Extraction, clusters: Clusters, companies: list[str]) -> None:
    """ "the Company", "Lorus", "Candel's": short names and anaphors of the issuer."""
    first = companies[0]
    shorts = short_names(x, companies)
    for m in ix.mentions:
        if m.label != "ORG" or m.key in companies:
            continue
        t = _bare(m.text)
        if is_issuer_noun(m.text):          # "the Company" refers to the issuer; it is no name of it
            clusters.union(m.key, first, prefer=first)
            clusters.nameless.add(m.key)
            continue
        for w, key in shorts.items():
            if t == w.lower() or t.startswith(w.lower() + " ") and not (
                    x.entities[m.key].roles & org_roles("not-short-name")):
                clusters.union(m.key, key, prefer=key)
                # a span run on past the name (" Scores Triple Win", not " Therapeutics, Inc."): the
                # issuer, not a name of it
                at = m.text.lower().find(w.lower())
                if at < 0 or not only_company_words(m.text[at + len(w):]):
                    clusters.nameless.add(m.key)
    _unlabeled_short_names(ix, x, shorts)
    for m in ix.mentions:
        if m.label == "ORG" and is_issuer_noun(m.text):
            m.key = first


def short_names(x: Extraction, companies: list[str]) -> dict[str, str]:
    """The first word of each issuer's name (four letters or more, capitalised) -> the issuer."""
    shorts = {}
    for key in companies:
        name = x.entities[key].name.split()
        w = name[0] if name else ""
        if len(w) >= 4 and w[0].isupper():
            shorts[w] = key
    return shorts


@functools.lru_cache(maxsize=1)
def listed_as() -> re.Pattern:
    """Between a company's name and the bracket of its listing: a legal form of ``company_words.tsv``
    ("GenSpera, Inc. (OTCBB:GNSZ)")."""
    legal = phrase_regex("company_words.tsv", "word", kind="legal").pattern
    return re.compile(rf"\s*,?\s*(?:{legal})?\s*[\u00ae\u2122]?\s*,?\s*")


def _ticker_names(ix: DocumentIndex, x: Extraction, clusters: Clusters, issuers: list[str]) -> None:
    """ "Oncolytics Biotech Inc. (NASDAQ: ONCY)": a stock symbol is a name of the company listed just
    before it (its alternative label), not an organisation of its own; of the issuer when no company is
    named before it and it is the first symbol the release lists. A symbol after anything else ("Merck's
    Keytruda (NYSE: MRK)") names no company this release names."""
    orgs = sorted((m for m in ix.mentions if m.label == "ORG"), key=lambda m: m.start)
    first = next(iter(ix.document.meta.get("tickers", [])), "").split(":")[-1]
    for i, m in enumerate(orgs):
        if not TICKER.fullmatch(m.text) or not is_ticker(ix.text, m):
            continue
        bracket = ix.text.rfind("(", max(0, m.start - 40), m.start)
        company = next((p.key for p in reversed(orgs[:i]) if bracket >= 0 and p.end <= bracket
                        and listed_as().fullmatch(ix.text[p.end:bracket]) and p.key != m.key), None)
        if company is None and len(issuers) == 1 and m.text == first:
            company = issuers[0]
        if company is not None and clusters.find(company) != clusters.find(m.key):
            clusters.union(m.key, company, prefer=company)


def _unlabeled_short_names(ix: DocumentIndex, x: Extraction, shorts: dict[str, str]) -> None:
    """Short names no recogniser labelled ("Lorus' objective") become company mentions."""
    taken = {i for e in ix.doc.ents for i in range(e.start, e.end)}
    for tok in ix.doc:
        w = POSSESSIVE_END.sub("", tok.text)
        if tok.i in taken or w not in shorts:
            continue
        span = ix.doc[tok.i:tok.i + 1]
        x.entities[shorts[w]].aliases.add(w)
        ix.add(Mention("ORG", span, shorts[w], "org.company-short-name"))


def _bare(text: str) -> str:
    return normalize_name(text).strip(QUOTES)


def is_issuer_noun(text: str) -> bool:
    """ "the Company", "the Corporation": the issuer, named by its kind."""
    return _bare(text) in WORDS.words("issuer-noun")


def unresolved_anaphor(x: Extraction, m: Mention) -> bool:
    """ "the Company's patented ..." in a release whose issuer is unknown: no organisation to credit."""
    return m.key not in x.companies and is_issuer_noun(m.text)


def is_ticker(text: str, m: Mention) -> bool:
    """ "(NASDAQ: HRBR)": a stock symbol, not an organisation in its own right."""
    return bool(re.search(r"[(;,]\s*[A-Za-z][\w ]{1,20}:\s*$", text[max(0, m.start - 30):m.start]))


def has_ticker_after(text: str, m: Mention) -> bool:
    """ "Acme Inc. (NASDAQ: ACMB)": a listed company."""
    return bool(WORDS.regex(r"\s*,?\s*\(\s*<<exchange>>").match(text[m.end:m.end + 30]))
