"""kg/export.py's dates: a document dated by its file's time (``cp:dateSource "file-modified"``) dates what
only it mentions, never an element a document states a date for, and never makes its values the latest;
in the dynamic GEXF every element of a store whose documents are all dated has a ``start``."""
from __future__ import annotations

import pytest
from rdflib import Dataset

from kg import export as E
from kg.rdf.build import add_document, build_dataset
from kg.rdf.iris import document_iri, entity_iri, trial_iri
from kg.store import EmbeddedStore

from fixtures_export import AML, GTI, LORUS, MEL, OSU, R2, VIR, extraction, trial, without_start

NCT = str(trial_iri("doc-a", "t1", ["NCT00000001"]))


def extractions():
    """doc-a states its date (2004); doc-f and doc-g carry none and are dated by their files' times, one
    earlier than doc-a (a copy older than the release it holds cannot be, so the file date is the wrong one)
    and one later."""
    a = extraction("doc-a", "2004-03-15", [GTI, R2, AML, OSU, LORUS],
                   trials=[trial("t1", names=["NCT00000001"], drugs=[GTI], conditions=[AML], sites=[OSU],
                                 phases=["Phase 2"], status="ongoing", enrollment=40)],
                   assertions=[(GTI, "targets", R2), (GTI, "developedBy", LORUS)])
    a.meta["date_source"] = "dateline"
    f = extraction("doc-f", "2001-01-01", [GTI, R2], assertions=[(GTI, "targets", R2)])
    g = extraction("doc-g", "2026-12-07", [GTI, VIR, MEL, AML, OSU],
                   trials=[trial("t1", names=["NCT00000001"], drugs=[GTI], conditions=[AML], sites=[OSU],
                                 status="completed", enrollment=52)],
                   assertions=[(VIR, "investigatedFor", MEL)])
    for x in (f, g):
        x.meta["date_source"] = "file-modified"
    return [a, f, g]


def facts_of(source) -> E.Facts:
    return E.Facts.from_quads(source.quads())


@pytest.fixture(scope="module")
def dataset_source():
    return E.DatasetSource(build_dataset([(x, f"hash-{x.doc_id}") for x in extractions()]))


@pytest.fixture(scope="module")
def store_source(tmp_path_factory):
    path = tmp_path_factory.mktemp("dates") / "store"
    with EmbeddedStore(path) as s:
        for x in extractions():
            g = add_document(Dataset(), x, f"hash-{x.doc_id}")
            s.replace_document(document_iri(x.doc_id), g, source=x.source, content_hash=f"hash-{x.doc_id}")
    store = EmbeddedStore(path)
    yield E.StoreSource(store)
    store.close()


@pytest.fixture(params=["dataset", "store"])
def source(request, dataset_source, store_source):
    return dataset_source if request.param == "dataset" else store_source


def test_a_stated_date_wins_over_an_earlier_file_date(source):
    G = E.build_graph(facts_of(source), "full")
    assert G.nodes[str(entity_iri(GTI))]["first_seen"] == "2004-03-15"        # not doc-f's 2001-01-01
    targets = [d for _, v, d in G.out_edges(str(entity_iri(GTI)), data=True) if d["label"] == "targets"]
    assert [d["first_seen"] for d in targets] == ["2004-03-15"]
    assert targets[0]["weight"] == 2                                         # doc-f still counts as a source


def test_a_file_date_dates_what_only_its_document_mentions(source):
    G = E.build_graph(facts_of(source), "full")
    assert G.nodes[str(entity_iri(VIR))]["first_seen"] == "2026-12-07"
    assert G.nodes[str(entity_iri(MEL))]["first_seen"] == "2026-12-07"


def test_a_file_date_never_makes_a_value_the_latest(source):
    # doc-g's file is newer than doc-a's release, but doc-g states no date: doc-a's status stands
    nct = E.build_graph(facts_of(source), "full").nodes[NCT]
    assert (nct["status"], nct["enrollment"]) == ("ongoing", 40)


def test_every_element_of_a_dated_store_has_a_start(source):
    nodes, edges, no_start_nodes, no_start_edges = without_start(
        E.to_gexf(E.build_graph(facts_of(source), "full"), dynamic=True))
    assert nodes and edges
    assert (no_start_nodes, no_start_edges) == ([], [])
