"""The cue lexicons the linking stages read, loaded and validated once per process.

``relation_cues.tsv``: the words that state a relation ("sponsored by", "in combination with"),
with their position and confidence; ``trial_words.tsv``: the words that name a trial or refer back
to one; ``generic_conditions.tsv``: names of classes of diseases ("cancer"), not indications.
A bad line fails with the file, the line and the allowed values (:class:`~kg.errors.DataFileError`).
"""
from __future__ import annotations

import functools
import re
from collections import defaultdict
from dataclasses import dataclass

from ..errors import DataFileError
from ..nlp.resources import data_path, load_tsv

CUE_POSITIONS = ("before", "after", "between", "sentence")
TRIAL_WORD_KINDS = {"trial", "plural", "anaphor", "drug-anaphor", "company-anaphor", "not-clinical", "enrollment"}
GENERIC_KINDS = ("head", "name", "organ")


@dataclass(frozen=True, eq=False)
class Cues:
    by_relation: dict[str, tuple[tuple[tuple[str, ...], str, float], ...]]
    words: dict[str, str]

    def cues(self, relation: str, position: str | None = None):
        return [c for c in self.by_relation.get(relation, ()) if position is None or c[1] == position]

    def phrases(self, relation: str, position: str) -> list[str]:
        """The relation's cues at ``position`` as lower-case phrases, longest first."""
        return [" ".join(c) for c, _, _ in self.cues(relation, position)]

    def sentence_regex(self, relation: str) -> re.Pattern:
        """The relation's sentence-wide cues as one case-insensitive regex."""
        return _cue_regex(self, relation, "sentence")

    def before_regex(self, relation: str) -> re.Pattern:
        """The relation's cues that end right before their argument ("developed by ...")."""
        return _cue_regex(self, relation, "before")

    def kind(self, phrase: str) -> str | None:
        return self.words.get(phrase.lower())


@functools.lru_cache(maxsize=None)
def _cue_regex(cues: "Cues", relation: str, position: str) -> re.Pattern:
    phrases = sorted(cues.phrases(relation, position), key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in phrases) + r")(?![\w-])",
                      re.I)


@functools.lru_cache(maxsize=1)
def cue_lexicon() -> Cues:
    path = data_path("lexicons", "relation_cues.tsv")
    rel: dict[str, list] = defaultdict(list)
    for row in load_tsv(path, ["relation", "cue", "position", "confidence"]):
        if row["position"] not in CUE_POSITIONS:
            raise DataFileError(path, int(row["_line"]), f"position {row['position']!r} is not valid", CUE_POSITIONS)
        try:
            conf = float(row["confidence"])
        except ValueError:
            raise DataFileError(path, int(row["_line"]), f"confidence must be a number, got {row['confidence']!r}") from None
        rel[row["relation"]].append((tuple(words(row["cue"])), row["position"], conf))
    wpath = data_path("lexicons", "trial_words.tsv")
    kinds = {}
    for row in load_tsv(wpath, ["word", "kind"]):
        if row["kind"] not in TRIAL_WORD_KINDS:
            raise DataFileError(wpath, int(row["_line"]), f"kind {row['kind']!r} is not valid", TRIAL_WORD_KINDS)
        kinds[row["word"].lower()] = row["kind"]
    return Cues({k: tuple(sorted(v, key=lambda c: -len(c[0]))) for k, v in rel.items()}, kinds)


@functools.lru_cache(maxsize=None)
def generic_conditions(kind: str) -> frozenset[str]:
    path = data_path("lexicons", "generic_conditions.tsv")
    rows = load_tsv(path, ["word", "kind"])
    for r in rows:
        if r["kind"] not in GENERIC_KINDS:
            raise DataFileError(path, int(r["_line"]), f"kind {r['kind']!r} is not valid", GENERIC_KINDS)
    return frozenset(r["word"] for r in rows if r["kind"] == kind)


def words(text: str) -> list[str]:
    """Lower-cased words and punctuation marks, the way cues are written ("u.s" -> "u", ".", "s")."""
    return re.findall(r"\w+(?:[-'\u2019]\w+)*|[^\w\s]", text.lower().replace("\u2019", "'")) or [text.lower()]
