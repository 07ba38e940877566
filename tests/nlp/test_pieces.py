"""kg/nlp/pieces.py: a long text read in pieces gives the document the whole text would, in bounded memory."""
from __future__ import annotations

import pytest

from kg.documents import load_documents
from kg.nlp.pieces import cut_points, local_and_whole, process
from kg.relations import link

PARAGRAPHS = [
    "Acme Biotherapeutics Inc. (NASDAQ: ACMB) today announced that the first patient has been dosed in a "
    "Phase 2 clinical trial of zoratinib in combination with docetaxel in patients with non-small cell lung "
    "cancer (NSCLC).",
    "The trial will enroll 120 patients at the Northfield Cancer Centre and is sponsored by the National "
    "Cancer Institute. Zoratinib is a small molecule that inhibits KDR.",
    "  Indented line after a blank line, as hard-wrapped\nreleases write it, with a second line.",
    "About Acme Biotherapeutics\nAcme develops medicines for cancer. Contact: press@acme.example",
]


def long_text(repeat: int = 6) -> str:
    return "\n\n".join(PARAGRAPHS * repeat) + "\n"


def pieces_of(text: str, cuts: list[int]) -> list[str]:
    return [text[a:b] for a, b in zip([0] + cuts[:-1], cuts)]


def test_a_short_text_is_one_piece():
    assert cut_points("One line.\n\nTwo lines.", max_chars=100) == [len("One line.\n\nTwo lines.")]


def test_pieces_end_after_line_breaks_and_cover_the_text():
    text = long_text()
    cuts = cut_points(text, max_chars=700)
    parts = pieces_of(text, cuts)
    assert len(parts) > 3 and "".join(parts) == text and cuts[-1] == len(text)
    for part in parts[:-1]:
        assert part.rstrip(" ").endswith("\n") and len(part) <= 700
    for part in parts[1:]:
        assert not part[0].isspace()
    # a blank line is preferred to a single line break inside a paragraph
    assert all(part.endswith("\n\n") or part.endswith("\n\n  ") for part in parts[:-1])


def test_a_line_longer_than_a_piece_is_cut_at_the_next_line_break():
    text = "x" * 50 + " word" * 40 + "\nnext line\n"
    assert cut_points(text, max_chars=60) == [text.index("next"), len(text)]
    assert cut_points("no line break at all " * 10, max_chars=20) == [len("no line break at all " * 10)]


@pytest.mark.model
def test_local_components_run_on_pieces_and_the_projects_on_the_whole(nlp):
    local, whole = local_and_whole(nlp)
    assert {"parser", "kg_paragraph_boundaries"} <= set(local)
    assert {"ner", "kg_ner"} & set(local)            # the model's NER, or the trained one in its place
    assert whole[0] == "kg_sections" and "kg_entities" in whole and not set(local) & set(whole)


@pytest.mark.model
def test_pieces_give_the_same_tokens_sentences_and_entities(nlp):
    text = long_text()
    whole, parts = nlp(text), process(nlp, text, max_chars=700)
    assert parts.text == text
    assert [(t.idx, t.text) for t in parts] == [(t.idx, t.text) for t in whole]
    assert [s.start_char for s in parts.sents] == [s.start_char for s in whole.sents]
    assert {(e.start_char, e.label_) for e in parts.ents if e.label_ in ("DRUG", "CONDITION", "TARGET")} == \
        {(e.start_char, e.label_) for e in whole.ents if e.label_ in ("DRUG", "CONDITION", "TARGET")}
    # the document-level components saw the whole text: the "About" zone of every repetition
    zones = lambda doc: [(z.label_, z.start_char, z.end_char) for z in doc.spans["kg_zones"]]
    assert zones(parts) == zones(whole) and [z[0] for z in zones(whole)] == ["about"] * 6


@pytest.mark.model
def test_facts_from_pieces_are_the_facts_of_the_whole(nlp, write_files):
    folder = write_files({"release.txt": "ACME STARTS PHASE 2 TRIAL OF ZORATINIB\n\n" + long_text(3)})
    document, = load_documents(folder / "release.txt")

    def facts(doc):
        x = link(doc, document)
        return {(a.subject, a.predicate, str(a.object), a.evidence.start, a.evidence.rule) for a in x.assertions}

    whole = facts(nlp(document.text))
    assert facts(process(nlp, document.text, max_chars=400)) == whole
    assert any(p == "targets" and s.endswith("zoratinib") for s, p, *_ in whole)


@pytest.mark.model
def test_a_text_over_the_models_length_limit_is_read(nlp):
    text = long_text(2)
    saved = nlp.max_length
    nlp.max_length = 500
    try:
        with pytest.raises(ValueError):
            nlp(text)
        doc = process(nlp, text, max_chars=400)
    finally:
        nlp.max_length = saved
    assert doc.text == text and any(e.label_ == "DRUG" for e in doc.ents)
