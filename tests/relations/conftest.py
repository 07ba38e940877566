"""Documents written for the stage tests: ``spacy.blank("en")`` with the entities set by hand.

The entities carry what the pipeline's recognisers give them: the rule id as ``span_id`` and
the canonical name as ``kb_id``; a sentence ends after a "." token.
"""
from __future__ import annotations

import pytest
import spacy
from spacy.tokens import Span

from kg.documents import parse_documents
from kg.records import Extraction
from kg.relations.mentions import DocumentIndex


@pytest.fixture(scope="session")
def blank_nlp():
    return spacy.blank("en")


@pytest.fixture
def make_doc(blank_nlp):
    """``make_doc(text, ents, meta=None)`` -> (DocumentIndex, Extraction).

    ``ents``: (surface, label, rule id[, canonical name]) in text order; each surface is found after
    the previous one. Labels are the pipeline's: DRUG, CONDITION, ORG, TARGET, PHASE, TRIAL, CARDINAL.
    """

    def make(text: str, ents: list[tuple], meta: dict | None = None) -> tuple[DocumentIndex, Extraction]:
        [document] = parse_documents(text, "release.txt")
        document.meta.update(meta or {})
        doc = blank_nlp(document.text)
        for t in doc:
            t.is_sent_start = t.i == 0 or doc[t.i - 1].text == "."
        spans, at = [], 0
        for surface, label, rule, *canon in ents:
            start = document.text.index(surface, at)
            at = start + len(surface)
            span = doc.char_span(start, at, alignment_mode="strict")
            assert span is not None, f"{surface!r} is not a run of tokens"
            spans.append(Span(doc, span.start, span.end, label=label, span_id=rule,
                              kb_id=canon[0] if canon else surface))
        doc.ents = spans
        return DocumentIndex(doc, document), Extraction(document.id, document.source, dict(document.meta))

    return make
