"""RDF -> networkx -> GEXF / GraphML / graphology JSON / PNG / SVG, and the RDF itself.

The store holds one named graph per document (see ``kg/rdf/build.py``). The
export reads it in one pass (:class:`Facts`), keeps the entities (drugs,
targets, conditions, trials, organisations; never documents or the
``rdf:Statement`` evidence nodes), and builds a networkx graph for a *view*:

``full``
    every entity, and one directed edge per (subject, property, object) for
    the eight entity-to-entity properties of the contract; ``label`` is the
    property's local name, ``weight`` the number of documents asserting it.
``drug-target``
    ``cp:targets`` edges and their drugs and targets.
``drug-condition``
    drug -> condition edges (label ``investigatedFor``) from
    ``cp:investigatedFor`` and from trials (``studiesDrug`` x
    ``studiesCondition`` of one trial); ``weight`` counts the documents
    asserting the link or either leg of a trial behind it, ``trials`` the
    trials behind it.
``sites``
    an *undirected* graph of the institutions that are ``cp:site`` of a trial
    of a drug, linked when they run trials of the same drug; ``weight`` is
    the number of drugs they share (``drugs`` names them).

The node types, their colours, the edge labels, the literal node attributes and
the relations each view draws on are read from the registry (:mod:`kg.schema`).

Nodes carry ``label`` (one ``rdfs:label``: the one most documents give, ties
to the first in code-point order), ``type`` (Drug, Target, Condition,
ClinicalTrial, Organization; cp:Company is an Organization), ``iri``,
``exact_match`` (the ``skos:exactMatch`` IRIs, space-separated), ``documents``
(how many document graphs mention it) and ``first_seen``; trials also
``phase`` (every phase stated, joined with "; "), ``sub_phase`` (every
stated sub-phase, "Phase 2b"), ``status`` and
``enrollment`` (as stated by the latest dated document), drugs ``mechanism``
(``cp:mechanismOfAction``, joined). ``weight`` is never below 1: a triple no
document asserts (one in the default graph, or one a ``--query`` derived)
counts once.

Every attribute handed to a writer is a scalar (str, int, float): networkx's
GEXF and GraphML writers do not take lists or ``None``. An attribute with no
value for a node (``first_seen`` of an undated node, ``status`` of a drug) is
left out rather than written empty.

Visual attributes are computed once (:func:`kg.layout.decorate`): a colour per
node type (:data:`PALETTE`, Paul Tol's colour-blind-safe "bright" scheme), a
size by degree, and a position from a layout run at export time (spring with a
fixed seed, ForceAtlas2, or none). Each format renders them its own way:
``viz:`` elements in GEXF, ``r``/``g``/``b``/``size``/``x``/``y`` keys in
GraphML, ``color``/``size``/``x``/``y`` attributes in the JSON that Sigma.js
reads, a picture in PNG and SVG (:mod:`kg.picture`, the ``viz`` extra).

Dates: a document's date is its ``dcterms:issued`` (``YYYY``, ``YYYY-MM`` and
``YYYY-MM-DD`` are read as the first day they name); its ``cp:dateSource`` says
where that was read (kg/documents.py: the EDGAR header, the dateline, the text,
or, for a release carrying no date, the file's modification time). ``first_seen``
of a node or edge is the earliest date the documents mentioning / asserting it
state, or, when none states one, the earliest of their file dates; in the
dynamic GEXF it is the ``start``. A file date never makes a value the latest
(``status``, ``enrollment``): such a document counts as undated there. An
element no document dates (one only a ``--query`` derived) has no
``first_seen`` and no ``start``: Gephi then shows it over the whole timeline.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import json
import logging
import os
import re
import sys
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any, Iterable, Iterator

import networkx as nx
from rdflib import RDF, RDFS, BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

from . import schema
from .errors import ExportError, KGError, shown
from .layout import (LAYOUT_SEED, LAYOUTS, PALETTE, SIZE_RANGE, UNKNOWN_COLOUR,  # noqa: F401 (kg.export's API)
                     compute_layout, decorate, hex_to_rgb, node_sizes)
from .rdf.namespace import CP
from .xmlchars import xml_safe
from .schema import Relation, View
from .store import query_form

log = logging.getLogger(__name__)

FORMATS = ("gexf", "graphml", "json", "trig", "nq", "png", "svg")
GRAPH_FORMATS = ("gexf", "graphml", "json", "png", "svg")
RDF_FORMATS = ("trig", "nq")
VIEWS = tuple(schema.VIEWS)
IMAGE_FORMATS = ("png", "svg")

# node types, edge labels and node attributes: read from the registry (kg.schema); colours: kg.layout
#: entity classes -> the ``type`` attribute; cp:Company counts as Organization
ENTITY_CLASSES: dict[URIRef, str] = {t.iri: t.node_type for t in schema.TYPES.values()}
#: the order that decides the type of a node typed with several classes
TYPE_ORDER = schema.NODE_TYPE_PRECEDENCE
#: entity -> entity properties of the contract -> their edge label (the property's local name)
RELATIONS: dict[URIRef, str] = {r.iri: r.name for r in schema.ENTITY_RELATIONS}
#: literal-valued properties, as attributes of the nodes they describe: a trial's first (TYPE_ORDER)
NODE_LITERALS: tuple[Relation, ...] = tuple(sorted(
    (*schema.LITERAL_RELATIONS, schema.SUB_PHASE_RELATION), key=lambda r: TYPE_ORDER.index(schema.TYPES[r.subject].node_type)))
#: literal-valued properties -> node attribute
LITERALS: dict[URIRef, str] = {r.iri: r.node_attribute for r in NODE_LITERALS}
JOIN = "; "

_DEFAULT_GRAPH_IDS = {"urn:x-rdflib:default"}


# ---------------------------------------------------------------------------
# reading the RDF
# ---------------------------------------------------------------------------

def _term(t: Any):
    """An rdflib term for an rdflib or pyoxigraph term (``None`` for a default graph)."""
    if t is None or isinstance(t, (URIRef, BNode, Literal)):
        return t
    kind = type(t).__name__
    if kind == "NamedNode":
        return URIRef(t.value)
    if kind == "BlankNode":
        return BNode(t.value)
    if kind == "Literal":       # what a query builds may hold characters no GEXF / GraphML / SVG can carry
        if t.language:
            return Literal(xml_safe(t.value), lang=t.language)
        return Literal(xml_safe(t.value), datatype=URIRef(t.datatype.value))
    if kind == "DefaultGraph":
        return None
    if isinstance(t, Graph):
        return t.identifier
    return t


def _quad(q) -> tuple:
    """``(s, p, o, g)`` of rdflib terms from an rdflib tuple or a pyoxigraph ``Quad`` / ``Triple``."""
    if hasattr(q, "subject"):
        s, p, o, g = q.subject, q.predicate, q.object, getattr(q, "graph_name", None)
    elif len(q) == 4:
        s, p, o, g = q
    else:
        (s, p, o), g = q, None
    g = _term(g)
    if g is not None and str(g) in _DEFAULT_GRAPH_IDS:
        g = None
    return _term(s), _term(p), _term(o), g


def iso_date(value: Any) -> str | None:
    """``YYYY-MM-DD`` for an ``xsd:date`` / ``dateTime`` / ``gYearMonth`` / ``gYear`` value, else ``None``."""
    m = re.fullmatch(r"\s*(\d{4})(?:-(\d\d)(?:-(\d\d))?)?(?:[T ].*)?\s*", str(value))
    if not m:
        return None
    try:
        d = _dt.date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1))
    except ValueError:
        return None
    return d.isoformat()


def local_name(iri: str) -> str:
    return re.split(r"[/#]", str(iri).rstrip("/#"))[-1]


@dataclass
class Facts:
    """What the export needs from the RDF, gathered in one pass over the quads.

    Graphs are named-graph IRIs; ``None`` stands for the default graph, which
    no document owns (it counts as a source of a fact, never as a document).
    """

    types: dict[URIRef, set[str]] = field(default_factory=lambda: defaultdict(set))
    labels: dict[URIRef, Counter] = field(default_factory=lambda: defaultdict(Counter))
    exact: dict[URIRef, set[str]] = field(default_factory=lambda: defaultdict(set))
    mentions: dict[URIRef, set] = field(default_factory=lambda: defaultdict(set))
    relations: dict[tuple, set] = field(default_factory=lambda: defaultdict(set))
    literals: dict[tuple, dict] = field(default_factory=lambda: defaultdict(lambda: defaultdict(set)))
    issued: dict[URIRef, str] = field(default_factory=dict)
    file_dated: set[URIRef] = field(default_factory=set)    # documents whose date is their file's time

    @classmethod
    def from_quads(cls, quads: Iterable) -> "Facts":
        f = cls()
        for q in quads:
            f.add(*_quad(q))
        return f

    def add(self, s, p, o, g) -> None:
        if p == RDF.type:
            etype = ENTITY_CLASSES.get(o)
            if etype:
                self.types[s].add(etype)
                if g is not None:
                    self.mentions[s].add(g)
        elif p == RDFS.label:
            self.labels[s][str(o)] += 1
        elif p == SKOS.exactMatch:
            self.exact[s].add(str(o))
        elif p in LITERALS:
            if isinstance(o, Literal):
                self.literals[(s, LITERALS[p])][o].add(g)
        elif p == DCTERMS.issued:
            d = iso_date(o)
            if d and (s not in self.issued or d < self.issued[s]):
                self.issued[s] = d
        elif p == CP.dateSource:
            if str(o) == schema.FILE_DATE_SOURCE:
                self.file_dated.add(s)
        elif isinstance(o, (URIRef, BNode)) and not isinstance(s, Literal):
            if p in _RELATION_SET:
                self.relations[(s, p, o)].add(g)

    # -- derived values ----------------------------------------------------

    def type_of(self, node) -> str | None:
        ts = self.types.get(node)
        if not ts:
            return None
        return next(t for t in TYPE_ORDER if t in ts)

    def date(self, graph) -> str | None:
        """A document graph's release date, its file's time included (``None``: undated, or no document)."""
        return self.issued.get(graph) if graph is not None else None

    def stated_date(self, graph) -> str | None:
        """The release date a document states itself (``None`` for one dated by its file's time only)."""
        return None if graph in self.file_dated else self.date(graph)

    def first_date(self, graphs: Iterable) -> str | None:
        """The earliest date the documents state; when none states one, the earliest of their file dates."""
        dates = [(g in self.file_dated, d) for g in graphs if (d := self.date(g))]
        return min(dates)[1] if dates else None

    def documents(self, graphs: Iterable) -> int:
        return sum(1 for g in set(graphs) if g is not None)

    def label(self, node) -> str:
        """One label: the one most documents give, ties to the first in code-point order."""
        c = self.labels.get(node)
        if not c:
            return local_name(node)
        return min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0]

    def node_attributes(self, node) -> dict[str, Any]:
        attrs: dict[str, Any] = {
            "label": self.label(node),
            "type": self.type_of(node) or "Unknown",
            "iri": str(node),
            "exact_match": " ".join(sorted(self.exact.get(node, ()))),
            "documents": self.documents(self.mentions.get(node, ())),
        }
        first = self.first_date(self.mentions.get(node, ()))
        if first:
            attrs["first_seen"] = first
        for rel in NODE_LITERALS:
            name = rel.node_attribute
            values = self.literals.get((node, name))
            if not values:
                continue
            if rel.single:              # one value: the latest dated document's
                value = self._latest(values)
                if rel.datatype == "integer":
                    try:
                        value = int(value.toPython())
                    except (TypeError, ValueError):
                        log.warning("%s: %s %r is not an integer: left out", node, name, str(value))
                        continue
                else:
                    value = str(value)
                attrs[name] = value
            else:
                attrs[name] = JOIN.join(sorted({str(v) for v in values}))
        return attrs

    def _latest(self, values: dict) -> Literal:
        """The value stated by the latest dated document (undated ones, and ones dated by their file's
        time only, count as oldest)."""
        return max(values, key=lambda v: (max((self.stated_date(g) or "" for g in values[v]), default=""), str(v)))

    def edge_attributes(self, label: str, graphs: set) -> dict[str, Any]:
        attrs: dict[str, Any] = {"label": label, "weight": max(1, self.documents(graphs))}
        first = self.first_date(graphs)
        if first:
            attrs["first_seen"] = first
        return attrs


