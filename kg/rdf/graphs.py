"""Edits of an rdflib document graph shared by the cross-release identity steps."""
from __future__ import annotations

from rdflib import Graph, URIRef


def rename(g: Graph, old: URIRef, new: URIRef) -> None:
    """In ``g``, the node ``old`` becomes ``new``, as subject and as object."""
    for s, p, o in list(g.triples((old, None, None))):
        g.remove((s, p, o))
        g.add((new, p, o))
    for s, p, o in list(g.triples((None, None, old))):
        g.remove((s, p, o))
        g.add((s, p, new))
