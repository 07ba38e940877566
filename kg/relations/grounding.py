"""Grounding: identifiers from standard vocabularies for the entities the rules found.

Targets resolve to HGNC genes (:mod:`kg.vocab`): a target named "Bcl-2",
"CD105" or "the R2 component of ribonucleotide reductase" gets the gene's
identifiers.org IRI (``skos:exactMatch``) and its approved symbol as an
alternative label, so a search for BCL2, ENG or RRM2 finds it. A name that
no gene or only an ambiguous short alias matches stays ungrounded; the fact
scorer reads whether an argument is grounded (drugs from the drug
dictionary, conditions from MeSH, targets from HGNC) as a feature.
"""
from __future__ import annotations

from ..records import Entity
from ..vocab import genes


def ground_targets(entities: dict[str, Entity]) -> None:
    """Add the HGNC gene of every target entity whose names name one gene (in place)."""
    index = genes()
    for e in entities.values():
        if e.type != "Target":
            continue
        found = {}
        for name in [e.name, *sorted(e.aliases)]:
            gene = index.lookup(name)
            if gene is not None:
                found[gene.hgnc_id] = gene
        if len(found) == 1:
            gene = next(iter(found.values()))
            e.ids.add(gene.iri)
            if gene.symbol != e.name:
                e.aliases.add(gene.symbol)
