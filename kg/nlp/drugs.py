"""Drug mention candidates: dictionary names, code names, INN stems and brand marks.

Sources, each recorded as the span's rule id:

* ``drug.lexicon``: the ~20,000 drug names (DrugBank, MeSH, MedlinePlus ids)
  shipped offline by the PyPI package ``drug-named-entity-recognition``;
  names that are ordinary English in press releases are listed in
  ``data/lexicons/drug_stoplist.tsv``;
* ``drug.code-name*``: development codes ("GTI-2040", "ISIS 107248") from the
  regular expressions in ``data/patterns/code_names.jsonl``, minus prefixes
  that name genes, registries or filings (``code_prefix_stop.tsv``);
* ``drug.inn-stem``: words ending in an INN stem (``inn_suffixes.tsv``);
* ``drug.regimen``: chemotherapy regimens named by acronym ("FOLFIRINOX", its
  modified dosing "mFOLFIRINOX" a name of the same regimen), from ``drug_regimens.tsv``;
* ``drug.brand-mark``: a capitalised word carrying (R)/(TM)/\u00ae/\u2122; weak
  until the entity resolver sees the word used as a drug.

Candidates go to ``doc.spans["kg_drug"]``; ``span.kb_id_`` holds the
dictionary's canonical name where there is one.
"""
from __future__ import annotations

import bz2
import functools
import importlib.util
import logging
import pickle
import re
from dataclasses import dataclass
from pathlib import Path

from spacy.attrs import IDX, IS_PUNCT, IS_SPACE, LENGTH
from spacy.language import Language
from spacy.tokens import Doc, Span

from ..errors import DataFileError
from .resources import data_path, doc_text, load_entity_patterns, load_tsv, word_set

log = logging.getLogger(__name__)

KEY = "kg_drug"
MARKS = {"(R)", "(TM)", "(r)", "(tm)", "\u00ae", "\u2122", "(SM)"}
COINAGE = re.compile(r"[A-Z][a-z]+[A-Z][a-z]+(?:TM)?|[A-Z][a-z]{3,}TM")


@dataclass(frozen=True)
class DrugRecord:
    name: str                 # canonical name as the dictionary writes it
    ids: tuple[tuple[str, str], ...]   # (scheme, id): drugbank, mesh, medlineplus


@dataclass
class DrugLexicon:
    variants: dict[str, DrugRecord]
    max_tokens: int

    def lookup(self, text: str) -> DrugRecord | None:
        return self.variants.get(text.lower())


def _package_dictionary() -> Path:
    spec = importlib.util.find_spec("drug_named_entity_recognition")
    if spec is None or not spec.submodule_search_locations:
        raise DataFileError("drug-named-entity-recognition", None,
                            "package not installed; install the project with pip (it is a dependency)")
    path = Path(list(spec.submodule_search_locations)[0]) / "drug_ner_dictionary.pkl.bz2"
    if not path.exists():
        raise DataFileError(path, None, "drug dictionary missing from the installed package")
    return path


@functools.lru_cache(maxsize=1)
def drug_lexicon() -> DrugLexicon:
    """The offline drug dictionary, filtered by the project's stoplist (loaded once)."""
    path = _package_dictionary()
    with bz2.open(path, "rb") as f:
        d = pickle.load(f)   # the package's own data file, read as the package reads it
    canon = d["drug_canonical_to_data"]
    stop = {w.lower() for w in word_set("drug_stoplist.tsv", "word")}
    variants: dict[str, DrugRecord] = {}
    records: dict[str, DrugRecord] = {}
    max_tokens = 1
    for variant, canonicals in d["drug_variant_to_canonical"].items():
        v = variant.lower().strip()
        if len(v) < 4 or v in stop or not re.search(r"[a-z]", v) or v.isdigit():
            continue
        if len(v.split()) > 4:
            continue
        c = canonicals[0]
        data = canon.get(c, {})
        if _is_class_name(str(data.get("name") or c)) or TARGET_WORDS.search(v):
            continue
        rec = records.get(c)
        if rec is None:
            ids = []
            for scheme, key in (("drugbank", "drugbank_id"), ("mesh", "mesh_id"), ("medlineplus", "medline_plus_id")):
                if data.get(key):
                    ids.append((scheme, str(data[key])))
            rec = records[c] = DrugRecord(str(data.get("name") or c), tuple(ids))
        variants[v] = rec
        max_tokens = max(max_tokens, len(re.findall(r"\w+|[^\w\s]", v)))
    log.debug("drug lexicon: %d variants of %d drugs", len(variants), len(records))
    return DrugLexicon(variants, min(max_tokens, 8))


