"""``kg serve``: the read-only SPARQL 1.1 Protocol endpoint, driven over real HTTP by standard clients.

Each server here is a real :class:`kg.server.SparqlServer` (HTTP in a thread
of this process, queries in its worker processes) on a free 127.0.0.1 port,
over a store folder built from hand-made records by the real graph builder
(the sample of ``tests/test_query.py``): no NLP model is loaded. Clients:
SPARQLWrapper, rdflib's SPARQLStore, ``requests`` and ``http.client``.
"""
from __future__ import annotations

import csv
import http.client
import io
import json
import os
import re
import threading
from urllib.error import HTTPError

import pyoxigraph as ox
import pytest
import requests
from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF

from kg.cli import main
from kg.errors import StoreError
from kg.query import load_query, run_query, standard_queries
from kg.rdf.build import add_document
from kg.rdf.iris import document_iri
from kg.server import SparqlServer, format_choice, negotiate, parse_accept, RESULTS_TYPES, GRAPH_TYPES
from kg.store import EmbeddedStore, RemoteStore
from procs import alive, descendants
from test_query import sample_extractions

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
CP = "https://w3id.org/cpkg/"
DRUGS = f"PREFIX cp: <{CP}> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> " \
        "SELECT DISTINCT ?drug ?label WHERE { ?drug a cp:Drug ; rdfs:label ?label } ORDER BY ?label"
DRUG_LABELS = ["BX-17", "Zoratinib", "azacitidine", "docetaxel"]
CONSTRUCT = f"PREFIX cp: <{CP}> CONSTRUCT {{ ?t <https://example.org/targetOf> ?d }} WHERE {{ ?d cp:targets ?t }}"
# 4-way cross join of every quad: hundreds of millions of solutions, minutes of work for pyoxigraph
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
UPDATE = "INSERT DATA { GRAPH <https://example.org/g> { <https://example.org/s> <https://example.org/p> 1 } }"


def build_store(path) -> int:
    with EmbeddedStore(path) as s:
        for x, h in sample_extractions():
            g = add_document(Dataset(), x, h)
            s.replace_document(document_iri(x.doc_id), g, source=x.source, content_hash=h)
        return len(s)


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("server") / "store"
    build_store(path)
    return path


@pytest.fixture(scope="module")
def server(store_path):
    with SparqlServer(store=store_path, port=0, timeout=30, max_results=10000, workers=2) as srv:
        srv.start()
        yield srv


@pytest.fixture(scope="module")
def endpoint(server):
    return server.url + "/sparql"


def wrapper(url, query, fmt, method="GET", conneg_only=False):
    from SPARQLWrapper import SPARQLWrapper as SW

    s = SW(url)
    s.setQuery(query)
    s.setReturnFormat(fmt)
    s.setMethod(method)
    s.setOnlyConneg(conneg_only)
    return s.query()


# ---------------------------------------------------------------------------
# content negotiation (pure)
# ---------------------------------------------------------------------------

def test_accept_picks_highest_q_then_server_order():
    assert negotiate(parse_accept("text/csv;q=0.5, application/sparql-results+xml"), RESULTS_TYPES) == \
        "application/sparql-results+xml"
    assert negotiate(parse_accept("*/*"), RESULTS_TYPES) == "application/sparql-results+json"
    assert negotiate(parse_accept("text/*"), RESULTS_TYPES) == "text/csv"
    assert negotiate(parse_accept("application/json"), RESULTS_TYPES) == "application/sparql-results+json"
    assert negotiate(parse_accept("text/csv;q=0, */*;q=0.1"), ("text/csv",)) is None
    assert negotiate(parse_accept("image/png"), GRAPH_TYPES) is None
    assert negotiate(parse_accept(None), GRAPH_TYPES) == "text/turtle"


def test_format_parameter_names_and_media_types():
    assert format_choice(["csv"]).results == "text/csv"
    assert format_choice(["json"]).graph == "application/ld+json"
    assert format_choice(["application/ld+json,application/x-json+ld"]).graph == "application/ld+json"
    assert format_choice(["no-such", "tsv"]).results == "text/tab-separated-values"
    assert format_choice(["bogus"]) is None


