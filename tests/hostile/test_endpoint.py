"""``kg serve`` against clients that do not play nice: runaway queries, greedy CORS preflights, odd literals.

Servers here are real :class:`kg.server.SparqlServer` instances on a free
127.0.0.1 port, over a store folder written directly through
:class:`kg.store.EmbeddedStore` (no NLP model): a few thousand filler
triples, enough for a three-way cross join to run for minutes, and
literals holding characters XML 1.0 cannot carry.
"""
from __future__ import annotations

import csv
import io
import logging
import threading
import time
from types import SimpleNamespace

import pyoxigraph as ox
import pytest
import requests
from lxml import etree
from rdflib import Graph, Literal, URIRef

from kg.rdf.iris import document_iri
from kg.server import GENERAL, SHORT, Scheduler, SparqlServer
from kg.store import EmbeddedStore

EX = "https://example.org/"
FILLER = 3000
# a cross join of every triple three times over: 2.7e10 solutions to count, far past any timeout used here
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
SIMPLE = f"ASK {{ <{EX}s1> <{EX}p> ?o }}"
ODD = f"<{EX}odd>"
#: literals with characters XML 1.0 cannot hold (NUL, SOH, ESC, U+FFFE), and a CR it reads as a line feed
ODD_VALUES = ["\x00", "\x01", "\x1b", "\ufffe", "a\x00b\x01c\x1bd\ufffee\r\nf", "tab\tand line\nfeed"]
ODD_TERMS = [ox.Literal(v) for v in ODD_VALUES] + [ox.Literal("lang\x01tagged", language="en")]


def as_in_xml(value: str) -> str:
    """What an XML body can say of ``value``: every character XML 1.0 cannot carry is U+FFFD."""
    return "".join("\ufffd" if (c < " " and c not in "\t\n\r") or c in "\ufffe\uffff" else c for c in value)


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("hostile") / "store"
    with EmbeddedStore(path) as s:
        s.replace_document(document_iri("filler"),
                           [(URIRef(f"{EX}s{i}"), URIRef(f"{EX}p"), Literal(i)) for i in range(FILLER)],
                           source="filler.txt", content_hash="h-filler")
        s.replace_document(document_iri("odd"),
                           [ox.Triple(ox.NamedNode(f"{EX}odd"), ox.NamedNode(f"{EX}says"), t) for t in ODD_TERMS],
                           source="odd.txt", content_hash="h-odd")
    return path


@pytest.fixture(scope="module")
def endpoint(store_path):
    with SparqlServer(store=store_path, port=0, timeout=30, workers=1) as srv:
        srv.start()
        yield srv.url + "/sparql"


def _until(condition, limit: float = 30.0) -> None:
    end = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < end, "the server never got there"
        time.sleep(0.02)


def _fire(url: str, query: str, into: dict, key) -> threading.Thread:
    def send():
        r = requests.get(url, params={"query": query}, timeout=120)
        into[key] = (r.status_code, r.text, r.headers)

    t = threading.Thread(target=send, daemon=True)
    t.start()
    return t


# ---------------------------------------------------------------------------
# fairness: runaway queries do not lock everyone else out
# ---------------------------------------------------------------------------

def _start_with_runaways(srv: SparqlServer, n: int) -> tuple[str, dict, list[threading.Thread]]:
    """Start ``srv`` and send it ``n`` runaway queries: its endpoint, where their replies go (by number),
    and the threads waiting for them."""
    srv.start()
    url = srv.url + "/sparql"
    runaways: dict = {}
    return url, runaways, [_fire(url, RUNAWAY, runaways, i) for i in range(n)]


def test_simple_query_answers_while_two_runaways_hold_the_workers(store_path):
    with SparqlServer(store=store_path, port=0, timeout=4, workers=2) as srv:
        url, runaways, threads = _start_with_runaways(srv, 2)
        _until(lambda: srv.pool.busy == 2)                   # both general workers are counting
        r = requests.get(url, params={"query": SIMPLE, "format": "json"}, timeout=60)
        assert r.status_code == 200 and r.json()["boolean"] is True
        # answered beside them, not after them: the old wait was the whole 4 s timeout
        assert runaways == {} and srv.pool.ran_out == 0
        for t in threads:
            t.join(60)
        assert [runaways[i][0] for i in range(2)] == [503, 503]
        assert all("timed out after 4 s" in runaways[i][1] for i in range(2))
        after = requests.get(url, params={"query": SIMPLE, "format": "json"}, timeout=60)
        assert after.status_code == 200 and after.json()["boolean"] is True
        assert srv.pool.replaced == 2


