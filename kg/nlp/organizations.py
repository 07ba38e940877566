"""Organisation mentions: named agencies and groups, and institutions by keyword.

* ``org.<role>``: names and aliases from ``data/lexicons/organizations.tsv``
  (agencies such as the NCI and its CTEP, regulators, cooperative groups,
  conferences, journals, exchanges, newswires) with their role;
* ``org.institution``: a run of capitalised words holding a keyword from
  ``institution_keywords.tsv`` ("City of Hope Comprehensive Cancer Center",
  "University of California, Davis Cancer Center"): a candidate trial site.

Spans go to ``doc.spans["kg_org"]`` with the canonical name in ``kb_id_``.
The statistical NER's ORG entities are merged in by the entity resolver.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from .resources import check_choice, data_path, load_tsv, phrase_regex, word_set

KEY = "kg_org"
ROLES = {"agency", "regulator", "cooperative_group", "conference", "journal", "exchange", "media"}
CONNECTORS = {"of", "and", "&", "for", "the", "de", "del", "di"}
MAX_TOKENS = 14


@dataclass(frozen=True)
class OrgEntry:
    name: str
    role: str
    part_of: str


@functools.lru_cache(maxsize=1)
def org_lexicon() -> dict[str, OrgEntry]:
    path = data_path("lexicons", "organizations.tsv")
    out: dict[str, OrgEntry] = {}
    for row in load_tsv(path, ["name", "aliases", "role", "part_of"]):
        role = check_choice(path, row, "role", ROLES)
        entry = OrgEntry(row["name"], role, row["part_of"])
        for alias in [row["name"], *[a for a in row["aliases"].split("|") if a.strip()]]:
            out[alias.strip()] = entry
    return out


@functools.lru_cache(maxsize=1)
def _keywords() -> dict[str, str]:
    path = data_path("lexicons", "institution_keywords.tsv")
    return {r["keyword"]: check_choice(path, r, "strength", {"strong", "weak"})
            for r in load_tsv(path, ["keyword", "strength"])}


def institution_words() -> re.Pattern:
    """The strong institution keywords ("University", "Hospital", "Cancer Center") as one regex."""
    return phrase_regex("institution_keywords.tsv", "keyword", strength="strong")


def _titles() -> frozenset[str]:
    return word_set("person_titles.tsv", "word")


def _cap(tok) -> bool:
    t = tok.text
    return (t[:1].isupper() or t[:1] in "\u201c\"") and not tok.is_space and tok.ent_type_ not in ("DATE", "CARDINAL")


def _name_tokens(sent) -> list[list]:
    """Runs of name-like tokens: capitalised words joined by "of", "and", "&", "the", "'s", quotes.

    A run ends at a person's title ("Dr.", "Director"), at "at" and "in", and at a
    spaced dash; "(SUNY)" inside a name is kept.
    """
    titles = _titles()
    runs, cur = [], []
    toks = list(sent)
    i = 0
    while i < len(toks):
        t = toks[i]
        degree = t.text.replace(".", "") in ("MD", "PhD", "DO", "MS", "MPH", "FMedSci")
        if (t.text in titles and not degree) or (
                degree and i > 0 and (toks[i - 1].text == "," or toks[i - 1].ent_type_ == "PERSON")):
            if cur:
                runs.append(cur)
            cur = []
        elif _cap(t) or t.text in ("'s", "\u2019s", "\u2019", "'", "&", "\u201d", '"') or (
                t.text == "-" and not t.whitespace_ and i > 0 and not toks[i - 1].whitespace_):
            cur.append(t)
        elif t.lower_ in CONNECTORS and cur and all(x.ent_type_ == "PERSON" for x in cur):
            cur = []               # "Lawrence Klotz of Sunnybrook ...": the person is not the name
        elif t.lower_ in CONNECTORS and cur and i + 1 < len(toks) and (
                _cap(toks[i + 1]) or toks[i + 1].lower_ == "the"):
            cur.append(t)
        elif t.text == "(" and cur and i + 3 < len(toks) and toks[i + 2].text == ")" and toks[i + 1].is_upper \
                and _cap(toks[i + 3]):
            cur.extend(toks[i:i + 3])      # "State University of New York (SUNY) Health Science Center"
            i += 3
            continue
        else:
            if cur:
                runs.append(cur)
            cur = []
        i += 1
    if cur:
        runs.append(cur)
    return runs


def _split_and(run: list, kw: dict) -> list[list]:
    """ "National Cancer Institute of Mexico and the National Medical Center": two institutions."""
    parts, cur = [], []
    for n, t in enumerate(run):
        nxt = run[n + 1].lower_ if n + 1 < len(run) else ""
        if t.lower_ == "and" and nxt == "the" and cur:
            parts.append(cur)      # "Bayer and the Ramsay Hospital Foundation": "and the" starts a new name
            cur = []
            continue
        if t.lower_ == "and" and any(kw.get(x.text) == "strong" for x in cur):
            parts.append(cur)
            cur = []
            continue
        if t.lower_ == "and" and cur and all(x.ent_type_ in ("GPE", "LOC") for x in cur):
            cur = []               # "Montreal and the Cross Cancer Center"
            continue
        cur.append(t)
    if cur:
        if parts and not any(kw.get(x.text) == "strong" for x in cur):
            parts[-1].extend(cur)         # "Sunnybrook and Women's Health Centre" stays one name
        else:
            parts.append(cur)
    return parts


def _trim(run: list, kw: dict) -> list:
    """Strip connectors at the edges; drop words after the last keyword except a place ("Hospital Heidelberg")."""
    while run and (run[0].lower_ in CONNECTORS or run[0].is_punct):
        run = run[1:]
    last = max((k for k, t in enumerate(run) if t.text in kw), default=-1)
    if last < 0:
        return []
    end = last + 1
    # "University of California", "Institute of Hematology": keep an "of ..." tail
    if end < len(run) and run[end].lower_ == "of":
        end = len(run)
    else:
        while end < len(run) and end - last <= 2 and run[end].ent_type_ in ("GPE", "LOC", "ORG", "FAC") \
                and run[end].text not in kw:
            end += 1
    run = run[:end]
    while run and (run[-1].lower_ in CONNECTORS or run[-1].is_punct):
        run = run[:-1]
    # a department alone is not an institution ("Division of Medical Oncology")
    if run and run[0].text in ("Department", "Division", "Section", "Office", "Chair", "Program") \
            and not any(kw.get(t.text) == "strong" for t in run):
        return []
    return run


def find_institutions(doc: Doc) -> list[Span]:
    """Runs of capitalised words with an institution keyword, as one name."""
    kw = _keywords()
    out: list[Span] = []
    covered: set[int] = set()
    for sent in doc.sents:
        for run in _name_tokens(sent):
            for part in _split_and(run, kw):
                part = _trim(part, kw)
                if not part or part[0].i in covered:
                    continue
                if not any(kw.get(t.text) == "strong" for t in part):
                    # "Alzheimer's Drug Discovery Foundation": a named organisation, not a place trials run
                    if len(part) >= 2:
                        span = Span(doc, part[0].i, part[-1].i + 1, label="ORG", span_id="org.named")
                        span.kb_id_ = canonical_org(span.text)
                        out.append(span)
                        covered.update(range(span.start, span.end))
                    continue
                start, end = part[0].i, part[-1].i + 1
                # "X Center, University of Y" and "University of Y, X Center" are one institution
                if end + 1 < sent.end and doc[end].text == "," and _cap(doc[end + 1]):
                    k = end + 1
                    while k < sent.end and k - end < 7 and (_cap(doc[k]) or doc[k].lower_ in ("of",)):
                        k += 1
                    tail = doc[end + 1:k]
                    head = doc[start:end].text
                    campus = re.fullmatch(r"University of [A-Z][\w-]+(?: [A-Z][\w-]+)?", head) and 1 <= len(tail) <= 2 \
                        and not any(t.text in kw for t in tail) and all(t.pos_ == "PROPN" for t in tail) \
                        and (k >= sent.end or doc[k].is_punct or doc[k].lower_ in ("in", "and"))
                    if campus or (head.startswith("University of") or tail.text.startswith("University")) and \
                            any(kw.get(t.text) == "strong" for t in tail) and tail[0].ent_type_ not in ("GPE",):
                        end = k
                        while end > start and doc[end - 1].lower_ in CONNECTORS:
                            end -= 1
                span = Span(doc, start, end, label="ORG", span_id="org.institution")
                span.kb_id_ = canonical_org(span.text)
                out.append(span)
                covered.update(range(start, end))
    return out


def canonical_org(name: str) -> str:
    """Canonical organisation name: leading article, legal suffix and trailing punctuation dropped."""
    n = re.sub(r"\s+", " ", name).strip().strip(",;:")
    n = n.replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"').strip('"').strip()
    if n.isupper() and len(n) > 6 and " " in n:
        n = n.title()          # "LORUS THERAPEUTICS" from a headline
    n = re.sub(r"^(?:the|The)\s+", "", n)
    n = re.sub(r",?\s+(?:Inc\.?|Incorporated|Ltd\.?|Limited|Corp\.?|Corporation|AG|SE|SA|S\.A\.|SAS|plc|PLC|"
               r"GmbH|N\.V\.|LLC|L\.P\.|Co\.|Pty\.? Ltd\.?|A/S|AB|ASA|Oyj|S\.p\.A\.|K\.K\.)$", "", n)
    return n.strip().rstrip(",")


@functools.lru_cache(maxsize=1)
def _unit_regex() -> re.Pattern:
    units = sorted((r["unit"] for r in load_tsv(data_path("lexicons", "institution_units.tsv"), ["unit"])),
                   key=len, reverse=True)
    return re.compile(
        r"^(?P<u>(?:[A-Z][\w.'\u2019-]+ ){1,3}University|University of [A-Z][\w-]+"
        r"(?:,? (?:Davis|Irvine|Berkeley|San Francisco|San Diego|Los Angeles|Santa Cruz|Riverside|Merced|"
        r"Santa Barbara|Austin|Houston|San Antonio|Dallas))?)"
        r",? (?P<rest>" + "|".join(re.escape(u) for u in units) + r")$")


def institution_name(name: str) -> str:
    """The institution a unit name belongs to: "Ohio State University Medical Center" ->
    "Ohio State University", "Stanford University School of Medicine" -> "Stanford University".
    Anything else is returned unchanged."""
    m = _unit_regex().match(canonical_org(name))
    return m.group("u") if m else canonical_org(name)


def lexicon_orgs(doc: Doc, matcher: PhraseMatcher, lex: dict[str, OrgEntry]) -> list[Span]:
    out = []
    for match_id, start, end in matcher(doc):
        span = doc[start:end]
        entry = lex.get(span.text) or next((e for a, e in lex.items() if a.lower() == span.text.lower()), None)
        if entry is None:
            continue
        # an agency name followed by "of <Place>" is another institution ("National Cancer Institute of Mexico")
        if end + 1 < len(doc) and doc[end].lower_ == "of" and doc[end + 1].text[:1].isupper():
            continue
        out.append(Span(doc, start, end, label="ORG", kb_id=entry.name, span_id=f"org.{entry.role}"))
    return out


@Language.factory("kg_organizations")
def make_organizations(nlp: Language, name: str):
    return OrganizationFinder(nlp)


class OrganizationFinder:
    def __init__(self, nlp: Language):
        self.lex = org_lexicon()
        self.exact = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.loose = PhraseMatcher(nlp.vocab, attr="LOWER")
        short = [a for a in self.lex if len(a) <= 6 or a.isupper()]
        long = [a for a in self.lex if a not in short]
        self.exact.add("ORG", [nlp.make_doc(a) for a in short])
        self.loose.add("ORG", [nlp.make_doc(a) for a in long])
        _keywords()
        _titles()
        _unit_regex()

    def __call__(self, doc: Doc) -> Doc:
        spans = lexicon_orgs(doc, self.exact, self.lex) + lexicon_orgs(doc, self.loose, self.lex)
        spans += find_institutions(doc)
        doc.spans[KEY] = spans
        return doc
