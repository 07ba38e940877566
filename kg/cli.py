"""The ``kg`` command: parse arguments, call the API, map errors to exit codes.

Exit status: 0 on success, 1 on a user error (one line on stderr naming the
problem, no traceback), 2 on a usage error (argparse's usage line, then one
line naming the problem), 130 when interrupted (Ctrl+C; 128 + the signal's
number for a run stopped by another signal, such as SIGTERM). Arguments are
checked before anything is read or loaded: numbers, addresses, ``--bind``
values and output paths.
"""
from __future__ import annotations

import argparse
import itertools
import logging
import math
import os
import re
import signal
import sys
from pathlib import Path

from . import __version__
from .errors import DocumentError, KGError, shown
from .processes import max_processes
from .schema import VIEWS

log = logging.getLogger("kg")

RDF_FORMATS = {".trig": "trig", ".nq": "nquads", ".ttl": "turtle", ".jsonld": "json-ld", ".nt": "nt"}


def default_store() -> str:
    return os.environ.get("KG_STORE") or "kg-store"


class UsageError(Exception):
    """Wrong arguments: exit status 2."""


# ---------------------------------------------------------------------------
# argument types: a bad value is argparse's usage error (exit 2), naming the option
# ---------------------------------------------------------------------------

_DEFAULT = object()     # an option left out (None means "no limit" for --max-bytes)


def _number(text: str, convert, what: str):
    """``convert(text)``, or argparse's usage error saying what was expected."""
    try:
        return convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not {what}: {text!r}") from None


def _count(text: str) -> int:
    """A number of worker processes: at least 1, at most :func:`max_processes`."""
    n = _number(text, int, "a whole number")
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {n}")
    if n > max_processes():
        raise argparse.ArgumentTypeError(f"at most {max_processes()} worker processes here "
                                         f"(4 per CPU; each holds the model or a store snapshot), not {n}")
    return n


def _port(text: str) -> int:
    """A TCP port, 0 to 65535 (0: any free port)."""
    n = _number(text, int, "a port number")
    if not 0 <= n <= 65535:
        raise argparse.ArgumentTypeError(f"must be 0 to 65535 (0: any free port), not {n}")
    return n


def _seconds(text: str) -> float | None:
    """A positive number of seconds, or ``none`` for no limit."""
    if text.strip().lower() == "none":
        return None
    x = _number(text, float, "a number of seconds")
    if not math.isfinite(x) or x <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, or none, not {text}")
    return x


def _row_limit(text: str) -> int | None:
    """A positive number of rows, or ``none`` for no limit."""
    if text.strip().lower() == "none":
        return None
    n = _number(text, int, "a whole number")
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, or none, not {n}")
    return n


def _byte_size(text: str) -> int | None:
    """A size as :func:`kg.documents.parse_max_bytes` reads it (``10MB``, ``512kB``), or ``0`` / ``none``: no limit."""
    from .documents import LimitTooLarge, parse_max_bytes

    try:
        return parse_max_bytes(text)
    except LimitTooLarge as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (bytes, or a number with kB, MB or GB; "
                                         f"0 or none: no limit)") from None


def _host(text: str) -> str:
    """A host name or address to listen on: one word of printable characters."""
    if not text or not text.isprintable() or any(c.isspace() for c in text):
        raise argparse.ArgumentTypeError(f"not a host name or address: {text!r}")
    return text


def _max_bytes_help() -> str:
    from .documents import DEFAULT_MAX_BYTES

    default = "no limit" if DEFAULT_MAX_BYTES is None else f"{DEFAULT_MAX_BYTES:,} bytes"
    return (f"skip (and report) files larger than SIZE: bytes, or with kB, MB or GB (10MB); "
            f"0 or none: no limit (default {default}, or $KG_MAX_BYTES)")


def _max_bytes(args) -> int | None:
    """``--max-bytes``, else the library's default (``$KG_MAX_BYTES`` or 10 MB)."""
    from .documents import DEFAULT_MAX_BYTES

    return DEFAULT_MAX_BYTES if args.max_bytes is _DEFAULT else args.max_bytes


def _progress(iterable, total=None, desc="", unit="doc", disable=None):
    from tqdm import tqdm
    return tqdm(iterable, total=total, desc=desc, unit=unit, file=sys.stderr, disable=disable,
                dynamic_ncols=True, smoothing=0.1)