_RELATION_SET = frozenset(RELATIONS)


# ---------------------------------------------------------------------------
# views: Facts -> networkx
# ---------------------------------------------------------------------------

def build_graph(facts: Facts, view: str = "full") -> nx.MultiDiGraph | nx.MultiGraph:
    """The networkx graph of one view (see the module docstring)."""
    if view not in _BUILDERS:
        raise ExportError(f"unknown view {view!r}: use one of {', '.join(VIEWS)}")
    G = _BUILDERS[view](facts, schema.VIEWS[view])
    G.graph["name"] = f"clinical pipeline ({view})"
    G.graph["view"] = view
    return G


def _graph(view: View) -> nx.MultiDiGraph | nx.MultiGraph:
    return nx.MultiDiGraph() if view.directed else nx.MultiGraph()


def _add_nodes(G, facts: Facts, nodes: Iterable) -> None:
    for n in sorted(set(nodes), key=str):
        G.add_node(str(n), **facts.node_attributes(n))


def _add_edges(G, edges: list[tuple[str, str, dict]]) -> None:
    """Add edges in a stable order, each keyed by a unique id (``e0``, ``e1``, ...)."""
    edges = sorted(edges, key=lambda e: (e[0], e[2]["label"], e[1]))
    for i, (u, v, attrs) in enumerate(edges):
        G.add_edge(u, v, key=f"e{i}", **attrs)


