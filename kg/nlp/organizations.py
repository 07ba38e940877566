"""Organisation mentions: named agencies and groups, and institutions by keyword.

* ``org.<role>``: names and aliases from ``data/lexicons/organizations.tsv``
  (agencies such as the NCI and its CTEP, regulators, cooperative groups,
  conferences, journals, exchanges, newswires) with their role;
* ``org.institution``: a run of capitalised words holding a keyword from
  ``institution_keywords.tsv`` ("City of Hope Comprehensive Cancer Center",
  "University of California, Davis Cancer Center"): a candidate trial site.

Spans go to ``doc.spans["kg_org"]`` with the canonical name in ``kb_id_``.
The statistical NER's ORG entities are merged in by the entity resolver.

One name per organisation, for the linker (pure functions of a name and the data files, so every
release names an organisation alike): :func:`named_by` (a programme of an agency is the agency, the
``unit`` column of ``organizations.tsv``), :func:`parent_of` (the agency an institute is part of) and
:func:`institution_name` (a unit is its institution: "Norris Comprehensive Cancer Center, University of
Southern California", "UC Davis"; ``institutions.tsv``, ``institution_units.tsv``, ``place_prefixes.tsv``).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from ..errors import DataFileError
from .resources import check_choice, data_path, load_tsv, phrase_regex, word_set

KEY = "kg_org"
ROLES = {"agency", "regulator", "cooperative_group", "conference", "journal", "exchange", "media"}
CONNECTORS = {"of", "and", "&", "for", "the", "de", "del", "di"}
MAX_TOKENS = 14


@dataclass(frozen=True)
class OrgEntry:
    name: str
    role: str
    part_of: str        # the parent organisation's name ("" for none)
    unit: bool = False  # a unit of the parent (a programme, division): named by the parent


@functools.lru_cache(maxsize=1)
def org_lexicon() -> dict[str, OrgEntry]:
    """Every name and alias of ``organizations.tsv`` -> its row. A ``part_of`` must name a row of the
    file; ``unit`` is "yes" (the row is a unit of its parent) or empty."""
    path = data_path("lexicons", "organizations.tsv")
    out: dict[str, OrgEntry] = {}
    rows = load_tsv(path, ["name", "aliases", "role", "part_of", "unit"])
    names = {r["name"] for r in rows}
    for row in rows:
        role = check_choice(path, row, "role", ROLES)
        unit = check_choice(path, row, "unit", {"yes", ""}) == "yes"
        if row["part_of"] and row["part_of"] not in names or unit and not row["part_of"]:
            raise DataFileError(path, int(row["_line"]), f"part_of {row['part_of']!r} is not the name of a row"
                                if row["part_of"] else "a unit needs the part_of it is a unit of")
        entry = OrgEntry(row["name"], role, row["part_of"], unit)
        for alias in [row["name"], *[a for a in row["aliases"].split("|") if a.strip()]]:
            out[alias.strip()] = entry
    return out


def named_by(entry: OrgEntry) -> OrgEntry:
    """The organisation a lexicon entry names: itself, or for a unit the organisation it is a unit of
    ("CTEP" -> the National Cancer Institute)."""
    lex = org_lexicon()
    while entry.unit:
        entry = lex[entry.part_of]
    return entry


def parent_of(name: str) -> OrgEntry | None:
    """The organisation the lexicon's ``name`` is an organisation of its own within (cp:partOf): the
    National Institutes of Health for the National Cancer Institute; None for none."""
    entry = org_lexicon().get(name)
    if entry is None or entry.name != name or entry.unit or not entry.part_of:
        return None
    return named_by(org_lexicon()[entry.part_of])


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
    # "University of California", "Institute of Hematology": keep an "of ..." tail, up to a possessive
    if end < len(run) and run[end].lower_ == "of":
        end = next((k for k in range(end, len(run)) if run[k].text in ("'s", "\u2019s")), len(run))
    else:
        while end < len(run) and end - last <= 2 and run[end].ent_type_ in ("GPE", "LOC", "ORG", "FAC") \
                and run[end].text not in kw and run[end].text not in ("'s", "\u2019s"):
            end += 1        # not past a possessive: "Mayo Clinic's Independent Review Board" is the clinic's
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
                    # "Mayo Clinic, University of Florida, and NYU Langone Health": items of a list
                    listed = k + 1 < sent.end and doc[k].text == "," and doc[k + 1].lower_ in ("and", "or")
                    if not listed and (campus or (head.startswith("University of") or tail.text.startswith("University"))
                                       and any(kw.get(t.text) == "strong" for t in tail)
                                       and tail[0].ent_type_ not in ("GPE",)):
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
def _document_head() -> re.Pattern:
    """``document_nouns.tsv``: a head noun that ends the name, or is followed by a word of its complement."""
    path = data_path("lexicons", "document_nouns.tsv")
    rows = load_tsv(path, ["phrase", "kind"])
    kinds = {"head": [], "complement": []}
    for r in rows:
        kinds[check_choice(path, r, "kind", set(kinds))].append(r["phrase"])
    alternation = lambda words: "|".join(re.escape(w).replace(r"\ ", r"\s+")         # noqa: E731
                                         for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternation(kinds['head'])})"
                      rf"(?:\s*$|\s+(?:{alternation(kinds['complement'])})(?![\w-]))", re.I)


def names_a_document(name: str) -> bool:
    """Is ``name``, read as an organisation's, the name of an agreement, filing, designation or law?

    "a Clinical Trial Agreement", "the Letter of Intent for the Acquisition", "Orphan Drug
    Designation", "the Private Securities Litigation Reform Act": its head noun is one of
    ``document_nouns.tsv``. "Contract Research Organization" is an organisation: its head is not.
    """
    return bool(_document_head().search(name.strip().strip("\"'\u201c\u201d.,;:")))


# -- one name per institution ------------------------------------------------------

@dataclass(frozen=True)
class Institution:
    name: str
    system: str         # a campus: the university system it belongs to ("University of California")
    campus: str         # ... and the place that names it there ("Davis")


def _fold(name: str) -> str:
    """The comparison form of an institution name: case, quotes, commas, "The" and spacing unified."""
    n = canonical_org(name).replace(",", " ").casefold()
    return re.sub(r"\s+", " ", n).strip()


@functools.lru_cache(maxsize=1)
def institution_lexicon() -> dict[str, Institution]:
    """Every name of ``institutions.tsv`` (in :func:`_fold` form) -> its institution; a campus is also
    named "<system> <campus>" and "<system> at <campus>"."""
    path = data_path("lexicons", "institutions.tsv")
    out: dict[str, Institution] = {}
    for row in load_tsv(path, ["name", "aliases", "system", "campus"]):
        if row["campus"] and not row["system"]:
            raise DataFileError(path, int(row["_line"]), "a campus needs the system it is a campus of")
        inst = Institution(row["name"], row["system"], row["campus"])
        names = [row["name"], *[a for a in row["aliases"].split("|") if a.strip()]]
        if inst.campus:
            names += [f"{inst.system} {inst.campus}", f"{inst.system} at {inst.campus}"]
        for n in names:
            if out.setdefault(_fold(n), inst) != inst:
                raise DataFileError(path, int(row["_line"]), f"{n!r} already names {out[_fold(n)].name!r}")
    return out


@functools.lru_cache(maxsize=1)
def _campuses() -> dict[str, dict[str, Institution]]:
    """University system -> (folded campus place -> campus)."""
    out: dict[str, dict[str, Institution]] = {}
    for inst in set(institution_lexicon().values()):
        out.setdefault(inst.system, {})
        if inst.campus:
            out[inst.system][_fold(inst.campus)] = inst
    out.pop("", None)
    return out


@functools.lru_cache(maxsize=1)
def _units() -> dict[str, frozenset[str]]:
    """``institution_units.tsv``: kind (name, head, of) -> its words."""
    path = data_path("lexicons", "institution_units.tsv")
    out: dict[str, set[str]] = {"name": set(), "head": set(), "of": set()}
    for row in load_tsv(path, ["unit", "kind"]):
        out[check_choice(path, row, "kind", set(out))].add(row["unit"])
    return {k: frozenset(v) for k, v in out.items()}


@functools.lru_cache(maxsize=1)
def _university() -> re.Pattern:
    """A university's whole name: "Peking University", "Ohio State University", "University of Chicago",
    "University of Southern California" (a two-word place begins with a word of ``place_prefixes.tsv``)."""
    prefixes = "|".join(sorted(word_set("place_prefixes.tsv", "word")))
    word = r"[A-Z][\w.'\u2019&-]*"
    return re.compile(rf"(?:{word} ){{1,3}}University|University of (?:(?:{prefixes}) )?{word}")


def _tokens(name: str) -> list[str]:
    return re.findall(r",|[^\s,]+", name)


def _join(tokens) -> str:
    return " ".join(tokens).replace(" ,", ",")


def _capitalised(tok: str) -> bool:
    return tok[:1].isupper() or tok[:1].isdigit()


def _is_unit(tokens: tuple[str, ...]) -> bool:
    """Does ``tokens`` name a unit of an institution ("Cancer Research Center", "School of Medicine",
    "Division of Hematology and Oncology", "People's Hospital")?"""
    units = _units()
    if not tokens or "," in tokens or not _capitalised(tokens[0]):
        return False
    if len(tokens) >= 2 and tokens[-1] in units["head"] and all(_capitalised(t) or t in ("and", "&") for t in tokens):
        return True
    for i in range(len(tokens)):            # a name, then the unit's kind: "Perelman School of Medicine"
        if not all(_capitalised(t) for t in tokens[:i]):
            return False
        rest = tokens[i:]
        if _join(rest) in units["name"] or len(rest) >= 3 and rest[0] in units["of"] and rest[1] == "of" \
                and _capitalised(rest[2]):
            return True
    return False


def _head(tokens: tuple[str, ...]) -> str | None:
    """The canonical name of the institution ``tokens`` name as a whole (a university, a campus, an
    institution of ``institutions.tsv``), None if they name none."""
    if tokens and tokens[0].lower() == "the":
        tokens = tokens[1:]
    name = _join(tokens)
    if re.search(r"['\u2019]s$", name):          # "University of Pennsylvania's": a possessive, not a name
        return None
    known = institution_lexicon().get(_fold(name))
    if known is not None:
        return known.name
    return name if _university().fullmatch(name) else None


def _of_system(system: str, unit: tuple[str, ...]) -> str | None:
    """A unit named after a university system: the campus its first words name ("University of
    California Davis Cancer Center", "Davis Cancer Center, University of California"), else None (the
    unit of a system is not the system: "University of Texas Health Science Center")."""
    campuses = _campuses()[system]
    for n in range(min(3, len(unit)), 0, -1):
        campus = campuses.get(_fold(_join(unit[:n])))
        if campus is not None and (n == len(unit) or _is_unit(unit[n:])):
            return campus.name
    return None


@functools.lru_cache(maxsize=4096)
def _unit_of(tokens: tuple[str, ...]) -> str | None:
    """The institution a unit's name names, by the language of releases; None if it names none.

    "<institution> <unit>" ("University of Chicago Cancer Research Center", "City of Hope National
    Medical Center"), "<unit>, <institution>" ("Norris Comprehensive Cancer Center, University of
    Southern California"), "<unit> of / at <institution>" ("Winship Cancer Institute of Emory
    University", "Institute of Hematology at Peking University") and "<institution>'s <unit>".
    """
    systems = _campuses()

    def owner(head: str, unit: tuple[str, ...]) -> str | None:
        return _of_system(head, unit) if head in systems else head

    def institution(tokens: tuple[str, ...]) -> str | None:     # itself an institution, or the unit of one
        return _head(tokens) or _unit_of(tokens)          # (cached: a name's every tail is tried once)

    for n in range(len(tokens) - 1, 0, -1):             # "<institution> <unit>", the longest institution
        head = _head(tokens[:n])
        if head is None:
            continue
        rest = tokens[n + 1:] if tokens[n] == "," else tokens[n:]
        if head in systems:
            return _of_system(head, rest)
        if _is_unit(rest):
            return head
    if "," in tokens:                                    # "<unit>, <institution>"
        k = len(tokens) - 1 - tokens[::-1].index(",")
        head, unit = institution(tokens[k + 1:]), tokens[:k]
        if head is not None and (_is_unit(unit) or head in systems):
            return owner(head, unit)
        if head is None and len(unit) >= 3 and unit[0] in _units()["of"] and unit[1] == "of":
            inner = institution_name(_join(tokens[k + 1:]))       # "Department of Leukemia, <any institution>"
            return inner if institution_words().search(inner) else None
    for k, tok in enumerate(tokens):                     # "<unit> of / at <institution>", "<institution>'s <unit>"
        if tok in ("of", "at") and 0 < k < len(tokens) - 1:
            head = institution(tokens[k + 1:])
            if head is not None and _is_unit(tokens[:k]):
                return owner(head, tokens[:k])
        owner_name = re.sub(r"['\u2019]s$", "", tok)
        if owner_name != tok and k + 1 < len(tokens):
            head = _head(tokens[:k] + (owner_name,))
            if head is not None and _is_unit(tokens[k + 1:]):
                return owner(head, tokens[k + 1:])
    return None


def known_institution(name: str) -> str | None:
    """The name of the institution ``institutions.tsv`` knows by ``name`` ("UC Davis"), else None."""
    known = institution_lexicon().get(_fold(name))
    return known.name if known is not None else None


def institution_name(name: str) -> str:
    """The one name of the institution ``name`` names, so that a unit and its institution are one node:
    "Ohio State University Medical Center" -> "Ohio State University", "UC Davis" and "Davis Cancer
    Center, University of California" -> "University of California, Davis", "City of Hope
    Comprehensive Cancer Center" -> "City of Hope". Anything else is returned canonical but unchanged."""
    name = canonical_org(name)
    tokens = tuple(_tokens(name))
    if len(tokens) > 2 * MAX_TOKENS:                 # a run of text, not a name
        return name
    return known_institution(name) or _unit_of(tokens) or name


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
        institution_lexicon()
        _units()
        _university()

    def __call__(self, doc: Doc) -> Doc:
        spans = lexicon_orgs(doc, self.exact, self.lex) + lexicon_orgs(doc, self.loose, self.lex)
        spans += find_institutions(doc)
        doc.spans[KEY] = spans
        return doc
