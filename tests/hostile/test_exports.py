"""Exports stay well-formed XML whatever a query builds: characters XML 1.0 cannot carry become U+FFFD."""
from __future__ import annotations

import pytest
from lxml import etree
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS

from kg.cli import main
from kg.rdf.iris import document_iri
from kg.store import EmbeddedStore

CP = "https://w3id.org/cpkg/"
BUILT = r'''PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX cp: <https://w3id.org/cpkg/>
CONSTRUCT { ?a a cp:Drug . ?b a cp:Condition . ?a cp:investigatedFor ?b . ?a rdfs:label ?l . ?b rdfs:label ?m }
WHERE { BIND(<urn:drug:a> AS ?a) BIND(<urn:condition:b> AS ?b)
        BIND("lab\u0000\u0001\u001B\uFFFE\uFFFF<script>&" AS ?l) BIND(STRLANG("x\u0008", "en") AS ?m) }
'''


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("exports") / "store"
    drug = URIRef(CP + "id/drug/aa-1")
    with EmbeddedStore(path) as s:
        s.replace_document(document_iri("0000000000000000000a"), [(drug, RDF.type, URIRef(CP + "Drug")),
                                                                 (drug, RDFS.label, Literal("AA-1"))],
                           source="/docs/a.txt", content_hash="h")
    return path


@pytest.mark.parametrize("fmt", ["gexf", "graphml", "svg"])
def test_an_export_of_what_a_query_builds_is_well_formed(store, tmp_path, fmt):
    query = tmp_path / "built.rq"
    query.write_text(BUILT, encoding="utf-8")
    out = tmp_path / f"built.{fmt}"
    assert main(["export", "--format", fmt, "--query", str(query), "-o", str(out), "--store", str(store)]) == 0
    text = etree.tostring(etree.parse(str(out)), encoding="unicode")
    assert "lab\ufffd\ufffd\ufffd\ufffd\ufffd" in text and "\x00" not in text
