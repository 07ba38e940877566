"""Files in, document graphs in the store: the engine of ``kg ingest``.

For every document under the given files and folders:

1. read it (:func:`kg.pipeline.read_documents`); a file that cannot be read
   is reported on stderr (``kg: skipped PATH: problem``) and the run goes on;
2. look it up in the store by source (the file's absolute path) and content
   hash: an unchanged document is skipped *before* any NLP runs, and the same
   content already stored under another path only gains that path as a source;
3. ask the relevance filter (:class:`kg.relevance.RelevanceFilter`, off with
   ``relevance_filter=False`` / ``--no-filter``) whether the document could
   hold a fact; if not, store its document node only (title, date, source,
   content hash, marked ``cp:screenedOut``) without running the NLP pipeline;
4. otherwise extract it (:class:`kg.pipeline.Extractor`, built once per
   process), build its graph (:func:`kg.rdf.build.add_document`) and replace
   whatever graph its source held before, atomically
   (:meth:`kg.store.Store.replace_document`).

Extraction runs on tasks of up to :data:`TASK_SIZE` documents and
:data:`TASK_WORDS` words (one ``nlp.pipe`` batch each): in this process
(``jobs=1``), in ``jobs`` worker processes that each build the pipeline
once, or on a Dask cluster (``dask=ADDRESS``, see :mod:`kg.dask`). Only this
process writes the store. Memory stays flat: documents are read one at a
time, at most two tasks per worker are in flight, a task's size is bounded
in words, and the embedded store flushes its memory tables to disk every
:data:`FLUSH_EVERY` documents.

Writes are grouped into batches of documents (one update request per batch);
each document is still all-or-nothing, so an interrupted run leaves every
document either as it was or fully replaced. Progress goes to stderr as a
tqdm bar (documents/s and ETA) when stderr is a terminal.
"""
from __future__ import annotations

import logging
import os
import signal
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

from .documents import DEFAULT_MAX_BYTES
from .errors import DocumentError, KGError
from .errors import shown as escaped
from .processes import sigterm_interrupts

log = logging.getLogger(__name__)

DEFAULT_BATCH = 32      # documents per store write
TASK_SIZE = 16          # documents per extraction task (one nlp.pipe batch) ...
TASK_WORDS = 4000       # ... and at most this many words (a long document alone): batches big enough for the
                        # model to run efficiently (2,000 cost 5% of the speed), small enough to keep memory flat
FLUSH_EVERY = 500       # documents written between flushes of the embedded store's memory tables to disk


@dataclass
class IngestSummary:
    """What a run did; :meth:`line` is the one-line report for stderr."""

    location: str
    ingested: int = 0          # documents written (new or changed), copies included
    copies: int = 0            # of which: content already stored under another source
    unchanged: int = 0         # documents already stored with this source and content
    screened: int = 0          # of the ingested: turned away by the relevance filter (document node only)
    pruned: int = 0            # sources forgotten because their files are gone (``prune``)
    failed: int = 0            # files or documents skipped because of an error
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        parts = [f"ingested {self.ingested} document(s)"]
        if self.copies:
            parts[0] += f" ({self.copies} already stored under another path)"
        if self.screened:
            parts[0] += f" ({self.screened} screened out by the relevance filter)"
        if self.unchanged:
            parts.append(f"{self.unchanged} unchanged")
        if self.failed:
            parts.append(f"{self.failed} skipped (errors)")
        if self.pruned:
            parts.append(f"{self.pruned} forgotten (files gone)")
        return f"{', '.join(parts)} into {self.location} in {self.seconds:.1f}s"


@dataclass(frozen=True)
class BuiltDocument:
    """A document's graph, ready to store (what a worker process sends back).

    ``ntriples`` is the graph as N-Triples, the form that travels between
    processes; ``graph``, the rdflib graph itself, when the document was
    extracted in the process that stores it (no need to write and re-read it).
    """

    iri: str
    source: str
    content_hash: str
    ntriples: str
    graph: object = field(default=None, compare=False, repr=False)

    def rdflib_graph(self):
        from rdflib import Graph, URIRef

        if self.graph is not None:
            return self.graph
        return Graph(identifier=URIRef(self.iri)).parse(data=self.ntriples, format="nt")   # named as in the store


def build_document(extractor, document, keep_graph: bool = False) -> BuiltDocument:
    """Extract one document and build its named graph: as N-Triples, or kept as a graph (``keep_graph``)."""
    return _built(document, extractor.extract(document), keep_graph)


