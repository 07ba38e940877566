"""The part a mention plays in its sentence, as the frames and the drug facts read it.

* a drug: principal (what the sentence is about), partner (given with it: "in combination with"),
  comparator ("versus", "such as"), or a description of another drug ("CYB004, a deuterated DMT");
* a condition: generic (a class of diseases, not an indication), in an indication slot ("in
  patients with X", "for X"), or background ("the risk of X", "ANZUP, a group ... for X");
* an organisation: marked by a cue of a relation ("sponsored by the NCI", "NCI-funded"), in
  apposition to another ("ANZUP, a leading Cancer Cooperative Trials Group"), or named where it
  cannot be a site ("presented at ...").
"""
from __future__ import annotations

import functools
import re

from spacy.tokens import Span

from ..records import Entity, Extraction, normalize_name
from .lexicon import Vocabulary, confidence, generic_conditions, org_roles, words
from .mentions import DocumentIndex, Mention

WORDS = Vocabulary("role_words.tsv", (
    "description-determiner", "description-noun", "treatment-verb", "partner-joiner", "combination-lead",
    "population-noun", "population-link", "generic-lead", "slot-follower", "slot-lead", "background-lead",
    "background-before", "class-noun", "background-after", "company-activity", "population-after",
    "not-site-before", "cue-adverb", "cue-gap", "cue-gap-stop"))
GAP_SHAPE = re.compile(r"[\d.,]+|\w+-year")       # numbers, amounts, years, "multi-year"


# -- drugs ---------------------------------------------------------------------

def drug_roles(ix: DocumentIndex, sent: Span, drugs: list[Mention]) -> dict[int, str]:
    """principal / partner / comparator / description for each drug mention of the sentence (by id).

    A drug is a partner when the words between the last principal drug and it hold a
    combination cue ("in combination with", "plus", "followed by"); a comparator after
    "versus", "such as" and the like; a description when it is named to describe the previous
    drug; a second mention of the same drug keeps the role of the first.
    """
    roles: dict[int, str] = {}
    principal: Mention | None = None
    prev: Mention | None = None
    for m in drugs:
        role = _drug_role(ix, sent, m, prev, principal, roles)
        roles[id(m)] = role
        if role == "principal" and principal is None:
            principal = m
        prev = m
    return roles


def _drug_role(ix: DocumentIndex, sent: Span, m: Mention, prev: Mention | None, principal: Mention | None,
               roles: dict[int, str]) -> str:
    text = ix.text
    start = max(sent.start_char, prev.end if prev else sent.start_char)
    lead = " ".join(ix.words_between(start, m.start))
    if prev is not None:
        if prev.key == m.key:
            return roles[id(prev)]
        if _describes(text, prev, m):
            return "description"      # "CYB004, a deuterated DMT": a drug named to describe another
        if roles.get(id(prev)) == "comparator" and \
                re.fullmatch(r"\s*(?:,|or|and|, or|, and|\(|/)\s*", text[prev.end:m.start]):
            return "comparator"       # "such as enzalutamide, apalutamide, darolutamide or abiraterone"
    if _after_comparator_cue(ix, ix.text[start:m.start].lower()):
        return "comparator"
    if principal is not None:
        return "partner" if _partner_of(ix, sent, principal, prev, m, roles) else "principal"
    if WORDS.regex(r"(?:^|\s)<<combination-lead>>(?:\s+\S+){0,3}$").search(lead):
        return "partner"          # the sentence starts with "In combination with X, ..."
    return "principal"


def _after_comparator_cue(ix: DocumentIndex, raw: str) -> bool:
    """Does ``raw`` (the lower-cased text from the previous drug to this one) end at most six words after a
    comparator cue ("versus", "such as"), the cue not in a bracket closed before the drug: "vaccine programs
    targeting filoviruses (such as Marburg and Ebola) and CiVax" is no comparator?"""
    for hit in ix.cues.before_regex("comparator").finditer(raw):
        rest = raw[hit.end():]
        if rest.count(")") <= rest.count("(") and len(words(rest)) <= 6:
            return True
    return False