TARGET_WORDS = re.compile(r"\b(?:receptors?|antigens?|channels?|kinases?|factors?|proteins?|ligands?|subunits?|"
                          r"transporters?|integrins?|nucleosides?)\b", re.I)
CLASS_WORDS = {"agents", "inhibitors", "antagonists", "agonists", "blockers", "drugs", "compounds",
               "products", "preparations", "combinations", "derivatives", "analogs", "vaccines", "proteins",
               "receptors", "antibodies", "hormones", "factors", "acids", "salts", "extracts", "oils"}


def _is_class_name(name: str) -> bool:
    """MeSH classes and enzymes in the dictionary ("Antineoplastic Agents", "Ribonucleotide Reductases")."""
    words = name.lower().split()
    last = words[-1] if words else ""
    # MeSH names classes in the plural: "Interferons", "Neurosteroids", "Glucocorticoids"
    plural_class = len(words) == 1 and last.endswith("s") and not last.endswith(("ss", "us", "is"))
    return last in CLASS_WORDS or plural_class or (len(words) >= 2 and (last.endswith("ases") or last.endswith("ase")))


@dataclass(frozen=True)
class InnStem:
    suffix: str
    min_length: int
    exceptions: frozenset[str]


@functools.lru_cache(maxsize=1)
def inn_stems() -> tuple[InnStem, ...]:
    path = data_path("lexicons", "inn_suffixes.tsv")
    out = []
    for row in load_tsv(path, ["suffix", "min_length", "exceptions"]):
        try:
            n = int(row["min_length"])
        except ValueError:
            raise DataFileError(path, int(row["_line"]), f"min_length must be an integer, got {row['min_length']!r}") from None
        out.append(InnStem(row["suffix"].lower(), n,
                           frozenset(w.strip().lower() for w in row["exceptions"].split(",") if w.strip())))
    return tuple(sorted(out, key=lambda s: -len(s.suffix)))


@functools.lru_cache(maxsize=1)
def _stem_suffixes() -> tuple[str, ...]:
    return tuple(s.suffix for s in inn_stems())


@functools.lru_cache(maxsize=65536)
def has_inn_stem(word: str) -> bool:
    w = word.lower()
    if not w.isalpha() or not w.endswith(_stem_suffixes()):
        return False
    return any(w.endswith(s.suffix) and len(w) >= s.min_length and w not in s.exceptions for s in inn_stems())


@functools.lru_cache(maxsize=1)
def regimen_pattern() -> re.Pattern:
    """The regimen acronyms of ``drug_regimens.tsv`` as one expression: an optional "m" / "modified "
    (group ``mod``), the acronym (group ``name``), whole ("FOLFIRINOX-based" names FOLFIRINOX)."""
    path = data_path("lexicons", "drug_regimens.tsv")
    names = []
    for r in load_tsv(path, ["name", "components"]):
        if not re.fullmatch(r"[A-Z][A-Z-]*[A-Z]", r["name"]) or not r["components"].strip():
            raise DataFileError(path, int(r["_line"]), f"a regimen is an acronym in capitals with its components, "
                                                       f"got {r['name']!r}")
        names.append(r["name"])
    alts = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?P<mod>m|modified\s+)?(?P<name>{alts})(?![\w])")


@functools.lru_cache(maxsize=1)
def code_patterns() -> tuple[dict, ...]:
    return tuple(load_entity_patterns(data_path("patterns", "code_names.jsonl")))


def code_prefix(code: str) -> str:
    m = re.match(r"[A-Za-z]+", code)
    return m.group(0).upper() if m else ""


@functools.lru_cache(maxsize=None)
def code_label_before() -> re.Pattern:
    """A word of ``code_labels.tsv`` ("Session", "Poster", "Booth") ending the text before a code."""
    words = sorted(word_set("code_labels.tsv", "word"), key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(w) for w in words) + r")"
                      r"\s*(?:#|:|no\.|number)?\s*$", re.I)


