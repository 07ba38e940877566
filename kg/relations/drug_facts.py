"""Stage 4: facts about drugs outside trials, their targets, indications and developers.

* targets: the drug each target frame of ``kg_targets`` is about ("LOR-2040 inhibits R2", "the
  MC4R agonist PL8177", "It targets ..." for the drug in focus);
* indications: a drug and a condition joined by an indication cue ("X for the treatment of Y",
  "X in patients with Y"), or a designation for a condition naming the drug after it;
* developers: the company a sentence credits with a drug ("Bayer's darolutamide", "developed by",
  "capecitabine (Xeloda, Roche)", "Polynoma, a company developing seviprotimut-L", "Rhythm reported
  Phase 3 results for setmelanotide"), else the issuing company for its own drugs (those it calls
  "its", those "we" or "the Company" is developing, those its trials study, code names).
"""
from __future__ import annotations

import re

from spacy.tokens import Span

from ..nlp.context import categories
from ..nlp.targets import FRAMES_KEY
from ..records import Assertion, Extraction
from .entities import is_ticker, unresolved_anaphor
from .entities import WORDS as ENTITY_WORDS
from .lexicon import Vocabulary, confidence, factor, org_roles, words
from .mentions import DocumentIndex, Mention
from .roles import condition_is_background, drug_roles, is_generic

WORDS = Vocabulary("fact_words.tsv", (
    "target-break", "target-copula", "target-combination", "drug-reference", "drug-noun", "derived-drug",
    "approval-word", "designated-noun", "reporting-verb", "develop-verb", "possessive-lead"))


# -- targets -------------------------------------------------------------------

def target_facts(ix: DocumentIndex, x: Extraction, focus_drug: str | None) -> None:
    """``targets`` from the target frames of the ``kg_targets`` component."""
    targets = {(m.start, m.end): m for m in ix.mentions if m.label == "TARGET"}
    for fr in ix.doc.user_data.get(FRAMES_KEY, []):
        tm = targets.get(tuple(fr["target"]))
        if tm is None:
            # the target span may have been re-labelled; take any target mention at that place
            tm = next((m for m in ix.mentions if m.label == "TARGET" and m.start <= fr["target"][0] < m.end), None)
        if tm is None:
            continue
        sent = tm.span.sent
        if not ix.usable(sent):
            continue
        if "NEGATED" in ix.sentence_context(sent) and re.search(r"\bnot\b", sent.text):
            continue
        drug = drug_for_target(ix, sent, tm, fr, focus_drug)
        if drug is not None:
            x.assertions.append(Assertion(drug, "targets", tm.key, ix.evidence(sent, fr["rule"], fr["confidence"])))


def drug_for_target(ix: DocumentIndex, sent: Span, tm: Mention, fr: dict, focus_drug: str | None) -> str | None:
    """The drug a target frame is about: right after its cue, right before it, or the drug in focus."""
    drugs = [m for m in ix.by_sent.get(ix.sidx(sent), []) if m.label == "DRUG"]
    cue_s, cue_e = fr["cue"]
    # a drug right after the cue: "MC4R agonist PL8177", "the target of LOR-2040"
    after = [m for m in drugs if m.start >= max(cue_e, tm.end) and
             len(ix.words_between(max(cue_e, tm.end), m.start)) <= 3]
    if fr["side"] == "left" and after:
        return after[0].key
    anchor = min(cue_s, tm.start)
    before = [m for m in drugs if m.end <= anchor]
    if before and _governs_target(" ".join(ix.words_between(before[-1].end, anchor))):
        return before[-1].key
    if after and fr["side"] != "right":
        return after[0].key
    if not drugs and focus_drug and _refers_to_a_drug(ix.text[sent.start_char:anchor].lower()):
        return focus_drug
    return None


def _governs_target(between: str) -> bool:
    """The drug before the target frame is its subject: no other drug or combination between."""
    if WORDS.regex(r"\b<<target-break>>\b").search(between) \
            and not WORDS.regex(r"\b<<target-copula>>\s").search(" " + between + " "):
        return False
    return not WORDS.regex(r"\b<<target-combination>>\b").search(between)


def _refers_to_a_drug(head: str) -> bool:
    """ "It ...", "the drug ...", "a second-generation antisense drug designed to inhibit ...":
    a drug the sentence does not name is the drug the release is about."""
    return bool(WORDS.regex(r"\s*<<drug-reference>>\b").match(head)
                or WORDS.regex(r"\b<<drug-noun>>\b[^.;]{0,60}$").search(head))


