"""The store: where the knowledge graph lives between runs, behind one small interface.

Two backends implement :class:`Store`:

* :class:`EmbeddedStore`, an on-disk `pyoxigraph <https://pyoxigraph.readthedocs.io>`_
  store in a folder (default ``./kg-store``, or ``$KG_STORE``), or in memory
  when no folder is given;
* :class:`RemoteStore`, a SPARQL 1.1 endpoint reached over HTTP (SPARQL 1.1
  Protocol for queries, SPARQL 1.1 Update for writes), with credentials from
  ``KG_ENDPOINT_USER`` / ``KG_ENDPOINT_PASSWORD`` (basic) or
  ``KG_ENDPOINT_TOKEN`` (bearer).

The layout follows the contract: one named graph per document, named by the
document's IRI, whose document node carries ``dcterms:source`` and
``cp:contentHash``. The same content seen under several paths is one graph
with several ``dcterms:source`` values.

Every write is one SPARQL 1.1 Update request. A request is atomic on both
backends (pyoxigraph runs ``Store.update`` as one transaction; SPARQL servers
run one request as one transaction), so replacing a document (dropping its old
graph and the graphs its source held before, then inserting the new graph)
never leaves a half-written document behind. Inside :meth:`Store.batch`
several documents share one request; each is still all-or-nothing.

The embedded store keeps the default graph as the merge of the document
graphs: every write that changes a document graph updates it in the same
transaction, so a default-graph query sees each triple once, however many
documents state it (SPARQL's RDF merge, as Jena's union graph does), and
its joins do not multiply by the number of documents that repeat a label.
A store written by an earlier version, without that merge, gets it the
first time it is opened for writing; until then it is queried with
pyoxigraph's union option. :meth:`Store.graphs`, :meth:`Store.dump` and
``len()`` show the document graphs only.

Values reach SPARQL only as terms serialized by pyoxigraph's N-Triples
serializer (updates) or as bindings (queries); no text from a document is
ever formatted into a query.
"""
from __future__ import annotations

import abc
import contextlib
import logging
import os
import re
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator, Mapping

from . import snapshots
from .errors import QueryError, StoreError, shown
from .secrets import LOG_REDACTOR, secret_forms, without_secrets as _without_secrets
from .schema import TYPES

log = logging.getLogger(__name__)

DEFAULT_STORE = "kg-store"

CP_NS = "https://w3id.org/cpkg/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS_ALT_LABEL = "http://www.w3.org/2004/02/skos/core#altLabel"
XSD = "http://www.w3.org/2001/XMLSchema#"
DCT_SOURCE = "http://purl.org/dc/terms/source"
CP_DOCUMENT = CP_NS + "Document"
CP_CONTENT_HASH = CP_NS + "contentHash"

#: The project's prefixes: the contract's (``cp:``, ``cpid:``, ``cpdoc:``), one per kind of minted entity
#: (``cpdrug:``, ``cptarget:``, ``cpcondition:``, ``cptrial:``, ``cporg:``, from :data:`kg.schema.TYPES`: an
#: entity's IRI is a plain prefixed name under its kind's, where under ``cpid:`` its "/" would need escaping),
#: and the vocabularies the graph uses. Turtle, TriG, the result table and the query page write IRIs with them.
PREFIXES = {
    "cp": CP_NS,
    "cpid": CP_NS + "id/",
    "cpdoc": CP_NS + "doc/",
    **{f"cp{t.iri_path}": f"{CP_NS}id/{t.iri_path}/" for t in TYPES.values()},
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": XSD,
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "prov": "http://www.w3.org/ns/prov#",
    "dcterms": "http://purl.org/dc/terms/",
}

#: The prefixes a query may use without declaring them (``kg query``, the endpoint, ``--bind``).
DEFAULT_PREFIXES = {**PREFIXES, "owl": "http://www.w3.org/2002/07/owl#", "schema": "http://schema.org/"}

_PN_CHARS_BASE = ("A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
                  "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff")
_PN_CHARS = _PN_CHARS_BASE + "_\\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = "%[0-9A-Fa-f]{2}"
#: PN_LOCAL of SPARQL 1.1 and Turtle without backslash escapes: a local name written as it is
_PLAIN_LOCAL = re.compile(rf"(?:(?:[{_PN_CHARS_BASE}_:0-9]|{_PLX})(?:(?:[{_PN_CHARS}.:]|{_PLX})*(?:[{_PN_CHARS}:]|{_PLX}))?)?")


def prefixed_name(iri: str, prefixes: Mapping[str, str] = PREFIXES) -> str | None:
    """``iri`` as ``prefix:local`` under its longest namespace in ``prefixes``, when the local part needs no
    escaping (valid as it is in SPARQL and Turtle); else ``None`` (write ``<iri>``)."""
    best = max((p for p, ns in prefixes.items() if iri.startswith(ns)), key=lambda p: len(prefixes[p]), default=None)
    if best is None:
        return None
    local = iri[len(prefixes[best]):]
    return f"{best}:{local}" if _PLAIN_LOCAL.fullmatch(local) else None


DUMP_FORMATS = ("trig", "nquads")


def _ox():
    """pyoxigraph, imported on first use (it is only needed once a store is opened)."""
    import pyoxigraph
    return pyoxigraph


def default_location() -> str:
    """The embedded store folder used when none is given: ``$KG_STORE`` or ``./kg-store``."""
    return os.environ.get("KG_STORE") or DEFAULT_STORE


# ---------------------------------------------------------------------------
# Terms
# ---------------------------------------------------------------------------

def to_term(value: Any):
    """A pyoxigraph term for ``value``: a pyoxigraph or rdflib term, or a Python str/int/float/bool.

    Raises :class:`ValueError` for an invalid IRI (pyoxigraph checks it), so a
    bad term is caught before it reaches a query or an update.
    """
    ox = _ox()
    if isinstance(value, (ox.NamedNode, ox.BlankNode, ox.Literal, ox.Triple)):
        return value
    try:
        from rdflib.term import BNode, Literal, URIRef
    except ImportError:            # pragma: no cover - rdflib is a dependency
        BNode = Literal = URIRef = ()
    if isinstance(value, URIRef):
        return ox.NamedNode(str(value))
    if isinstance(value, BNode):
        return ox.BlankNode(str(value))
    if isinstance(value, Literal):
        if value.language:
            return ox.Literal(str(value), language=value.language)
        if value.datatype is not None:
            return ox.Literal(str(value), datatype=ox.NamedNode(str(value.datatype)))
        return ox.Literal(str(value))
    if isinstance(value, bool):
        return ox.Literal("true" if value else "false", datatype=ox.NamedNode(XSD + "boolean"))
    if isinstance(value, int):
        return ox.Literal(str(value), datatype=ox.NamedNode(XSD + "integer"))
    if isinstance(value, float):
        return ox.Literal(repr(value), datatype=ox.NamedNode(XSD + "double"))
    if isinstance(value, Decimal):
        return ox.Literal(str(value), datatype=ox.NamedNode(XSD + "decimal"))
    if isinstance(value, str):
        return ox.Literal(value)
    raise TypeError(f"cannot make an RDF term of {type(value).__name__} {value!r}")


def from_term(term):
    """The rdflib term for a pyoxigraph IRI, blank node or literal (the inverse of :func:`to_term`)."""
    from rdflib.term import BNode, Literal, URIRef

    kind = type(term).__name__
    if kind == "NamedNode":
        return URIRef(term.value)
    if kind == "BlankNode":
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


