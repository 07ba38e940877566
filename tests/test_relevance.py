"""The relevance filter (kg/relevance.py) and what ``kg ingest`` does with the documents it turns away.

No statistical model here: the filter is regular expressions and word lists,
and the ingest tests use a stand-in extractor that records its calls.
"""
from __future__ import annotations

import os
import shutil

import pyoxigraph as ox
import pytest

from kg.cli import build_parser
from kg.errors import DataFileError
from kg.ingest import ingest
from kg.pipeline import screened_extraction
from kg.records import Extraction
from kg.relevance import RelevanceFilter, load_cues

CP = "https://w3id.org/cpkg/"
DCT = "http://purl.org/dc/terms/"

CRYPTO = """Bitcoin Holds Above Support as Traders Eye the Next Halving

NEW YORK, May 2, 2025 -- Bitcoin (BTC) traded above $60,000 on Thursday while ether tested
resistance. Analysts at the exchange said volumes rose 12% from the week before and that the
token's community vote on staking rewards ends on Friday.
"""

TRIAL = """Acme Biotherapeutics Doses First Patient in Phase 2 Study of Zoratinib

BOSTON, March 5, 2024 -- Acme Biotherapeutics Inc. today announced that the first patient has
been dosed in a Phase 2 study of zoratinib in patients with non-small cell lung cancer.
"""


@pytest.fixture(scope="module")
def relevance():
    return RelevanceFilter()