# ---------------------------------------------------------------------------
# every result format, through SPARQLWrapper
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["GET", "POST"])
def test_select_json(endpoint, method):
    from SPARQLWrapper import JSON

    res = wrapper(endpoint, DRUGS, JSON, method).convert()
    assert res["head"]["vars"] == ["drug", "label"]
    assert [b["label"]["value"] for b in res["results"]["bindings"]] == DRUG_LABELS
    assert res["results"]["bindings"][0]["drug"]["type"] == "uri"


def test_select_xml(endpoint):
    from SPARQLWrapper import XML

    doc = wrapper(endpoint, DRUGS, XML).convert()
    ns = "http://www.w3.org/2005/sparql-results#"
    assert [v.getAttribute("name") for v in doc.getElementsByTagNameNS(ns, "variable")] == ["drug", "label"]
    labels = [b.getElementsByTagNameNS(ns, "literal")[0].firstChild.data
              for b in doc.getElementsByTagNameNS(ns, "binding") if b.getAttribute("name") == "label"]
    assert labels == DRUG_LABELS


def test_select_csv(endpoint):
    from SPARQLWrapper import CSV

    res = wrapper(endpoint, DRUGS, CSV)
    assert res.response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(res.convert().decode("utf-8"))))
    assert rows[0] == ["drug", "label"]
    assert [r[1] for r in rows[1:]] == DRUG_LABELS
    assert rows[1][0].startswith(CP + "id/drug/")


def test_select_tsv(endpoint):
    from SPARQLWrapper import TSV

    res = wrapper(endpoint, DRUGS, TSV)
    lines = res.convert().decode("utf-8").splitlines()
    assert lines[0] == "?drug\t?label"
    assert [line.split("\t")[1] for line in lines[1:]] == [f'"{x}"' for x in DRUG_LABELS]
    assert lines[1].startswith(f"<{CP}id/drug/")


#: IRIs, plain, typed and language-tagged literals, an unbound variable (blank nodes differ from run to run,
#: and rdflib, which checks queries first, cannot read SPARQL 1.2's triple terms: tests/test_query.py has them)
EVERY_TERM = (f"SELECT ?drug ?label ?n ?lang ?none WHERE {{ ?drug a <{CP}Drug> ; "
              f"<http://www.w3.org/2000/01/rdf-schema#label> ?label . BIND (STRLEN(?label) AS ?n) "
              f"BIND (STRLANG(?label, 'en') AS ?lang) }} ORDER BY ?label")


@pytest.mark.parametrize("mtype", RESULTS_TYPES)
@pytest.mark.parametrize("query", [EVERY_TERM, f"ASK {{ ?d <{CP}targets> ?t }}", f"ASK {{ ?d <{CP}nothing> ?t }}"])
def test_select_and_ask_bodies_are_pyoxigraphs_own(store_path, endpoint, mtype, query):
    """The endpoint writes SELECT and ASK results with pyoxigraph's serializer, byte for byte."""
    r = requests.get(endpoint, params={"query": query}, headers={"Accept": mtype})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith(mtype)
    with EmbeddedStore(store_path, read_only=True) as s:
        expected = s.oxigraph.query(query).serialize(format=ox.QueryResultsFormat.from_media_type(mtype))
    assert r.content == expected


@pytest.mark.parametrize("conneg_only", [True, False])
def test_ask_json_and_xml(endpoint, conneg_only):
    from SPARQLWrapper import JSON, XML

    yes = f"ASK {{ ?d <{CP}targets> ?t }}"
    no = f"ASK {{ ?d <{CP}targets> <{CP}id/target/none> }}"
    assert wrapper(endpoint, yes, JSON, conneg_only=conneg_only).convert()["boolean"] is True
    assert wrapper(endpoint, no, JSON, conneg_only=conneg_only).convert()["boolean"] is False
    doc = wrapper(endpoint, yes, XML, conneg_only=conneg_only).convert()
    assert doc.getElementsByTagName("boolean")[0].firstChild.data == "true"


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_ask_csv_tsv(endpoint, fmt):
    r = requests.get(endpoint, params={"query": f"ASK {{ ?d <{CP}targets> ?t }}", "format": fmt})
    assert r.status_code == 200
    assert r.text.strip() == "true"


