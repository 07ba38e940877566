"""kg/explain.py and `kg explain`: trace every fact to its rule and evidence."""
from __future__ import annotations

import pytest

from kg.documents import parse_documents
from kg.explain import explain_documents

pytestmark = pytest.mark.model

TEXT = """Acme Biosciences Inc. announced a Phase 2 trial of ZX-4410 in gout at the Lakeside University Hospital.
ZX-4410 is an inhibitor of XO-7 kinase."""


def test_text_report_lists_entities_rules_and_fact_evidence(extractor):
    [e] = explain_documents(parse_documents(TEXT, "r.txt"), extractor.nlp)
    text = e.to_text()
    assert "DRUG      'ZX-4410'" in text and "rule=drug.code-name" in text
    assert "ZX-4410 | targets | XO-7 kinase | target.inhibitor-of |" in text
    line = next(l for l in text.splitlines() if "| sites | Lakeside University Hospital |" in l)
    assert "trial.site" in line and "[0-" in line


def test_html_report_has_the_entity_view_and_the_fact_table(extractor):
    [e] = explain_documents(parse_documents(TEXT, "r.txt"), extractor.nlp)
    page = e.to_html()
    assert page.startswith("<!DOCTYPE html>") and "class=\"entities\"" in page
    assert "<td>targets</td>" in page and "<code>target.inhibitor-of</code>" in page
