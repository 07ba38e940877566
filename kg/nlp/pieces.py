"""Long documents through the statistical model in pieces, so memory does not grow with a document's length.

spaCy's model keeps arrays for every token of the text it is given: on this
project's machines ``en_core_web_sm`` takes about 160 MB more to read one
7,700-word release than a short one, and refuses texts over
``nlp.max_length`` characters altogether. The model's work is local to a
sentence, and every line break already starts a sentence in this pipeline
(``kg_paragraph_boundaries``), so :func:`pipe` cuts a long text after line
breaks into pieces of about :data:`MAX_PIECE_CHARS` characters, runs the
*local* components (the model, up to and including ``ner``, with the
paragraph boundaries) on each piece, joins the pieces into one ``Doc`` with
:meth:`spacy.tokens.Doc.from_docs` (tags, parses, sentence starts and
entities kept, the text character for character the same), and runs the
project's *document-level* components (``kg_sections`` onwards: zones,
abbreviations, entities, context) on the whole document.

A piece ends after a line break and the next one starts at a non-space
character, so the tokens at a cut are the tokens the whole text would have
had there. A text without a line break where a cut is wanted is cut at the
next one, if that comes within :data:`MAX_LINE_CHARS`; a longer line (a text
of megabytes without a line break) is cut after the end of a sentence
(". "), else after a space, right before the next word; only a run of that
many characters without a space before a word is cut inside it. No piece is longer than
``nlp.max_length``, so no text is too long for the model.
"""
from __future__ import annotations

import logging
import re
from typing import Iterable, Iterator, TypeVar

from spacy.tokens import Doc

log = logging.getLogger(__name__)

MAX_PIECE_CHARS = 10_000        # about 1,500 words: the model's memory for a piece stays in tens of MB
MAX_LINE_CHARS = 50_000         # a line up to this long is not cut inside
WHOLE_DOCUMENT_FROM = "kg_sections"     # this component and those after it read the whole document

T = TypeVar("T")
_CUT = re.compile(r"\n\s*(?=\S)")   # a line break, then the spaces before the next line's text
# a sentence's end, then spaces; spaces after a word (each run of spaces tried once: no backtracking, however
# long the run)
_SENTENCE_CUT = re.compile(r"[.!?][\"')\]\u201d\u2019]*+\s++(?=\S)")
_SPACE_CUT = re.compile(r"(?<!\s)\s++(?=\S)")


def cut_points(text: str, max_chars: int = MAX_PIECE_CHARS, max_line: int = MAX_LINE_CHARS) -> list[int]:
    """Where the pieces of ``text`` end (the last is ``len(text)``).

    Each cut is right before the first non-space character after a line
    break: at the last blank line within ``max_chars`` of the piece's start,
    else at the last line break, else at the first line break after it, if
    the piece stays within ``max_line`` characters. A line longer than that is
    cut right before a word: after the last sentence end within ``max_chars``,
    else after the last space, else after the first space; a piece never
    exceeds ``max(max_chars, max_line)`` characters.
    """
    n = len(text)
    max_line = max(max_line, max_chars)
    cuts: list[int] = []
    start = 0
    while n - start > max_chars:
        limit = start + max_chars
        cut = _line_cut(text, start, limit)
        if cut is None and n - start > max_line:
            m = _CUT.search(text, limit, start + max_line)
            cut = m.end() if m else _inline_cut(text, start, limit, start + max_line)
        elif cut is None:
            m = _CUT.search(text, limit)
            if m is None:
                break                   # the rest is one line, short enough to read whole
            cut = m.end()
        if cut <= start or cut >= n:
            break
        cuts.append(cut)
        start = cut
    cuts.append(n)
    return cuts


def _line_cut(text: str, start: int, limit: int) -> int | None:
    """The cut after the last blank line in ``text[start + 1:limit]``, else after its last line break."""
    best = blank = None
    for m in _CUT.finditer(text, start + 1, limit):
        best = m.end()
        if "\n" in m.group(0)[1:]:
            blank = m.end()
    return blank or best


def _inline_cut(text: str, start: int, limit: int, hard: int) -> int:
    """A cut inside a long line: after the last sentence end before ``limit``, else after its last space,
    else after the first space up to ``hard``, else at ``hard`` itself."""
    for rx in (_SENTENCE_CUT, _SPACE_CUT):
        last = None
        for m in rx.finditer(text, start + 1, limit):
            last = m
        if last is not None:
            return last.end()
    m = _SPACE_CUT.search(text, limit, hard)
    return m.end() if m else hard


def local_and_whole(nlp) -> tuple[list[str], list[str]]:
    """The components that run on pieces, and those that run on the whole document."""
    names = list(nlp.pipe_names)
    split = names.index(WHOLE_DOCUMENT_FROM) if WHOLE_DOCUMENT_FROM in names else len(names)
    return names[:split], names[split:]


def pipe(nlp, items: Iterable[tuple[str, T]], batch_size: int = 16,
         max_chars: int = MAX_PIECE_CHARS) -> Iterator[tuple[Doc, T]]:
    """``nlp.pipe(items, as_tuples=True)``, reading long texts in pieces; results in the order of ``items``."""
    local, whole = local_and_whole(nlp)
    whole_pipes = [nlp.get_pipe(name) for name in whole]
    max_line = min(MAX_LINE_CHARS, nlp.max_length)      # a longer text makes the model raise E088
    max_chars = min(max_chars, max_line)

    def pieces():
        for text, context in items:
            start = 0
            cuts = cut_points(text, max_chars, max_line)
            for k, end in enumerate(cuts):
                yield text[start:end], (context, text, k == len(cuts) - 1)
                start = end

    parts: list[Doc] = []
    for doc, (context, text, last) in nlp.pipe(pieces(), as_tuples=True, batch_size=batch_size, disable=whole):
        parts.append(doc)
        if not last:
            continue
        doc = parts[0] if len(parts) == 1 else _join(nlp, parts, text, local)
        parts = []
        for component in whole_pipes:
            doc = component(doc)
        yield doc, context


def process(nlp, text: str, max_chars: int = MAX_PIECE_CHARS) -> Doc:
    """``nlp(text)``, reading a long text in pieces."""
    return next(pipe(nlp, [(text, None)], batch_size=1, max_chars=max_chars))[0]


def _join(nlp, parts: list[Doc], text: str, local: list[str]) -> Doc:
    doc = Doc.from_docs(parts, ensure_whitespace=False)
    if doc.text != text:            # cannot happen with cuts before a non-space; never give wrong offsets
        if len(text) > nlp.max_length:
            raise RuntimeError(f"pieces of a {len(text)}-character text did not join up")
        log.warning("pieces of a %d-character text did not join up; reading it whole", len(text))
        with nlp.select_pipes(enable=local):
            doc = nlp(text)
    return doc
