"""Gold facts of an annotated release, comparable with the facts an extraction states.

A fact is what the annotation guidelines (``../shared/eval/GUIDELINES.md``)
and the shared evaluator count: ``("phase", drug, condition, "Phase 2")``,
``("site", condition, organisation)``
(:func:`kg.relations.candidates.rule_candidates` reads them off an
extraction). Entity names are compared in the evaluator's normal form
(:func:`norm`): an extracted entity is a gold entity when one of its names
is one of the gold entity's aliases.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ..relations.candidates import Fact, canon, main_phase


def norm(s: str) -> str:
    """The evaluator's normal form of a name: case, dashes, "the", punctuation and UK spellings folded."""
    s = unicodedata.normalize("NFKC", str(s)).casefold()
    s = s.replace("\u2013", "-").replace("\u2014", "-").replace("\u2019", "'")
    s = re.sub(r"^the\s+", "", s.strip())
    s = re.sub(r"[\s,.;:()'\"\u00ae\u2122]+", " ", s)
    s = s.replace(" - ", "-").replace("tumour", "tumor").replace("leukaemia", "leukemia")
    return s.strip()


@dataclass
class GoldDoc:
    aliases: dict[str, set[str]]            # gold key -> normalised aliases
    types: dict[str, str]
    facts: set[Fact]
    optional: set[Fact]

    @classmethod
    def from_json(cls, g: dict) -> "GoldDoc":
        aliases = {k: {norm(a) for a in e["aliases"]} for k, e in g["entities"].items()}
        types = {k: e["type"] for k, e in g["entities"].items()}

        def facts(rows):
            return {canon(tuple(f[:3]) + ((main_phase(f[3]),) if f[0] == "phase" else ())) for f in rows}
        return cls(aliases, types, facts(g.get("facts", [])), facts(g.get("optional", [])))

    def keys(self, names: set[str]) -> set[str]:
        """The gold entities that one of ``names`` names."""
        normed = {norm(n) for n in names}
        return {k for k, al in self.aliases.items() if normed & al}

    def forms(self, fact: Fact, names: dict[str, set[str]]) -> list[Fact]:
        """``fact`` (over extracted entity keys) in the gold's terms: one form per pair of matching gold
        entities; an argument no gold entity names becomes "?"."""
        args = [sorted(self.keys(names.get(a, {a}))) or ["?" + a] for a in fact[1:3]]
        extra = tuple(fact[3:])
        return [canon((fact[0], x, y) + extra) for x in args[0] for y in args[1]]

    def verdict(self, fact: Fact, names: dict[str, set[str]]) -> tuple[Fact, str]:
        """The fact in the gold's terms and whether it is "true" (a gold fact), "optional" or "false"
        (the evaluator's reading: a gold form first, then an optional one, else the first form)."""
        forms = self.forms(fact, names)
        for label, pool in (("true", self.facts), ("optional", self.optional)):
            hit = next((f for f in forms if f in pool), None)
            if hit is not None:
                return hit, label
        return forms[0], "false"
