"""One node per drug across releases, whatever name each release uses, in any order of ingestion.

A release that says "LOR-2040 (formerly GTI-2040)" gives one drug node both names; another that
names only "LOR-2040" must land on the same node, and so must one that names only "GTI-2040". The
drug nodes that share a distinctive name (as ``rdfs:label`` or ``skos:altLabel``, in any document
graph; in any spelling that mints one IRI, "AB-101" and "Ab-101") are one drug. Its IRI and label
are a function of its names alone (:func:`best_name`): the dictionary's generic name first, then
a brand, a code, any other name, each by the IRI it mints. So the graph depends on which releases
are stored, never on the order they came in: when a release joins two nodes, or brings a better
name, the nodes already stored are renamed in every graph that holds them; when a release is
replaced or removed, the nodes it held are worked out again from the graphs that remain (a drug its
names no longer join is split back).

Only distinctive names join releases: codes, and names of five or more characters; short
abbreviations ("AZA", "STS") name too many things.

:class:`DrugNodes` runs this over a place that holds document graphs: an rdflib
:class:`~rdflib.Dataset` (:class:`DatasetNodes`, ``kg extract``) or a store (:class:`StoreNodes`,
``kg ingest``). A place also renames the trials named by a renamed drug's design
(:mod:`kg.rdf.designs`), and serves the cross-release identity of targets (:mod:`kg.rdf.targets`).
"""
from __future__ import annotations

import re
from collections import defaultdict

from rdflib import RDF, RDFS, Dataset, Graph, Literal, URIRef
from rdflib.namespace import SKOS

from ..records import entity_key
from ..store import from_term
from . import designs
from .graphs import rename
from .iris import entity_iri
from .namespace import CP
from .targets import TargetNode, grounds, joined, read_node, retarget

NAME_PROPERTIES = (RDFS.label, SKOS.altLabel)
#: what :func:`kg.rdf.targets.read_node` reads of a target node
TARGET_PROPERTIES = (RDFS.label, SKOS.altLabel, SKOS.exactMatch, CP.extractedAs)


def distinctive(name: str) -> bool:
    return bool(re.search(r"\d", name)) or len(name) >= 5


def best_name(names: set[str]) -> str:
    """The name a drug is known by: its name in the drug dictionary (the generic name), then another
    name the dictionary knows (a brand), then a code, then any other; among them the one minting the
    smallest IRI, and of the names minting it the one written as the rules write it (a code in its one
    spelling, "AB-101" not "AB 101"; a dictionary name in lower case), else the smallest string."""
    from ..nlp.drugs import drug_lexicon, normalize_code

    lex = drug_lexicon()

    def rank(n: str):
        rec = lex.lookup(n)
        kind = (0 if mint(n) == mint(rec.name) else 1) if rec is not None else 2 if re.search(r"\d", n) else 3
        written = normalize_code(n) if re.search(r"\d", n) else n.lower() if rec is not None else n
        return kind, str(mint(n)), n != written, n       # "AB-101" before "AB 101", "zoratinib" before "Zoratinib"

    return min(names, key=rank)


def mint(name: str) -> URIRef:
    return entity_iri(entity_key("Drug", name))


class Union:
    def __init__(self):
        self.up: dict = {}

    def find(self, x):
        self.up.setdefault(x, x)
        while self.up[x] != x:
            self.up[x] = self.up[self.up[x]]
            x = self.up[x]
        return x

    def join(self, a, b) -> None:
        self.up[self.find(a)] = self.find(b)