def to_triples(triples) -> list:
    """pyoxigraph triples from an rdflib graph, an iterable of triples, or N-Triples text."""
    ox = _ox()
    if isinstance(triples, (str, bytes)):
        try:
            return [q.triple for q in ox.parse(triples, format=ox.RdfFormat.N_TRIPLES)]
        except SyntaxError as e:
            raise ValueError(f"invalid N-Triples: {e}") from None
    out = []
    for t in triples:
        if isinstance(t, ox.Triple):
            out.append(t)
        elif isinstance(t, ox.Quad):
            out.append(t.triple)
        else:
            s, p, o = t[:3]
            out.append(ox.Triple(to_term(s), to_term(p), to_term(o)))
    return out


def ntriples(triples) -> str:
    """N-Triples text of ``triples`` (see :func:`to_triples`), one triple a line.

    What a worker process sends back to the one writing the store.
    """
    return "".join(f"{t} .\n" for t in to_triples(triples))


def _nt(term) -> str:
    """N-Triples form of one term, by pyoxigraph's serializer."""
    return str(to_term(term))


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class DocumentRecord:
    """A document as the store knows it: its graph's IRI, one source and the content hash."""

    iri: str
    source: str
    content_hash: str


@dataclass
class QueryResult:
    """A SPARQL result, materialised, whatever the backend.

    ``kind`` is ``"solutions"`` (SELECT: ``variables`` and ``rows``, a row
    holding one pyoxigraph term or ``None`` per variable), ``"boolean"``
    (ASK: ``boolean``) or ``"graph"`` (CONSTRUCT / DESCRIBE: ``triples``).
    """

    kind: str
    variables: list[str] = field(default_factory=list)
    rows: list[tuple] = field(default_factory=list)
    boolean: bool | None = None
    triples: list = field(default_factory=list)

    @classmethod
    def from_oxigraph(cls, result) -> "QueryResult":
        ox = _ox()
        if isinstance(result, ox.QueryBoolean):
            return cls("boolean", boolean=bool(result))
        if isinstance(result, ox.QuerySolutions):
            names = [v.value for v in result.variables]
            rows = [tuple(sol[i] for i in range(len(names))) for sol in result]
            return cls("solutions", variables=names, rows=rows)
        return cls("graph", triples=[t.triple if isinstance(t, ox.Quad) else t for t in result])

    def __len__(self) -> int:
        if self.kind == "solutions":
            return len(self.rows)
        if self.kind == "graph":
            return len(self.triples)
        return 1

    def column(self, name: str) -> list:
        """The values of one variable, row by row (``None`` where unbound)."""
        i = self.variables.index(name)
        return [r[i] for r in self.rows]

    def values(self, name: str) -> list:
        """The plain values (IRI or lexical form) of one variable, unbound ones left out."""
        return [t.value for t in self.column(name) if t is not None]

    def serialize(self, format) -> bytes:
        """A SELECT or ASK result in a SPARQL 1.1 results format (a :class:`pyoxigraph.QueryResultsFormat`:
        JSON, XML, CSV, TSV), written by pyoxigraph's own serializer.

        pyoxigraph makes its results objects only by running a query or by
        parsing results, so they are handed to it parsed: the rows as TSV,
        whose terms are in pyoxigraph's own syntax (``str(term)``), a boolean
        as the JSON document it reads. Nothing is escaped here. (XML results
        carry a literal's control characters as they are: :mod:`kg.server`
        makes its XML answers safe.)
        """
        ox = _ox()
        if self.kind == "boolean":
            parsed = ox.parse_query_results('{"head":{},"boolean":%s}' % ("true" if self.boolean else "false"),
                                            ox.QueryResultsFormat.JSON)
        elif self.kind == "solutions":
            lines = ["\t".join(f"?{v}" for v in self.variables)]
            lines += ["\t".join("" if t is None else _tsv_term(t) for t in row) for row in self.rows]
            parsed = ox.parse_query_results("\n".join(lines) + "\n", ox.QueryResultsFormat.TSV)
        else:
            raise ValueError("a graph (CONSTRUCT / DESCRIBE) is not a SPARQL results document; serialize its triples")
        return parsed.serialize(format=format)


def _tsv_term(t) -> str:
    """A term as SPARQL TSV writes it: pyoxigraph's N-Triples form, a triple term as ``<<( s p o )>>``."""
    if isinstance(t, _ox().Triple):
        return f"<<( {_tsv_term(t.subject)} {_tsv_term(t.predicate)} {_tsv_term(t.object)} )>>"
    return str(t)


def _bindings(bindings: Mapping[str, Any] | None) -> dict:
    """Variable name (with or without ``?``) -> pyoxigraph term."""
    out = {}
    for name, value in (bindings or {}).items():
        name = name.lstrip("?$")
        if not name.replace("_", "a").isalnum():
            raise QueryError(f"invalid variable name in bindings: {name!r}")
        out[name] = to_term(value)
    return out


def bind_values(sparql: str, terms: Mapping[str, Any]) -> str:
    """``sparql`` with each variable bound to its term, serialized as N-Triples.

    A query may say where a parameter is best bound with a line of its own,
    ``VALUES ?name { UNDEF }`` (the standard queries in ``ontology/queries``
    do, right where the engine should start from it); the term fills that
    slot. Variables without a slot get a trailing ``VALUES`` clause, which
    keeps the solutions where the variable has that value.
    """
    return QueryText.of(sparql, _binding_edits(sparql, terms)).text


#: a parameter's slot: a line ``VALUES ?name { UNDEF }`` (see :func:`bind_values`)
_SLOT = re.compile(r"^[ \t]*VALUES[ \t]+[?$](?P<name>\w+)[ \t]*\{(?P<undef>[ \t]*UNDEF[ \t]*)\}", re.M | re.I)


def parameter_slots(sparql: str) -> dict[str, re.Match]:
    """The variables ``sparql`` has a ``VALUES ?name { UNDEF }`` slot for, in order, each with its first slot."""
    slots: dict[str, re.Match] = {}
    for m in _SLOT.finditer(sparql):
        slots.setdefault(m.group("name"), m)
    return slots


def _binding_edits(sparql: str, terms: Mapping[str, Any]) -> list[tuple[int, int, str]]:
    """The edits of :func:`bind_values`: (start, end, replacement) in ``sparql``."""
    edits, rest = [], {}
    slots = parameter_slots(sparql) if terms else {}
    for name, term in terms.items():
        m = slots.get(name)
        if m:
            edits.append((m.start("undef"), m.end("undef"), f" {_nt(term)} "))
        else:
            rest[name] = term
    if rest:
        for name in rest:
            if not _filters_after(sparql, name):
                raise QueryError(f"cannot bind ?{name}: the query groups its rows and not by ?{name}, so a value "
                                 f"given after it selects nothing; put a line VALUES ?{name} {{ UNDEF }} inside "
                                 f"its WHERE, where ?{name} is matched")
        edits.append((len(sparql), len(sparql), _values_clause(rest)))
    return edits


#: comments, IRIs and strings of a query (a verbose pattern): what a search for its keywords or its prefixed
#: names must not read
_NOT_CODE_PATTERN = r"""\#[^\n\r]* | <[^<>"{}|^`\\\x00-\x20]*> | \"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
                      | '''(?:[^'\\]|\\.|'(?!''))*''' | "(?:[^"\\\n\r]|\\.)*" | '(?:[^'\\\n\r]|\\.)*'"""