def _report(error: DocumentError, failures: list) -> None:
    failures.append(error)
    print(f"kg: skipped {error}", file=sys.stderr)


# ---------------------------------------------------------------------------
# commands
# ---------------------------------------------------------------------------

def cmd_extract(args) -> int:
    from .documents import iter_paths
    from .export import check_output, write_output
    from .pipeline import Extractor, read_documents
    from .rdf.build import build_dataset

    out = _output(args.output, args.documents)
    fmt = "trig"
    if out is not None:
        fmt = RDF_FORMATS.get(out.suffix.lower())
        if fmt is None:
            raise UsageError(f"unknown output format {out.suffix!r}: use one of {', '.join(RDF_FORMATS)}")
        check_output(args.output)       # before the pipeline loads and the documents are read
    failures: list[DocumentError] = []
    # what the folders hold that is not read is reported here, once; the files go on to be read
    paths = list(iter_paths(args.documents, on_error=lambda e: _report(e, failures)))
    docs = read_documents(paths, on_error=lambda e: _report(e, failures), max_bytes=_max_bytes(args))
    first = next(docs, None)            # no readable document: no pipeline to load
    items = []
    if first is not None:
        relevance = None
        if not args.no_filter:
            from .relevance import RelevanceFilter
            relevance = RelevanceFilter()
        extractor = Extractor(relevance=relevance)
        for r in _progress(extractor.extract_documents(itertools.chain([first], docs)), total=len(paths),
                           desc="extract", disable=True if args.quiet else None):
            items.append((r.extraction, r.content_hash))
    ds = build_dataset(items)
    if fmt == "turtle":
        from rdflib import Graph
        g = Graph()
        for prefix, ns in ds.namespaces():
            g.bind(prefix, ns)
        for s, p, o, _ in ds.quads((None, None, None, None)):
            g.add((s, p, o))
        data = g.serialize(format="turtle")
    else:
        data = ds.serialize(format=fmt)
    if out is None:
        sys.stdout.write(data)
    else:
        write_output(out, data)
        print(f"kg: wrote {len(items)} document(s) to {shown(out)}", file=sys.stderr)
    return 1 if failures else 0


def _output(name: str | None, inputs: list[str]) -> Path | None:
    """The output file of ``-o NAME`` (``None``: standard output, also for ``-o -``); never one of the inputs."""
    if not name or name == "-":
        return None
    out = Path(name)
    for given in inputs:
        try:
            same = out.exists() and os.path.samefile(out, given)
        except OSError:
            same = False
        if same:
            raise KGError(f"{shown(name)}: is one of the documents read; write the output elsewhere")
    return out


def cmd_explain(args) -> int:
    from .documents import load_documents
    from .explain import explain_documents
    from .export import check_output, write_output

    out = _output(args.output, [args.document])
    if out is not None:
        check_output(args.output)       # before the pipeline loads
    documents = load_documents(args.document, max_bytes=_max_bytes(args))
    from .nlp import build_nlp

    explanations = explain_documents(documents, build_nlp())
    as_html = args.html or (out is not None and out.suffix.lower() in (".html", ".htm"))
    text = "\n".join(e.to_html() if as_html else e.to_text() for e in explanations)
    if out is None:
        sys.stdout.write(text)
    else:
        write_output(out, text)
        print(f"kg: wrote {shown(out)}", file=sys.stderr)
    return 0


def cmd_ingest(args) -> int:
    from .ingest import ingest

    if args.dask:
        _check_dask_address(args.dask)
    summary = ingest(args.paths, store=args.store, endpoint=args.endpoint, jobs=args.jobs,
                     quiet=args.quiet, dask=args.dask, relevance_filter=not args.no_filter, force=args.force,
                     prune=args.prune, max_bytes=_max_bytes(args))
    print(summary.line(), file=sys.stderr)
    return 1 if summary.failed else 0


def _check_dask_address(address: str) -> None:
    """A usage error for a scheduler address Dask cannot parse (an unreachable one is found on connecting)."""
    try:
        from distributed.comm.addressing import parse_address, parse_host_port
        from distributed.comm.registry import backends
    except ImportError:                 # kg.ingest says what to install
        return
    try:
        scheme, location = parse_address(address)
        if scheme not in backends:
            raise ValueError(f"unknown scheme {scheme!r} (known: {', '.join(sorted(backends))})")
        if scheme in ("tcp", "tls"):
            parse_host_port(location)
    except ValueError as e:
        raise UsageError(f"--dask {address}: not a scheduler address ({e}); e.g. tcp://host:8786") from None


