"""kg/cli.py: commands, output formats, exit codes and one-line errors."""
from __future__ import annotations

import pytest
import rdflib

from kg.cli import main

RELEASE = """BOSTON, May 4, 2021 - Acme Biosciences Inc. (NASDAQ: ACME) today announced the start of a
Phase 2 clinical trial of ZX-4410 in patients with gout at the Lakeside University Hospital.
"""


@pytest.fixture
def fast_extractor(monkeypatch, extractor):
    """``kg extract`` builds its pipeline once per process: reuse the session's."""
    import kg.pipeline
    monkeypatch.setattr(kg.pipeline, "Extractor", lambda *a, **k: extractor)
    return extractor


def test_no_command_is_a_usage_error(capsys):
    assert main([]) == 2


def test_unknown_output_extension_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "a.txt").write_text(RELEASE)
    with pytest.raises(SystemExit) as e:
        main(["extract", str(tmp_path / "a.txt"), "-o", str(tmp_path / "out.xyz")])
    assert e.value.code == 2
    assert "unknown output format" in capsys.readouterr().err


@pytest.mark.model
@pytest.mark.parametrize("suffix, fmt", [(".trig", "trig"), (".nq", "nquads"), (".jsonld", "json-ld"), (".ttl", "turtle")])
def test_extract_writes_every_format(tmp_path, fast_extractor, suffix, fmt):
    (tmp_path / "a.txt").write_text(RELEASE)
    out = tmp_path / f"out{suffix}"
    assert main(["extract", str(tmp_path / "a.txt"), "-o", str(out), "-q"]) == 0
    g = rdflib.Dataset() if fmt != "turtle" else rdflib.Graph()
    g.parse(out, format=fmt)
    labels = {str(o) for o in g.objects(None, rdflib.RDFS.label)} if fmt == "turtle" else \
        {str(o) for _, _, o, _ in g.quads((None, rdflib.RDFS.label, None, None))}
    assert {"ZX-4410", "gout", "Lakeside University Hospital"} <= labels


@pytest.mark.model
def test_bad_file_is_reported_in_one_line_and_the_rest_is_extracted(tmp_path, fast_extractor, capsys):
    (tmp_path / "a.txt").write_text(RELEASE)
    (tmp_path / "b.txt").write_bytes(b"")
    (tmp_path / "c.txt").write_bytes(b"\xff\xfe\x00\x00binary")
    out = tmp_path / "out.trig"
    assert main(["extract", str(tmp_path), "-o", str(out), "-q"]) == 1
    err = [l for l in capsys.readouterr().err.splitlines() if l.startswith("kg: skipped")]
    assert len(err) == 2 and "b.txt: empty file" in err[0] and "c.txt: binary file" in err[1]
    ds = rdflib.Dataset()
    ds.parse(out, format="trig")
    sources = {str(o) for _, _, o, _ in ds.quads((None, rdflib.namespace.DCTERMS.source, None, None))}
    assert [s.rsplit("/", 1)[-1] for s in sources] == ["a.txt"]


