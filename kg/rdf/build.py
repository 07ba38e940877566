"""The graph builder: extraction records in, an RDF dataset out (pure; no I/O).

One named graph per document, named by the document's IRI, holding the
document node (title, release date and where it was read, source, publisher,
content hash), the entities it mentions (type, one ``rdfs:label``,
``skos:altLabel`` for each other surface form, ``skos:exactMatch``
identifiers, ``skos:broader`` for a condition's place in MeSH), its trials,
its facts, and one ``rdf:Statement`` per fact with the evidence sentence, its
character offsets in the original file, the rule id and a confidence. A
trial's ``cp:phase`` is a contract value ("Phase 2"); a sub-phase the release
states ("Phase 2a") is its ``cp:subPhase``, reified like any fact. Two names
the release joined into one entity ("LOR-2040 (formerly GTI-2040)") are a fact
too: the ``skos:altLabel`` is reified with the rule and sentence that joined
them.
"""
from __future__ import annotations

import re
from collections.abc import Mapping

from rdflib import RDF, RDFS, XSD, Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, SKOS

from ..records import Evidence, Extraction, Trial
from ..schema import ASSERTED_RELATIONS, PHASES, RELATIONS, TRIAL_RELATIONS, TYPES, main_phase, phase_parts
from .identity import DatasetNodes, DrugNodes
from .targets import TargetNodes
from .iris import document_iri, entity_iri, statement_iri, trial_iri
from .namespace import CP, ID

# what the builder states, read from the registry (kg.schema)
#: entity type -> the classes its entities are typed with, its own first (a Company is an Organization too)
TYPE_CLASSES = {t.name: tuple(TYPES[c].iri for c in t.classes) for t in TYPES.values()}
TRIAL_CLASS = TYPES["ClinicalTrial"].iri
#: (Trial attribute, property, literal datatype or None, single-valued), in the order a trial's facts are stated
TRIAL_FACTS = tuple((r.trial_attr, r.iri, r.datatype, r.single) for r in TRIAL_RELATIONS)
PHASE = RELATIONS["phase"].iri
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
        if meta.get("date_source"):     # where the date was read: EDGAR header, dateline, ..., file time
            g.add((doc, CP.dateSource, Literal(meta["date_source"])))
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
        # the organisation it is part of ("the NCI" cp:partOf "the NIH"), a node even when no fact names it
        for parent, name in sorted(e.part_of.items()):
            if parent not in x.entities:
                for cls in TYPE_CLASSES["Organization"]:
                    g.add((entity_iri(parent), RDF.type, cls))
                g.add((entity_iri(parent), RDFS.label, Literal(name)))
            g.add((node, CP.partOf, entity_iri(parent)))

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

    for t, (node, label) in zip(x.trials, trial_nodes(x)):
        g.add((node, RDF.type, TRIAL_CLASS))
        g.add((node, RDFS.label, Literal(label)))
        for name in t.names:
            g.add((node, CP.trialName, Literal(name)))
            if re.fullmatch(r"NCT\d{8}", name):
                g.add((node, SKOS.exactMatch, URIRef(f"https://clinicaltrials.gov/study/{name}")))
        # every trial fact carries the evidence of the sentence that stated it (Trial.add records it)
        for attr, prop, datatype, single in TRIAL_FACTS:
            for v in _values(t, attr, single):
                ev = t.evidence[f"{attr}|{v}"]
                # "Phase 2a": cp:phase "Phase 2" and cp:subPhase "Phase 2a", each with the sentence stating it
                v, sub = phase_parts(v) if prop == PHASE else (v, None)
                state(node, prop, _literal(v, datatype) if datatype else entity_iri(v), ev)
                if sub is not None:
                    state(node, CP.subPhase, Literal(sub), ev)
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

    # why names are one node: the rule and sentence that joined them; where a condition sits in MeSH
    for key, e in x.entities.items():
        node = entity_iri(key)
        for name, ev in sorted(e.joined.items()):
            state(node, SKOS.altLabel, Literal(name), ev)
        for broader in sorted(e.broader):
            g.add((node, SKOS.broader, entity_iri(broader)))
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