def test_query_overrunning_the_short_lane_waits_for_a_general_worker_and_the_lane_comes_back(store_path):
    with SparqlServer(store=store_path, port=0, timeout=4, workers=2, short_timeout=1) as srv:
        url, runaways, threads = _start_with_runaways(srv, 2)
        _until(lambda: srv.pool.busy == 2)
        threads.append(_fire(url, RUNAWAY, runaways, "third"))     # on the short lane, the only idle worker
        _until(lambda: srv.pool.replaced == 1)                      # stopped there after 1 s
        assert runaways == {}                                       # not refused: waiting for a general worker
        again = requests.get(url, params={"query": SIMPLE, "format": "json"}, timeout=60)
        assert again.status_code == 200 and again.json()["boolean"] is True
        assert runaways == {}                       # on a fresh short-lane worker, not a general one set free
        for t in threads:
            t.join(60)
        assert {k: v[0] for k, v in runaways.items()} == {0: 503, 1: 503, "third": 503}
        assert "timed out after 4 s" in runaways["third"][1]        # it ran its full time on a general worker
        assert srv.pool.replaced == 4


def test_simple_query_answers_behind_a_burst_of_runaways_from_its_own_address(store_path):
    # every local client is 127.0.0.1: the fair order cannot tell the simple query from the runaways
    with SparqlServer(store=store_path, port=0, timeout=3, workers=2, short_timeout=2) as srv:
        url, runaways, threads = _start_with_runaways(srv, 6)
        _until(lambda: srv.pool.busy == 2 and srv.pool.short_busy == 4 and srv.pool.short_idle == 1)
        r = requests.get(url, params={"query": SIMPLE, "format": "json"}, timeout=60)
        assert r.status_code == 200 and r.json()["boolean"] is True
        # none had ended, not even a short-lane turn: it did not wait for them (the old wait: four
        # short-lane turns, ~8 s)
        assert runaways == {} and srv.pool.ran_out == 0
        for t in threads:
            t.join(60)
        assert sorted(v[0] for v in runaways.values()) == [503] * 6
        # the lane shrinks back to its one spare once the killed workers' replacements are up
        _until(lambda: srv.pool.short_busy == 0 and srv.pool.short_idle == 1 and len(srv.pool.pids) == 2 + 1)
        time.sleep(1)
        assert srv.pool.short_idle == 1 and len(srv.pool.pids) == 2 + 1


def test_simple_query_answers_behind_a_burst_beyond_the_process_budget(store_path):
    # more runaways than the general workers and the whole short lane together: a short-lane query past
    # its sure time is stopped to make room for the newer request, and waits for a general worker
    with SparqlServer(store=store_path, port=0, timeout=4, workers=2, short_timeout=2) as srv:
        n = 2 + srv.pool.short_max + 2
        url, runaways, threads = _start_with_runaways(srv, n)
        _until(lambda: srv.pool.busy == 2 and srv.pool.short_busy == srv.pool.short_max)
        for _ in range(3):                                   # three simple queries in a row
            r = requests.get(url, params={"query": SIMPLE, "format": "json"}, timeout=60)
            assert r.status_code == 200 and r.json()["boolean"] is True
        # each found room by stopping a short-lane query past its sure time; before, it waited for a
        # short-lane turn to run out (2 s)
        assert srv.pool.ran_out == 0 and srv.pool.evictions >= 1
        for t in threads:
            t.join(120)
        assert sorted(v[0] for v in runaways.values()) == [503] * n      # each timed out on a general worker


def test_a_server_stopped_while_busy_answers_503_and_stops_at_once(store_path, caplog):
    srv = SparqlServer(store=store_path, port=0, timeout=30, workers=2, short_timeout=2)
    try:
        url, runaways, threads = _start_with_runaways(srv, 3)
        _until(lambda: srv.pool.busy == 2 and srv.pool.short_busy == 1)
        caplog.clear()
    finally:
        srv.close()                                          # what Ctrl+C and SIGTERM do
    for t in threads:
        t.join(30)
    assert srv.pool.ran_out == 0                 # before: it waited for each busy worker's turn to run out
    assert sorted(v[0] for v in runaways.values()) == [503] * 3          # was 500, "the worker died"
    assert all("the server is stopping" in v[1] for v in runaways.values())
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_without_a_short_lane_every_worker_is_general(store_path):
    with SparqlServer(store=store_path, port=0, timeout=4, workers=1, short_timeout=0) as srv:
        assert srv.pool.reserved == 0 and len(srv.pool.pids) == 1
    with SparqlServer(store=store_path, port=0, timeout=1, workers=1, short_timeout=5) as srv:
        assert srv.short_timeout == 1                        # never longer than the timeout