def _view_full(facts: Facts, view: View) -> nx.MultiDiGraph:
    G = _graph(view)
    entities = set(facts.types)
    labels = {schema.RELATIONS[name].iri: name for name in view.relations}
    _add_nodes(G, facts, entities)
    edges = [(str(s), str(o), facts.edge_attributes(labels[p], gs))
             for (s, p, o), gs in facts.relations.items() if p in labels and s in entities and o in entities]
    _add_edges(G, edges)
    return G


def _pairs(facts: Facts, rel: Relation) -> dict[tuple, set]:
    """(subject, object) -> graphs asserting it, for the pairs of one relation between nodes of its own types."""
    prop, stype, otype = rel.iri, schema.TYPES[rel.subject].node_type, schema.TYPES[rel.object].node_type
    return {(s, o): gs for (s, p, o), gs in facts.relations.items()
            if p == prop and facts.type_of(s) == stype and facts.type_of(o) == otype}


def _view_drug_target(facts: Facts, view: View) -> nx.MultiDiGraph:
    G = _graph(view)
    (rel,) = (schema.RELATIONS[name] for name in view.relations)
    pairs = _pairs(facts, rel)
    _add_nodes(G, facts, [n for pair in pairs for n in pair])
    _add_edges(G, [(str(s), str(o), facts.edge_attributes(rel.name, gs)) for (s, o), gs in pairs.items()])
    return G


