"""kg/nlp/attribute_ruler.py: the indexed matcher finds exactly the matches spaCy's Matcher finds."""
from __future__ import annotations

import pytest

from kg.nlp import load_model
from kg.nlp.attribute_ruler import IndexedMatcher, accelerate

pytestmark = pytest.mark.model

TEXTS = [
    "Y'all gonna see: we ain't done, and there is more. Let's c'mon, it's gotta work!",
    "Acme Biotherapeutics Inc. (NASDAQ: ACMB) today announced that the first patient has been dosed "
    "in a Phase 2 trial of zoratinib in patients with non-small cell lung cancer.\n\n  Dr. Smith said "
    "that they'd have results by Q3 2025 -- unless enrolment, which is 40% done, slows.",
    "There were    twelve sites; nothin' changed.  Is it? Wasn't it? I'm sure we've been there.",
    "",
]


@pytest.fixture(scope="module")
def nlp():
    return load_model(None, ("lemmatizer",))


def before_ruler(nlp, texts):
    upto = nlp.pipe_names[:nlp.pipe_names.index("attribute_ruler")]
    with nlp.select_pipes(enable=upto):
        return list(nlp.pipe(texts))


def test_same_matches_as_spacy(nlp):
    ruler = nlp.get_pipe("attribute_ruler")
    spacy_matcher = ruler.matcher
    fast = IndexedMatcher(spacy_matcher, [(nlp.vocab.strings[str(k)], pat) for k, p in enumerate(ruler.patterns)
                                          for pat in p["patterns"]], nlp.vocab.strings)
    for doc in before_ruler(nlp, TEXTS):
        assert sorted(fast(doc, allow_missing=True)) == sorted(spacy_matcher(doc, allow_missing=True))


def test_accelerated_ruler_sets_the_same_attributes(nlp):
    plain = [[(t.tag_, t.pos_, str(t.morph), t.lemma_) for t in d] for d in nlp.pipe(TEXTS)]
    fast_nlp = load_model(None, ("lemmatizer",))
    assert accelerate(fast_nlp) is True
    assert isinstance(fast_nlp.get_pipe("attribute_ruler").matcher, IndexedMatcher)
    fast = [[(t.tag_, t.pos_, str(t.morph), t.lemma_) for t in d] for d in fast_nlp.pipe(TEXTS)]
    assert fast == plain


def test_a_pattern_it_cannot_index_keeps_spacys_matcher(nlp):
    other = load_model(None, ("lemmatizer",))
    other.get_pipe("attribute_ruler").add([[{"ORTH": "x", "OP": "+"}]], {"LEMMA": "x"})
    assert accelerate(other) is False
    assert not isinstance(other.get_pipe("attribute_ruler").matcher, IndexedMatcher)