def _describes(text: str, prev: Mention, m: Mention) -> bool:
    """ "CYB004, a deuterated DMT", "X, a Y toxin": ``m`` describes ``prev``."""
    return bool(WORDS.regex(r"\s*,\s*<<description-determiner>>\s+(?:[\w-]+\s+){0,4}", re.I).fullmatch(text[prev.end:m.start])
                or WORDS.regex(r"\s*(?:\([\"\u201c]?\w+[\"\u201d]?\)\s*)?<<description-noun>>\b", re.I).match(
                    text[m.end:m.end + 30]))


def _partner_of(ix: DocumentIndex, sent: Span, principal: Mention, prev: Mention | None, m: Mention,
                roles: dict[int, str]) -> bool:
    """Is ``m`` given with the principal drug (a combination cue between, or a list of partners)?"""
    text = ix.text
    between = " ".join(ix.words_between(principal.end, m.start))
    if any(re.search(r"(?:^|\s)" + re.escape(c) + r"(?:\s|$)", between) for c in ix.cues.phrases("combination", "before")):
        return True
    if prev is not None and roles.get(id(prev)) == "partner" and re.fullmatch(r"\s*(?:,|and|, and|or)\s*",
                                                                             text[prev.end:m.start]):
        return True
    # "patients treated with LOR-2040 and high-dose Ara-C"
    return prev is principal and bool(
        WORDS.regex(r"<<partner-joiner>>(?:\s+[\w-]+){0,2}").fullmatch(text[prev.end:m.start].strip().lower())
        and WORDS.regex(r"\b<<treatment-verb>>\s+(?:\S+\s+){0,2}$").search(
            text[max(sent.start_char, principal.start - 40):principal.start].lower()))


# -- conditions ----------------------------------------------------------------

@functools.lru_cache(maxsize=65536)
def generic_name(name: str) -> bool:
    """ "cancer", "tumors", "neurological diseases": a class of diseases, not an indication."""
    name = normalize_name(name)
    if name in generic_conditions("name"):
        return True
    words_ = name.split()
    # "neurological diseases", unless an organ word makes it an indication ("hematologic cancers")
    return len(words_) <= 2 and words_[-1] in generic_conditions("head") and \
        not any(organ in name for organ in generic_conditions("organ"))


def is_generic(x: Extraction, key: str) -> bool:
    return generic_name(x.entities[key].name)


def in_indication_slot(ix: DocumentIndex, x: Extraction, sent: Span, m: Mention) -> bool:
    """Is the condition what a trial or drug is for ("in patients with X", "for X", "X patients")?"""
    before = " ".join(ix.words_between(max(sent.start_char, m.start - 70), m.start)[-7:])
    after = ix.words_between(m.end, min(sent.end_char, m.end + 30))[:2]
    if is_generic(x, m.key):
        return bool(WORDS.regex(r"<<population-noun>>\s+<<population-link>>(?:\s+[\w-]+){0,5}$"
                                r"|(?:^|\s)with <<generic-lead>>(?:\s+[\w-]+){0,3}$").search(before))
    if after and after[0] in WORDS.words("slot-follower"):
        return True
    return bool(WORDS.regex(r"(?:^|\s)<<slot-lead>>(?:\s+[\w'/-]+){0,4}$").search(before))


def condition_is_background(ix: DocumentIndex, sent: Span, m: Mention) -> bool:
    """Is the condition named as background, not as what a trial or drug is for?"""
    return any(rule(ix, sent, m) for rule in BACKGROUND)


