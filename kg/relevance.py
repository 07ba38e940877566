"""Which documents are worth the NLP pipeline: a cheap test over the clean text.

A newswire feed is mostly about other things (about 1 release in 80 is a
biotech one), and the statistical model is the expensive part of a run, so
:func:`kg.ingest.ingest` and ``kg extract`` first ask :class:`RelevanceFilter`
whether a document could hold a fact at all. The test is regular expressions
and set look-ups over the document's clean text, milliseconds per document:

* a ``strong`` cue alone makes a document relevant: a trial phase, clinical
  trial vocabulary, a registry number, a drug regulator, a regulatory filing
  or designation;
* otherwise it needs a ``drug`` cue (a name from the offline drug dictionary,
  a word with an INN stem, a modality such as "antibody" or "siRNA") *and*
  ``context`` cues of at least two kinds (disease, patients, research,
  industry, trial).

The cues are data: ``data/lexicons/relevance_cues.tsv``, plus the lexicons the
recognisers already use (the drug dictionary and ``drug_stoplist.tsv``,
``inn_suffixes.tsv``, ``condition_heads.tsv``, ``condition_abbreviations.tsv``).

A document the filter turns away is still stored: its document node (title,
release date, source, content hash, tickers) with ``cp:screenedOut true``, so
re-ingesting it is a no-op and a researcher can see it was read. A later run
whose filter accepts it (``--no-filter``, or a widened cue list) extracts it.
The filter must not lose facts: on the dev corpus the extraction is the same
with and without it (``tests/test_relevance.py``).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import DataFileError

GROUPS = ("strong", "drug", "context")
CASES = ("any", "exact")
MIN_CONTEXT_KINDS = 2
CUES_FILE = ("lexicons", "relevance_cues.tsv")

_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_RAW_WORD = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")


@dataclass(frozen=True)
class Verdict:
    """The filter's answer for one text: relevant or not, and the cues that decided (``group:kind``)."""

    relevant: bool
    cues: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.relevant


@dataclass(frozen=True)
class Cue:
    group: str
    kind: str
    pattern: str
    case: str


def load_cues(path: Path) -> list[Cue]:
    """The cue file, validated: group and case from the allowed values, patterns that compile."""
    from .nlp.resources import check_choice, load_tsv

    cues = []
    for row in load_tsv(path, ["group", "kind", "pattern", "case"]):
        line = int(row["_line"])
        group = check_choice(path, row, "group", set(GROUPS))
        case = check_choice(path, row, "case", set(CASES))
        if not row["kind"] or not re.fullmatch(r"[a-z][a-z0-9-]*", row["kind"]):
            raise DataFileError(path, line, f"kind {row['kind']!r} must be a short lower-case name (letters, digits, -)")
        if not row["pattern"]:
            raise DataFileError(path, line, "empty pattern")
        try:
            compiled = re.compile(row["pattern"])
        except re.error as e:
            raise DataFileError(path, line, f"bad regular expression {row['pattern']!r}: {e}") from None
        if compiled.match(""):
            raise DataFileError(path, line, f"pattern {row['pattern']!r} matches the empty string")
        cues.append(Cue(group, row["kind"], row["pattern"], case))
    return cues


def _alternation(cues: list[Cue]) -> str:
    return "|".join(f"(?i:{c.pattern})" if c.case == "any" else f"(?:{c.pattern})" for c in cues)


def _bounded(body: str) -> str:
    return r"(?<![\w-])(?:" + body + r")(?![\w-])"


@dataclass
class _Lexicons:
    """The recognisers' own word lists, as the filter reads them."""

    drug_words: frozenset[str]                     # one-word dictionary names
    drug_phrases: frozenset[str]                   # dictionary names of several words
    phrase_starts: frozenset[str]                  # their first words
    phrase_pairs: frozenset[str]                   # their first two words
    condition_words: frozenset[str]
    condition_abbreviations: frozenset[str]