# -- indications ---------------------------------------------------------------

def indication_facts(ix: DocumentIndex, x: Extraction) -> None:
    """Drug-condition links outside trials: "X for the treatment of Y", "X in Y", designations."""
    for _, sent, ms in ix.usable_sentences():
        drugs = [m for m in ms if m.label == "DRUG"]
        conds = [m for m in ms if m.label == "CONDITION"]
        if not drugs or not conds:
            continue
        ctx = ix.sentence_context(sent)
        if "HYPOTHETICAL" in ctx:
            continue
        roles = drug_roles(ix, sent, drugs)
        for c in conds:
            if condition_is_background(ix, sent, c):
                continue
            best = _cued_drug_before(ix, sent, c, drugs, roles) or _designated_drug_after(ix, sent, c, drugs)
            if best is None or is_generic(x, c.key):
                continue          # "the management of cancer": not an indication
            d, (cue, conf) = best
            if "PRECLINICAL" in ctx:
                conf *= factor("preclinical-indication")
            x.assertions.append(Assertion(d.key, "investigatedFor", c.key,
                                          ix.evidence(sent, "indication." + "-".join(cue), conf)))


def _cued_drug_before(ix: DocumentIndex, sent: Span, c: Mention, drugs: list[Mention], roles: dict[int, str]):
    """The nearest principal drug before the condition, with an indication cue between them:
    (drug, (cue, confidence)), or None.

    A partner drug ("X in combination with Y in patients with Z") is not what is tested for Z,
    nor a drug named to describe another ("CYB003, a deuterated psilocybin analog for ...").
    """
    prev = [d for d in drugs if d.end <= c.start and roles.get(id(d)) not in ("comparator", "partner", "description")
            and not WORDS.regex(r"[\s-]*<<derived-drug>>\b", re.I).match(ix.text[d.end:d.end + 14])]
    for d in reversed(prev):
        between = ix.words_between(d.end, c.start)
        if len(between) > 25:
            return None
        if any(other.start > d.end and other.end <= c.start and roles.get(id(other)) == "principal"
               and other.key != d.key for other in drugs):
            continue
        if "NEGATED" in categories(ix.doc, c.start, c.end):
            return None
        text = " ".join(between)
        hit = next(((cue, conf) for cue, _, conf in ix.cues.cues("indication", "between")
                    if re.search(r"(?:^|\s)" + re.escape(" ".join(cue)) + r"(?:\s|$)", text)), None)
        if hit:
            return d, hit
    return None


def _designated_drug_after(ix: DocumentIndex, sent: Span, c: Mention, drugs: list[Mention]):
    """ "Orphan Designation for the treatment of CF ... for the compound duramycin" """
    nxt = [d for d in drugs if d.start >= c.end and len(ix.words_between(c.end, d.start)) <= 12]
    if nxt and WORDS.regex("<<approval-word>>", re.I).search(sent.text) and \
            WORDS.regex(r"\b(?:for|to|of)\s+(?:the\s+)?<<designated-noun>>?\s*$").search(
                ix.text[c.end:nxt[0].start].lower() + " "):
        return nxt[0], (("designation",), confidence("indication.designation"))
    return None


# -- developers ----------------------------------------------------------------

def developer_facts(ix: DocumentIndex, x: Extraction, trial_drugs: set[str], partner_only: set[str]) -> dict[str, str]:
    """``developedBy`` facts; returns the drugs the release credits to a company (drug -> company)."""
    companies = x.companies
    other_owner = _credited_owners(ix, x)
    drug_owner: dict[str, str] = {}
    for drug, (org, sent, rule) in other_owner.items():
        if org in companies and rule == "developer.reporting-company":
            continue
        drug_owner[drug] = org
        x.assertions.append(Assertion(drug, "developedBy", org, ix.evidence(sent, rule, confidence(rule))))
    if not companies:
        return drug_owner
    # the issuer develops its own drugs: those its trials study, those it calls "its", code names, the headline's
    own: dict[str, tuple[Span, str]] = {}
    for m in ix.mentions:
        if m.label != "DRUG" or (m.key in other_owner and other_owner[m.key][0] not in companies):
            continue
        if ix.usable(m.span.sent) or ix.title_mention(m):
            rule = _issuer_drug_rule(ix, x, m, trial_drugs, partner_only)
            if rule is not None:
                own.setdefault(m.key, (m.span.sent, rule))
    for drug, (sent, rule) in own.items():
        if drug in drug_owner:
            continue
        for c in companies:
            x.assertions.append(Assertion(drug, "developedBy", c, ix.evidence(sent, rule, confidence(rule))))
    return drug_owner


