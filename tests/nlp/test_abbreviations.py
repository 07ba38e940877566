"""kg/nlp/abbreviations.py: the Schwartz-Hearst long-form search."""
from __future__ import annotations

import pytest

from kg.nlp.abbreviations import abbreviations, find_long_form, is_short_form, reverse_abbreviations


def pairs(text, finder=abbreviations):
    return [(text[a:b], text[c:d]) for a, b, c, d in finder(text)]


@pytest.mark.parametrize("text, short, long", [
    ("patients with non-small cell lung cancer (NSCLC) were", "NSCLC", "non-small cell lung cancer"),
    ("sponsored by the Cancer Therapy Evaluation Program (CTEP).", "CTEP", "Cancer Therapy Evaluation Program"),
    ("in recurrent high-grade glioma (rHGG).", "rHGG", "recurrent high-grade glioma"),
    ("inhibitor of sphingosine kinase-2 (SPHK2)", "SPHK2", "sphingosine kinase-2"),
])
def test_long_form_before_the_parenthesis(text, short, long):
    assert (short, long) in pairs(text)


def test_long_form_inside_the_parenthesis():
    assert pairs("an inhibitor of VLA-4 (Very Late Antigen-4).", reverse_abbreviations) == \
        [("VLA-4", "Very Late Antigen-4")]


def test_not_an_abbreviation():
    assert pairs("the trial (which started in 2003) enrolled patients") == []
    assert pairs("results (p=0.01) were") == []
    assert not is_short_form("which")
    assert find_long_form("lung cancer", "XYZ") is None