def _trial_legs(facts: Facts, rel: Relation) -> dict[URIRef, dict[URIRef, set]]:
    """trial -> {object: graphs asserting (trial rel object)}, for a trial relation to an entity."""
    legs: dict[URIRef, dict[URIRef, set]] = defaultdict(dict)
    for (s, o), gs in _pairs(facts, rel).items():
        legs[s][o] = gs
    return legs


def _view_drug_condition(facts: Facts, view: View) -> nx.MultiDiGraph:
    """A relation, joined with the pairs of trials that imply it (schema.Relation.implied_by)."""
    G = _graph(view)
    (rel,) = (schema.RELATIONS[name] for name in view.relations)
    support: dict[tuple, set] = defaultdict(set)
    trials: dict[tuple, set] = defaultdict(set)
    for pair, gs in _pairs(facts, rel).items():
        support[pair] |= gs
    drugs = _trial_legs(facts, schema.RELATIONS[rel.implied_by.subject_leg])
    conditions = _trial_legs(facts, schema.RELATIONS[rel.implied_by.object_leg])
    for t in drugs.keys() & conditions.keys():
        for d, dgs in drugs[t].items():
            for c, cgs in conditions[t].items():
                support[(d, c)] |= dgs | cgs
                trials[(d, c)].add(t)
    _add_nodes(G, facts, [n for pair in support for n in pair])
    edges = []
    for (d, c), gs in support.items():
        attrs = facts.edge_attributes(rel.name, gs)
        attrs["trials"] = len(trials.get((d, c), ()))
        edges.append((str(d), str(c), attrs))
    _add_edges(G, edges)
    return G


def _view_sites(facts: Facts, view: View) -> nx.MultiGraph:
    """Undirected: institutions linked by the drugs their trials share."""
    G = _graph(view)
    sites, drugs = (_trial_legs(facts, schema.RELATIONS[name]) for name in view.relations)
    # site -> drug -> earliest date both legs of some trial were announced ("" if undated)
    linked: dict[URIRef, dict[URIRef, str]] = defaultdict(dict)
    for t in drugs.keys() & sites.keys():
        for s, sgs in sites[t].items():
            for d, dgs in drugs[t].items():
                both = max(facts.first_date(sgs) or "", facts.first_date(dgs) or "")
                prev = linked[s].get(d)
                linked[s][d] = both if prev is None else min(prev, both)
    _add_nodes(G, facts, linked)
    for s, ds in linked.items():
        G.nodes[str(s)]["drugs"] = len(ds)
    edges = []
    for a, b in combinations(sorted(linked, key=str), 2):
        shared = linked[a].keys() & linked[b].keys()
        if not shared:
            continue
        attrs: dict[str, Any] = {
            "label": view.edge_label,
            "weight": len(shared),
            "drugs": JOIN.join(sorted(facts.label(d) for d in shared)),
        }
        dated = [d for d in (max(linked[a][x], linked[b][x]) for x in shared) if d]
        if dated:
            attrs["first_seen"] = min(dated)
        edges.append((str(a), str(b), attrs))
    _add_edges(G, edges)
    return G