def _workers(*lanes):
    return [SimpleNamespace(lane=lane) for lane in lanes]


def _soon(seconds: float = 1.0) -> float:
    return time.monotonic() + seconds


def _waiter(s: Scheduler, ticket, got: dict, name: str) -> threading.Thread:
    t = threading.Thread(target=lambda: got.__setitem__(name, s.take(ticket, _soon(30))))
    t.start()
    return t


def test_short_lane_is_taken_only_while_every_general_worker_is_busy():
    s = Scheduler()
    general, short = _workers(GENERAL, SHORT)
    s.put(short)
    s.put(general)
    assert s.take(s.ticket("a"), _soon()) is general
    assert s.take(s.ticket("b"), _soon()) is short
    assert s.take(s.ticket("c"), _soon(0.05)) is None          # nothing idle: turned away at its deadline
    assert s.waiting == 0
    s.give_back("a", general)
    assert s.take(s.ticket("c"), _soon()) is general


def test_waiting_requests_go_to_the_client_holding_fewest_workers():
    s = Scheduler()
    w1, w2 = _workers(GENERAL, GENERAL)
    s.put(w1)
    s.put(w2)
    held = [s.take(s.ticket("greedy"), _soon()) for _ in range(2)]      # one client holds every worker
    got: dict = {}
    first = _waiter(s, s.ticket("greedy"), got, "greedy-3")
    _until(lambda: s.waiting == 1)
    second = _waiter(s, s.ticket("other"), got, "other")
    _until(lambda: s.waiting == 2)
    s.give_back("greedy", held[0])                          # greedy still holds one, other none
    second.join(10)
    assert got == {"other": held[0]}                         # the later request of the other client goes first
    s.give_back("greedy", held[1])
    first.join(10)
    assert got["greedy-3"] is held[1]


def test_a_request_waiting_for_a_general_worker_does_not_hold_up_the_short_lane():
    s = Scheduler()
    general, short = _workers(GENERAL, SHORT)
    s.put(general)
    s.take(s.ticket("a"), _soon())
    back = s.ticket("b")
    back.lanes = (GENERAL,)                                  # overran the short lane once already
    got: dict = {}
    waiting = _waiter(s, back, got, "b")
    _until(lambda: s.waiting == 1)
    s.put(short)
    assert s.take(s.ticket("c"), _soon()) is short          # later, but the short lane is its to take
    assert got == {}
    s.give_back("a", general)
    waiting.join(10)
    assert got["b"] is general


# ---------------------------------------------------------------------------
# CORS
# ---------------------------------------------------------------------------

def _allowed_headers(r) -> set[str]:
    return {h.strip().lower() for h in r.headers.get("Access-Control-Allow-Headers", "").split(",") if h.strip()}


def test_cors_preflight_does_not_echo_the_headers_asked_for(endpoint):
    r = requests.options(endpoint, headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
                                            "Access-Control-Request-Headers": "X-Evil, Authorization"})
    assert r.status_code == 204
    allowed = _allowed_headers(r)
    assert "x-evil" not in allowed and "authorization" not in allowed
    assert allowed == {"accept", "content-type"}


def test_cors_preflight_allows_what_the_page_and_the_protocol_send(endpoint):
    r = requests.options(endpoint, headers={"Origin": "https://yasgui.example", "Access-Control-Request-Method": "POST",
                                            "Access-Control-Request-Headers": "accept,content-type"})
    assert r.status_code == 204
    assert {"accept", "content-type"} <= _allowed_headers(r)


# ---------------------------------------------------------------------------
# literals XML 1.0 cannot carry: every body stays well-formed
# ---------------------------------------------------------------------------

ODD_SELECT = f"SELECT ?o WHERE {{ {ODD} <{EX}says> ?o }}"
ODD_CONSTRUCT = f"CONSTRUCT {{ {ODD} <{EX}says> ?o }} WHERE {{ {ODD} <{EX}says> ?o }}"


def _get(endpoint, query, **params):
    r = requests.get(endpoint, params={"query": query, **params}, timeout=60)
    assert r.status_code == 200, r.text
    return r


def test_sparql_xml_results_with_control_characters_are_well_formed(endpoint):
    root = etree.fromstring(_get(endpoint, ODD_SELECT, format="xml").content)      # lxml: a strict XML 1.0 parser
    ns = "{http://www.w3.org/2005/sparql-results#}"
    values = sorted((lit.text or "") for lit in root.iter(f"{ns}literal"))
    assert values == sorted(as_in_xml(t.value) for t in ODD_TERMS)
    assert "a\ufffdb\ufffdc\ufffdd\ufffde\r\nf" in values                        # the CR survives the parse


