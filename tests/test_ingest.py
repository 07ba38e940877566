"""``kg ingest``: idempotent per document, atomic per document, and a bad file never stops the run.

The press releases are written here, tiny and invented. Tests that run the
NLP model share one session-scoped :class:`kg.pipeline.Extractor` (a spy
around it counts, or breaks, extractions).
"""
from __future__ import annotations

import os
import shutil

import pyoxigraph as ox
import pytest

from kg.cli import main
from kg.documents import load_documents
from kg.errors import KGError, StoreError
from kg.ingest import IngestSummary, ingest
from kg.rdf.build import build_dataset
from kg.rdf.iris import document_iri
from kg.store import EmbeddedStore, to_triples

ACME = """ACME BIOTHERAPEUTICS STARTS PHASE 2 TRIAL OF ZORATINIB IN LUNG CANCER

BOSTON, March 5, 2024 -- Acme Biotherapeutics Inc. (NASDAQ: ACMB) today announced
that the first patient has been dosed in a Phase 2 clinical trial of zoratinib in
combination with docetaxel in patients with non-small cell lung cancer. Zoratinib
is a small molecule that inhibits KDR. The trial is being conducted at the
Northfield Cancer Centre and will enroll 40 patients.
"""

BOREALIS = """BOREALIS PHARMA DOSES FIRST PATIENT IN PHASE 1/2 STUDY OF BX-17

OSLO, January 20, 2025 -- Borealis Pharma ASA (OSE: BORP) today announced that the
first patient has been dosed in a Phase 1/2 study of BX-17, a BCL-2 inhibitor, in
combination with azacitidine in patients with acute myeloid leukemia. The study is
sponsored by the National Cancer Institute.
"""

CORVID = """<html><head><title>Corvid Therapeutics completes Phase 3 enrollment</title></head>
<body><p>SAN DIEGO, June 2, 2023 -- Corvid Therapeutics, Inc. (NASDAQ: CRVD) today announced
that enrollment is complete in its Phase 3 trial of corvastat in patients with
idiopathic pulmonary fibrosis.</p></body></html>
"""

model = pytest.mark.model


class Spy:
    """An extractor that records what it extracts, and fails on request."""

    def __init__(self, real, fail_on: str | None = None, error: BaseException | None = None):
        self.real, self.fail_on, self.error = real, fail_on, error
        self.calls: list[str] = []

    def extract(self, document):
        self.calls.append(os.path.basename(document.source))
        if self.fail_on and document.source.endswith(self.fail_on):
            raise self.error
        return self.real.extract(document)


def quads(path) -> set[str]:
    """The quads of the document graphs (the merged default graph is derived from them)."""
    s = ox.Store.read_only(str(path))
    try:
        return {str(q) for q in s if not isinstance(q.graph_name, ox.DefaultGraph)}
    finally:
        del s


def graphs(path) -> list[str]:
    with EmbeddedStore(path, create=False) as s:
        return s.graphs()


def expected_graph(extractor, path) -> set[str]:
    """What the builder makes of the file: the graph the store must hold for it."""
    [doc] = load_documents(os.path.abspath(path))
    g = build_dataset([(extractor.extract(doc), doc.sha256)]).graph(document_iri(doc.id))
    return {f"{t} {ox.NamedNode(str(document_iri(doc.id)))}" for t in to_triples(g)}


def run(paths, store, extractor, **kw):
    errors: list[str] = []
    summary = ingest([str(p) for p in paths], store=str(store), quiet=True, extractor=extractor,
                     on_error=errors.append, **kw)
    return summary, errors


@pytest.fixture
def corpus(write_files):
    return write_files({"acme.txt": ACME, "borealis.txt": BOREALIS})


# ---------------------------------------------------------------------------
# no model needed
# ---------------------------------------------------------------------------