#: a trial design: its studied drugs (entity keys, sorted), its main phase, its conditions (entity keys, sorted)
Design = tuple[tuple[str, ...], str, tuple[str, ...]]
#: the Trial attributes a trial has one value of in a release (status, enrolment)
SINGLE_ATTRS = tuple(attr for attr, _, _, single in TRIAL_FACTS if single)


def trial_design(t: Trial, broader: Mapping[str, set[str]] | None = None) -> Design | None:
    """What names an unnamed trial across releases: its studied drugs, main phase and conditions.

    All three must be stated, and one main phase ("Phase 1b" and "Phase 1" are one): a release
    that gives no phase, no condition or two phases says too little to tell its trial from
    another trial of the same drug. Combination partners, sites and sponsors are left out: releases
    name them unevenly, and the same trial would split on them. Releases also name a trial's
    condition at different depths ("multiple sclerosis"; "multiple sclerosis ... relapsing-remitting
    MS"): a condition the trial names together with the broader condition it is a kind of
    (``broader``: condition key -> the keys of the conditions directly above it) is left out of the
    design, which keeps the name the releases share. The trial's facts keep both.
    """
    phases = {p for p in map(main_phase, t.phases) if p in PHASES}
    if not (t.drugs and t.conditions and len(phases) == 1):
        return None
    conditions, broader = set(t.conditions), broader or {}
    kinds = {c for c in conditions if broader.get(c, set()) & conditions}
    return tuple(sorted(t.drugs)), phases.pop(), tuple(sorted(conditions - kinds))


def trial_nodes(x: Extraction) -> list[tuple[URIRef, str]]:
    """Each trial's node and label: a pure function of the release, so any order of ingestion gives one graph.

    A trial with a registry number or name is named by it (:func:`kg.rdf.iris.trial_iri`); one
    without is named by its design (:func:`trial_design`), or by the name the release gives a
    trial of that design elsewhere ("the P288ALS trial" and "the Phase 2 trial of IFB-088 in
    bulbar-onset ALS" in one release are one trial). Trials of one release that would share a
    node but differ in a single-valued fact (status, enrolment) are two trials, or cannot be told
    apart: each unnamed one stays the document's own, and so does one whose design the release
    gives two names.
    """
    broader = {k: e.broader for k, e in x.entities.items() if e.type == "Condition"}
    designs = [trial_design(t, broader) for t in x.trials]
    named: dict[Design, set[URIRef]] = {}
    label_of: dict[URIRef, str] = {}
    for t, d in zip(x.trials, designs):
        if t.names:
            node = trial_iri(x.doc_id, t.id, t.names)
            label_of.setdefault(node, t.names[0])
            if d:
                named.setdefault(d, set()).add(node)

    def shared(t: Trial, d: Design | None) -> URIRef | None:
        """The node a trial can share with other releases (and other trials of this one); None: none."""
        if t.names:
            return trial_iri(x.doc_id, t.id, t.names)
        if d in named:
            return next(iter(named[d])) if len(named[d]) == 1 else None
        return trial_iri(x.doc_id, t.id, None, *d) if d else None

    nodes = [shared(t, d) for t, d in zip(x.trials, designs)]
    values: dict[tuple[URIRef, str], set] = {}
    for t, node in zip(x.trials, nodes):
        for attr in SINGLE_ATTRS if node is not None else ():
            if (v := getattr(t, attr)) not in (None, ""):
                values.setdefault((node, attr), set()).add(v)
    torn = {node for (node, _), vs in values.items() if len(vs) > 1}
    return [(trial_iri(x.doc_id, t.id), _trial_label(x, t)) if node is None or (node in torn and not t.names)
            else (node, label_of.get(node) or design_label(d))
            for t, d, node in zip(x.trials, designs, nodes)]