def _targets_of(graph: Graph) -> set[tuple[str, str]]:
    return {(str(s), str(o)) for s, o in graph.subject_objects(URIRef("https://example.org/targetOf"))}


EXPECTED_TARGETS = {(CP + "id/target/kdr", CP + "id/drug/zoratinib"), (CP + "id/target/bcl-2", CP + "id/drug/bx-17")}


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")   # SPARQLWrapper's own
@pytest.mark.parametrize("name", ["TURTLE", "JSONLD", "RDFXML", "N3"])
def test_construct_through_sparqlwrapper(endpoint, name):
    import SPARQLWrapper as sw

    res = wrapper(endpoint, CONSTRUCT, getattr(sw, name))
    data = res.convert()
    if isinstance(data, bytes):            # SPARQLWrapper leaves Turtle / N3 as text
        fmt = {"TURTLE": "turtle", "N3": "turtle"}[name]
        data = Graph().parse(data=data.decode("utf-8"), format=fmt)
    assert _targets_of(data) == EXPECTED_TARGETS


@pytest.mark.parametrize("mtype,rdflib_format", [
    ("text/turtle", "turtle"), ("application/n-triples", "nt"), ("application/ld+json", "json-ld"),
    ("application/n-quads", "nquads"), ("application/rdf+xml", "xml")])
def test_construct_by_accept(endpoint, mtype, rdflib_format):
    r = requests.post(endpoint, data={"query": CONSTRUCT}, headers={"Accept": mtype})
    assert r.status_code == 200
    assert r.headers["Content-Type"].split(";")[0] == mtype
    g = Graph()
    if rdflib_format == "nquads":           # triples of the default graph
        for s, p, o, _ in Dataset().parse(data=r.text, format="nquads").quads():
            g.add((s, p, o))
    else:
        g.parse(data=r.text, format=rdflib_format)
    assert _targets_of(g) == EXPECTED_TARGETS


def test_describe(endpoint):
    r = requests.get(endpoint, params={"query": f"DESCRIBE <{CP}id/drug/bx-17>"},
                     headers={"Accept": "application/n-triples"})
    assert r.status_code == 200
    triples = list(ox.parse(r.content, format=ox.RdfFormat.N_TRIPLES))
    assert any(t.predicate.value == "http://www.w3.org/2000/01/rdf-schema#label" and t.object.value == "BX-17"
               for t in triples)


def test_sparql_query_body(endpoint):
    r = requests.post(endpoint, data=DRUGS.encode("utf-8"),
                      headers={"Content-Type": "application/sparql-query", "Accept": "text/csv"})
    assert r.status_code == 200
    assert r.text.splitlines()[1:] == [line for line in r.text.splitlines()[1:] if line]
    assert len(r.text.splitlines()) == 1 + len(DRUG_LABELS)


def test_rdflib_sparqlstore(endpoint):
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    store = SPARQLStore(endpoint)            # its default Accept: SPARQL XML results and RDF/XML
    g = Graph(store=store)
    rows = list(g.query(DRUGS))
    assert [str(r.label) for r in rows] == DRUG_LABELS
    assert g.query(f"ASK {{ ?d <{CP}targets> ?t }}").askAnswer is True
    triples = Graph()
    for t in g.query(CONSTRUCT):
        triples.add(t)
    assert _targets_of(triples) == EXPECTED_TARGETS


def test_literals_survive_json(server, endpoint):
    from test_query import QUOTED

    q = f"SELECT ?e WHERE {{ ?s <{CP}evidenceText> ?e FILTER(CONTAINS(?e, 'blocks')) }}"
    res = requests.get(endpoint, params={"query": q}).json()
    assert [b["e"]["value"] for b in res["results"]["bindings"]] == [QUOTED]


