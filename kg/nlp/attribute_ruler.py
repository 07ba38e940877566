"""A faster matcher for the model's ``attribute_ruler``, with the same matches.

``en_core_web_sm``'s attribute ruler maps fine-grained tags to parts of
speech and morphology, plus a few word-specific exceptions: about 180
patterns, almost all of one token, tested with spaCy's general ``Matcher``
at every token. That costs about an eighth of the model's time, more than the
tagger and the parser together. :func:`accelerate` gives the component a
matcher that looks up, for each token, only the patterns that can match it
(by its tag and its lower-case form) and tests those; the component then sets
the attributes exactly as before (same matches, same order of application).

Only patterns the lookup understands are taken over: token attributes
``TAG``, ``LOWER``, ``DEP``, ``IS_SPACE`` compared by value or with ``IN`` /
``NOT_IN`` / ``REGEX``, and no operators. A ruler with any other pattern
keeps spaCy's matcher (:func:`accelerate` returns ``False``).
"""
from __future__ import annotations

import logging
import re

from spacy.tokens import Doc

log = logging.getLogger(__name__)

ATTRS = ("TAG", "LOWER", "DEP", "IS_SPACE")      # the token attributes this matcher reads, in array order
INDEXED = ("TAG", "LOWER", "DEP", "IS_SPACE")     # the first token's attribute a pattern is filed under, in this order


class _Unsupported(Exception):
    pass


def _predicate(attr: str, spec, strings):
    """``value -> bool`` for one attribute constraint, as spaCy's Matcher reads it.

    Values are what ``Doc.to_array`` gives: string hashes (``TAG``, ``LOWER``,
    ``DEP``) or 0/1 (``IS_SPACE``).
    """
    if attr not in ATTRS:
        raise _Unsupported(attr)
    if attr == "IS_SPACE":
        if not isinstance(spec, bool):
            raise _Unsupported(repr(spec))
        return lambda v: bool(v) == spec
    if isinstance(spec, str):
        h = strings.add(spec)
        return lambda v: v == h
    if isinstance(spec, dict) and len(spec) == 1:
        (op, arg), = spec.items()
        if op == "IN":
            allowed = frozenset(strings.add(a) for a in arg)
            return lambda v: v in allowed
        if op == "NOT_IN":
            banned = frozenset(strings.add(a) for a in arg)
            return lambda v: v not in banned
        if op == "REGEX":
            rx = re.compile(arg)
            return lambda v: bool(rx.search(strings[v]))
    raise _Unsupported(repr(spec))


def _index_values(attr: str, spec, strings) -> list | None:
    """The values of ``attr`` a token must have to match ``spec`` (None: too many to list)."""
    if attr == "IS_SPACE" and isinstance(spec, bool):
        return [int(spec)]
    if isinstance(spec, str):
        return [strings.add(spec)]
    if isinstance(spec, dict) and set(spec) == {"IN"}:
        return [strings.add(a) for a in spec["IN"]]
    return None


class IndexedMatcher:
    """Drop-in for the attribute ruler's ``Matcher``: ``matcher(doc)`` -> ``[(match_id, start, end)]``.

    Each pattern is filed under the values its first token must have for one
    attribute (its tag, else its lower-case form, else its dependency label,
    else whether it is a space); a token is tested only against the patterns
    filed under its own values, and the few patterns that cannot be filed.
    Matches are unique per ``(match_id, start, end)``, as spaCy's are.
    """

    def __init__(self, matcher, patterns: list[tuple[int, list[dict]]], strings):
        self.matcher = matcher          # spaCy's, kept for what this one does not do (get, len, ...)
        self.index: list[dict[int, list]] = [{} for _ in ATTRS]   # per attribute column: value -> patterns
        self.anywhere: list = []
        for match_id, pattern in patterns:
            if not pattern or any("OP" in tok for tok in pattern):
                raise _Unsupported("operator")
            compiled = (match_id, len(pattern),
                        [[(ATTRS.index(a), _predicate(a, v, strings)) for a, v in tok.items()] for tok in pattern])
            for attr in INDEXED:
                values = _index_values(attr, pattern[0][attr], strings) if attr in pattern[0] else None
                if values is not None:
                    for v in set(values):
                        self.index[ATTRS.index(attr)].setdefault(v, []).append(compiled)
                    break
            else:
                self.anywhere.append(compiled)

    def __call__(self, doc: Doc, allow_missing: bool = False, as_spans: bool = False, **kwargs):
        if as_spans or kwargs:
            return self.matcher(doc, allow_missing=allow_missing, as_spans=as_spans, **kwargs)
        from spacy.attrs import DEP, IS_SPACE, LOWER, TAG

        rows = doc.to_array([TAG, LOWER, DEP, IS_SPACE]).tolist() if len(doc) else []
        n = len(rows)
        by_tag, by_lower, by_dep, by_space = self.index
        anywhere = self.anywhere
        found: set[tuple[int, int, int]] = set()
        for i, (tag, lower, dep, space) in enumerate(rows):
            for group in (by_tag.get(tag), by_lower.get(lower), by_dep.get(dep), by_space.get(space), anywhere):
                if not group:
                    continue
                for match_id, length, pattern in group:
                    if i + length > n:
                        continue
                    for k, spec in enumerate(pattern):
                        row = rows[i + k]
                        if not all(test(row[col]) for col, test in spec):
                            break
                    else:
                        found.add((match_id, i, i + length))
        return list(found)

    def __getattr__(self, name):
        return getattr(self.matcher, name)

    def __len__(self):
        return len(self.matcher)

    def __contains__(self, key):
        return key in self.matcher


def accelerate(nlp, name: str = "attribute_ruler") -> bool:
    """Give the pipeline's attribute ruler the indexed matcher; ``False`` if it has none or a pattern it cannot take."""
    if name not in nlp.pipe_names:
        return False
    ruler = nlp.get_pipe(name)
    try:
        patterns = [(nlp.vocab.strings[str(key)], pattern)
                    for key, p in enumerate(ruler.patterns) for pattern in p["patterns"]]
        ruler.matcher = IndexedMatcher(ruler.matcher, patterns, nlp.vocab.strings)
    except (_Unsupported, KeyError, AttributeError, TypeError) as e:
        log.debug("attribute ruler keeps spaCy's matcher (%s)", e)
        return False
    return True
