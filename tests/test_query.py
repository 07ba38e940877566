"""Queries and their output: ``kg.query`` formats and the competency questions in ``ontology/queries``.

The sample store holds two hand-made documents built by the real graph
builder (:func:`kg.rdf.build.add_document`), so the ``.rq`` files are tested
against the vocabulary the pipeline writes, without running the NLP model.
Every ``.rq`` file runs on pyoxigraph (the store) and on rdflib, and both
must agree.
"""
from __future__ import annotations

import copy
import csv
import io
import json
import re

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph, Literal, URIRef

from kg.cli import main
from kg.errors import QueryError, StoreError
from kg.query import QueryResult, format_result, load_query, run_query, standard_queries
from kg.rdf.build import add_document
from kg.rdf.iris import document_iri, entity_iri
from kg.records import Assertion, Entity, Evidence, Extraction, Trial, entity_key
from kg.store import EmbeddedStore

QUOTED = 'Zoratinib "blocks" KDR; see \\ note'


def _entity(etype, name, aliases=()):
    key = entity_key(etype, name)
    return key, Entity(key, etype, name, aliases=set(aliases))


def _ev(text, rule, confidence=0.9, start=0):
    return Evidence(start, start + len(text), text, rule, confidence)


def sample_extractions() -> list[tuple[Extraction, str]]:
    """Two press releases' worth of records, with the facts the tests ask about."""
    # document 1: Acme's zoratinib, Phase 2 with docetaxel in NSCLC
    ents = dict([_entity("Drug", "Zoratinib", ["ZRT-101"]), _entity("Drug", "docetaxel"),
                 _entity("Target", "KDR", ["VEGFR-2"]), _entity("Condition", "non-small cell lung cancer"),
                 _entity("Company", "Acme Biotherapeutics"), _entity("Organization", "Northfield Cancer Centre")])
    zor, doc, kdr = entity_key("Drug", "Zoratinib"), entity_key("Drug", "docetaxel"), entity_key("Target", "KDR")
    nsclc, acme = entity_key("Condition", "non-small cell lung cancer"), entity_key("Company", "Acme Biotherapeutics")
    northfield = entity_key("Organization", "Northfield Cancer Centre")
    s1 = "Acme Biotherapeutics began a Phase 2 trial of zoratinib with docetaxel in non-small cell lung cancer."
    s2 = "The trial is enrolling 40 patients at the Northfield Cancer Centre."
    t = Trial("t1")
    for attr, value, s, rule in [("drugs", zor, s1, "trial.studies-drug"), ("partners", doc, s1, "trial.partner"),
                                 ("conditions", nsclc, s1, "trial.condition"), ("sites", northfield, s2, "trial.site"),
                                 ("sponsors", acme, s1, "trial.sponsor"), ("phases", "Phase 2", s1, "trial.phase"),
                                 ("status", "ongoing", s2, "context.status"), ("enrollment", 40, s2, "trial.enrollment")]:
        if attr in ("status", "enrollment"):
            setattr(t, attr, value)
            t.evidence[f"{attr}|{value}"] = _ev(s, rule)
        else:
            t.add(attr, value, _ev(s, rule))
    x1 = Extraction("acme0000000000000001", "/press/acme-2024.txt",
                    {"title": "Acme starts Phase 2", "date": "2024-03-05"}, entities=ents, trials=[t],
                    assertions=[Assertion(zor, "targets", kdr, _ev(QUOTED, "target.verb", 0.8)),
                                Assertion(zor, "developedBy", acme, _ev(s1, "developer.issuer", 0.75))],
                    companies=[acme])

    # document 2: Borealis' BX-17 in AML, with azacitidine; zoratinib's target confirmed
    ents2 = dict([_entity("Drug", "BX-17"), _entity("Drug", "azacitidine"), _entity("Drug", "Zoratinib"),
                  _entity("Target", "BCL-2"), _entity("Target", "KDR"),
                  _entity("Condition", "acute myeloid leukemia", ["AML"]),
                  _entity("Company", "Borealis Pharma"), _entity("Organization", "Lakeside University Hospital"),
                  _entity("Organization", "National Cancer Institute")])
    bx, aza = entity_key("Drug", "BX-17"), entity_key("Drug", "azacitidine")
    bcl2, aml = entity_key("Target", "BCL-2"), entity_key("Condition", "acute myeloid leukemia")
    borealis = entity_key("Company", "Borealis Pharma")
    lakeside, nci = entity_key("Organization", "Lakeside University Hospital"), entity_key(
        "Organization", "National Cancer Institute")
    s3 = "Borealis Pharma's BX-17, a BCL-2 inhibitor, is combined with azacitidine in a Phase 1b/2 AML study."
    s4 = "The study, sponsored by the National Cancer Institute, runs at Lakeside University Hospital."
    t2 = Trial("t1")
    for attr, value, s, rule in [("drugs", bx, s3, "trial.studies-drug"), ("partners", aza, s3, "trial.partner"),
                                 ("conditions", aml, s3, "trial.condition"), ("sites", lakeside, s4, "trial.site"),
                                 ("sites", northfield, s4, "trial.site"), ("sponsors", nci, s4, "trial.sponsor"),
                                 ("phases", "Phase 1b/2", s3, "trial.phase"), ("phases", "Phase 1/2", s3, "trial.phase")]:
        t2.add(attr, value, _ev(s, rule))
    ents2[northfield] = ents[northfield]
    x2 = Extraction("boreal00000000000002", "/press/borealis-2025.txt",
                    {"title": "Borealis doses first AML patient", "date": "2025-01-20"}, entities=ents2,
                    trials=[t2],
                    assertions=[Assertion(bx, "targets", bcl2, _ev(s3, "target.inhibitor", 0.9)),
                                Assertion(bx, "developedBy", borealis, _ev(s3, "developer.possessive", 0.8)),
                                Assertion(zor, "targets", kdr, _ev("Zoratinib targets KDR.", "target.verb", 0.7))],
                    companies=[borealis])
    return [(x1, "hash-acme"), (x2, "hash-borealis")]


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("query") / "store"
    with EmbeddedStore(path) as s:
        for x, h in sample_extractions():
            g = add_document(Dataset(), x, h)
            s.replace_document(document_iri(x.doc_id), g, source=x.source, content_hash=h)
    return path