def write_cues(tmp_path, rows: str):
    path = tmp_path / "cues.tsv"
    path.write_text("# test cues\ngroup\tkind\tpattern\tcase\tcomment\n" + rows, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------
# the cue file
# ---------------------------------------------------------------------------

def test_shipped_cue_file_has_every_group(relevance):
    groups = {c.group for c in load_cues(relevance.path)}
    assert groups == {"strong", "drug", "context"}


def test_unknown_group_names_the_file_line_and_allowed_values(tmp_path):
    path = write_cues(tmp_path, "strnog\tphase\tphase\\s*[1-3]\tany\t\n")
    with pytest.raises(DataFileError) as e:
        load_cues(path)
    assert f"{path}:3" in str(e.value) and "group 'strnog' is not valid" in str(e.value)
    assert "allowed: context, drug, strong" in str(e.value)


def test_bad_regular_expression_fails_loudly(tmp_path):
    path = write_cues(tmp_path, "strong\tphase\tphase\\s*([1-3]\tany\t\n")
    with pytest.raises(DataFileError, match=r"cues.tsv:3: bad regular expression"):
        load_cues(path)


def test_pattern_matching_nothing_at_all_is_refused(tmp_path):
    path = write_cues(tmp_path, "context\tpatients\t(?:patients)?\tany\t\n")
    with pytest.raises(DataFileError, match="matches the empty string"):
        load_cues(path)


def test_unknown_case_is_refused(tmp_path):
    path = write_cues(tmp_path, "strong\tregulator\tFDA\tupper\t\n")
    with pytest.raises(DataFileError, match="case 'upper' is not valid"):
        load_cues(path)


# ---------------------------------------------------------------------------
# verdicts
# ---------------------------------------------------------------------------

def test_trial_phase_alone_makes_a_document_relevant(relevance):
    v = relevance("The company plans a Phase 2b study next year.")
    assert v.relevant and v.cues == ("strong:phase",)


def test_cues_are_whole_words(relevance):
    # "FDA" glued into a longer word, "phase" of a project without a number
    assert not relevance("The FDAX index fell while the second phase of the road project began.")


def test_crypto_news_is_screened_out(relevance):
    assert not relevance(CRYPTO)


def test_drug_name_needs_context_of_two_kinds(relevance):
    one = relevance("Ketamine has emerged as an option for depression.")
    assert not one and one.cues == ("drug:dictionary", "context:disease")
    two = relevance("Ketamine has emerged as an option for depression; patients responded within hours.")
    assert two and two.cues[0] == "drug:dictionary" and "context:patients" in two.cues


def test_inn_stem_counts_as_a_drug(relevance):
    v = relevance("Zanubrutinib-like compounds and ralfatinib were well tolerated in patients with cancer.")
    assert v.relevant and v.cues[0] in ("drug:inn-stem", "drug:dictionary")


def test_condition_lexicon_counts_as_disease_context(relevance):
    v = relevance("The antibody was given to volunteers with psoriasis.")
    assert v.relevant and "context:disease" in v.cues


# ---------------------------------------------------------------------------
# ingest: screened documents
# ---------------------------------------------------------------------------

class Recorder:
    """A stand-in extractor: no NLP, no facts; it records which documents it was given."""

    def __init__(self):
        self.calls: list[str] = []

    def extract(self, document) -> Extraction:
        self.calls.append(os.path.basename(document.source))
        return Extraction(document.id, document.source, dict(document.meta))


def store_quads(path) -> set[tuple[str, str, str]]:
    s = ox.Store.read_only(str(path))
    try:
        return {(q.subject.value, q.predicate.value, str(q.object)) for q in s}
    finally:
        del s


def run(folder, store, extractor, **kw):
    errors: list[str] = []
    summary = ingest([str(folder)], store=str(store), quiet=True, extractor=extractor, on_error=errors.append, **kw)
    assert errors == []
    return summary


def test_screened_document_is_stored_as_its_document_node(write_files, tmp_path):
    folder = write_files({"btc.md": CRYPTO})
    rec = Recorder()
    summary = run(folder, tmp_path / "store", rec)
    assert rec.calls == []
    assert (summary.ingested, summary.screened) == (1, 1)
    assert "1 screened out by the relevance filter" in summary.line()
    quads = store_quads(tmp_path / "store")
    [node] = {s for s, _, _ in quads}                  # the document node only
    assert node.startswith(f"{CP}doc/")
    assert {p for _, p, _ in quads} == {f"{CP}screenedOut", "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
                                        f"{DCT}title", f"{DCT}issued", f"{CP}dateSource", f"{DCT}source",
                                        f"{CP}contentHash"}
    assert any(p == f"{CP}screenedOut" and o == '"true"^^<http://www.w3.org/2001/XMLSchema#boolean>'
               for _, p, o in quads)


def test_reingesting_a_screened_document_changes_nothing(write_files, tmp_path):
    folder = write_files({"btc.md": CRYPTO})
    run(folder, tmp_path / "store", Recorder())
    before = store_quads(tmp_path / "store")
    rec = Recorder()
    summary = run(folder, tmp_path / "store", rec)
    assert (summary.ingested, summary.unchanged, rec.calls) == (0, 1, [])
    assert store_quads(tmp_path / "store") == before


def test_no_filter_extracts_what_an_earlier_run_screened_out(write_files, tmp_path):
    folder = write_files({"btc.md": CRYPTO, "acme.txt": TRIAL})
    first = Recorder()
    run(folder, tmp_path / "store", first)
    assert first.calls == ["acme.txt"]
    again = Recorder()
    summary = run(folder, tmp_path / "store", again, relevance_filter=False)
    assert again.calls == ["btc.md"] and (summary.ingested, summary.unchanged, summary.screened) == (1, 1, 0)
    assert not any(p == f"{CP}screenedOut" for _, p, _ in store_quads(tmp_path / "store"))
    # and with the filter again, the document extracted stays as it is
    third = Recorder()
    assert run(folder, tmp_path / "store", third).unchanged == 2 and third.calls == []


def test_copy_within_one_run_waits_for_its_graph(write_files, tmp_path):
    """Regression: the second copy used to look for the first one's graph before it was written."""
    folder = write_files({"a/btc.md": CRYPTO})
    shutil.copy(folder / "a" / "btc.md", folder / "btc-copy.md")
    summary = run(folder, tmp_path / "store", Recorder())
    assert (summary.ingested, summary.copies, summary.screened) == (2, 1, 1)
    sources = {o for _, p, o in store_quads(tmp_path / "store") if p == f"{DCT}source"}
    assert sources == {f'"{folder / "a" / "btc.md"}"', f'"{folder / "btc-copy.md"}"'}


def test_screened_extraction_keeps_the_metadata(write_files):
    from kg.documents import load_documents

    [doc] = load_documents(write_files({"btc.md": CRYPTO}) / "btc.md")
    x = screened_extraction(doc)
    assert x.meta["screened_out"] is True and x.meta["title"] == doc.meta["title"]
    assert (x.entities, x.trials, x.assertions) == ({}, [], [])


def test_cli_has_no_filter_switches():
    p = build_parser()
    assert p.parse_args(["ingest", "x", "--no-filter"]).no_filter is True
    assert p.parse_args(["extract", "x", "--no-filter"]).no_filter is True
    assert p.parse_args(["ingest", "x"]).no_filter is False