def _built(document, extraction, keep_graph: bool = False) -> BuiltDocument:
    from .rdf.build import add_document
    from .rdf.iris import document_iri
    from .store import ntriples

    graph = add_document(_OneGraph(), extraction, document.sha256)
    iri = str(document_iri(document.id))
    if keep_graph:
        return BuiltDocument(iri, document.source, document.sha256, "", graph)
    return BuiltDocument(iri, document.source, document.sha256, ntriples(graph))


def _failure(e: Exception) -> tuple[str, str]:
    if isinstance(e, KGError):
        return ("error", str(e))
    return ("error", f"extraction failed ({type(e).__name__}: {e})")


def build_documents(extractor, documents: list, keep_graph: bool = False) -> Iterator[tuple[str, object]]:
    """``("ok", BuiltDocument)`` or ``("error", message)`` for each document, in order.

    The documents go through ``nlp.pipe`` together when the extractor can
    (:meth:`kg.pipeline.Extractor.extract_documents`); if the batch fails,
    the rest are extracted one by one, so an error costs only its document.
    ``keep_graph``: the graphs stay rdflib graphs (for this process to store).
    """
    done = 0
    batch = getattr(extractor, "extract_documents", None)
    if batch is not None and len(documents) > 1:
        try:
            for r in batch(documents):
                yield ("ok", _built(r.document, r.extraction, keep_graph))
                done += 1
            return
        except Exception:
            log.debug("batch extraction failed; extracting one by one", exc_info=True)
    for document in documents[done:]:
        try:
            outcome = ("ok", build_document(extractor, document, keep_graph))
        except Exception as e:      # travels back as text: not every exception pickles
            log.debug("extraction of %s failed", document.source, exc_info=True)
            outcome = _failure(e)
        yield outcome


def screened_graph(document):
    """The graph of a document the relevance filter turned away: its document node, marked ``cp:screenedOut``."""
    from .pipeline import screened_extraction
    from .rdf.build import add_document

    return add_document(_OneGraph(), screened_extraction(document), document.sha256)


class _OneGraph:
    """Stands in for the dataset :func:`kg.rdf.build.add_document` adds a document's graph to, for one graph.

    A plain rdflib graph per document: an rdflib ``Dataset`` per document
    costs more time than a screened document's whole graph, and one dataset
    shared by all keeps memory for every graph ever removed from it.
    """

    @staticmethod
    def graph(identifier):
        from rdflib import Graph
        return Graph(identifier=identifier)


# ---------------------------------------------------------------------------
# worker processes
# ---------------------------------------------------------------------------

_worker_extractor = None
_worker_error: str | None = None


def _init_worker(level: int, parent: int | None = None) -> None:
    """Build the pipeline once in a worker; remember why if that fails. The worker dies with its parent."""
    from .processes import die_with_parent

    global _worker_extractor, _worker_error
    die_with_parent(parent)                           # even a parent killed by SIGKILL leaves no worker behind
    signal.signal(signal.SIGINT, signal.SIG_IGN)      # the parent handles Ctrl-C
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    logging.basicConfig(level=level, format="kg: %(levelname)s %(name)s: %(message)s")
    try:
        from .pipeline import Extractor
        _worker_extractor = Extractor()
    except Exception as e:                             # reported by the first task
        _worker_error = str(e) if isinstance(e, KGError) else f"{type(e).__name__}: {e}"


def _work(documents: list) -> list[tuple[str, object]]:
    """Worker task: one outcome per document (see :func:`build_documents`), or ``[("fatal", message)]``."""
    if _worker_extractor is None:
        return [("fatal", _worker_error or "worker has no NLP pipeline")]
    try:
        return list(build_documents(_worker_extractor, documents))
    finally:
        release_memory()


def release_memory() -> None:
    """Hand the memory a task freed back to the system (glibc keeps it otherwise), so a worker's
    resident size reflects what it holds, not the largest task it ever ran. No-op elsewhere."""
    global _malloc_trim
    if _malloc_trim is None:
        try:
            import ctypes
            _malloc_trim = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _malloc_trim = False
    if _malloc_trim:
        _malloc_trim(0)


_malloc_trim = None


class _Serial:
    """Extraction in this process, with the same interface as the worker pool.

    A task is extracted as its outcomes are read, so an interrupt keeps the
    documents already done.
    """

    slots = 1

    def __init__(self, extractor=None):
        self.extractor = extractor

    def start(self, documents: list):
        if self.extractor is None:
            from .pipeline import Extractor
            self.extractor = Extractor()
        return documents

    def result(self, handle) -> Iterator:
        return build_documents(self.extractor, handle, keep_graph=True)

    def done(self, handle) -> bool:
        return False            # nothing runs ahead of the writes

    def close(self, cancel: bool = False):
        pass