@pytest.fixture(scope="module")
def rdflib_union():
    ds = Dataset(default_union=True)
    for x, h in sample_extractions():
        add_document(ds, x, h)
    return ds


def values(result) -> set[tuple]:
    """Rows as tuples of plain values; '; '-joined lists sorted (GROUP_CONCAT order is free).

    A GROUP_CONCAT over nothing is unbound in pyoxigraph (an unbound value
    is an error for the aggregate) and "" in rdflib (which skips errors):
    both count as unbound here.
    """
    def norm(v):
        if v is None or (isinstance(v, Literal) and str(v) == ""):
            return None
        s = v.value if hasattr(v, "value") and not isinstance(v, Literal) else str(v)
        return "; ".join(sorted(s.split("; "))) if "; " in s else s
    return {tuple(norm(v) for v in row) for row in result}


def ox_rows(store_path, text, **bindings):
    return run_query(text, store=store_path, bindings=bindings or None)


# ---------------------------------------------------------------------------
# run_query
# ---------------------------------------------------------------------------

def test_run_query_select(store_path):
    res = run_query("PREFIX cp: <https://w3id.org/cpkg/> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
                    "SELECT DISTINCT ?l WHERE { ?d a cp:Drug ; rdfs:label ?l } ORDER BY ?l", store=store_path)
    assert res.kind == "solutions"
    assert res.values("l") == ["BX-17", "Zoratinib", "azacitidine", "docetaxel"]


def test_run_query_malformed_names_the_problem(store_path):
    with pytest.raises(QueryError, match=r"malformed SPARQL query: .*1:\d+"):
        run_query("SELECT ?x WHERE { ?x ?p }", store=store_path)


def _engine_position(text: str) -> str:
    """Where pyoxigraph places the syntax error of ``text``, a query it runs as it is (``LINE:COLUMN``)."""
    with pytest.raises(SyntaxError) as e:
        ox.Store().query(text)
    return re.search(r"error at (\d+:\d+)", str(e.value)).group(1)


# each query uses the usual prefixes undeclared (declared for the engine on lines of their own, before it) and
# holds an error; the same query with ?rdfslabel (as long as rdfs:label) in their place needs no declaration
@pytest.mark.parametrize("query,bindings", [
    ("SELECT ?l WHERE { ?d a cp:Drug ; rdfs:label ?l FILTER (?l = ) }", None),
    ("SELECT ?l WHERE {\n  ?d rdfs:label ?l .\n  FILTER (?l = ) }", None),
    ("SELECT (COUNT(*) AS ?n) ?l WHERE { ?d rdfs:label ?l }", None),
    # a bound slot before the error, on the error's line: the value is longer than UNDEF
    ("SELECT ?l WHERE {\nVALUES ?l { UNDEF } ?d rdfs:label ?l FILTER (?l = ) }", {"l": "a much longer value"}),
    # a binding without a slot: a VALUES clause is added after the query's (unfinished) text
    ("SELECT ?l WHERE { ?d rdfs:label ?l ", {"l": "BX-17"}),
])
def test_a_syntax_error_is_placed_in_the_query_as_written(store_path, query, bindings):
    with pytest.raises(QueryError) as e:
        run_query(query, store=store_path, bindings=bindings)
    where = _engine_position(query.replace("rdfs:label", "?rdfslabel").replace("cp:Drug", "?cpDrug"))
    assert f"error at {where}" in str(e.value)
    assert str(e.value).startswith("malformed SPARQL query: error at")


