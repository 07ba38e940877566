"""SPARQL in, results out: run a query against the store and write its result for people or programs.

:func:`run_query` runs a SPARQL 1.1 query against the embedded store or a
remote endpoint (the default graph is the union of the document graphs);
:func:`format_result` writes the result as

* ``json``: SPARQL 1.1 Query Results JSON;
* ``csv`` / ``tsv``: the SPARQL 1.1 Query Results CSV and TSV formats
  (these three written by pyoxigraph's serializer);
* ``table``: an aligned plain-text table for people: IRIs as prefixed names
  (the project's prefixes) or ``<IRI>``, each as a query can take it; long
  literals cut (use csv or json for the full values).

ASK results print ``true`` / ``false``; CONSTRUCT and DESCRIBE results print
Turtle for ``table`` and N-Triples otherwise. The competency questions live
in ``ontology/queries/*.rq`` (see :func:`load_query`).
"""
from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .errors import DocumentError, QueryError, shown
from .store import PREFIXES, QueryResult, open_store, parameter_slots, prefixed_name

log = logging.getLogger(__name__)

FORMATS = ("table", "csv", "tsv", "json")
TABLE_CELL_LIMIT = 100
MAX_QUERY_BYTES = 1 << 20       # a query file larger than this is refused (1 MiB, the endpoint's body limit too)

__all__ = ["FORMATS", "QueryResult", "run_query", "format_result", "load_query", "read_query_file",
           "standard_queries", "named_query", "describe_store", "format_schema"]


def run_query(text: str, store: str | None = None, endpoint: str | None = None,
              bindings: Mapping[str, Any] | None = None) -> QueryResult:
    """Run ``text`` against the store folder ``store`` or the SPARQL endpoint ``endpoint``.

    ``bindings`` (variable name -> value) narrows a parameterised query such
    as ``ontology/queries/drug-targets.rq`` (``{"drugLabel": "GTI-2040"}``).
    Raises :class:`~kg.errors.QueryError` for a malformed query and
    :class:`~kg.errors.StoreError` for a store that cannot be read.
    """
    if not text or not text.strip():
        raise QueryError("empty query")
    s = open_store(store, endpoint, read_only=True)
    try:
        return s.query(text, bindings)
    finally:
        s.close()


def load_query(name: str) -> str:
    """The text of a standard query, by file name with or without ``.rq`` (``"drug-targets"``)."""
    from .paths import queries_dir

    path = queries_dir() / (name if name.endswith(".rq") else name + ".rq")
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        known = ", ".join(standard_queries()) or "none"
        raise QueryError(f"no standard query {name!r} (known: {known})") from None


def read_query_file(path: str | os.PathLike, limit: int = MAX_QUERY_BYTES) -> str:
    """The text of the query file ``path``: a regular file of UTF-8 text, at most ``limit`` bytes.

    Read as documents are (:func:`kg.documents.read_bytes`: checked before a byte is read, so a folder,
    a pipe or a device is an error rather than a wait); raises :class:`~kg.errors.QueryError` naming
    the file and the problem.
    """
    from .documents import read_bytes

    name = shown(path)
    try:
        data = read_bytes(path, limit, limit_option=None)
    except DocumentError as e:
        raise QueryError(f"{name}: {e.problem}; give a SPARQL query file") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise QueryError(f"{name}: not a UTF-8 text file (byte 0x{data[e.start]:02x} at offset {e.start}); "
                         f"a SPARQL query is UTF-8 text") from None
    if "\x00" in text:
        raise QueryError(f"{name}: binary file (NUL bytes), not a SPARQL query")
    return text


def standard_queries() -> list[str]:
    """Names of the queries in ``ontology/queries``."""
    from .paths import queries_dir

    return sorted(p.stem for p in Path(queries_dir()).glob("*.rq"))


# ---------------------------------------------------------------------------
# Formatting
# ---------------------------------------------------------------------------

def format_result(result: QueryResult, fmt: str = "table") -> str:
    """The text of ``result`` in ``fmt`` (one of :data:`FORMATS`).

    ``json``, ``csv`` and ``tsv`` are pyoxigraph's serializations of the SPARQL
    1.1 results formats (:meth:`~kg.store.QueryResult.serialize`), ended by a
    line break.
    """
    import pyoxigraph as ox

    if fmt not in FORMATS:
        raise QueryError(f"unknown result format {fmt!r}: use one of {', '.join(FORMATS)}")
    if result.kind == "graph":
        return _graph_text(result.triples, turtle=fmt == "table")
    if fmt == "table":
        return _table(result) if result.kind == "solutions" else ("true" if result.boolean else "false") + "\n"
    text = result.serialize(ox.QueryResultsFormat.from_extension(fmt)).decode("utf-8")
    return text if text.endswith("\n") else text + "\n"