_NOT_CODE = re.compile(_NOT_CODE_PATTERN, re.X)
_AGGREGATE = re.compile(r"\b(?:COUNT|SUM|MIN|MAX|AVG|SAMPLE|GROUP_CONCAT)\s*\(", re.I)
_GROUP_BY = re.compile(r"\bGROUP\s+BY\b(?P<keys>.*?)(?=\bHAVING\b|\bORDER\b|\bLIMIT\b|\bOFFSET\b|\bVALUES\b|$)",
                       re.I | re.S)


def _filters_after(sparql: str, name: str) -> bool:
    """Whether a trailing ``VALUES ?name`` keeps only the rows where ``?name`` has its value: not in a
    query that groups its rows (GROUP BY, or an aggregate in its SELECT) unless ``?name`` is a group key,
    since the trailing VALUES is joined with the groups (SPARQL 1.1, 18.2.4.3), where ``?name`` is unbound."""
    code = _NOT_CODE.sub(" ", sparql)
    head, tail = code[:code.find("{")], code[code.rfind("}") + 1:]     # the outer query's clauses
    grouped = _GROUP_BY.search(tail)
    if grouped:
        return re.search(rf"[?$]{re.escape(name)}\b", grouped.group("keys")) is not None
    return not _AGGREGATE.search(head)


def _values_clause(terms: Mapping[str, Any]) -> str:
    """A trailing ``VALUES`` clause binding each variable to its term, serialized as N-Triples."""
    names = " ".join(f"?{n}" for n in terms)
    row = " ".join(_nt(t) for t in terms.values())
    return f"\nVALUES ({names}) {{ ({row}) }}\n"


#: what a query says, token by token, as far as prefixes go: a prefix declaration, what to skip (comments,
#: IRIs, strings, variables, blank node labels, words), or a prefixed name (PNAME_NS / PNAME_LN)
_NAME = "\\w\u00b7\u00c0-\U000effff"
_LEXEMES = re.compile(rf"""
    (?P<decl> \bPREFIX\s*(?P<declared>[^\s:]*): )
  | (?P<skip> {_NOT_CODE_PATTERN}
            | [?$][{_NAME}]+ | _:[{_NAME}.\-]* | [{_NAME}][{_NAME}.\-]*(?![{_NAME}.\-:]) )
  | (?P<used> (?P<prefix>(?:[A-Za-z\u00c0-\U000effff][{_NAME}.\-]*)?) : (?:[{_NAME}.\-:%]|\\.)* )
""", re.X | re.I)


def _prefixes(sparql: str) -> tuple[set[str], list[tuple[str, int]]]:
    """The prefixes ``sparql`` declares, and those it uses with where (offset of each prefixed name), in order."""
    declared, used = set(), []
    for m in _LEXEMES.finditer(sparql):
        if m.group("decl"):
            declared.add(m.group("declared"))
        elif m.group("used") is not None:
            used.append((m.group("prefix"), m.start()))
    return declared, used


def _prefix_edits(sparql: str) -> list[tuple[int, int, str]]:
    """The edits of :func:`with_default_prefixes`: declarations of the usual prefixes the query uses, at its start.

    Prefixed names count wherever they are, also after a property path's
    ``/`` (``dcterms:publisher/rdfs:label``); strings, IRIs and comments do not.
    """
    declared, used = _prefixes(sparql)
    names = {p for p, _ in used}
    missing = [p for p in DEFAULT_PREFIXES if p in names and p not in declared]
    if not missing:
        return []
    return [(0, 0, "".join(f"PREFIX {p}: <{DEFAULT_PREFIXES[p]}>\n" for p in missing))]


def undeclared_prefix(sparql: str) -> tuple[str, int] | None:
    """The first prefix ``sparql`` uses without declaring it (nor being one of the usual ones), and where."""
    declared, used = _prefixes(sparql)
    return next(((p, at) for p, at in used if p not in declared and p not in DEFAULT_PREFIXES), None)


def with_default_prefixes(sparql: str) -> str:
    """Declare the project's usual prefixes a query uses without declaring (``rdfs:label``, ``cp:targets``)."""
    return QueryText.of(sparql, _prefix_edits(sparql)).text


def prepare_query(sparql: str, terms: Mapping[str, Any] | None = None) -> "QueryText":
    """The query the engine runs for ``sparql``: the usual prefixes declared, ``terms`` bound (:func:`bind_values`)."""
    return QueryText.of(sparql, _prefix_edits(sparql) + _binding_edits(sparql, terms or {}))


MALFORMED = "malformed SPARQL query: "

#: where a SPARQL parser says the error is: pyoxigraph's (and Oxigraph server's) "error at LINE:COLUMN", or
#: kg serve's own account of an undeclared prefix
_ERROR_AT = re.compile(r"\b(?:error|unknown prefix \"[^\"]*\") at (\d+):(\d+)")


@dataclass(frozen=True)
class QueryText:
    """A query as the engine runs it (``text``), made from what its user wrote (``source``) by ``edits``.

    Each edit is (start, end, replacement) in ``source``; they do not overlap.
    :meth:`explain` turns what the engine says of ``text`` into what it means
    for ``source``: a position in the user's own lines and columns, and an
    undeclared prefix named.
    """

    source: str
    text: str
    edits: tuple[tuple[int, int, int, int], ...]    # (start, end) in source, (start, end) in text

    @classmethod
    def of(cls, source: str, edits: list[tuple[int, int, str]]) -> "QueryText":
        parts, spans, pos, delta = [], [], 0, 0
        for start, end, replacement in sorted(edits, key=lambda e: (e[0], e[1])):
            parts += [source[pos:start], replacement]
            spans.append((start, end, start + delta, start + delta + len(replacement)))
            delta += len(replacement) - (end - start)
            pos = end
        parts.append(source[pos:])
        return cls(source, "".join(parts), tuple(spans))

    def source_offset(self, offset: int) -> int:
        """The offset in ``source`` of the character at ``offset`` in ``text`` (an added one: where it was added)."""
        delta = 0
        for start, end, t_start, t_end in self.edits:
            if offset < t_start:
                break
            if offset < t_end:
                return start
            delta = t_end - end
        return max(0, min(len(self.source), offset - delta))

    def explain(self, message: str) -> str:
        """A parser's ``message`` about ``text`` made to speak of ``source``.

        An undeclared prefix is named, at its position (pyoxigraph's parser
        calls it "Prefix not found" at best, and in a predicate "expected
        OPTIONAL" further on); any other position is moved to where it is
        in ``source``. A message without a position is left as it is.
        """
        m = _ERROR_AT.search(message)
        if not m:
            return message
        unknown = undeclared_prefix(self.source)
        if unknown is not None:
            prefix, at = unknown
            head = message[:m.start()].removesuffix(MALFORMED)     # who said so (an endpoint), if not the parser here
            return (f'{head}unknown prefix "{prefix}:" at {_line_col(self.source, at)}: declare it '
                    f"(PREFIX {prefix}: <...>); the usual prefixes need none: "
                    + " ".join(f"{p}:" for p in DEFAULT_PREFIXES))
        offset = self.source_offset(_offset(self.text, int(m.group(1)), int(m.group(2))))
        return message[:m.start()] + f"error at {_line_col(self.source, offset)}" + message[m.end():]


