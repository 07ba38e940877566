"""The registry of entity types and relations: what the graph holds, declared once.

The records (:mod:`kg.records`), the IRIs (:mod:`kg.rdf.iris`), the graph builder
(:mod:`kg.rdf.build`), the export (:mod:`kg.export`), the command line (``--view``),
``kg explain``'s colours and the ontology checks (``tests/test_ontology.py``) read
these tables instead of keeping lists of their own. Adding a relation means a line in :data:`RELATIONS`, its term in
the closed namespace (:class:`kg.rdf.namespace.CP`) and in ``ontology/cpkg.ttl`` and
``shapes.ttl`` (the tests check all three agree with this module), the rules that
state it, and their tests.

Plain data, no rdflib: the command line reads the view names before anything heavy is
imported. ``.iri`` gives a term's ``cp:`` IRI (through the closed namespace, so a name
this module misspells is an error, not a new IRI).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rdflib import URIRef


@dataclass(frozen=True)
class EntityType:
    """A kind of node: ``name`` is also the local name of its ``cp:`` class."""

    name: str
    iri_path: str                   # the folder of its minted IRIs under cpid: ("drug" -> cpid:drug/...)
    key_prefix: str | None          # what its record keys start with ("Drug|gti-2040"); None: no keyed records
    colour: str | None = None       # Gephi colour; None: drawn (and typed in exports) as its parent
    parent: str | None = None       # its class is a subclass of the parent's, and typed with both in the data
    span_label: str | None = None   # the spaCy entity label of its mentions

    @property
    def node_type(self) -> str:
        """The ``type`` attribute of its nodes in the exports (a cp:Company is an Organization)."""
        return self.parent or self.name

    @property
    def classes(self) -> tuple[str, ...]:
        """The classes an entity of this type is typed with (``rdf:type``), its own first."""
        return (self.name, self.parent) if self.parent else (self.name,)

    @property
    def iri(self) -> URIRef:
        return _cp(self.name)


@dataclass(frozen=True)
class TrialJoin:
    """A relation also stated for every (subject, object) pair one trial links through two of its relations."""

    subject_leg: str                # trial relation whose objects are the subjects ("studiesDrug")
    object_leg: str                 # trial relation whose objects are the objects ("studiesCondition")
    rule: str                       # cp:rule of the statement (its evidence is the object leg's sentence)


@dataclass(frozen=True)
class Relation:
    """A fact property: ``name`` is the local name of its ``cp:`` property and the Gephi edge label."""

    name: str
    subject: str                    # entity type of the subject
    object: str                     # entity type of the object, or "xsd:string" / "xsd:integer" for a literal
    trial_attr: str | None = None   # the records.Trial attribute that carries it; None: a drug-level Assertion
    single: bool = False            # at most one value per trial and document (a scalar Trial attribute);
                                    # the export keeps the latest document's value instead of joining them
    node_attribute: str | None = None   # literal-valued: the export's node attribute for its values
    implied_by: TrialJoin | None = None

    @property
    def literal(self) -> bool:
        return self.object.startswith("xsd:")

    @property
    def datatype(self) -> str | None:
        """The XSD local name of a literal-valued relation's values ("string", "integer")."""
        return self.object[len("xsd:"):] if self.literal else None

    @property
    def iri(self) -> URIRef:
        return _cp(self.name)


@dataclass(frozen=True)
class View:
    """An export view: the relations it draws its edges from."""

    name: str
    relations: tuple[str, ...]
    edge_label: str | None = None   # the label of its edges when they are not the relations' own
    directed: bool = True


#: entity types by name, in the order the export's legend lists their colours
#: (colours: Paul Tol's "bright" qualitative scheme, safe for colour-blind readers)
TYPES: dict[str, EntityType] = {t.name: t for t in (
    EntityType("Drug", "drug", "Drug", colour="#4477AA", span_label="DRUG"),               # blue
    EntityType("Target", "target", "Target", colour="#EE6677", span_label="TARGET"),       # red
    EntityType("Condition", "condition", "Condition", colour="#228833", span_label="CONDITION"),  # green
    EntityType("ClinicalTrial", "trial", None, colour="#CCBB44"),                          # yellow
    EntityType("Organization", "org", "Organization", colour="#AA3377", span_label="ORG"),  # purple
    EntityType("Company", "org", "Organization", parent="Organization"),
)}

#: the type a node typed with several classes gets in the exports, first match wins
NODE_TYPE_PRECEDENCE: tuple[str, ...] = ("ClinicalTrial", "Drug", "Target", "Condition", "Organization")

#: the contract's fact properties (CONTRACT.md section 1) by name, in the order the builder states a
#: trial's facts
RELATIONS: dict[str, Relation] = {r.name: r for r in (
    Relation("targets", "Drug", "Target"),
    Relation("investigatedFor", "Drug", "Condition",
             implied_by=TrialJoin("studiesDrug", "studiesCondition", "trial.investigated-for")),
    Relation("developedBy", "Drug", "Organization"),
    Relation("mechanismOfAction", "Drug", "xsd:string", node_attribute="mechanism"),
    Relation("studiesDrug", "ClinicalTrial", "Drug", trial_attr="drugs"),
    Relation("combinationPartner", "ClinicalTrial", "Drug", trial_attr="partners"),
    Relation("studiesCondition", "ClinicalTrial", "Condition", trial_attr="conditions"),
    Relation("site", "ClinicalTrial", "Organization", trial_attr="sites"),
    Relation("sponsor", "ClinicalTrial", "Organization", trial_attr="sponsors"),
    Relation("phase", "ClinicalTrial", "xsd:string", trial_attr="phases", node_attribute="phase"),
    Relation("status", "ClinicalTrial", "xsd:string", trial_attr="status", single=True,
             node_attribute="status"),
    Relation("enrollment", "ClinicalTrial", "xsd:integer", trial_attr="enrollment", single=True,
             node_attribute="enrollment"),
)}