_BUILDERS = {"full": _view_full, "drug-target": _view_drug_target,
             "drug-condition": _view_drug_condition, "sites": _view_sites}


def query_graph(facts: Facts, triples: Iterable) -> nx.MultiDiGraph:
    """The graph of the triples a CONSTRUCT / DESCRIBE returned.

    Nodes are the entities among the IRIs the result mentions (typed in the
    store or in the result); edges are the result's triples between two of
    them, whatever the property. Attributes come from the store; ``weight`` is
    the number of documents asserting the triple, or 1 for a triple no document
    asserts (one the query derived).
    """
    result = Facts()
    iris: set = set()
    links: list[tuple] = []
    for q in triples:
        s, p, o, _ = _quad(q)
        result.add(s, p, o, None)
        if isinstance(o, (URIRef, BNode)) and p != RDF.type:
            links.append((s, p, o))
        for t in (s, o):
            if isinstance(t, (URIRef, BNode)):
                iris.add(t)

    def is_entity(n) -> bool:
        return n in facts.types or n in result.types

    G = nx.MultiDiGraph()
    for n in sorted((n for n in iris if is_entity(n)), key=str):
        source = facts if n in facts.types else result
        G.add_node(str(n), **source.node_attributes(n))
    edges = []
    for s, p, o in set(links):
        if is_entity(s) and is_entity(o):
            gs = facts.relations.get((s, p, o), set())
            edges.append((str(s), str(o), facts.edge_attributes(local_name(p), gs)))
    _add_edges(G, edges)
    G.graph["name"] = "clinical pipeline (query)"
    G.graph["view"] = "query"
    return G


# ---------------------------------------------------------------------------
# writers
# ---------------------------------------------------------------------------

def _scalar(value):
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float, str)):
        return value
    if value is None:
        return None
    if isinstance(value, (list, tuple, set, frozenset)):
        return JOIN.join(sorted(str(v) for v in value))
    return str(value)


def _flat(attrs: dict) -> dict:
    out = {}
    for k, v in attrs.items():
        v = _scalar(v)
        if v is not None:
            out[k] = v
    return out


def _gexf_graph(G, dynamic: bool = False):
    """A copy of ``G`` shaped for networkx's GEXF writer: ``viz`` dicts, edge ids, ``start`` dates."""
    H = G.__class__()
    H.graph["name"] = G.graph.get("name", "")
    if dynamic:
        H.graph["mode"] = "dynamic"
    visual = G.graph.get("visual", {})
    edge_start: dict[str, str] = {}
    for u, v, data in G.edges(data=True):
        d = data.get("first_seen")
        if d:
            for n in (u, v):
                edge_start[n] = min(edge_start.get(n, d), d)
    for n, data in G.nodes(data=True):
        attrs = _flat(data)
        vis = visual.get(n)
        if vis:
            r, g, b = hex_to_rgb(vis["color"])
            viz: dict[str, Any] = {"color": {"r": r, "g": g, "b": b, "a": 1.0}, "size": float(vis["size"])}
            if "x" in vis:
                viz["position"] = {"x": float(vis["x"]), "y": float(vis["y"]), "z": 0.0}
            attrs["viz"] = viz
        if dynamic:
            starts = [d for d in (data.get("first_seen"), edge_start.get(n)) if d]
            if starts:
                attrs["start"] = min(starts)    # an edge never starts before its nodes
        H.add_node(n, **attrs)
    for u, v, key, data in G.edges(keys=True, data=True):
        attrs = _flat(data)
        attrs["id"] = key
        if dynamic and data.get("first_seen"):
            attrs["start"] = data["first_seen"]
        H.add_edge(u, v, key=key, **attrs)
    return H


def _gexf_writer_class():
    from networkx.readwrite.gexf import GEXFWriter

    class Writer(GEXFWriter):
        """networkx's GEXF writer, made schema-valid and free of networkx's bookkeeping.

        The graph's name goes to ``<meta><description>`` (GEXF 1.2 has no
        ``name`` on ``<graph>``), and multigraph keys are not written as a
        ``networkx_key`` column: they are the edge ids already.
        """

        def add_graph(self, G):
            super().add_graph(G)
            name = self.graph_element.attrib.pop("name", "")
            meta = self.xml.find("meta")
            if name and meta is not None:
                from xml.etree.ElementTree import SubElement

                SubElement(meta, "description").text = name

        def add_attributes(self, node_or_edge, xml_obj, data, default):
            if node_or_edge == "edge":
                data = {k: v for k, v in data.items() if k != "key"}
            return super().add_attributes(node_or_edge, xml_obj, data, default)

    return Writer


