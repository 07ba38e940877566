"""The graph builder: extraction records in, an RDF dataset out (pure; no I/O).

One named graph per document, named by the document's IRI, holding the
document node (title, release date, source, publisher, content hash), the
entities it mentions (type, one ``rdfs:label``, ``skos:altLabel`` for each
other surface form, ``skos:exactMatch`` identifiers), its trials, its facts,
and one ``rdf:Statement`` per fact with the evidence sentence, its character
offsets in the original file, the rule id and a confidence.
"""
from __future__ import annotations

import re

from rdflib import RDF, RDFS, XSD, Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, SKOS

from ..records import Evidence, Extraction, Trial
from ..schema import ASSERTED_RELATIONS, RELATIONS, TRIAL_RELATIONS, TYPES
from .iris import document_iri, entity_iri, statement_iri, trial_iri
from .namespace import CP, ID

# what the builder states, read from the registry (kg.schema)
#: entity type -> the classes its entities are typed with, its own first (a Company is an Organization too)
TYPE_CLASSES = {t.name: tuple(TYPES[c].iri for c in t.classes) for t in TYPES.values()}
TRIAL_CLASS = TYPES["ClinicalTrial"].iri
#: (Trial attribute, property, literal datatype or None, single-valued), in the order a trial's facts are stated
TRIAL_FACTS = tuple((r.trial_attr, r.iri, r.datatype, r.single) for r in TRIAL_RELATIONS)
#: Assertion.predicate -> (property, literal datatype or None)
PREDICATES = {r.name: (r.iri, r.datatype) for r in ASSERTED_RELATIONS}
#: (property, Trial attribute of the subjects, Trial attribute of the objects, rule): facts a trial implies
TRIAL_JOINS = tuple((r.iri, RELATIONS[j.subject_leg].trial_attr, RELATIONS[j.object_leg].trial_attr, j.rule)
                    for r in RELATIONS.values() if (j := r.implied_by) is not None)
PREFIXES = {"cp": str(CP._NS), "skos": str(SKOS), "prov": str(PROV), "dcterms": str(DCTERMS)}


def bind_prefixes(g: Graph | Dataset) -> None:
    g.bind("cp", CP._NS)
    g.bind("cpid", URIRef(str(CP._NS) + "id/"))
    g.bind("cpdoc", URIRef(str(CP._NS) + "doc/"))
    g.bind("skos", SKOS)
    g.bind("prov", PROV)
    g.bind("dcterms", DCTERMS)


def decimal_lexical(x: float, places: int = 3) -> str:
    """A probability as the shortest decimal ("1", "0.5", "0.853"): the form stores give it back in."""
    return f"{round(x, places):.{places}f}".rstrip("0").rstrip(".") or "0"


def _date_literal(value: str) -> Literal | None:
    if re.fullmatch(r"\d{4}-\d\d-\d\d", value):
        return Literal(value, datatype=XSD.date)
    if re.fullmatch(r"\d{4}-\d\d", value):
        return Literal(value, datatype=XSD.gYearMonth)
    return None


