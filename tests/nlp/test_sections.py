"""kg/nlp/sections.py: boilerplate zones."""
from __future__ import annotations

from kg.nlp.sections import find_zones, load_zone_rules, paragraphs

TEXT = """Acme Biosciences announced a Phase 2 trial of AB-101 in gout.

About AB-101

AB-101 is an inhibitor of XO-1.

Forward-Looking Statements

This press release contains forward-looking statements about AB-101 in lupus.

Media Contact:

Jane Roe, Tel: (555) 555-0100, Email: jane@example.org

View the original release on www.example.org

Pickup text after the footer."""


def zones(text):
    return [(z, r, text[s:e]) for s, e, z, r in find_zones(text, load_zone_rules())]


def test_paragraphs():
    assert len(paragraphs(TEXT)) == 9


def test_zones_of_a_release():
    found = zones(TEXT)
    labels = {(z, r) for z, r, _ in found}
    assert ("about", "zone.about.header") in labels
    assert ("skip", "zone.forward-looking.header") in labels
    assert ("skip", "zone.contacts.header") in labels
    assert ("skip", "zone.footer.source") in labels
    about = next(t for z, r, t in found if z == "about")
    assert "AB-101 is an inhibitor" in about and "Forward" not in about
    skipped = " ".join(t for z, r, t in found if z == "skip")
    assert "lupus" in skipped and "Pickup text" in skipped and "gout" not in skipped


def test_forward_looking_sentence_inside_a_long_paragraph_starts_the_zone():
    text = ("Acme announced a Phase 3 trial of AB-101 in gout. This press release contains "
            "forward-looking statements that involve risks.")
    [(z, r, t)] = zones(text)
    assert z == "skip" and t.startswith("This press release") and "gout" not in t


def test_forum_header_covers_only_itself():
    text = ("To: someone who wrote (12 ) 1/2/2003 1:00:00 PM From: other Respond to of 99 "
            "Acme announced a Phase 2 trial of AB-101.")
    [(z, r, t)] = zones(text)
    assert r == "zone.forum-header" and t.endswith("Respond to of 99")