def to_gexf(G, dynamic: bool = False) -> str:
    H = _gexf_graph(G, dynamic)
    writer = _gexf_writer_class()(encoding="utf-8", prettyprint=True, version="1.2draft")
    writer.add_graph(H)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + str(writer)


def _flat_visual_graph(G, colour: str):
    """A copy with scalar attributes and the visual ones as plain keys (``r g b`` or ``color``, size, x, y)."""
    H = G.__class__()
    H.graph.update({k: v for k, v in G.graph.items() if k in ("name", "view")})
    visual = G.graph.get("visual", {})
    for n, data in G.nodes(data=True):
        attrs = _flat(data)
        vis = visual.get(n)
        if vis:
            if colour == "rgb":
                attrs["r"], attrs["g"], attrs["b"] = hex_to_rgb(vis["color"])
            else:
                attrs["color"] = vis["color"]
            attrs["size"] = float(vis["size"])
            if "x" in vis:
                attrs["x"], attrs["y"] = float(vis["x"]), float(vis["y"])
        H.add_node(n, **attrs)
    for u, v, key, data in G.edges(keys=True, data=True):
        H.add_edge(u, v, key=key, **_flat(data))
    return H


def to_graphml(G) -> str:
    """GraphML; node ids are ``n0``, ``n1``, ... (GraphML ids are NMTOKENs, IRIs are not): see ``iri``."""
    H = _flat_visual_graph(G, colour="rgb")
    H = nx.relabel_nodes(H, {n: f"n{i}" for i, n in enumerate(H)}, copy=True)
    lines = nx.generate_graphml(H, encoding="utf-8", prettyprint=True)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + "\n".join(lines) + "\n"


def to_graphology(G) -> dict:
    """The graphology serialisation format (``graph.import(...)``, Sigma.js)."""
    H = _flat_visual_graph(G, colour="hex")
    pairs = Counter((u, v) if G.is_directed() else tuple(sorted((u, v))) for u, v in G.edges())
    return {
        "attributes": {"name": G.graph.get("name", ""), "view": G.graph.get("view", "")},
        "options": {"type": "directed" if G.is_directed() else "undirected",
                    "multi": any(c > 1 for c in pairs.values()), "allowSelfLoops": True},
        "nodes": [{"key": n, "attributes": dict(data)} for n, data in H.nodes(data=True)],
        "edges": [{"key": k, "source": u, "target": v, "attributes": dict(data)}
                  for u, v, k, data in H.edges(keys=True, data=True)],
    }


def to_json(G) -> str:
    return json.dumps(to_graphology(G), ensure_ascii=False, indent=1) + "\n"


# ---------------------------------------------------------------------------
# sources: an rdflib Dataset, or the project's store
# ---------------------------------------------------------------------------

class DatasetSource:
    """An rdflib Dataset as an export source (tests, ``kg extract`` output, small graphs)."""

    def __init__(self, ds: Dataset, name: str = ""):
        self.ds = ds
        self.name = name                # what a picture's title calls it

    def is_empty(self) -> bool:
        return next(iter(self.ds.quads((None, None, None, None))), None) is None

    def size(self) -> int:
        return sum(1 for _ in self.ds.quads((None, None, None, None)))

    def quads(self) -> Iterator[tuple]:
        return self.ds.quads((None, None, None, None))

    def construct(self, text: str) -> list:
        union = Dataset(store=self.ds.store, default_union=True)   # as kg.store: the default graph is the union
        result = union.query(text)
        if result.type not in ("CONSTRUCT", "DESCRIBE"):
            raise ExportError(f"--query needs a CONSTRUCT or DESCRIBE query, not {result.type}")
        return list(result.graph)

    def serialize(self, fmt: str) -> str:
        return _serialize_rdf(self.quads(), fmt)

    def close(self) -> None:
        pass


#: the quads the export reads, fetched by one lookup per (predicate) or (rdf:type, class) pattern,
#: so the evidence statements (most of the store) are never read
_MATCH = "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
FACT_PATTERNS: tuple[dict, ...] = (
    *({"p": RDF.type, "o": cls} for cls in ENTITY_CLASSES),
    *({"p": p} for p in (RDFS.label, SKOS.exactMatch, DCTERMS.issued, CP.dateSource, *RELATIONS, *LITERALS)),
)