def test_summary_line():
    s = IngestSummary("kg-store", ingested=12, unchanged=3, failed=1, seconds=2.04)
    assert s.line() == "ingested 12 document(s), 3 unchanged, 1 skipped (errors) into kg-store in 2.0s"
    assert IngestSummary("s", ingested=2, copies=1).line() == (
        "ingested 2 document(s) (1 already stored under another path) into s in 0.0s")


def test_unreachable_dask_scheduler_is_one_error_before_any_write(tmp_path):
    pytest.importorskip("distributed")
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        with pytest.raises(KGError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
            ingest([str(tmp_path)], store=str(tmp_path / "s"), dask="tcp://127.0.0.1:9")
    assert not (tmp_path / "s").exists()


def test_jobs_must_be_positive(tmp_path):
    with pytest.raises(KGError, match="--jobs must be at least 1"):
        ingest([str(tmp_path)], store=str(tmp_path / "s"), jobs=0)


def test_only_bad_files_needs_no_model(write_files, tmp_path):
    folder = write_files({"empty.txt": ""})
    summary, errors = run([folder], tmp_path / "store", extractor=None)
    assert (summary.ingested, summary.failed) == (0, 1)
    assert errors == [f"kg: skipped {folder / 'empty.txt'}: empty file"]


# ---------------------------------------------------------------------------
# with the model
# ---------------------------------------------------------------------------

@model
def test_store_holds_exactly_the_builders_graph(corpus, tmp_path, extractor):
    summary, errors = run([corpus], tmp_path / "store", extractor)
    assert (summary.ingested, summary.unchanged, summary.failed, errors) == (2, 0, 0, [])
    want = expected_graph(extractor, corpus / "acme.txt") | expected_graph(extractor, corpus / "borealis.txt")
    assert quads(tmp_path / "store") == want
    with EmbeddedStore(tmp_path / "store") as s:
        assert {r.source for r in s.find_documents()} == {str(corpus / "acme.txt"), str(corpus / "borealis.txt")}


@model
def test_reingesting_an_unchanged_folder_runs_no_nlp_and_changes_nothing(corpus, tmp_path, extractor):
    store = tmp_path / "store"
    run([corpus], store, extractor)
    before, n_graphs = quads(store), len(graphs(store))
    spy = Spy(extractor)
    summary, errors = run([corpus], store, spy)
    assert spy.calls == []
    assert (summary.ingested, summary.unchanged, summary.failed) == (0, 2, 0)
    assert quads(store) == before
    assert len(graphs(store)) == n_graphs == 2


class NewRules(Spy):
    """An extractor whose rules changed since the store was built: it finds entities but no facts."""

    def extract(self, document):
        x = super().extract(document)
        x.assertions, x.trials = [], []
        return x


@model
def test_force_extracts_unchanged_documents_again_once_each(corpus, tmp_path, extractor):
    store = tmp_path / "store"
    (corpus / "again").mkdir()
    shutil.copy(corpus / "acme.txt", corpus / "again" / "acme-copy.txt")
    run([corpus], store, extractor)
    before = quads(store)
    spy = NewRules(extractor)
    assert run([corpus], store, spy)[0].unchanged == 3 and spy.calls == []
    summary, errors = run([corpus], store, spy, force=True)
    assert errors == [] and sorted(spy.calls) == ["acme.txt", "borealis.txt"]    # the copy's content once
    assert (summary.ingested, summary.unchanged) == (2, 1)
    after = quads(store)
    assert after != before and not any("/targets>" in q for q in after)
    assert {q for q in after if "/source>" not in q} == {
        q for q in expected_graph(spy, corpus / "acme.txt") | expected_graph(spy, corpus / "borealis.txt")
        if "/source>" not in q}
    with EmbeddedStore(store) as s:                 # both sources of the copied release are kept
        [doc] = load_documents(corpus / "acme.txt")
        assert len(s.find_documents(content_hash=doc.sha256)) == 2


@model
def test_prune_forgets_the_documents_of_deleted_files_only(corpus, tmp_path, extractor):
    store = tmp_path / "store"
    (corpus / "again").mkdir()
    shutil.copy(corpus / "acme.txt", corpus / "again" / "acme-copy.txt")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    shutil.copy(corpus / "borealis.txt", outside / "borealis-elsewhere.txt")
    run([corpus, outside], store, extractor)
    [acme] = load_documents(corpus / "acme.txt")
    [borealis] = load_documents(corpus / "borealis.txt")
    (corpus / "borealis.txt").unlink()
    (corpus / "acme.txt").unlink()                  # its copy stays in again/
    (outside / "borealis-elsewhere.txt").unlink()   # not under the folder ingested next: kept
    assert run([corpus], store, extractor)[0].pruned == 0 and len(graphs(store)) == 2    # not asked to prune
    spy = Spy(extractor)
    summary, errors = run([corpus], store, spy, prune=True)
    assert errors == [] and spy.calls == [] and summary.pruned == 2
    assert "2 forgotten (files gone)" in summary.line()
    with EmbeddedStore(store) as s:
        assert {r.source for r in s.find_documents()} == {
            str(corpus / "again" / "acme-copy.txt"), str(outside / "borealis-elsewhere.txt")}
    assert sorted(graphs(store)) == sorted([str(document_iri(acme.id)), str(document_iri(borealis.id))])
    assert run([corpus], store, spy, prune=True)[0].pruned == 0        # nothing more to forget


@model
def test_changed_file_replaces_its_graph(corpus, tmp_path, extractor):
    store = tmp_path / "store"
    run([corpus], store, extractor)
    [old] = load_documents(corpus / "acme.txt")
    (corpus / "acme.txt").write_text(ACME + "\nThe company also plans a Phase 3 study in 2026.\n", encoding="utf-8")
    spy = Spy(extractor)
    summary, _ = run([corpus], store, spy)
    assert spy.calls == ["acme.txt"]
    assert (summary.ingested, summary.unchanged) == (1, 1)
    names = graphs(store)
    assert len(names) == 2 and str(document_iri(old.id)) not in names
    assert not any(str(document_iri(old.id)) in q for q in quads(store))
    assert quads(store) == (expected_graph(extractor, corpus / "acme.txt")
                            | expected_graph(extractor, corpus / "borealis.txt"))


@model
def test_copy_under_another_path_adds_a_source_without_nlp(corpus, tmp_path, extractor):
    store = tmp_path / "store"
    run([corpus], store, extractor)
    (corpus / "again").mkdir()
    shutil.copy(corpus / "acme.txt", corpus / "again" / "acme-copy.txt")
    spy = Spy(extractor)
    summary, _ = run([corpus], store, spy)
    assert spy.calls == []
    assert (summary.ingested, summary.copies, summary.unchanged) == (1, 1, 2)
    assert len(graphs(store)) == 2
    with EmbeddedStore(store) as s:
        [doc] = load_documents(corpus / "acme.txt")
        assert {r.source for r in s.find_documents(content_hash=doc.sha256)} == {
            str(corpus / "acme.txt"), str(corpus / "again" / "acme-copy.txt")}
    assert run([corpus], store, spy)[0].unchanged == 3


@model
def test_old_content_reappearing_under_another_name(corpus, tmp_path, extractor):
    """acme.txt changes while zz-old.txt gets its old text: the old graph is dropped, then made again."""
    store = tmp_path / "store"
    run([corpus], store, extractor)
    (corpus / "zz-old.txt").write_text(ACME, encoding="utf-8")
    (corpus / "acme.txt").write_text(ACME.replace("Phase 2", "Phase 3"), encoding="utf-8")
    summary, errors = run([corpus], store, extractor)
    assert errors == [] and (summary.ingested, summary.unchanged) == (2, 1)
    with EmbeddedStore(store) as s:
        assert len(s.graphs()) == 3
        assert len({r.iri for r in s.find_documents()}) == 3
    assert quads(store) >= expected_graph(extractor, corpus / "zz-old.txt")


@model
def test_same_file_named_twice_is_read_once(corpus, tmp_path, extractor):
    spy = Spy(extractor)
    summary, _ = run([corpus, corpus / "acme.txt"], tmp_path / "store", spy)
    assert sorted(spy.calls) == ["acme.txt", "borealis.txt"]
    assert summary.ingested == 2


@model
def test_bad_files_are_reported_and_the_others_ingested(write_files, tmp_path, extractor):
    store = tmp_path / "store"
    first = write_files({"html/corvid.html": CORVID}, folder="earlier")
    run([first], store, extractor)
    kept = quads(store)
    folder = write_files({"good.txt": ACME, "empty.txt": "", "blank.txt": " \n\n  \n",
                          "binary.bin": bytes(range(256)) * 4, "latin1.txt": "Caf\u00e9 trial".encode("latin-1")})
    missing = folder / "missing.txt"
    summary, errors = run([folder, missing], store, extractor)
    assert summary.ingested == 1 and summary.failed == 5
    assert sorted(errors) == sorted([
        f"kg: skipped {folder / 'binary.bin'}: binary file, not text (contains NUL bytes)",
        f"kg: skipped {folder / 'blank.txt'}: empty file",
        f"kg: skipped {folder / 'empty.txt'}: empty file",
        f"kg: skipped {folder / 'latin1.txt'}: not valid UTF-8 (byte 0xe9 at offset 3); convert it to UTF-8",
        f"kg: skipped {missing}: no such file"])
    assert kept < quads(store)                   # what was stored before is all still there
    assert len(graphs(store)) == 2


@model
def test_cli_ingest_reports_bad_files_and_exits_1(write_files, tmp_path, extractor, monkeypatch, capsys):
    monkeypatch.setattr("kg.pipeline.Extractor", lambda *a, **k: extractor)
    folder = write_files({"good.txt": BOREALIS, "empty.txt": ""})
    store = tmp_path / "store"
    assert main(["ingest", str(folder), "--store", str(store), "-q"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"kg: skipped {folder / 'empty.txt'}: empty file"
    assert err[-1].startswith(f"ingested 1 document(s), 1 skipped (errors) into {store} in ")
    (folder / "empty.txt").unlink()
    assert main(["ingest", str(folder), "--store", str(store), "-q"]) == 0
    assert capsys.readouterr().err.startswith(f"ingested 0 document(s), 1 unchanged into {store}")
    # --force extracts the unchanged file again; --prune forgets a deleted one
    assert main(["ingest", str(folder), "--store", str(store), "-q", "--force"]) == 0
    assert capsys.readouterr().err.startswith(f"ingested 1 document(s) into {store}")
    (folder / "good.txt").unlink()
    assert main(["ingest", str(folder), "--store", str(store), "-q", "--prune"]) == 0
    assert capsys.readouterr().err.startswith(f"ingested 0 document(s), 1 forgotten (files gone) into {store}")
    assert graphs(store) == []


@model
def test_failed_write_leaves_the_previous_state(corpus, tmp_path, extractor, monkeypatch):
    store = tmp_path / "store"
    run([corpus], store, extractor)
    before = quads(store)
    (corpus / "acme.txt").write_text(ACME.replace("40 patients", "60 patients"), encoding="utf-8")
    (corpus / "corvid.html").write_text(CORVID, encoding="utf-8")
    real = EmbeddedStore._update

    def crash(self, text):     # the real writes, then an operation that fails inside the same update
        return real(self, text + " ;\nDROP GRAPH <https://example.org/no-such-graph>")

    monkeypatch.setattr(EmbeddedStore, "_update", crash)
    with pytest.raises(StoreError, match="write failed, nothing written"):
        run([corpus], store, extractor)
    assert quads(store) == before
    monkeypatch.setattr(EmbeddedStore, "_update", real)
    summary, _ = run([corpus], store, extractor)
    assert (summary.ingested, summary.unchanged) == (2, 1)
    assert len(graphs(store)) == 3


@model
def test_interrupt_keeps_the_documents_already_extracted(corpus, tmp_path, extractor):
    store = tmp_path / "store"
    spy = Spy(extractor, fail_on="borealis.txt", error=KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        run([corpus], store, spy)
    assert quads(store) == expected_graph(extractor, corpus / "acme.txt")
    summary, _ = run([corpus], store, extractor)
    assert (summary.ingested, summary.unchanged) == (1, 1)


@model
def test_extraction_error_skips_only_that_document(corpus, tmp_path, extractor):
    spy = Spy(extractor, fail_on="acme.txt", error=RuntimeError("boom"))
    summary, errors = run([corpus], tmp_path / "store", spy)
    assert errors == [f"kg: skipped {corpus / 'acme.txt'}: extraction failed (RuntimeError: boom)"]
    assert (summary.ingested, summary.failed) == (1, 1)
    assert len(graphs(tmp_path / "store")) == 1


@model
def test_worker_processes_build_the_same_graphs(corpus, tmp_path, extractor):
    (corpus / "corvid.html").write_text(CORVID, encoding="utf-8")
    serial, _ = run([corpus], tmp_path / "serial", extractor)
    parallel, errors = run([corpus], tmp_path / "parallel", None, jobs=2)
    assert errors == [] and serial.ingested == parallel.ingested == 3
    assert quads(tmp_path / "parallel") == quads(tmp_path / "serial")


RENAMED = {      # one drug under two codes: a release that names both joins the two others
    "a.txt": "LORUS STARTS TRIAL\n\nTORONTO, May 4, 2004 -- Lorus Therapeutics Inc. (TSX: LOR) today "
             "announced that the first patient has been dosed in a Phase 2 clinical trial of GTI-2040 in "
             "patients with renal cell cancer.\n",
    "b.txt": "LORUS PRESENTS DATA\n\nTORONTO, June 1, 2009 -- Lorus Therapeutics Inc. (TSX: LOR) today "
             "announced new data for LOR-2040 (formerly GTI-2040), an antisense drug that targets the R2 "
             "component of ribonucleotide reductase, in patients with acute myeloid leukemia.\n",
    "c.txt": "LORUS STARTS STUDY\n\nTORONTO, March 2, 2010 -- Lorus Therapeutics Inc. (TSX: LOR) today "
             "announced that the first patient has been dosed in a Phase 1 clinical trial of LOR-2040 in "
             "patients with prostate cancer.\n",
}


@model
def test_a_renamed_drug_is_one_node_in_any_order_and_with_two_workers(write_files, tmp_path, extractor):
    folder = write_files(RENAMED)
    files = {name: folder / name for name in RENAMED}
    run([files["a.txt"], files["b.txt"], files["c.txt"]], tmp_path / "abc", extractor)
    run([files["c.txt"], files["a.txt"]], tmp_path / "late", extractor)         # apart until b joins them
    run([files["b.txt"]], tmp_path / "late", extractor)
    run([files["c.txt"], files["b.txt"], files["a.txt"]], tmp_path / "jobs2", None, jobs=2)
    clean = quads(tmp_path / "abc")
    assert quads(tmp_path / "late") == clean == quads(tmp_path / "jobs2")
    drugs = {q.split()[0] for q in clean if "> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/cpkg/Drug>" in q}
    assert drugs == {"<https://w3id.org/cpkg/id/drug/gti-2040>"}
    (folder / "b.txt").unlink()                   # the release that joined them is gone: they are two again
    run([folder], tmp_path / "late", extractor, prune=True)
    run([files["a.txt"], files["c.txt"]], tmp_path / "ac", extractor)
    assert quads(tmp_path / "late") == quads(tmp_path / "ac")
