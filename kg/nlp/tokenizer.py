"""Tokenizer adjustments for press-release text.

Trademark marks written as ``(R)`` / ``(TM)`` split off a brand name
("Virulizin(R)" -> "Virulizin", "(R)"), and paragraph breaks become their
own whitespace tokens that the sentence splitter treats as boundaries.
"""
from __future__ import annotations

from spacy.language import Language
from spacy.util import compile_suffix_regex

MARK_SUFFIXES = [r"\((?:R|TM|r|tm|SM)\)", r"[\u00ae\u2122]"]


def customize_tokenizer(nlp: Language) -> None:
    suffixes = MARK_SUFFIXES + list(nlp.Defaults.suffixes or [])
    nlp.tokenizer.suffix_search = compile_suffix_regex(suffixes).search