def _offset(text: str, line: int, column: int) -> int:
    """The offset of (1-based) ``line`` and ``column`` (counted in characters, as pyoxigraph does) in ``text``."""
    start = 0
    for _ in range(line - 1):
        nl = text.find("\n", start)
        if nl < 0:
            break
        start = nl + 1
    return start + max(column - 1, 0)


def _line_col(text: str, offset: int) -> str:
    """``LINE:COLUMN`` (1-based, in characters) of ``offset`` in ``text``."""
    line = text.count("\n", 0, offset) + 1
    column = offset - text.rfind("\n", 0, offset)      # rfind is -1 on the first line
    return f"{line}:{column}"


def _first_line(text: str, limit: int = 300) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[:limit - 1] + "\u2026"


# ---------------------------------------------------------------------------
# The interface
# ---------------------------------------------------------------------------

class Store(abc.ABC):
    """A quad store holding one named graph per document.

    Subclasses provide the primitives (:meth:`_match`, :meth:`_query`,
    :meth:`_update`, :meth:`graphs`, :meth:`dump`, ``__len__``); document
    bookkeeping, replacement and batching are written once, here, on top
    of them.
    """

    location: str = ""

    def __init__(self) -> None:
        self._batch_size = 0            # 0: write at once
        self._pending: list[str] = []   # update operations waiting for flush()
        self._pending_docs = 0
        self._pending_keys: set[tuple[str, str]] = set()

    # -- primitives ---------------------------------------------------------

    @abc.abstractmethod
    def _match(self, s=None, p=None, o=None, g=None) -> list:
        """Quads in named graphs matching the pattern (``None`` matches anything)."""

    @abc.abstractmethod
    def _query(self, text: str) -> QueryResult:
        """Run a query whose default graph is the union of the named graphs; a bad one is a QueryError."""

    @abc.abstractmethod
    def _update(self, update: str) -> None:
        """Run one SPARQL 1.1 Update request, atomically."""

    @abc.abstractmethod
    def graphs(self) -> list[str]:
        """IRIs of the named graphs."""

    @abc.abstractmethod
    def dump(self, output=None, format: str = "trig") -> bytes | None:
        """Serialize every named graph as TriG or N-Quads to ``output`` (a path or binary file), or return bytes."""

    @abc.abstractmethod
    def __len__(self) -> int:
        """Number of quads."""

    def close(self) -> None:
        """Write what is pending and release the store."""
        self.flush()

    # -- queries ------------------------------------------------------------

    def query(self, sparql: str, bindings: Mapping[str, Any] | None = None) -> QueryResult:
        """Run a SPARQL 1.1 query; the default graph is the union of all document graphs.

        ``bindings`` maps variable names to values (strings, numbers, rdflib
        or pyoxigraph terms), placed as serialized terms by
        :func:`bind_values`: in the query's ``VALUES ?name { UNDEF }`` slot
        when it has one, else in a trailing ``VALUES`` clause; either way the
        solutions keep only those where the variable has that value. Bind
        variables of the query's patterns that are still visible after any
        ``GROUP BY``.

        The usual prefixes (:data:`DEFAULT_PREFIXES`) need no declaration. A
        malformed query's message gives the position in ``sparql`` as written,
        and names an undeclared prefix.
        """
        prepared = prepare_query(sparql, _bindings(bindings))
        try:
            return self._query(prepared.text)
        except QueryError as e:
            raise QueryError(prepared.explain(str(e))) from None

    # -- documents ----------------------------------------------------------

    def find_documents(self, source: str | None = None, content_hash: str | None = None) -> list[DocumentRecord]:
        """Documents with that source and / or content hash (every document if neither is given).

        A document seen under several sources gives one record per source.
        """
        ox = _ox()
        src_p, hsh_p = ox.NamedNode(DCT_SOURCE), ox.NamedNode(CP_CONTENT_HASH)
        hsh = ox.Literal(content_hash) if content_hash is not None else None
        if source is None and hsh is None:          # everything: two scans
            src_quads = self._match(None, src_p, None, None)
            hash_quads = self._match(None, hsh_p, None, None)
        elif source is not None:
            src_quads = self._match(None, src_p, ox.Literal(source), None)
            hash_quads = [q for g in {q.graph_name for q in src_quads}
                          for q in self._match(g, hsh_p, hsh, g)]
        else:
            hash_quads = self._match(None, hsh_p, hsh, None)
            src_quads = [q for g in {q.graph_name for q in hash_quads}
                         for q in self._match(g, src_p, None, g)]
        hashes: dict = {}
        for q in hash_quads:
            if q.subject == q.graph_name:
                hashes.setdefault(q.subject, set()).add(q.object.value)
        out = set()
        for q in src_quads:
            if q.subject != q.graph_name or not isinstance(q.object, ox.Literal):
                continue
            for h in hashes.get(q.subject, ()):
                out.add(DocumentRecord(q.subject.value, q.object.value, h))
        return sorted(out, key=lambda r: (r.source, r.iri))

    def replace_document(self, doc_iri: str, triples, *, source: str, content_hash: str) -> None:
        """Make ``triples`` the named graph ``doc_iri``, the graph of the document at ``source``.

        In one atomic write: the graphs that ``source`` held before lose it
        (a graph left without any source is dropped), the old graph
        ``doc_iri`` is dropped, and the new one inserted. If the old graph had
        the same content hash, its other sources stay on the new one.
        ``triples`` is an rdflib graph, an iterable of triples, or N-Triples text.
        """
        ox = _ox()
        try:
            doc = ox.NamedNode(str(doc_iri))
            body = to_triples(triples)
        except ValueError as e:
            raise StoreError(f"{source}: cannot store its graph ({e})") from None
        src, hsh = ox.Literal(source), ox.Literal(content_hash)
        extra = [ox.Triple(doc, ox.NamedNode(RDF_TYPE), ox.NamedNode(CP_DOCUMENT)),
                 ox.Triple(doc, ox.NamedNode(DCT_SOURCE), src),
                 ox.Triple(doc, ox.NamedNode(CP_CONTENT_HASH), hsh)]

        def plan():
            ops, keys = self._detach(source, keep=doc)
            old = self._match(doc, None, None, doc)
            same = any(q.predicate.value == CP_CONTENT_HASH and q.object == hsh for q in old)
            kept = [ox.Triple(doc, q.predicate, q.object) for q in old
                    if same and q.predicate.value == DCT_SOURCE]
            lines = "".join(f"{t} .\n" for t in body + extra + kept)
            ops.extend(self._drop_ops(doc))
            ops.extend(self._insert_ops(doc, lines))
            keys.add(("g", doc.value))
            return ops, keys

        self._submit(plan)

    def add_source(self, doc_iri: str, source: str) -> None:
        """Record that ``source`` holds the document already stored as ``doc_iri`` (same content).

        The graphs ``source`` held before lose it, as in :meth:`replace_document`.
        """
        ox = _ox()
        doc = ox.NamedNode(str(doc_iri))

        def plan():
            if not self._match(doc, ox.NamedNode(RDF_TYPE), ox.NamedNode(CP_DOCUMENT), doc):
                raise StoreError(f"no document {doc_iri} in {self.location}")
            ops, keys = self._detach(source, keep=doc)
            ops.extend(self._insert_ops(doc, f"{doc} {_nt(ox.NamedNode(DCT_SOURCE))} {_nt(source)} .\n"))
            keys.add(("g", doc.value))
            return ops, keys

        self._submit(plan)

    def remove_source(self, source: str) -> None:
        """Forget ``source``: its graphs lose it, and a graph left without any source is dropped."""
        self._submit(lambda: self._detach(source, keep=None))

    def rename_node(self, graph: str, old: str, new: str, label: str, keep_label: bool = False,
                    add=(), drop=()) -> None:
        """In the document graph ``graph``: the node ``old`` becomes ``new`` (as subject and as
        object), with ``label`` its one ``rdfs:label`` (the cross-document identity of
        :mod:`kg.rdf.identity`). Its old label becomes an alternative label when ``keep_label`` or when
        the node has none (a drug's own names are its alternative labels already). The triples ``add``
        are added and those of ``drop`` left out (as they read after the rename)."""
        ox = _ox()
        g, o, n = ox.NamedNode(graph), ox.NamedNode(old), ox.NamedNode(new)
        label_p, alt_p = ox.NamedNode(RDFS_LABEL), ox.NamedNode(SKOS_ALT_LABEL)
        add, drop = ({tuple(map(to_term, t)) for t in triples} for triples in (add, drop))

        def plan():
            before = {(q.subject, q.predicate, q.object) for q in self._match(o, None, None, g)}
            before |= {(q.subject, q.predicate, q.object) for q in self._match(None, None, o, g)}
            before |= {(q.subject, q.predicate, q.object) for q in self._match(n, None, None, g)}
            after = set()
            own = not keep_label and any(p_ == alt_p for _, p_, _ in before)
            for s_, p_, o_ in before:
                s_, o_ = (n if s_ == o else s_), (n if o_ == o else o_)
                if s_ == n and p_ == label_p:
                    if own:
                        continue          # a label set before is only the drug's name
                    p_ = alt_p            # a graph written before: its label is its own name
                after.add((s_, p_, o_))
            after.add((n, label_p, ox.Literal(label)))
            after = (after | add) - drop
            ops = [op for t in sorted(before - after, key=str) for op in self._delete_ops(g, f"{ox.Triple(*t)}")]
            added = "".join(f"{ox.Triple(*t)} .\n" for t in sorted(after - before, key=str))
            if added:
                ops.extend(self._insert_ops(g, added))
            return ops, {("g", graph)}

        self._submit(plan)

    @property
    def pending(self) -> bool:
        """Are writes waiting for :meth:`flush` (not yet seen by queries)?"""
        return bool(self._pending)

    def _detach(self, source: str, keep) -> tuple[list[str], set]:
        """Update operations taking ``source`` off every document graph but ``keep``."""
        ox = _ox()
        src_p, src = ox.NamedNode(DCT_SOURCE), ox.Literal(source)
        ops: list[str] = []
        keys = {("s", source)}
        for q in self._match(None, src_p, src, None):
            g = q.graph_name
            if q.subject != g or g == keep:
                continue
            keys.add(("g", g.value))
            others = {o.object for o in self._match(g, src_p, None, g)} - {src}
            ops.extend(self._delete_ops(g, f"{g} {src_p} {src}") if others else self._drop_ops(g))
        return ops, keys

    # -- update operations (a backend that keeps derived data adds to them) --

    def _insert_ops(self, graph, lines: str) -> list[str]:
        """Operations adding the N-Triples ``lines`` to ``graph``."""
        return [f"INSERT DATA {{ GRAPH {graph} {{\n{lines}}} }}"]

    def _drop_ops(self, graph) -> list[str]:
        """Operations dropping ``graph`` (nothing happens when there is none)."""
        return [f"DROP SILENT GRAPH {graph}"]

    def _delete_ops(self, graph, triple: str) -> list[str]:
        """Operations deleting one N-Triples ``triple`` from ``graph``."""
        return [f"DELETE DATA {{ GRAPH {graph} {{ {triple} }} }}"]

    # -- batching -----------------------------------------------------------

    @contextlib.contextmanager
    def batch(self, size: int = 32) -> Iterator["Store"]:
        """Group document writes into one update request per ``size`` documents.

        Each document stays all-or-nothing; a write that touches a graph or
        source already waiting in the batch flushes the batch first, so the
        plan is always made against what is stored. What is pending is
        written when the block ends, also when it ends with an exception.
        """
        previous = self._batch_size
        self._batch_size = max(1, int(size))
        try:
            yield self
        except BaseException:
            try:
                self.flush()
            except Exception as e:     # keep the original error; the batch is lost as a whole
                log.error("could not write the last batch: %s", e)
            raise
        else:
            self.flush()
        finally:
            self._batch_size = previous

    def _submit(self, plan) -> None:
        ops, keys = plan()
        if self._pending and keys & self._pending_keys:
            self.flush()
            ops, keys = plan()
        if not ops:
            return
        self._pending.extend(ops)
        self._pending_keys |= keys
        self._pending_docs += 1
        if self._pending_docs >= max(1, self._batch_size):
            self.flush()

    def flush(self) -> None:
        """Write the pending operations as one atomic update request."""
        if not self._pending:
            return
        text = " ;\n".join(self._pending)
        n = self._pending_docs
        self._pending, self._pending_keys, self._pending_docs = [], set(), 0
        log.debug("writing %d document(s) to %s", n, self.location)
        self._update(text)

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.location}>"


