"""One node for a drug's target across releases, when only another release can ground it.

A release grounds a target in HGNC when its names say which gene it is ("R2 component of
ribonucleotide reductase" -> RRM2, :mod:`kg.relations.grounding`). Another release of the same drug
may give only a short name that HGNC gives to another gene or to several ("R2-targeted drug
LOR-2040": HGNC lists R2 as an alias of CD82), so read alone it keys the target by that name
(``Target|r2``). Across releases:

    an ungrounded target of a drug is the grounded target of that drug in another release that
    carries one of its names (compared as symbols: "R2" is "r2"), when those name one gene.

In its release's graph the node is renamed to the gene's node and labelled by the gene's symbol;
its own names stay its alternative labels and ``cp:extractedAs`` keeps the IRI its release minted,
so ``same-thing.rq`` can say why, and the join is undone when the release that grounded the target
is replaced or removed. As with drug identity (:mod:`kg.rdf.identity`), the result depends on which
releases are stored, never on their order.

Conservative: only through a drug both releases say acts on the target; never when the release holds
a node of that gene already (it grounded the gene itself under other names), nor when two of its
targets would land on one gene node (they could not be told apart again).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from rdflib import RDFS, XSD, Graph, Literal, URIRef
from rdflib.namespace import SKOS

from ..records import entity_key
from ..vocab import genes, symbol_key
from .graphs import rename
from .iris import entity_iri
from .namespace import CP

HGNC_PREFIX = "https://identifiers.org/hgnc:"

#: (graph, node IRI): a target node as one document graph holds it
Key = tuple[str, URIRef]


@dataclass(frozen=True)
class TargetNode:
    names: frozenset[str]      # the names its release gives it
    genes: frozenset[str]      # the HGNC IRIs its release grounds it in
    own: URIRef                # the IRI its release minted (cp:extractedAs once joined; else its IRI)
    drugs: frozenset[URIRef]   # the drugs its release says act on it
    label: str | None = None   # its label there


def read_node(g: Graph, t: URIRef) -> TargetNode:
    alt = {str(n) for n in g.objects(t, SKOS.altLabel)}
    own = next((URIRef(str(o)) for o in g.objects(t, CP.extractedAs)), None)
    labels = {str(n) for n in g.objects(t, RDFS.label)}
    names = alt if own is not None else alt | labels      # a joined node's label is the gene node's
    return TargetNode(frozenset(names), frozenset(str(i) for i in g.objects(t, SKOS.exactMatch)
                                                  if str(i).startswith(HGNC_PREFIX)),
                      own or t, frozenset(d for d in g.subjects(CP.targets, t) if isinstance(d, URIRef)),
                      min(labels, default=None))


def symbol(gene_iri: str) -> str | None:
    gene = genes().by_id.get("HGNC:" + gene_iri[len(HGNC_PREFIX):])
    return gene.symbol if gene is not None else None


def own_label(n: TargetNode) -> str:
    """The label its release gave it: the name that mints its own IRI."""
    minting = sorted(x for x in n.names if entity_iri(entity_key("Target", x)) == n.own)
    return (minting or sorted(n.names) or [str(n.own)])[0]


def resolve(nodes: dict[Key, TargetNode], known: dict[Key, TargetNode], holds) -> dict[Key, tuple[URIRef, str]]:
    """The ungrounded ``nodes`` whose node changes: (graph, IRI) -> (the IRI it is, its label).

    ``nodes`` holds every target of each graph it holds an ungrounded target of, ``known`` the grounded
    targets they may be (those of their drugs, in any graph); ``holds(graph, iri)`` says whether a graph
    grounds a node ``iri`` itself (a node joined there does not count)."""
    plan: dict[Key, tuple[URIRef, str]] = {}
    grounded = [(key, c, {symbol_key(x) for x in c.names}) for key, c in known.items() if c.genes]
    for (graph, iri), n in sorted(nodes.items()):
        if n.genes:
            continue
        keys = {symbol_key(x) for x in n.names}
        genes_of: dict[URIRef, set[str]] = defaultdict(set)
        labels: dict[URIRef, set[str]] = defaultdict(set)
        for (other, g_iri), c, symbols in grounded:
            if other != graph and c.drugs & n.drugs and keys & symbols:
                genes_of[g_iri] |= c.genes
                labels[g_iri].add(c.label or symbol(next(iter(c.genes))) or str(g_iri))
        # one node of one gene, labelled as the releases grounding it label it (the gene's symbol)
        one = [(g_iri, min(labels[g_iri])) for g_iri, ids in genes_of.items() if len(ids) == 1]
        plan[(graph, iri)] = one[0] if len(genes_of) == 1 and one else (n.own, own_label(n))
    landing = Counter((graph, new) for (graph, _), (new, _) in plan.items())
    out = {}
    for (graph, iri), (new, label) in sorted(plan.items()):
        n = nodes[(graph, iri)]
        if new != n.own and (landing[(graph, new)] > 1 or holds(graph, new)):
            new, label = n.own, own_label(n)
        if new != iri:
            out[(graph, iri)] = (new, label)
    return out


def grounds(g: Graph, iri: URIRef) -> bool:
    """Does ``g`` hold a node ``iri`` of its own (not one a target of it was joined to)?"""
    return (iri, None, None) in g and (iri, CP.extractedAs, None) not in g


def joined(node: URIRef, own: URIRef) -> tuple:
    """The triple recording that ``node`` is, in a document graph, the node its release minted as ``own``."""
    return node, CP.extractedAs, Literal(str(own), datatype=XSD.anyURI)


def retarget(g: Graph, old: URIRef, new: URIRef, label: str, own: URIRef) -> None:
    """In ``g``: the target ``old`` becomes ``new`` labelled ``label``; ``own`` is the IRI its release
    minted (``new`` is ``own`` when a join is undone)."""
    if (old, CP.extractedAs, None) not in g:          # the release's own label: one of its names
        for o in g.objects(old, RDFS.label):
            g.add((old, SKOS.altLabel, o))
    g.remove((old, RDFS.label, None))
    g.remove((old, CP.extractedAs, None))
    rename(g, old, new)
    g.add((new, RDFS.label, Literal(label)))
    if new != own:
        g.add(joined(new, own))
    else:
        g.remove((new, SKOS.altLabel, Literal(label)))   # as the builder writes it: the label is no alternative


class TargetNodes:
    """The cross-release target identity of a place (see the module docstring).

    Besides what :class:`~kg.rdf.identity.DrugNodes` asks of it, a place answers
    ``target_nodes(drugs, skip)`` ((graph, IRI) -> :class:`TargetNode` for the targets of those drugs),
    ``graph_targets(graphs)`` (the same for every target of those graphs), ``holds(graph, iri)`` (does
    the graph ground a node ``iri`` itself: :func:`grounds`) and ``retarget(graph, old, new, label, own)``."""

    def __init__(self, place):
        self.place = place

    def add(self, g: Graph, drugs=()) -> Graph:
        """Fit a new document graph's targets, and the stored targets of its drugs and of ``drugs`` (the
        drugs just renamed in stored graphs), to each other. Returns ``g``."""
        skip = str(g.identifier)
        own = {(skip, t): read_node(g, t) for t in sorted({t for _, t in g.subject_objects(CP.targets)})}
        wanted = {d for n in own.values() for d in n.drugs} | set(drugs)
        if not wanted:
            return g
        nodes, known = self._around(wanted, skip, own)

        def holds(graph: str, iri: URIRef) -> bool:
            return grounds(g, iri) if graph == skip else self.place.holds(graph, iri)

        for (graph, iri), (new, label) in resolve(nodes, known, holds).items():
            if graph == skip:
                retarget(g, iri, new, label, nodes[(graph, iri)].own)
            else:
                self.place.retarget(graph, iri, new, label, nodes[(graph, iri)].own)
        return g

    def recompute(self, drugs) -> None:
        """Work the targets of ``drugs`` out again from the graphs that hold them now (after a graph left)."""
        if not drugs:
            return
        self.place.settle()
        nodes, known = self._around(set(drugs), None, {})
        for (graph, iri), (new, label) in resolve(nodes, known, self.place.holds).items():
            self.place.retarget(graph, iri, new, label, nodes[(graph, iri)].own)

    def _around(self, drugs: set, skip: str | None, own: dict) -> tuple[dict, dict]:
        """The targets of ``drugs`` (stored, and ``own``: the new graph's) with every other target of a
        graph holding an ungrounded one (two may land on one gene), and every target that may be one of
        them: those of the drugs acting on an ungrounded one."""
        nodes = {**self.place.target_nodes(sorted(drugs), skip), **own}
        graphs = sorted({graph for (graph, _), n in nodes.items() if not n.genes and graph != skip})
        if graphs:
            nodes = {**self.place.graph_targets(graphs), **nodes}
        more = {d for n in nodes.values() if not n.genes for d in n.drugs} - drugs
        known = {**self.place.target_nodes(sorted(more), skip), **nodes} if more else nodes
        return nodes, known
