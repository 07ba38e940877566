"""``kg ingest --dask``: extraction on a Dask cluster gives the same store as a local run.

The cluster is a ``distributed.LocalCluster`` in this process (one worker,
one thread, no extra processes), kept light for small machines.
"""
from __future__ import annotations

import pytest
from procs import store_quads

from kg.ingest import ingest

distributed = pytest.importorskip("distributed")
model = pytest.mark.model

ACME = """ACME BIOTHERAPEUTICS STARTS PHASE 2 TRIAL OF ZORATINIB IN LUNG CANCER

BOSTON, March 5, 2024 -- Acme Biotherapeutics Inc. (NASDAQ: ACMB) today announced
that the first patient has been dosed in a Phase 2 clinical trial of zoratinib in
combination with docetaxel in patients with non-small cell lung cancer. Zoratinib
is a small molecule that inhibits KDR.
"""
BOREALIS = """BOREALIS PHARMA DOSES FIRST PATIENT IN PHASE 1/2 STUDY OF BX-17

OSLO, January 20, 2025 -- Borealis Pharma ASA (OSE: BORP) today announced that the
first patient has been dosed in a Phase 1/2 study of BX-17, a BCL-2 inhibitor, in
patients with acute myeloid leukemia. The study is sponsored by the National Cancer Institute.
"""
CORVID = """<html><head><title>Corvid Therapeutics completes Phase 3 enrollment</title></head>
<body><p>SAN DIEGO, June 2, 2023 -- Corvid Therapeutics, Inc. (NASDAQ: CRVD) today announced
that enrollment is complete in its Phase 3 trial of corvastat in patients with
idiopathic pulmonary fibrosis.</p></body></html>
"""
HARBOUR = """Harbour Bistro Opens a Second Location

PORTLAND, Maine, July 9, 2024 -- Harbour Bistro will open its second restaurant in August.
"""


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                       dashboard_address=None, silence_logs=50)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


@model
def test_dask_ingest_gives_the_same_store_as_a_local_one(write_files, tmp_path, extractor, client):
    folder = write_files({"acme.txt": ACME, "borealis.txt": BOREALIS, "corvid.html": CORVID,
                          "harbour.txt": HARBOUR})
    errors: list[str] = []
    local = ingest([str(folder)], store=str(tmp_path / "local"), quiet=True, extractor=extractor,
                   on_error=errors.append)
    remote = ingest([str(folder)], store=str(tmp_path / "dask"), quiet=True, dask=client,
                    task_size=2, on_error=errors.append)
    assert errors == []
    assert (remote.ingested, remote.screened) == (local.ingested, local.screened) == (4, 1)
    assert store_quads(tmp_path / "dask") == store_quads(tmp_path / "local")
    # each worker built its pipeline once, and kept it
    from kg.dask import ATTR

    assert client.run(lambda dask_worker: hasattr(dask_worker, ATTR)) == {
        addr: True for addr in client.scheduler_info()["workers"]}


@model
def test_dask_reingest_is_a_no_op(write_files, tmp_path, client):
    folder = write_files({"acme.txt": ACME})
    ingest([str(folder)], store=str(tmp_path / "s"), quiet=True, dask=client)
    before = store_quads(tmp_path / "s")
    again = ingest([str(folder)], store=str(tmp_path / "s"), quiet=True, dask=client)
    assert (again.ingested, again.unchanged) == (0, 1)
    assert store_quads(tmp_path / "s") == before
