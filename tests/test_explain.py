"""kg/explain.py and `kg explain`: trace every fact to its rule and evidence."""
from __future__ import annotations

import pytest

from kg.documents import parse_documents
from kg.explain import explain_documents
from kg.relations.scoring import ScorerModel

pytestmark = pytest.mark.model

TEXT = """Acme Biosciences Inc. announced a Phase 2 trial of ZX-4410 in gout at the Lakeside University Hospital.
ZX-4410 is an inhibitor of XO-7 kinase."""


class TargetsDoubted(ScorerModel):
    """A scorer that believes every candidate but the targets facts (0.3, under its threshold 0.5)."""

    def __init__(self):
        super().__init__(None, None, 0.5, {})

    def probabilities(self, rows):
        return [0.3 if row.get("rel=targets") else 0.9 for row in rows]


def test_text_report_lists_entities_rules_and_fact_evidence(extractor):
    [e] = explain_documents(parse_documents(TEXT, "r.txt"), extractor.nlp, scorer=None)
    text = e.to_text()
    assert "DRUG      'ZX-4410'" in text and "rule=drug.code-name" in text
    assert "ZX-4410 | targets | XO-7 kinase | target.inhibitor-of |" in text
    line = next(l for l in text.splitlines() if "| sites | Lakeside University Hospital |" in l)
    assert "trial.site" in line and "[0-" in line


def test_html_report_has_the_entity_view_and_the_fact_table(extractor):
    [e] = explain_documents(parse_documents(TEXT, "r.txt"), extractor.nlp, scorer=None)
    page = e.to_html()
    assert page.startswith("<!DOCTYPE html>") and "class=\"entities\"" in page
    assert "<td>targets</td>" in page and "<code>target.inhibitor-of</code>" in page


def test_the_report_lists_what_the_scorer_dropped_with_its_probability(extractor):
    [e] = explain_documents(parse_documents(TEXT, "r.txt"), extractor.nlp, scorer=TargetsDoubted())
    text = e.to_text()
    facts = text.split("## candidates the scorer dropped")[0]
    assert "| targets |" not in facts and "| investigatedFor | gout |" in facts
    assert "## candidates the scorer dropped (threshold 0.50;" in text
    assert "  targets | ZX-4410 | XO-7 kinase | target.inhibitor-of | 0.30" in text
    assert "<td>targets</td><td>ZX-4410</td><td>XO-7 kinase</td>" in e.to_html()


def test_with_the_trained_scorer_every_dropped_candidate_is_under_its_threshold(extractor):
    [e] = explain_documents(parse_documents(TEXT, "r.txt"), extractor.nlp)
    if e.threshold is None:
        pytest.skip("no trained scorer (make train)")
    assert e.dropped and all(p < e.threshold for *_, p in e.dropped_facts())