def _quiet_resource_tracker() -> None:
    """Start :mod:`multiprocessing`'s resource tracker unable to warn of "leaked semaphore objects".

    The pool's queues hold semaphores the tracker removes should this process die without closing
    them: after a SIGKILL it does, then warns on the terminal of a user who only stopped a run (the
    stop is reported by the run itself, and rerunning finishes the work). The cleanup stays; the
    tracker is started with that one warning turned off (its environment), and every other warning
    and error of it still shows.
    """
    from multiprocessing import resource_tracker

    quiet = "ignore:resource_tracker:UserWarning"
    before = os.environ.get("PYTHONWARNINGS")
    os.environ["PYTHONWARNINGS"] = f"{before},{quiet}" if before else quiet
    try:
        resource_tracker.ensure_running()
    finally:
        if before is None:
            del os.environ["PYTHONWARNINGS"]
        else:
            os.environ["PYTHONWARNINGS"] = before


class _Pool:
    """``jobs`` worker processes (spawned), each building the pipeline once."""

    def __init__(self, jobs: int):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.slots = jobs
        _quiet_resource_tracker()
        self.executor = ProcessPoolExecutor(
            max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker, initargs=(logging.getLogger().getEffectiveLevel(), os.getpid()))

    def start(self, documents: list):
        return self.executor.submit(_work, documents)

    def result(self, handle):
        from concurrent.futures.process import BrokenProcessPool

        try:
            return handle.result()
        except BrokenProcessPool:
            raise KGError("a worker process died (out of memory?); try fewer --jobs") from None

    def done(self, handle) -> bool:
        return handle.done() and not handle.cancelled() and handle.exception() is None

    def close(self, cancel: bool = False):
        if cancel:      # the work in flight is abandoned: stop the workers now rather than after their task
            for process in list(getattr(self.executor, "_processes", {}).values()):
                process.terminate()
        self.executor.shutdown(wait=not cancel, cancel_futures=cancel)


class Interrupted(KeyboardInterrupt):
    """The run was stopped (Ctrl-C, SIGTERM); ``summary`` says what was stored before it stopped."""

    def __init__(self, summary: IngestSummary, signum: int):
        super().__init__(summary.line())
        self.summary = summary
        self.signum = signum


# ---------------------------------------------------------------------------
# the run
# ---------------------------------------------------------------------------