@pytest.mark.parametrize("query", [
    "SELECT ?l WHERE { ?d rdfs:label ?l . ?d foo:bar ?x }",                # a predicate: the engine says OPTIONAL
    "SELECT ?l WHERE { ?d rdfs:label ?l ; cp:targets foo:bar }",            # an object: the engine's "Prefix not found"
    "SELECT ?l WHERE {\n  ?d rdfs:label ?l ;\n     dcterms:publisher/foo:name ?x }",   # after a path's "/"
])
def test_an_undeclared_prefix_is_named_where_it_is(store_path, query):
    with pytest.raises(QueryError) as e:
        run_query(query, store=store_path)
    at = query.index("foo:")
    line = query.count("\n", 0, at) + 1
    column = at - (query.rfind("\n", 0, at) + 1) + 1
    assert str(e.value).startswith(f'unknown prefix "foo:" at {line}:{column}: declare it (PREFIX foo: <...>)')


def test_a_prefix_inside_a_string_iri_or_comment_is_not_a_use():
    from kg.store import undeclared_prefix, with_default_prefixes

    q = 'SELECT * WHERE { ?s <urn:foo:bar> "foo:bar", \'\'\'bar:baz\'\'\' # zz:top\n }'
    assert undeclared_prefix(q) is None and with_default_prefixes(q) == q
    assert undeclared_prefix("PREFIX ex: <http://x/> SELECT * { ?s ex:a:b ex: }") is None
    empty = "SELECT * { ?s rdfs:label ?o . ?o :name ?n }"
    assert undeclared_prefix(empty) == ("", empty.index(":name"))