def is_code_name(code: str) -> bool:
    """A development code ("GTI-2040") rather than a gene, registry id, filing or year."""
    prefix = code_prefix(code)
    stop = word_set("code_prefix_stop.tsv", "prefix")
    if prefix in stop or prefix.rstrip("S") in stop:
        return False
    digits = re.sub(r"\D", "", code)
    letters = re.sub(r"[^A-Za-z]", "", code)
    if " " in code and len(digits) == 4 and 1950 <= int(digits) <= 2035:
        return False          # "ASCO 2025", "Form 2024"
    if len(letters) > 1 and letters[1:].islower() and len(letters) > 5:
        return False          # ordinary capitalised words glued to numbers
    return bool(digits)


def find_candidates(doc: Doc) -> list[Span]:
    """Pure function over a tokenised doc: drug candidate spans (not yet resolved)."""
    spans: list[Span] = []
    lex = drug_lexicon()
    n = len(doc)
    # dictionary names, longest first at each position; a span's text is sliced from the
    # document's text (what ``span.text`` gives, without making a Span per try)
    text = doc_text(doc)
    # token offsets and kinds in one pass over spaCy's arrays (iterating Token objects costs more than the lookups)
    rows = doc.to_array([IDX, LENGTH, IS_SPACE, IS_PUNCT]).tolist() if n else []
    starts = [r[0] for r in rows]
    ends = [r[0] + r[1] for r in rows]
    no_end = [bool(r[2] or r[3]) for r in rows]
    i = 0
    while i < n:
        if rows[i][2] or rows[i][3] and text[starts[i]:ends[i]] != "(":
            i += 1
            continue
        hit = None
        for k in range(min(lex.max_tokens, n - i), 0, -1):
            if no_end[i + k - 1]:
                continue
            rec = lex.lookup(text[starts[i]:ends[i + k - 1]])
            if rec is not None:
                hit = (doc[i:i + k], rec)
                break
        if hit:
            span, rec = hit
            # all-capitals short words in running text are abbreviations, not drug names;
            # a lower-case word with a number ("at 10") is not a code name either
            if not (span.text.isupper() and len(span.text) <= 4 and len(span) == 1) and not (
                    re.search(r"\d", span.text) and not re.search(r"[A-Z]", span.text)):
                if _glued_prefix(doc, span.start):
                    # "nab-paclitaxel", "ado-trastuzumab": a formulation prefix makes another product
                    s = Span(doc, span.start - 2, span.end, label="DRUG", span_id="drug.prefixed-name")
                    s.kb_id_ = s.text.lower()
                else:
                    s = Span(doc, span.start, span.end, label="DRUG", kb_id=rec.name, span_id="drug.lexicon")
                spans.append(s)
                i = span.end
                continue
        i += 1
    # code names and INN stems, by regular expression / morphology
    for row in code_patterns():
        for m in row["_compiled"].finditer(text):
            code = m.group(0)
            if row["id"] != "drug.code-letters" and not is_code_name(code):
                continue
            if row["id"] == "drug.code-letters" and code_prefix(code) in word_set("code_prefix_stop.tsv", "prefix"):
                continue
            if _in_url_or_email(text, m.start(), m.end()):
                continue
            if m.start() > 0 and (text[m.start() - 1].isalnum() or text[m.start() - 1] in "-/_"):
                continue      # part of a longer identifier ("RW-HPN-MF-01")
            if re.match(r"-[A-Z0-9]", text[m.end():m.end() + 2]):
                continue      # the start of a longer one ("ANR-16-CONV000X", a grant's reference)
            if code_label_before().search(text, max(0, m.start() - 30), m.start()):
                continue      # "Session A22", "Poster B-104": the label of something else
            s = doc.char_span(m.start(), m.end(), label="DRUG", alignment_mode="strict")
            if s is None:
                s = doc.char_span(m.start(), m.end(), label="DRUG", alignment_mode="contract")
                if s is None or s.text != code:
                    continue
            s.id_ = row["id"]
            s.kb_id_ = normalize_code(code)
            spans.append(s)
    for m in regimen_pattern().finditer(text):
        s = doc.char_span(m.start(), m.end(), label="DRUG", alignment_mode="strict")
        if s is not None:
            s.id_ = "drug.regimen"
            s.kb_id_ = m.group("name")      # "mFOLFIRINOX" is a name of the regimen, dosed another way
            spans.append(s)
    for m in re.finditer(r"\((?:INN|USAN|generic name|international nonproprietary name)\s*:\s*([^()]{3,60})\)", text, re.I):
        s = doc.char_span(m.start(1), m.end(1), label="DRUG", alignment_mode="expand")
        if s is not None:
            s.id_ = "drug.inn-declared"
            s.kb_id_ = m.group(1).strip().lower()
            spans.append(s)
    for tok in doc:
        if tok.is_alpha and len(tok) >= 7 and not tok.is_upper and has_inn_stem(tok.text):
            spans.append(Span(doc, tok.i, tok.i + 1, label="DRUG", kb_id=tok.text.lower(), span_id="drug.inn-stem"))
        if tok.text in MARKS and tok.i > 0:
            prev = doc[tok.i - 1]
            if prev.is_alpha and prev.text[:1].isupper() and len(prev) >= 3 and not prev.is_stop:
                spans.append(Span(doc, prev.i, prev.i + 1, label="DRUG", kb_id=prev.text, span_id="drug.brand-mark"))
        elif COINAGE.fullmatch(tok.text) and not is_run_on(tok.text):
            # "HyBryte", "HyBryteTM": a capitalised coinage, weak until the release uses it as a drug
            name = re.sub(r"(?<=[a-z])TM$", "", tok.text)
            spans.append(Span(doc, tok.i, tok.i + 1, label="DRUG", kb_id=name, span_id="drug.coinage"))
    return spans


