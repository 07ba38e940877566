"""Files in, document graphs in the store: the engine of ``kg ingest``.

For every document under the given files and folders:

1. read it (:func:`kg.pipeline.read_documents`); a file that cannot be read
   is reported on stderr (``kg: skipped PATH: problem``) and the run goes on;
2. look it up in the store by source (the file's absolute path) and content
   hash: an unchanged document is skipped *before* any NLP runs, and the same
   content already stored under another path only gains that path as a source;
3. otherwise extract it (:class:`kg.pipeline.Extractor`, built once per
   process; ``jobs > 1`` runs that many worker processes), build its graph
   (:func:`kg.rdf.build.add_document`) and replace whatever graph its source
   held before, atomically (:meth:`kg.store.Store.replace_document`).

Writes are grouped into batches of documents (one update request per batch);
each document is still all-or-nothing, so an interrupted run leaves every
document either as it was or fully replaced. Progress goes to stderr as a
tqdm bar when stderr is a terminal.
"""
from __future__ import annotations

import logging
import os
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Iterable

from .errors import DocumentError, KGError

log = logging.getLogger(__name__)

DEFAULT_BATCH = 32


@dataclass
class IngestSummary:
    """What a run did; :meth:`line` is the one-line report for stderr."""

    location: str
    ingested: int = 0          # documents written (new or changed), copies included
    copies: int = 0            # of which: content already stored under another source
    unchanged: int = 0         # documents already stored with this source and content
    failed: int = 0            # files or documents skipped because of an error
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        parts = [f"ingested {self.ingested} document(s)"]
        if self.copies:
            parts[0] += f" ({self.copies} already stored under another path)"
        if self.unchanged:
            parts.append(f"{self.unchanged} unchanged")
        if self.failed:
            parts.append(f"{self.failed} skipped (errors)")
        return f"{', '.join(parts)} into {self.location} in {self.seconds:.1f}s"


@dataclass(frozen=True)
class BuiltDocument:
    """A document's graph, ready to store (what a worker process sends back)."""

    iri: str
    source: str
    content_hash: str
    ntriples: str


def existing_labels(store, iris: list[str], chunk: int = 200) -> dict[str, list[str]]:
    """The ``rdfs:label`` values the store already holds for these entity IRIs."""
    from rdflib import URIRef

    out: dict[str, list[str]] = {}
    for i in range(0, len(iris), chunk):
        values = " ".join(URIRef(iri).n3() for iri in iris[i:i + chunk])   # our own minted IRIs, serialised
        result = store.query("SELECT ?s ?l WHERE { VALUES ?s { " + values + " } "
                             "?s <http://www.w3.org/2000/01/rdf-schema#label> ?l }")
        for row in result.rows:
            out.setdefault(row[0].value, []).append(row[1].value)
    return out


def existing_drug_names(store, names: list[str], chunk: int = 200) -> dict[str, str]:
    """Which drug nodes of the store already carry these names (as label or alternative label)."""
    from rdflib import Literal

    out: dict[str, str] = {}
    for i in range(0, len(names), chunk):
        values = " ".join(Literal(n).n3() for n in names[i:i + chunk])   # serialised, never pasted raw
        result = store.query(
            "SELECT ?n (MIN(STR(?e)) AS ?iri) WHERE { VALUES ?n { " + values + " } "
            "?e a <https://w3id.org/cpkg/Drug> . "
            "{ ?e <http://www.w3.org/2000/01/rdf-schema#label> ?n } UNION "
            "{ ?e <http://www.w3.org/2004/02/skos/core#altLabel> ?n } } GROUP BY ?n")
        for row in result.rows:
            out[row[0].value] = row[1].value
    return out


def build_document(extractor, document) -> BuiltDocument:
    """Extract one document and build its named graph as N-Triples."""
    from rdflib import Dataset

    from .rdf.build import add_document
    from .rdf.iris import document_iri
    from .store import ntriples

    extraction = extractor.extract(document)
    graph = add_document(Dataset(), extraction, document.sha256)
    return BuiltDocument(str(document_iri(document.id)), document.source, document.sha256, ntriples(graph))


# ---------------------------------------------------------------------------
# worker processes
# ---------------------------------------------------------------------------

_worker_extractor = None
_worker_error: str | None = None


