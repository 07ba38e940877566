"""Typed records passed from the linker (kg/relations.py) to the RDF builder (kg/rdf/).

Entities are identified by a ``key``: the entity type's key prefix plus a
normalised canonical name (``"Drug|gti-2040"``). The key is what the RDF layer
mints the IRI from, so the same thing gets the same IRI in every document.
The types, their key prefixes, and which :class:`Trial` attribute or
:class:`Assertion` predicate carries each relation are declared in :mod:`kg.schema`.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from .schema import TYPES, key_prefix

#: the types an :class:`Entity` can have (kg.schema: the types with keyed records)
ENTITY_TYPES = tuple(t.name for t in TYPES.values() if t.key_prefix)


def normalize_name(name: str) -> str:
    """The comparison form of a name: NFKC, case-folded, marks and punctuation spacing unified."""
    s = unicodedata.normalize("NFKC", name)
    s = s.replace("\u2019", "'").replace("\u2018", "'").replace("\u2013", "-").replace("\u2014", "-")
    s = re.sub(r"\((?:r|tm|sm)\)|[\u00ae\u2122]", "", s, flags=re.I)
    s = re.sub(r"\s+", " ", s).strip().strip(".,;:").casefold()
    s = re.sub(r"^the ", "", s)
    s = s.replace("tumour", "tumor").replace("leukaemia", "leukemia").replace("centre", "center")
    return s


def entity_key(etype: str, name: str) -> str:
    return f"{key_prefix(etype)}|{normalize_name(name)}"


@dataclass
class Entity:
    key: str
    type: str                 # one of ENTITY_TYPES: Drug | Target | Condition | Organization | Company
    name: str                 # canonical label
    aliases: set[str] = field(default_factory=set)
    ids: set[str] = field(default_factory=set)          # full IRIs for skos:exactMatch
    roles: set[str] = field(default_factory=set)        # company, institution, agency, ...
    rules: set[str] = field(default_factory=set)        # recognition rules that produced its mentions
    broader: set[str] = field(default_factory=set)      # keys of the conditions it is a kind of (skos:broader)
    joined: dict[str, "Evidence"] = field(default_factory=dict)   # a name folded into it -> the rule and sentence why
    part_of: dict[str, str] = field(default_factory=dict)   # the organisations it is part of: key -> name (cp:partOf)


@dataclass(frozen=True)
class Evidence:
    start: int                # character offsets of the sentence in the original file's text
    end: int
    text: str
    rule: str
    confidence: float


@dataclass(kw_only=True)
class TrialParts:
    """What a trial is said to be made of: drugs, partners, conditions, sites, sponsors, phases, names,
    status, enrolment (kg.schema.RELATIONS names the attribute that carries each trial relation). A
    :class:`Trial` holds them with their evidence; the linker's sentence frames hold what one sentence says."""
    drugs: list[str] = field(default_factory=list)
    partners: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    sites: list[str] = field(default_factory=list)
    sponsors: list[str] = field(default_factory=list)
    phases: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    status: str | None = None
    enrollment: int | None = None


@dataclass
class Trial(TrialParts):
    """One trial's facts and the evidence of each."""
    id: str                   # document-local id ("t1"); named trials also carry names
    evidence: dict[str, Evidence] = field(default_factory=dict)   # "predicate|object" -> evidence

    def add(self, attr: str, value: str, ev: Evidence) -> bool:
        values = getattr(self, attr)
        if value in values:
            return False
        values.append(value)
        self.evidence.setdefault(f"{attr}|{value}", ev)
        return True


@dataclass(frozen=True)
class Assertion:
    subject: str              # entity key
    predicate: str            # a drug-level relation of kg.schema (targets, investigatedFor, ...)
    object: object            # entity key, or a literal value when ``literal``
    evidence: Evidence
    literal: bool = False


@dataclass
class Extraction:
    """Everything the linker found in one document."""
    doc_id: str
    source: str
    meta: dict
    entities: dict[str, Entity] = field(default_factory=dict)
    trials: list[Trial] = field(default_factory=list)
    assertions: list[Assertion] = field(default_factory=list)
    companies: list[str] = field(default_factory=list)
