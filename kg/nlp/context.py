"""ConText-style assertion context: negation, hypotheticals, trial status, preclinical.

After medspaCy's ConText: cues are data (``data/patterns/context_rules.jsonl``),
each with a category and a direction; an entity in a cue's scope inherits the
category. Scopes stop at clause ends (";") and at terminators ("but",
"however", "although", "whereas").

The component stores cue matches in ``doc.user_data["kg_context"]`` as
``(start, end, category, rule_id, direction)``; :func:`categories` answers
"what context applies to this span?".
"""
from __future__ import annotations

import bisect
import functools
import re
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc

from ..errors import DataFileError
from .resources import data_path, doc_text, load_jsonl

KEY = "kg_context"
CATEGORIES = {"NEGATED", "HYPOTHETICAL", "PLANNED", "ONGOING", "INTERIM", "COMPLETED", "TERMINATED", "PRECLINICAL"}
DIRECTIONS = {"forward", "backward", "both"}
TERMINATORS = re.compile(r";|\b(?:but|however|although|whereas|while)\b", re.I)


@functools.lru_cache(maxsize=None)
def load_rules(path: Path | None = None) -> tuple[tuple[str, str, str, re.Pattern], ...]:
    path = path or data_path("patterns", "context_rules.jsonl")
    out = []
    for row in load_jsonl(path, {"id", "category", "direction", "regex", "comment"},
                          ("id", "category", "direction", "regex")):
        n = row["_line"]
        if row["category"] not in CATEGORIES:
            raise DataFileError(path, n, f"unknown category {row['category']!r}", CATEGORIES)
        if row["direction"] not in DIRECTIONS:
            raise DataFileError(path, n, f"unknown direction {row['direction']!r}", DIRECTIONS)
        try:
            rx = re.compile(row["regex"], re.I)
        except re.error as e:
            raise DataFileError(path, n, f"bad regular expression: {e}") from None
        out.append((row["id"], row["category"], row["direction"], rx))
    return tuple(out)


def find_cues(text: str, sentences: list[tuple[int, int]], rules) -> list[tuple[int, int, str, str, str]]:
    """Pure function: cue matches ``(start, end, category, rule, direction)`` in each sentence."""
    out = []
    for s, e in sentences:
        sent = text[s:e]
        for rule_id, cat, direction, rx in rules:
            for m in rx.finditer(sent):
                out.append((s + m.start(), s + m.end(), cat, rule_id, direction))
    return out


def clause_bounds(text: str, sent_start: int, sent_end: int, at: int) -> tuple[int, int]:
    """The clause of the sentence around character ``at``."""
    lo, hi = sent_start, sent_end
    for m in TERMINATORS.finditer(text, sent_start, sent_end):
        if m.end() <= at:
            lo = m.end()
        elif m.start() >= at:
            hi = m.start()
            break
    return lo, hi


def categories(doc: Doc, start: int, end: int) -> dict[str, str]:
    """Categories (with the rule that set them) whose scope covers ``doc.text[start:end]``."""
    out: dict[str, str] = {}
    cues = doc.user_data.get(KEY, [])
    if not cues:
        return out
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None:
        return out
    sent = span.sent
    for cs, ce, cat, rule, direction in cues_from(doc, sent.start_char, sent.end_char):
        if cs < sent.start_char or ce > sent.end_char:
            continue
        lo, hi = clause_bounds(doc_text(doc), sent.start_char, sent.end_char, cs)
        if not (lo <= start and end <= hi):
            continue
        if direction == "forward" and start < ce:
            continue
        if direction == "backward" and end > cs:
            continue
        if cs <= start < ce:      # the entity is the cue itself ("planned")
            continue
        out.setdefault(cat, rule)
    return out


INDEX_KEY = "kg_context_index"     # doc.user_data: the cues by start offset, built once per list of cues


def cues_from(doc: Doc, start: int, end: int) -> list[tuple[int, int, str, str, str]]:
    """The cues of ``doc.user_data["kg_context"]`` that start in ``[start, end]``, in the list's order:
    a lookup in the cues sorted by offset (asked for every mention, they are not all read each time)."""
    cues = doc.user_data.get(KEY, [])
    index = doc.user_data.get(INDEX_KEY)
    if index is None or index[0] is not cues:
        order = sorted(range(len(cues)), key=lambda k: cues[k][0])
        index = doc.user_data[INDEX_KEY] = (cues, [cues[k][0] for k in order], order)
    _, starts, order = index
    found = order[bisect.bisect_left(starts, start):bisect.bisect_right(starts, end)]
    return [cues[k] for k in sorted(found)]


@Language.factory("kg_context", default_config={"rules_path": None})
def make_context(nlp: Language, name: str, rules_path: str | None):
    return ContextMarker(load_rules(Path(rules_path) if rules_path else None))


class ContextMarker:
    def __init__(self, rules):
        self.rules = rules

    def __call__(self, doc: Doc) -> Doc:
        sents = [(s.start_char, s.end_char) for s in doc.sents]
        doc.user_data[KEY] = find_cues(doc_text(doc), sents, self.rules)
        doc.user_data.pop(INDEX_KEY, None)
        return doc