def test_default_graph_uri_narrows_the_dataset(endpoint):
    doc = str(document_iri("boreal00000000000002"))
    q = f"SELECT DISTINCT ?l WHERE {{ ?d a <{CP}Drug> ; <http://www.w3.org/2000/01/rdf-schema#label> ?l }} ORDER BY ?l"
    r = requests.get(endpoint, params={"query": q, "default-graph-uri": doc, "format": "json"})
    assert r.status_code == 200
    assert [b["l"]["value"] for b in r.json()["results"]["bindings"]] == ["BX-17", "Zoratinib", "azacitidine"]


# ---------------------------------------------------------------------------
# the standard questions, and kg's own remote store, over HTTP
# ---------------------------------------------------------------------------

def test_examples_are_the_standard_questions(server):
    data = requests.get(server.url + "/examples").json()
    assert [q["name"] for q in data["queries"]] == standard_queries()
    for q in data["queries"]:
        assert q["query"] == load_query(q["name"])
        assert q["title"] and "--" not in q["title"]
    assert data["prefixes"]["cp"] == CP


@pytest.mark.parametrize("name", standard_queries())
def test_standard_question_over_http_matches_the_store(store_path, endpoint, name):
    text = load_query(name)
    local = run_query(text, store=store_path)
    remote = RemoteStore(endpoint).query(text)
    assert remote.variables == local.variables
    assert remote.rows == local.rows
    assert len(local.rows) > 0


def test_kg_query_endpoint_flag_reads_from_kg_serve(endpoint, capsys):
    assert main(["query", DRUGS, "--endpoint", endpoint, "--format", "csv"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "drug,label"
    assert [line.split(",")[1] for line in out[1:]] == DRUG_LABELS


def test_remote_store_writes_are_refused(endpoint, store_path):
    s = RemoteStore(endpoint, update_endpoint=endpoint)
    before = len(s)
    with pytest.raises(StoreError, match="HTTP 403"):
        s.replace_document(document_iri("new"), [(URIRef(CP + "x"), RDF.type, URIRef(CP + "Drug"))],
                           source="new.txt", content_hash="h")
    assert len(s) == before


# ---------------------------------------------------------------------------
# refusals
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["form", "body", "get", "query-param", "update-path", "sparqlwrapper"])
def test_updates_are_refused(server, endpoint, how):
    before = RemoteStore(endpoint).query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }").rows[0][0]
    if how == "sparqlwrapper":
        from SPARQLWrapper import POST, SPARQLWrapper as SW

        s = SW(endpoint)
        s.setMethod(POST)
        s.setQuery(UPDATE)
        with pytest.raises(HTTPError) as e:
            s.query()
        status, text = e.value.code, e.value.read().decode()
    else:
        r = {"form": lambda: requests.post(endpoint, data={"update": UPDATE}),
             "body": lambda: requests.post(endpoint, data=UPDATE,
                                           headers={"Content-Type": "application/sparql-update"}),
             "get": lambda: requests.get(endpoint, params={"update": UPDATE}),
             "query-param": lambda: requests.post(endpoint, data={"query": UPDATE}),
             "update-path": lambda: requests.post(server.url + "/update", data={"update": UPDATE})}[how]()
        status, text = r.status_code, r.text
    assert status == 403
    assert "read-only" in text
    after = RemoteStore(endpoint).query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }").rows[0][0]
    assert after == before


@pytest.mark.parametrize("where", [
    "SELECT * WHERE { SERVICE <{url}> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SERVICE SILENT <{url}> { ?s ?p ?o } } }",
    "SELECT * WHERE { { SELECT ?s WHERE { OPTIONAL { SERVICE <{url}> { ?s ?p ?o } } } } }",
    "ASK { service <{url}> { ?s ?p ?o } }",
])
def test_service_is_refused_without_the_flag(endpoint, where):
    q = where.replace("{url}", endpoint)
    r = requests.get(endpoint, params={"query": q})
    assert r.status_code == 403
    assert "SERVICE" in r.text and "--allow-service" in r.text


def test_service_keyword_in_a_literal_is_not_a_service(endpoint):
    q = "SELECT ?x WHERE { BIND('SERVICE <http://127.0.0.1:1/> { }' AS ?x) }"
    r = requests.get(endpoint, params={"query": q, "format": "json"})
    assert r.status_code == 200
    assert r.json()["results"]["bindings"][0]["x"]["value"].startswith("SERVICE")