class DrugNodes:
    """The drug identity of a place that holds document graphs (see the module docstring).

    A place answers ``holders(names, skip)`` (name -> the drug IRIs carrying it), ``nodes(iris, skip)``
    ((graph, IRI) -> (its names there, its label there)), ``rename(graph, old, new, label)``,
    ``drugs(graph)``, ``settle()`` (make every write visible to its answers), and, for
    :class:`~kg.rdf.build.LabelRegistry`, ``labels(iris, skip)`` and ``relabel(iri, label, skip)``;
    ``skip`` is the graph being added, which the place may already hold.
    """

    def __init__(self, place):
        self.place = place
        self.renamed: set[URIRef] = set()     # the drugs the last add or recompute renamed stored nodes to

    def add(self, g: Graph) -> Graph:
        """Fit a new document graph into the place: its drug nodes renamed to the drugs they are, and
        the stored nodes renamed where this graph joins them or names them better. Returns ``g``."""
        self.renamed = set()
        skip = str(g.identifier)
        drugs = sorted(s for s in g.subjects(RDF.type, CP.Drug) if isinstance(s, URIRef))
        own = {("", d): ({str(n) for p in NAME_PROPERTIES for n in g.objects(d, p)}, None) for d in drugs}   # all new
        names = sorted({n for names, _ in own.values() for n in names if distinctive(n)})
        holders = {iri for iris in self.place.holders(names, skip).values() for iri in iris}
        # and the drugs stored under a name this graph spells otherwise ("Ab-101", "AB 101" for "AB-101"): every
        # node of a drug has the drug's IRI, so each IRI brings its whole drug
        holders = sorted(holders | {mint(n) for n in names})
        stored = self.place.nodes(holders, skip) if holders else {}
        trials = designs.designed(g)                    # as the release minted them, from its own drug names
        for (graph, iri), (new, label) in self._resolve({**stored, **own}).items():
            if graph == "":
                for n in list(g.objects(iri, RDFS.label)):        # the release's own names, all kept
                    g.add((iri, SKOS.altLabel, n))
                if new != iri:
                    rename(g, iri, new)
                _relabel(g, new, label)
            elif new != iri or stored[(graph, iri)][1] != label:
                self.place.rename(graph, iri, new, label)
                self.renamed.add(new)
        designs.apply(g, designs.redesign(g, trials))
        return g

    def recompute(self, iris) -> None:
        """Work the drugs ``iris`` out again from the graphs that hold them now (after a graph left)."""
        self.renamed = set()
        if not iris:
            return
        self.place.settle()              # the graph that left must be gone from what the place answers
        nodes = self.place.nodes(sorted(set(iris)), None)
        for (graph, iri), (new, label) in self._resolve(nodes).items():
            if new != iri or nodes[(graph, iri)][1] != label:
                self.place.rename(graph, iri, new, label)
                self.renamed.add(new)

    @staticmethod
    def _resolve(nodes: dict) -> dict[tuple[str, URIRef], tuple[URIRef, str]]:
        """(graph, node) -> (the drug's IRI, its label): nodes sharing a distinctive name are one drug, the
        name compared by the IRI it mints ("AB-101", "Ab-101" and "AB 101" are one name)."""
        u = Union()
        first: dict[URIRef, tuple] = {}
        for node in sorted(nodes):
            u.find(node)
            for n in sorted(nodes[node][0]):
                if distinctive(n):
                    if (key := mint(n)) in first:
                        u.join(node, first[key])
                    else:
                        first[key] = node
        groups: dict = defaultdict(list)
        for node in nodes:
            groups[u.find(node)].append(node)
        out = {}
        for members in groups.values():
            names = {n for m in members for n in nodes[m][0]}
            best = best_name({n for n in names if distinctive(n)} or names)
            for m in members:
                out[m] = (mint(best), best)
        return out


def _relabel(g: Graph, node: URIRef, label: str) -> None:
    """``label`` the one ``rdfs:label`` of ``node`` in ``g``. The names the release gave the node are
    its alternative labels (its own label included, moved there the first time), so they can be read
    again (:func:`_names`); a label set here before is only the drug's name and is dropped."""
    own = bool(set(g.objects(node, SKOS.altLabel)))
    for old in list(g.objects(node, RDFS.label)):
        g.remove((node, RDFS.label, old))
        if not own:
            g.add((node, SKOS.altLabel, old))
    g.add((node, RDFS.label, Literal(label)))


