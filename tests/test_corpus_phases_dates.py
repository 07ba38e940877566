"""Phases and release dates on real releases: the project's samples (data/samples) and the shared dev corpus
(skipped when ../shared is missing).

- counting trials by ``cp:phase`` gives contract values only; stated sub-phases are ``cp:subPhase``;
- every release is dated, each with where its date was read, and every node and edge of the dynamic GEXF
  has a ``start``.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from rdflib import Literal
from rdflib.namespace import DCTERMS

from kg import export as E
from kg.rdf.build import build_dataset
from kg.rdf.namespace import CP
from kg.schema import DATE_SOURCES, PHASES, SUB_PHASE
from kg.store import with_default_prefixes

from fixtures_export import without_start

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
DEV = Path(os.environ.get("KG_DEV_CORPUS", ROOT.parent / "shared" / "corpus" / "dev"))
no_dev = pytest.mark.skipif(not (DEV / "raw").is_dir(), reason=f"no dev corpus at {DEV}")

pytestmark = pytest.mark.model

PHASE_COUNT = "SELECT ?phase (COUNT(*) AS ?n) WHERE { ?t cp:phase ?phase } GROUP BY ?phase"
SUB_PHASES = "SELECT DISTINCT ?sub WHERE { ?t cp:subPhase ?sub }"


def dataset_of(extractor, folder: Path):
    from kg.pipeline import read_documents

    results = extractor.extract_documents(list(read_documents([folder])))
    ds = build_dataset([(r.extraction, r.content_hash) for r in results])
    ds.default_union = True
    return ds


@pytest.fixture(scope="module")
def samples(extractor):
    return dataset_of(extractor, SAMPLES)


@pytest.fixture(scope="module")
def dev(extractor):
    if not (DEV / "raw").is_dir():
        pytest.skip(f"no dev corpus at {DEV}")
    return dataset_of(extractor, DEV / "raw")


def phase_counts(ds) -> dict[str, int]:
    return {str(phase): int(n) for phase, n in ds.query(with_default_prefixes(PHASE_COUNT))}


def sub_phases(ds) -> set[str]:
    return {str(sub) for (sub,) in ds.query(with_default_prefixes(SUB_PHASES))}


def test_samples_count_trials_by_contract_phase_only(samples):
    counts = phase_counts(samples)
    assert counts and set(counts) <= set(PHASES), counts
    # the Sorrel sample's "Phase 2b Study" is a sub-phase of a phase 2 trial
    assert "Phase 2b" in sub_phases(samples) and "Phase 2" in counts


@no_dev
def test_dev_corpus_counts_trials_by_contract_phase_only(dev):
    counts = phase_counts(dev)
    assert counts and set(counts) <= set(PHASES), counts
    subs = sub_phases(dev)
    assert subs and all(SUB_PHASE.fullmatch(s) for s in subs), subs


def documents(ds) -> dict:
    return {doc: (ds.value(doc, DCTERMS.issued), ds.value(doc, CP.dateSource))
            for doc in set(ds.subjects(DCTERMS.source, None))}


def test_every_sample_release_states_its_date(samples):
    docs = documents(samples)
    assert len(docs) == 4
    assert {source for _, source in docs.values()} == {Literal("dateline")}


@no_dev
def test_every_dev_release_is_dated_and_says_where_from(dev):
    docs = documents(dev)
    assert len(docs) >= 64
    assert all(issued is not None for issued, _ in docs.values())
    assert {str(source) for _, source in docs.values()} <= set(DATE_SOURCES)


@no_dev
def test_every_node_and_edge_of_the_dev_dynamic_gexf_has_a_start(dev):
    facts = E.Facts.from_quads(E.DatasetSource(dev).quads())
    nodes, edges, no_start_nodes, no_start_edges = without_start(E.to_gexf(E.build_graph(facts, "full"), dynamic=True))
    assert nodes > 300 and edges > 500
    assert no_start_nodes == [] and no_start_edges == []