#: a trial's stated sub-phase ("Phase 2a" beside its cp:phase "Phase 2"): no fact of the contract, but a
#: literal the exports carry as a trial's node attribute ``sub_phase``
SUB_PHASE_RELATION = Relation("subPhase", "ClinicalTrial", "xsd:string", node_attribute="sub_phase")

#: relations between two entities (graph edges), and relations to a literal (node attributes)
ENTITY_RELATIONS: tuple[Relation, ...] = tuple(r for r in RELATIONS.values() if not r.literal)
LITERAL_RELATIONS: tuple[Relation, ...] = tuple(r for r in RELATIONS.values() if r.literal)
#: relations a trial carries (records.Trial attributes), and drug-level assertions (records.Assertion)
TRIAL_RELATIONS: tuple[Relation, ...] = tuple(r for r in RELATIONS.values() if r.trial_attr)
ASSERTED_RELATIONS: tuple[Relation, ...] = tuple(r for r in RELATIONS.values() if not r.trial_attr)

#: the Trial attributes whose values are entity keys (drugs, partners, conditions, sites, sponsors)
TRIAL_ENTITY_ATTRS: tuple[str, ...] = tuple(r.trial_attr for r in TRIAL_RELATIONS if not r.literal)

#: the contract's values of ``cp:phase`` (CONTRACT.md); a stated sub-phase ("Phase 2a") is a ``cp:subPhase``
PHASES: tuple[str, ...] = ("Phase 1", "Phase 1/2", "Phase 2", "Phase 2/3", "Phase 3", "Phase 4")
ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4"}
#: a stated sub-phase, the values of ``cp:subPhase`` ("Phase 2a", "Phase 1b/2", "Phase 1/2a"; shapes.ttl checks the same)
SUB_PHASE = re.compile(r"Phase (?:[1-4][ab](?:/[1-4][ab]?)?|[1-4]/[1-4][ab])")


def main_phase(value: str) -> str:
    """ "Phase IIa" -> "Phase 2", "Phase 1b/2" -> "Phase 1/2": the contract's value of a stated phase
    (a value outside :data:`PHASES`, "Phase 0", stays as it is)."""
    s = re.sub(r"^(phase|ph\.?)\s*", "", str(value).strip().casefold())
    out = []
    for p in re.split(r"\s*[/-]\s*|\s+and\s+", s):
        m = re.fullmatch(r"(i{1,3}|iv)([ab]?)", p.strip())
        p = ROMAN[m.group(1)] + m.group(2) if m else p.strip()
        out.append(re.sub(r"(?<=\d)[ab]$", "", p))
    return "Phase " + "/".join(dict.fromkeys(out))


def phase_parts(value: str) -> tuple[str, str | None]:
    """A trial's phase as the graph states it: (its ``cp:phase``, its ``cp:subPhase`` or None).

    "Phase 1b/2" -> ("Phase 1/2", "Phase 1b/2"), "Phase 2/2b" -> ("Phase 2", "Phase 2/2b"); a value that
    is no sub-phase ("Phase 2") is its own ``cp:phase``.
    """
    return (main_phase(value), value) if SUB_PHASE.fullmatch(value) else (value, None)


#: where a document's release date (``dcterms:issued``) was read, most trusted first: the values of
#: ``cp:dateSource`` (kg/documents.py reads them in this order; the last only stands in for a date the
#: release does not carry)
DATE_SOURCES: tuple[str, ...] = ("edgar-header", "html-meta", "dateline", "body", "file-modified")
FILE_DATE_SOURCE = DATE_SOURCES[-1]

#: the entity type of each spaCy entity label of the pipeline ("DRUG" -> "Drug")
SPAN_TYPES: dict[str, str] = {t.span_label: t.name for t in TYPES.values() if t.span_label}

#: the export's views (``kg export --view``; what each draws is described in kg/export.py)
VIEWS: dict[str, View] = {v.name: v for v in (
    View("full", tuple(r.name for r in ENTITY_RELATIONS)),        # every entity and every edge
    View("drug-target", ("targets",)),
    View("drug-condition", ("investigatedFor",)),                 # with the trials implying it
    View("sites", ("site", "studiesDrug"), edge_label="sharesDrug", directed=False),  # sites sharing a drug
)}


def key_prefix(etype: str) -> str:
    """What the keys of records of ``etype`` start with (a Company's are an Organization's).

    A type the registry does not know is its own prefix; :func:`kg.rdf.iris.entity_iri` rejects its keys.
    """
    t = TYPES.get(etype)
    return t.key_prefix if t is not None and t.key_prefix else etype


def _cp(name: str):
    from .rdf.namespace import CP

    return CP[name]
