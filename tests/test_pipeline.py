"""kg/pipeline.py: the extractor with and without the relevance filter, and tasks of several documents.

The filter must not lose facts: on the shared dev corpus (``../shared/corpus/dev``,
the gold-annotated releases) the extraction is the same with and without it.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from rdflib import Dataset

from kg.ingest import build_documents
from kg.pipeline import Extractor, read_documents
from kg.rdf.build import build_dataset
from kg.relevance import RelevanceFilter

model = pytest.mark.model
DEV = Path(os.environ.get("KG_DEV_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus" / "dev"))

TRIAL = """Northwind Bio starts Phase 1 trial of NWB-1107

CAMBRIDGE, Mass., April 2, 2024 -- Northwind Bio, Inc. today announced that the first patient
has been dosed in a Phase 1 trial of NWB-1107, an antisense inhibitor of KRAS, in patients with
pancreatic cancer. The trial is being conducted at the Dana-Farber Cancer Institute.
"""
MINING = """Copper Ridge Reports Drill Results

VANCOUVER, June 3, 2025 -- Copper Ridge Resources Corp. reported assays from its 2025 drilling
programme: hole CR-25-07 returned 42 metres of 0.8% copper. Drilling continues this month.
"""
DINNER = """Harbour Bistro Opens a Second Location

PORTLAND, Maine, July 9, 2024 -- Harbour Bistro will open its second restaurant in August, with
a menu of local seafood and a terrace over the water.
"""


def nquads(results) -> set[str]:
    ds = build_dataset([(r.extraction, r.content_hash) for r in results])
    return set(ds.serialize(format="nquads").splitlines())


@model
@pytest.mark.skipif(not (DEV / "raw").is_dir(), reason=f"no dev corpus at {DEV}")
def test_relevance_filter_does_not_change_the_dev_extraction(extractor):
    docs = list(read_documents([DEV / "raw"]))
    relevance = RelevanceFilter()
    screened = [d.source for d in docs if not relevance(d.text)]
    assert screened == [], "the filter turns away dev documents: widen data/lexicons/relevance_cues.tsv"
    plain = list(Extractor(nlp=extractor.nlp).extract_documents(docs))
    filtered = list(Extractor(nlp=extractor.nlp, relevance=relevance).extract_documents(docs))
    assert nquads(filtered) == nquads(plain)


@model
def test_screened_documents_keep_their_place_among_the_extracted(write_files, extractor):
    folder = write_files({"1-mining.txt": MINING, "2-trial.txt": TRIAL, "3-dinner.txt": DINNER,
                          "4-trial-again.txt": TRIAL.replace("April 2", "April 3")})
    docs = list(read_documents([folder]))
    ex = Extractor(nlp=extractor.nlp, relevance=RelevanceFilter())
    results = list(ex.extract_documents(docs))
    assert [os.path.basename(r.document.source) for r in results] == [
        "1-mining.txt", "2-trial.txt", "3-dinner.txt", "4-trial-again.txt"]
    assert [r.screened for r in results] == [True, False, True, False]
    trial = results[1].extraction
    assert trial.trials and any(k.startswith("Drug|") for k in trial.entities)
    # a screened document has its metadata and nothing else
    mining = results[0].extraction
    assert mining.meta["title"] == "Copper Ridge Reports Drill Results"
    assert (mining.entities, mining.trials, mining.assertions) == ({}, [], [])


@model
def test_screened_graph_is_the_document_node_with_the_marker(write_files, extractor):
    from kg.rdf.build import add_document
    from kg.rdf.namespace import CP

    [doc] = list(read_documents([write_files({"dinner.txt": DINNER})]))
    x = Extractor(nlp=extractor.nlp, relevance=RelevanceFilter()).extract(doc)
    g = add_document(Dataset(), x, doc.sha256)
    assert set(g.subjects()) == {g.identifier}
    assert g.value(g.identifier, CP.screenedOut).toPython() is True


@model
def test_a_task_batch_gives_the_same_graphs_as_one_by_one(write_files, extractor):
    folder = write_files({"a.txt": TRIAL, "b.txt": MINING, "c.txt": TRIAL.replace("KRAS", "BRAF")})
    docs = list(read_documents([folder]))
    batched = list(build_documents(extractor, docs))

    class OneByOne:
        def extract(self, document):
            return extractor.extract(document)

    single = list(build_documents(OneByOne(), docs))
    assert [k for k, _ in batched] == ["ok"] * 3
    assert [v.ntriples for _, v in batched] == [v.ntriples for _, v in single]


@model
def test_a_failing_document_costs_only_itself(write_files, extractor):
    folder = write_files({"a.txt": TRIAL, "b.txt": MINING, "c.txt": DINNER})
    docs = list(read_documents([folder]))

    class Flaky:
        """Fails the whole batch, and "b.txt" alone."""

        def extract_documents(self, documents):
            raise RuntimeError("batch broke")

        def extract(self, document):
            if document.source.endswith("b.txt"):
                raise ValueError("bad document")
            return extractor.extract(document)

    outcomes = list(build_documents(Flaky(), docs))
    assert [k for k, _ in outcomes] == ["ok", "error", "ok"]
    assert outcomes[1][1] == "extraction failed (ValueError: bad document)"
