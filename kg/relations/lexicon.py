"""The lexicons the linking stages read, loaded and validated once per process.

``relation_cues.tsv``: the words that state a relation ("sponsored by", "in combination with"),
with their position and confidence; ``trial_words.tsv``: the words that name a trial or refer back
to one; ``generic_conditions.tsv``: names of classes of diseases ("cancer"), not indications;
``org_roles.tsv``: the organisation roles each decision passes over; ``rule_confidence.tsv``: the
confidence of each rule's facts. Each stage's own words (``entity_words.tsv``, ``frame_words.tsv``,
``role_words.tsv``, ``fact_words.tsv``) are a :class:`Vocabulary` declared by the stage that reads
it, with the kinds it reads. A bad line fails with the file, the line and the allowed values
(:class:`~kg.errors.DataFileError`); so does a rule id the code asks for and the file lacks.
"""
from __future__ import annotations

import functools
import re
from collections import defaultdict
from dataclasses import dataclass

from ..errors import DataFileError
from ..nlp.organizations import ROLES
from ..nlp.resources import check_choice, data_path, load_tsv

CUE_POSITIONS = ("before", "after", "between", "sentence")
TRIAL_WORD_KINDS = {"trial", "plural", "anaphor", "drug-anaphor", "company-anaphor", "not-clinical", "enrollment"}
GENERIC_KINDS = ("head", "name", "organ")
ROLE_GROUPS = ("not-site", "not-issuer", "not-developer", "not-cue-org", "sponsor-at-site", "not-short-name")
ORG_ROLES = ROLES | {"institution", "company"}
CONFIDENCE_KINDS = ("rule", "factor", "threshold")
CONFIDENCE_FILE = "rule_confidence.tsv"


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
        check_choice(path, row, "position", set(CUE_POSITIONS))
        try:
            conf = float(row["confidence"])
        except ValueError:
            raise DataFileError(path, int(row["_line"]), f"confidence must be a number, got {row['confidence']!r}") from None
        rel[row["relation"]].append((tuple(words(row["cue"])), row["position"], conf))
    wpath = data_path("lexicons", "trial_words.tsv")
    kinds = {}
    for row in load_tsv(wpath, ["word", "kind"]):
        kinds[row["word"].lower()] = check_choice(wpath, row, "kind", TRIAL_WORD_KINDS)
    return Cues({k: tuple(sorted(v, key=lambda c: -len(c[0]))) for k, v in rel.items()}, kinds)


@functools.lru_cache(maxsize=None)
def generic_conditions(kind: str) -> frozenset[str]:
    path = data_path("lexicons", "generic_conditions.tsv")
    rows = load_tsv(path, ["word", "kind"])
    return frozenset(r["word"] for r in rows if check_choice(path, r, "kind", set(GENERIC_KINDS)) == kind)


def words(text: str) -> list[str]:
    """Lower-cased words and punctuation marks, the way cues are written ("u.s" -> "u", ".", "s")."""
    return re.findall(r"\w+(?:[-'\u2019]\w+)*|[^\w\s]", text.lower().replace("\u2019", "'")) or [text.lower()]


class Vocabulary:
    r"""The words of one stage (``word``, ``kind``), loaded on first use.

    ``kinds`` are the kinds the stage reads: a row of any other kind is an error, and so is a
    kind without rows. Regexes keep their shape in code, the words come from the file:
    ``regex(r"\b<<dateline-verb>>\b", re.I)`` puts the words of that kind, escaped, as one
    alternation where ``<<dateline-verb>>`` stands (in the order of the file).
    """

    def __init__(self, name: str, kinds: tuple[str, ...]):
        self.name = name
        self.kinds = kinds
        self._lists: dict[str, tuple[str, ...]] | None = None
        self._sets: dict[str, frozenset[str]] = {}
        self._regexes: dict[tuple[str, int], re.Pattern] = {}

    def words(self, kind: str) -> frozenset[str]:
        if kind not in self._sets:
            self._sets[kind] = frozenset(self.ordered(kind))
        return self._sets[kind]

    def ordered(self, kind: str) -> tuple[str, ...]:
        """The words of ``kind`` in the order of the file."""
        if self._lists is None:
            self._lists = load_vocabulary(data_path("lexicons", self.name), self.kinds)
        if kind not in self._lists:
            raise KeyError(f"{self.name} has no kind {kind!r} (kinds: {', '.join(self.kinds)})")
        return self._lists[kind]

    def regex(self, template: str, flags: int = 0) -> re.Pattern:
        key = (template, flags)
        if key not in self._regexes:
            alternation = lambda m: "(?:" + "|".join(re.escape(w) for w in self.ordered(m.group(1))) + ")"  # noqa: E731
            self._regexes[key] = re.compile(re.sub(r"<<([\w-]+)>>", alternation, template), flags)
        return self._regexes[key]

    def cache_clear(self) -> None:
        self._lists = None
        self._sets.clear()
        self._regexes.clear()


def load_vocabulary(path, kinds: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """kind -> its words in file order, from a ``word``/``kind`` lexicon; every kind must have a row."""
    lists: dict[str, list[str]] = {k: [] for k in kinds}
    for row in load_tsv(path, ["word", "kind"]):
        lists[check_choice(path, row, "kind", set(kinds))].append(row["word"])
    empty = [k for k, v in lists.items() if not v]
    if empty:
        raise DataFileError(path, None, f"no words of kind {', '.join(empty)}", kinds)
    return {k: tuple(v) for k, v in lists.items()}


@functools.lru_cache(maxsize=None)
def org_roles(group: str) -> frozenset[str]:
    """The organisation roles a decision passes over (``org_roles.tsv``), e.g. ``not-site``."""
    path = data_path("lexicons", "org_roles.tsv")
    groups: dict[str, set[str]] = {g: set() for g in ROLE_GROUPS}
    for row in load_tsv(path, ["group", "role"]):
        groups[check_choice(path, row, "group", set(ROLE_GROUPS))].add(check_choice(path, row, "role", ORG_ROLES))
    return frozenset(groups[group])


@functools.lru_cache(maxsize=1)
def rule_confidences() -> dict[str, tuple[str, float]]:
    """rule id -> (kind, confidence) from ``rule_confidence.tsv``; a number in [0, 1], each id once."""
    path = data_path("lexicons", CONFIDENCE_FILE)
    out: dict[str, tuple[str, float]] = {}
    for row in load_tsv(path, ["rule", "kind", "confidence"]):
        line = int(row["_line"])
        kind = check_choice(path, row, "kind", set(CONFIDENCE_KINDS))
        try:
            value = float(row["confidence"])
        except ValueError:
            value = -1.0
        if not 0 <= value <= 1:
            raise DataFileError(path, line, f"confidence must be a number in [0, 1], got {row['confidence']!r}")
        if row["rule"] in out:
            raise DataFileError(path, line, f"rule {row['rule']!r} is given twice")
        out[row["rule"]] = (kind, value)
    return out


def confidence(rule: str, kind: str = "rule") -> float:
    """The confidence of the facts ``rule`` states (or the ``factor`` / ``threshold`` of that name)."""
    entry = rule_confidences().get(rule)
    if entry is None or entry[0] != kind:
        raise DataFileError(data_path("lexicons", CONFIDENCE_FILE), None,
                            f"the linking rules ask for the {kind} {rule!r}, which is not in the file: "
                            f"add a line '{rule}<TAB>{kind}<TAB><confidence in [0, 1]>'")
    return entry[1]


def factor(name: str) -> float:
    return confidence(name, "factor")