# ---------------------------------------------------------------------------
# Embedded (pyoxigraph)
# ---------------------------------------------------------------------------

def union_query_options(store) -> dict:
    """Keyword arguments for ``pyoxigraph.Store.query`` that make the default graph the document graphs' merge.

    Empty for a store that keeps the merged default graph; pyoxigraph's
    ``use_default_graph_as_union`` (which repeats a triple once per graph
    stating it) for a store written before it did.
    """
    ox = _ox()
    merged = next(iter(store.quads_for_pattern(None, None, None, ox.DefaultGraph())), None) is not None
    documents = next(iter(store.named_graphs()), None) is not None
    return {"use_default_graph_as_union": True} if documents and not merged else {}


class EmbeddedStore(Store):
    """A pyoxigraph store in a folder, or in memory when ``path`` is ``None``.

    ``read_only=True`` opens the newest published snapshot of an existing
    folder (:mod:`kg.snapshots`): no lock is taken, a ``kg ingest`` may write
    the folder meanwhile, and what is read stays consistent. Opened for
    writing, the store publishes such snapshots as it writes and when it is
    closed. ``create=False`` refuses to make a new store where there is none.
    """

    def __init__(self, path: str | os.PathLike | None = None, *, read_only: bool = False, create: bool = True):
        super().__init__()
        ox = _ox()
        self.read_only = read_only
        self._union: dict = {}          # pyoxigraph's union option, for a store without the merged graph
        self._snapshot = None           # read-only: the snapshot open (kg.snapshots.Opened)
        self._dirty = False             # written since the last clean snapshot was published
        self._published = 0.0           # when this process last published a snapshot (monotonic seconds)
        if path is None:
            self.path = None
            self.location = ":memory:"
            self._ox = ox.Store()
            return
        p = Path(path)
        self.path = p
        self.location = str(p)
        if p.exists() and not p.is_dir():
            raise StoreError(f"{p}: is a file, not a store folder")
        is_store = (p / "CURRENT").is_file()
        if not is_store and (read_only or not create):
            raise StoreError(f"{p}: no store here; run `kg ingest` first or point --store / KG_STORE at one")
        if not is_store and p.is_dir() and any(p.iterdir()):
            raise StoreError(f"{p}: folder is not empty and holds no store; choose a new or empty folder")
        try:
            if read_only:
                self._snapshot = snapshots.open_latest(p)
                self._ox = self._snapshot.store
            else:
                if not p.parent.is_dir():      # as for an output file: a mistyped path is no new store
                    raise StoreError(f"{p}: cannot create the store: folder {shown(p.parent)} does not exist")
                self._ox = _open_for_writing(p)
        except OSError as e:
            if snapshots.is_lock_error(e):
                raise StoreError(f"{p}: store is in use by another process (a running `kg ingest`?); "
                                 f"wait for it to finish or use another --store") from None
            raise StoreError(f"{p}: cannot open the store ({_first_line(e)})") from None
        if not read_only and snapshots.current(p) is None:
            self._publish(clean=True)   # readers need one: a new store, or one written before snapshots
        self._union = union_query_options(self._ox)
        if self._union and not read_only:
            self._merge_default_graph()

    def _publish(self, clean: bool) -> None:
        try:
            snapshots.publish(self._ox, self.path, clean=clean)
        except OSError as e:
            raise StoreError(f"{self.location}: cannot publish a snapshot for readers ({_first_line(e)})") from None
        self._published = time.monotonic()
        self._dirty = not clean

    def _merge_default_graph(self) -> None:
        """Give a store written without it the merged default graph, in one transaction."""
        log.info("%s: building the merged default graph (once)", self.location)
        self._update("INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")
        self._union = {}

    @property
    def merged_default_graph(self) -> bool:
        """Whether the store keeps the merged default graph (every store does once written by this version)."""
        return not self._union

    @property
    def oxigraph(self):
        """The underlying :class:`pyoxigraph.Store`, for what this interface does not cover."""
        return self._ox

    def _match(self, s=None, p=None, o=None, g=None) -> list:
        ox = _ox()
        try:
            quads = self._ox.quads_for_pattern(s, p, o, g)
            return [q for q in quads if not isinstance(q.graph_name, ox.DefaultGraph)]
        except OSError as e:
            raise StoreError(f"{self.location}: cannot read the store ({_first_line(e)})") from None

    def _query(self, text: str) -> QueryResult:
        try:
            result = self._ox.query(text, **self._union)
            return QueryResult.from_oxigraph(result)
        except SyntaxError as e:
            raise QueryError(f"{MALFORMED}{_first_line(e)}") from None
        except (OSError, RuntimeError, ValueError) as e:
            raise QueryError(f"query failed: {_first_line(e)}") from None

    def _update(self, update: str) -> None:
        if self.read_only:
            raise StoreError(f"{self.location}: store was opened read-only")
        if self.path is not None and not self._dirty:
            snapshots.mark_dirty(self.path)     # before the first write: the published snapshot is behind
            self._dirty = True
        try:
            self._ox.update(update)
        except SyntaxError as e:        # a bug in the update we built, not the user's
            raise StoreError(f"{self.location}: invalid update ({_first_line(e)})") from None
        except (OSError, RuntimeError) as e:
            raise StoreError(f"{self.location}: write failed, nothing written ({_first_line(e)})") from None
        if self.path is not None and time.monotonic() - self._published >= snapshots.PUBLISH_EVERY:
            self._publish(clean=False)

    # the merged default graph follows every change to a document graph
    def _insert_ops(self, graph, lines: str) -> list[str]:
        return super()._insert_ops(graph, lines) + [f"INSERT DATA {{\n{lines}}}"]

    def _drop_ops(self, graph) -> list[str]:
        return [f"DELETE {{ ?s ?p ?o }} WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} "
                f"FILTER NOT EXISTS {{ GRAPH ?other {{ ?s ?p ?o }} FILTER (?other != {graph}) }} }}"
                ] + super()._drop_ops(graph)

    def _delete_ops(self, graph, triple: str) -> list[str]:
        return super()._delete_ops(graph, triple) + [
            f"DELETE {{ {triple} }} WHERE {{ FILTER NOT EXISTS {{ GRAPH ?other {{ {triple} }} }} }}"]

    def graphs(self) -> list[str]:
        return sorted(g.value for g in self._ox.named_graphs())

    def __len__(self) -> int:
        """Quads in the document graphs (the merged default graph is derived from them)."""
        result = self._ox.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
        return int(next(iter(result))[0].value)

    def dump(self, output=None, format: str = "trig") -> bytes | None:
        ox = _ox()
        fmt = _dump_format(format)
        prefixes = PREFIXES if fmt == ox.RdfFormat.TRIG else None
        try:
            quads = (q for q in self._ox.quads_for_pattern(None, None, None, None)
                     if not isinstance(q.graph_name, ox.DefaultGraph))
            return ox.serialize(quads, output, fmt, prefixes=prefixes)
        except OSError as e:
            raise StoreError(f"{self.location}: cannot dump the store ({_first_line(e)})") from None

    def close(self) -> None:
        if getattr(self, "_ox", None) is None:
            return
        try:
            super().close()
            if not self.read_only and self.path is not None:
                self._ox.flush()
                if self._dirty:
                    self._publish(clean=True)
        finally:
            self._ox = None             # pyoxigraph releases the folder's lock when the store is freed
            if self._snapshot is not None:
                self._snapshot.close()
                self._snapshot = None


