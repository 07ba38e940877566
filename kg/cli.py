"""The ``kg`` command: parse arguments, call the API, map errors to exit codes.

Exit status: 0 on success, 1 on a user error (one line on stderr naming the
problem, no traceback), 2 on a usage error.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from . import __version__
from .errors import DocumentError, KGError
from .schema import VIEWS

log = logging.getLogger("kg")

RDF_FORMATS = {".trig": "trig", ".nq": "nquads", ".ttl": "turtle", ".jsonld": "json-ld", ".nt": "nt"}


def default_store() -> str:
    return os.environ.get("KG_STORE") or "kg-store"


class UsageError(Exception):
    """Wrong arguments: exit status 2."""


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
    from .pipeline import Extractor, read_documents
    from .rdf.build import build_dataset

    out = Path(args.output) if args.output else None
    fmt = "trig"
    if out is not None:
        fmt = RDF_FORMATS.get(out.suffix.lower())
        if fmt is None:
            raise UsageError(f"unknown output format {out.suffix!r}: use one of {', '.join(RDF_FORMATS)}")
    failures: list[DocumentError] = []
    paths = list(iter_paths(args.documents))
    relevance = None
    if not args.no_filter:
        from .relevance import RelevanceFilter
        relevance = RelevanceFilter()
    extractor = Extractor(relevance=relevance)
    items = []
    docs = read_documents(paths, on_error=lambda e: _report(e, failures))
    for r in _progress(extractor.extract_documents(docs), total=len(paths), desc="extract",
                       disable=True if args.quiet else None):
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
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text(data, encoding="utf-8")
        tmp.replace(out)
        print(f"kg: wrote {len(items)} document(s) to {out}", file=sys.stderr)
    return 1 if failures else 0


def cmd_explain(args) -> int:
    from .documents import load_documents
    from .explain import explain_documents
    from .nlp import build_nlp

    documents = load_documents(args.document)
    explanations = explain_documents(documents, build_nlp())
    out = Path(args.output) if args.output else None
    as_html = args.html or (out is not None and out.suffix.lower() in (".html", ".htm"))
    text = "\n".join(e.to_html() if as_html else e.to_text() for e in explanations)
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        print(f"kg: wrote {out}", file=sys.stderr)
    return 0


def cmd_ingest(args) -> int:
    from .ingest import ingest

    summary = ingest(args.paths, store=args.store, endpoint=args.endpoint, jobs=args.jobs,
                     quiet=args.quiet, dask=args.dask, relevance_filter=not args.no_filter, force=args.force,
                     prune=args.prune)
    print(summary.line(), file=sys.stderr)
    return 1 if summary.failed else 0


def cmd_query(args) -> int:
    from .query import format_result, run_query

    if args.file:
        text = _query_file(args.file)
    elif args.sparql:
        text = args.sparql
    else:
        raise UsageError("give a SPARQL query or -f FILE.rq")
    result = run_query(text, store=args.store, endpoint=args.endpoint,
                       bindings=dict(_binding(b) for b in args.bind) or None)
    sys.stdout.write(format_result(result, args.format))
    return 0


def _query_file(name: str) -> str:
    """The text of a query file, or of a standard query named without its folder (``drug-targets``)."""
    from .query import load_query, standard_queries

    path = Path(name)
    if not path.exists() and path.parent == Path(".") and path.stem in standard_queries():
        return load_query(path.stem)
    try:
        return path.read_text(encoding="utf-8")
    except OSError as e:
        known = f"; standard queries: {', '.join(standard_queries())}" if not path.exists() else ""
        raise KGError(f"{name}: cannot read query file ({e.strerror or e}){known}") from None


def _binding(text: str) -> tuple[str, object]:
    """``NAME=VALUE`` from ``--bind``: ``<IRI>`` and ``prefix:name`` (usual prefixes) are IRIs, the rest strings."""
    from rdflib import Literal, URIRef

    from .store import DEFAULT_PREFIXES

    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise UsageError(f"--bind {text!r}: expected NAME=VALUE, e.g. --bind drugLabel=GTI-2040")
    prefix, colon, local = value.partition(":")
    if value.startswith("<") and value.endswith(">"):
        return name.strip(), URIRef(value[1:-1])
    if colon and prefix in DEFAULT_PREFIXES and local and " " not in local:
        return name.strip(), URIRef(DEFAULT_PREFIXES[prefix] + local)
    return name.strip(), Literal(value)


def cmd_export(args) -> int:
    from .export import export

    written = export(fmt=args.format, output=args.output, store=args.store, endpoint=args.endpoint,
                     view=args.view, query_file=args.query, layout=args.layout, dynamic=args.dynamic)
    if written:
        print(f"kg: wrote {written}", file=sys.stderr)
    return 0


def cmd_serve(args) -> int:
    from .server import serve

    serve(store=args.store, host=args.host, port=args.port, timeout=args.timeout,
          max_results=args.max_results, allow_service=args.allow_service, workers=args.workers)
    return 0


# ---------------------------------------------------------------------------
# parser
# ---------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kg", description="Press releases in, a knowledge graph of the clinical pipeline out.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument("-v", "--verbose", action="count", default=0, help="more logging on stderr (-vv for debug)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def store_args(sp, endpoint=True):
        sp.add_argument("--store", default=None, metavar="DIR",
                        help="embedded store folder (default: $KG_STORE or ./kg-store)")
        if endpoint:
            sp.add_argument("--endpoint", default=None, metavar="URL",
                            help="a remote SPARQL 1.1 endpoint instead of the embedded store "
                                 "(credentials from KG_ENDPOINT_USER / KG_ENDPOINT_PASSWORD or KG_ENDPOINT_TOKEN)")

    e = sub.add_parser("extract", help="extract without a store; RDF to stdout (TriG) or FILE")
    e.add_argument("documents", nargs="+", metavar="DOC", help="files or folders (read recursively)")
    e.add_argument("-o", "--output", metavar="FILE", help="output file; format from the extension: "
                   + " ".join(RDF_FORMATS))
    e.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    e.add_argument("--no-filter", action="store_true",
                   help="run every document through the NLP pipeline (no relevance filter)")
    e.set_defaults(func=cmd_extract)

    xp = sub.add_parser("explain", help="show how one document was read: entities, rules, facts and evidence")
    xp.add_argument("document", metavar="DOC")
    xp.add_argument("-o", "--output", metavar="FILE", help="write to FILE (.html for the displaCy view)")
    xp.add_argument("--html", action="store_true", help="HTML even on stdout")
    xp.set_defaults(func=cmd_explain)

    i = sub.add_parser("ingest", help="add files / folders (recursively) to the store; idempotent per document")
    i.add_argument("paths", nargs="+", metavar="PATH")
    store_args(i)
    i.add_argument("-j", "--jobs", type=int, default=1, metavar="N", help="worker processes (default 1)")
    i.add_argument("--dask", default=None, metavar="SCHEDULER",
                   help="extract on a Dask cluster (scheduler address, e.g. tcp://host:8786); see docs/dask.md")
    i.add_argument("--no-filter", action="store_true",
                   help="run every document through the NLP pipeline (no relevance filter); "
                        "also extracts documents an earlier run screened out")
    i.add_argument("--force", action="store_true",
                   help="extract again documents the store holds unchanged (after the rules or the model changed)")
    i.add_argument("--prune", action="store_true",
                   help="forget the documents of files under PATH that no longer exist")
    i.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    i.set_defaults(func=cmd_ingest)

    q = sub.add_parser("query", help="run a SPARQL 1.1 query")
    q.add_argument("sparql", nargs="?", help="the query text")
    q.add_argument("-f", "--file", metavar="FILE.rq",
                   help="read the query from a file, or name a standard query (drug-targets, ...)")
    q.add_argument("--bind", action="append", default=[], metavar="NAME=VALUE",
                   help="bind ?NAME to VALUE (a string; <IRI> or cp:term for an IRI); repeatable")
    q.add_argument("--format", choices=["table", "csv", "tsv", "json"], default="table")
    store_args(q)
    q.set_defaults(func=cmd_query)

    x = sub.add_parser("export", help="whole-graph export; gexf/graphml via networkx, for Gephi")
    x.add_argument("--format", required=True, choices=["gexf", "graphml", "trig", "nq", "json", "png", "svg"])
    x.add_argument("-o", "--output", metavar="FILE", help="output file (default: stdout for text formats)")
    x.add_argument("--view", choices=list(VIEWS), default="full")
    x.add_argument("--query", metavar="FILE.rq", help="export the subgraph a SPARQL CONSTRUCT returns")
    x.add_argument("--layout", choices=["spring", "forceatlas2", "none"], default="spring")
    x.add_argument("--dynamic", action="store_true", help="dynamic GEXF carrying release dates (timeline)")
    store_args(x)
    x.set_defaults(func=cmd_export)

    s = sub.add_parser("serve", help="read-only SPARQL 1.1 Protocol endpoint at /sparql")
    store_args(s, endpoint=False)
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=7878)
    s.add_argument("--timeout", type=float, default=30.0, help="query timeout in seconds (default 30)")
    s.add_argument("--max-results", type=int, default=10000, help="result row limit (default 10000)")
    s.add_argument("--allow-service", action="store_true", help="allow SERVICE (federated queries)")
    s.add_argument("--workers", type=int, default=None, metavar="N",
                   help="query worker processes (default 2); a query over --timeout is killed with its worker")
    s.set_defaults(func=cmd_serve)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="kg: %(levelname)s %(name)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    if hasattr(args, "store") and args.store is None:
        args.store = default_store()
    try:
        return args.func(args)
    except UsageError as e:
        parser.error(str(e))     # exits 2
    except KGError as e:
        print(f"kg: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("kg: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
