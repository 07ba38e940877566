"""Pairwise identity recall when a subtype counts as its parent's node.

``../shared/eval/identity.py`` counts two mentions of one real thing as
joined only when they share the very node. The gold of a release often takes
a subtype and its parent as one entity ("pancreatic ductal adenocarcinoma"
and "pancreatic cancer"), while the graph gives the subtype its own node and
links it upward (``skos:broader``). This script scores the same pairs as
identity.py, once by the very node and once counting a node and any of its
ancestors (``skos:broader``, any depth) as one::

    .venv/bin/python bench/identity_subtypes.py ../shared/corpus/dev

It reads the gold and the node-to-entity mapping with identity.py's own
functions, so the two numbers are comparable with identity.py's recall.
"""
from __future__ import annotations

import argparse
import functools
import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from itertools import combinations
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SKOS_BROADER = "http://www.w3.org/2004/02/skos/core#broader"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--rdf", type=Path, help="an extraction of the corpus (default: run kg extract)")
    a = ap.parse_args(argv)
    sys.path.insert(0, str(a.shared / "eval"))
    import identity
    import rdflib

    paths = sorted((a.corpus / "gold").glob("*.json"))
    golds = [identity.Gold(p) for p in paths]
    raw = {g.doc: json.loads(p.read_text()) for g, p in zip(golds, paths)}
    world = identity.world_entities(golds, raw)
    ds = rdflib.Dataset()
    if a.rdf is not None:
        ds.parse(str(a.rdf), format=rdflib.util.guess_format(str(a.rdf)))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            rdf = Path(tmp) / "extraction.trig"
            subprocess.run([str(Path(sys.executable).with_name("kg")), "extract", "-q", str(a.corpus / "raw"),
                            "-o", str(rdf)], check=True)
            ds.parse(str(rdf), format="trig")
    by_doc, types = identity.document_graphs(ds), identity.node_types(ds)
    parents = defaultdict(set)
    for s, _, o, _g in ds.quads((None, rdflib.URIRef(SKOS_BROADER), None, None)):
        parents[s].add(o)

    @functools.lru_cache(maxsize=None)
    def ancestors(n) -> frozenset:
        out: set = set()
        todo = list(parents.get(n, ()))
        while todo:
            p = todo.pop()
            if p not in out:
                out.add(p)
                todo.extend(parents.get(p, ()))
        return frozenset(out)

    nodes_of = defaultdict(list)          # real thing -> its nodes, one per (release, node)
    for g in golds:
        graph = by_doc.get(g.doc)
        if graph is None:
            continue
        for n in {n for n in set(graph.subjects()) | set(graph.objects()) if n in types}:
            for k in g.keys(identity.labels_of(graph, n)):
                if identity.TYPES.get(raw[g.doc]["entities"][k]["type"]) == types[n]:
                    nodes_of[world[(g.doc, k)]].append(n)
    pairs = same = related = 0
    for nodes in nodes_of.values():
        for x, y in combinations(nodes, 2):
            pairs += 1
            same += x == y
            related += x == y or x in ancestors(y) or y in ancestors(x)
    print(f"pairs of mentions of one real thing: {pairs}; on one node: {same} (R {same / max(1, pairs):.3f}); "
          f"on one node or a node and its subtype: {related} (R {related / max(1, pairs):.3f})")


if __name__ == "__main__":
    main()
