"""IRI minting: the only place IRIs of entities, trials and documents are made.

IRIs are stable (a function of the entity type and its normalised canonical
name, so "GTI-2040" is one node in every document's graph), percent-safe
(a readable slug plus, when the slug had to drop characters, a short hash of
the full key, so two names never collide on one slug), and never built with
``name.replace(" ", "_")``.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Collection

from rdflib import URIRef

from ..records import normalize_name
from ..schema import TYPES
from .namespace import DOC, ID

#: entity type -> the folder of its IRIs under cpid: (kg.schema)
TYPE_PATHS = {t.name: t.iri_path for t in TYPES.values()}
_TRIALS = TYPES["ClinicalTrial"].iri_path


def slug(text: str, limit: int = 60) -> str:
    s = unicodedata.normalize("NFKD", text)
    s = s.encode("ascii", "ignore").decode("ascii").lower()
    s = re.sub(r"[^a-z0-9]+", "-", s).strip("-")
    return s[:limit].rstrip("-") or "x"


def _digest(text: str, n: int = 8) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:n]


def entity_iri(key: str) -> URIRef:
    """IRI of an entity from its key ``"Type|normalised name"``."""
    etype, _, name = key.partition("|")
    if etype not in TYPE_PATHS:
        raise ValueError(f"unknown entity type in key {key!r}")
    # spaces and hyphens are one separator ("non-small cell" = "non small cell", "GTI 2040" = "GTI-2040")
    canon = re.sub(r"[\s-]+", "-", normalize_name(name)).strip("-")
    s = slug(canon)
    # the slug alone only when it spells the name faithfully; otherwise a hash of the name keeps names apart
    local = s if re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", canon) and s == canon else f"{s}-{_digest(canon)}"
    return ID[f"{TYPE_PATHS[etype]}/{local}"]


#: trial registry numbers: ClinicalTrials.gov, EU (EudraCT), ISRCTN, Australian New Zealand (ANZCTR)
REGISTRY_NUMBER = re.compile(r"NCT\d{8}|\d{4}-\d{6}-\d{2}|ISRCTN\d+|ACTRN\d+")


def registry_number(names: list[str] | None) -> str | None:
    """The first of a trial's names that is a registry number, or None."""
    return next((n for n in names or [] if REGISTRY_NUMBER.fullmatch(n)), None)


def trial_design_key(drugs: Collection[str], phase: str, conditions: Collection[str]) -> str:
    """What a trial is, as the release says it: main phase, studied drugs, conditions (their IRIs).

    Sorted, so the order a release names them in does not matter; IRIs, so neither does its spelling.
    """
    iris = lambda nodes: " ".join(sorted({str(n) for n in nodes}))
    return f"{phase}|{iris(drugs)}|{iris(conditions)}"


def trial_iri(doc_id: str, trial_id: str, names: list[str] | None = None,
              drugs: Collection[str] = (), phase: str | None = None, conditions: Collection[str] = ()) -> URIRef:
    """The trial's IRI, from what the release says of it and nothing else, so any order of ingestion gives one graph.

    A registry number (NCT..., EudraCT, ISRCTN, ACTRN) or else a trial name names the trial
    across documents. Without one, its design does: the same studied drugs (entity keys), main
    phase and conditions are one trial in every release (:func:`trial_design_key`). A trial the
    release says less of is the document's own: "a trial of X" alone cannot tell one trial from another.
    """
    number = registry_number(names)
    if number:
        return ID[f"{_TRIALS}/{slug(number)}"]
    if names:
        return ID[f"{_TRIALS}/{slug(names[0])}-{_digest(normalize_name(names[0]))}"]
    if drugs and phase and conditions:
        return design_trial_iri([entity_iri(k) for k in drugs], phase, [entity_iri(k) for k in conditions])
    return ID[f"{_TRIALS}/{doc_id}-{trial_id}"]


def design_trial_iri(drugs: Collection[str], phase: str, conditions: Collection[str]) -> URIRef:
    """The IRI of the trial of a design: its studied drugs' and conditions' IRIs and its main phase
    (:func:`trial_design_key`), so a graph's own facts give it again (:mod:`kg.rdf.designs`)."""
    locals_ = lambda nodes: sorted({str(n).rsplit("/", 1)[-1] for n in nodes})
    words = [phase, *locals_(drugs), *locals_(conditions)]
    return ID[f"{_TRIALS}/{slug(' '.join(words))}-{_digest(trial_design_key(drugs, phase, conditions))}"]


def document_iri(doc_id: str) -> URIRef:
    return DOC[doc_id]


def statement_iri(doc_id: str, n: int) -> URIRef:
    """The ``n``-th evidence statement of a document: ``cpdoc:<doc>-evidence-<n>``, a prefixed name that
    Turtle, TriG and a query take as written (a ``/`` in it would have to be escaped)."""
    return DOC[f"{doc_id}-evidence-{n}"]