def _names(g: Graph, node: URIRef) -> set[str]:
    """The names a release gave a drug node: its alternative labels (its label is the drug's best name,
    perhaps from another release), or its label in a graph not written this way."""
    alt = {str(n) for n in g.objects(node, SKOS.altLabel)}
    return alt or {str(n) for n in g.objects(node, RDFS.label)}


class DatasetNodes:
    """The document graphs of an rdflib Dataset (``kg extract``), indexed as they are added
    (:meth:`register` after each :meth:`DrugNodes.add`)."""

    def __init__(self, ds: Dataset):
        self.ds = ds
        self.relabelled: set[URIRef] = set()     # trials renamed or relabelled in stored graphs (designs)
        self.by_name: dict[str, set[tuple[str, URIRef]]] = defaultdict(set)
        self.by_iri: dict[URIRef, set[str]] = defaultdict(set)

    def register(self, g: Graph) -> None:
        for d in g.subjects(RDF.type, CP.Drug):
            self._index(str(g.identifier), d)

    def _index(self, graph: str, iri: URIRef) -> None:
        self.by_iri[iri].add(graph)
        for n in _names(self.ds.graph(URIRef(graph)), iri):
            self.by_name[n].add((graph, iri))

    def holders(self, names: list[str], skip: str | None) -> dict[str, set[URIRef]]:
        return {n: {iri for graph, iri in self.by_name.get(n, ()) if graph != skip and graph in self.by_iri[iri]}
                for n in names}

    def nodes(self, iris: list, skip: str | None) -> dict[tuple[str, URIRef], tuple[set[str], str | None]]:
        out = {}
        for iri in map(URIRef, iris):
            for graph in sorted(self.by_iri.get(iri, ())):
                if graph != skip:
                    g = self.ds.graph(URIRef(graph))
                    out[(graph, iri)] = (_names(g, iri), next((str(x) for x in g.objects(iri, RDFS.label)), None))
        return out

    def drugs(self, graph: str) -> list[URIRef]:
        return sorted(s for s in self.ds.graph(URIRef(graph)).subjects(RDF.type, CP.Drug) if isinstance(s, URIRef))

    def settle(self) -> None:
        """Nothing waits in a Dataset."""

    def labels(self, iris: list[str], skip: str | None) -> dict[str, list[str]]:
        """The ``rdfs:label`` values the other graphs give these IRIs."""
        out: dict[str, list[str]] = defaultdict(list)
        for iri in iris:
            for _, _, label, g in self.ds.quads((URIRef(iri), RDFS.label, None, None)):
                if str(getattr(g, "identifier", g)) != skip:
                    out[iri].append(str(label))
        return out

    def relabel(self, iri: URIRef, label: str, skip: str | None) -> None:
        """``label`` the one label of ``iri`` in every other graph, their labels kept as alternative labels."""
        for _, _, old, g in list(self.ds.quads((iri, RDFS.label, None, None))):
            graph = self.ds.graph(getattr(g, "identifier", g))
            if str(graph.identifier) != skip and str(old) != label:
                graph.remove((iri, RDFS.label, old))
                graph.add((iri, SKOS.altLabel, old))
                graph.add((iri, RDFS.label, Literal(label)))

    def rename(self, graph: str, old: URIRef, new: URIRef, label: str) -> None:
        g = self.ds.graph(URIRef(graph))
        trials = designs.designed(g, [old])
        if new != old:
            rename(g, old, new)
            self.by_iri[old].discard(graph)
        _relabel(g, new, label)
        self._index(graph, new)
        changes = designs.redesign(g, trials)
        designs.apply(g, changes)
        self.relabelled.update(t_new for _, t_new, _, _ in changes)

    def target_nodes(self, drugs: list, skip: str | None) -> dict[tuple[str, URIRef], TargetNode]:
        out = {}
        for d in drugs:
            for _, _, t, g in self.ds.quads((URIRef(d), CP.targets, None, None)):
                graph = str(getattr(g, "identifier", g))
                if graph != skip and isinstance(t, URIRef):
                    out[(graph, t)] = read_node(self.ds.graph(URIRef(graph)), t)
        return out

    def graph_targets(self, graphs: list) -> dict[tuple[str, URIRef], TargetNode]:
        out = {}
        for graph in graphs:
            g = self.ds.graph(URIRef(graph))
            for t in sorted({t for _, t in g.subject_objects(CP.targets) if isinstance(t, URIRef)}):
                out[(str(graph), t)] = read_node(g, t)
        return out

    def holds(self, graph: str, iri: URIRef) -> bool:
        return grounds(self.ds.graph(URIRef(graph)), iri)

    def retarget(self, graph: str, old: URIRef, new: URIRef, label: str, own: URIRef) -> None:
        retarget(self.ds.graph(URIRef(graph)), old, new, label, own)


