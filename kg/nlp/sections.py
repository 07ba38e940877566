"""Zones of a release: boilerplate to skip and "About ..." sections to flag.

Rules live in ``data/patterns/sections.jsonl``. A rule matches the start of a
paragraph (case-insensitive) and opens a zone:

* ``header``: a short paragraph that opens a zone running to the next heading;
* ``inline``: like ``header`` but the heading starts a paragraph of text;
* ``paragraph``: the matching paragraph alone;
* ``rest``: the matching paragraph and everything after it;
* ``match``: exactly the text the rule matches (a forum header before the release).

Zones are ``skip`` (forward-looking statements, contacts, newswire footers,
reference lists: no facts come from them) or ``about`` (background sections,
read but flagged). The component stores them in ``doc.spans["kg_zones"]``
with the zone as label and the rule id as ``span.id_``.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc, Span

from ..errors import DataFileError
from .resources import data_path, doc_text, load_jsonl

ZONES_KEY = "kg_zones"
ZONE_KINDS = {"header", "inline", "paragraph", "rest", "match"}
ZONE_LABELS = {"skip", "about"}


@dataclass(frozen=True)
class ZoneRule:
    id: str
    zone: str
    kind: str
    regex: re.Pattern


@functools.lru_cache(maxsize=None)
def load_zone_rules(path: Path | None = None) -> tuple[ZoneRule, ...]:
    path = path or data_path("patterns", "sections.jsonl")
    rules = []
    for row in load_jsonl(path, {"id", "zone", "kind", "regex", "comment"}, ("id", "zone", "kind", "regex")):
        n = row["_line"]
        if row["zone"] not in ZONE_LABELS:
            raise DataFileError(path, n, f"unknown zone {row['zone']!r}", ZONE_LABELS)
        if row["kind"] not in ZONE_KINDS:
            raise DataFileError(path, n, f"unknown kind {row['kind']!r}", ZONE_KINDS)
        try:
            rx = re.compile(row["regex"], re.I)
        except re.error as e:
            raise DataFileError(path, n, f"bad regular expression: {e}") from None
        rules.append(ZoneRule(row["id"], row["zone"], row["kind"], rx))
    return tuple(rules)


def paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) character spans of the paragraphs of clean text."""
    out = []
    for m in re.finditer(r"[^\n]+(?:\n(?!\n)[^\n]+)*", text):
        s, e = m.span()
        while s < e and text[s].isspace():
            s += 1
        if s < e:
            out.append((s, e))
    return out


def _looks_like_heading(p: str) -> bool:
    words = p.split()
    if not words or len(words) > 12:
        return False
    return not re.search(r"[.!?;,]\s*$", p) or p.isupper()


def _looks_like_prose(p: str) -> bool:
    return len(p.split()) >= 8 and bool(re.search(r"[.!?\"\u201d]\s*$", p)) and "|" not in p


def find_zones(text: str, rules: tuple[ZoneRule, ...]) -> list[tuple[int, int, str, str]]:
    """Pure function: (start, end, zone, rule id) for the zones of clean text."""
    paras = paragraphs(text)
    zones: list[tuple[int, int, str, str]] = []
    open_zone: tuple[int, str, str, str] | None = None   # (start, zone, rule id, kind)

    def close(end: int) -> None:
        nonlocal open_zone
        if open_zone and end > open_zone[0]:
            zones.append((open_zone[0], end, open_zone[1], open_zone[2]))
        open_zone = None

    for i, (s, e) in enumerate(paras):
        p = text[s:e]
        rule = next((r for r in rules if r.regex.search(p) and (r.kind != "header" or _looks_like_heading(p))), None)
        if open_zone is not None:
            _, zone, _, kind = open_zone
            ends = rule is not None and rule.kind in ("header", "inline", "rest")
            if not ends and zone == "skip" and open_zone[2].startswith("zone.contacts"):
                ends = _looks_like_prose(p) or (p.isupper() and len(p.split()) >= 6)
            elif not ends:
                ends = _looks_like_heading(p) and not p.endswith(":")
            if ends:
                close(s)
        if rule is None:
            continue
        if rule.kind == "match":
            m = rule.regex.search(p)
            zones.append((s + m.start(), s + m.end(), rule.zone, rule.id))
            continue
        if rule.kind == "paragraph":
            # in a long paragraph (an unwrapped repost) the zone starts at the sentence of the match
            m = rule.regex.search(p)
            start = s
            if m and m.start() > 0:
                cut = max(p.rfind(". ", 0, m.start()), p.rfind("? ", 0, m.start()), p.rfind("! ", 0, m.start()))
                start = s + cut + 2 if cut >= 0 else s
            zones.append((start, e, rule.zone, rule.id))
        elif rule.kind == "rest":
            close(s)
            zones.append((s, len(text), rule.zone, rule.id))
            break
        else:
            close(s)
            open_zone = (s, rule.zone, rule.id, rule.kind)
    close(len(text))
    return zones


@Language.factory("kg_sections", default_config={"rules_path": None})
def make_sections(nlp: Language, name: str, rules_path: str | None):
    return SectionZoner(load_zone_rules(Path(rules_path) if rules_path else None))


class SectionZoner:
    """Marks boilerplate and background zones in ``doc.spans["kg_zones"]`` (idempotent)."""

    def __init__(self, rules: tuple[ZoneRule, ...]):
        self.rules = rules

    def __call__(self, doc: Doc) -> Doc:
        spans = []
        for s, e, zone, rule in find_zones(doc_text(doc), self.rules):
            span = doc.char_span(s, e, label=zone, alignment_mode="expand")
            if span is not None:
                span.id_ = rule
                spans.append(span)
        doc.spans[ZONES_KEY] = spans
        return doc


def zone_at(doc: Doc, char: int) -> Span | None:
    """The zone holding character ``char`` of the doc, if any (``skip`` wins)."""
    best = None
    for span in doc.spans.get(ZONES_KEY, []):
        if span.start_char <= char < span.end_char:
            if best is None or span.label_ == "skip":
                best = span
    return best


@Language.component("kg_paragraph_boundaries")
def paragraph_boundaries(doc: Doc) -> Doc:
    """Start a sentence after every paragraph break and table-cell separator."""
    for i, tok in enumerate(doc[:-1]):
        if tok.is_space and "\n" in tok.text:
            doc[i + 1].is_sent_start = True
        elif "\n" in tok.whitespace_ or (tok.text == "|" and i + 1 < len(doc)):
            doc[i + 1].is_sent_start = True
    return doc
