"""The SPARQL HTTP endpoint: ``kg serve``, a read-only SPARQL 1.1 Protocol service over the store.

What it answers (``http://127.0.0.1:7878`` by default):

``/sparql``
    The `SPARQL 1.1 Protocol <https://www.w3.org/TR/sparql11-protocol/>`_ for
    queries: ``GET ?query=``, ``POST`` of ``application/x-www-form-urlencoded``
    (``query=``) or of ``application/sparql-query``, with the optional
    ``default-graph-uri`` / ``named-graph-uri`` parameters. The default graph
    is the union of the document graphs. Results by content negotiation on
    ``Accept``, or by a ``format`` parameter (``json``, ``xml``, ``csv``,
    ``tsv``, ``turtle``, ``ntriples``, ``jsonld``, ``nquads``, ``rdfxml``, or a
    media type), which wins over ``Accept``:

    * SELECT / ASK: ``application/sparql-results+json`` (the default),
      ``application/sparql-results+xml``, ``text/csv``,
      ``text/tab-separated-values``;
    * CONSTRUCT / DESCRIBE: ``text/turtle`` (the default),
      ``application/n-triples``, ``application/ld+json``,
      ``application/n-quads``, ``application/rdf+xml``.

    Every body is well-formed in its format whatever the literals hold. The
    two XML formats cannot carry most control characters (U+0000 to U+001F
    but tab, line feed and carriage return) nor U+FFFE / U+FFFF, not even
    escaped: they are written as U+FFFD there; the other formats carry
    them exactly.

    ``GET /sparql`` without a query returns the `service description
    <https://www.w3.org/TR/sparql11-service-description/>`_ (Turtle, or the
    RDF format asked for; a browser asking for HTML is sent to the page).
``/``
    A page for people: a query editor, the standard questions of
    ``ontology/queries/*.rq`` as one-click examples, a result table and
    download links. Plain HTML and JavaScript served from ``kg/web/``: no
    asset from the network.
``/examples``
    The standard questions as JSON (name, title, description, text) and the
    project's prefixes.

Refusals and errors (a ``text/plain`` message, never a 200 with a partial
body): 400 malformed query (the parser's message) or request, 403 SPARQL
Update (``update=``, ``application/sparql-update``, an update in ``query=``,
``/update``) and ``SERVICE`` unless ``allow_service``, 404, 405 other
methods, 406 no acceptable result format, 411 / 413 / 415 request body
without length, too large, or of another type, 500 result larger than
``max_results`` rows (triples for CONSTRUCT / DESCRIBE) or query failure,
503 query timeout or every worker busy. Every answer carries
``Access-Control-Allow-Origin: *``; ``OPTIONS`` answers CORS preflights,
allowing the request headers the protocol uses (``Accept``,
``Content-Type``) and no others.
A result over the limit is refused whole rather than cut: a cut result
passes for a complete one in every client that ignores an extra header
(Virtuoso's silent ``ResultSetMaxRows`` is the cautionary example). The
status is 500 because the SPARQL 1.1 Protocol (2.1.4) names 500 for a
service that refuses to execute a well-formed query; the message says
what to do (LIMIT / OFFSET). Timeouts are 503, as Fuseki answers them.

How a query runs. pyoxigraph cannot cancel a running query, so queries run
in a pool of worker processes (:class:`WorkerPool`: fresh interpreters,
each holding the store open read-only, killed by the kernel if the server
dies). A worker that has not answered by its deadline is killed (SIGKILL)
and replaced by a fresh process in the background; a query past the
timeout is answered 503. The worker checks the query first: rdflib's
SPARQL 1.1 parser finds ``SERVICE`` anywhere in the parse tree
(sub-queries, ``EXISTS``, ``OPTIONAL``...) and tells an update from a
malformed query; then pyoxigraph runs it, the worker collects at most
``max_results`` rows (one more is an error, not a cut) and serializes
them.

Fair use of the workers. A query's cost is unknown until it runs, so the
pool has two lanes:

* the general workers (``workers``; by default one a CPU, two to four) run
  a query for up to ``timeout`` seconds;
* the short lane answers while every general worker is busy, running a
  query for at most ``short_timeout`` seconds (2 s by default, never more
  than ``timeout``). It keeps one spare worker idle: when a request takes
  it, the next spare starts in the background, so the lane grows while
  requests keep arriving (up to 4 worker processes per CPU in all) and
  shrinks back to one spare when they stop.

So runaway queries can hold every general worker for ``timeout`` seconds,
and a burst of them each holds a short-lane worker for no more than
``short_timeout``; a simple query arriving behind them, from any client or
the same one, finds the spare and is answered at once (within a worker's
start-up, well under a second, when the burst used the last spare a moment
before). A burst beyond the process budget fills the short lane: then the
short lane serves the newest request first, and a newcomer stops the
short-lane query that has run longest once it has had ``SHORT_LANE_SURE``
(0.25 s), taking a fresh worker. The short lane is a head start, not a
refusal: a query that overruns it, or is stopped there, is stopped (its
worker killed, the lane keeping its spare) and goes back to waiting for a
general worker, in the place it had;
a request is refused as busy only as before, when no general worker came
its way within ``max(timeout, 30 s)`` (503, with ``Retry-After``: when the
first general worker will be free at the latest). ``short_timeout=0`` (or
``None``) drops the short lane.

Waiting requests are served in fair order, not first come first served:
the next free worker goes to the waiting request whose client (remote
address) holds the fewest workers, the earliest among equals, so a client
that queued many requests does not keep another's waiting behind all of
them. There is no hard cap of workers per client: a remote address does
not name a user (every local client, the page and a reverse proxy in front
of the server are all 127.0.0.1; users behind one NAT share an address;
one user can use many), so a cap would turn away people sharing an
address while leaving workers idle, and would not stop a determined
client; the short lane keeps quick questions answered whoever holds the
general workers.

Read-only and concurrent writers. Workers never open the store folder
itself: pyoxigraph calls reading a folder that another process writes
"undefined behaviour" (RocksDB deletes data files under the reader). They
read the newest snapshot ``kg ingest`` published (:mod:`kg.snapshots`:
hard-linked checkpoints in ``STORE/snapshots``, at most a few seconds
behind the writer), holding a shared lock on it so the writer never removes
it under them; before each query a worker checks whether a newer one is
published and opens it, so new documents show up without a restart.
"""
from __future__ import annotations

import collections
import contextlib
import functools
import itertools
import json
import logging
import math
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import __version__, snapshots
from .errors import KGError, ServerError, StoreError
from .processes import max_processes, sigterm_interrupts
from .store import MALFORMED, prepare_query, query_form, union_query_options
from .xmlchars import xml_safe

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7878
DEFAULT_TIMEOUT = 30.0
DEFAULT_SHORT_TIMEOUT = 2.0        # seconds a query may run on the short lane
DEFAULT_MAX_RESULTS = 10000
DEFAULT_MAX_BODY = 1 << 20          # bytes of a POST body
WORKER_START_TIMEOUT = 60.0         # seconds for a worker to import and open the store
QUEUE_TIMEOUT = 30.0                # seconds a request waits at least for a free worker
#: seconds a query keeps its short-lane worker for sure: past that, a newer request finding the lane full
#: stops it (the query then waits for a general worker, as one that overran the lane)
SHORT_LANE_SURE = 0.25
WEB_DIR = Path(__file__).resolve().parent / "web"

# ---------------------------------------------------------------------------
# Result formats and content negotiation
# ---------------------------------------------------------------------------

#: Media types offered for SELECT / ASK results, in the server's order of preference.
RESULTS_TYPES = ("application/sparql-results+json", "application/sparql-results+xml",
                 "text/csv", "text/tab-separated-values")