def cmd_query(args) -> int:
    from .query import format_result, run_query

    if args.file and args.sparql:
        raise UsageError("give a SPARQL query or -f FILE.rq, not both")
    if args.file:
        text = _query_file(args.file)
    elif args.sparql:
        text = args.sparql
        if not _is_text(text):
            raise KGError("the query holds bytes that are not UTF-8 text")
    else:
        raise UsageError("give a SPARQL query or -f FILE.rq")
    bindings = dict(_binding(b) for b in args.bind)
    result = run_query(text, store=args.store, endpoint=args.endpoint, bindings=bindings or None)
    sys.stdout.write(format_result(result, args.format))
    return 0


def cmd_schema(args) -> int:
    from .query import describe_store, format_schema

    store = None if args.endpoint or args.store == default_store() else args.store   # the default: not repeated
    sys.stdout.write(format_schema(describe_store(store=store, endpoint=args.endpoint), args.format))
    return 0


def _query_file(name: str) -> str:
    """The text of a query file, or of a standard query named without its folder (``drug-targets``)."""
    from .query import load_query, read_query_file, standard_queries

    path = Path(name)
    try:
        os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        if path.parent == Path(".") and path.stem in standard_queries():
            return load_query(path.stem)
        raise KGError(f"{shown(name)}: no such query file; standard queries: {', '.join(standard_queries())}")
    except (OSError, ValueError):
        pass                            # a folder that cannot be entered, a NUL: read_query_file says which
    return read_query_file(path)


#: a SPARQL variable name (VARNAME of the SPARQL 1.1 grammar, ASCII part), with or without its ? or $
_VARNAME = re.compile(r"[?$]?[A-Za-z0-9_][A-Za-z0-9_\u00b7\u00c0-\ufffd]*")


def _binding(text: str) -> tuple[str, object]:
    """``NAME=VALUE`` from ``--bind``: ``<IRI>`` and ``prefix:name`` (usual prefixes) are IRIs, the rest strings.

    An IRI that does not parse, a name that is not a variable name, and bytes
    that are not UTF-8 text are usage errors naming the binding.
    """
    import pyoxigraph as ox
    from rdflib import Literal, URIRef

    from .store import DEFAULT_PREFIXES

    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise UsageError(f"--bind {text!r}: expected NAME=VALUE, e.g. --bind drugLabel=GTI-2040")
    if not _VARNAME.fullmatch(name):
        raise UsageError(f"--bind {text!r}: {name!r} is not a SPARQL variable name (letters, digits, _)")
    if not _is_text(value):
        raise UsageError(f"--bind {name}=...: the value holds bytes that are not UTF-8 text")
    iri = None
    prefix, colon, local = value.partition(":")
    if value.startswith("<") and value.endswith(">"):
        iri = value[1:-1]
    elif colon and prefix in DEFAULT_PREFIXES and local and " " not in local:
        iri = DEFAULT_PREFIXES[prefix] + local
    if iri is None:
        return name, Literal(value)
    try:
        ox.NamedNode(iri)               # the store's own IRI check
    except ValueError as e:
        raise UsageError(f"--bind {text!r}: not a valid IRI ({e}); write an absolute IRI such as "
                         f"<https://w3id.org/cpkg/id/drug/x>, or a string without angle brackets") from None
    return name, URIRef(iri)