def _after_aside(ix: DocumentIndex, sent: Span, m: Mention) -> bool:
    """ "In addition to the trial in renal cell cancer described above, ..." """
    head = ix.text[sent.start_char:m.start]
    return bool(WORDS.regex(r"\s*<<background-lead>>\b[^,]*$", re.I).match(head)
                and "," in ix.text[m.end:sent.end_char])


def _after_background_cue(ix: DocumentIndex, sent: Span, m: Mention) -> bool:
    """ "the risk of X", "progression to X", "the Department of X", "the Journal of X" """
    before = " ".join(ix.words_between(max(sent.start_char, m.start - 40), m.start)[-4:])
    return bool(WORDS.regex(r"<<background-before>>\s*(?:an?|the)?$").search(before))


def _a_form_of(ix: DocumentIndex, sent: Span, m: Mention) -> bool:
    """ "one of the most common forms of lung cancer" """
    return bool(WORDS.regex(r"\b<<class-noun>> of\s+(?:[\w-]+\s+){0,1}$", re.I).search(
        ix.text[max(sent.start_char, m.start - 30):m.start]))


def _associated(ix: DocumentIndex, sent: Span, m: Mention) -> bool:
    """ "the pulmonary disease associated with CF": the condition is the one it is associated with """
    return bool(WORDS.regex(r"\s*<<background-after>>\b", re.I).match(ix.text[m.end:m.end + 20]))


def _describes_an_org(ix: DocumentIndex, sent: Span, m: Mention) -> bool:
    """A condition inside a description of an organisation ("ANZUP, a group ... for prostate cancers")."""
    ms = ix.by_sent.get(ix.sidx(sent), [])
    for org in (x for x in ms if x.label == "ORG" and x.end <= m.start):
        if re.fullmatch(r"\)?\s*(?:\([^()]*\)\s*)?,\s*(?:a|an)\s+[^,;]*(?:,[^,;]*){0,4}", ix.text[org.end:m.start]) \
                and not any(x.label == "DRUG" and org.end < x.start < m.start for x in ms):
            return True
    return False


def _in_company_clause(ix: DocumentIndex, sent: Span, m: Mention) -> bool:
    """ "Somerset, which markets Eldepryl for the treatment of Parkinson's disease, announced ...":
    a relative clause about the company """
    return bool(WORDS.regex(r",\s*which\s+<<company-activity>>\b[^,]*$", re.I).search(ix.text[sent.start_char:m.start]))


def _describes_a_condition(ix: DocumentIndex, sent: Span, m: Mention) -> bool:
    """ "multiple myeloma, a bone marrow cancer": an apposition describing the previous condition """
    if not re.search(r"\S\s*,\s*(?:a|an)\s+(?:[\w-]+\s+){0,3}$", ix.text[max(sent.start_char, m.start - 40):m.start]):
        return False
    prev = [x for x in ix.by_sent.get(ix.sidx(sent), []) if x.label == "CONDITION" and x.end <= m.start]
    return bool(prev) and len(ix.words_between(prev[-1].end, m.start)) <= 5


def _population(ix: DocumentIndex, sent: Span, m: Mention) -> bool:
    """ "chronic-pain patients with opioid-induced constipation": the population, not the indication """
    after = ix.text[m.end:min(sent.end_char, m.end + 40)].lower()
    return bool(WORDS.regex(r"\s*patients <<population-after>>\s+\S").match(after))


BACKGROUND = (_after_aside, _after_background_cue, _a_form_of, _associated, _describes_an_org,
              _in_company_clause, _describes_a_condition, _population)


# -- organisations -------------------------------------------------------------

def org_in_apposition(ix: DocumentIndex, sent: Span, m: Mention) -> bool:
    """ "ANZUP, a leading Cancer Cooperative Trials Group": a description of the previous organisation."""
    orgs = [x for x in ix.by_sent.get(ix.sidx(sent), []) if x.label == "ORG" and x.end <= m.start]
    if not orgs:
        return False
    between = ix.text[orgs[-1].end:m.start]
    return bool(re.fullmatch(r"\)?\s*(?:\([^()]*\)\s*)?,\s*(?:a|an)\s+[^,;]*", between))