class StoreSource:
    """The project's store (:mod:`kg.store`, embedded or remote) as an export source."""

    def __init__(self, store):
        self.store = store
        self.name = store.location      # a folder, or an endpoint URL without its credentials

    def is_empty(self) -> bool:
        return len(self.store) == 0

    def size(self) -> int:
        return len(self.store)

    def quads(self) -> Iterator[tuple]:
        for pattern in FACT_PATTERNS:
            result = self.store.query(_MATCH, pattern)
            cols = [result.variables.index(v) for v in ("s", "o", "g")]
            for row in result.rows:
                s, o, g = (row[i] for i in cols)
                if s is not None and o is not None and g is not None:
                    yield s, pattern["p"], o, g

    def construct(self, text: str) -> list:
        result = self.store.query(text)
        if result.kind != "graph":
            kind = {"solutions": "SELECT", "boolean": "ASK"}.get(result.kind, result.kind)
            raise ExportError(f"--query needs a CONSTRUCT or DESCRIBE query, not {kind}")
        return list(result.triples)

    def serialize(self, fmt: str) -> str:
        data = self.store.dump(format="trig" if fmt == "trig" else "nquads")
        return data.decode("utf-8") if isinstance(data, bytes) else (data or "")

    def close(self) -> None:
        self.store.close()


def _serialize_rdf(quads: Iterable, fmt: str) -> str:
    from .rdf.build import bind_prefixes

    ds = Dataset()
    bind_prefixes(ds)
    for q in quads:
        s, p, o, g = _quad(q)
        if g is None:
            ds.add((s, p, o))
        else:
            ds.graph(g).add((s, p, o))
    return ds.serialize(format="trig" if fmt == "trig" else "nquads")


def open_source(store=None, endpoint=None) -> StoreSource:
    """The store behind ``--store`` / ``--endpoint``, opened read-only."""
    from .store import open_store

    return StoreSource(open_store(store, endpoint, read_only=True))


# ---------------------------------------------------------------------------
# the command
# ---------------------------------------------------------------------------

