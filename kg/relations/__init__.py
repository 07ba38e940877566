"""Link the entities of one release into the contract's facts: rules propose, a learned scorer decides.

Stages, one module each, data flowing one way:

``rules``        the linking rules, one module per stage (``mentions``, ``entities``, ``frames``,
                 ``trials``, ``drug_facts``; ``roles``, ``lexicon``, ``values`` beside them): entities
                 and the issuer, trial frames per sentence, trials merged across sentences, drug facts,
                 default sponsors -> an :class:`~kg.records.Extraction`
``grounding``    identifiers from standard vocabularies (targets -> HGNC genes)
``candidates``   the facts that extraction states, plus the pairs a sentence names that no rule linked
``features``     what the scorer reads of each candidate fact
``scoring``      the calibrated probability of each fact (a model built by ``make train``); the facts
                 above the threshold, and the trials they need, make the extraction returned
``identity``     one key per real thing: entities re-keyed by their identifiers (a target by its HGNC
                 symbol), broader conditions added; the same release always gives the same keys

:func:`link` runs them all; ``scorer=None`` stops after the rules.
"""
from __future__ import annotations

from spacy.tokens import Doc

from ..documents import Document
from ..records import Extraction
from .lexicon import cue_lexicon
from .rules import Linker
from .values import normalize_phase, parse_count

DEFAULT = "default"

__all__ = ["DEFAULT", "Linker", "cue_lexicon", "link", "link_many", "linked", "normalize_phase", "parse_count"]


def linked(doc: Doc, document: Document) -> Linker:
    """The rules and the grounding stage run over one document; the linker holds their extraction."""
    from .grounding import ground_targets

    linker = Linker(doc, document)
    linker.run()
    ground_targets(linker.all_entities)
    return linker


def link(doc: Doc, document: Document, scorer=DEFAULT) -> Extraction:
    """All facts of one document (pure: no I/O).

    ``scorer``: the trained fact scorer (:func:`kg.relations.scoring.load_scorer`) by default, a
    :class:`~kg.relations.scoring.ScorerModel`, or None for the rules' extraction alone.
    """
    return link_many([(doc, document)], scorer)[0]


def link_many(items: list[tuple[Doc, Document]], scorer=DEFAULT) -> list[Extraction]:
    """:func:`link` over several documents, their candidate facts scored in one call of the model."""
    from .identity import resolve
    from .scoring import load_scorer, score

    linkers = [linked(doc, document) for doc, document in items]
    model = load_scorer() if scorer == DEFAULT else scorer
    return [resolve(x) for x in ([linker.x for linker in linkers] if model is None else score(linkers, model))]