def test_cli_undeclared_prefix_is_one_line(store_path, capsys):
    q = "SELECT ?doc ?pub WHERE { ?doc dcterms:publisher/rdfs:label ?pub . ?x foo:bar ?y }"
    assert main(["query", q, "--store", str(store_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f'kg: error: unknown prefix "foo:" at 1:{q.index("foo:") + 1}:') and err.count("\n") == 1


def test_run_query_empty(store_path):
    with pytest.raises(QueryError, match="empty query"):
        run_query("  \n", store=store_path)


def test_run_query_missing_store(tmp_path):
    with pytest.raises(StoreError, match="no store here"):
        run_query("ASK {}", store=tmp_path / "none")
    assert not (tmp_path / "none").exists()


def test_bound_value_cannot_change_the_query(store_path):
    q = "SELECT ?d WHERE { ?d <http://www.w3.org/2000/01/rdf-schema#label> ?l }"
    evil = '" } } ; DROP ALL ; SELECT * WHERE { ?s ?p "'
    assert run_query(q, store=store_path, bindings={"l": evil}).rows == []
    assert run_query(q, store=store_path, bindings={"l": "BX-17"}).values("d") == [
        str(entity_iri(entity_key("Drug", "BX-17")))]


# ---------------------------------------------------------------------------
# formats
# ---------------------------------------------------------------------------

SELECT_ALL = """PREFIX cp: <https://w3id.org/cpkg/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?trial ?phase ?enrollment ?evidence ?lang WHERE {
  ?trial a cp:ClinicalTrial ; cp:phase ?phase .
  OPTIONAL { ?trial cp:enrollment ?enrollment }
  OPTIONAL { ?st <http://www.w3.org/1999/02/22-rdf-syntax-ns#object> ?phase ; cp:evidenceText ?evidence }
  BIND (STRLANG("x", "en") AS ?lang)
} ORDER BY ?phase ?evidence"""


@pytest.fixture(scope="module")
def select_result(store_path):
    res = run_query(SELECT_ALL, store=store_path)
    assert len(res) >= 2 and any(v is None for v in res.column("enrollment"))
    return res


def test_table_is_aligned(select_result):
    text = format_result(select_result, "table")
    lines = text.rstrip("\n").split("\n")
    header, rule, *rows, footer = lines
    assert header.split(" | ")[0].strip() == "trial"
    assert set(rule) <= {"-", "+"}
    bars = [i for i, c in enumerate(rule) if c == "+"]
    assert len(bars) == len(select_result.variables) - 1
    for line in [header] + rows:
        assert [i for i, c in enumerate(line) if c == "|"] == bars
    assert footer == f"({len(select_result)} rows)"
    assert "cptrial:" in text                        # IRIs shortened by prefix


def test_csv_parses_back(select_result):
    text = format_result(select_result, "csv")
    assert "\r\n" in text
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == select_result.variables
    assert len(rows) == len(select_result) + 1
    for got, row in zip(rows[1:], select_result.rows):
        assert got == ["" if t is None else t.value for t in row]


def test_tsv_parses_back(select_result):
    text = format_result(select_result, "tsv")
    lines = text.rstrip("\n").split("\n")
    assert lines[0].split("\t") == [f"?{v}" for v in select_result.variables]
    assert all(len(line.split("\t")) == len(select_result.variables) for line in lines)
    back = list(ox.parse_query_results(text, ox.QueryResultsFormat.TSV))
    assert [tuple(s[i] for i in range(len(select_result.variables))) for s in back] == select_result.rows


def test_json_parses_back(select_result):
    text = format_result(select_result, "json")
    doc = json.loads(text)
    assert doc["head"]["vars"] == select_result.variables
    bindings = doc["results"]["bindings"]
    assert len(bindings) == len(select_result)
    first = bindings[0]
    assert first["trial"]["type"] == "uri"
    assert first["lang"] == {"type": "literal", "value": "x", "xml:lang": "en"}
    assert any("enrollment" not in b for b in bindings)          # unbound: left out
    assert any(b.get("enrollment", {}).get("datatype", "").endswith("#integer") for b in bindings)
    back = list(ox.parse_query_results(text, ox.QueryResultsFormat.JSON))
    assert [tuple(s[i] for i in range(len(select_result.variables))) for s in back] == select_result.rows


@pytest.mark.parametrize("fmt", ["json", "csv", "tsv"])
def test_cli_results_are_pyoxigraphs_own(store_path, capsys, fmt):
    """kg query writes JSON, CSV and TSV with pyoxigraph's serializer (and ends them with a line break)."""
    assert main(["query", SELECT_ALL, "--store", str(store_path), "--format", fmt]) == 0
    with EmbeddedStore(store_path, read_only=True) as s:
        expected = s.oxigraph.query(SELECT_ALL).serialize(format=ox.QueryResultsFormat.from_extension(fmt))
    out = capsys.readouterr().out.encode("utf-8")
    assert out == (expected if expected.endswith(b"\n") else expected + b"\n")


def test_triple_terms_and_blank_nodes_survive_every_format(store_path):
    q = ("SELECT ?t ?b ?u WHERE { ?d a <https://w3id.org/cpkg/Drug> ; <http://www.w3.org/2000/01/rdf-schema#label> ?l "
         "BIND (TRIPLE(?d, <https://example.org/name>, STRLANG(?l, 'en')) AS ?t) BIND (BNODE(?l) AS ?b) } ORDER BY ?l")
    res = run_query(q, store=store_path)
    assert len(res) == 4 and all(isinstance(row[0], ox.Triple) for row in res.rows)
    for fmt in ("json", "tsv"):
        back = ox.parse_query_results(format_result(res, fmt), ox.QueryResultsFormat.from_extension(fmt))
        assert [tuple(sol) for sol in back] == [row for row in res.rows]


@pytest.mark.parametrize("query,expected", [("ASK { ?d a <https://w3id.org/cpkg/Drug> }", True),
                                            ("ASK { ?d a <https://example.org/Nothing> }", False)])
def test_ask(store_path, query, expected):
    res = run_query(query, store=store_path)
    word = "true" if expected else "false"
    for fmt in ("table", "csv", "tsv"):
        assert format_result(res, fmt) == word + "\n"
    assert json.loads(format_result(res, "json")) == {"head": {}, "boolean": expected}


def test_construct_prints_turtle_or_ntriples(store_path):
    res = run_query("PREFIX cp: <https://w3id.org/cpkg/> CONSTRUCT { ?d cp:targets ?t } WHERE { ?d cp:targets ?t }",
                    store=store_path)
    assert res.kind == "graph" and len(res) == 2
    turtle = format_result(res, "table")
    assert "@prefix cp:" in turtle
    g1 = Graph().parse(data=turtle, format="turtle")
    for fmt in ("csv", "tsv", "json"):
        g2 = Graph().parse(data=format_result(res, fmt), format="nt")
        assert set(g1) == set(g2) and len(g2) == 2


def _table_cells(text: str) -> list[list[str]]:
    lines = text.rstrip("\n").split("\n")
    return [[c.strip() for c in line.split(" | ")] for line in lines[2:-1]]


ALL_IRIS = "SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o FILTER (isIRI(?o)) } ORDER BY ?s ?p ?o"


@pytest.mark.model
def test_every_iri_the_table_prints_can_be_pasted_into_a_query(samples_store, capsys):
    """kg query's table over the store of data/samples: each IRI cell, pasted into a query, is that node."""
    assert main(["query", ALL_IRIS, "--store", str(samples_store)]) == 0
    cells = [c for row in _table_cells(capsys.readouterr().out) for c in row]
    terms = [t for row in run_query(ALL_IRIS, store=samples_store).rows for t in row]
    assert len(cells) == len(terms) > 1000
    assert any(c.startswith("cpdrug:") for c in cells) and any(c.startswith("cptrial:") for c in cells)
    pasted = "SELECT ?x WHERE { VALUES ?x { " + " ".join(dict.fromkeys(cells)) + " } }"
    assert main(["query", pasted, "--store", str(samples_store), "--format", "tsv"]) == 0
    back = list(ox.parse_query_results(capsys.readouterr().out, ox.QueryResultsFormat.TSV))
    assert [sol["x"] for sol in back] == list(dict.fromkeys(terms))


def test_table_writes_an_iri_a_prefix_cannot_name_whole():
    long_iri = "https://w3id.org/cpkg/doc/" + "a" * 200 + "/evidence/1"
    res = QueryResult("solutions", variables=["x", "y", "z"],
                      rows=[(ox.NamedNode(long_iri), ox.NamedNode("https://w3id.org/cpkg/id/drug/gti-2040"),
                             ox.Literal("x" * 300))])
    cells = _table_cells(format_result(res, "table"))[0]
    assert cells[:2] == [f"<{long_iri}>", "cpdrug:gti-2040"]               # IRIs never cut
    assert len(cells[2]) == 100 and cells[2].endswith("\u2026")              # long literals are


@pytest.mark.model
def test_construct_turtle_names_entities_by_kind(samples_store):
    res = run_query("CONSTRUCT { ?d cp:targets ?t . ?st rdf:subject ?d } WHERE { ?d cp:targets ?t . "
                    "?st rdf:subject ?d }", store=samples_store)
    turtle = format_result(res, "table")
    assert "@prefix cpdrug: <https://w3id.org/cpkg/id/drug/>" in turtle and " cptarget:" in turtle
    assert "\\" not in turtle and "cpid:" not in turtle
    assert set(Graph().parse(data=turtle, format="turtle")) == set(
        Graph().parse(data=format_result(res, "tsv"), format="nt"))


def test_unknown_format(select_result):
    with pytest.raises(QueryError, match="unknown result format"):
        format_result(select_result, "xml")


# ---------------------------------------------------------------------------
# the command line
# ---------------------------------------------------------------------------

def test_cli_query_csv(store_path, capsys):
    assert main(["query", "SELECT ?l WHERE { ?d <http://www.w3.org/2000/01/rdf-schema#label> ?l } ORDER BY ?l LIMIT 1",
                 "--store", str(store_path), "--format", "csv"]) == 0
    assert capsys.readouterr().out == "l\r\nAcme Biotherapeutics\r\n"


def test_cli_malformed_query_is_one_line(store_path, capsys):
    assert main(["query", "SELECT WHERE {", "--store", str(store_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("kg: error: malformed SPARQL query")
    assert err.count("\n") == 1


def test_cli_query_file(store_path, capsys):
    assert main(["query", "-f", str(_rq("drug-targets")), "--store", str(store_path), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {b["drugLabel"]["value"] for b in doc["results"]["bindings"]} == {"BX-17", "Zoratinib"}


# ---------------------------------------------------------------------------
# the competency questions (ontology/queries/*.rq)
# ---------------------------------------------------------------------------

def _rq(name):
    from kg.paths import queries_dir
    return queries_dir() / f"{name}.rq"


QUERIES = standard_queries()


def test_the_standard_queries_are_there():
    assert {"drug-targets", "condition-trials", "combinations", "drugs-by-company", "sites-by-drug",
            "evidence-for-fact", "pipeline-overview"} <= set(QUERIES)


def _documented_parameters(text: str) -> list[str]:
    head = text.split("PREFIX", 1)[0]
    return re.findall(r"^#\s+\?(\w+)\s{2,}", head, re.M)


@pytest.mark.parametrize("name", QUERIES)
def test_rq_header_documents_the_question_and_parameters(name):
    text = load_query(name)
    assert text.startswith(f"# {name}.rq -- ")
    params = _documented_parameters(text)
    assert params, "a parameter section (#   ?var   meaning)"
    select = re.search(r"^SELECT[^{]*", text, re.M).group(0)
    for p in params:
        assert f"?{p}" in select, f"parameter ?{p} must be a result column"
        assert re.search(rf"^\s+VALUES \?{p} {{ UNDEF }}$", text, re.M), f"parameter ?{p} needs a VALUES slot"


def test_bindings_fill_the_slot_or_trail():
    from kg.store import bind_values

    q = "SELECT * WHERE {\n  VALUES ?a { UNDEF }\n  ?s ?p ?a . ?s ?q ?b\n}"
    text = bind_values(q, {"a": ox.Literal("x"), "b": ox.NamedNode("https://example.org/b")})
    assert '  VALUES ?a { "x" }\n' in text and "UNDEF" not in text
    assert text.endswith('\nVALUES (?b) { (<https://example.org/b>) }\n')
    commented = "# VALUES ?a { UNDEF }\n" + q.replace("  VALUES ?a { UNDEF }\n", "")
    assert bind_values(commented, {"a": ox.Literal("x")}).startswith("# VALUES ?a { UNDEF }")


@pytest.mark.parametrize("name", QUERIES)
def test_rq_runs_unbound_and_agrees_with_rdflib(name, store_path, rdflib_union):
    text = load_query(name)
    res = run_query(text, store=store_path)
    assert res.kind == "solutions" and len(res) > 0
    assert values(res.rows) == values(rdflib_union.query(text))


@pytest.mark.parametrize("name", QUERIES)
def test_rq_parameters_bind_the_same_way_everywhere(name, store_path, rdflib_union):
    """Binding each documented parameter to a value it takes keeps exactly the rows with that value."""
    text = load_query(name)
    unbound = run_query(text, store=store_path)
    for p in _documented_parameters(text):
        seen = [v for v in unbound.column(p) if v is not None]
        value = seen[0]
        bound = run_query(text, store=store_path, bindings={p: value})
        i = unbound.variables.index(p)
        assert values(bound.rows) == values(r for r in unbound.rows if r[i] == value)
        appended = run_query(text + f"\nVALUES ?{p} {{ {value} }}\n", store=store_path)
        assert values(appended.rows) == values(bound.rows)
        rterm = URIRef(value.value) if isinstance(value, ox.NamedNode) else Literal(value.value)
        assert values(rdflib_union.query(text, initBindings={p: rterm})) == values(bound.rows)


def _bound(store_path, name, **bindings):
    res = run_query(load_query(name), store=store_path, bindings=bindings)
    return [dict(zip(res.variables, (None if t is None else t.value for t in row))) for row in res.rows]


def test_drug_targets(store_path):
    rows = _bound(store_path, "drug-targets", drugLabel="Zoratinib")
    assert [(r["targetLabel"], r["documents"]) for r in rows] == [("KDR", "2")]


def test_condition_trials(store_path):
    [row] = _bound(store_path, "condition-trials", conditionLabel="acute myeloid leukemia")
    assert row["drugLabel"] == "BX-17" and row["phase"] == "Phase 1/2" and row["subPhase"] == "Phase 1b/2"
    assert row["combinedWith"] == "azacitidine"
    assert row["sponsors"] == "National Cancer Institute"
    assert set(row["sites"].split("; ")) == {"Lakeside University Hospital", "Northfield Cancer Centre"}
    [nsclc] = _bound(store_path, "condition-trials", conditionLabel="non-small cell lung cancer")
    assert (nsclc["drugLabel"], nsclc["phase"], nsclc["status"]) == ("Zoratinib", "Phase 2", "ongoing")
    assert nsclc["subPhase"] is None             # no sub-phase stated


def test_trials_by_phase_count_only_the_contract_values(store_path):
    # a stated "Phase 1b/2" is a cp:subPhase: the count by cp:phase has one row per contract value
    res = run_query("SELECT ?phase (COUNT(*) AS ?n) WHERE { ?t cp:phase ?phase } GROUP BY ?phase", store=store_path)
    assert {row[0].value: row[1].value for row in res.rows} == {"Phase 2": "1", "Phase 1/2": "1"}
    res = run_query("SELECT ?sub WHERE { ?t cp:subPhase ?sub }", store=store_path)
    assert [row[0].value for row in res.rows] == ["Phase 1b/2"]


def test_combinations_both_ways(store_path):
    pairs = {(r["drugLabel"], r["partnerLabel"]) for r in _bound(store_path, "combinations")}
    assert pairs == {("Zoratinib", "docetaxel"), ("docetaxel", "Zoratinib"),
                     ("BX-17", "azacitidine"), ("azacitidine", "BX-17")}
    [row] = _bound(store_path, "combinations", partnerLabel="BX-17")
    assert row["drugLabel"] == "azacitidine" and row["conditions"] == "acute myeloid leukemia"
    assert (row["phases"], row["subPhases"]) == ("Phase 1/2", "Phase 1b/2")


def test_drugs_by_company(store_path):
    [row] = _bound(store_path, "drugs-by-company", companyLabel="Acme Biotherapeutics")
    assert (row["drugLabel"], row["highestPhase"], row["conditions"]) == (
        "Zoratinib", "Phase 2", "non-small cell lung cancer")


def test_sites_by_drug(store_path):
    rows = _bound(store_path, "sites-by-drug", siteLabel="Northfield Cancer Centre")
    assert {r["drugLabel"] for r in rows} == {"Zoratinib", "docetaxel", "BX-17", "azacitidine"}
    assert {(r["drugLabel"], r["phases"], r["subPhases"]) for r in rows if r["drugLabel"] == "BX-17"} == {
        ("BX-17", "Phase 1/2", "Phase 1b/2")}


def test_evidence_for_fact(store_path):
    rows = _bound(store_path, "evidence-for-fact", subjectLabel="Zoratinib",
                  predicate=ox.NamedNode("https://w3id.org/cpkg/targets"))
    assert {(r["objectLabel"], r["rule"], r["confidence"], r["evidenceText"]) for r in rows} == {
        ("KDR", "target.verb", "0.8", QUOTED), ("KDR", "target.verb", "0.7", "Zoratinib targets KDR.")}
    assert {r["source"] for r in rows} == {"/press/acme-2024.txt", "/press/borealis-2025.txt"}
    [phase] = _bound(store_path, "evidence-for-fact", objectLabel="Phase 2")
    assert phase["rule"] == "trial.phase" and phase["predicate"].endswith("phase")


def test_pipeline_overview(store_path):
    rows = {r["drugLabel"]: r for r in _bound(store_path, "pipeline-overview")}
    z = rows["Zoratinib"]
    assert (z["developers"], z["highestPhase"], z["trials"], z["documents"], z["latestRelease"]) == (
        "Acme Biotherapeutics", "Phase 2", "1", "2", "2025-01-20")
    assert rows["docetaxel"]["trials"] == "0"
    assert (rows["BX-17"]["phases"], rows["BX-17"]["highestPhase"], rows["BX-17"]["subPhases"]) == (
        "Phase 1/2", "Phase 1/2", "Phase 1b/2")


def test_usual_prefixes_need_no_declaration():
    from kg.store import with_default_prefixes

    q = "SELECT ?l WHERE { ?d a cp:Drug ; rdfs:label ?l }"
    out = with_default_prefixes(q)
    assert out.startswith("PREFIX cp: <https://w3id.org/cpkg/>") and "PREFIX rdfs:" in out and out.endswith(q)
    declared = "PREFIX cp: <http://example.org/>\nSELECT * WHERE { ?s cp:p ?o }"
    assert with_default_prefixes(declared) == declared
    assert with_default_prefixes("SELECT * WHERE { <http://x/a> ?p ?o }") == "SELECT * WHERE { <http://x/a> ?p ?o }"
    path = "SELECT ?pub WHERE { ?doc dcterms:publisher/rdfs:label ?pub }"     # a prefix after a path's "/"
    assert "PREFIX rdfs:" in with_default_prefixes(path) and "PREFIX dcterms:" in with_default_prefixes(path)


def test_query_benchmark_runs_every_question_both_ways_on_both_engines(store_path, tmp_path):
    """bench/queries.py on a small store: every question unbound and bound, the same rows from rdflib."""
    import importlib.util
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "bench" / "queries.py"
    spec = importlib.util.spec_from_file_location("bench_queries", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.main(["--store", str(store_path), "--repeat", "1", "--baseline-timeout", "120", "--out", str(tmp_path)])
    report = json.loads((tmp_path / "queries.json").read_text())
    assert {(r["query"], r["form"]) for r in report["results"]} == {(q, f) for q in QUERIES for f in ("all", "one")}
    for r in report["results"]:
        assert r["rows"] > 0 and r["rdflib_rows"] == r["rows"], r
    table = (tmp_path / "queries.md").read_text()
    assert table.count("\n| ") == len(report["results"]) + 1 and report["merged_default_graph"] is True


def test_a_file_date_is_no_release_date_in_the_queries(tmp_path):
    """A copy of the Acme release that states no date (dated by its file, cp:dateSource "file-modified"),
    giving the trial an earlier status: its file's day is not the drug's latest release, and the trial's
    history lists it first, as a release that states no date."""
    x1, h1 = sample_extractions()[0]
    copied = copy.deepcopy(x1)
    copied.doc_id, copied.source = "acme0000000000000003", "/press/acme-copy.txt"
    copied.meta = {"title": "Acme plans Phase 2", "date": "2026-12-07", "date_source": "file-modified"}
    [t] = copied.trials
    t.status = "planned"
    t.evidence["status|planned"] = t.evidence.pop("status|ongoing")
    path = tmp_path / "store"
    with EmbeddedStore(path) as s:
        for x, h in ((x1, h1), (copied, "hash-copy")):
            s.replace_document(document_iri(x.doc_id), add_document(Dataset(), x, h), source=x.source, content_hash=h)
    rows = {r["drugLabel"]: r for r in _bound(path, "pipeline-overview", drugLabel="Zoratinib")}
    assert rows["Zoratinib"]["latestRelease"] == "2024-03-05"
    res = run_query(load_query("trial-history"), store=path)
    history = [dict(zip(res.variables, (None if v is None else v.value for v in row))) for row in res.rows]
    assert [(r["status"], r["released"], r["dateSource"]) for r in history] == [
        ("planned", "2026-12-07", "file-modified"), ("ongoing", "2024-03-05", None)]


# ---------------------------------------------------------------------------
# kg schema: what the store holds, and the questions to ask it
# ---------------------------------------------------------------------------

def _schema(capsys, *args) -> dict:
    assert main(["schema", *args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def _count(store_path, sparql) -> int:
    return int(run_query(sparql, store=store_path).rows[0][0].value)


@pytest.mark.model
def test_schema_counts_are_what_sparql_counts(samples_store, capsys):
    doc = _schema(capsys, "--store", str(samples_store))
    classes = {c["class"]: c for c in doc["classes"]}
    assert set(classes) == set(run_query("SELECT DISTINCT ?c WHERE { ?s a ?c }", store=samples_store).values("c"))
    assert classes["https://w3id.org/cpkg/Drug"]["name"] == "cp:Drug"
    for iri, c in classes.items():
        assert c["instances"] == _count(samples_store, f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a <{iri}> }}")
        assert c["documents"] == _count(samples_store, f"SELECT (COUNT(DISTINCT ?g) AS ?n) "
                                                       f"WHERE {{ GRAPH ?g {{ ?s a <{iri}> }} }}")
    properties = {p["property"]: p for p in doc["properties"]}
    assert set(properties) == set(run_query("SELECT DISTINCT ?p WHERE { ?s ?p ?o }", store=samples_store).values("p"))
    for iri, p in properties.items():
        # the default graph is the merge of the document graphs: each triple once
        assert p["triples"] == _count(samples_store, f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s <{iri}> ?o }}")
        assert p["documents"] == _count(samples_store, f"SELECT (COUNT(DISTINCT ?g) AS ?n) "
                                                       f"WHERE {{ GRAPH ?g {{ ?s <{iri}> ?o }} }}")
    assert properties["https://w3id.org/cpkg/targets"]["triples"] >= 1


@pytest.mark.model
def test_schema_example_lines_run_and_answer(samples_store, capsys):
    import shlex

    doc = _schema(capsys, "--store", str(samples_store))
    assert [q["name"] for q in doc["queries"]] == QUERIES
    for q in doc["queries"]:
        words = shlex.split(q["example"])
        assert words[:4] == ["kg", "query", "-f", q["name"]] and words[-2:] == ["--store", str(samples_store)]
        if q["parameters"]:
            assert words[4] == "--bind" and words[5].startswith(q["parameters"][0]["name"] + "=")
        assert main(words[1:] + ["--format", "json"]) == 0, q["example"]
        rows = json.loads(capsys.readouterr().out)["results"]["bindings"]
        assert rows, f"{q['example']}: no rows"          # bound to a value this store holds


def test_schema_lists_each_standard_querys_parameters():
    from kg.query import named_query
    from kg.store import parameter_slots

    for name in QUERIES:
        q = named_query(name)
        assert [p.name for p in q.parameters] == list(parameter_slots(load_query(name)))
        assert q.parameters and all(p.description and p.example for p in q.parameters), name
    ev = {p.name: p for p in named_query("evidence-for-fact").parameters}
    assert set(ev) == {"subjectLabel", "predicate", "rule", "objectLabel"}
    assert (ev["predicate"].example, ev["rule"].example) == ("cp:targets", "trial.phase")
    assert named_query("drug-targets").title == "What does drug X target?"


def test_schema_table(store_path, capsys):
    assert main(["schema", "--store", str(store_path)]) == 0
    out = capsys.readouterr().out
    drugs = _count(store_path, "SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { ?d a cp:Drug }")
    assert re.search(rf"^cp:Drug +\| +{drugs} \| +2$", out, re.M)
    # three cp:targets statements in two documents; Zoratinib -> KDR, stated by both, is one triple
    assert re.search(r"^cp:targets +\| +2 \| +2$", out, re.M)
    for name in QUERIES:
        assert f"\n{name}: " in out and f"kg query -f {name} " in out


def test_schema_through_an_endpoint_is_the_stores(store_path, capsys):
    from kg.server import SparqlServer

    local = _schema(capsys, "--store", str(store_path))
    with SparqlServer(store=store_path, port=0, workers=1) as srv:
        srv.start()
        remote = _schema(capsys, "--endpoint", srv.url + "/sparql")
        example = next(q["example"] for q in remote["queries"] if q["name"] == "drug-targets")
        assert example.endswith(f"--endpoint {srv.url}/sparql")
        words = example.split()
        label = words[words.index("--bind") + 1].partition("=")[2]
        assert main(words[1:]) == 0
        assert re.search(rf"^{re.escape(label)} +\|", capsys.readouterr().out, re.M)       # a row of that drug
    assert (remote["classes"], remote["properties"]) == (local["classes"], local["properties"])


def test_a_binding_a_grouped_query_would_ignore_is_refused():
    from kg.errors import QueryError
    from kg.store import bind_values

    grouped = "SELECT ?c (COUNT(*) AS ?n) WHERE { ?d a ?c } GROUP BY ?c"
    with pytest.raises(QueryError, match=r"cannot bind \?d: the query groups its rows and not by \?d"):
        bind_values(grouped, {"d": "x"})
    with pytest.raises(QueryError, match="cannot bind"):
        bind_values("SELECT (COUNT(*) AS ?n) WHERE { ?d a ?c }", {"d": "x"})
    assert bind_values(grouped, {"c": "x"}).endswith('VALUES (?c) { ("x") }\n')       # a group key filters
    # a sub-query's grouping, or the words in a string or comment, are not the query's
    assert "VALUES (?d)" in bind_values("SELECT ?x WHERE { { SELECT ?x (COUNT(*) AS ?n) WHERE { ?x ?p ?o } "
                                        "GROUP BY ?x } ?x ?q ?d }", {"d": "v"})
    assert "VALUES (?x)" in bind_values('SELECT ?x WHERE { ?x ?p "GROUP BY" } # COUNT(', {"x": "v"})
    slotted = "SELECT ?c (COUNT(*) AS ?n) WHERE {\n  VALUES ?d { UNDEF }\n  ?d a ?c } GROUP BY ?c"
    assert 'VALUES ?d { "x" }' in bind_values(slotted, {"d": "x"})


def test_a_trig_dump_of_real_graphs_needs_no_escape(tmp_path):
    """Entities and the evidence statements alike are prefixed names Turtle, TriG and a query take as
    written (statements were ``cpdoc:<doc>\\/evidence\\/3``)."""
    path = tmp_path / "store"
    with EmbeddedStore(path) as s:
        for x, h in sample_extractions():
            s.replace_document(document_iri(x.doc_id), add_document(Dataset(), x, h), source=x.source, content_hash=h)
        text = s.dump(format="trig").decode("utf-8")
    assert "\\/" not in text and "\\-" not in text
    assert re.search(r"\bcpdoc:\w+-evidence-\d+ cp:rule ", text)
    statements = run_query("SELECT ?st WHERE { ?st a rdf:Statement }", store=path)
    cell = format_result(statements, "table").splitlines()[2].strip()
    assert cell.startswith("cpdoc:") and run_query(f"ASK {{ {cell} a rdf:Statement }}", store=path).boolean