def _init_worker(level: int) -> None:
    """Build the pipeline once in a worker; remember why if that fails."""
    import signal

    global _worker_extractor, _worker_error
    signal.signal(signal.SIGINT, signal.SIG_IGN)      # the parent handles Ctrl-C
    logging.basicConfig(level=level, format="kg: %(levelname)s %(name)s: %(message)s")
    try:
        from .pipeline import Extractor
        _worker_extractor = Extractor()
    except Exception as e:                             # reported by the first task
        _worker_error = str(e) if isinstance(e, KGError) else f"{type(e).__name__}: {e}"


def _work(document):
    """Worker task: ``("ok", BuiltDocument)``, ``("error", message)`` or ``("fatal", message)``."""
    if _worker_extractor is None:
        return ("fatal", _worker_error or "worker has no NLP pipeline")
    try:
        return ("ok", build_document(_worker_extractor, document))
    except Exception as e:     # travels back as text: not every exception pickles
        return ("error", str(e) if isinstance(e, KGError) else f"extraction failed ({type(e).__name__}: {e})")


class _Serial:
    """Extraction in this process, with the same interface as the worker pool."""

    def __init__(self, extractor=None):
        self.extractor = extractor

    def start(self, document):
        if self.extractor is None:
            from .pipeline import Extractor
            self.extractor = Extractor()
        try:
            return ("ok", build_document(self.extractor, document))
        except KGError as e:
            return ("error", str(e))
        except Exception as e:
            log.debug("extraction of %s failed", document.source, exc_info=True)
            return ("error", f"extraction failed ({type(e).__name__}: {e})")

    def result(self, handle):
        return handle

    def done(self, handle) -> bool:
        return True

    def close(self, cancel: bool = False):
        pass


class _Pool:
    """``jobs`` worker processes (spawned), each building the pipeline once."""

    def __init__(self, jobs: int):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.executor = ProcessPoolExecutor(
            max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker, initargs=(logging.getLogger().getEffectiveLevel(),))

    def start(self, document):
        return self.executor.submit(_work, document)

    def result(self, handle):
        from concurrent.futures.process import BrokenProcessPool

        try:
            return handle.result()
        except BrokenProcessPool:
            raise KGError("a worker process died (out of memory?); try fewer --jobs") from None

    def done(self, handle) -> bool:
        return handle.done() and not handle.cancelled() and handle.exception() is None

    def close(self, cancel: bool = False):
        self.executor.shutdown(wait=not cancel, cancel_futures=cancel)


# ---------------------------------------------------------------------------
# the run
# ---------------------------------------------------------------------------

