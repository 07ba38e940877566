"""Documents in, extraction records out: the NLP pipeline and the linker, run over files.

:class:`Extractor` builds the spaCy pipeline once and streams documents
through ``nlp.pipe``. Unreadable files are reported through ``on_error``
and skipped; the rest of the run goes on.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .documents import Document, iter_paths, load_documents
from .errors import DocumentError
from .records import Extraction

log = logging.getLogger(__name__)


@dataclass
class Result:
    document: Document
    extraction: Extraction

    @property
    def content_hash(self) -> str:
        return self.document.sha256


class Extractor:
    """One spaCy pipeline per process; documents streamed through it."""

    def __init__(self, nlp=None, batch_size: int = 16):
        if nlp is None:
            from .nlp import build_nlp
            nlp = build_nlp()
        self.nlp = nlp
        self.batch_size = batch_size

    def extract(self, document: Document) -> Extraction:
        from .relations import link
        return link(self.nlp(document.text), document)

    def extract_documents(self, documents: Iterable[Document]) -> Iterator[Result]:
        from .relations import link
        stream = ((d.text, d) for d in documents)
        for doc, document in self.nlp.pipe(stream, as_tuples=True, batch_size=self.batch_size):
            yield Result(document, link(doc, document))

    def extract_paths(self, paths: Iterable[str | Path],
                      on_error: Callable[[DocumentError], None] | None = None) -> Iterator[Result]:
        yield from self.extract_documents(read_documents(paths, on_error))


def read_documents(paths: Iterable[str | Path],
                   on_error: Callable[[DocumentError], None] | None = None) -> Iterator[Document]:
    """Documents of every file under ``paths``; a bad file goes to ``on_error`` and is skipped."""
    for path in iter_paths(paths):
        try:
            yield from load_documents(path)
        except DocumentError as e:
            if on_error is None:
                raise
            on_error(e)