#: Media types offered for CONSTRUCT / DESCRIBE results, in the server's order of preference.
GRAPH_TYPES = ("text/turtle", "application/n-triples", "application/ld+json",
               "application/n-quads", "application/rdf+xml")
#: Other names clients use for the same formats.
ALIASES = {
    "application/json": "application/sparql-results+json",
    "application/xml": "application/sparql-results+xml",
    "text/xml": "application/sparql-results+xml",
    "application/x-turtle": "text/turtle",
    "application/turtle": "text/turtle",
    "text/n3": "text/turtle",               # Turtle is N3
    "text/rdf+n3": "text/turtle",
    "application/n3": "text/turtle",
    "application/x-json+ld": "application/ld+json",
}
#: ``format=`` short names: (for SELECT / ASK, for CONSTRUCT / DESCRIBE).
FORMAT_NAMES = {
    "json": ("application/sparql-results+json", "application/ld+json"),
    "srj": ("application/sparql-results+json", None),
    "xml": ("application/sparql-results+xml", "application/rdf+xml"),
    "srx": ("application/sparql-results+xml", None),
    "csv": ("text/csv", None),
    "tsv": ("text/tab-separated-values", None),
    "turtle": (None, "text/turtle"), "ttl": (None, "text/turtle"),
    "ntriples": (None, "application/n-triples"), "n-triples": (None, "application/n-triples"),
    "nt": (None, "application/n-triples"),
    "jsonld": (None, "application/ld+json"), "json-ld": (None, "application/ld+json"),
    "nquads": (None, "application/n-quads"), "n-quads": (None, "application/n-quads"),
    "nq": (None, "application/n-quads"),
    "rdfxml": (None, "application/rdf+xml"), "rdf": (None, "application/rdf+xml"),
    "rdf+xml": (None, "application/rdf+xml"), "n3": (None, "text/turtle"),
}
TEXT_TYPES = {"text/csv", "text/tab-separated-values", "text/turtle", "application/n-triples",
              "application/n-quads", "text/plain", "text/html", "text/css", "text/javascript"}


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """``Accept`` as (media range, q) pairs; a missing or empty header accepts anything."""
    if not header or not header.strip():
        return [("*/*", 1.0)]
    out = []
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        mtype = fields[0].lower()
        if not mtype:
            continue
        if "/" not in mtype:
            mtype = "*/*" if mtype == "*" else mtype + "/*"
        q = 1.0
        for f in fields[1:]:
            name, _, value = f.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(1.0, max(0.0, float(value)))
                except ValueError:
                    q = 0.0
        out.append((mtype, q))
    return out


def _quality(prefs: list[tuple[str, float]], mtype: str) -> float:
    """q of ``mtype`` under the most specific matching range (0 when none matches)."""
    best, q = -1, 0.0
    major = mtype.split("/")[0]
    names = {mtype} | {alias for alias, target in ALIASES.items() if target == mtype}
    for rng, rq in prefs:
        if rng in names:
            spec = 2
        elif rng == f"{major}/*":
            spec = 1
        elif rng == "*/*":
            spec = 0
        else:
            continue
        if spec > best or (spec == best and rq > q):
            best, q = spec, rq
    return q


def negotiate(prefs: list[tuple[str, float]], offered: tuple[str, ...]) -> str | None:
    """The offered type the client likes best (ties: the server's order), or ``None``."""
    best, best_q = None, 0.0
    for mtype in offered:
        q = _quality(prefs, mtype)
        if q > best_q:
            best, best_q = mtype, q
    return best


def format_choice(values: list[str]) -> "Choice | None":
    """The ``format`` (or ``output``) parameter as a :class:`Choice`: the first value understood.

    A value is a short name (:data:`FORMAT_NAMES`) or media types, several
    separated by commas as in ``Accept`` (SPARQLWrapper sends both kinds).
    ``None`` when no value is understood.
    """
    for value in values:
        value = value.strip().lower()
        if value in FORMAT_NAMES:
            return Choice(*FORMAT_NAMES[value])
        if "/" in value:
            prefs = parse_accept(value)
            choice = Choice(negotiate(prefs, RESULTS_TYPES), negotiate(prefs, GRAPH_TYPES))
            if choice.results or choice.graph:
                return choice
    return None


@dataclass
class Choice:
    """The response type chosen for each kind of result (``None``: not acceptable)."""

    results: str | None
    graph: str | None

    def for_kind(self, kind: str) -> str | None:
        return self.graph if kind == "graph" else self.results


# ---------------------------------------------------------------------------
# Serializers (run in the worker)
# ---------------------------------------------------------------------------

def _xml_chars(text: str) -> str:
    """``text`` (markup or character data) as XML 1.0 can hold it: each character it cannot carry
    becomes U+FFFD, and CR a character reference (a parser reads a raw CR as a line feed)."""
    return xml_safe(text).replace("\r", "&#13;")


def serialize_solutions(variables: list[str], rows: list[tuple], mtype: str) -> bytes:
    """A SELECT result in one of :data:`RESULTS_TYPES`, by pyoxigraph's serializer (:meth:`kg.store.QueryResult.serialize`)."""
    import pyoxigraph as ox

    from .store import QueryResult

    data = QueryResult("solutions", variables=variables, rows=rows).serialize(
        ox.QueryResultsFormat.from_media_type(mtype))
    if mtype == "application/sparql-results+xml":
        # pyoxigraph writes a literal's control characters as they are, which no XML parser reads, and a CR
        # raw, which one reads as a line feed; its own markup holds neither, so every character changed here
        # is a term's
        return _xml_chars(data.decode("utf-8")).encode("utf-8")
    return data


def serialize_boolean(value, mtype: str) -> bytes:
    """An ASK result (a :class:`pyoxigraph.QueryBoolean`) in one of :data:`RESULTS_TYPES`, by pyoxigraph's serializer."""
    import pyoxigraph as ox

    return value.serialize(format=ox.QueryResultsFormat.from_media_type(mtype))


EMPTY_RDF_XML = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
                 b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>\n')
#: RDF/XML writes a predicate as a namespace and an XML name: the IRI must end in one (ASCII letters here:
#: pyoxigraph's own split does not check the Unicode rules of XML names).
_RDF_XML_PREDICATE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*$")


def serialize_triples(triples: list, mtype: str) -> bytes:
    """A CONSTRUCT / DESCRIBE result in one of :data:`GRAPH_TYPES`."""
    import pyoxigraph as ox

    from .store import PREFIXES

    fmt = ox.RdfFormat.from_media_type(mtype)
    prefixes = PREFIXES if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML) else None
    if fmt == ox.RdfFormat.RDF_XML:
        if not triples:
            return EMPTY_RDF_XML
        bad = next((t.predicate for t in triples if not _RDF_XML_PREDICATE.search(t.predicate.value)), None)
        if bad is not None:
            raise Refusal(406, f"the result cannot be written as RDF/XML: the predicate <{_one_line(bad.value, 200)}> "
                               f"does not end in an XML name; ask for Turtle, N-Triples or JSON-LD")
    if not triples:
        return b"[]\n" if fmt == ox.RdfFormat.JSON_LD else b""
    data = ox.serialize(triples, format=fmt, prefixes=prefixes)
    if fmt == ox.RdfFormat.RDF_XML:
        # pyoxigraph writes a literal's control characters as they are, which no XML parser reads; its
        # own markup holds neither those nor CR, so every character changed here is a term's
        return _xml_chars(data.decode("utf-8")).encode("utf-8")
    return data


# ---------------------------------------------------------------------------
# Query checks (run in the worker)
# ---------------------------------------------------------------------------