def add_document(ds: Dataset, x: Extraction, content_hash: str) -> Graph:
    """Add one document's named graph to ``ds`` (replacing nothing: the store does that)."""
    doc = document_iri(x.doc_id)
    g = ds.graph(doc)
    g.add((doc, RDF.type, CP.Document))
    g.add((doc, DCTERMS.source, Literal(x.source)))
    g.add((doc, CP.contentHash, Literal(content_hash)))
    meta = x.meta
    if meta.get("title"):
        g.add((doc, DCTERMS.title, Literal(meta["title"])))
    issued = _date_literal(meta["date"]) if meta.get("date") else None
    if issued is not None:
        g.add((doc, DCTERMS.issued, issued))
    for t in meta.get("tickers", []):
        g.add((doc, CP.ticker, Literal(t)))
    if meta.get("screened_out"):        # the relevance filter kept it from the NLP pipeline (kg.relevance)
        g.add((doc, CP.screenedOut, Literal(True)))
    for key in x.companies:
        if key in x.entities:
            g.add((doc, DCTERMS.publisher, entity_iri(key)))

    for key, e in x.entities.items():
        node = entity_iri(key)
        for cls in TYPE_CLASSES[e.type]:
            g.add((node, RDF.type, cls))
        g.add((node, RDFS.label, Literal(e.name)))
        for alias in sorted(e.aliases):
            if alias and alias != e.name:
                g.add((node, SKOS.altLabel, Literal(alias)))
        for ident in sorted(e.ids):
            g.add((node, SKOS.exactMatch, URIRef(ident)))

    n = 0
    seen: dict[tuple, URIRef] = {}

    def state(s: URIRef, p: URIRef, o, ev: Evidence) -> None:
        nonlocal n
        triple = (s, p, o)
        g.add(triple)
        if triple in seen:
            return
        n += 1
        st = statement_iri(x.doc_id, n)
        seen[triple] = st
        g.add((st, RDF.type, RDF.Statement))
        g.add((st, RDF.subject, s))
        g.add((st, RDF.predicate, p))
        g.add((st, RDF.object, o))
        g.add((st, PROV.wasDerivedFrom, doc))
        g.add((st, CP.evidenceText, Literal(ev.text)))
        g.add((st, CP.charStart, Literal(ev.start, datatype=XSD.integer)))
        g.add((st, CP.charEnd, Literal(ev.end, datatype=XSD.integer)))
        g.add((st, CP.rule, Literal(ev.rule)))
        g.add((st, CP.confidence, Literal(decimal_lexical(ev.confidence), datatype=XSD.decimal)))

    for t in x.trials:
        node = trial_iri(x.doc_id, t.id, t.names)
        g.add((node, RDF.type, TRIAL_CLASS))
        g.add((node, RDFS.label, Literal(_trial_label(x, t))))
        for name in t.names:
            g.add((node, CP.trialName, Literal(name)))
            if re.fullmatch(r"NCT\d{8}", name):
                g.add((node, SKOS.exactMatch, URIRef(f"https://clinicaltrials.gov/study/{name}")))
        # every trial fact carries the evidence of the sentence that stated it (Trial.add records it)
        for attr, prop, datatype, single in TRIAL_FACTS:
            for v in _values(t, attr, single):
                state(node, prop, _literal(v, datatype) if datatype else entity_iri(v), t.evidence[f"{attr}|{v}"])
        # a drug studied in a trial for a condition is investigated for it (evidence: the condition's sentence)
        for prop, subjects, objects, rule in TRIAL_JOINS:
            for s in getattr(t, subjects):
                for o in getattr(t, objects):
                    ev = t.evidence[f"{objects}|{o}"]
                    state(entity_iri(s), prop, entity_iri(o), Evidence(ev.start, ev.end, ev.text, rule, ev.confidence))

    for a in x.assertions:
        prop, datatype = PREDICATES[a.predicate]
        o = _literal(a.object, datatype) if a.literal else entity_iri(str(a.object))
        state(entity_iri(a.subject), prop, o, a.evidence)
    return g


def _values(t: Trial, attr: str, single: bool) -> list:
    """A trial's values of one relation: its list, or its one value if it has one (a single-valued relation)."""
    values = getattr(t, attr)
    if not single:
        return values
    return [] if values is None or values == "" else [values]


def _literal(value, datatype: str | None) -> Literal:
    """A fact's literal value: a plain string, or typed with its relation's XSD datatype (xsd:integer)."""
    return Literal(value) if datatype in (None, "string") else Literal(value, datatype=XSD[datatype])


def _trial_label(x: Extraction, t) -> str:
    if t.names:
        return t.names[0]
    name = lambda k: x.entities[k].name if k in x.entities else k.split("|", 1)[-1]
    phase = next((p for p in t.phases if re.fullmatch(r"Phase \d(?:/\d)?", p)), t.phases[0] if t.phases else "")
    parts = [phase or "Clinical", "trial"]
    if t.drugs or t.partners:
        parts += ["of", " + ".join(name(k) for k in t.drugs + t.partners)]
    if t.conditions:
        parts += ["in", ", ".join(name(k) for k in t.conditions)]
    return " ".join(parts)