def test_query_on_a_missing_store_is_a_one_line_error(tmp_path, capsys):
    assert main(["query", "SELECT * WHERE { ?s ?p ?o }", "--store", str(tmp_path / "nostore")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("kg: error:")


def test_malformed_query_is_a_one_line_error(tmp_path, capsys):
    from kg.store import open_store
    open_store(str(tmp_path / "s")).close()
    assert main(["query", "SELEKT ?s WHERE {", "--store", str(tmp_path / "s")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "kg: error:" in err[0]


@pytest.fixture
def small_store(tmp_path):
    """A store with one document: drug X targets T (stated), drug Y targets U."""
    from rdflib import Literal, URIRef
    from rdflib.namespace import RDF, RDFS

    from kg.rdf.namespace import CP, DOC, ID
    from kg.store import open_store

    d = DOC["d"]
    triples = [(d, RDF.type, CP.Document)]
    for drug, target in (("x", "t"), ("y", "u")):
        triples += [(ID[f"drug/{drug}"], RDF.type, CP.Drug), (ID[f"drug/{drug}"], RDFS.label, Literal(drug.upper())),
                    (ID[f"target/{target}"], RDFS.label, Literal(target.upper())),
                    (ID[f"drug/{drug}"], CP.targets, ID[f"target/{target}"])]
    with open_store(str(tmp_path / "s")) as s:
        s.replace_document(URIRef(str(d)), triples, source="d.txt", content_hash="h")
    return str(tmp_path / "s")


def test_query_binds_a_standard_query_by_name(small_store, capsys):
    assert main(["query", "-f", "drug-targets", "--bind", "drugLabel=Y", "--store", small_store,
                 "--format", "csv"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].startswith("drugLabel,targetLabel") and [r.split(",")[:2] for r in rows[1:]] == [["Y", "U"]]


def test_bind_takes_iris_by_prefix_or_brackets(small_store, capsys):
    q = "SELECT ?t WHERE { ?d ?p ?t }"
    for value in ("cp:drug-nothing", "<https://w3id.org/cpkg/id/drug/x>"):
        assert main(["query", q, "--bind", "p=cp:targets", "--bind", f"d={value}", "--store", small_store,
                     "--format", "tsv"]) == 0
    first, second = capsys.readouterr().out.split("?t\n")[1:]
    assert (first.strip(), second.strip()) == ("", "<https://w3id.org/cpkg/id/target/t>")


def test_unknown_query_file_lists_the_standard_queries(small_store, capsys):
    assert main(["query", "-f", "no-such-query", "--store", small_store]) == 1
    [err] = capsys.readouterr().err.strip().splitlines()
    assert err.startswith("kg: error: no-such-query") and "standard queries: combinations, condition-trials" in err


def test_bind_without_a_value_is_a_usage_error(small_store, capsys):
    with pytest.raises(SystemExit) as e:
        main(["query", "-f", "drug-targets", "--bind", "drugLabel", "--store", small_store])
    assert e.value.code == 2 and "expected NAME=VALUE" in capsys.readouterr().err


@pytest.mark.parametrize("given, limit", [(None, "default"), ("0", None), ("none", None), ("2000", 2000),
                                          ("10MB", 10_000_000), ("512kB", 512_000)])
def test_max_bytes_reaches_every_reader(tmp_path, monkeypatch, capsys, given, limit):
    import kg.documents
    import kg.ingest
    import kg.pipeline

    if limit == "default":
        limit = kg.documents.DEFAULT_MAX_BYTES
    seen = {}

    def read_documents(paths, on_error=None, max_bytes="unset"):
        seen["extract"] = max_bytes
        return iter([])

    def load_documents(path, max_bytes="unset"):
        seen["explain"] = max_bytes
        raise kg.errors.DocumentError(path, "stop here")

    def ingest(paths, **kw):
        seen["ingest"] = kw.get("max_bytes", "unset")
        raise kg.errors.KGError("stop here")

    monkeypatch.setattr(kg.pipeline, "read_documents", read_documents)
    monkeypatch.setattr(kg.documents, "load_documents", load_documents)
    monkeypatch.setattr(kg.ingest, "ingest", ingest)
    option = ["--max-bytes", given] if given is not None else []
    (tmp_path / "a.txt").write_text(RELEASE)
    for command in ("extract", "explain", "ingest"):
        main([command, str(tmp_path / "a.txt"), *option])
    assert seen == {"extract": limit, "explain": limit, "ingest": limit}


def test_a_query_file_and_a_query_text_together_are_a_usage_error(small_store, capsys):
    with pytest.raises(SystemExit) as e:
        main(["query", "ASK {}", "-f", "drug-targets", "--store", small_store])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "kg query: error: give a SPARQL query or -f FILE.rq, not both" in err


def test_bind_refuses_an_iri_that_does_not_parse(small_store, capsys):
    with pytest.raises(SystemExit) as e:
        main(["query", "SELECT ?t WHERE { ?d ?p ?t }", "--bind", "d=<not an iri>", "--store", small_store])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "Traceback" not in err
    assert err.splitlines()[-1].startswith("kg query: error: --bind 'd=<not an iri>': not a valid IRI")


def test_extract_checks_the_output_folder_before_reading_anything(tmp_path, monkeypatch, capsys):
    import kg.pipeline

    monkeypatch.setattr(kg.pipeline, "read_documents", lambda *a, **k: pytest.fail("read before the check"))
    (tmp_path / "a.txt").write_text(RELEASE)
    assert main(["extract", str(tmp_path / "a.txt"), "-o", str(tmp_path / "no" / "out.trig")]) == 1
    [err] = capsys.readouterr().err.splitlines()
    assert err == f"kg: error: {tmp_path / 'no' / 'out.trig'}: cannot write: folder {tmp_path / 'no'} does not exist"


def test_an_unexpected_error_is_still_one_line(monkeypatch, capsys):
    import kg.query

    def broken(*args, **kwargs):
        raise TypeError("a bug\nover two lines")

    monkeypatch.setattr(kg.query, "run_query", broken)
    assert main(["query", "ASK {}"]) == 1
    assert capsys.readouterr().err == "kg: error: unexpected TypeError: a bug over two lines (a bug; -vv shows where)\n"