class Refusal(Exception):
    """A query the endpoint will not run: an HTTP status and a one-line message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


UPDATE_REFUSED = ("SPARQL Update is not allowed: this endpoint is read-only "
                  "(write with `kg ingest`, or run updates against the store itself)")
SERVICE_REFUSED = ("SERVICE (federated query) is not allowed on this endpoint; "
                   "start the server with --allow-service to enable it")


def _one_line(text: str, limit: int = 400) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[:limit - 1] + "\u2026"


def _is_update(text: str) -> bool:
    from pyparsing import ParseException
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        parseUpdate(text)
        return True
    except (ParseException, RecursionError, ValueError):
        return False


def check_query(text: str, allow_service: bool) -> str | None:
    """The query form (``"SELECT"``, ``"ASK"``, ``"CONSTRUCT"``, ``"DESCRIBE"``; :func:`kg.store.query_form`),
    once rdflib's SPARQL 1.1 parser has read the query.

    Raises :class:`Refusal`: 403 for an update or (unless ``allow_service``)
    a ``SERVICE`` anywhere in the query, 400 for a query the parser rejects.
    With ``allow_service`` the parse is only a hint: a query rdflib cannot
    read (say, pyoxigraph's SPARQL 1.2 extensions) is left to pyoxigraph.
    """
    from pyparsing import ParseException
    from rdflib.plugins.sparql.parser import parseQuery
    from rdflib.plugins.sparql.parserutils import CompValue

    try:
        tree = parseQuery(text)
    except (ParseException, ValueError) as e:
        if _is_update(text):
            raise Refusal(403, UPDATE_REFUSED) from None
        if allow_service:
            return query_form(text)
        raise Refusal(400, f"malformed SPARQL query: {_one_line(e)}") from None
    except RecursionError:
        raise Refusal(400, "malformed SPARQL query: nested too deeply to read") from None
    if not allow_service:
        stack: list[Any] = [tree]
        while stack:                     # every node of the parse tree, sub-queries and filters included
            node = stack.pop()
            if isinstance(node, CompValue):
                if node.name == "ServiceGraphPattern":
                    raise Refusal(403, SERVICE_REFUSED)
                stack.extend(node.values())
            elif isinstance(node, (list, tuple)) or type(node).__name__ == "ParseResults":
                stack.extend(node)
    return query_form(text)


_checked = functools.lru_cache(maxsize=256)(check_query)     # the standard questions come back often


# ---------------------------------------------------------------------------
# The worker process
# ---------------------------------------------------------------------------

class Snapshot:
    """The newest snapshot the store's writer published (:mod:`kg.snapshots`), reopened when a newer one is."""

    CHECK_EVERY = 2.0       # seconds between attempts to publish a fresh snapshot of a store left unclean

    def __init__(self, path: str):
        self.path = path
        self.opened: snapshots.Opened | None = None
        self._checked = 0.0
        self.refresh(required=True)

    def stale(self) -> bool:
        """Whether a newer snapshot is published, or one may be published (a writer died before its last)."""
        if self.opened is None or snapshots.current(self.path) != self.opened.name:
            return True
        return not snapshots.is_clean(self.path) and time.monotonic() - self._checked >= self.CHECK_EVERY

    def refresh(self, required: bool = False):
        """The store: the newest snapshot, opened first if it is not the one held."""
        if self.opened is not None and not self.stale():
            return self.opened.store
        self._checked = time.monotonic()
        try:
            opened = snapshots.open_latest(self.path)
        except OSError as e:
            if required or self.opened is None:
                raise StoreError(f"{self.path}: cannot open the store read-only ({_one_line(e)})") from None
            log.warning("%s: cannot open a newer snapshot now (%s); answering from the one held",
                        self.path, _one_line(e, 200))
            return self.opened.store
        if self.opened is not None:
            if opened.name == self.opened.name:     # still the newest: keep the handle already warm
                opened.close()
                return self.opened.store
            self.opened.close()                     # its lock goes: the writer may remove it
        self.opened = opened
        return opened.store


@dataclass
class WorkerConfig:
    """What a worker process needs to know; sent to it when it starts."""

    store: str
    max_results: int | None
    allow_service: bool
    log_level: int = logging.WARNING


@dataclass
class Job:
    """One query for a worker."""

    query: str
    choice: Choice
    default_graphs: list[str] | None = None
    named_graphs: list[str] | None = None


@dataclass
class Reply:
    """A worker's answer: a body and its type, or an error status and message."""

    status: int
    content_type: str = "text/plain; charset=utf-8"
    body: bytes = b""
    count: int | None = None             # rows or triples, for the log
    kind: str | None = None
    headers: dict = field(default_factory=dict)

    @classmethod
    def error(cls, status: int, message: str, **headers) -> "Reply":
        return cls(status, body=(message.rstrip() + "\n").encode("utf-8"), headers=headers)


def _content_type(mtype: str) -> str:
    return f"{mtype}; charset=utf-8" if mtype in TEXT_TYPES or mtype.endswith(("+json", "+xml")) \
        or mtype == "application/ld+json" else mtype


def run_job(snapshot: Snapshot, job: Job, config: WorkerConfig) -> Reply:
    """Check, run and serialize one query (in the worker process).

    The query runs with the usual prefixes declared, as with ``kg query``
    (:func:`kg.store.prepare_query`); a syntax error speaks of the query as
    the client wrote it.
    """
    import pyoxigraph as ox

    limit = config.max_results
    prepared = prepare_query(job.query)
    try:
        form = _checked(job.query, config.allow_service)
    except Refusal as r:
        return Reply.error(r.status, r.message)
    if form is not None:
        kind = "graph" if form in ("CONSTRUCT", "DESCRIBE") else "results"
        if job.choice.for_kind(kind) is None:
            return _not_acceptable(form)
    kwargs: dict[str, Any] | None = None     # the default graph: the merge of the document graphs
    try:
        if job.default_graphs is not None or job.named_graphs is not None:
            kwargs = {"default_graph": [ox.NamedNode(g) for g in job.default_graphs or []],
                      "named_graphs": [ox.NamedNode(g) for g in job.named_graphs or []]}
    except ValueError as e:
        return Reply.error(400, f"invalid graph IRI in default-graph-uri / named-graph-uri: {_one_line(e)}")
    try:
        store = snapshot.refresh()
        try:
            result = store.query(prepared.text, **(union_query_options(store) if kwargs is None else kwargs))
        except (OSError, RuntimeError):
            if not snapshot.stale():
                raise
            # a writer compacted files away under the old snapshot: read a new one, once
            store = snapshot.refresh()
            result = store.query(prepared.text, **(union_query_options(store) if kwargs is None else kwargs))
        if isinstance(result, ox.QueryBoolean):
            mtype = job.choice.results
            if mtype is None:
                return _not_acceptable("ASK")
            return Reply(200, _content_type(mtype), serialize_boolean(result, mtype), 1, "boolean")
        if isinstance(result, ox.QuerySolutions):
            mtype = job.choice.results
            if mtype is None:
                return _not_acceptable("SELECT")
            variables = [v.value for v in result.variables]
            rows = []
            for sol in result:
                if limit is not None and len(rows) >= limit:
                    return _too_large(limit, "rows")
                rows.append(tuple(sol[i] for i in range(len(variables))))
            return Reply(200, _content_type(mtype), serialize_solutions(variables, rows, mtype),
                         len(rows), "solutions")
        mtype = job.choice.graph
        if mtype is None:
            return _not_acceptable("CONSTRUCT")
        triples = []
        for t in result:
            if limit is not None and len(triples) >= limit:
                return _too_large(limit, "triples")
            triples.append(t.triple if isinstance(t, ox.Quad) else t)
        return Reply(200, _content_type(mtype), serialize_triples(triples, mtype), len(triples), "graph")
    except Refusal as r:
        return Reply.error(r.status, r.message)
    except SyntaxError as e:
        return Reply.error(400, prepared.explain(f"{MALFORMED}{_one_line(e)}"))
    except (OSError, RuntimeError, ValueError, TypeError) as e:
        return Reply.error(500, f"query failed: {_one_line(e)}")
    except StoreError as e:
        return Reply.error(500, str(e))


def _not_acceptable(form: str) -> Reply:
    offered = GRAPH_TYPES if form in ("CONSTRUCT", "DESCRIBE") else RESULTS_TYPES
    return Reply.error(406, f"no acceptable format for a {form} result: ask for one of {', '.join(offered)} "
                            f"(Accept header or format parameter)")


def _too_large(limit: int, what: str) -> Reply:
    return Reply.error(500, f"result too large: more than {limit} {what} (the server's --max-results); "
                            f"narrow the query or page through it with LIMIT and OFFSET")


def _warm_up(allow_service: bool) -> None:
    """Parse the standard questions now (tens of ms each), so the page's one-click examples are quick."""
    check_query("ASK {}", False)
    try:
        from .query import load_query, standard_queries

        for name in standard_queries():
            try:
                _checked(load_query(name), allow_service)
            except Refusal:
                pass
    except KGError as e:                  # no standard questions: nothing to prepare
        log.debug("no standard questions to prepare: %s", e)


def _worker_entry(fd: int) -> None:
    """Where a worker process starts (forked by the factory, or ``python -c``): the socket ``fd`` leads to
    the pool."""
    from multiprocessing.connection import Connection

    conn = Connection(fd)
    _worker_main(conn, conn.recv())


def _factory_entry(fd: int) -> None:
    """Where the worker factory starts (``python -c``): the socket ``fd`` leads to the pool.

    The factory imports and prepares once what every worker needs (the
    SPARQL parser, the standard questions), then forks a worker for each
    socket the pool sends it: a worker is ready in tens of milliseconds
    instead of the second a fresh interpreter takes, which is what lets the
    short lane grow during a burst of queries. The factory runs one thread,
    so forking it is safe (forking the threaded server is not).
    """
    from multiprocessing.connection import Connection
    from multiprocessing.reduction import recv_handle

    from .processes import die_with_parent

    signal.signal(signal.SIGINT, signal.SIG_IGN)          # Ctrl+C is the server's to handle
    die_with_parent()               # and its workers die with it in turn (each asks the same of the factory)
    conn = Connection(fd)
    config: WorkerConfig = conn.recv()
    logging.basicConfig(level=config.log_level, format="kg: %(levelname)s %(name)s[worker]: %(message)s")
    _warm_up(config.allow_service)
    import pyoxigraph  # noqa: F401 - imported once here rather than in every worker

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)        # the kernel reaps the workers
    conn.send(("ready", os.getpid()))
    while True:
        try:
            if conn.recv() is None:
                return
            worker_fd = recv_handle(conn)
        except (EOFError, OSError, KeyboardInterrupt):
            return
        pid = os.fork()
        if pid == 0:                                      # the worker
            try:
                conn.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                _worker_entry(worker_fd)
            finally:
                os._exit(0)
        os.close(worker_fd)
        try:
            conn.send(pid)
        except OSError:
            return


