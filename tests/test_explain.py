"""kg/explain.py and `kg explain`: trace every fact to its rule and evidence, in the contract's terms."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest
import spacy

from kg.documents import parse_documents
from kg.explain import CANDIDATE_PROPERTIES, Explanation, explain_documents
from kg.rdf.build import trial_nodes
from kg.records import Entity, Evidence, Extraction, Trial
from kg.relations.candidates import Candidate
from kg.relations.scoring import ScorerModel
from kg.schema import RELATIONS

TEXT = """Acme Biosciences Inc. announced a Phase 2 trial of ZX-4410 in combination with capecitabine in gout \
at the Lakeside University Hospital.
ZX-4410 is an inhibitor of XO-7 kinase."""
#: the names kg explain used before it spoke the contract: Trial attributes and document-local trial ids
OWN_NAMES = (" conditions ", " partners ", " drugs ", " sites ", " sponsors ", " phases ", "trial t1")


class TargetsDoubted(ScorerModel):
    """A scorer that believes every candidate but the targets facts (0.3, under its threshold 0.5)."""

    def __init__(self):
        super().__init__(None, None, 0.5, {})

    def probabilities(self, rows):
        return [0.3 if row.get("rel=targets") else 0.9 for row in rows]


class _Cells(HTMLParser):
    """The rows of every table of a page, as lists of cell texts, by the heading before the table."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.heading, self.cell, self.in_small = "", None, False

    def handle_starttag(self, tag, attrs):
        if tag == "h2":
            self.heading = ""
        elif tag == "tr":
            self.tables.setdefault(self.heading, []).append([])
        elif tag in ("td", "th"):
            self.cell = ""
        elif tag == "small":
            self.in_small = True

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.tables[self.heading][-1].append(self.cell.strip())
            self.cell = None
        elif tag == "small":
            self.in_small = False

    def handle_data(self, data):
        if self.cell is not None and not self.in_small:
            self.cell += data
        elif self.cell is None and not self.tables.get(self.heading):
            self.heading += data


def html_tables(page: str) -> dict[str, list[list[str]]]:
    parser = _Cells()
    parser.feed(page)
    return parser.tables


def text_section(text: str, heading: str) -> list[list[str]]:
    """The rows of one "## heading" section of the text report, split on " | "."""
    lines = text.split(f"## {heading}", 1)[1].split("\n## ", 1)[0].splitlines()[1:]
    return [[cell.strip() for cell in (line.strip() + " ").split(" | ")] for line in lines if line.strip()]


@pytest.fixture(scope="module")
def explained(extractor):
    [e] = explain_documents(parse_documents(TEXT, "r.txt"), extractor.nlp, scorer=None)
    return e


@pytest.mark.model
def test_text_report_lists_entities_rules_and_fact_evidence(explained):
    text = explained.to_text()
    assert "DRUG      'ZX-4410'" in text and "rule=drug.code-name" in text
    assert "ZX-4410 | cp:targets | XO-7 kinase | target.inhibitor-of |" in text
    line = next(l for l in text.splitlines() if "| cp:site | Lakeside University Hospital |" in l)
    assert "trial.site" in line and "[0-" in line


@pytest.mark.model
def test_the_report_names_relations_by_contract_property_and_trials_by_their_graph_label(explained):
    [(node, label)] = trial_nodes(explained.extraction)     # the trial's rdfs:label and IRI in the graph
    text = explained.to_text()
    facts = text_section(text, "facts")
    assert [label, "cp:studiesCondition", "gout"] in [row[:3] for row in facts]
    assert [label, "cp:combinationPartner", "capecitabine"] in [row[:3] for row in facts]
    assert ["ZX-4410", "cp:investigatedFor", "gout"] in [row[:3] for row in facts]
    assert {row[1] for row in facts} <= {f"cp:{r}" for r in RELATIONS}
    assert [label, str(node), ""] in text_section(text, "trials")
    assert not [name for name in OWN_NAMES if name in text]


@pytest.mark.model
def test_html_and_text_reports_state_the_same_facts_and_trials(explained):
    text, tables = explained.to_text(), html_tables(explained.to_html())
    assert tables["Facts"][0] == ["subject", "property", "object", "rule", "confidence", "evidence"]
    html_facts = [row[:5] for row in tables["Facts"][1:]]
    assert html_facts == [row[:5] for row in text_section(text, "facts")]
    assert any(row[1] == "cp:studiesCondition" for row in html_facts)
    assert tables["Trials"][1:] == text_section(text, "trials") and len(tables["Trials"]) == 2
    assert explained.to_html().startswith("<!DOCTYPE html>") and "class=\"entities\"" in explained.to_html()


