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

import logging
import os
import stat
from pathlib import Path
from typing import Any, Mapping

from .errors import QueryError, shown
from .store import PREFIXES, QueryResult, open_store, prefixed_name

log = logging.getLogger(__name__)

FORMATS = ("table", "csv", "tsv", "json")
TABLE_CELL_LIMIT = 100
MAX_QUERY_BYTES = 1 << 20       # a query file larger than this is refused (1 MiB, the endpoint's body limit too)

__all__ = ["FORMATS", "QueryResult", "run_query", "format_result", "load_query", "read_query_file",
           "standard_queries"]


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

    Checked before a byte is read, so a folder, a pipe or a device is an
    error rather than a wait; raises :class:`~kg.errors.QueryError` naming
    the file and the problem.
    """
    name = shown(path)
    try:
        _check_query_file(name, os.stat(path), limit)      # before opening: opening a device can act on it
        with open(path, "rb", opener=_open_nonblocking) as f:
            _check_query_file(name, os.fstat(f.fileno()), limit)      # what was opened, if it changed since
            data = f.read(limit + 1)
    except IsADirectoryError:
        raise QueryError(f"{name}: is a folder, not a query file") from None
    except OSError as e:
        raise QueryError(f"{name}: cannot read query file ({e.strerror or e})") from None
    except ValueError:                  # a NUL in the name
        raise QueryError(f"{name}: not a valid file name") from None
    if len(data) > limit:
        raise QueryError(f"{name}: query file too large (over {limit:,} bytes)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise QueryError(f"{name}: not a UTF-8 text file (byte 0x{data[e.start]:02x} at offset {e.start}); "
                         f"a SPARQL query is UTF-8 text") from None
    if "\x00" in text:
        raise QueryError(f"{name}: binary file (NUL bytes), not a SPARQL query")
    return text


def _check_query_file(name: str, st: os.stat_result, limit: int) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise QueryError(f"{name}: is a folder, not a query file")
    if not stat.S_ISREG(st.st_mode):
        raise QueryError(f"{name}: not a regular file (a pipe or a device?); give a query file")
    if st.st_size > limit:
        raise QueryError(f"{name}: query file too large ({st.st_size:,} bytes; at most {limit:,})")


def _open_nonblocking(path, flags: int) -> int:
    """``os.open`` that never waits: a FIFO without a writer opens at once (and is then refused)."""
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


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