def ingest(paths: Iterable[str | os.PathLike], store: str | os.PathLike | None = None,
           endpoint: str | None = None, jobs: int = 1, quiet: bool = False, dask: str | None = None, *,
           extractor=None, batch_size: int = DEFAULT_BATCH, task_size: int = TASK_SIZE,
           relevance_filter=True, force: bool = False, prune: bool = False,
           max_bytes: int | None = DEFAULT_MAX_BYTES,
           on_error: Callable[[str], None] | None = None,
           on_progress: Callable[[int, int], None] | None = None) -> IngestSummary:
    """Add the files and folders ``paths`` to the store; idempotent per document.

    ``store`` is the embedded store folder (default ``$KG_STORE`` or
    ``./kg-store``), ``endpoint`` a SPARQL endpoint used instead. ``jobs``
    worker processes extract in parallel (1: in this process, with
    ``extractor`` if given); ``dask`` is the address of a Dask scheduler to
    extract on instead. ``relevance_filter`` (default on; ``False`` for
    none, or a :class:`~kg.relevance.RelevanceFilter`) decides which
    documents need the NLP pipeline. ``force`` extracts again the documents
    the store already holds unchanged (after the rules or the model changed;
    each content once per run). ``prune`` forgets the documents stored from
    files under ``paths`` that no longer exist (a graph left without any
    source is dropped). Files over ``max_bytes`` (default
    :data:`kg.documents.DEFAULT_MAX_BYTES`; ``None``: no limit) are skipped.
    Each problem is reported as one line through ``on_error`` (default:
    stderr); ``on_progress(done, total)`` is called as documents are done.
    Raises :class:`~kg.errors.StoreError` if the store cannot be opened or
    written; documents written before stay. Ctrl-C or SIGTERM stops the run
    cleanly: the documents extracted so far are written, the store is closed,
    and :class:`Interrupted` carries the summary of what was stored.
    """
    from .documents import iter_paths
    from .pipeline import read_documents
    from .rdf.build import Identities
    from .rdf.identity import StoreNodes
    from .rdf.iris import document_iri
    from .store import open_store

    if jobs < 1:
        raise KGError(f"--jobs must be at least 1, not {jobs}")
    runner = None
    if dask:                          # connect first: a wrong address is one error before anything is written
        from .dask import DaskRunner
        runner = DaskRunner(dask)
    started = time.perf_counter()

    # files, by absolute path (the document's source), remembering how the user named them
    shown: dict[str, str] = {}
    walk_problems: list[DocumentError] = []       # what the folders hold that is not read (reported below)
    for p in iter_paths(paths, on_error=walk_problems.append):
        shown.setdefault(os.path.abspath(p), str(p))
    if not shown and not walk_problems:
        log.warning("no files found under %s", ", ".join(map(str, paths)))

    try:
        s = open_store(store, endpoint)
    except BaseException:
        if runner is not None:
            runner.close(cancel=True)
        raise
    summary = IngestSummary(s.location)
    bar = _progress_bar(len(shown) + len(walk_problems), quiet, on_progress)

    def show(source: str) -> str:
        path, sep, part = source.partition("#")
        return escaped(shown.get(path, path) + sep + part)

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

    for problem in walk_problems:
        on_document_error(problem)

    in_flight: deque = deque()        # (task handle, its documents), oldest first
    written: set[str] = set()         # graphs written in this run (perhaps still in the pending batch)
    forced: set[str] = set()          # with force: graphs already extracted again in this run
    task: list = []                   # documents waiting to make up a task
    task_words = 0
    relevance = None

    def wanted(document) -> bool:
        """Does this document need the NLP pipeline (not screened out by the relevance filter)?"""
        nonlocal relevance
        if relevance_filter is False or relevance_filter is None:
            return True
        if relevance is None:
            from .relevance import RelevanceFilter
            relevance = relevance_filter if isinstance(relevance_filter, RelevanceFilter) else RelevanceFilter()
        return relevance(document.text).relevant

    def submit() -> None:
        nonlocal runner, task_words
        if runner is None:
            runner = _Pool(jobs) if jobs > 1 else _Serial(extractor)
        in_flight.append((runner.start(list(task)), list(task)))
        task.clear()
        task_words = 0
        # a serial runner extracts as its results are read; the others keep two tasks per worker queued
        while len(in_flight) >= (1 if isinstance(runner, _Serial) else 2 * runner.slots):
            finish(*in_flight.popleft())

    def finish(handle, documents) -> None:
        for outcome, document in zip(runner.result(handle), documents):
            write(outcome, document)

    identities = Identities(StoreNodes(s))

    def write(outcome, document) -> None:
        kind, value = outcome
        if kind == "fatal":
            raise KGError(value)
        if kind == "error":
            report(f"{show(document.source)}: {value}")
        else:
            graph = identities(value.rdflib_graph())
            before = identities.place.drugs(value.iri) if index.sources.get(value.iri) else []
            s.replace_document(value.iri, graph, source=value.source, content_hash=value.content_hash)
            identities.written(graph)
            identities.recompute(before)        # a drug the old version of the graph joined may split
            index.replaced(value.iri, value.source, value.content_hash)
            wrote(value.iri)
            summary.ingested += 1
        bar.update()

    def wrote(iri: str) -> None:
        written.add(iri)
        if len(written) >= FLUSH_EVERY:
            _flush_to_disk(s)
            written.clear()
            release_memory()

    def write_screened(document, iri: str) -> None:
        graph = identities(screened_graph(document))
        before = identities.place.drugs(iri) if index.sources.get(iri) else []
        s.replace_document(iri, graph, source=document.source, content_hash=document.sha256)
        identities.recompute(before)
        index.replaced(iri, document.source, document.sha256, screened=True)
        wrote(iri)
        summary.ingested += 1
        summary.screened += 1
        bar.update()

    cancelled = False
    interrupted = None
    try:
        index = _Index(s.find_documents(), screened_documents(s))
        with sigterm_interrupts(), s.batch(batch_size):
            try:
                for document in read_documents(list(shown), on_error=on_document_error, max_bytes=max_bytes):
                    iri, h, source = str(document_iri(document.id)), document.sha256, document.source
                    # a document stored screened out is read again when this run would extract it
                    want = wanted(document) if index.is_screened(iri) else None
                    redo = bool(want) or (force and iri not in forced)
                    if force:
                        forced.add(iri)
                    if index.unchanged(iri, source, h) and not redo:
                        summary.unchanged += 1
                        bar.update()
                        continue
                    if index.holds(iri, h) and not redo:
                        if iri in written:    # its graph may still wait in the batch: write it first
                            s.flush()
                            written.clear()
                        s.add_source(iri, source)
                        index.added(iri, source)
                        summary.ingested += 1
                        summary.copies += 1
                        bar.update()
                        continue
                    if not (want if want is not None else wanted(document)):
                        write_screened(document, iri)
                        continue
                    n_words = len(document.text.split())
                    if task and task_words + n_words > TASK_WORDS:
                        submit()
                    task.append(document)
                    task_words += n_words
                    if len(task) >= task_size:
                        submit()
                if task:
                    submit()
                while in_flight:
                    finish(*in_flight.popleft())
                if prune:
                    for source in _gone_sources(index.by_source, paths):
                        gone = index.by_source[source][0]
                        before = identities.place.drugs(gone) if index.sources.get(gone) == {source} else []
                        s.remove_source(source)
                        identities.recompute(before)
                        index._detach(source)
                        summary.pruned += 1
            except KeyboardInterrupt:
                # keep what is already extracted: it is written with the pending batch. Only the tasks
                # done in a row from the oldest, so the store holds a prefix of the run (a rerun then
                # writes the rest in the order a clean run would have)
                for handle, documents in in_flight:
                    if not runner.done(handle):
                        break
                    finish(handle, documents)
                raise
    except KeyboardInterrupt as e:     # Ctrl-C or SIGTERM: what is written stays, the store is closed cleanly
        cancelled = True
        interrupted = e.args[0] if e.args and isinstance(e.args[0], int) else int(signal.SIGINT)
    except BaseException:
        cancelled = True
        raise
    finally:
        if runner is not None:
            runner.close(cancel=cancelled)
        bar.close()
        s.close()
        summary.seconds = time.perf_counter() - started
    if interrupted is not None:
        raise Interrupted(summary, interrupted)
    return summary