def test_service_allowed_with_the_flag(store_path, endpoint, tmp_path):
    other = tmp_path / "other"
    EmbeddedStore(other).close()              # an empty store: every answer must come through SERVICE
    with SparqlServer(store=other, port=0, allow_service=True, workers=1) as fed:
        fed.start()
        q = (f"SELECT DISTINCT ?label WHERE {{ SERVICE <{endpoint}> {{ ?d a <{CP}Drug> ; "
             f"<http://www.w3.org/2000/01/rdf-schema#label> ?label }} }} ORDER BY ?label")
        r = requests.get(fed.url + "/sparql", params={"query": q, "format": "json"})
        assert r.status_code == 200, r.text
        assert [b["label"]["value"] for b in r.json()["results"]["bindings"]] == DRUG_LABELS
        sd = Graph().parse(data=requests.get(fed.url + "/sparql", headers={"Accept": "text/turtle"}).text,
                           format="turtle")
        assert (None, SD.feature, SD.BasicFederatedQuery) in sd


@pytest.mark.parametrize("query", ["SELEC ?x WHERE { ?x ?p ?o }", "SELECT ?x WHERE { ?x ?p ?o ", "ASK {} garbage"])
def test_malformed_query_is_400_with_the_parser_message(endpoint, query):
    r = requests.get(endpoint, params={"query": query})
    assert r.status_code == 400
    assert r.text.startswith("malformed SPARQL query:")
    assert re.search(r"char \d+|line:?\s*\d+|col", r.text)