#: words after a development verb before its drug, at most ("is developing and moving toward potential
#: commercialization of HyBryte(TM) (SGX301": eight)
DEVELOPED_WITHIN = 8
#: between a company and its development verb: an apposition (", a privately held immuno-oncology company")
#: or a copula ("is also", "are currently"), after a ticker in brackets
SUBJECT_TO_VERB = re.compile(r"(?:\s*\([^()]*\))?(?:\s*,\s*(?:an?|the)\b[^,;.()]{0,80}?|\s+(?:is|are|was|has\s+been|have\s+been)"
                             r"(?:\s+\w+ly|\s+also|\s+now)*)\s+")


def _develop_verb(text: str) -> re.Match | None:
    """The last development verb of ``text`` ("is developing", "a company developing") with at most
    :data:`DEVELOPED_WITHIN` words after it (``text``: lower case, ending where the drug starts)."""
    hit = None
    for hit in WORDS.regex(r"\b<<develop-verb>>\b").finditer(text):
        pass
    if hit is None or sum(w[:1].isalnum() for w in words(text[hit.end():])) > DEVELOPED_WITHIN:
        return None
    return hit


def _principal(ix: DocumentIndex, sent: Span, m: Mention, drugs: list[Mention]) -> bool:
    """Is the drug what its sentence (whose drug mentions are ``drugs``) is about, not a partner, comparator
    or description of another?"""
    return drug_roles(ix, sent, drugs).get(id(m), "principal") == "principal"


def _issuer_developing(ix: DocumentIndex, m: Mention) -> bool:
    """ "The Company is also developing X", "we are developing X", "Our ... segment is developing and moving
    toward commercialization of X": the issuer, by its kind or in the first person, develops the drug; not a
    partner ("we are developing X in combination with pembrolizumab")."""
    sent = m.span.sent
    before = ix.text[sent.start_char:m.start].lower()
    verb = _develop_verb(before)
    return verb is not None and bool(ENTITY_WORDS.regex(
        r"(?:\b(?:we|our)\b|\bthe\s+<<issuer-noun>>\b)(?:\s+[\w-]+){0,4}?\s+(?:is|are)(?:\s+\w+ly|\s+also|\s+now)?\s+$"
    ).search(before[:verb.start()])) and \
        _principal(ix, sent, m, [d for d in ix.by_sent.get(ix.sidx(sent), []) if d.label == "DRUG"])


def _issuer_drug_rule(ix: DocumentIndex, x: Extraction, m: Mention, trial_drugs: set[str],
                      partner_only: set[str]) -> str | None:
    """Why the drug is the issuer's own: "its X", "we are developing X", a drug its trials study, a code
    name; None if not."""
    sent = m.span.sent
    e = x.entities[m.key]
    before = ix.text[max(sent.start_char, m.start - 60):m.start].lower()
    if WORDS.regex(r"\b<<possessive-lead>>\b(?:\s+[\w-]+){0,5}[\s,]*$").search(before) \
            or ENTITY_WORDS.regex(r"<<issuer-noun>>['\u2019]s\b(?:\s+[\w-]+){0,5}[\s,]*$").search(before):
        return "developer.possessive-its"
    if m.key not in partner_only and _issuer_developing(ix, m):
        return "developer.issuer-developing"
    if m.key in trial_drugs and m.key not in partner_only:
        return "developer.issuer-trial"
    if not e.ids and (re.search(r"\d", e.name) or "drug.brand-mark" in e.rules or "drug.frame" in e.rules):
        return "developer.issuer-code-name"
    return None


def _credited_owners(ix: DocumentIndex, x: Extraction) -> dict[str, tuple[str, Span, str]]:
    """drug -> (organisation, sentence, rule) for the first sentence that credits the drug to an
    organisation: a possessive, a brand owner, "developed by", "X is developing", a reporting company."""
    owners: dict[str, tuple[str, Span, str]] = {}
    for _, sent, ms in ix.usable_sentences():
        drugs = [m for m in ms if m.label == "DRUG"]
        orgs = [m for m in ms if m.label == "ORG" and not (x.entities[m.key].roles & org_roles("not-developer"))
                and not is_ticker(ix.text, m) and not unresolved_anaphor(x, m)]
        for d in drugs:
            if d.key in owners:
                continue
            for rule, owner in OWNER_RULES:
                org = owner(ix, x, sent, d, orgs, drugs)
                if org is not None:
                    owners[d.key] = (org, sent, rule)
                    break
    return owners


