"""Documents in, extraction records out: the NLP pipeline and the linker, run over files.

:class:`Extractor` builds the spaCy pipeline once and streams documents
through ``nlp.pipe``. Unreadable files (and files over ``max_bytes``,
:data:`kg.documents.DEFAULT_MAX_BYTES`) are reported through ``on_error``
and skipped; the rest of the run goes on.

With a relevance filter (:class:`kg.relevance.RelevanceFilter`; ``kg extract``
and ``kg ingest`` use one unless given ``--no-filter``) a document the filter
turns away skips the pipeline: its extraction holds no entities or facts, only
the document's metadata, and is marked screened out
(:func:`screened_extraction`), so its graph is the document node alone with
``cp:screenedOut true``.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .documents import DEFAULT_MAX_BYTES, Document, iter_paths, load_documents
from .errors import DocumentError
from .records import Extraction

log = logging.getLogger(__name__)

SCREENED = "screened_out"      # the metadata key marking an extraction the relevance filter skipped


@dataclass
class Result:
    document: Document
    extraction: Extraction

    @property
    def content_hash(self) -> str:
        return self.document.sha256

    @property
    def screened(self) -> bool:
        return bool(self.extraction.meta.get(SCREENED))


def screened_extraction(document: Document) -> Extraction:
    """What a document the relevance filter turned away contributes: its metadata, marked, and no facts."""
    return Extraction(document.id, document.source, {**document.meta, SCREENED: True})


class Extractor:
    """One spaCy pipeline per process; documents streamed through it.

    ``relevance`` is a :class:`~kg.relevance.RelevanceFilter` (or any callable
    ``text -> bool``) deciding which documents need the pipeline; ``None``
    (the default) extracts every document.
    """

    def __init__(self, nlp=None, batch_size: int = 16, relevance=None, scorer="default"):
        if nlp is None:
            from .nlp import build_nlp
            nlp = build_nlp()
        self.nlp = nlp
        self.batch_size = batch_size
        self.relevance = relevance
        self.scorer = scorer        # the learned fact scorer (kg.relations.scoring); None: the rules alone

    def wanted(self, document: Document) -> bool:
        """Does the document need the pipeline (no filter, or the filter finds it relevant)?"""
        return self.relevance is None or bool(self.relevance(document.text))

    def extract(self, document: Document) -> Extraction:
        from .nlp.pieces import process
        from .relations import link
        if not self.wanted(document):
            return screened_extraction(document)
        return link(process(self.nlp, document.text), document, self.scorer)

    def extract_documents(self, documents: Iterable[Document]) -> Iterator[Result]:
        """Results in the order of ``documents``; the relevant ones go through ``nlp.pipe`` in batches
        (long ones in pieces, :mod:`kg.nlp.pieces`)."""
        from .nlp.pieces import pipe
        from .relations import link_many
        # screened documents wait for the relevant ones before them, so the order is kept
        waiting: list[Document] = []

        def relevant_stream():
            for d in documents:
                if self.wanted(d):
                    yield d.text, (d, list(waiting))
                    waiting.clear()
                else:
                    waiting.append(d)

        batch: list[tuple] = []

        def flush():
            extractions = link_many([(doc, document) for doc, document, _ in batch], self.scorer)
            for (doc, document, before), x in zip(batch, extractions):
                for d in before:
                    yield Result(d, screened_extraction(d))
                yield Result(document, x)
            batch.clear()

        # the linking of a batch of documents runs together: the fact scorer takes their candidates in one call
        for doc, (document, before) in pipe(self.nlp, relevant_stream(), batch_size=self.batch_size):
            batch.append((doc, document, before))
            if len(batch) >= self.batch_size:
                yield from flush()
        yield from flush()
        for d in waiting:
            yield Result(d, screened_extraction(d))

    def extract_paths(self, paths: Iterable[str | Path],
                      on_error: Callable[[DocumentError], None] | None = None,
                      max_bytes: int | None = DEFAULT_MAX_BYTES) -> Iterator[Result]:
        yield from self.extract_documents(read_documents(paths, on_error, max_bytes=max_bytes))


def read_documents(paths: Iterable[str | Path],
                   on_error: Callable[[DocumentError], None] | None = None,
                   max_bytes: int | None = DEFAULT_MAX_BYTES) -> Iterator[Document]:
    """Documents of every file under ``paths``; a bad file (or folder that cannot be listed, or file
    over ``max_bytes``; ``None``: no limit) goes to ``on_error`` and is skipped. Without ``on_error``
    the first one raises its :class:`DocumentError`."""
    def report(e: DocumentError) -> None:
        if on_error is None:
            raise e
        on_error(e)

    for path in iter_paths(paths, report):
        try:
            yield from load_documents(path, max_bytes)
        except DocumentError as e:
            report(e)