@pytest.mark.model
def test_the_report_lists_what_the_scorer_dropped_with_its_probability(extractor):
    [e] = explain_documents(parse_documents(TEXT, "r.txt"), extractor.nlp, scorer=TargetsDoubted())
    text = e.to_text()
    facts = text.split("## candidates the scorer dropped")[0]
    assert "| cp:targets |" not in facts and "| cp:investigatedFor | gout |" in facts
    assert ("## candidates the scorer dropped (threshold 0.50; property | subject | object | rules | probability)"
            in text)
    assert "  cp:targets | ZX-4410 | XO-7 kinase | target.inhibitor-of | 0.30" in text
    dropped = html_tables(e.to_html())["Candidates the scorer dropped (threshold 0.50)"]
    assert ["cp:targets", "ZX-4410", "XO-7 kinase", "target.inhibitor-of", "0.30"] in dropped


@pytest.mark.model
def test_with_the_trained_scorer_every_dropped_candidate_is_under_its_threshold(extractor):
    [e] = explain_documents(parse_documents(TEXT, "r.txt"), extractor.nlp)
    if e.threshold is None:
        pytest.skip("no trained scorer (make train)")
    assert e.dropped and all(r.probability < e.threshold for r in e.dropped_facts())


# --- without the model: records made for the test ---------------------------------------------------

def _explanation(trials, entities, dropped=()) -> Explanation:
    [document] = parse_documents("ZX-4410 in gout.", "r.txt")
    x = Extraction(document.id, "r.txt", {}, {e.key: e for e in entities}, trials)
    return Explanation(document, spacy.blank("en")(document.text), x, list(dropped), 0.5 if dropped else None)


DRUG = Entity("Drug|zx-4410", "Drug", "ZX-4410")
GOUT = Entity("Condition|gout", "Condition", "gout")
SITE = Entity("Organization|lakeside hospital", "Organization", "Lakeside Hospital")
EV = Evidence(0, 16, "ZX-4410 in gout.", "rule.for-the-test", 0.9)


def test_two_trials_with_one_label_are_told_apart_by_their_iris():
    trials = []
    for n, status in ((1, "ongoing"), (2, "completed")):
        t = Trial(id=f"t{n}")
        t.add("drugs", DRUG.key, EV)
        t.status = status
        t.evidence[f"status|{status}"] = EV
        trials.append(t)
    e = _explanation(trials, [DRUG])
    rows = e.trials()
    assert len(rows) == 2 and rows[0].label == rows[1].label and rows[0].iri != rows[1].iri
    subjects = {f.subject for f in e.facts() if f.property == "cp:status"}
    assert subjects == {f"{r.label} <{r.iri}>" for r in rows}
    text = e.to_text()
    assert all(f"{s} | cp:status |" in text for s in subjects)


def test_dropped_candidates_are_named_by_the_property_that_would_state_them():
    dropped = [Candidate(("site", GOUT.key, SITE.key), rules={"pair.site"}, probability=0.2),
               Candidate(("phase", DRUG.key, GOUT.key, "Phase 2"), rules={"pair.phase"}, probability=0.1),
               Candidate(("developer", DRUG.key, SITE.key), rules={"pair.developer"}, probability=0.05)]
    rows = _explanation([], [DRUG, GOUT, SITE], dropped).dropped_facts()
    assert [r[:3] for r in rows] == [("cp:site", "a trial in gout", "Lakeside Hospital"),
                                    ("cp:phase", "a trial of ZX-4410 in gout", "Phase 2"),
                                    ("cp:developedBy", "ZX-4410", "Lakeside Hospital")]


def test_every_candidate_relation_has_a_contract_property():
    from kg.relations.candidates import DRUG_PREDICATES, PAIR_RELATIONS

    kinds = set(DRUG_PREDICATES.values()) | set(PAIR_RELATIONS.values()) | {"combination", "sponsor", "site", "phase"}
    assert kinds <= set(CANDIDATE_PROPERTIES)
    assert all(prop in RELATIONS for prop, _, _ in CANDIDATE_PROPERTIES.values())