def _dump_format(format: str):
    ox = _ox()
    fmt = {"trig": ox.RdfFormat.TRIG, "nquads": ox.RdfFormat.N_QUADS, "nq": ox.RdfFormat.N_QUADS}.get(format)
    if fmt is None:
        raise StoreError(f"unknown dump format {format!r}: use one of {', '.join(DUMP_FORMATS)}")
    return fmt


# ---------------------------------------------------------------------------
# Remote (SPARQL 1.1 Protocol + Update)
# ---------------------------------------------------------------------------

_RESULT_TYPES = {
    "application/sparql-results+json": ("results", "JSON"),
    "application/json": ("results", "JSON"),
    "application/sparql-results+xml": ("results", "XML"),
    "text/tab-separated-values": ("results", "TSV"),
    "application/n-triples": ("rdf", "N_TRIPLES"),
    "text/turtle": ("rdf", "TURTLE"),
    "application/rdf+xml": ("rdf", "RDF_XML"),
    "application/n-quads": ("rdf", "N_QUADS"),
    "application/trig": ("rdf", "TRIG"),
}
_ACCEPT = ("application/sparql-results+json, application/n-triples;q=0.9, text/turtle;q=0.8, "
           "application/sparql-results+xml;q=0.5, application/rdf+xml;q=0.4")
