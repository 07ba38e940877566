"""Error analysis: one document's clean text with its entities, and every fact with its evidence.

``kg explain DOC`` shows how the tool read a release, so a wrong fact can be
traced to the rule that made it in one step: the entities (label, rule id,
canonical name) marked in the clean text, the zones it skipped, the trials it
built and each fact's rule, confidence and evidence sentence, and the candidate
facts the trained scorer turned down, with their probability against its
threshold (so a missing fact is as easy to trace as a wrong one). As HTML
(spaCy's displaCy entity view plus tables) or plain text.

The HTML report escapes everything that comes from the release or its file
name, and its Content-Security-Policy (:data:`CSP`) allows no script at all.
"""
from __future__ import annotations

import functools
import html
from dataclasses import dataclass, field
from typing import NamedTuple

from rdflib import RDF, RDFS, Dataset

from .documents import Document
from .errors import shown
from .rdf.build import add_document, bind_prefixes
from .rdf.iris import statement_iri
from .rdf.namespace import CP
from .records import Extraction
from .relations import DEFAULT
from .relations.candidates import DRUG_PREDICATES
from .schema import RELATIONS, TYPES

#: entity label -> colour: the Gephi colours of the registry's types (kg.schema), and two of this view's own
COLOURS = {**{t.span_label: t.colour for t in TYPES.values() if t.span_label and t.colour},
           "PHASE": "#CCBB44", "TRIAL": "#66CCEE"}
LABELS = set(COLOURS)
#: the HTML report runs no script and loads nothing: inline styles (displaCy's) and data: images only
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


class Fact(NamedTuple):
    """One statement of the release's graph, as the report shows it."""

    subject: str          # the subject's rdfs:label (a trial's as the graph labels it)
    property: str         # the property as a prefixed name: "cp:studiesCondition", "skos:altLabel"
    object: str           # the object's rdfs:label, or the literal's value
    rule: str
    confidence: float
    evidence: str
    start: int            # the evidence sentence's offsets in the original file's text
    end: int


class TrialRow(NamedTuple):
    label: str            # its rdfs:label in the graph
    iri: str
    names: str            # its cp:trialName values, joined


class Dropped(NamedTuple):
    """A candidate fact the scorer turned down, named as the graph would have stated it."""

    property: str         # "cp:sponsor"
    subject: str          # a drug, or the trial it would have gone to ("a trial of ZX-4410 in gout")
    object: str
    rules: str
    probability: float


#: a candidate fact's relation (kg.relations.candidates: ``(relation, a, b[, value])``, the evaluator's
#: names) -> the contract property that would state it in the graph, what its subject is (a drug, or
#: the trial the fact goes through) and which argument is its object
CANDIDATE_PROPERTIES: dict[str, tuple[str, str, int]] = {
    **{fact: (name, "{a}", 2) for name, fact in DRUG_PREDICATES.items()},    # targets, investigatedFor, developer
    "combination": ("combinationPartner", "a trial of {a}", 2),
    "sponsor": ("sponsor", "a trial of {a}", 2),
    "site": ("site", "a trial in {a}", 2),                    # ("site", condition, organisation)
    "phase": ("phase", "a trial of {a} in {b}", 3),           # ("phase", drug, condition, "Phase N")
}
FACT_COLUMNS = ("subject", "property", "object", "rule", "confidence", "evidence")
DROPPED_COLUMNS = ("property", "subject", "object", "rules", "probability")
TRIAL_COLUMNS = ("label", "IRI", "names")


def curie(prop: str) -> str:
    """A contract relation's name as the report writes it: its prefixed name ("cp:targets")."""
    return f"cp:{RELATIONS[prop].name}"