def _check(fmt: str, view: str, layout: str, dynamic: bool, query_file, output) -> None:
    """Refuse a combination of options that cannot work, before the store is opened."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    if view not in VIEWS:
        raise ExportError(f"unknown view {view!r}: use one of {', '.join(VIEWS)}")
    if layout not in LAYOUTS:
        raise ExportError(f"unknown layout {layout!r}: use one of {', '.join(LAYOUTS)}")
    if dynamic and fmt != "gexf":
        raise ExportError(f"--dynamic applies to --format gexf only, not {fmt}")
    if fmt in RDF_FORMATS and view != "full":
        raise ExportError(f"--view applies to the graph formats ({', '.join(GRAPH_FORMATS)}), not {fmt}")
    if query_file and view != "full":
        raise ExportError("--query and --view cannot be combined: the query chooses the subgraph")
    if fmt == "png" and output is None:
        raise ExportError("--format png writes binary data: give an output file with -o FILE.png")
    if fmt in IMAGE_FORMATS:
        from .picture import require

        require(fmt)
    if output is not None:
        check_output(output)


def _read_query(query_file) -> str:
    from .query import read_query_file

    try:
        text = read_query_file(query_file)
    except KGError as e:
        raise ExportError(str(e)) from None
    form = query_form(text)
    if form not in ("CONSTRUCT", "DESCRIBE"):
        found = f"{'an' if form == 'ASK' else 'a'} {form} query" if form else "no SPARQL query form"
        raise ExportError(f"{query_file}: --query needs a CONSTRUCT or DESCRIBE query, found {found}")
    return text


def export_source(source, fmt: str, output=None, view: str = "full", query_file=None,
                  layout: str = "spring", dynamic: bool = False, seed: int = LAYOUT_SEED) -> str | None:
    """Export from a source (:class:`DatasetSource`, :class:`StoreSource`); see :func:`export`."""
    _check(fmt, view, layout, dynamic, query_file, output)
    query = _read_query(query_file) if query_file else None
    if source.is_empty():
        raise ExportError("the store is empty: run kg ingest first")
    triples = _construct(source, query, query_file) if query is not None else None

    if fmt in RDF_FORMATS:
        data = source.serialize(fmt) if triples is None else _serialize_rdf(triples, fmt)
        n = source.size() if triples is None else len(triples)
        return _emit(data, output, f"{n} {'quads' if triples is None else 'triples'} as "
                                   f"{'N-Quads' if fmt == 'nq' else 'TriG'} to {output}")

    facts = Facts.from_quads(source.quads())
    G = build_graph(facts, view) if triples is None else query_graph(facts, triples)
    if len(G) == 0:
        log.warning("the %s view has no nodes", G.graph.get("view"))
    decorate(G, layout, seed)
    if fmt == "gexf":
        data = to_gexf(G, dynamic=dynamic)
    elif fmt == "graphml":
        data = to_graphml(G)
    elif fmt == "json":
        data = to_json(G)
    else:
        from .picture import render_image

        data = render_image(G, fmt, store=shown(source.name))
        if fmt == "svg":
            data = data.decode("utf-8")
    what = G.graph.get("view")
    return _emit(data, output, f"{G.number_of_nodes()} nodes and {G.number_of_edges()} edges ({what}) to {output}")


def _construct(source, query: str, query_file) -> list:
    try:
        return source.construct(query)
    except ExportError as e:
        raise ExportError(f"{query_file}: {e}") from None
    except KGError as e:                # QueryError: malformed, or the store failed
        raise ExportError(f"{query_file}: {e}") from None
    except Exception as e:              # rdflib's parser and evaluator raise their own types
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ExportError(f"{query_file}: the query failed: {first}") from None


def export(fmt: str, output=None, store=None, endpoint=None, view: str = "full", query_file=None,
           layout: str = "spring", dynamic: bool = False) -> str | None:
    """``kg export``: write the store (or a view of it, or a query's subgraph) in one format.

    Output goes to ``output``, or to stdout for the text formats (all but
    png). Returns what was written to ``output`` for the CLI to report, or
    ``None`` when the data went to stdout.
    """
    _check(fmt, view, layout, dynamic, query_file, output)
    source = open_source(store, endpoint)
    try:
        return export_source(source, fmt, output=output, view=view, query_file=query_file,
                             layout=layout, dynamic=dynamic)
    finally:
        source.close()


def _emit(data: str | bytes, output, what: str) -> str | None:
    if output is None:
        if isinstance(data, bytes):
            raise ExportError("binary output needs a file: give -o FILE")
        sys.stdout.write(data)
        sys.stdout.flush()
        return None
    write_output(output, data)
    return what


# ---------------------------------------------------------------------------
# output files (also those of kg extract and kg explain)
# ---------------------------------------------------------------------------

def check_output(output) -> None:
    """Refuse an output path that cannot be written, before any work is done.

    A folder (or a name ending in a slash), a missing folder on the way, a
    file in place of a folder and a folder without write permission each raise
    :class:`~kg.errors.ExportError` naming the path and the problem. An
    existing device or pipe (``/dev/stdout``) is fine: :func:`write_output`
    writes to it as it is.
    """
    out = Path(output)
    name = shown(output)
    try:
        if out.is_dir() or str(output).endswith(("/", os.sep)):
            raise ExportError(f"{name}: is a folder; give a file name (-o FOLDER/FILE)")
        if out.exists() and not out.is_file():
            return
        parent = out.parent
        if not parent.exists():
            raise ExportError(f"{name}: cannot write: folder {shown(parent)} does not exist")
        if not parent.is_dir():
            raise ExportError(f"{name}: cannot write: {shown(parent)} is not a folder")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise ExportError(f"{name}: cannot write: no permission to write in {shown(parent)}")
    except OSError as e:
        raise ExportError(f"{name}: cannot write ({e.strerror or e})") from None


def write_output(output, data: str | bytes) -> None:
    """Write ``data`` (text as UTF-8) to the file ``output``, whole or not at all.

    The data goes to a temporary file beside ``output``, renamed over it once
    complete: an interrupted or failed write leaves the old file (or none)
    and no temporary file. A device or pipe is written to directly.
    """
    check_output(output)
    out = Path(output)
    name = shown(output)
    try:
        payload = data.encode("utf-8") if isinstance(data, str) else data
    except UnicodeEncodeError:
        raise ExportError(f"{name}: the output holds text that is not valid Unicode "
                          f"(from a file name with undecodable bytes?); nothing written") from None
    tmp = None
    try:
        if out.exists() and not out.is_file():
            with open(out, "wb") as f:
                f.write(payload)
            return
        fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
        os.chmod(tmp, _file_mode(out))
        os.replace(tmp, out)
        tmp = None
    except OSError as e:
        raise ExportError(f"{name}: cannot write ({e.strerror or e}); nothing written") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _file_mode(path: Path) -> int:
    """The permissions for ``path``: those of the file it replaces, else what the umask allows."""
    with contextlib.suppress(OSError):
        return path.stat().st_mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
