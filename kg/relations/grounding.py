"""Grounding: identifiers from standard vocabularies for the entities the rules found.

Targets resolve to HGNC genes (:mod:`kg.vocab`): a target named "Bcl-2",
"CD105" or "the R2 component of ribonucleotide reductase" gets the gene's
identifiers.org IRI (``skos:exactMatch``) and its approved symbol as an
alternative label, so a search for BCL2, ENG or RRM2 finds it. A name is tried
as written, without a generic head word ("GD2 molecule"), and by the gene
symbol it ends with ("anti-apoptotic protein Bcl-2", "NMDA receptors containing
the GluN2B subunit"). A name no gene matches alone is grounded by the release
itself when it is part of a grounded target's name there ("R2", "ribonucleotide
reductase" beside "the R2 component of ribonucleotide reductase"), or when two
of the release's targets together name one gene ("R2" and "ribonucleotide
reductase": "ribonucleotide reductase R2"). A name that stays unmatched, or
matches only an ambiguous short alias, stays ungrounded; the fact scorer reads
whether an argument is grounded (drugs from the drug dictionary, conditions
from MeSH, targets from HGNC) as a feature.
"""
from __future__ import annotations

import re

from ..nlp.resources import word_set
from ..records import Entity
from ..vocab import Gene, genes

#: a word that may be a gene symbol: a letter and a digit, or two capitals ("Bcl-2", "GluN2B", "BCMA")
SYMBOL_LIKE = re.compile(r"(?=.*[A-Za-z])(?=.*\d|(?:.*[A-Z]){2})[\w\-\u03b1-\u03c9]+")


def ground_targets(entities: dict[str, Entity]) -> None:
    """Add the HGNC gene of every target entity whose names name one gene (in place)."""
    targets = [e for e in entities.values() if e.type == "Target"]
    grounded: dict[str, Gene] = {}
    for e in targets:
        gene = _gene_of([e.name, *sorted(e.aliases)])
        if gene is not None:
            _ground(e, gene)
            grounded[e.key] = gene
    for e in targets:
        if e.key not in grounded:
            gene = _from_release(e, targets, grounded)
            if gene is not None:
                _ground(e, gene)


def _ground(e: Entity, gene: Gene) -> None:
    e.ids.add(gene.iri)
    if gene.symbol != e.name:
        e.aliases.add(gene.symbol)


def _gene_of(names: list[str]) -> Gene | None:
    """The one gene the names name, trying each as written, then their reduced forms."""
    index = genes()
    for forms in ([n for n in names], [r for n in names for r in reduced(n)]):
        found = {g.hgnc_id: g for g in map(index.lookup, forms) if g is not None}
        if found:
            return next(iter(found.values())) if len(found) == 1 else None
    return None


def without_generic_head(name: str) -> str:
    """A target name without the generic head words it ends with ("GD2 molecule" -> "GD2",
    ``target_generic_words.tsv``); the name itself when it has none."""
    generic = word_set("target_generic_words.tsv", "word")
    words = name.split()
    while len(words) > 1 and words[-1].lower() in generic:
        words = words[:-1]
    return " ".join(words) if len(words) < len(name.split()) else name


def reduced(name: str) -> list[str]:
    """Shorter forms of a target name: without a generic head word ("GD2 molecule" -> "GD2"), and the
    symbol-like word it ends with once generic words are dropped ("anti-apoptotic protein Bcl-2" -> "Bcl-2")."""
    head = without_generic_head(name)
    words = head.split()
    out = [head] if head != name else []
    if len(words) > 1 and SYMBOL_LIKE.fullmatch(words[-1]):
        out.append(words[-1])
    return out


def _from_release(e: Entity, targets: list[Entity], grounded: dict[str, Gene]) -> Gene | None:
    """The gene an ungrounded target names in this release: the one grounded target whose name
    contains it as words, else the gene it names together with another of the release's targets."""
    pattern = re.compile(rf"(?<![\w-]){re.escape(e.name)}(?![\w-])", re.I)
    holders = {grounded[t.key].hgnc_id: grounded[t.key] for t in targets if t.key in grounded
               and any(pattern.search(n) for n in [t.name, *t.aliases])}
    if len(holders) == 1:
        return next(iter(holders.values()))
    index = genes()
    found = {}
    for other in targets:
        if other is e:
            continue
        for a, b in ((other.name, e.name), (e.name, other.name)):
            gene = index.lookup(f"{a} {b}")
            if gene is not None:
                found[gene.hgnc_id] = gene
    return next(iter(found.values())) if len(found) == 1 else None
