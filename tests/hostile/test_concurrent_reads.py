"""Reading while another process writes: ``kg query`` and the endpoint see consistent snapshots, never errors.

A writer process replaces document graphs in a loop and moves its memory
tables to disk often (so RocksDB compacts and deletes data files all the
time) while a reader process runs queries in a loop and ten clients query
``kg serve``. Every answer must be a whole, well-formed result.
"""
from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

import pytest
import requests

from kg.server import SparqlServer
from kg.store import EmbeddedStore

pytestmark = pytest.mark.slow

WRITER = textwrap.dedent("""
    import sys, time
    from rdflib import Literal, URIRef
    from rdflib.namespace import RDF, RDFS
    from kg.rdf.iris import document_iri
    from kg.store import EmbeddedStore

    path, seconds = sys.argv[1], float(sys.argv[2])
    CP = "https://w3id.org/cpkg/"
    end, i = time.monotonic() + seconds, 0
    with EmbeddedStore(path) as s:
        with s.batch(8):
            while time.monotonic() < end:
                doc = document_iri(f"doc{i % 40:016d}")
                triples = [(URIRef(f"{CP}id/drug/d{i % 40}-{k}"), RDF.type, URIRef(CP + "Drug")) for k in range(30)]
                triples += [(URIRef(f"{CP}id/drug/d{i % 40}-{k}"), RDFS.label, Literal(f"drug {i} {k}"))
                            for k in range(30)]
                s.replace_document(doc, triples, source=f"/docs/{i % 40}.txt", content_hash=f"h{i}")
                i += 1
                if i % 16 == 0:
                    s.flush()
                    s.oxigraph.flush()      # memory tables to disk: new files, compactions, deletions
    print(i)
""")

READER = textwrap.dedent("""
    import sys, time
    from kg.errors import KGError
    from kg.query import run_query

    path, seconds = sys.argv[1], float(sys.argv[2])
    end, runs, errors = time.monotonic() + seconds, 0, []
    while time.monotonic() < end:
        try:
            r = run_query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s "
                          "<http://www.w3.org/2000/01/rdf-schema#label> ?o } }", store=path)
            n = int(r.rows[0][0].value)
            if n % 30:                      # every document graph labels 30 drugs: a torn read shows here
                errors.append(f"partial count {n}")
        except KGError as e:
            errors.append(str(e))
        runs += 1
    print(runs, len(errors))
    for e in errors[:5]:
        print(e)
""")

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?o } }"


def test_readers_see_whole_snapshots_while_a_writer_compacts(tmp_path):
    path = tmp_path / "store"
    EmbeddedStore(path).close()
    seconds = 12.0
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(seconds)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    reader = subprocess.Popen([sys.executable, "-c", READER, str(path), str(seconds)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    failures: list[str] = []
    answered = [0]
    with SparqlServer(store=path, port=0, workers=2, timeout=30) as srv:
        srv.start()
        url = srv.url + "/sparql"
        stop = time.monotonic() + seconds

        def client():
            with requests.Session() as session:
                while time.monotonic() < stop:
                    r = session.get(url, params={"query": COUNT, "format": "csv"}, timeout=60)
                    n = r.text.splitlines()[-1] if r.status_code == 200 else ""
                    if r.status_code != 200 or not n.isdigit() or int(n) % 30:
                        failures.append(f"{r.status_code}: {r.text[:200]}")
                    answered[0] += 1

        clients = [threading.Thread(target=client) for _ in range(10)]
        for t in clients:
            t.start()
        for t in clients:
            t.join(120)
    w_out, w_err = writer.communicate(timeout=120)
    r_out, r_err = reader.communicate(timeout=120)
    assert writer.returncode == 0, w_err
    assert int(w_out.split()[0]) > 100, "the writer wrote too little to test anything"
    assert reader.returncode == 0, r_err
    runs, errors = map(int, r_out.split("\n", 1)[0].split())
    assert runs > 20 and errors == 0, r_out
    assert answered[0] > 50 and failures == [], failures[:5]