def test_turtle_names_entities_by_kind_without_escapes(endpoint):
    r = requests.get(endpoint, params={"query": CONSTRUCT}, headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    assert "cptarget:kdr <https://example.org/targetOf> cpdrug:zoratinib" in r.text
    assert "\\" not in r.text
    assert len(Graph().parse(data=r.text, format="turtle")) == 2


def test_the_form_of_a_query_rdflib_cannot_read_is_still_known():
    """With --allow-service, a query rdflib cannot parse runs on pyoxigraph: its form comes from kg.store.query_form."""
    from kg.server import check_query

    sparql12 = "PREFIX ex: <https://example.org/> SELECT ?s WHERE { ?s ex:p <<( ex:a ex:b ex:c )>> }"
    assert check_query(sparql12, allow_service=True) == "SELECT"
    assert check_query("# ASK\nCONSTRUCT WHERE { ?s ?p ?o }", allow_service=False) == "CONSTRUCT"


def test_an_undeclared_prefix_is_named_where_the_client_wrote_it(endpoint):
    query = "SELECT ?l WHERE { ?d rdfs:label ?l ; cp:targets ?t .\n  ?t foo:bar ?x }"
    r = requests.get(endpoint, params={"query": query})
    assert r.status_code == 400
    assert r.text.startswith('unknown prefix "foo:" at 2:6: declare it')


def test_kg_query_through_the_endpoint_names_an_undeclared_prefix_where_the_user_wrote_it(endpoint):
    from kg.errors import QueryError

    query = "SELECT ?l WHERE { ?d rdfs:label ?l ; cp:targets ?t .\n  ?t foo:bar ?x }"
    with pytest.raises(QueryError, match='rejected the query \\(HTTP 400\\): unknown prefix "foo:" at 2:6: '):
        run_query(query, endpoint=endpoint)


@pytest.mark.parametrize("query", ["SELECT ?l WHERE { ?d a cp:Drug ; rdfs:label ?l FILTER (?l = ) }",     # rdflib's
                                   "SELECT (COUNT(*) AS ?n) ?l WHERE { ?d rdfs:label ?l }"])              # pyoxigraph's
def test_a_syntax_error_is_placed_in_the_query_the_client_wrote(endpoint, query):
    from pyparsing import ParseException
    from rdflib.plugins.sparql.parser import parseQuery

    plain = query.replace("rdfs:label", "?rdfslabel").replace("cp:Drug", "?cpDrug")    # nothing to declare
    try:
        parseQuery(plain)
        with pytest.raises(SyntaxError) as e:
            ox.Store().query(plain)
        where = re.search(r"error at \d+:\d+", str(e.value)).group(0)
    except ParseException as e:
        where = f"(line:{e.lineno}, col:{e.col})"
    r = requests.get(endpoint, params={"query": query})
    assert r.status_code == 400 and r.text.startswith("malformed SPARQL query:")
    assert where in r.text


@pytest.mark.filterwarnings("ignore:.*query type:RuntimeWarning")     # SPARQLWrapper cannot tell the form either
def test_malformed_query_through_sparqlwrapper(endpoint):
    from SPARQLWrapper import JSON
    from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

    with pytest.raises(QueryBadFormed, match="malformed SPARQL query"):
        wrapper(endpoint, "SELEC ?x WHERE { ?x ?p ?o }", JSON)


@pytest.mark.parametrize("query,accept", [(DRUGS, "image/png"), (CONSTRUCT, "text/csv"),
                                          (DRUGS, "text/turtle"), (f"ASK {{ ?s ?p ?o }}", "application/n-triples")])
def test_unacceptable_type_is_406(endpoint, query, accept):
    r = requests.get(endpoint, params={"query": query}, headers={"Accept": accept})
    assert r.status_code == 406
    assert "acceptable" in r.text


def test_unknown_format_parameter_is_406(endpoint):
    r = requests.get(endpoint, params={"query": DRUGS, "format": "pdf"})
    assert r.status_code == 406
    assert "unknown format 'pdf'" in r.text


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_405(endpoint, method):
    r = requests.request(method, endpoint, data="x")
    assert r.status_code == 405
    assert "POST" in r.headers["Allow"]


def test_huge_body_is_413_without_being_read(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.putrequest("POST", "/sparql")
        conn.putheader("Content-Type", "application/sparql-query")
        conn.putheader("Content-Length", str(server.max_body + 1))
        conn.endheaders()
        conn.send(b"SELECT * WHERE { ?s ?p ?o }")           # the rest never comes
        r = conn.getresponse()
        assert r.status == 413
        assert b"larger than the limit" in r.read()
    finally:
        conn.close()


def test_other_post_body_types_are_415(endpoint):
    r = requests.post(endpoint, data=json.dumps({"query": DRUGS}), headers={"Content-Type": "application/json"})
    assert r.status_code == 415


def test_missing_query_and_two_queries_are_400(endpoint):
    assert requests.post(endpoint, data={"format": "json"}).status_code == 400
    r = requests.get(endpoint, params=[("query", DRUGS), ("query", DRUGS)])
    assert r.status_code == 400 and "exactly one" in r.text


def test_unknown_path_is_404(server):
    assert requests.get(server.url + "/nothing").status_code == 404


# ---------------------------------------------------------------------------
# service description, CORS, the page
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("mtype,fmt", [("text/turtle", "turtle"), ("application/n-triples", "nt"),
                                       ("application/ld+json", "json-ld"), ("application/rdf+xml", "xml")])
def test_service_description(endpoint, mtype, fmt):
    r = requests.get(endpoint, headers={"Accept": mtype})
    assert r.status_code == 200
    assert r.headers["Content-Type"].split(";")[0] == mtype
    g = Graph().parse(data=r.text, format=fmt)
    [service] = list(g.subjects(RDF.type, SD.Service))
    assert (service, SD.endpoint, URIRef(endpoint)) in g
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in g
    assert (service, SD.feature, SD.UnionDefaultGraph) in g
    assert (service, SD.feature, SD.BasicFederatedQuery) not in g
    formats = set(g.objects(service, SD.resultFormat))
    assert {FORMATS.SPARQL_Results_JSON, FORMATS.SPARQL_Results_XML, FORMATS.SPARQL_Results_CSV,
            FORMATS.SPARQL_Results_TSV, FORMATS.Turtle, FORMATS["N-Triples"], FORMATS["JSON-LD"]} <= formats
    dataset = g.value(service, SD.defaultDataset)
    assert (dataset, RDF.type, SD.Dataset) in g
    assert (g.value(dataset, SD.defaultGraph), RDF.type, SD.Graph) in g


def test_browser_asking_the_endpoint_for_html_is_sent_to_the_page(endpoint):
    r = requests.get(endpoint, headers={"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
                     allow_redirects=False)
    assert r.status_code == 303
    assert r.headers["Location"] == "/"


def test_cors_preflight(endpoint):
    r = requests.options(endpoint, headers={"Origin": "https://yasgui.example", "Access-Control-Request-Method": "POST",
                                            "Access-Control-Request-Headers": "content-type"})
    assert r.status_code == 204
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in r.headers["Access-Control-Allow-Methods"]
    assert "content-type" in r.headers["Access-Control-Allow-Headers"].lower()


def test_cors_header_on_results_and_errors(endpoint):
    ok = requests.get(endpoint, params={"query": DRUGS}, headers={"Origin": "https://yasgui.example"})
    bad = requests.get(endpoint, params={"query": "SELEC"}, headers={"Origin": "https://yasgui.example"})
    assert ok.headers["Access-Control-Allow-Origin"] == bad.headers["Access-Control-Allow-Origin"] == "*"


def test_page_and_assets_are_served_without_network_assets(server):
    page = requests.get(server.url + "/")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert 'id="query"' in page.text and 'src="app.js"' in page.text
    for name, mtype in [("app.js", "text/javascript"), ("app.css", "text/css")]:
        r = requests.get(f"{server.url}/{name}")
        assert r.status_code == 200 and r.headers["Content-Type"].startswith(mtype)
        assert not re.search(r"https?://(?!www\.w3\.org/)", r.text), f"{name} refers to the network"
    assert not re.search(r"(src|href)=\"(https?:)?//", page.text)
    assert "connect-src 'self'" in page.headers["Content-Security-Policy"]


# ---------------------------------------------------------------------------
# limits: result size, timeout, concurrency
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_limit_server(store_path):
    with SparqlServer(store=store_path, port=0, max_results=50, workers=1) as srv:
        srv.start()
        yield srv


def test_result_over_the_limit_is_an_error_not_a_cut(small_limit_server):
    url = small_limit_server.url + "/sparql"
    r = requests.get(url, params={"query": "SELECT * WHERE { ?s ?p ?o }", "format": "json"})
    assert r.status_code == 500
    assert "result too large: more than 50 rows" in r.text
    assert r.headers["Content-Type"].startswith("text/plain")
    ok = requests.get(url, params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 50", "format": "json"})
    assert ok.status_code == 200 and len(ok.json()["results"]["bindings"]) == 50
    assert requests.get(url, params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 51"}).status_code == 500


def test_graph_result_over_the_limit_is_an_error(small_limit_server):
    r = requests.get(small_limit_server.url + "/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
                     headers={"Accept": "text/turtle"})
    assert r.status_code == 500
    assert "more than 50 triples" in r.text


def test_timeout_stops_the_query_and_the_worker_is_replaced(store_path):
    with SparqlServer(store=store_path, port=0, timeout=1, workers=1) as srv:
        srv.start()
        url = srv.url + "/sparql"
        before = set(srv.pool.pids)                   # the general worker and the short lane's
        r = requests.get(url, params={"query": SLOW})
        assert r.status_code == 503
        assert "timed out after 1 s" in r.text
        [killed] = before - set(srv.pool.pids)
        with pytest.raises(ProcessLookupError):        # killed and reaped, not left running
            os.kill(killed, 0)
        nxt = requests.get(url, params={"query": DRUGS, "format": "json"})
        assert nxt.status_code == 200
        assert [b["label"]["value"] for b in nxt.json()["results"]["bindings"]] == DRUG_LABELS
        assert srv.pool.replaced == 1
        assert srv.pool.pids and killed not in srv.pool.pids


def test_timeout_through_sparqlwrapper_is_an_http_error(store_path):
    from SPARQLWrapper import JSON

    with SparqlServer(store=store_path, port=0, timeout=1, workers=1) as srv:
        srv.start()
        with pytest.raises(HTTPError) as e:
            wrapper(srv.url + "/sparql", SLOW, JSON)
        assert e.value.code == 503


def test_concurrent_queries_are_answered(endpoint):
    results: list = [None] * 6

    def ask(i):
        results[i] = requests.get(endpoint, params={"query": DRUGS, "format": "csv"}).text

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(set(results)) == 1 and results[0].count("\n") == 1 + len(DRUG_LABELS)


# ---------------------------------------------------------------------------
# the store stays writable while served
# ---------------------------------------------------------------------------

def test_ingest_while_serving_is_not_blocked_and_shows_up(tmp_path):
    path = tmp_path / "store"
    build_store(path)
    q = f"SELECT DISTINCT ?l WHERE {{ ?d a <{CP}Drug> ; <http://www.w3.org/2000/01/rdf-schema#label> ?l }} ORDER BY ?l"
    with SparqlServer(store=path, port=0, workers=1) as srv:
        srv.start()
        url = srv.url + "/sparql"
        assert "Newdrug" not in requests.get(url, params={"query": q, "format": "csv"}).text
        with EmbeddedStore(path) as writer:          # the lock is free: the server holds read-only handles
            doc = document_iri("new0000000000000003")
            writer.replace_document(doc, [(URIRef(CP + "id/drug/newdrug"), RDF.type, URIRef(CP + "Drug")),
                                          (URIRef(CP + "id/drug/newdrug"),
                                           URIRef("http://www.w3.org/2000/01/rdf-schema#label"), Literal("Newdrug"))],
                                    source="new.txt", content_hash="h3")
        after = requests.get(url, params={"query": q, "format": "csv"}).text.splitlines()
        assert "Newdrug" in after
        assert len(after) == 1 + len(DRUG_LABELS) + 1


def test_workers_run_the_servers_own_package_whatever_the_working_folder(store_path, tmp_path, monkeypatch):
    """A ``kg`` folder where ``kg serve`` is started (another checkout, a user's project) is not what the
    workers import: ``python -c`` puts the working folder first on the path."""
    (tmp_path / "kg").mkdir()
    (tmp_path / "kg" / "__init__.py").write_text("raise ImportError('not the kg package of the server')\n")
    monkeypatch.chdir(tmp_path)
    with SparqlServer(store=store_path, port=0, workers=1, short_timeout=0) as srv:
        srv.start()
        r = requests.get(srv.url + "/sparql", params={"query": DRUGS, "format": "csv"})
        assert r.status_code == 200
        assert [line.split(",")[1] for line in r.text.splitlines()[1:]] == DRUG_LABELS


def test_missing_store_is_a_store_error(tmp_path):
    with pytest.raises(StoreError, match="no store here"):
        SparqlServer(store=tmp_path / "none", port=0)


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs Linux /proc")
def test_workers_die_with_a_killed_server_even_mid_query(store_path):
    """``kg serve`` killed by SIGKILL while a worker runs a long query leaves no worker behind."""
    import signal
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "kg.cli", "serve", "--store", str(store_path), "--port", str(port),
                             "--timeout", "600"], stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/sparql"
        for _ in range(300):
            try:
                requests.get(url, params={"query": "ASK {}"}, timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        workers = descendants(proc.pid)             # the worker factory and the workers it forked
        assert len(workers) >= 1 + 2
        def slow():
            try:
                requests.get(url, params={"query": SLOW}, timeout=60)
            except requests.RequestException:      # the server is killed under it: expected
                pass

        threading.Thread(target=slow, daemon=True).start()
        time.sleep(0.5)                       # the slow query is now running in a worker
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    for _ in range(100):                      # the kernel kills them; give it a moment
        if not any(alive(w) for w in workers):
            break
        time.sleep(0.1)
    assert [w for w in workers if alive(w)] == []


def test_the_usual_prefixes_need_no_declaration_over_http_either(endpoint):
    from SPARQLWrapper import JSON

    undeclared = "SELECT DISTINCT ?label WHERE { ?drug a cp:Drug ; rdfs:label ?label } ORDER BY ?label"
    res = wrapper(endpoint, undeclared, JSON).convert()
    assert [b["label"]["value"] for b in res["results"]["bindings"]] == DRUG_LABELS
