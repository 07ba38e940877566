"""The document as the linking stages read it: mentions indexed by sentence, zones, context, evidence.

A :class:`Mention` is one entity span of the ``Doc`` (or a PHASE / TRIAL marker) with the key of
the entity it names. :class:`DocumentIndex` decides nothing about facts; it answers the questions
every stage asks of a sentence: which mentions it holds, which zone it lies in (boilerplate is
skipped, the "About" section weighs a little less), whether it is usable at all, which context
cues (negation, hypotheticals, status) cover it, and the evidence a fact drawn from it carries.
"""
from __future__ import annotations

import bisect
import re
from collections import defaultdict
from dataclasses import dataclass

from spacy.tokens import Doc, Span

from ..documents import Document
from ..nlp.context import cues_from
from ..nlp.resources import doc_text, in_capitals
from ..nlp.sections import ZONES_KEY
from ..records import Evidence
from ..schema import SPAN_TYPES
from .lexicon import cue_lexicon, factor, words

LABEL_TYPES = SPAN_TYPES          # spaCy label -> entity type (kg.schema)
MARKER_LABELS = {"PHASE", "TRIAL"}


@dataclass
class Mention:
    label: str
    span: Span
    key: str
    rule: str

    @property
    def start(self) -> int:
        return self.span.start_char

    @property
    def end(self) -> int:
        return self.span.end_char

    @property
    def text(self) -> str:
        return self.span.text


class DocumentIndex:
    """Sentences, their mentions and their zones, for one processed document."""

    def __init__(self, doc: Doc, document: Document):
        self.doc = doc
        self.document = document
        self.text = doc_text(doc)       # Doc.text joins every token on each call: read it once
        self.cues = cue_lexicon()
        self.sents = list(doc.sents)
        self.sent_index = {s.start: i for i, s in enumerate(self.sents)}
        self.mentions: list[Mention] = []                      # entity mentions, in the order found
        self.by_sent: dict[int, list[Mention]] = defaultdict(list)   # sentence -> entity and marker mentions
        self._usable: dict[int, bool] = {}   # sentence start -> usable(sentence), asked by every pass
        self._ents = list(doc.ents)           # Doc.ents builds every entity on each read: read them once
        self._ent_starts = [e.start for e in self._ents]
        self._zone_index: tuple | None = None     # the zones by start, and each sentence's zone, for one group

    def add(self, m: Mention, entity: bool = True) -> None:
        """Index a mention under its sentence (and, unless it is a marker, among the entity mentions)."""
        if entity:
            self.mentions.append(m)
        self.by_sent[self.sidx(m.span)].append(m)

    def usable_sentences(self):
        """(index, sentence, its mentions in text order) for every usable sentence."""
        for sid, sent in enumerate(self.sents):
            if self.usable(sent):
                yield sid, sent, self.in_sentence(sid)

    def in_sentence(self, sid: int) -> list[Mention]:
        """The mentions of sentence ``sid`` in text order."""
        return sorted(self.by_sent.get(sid, []), key=lambda m: m.start)

    def sidx(self, span: Span) -> int:
        return self.sent_index[span.sent.start]

    def zone(self, sent: Span) -> str | None:
        """The zone a sentence lies in: "skip" when most of it is boilerplate, "about", or None."""
        group = self.doc.spans.get(ZONES_KEY, [])
        index = self._zone_index
        if index is None or index[0] is not group or index[1] != len(group):
            zones = sorted(group, key=lambda z: z.start_char)
            longest = max((z.end_char - z.start_char for z in zones), default=0)
            index = self._zone_index = (group, len(group), zones, [z.start_char for z in zones], longest, {})
        key = (sent.start, sent.end)
        known = index[5]
        if key not in known:
            known[key] = self._zone_now(sent, *index[2:5])
        return known[key]

    @staticmethod
    def _zone_now(sent: Span, zones: list[Span], starts: list[int], longest: int) -> str | None:
        label = None
        length = max(1, sent.end_char - sent.start_char)
        # the zones that can overlap the sentence: from the longest zone's length before it to its end
        lo = bisect.bisect_left(starts, sent.start_char - longest)
        hi = bisect.bisect_left(starts, sent.end_char)
        for z in zones[lo:hi]:
            covered = min(z.end_char, sent.end_char) - max(z.start_char, sent.start_char)
            if covered <= 0:
                continue
            if z.label_ == "skip" and covered > length / 2:
                return "skip"
            if z.label_ == "about" and covered > length / 2:
                label = z.label_
        return label

    def usable(self, sent: Span) -> bool:
        """Not boilerplate and not a shouted all-capitals line."""
        if sent.start not in self._usable:
            self._usable[sent.start] = self._usable_now(sent)
        return self._usable[sent.start]

    def _usable_now(self, sent: Span) -> bool:
        if self.zone(sent) == "skip":
            return False
        return not in_capitals(self.text[sent.start_char:sent.end_char])

    def evidence(self, sent: Span, rule: str, confidence: float) -> Evidence:
        """The sentence as evidence of a fact ``rule`` states, at offsets of the original file."""
        if self.zone(sent) == "about":
            confidence *= factor("about-zone")
        text = sent.text.strip()
        lead = len(sent.text) - len(sent.text.lstrip())
        start, end = self.document.original_span(sent.start_char + lead, sent.start_char + lead + len(text))
        return Evidence(start, end, re.sub(r"\s+", " ", text), rule, round(min(confidence, 1.0), 3))

    def sentence_context(self, sent: Span) -> dict[str, str]:
        """Context categories cued in the sentence (NEGATED, HYPOTHETICAL, ONGOING ...) -> the cue's rule."""
        out: dict[str, str] = {}
        for cs, ce, cat, rule, direction in cues_from(self.doc, sent.start_char, sent.end_char):
            if sent.start_char <= cs < sent.end_char:
                out.setdefault(cat, rule)
        return out

    def sentence_ents(self, sent: Span) -> list[Span]:
        """``sent.ents`` (the entities from the sentence's start up to the first that runs past its end),
        found without reading every entity of the document."""
        out = []
        for ent in self._ents[bisect.bisect_left(self._ent_starts, sent.start):]:
            if ent.end > sent.end:
                break
            out.append(ent)
        return out

    def words_between(self, a: int, b: int) -> list[str]:
        return words(self.text[a:b]) if b > a else []

    def title_mention(self, m: Mention) -> bool:
        """In the headline (the first 400 characters)."""
        return m.start < 400 and m.span.sent.start_char < 400


def surface(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