def design_label(design: Design) -> str:
    """A designed trial's label, from its design alone, so every release gives its node the same one.
    Drug identity then names its drugs by their labels (:func:`kg.rdf.designs.label_of`)."""
    drugs, phase, conditions = design
    name = lambda key: key.split("|", 1)[-1]
    # drug codes read in capitals ("GTI-2040"); keys are case-folded
    code = lambda words: " ".join(w.upper() if re.search(r"\d", w) and re.search(r"[a-z]", w) else w
                                  for w in words.split(" "))
    return f"{phase} trial of {' + '.join(code(name(k)) for k in drugs)} in {', '.join(name(k) for k in conditions)}"


class LabelRegistry:
    """One ``rdfs:label`` per entity across documents, whatever order they come in.

    Each document graph labels its entities with the canonical name it saw; two documents may
    spell one entity differently ("Bulbar-Onset ALS", "bulbar-onset ALS"). The entity's label is the
    smallest of the labels releases give it, its other spellings ``skos:altLabel``: when a release
    brings a smaller one, the graphs already written are relabelled through ``place`` (which also
    answers "which labels do these IRIs already have?"). Drugs are not its business:
    :mod:`kg.rdf.identity` labels them by their best name. A trial named by its design is labelled
    by its drugs' names (:mod:`kg.rdf.designs`): when drug identity relabels it in stored graphs,
    :meth:`forget` drops what the registry knew of it.
    """

    def __init__(self, place=None):
        self.known: dict[str, str] = {}
        self.place = place

    def forget(self, iris) -> None:
        """Labels of ``iris`` were changed in the place: ask the place again."""
        for iri in iris:
            self.known.pop(str(iri), None)

    def harmonize(self, g: Graph) -> Graph:
        subjects = sorted({s for s in g.subjects(RDFS.label, None) if isinstance(s, URIRef)
                           and str(s).startswith(str(ID)) and (s, RDF.type, CP.Drug) not in g})
        missing = [str(s) for s in subjects if str(s) not in self.known]
        if missing and self.place is not None:
            for iri, labels in self.place.labels(missing, str(g.identifier)).items():
                if labels:
                    self.known[iri] = min(labels)
        for s in subjects:
            labels = sorted(str(l) for l in g.objects(s, RDFS.label))
            known = self.known.get(str(s))
            best = labels[0] if known is None else min(known, labels[0])
            if known is not None and best != known and self.place is not None:
                self.place.relabel(s, best, str(g.identifier))
            self.known[str(s)] = best
            for label in labels:
                if label != best:
                    g.remove((s, RDFS.label, Literal(label)))
                    g.add((s, SKOS.altLabel, Literal(label)))
            g.add((s, RDFS.label, Literal(best)))
        return g


class Identities:
    """The cross-document steps a document graph goes through before it is written to ``place`` (a
    :class:`~kg.rdf.identity.DatasetNodes` or :class:`~kg.rdf.identity.StoreNodes`): drug identity
    first (:mod:`kg.rdf.identity`, which may rename nodes already written), then the targets of its
    drugs (:mod:`kg.rdf.targets`), then one label per other entity. Call :meth:`written` once the
    graph is in the place."""

    def __init__(self, place):
        self.place = place
        self.drugs = DrugNodes(place)
        self.targets = TargetNodes(place)
        self.labels = LabelRegistry(place)

    def __call__(self, g: Graph) -> Graph:
        g = self.drugs.add(g)
        g = self.targets.add(g, self.drugs.renamed)
        self._forget()
        return self.labels.harmonize(g)

    def _forget(self) -> None:
        self.labels.forget(self.place.relabelled)
        self.place.relabelled.clear()

    def written(self, g: Graph) -> None:
        self.place.register(g)

    def recompute(self, drugs) -> None:
        """Work out again the drugs of graphs that were replaced or dropped, and their targets."""
        self.drugs.recompute(drugs)
        self.targets.recompute(set(drugs) | self.drugs.renamed)
        self._forget()


def build_dataset(items: list[tuple[Extraction, str]]) -> Dataset:
    ds = Dataset()
    bind_prefixes(ds)
    identities = Identities(DatasetNodes(ds))
    for x, content_hash in items:
        identities.written(identities(add_document(ds, x, content_hash)))
    return ds
