"""Abbreviation definitions: "non-small cell lung cancer (NSCLC)".

A Schwartz & Hearst style detector (the algorithm scispaCy's
``AbbreviationDetector`` implements): for a parenthesised short form, find
the shortest stretch of preceding words whose characters contain the short
form's characters in order, the first one starting a word. The pure function
:func:`find_long_form` is the algorithm; the component stores the pairs in
``doc.user_data["kg_abbreviations"]`` as ``(short_start, short_end,
long_start, long_end)`` character offsets.
"""
from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc

from .resources import doc_text

KEY = "kg_abbreviations"
_SHORT = re.compile(r"\(\s*[\"\u201c\u2018']?([A-Za-z][\w\-+/&.]{0,9}?)[\"\u201d\u2019']?\s*\)")


def is_short_form(s: str) -> bool:
    if not 2 <= len(s) <= 10 or " " in s:
        return False
    if not s[0].isalnum() or not any(c.isalpha() for c in s):
        return False
    # a short form has a capital inside it or is all capitals ("OA", "rHGG", "CIPPN", "HR-MDS")
    return any(c.isupper() for c in s)


def find_long_form(candidate: str, short: str) -> int | None:
    """Start index in ``candidate`` of the long form for ``short``, or None.

    Characters of ``short`` are matched right to left against ``candidate``;
    the first character must begin a word of the long form.
    """
    s = [c.lower() for c in short if c.isalnum()]
    if not s:
        return None
    cand = candidate.lower()
    si = len(s) - 1
    li = len(cand) - 1
    while si >= 0:
        c = s[si]
        while li >= 0 and (cand[li] != c or (si == 0 and li > 0 and cand[li - 1].isalnum())):
            li -= 1
        if li < 0:
            return None
        li -= 1
        si -= 1
    start = li + 1
    while start > 0 and candidate[start - 1].isalnum():
        start -= 1
    return start


def abbreviations(text: str) -> list[tuple[int, int, int, int]]:
    """Pure function: every "long form (SF)" definition in ``text``."""
    out = []
    for m in _SHORT.finditer(text):
        short = m.group(1).rstrip(".")
        if not is_short_form(short):
            continue
        before = text[max(0, m.start() - 160):m.start()]
        # the long form lies in the same clause: cut at sentence ends and semicolons
        cut = max(before.rfind(". "), before.rfind("; "), before.rfind("\n"), before.rfind("("))
        if cut >= 0:
            before = before[cut + 1:]
        before = before.rstrip(" ,")
        words = before.split()
        limit = min(len(short) + 5, len(short) * 2)
        window = " ".join(words[-limit:])
        start = find_long_form(window, short)
        if start is None:
            continue
        long_form = window[start:]
        if len(long_form) <= len(short) or long_form.lower() == short.lower():
            continue
        # position of the long form in the text
        l_end = m.start() - (len(text[:m.start()]) - len(text[:m.start()].rstrip(" ,")))
        l_start = l_end - len(long_form)
        if text[l_start:l_end] != long_form:
            idx = text.rfind(long_form, 0, m.start())
            if idx < 0:
                continue
            l_start, l_end = idx, idx + len(long_form)
        s_start = m.start(1)
        out.append((s_start, s_start + len(short), l_start, l_end))
    return out


_LONG_IN_PARENS = re.compile(r"([A-Za-z][\w\-+/&.]{1,9})\s+\(([^()]{4,80})\)")


def reverse_abbreviations(text: str) -> list[tuple[int, int, int, int]]:
    """ "SF (long form)": "VLA-4 (Very Late Antigen-4)"."""
    out = []
    for m in _LONG_IN_PARENS.finditer(text):
        short, long_form = m.group(1), m.group(2).strip()
        if not is_short_form(short) or len(long_form.split()) < 2:
            continue
        if find_long_form(long_form, short) == 0 and long_form[0].lower() == short[0].lower():
            ls = m.start(2) + (len(m.group(2)) - len(m.group(2).lstrip()))
            out.append((m.start(1), m.end(1), ls, ls + len(long_form)))
    return out


@Language.component("kg_abbreviations")
def abbreviation_component(doc: Doc) -> Doc:
    text = doc_text(doc)
    doc.user_data[KEY] = sorted(set(abbreviations(text)) | set(reverse_abbreviations(text)))
    return doc