def _worker_main(conn, config: WorkerConfig) -> None:
    """A worker process: open the store read-only, then answer jobs until the connection closes."""
    from .processes import die_with_parent

    signal.signal(signal.SIGINT, signal.SIG_IGN)          # Ctrl+C is the parent's to handle
    die_with_parent()               # even a server killed by SIGKILL leaves no worker behind
    logging.basicConfig(level=config.log_level, format="kg: %(levelname)s %(name)s[worker]: %(message)s")
    try:
        snapshot = Snapshot(config.store)
        _warm_up(config.allow_service)
    except Exception as e:                                # noqa: BLE001 - reported to the parent, which raises
        conn.send(("failed", str(e) if isinstance(e, KGError) else f"{type(e).__name__}: {e}"))
        return
    conn.send(("ready", os.getpid()))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if job is None:
            return
        try:
            reply = run_job(snapshot, job, config)
        except Exception as e:                            # noqa: BLE001 - a bug: answer 500, keep serving
            log.exception("query failed unexpectedly")
            reply = Reply.error(500, f"internal error: {type(e).__name__}: {_one_line(e)}")
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return


# ---------------------------------------------------------------------------
# The pool
# ---------------------------------------------------------------------------

GENERAL = "general"     # the lane of the workers that run a query for up to the server's timeout
SHORT = "short"         # the lane of the workers kept for short queries while every general one is busy


def _interpreter(entry: str, theirs: socket.socket) -> subprocess.Popen:
    """A fresh interpreter running ``kg.server.<entry>(fd)`` on its end ``theirs`` of a socket pair.

    Not :mod:`multiprocessing`'s spawn or forkserver, which re-import the
    caller's ``__main__`` (a script without the ``if __name__ == "__main__"``
    guard would start a server in every worker), nor fork, unsafe in a
    threaded server.
    """
    # this very kg package, ahead of the working folder that ``-c`` puts first (it may hold another kg)
    package_root = str(Path(__file__).resolve().parent.parent)
    try:
        return subprocess.Popen([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[3]); "
                                 f"from kg.server import {entry}; {entry}(int(sys.argv[1]))",
                                 str(theirs.fileno()), entry, package_root],
                                pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, close_fds=True)
    except OSError as e:
        raise ServerError(f"cannot start a query worker ({e.strerror or e})") from None


class _Forked:
    """A worker the factory forked: the part of :class:`subprocess.Popen` the pool uses, by pid (the
    factory's kernel reaps it, so a pid that is gone has ended)."""

    def __init__(self, pid: int):
        self.pid = pid

    def poll(self) -> int | None:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return -1
        return None

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)

    def wait(self, timeout: float | None = None) -> None:
        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if end is not None and time.monotonic() > end:
                raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout)
            time.sleep(0.01)


class _Worker:
    """A worker process (:class:`subprocess.Popen` or :class:`_Forked`), the connection to it and its lane."""

    def __init__(self, process: subprocess.Popen, conn, lane: str = GENERAL):
        self.process = process
        self.conn = conn
        self.lane = lane
        self.evicted = False            # stopped to make room on the short lane

    def kill(self) -> None:
        try:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait(10)
        except subprocess.TimeoutExpired:          # pragma: no cover - SIGKILL is not refused
            log.error("query worker %s did not die", self.process.pid)
        finally:
            self.conn.close()


@dataclass(eq=False)
class Ticket:
    """A request's place among those waiting for a worker."""

    client: str                                  # its remote address
    arrival: int                                 # earlier first, among clients holding as many workers
    lanes: tuple[str, ...] = (GENERAL, SHORT)    # the lanes it may take a worker from, preferred first