class LabelRegistry:
    """One ``rdfs:label`` per entity across documents.

    Each document graph labels its entities with the canonical name it saw; two
    documents may spell one entity differently ("solid tumours", "solid tumors").
    The first label an IRI got wins; a later document's other spelling becomes a
    ``skos:altLabel``. ``lookup`` answers "which labels do these IRIs already have?"
    for a store.
    """

    def __init__(self, lookup=None):
        self.known: dict[str, str] = {}
        self.lookup = lookup

    def harmonize(self, g: Graph) -> Graph:
        subjects = sorted({s for s in g.subjects(RDFS.label, None)
                           if isinstance(s, URIRef) and str(s).startswith(str(ID))})
        missing = [str(s) for s in subjects if str(s) not in self.known]
        if missing and self.lookup is not None:
            for iri, labels in self.lookup(missing).items():
                if labels:
                    self.known[iri] = min(labels)
        for s in subjects:
            labels = sorted(str(l) for l in g.objects(s, RDFS.label))
            known = self.known.setdefault(str(s), labels[0])
            for label in labels:
                if label != known:
                    g.remove((s, RDFS.label, Literal(label)))
                    g.add((s, SKOS.altLabel, Literal(label)))
            g.add((s, RDFS.label, Literal(known)))
        return g


class DrugIdentities:
    """One node per drug across documents, whatever name a release uses.

    A release that says "LOR-2040 (formerly GTI-2040)" gives one drug both names. A later
    release that names only "LOR-2040" would mint its own IRI; this registry maps it onto the
    node that already carries that name (as label or alternative label), in this run or in
    the store (``lookup``: names -> the smallest IRI of the drugs carrying them). When a
    release's names join two existing nodes, it keeps its own if that is one of them, else
    the smaller, and states ``owl:sameAs`` to the other. A name carried by several nodes maps to the smallest IRI, in this run as
    in the store, so a run resumed after an interruption resolves names as one clean run does.
    Only distinctive names count: codes, and names of five or more characters; short
    abbreviations ("AZA", "STS") are too ambiguous to join documents.
    """

    def __init__(self, lookup=None):
        self.by_name: dict[str, str] = {}
        self.lookup = lookup

    @staticmethod
    def distinctive(name: str) -> bool:
        return bool(re.search(r"\d", name)) or len(name) >= 5

    def resolve(self, g: Graph) -> Graph:
        drugs = sorted(s for s in g.subjects(RDF.type, CP.Drug) if isinstance(s, URIRef))
        names_of = {d: sorted({str(l) for p in (RDFS.label, SKOS.altLabel) for l in g.objects(d, p)
                               if self.distinctive(str(l))}) for d in drugs}
        unknown = sorted({n for names in names_of.values() for n in names if n not in self.by_name})
        if unknown and self.lookup is not None:
            for name, iri in self.lookup(unknown).items():
                self.by_name.setdefault(name, iri)
        for d in drugs:
            known = sorted({self.by_name[n] for n in names_of[d] if n in self.by_name})
            target = str(d) if not known or str(d) in known else known[0]
            if target != str(d):
                _rename(g, d, URIRef(target))
            for other in known:
                if other != target:
                    g.add((URIRef(target), OWL.sameAs, URIRef(other)))
            for n in names_of[d]:       # as the store answers it: the smallest IRI of the nodes carrying the name
                self.by_name[n] = min(self.by_name.get(n, target), target)
        return g


def _rename(g: Graph, old: URIRef, new: URIRef) -> None:
    for s, p, o in list(g.triples((old, None, None))):
        g.remove((s, p, o))
        g.add((new, p, o))
    for s, p, o in list(g.triples((None, None, old))):
        g.remove((s, p, o))
        g.add((s, p, new))


class Identities:
    """The cross-document steps a document graph goes through before it is stored:
    drug identity first, then one label per entity."""

    def __init__(self, lookup_names=None, lookup_labels=None):
        self.drugs = DrugIdentities(lookup_names)
        self.labels = LabelRegistry(lookup_labels)

    def __call__(self, g: Graph) -> Graph:
        return self.labels.harmonize(self.drugs.resolve(g))


def build_dataset(items: list[tuple[Extraction, str]]) -> Dataset:
    ds = Dataset()
    bind_prefixes(ds)
    identities = Identities()
    for x, content_hash in items:
        identities(add_document(ds, x, content_hash))
    return ds