#: ``Accept`` by query form: some servers (Virtuoso) pick the type from ``Accept`` alone,
#: whatever the form, and would send a CONSTRUCT result as a JSON table.
_ACCEPT_RESULTS = "application/sparql-results+json, application/sparql-results+xml;q=0.5"
_ACCEPT_GRAPH = "application/n-triples, text/turtle;q=0.8, application/rdf+xml;q=0.4"
_PROLOGUE = re.compile(r"""\s+|\#[^\n\r]*|BASE\s*<[^<>"{}|^`\\\s]*>|PREFIX\s*[^\s:]*:\s*<[^<>"{}|^`\\\s]*>""", re.I)
_FORM = re.compile(r"(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.I)


def query_form(text: str) -> str | None:
    """``"SELECT"``, ``"ASK"``, ``"CONSTRUCT"`` or ``"DESCRIBE"``: the keyword after the prologue.

    Skips whitespace, comments and the ``BASE`` / ``PREFIX`` declarations
    token by token (a ``#`` inside an IRI is not a comment); ``None`` when
    something else comes first (an update, a vendor pragma).
    """
    pos = 0
    while True:
        m = _PROLOGUE.match(text, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
    m = _FORM.match(text, pos)
    return m.group(1).upper() if m else None


def update_url_for(endpoint: str) -> str:
    """The SPARQL Update URL beside a query endpoint: ``$KG_ENDPOINT_UPDATE``, else by convention.

    ``.../query`` -> ``.../update`` (Oxigraph), ``.../sparql`` -> ``.../update``
    (Fuseki); any other URL is taken to accept updates itself.
    """
    if os.environ.get("KG_ENDPOINT_UPDATE"):
        return os.environ["KG_ENDPOINT_UPDATE"]
    base, _, last = endpoint.rstrip("/").rpartition("/")
    if base and last in ("query", "sparql"):
        return f"{base}/update"
    return endpoint


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def redact_url(url: str) -> str:
    """``url`` without the credentials it may carry (``user:password@``), to show in messages and logs.

    Everything up to the last ``@`` goes when what precedes it looks like
    credentials (holds a ``:``, or no ``/``): also where an unescaped ``/``,
    ``?`` or ``#`` in a password makes the URL read otherwise, so no part of a
    password is ever shown.
    """
    url = str(url)
    m = _SCHEME.match(url)
    start = m.end() if m else 0
    at = url.rfind("@", start)
    if at < 0:
        return url
    before = url[start:at]
    return url[:start] + url[at + 1:] if ":" in before or "/" not in before else url


def split_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """``url`` without its credentials, and the credentials (user, password), percent-decoded, or None.

    Raises :class:`~kg.errors.StoreError` for what is not an http(s) URL with
    a host (the message shows the URL without its credentials).
    """
    from urllib.parse import unquote, urlsplit, urlunsplit

    shown = redact_url(url)            # Python's own messages may quote the credentials: never shown
    try:
        parts = urlsplit(url)
    except ValueError:
        raise StoreError(f"{shown}: not a valid URL (an IPv6 address needs both brackets: http://[::1]:7878/)") \
            from None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise StoreError(f"{shown}: not an http(s) URL of a SPARQL endpoint")
    if "@" in parts.path:
        raise StoreError(f"{shown}: '@' in the path; percent-encode '/', '?', '#' and '@' in credentials "
                         f"written into the URL (%2F, %3F, %23, %40)")
    try:
        parts.port                      # noqa: B018 - raises ValueError for a port that is not 0-65535
    except ValueError:
        raise StoreError(f"{shown}: invalid port (a number from 0 to 65535)") from None
    if not parts.hostname:
        raise StoreError(f"{shown}: no host in the URL of the SPARQL endpoint")
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at:
        return url, None
    user, _, password = userinfo.partition(":")
    return urlunsplit(parts._replace(netloc=host)), (unquote(user), unquote(password))


def _header_safe(value: str) -> bool:
    """Whether ``value`` can go in an HTTP header as it is: visible ASCII characters and spaces."""
    return value.isascii() and value.isprintable()


def _basic_credentials(user: str, password: str) -> tuple:
    """Basic credentials for requests: ASCII ones as they are, others encoded as UTF-8 (RFC 7617).

    requests encodes text credentials as Latin-1, which cannot carry most of
    the world's characters; given bytes, it sends them unchanged.
    """
    if user.isascii() and password.isascii():
        return (user, password)
    try:
        return (user.encode("utf-8"), password.encode("utf-8"))
    except UnicodeEncodeError:          # a lone surrogate: bytes the environment could not decode
        raise StoreError("the endpoint credentials are not valid text (undecodable bytes in "
                         "KG_ENDPOINT_USER or KG_ENDPOINT_PASSWORD?)") from None


class RemoteStore(Store):
    """A SPARQL 1.1 endpoint: queries by the SPARQL Protocol, writes by SPARQL Update.

    The endpoint should expose the union of its named graphs as the default
    graph (Oxigraph: ``oxigraph serve --union-default-graph``; Fuseki:
    ``tdb2:unionDefaultGraph true``; Virtuoso does by default) for user
    queries to see every document; the store's own bookkeeping uses ``GRAPH``
    patterns and works either way. Its graphs are the document graphs (named
    graphs holding their own ``cp:Document`` node): other graphs on a shared
    endpoint are neither counted, listed nor dumped.

    Credentials: Basic from the environment (or ``auth``), else from the
    URL (``http://user:password@host/sparql``, percent-encoded), sent as
    UTF-8 (RFC 7617) and switched to Digest when the server asks for it
    (Virtuoso's ``/sparql-auth``); or a bearer token. The URL is kept, and
    shown in messages, without its credentials. Virtuoso also needs an ``Accept`` header fitting the query
    form, answers ASK with a table, and cuts results at its
    ``ResultSetMaxRows`` (signalled by ``X-SPARQL-MaxRows``): the query form
    is read from the text to choose ``Accept``, the table is read as a
    boolean, and a cut SELECT result is a :class:`~kg.errors.QueryError`.
    """

    def __init__(self, endpoint: str, *, update_endpoint: str | None = None, timeout: float = 60.0,
                 auth: tuple[str, str] | None = None, token: str | None = None):
        super().__init__()
        import requests

        # credentials written into a URL are used, and the URL is kept (and shown) without them
        self.endpoint, url_auth = split_credentials(endpoint)
        self.update_endpoint, update_auth = split_credentials(update_endpoint or update_url_for(self.endpoint))
        self.location = redact_url(self.endpoint)
        self.timeout = timeout
        self._session = requests.Session()
        self._session.headers["User-Agent"] = "clinical-pipeline-kg"
        token = token if token is not None else os.environ.get("KG_ENDPOINT_TOKEN")
        user = os.environ.get("KG_ENDPOINT_USER")
        if auth is None and user:
            auth = (user, os.environ.get("KG_ENDPOINT_PASSWORD", ""))
        if auth is None and not token:
            auth = url_auth or update_auth
        self._credentials = auth        # as given: Digest needs the text, not the bytes Basic sends
        if token:
            token = token.strip()       # as sent
            if not _header_safe(token):
                raise StoreError("KG_ENDPOINT_TOKEN holds characters HTTP headers cannot carry "
                                 "(a bearer token is ASCII letters, digits and -._~+/=)")
            self._session.headers["Authorization"] = f"Bearer {token}"
        elif auth:
            self._session.auth = _basic_credentials(*auth)
        self._secrets = secret_forms(None if token else auth, token)
        LOG_REDACTOR.add(self._secrets)

    def _post(self, url: str, *, data, headers: dict, what: str, error=StoreError):
        import requests

        shown = redact_url(url)
        try:
            r = self._session.post(url, data=data, headers=headers, timeout=self.timeout)
            if r.status_code == 401 and self._use_digest(r):
                r = self._session.post(url, data=data, headers=headers, timeout=self.timeout)
        except requests.RequestException as e:
            raise StoreError(f"cannot reach SPARQL endpoint {shown} ({self._reason(e)})") from None
        except UnicodeError:            # Digest sends the user name in a header, which takes Latin-1 only
            raise StoreError(f"cannot send the credentials to {shown}: the user name holds characters "
                             f"HTTP headers cannot carry") from None
        if r.status_code in (401, 403):
            raise StoreError(f"{shown} refused the {what} (HTTP {r.status_code}); set KG_ENDPOINT_USER and "
                             f"KG_ENDPOINT_PASSWORD, or KG_ENDPOINT_TOKEN")
        if r.status_code >= 400:
            detail = _without_secrets(_first_line(r.text) if r.text else r.reason or "", self._secrets)
            hint = ""
            if "permission" in detail.lower():      # Virtuoso refuses anonymous updates with a 500
                hint = " (the endpoint wants credentials: set KG_ENDPOINT_USER and KG_ENDPOINT_PASSWORD)"
            raise error(f"{shown} rejected the {what} (HTTP {r.status_code}): {detail}{hint}")
        return r

    def _use_digest(self, r) -> bool:
        """Switch the session from Basic to Digest credentials unless the server asks for Basic.

        Virtuoso's ``/sparql-auth`` accepts Digest only, and answers Basic
        credentials with a 401 that carries no challenge. True when the
        request should be sent again.
        """
        from requests.auth import HTTPDigestAuth

        if not isinstance(self._session.auth, tuple) or "basic" in r.headers.get("WWW-Authenticate", "").lower():
            return False
        log.debug("%s refused Basic credentials; trying Digest", self.location)
        self._session.auth = HTTPDigestAuth(*self._credentials)
        return True

    def _reason(self, e: Exception) -> str:
        """A short reason for a failed request (the full one is several nested exceptions long)."""
        import requests

        text = str(e)
        if isinstance(e, requests.Timeout):
            return f"no answer within {self.timeout:g} s"
        for needle, reason in (("Connection refused", "connection refused"),
                               ("Name or service not known", "unknown host"),
                               ("nodename nor servname", "unknown host"),
                               ("getaddrinfo failed", "unknown host"),
                               ("CERTIFICATE_VERIFY_FAILED", "TLS certificate not trusted")):
            if needle in text:
                return reason
        return type(e).__name__

    def _query(self, text: str) -> QueryResult:
        form = query_form(text)
        accept = {"SELECT": _ACCEPT_RESULTS, "ASK": _ACCEPT_RESULTS,
                  "CONSTRUCT": _ACCEPT_GRAPH, "DESCRIBE": _ACCEPT_GRAPH}.get(form, _ACCEPT)
        r = self._post(self.endpoint, data={"query": text}, what="query", error=QueryError,
                       headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"})
        result = self._parse(r)
        if form == "ASK" and result.kind == "solutions" and len(result.variables) == 1:
            # Virtuoso answers ASK with a table: ?__ASK_RETVAL, one row "1" when true, no row when false
            value = any(row[0] is not None and row[0].value not in ("0", "false") for row in result.rows)
            return QueryResult("boolean", boolean=value)
        cap = r.headers.get("X-SPARQL-MaxRows", "").strip()
        if cap.isdigit() and result.kind == "solutions" and len(result.rows) >= int(cap):
            raise QueryError(f"{self.location} answered at most {cap} rows and may have cut the result "
                             f"(X-SPARQL-MaxRows; Virtuoso's ResultSetMaxRows): raise that limit on the server, "
                             f"or page the query with ORDER BY, LIMIT and OFFSET")
        return result

    def _parse(self, r) -> QueryResult:
        ox = _ox()
        ctype = r.headers.get("Content-Type", "").split(";")[0].strip().lower()
        kind = _RESULT_TYPES.get(ctype)
        if kind is None:
            raise QueryError(f"{self.location} answered with unsupported content type {ctype or 'none'!r}")
        try:
            if kind[0] == "results":
                return QueryResult.from_oxigraph(
                    ox.parse_query_results(r.content, getattr(ox.QueryResultsFormat, kind[1])))
            quads = ox.parse(r.content, format=getattr(ox.RdfFormat, kind[1]))
            return QueryResult("graph", triples=[q.triple for q in quads])
        except (SyntaxError, ValueError) as e:
            raise QueryError(f"{self.location} sent a result that does not parse ({_first_line(e)})") from None

    def _update(self, update: str) -> None:
        self._post(self.update_endpoint, data=update.encode("utf-8"), what="update",
                   headers={"Content-Type": "application/sparql-update; charset=utf-8"})

    # The store's graphs on an endpoint are the document graphs (a graph holding its own
    # cp:Document node): other graphs there (Virtuoso's system graphs, other data) are not counted,
    # listed or dumped.
    _DOC_GRAPH = f"GRAPH ?g {{ ?g <{RDF_TYPE}> <{CP_DOCUMENT}> . ?s ?p ?o }}"

    def _match(self, s=None, p=None, o=None, g=None) -> list:
        ox = _ox()
        bound = {k: v for k, v in (("s", s), ("p", p), ("o", o), ("g", g)) if v is not None}
        res = self._query(bind_values(f"SELECT ?s ?p ?o ?g WHERE {{ {self._DOC_GRAPH} }}", bound))
        out = []
        for row in res.rows:
            vals = dict(zip(res.variables, row))
            vals.update(bound)
            out.append(ox.Quad(vals["s"], vals["p"], vals["o"], vals["g"]))
        return out

    def graphs(self) -> list[str]:
        res = self._query(f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?g <{RDF_TYPE}> <{CP_DOCUMENT}> }} }}")
        return sorted(t.value for t in res.column("g") if t is not None)

    def __len__(self) -> int:
        res = self._query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {self._DOC_GRAPH} }}")
        return int(res.rows[0][0].value) if res.rows else 0

    def dump(self, output=None, format: str = "trig") -> bytes | None:
        ox = _ox()
        fmt = _dump_format(format)
        quads = self._match()
        prefixes = PREFIXES if fmt == ox.RdfFormat.TRIG else None
        try:
            return ox.serialize(quads, output, fmt, prefixes=prefixes)
        except OSError as e:
            raise StoreError(f"cannot write the dump ({_first_line(e)})") from None

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._session.close()


# ---------------------------------------------------------------------------
# Opening
# ---------------------------------------------------------------------------

def open_store(store: str | os.PathLike | None = None, endpoint: str | None = None, *,
               read_only: bool = False) -> Store:
    """The store to use: the endpoint if one is given, else the embedded store folder.

    ``read_only=True`` (queries, exports) never creates a store and reads
    its newest published snapshot (:mod:`kg.snapshots`), taking no lock: a
    ``kg ingest`` may write the store meanwhile.
    """
    if endpoint:
        return RemoteStore(endpoint)
    path = store if store is not None else default_location()
    return EmbeddedStore(path, read_only=read_only)


LOCK_WAIT = 5.0         # seconds a writer waits for the store's lock (a reader publishing a snapshot holds it briefly)


def _open_for_writing(path: Path):
    """``pyoxigraph.Store(path)``, waiting a moment if a reader holds the lock to publish a snapshot."""
    ox = _ox()
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        try:
            return ox.Store(str(path))
        except OSError as e:
            if not snapshots.is_lock_error(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.1)