def _is_text(value: str) -> bool:
    """Whether ``value`` is text: not bytes the command line could not decode (kept as lone surrogates)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def cmd_export(args) -> int:
    from .export import export

    written = export(fmt=args.format, output=args.output, store=args.store, endpoint=args.endpoint,
                     view=args.view, query_file=args.query, layout=args.layout, dynamic=args.dynamic)
    if written:
        print(f"kg: wrote {shown(written)}", file=sys.stderr)
    return 0


def cmd_serve(args) -> int:
    import socket

    from .server import serve

    try:                                # a host that does not resolve: one line before any worker starts
        socket.getaddrinfo(args.host, args.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError) as e:
        reason = getattr(e, "strerror", None) or str(e) or type(e).__name__
        raise KGError(f"--host {shown(args.host)}: cannot listen there ({reason}); "
                      f"give a name or address of this machine, e.g. 127.0.0.1") from None
    try:
        serve(store=args.store, host=args.host, port=args.port, timeout=args.timeout,
              max_results=args.max_results, allow_service=args.allow_service, workers=args.workers,
              short_timeout=args.short_timeout)
    except (OSError, OverflowError) as e:
        reason = getattr(e, "strerror", None) or str(e) or type(e).__name__
        raise KGError(f"cannot serve on {shown(args.host)}:{args.port} ({reason})") from None
    return 0


# ---------------------------------------------------------------------------
# parser
# ---------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kg", description="Press releases in, a knowledge graph of the clinical pipeline out.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument("-v", "--verbose", action="count", default=0, help="more logging on stderr (-vv for debug)")
    p.set_defaults(parser=p)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def command(name, **kw):
        sp = sub.add_parser(name, **kw)
        sp.set_defaults(parser=sp)          # a UsageError shows this command's usage
        return sp

    def store_args(sp, endpoint=True):
        sp.add_argument("--store", default=None, metavar="DIR",
                        help="embedded store folder (default: $KG_STORE or ./kg-store)")
        if endpoint:
            sp.add_argument("--endpoint", default=None, metavar="URL",
                            help="a remote SPARQL 1.1 endpoint instead of the embedded store (credentials "
                                 "from KG_ENDPOINT_USER / KG_ENDPOINT_PASSWORD or KG_ENDPOINT_TOKEN, else "
                                 "from the URL: http://user:password@host/...; never shown)")

    max_bytes_help = _max_bytes_help()

    def max_bytes_arg(sp):
        sp.add_argument("--max-bytes", type=_byte_size, default=_DEFAULT, metavar="SIZE", help=max_bytes_help)

    e = command("extract", help="extract without a store; RDF to stdout (TriG) or FILE")
    e.add_argument("documents", nargs="+", metavar="DOC", help="files or folders (read recursively)")
    e.add_argument("-o", "--output", metavar="FILE", help="output file; format from the extension: "
                   + " ".join(RDF_FORMATS))
    e.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    e.add_argument("--no-filter", action="store_true",
                   help="run every document through the NLP pipeline (no relevance filter)")
    max_bytes_arg(e)
    e.set_defaults(func=cmd_extract)

    xp = command("explain", help="show how one document was read: entities, rules, facts and evidence")
    xp.add_argument("document", metavar="DOC")
    xp.add_argument("-o", "--output", metavar="FILE", help="write to FILE (.html for the displaCy view)")
    xp.add_argument("--html", action="store_true", help="HTML even on stdout")
    max_bytes_arg(xp)
    xp.set_defaults(func=cmd_explain)

    i = command("ingest", help="add files / folders (recursively) to the store; idempotent per document")
    i.add_argument("paths", nargs="+", metavar="PATH")
    store_args(i)
    i.add_argument("-j", "--jobs", type=_count, default=1, metavar="N", help="worker processes (default 1)")
    i.add_argument("--dask", default=None, metavar="SCHEDULER",
                   help="extract on a Dask cluster (scheduler address, e.g. tcp://host:8786); see docs/dask.md")
    i.add_argument("--no-filter", action="store_true",
                   help="run every document through the NLP pipeline (no relevance filter); "
                        "also extracts documents an earlier run screened out")
    i.add_argument("--force", action="store_true",
                   help="extract again documents the store holds unchanged (after the rules or the model changed)")
    i.add_argument("--prune", action="store_true",
                   help="forget the documents of files under PATH that no longer exist")
    max_bytes_arg(i)
    i.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    i.set_defaults(func=cmd_ingest)

    q = command("query", help="run a SPARQL 1.1 query")
    q.add_argument("sparql", nargs="?", help="the query text")
    q.add_argument("-f", "--file", metavar="FILE.rq",
                   help="read the query from a file, or name a standard query (drug-targets, ...)")
    q.add_argument("--bind", action="append", default=[], metavar="NAME=VALUE",
                   help="bind ?NAME to VALUE (a string; <IRI> or cp:term for an IRI); repeatable")
    q.add_argument("--format", choices=["table", "csv", "tsv", "json"], default="table")
    store_args(q)
    q.set_defaults(func=cmd_query)

    sc = command("schema", help="the classes and properties in the store, with counts, and the standard queries "
                                "with their parameters and an example each")
    sc.add_argument("--format", choices=["table", "json"], default="table")
    store_args(sc)
    sc.set_defaults(func=cmd_schema)

    x = command("export", help="whole-graph export; gexf/graphml via networkx, for Gephi")
    x.add_argument("--format", required=True, choices=["gexf", "graphml", "trig", "nq", "json", "png", "svg"])
    x.add_argument("-o", "--output", metavar="FILE", help="output file (default: stdout for text formats)")
    x.add_argument("--view", choices=list(VIEWS), default="full")
    x.add_argument("--query", metavar="FILE.rq", help="export the subgraph a SPARQL CONSTRUCT returns")
    x.add_argument("--layout", choices=["spring", "forceatlas2", "none"], default="spring")
    x.add_argument("--dynamic", action="store_true", help="dynamic GEXF carrying release dates (timeline)")
    store_args(x)
    x.set_defaults(func=cmd_export)

    s = command("serve", help="read-only SPARQL 1.1 Protocol endpoint at /sparql")
    store_args(s, endpoint=False)
    s.add_argument("--host", type=_host, default="127.0.0.1", help="name or address to listen on (default 127.0.0.1)")
    s.add_argument("--port", type=_port, default=7878, help="TCP port, 0 for any free one (default 7878)")
    s.add_argument("--timeout", type=_seconds, default=30.0, metavar="SECONDS",
                   help="query timeout in seconds, or none (default 30)")
    s.add_argument("--max-results", type=_row_limit, default=10000, metavar="N",
                   help="result row limit, or none (default 10000)")
    s.add_argument("--allow-service", action="store_true", help="allow SERVICE (federated queries)")
    s.add_argument("--workers", type=_count, default=None, metavar="N",
                   help="query worker processes (default: one per CPU, 2 to 4); a query over --timeout is "
                        "killed with its worker")
    s.add_argument("--short-timeout", type=_seconds, default=2.0, metavar="SECONDS",
                   help="one more worker answers while all others are busy, for queries up to SECONDS "
                        "(default 2; none: no such worker)")
    s.set_defaults(func=cmd_serve)
    return p


def main(argv: list[str] | None = None) -> int:
    # before the parser: building it reads settings ($KG_MAX_BYTES) whose warnings must look like ours
    logging.basicConfig(level=logging.WARNING, format="kg: %(levelname)s %(name)s: %(message)s")
    _redact_logs()
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.getLogger().setLevel(logging.WARNING - 10 * min(args.verbose, 2))
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    if hasattr(args, "store") and args.store is None:
        args.store = default_store()
    try:
        return args.func(args)
    except UsageError as e:
        args.parser.error(_one_line(e))     # exits 2
    except KGError as e:
        return _fail(_one_line(e))
    except KeyboardInterrupt as e:      # Ctrl+C; also SIGTERM where a command stops on it (kg.ingest.Interrupted)
        summary = getattr(e, "summary", None)
        print("kg: interrupted" + (f": {summary.line()}" if summary is not None else ""), file=sys.stderr)
        signum = getattr(e, "signum", None)
        return 128 + (int(signum) if isinstance(signum, int) else int(signal.SIGINT))
    except BrokenPipeError:             # the reader of stdout went away (| head): nothing more to say
        _silence_stdout()
        return 0
    except OSError as e:                # the system refused something the API does not check for
        where = f"{shown(e.filename)}: " if e.filename else ""
        return _fail(f"{where}{e.strerror or _one_line(e)}")
    except MemoryError:
        return _fail("out of memory")
    except Exception as e:              # a bug: still one line; -vv logs the traceback
        log.debug("unexpected error", exc_info=True)
        return _fail(f"unexpected {type(e).__name__}: {_one_line(e)} (a bug; -vv shows where)")
    return 0


def _redact_logs() -> None:
    """Every log line this command prints goes through the endpoints' secrets (kg.store) first."""
    from .secrets import LOG_REDACTOR

    for handler in logging.getLogger().handlers:
        if LOG_REDACTOR not in handler.filters:
            handler.addFilter(LOG_REDACTOR)


def _one_line(e: BaseException) -> str:
    """An error's message on one line: line breaks and control characters escaped, long ones cut."""
    text = shown(" ".join(str(e).split("\n")).strip()) or type(e).__name__
    return text if len(text) <= 1000 else text[:999] + "\u2026"


def _fail(message: str) -> int:
    from .secrets import without_secrets

    print(f"kg: error: {without_secrets(message)}", file=sys.stderr)     # it may quote an endpoint's words
    return 1


def _silence_stdout() -> None:
    """Point stdout at the null device, so the interpreter's last flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())