def ingest(paths: Iterable[str | os.PathLike], store: str | os.PathLike | None = None,
           endpoint: str | None = None, jobs: int = 1, quiet: bool = False, dask: str | None = None, *,
           extractor=None, batch_size: int = DEFAULT_BATCH,
           on_error: Callable[[str], None] | None = None) -> IngestSummary:
    """Add the files and folders ``paths`` to the store; idempotent per document.

    ``store`` is the embedded store folder (default ``$KG_STORE`` or
    ``./kg-store``), ``endpoint`` a SPARQL endpoint used instead. ``jobs``
    worker processes extract in parallel (1: in this process, with
    ``extractor`` if given). Each problem is reported as one line through
    ``on_error`` (default: stderr). Raises :class:`~kg.errors.StoreError` if
    the store cannot be opened or written; documents written before stay.
    """
    from rdflib import Graph

    from .documents import iter_paths
    from .pipeline import read_documents
    from .rdf.build import Identities
    from .rdf.iris import document_iri
    from .store import open_store

    if dask:
        raise KGError("dask support: not implemented yet; run without --dask (use --jobs N for local processes)")
    if jobs < 1:
        raise KGError(f"--jobs must be at least 1, not {jobs}")
    started = time.perf_counter()

    # files, by absolute path (the document's source), remembering how the user named them
    shown: dict[str, str] = {}
    for p in iter_paths(paths):
        shown.setdefault(os.path.abspath(p), str(p))
    if not shown:
        log.warning("no files found under %s", ", ".join(map(str, paths)))

    s = open_store(store, endpoint)
    summary = IngestSummary(s.location)
    bar = _progress_bar(len(shown), quiet)

    def show(source: str) -> str:
        path, sep, part = source.partition("#")
        return shown.get(path, path) + sep + part

    def report(message: str) -> None:
        summary.failed += 1
        summary.errors.append(message)
        line = f"kg: skipped {message}"
        if on_error is not None:
            on_error(line)
        else:
            bar.write(line, file=sys.stderr)

    def on_document_error(e: DocumentError) -> None:
        report(f"{show(e.path)}: {e.problem}")
        bar.update()

    runner = None
    in_flight: deque = deque()
    window = 2 * jobs if jobs > 1 else 1

    identities = Identities(lookup_names=lambda names: existing_drug_names(s, names),
                            lookup_labels=lambda iris: existing_labels(s, iris))

    def write(outcome, document) -> None:
        kind, value = outcome
        if kind == "fatal":
            raise KGError(value)
        if kind == "error":
            report(f"{show(document.source)}: {value}")
        else:
            graph = identities(Graph().parse(data=value.ntriples, format="nt"))
            s.replace_document(value.iri, graph, source=value.source, content_hash=value.content_hash)
            index.replaced(value.iri, value.source, value.content_hash)
            summary.ingested += 1
        bar.update()

    cancelled = False
    try:
        index = _Index(s.find_documents())
        with s.batch(batch_size):
            try:
                for document in read_documents(list(shown), on_error=on_document_error):
                    iri, h, source = str(document_iri(document.id)), document.sha256, document.source
                    if index.unchanged(iri, source, h):
                        summary.unchanged += 1
                        bar.update()
                        continue
                    if index.holds(iri, h):
                        s.add_source(iri, source)
                        index.added(iri, source)
                        summary.ingested += 1
                        summary.copies += 1
                        bar.update()
                        continue
                    if runner is None:
                        runner = _Pool(jobs) if jobs > 1 else _Serial(extractor)
                    in_flight.append((runner.start(document), document))
                    while len(in_flight) >= window:
                        handle, doc = in_flight.popleft()
                        write(runner.result(handle), doc)
                while in_flight:
                    handle, doc = in_flight.popleft()
                    write(runner.result(handle), doc)
            except KeyboardInterrupt:
                # keep what is already extracted: it is written with the pending batch
                for handle, doc in in_flight:
                    if runner.done(handle):
                        write(runner.result(handle), doc)
                raise
    except BaseException:
        cancelled = True
        raise
    finally:
        if runner is not None:
            runner.close(cancel=cancelled)
        bar.close()
        s.close()
        summary.seconds = time.perf_counter() - started
    return summary


class _Index:
    """What the store holds, kept in step with the writes of this run (mirrors :class:`kg.store.Store`)."""

    def __init__(self, records):
        self.by_source: dict[str, tuple[str, str]] = {}      # source -> (iri, content hash)
        self.sources: dict[str, set[str]] = {}               # iri -> sources
        self.hash: dict[str, str] = {}                       # iri -> content hash
        for r in records:
            self.by_source[r.source] = (r.iri, r.content_hash)
            self.sources.setdefault(r.iri, set()).add(r.source)
            self.hash[r.iri] = r.content_hash

    def unchanged(self, iri: str, source: str, content_hash: str) -> bool:
        return self.by_source.get(source) == (iri, content_hash)

    def holds(self, iri: str, content_hash: str) -> bool:
        """The same content is stored, under some other source."""
        return self.hash.get(iri) == content_hash and bool(self.sources.get(iri))

    def _detach(self, source: str) -> None:
        old = self.by_source.pop(source, None)
        if old is not None:
            rest = self.sources.get(old[0], set())
            rest.discard(source)
            if not rest:                     # the store drops a graph left without a source
                self.sources.pop(old[0], None)
                self.hash.pop(old[0], None)

    def replaced(self, iri: str, source: str, content_hash: str) -> None:
        self._detach(source)
        if self.hash.get(iri) != content_hash:     # other sources of an older version are not kept
            for other in self.sources.pop(iri, set()):
                self.by_source.pop(other, None)
        self.sources.setdefault(iri, set()).add(source)
        self.hash[iri] = content_hash
        self.by_source[source] = (iri, content_hash)

    def added(self, iri: str, source: str) -> None:
        content_hash = self.hash[iri]
        self._detach(source)
        self.sources.setdefault(iri, set()).add(source)
        self.hash[iri] = content_hash
        self.by_source[source] = (iri, content_hash)


def _progress_bar(total: int, quiet: bool):
    """A tqdm bar on stderr: documents/s and ETA; off when quiet or stderr is not a terminal."""
    from tqdm import tqdm

    disable = quiet or not _stderr_is_tty()
    return tqdm(total=total, desc="ingest", unit="doc", file=sys.stderr, disable=disable,
                dynamic_ncols=True, smoothing=0.1)


def _stderr_is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False