# Each rule: (index, extraction, sentence, drug mention, organisation mentions and drug mentions of
# the sentence) -> the key of the organisation the sentence credits with the drug, or None.

def _possessive(ix: DocumentIndex, x: Extraction, sent: Span, d: Mention, orgs: list[Mention],
                drugs: list[Mention]) -> str | None:
    """ "Bayer's darolutamide", "Regeneron Pharmaceuticals Inc.'s ... cemiplimab" """
    for o in reversed([o for o in orgs if o.end <= d.start]):
        if re.match(r"^\s*(?:\([^)]*\)\s*)?['\u2019]s?(?=\s|$)", ix.text[o.end:d.start]) \
                and sum(w[:1].isalnum() for w in ix.words_between(o.end, d.start)) <= 12 \
                and not _drug_between(drugs, o, d):
            return o.key
    return None


def _drug_between(drugs: list[Mention], o: Mention, d: Mention) -> bool:
    return any(m.start > o.end and m.end <= d.start for m in drugs)


def _brand_owner(ix: DocumentIndex, x: Extraction, sent: Span, d: Mention, orgs: list[Mention],
                 drugs: list[Mention]) -> str | None:
    """ "vinorelbine (Navelbine(R); Glaxo Smith Kline)", "capecitabine (Xeloda, Roche)" """
    for o in orgs:
        if o.start > d.end and re.fullmatch(r"\s*(?:\((?:R|TM)\))?\s*[;,]\s*", ix.text[d.end:o.start]) \
                and "(" in ix.text[max(sent.start_char, d.start - 40):d.start]:
            return o.key
    return None


def _developed_by(ix: DocumentIndex, x: Extraction, sent: Span, d: Mention, orgs: list[Mention],
                  drugs: list[Mention]) -> str | None:
    """ "PENNSAID is the first product developed by Dimethaid Research" """
    cue = ix.cues.before_regex("developer")
    for o in orgs:
        between = ix.text[d.end:o.start]
        if o.start > d.end and any(re.fullmatch(r"\s*(?:the\s+)?", between[m.end():]) for m in cue.finditer(between)) \
                and len(ix.words_between(d.end, o.start)) <= 10:
            return o.key
    return None


def _reporting_company(ix: DocumentIndex, x: Extraction, sent: Span, d: Mention, orgs: list[Mention],
                       drugs: list[Mention]) -> str | None:
    """ "Rhythm Pharmaceuticals just reported successful Phase 3 results for setmelanotide" """
    for o in orgs:
        if o.key in x.companies or o.end > d.start:
            continue
        if len(ix.words_between(o.end, d.start)) <= 12 and WORDS.regex(
                r"\b<<reporting-verb>>\b").search(ix.text[o.end:d.start]) and not _drug_between(drugs, o, d):
            return o.key
    return None


def _developing(ix: DocumentIndex, x: Extraction, sent: Span, d: Mention, orgs: list[Mention],
                drugs: list[Mention]) -> str | None:
    """ "Theriva Biologics is also developing SYN-004", "Polynoma LLC, a privately held immuno-oncology
    company developing seviprotimut-L": the nearest organisation before the drug, the subject of a
    development verb (:data:`SUBJECT_TO_VERB`) at most :data:`DEVELOPED_WITHIN` words before the drug,
    which is what the sentence is about (not "developing X in combination with Y" for Y). A unit of the
    issuer ("Our Specialized BioTherapeutics business segment is developing X") is not the developer:
    the issuer is."""
    o = max((o for o in orgs if o.end <= d.start), key=lambda o: o.end, default=None)
    if o is None or WORDS.regex(r"\b<<possessive-lead>>\s*$").search(
            ix.text[max(sent.start_char, o.start - 8):o.start].lower()):
        return None
    between = ix.text[o.end:d.start].lower()
    verb = _develop_verb(between)
    if verb is None or not SUBJECT_TO_VERB.fullmatch(between[:verb.start()]) or not _principal(ix, sent, d, drugs):
        return None
    return o.key


OWNER_RULES = (("developer.possessive", _possessive), ("developer.brand-owner", _brand_owner),
               ("developer.developed-by", _developed_by), ("developer.developing", _developing),
               ("developer.reporting-company", _reporting_company))
