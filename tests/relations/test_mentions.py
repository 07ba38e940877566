"""kg/relations/mentions.py: the document index every linking stage reads."""
from __future__ import annotations

import pytest
from spacy.tokens import Span

from kg.nlp.sections import ZONES_KEY
from kg.relations.entities import link_entities

TEXT = "HB-3301 INHIBITS THYMIDYLATE SYNTHASE IN ALL TUMOURS. HB-3301 is tested. About Acme. Acme makes HB-3301."


def test_sentences_their_mentions_and_usable_sentences(make_doc):
    ix, x = make_doc(TEXT, [("HB-3301", "DRUG", "drug.code-name"), ("HB-3301", "DRUG", "drug.code-name"),
                            ("HB-3301", "DRUG", "drug.code-name")])
    link_entities(ix, x)
    assert [len(ix.in_sentence(i)) for i in range(len(ix.sents))] == [1, 1, 0, 1]
    assert [ix.usable(s) for s in ix.sents] == [False, True, True, True]     # a shouted line is not read


def test_evidence_of_the_about_section_weighs_less(make_doc):
    ix, x = make_doc(TEXT, [])
    doc = ix.doc
    about = ix.sents[2].start
    doc.spans[ZONES_KEY] = [Span(doc, about, len(doc), label="about")]
    plain, boiler = ix.evidence(ix.sents[1], "trial.phase", 0.9), ix.evidence(ix.sents[3], "trial.phase", 0.9)
    assert plain.confidence == 0.9 and boiler.confidence == pytest.approx(0.855)
    assert (plain.text, plain.rule) == ("HB-3301 is tested.", "trial.phase")
    assert ix.document.original[plain.start:plain.end] == "HB-3301 is tested."
    doc.spans[ZONES_KEY] = [Span(doc, about, len(doc), label="skip")]
    assert ix.zone(ix.sents[3]) == "skip"