def test_ask_xml_is_well_formed(endpoint):
    root = etree.fromstring(_get(endpoint, f"ASK {{ {ODD} ?p ?o }}", format="xml").content)
    assert root.find("{http://www.w3.org/2005/sparql-results#}boolean").text == "true"


@pytest.mark.parametrize("query", [ODD_CONSTRUCT, f"DESCRIBE {ODD}"])
def test_rdf_xml_with_control_characters_is_well_formed(endpoint, query):
    body = _get(endpoint, query, format="rdfxml").content
    etree.fromstring(body)
    g = Graph().parse(data=body, format="xml")                                     # and an RDF/XML reader agrees
    values = {str(o) for o in g.objects(URIRef(f"{EX}odd"), URIRef(f"{EX}says"))}
    assert values == {as_in_xml(t.value) for t in ODD_TERMS}          # a graph: "\x00" and "\x01" are one now


@pytest.mark.parametrize("fmt", ["turtle", "ntriples", "nquads", "jsonld"])
def test_graph_formats_carry_control_characters_exactly(endpoint, fmt):
    body = _get(endpoint, ODD_CONSTRUCT, format=fmt).content
    oxfmt = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES, "nquads": ox.RdfFormat.N_QUADS,
             "jsonld": ox.RdfFormat.JSON_LD}[fmt]
    assert sorted(q.object.value for q in ox.parse(body, format=oxfmt)) == sorted(t.value for t in ODD_TERMS)


def test_json_csv_tsv_results_carry_control_characters_exactly(endpoint):
    expected = sorted(t.value for t in ODD_TERMS)
    data = _get(endpoint, ODD_SELECT, format="json").json()
    assert sorted(b["o"]["value"] for b in data["results"]["bindings"]) == expected
    rows = list(csv.reader(io.StringIO(_get(endpoint, ODD_SELECT, format="csv").content.decode("utf-8"),
                                       newline="")))
    assert rows[0] == ["o"] and sorted(r[0] for r in rows[1:]) == expected
    tsv = ox.parse_query_results(_get(endpoint, ODD_SELECT, format="tsv").content,
                                 format=ox.QueryResultsFormat.TSV)
    assert sorted(sol["o"].value for sol in tsv) == expected


def test_iris_cannot_hold_control_characters():
    """What the XML writers rely on for IRIs: pyoxigraph refuses to make such an IRI, in a term or a query."""
    for bad in ("\x01", "\x00", "\ufffe"):
        with pytest.raises(ValueError):
            ox.NamedNode(f"{EX}a{bad}b")


def test_iri_built_by_a_query_from_control_characters_stays_out_of_the_xml(endpoint):
    q = 'SELECT ?x WHERE { BIND(IRI(CONCAT("https://example.org/a", "\\u0001")) AS ?x) }'
    root = etree.fromstring(_get(endpoint, q, format="xml").content)
    assert root.findall(".//{http://www.w3.org/2005/sparql-results#}uri") == []


@pytest.mark.parametrize("query", ["CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(false) }",
                                   "DESCRIBE <urn:nothing>"])
def test_an_empty_rdf_xml_result_is_a_document(endpoint, query):
    r = _get(endpoint, query, format="rdfxml")
    assert r.status_code == 200
    assert etree.fromstring(r.content).tag == "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}RDF"


@pytest.mark.parametrize("predicate", ["http://example.org/", "http://example.org/#", "http://example.org/1",
                                       "urn:x:"])
def test_a_predicate_rdf_xml_cannot_write_is_a_406_not_broken_xml(endpoint, predicate):
    query = f'CONSTRUCT {{ <urn:a> <{predicate}> "x" }} WHERE {{}}'
    r = requests.get(endpoint, params={"query": query, "format": "rdfxml"}, timeout=60)
    assert r.status_code == 406 and "RDF/XML" in r.text
    assert _get(endpoint, query, format="turtle").status_code == 200


def test_a_client_that_goes_away_mid_request_leaves_no_traceback(endpoint, capfd):
    import socket
    from urllib.parse import urlsplit

    url = urlsplit(endpoint)
    for request in (b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                    b"Content-Length: 100000\r\n\r\nSELECT",                          # a body cut short
                    b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n\r\n"):     # an answer nobody reads
        for _ in range(20):
            with socket.create_connection((url.hostname, url.port)) as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                s.sendall(request)                  # then a reset, not a polite close
    assert _get(endpoint, "ASK {}").status_code == 200
    assert "Traceback" not in capfd.readouterr().err