@dataclass
class Explanation:
    document: Document
    doc: object           # the spaCy Doc
    extraction: Extraction
    dropped: list = field(default_factory=list)    # kg.relations.candidates.Candidate the scorer turned down
    threshold: float | None = None                 # the scorer's threshold; None: no scorer ran
    names: dict = field(default_factory=dict)      # entity key -> name, of every entity the rules found

    @functools.cached_property
    def graph(self):
        """The release's named graph, as ``kg extract`` and ``kg ingest`` write it."""
        ds = Dataset()
        bind_prefixes(ds)
        return add_document(ds, self.extraction, "")

    def facts(self) -> list[Fact]:
        """Every statement of the graph with its evidence, in the order the graph states them (trials first)."""
        g, shown_as = self.graph, self._shown()
        rows, n = [], 1
        while (st := statement_iri(self.extraction.doc_id, n), RDF.type, RDF.Statement) in g:
            value = lambda p: g.value(st, p).toPython()
            subject, prop, obj = (g.value(st, p) for p in (RDF.subject, RDF.predicate, RDF.object))
            rows.append(Fact(shown_as.get(subject, str(subject)), g.qname(prop), shown_as.get(obj, str(obj)),
                             str(value(CP.rule)), float(value(CP.confidence)), str(value(CP.evidenceText)),
                             value(CP.charStart), value(CP.charEnd)))
            n += 1
        return rows

    def trials(self) -> list[TrialRow]:
        """The release's trial nodes: label, IRI and names, as the graph holds them."""
        g = self.graph
        return [TrialRow(str(g.value(n, RDFS.label)), str(n), ", ".join(sorted(map(str, g.objects(n, CP.trialName)))))
                for n in self._trial_nodes()]

    def _trial_nodes(self) -> list:
        g = self.graph
        return sorted(g.subjects(RDF.type, CP.ClinicalTrial), key=lambda n: (str(g.value(n, RDFS.label)), str(n)))

    def _shown(self) -> dict:
        """Node -> how the report names it: its rdfs:label; a trial whose label another trial of the
        release shares, its label and IRI."""
        g = self.graph
        out = {s: str(o) for s, o in g.subject_objects(RDFS.label)}
        labels = [out[n] for n in self._trial_nodes()]
        for n in self._trial_nodes():
            if labels.count(out[n]) > 1:
                out[n] = f"{out[n]} <{n}>"
        return out

    def dropped_facts(self) -> list[Dropped]:
        """The candidates the scorer turned down, each named by the property that would have stated it,
        likeliest first."""
        names = {**self.names, **{k: e.name for k, e in self.extraction.entities.items()}}
        name = lambda k: names.get(k, k.partition("|")[2] or k)
        rows = []
        for c in self.dropped:
            prop, subject, obj = CANDIDATE_PROPERTIES[c.relation]
            args = [c.fact[0], *map(name, c.fact[1:3]), *c.fact[3:]]
            rows.append(Dropped(curie(prop), subject.format(a=args[1], b=args[2]), str(args[obj]),
                                ",".join(sorted(c.rules)), c.probability))
        return sorted(rows, key=lambda r: (-r.probability, r[:3]))

    def zones(self) -> list[tuple[str, str, str]]:
        return [(z.label_, z.id_, z.text[:80]) for z in self.doc.spans.get("kg_zones", [])]

    def to_text(self) -> str:
        d = self.document
        out = [f"# {shown(d.source)}", f"format: {d.format}; id: {d.id}; "
               + "; ".join(f"{k}: {v}" for k, v in d.meta.items() if k != "format"), "", "## entities"]
        for e in self.doc.ents:
            if e.label_ in LABELS:
                o_s, o_e = d.original_span(e.start_char, e.end_char)
                out.append(f"  {e.label_:9} {e.text!r:45} rule={e.id_} name={e.kb_id_!r} chars={o_s}-{o_e}")
        out += ["", "## zones"] + [f"  {z:5} {r:35} {t!r}" for z, r, t in self.zones()]
        out += ["", f"## trials ({' | '.join(TRIAL_COLUMNS)})"] + [f"  {' | '.join(t)}" for t in self.trials()]
        out += ["", f"## facts ({' | '.join(FACT_COLUMNS)})"]
        for f in self.facts():
            out.append(f"  {f.subject} | {f.property} | {f.object} | {f.rule} | {f.confidence:.2f} | "
                       f"[{f.start}-{f.end}] {f.evidence[:160]}")
        if self.threshold is not None:
            out += ["", f"## candidates the scorer dropped (threshold {self.threshold:.2f}; "
                        f"{' | '.join(DROPPED_COLUMNS)})"]
            out += [f"  {r.property} | {r.subject} | {r.object} | {r.rules} | {r.probability:.2f}"
                    for r in self.dropped_facts()]
        return "\n".join(out) + "\n"

    def to_html(self) -> str:
        from spacy import displacy

        d = self.document
        esc = html.escape
        # displaCy escapes the text but writes an entity's kb_id (here its canonical name, taken from
        # the release) as it is: hand it the entities with the names escaped
        parsed = {"text": self.doc.text, "title": None,
                  "ents": [{"start": e.start_char, "end": e.end_char, "label": e.label_,
                            "kb_id": esc(e.kb_id_), "kb_url": "#"} for e in self.doc.ents]}
        marked = displacy.render(parsed, style="ent", manual=True, page=False, jupyter=False,
                                 options={"ents": sorted(LABELS), "colors": COLOURS})
        meta = "".join(f"<li><b>{esc(k)}</b>: {esc(str(v))}</li>" for k, v in d.meta.items())
        head = lambda columns: "<tr>" + "".join(f"<th>{esc(c)}</th>" for c in columns) + "</tr>"
        fact_rows = "".join(
            f"<tr><td>{esc(f.subject)}</td><td><code>{esc(f.property)}</code></td><td>{esc(f.object)}</td>"
            f"<td><code>{esc(f.rule)}</code></td><td>{f.confidence:.2f}</td>"
            f"<td>{esc(f.evidence)}<br><small>chars {f.start}\u2013{f.end}</small></td></tr>"
            for f in self.facts())
        dropped = "" if self.threshold is None else (
            f"<h2>Candidates the scorer dropped (threshold {self.threshold:.2f})</h2><table>{head(DROPPED_COLUMNS)}"
            + "".join(f"<tr><td><code>{esc(r.property)}</code></td><td>{esc(r.subject)}</td><td>{esc(r.object)}</td>"
                      f"<td><code>{esc(r.rules)}</code></td><td>{r.probability:.2f}</td></tr>"
                      for r in self.dropped_facts()) + "</table>")
        trial_rows = "".join(f"<tr><td>{esc(t.label)}</td><td><code>{esc(t.iri)}</code></td>"
                             f"<td>{esc(t.names)}</td></tr>"
                             for t in self.trials())
        zone_rows = "".join(f"<tr><td>{esc(z)}</td><td><code>{esc(r)}</code></td><td>{esc(t)}</td></tr>"
                            for z, r, t in self.zones())
        ent_rows = "".join(
            f"<tr><td>{esc(e.label_)}</td><td>{esc(e.text)}</td><td><code>{esc(e.id_)}</code></td>"
            f"<td>{esc(e.kb_id_)}</td></tr>" for e in self.doc.ents if e.label_ in LABELS)
        style = ("body{font-family:sans-serif;margin:2em;max-width:80em}table{border-collapse:collapse;margin:1em 0}"
                 "td,th{border:1px solid #ccc;padding:.3em .5em;vertical-align:top;font-size:90%}"
                 "th{background:#eee}code{font-size:95%}")
        return (f"<!DOCTYPE html><html><head><meta charset='utf-8'>"
                f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">"
                f"<title>kg explain: {esc(d.source)}</title>"
                f"<style>{style}</style></head><body><h1>{esc(d.source)}</h1><ul>{meta}</ul>"
                f"<h2>Facts</h2><table>{head(FACT_COLUMNS)}{fact_rows}</table>{dropped}"
                f"<h2>Trials</h2><table>{head(TRIAL_COLUMNS)}{trial_rows}</table>"
                f"<h2>Text and entities</h2>{marked}"
                f"<h2>Entities</h2><table><tr><th>label</th><th>text</th><th>rule</th><th>name</th></tr>{ent_rows}</table>"
                f"<h2>Zones</h2><table><tr><th>zone</th><th>rule</th><th>start</th></tr>{zone_rows}</table>"
                f"</body></html>")


def explain_documents(documents, nlp, scorer=DEFAULT) -> list[Explanation]:
    """One :class:`Explanation` per document. ``scorer`` as in :func:`kg.relations.link`: the trained
    scorer by default, a :class:`~kg.relations.scoring.ScorerModel`, or None for the rules alone."""
    from .nlp.pieces import process
    from .relations import linked
    from .relations.scoring import keep, load_scorer, scored

    model = load_scorer() if scorer == DEFAULT else scorer
    out = []
    for document in documents:
        doc = process(nlp, document.text)
        linker = linked(doc, document)
        if model is None:
            out.append(Explanation(document, doc, linker.x))
            continue
        names = {k: e.name for k, e in linker.all_entities.items()}
        [cands] = scored([linker], model)
        x = keep(linker, cands, model.threshold)
        out.append(Explanation(document, doc, x, [c for c in cands if c.probability < model.threshold],
                               model.threshold, names))
    return out