class _Index:
    """What the store holds, kept in step with the writes of this run (mirrors :class:`kg.store.Store`)."""

    def __init__(self, records, screened: Iterable[str] = ()):
        self.by_source: dict[str, tuple[str, str]] = {}      # source -> (iri, content hash)
        self.sources: dict[str, set[str]] = {}               # iri -> sources
        self.hash: dict[str, str] = {}                       # iri -> content hash
        self.screened: set[str] = set(screened)              # iris stored screened out (document node only)
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

    def is_screened(self, iri: str) -> bool:
        return iri in self.screened

    def replaced(self, iri: str, source: str, content_hash: str, screened: bool = False) -> None:
        if screened:
            self.screened.add(iri)
        else:
            self.screened.discard(iri)
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


def _gone_sources(sources: Iterable[str], paths: Iterable[str | os.PathLike]) -> list[str]:
    """The stored sources under ``paths`` (folders, or files named there) whose files no longer exist."""
    from .documents import source_name, source_path

    roots, files = [], set()
    for p in paths:
        ap = source_name(os.path.abspath(p))
        if os.path.isdir(ap):
            roots.append(ap.rstrip(os.sep) + os.sep)
        else:
            files.add(ap)
    out = []
    for source in sources:
        path = source.partition("#")[0]          # "file#EX-99.1": an exhibit of a submission file
        if (path in files or path.startswith(tuple(roots))) and not os.path.exists(source_path(path)):
            out.append(source)
    return sorted(out)


def _progress_bar(total: int, quiet: bool, on_progress: Callable[[int, int], None] | None = None):
    """A tqdm bar on stderr: documents/s and ETA; off when quiet or stderr is not a terminal.

    ``on_progress(done, total)`` hears every update, shown or not.
    """
    from tqdm import tqdm

    disable = quiet or not _stderr_is_tty()
    bar = tqdm(total=total, desc="ingest", unit="doc", file=sys.stderr, disable=disable,
               dynamic_ncols=True, smoothing=0.1)
    if on_progress is not None:
        update, done = bar.update, [0]

        def update_and_report(n: int = 1):
            done[0] += n
            on_progress(done[0], total)
            return update(n)

        bar.update = update_and_report
    return bar


def _flush_to_disk(store) -> None:
    """Write the pending batch, and let an embedded store move its memory tables to disk.

    Without this the on-disk store's write buffers grow with every document
    written, and so does the memory of a long run.
    """
    store.flush()
    ox = getattr(store, "oxigraph", None)
    if ox is not None and getattr(store, "path", None) is not None:
        ox.flush()


def screened_documents(store) -> list[str]:
    """IRIs of the documents the store holds screened out (``cp:screenedOut true``)."""
    result = store.query("SELECT ?g WHERE { GRAPH ?g { ?g <https://w3id.org/cpkg/screenedOut> true } }")
    return [row[0].value for row in result.rows]


def _stderr_is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False
