"""The linking rules: the entities of one release linked into the contract's facts, stage by stage.

Input: a processed spaCy ``Doc`` (entities, zones, abbreviations, context cues) and its
:class:`~kg.documents.Document`. Output: an :class:`~kg.records.Extraction` of entities, trials
and assertions, each assertion carrying its evidence sentence and the id of the rule that made it.

:class:`Linker` runs the stages in order, one module each, data flowing one way:

1. :mod:`~kg.relations.entities`: mentions clustered into entities by canonical name, alias
   connectors ("X (formerly Y)", "Brand (generic)") and abbreviations; the issuing company found
   in the dateline, "the Company" and short names resolved to it;
2. :mod:`~kg.relations.frames`: every sentence that describes a clinical trial (a phase, a trial
   noun, a trial name), a site or a sponsor gives a frame of drugs, partner drugs, conditions,
   sites, sponsors, phase, status and enrollment; a list of "condition at institution" pairs
   gives one frame per pair (the part each mention plays: :mod:`~kg.relations.roles`);
3. :mod:`~kg.relations.trials`: frames merged into trials when they refer back ("the study") or
   describe the same drug, condition and phase;
4. :mod:`~kg.relations.drug_facts`: drug facts outside trials: targets (from the target frames),
   indications, developers (possessives, "developed by", the issuing company for its own drugs);
5. :mod:`~kg.relations.trials` again: sponsors by default, the issuing company sponsors trials of
   its own drugs unless the release says the trial is investigator-sponsored.

:mod:`~kg.relations.mentions` indexes the document for all of them (mentions by sentence, zones,
context, evidence). Cue words and confidences are data, loaded by :mod:`~kg.relations.lexicon`:
``data/lexicons/relation_cues.tsv`` and ``trial_words.tsv`` (cues of relations and trials),
``entity_words.tsv``, ``frame_words.tsv``, ``role_words.tsv``, ``fact_words.tsv`` (each stage's
words), ``org_roles.tsv`` (roles each decision passes over), ``number_words.tsv``, and
``rule_confidence.tsv`` (the confidence of each rule's facts). Context (negation, hypotheticals,
status) comes from the ``kg_context`` component.
"""
from __future__ import annotations

from spacy.tokens import Doc, Span

from ..documents import Document
from ..records import Entity, Evidence, Extraction
from ..schema import TRIAL_ENTITY_ATTRS
from .drug_facts import developer_facts, indication_facts, target_facts
from .entities import link_entities
from .frames import sentence_frames
from .lexicon import cue_lexicon
from .mentions import DocumentIndex
from .roles import generic_name
from .trials import TrialBuilder, partner_only, trial_facts
from .values import normalize_phase, parse_count

__all__ = ["Linker", "cue_lexicon", "normalize_phase", "parse_count"]


class Linker:
    """Decides the facts of one document. See the module docstring for the order of the stages.

    After :meth:`run`, the candidates and the scorer read what the stages found: ``x``,
    ``all_entities``, ``mentions``, ``by_sent``, ``drug_owner``, ``trial_drugs``.
    """

    def __init__(self, doc: Doc, document: Document):
        self.index = ix = DocumentIndex(doc, document)
        self.doc = doc
        self.document = document
        self.text = ix.text
        self.sents = ix.sents
        self.cues = ix.cues
        self.mentions = ix.mentions
        self.by_sent = ix.by_sent
        self.x = Extraction(document.id, document.source, dict(document.meta))
        self.all_entities: dict[str, Entity] = {}
        self.drug_owner: dict[str, str] = {}
        self.trial_drugs: set[str] = set()
        self.partner_only: set[str] = set()

    def run(self) -> Extraction:
        ix, x = self.index, self.x
        units = link_entities(ix, x)
        frames, sentence_drug = sentence_frames(ix, x, units)
        builder = TrialBuilder(ix, x)
        trials = builder.build(frames, sentence_drug)
        self.trial_drugs = builder.trial_drugs
        self.partner_only = partner_only(trials, self.trial_drugs)
        target_facts(ix, x, builder.focus_drug)
        indication_facts(ix, x)
        self.drug_owner = developer_facts(ix, x, self.trial_drugs, self.partner_only)
        trial_facts(x, trials, self.drug_owner, builder.investigator_sponsored)
        self.all_entities = dict(x.entities)     # the scorer's pair candidates may use any of them
        self._prune_entities()
        return x

    # what the candidates, features and scoring read of the document
    def sidx(self, span: Span) -> int:
        return self.index.sidx(span)

    def zone(self, sent: Span) -> str | None:
        return self.index.zone(sent)

    def usable(self, sent: Span) -> bool:
        return self.index.usable(sent)

    def evidence(self, sent: Span, rule: str, confidence: float) -> Evidence:
        return self.index.evidence(sent, rule, confidence)

    def _sentence_context(self, sent: Span) -> dict[str, str]:
        return self.index.sentence_context(sent)

    @staticmethod
    def _generic_name(name: str) -> bool:
        return generic_name(name)

    def _prune_entities(self) -> None:
        """Keep the entities some fact uses (the graph describes the pipeline, not every name)."""
        used = set(self.x.companies)
        for a in self.x.assertions:
            used.add(a.subject)
            if not a.literal:
                used.add(a.object)
        for t in self.x.trials:
            used.update(*(getattr(t, attr) for attr in TRIAL_ENTITY_ATTRS))
        self.x.entities = {k: e for k, e in self.x.entities.items() if k in used}