def _graph_text(triples: list, turtle: bool) -> str:
    """N-Triples (pyoxigraph's serializer), or Turtle with the project's prefixes (rdflib's, which
    uses a prefix only where the local name needs no escaping)."""
    import pyoxigraph as ox

    data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8") if triples else ""
    if not turtle:
        return data
    from rdflib import Graph, Namespace

    g = Graph(bind_namespaces="none")
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, Namespace(ns))
    g.parse(data=data, format="nt")
    return g.serialize(format="turtle")


def _cell(t) -> str:
    """A term as a person reads it in the table, and can paste into a query as it is: an IRI as a prefixed
    name (:func:`kg.store.prefixed_name`) or ``<IRI>``, never cut; a literal's value on one line, cut when long;
    a blank node as ``_:id``."""
    import pyoxigraph as ox

    if t is None:
        return ""
    if isinstance(t, ox.NamedNode):
        return prefixed_name(t.value) or f"<{t.value}>"
    if isinstance(t, ox.BlankNode):
        return f"_:{t.value}"
    if isinstance(t, ox.Literal):
        text = " ".join(t.value.split())
        return _cut(text + (f"@{t.language}" if t.language else ""))
    return _cut(str(t))


def _cut(text: str, limit: int = TABLE_CELL_LIMIT) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def _table(result: QueryResult) -> str:
    header = list(result.variables)
    rows = [[_cell(t) for t in row] for row in result.rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    numeric = [bool(rows) and all(_numeric(row[i]) for row in result.rows if row[i] is not None)
               for i in range(len(header))]

    def line(cells):
        parts = [c.rjust(w) if num else c.ljust(w) for c, w, num in zip(cells, widths, numeric)]
        return " | ".join(parts).rstrip()

    out = [line(header), "-+-".join("-" * w for w in widths)]
    out += [line(r) for r in rows]
    n = len(rows)
    out.append(f"({n} row{'s' if n != 1 else ''})")
    return "\n".join(out) + "\n"


def _numeric(t) -> bool:
    import pyoxigraph as ox

    return isinstance(t, ox.Literal) and t.datatype.value.rsplit("#", 1)[-1] in (
        "integer", "decimal", "double", "float", "int", "long", "nonNegativeInteger")


# ---------------------------------------------------------------------------
# What the store holds, and the questions to ask it (kg schema)
# ---------------------------------------------------------------------------

#: the classes, with their instances and the document graphs typing them (graphs of a document only: on a
#: shared endpoint, other graphs are not the store's)
CLASS_COUNTS = """SELECT ?class (COUNT(DISTINCT ?s) AS ?instances) (COUNT(DISTINCT ?g) AS ?documents)
WHERE { GRAPH ?g { ?g a <https://w3id.org/cpkg/Document> . ?s a ?class } }
GROUP BY ?class
ORDER BY DESC(?instances) ?class"""

#: the properties, with their triples (each once, however many documents state it) and the document graphs
#: stating them
PROPERTY_COUNTS = """SELECT ?property ?triples ?documents
WHERE {
  { SELECT ?property (COUNT(*) AS ?triples)
    WHERE { SELECT DISTINCT ?s ?property ?o
            WHERE { GRAPH ?g { ?g a <https://w3id.org/cpkg/Document> . ?s ?property ?o } } }
    GROUP BY ?property }
  { SELECT ?property (COUNT(DISTINCT ?g) AS ?documents)
    WHERE { GRAPH ?g { ?g a <https://w3id.org/cpkg/Document> . ?s ?property ?o } }
    GROUP BY ?property }
}
ORDER BY DESC(?triples) ?property"""

#: a parameter's line in a standard query's header: "#   ?name   what it is, e.g. "value""
_PARAMETER_DOC = re.compile(r"^#\s+[?$](\w+)\s+(.+?)\s*$", re.M)
_EXAMPLE = re.compile(r"""e\.g\.\s+(?:"([^"]*)"|(\S+))""")


@dataclass
class Parameter:
    """A variable a standard query has a ``VALUES ?name { UNDEF }`` slot for: ``kg query --bind name=...``."""

    name: str
    description: str = ""
    example: str | None = None      # the header's example value ("GTI-2040", "cp:targets")


@dataclass
class NamedQuery:
    """A standard query (``ontology/queries/NAME.rq``): its question, its parameters and how to run it."""

    name: str
    title: str
    description: str
    parameters: list[Parameter]
    example: str = ""               # a command line that runs it (bound to a value the store holds, where it can)


@dataclass
class StoreSchema:
    """What ``kg schema`` shows: the classes and properties a store holds, with counts, and the standard queries."""

    location: str
    classes: QueryResult
    properties: QueryResult
    queries: list[NamedQuery] = field(default_factory=list)


def query_header(text: str) -> tuple[str, str]:
    """The title and the description of a standard query, from the comment lines it starts with."""
    comment = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        comment.append(line[1:].strip())
    title = comment[0] if comment else ""
    if "--" in title:
        title = title.split("--", 1)[1].strip()
    return title, "\n".join(comment[1:]).strip()


def named_query(name: str) -> NamedQuery:
    """A standard query's title, description and parameters: its slots, described by its header."""
    text = load_query(name)
    title, description = query_header(text)
    documented = {m.group(1): m.group(2) for m in _PARAMETER_DOC.finditer(text)}
    parameters = []
    for var in parameter_slots(text):
        doc = documented.get(var, "")
        m = _EXAMPLE.search(doc)
        example = None if m is None else (m.group(1) if m.group(1) is not None else m.group(2).rstrip(".,;)"))
        parameters.append(Parameter(var, doc, example))
    return NamedQuery(name, title or name, description, parameters)


def describe_store(store: str | os.PathLike | None = None, endpoint: str | None = None) -> StoreSchema:
    """The classes and properties in the store (or at the endpoint) with their counts, and the standard queries,
    each with a command line that runs it: bound to a value of its first parameter the store holds (the first
    row of the query unbound), else to the example its header gives."""
    s = open_store(store, endpoint, read_only=True)
    try:
        schema = StoreSchema(s.location, s.query(CLASS_COUNTS), s.query(PROPERTY_COUNTS))
        where = ["--endpoint", s.location] if endpoint else ["--store", str(store)] if store is not None else []
        for name in standard_queries():
            q = named_query(name)
            q.example = _example_line(q, _stored_value(s, q), where)
            schema.queries.append(q)
    finally:
        s.close()
    return schema


def _stored_value(store, q: NamedQuery) -> str | None:
    """A ``--bind`` value of ``q``'s first parameter that gives rows here: its value in the first row unbound."""
    import pyoxigraph as ox

    from .store import DEFAULT_PREFIXES, XSD

    if not q.parameters:
        return None
    try:
        result = store.query(load_query(q.name))
    except QueryError as e:             # an endpoint that cuts results, say: the header's example will do
        log.info("%s: no example value from the store (%s)", q.name, e)
        return None
    var = q.parameters[0].name
    if var not in result.variables:
        return None
    for t in result.column(var):
        if isinstance(t, ox.NamedNode):
            return prefixed_name(t.value, DEFAULT_PREFIXES) or f"<{t.value}>"
        if isinstance(t, ox.Literal) and t.datatype.value == XSD + "string" and t.value.strip() == t.value != "" \
                and t.value.partition(":")[0] not in DEFAULT_PREFIXES and not t.value.startswith("<"):
            return t.value          # read back by --bind as this very string
    return None


def _example_line(q: NamedQuery, value: str | None, where: list[str]) -> str:
    """``kg query -f NAME [--bind PARAM=VALUE] [--store DIR | --endpoint URL]``, quoted for a POSIX shell."""
    import shlex

    words = ["kg", "query", "-f", q.name]
    if q.parameters and (value is not None or q.parameters[0].example is not None):
        words += ["--bind", f"{q.parameters[0].name}={value if value is not None else q.parameters[0].example}"]
    return shlex.join(words + where)


SCHEMA_FORMATS = ("table", "json")


def format_schema(schema: StoreSchema, fmt: str = "table") -> str:
    """``kg schema``'s output: tables for people, or JSON (``fmt``: one of :data:`SCHEMA_FORMATS`)."""
    if fmt == "json":
        return json.dumps(_schema_json(schema), ensure_ascii=False, indent=1) + "\n"
    if fmt != "table":
        raise QueryError(f"unknown format {fmt!r}: use one of {', '.join(SCHEMA_FORMATS)}")
    out = [f"Classes in {schema.location}: instances, and documents typing them", _table(schema.classes),
           "Properties: triples (each once, however many documents state it), and documents stating them",
           _table(schema.properties),
           "Standard queries: kg query -f NAME [--bind PARAMETER=VALUE] (a string; <IRI> or prefix:name for an IRI)"]
    for q in schema.queries:
        out.append(f"{q.name}: {q.title}")
        width = max((len(p.name) for p in q.parameters), default=0)
        out += [f"  ?{p.name.ljust(width)}  {p.description}" for p in q.parameters]
        out += [f"  {q.example}", ""]
    return "\n".join(out)


def _schema_json(schema: StoreSchema) -> dict:
    def counts(result: QueryResult, key: str) -> list[dict]:
        rows = []
        for row in result.rows:
            d = dict(zip(result.variables, row))
            iri = d[key].value
            rows.append({key: iri, "name": prefixed_name(iri) or f"<{iri}>",
                         **{k: int(v.value) for k, v in d.items() if k != key}})
        return rows

    return {"store": schema.location,
            "classes": counts(schema.classes, "class"),
            "properties": counts(schema.properties, "property"),
            "queries": [{"name": q.name, "title": q.title, "description": q.description,
                         "parameters": [vars(p) for p in q.parameters], "example": q.example}
                        for q in schema.queries]}