def not_site_context(ix: DocumentIndex, m: Mention) -> bool:
    """ "presented at ASCO", "published in the Journal of ...": not where a trial runs."""
    before = " ".join(ix.words_between(max(0, m.start - 60), m.start)[-5:])
    return bool(WORDS.regex(r"<<not-site-before>>\s*(?:the)?$").search(before))


def orgs_with_cue(ix: DocumentIndex, x: Extraction, sent: Span, ms: list[Mention], relation: str) -> list[str]:
    """Organisations a cue of ``relation`` marks in this sentence ("sponsored by the NCI").

    A cue marks the organisation it governs, and the ones listed right after it ("funded by the
    NCI and the NIH")."""
    out: list[str] = []
    active = False
    last_end = sent.start_char
    for m in ms:
        if m.label != "ORG":
            continue
        e = x.entities[m.key]
        if e.roles & org_roles("not-cue-org"):
            continue
        hit = _cue_before(ix, sent, m, relation) or _cue_after(ix, sent, m, relation)
        if hit:
            active = True
        elif active:
            active = hit = _continues_list(ix.words_between(last_end, m.start))
        if hit and m.key not in out:
            if _site_not_sponsor(ix, e, m, relation):
                continue
            out.append(m.key)
        last_end = m.end
    return out


def _cue_before(ix: DocumentIndex, sent: Span, m: Mention, relation: str) -> bool:
    """A cue of ``relation`` before the organisation, with only articles, adjectives, money between."""
    # "funded in part by", "fully supported by": the adverb does not change the cue
    text = ix.text[max(sent.start_char, m.start - 80):m.start]
    text = WORDS.regex(r"\b<<cue-adverb>>\b", re.I).sub(" ", text)
    before = words(text)
    for cue, pos, conf in ix.cues.cues(relation, "before"):
        if conf < confidence("org-cue-minimum", "threshold"):
            continue
        n = len(cue)
        window = before[-(n + 6):]
        if any(tuple(window[k:k + n]) == cue and _governs(window[k + n:]) for k in range(len(window) - n + 1)):
            return True
    return False


def _governs(gap: list[str]) -> bool:
    """The cue governs the organisation after these words: only articles, adjectives, money."""
    allowed = WORDS.words("cue-gap")
    return all(w in allowed or GAP_SHAPE.fullmatch(w) for w in gap) \
        and len(gap) <= 6 and not any(w in WORDS.words("cue-gap-stop") for w in gap)


def _cue_after(ix: DocumentIndex, sent: Span, m: Mention, relation: str) -> bool:
    """A cue of ``relation`` right after the organisation ("NCI-sponsored", "NCI sponsorship")."""
    after = ix.words_between(m.end, min(sent.end_char, m.end + 40))
    for cue, pos, conf in ix.cues.cues(relation, "after"):
        n = len(cue)
        if tuple(after[:n]) == cue or (cue[0].startswith("-") and after[:2] == ["-", cue[0][1:]]):
            if cue == ("program",) and "sponsor" not in " ".join(after[:8]):
                continue
            return True
    return False


def _continues_list(gap: list[str]) -> bool:
    """ "funded by the NCI, the NIH and the DoD": the organisation continues a cued list."""
    return bool(len(gap) <= 12 and gap and gap[-1] in ("and", ",", "&") or gap[-2:] == ["and", "the"])


def _site_not_sponsor(ix: DocumentIndex, e: Entity, m: Mention, relation: str) -> bool:
    """ "a grant ... at the University of X": the institution is where the trial runs."""
    return "institution" in e.roles and relation == "sponsor" and not (e.roles & org_roles("sponsor-at-site")) \
        and bool(re.search(r"\bat\s+(?:the\s+)?$", ix.text[max(0, m.start - 6):m.start]))