def _glued_prefix(doc: Doc, start: int) -> bool:
    """Is the name at ``start`` the end of a hyphenated name with a short lower-case prefix ("nab-")?"""
    if start < 2:
        return False
    hyphen, prefix = doc[start - 1], doc[start - 2]
    return hyphen.text == "-" and not prefix.whitespace_ and not hyphen.whitespace_ and prefix.is_alpha \
        and prefix.is_lower and len(prefix) <= 4 and not prefix.is_stop


def is_run_on(word: str) -> bool:
    """Two words glued at a lower-upper boundary, the second a sentence starter ("TrialThe"): a headline
    run into the next sentence, not a coined name (``run_on_words.tsv``)."""
    parts = re.split(r"(?<=[a-z])(?=[A-Z])", word)
    starters = word_set("run_on_words.tsv", "word")
    return any(p.lower() in starters for p in parts[1:])


def normalize_code(code: str) -> str:
    """"GTI 2040", "GTI2040", "gti-2040", "Moli1901" -> "GTI-2040", "MOLI-1901": one spelling per code,
    so every document's mention of a code names one node."""
    m = re.fullmatch(r"([A-Za-z]+)[ -]?(\d+)([A-Za-z]{0,2}\d{0,2})", code.strip())
    if m:
        return f"{m.group(1).upper()}-{m.group(2)}{m.group(3).upper()}"
    if re.fullmatch(r"[A-Za-z]+[ -]\d+(?:-\d+)+", code.strip()):
        return re.sub(r"\s+", "-", code.strip().upper())      # "Lucid-21-302" -> "LUCID-21-302"
    return code.strip()


def code_aliases(code: str) -> set[str]:
    """Other names a joint code gives its drug: "ATL/TV1102" (two partners' prefixes on one number)
    is also "ATL-1102" and "TV-1102", the names each partner's releases use."""
    m = re.fullmatch(r"([A-Za-z]{2,5})/([A-Za-z]{2,5})[ -]?(\d{2,})", code.strip())
    return {normalize_code(f"{m.group(1)}-{m.group(3)}"), normalize_code(f"{m.group(2)}-{m.group(3)}")} if m else set()


def _in_url_or_email(text: str, start: int, end: int) -> bool:
    left = text[max(0, start - 60):start]
    token_left = re.split(r"\s", left)[-1] if left else ""
    right = text[end:end + 1]
    return any(ch in token_left for ch in "/@.:=_") and not token_left.endswith(("(", "\u201c", '"')) \
        and ("http" in token_left or "www" in token_left or "@" in token_left or "=" in token_left) or right == "@"


@Language.factory("kg_drugs")
def make_drugs(nlp: Language, name: str):
    drug_lexicon(); inn_stems(); code_patterns(); regimen_pattern()   # load and validate at build time
    return DrugCandidates()


class DrugCandidates:
    def __call__(self, doc: Doc) -> Doc:
        doc.spans[KEY] = find_candidates(doc)
        return doc
