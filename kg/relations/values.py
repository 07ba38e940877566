"""Literal values read from text: the phase of a trial ("Phase I/IIa") and a count ("forty-two")."""
from __future__ import annotations

import functools
import re

from ..errors import DataFileError
from ..nlp.resources import data_path, load_tsv
from ..schema import ROMAN

PHASE_RE = re.compile(r"(?:phase|phases|ph\.?)\s*((?:I{1,3}|IV|[1-4])[abAB]?)(?:\s*(?:/|-|\u2013|and|&)\s*(?:phase\s*)?"
                      r"((?:I{1,3}|IV|[1-4])[abAB]?))?", re.I)


@functools.lru_cache(maxsize=1)
def number_words() -> dict[str, int]:
    """ "forty" -> 40, from ``number_words.tsv`` (a value must be a whole number)."""
    path = data_path("lexicons", "number_words.tsv")
    out = {}
    for row in load_tsv(path, ["word", "value"]):
        if not row["value"].isdecimal():
            raise DataFileError(path, int(row["_line"]), f"value must be a whole number, got {row['value']!r}")
        out[row["word"]] = int(row["value"])
    return out


def _phase_part(p: str) -> str:
    p = p.strip()
    m = re.fullmatch(r"(i{1,3}|iv|[1-4])([ab]?)", p.lower())
    if not m:
        return p
    return ROMAN.get(m.group(1), m.group(1)) + m.group(2)


def normalize_phase(text: str) -> list[str]:
    """"Phase I/IIa" -> ["Phase 1/2a", "Phase 1/2"]: the stated phase and its contract value."""
    m = PHASE_RE.search(text)
    if not m:
        return []
    a = _phase_part(m.group(1))
    b = _phase_part(m.group(2)) if m.group(2) else None
    if b and (re.search(r"\band\b|&", m.group(0), re.I) or (a[0], b[0]) not in (("1", "2"), ("2", "3"), ("1", "1"), ("2", "2"))):
        # "phase 2 and phase 3": two phases, not a phase 2/3 trial
        return sorted({p for x in (a, b) for p in (f"Phase {x}", f"Phase {x[0]}")})
    stated = f"Phase {a}/{b}" if b else f"Phase {a}"
    coarse_a, coarse_b = a[0], (b[0] if b else None)
    if coarse_b and coarse_b != coarse_a:
        coarse = f"Phase {coarse_a}/{coarse_b}"
    else:
        coarse = f"Phase {coarse_a}"
    return [stated] if stated == coarse else [stated, coarse]


def parse_count(text: str) -> int | None:
    """ "1,200" -> 1200, "forty-two" -> 42, "two hundred" -> 200; None for anything else (or zero)."""
    t = text.lower().replace(",", "").strip()
    if t.isdigit():
        return int(t)
    numbers = number_words()
    total = 0
    for p in re.split(r"[\s-]+", t):
        if p not in numbers:
            return None
        v = numbers[p]
        total = total * v if v == 100 else total + v
    return total or None
