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

import html
from dataclasses import dataclass, field

from .documents import Document
from .errors import shown
from .records import Extraction
from .relations import DEFAULT
from .schema import TYPES

#: entity label -> colour: the Gephi colours of the registry's types (kg.schema), and two of this view's own
COLOURS = {**{t.span_label: t.colour for t in TYPES.values() if t.span_label and t.colour},
           "PHASE": "#CCBB44", "TRIAL": "#66CCEE"}
LABELS = set(COLOURS)
#: the HTML report runs no script and loads nothing: inline styles (displaCy's) and data: images only
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


@dataclass
class Explanation:
    document: Document
    doc: object           # the spaCy Doc
    extraction: Extraction
    dropped: list = field(default_factory=list)    # kg.relations.candidates.Candidate the scorer turned down
    threshold: float | None = None                 # the scorer's threshold; None: no scorer ran
    names: dict = field(default_factory=dict)      # entity key -> name, of every entity the rules found

    def facts(self) -> list[tuple[str, str, str, str, float, str, int, int]]:
        """(subject, predicate, object, rule, confidence, evidence, start, end), trials first."""
        x = self.extraction
        name = lambda k: x.entities[k].name if k in x.entities else str(k)
        rows = []
        for t in x.trials:
            label = f"trial {t.id}" + (f" ({', '.join(t.names)})" if t.names else "")
            for key, ev in sorted(t.evidence.items()):
                attr, _, value = key.partition("|")
                rows.append((label, attr, name(value), ev.rule, ev.confidence, ev.text, ev.start, ev.end))
        for a in x.assertions:
            ev = a.evidence
            rows.append((name(a.subject), a.predicate, str(a.object) if a.literal else name(a.object),
                         ev.rule, ev.confidence, ev.text, ev.start, ev.end))
        return rows

    def dropped_facts(self) -> list[tuple[str, str, str, str, float]]:
        """(relation, subject, object, rules, probability) of the candidates the scorer turned down, likeliest first."""
        names = {**self.names, **{k: e.name for k, e in self.extraction.entities.items()}}
        name = lambda k: names.get(k, k.partition("|")[2] or k)
        rows = [(c.relation, name(c.fact[1]), name(c.fact[2]) + (f" ({c.fact[3]})" if len(c.fact) > 3 else ""),
                 ",".join(sorted(c.rules)), c.probability) for c in self.dropped]
        return sorted(rows, key=lambda r: (-r[4], r[:3]))

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
        out += ["", "## facts (subject | predicate | object | rule | confidence | evidence)"]
        for s, p, o, rule, conf, text, start, end in self.facts():
            out.append(f"  {s} | {p} | {o} | {rule} | {conf:.2f} | [{start}-{end}] {text[:160]}")
        if self.threshold is not None:
            out += ["", f"## candidates the scorer dropped (threshold {self.threshold:.2f}; "
                        "relation | subject | object | rules | probability)"]
            out += [f"  {r} | {a} | {b} | {rules} | {p:.2f}" for r, a, b, rules, p in self.dropped_facts()]
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
        fact_rows = "".join(
            f"<tr><td>{esc(s)}</td><td>{esc(p)}</td><td>{esc(o)}</td><td><code>{esc(r)}</code></td>"
            f"<td>{c:.2f}</td><td>{esc(t)}<br><small>chars {a}\u2013{b}</small></td></tr>"
            for s, p, o, r, c, t, a, b in self.facts())
        dropped = "" if self.threshold is None else (
            f"<h2>Candidates the scorer dropped (threshold {self.threshold:.2f})</h2><table><tr><th>relation</th>"
            f"<th>subject</th><th>object</th><th>rules</th><th>probability</th></tr>"
            + "".join(f"<tr><td>{esc(r)}</td><td>{esc(a)}</td><td>{esc(b)}</td><td><code>{esc(rules)}</code></td>"
                      f"<td>{p:.2f}</td></tr>" for r, a, b, rules, p in self.dropped_facts()) + "</table>")
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
                f"<h2>Facts</h2><table><tr><th>subject</th><th>predicate</th><th>object</th><th>rule</th>"
                f"<th>confidence</th><th>evidence</th></tr>{fact_rows}</table>{dropped}"
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
