"""Stage: one key per real thing, decided from the release and the vocabularies alone.

The rules key an entity by its canonical name; this stage re-keys what a standard vocabulary
identifies, so every release that names the thing mints the same IRI whatever words it uses:

- a drug by its best name, the name every release that knows it by several names agrees on
  ("Genasense (oblimersen sodium)" -> ``Drug|oblimersen``, "ATL/TV1102" -> ``Drug|atl-1102``);
- a target grounded to one HGNC gene is keyed and labelled by the gene's approved symbol ("R2
  component of ribonucleotide reductase", "RRM2" -> ``Target|rrm2``, label "RRM2"), its other names
  kept as alternative labels;
- an ungrounded target is keyed without a generic head word ("GD2 molecule" -> ``Target|gd2``).

(Conditions are keyed by their MeSH heading when the rules find them, with the keys of their broader
conditions: :func:`kg.relations.entities._condition_identity`.)

Entities that end up with one key are merged (names, identifiers, roles and rules kept) and every
fact, trial and evidence key is rewritten. The stage reads nothing but the extraction and the packaged
vocabularies: the same release always gives the same keys, whatever else is in the store and in
whatever order releases are ingested.
"""
from __future__ import annotations

import copy
from collections import defaultdict

from ..nlp.conditions import display_name, ground_condition, mesh_record
from ..records import Assertion, Entity, Extraction, entity_key
from ..schema import TRIAL_ENTITY_ATTRS
from ..rdf.identity import best_name, distinctive
from ..vocab import genes
from .entities import fold
from .roles import generic_name
from .grounding import without_generic_head

HGNC_PREFIX = "https://identifiers.org/hgnc:"
MESH_PREFIX = "http://id.nlm.nih.gov/mesh/"


def resolve(x: Extraction) -> Extraction:
    """Re-key ``x``'s entities by their identifiers (in place)."""
    new = {key: _key_of(e) for key, e in x.entities.items()}
    _one_word_order(x.entities, new)
    merged: dict[str, Entity] = {}
    for key in sorted(x.entities, key=lambda k: (new[k] != k, k)):     # an entity already keyed so wins
        e = x.entities[key]
        dst = merged.get(new[key])
        if dst is None:
            merged[new[key]] = dst = copy.deepcopy(e)
            dst.key, dst.name = new[key], _name_of(e)
            if dst.name != e.name:
                dst.aliases.add(e.name)
            continue
        fold(dst, e)
    for e in merged.values():
        if e.type == "Condition" and (heading := _heading(e)) is not None:
            e.ids.add(heading.iri)
        e.aliases.discard(e.name)
        e.broader = {new.get(b, b) for b in e.broader} - {e.key}
        e.part_of = {new.get(k, k): v for k, v in e.part_of.items() if new.get(k, k) != e.key}
    x.entities = merged
    _rewrite(x, new)
    return x


def _one_word_order(entities: dict[str, Entity], new: dict[str, str]) -> None:
    """Conditions no vocabulary knows that a release names with the same words in two orders ("type 2
    diabetic nephropathy", "diabetic type 2 nephropathy") are one: keyed by the smaller key (in
    ``new``, in place)."""
    orders: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for key, e in entities.items():
        if e.type == "Condition" and not e.ids:
            words = tuple(sorted(new[key].split("|", 1)[1].replace("-", " ").split()))
            if len(words) > 1:
                orders[words].append(key)
    for keys in orders.values():
        first = min(new[k] for k in keys)
        for k in keys:
            new[k] = first


def _gene(e: Entity):
    if e.type != "Target":
        return None
    found = [i for i in e.ids if i.startswith(HGNC_PREFIX)]
    return genes().by_id.get("HGNC:" + found[0][len(HGNC_PREFIX):]) if len(found) == 1 else None


def _name_of(e: Entity) -> str:
    """A drug's best name (:func:`kg.rdf.identity.best_name`: the generic name, else a code ...); a
    grounded target's gene symbol; a condition keyed by its MeSH heading, the heading's display
    name (:func:`kg.nlp.conditions.display_name`: "colon carcinoma" -> "colonic cancer"); an ungrounded target's name without a generic
    head word ("GD2 molecule" -> "GD2"); any other entity's own name. Each is the same in every
    release that names the thing, whatever words it uses."""
    gene = _gene(e)
    if gene is not None:
        return gene.symbol
    if e.type == "Drug":
        names = {e.name, *e.aliases}
        return best_name({n for n in names if distinctive(n)} or names)
    if e.type == "Condition":
        heading = _heading(e)
        if heading is not None:
            return display_name(heading)      # keyed by its MeSH heading: labelled by it in every release
    if e.type == "Target":
        return without_generic_head(e.name)
    return e.name


def _heading(e: Entity):
    """The MeSH heading a condition is keyed by: its identifier's, or (a class of diseases the rules
    leave ungrounded, "cancers") the heading its key names."""
    ids = [mesh_record(i[len(MESH_PREFIX):]) for i in sorted(e.ids) if i.startswith(MESH_PREFIX)]
    for rec in [*filter(None, ids), ground_condition(e.name)[0]]:
        if rec is not None and _key_of(e) == entity_key("Condition", rec.name):
            return rec
    return None


def _key_of(e: Entity) -> str:
    if e.type == "Condition":
        if generic_name(e.name) and (rec := ground_condition(e.name)[0]) is not None:
            return entity_key("Condition", rec.name)      # "cancers", "tumors": the class of diseases MeSH names
        return e.key
    name = _name_of(e)
    return e.key if name == e.name else entity_key(e.type, name)


def _rewrite(x: Extraction, new: dict[str, str]) -> None:
    """Every reference to an entity key in ``x`` rewritten through ``new`` (duplicates dropped)."""
    k = lambda key: new.get(key, key)
    x.companies = list(dict.fromkeys(k(c) for c in x.companies))
    for t in x.trials:
        evidence = {}
        for attr in TRIAL_ENTITY_ATTRS:
            values = list(dict.fromkeys(k(v) for v in getattr(t, attr)))
            setattr(t, attr, values)
        for label, ev in t.evidence.items():
            attr, _, value = label.partition("|")
            evidence.setdefault(f"{attr}|{k(value)}", ev)
        t.evidence = evidence
    seen, assertions = set(), []
    for a in x.assertions:
        b = Assertion(k(a.subject), a.predicate, a.object if a.literal else k(str(a.object)), a.evidence, a.literal)
        fact = (b.subject, b.predicate, b.object)
        if fact not in seen:
            seen.add(fact)
            assertions.append(b)
    x.assertions = assertions
