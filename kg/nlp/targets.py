"""Molecular target mentions, found by the frames that name them.

A target is what a drug inhibits, blocks, binds or is directed against, so
targets are recognised through their cue (``data/lexicons/target_cues.tsv``):
"an antisense inhibitor of VLA-4", "a Bcl-2 inhibitor", "R2-targeted",
"anti-BCMA", "targets the R2 component of ribonucleotide reductase". The
phrase in the cue's slot must look like a molecular target (a gene or protein
symbol, or a head word from ``target_words.tsv``).

Spans go to ``doc.spans["kg_target"]``; each span's frame (the cue that
found it, used to find the drug it belongs to) is kept in
``doc.user_data["kg_target_frames"]``.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from ..errors import DataFileError
from .entities import drug_nouns
from .resources import check_choice, data_path, load_tsv

KEY = "kg_target"
FRAMES_KEY = "kg_target_frames"
MAX_TOKENS = 8
SKIP_KINDS = ("skip", "process", "between", "classifier", "stop", "population")   # the kinds of target_skip.tsv
GREEK = "\u03b1\u03b2\u03b3\u03b4\u03ba\u03bb\u03bc\u03c3\u03c4"
PART_NOUNS = {"component", "subunit", "domain", "isoform", "chain"}
GENERIC_MODIFIERS = {"key", "important", "multiple", "several", "various", "specific", "certain", "cancer", "tumor",
                     "tumour", "human", "other", "many", "critical", "major", "cellular", "target", "relevant"}


@dataclass(frozen=True)
class Cue:
    words: tuple[str, ...]
    side: str
    rule: str
    confidence: float


@functools.lru_cache(maxsize=1)
def lexicons():
    path = data_path("lexicons", "target_cues.tsv")
    cues = []
    for row in load_tsv(path, ["cue", "side", "rule", "confidence"]):
        side = check_choice(path, row, "side", {"left", "right", "prefix"})
        try:
            conf = float(row["confidence"])
        except ValueError:
            raise DataFileError(path, int(row["_line"]), f"confidence must be a number, got {row['confidence']!r}") from None
        cues.append(Cue(tuple(row["cue"].lower().split()), side, row["rule"], conf))
    words = {r["word"].lower(): r["kind"] for r in load_tsv(data_path("lexicons", "target_words.tsv"), ["word", "kind"])}
    skip_path = data_path("lexicons", "target_skip.tsv")
    skip = {r["word"].lower(): check_choice(skip_path, r, "kind", set(SKIP_KINDS))
            for r in load_tsv(skip_path, ["word", "kind"])}
    return tuple(sorted(cues, key=lambda c: -len(c.words))), words, skip


def looks_like_target(tokens: list[Token], words: dict) -> bool:
    if not tokens:
        return False
    text = " ".join(t.text for t in tokens)
    if any(c in GREEK for c in text):
        return True
    for t in tokens:
        s = t.text
        uppers = sum(c.isupper() for c in s)
        if (uppers >= 2 and any(c.isalpha() for c in s) and not s.isupper() or uppers >= 2 and len(s) <= 8) \
                and s.upper() not in ("FDA", "EMA", "USA", "US", "TKI", "ADC", "ADCS", "CPI", "IV", "RNA", "DNA", "MRNA"):
            return True
        if re.search(r"[A-Za-z]", s) and re.search(r"\d", s) and any(c.isupper() for c in s):
            return True
    parts = [p for t in tokens for p in t.lower_.split("-") if p]
    last = tokens[-1].lower_
    if all(t.lower_ in GENERIC_MODIFIERS or words.get(t.lower_) == "head" for t in tokens):
        return False      # "key proteins", "several receptors"
    if words.get(last) in ("head", "name") or words.get(tokens[0].lower_) == "name":
        return len(tokens) > 1 or words.get(last) == "name"
    # "interleukin-23", "sphingosine kinase-2": a target word with a number glued to it
    if any(words.get(p) in ("head", "name") for p in parts) and re.search(r"\d", tokens[-1].text):
        return True
    if last.endswith(("ase", "ases")) and len(last) > 5:
        return True
    return False


def _np_right(doc: Doc, i: int, hi: int, skip: dict) -> tuple[int, int] | None:
    """The noun phrase starting at or after token i (articles, adverbs and process nouns skipped)."""
    while i < hi:
        low = doc[i].lower_
        if skip.get(low) in ("skip", "between"):
            i += 1
        elif skip.get(low) == "process" and i + 1 < hi and doc[i + 1].lower_ == "of":
            i += 2
        elif skip.get(low) == "classifier" and i + 1 < hi and (doc[i + 1].text[:1].isupper() or doc[i + 1].like_num):
            i += 1      # "the enzyme XYZ kinase-3": the classifier word is not part of the name
        elif low == "and" and i + 1 < hi and (doc[i + 1].pos_ == "VERB" or doc[i + 1].lower_.endswith("s")) \
                and i > 0 and doc[i - 1].pos_ == "VERB":
            i += 2      # "targets and attacks telomeres"
        else:
            break
    start = i
    while i < hi and i - start < MAX_TOKENS:
        t = doc[i]
        if t.pos_ in ("PROPN", "NOUN", "NUM", "X", "SYM", "ADJ") and not t.is_stop and not t.is_space:
            i += 1
        elif t.text in ("-", "/") and not t.whitespace_ and i > start:
            i += 1
        elif t.text == ")" and i > start and not doc[i - 1].whitespace_ and "(" in doc[start:i].text \
                and i + 1 < hi and doc[i + 1].pos_ in ("NOUN", "PROPN"):
            i += 1      # "poly(ADP-ribose) polymerase 1"
        elif t.lower_ == "of" and i > start and doc[i - 1].lower_ in PART_NOUNS:
            i += 1
        elif t.lower_ == "containing" and i > start and doc[i - 1].lower_ in ("receptor", "receptors"):
            i += 1      # "NMDA receptors containing the NR2B subunit"
            if i < hi and doc[i].lower_ == "the":
                i += 1
        else:
            break
    while i > start and (doc[i - 1].is_punct or doc[i - 1].lower_ in ("of", "containing")):
        i -= 1
    # "a key cancer protein called Bcl-2": the name is what the description is called
    if i + 1 < hi and doc[i].lower_ in ("called", "named") or i + 2 < hi and doc[i].lower_ == "known" and doc[i + 1].lower_ == "as":
        k = i + (2 if doc[i].lower_ == "known" else 1)
        named = _np_right(doc, k, hi, skip)
        if named:
            return named
    return (start, i) if i > start else None


def _np_left(doc: Doc, j: int, lo: int, skip: dict) -> tuple[int, int] | None:
    """The noun phrase ending just before token j (intensifiers such as "selective" skipped)."""
    while j > lo and skip.get(doc[j - 1].lower_) == "between":
        j -= 1
    end = j
    while j > lo and end - j < MAX_TOKENS:
        t = doc[j - 1]
        if t.text in ("-", "/") and not t.whitespace_ and j - 1 > lo and not doc[j - 2].whitespace_:
            j -= 1
            continue
        if t.pos_ == "VERB" and t.text.endswith("ed") and t.is_lower and j - 2 >= lo and doc[j - 2].pos_ in ("NOUN", "PROPN") \
                and end - j >= 1:
            j -= 1      # "lipoprotein receptor related protein-1"
            continue
        if t.pos_ in ("PROPN", "NOUN", "NUM", "X", "SYM", "ADJ") and not t.is_stop and not t.is_space \
                and skip.get(t.lower_) not in ("between", "stop"):
            j -= 1
            continue
        break
    while j < end and doc[j].is_punct:
        j += 1
    return (j, end) if end > j else None


def _population_target(doc: Doc, np: tuple[int, int], skip: dict) -> tuple[int, int]:
    """A phrase naming a population by its target is the target: "YES1/SRC-driven tumors" -> YES1/SRC,
    "BRAF mutations" -> BRAF, "HER2-positive cancers" -> HER2 (``target_skip.tsv``, kind population)."""
    s, e = np
    for k in range(s + 1, e):
        word = doc[k].lower_
        if skip.get(word) != "population":
            continue
        glued = doc[k - 1].text == "-" and not doc[k - 1].whitespace_ and not doc[k - 2].whitespace_ and k - 1 > s
        if glued:
            return s, k - 1
        if k == e - 1 or k == s + 1:
            return s, k            # "BRAF mutations", "KRAS mutation"
    return np


@functools.lru_cache(maxsize=1)
def _cues_by_first_word() -> tuple[dict[str, tuple[Cue, ...]], tuple[Cue, ...]]:
    """The cues that can match at a token, by its lower-case text (in the order of :func:`lexicons`):
    those whose first word it is, and the prefix cues, which may match anywhere."""
    cues = lexicons()[0]
    anywhere = tuple(c for c in cues if c.side == "prefix" or not c.words)
    by_first = {c.words[0]: tuple(d for d in cues if d in anywhere or d.words[0] == c.words[0])
                for c in cues if c.words}
    return by_first, anywhere


def _left_end(doc: Doc, cs: int, lo: int, cue: Cue) -> int:
    """Where the target before a left-side cue starting at token ``cs`` ends: before the hyphen that glues
    it to the cue ("R2-targeted"), or the comma of an apposition ("R2, the target of LOR-2040")."""
    j = cs - 1 if doc[cs - 1].text == "-" and cs - 1 > lo else cs
    if j - 1 > lo and doc[j - 1].text == "," and cue.words[0] == "the":
        j -= 1
    return j


def find_targets(doc: Doc) -> tuple[list[Span], list[dict]]:
    cues, words, skip = lexicons()
    by_first, anywhere = _cues_by_first_word()
    spans: list[Span] = []
    frames: list[dict] = []
    for sent in doc.sents:
        lo, hi = sent.start, sent.end
        i = lo
        while i < hi:
            matched = None
            for cue in by_first.get(doc[i].lower_, anywhere):
                n = len(cue.words)
                if cue.side == "prefix":
                    if doc[i].lower_ == "anti" and i + 2 < hi and doc[i + 1].text == "-" and not doc[i].whitespace_:
                        matched = (cue, i, i + 2)
                        break
                    continue
                if i + n <= hi and tuple(t.lower_ for t in doc[i:i + n]) == cue.words:
                    if cue.side == "left" and cue.words[0] in ("targeted", "targeting", "directed") \
                            and not (i > lo and doc[i - 1].text == "-"):
                        continue       # "R2-targeted" needs its hyphen
                    matched = (cue, i, i + n)
                    break
            if not matched:
                i += 1
                continue
            cue, cs, ce = matched
            if cue.side == "prefix":
                # "anti-BCMA": the symbol glued to the prefix, not the noun phrase after it
                k = ce
                while k < hi and (doc[k].text in ("-", "/") or k == ce or not doc[k - 1].whitespace_ and
                                  doc[k - 1].text in ("-", "/")) and not doc[k].is_space:
                    if doc[k - 1].whitespace_ and k > ce:
                        break
                    k += 1
                    if doc[k - 1].whitespace_:
                        break
                np = (ce, k) if k > ce else None
            elif cue.side == "right":
                np = _np_right(doc, ce, hi, skip)
                np = _population_target(doc, np, skip) if np else np
                left = next((c for c in cues if c.side == "left" and c.words == cue.words[:1]), None) \
                    if np and doc[np[0]].lower_ in drug_nouns() else None
                if left:
                    # "the TGF-β2 targeting antisense oligonucleotide OT-101", "a CD47-targeting antibody": what
                    # follows is the drug, by its kind; the target is named before the cue (its left-side cue)
                    cue, np = left, _np_left(doc, _left_end(doc, cs, lo, left), lo, skip)
            else:
                np = _np_left(doc, _left_end(doc, cs, lo, cue), lo, skip)
            if np:
                s, e = np
                toks = list(doc[s:e])
                if looks_like_target(toks, words) and not any(t.ent_type_ in ("MONEY", "PERCENT") for t in toks):
                    span = Span(doc, s, e, label="TARGET", span_id=cue.rule)
                    span.kb_id_ = re.sub(r"\s+", " ", span.text)
                    spans.append(span)
                    frames.append({"target": (span.start_char, span.end_char),
                                   "cue": (doc[cs].idx, doc[ce - 1].idx + len(doc[ce - 1])),
                                   "side": cue.side, "rule": cue.rule, "confidence": cue.confidence})
            i = ce
    return spans, frames


@Language.factory("kg_targets")
def make_targets(nlp: Language, name: str):
    lexicons()
    drug_nouns()
    return TargetFinder()


class TargetFinder:
    def __call__(self, doc: Doc) -> Doc:
        spans, frames = find_targets(doc)
        doc.spans[KEY] = spans
        doc.user_data[FRAMES_KEY] = frames
        return doc