@functools.lru_cache(maxsize=1)
def _lexicons() -> _Lexicons:
    from .nlp.conditions import lexicon as condition_lexicon
    from .nlp.drugs import drug_lexicon

    words, phrases = set(), set()
    for variant in drug_lexicon().variants:
        parts = _WORD.findall(variant)
        if len(parts) == 1 and parts[0] == variant:
            words.add(variant)
        elif len(parts) > 1:
            phrases.add(" ".join(parts))
    heads, _, abbreviations = condition_lexicon()
    return _Lexicons(frozenset(words), frozenset(phrases), frozenset(p.split()[0] for p in phrases),
                     frozenset(" ".join(p.split()[:2]) for p in phrases),
                     frozenset(h for h in heads if " " not in h), frozenset(abbreviations))


class RelevanceFilter:
    """``filter(text)`` -> :class:`Verdict`; built once (it loads the drug dictionary)."""

    def __init__(self, path: str | Path | None = None, min_context_kinds: int = MIN_CONTEXT_KINDS):
        from .nlp.resources import data_path

        self.path = Path(path) if path is not None else data_path(*CUES_FILE)
        cues = load_cues(self.path)
        self.min_context_kinds = min_context_kinds
        strong = _by_kind(c for c in cues if c.group == "strong")
        # one regex answers "any strong cue?" (most documents have none); the kind is looked up after
        self._strong = re.compile(_bounded(_alternation([c for cs in strong.values() for c in cs]))) \
            if strong else None
        self._strong_kinds = {k: re.compile(_bounded(_alternation(cs))) for k, cs in strong.items()}
        self._drug = {k: re.compile(_bounded(_alternation(cs))) for k, cs in
                      _by_kind(c for c in cues if c.group == "drug").items()}
        self._context = {k: re.compile(_bounded(_alternation(cs))) for k, cs in
                         _by_kind(c for c in cues if c.group == "context").items()}
        self.lex = _lexicons()

    def __call__(self, text: str) -> Verdict:
        if self._strong is not None and self._strong.search(text):
            kind = next((k for k, rx in self._strong_kinds.items() if rx.search(text)), "?")
            return Verdict(True, (f"strong:{kind}",))
        low = text.lower()
        seq = _WORD.findall(low)
        drug = self._drug_cue(text, seq)
        if drug is None:
            return Verdict(False)
        context = [f"context:{k}" for k, rx in self._context.items() if rx.search(text)]
        if "context:disease" not in context and self._has_condition_word(text, seq):
            context.append("context:disease")
        return Verdict(len(context) >= self.min_context_kinds, (drug, *context))

    def relevant(self, text: str) -> bool:
        return self(text).relevant

    # -- cues from the recognisers' lexicons -----------------------------------

    def _drug_cue(self, text: str, seq: list[str]) -> str | None:
        from .nlp.drugs import has_inn_stem

        lex = self.lex
        words = set(seq)
        if not words.isdisjoint(lex.drug_words):
            return "drug:dictionary"
        for kind, rx in self._drug.items():
            if rx.search(text):
                return f"drug:{kind}"
        if not words.isdisjoint(lex.phrase_starts):
            starts, pairs, phrases = lex.phrase_starts, lex.phrase_pairs, lex.drug_phrases
            for i in range(len(seq) - 1):
                if seq[i] in starts and f"{seq[i]} {seq[i + 1]}" in pairs \
                        and any(" ".join(seq[i:i + n]) in phrases for n in (2, 3, 4)):
                    return "drug:dictionary"
        if any(has_inn_stem(w) for w in words):
            return "drug:inn-stem"
        return None

    def _has_condition_word(self, text: str, seq: list[str]) -> bool:
        lex = self.lex
        if not lex.condition_words.isdisjoint(seq):
            return True
        return not lex.condition_abbreviations.isdisjoint(_RAW_WORD.findall(text))


def _by_kind(cues) -> dict[str, list[Cue]]:
    out: dict[str, list[Cue]] = {}
    for c in cues:
        out.setdefault(c.kind, []).append(c)
    return out