class StoreNodes:
    """The document graphs of a store (``kg ingest``).

    Writes still waiting in the store's batch are not seen by its queries, so the drug nodes of the
    graphs given since the last flush are kept here too and answered from memory (the batch stays a
    batch); a rename or relabel, which must see everything, flushes first and after.
    """

    def __init__(self, store):
        self.store = store
        self.relabelled: set[URIRef] = set()     # trials renamed or relabelled in stored graphs (designs)
        self.waiting: dict[tuple[str, URIRef], tuple[set[str], str | None]] = {}   # drug nodes not yet flushed
        self.waiting_targets: dict[tuple[str, URIRef], TargetNode] = {}           # target nodes not yet flushed

    def _waiting(self) -> dict[tuple[str, URIRef], tuple[set[str], str | None]]:
        if not self.store.pending:
            self.waiting.clear()
            self.waiting_targets.clear()
        return self.waiting

    def register(self, g: Graph) -> None:
        """Note the drug and target nodes of a graph just given to the store."""
        waiting, graph = self._waiting(), str(g.identifier)
        for key in [k for k in waiting if k[0] == graph]:
            del waiting[key]
        for key in [k for k in self.waiting_targets if k[0] == graph]:
            del self.waiting_targets[key]
        for d in g.subjects(RDF.type, CP.Drug):
            waiting[(graph, d)] = (_names(g, d), next((str(x) for x in g.objects(d, RDFS.label)), None))
        for t in sorted({t for _, t in g.subject_objects(CP.targets) if isinstance(t, URIRef)}):
            self.waiting_targets[(graph, t)] = read_node(g, t)

    def holders(self, names: list[str], skip: str | None) -> dict[str, set[URIRef]]:
        waiting = self._waiting()
        fresh = {graph for graph, _ in waiting}
        out: dict[str, set[URIRef]] = defaultdict(set)
        for i in range(0, len(names), 200):
            values = " ".join(Literal(n).n3() for n in names[i:i + 200])    # serialised, never pasted raw
            rows = self.store.query(
                "SELECT DISTINCT ?n ?e ?g WHERE { VALUES ?n { " + values + " } GRAPH ?g { ?e a <" + str(CP.Drug)
                + "> . { ?e <" + str(RDFS.label) + "> ?n } UNION { ?e <" + str(SKOS.altLabel) + "> ?n } } }").rows
            for n, e, g in rows:
                if g.value != skip and g.value not in fresh:
                    out[n.value].add(URIRef(e.value))
        wanted = set(names)
        for (graph, iri), (own, label) in waiting.items():
            if graph != skip:
                for n in (own | {label}) & wanted:
                    out[n].add(iri)
        return out

    def nodes(self, iris: list, skip: str | None) -> dict[tuple[str, URIRef], tuple[set[str], str | None]]:
        waiting = self._waiting()
        fresh = {graph for graph, _ in waiting}
        names: dict[tuple[str, URIRef], set[str]] = defaultdict(set)
        labels: dict[tuple[str, URIRef], str] = {}
        for i in range(0, len(iris), 200):
            values = " ".join(URIRef(x).n3() for x in iris[i:i + 200])
            rows = self.store.query(
                "SELECT ?g ?e ?p ?n WHERE { VALUES ?e { " + values + " } GRAPH ?g { ?e a <" + str(CP.Drug)
                + "> ; ?p ?n . FILTER (?p = <" + str(RDFS.label) + "> || ?p = <" + str(SKOS.altLabel) + ">) } }").rows
            for g, e, p, n in rows:
                if g.value == skip or g.value in fresh:
                    continue
                key = (g.value, URIRef(e.value))
                if p.value == str(RDFS.label):
                    labels[key] = min(labels.get(key, n.value), n.value)
                else:
                    names[key].add(n.value)
        # as _names reads a graph: the alternative labels, else the label
        out = {k: (names.get(k) or {labels[k]}, labels.get(k)) for k in set(names) | set(labels)}
        wanted = {URIRef(x) for x in iris}
        out.update({k: v for k, v in waiting.items() if k[1] in wanted and k[0] != skip})
        return out

    def settle(self) -> None:
        """Write what waits in the store's batch, so its queries see every change."""
        self.store.flush()
        self.waiting.clear()
        self.waiting_targets.clear()

    def drugs(self, graph: str) -> list[URIRef]:
        self.store.flush()
        rows = self.store.query("SELECT DISTINCT ?e WHERE { GRAPH " + URIRef(graph).n3() + " { ?e a <" + str(CP.Drug) + "> } }").rows
        return sorted(URIRef(r[0].value) for r in rows)

    def labels(self, iris: list[str], skip: str | None) -> dict[str, list[str]]:
        """The ``rdfs:label`` values the store's graphs give these IRIs (asked for IRIs no graph of this
        run has labelled, so nothing waiting in the batch holds them)."""
        out: dict[str, list[str]] = defaultdict(list)
        for i in range(0, len(iris), 200):
            values = " ".join(URIRef(iri).n3() for iri in iris[i:i + 200])   # our own minted IRIs, serialised
            rows = self.store.query("SELECT ?g ?s ?l WHERE { VALUES ?s { " + values + " } GRAPH ?g { ?s <"
                                    + str(RDFS.label) + "> ?l } }").rows
            for g, s, label in rows:
                if g.value != skip:
                    out[s.value].append(label.value)
        return out

    def relabel(self, iri: URIRef, label: str, skip: str | None) -> None:
        """``label`` the one label of ``iri`` in every stored graph, their labels kept as alternative labels."""
        self.store.flush()
        rows = self.store.query("SELECT ?g ?l WHERE { GRAPH ?g { " + URIRef(iri).n3() + " <" + str(RDFS.label)
                                + "> ?l } }").rows
        for graph in sorted({g.value for g, old in rows if old.value != label and g.value != skip}):
            self.store.rename_node(graph, str(iri), str(iri), label, keep_label=True)
        self.store.flush()

    def rename(self, graph: str, old: URIRef, new: URIRef, label: str) -> None:
        """Rename a drug in a stored graph, and the trials of its design there (:mod:`kg.rdf.designs`)."""
        self.settle()
        held = self._trials_of(graph, [old, new])
        trials = designs.designed(held, [old])
        self.store.rename_node(graph, str(old), str(new), label)
        if trials:
            if new != old:
                rename(held, old, new)
            held.set((new, RDFS.label, Literal(label)))
            for t, t_new, t_label, t_old_label in designs.redesign(held, trials):
                self.store.rename_node(graph, str(t), str(t_new), t_label,
                                       drop=[(t_new, SKOS.altLabel, Literal(t_old_label))])
                self.relabelled.add(t_new)
        self.settle()

    def _trials_of(self, graph: str, drugs: list) -> Graph:
        """What :mod:`kg.rdf.designs` reads of the trials of ``drugs`` in a stored graph."""
        g, d = URIRef(graph).n3(), " ".join(URIRef(x).n3() for x in drugs)
        result = self.store.query(
            "CONSTRUCT { ?t ?p ?o . ?c <" + str(SKOS.broader) + "> ?b . ?x <" + str(RDFS.label) + "> ?l } WHERE { GRAPH "
            + g + " { VALUES ?d { " + d + " } ?t <" + str(CP.studiesDrug) + "> ?d . { ?t ?p ?o FILTER (?p IN (<"
            + ">, <".join(map(str, designs.TRIAL_PROPERTIES)) + ">)) } UNION { ?t <" + str(CP.studiesCondition)
            + "> ?c . ?c <" + str(SKOS.broader) + "> ?b } UNION { ?t <" + str(CP.studiesDrug) + "> ?x . ?x <"
            + str(RDFS.label) + "> ?l } } }")
        held = Graph()
        for t in result.triples:
            held.add((from_term(t.subject), from_term(t.predicate), from_term(t.object)))
        return held

    def target_nodes(self, drugs: list, skip: str | None) -> dict[tuple[str, URIRef], TargetNode]:
        """The targets of ``drugs`` in the stored graphs (and those waiting in the batch), but ``skip``."""
        wanted = {URIRef(d) for d in drugs}
        return self._targets("VALUES ?d { %s } GRAPH ?g { ?d <" + str(CP.targets) + "> ?t", drugs, skip,
                             lambda n: bool(n.drugs & wanted))

    def graph_targets(self, graphs: list) -> dict[tuple[str, URIRef], TargetNode]:
        """Every target of the graphs ``graphs`` (stored, or waiting in the batch)."""
        wanted = set(map(str, graphs))
        return self._targets("VALUES ?g { %s } GRAPH ?g { ?d <" + str(CP.targets) + "> ?t", graphs, None,
                             lambda n: True, wanted)

    def _targets(self, head: str, iris: list, skip: str | None, keep, graphs: set | None = None):
        """Target nodes of the stored graphs read by ``head`` (``%s``: the IRIs ``iris``), and those of
        the graphs waiting in the batch that ``keep`` keeps (in ``graphs`` when given)."""
        self._waiting()
        fresh = {graph for graph, _ in self.waiting} | {graph for graph, _ in self.waiting_targets}
        triples: dict[tuple[str, URIRef], Graph] = {}
        for i in range(0, len(iris), 200):
            values = " ".join(URIRef(x).n3() for x in iris[i:i + 200])
            rows = self.store.query(
                "SELECT ?g ?t ?s ?p ?o WHERE { " + head % values + " . { ?t ?p ?o . BIND(?t AS ?s) FILTER (?p IN (<"
                + ">, <".join(map(str, TARGET_PROPERTIES)) + ">)) } UNION { ?s ?p ?t . FILTER (?p = <"
                + str(CP.targets) + ">) BIND(?t AS ?o) } } }").rows
            for g, t, s, p, o in rows:
                if g.value != skip and g.value not in fresh:
                    triples.setdefault((g.value, from_term(t)), Graph()).add((from_term(s), from_term(p), from_term(o)))
        out = {key: read_node(held, key[1]) for key, held in triples.items()}
        out.update({k: n for k, n in self.waiting_targets.items()
                    if k[0] != skip and keep(n) and (graphs is None or k[0] in graphs)})
        return out

    def holds(self, graph: str, iri: URIRef) -> bool:
        self.settle()
        node, g = URIRef(iri).n3(), URIRef(graph).n3()
        return bool(self.store.query("ASK { GRAPH " + g + " { " + node + " ?p ?o FILTER NOT EXISTS { " + node + " <"
                                     + str(CP.extractedAs) + "> ?x } } }").boolean)

    def retarget(self, graph: str, old: URIRef, new: URIRef, label: str, own: URIRef) -> None:
        mark = joined(URIRef(new), URIRef(own))
        self.settle()
        if new != own:
            first = not self.store.query("ASK { GRAPH " + URIRef(graph).n3() + " { " + URIRef(old).n3() + " <"
                                         + str(CP.extractedAs) + "> ?o } }").boolean
            self.store.rename_node(graph, str(old), str(new), label, keep_label=first, add=[mark])
        else:   # the join undone: as the builder writes the node
            self.store.rename_node(graph, str(old), str(new), label,
                                   drop=[mark, (URIRef(new), SKOS.altLabel, Literal(label))])
        self.settle()
