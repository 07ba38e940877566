"""The store contract, run against every backend (pyoxigraph's abstract test class pattern).

:class:`StoreContract` holds the behaviour every :class:`kg.store.Store` must
have; each ``Test...`` subclass only says how to make an empty store:
on disk, in memory, and an ``oxigraph serve`` process reached over HTTP (the
SPARQL 1.1 Protocol + Update backend), skipped when that binary is missing.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rdflib import RDF, Dataset, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS

from kg.errors import QueryError, StoreError
from kg.rdf.namespace import CP, DOC, ID
from kg.store import EmbeddedStore, RemoteStore, Store, ntriples, open_store, update_url_for

EX = Namespace("https://example.org/")
TRICKY = 'He said "no" \\ then\nleft\ttab \u00e9\u00e8 \U0001d11e } ; DROP ALL ; # <x>'


def doc_triples(doc_id: str, source: str, content_hash: str, facts=()):
    """A document graph as the builder makes it: the document node plus ``facts``."""
    d = DOC[doc_id]
    triples = [(d, RDF.type, CP.Document), (d, DCTERMS.source, Literal(source)),
               (d, CP.contentHash, Literal(content_hash))]
    triples += [tuple(f) for f in facts]
    return d, triples


def graph_triples(store: Store, iri) -> set[tuple[str, str, str]]:
    import pyoxigraph as ox

    g = ox.NamedNode(str(iri))
    return {(str(q.subject), str(q.predicate), str(q.object)) for q in store._match(None, None, None, g)}


def drug(name):
    return ID[f"drug/{name}"]


class StoreContract:
    """What every backend does. Subclasses provide the ``store`` fixture (an empty store)."""

    @pytest.fixture
    def store(self):
        raise NotImplementedError

    # -- documents ----------------------------------------------------------

    def test_new_store_is_empty(self, store):
        assert len(store) == 0
        assert store.graphs() == []
        assert store.find_documents() == []

    def test_replace_document_writes_one_named_graph(self, store):
        d, t = doc_triples("a1", "/data/a.txt", "h1", [(drug("x"), CP.targets, ID["target/y"])])
        store.replace_document(d, t, source="/data/a.txt", content_hash="h1")
        assert store.graphs() == [str(d)]
        assert len(store) == 4
        [rec] = store.find_documents()
        assert (rec.iri, rec.source, rec.content_hash) == (str(d), "/data/a.txt", "h1")

    def test_replacing_twice_changes_nothing(self, store):
        d, t = doc_triples("a1", "a.txt", "h1", [(drug("x"), CP.targets, ID["target/y"])])
        store.replace_document(d, t, source="a.txt", content_hash="h1")
        before = graph_triples(store, d)
        store.replace_document(d, t, source="a.txt", content_hash="h1")
        assert graph_triples(store, d) == before
        assert len(store.graphs()) == 1

    def test_changed_content_replaces_the_sources_old_graph(self, store):
        old, t1 = doc_triples("v1", "a.txt", "h1", [(drug("x"), CP.targets, ID["target/old"])])
        new, t2 = doc_triples("v2", "a.txt", "h2", [(drug("x"), CP.targets, ID["target/new"])])
        other, t3 = doc_triples("b", "b.txt", "hb")
        store.replace_document(old, t1, source="a.txt", content_hash="h1")
        store.replace_document(other, t3, source="b.txt", content_hash="hb")
        store.replace_document(new, t2, source="a.txt", content_hash="h2")
        assert store.graphs() == sorted([str(new), str(other)])
        assert [r.iri for r in store.find_documents(source="a.txt")] == [str(new)]
        res = store.query("SELECT ?t WHERE { ?d <https://w3id.org/cpkg/targets> ?t }")
        assert res.values("t") == [str(ID["target/new"])]

    def test_same_content_under_two_sources_is_one_graph(self, store):
        d, t = doc_triples("same", "a.txt", "h")
        store.replace_document(d, t, source="a.txt", content_hash="h")
        store.add_source(d, "copy/a.txt")
        assert store.graphs() == [str(d)]
        assert {r.source for r in store.find_documents(content_hash="h")} == {"a.txt", "copy/a.txt"}
        # re-extracting one of them keeps the other source on the graph
        _, t_again = doc_triples("same", "copy/a.txt", "h")
        store.replace_document(d, t_again, source="copy/a.txt", content_hash="h")
        assert {r.source for r in store.find_documents()} == {"a.txt", "copy/a.txt"}

    def test_source_moving_off_a_shared_graph_keeps_the_graph_for_the_other(self, store):
        d, t = doc_triples("same", "a.txt", "h")
        store.replace_document(d, t, source="a.txt", content_hash="h")
        store.add_source(d, "b.txt")
        d2, t2 = doc_triples("b-new", "b.txt", "h2")
        store.replace_document(d2, t2, source="b.txt", content_hash="h2")
        assert store.graphs() == sorted([str(d), str(d2)])
        assert [r.source for r in store.find_documents(content_hash="h")] == ["a.txt"]

    def test_remove_source_drops_a_graph_left_without_source(self, store):
        d, t = doc_triples("a1", "a.txt", "h1")
        store.replace_document(d, t, source="a.txt", content_hash="h1")
        store.remove_source("a.txt")
        assert store.graphs() == []
        assert len(store) == 0

    def test_add_source_of_unknown_document_is_an_error(self, store):
        with pytest.raises(StoreError, match="no document"):
            store.add_source(DOC["missing"], "a.txt")

    def test_find_documents_by_source_and_hash(self, store):
        for i in range(3):
            d, t = doc_triples(f"d{i}", f"s{i}.txt", f"h{i}")
            store.replace_document(d, t, source=f"s{i}.txt", content_hash=f"h{i}")
        assert [r.iri for r in store.find_documents(source="s1.txt")] == [str(DOC["d1"])]
        assert [r.source for r in store.find_documents(content_hash="h2")] == ["s2.txt"]
        assert store.find_documents(source="s1.txt", content_hash="h2") == []
        assert store.find_documents(source="nope") == []

    def test_literals_survive_exactly(self, store):
        d, t = doc_triples("lit", TRICKY, "h", [(drug("x"), CP.evidenceText, Literal(TRICKY)),
                                                 (drug("x"), EX.lang, Literal("chat", lang="fr")),
                                                 (drug("x"), CP.confidence, Literal("0.75", datatype=URIRef(
                                                     "http://www.w3.org/2001/XMLSchema#decimal")))])
        store.replace_document(d, t, source=TRICKY, content_hash="h")
        res = store.query("SELECT ?e ?l ?c WHERE { ?x <https://w3id.org/cpkg/evidenceText> ?e ; "
                          "<https://example.org/lang> ?l ; <https://w3id.org/cpkg/confidence> ?c }")
        [(e, l, c)] = res.rows
        assert e.value == TRICKY
        assert (l.value, l.language) == ("chat", "fr")
        assert c.datatype.value.endswith("#decimal")
        assert [r.source for r in store.find_documents(source=TRICKY)] == [TRICKY]

    def test_invalid_iri_is_refused_and_nothing_written(self, store):
        d, t = doc_triples("ok", "a.txt", "h")
        store.replace_document(d, t, source="a.txt", content_hash="h")
        bad = t + [(drug("x"), URIRef("https://example.org/has space"), Literal("v"))]
        with pytest.raises(StoreError, match="cannot store"):
            store.replace_document(DOC["bad"], bad, source="b.txt", content_hash="h2")
        assert store.graphs() == [str(d)]

    def test_ntriples_text_is_accepted(self, store):
        d, t = doc_triples("nt", "a.txt", "h", [(drug("x"), CP.targets, ID["target/y"])])
        store.replace_document(d, ntriples(t), source="a.txt", content_hash="h")
        assert len(graph_triples(store, d)) == 4

    # -- atomicity and batches ----------------------------------------------

    def test_failed_update_writes_nothing(self, store):
        d, t = doc_triples("a1", "a.txt", "h1", [(drug("x"), CP.targets, ID["target/y"])])
        store.replace_document(d, t, source="a.txt", content_hash="h1")
        before = graph_triples(store, d)
        # the real replacement, then an operation that fails when executed
        d2, t2 = doc_triples("a2", "a.txt", "h2")
        real = store._update
        store._update = lambda text: real(text + " ;\nDROP GRAPH <https://example.org/no-such-graph>")
        with pytest.raises(StoreError):
            store.replace_document(d2, t2, source="a.txt", content_hash="h2")
        store._update = real
        assert store.graphs() == [str(d)]
        assert graph_triples(store, d) == before

    def test_batch_writes_once_per_batch(self, store):
        calls = []
        real = store._update
        store._update = lambda text: (calls.append(text), real(text))
        with store.batch(size=3):
            for i in range(7):
                d, t = doc_triples(f"d{i}", f"s{i}", f"h{i}")
                store.replace_document(d, t, source=f"s{i}", content_hash=f"h{i}")
            assert len(calls) == 2            # two full batches; the seventh is pending
        assert len(calls) == 3
        assert len(store.graphs()) == 7

    def test_batch_flushes_before_touching_a_pending_document(self, store):
        with store.batch(size=10):
            d1, t1 = doc_triples("v1", "a.txt", "h1")
            store.replace_document(d1, t1, source="a.txt", content_hash="h1")
            d2, t2 = doc_triples("v2", "a.txt", "h2")    # same source: must see v1 stored first
            store.replace_document(d2, t2, source="a.txt", content_hash="h2")
        assert store.graphs() == [str(d2)]

    def test_batch_pending_work_is_written_when_the_block_fails(self, store):
        d, t = doc_triples("a1", "a.txt", "h1")
        with pytest.raises(KeyboardInterrupt):
            with store.batch(size=10):
                store.replace_document(d, t, source="a.txt", content_hash="h1")
                raise KeyboardInterrupt
        assert store.graphs() == [str(d)]

    # -- queries ------------------------------------------------------------

    def test_default_graph_is_the_union_of_document_graphs(self, store):
        for i, target in enumerate(["t1", "t2"]):
            d, t = doc_triples(f"d{i}", f"s{i}", f"h{i}", [(drug("x"), CP.targets, ID[f"target/{target}"])])
            store.replace_document(d, t, source=f"s{i}", content_hash=f"h{i}")
        res = store.query("SELECT DISTINCT ?t WHERE { ?d <https://w3id.org/cpkg/targets> ?t } ORDER BY ?t")
        assert res.values("t") == [str(ID["target/t1"]), str(ID["target/t2"])]

    def test_bindings_narrow_the_result_and_cannot_inject(self, store):
        d, t = doc_triples("d", "s", "h", [(drug("x"), EX.name, Literal("X")), (drug("y"), EX.name, Literal("Y"))])
        store.replace_document(d, t, source="s", content_hash="h")
        q = "SELECT ?d WHERE { ?d <https://example.org/name> ?name }"
        assert store.query(q, {"name": "Y"}).values("d") == [str(drug("y"))]
        assert store.query(q, {"?name": Literal("X")}).values("d") == [str(drug("x"))]
        assert store.query(q, {"name": TRICKY}).rows == []
        assert len(store) == 5

    def test_ask_and_construct(self, store):
        d, t = doc_triples("d", "s", "h", [(drug("x"), CP.targets, ID["target/y"])])
        store.replace_document(d, t, source="s", content_hash="h")
        ask = store.query("ASK { ?d <https://w3id.org/cpkg/targets> ?t }")
        assert (ask.kind, ask.boolean) == ("boolean", True)
        g = store.query("CONSTRUCT { ?t <https://example.org/targetOf> ?d } WHERE { ?d <https://w3id.org/cpkg/targets> ?t }")
        assert g.kind == "graph"
        assert [(t.subject.value, t.object.value) for t in g.triples] == [(str(ID["target/y"]), str(drug("x")))]

    def test_malformed_query_is_a_query_error(self, store):
        with pytest.raises(QueryError) as e:
            store.query("SELEC ?x WHERE { ?x ?p ?o }")
        assert "\n" not in str(e.value)

    # -- dump ---------------------------------------------------------------

    @pytest.mark.parametrize("fmt,rdflib_fmt", [("trig", "trig"), ("nquads", "nquads")])
    def test_dump_round_trips(self, store, fmt, rdflib_fmt, tmp_path):
        for i in range(2):
            d, t = doc_triples(f"d{i}", TRICKY + str(i), f"h{i}", [(drug("x"), CP.evidenceText, Literal(TRICKY))])
            store.replace_document(d, t, source=TRICKY + str(i), content_hash=f"h{i}")
        data = store.dump(format=fmt)
        ds = Dataset()
        ds.parse(data=data.decode("utf-8"), format=rdflib_fmt)
        quads = {(s, p, o, g.identifier if hasattr(g, "identifier") else g) for s, p, o, g in ds.quads()}
        assert len(quads) == len(store) == 8
        assert {str(g) for *_, g in quads} == set(store.graphs())
        out = tmp_path / f"dump.{fmt}"
        assert store.dump(str(out), format=fmt) is None
        assert out.read_bytes() == data

    def test_trig_dump_names_entities_by_kind_without_escapes(self, store):
        d, t = doc_triples("d0", "a.txt", "h0", [(drug("zoratinib"), CP.targets, ID["target/kdr"])])
        store.replace_document(d, t, source="a.txt", content_hash="h0")
        text = store.dump(format="trig").decode("utf-8")
        assert "cpdrug:zoratinib cp:targets cptarget:kdr" in text
        assert "\\" not in text                     # no name needed an escape ("cpid:drug\/zoratinib" before)
        ds = Dataset()
        ds.parse(data=text, format="trig")
        assert (drug("zoratinib"), CP.targets, ID["target/kdr"]) in ds.graph(d)

    def test_unknown_dump_format(self, store):
        with pytest.raises(StoreError, match="unknown dump format"):
            store.dump(format="gexf")


class MergedDefaultGraph:
    """The embedded backends keep the default graph as the RDF merge of the document graphs."""

    SHARED = (drug("x"), CP.targets, ID["target/y"])
    COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s <https://w3id.org/cpkg/targets> ?o }"

    @staticmethod
    def default_graph(store) -> set:
        import pyoxigraph as ox

        return {(str(q.subject), str(q.predicate), str(q.object))
                for q in store.oxigraph.quads_for_pattern(None, None, None, ox.DefaultGraph())}

    @staticmethod
    def merge(store) -> set:
        return {(str(q.subject), str(q.predicate), str(q.object)) for q in store._match()}

    def test_a_triple_stated_by_two_documents_counts_once(self, store):
        for i in range(2):
            d, t = doc_triples(f"d{i}", f"s{i}", f"h{i}", [self.SHARED])
            store.replace_document(d, t, source=f"s{i}", content_hash=f"h{i}")
        assert store.query(self.COUNT).values("n") == ["1"]
        assert len(store) == 8                      # the document graphs, each with its copy

    def test_the_merge_follows_replacement_and_removal(self, store):
        for i in range(2):
            d, t = doc_triples(f"d{i}", f"s{i}", f"h{i}", [self.SHARED])
            store.replace_document(d, t, source=f"s{i}", content_hash=f"h{i}")
        # s0 now says something else: the shared triple stays, d1 still states it
        d, t = doc_triples("d0b", "s0", "h0b", [(drug("x"), CP.targets, ID["target/z"])])
        store.replace_document(d, t, source="s0", content_hash="h0b")
        assert self.default_graph(store) == self.merge(store)
        assert store.query(self.COUNT).values("n") == ["2"]
        store.remove_source("s1")                   # the last document stating it goes
        assert self.default_graph(store) == self.merge(store)
        assert store.query(self.COUNT).values("n") == ["1"]
        store.add_source(str(DOC["d0b"]), "s2")     # a second path to the same content
        store.remove_source("s0")
        assert self.default_graph(store) == self.merge(store)
        assert store.query("SELECT ?s WHERE { ?d <http://purl.org/dc/terms/source> ?s }").values("s") == ["s2"]

    def test_the_merge_follows_a_batch(self, store):
        with store.batch(3):
            for i in range(5):
                d, t = doc_triples(f"d{i}", f"s{i % 2}", f"h{i}", [self.SHARED, (drug(f"x{i}"), CP.targets, ID["target/y"])])
                store.replace_document(d, t, source=f"s{i % 2}", content_hash=f"h{i}")
        assert store.graphs() == [str(DOC["d3"]), str(DOC["d4"])]
        assert self.default_graph(store) == self.merge(store)

    def test_dump_holds_the_document_graphs_only(self, store):
        d, t = doc_triples("d", "s", "h", [self.SHARED])
        store.replace_document(d, t, source="s", content_hash="h")
        assert all(line.rstrip().endswith(f"<{d}> .") for line in store.dump(format="nquads").decode().splitlines())


# ---------------------------------------------------------------------------
# backends
# ---------------------------------------------------------------------------

class TestEmbeddedStore(StoreContract, MergedDefaultGraph):
    @pytest.fixture
    def store(self, tmp_path):
        s = EmbeddedStore(tmp_path / "store")
        yield s
        s.close()

    def test_persists_across_reopening(self, tmp_path):
        path = tmp_path / "store"
        with EmbeddedStore(path) as s:
            d, t = doc_triples("a", "a.txt", "h")
            s.replace_document(d, t, source="a.txt", content_hash="h")
        with EmbeddedStore(path) as s:
            assert [r.source for r in s.find_documents()] == ["a.txt"]

    def test_folder_locked_by_another_process(self, tmp_path):
        path = tmp_path / "store"
        EmbeddedStore(path).close()
        holder = subprocess.Popen(
            [sys.executable, "-c", "import sys, pyoxigraph; s = pyoxigraph.Store(sys.argv[1]); "
             "print('ready', flush=True); sys.stdin.read()", str(path)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert holder.stdout.readline().strip() == "ready"
            with pytest.raises(StoreError, match="in use by another process") as e:
                EmbeddedStore(path)
            assert "\n" not in str(e.value)
            # queries still work, on a read-only snapshot
            with open_store(path, read_only=True) as s:
                assert s.read_only and len(s) == 0
        finally:
            holder.stdin.close()
            holder.wait(timeout=30)

    def test_read_only_open_of_missing_store_is_an_error(self, tmp_path):
        with pytest.raises(StoreError, match="no store here"):
            open_store(tmp_path / "nothing", read_only=True)
        assert not (tmp_path / "nothing").exists()

    def test_refuses_a_folder_holding_other_files(self, tmp_path):
        (tmp_path / "notes.txt").write_text("mine")
        with pytest.raises(StoreError, match="not empty"):
            EmbeddedStore(tmp_path)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]

    def test_refuses_a_file(self, tmp_path):
        f = tmp_path / "f"
        f.write_text("x")
        with pytest.raises(StoreError, match="is a file"):
            EmbeddedStore(f)

    def test_read_only_store_refuses_writes(self, tmp_path):
        path = tmp_path / "store"
        EmbeddedStore(path).close()
        with EmbeddedStore(path, read_only=True) as s:
            d, t = doc_triples("a", "a.txt", "h")
            with pytest.raises(StoreError, match="read-only"):
                s.replace_document(d, t, source="a.txt", content_hash="h")

    def test_a_store_without_the_merged_graph_gets_it_when_opened_for_writing(self, tmp_path):
        import pyoxigraph as ox

        path = tmp_path / "store"
        raw = ox.Store(str(path))                   # as an earlier version wrote it: document graphs only
        for i in range(2):
            g = ox.NamedNode(str(DOC[f"d{i}"]))
            raw.add(ox.Quad(*(ox.NamedNode(str(x)) for x in MergedDefaultGraph.SHARED), g))
            raw.add(ox.Quad(g, ox.NamedNode(str(DCTERMS.source)), ox.Literal(f"s{i}"), g))
        raw.flush()
        del raw
        with EmbeddedStore(path, read_only=True) as s:      # read-only: pyoxigraph's union option
            assert s.query("SELECT DISTINCT ?o WHERE { ?s <https://w3id.org/cpkg/targets> ?o }").values("o") == [
                str(ID["target/y"])]
            assert MergedDefaultGraph.default_graph(s) == set()
        with EmbeddedStore(path) as s:
            assert MergedDefaultGraph.default_graph(s) == MergedDefaultGraph.merge(s)
            assert s.query(MergedDefaultGraph.COUNT).values("n") == ["1"]
            assert len(s) == 4

    def test_default_location_from_environment(self, tmp_path, monkeypatch):
        monkeypatch.setenv("KG_STORE", str(tmp_path / "env-store"))
        with open_store() as s:
            assert s.location == str(tmp_path / "env-store")
        assert (tmp_path / "env-store" / "CURRENT").is_file()


class TestMemoryStore(StoreContract, MergedDefaultGraph):
    @pytest.fixture
    def store(self):
        s = EmbeddedStore()
        yield s
        s.close()


def _oxigraph_binary() -> str | None:
    here = Path(sys.executable).parent / "oxigraph"
    return str(here) if here.is_file() else shutil.which("oxigraph")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def oxigraph_server(tmp_path_factory):
    """``oxigraph serve`` (from the ``oxigraph`` PyPI package) on a free local port."""
    binary = _oxigraph_binary()
    if binary is None:
        pytest.skip("the oxigraph server binary is not installed (pip install oxigraph)")
    import requests

    port = _free_port()
    log = tmp_path_factory.mktemp("oxigraph") / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([binary, "serve", "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
                                stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                requests.get(url + "/query", params={"query": "ASK {}"}, timeout=1)
                break
            except requests.ConnectionError:
                if proc.poll() is not None:
                    pytest.skip(f"oxigraph serve exited: {log.read_text()[-300:]}")
                time.sleep(0.1)
        else:
            pytest.skip("oxigraph serve did not start in 10 s")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class TestRemoteStore(StoreContract):
    @pytest.fixture
    def store(self, oxigraph_server):
        s = RemoteStore(oxigraph_server + "/query")
        s._update("DROP SILENT ALL")
        yield s
        s.close()

    def test_update_url_follows_the_query_url(self):
        assert update_url_for("http://h/query") == "http://h/update"
        assert update_url_for("http://h/ds/sparql") == "http://h/ds/update"
        assert update_url_for("http://h/repositories/kg") == "http://h/repositories/kg"


class TestRemoteStoreWithoutServer:
    def test_unreachable_endpoint_is_a_store_error(self):
        port = _free_port()                      # nothing listens there
        s = RemoteStore(f"http://127.0.0.1:{port}/query", timeout=2)
        with pytest.raises(StoreError, match=r"cannot reach SPARQL endpoint .* \(connection refused\)"):
            s.query("ASK {}")

    def test_not_a_url(self):
        with pytest.raises(StoreError, match="not an http"):
            RemoteStore("kg-store")

    def test_credentials_from_environment(self, monkeypatch):
        monkeypatch.setenv("KG_ENDPOINT_USER", "ann")
        monkeypatch.setenv("KG_ENDPOINT_PASSWORD", "s3cret")
        monkeypatch.delenv("KG_ENDPOINT_TOKEN", raising=False)
        s = RemoteStore("http://127.0.0.1:1/query")
        assert s._session.auth == ("ann", "s3cret")
        monkeypatch.setenv("KG_ENDPOINT_TOKEN", "tok")
        s = RemoteStore("http://127.0.0.1:1/query")
        assert s._session.headers["Authorization"] == "Bearer tok"

    def test_update_endpoint_from_environment(self, monkeypatch):
        monkeypatch.setenv("KG_ENDPOINT_UPDATE", "http://elsewhere/update")
        assert RemoteStore("http://h/query").update_endpoint == "http://elsewhere/update"