class Scheduler:
    """Which waiting request gets which idle worker (the module docstring's "Fair use of the workers").

    :meth:`take` hands a request an idle worker of the first of its lanes
    that has one, else waits. Waiting requests are served in fair order: the
    request whose client holds the fewest workers first, the earliest among
    equals; only the first in that order among the requests a lane may
    serve takes that lane's worker, so no later request overtakes it.
    Workers are any objects with a ``lane``.
    """

    def __init__(self):
        self._cond = threading.Condition()
        self._idle: dict[str, list] = {GENERAL: [], SHORT: []}
        self._waiting: list[Ticket] = []
        self._held: collections.Counter[str] = collections.Counter()
        self._arrivals = itertools.count()
        self._closed = False

    def ticket(self, client: str) -> Ticket:
        """A place for a new request of ``client``, behind those that came before it."""
        return Ticket(client, next(self._arrivals))

    def _first(self, lane: str) -> Ticket | None:
        # the short lane serves the newest first among equals: a request that came after a burst is
        # likely not part of it, and the older ones still wait for a general worker in fair order
        newest = -1 if lane == SHORT else 1
        return min((t for t in self._waiting if lane in t.lanes),
                   key=lambda t: (self._held[t.client], newest * t.arrival), default=None)

    def put(self, worker) -> None:
        """``worker`` is idle: a new one, or one back from a query."""
        with self._cond:
            self._idle[worker.lane].append(worker)
            self._cond.notify_all()

    def take(self, ticket: Ticket, deadline: float):
        """An idle worker for ``ticket``, held by its client until :meth:`give_back`; ``None`` when
        none came its way by ``deadline`` (:func:`time.monotonic`) or the scheduler was closed."""
        with self._cond:
            self._waiting.append(ticket)
            try:
                while not self._closed:
                    for lane in ticket.lanes:
                        if self._idle[lane] and self._first(lane) is ticket:
                            self._held[ticket.client] += 1
                            return self._idle[lane].pop()
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return None
                    self._cond.wait(left)
                return None
            finally:
                self._waiting.remove(ticket)
                self._cond.notify_all()              # the next in line may take a worker now

    def give_back(self, client: str, worker=None) -> None:
        """``client``'s request is done with a worker: ``worker`` is idle again (``None``: it was killed)."""
        with self._cond:
            self._held[client] -= 1
            if self._held[client] <= 0:
                del self._held[client]
            if worker is not None:
                self._idle[worker.lane].append(worker)
            self._cond.notify_all()

    @property
    def waiting(self) -> int:
        """Requests waiting for a worker."""
        with self._cond:
            return len(self._waiting)

    def idle(self, lane: str) -> int:
        """Idle workers of ``lane``."""
        with self._cond:
            return len(self._idle[lane])

    def spare(self, lane: str) -> bool:
        """Whether ``lane`` has an idle worker that no waiting request may take."""
        with self._cond:
            return bool(self._idle[lane]) and not any(lane in t.lanes for t in self._waiting)

    def close(self) -> None:
        """Turn every waiting and later request away."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()


def _seconds(value: float | None) -> float | None:
    """A time limit: ``None`` (no limit) for ``None``, zero, a negative number, infinity or NaN."""
    return float(value) if value is not None and 0 < value < math.inf else None


class WorkerPool:
    """Worker processes answering queries, each with its own read-only handle on the store.

    ``size`` general workers run a query for at most ``timeout`` seconds
    (``None``: no limit); with a ``short_timeout``, the short lane takes
    requests while every general worker is busy and runs them for at most
    ``short_timeout`` seconds (and never longer than ``timeout``). The lane
    keeps one spare worker idle: when a request takes it, another starts in
    the background, up to ``short_max`` (the machine's process budget less
    the general workers); when the rush is over the lane shrinks back to one.
    :meth:`run` hands a job to the worker the :class:`Scheduler` picks; a
    worker that overruns is killed and replaced (in the background, so the
    next request does not wait for its start-up).
    """

    def __init__(self, config: WorkerConfig, size: int = 2, timeout: float | None = None,
                 short_timeout: float | None = None):
        from concurrent.futures import ThreadPoolExecutor

        self.config = config
        self.size = max(1, int(size))
        self.timeout = _seconds(timeout)
        short = _seconds(short_timeout)
        self.short_timeout = min(short, self.timeout) if short and self.timeout else short
        self.reserved = 1 if self.short_timeout else 0        # short-lane workers kept idle: the spare
        # the short lane grows while requests keep every worker busy, up to the machine's process budget
        self.short_max = max(1, max_processes() - self.size) if self.short_timeout else 0
        self._short_slots = self.reserved                   # short-lane workers alive or on their way up
        self._short_starting = 0                            # ... of which on their way up
        # Every worker is started from this one long-lived thread: a worker asks the kernel to
        # kill it when the thread that started it ends (PR_SET_PDEATHSIG), i.e. when the server does.
        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kg-sparql-spawner")
        self._scheduler = Scheduler()
        self._lock = threading.Lock()
        self._workers: set[_Worker] = set()
        self._busy: dict[_Worker, float | None] = {}         # workers at work: free at the latest then
        self._closed = False
        self.replaced = 0                                   # workers killed and replaced so far
        self.ran_out = 0                                    # ... of which at their lane's time limit
        self.evictions = 0                                  # ... of which to make room on the short lane
        self._factory: _Worker | None = None
        try:
            self._spawner.submit(self._start_factory).result()
            started = [self._start(GENERAL) for _ in range(self.size)]
            started += [self._start(SHORT) for _ in range(self.reserved)]
            for w in started:
                self._await_ready(w)
            for w in started:
                self._scheduler.put(w)
        except BaseException:
            self.close()
            raise

    def _start(self, lane: str) -> _Worker:
        """A new worker, started from the spawner thread."""
        return self._spawner.submit(self._launch, lane).result()

    def _launch(self, lane: str) -> _Worker:
        """A worker forked by the factory, or (without one) a fresh interpreter running
        :func:`_worker_entry`; connected by a socket pair, sent its configuration."""
        from multiprocessing.connection import Connection

        ours, theirs = socket.socketpair()
        try:
            p = self._fork(theirs) if self._factory is not None else _interpreter("_worker_entry", theirs)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        conn = Connection(ours.detach())
        w = _Worker(p, conn, lane)
        with self._lock:
            self._workers.add(w)
        try:
            conn.send(self.config)
        except OSError:
            pass                        # the worker died at once: _await_ready reports it
        return w

    def _start_factory(self) -> None:
        """Start the worker factory (from the spawner thread); without one, workers start as fresh
        interpreters."""
        from multiprocessing.connection import Connection

        ours, theirs = socket.socketpair()
        try:
            p = _interpreter("_factory_entry", theirs)
        except KGError as e:
            ours.close()
            log.warning("no worker factory (%s); workers start as fresh interpreters", e)
            return
        finally:
            theirs.close()
        factory = _Worker(p, Connection(ours.detach()), "factory")
        try:
            factory.conn.send(self.config)
            if factory.conn.poll(WORKER_START_TIMEOUT) and factory.conn.recv()[0] == "ready":
                self._factory = factory
                return
        except (EOFError, OSError):
            pass
        log.warning("the worker factory did not start; workers start as fresh interpreters")
        factory.kill()

    def _fork(self, theirs: socket.socket) -> _Forked:
        """A worker forked by the factory, its end of the socket pair ``theirs`` (spawner thread only)."""
        from multiprocessing.reduction import send_handle

        factory = self._factory
        try:
            factory.conn.send("fork")
            send_handle(factory.conn, theirs.fileno(), factory.process.pid)
            if not factory.conn.poll(WORKER_START_TIMEOUT):
                raise EOFError
            return _Forked(factory.conn.recv())
        except (EOFError, OSError):
            log.warning("the worker factory is gone; workers start as fresh interpreters")
            self._factory = None
            factory.kill()
            return _interpreter("_worker_entry", theirs)

    def _await_ready(self, w: _Worker) -> None:
        try:
            if not w.conn.poll(WORKER_START_TIMEOUT):
                raise ServerError(f"a query worker did not start within {WORKER_START_TIMEOUT:g} s")
            status, detail = w.conn.recv()
        except (EOFError, OSError):
            code = w.process.wait(10)
            status, detail = "failed", "the worker process exited" + (f" (status {code})" if code is not None else "")
        if status != "ready":
            self._discard(w)
            raise StoreError(detail) if "store" in detail else ServerError(f"query worker failed to start: {detail}")

    def _discard(self, w: _Worker) -> None:
        with self._lock:
            if w in self._workers and w.lane == SHORT:
                self._short_slots -= 1
            self._workers.discard(w)
        w.kill()

    def _replace(self, w: _Worker) -> None:
        """Kill ``w`` and start another worker of its lane in the background (for the short lane:
        when it has no spare left)."""
        self._discard(w)
        self.replaced += 1
        if w.lane == SHORT:
            self._top_up()
        else:
            self._start_later(GENERAL)

    def _top_up(self) -> None:
        """Keep a spare short-lane worker idle (or on its way up) while the lane may grow: a request
        that finds every worker busy then starts at once, however many requests came before it."""
        with self._lock:
            if (self._closed or self._short_slots >= self.short_max
                    or self._short_starting + self._scheduler.idle(SHORT) >= self.reserved):
                return
            self._short_slots += 1
            self._short_starting += 1
        self._start_later(SHORT)

    def _start_later(self, lane: str) -> None:
        """Start a worker of ``lane`` in the background and hand it to the scheduler when it is ready."""

        def start():
            fresh, ready = None, False
            try:
                if not self._closed:
                    fresh = self._start(lane)
                    self._await_ready(fresh)            # one that fails is discarded, with its slot
                    ready = True
            except KGError as e:
                if not self._closed:
                    log.error("could not start a query worker: %s", e)
            finally:
                if lane == SHORT:
                    with self._lock:
                        self._short_starting -= 1
                        if fresh is None:
                            self._short_slots -= 1      # no process came of this slot
            if not ready:
                return
            if self._closed or (lane == SHORT and self._scheduler.spare(SHORT)):
                self._discard(fresh)            # closed, or the lane has its spare already
            else:
                self._scheduler.put(fresh)

        threading.Thread(target=start, name="kg-sparql-worker-start", daemon=True).start()

    def run(self, job: Job, client: str = "") -> Reply:
        """The reply to ``job``, sent by ``client`` (its remote address, for the fair order).

        503 when the query runs past the timeout (its worker is killed and
        replaced), or when no general worker is free for it within
        ``max(timeout, 30 s)``. A query that overruns the short lane is
        stopped there and waits for a general worker, keeping its place.
        """
        wait = max(self.timeout or 0, QUEUE_TIMEOUT)
        deadline = time.monotonic() + wait
        ticket = self._scheduler.ticket(client)
        while True:
            w = self._take(ticket, deadline)
            if w is None:
                retry = self._retry_after()
                return Reply.error(503, f"the server is busy with long queries: no query worker became free for "
                                        f"this one within {wait:g} s; try again in {retry} s",
                                   **{"Retry-After": retry})
            if w.lane == SHORT:
                self._top_up()                  # the next request finding every worker busy has a spare
            reply = self._run_on(w, job, client)
            if reply is not None:
                return reply
            ticket.lanes = (GENERAL,)

    def _take(self, ticket: Ticket, deadline: float) -> _Worker | None:
        """A worker for ``ticket`` by ``deadline``; while it may take the short lane and finds it full,
        room is made there (:meth:`_make_room`) as soon as a query has had its sure time."""
        while True:
            if SHORT not in ticket.lanes or not self.short_max:
                return self._scheduler.take(ticket, deadline)
            w = self._scheduler.take(ticket, min(deadline, time.monotonic() + SHORT_LANE_SURE / 2))
            if w is not None or time.monotonic() >= deadline or self._closed:
                return w
            self._make_room()

    def _make_room(self) -> None:
        """Every worker busy and the short lane at its budget: stop the short-lane query that has run
        longest, if past :data:`SHORT_LANE_SURE`, so a newer request gets a fresh worker (forked in tens
        of milliseconds). The stopped query waits for a general worker, keeping its place."""
        with self._lock:
            if (self._short_slots < self.short_max or self._short_starting or self._scheduler.idle(SHORT)
                    or self._scheduler.idle(GENERAL)):
                return                          # a worker is free, or on its way
            now = time.monotonic()
            running = [(end, w) for w, end in self._busy.items()
                       if w.lane == SHORT and not w.evicted and end is not None
                       and now - (end - self.short_timeout) >= SHORT_LANE_SURE]
            if not running:
                return
            w = min(running, key=lambda r: r[0])[1]         # the earliest deadline: the one that started first
            w.evicted = True
            self.evictions += 1
        w.process.kill()                        # its request sees the worker end (see _run_on)

    def _run_on(self, w: _Worker, job: Job, client: str) -> Reply | None:
        """``job``'s reply from worker ``w``; ``None`` when it overran the short lane (``w`` is replaced)."""
        limit = self.timeout if w.lane == GENERAL else self.short_timeout
        with self._lock:
            self._busy[w] = time.monotonic() + limit if limit else None
        kept = None
        try:
            w.conn.send(job)
            if limit and not w.conn.poll(limit):
                with self._lock:
                    self.ran_out += 1
                self._replace(w)
                if w.lane == SHORT and (self.timeout is None or limit < self.timeout):
                    log.info("query ran past %g s on the short lane; killed worker %s, the query waits for a "
                             "general worker", limit, w.process.pid)
                    return None
                log.warning("query ran past %g s; killed worker %s", limit, w.process.pid)
                return Reply.error(503, f"query timed out after {limit:g} s and was stopped "
                                        f"(the server's --timeout); narrow the query or add a LIMIT")
            reply = w.conn.recv()
            kept = w
            return reply
        except (EOFError, OSError) as e:
            if self._closed:                    # stopped with the server
                return Reply.error(503, "the server is stopping; try again when it is back")
            self._replace(w)
            if w.evicted:
                log.info("query stopped on the short lane after %g s to make room for a newer one; the query "
                         "waits for a general worker", SHORT_LANE_SURE)
                return None
            log.error("query worker %s died (%s); replaced it", w.process.pid, type(e).__name__)
            return Reply.error(500, "query failed: the worker process running it died (out of memory?)")
        except BaseException:
            self._replace(w)
            raise
        finally:
            with self._lock:
                self._busy.pop(w, None)
            if kept is not None and kept.lane == SHORT and self._scheduler.spare(SHORT):
                kept = None                     # the lane shrinks back: another short-lane worker is idle
                self._discard(w)
            self._scheduler.give_back(client, kept)

    def _retry_after(self) -> str:
        """Seconds until the first general worker is free at the latest (by its query's deadline), for
        ``Retry-After``."""
        with self._lock:
            ends = [t for w, t in self._busy.items() if t is not None and w.lane == GENERAL]
        if not ends:
            return "5"
        return str(max(1, math.ceil(min(ends) - time.monotonic())))

    @property
    def busy(self) -> int:
        """General workers running a query now."""
        return self._running(GENERAL)

    @property
    def short_busy(self) -> int:
        """Short-lane workers running a query now."""
        return self._running(SHORT)

    @property
    def short_idle(self) -> int:
        """Short-lane workers ready for a query now (the spare)."""
        return self._scheduler.idle(SHORT)

    def _running(self, lane: str) -> int:
        with self._lock:
            return sum(w.lane == lane for w in self._busy)

    @property
    def waiting(self) -> int:
        """Requests waiting for a worker now."""
        return self._scheduler.waiting

    @property
    def pids(self) -> list[int]:
        with self._lock:
            return sorted(w.process.pid for w in self._workers)

    def close(self) -> None:
        self._closed = True
        self._scheduler.close()
        with self._lock:
            workers = list(self._workers)
            self._workers.clear()
            busy = set(self._busy)
        for w in workers:
            if w in busy:
                w.kill()                # stopped at once: its request is answered 503, the server is stopping
                continue
            try:
                w.conn.send(None)
            except (OSError, ValueError):
                pass
        end = time.monotonic() + 2      # for the idle ones to end of themselves, all together
        for w in workers:
            try:
                w.process.wait(max(0.0, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            w.kill()
        self._spawner.shutdown(wait=False, cancel_futures=True)
        factory, self._factory = self._factory, None
        if factory is not None:
            factory.kill()                # it holds no store, and a worker it forked dies with it


# ---------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS_NS = "http://www.w3.org/ns/formats/"
SD_FORMATS = ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
              "Turtle", "N-Triples", "JSON-LD", "N-Quads", "RDF_XML")
SD_TYPES = ("text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml")
STATIC = {"index.html": "text/html", "app.js": "text/javascript", "app.css": "text/css"}
#: The request headers a cross-origin page may send: the protocol's (content negotiation and the type of a
#: POST body), whatever the preflight asks for. Anything else (credentials, custom headers) has no meaning here.
CORS_HEADERS = "Accept, Content-Type"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def service_description(endpoint: str, mtype: str, allow_service: bool) -> bytes:
    """The SPARQL 1.1 Service Description of the endpoint at ``endpoint``, in ``mtype``."""
    import pyoxigraph as ox

    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    sd = lambda name: ox.NamedNode(SD + name)              # noqa: E731
    service, dataset, default = ox.BlankNode("service"), ox.BlankNode("dataset"), ox.BlankNode("default")
    T = ox.Triple
    triples = [
        T(service, rdf_type, sd("Service")),
        T(service, sd("endpoint"), ox.NamedNode(endpoint)),
        T(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        T(service, sd("feature"), sd("UnionDefaultGraph")),
        T(service, sd("defaultEntailmentRegime"), ox.NamedNode("http://www.w3.org/ns/entailment/Simple")),
        T(service, sd("defaultDataset"), dataset),
        T(dataset, rdf_type, sd("Dataset")),
        T(dataset, sd("defaultGraph"), default),
        T(default, rdf_type, sd("Graph")),
        T(default, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment"),
          ox.Literal("The default graph is the union of the named graphs, one per source document.")),
    ]
    if allow_service:
        triples.append(T(service, sd("feature"), sd("BasicFederatedQuery")))
    triples += [T(service, sd("resultFormat"), ox.NamedNode(FORMATS_NS + f)) for f in SD_FORMATS]
    prefixes = {"sd": SD, "formats": FORMATS_NS} if mtype == "text/turtle" else None
    return ox.serialize(triples, format=ox.RdfFormat.from_media_type(mtype), prefixes=prefixes)


def examples() -> dict:
    """The standard questions (``ontology/queries/*.rq``) and the project's prefixes, for the page."""
    from .query import load_query, query_header, standard_queries
    from .store import PREFIXES

    out = []
    for name in standard_queries():
        text = load_query(name)
        title, description = query_header(text)
        out.append({"name": name, "title": title or name, "description": description, "query": text})
    return {"prefixes": PREFIXES, "queries": out}


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


class Handler(BaseHTTPRequestHandler):
    """One HTTP connection; the :class:`SparqlServer` is ``self.server.app``."""

    server_version = f"kg-sparql/{__version__}"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True          # headers and body go out in two writes: no 40 ms delayed-ACK stall
    timeout = 60                            # seconds an idle keep-alive connection is kept

    # -- plumbing -------------------------------------------------------------

    def handle(self) -> None:
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):     # the client went away: nobody to answer
            self.close_connection = True
            log.debug("%s closed the connection mid-request", self.client_address[0])

    def finish(self) -> None:
        try:
            super().finish()
        except (BrokenPipeError, ConnectionResetError):
            pass

    @property
    def app(self) -> "SparqlServer":
        return self.server.app            # type: ignore[attr-defined]

    def version_string(self) -> str:
        return self.server_version

    def log_request(self, code="-", size="-") -> None:     # logged once per request in _done
        pass

    def log_message(self, format: str, *args) -> None:
        log.info("%s %s", self.address_string(), format % args)

    def end_headers(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()

    def _respond(self, status: int, body: bytes = b"", content_type: str | None = None,
                 headers: dict | None = None, extra: str = "") -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)
        ms = (time.perf_counter() - self._t0) * 1000
        path = self.path if len(self.path) <= 120 else self.path[:119] + "\u2026"
        log.info('%s "%s %s" %d %d %.0fms%s', self.client_address[0], self.command, path, status, len(body),
                 ms, extra)

    def _error(self, status: int, message: str, headers: dict | None = None) -> None:
        self._respond(status, (message.rstrip() + "\n").encode("utf-8"), "text/plain; charset=utf-8", headers)

    def parse_request(self) -> bool:
        self._t0 = time.perf_counter()      # the request line is in: the clock starts (not while a keep-alive idles)
        return super().parse_request()

    # -- methods --------------------------------------------------------------

    def do_OPTIONS(self) -> None:
        self._discard_body()
        headers = {"Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                   "Access-Control-Allow-Headers": CORS_HEADERS,
                   "Access-Control-Max-Age": "86400", "Allow": "GET, HEAD, POST, OPTIONS"}
        self._respond(204, headers=headers)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        route = url.path
        if route in ("/", "/index.html", "/app.js", "/app.css"):
            return self._static("index.html" if route == "/" else route[1:])
        if route == "/examples":
            body = json.dumps(examples(), ensure_ascii=False, indent=1).encode("utf-8")
            return self._respond(200, body, "application/json; charset=utf-8", {"Cache-Control": "no-cache"})
        if route == "/sparql":
            params = self._params(url.query)
            if params is None:
                return
            if "update" in params:
                return self._error(403, UPDATE_REFUSED)
            if "query" not in params:
                return self._description()
            return self._query(params)
        if route == "/update":
            return self._error(403, UPDATE_REFUSED)
        self._error(404, f"nothing at {route}: the SPARQL endpoint is /sparql, the query page /")

    do_HEAD = do_GET

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/update":
            self.close_connection = True
            return self._error(403, UPDATE_REFUSED)
        if url.path != "/sparql":
            self.close_connection = True
            return self._error(405 if url.path in ("/", "/examples") else 404,
                               f"POST {url.path}: send queries to /sparql",
                               {"Allow": "GET, HEAD"} if url.path in ("/", "/examples") else None)
        params = self._params(url.query)
        if params is None:
            return
        ctype = self.headers.get("Content-Type", "")
        mtype, _, rest = ctype.partition(";")
        mtype = mtype.strip().lower()
        charset = "utf-8"
        m = re.search(r"charset\s*=\s*\"?([\w.:-]+)", rest, re.I)
        if m:
            charset = m.group(1)
        if mtype == "application/sparql-update":
            self.close_connection = True
            return self._error(403, UPDATE_REFUSED)
        body = self._body()
        if body is None:
            return
        try:
            text = body.decode(charset)
        except (LookupError, UnicodeDecodeError) as e:
            return self._error(400, f"request body is not valid {charset}: {e}")
        if mtype == "application/x-www-form-urlencoded":
            form = self._params(text)
            if form is None:
                return
            for name, values in form.items():
                params.setdefault(name, []).extend(values)
        elif mtype == "application/sparql-query":
            params.setdefault("query", []).append(text)
        else:
            return self._error(415, f"cannot read a POST body of type {mtype or 'none'!r}: send "
                                    f"application/x-www-form-urlencoded (query=...) or application/sparql-query")
        if "update" in params:
            return self._error(403, UPDATE_REFUSED)
        if "query" not in params:
            return self._error(400, "no query: send query=... (form) or an application/sparql-query body")
        self._query(params)

    def _refuse_method(self) -> None:
        self.close_connection = True
        self._error(405, f"method {self.command} is not allowed: the endpoint is read-only "
                         f"(GET or POST queries to /sparql)", {"Allow": "GET, HEAD, POST, OPTIONS"})

    do_PUT = do_DELETE = do_PATCH = do_TRACE = do_CONNECT = _refuse_method

    # -- request parts ------------------------------------------------------------

    def _params(self, qs: str) -> dict[str, list[str]] | None:
        try:
            return parse_qs(qs, keep_blank_values=True, strict_parsing=False, encoding="utf-8", errors="strict",
                            max_num_fields=1000)
        except (UnicodeDecodeError, ValueError) as e:
            self._error(400, f"cannot read the request parameters: {_one_line(e, 200)}")
            return None

    def _discard_body(self) -> None:
        length = self.headers.get("Content-Length")
        if length and length.isdigit() and 0 < int(length) <= DEFAULT_MAX_BODY:
            self.rfile.read(int(length))
        elif length and length != "0":
            self.close_connection = True

    def _body(self) -> bytes | None:
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            self._error(411, "send the request body with a Content-Length (chunked bodies are not read)")
            return None
        length = self.headers.get("Content-Length")
        if length is None or not length.strip().isdigit():
            self.close_connection = True
            self._error(411, "a POST needs a Content-Length header")
            return None
        n = int(length)
        if n > self.app.max_body:
            self.close_connection = True
            self._error(413, f"request body of {n} bytes is larger than the limit of {self.app.max_body} bytes")
            return None
        return self.rfile.read(n)

    # -- answers -------------------------------------------------------------------

    def _static(self, name: str) -> None:
        path = WEB_DIR / name
        try:
            body = path.read_bytes()
        except OSError:
            return self._error(404, f"{name} is missing from the installed package ({WEB_DIR})")
        mtype = STATIC[name]
        self._respond(200, body, f"{mtype}; charset=utf-8",
                      {"Cache-Control": "no-cache", "Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                       "Referrer-Policy": "no-referrer"})

    def _endpoint_url(self) -> str:
        host = self.headers.get("Host") or f"{self.app.host}:{self.app.port}"
        if not re.fullmatch(r"[\w.\-]+(:\d+)?|\[[0-9a-fA-F:.]+\](:\d+)?", host):
            host = f"{self.app.host}:{self.app.port}"
        return f"http://{host}/sparql"

    def _description(self) -> None:
        prefs = parse_accept(self.headers.get("Accept"))
        mtype = negotiate(prefs, SD_TYPES)
        if _quality(prefs, "text/html") > max(_quality(prefs, t) for t in SD_TYPES) and \
                any(rng == "text/html" for rng, _ in prefs):
            return self._respond(303, b"", None, {"Location": "/"})
        if mtype is None:
            return self._error(406, f"the service description is available as {', '.join(SD_TYPES)}")
        body = service_description(self._endpoint_url(), mtype, self.app.allow_service)
        self._respond(200, body, _content_type(mtype), {"Vary": "Accept"})

    def _query(self, params: dict[str, list[str]]) -> None:
        queries = params.get("query", [])
        if len(queries) != 1:
            return self._error(400, f"give exactly one query parameter, not {len(queries)}")
        text = queries[0]
        if not text.strip():
            return self._error(400, "empty query")
        fmt = params.get("format", []) + params.get("output", [])
        if fmt:
            choice = format_choice(fmt)
            if choice is None:
                return self._error(406, f"unknown format {fmt[0]!r}: use json, xml, csv, tsv, turtle, ntriples, "
                                        f"jsonld, nquads, rdfxml or a media type")
        else:
            accept = parse_accept(self.headers.get("Accept"))
            choice = Choice(negotiate(accept, RESULTS_TYPES), negotiate(accept, GRAPH_TYPES))
            if choice.results is None and choice.graph is None:
                return self._error(406, f"no acceptable result format in Accept: {self.headers.get('Accept')!r}; "
                                        f"offered: {', '.join(RESULTS_TYPES + GRAPH_TYPES)}")
        job = Job(text, choice, params.get("default-graph-uri"), params.get("named-graph-uri"))
        log.debug("query: %s", _one_line(text, 2000))
        reply = self.app.pool.run(job, self.client_address[0])
        headers = dict(reply.headers)
        headers.setdefault("Cache-Control", "no-cache")
        if reply.status == 200:
            headers["Vary"] = "Accept"
        extra = f" {reply.count} {'rows' if reply.kind == 'solutions' else reply.kind}" if reply.count is not None else ""
        self._respond(reply.status, reply.body, reply.content_type, headers, extra=extra)


# ---------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------

class SparqlServer:
    """The endpoint over one store folder: worker pool plus HTTP server.

    ``port=0`` picks a free port (see :attr:`port`). :meth:`serve_forever`
    blocks; :meth:`start` serves from a background thread (tests);
    :meth:`close` stops the HTTP server and the workers. ``workers``
    general workers run a query for at most ``timeout`` seconds, one more
    runs queries for at most ``short_timeout`` seconds while they are all
    busy (one that overruns it waits for a general worker; ``0`` or
    ``None``: no such worker); ``None`` or ``0`` for
    ``timeout``, ``max_results``: no limit.
    """

    def __init__(self, store: str | os.PathLike | None = None, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
                 timeout: float | None = DEFAULT_TIMEOUT, max_results: int | None = DEFAULT_MAX_RESULTS,
                 allow_service: bool = False, workers: int | None = None, max_body: int = DEFAULT_MAX_BODY,
                 short_timeout: float | None = DEFAULT_SHORT_TIMEOUT):
        from .store import EmbeddedStore, default_location

        path = str(store if store is not None else default_location())
        EmbeddedStore(path, read_only=True).close()      # a clear error for a missing or broken store
        if timeout is not None and timeout <= 0:
            timeout = None
        if max_results is not None and max_results <= 0:
            max_results = None
        self.store = path
        self.timeout = timeout
        self.max_results = max_results
        self.allow_service = allow_service
        self.max_body = max_body
        self.host = host
        self._thread: threading.Thread | None = None
        size = workers if workers else min(4, max(2, os.cpu_count() or 2))
        self.pool = WorkerPool(WorkerConfig(path, max_results, allow_service, log.getEffectiveLevel()), size,
                               timeout, short_timeout)
        self.short_timeout = self.pool.short_timeout
        try:
            server_class = _HTTPServer
            if ":" in host:
                server_class = type("_HTTPServer6", (_HTTPServer,), {"address_family": socket.AF_INET6})
            self.httpd = server_class((host, port), Handler)
        except OSError as e:
            self.pool.close()
            raise ServerError(f"cannot listen on {host}:{port} ({e.strerror or e}); "
                              f"is another server running there? choose another --port") from None
        self.httpd.app = self                           # type: ignore[attr-defined]
        self.port = self.httpd.server_address[1]

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def serve_forever(self) -> None:
        self.httpd.serve_forever(poll_interval=0.5)

    def start(self) -> "SparqlServer":
        self._thread = threading.Thread(target=self.serve_forever, name="kg-sparql-http", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(10)
            self._thread = None
        self.httpd.server_close()
        self.pool.close()

    def __enter__(self) -> "SparqlServer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def serve(store: str | os.PathLike | None = None, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          timeout: float | None = DEFAULT_TIMEOUT, max_results: int | None = DEFAULT_MAX_RESULTS,
          allow_service: bool = False, workers: int | None = None,
          short_timeout: float | None = DEFAULT_SHORT_TIMEOUT) -> None:
    """Serve the store until interrupted (Ctrl+C or SIGTERM); what ``kg serve`` runs.

    The access log goes to the ``kg.server`` logger at INFO, which this
    function makes visible when logging is set quieter than that.
    """
    if log.getEffectiveLevel() > logging.INFO:
        log.setLevel(logging.INFO)
    server = SparqlServer(store, host, port, timeout, max_results, allow_service, workers,
                          short_timeout=short_timeout)

    log.info("serving %s: SPARQL endpoint %s/sparql, query page %s/ (%d workers%s, timeout %s, max results %s%s)",
             server.store, server.url, server.url, server.pool.size,
             f" + 1 to {server.pool.short_max} for short queries ({server.short_timeout:g} s)"
             if server.short_timeout else "",
             f"{server.timeout:g} s" if server.timeout else "none", server.max_results or "none",
             ", SERVICE allowed" if allow_service else "")
    try:
        with sigterm_interrupts():
            server.serve_forever()
    except KeyboardInterrupt:
        log.info("stopping")
    finally:
        server.close()
