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

from .resources import check_choice, data_path, load_tsv, word_set

KEY = "kg_org"
ROLES = {"agency", "regulator", "cooperative_group", "conference", "journal", "exchange", "media"}
CONNECTORS = {"of", "and", "&", "for", "the", "de", "del", "di", "at"}
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


def _keywords() -> frozenset[str]:
    return word_set("institution_keywords.tsv", "keyword")


def _cap(tok) -> bool:
    t = tok.text
    return (t[:1].isupper() or t[:1] in "\u201c\"") and not tok.is_space and tok.ent_type_ not in ("DATE", "CARDINAL")


def find_institutions(doc: Doc) -> list[Span]:
    """Runs of capitalised words with an institution keyword, as one name."""
    kw = _keywords()
    out: list[Span] = []
    for sent in doc.sents:
        toks = list(sent)
        i = 0
        while i < len(toks):
            if not _cap(toks[i]) or toks[i].lower_ in ("the", "a"):
                i += 1
                continue
            j = i
            while j < len(toks) and j - i < MAX_TOKENS:
                t = toks[j]
                if _cap(t) or t.text in ("'s", "\u2019s", "\u2019", "'", "&", "\u201d", '"', "-") or (
                        t.lower_ in CONNECTORS and j + 1 < len(toks) and (_cap(toks[j + 1]) or toks[j + 1].lower_ == "the")):
                    j += 1
                    continue
                # "State University of New York (SUNY) Health Science Center"
                if t.text == "(" and j + 2 < len(toks) and toks[j + 2].text == ")" and toks[j + 1].is_upper \
                        and j + 3 < len(toks) and _cap(toks[j + 3]):
                    j += 3
                    continue
                break
            run = toks[i:j]
            while run and (run[-1].lower_ in CONNECTORS or run[-1].is_punct):
                run = run[:-1]
            names = [t for t in run if t.text in kw]
            if run and names:
                # "X Center, University of Y" and "University of Y, X Center" are one institution
                end = run[-1].i + 1
                if end + 1 < sent.end and doc[end].text == "," and _cap(doc[end + 1]):
                    k = end + 1
                    while k < sent.end and k - end < 7 and (_cap(doc[k]) or doc[k].lower_ in ("of", "and")):
                        k += 1
                    tail = doc[end + 1:k]
                    joined = run[0].doc[run[0].i:end].text
                    if (joined.startswith("University of") or "University" in tail.text) and \
                            any(t.text in kw for t in tail) and not any(t.ent_type_ == "GPE" for t in tail[:1]):
                        end = k
                        while end > run[0].i and doc[end - 1].lower_ in CONNECTORS:
                            end -= 1
                start = run[0].i
                # trailing location words ("in Toronto") are not part of the name
                span = Span(doc, start, end, label="ORG", span_id="org.institution")
                span.kb_id_ = canonical_org(span.text)
                out.append(span)
                i = (end - sent.start) if end > run[-1].i else j
                continue
            i = max(j, i + 1)
    return out


def canonical_org(name: str) -> str:
    """Canonical organisation name: leading article, legal suffix and trailing punctuation dropped."""
    n = re.sub(r"\s+", " ", name).strip().strip(",;:")
    n = n.replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')
    n = re.sub(r"^(?:the|The)\s+", "", n)
    n = re.sub(r",?\s+(?:Inc\.?|Incorporated|Ltd\.?|Limited|Corp\.?|Corporation|AG|SE|SA|S\.A\.|SAS|plc|PLC|"
               r"GmbH|N\.V\.|LLC|L\.P\.|Co\.|Pty\.? Ltd\.?|A/S|AB|ASA|Oyj|S\.p\.A\.|K\.K\.)$", "", n)
    return n.strip().rstrip(",")


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

    def __call__(self, doc: Doc) -> Doc:
        spans = lexicon_orgs(doc, self.exact, self.lex) + lexicon_orgs(doc, self.loose, self.lex)
        spans += find_institutions(doc)
        doc.spans[KEY] = spans
        return doc
