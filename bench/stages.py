"""Where the time of ``kg ingest`` goes, stage by stage, on the pharma subset of the feed.

Runs each document of the subset through every stage by hand, timing each:
reading and cleaning, the relevance filter, the tokenizer, every pipeline
component (the model's and the project's), linking and the fact scorer (``kg/relations/``),
building the RDF graph and writing it to a fresh embedded store. Components
run one document at a time here (``nlp.pipe`` batches them in a real run, which
makes the model's share a little smaller), so read the shares, not the
totals. Prints a table; ``--json FILE`` also writes the figures.

    .venv/bin/python bench/stages.py                 # 150 pharma releases of /tmp/scale
    .venv/bin/python bench/stages.py --sample 40
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _bench_run():
    """bench/run.py as a module (its corpus helpers: the feed, the pharma subset)."""
    spec = importlib.util.spec_from_file_location("bench_run", HERE / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def profile(files: list[str]) -> tuple[Counter, int, int]:
    """Seconds per stage over ``files``, with the number of documents and words."""
    from kg.documents import load_documents
    from kg.ingest import _built
    from kg.pipeline import Extractor
    from kg.relations import link
    from kg.relevance import RelevanceFilter
    from kg.store import open_store

    seconds: Counter = Counter()

    def timed(stage, f, *args):
        t0 = time.perf_counter()
        out = f(*args)
        seconds[stage] += time.perf_counter() - t0
        return out

    documents = timed("read and clean", lambda: [d for f in files for d in load_documents(f)])
    nlp = Extractor().nlp
    relevance = RelevanceFilter()
    with tempfile.TemporaryDirectory(prefix="kg-stages-") as tmp:
        store = open_store(str(Path(tmp) / "store"), None)
        for document in documents:
            timed("relevance filter", relevance, document.text)
            doc = timed("tokenizer", nlp.make_doc, document.text)
            for name, component in nlp.pipeline:
                doc = timed(name, component, doc)
            extraction = timed("linking and scoring (relations/)", link, doc, document)
            built = timed("RDF graph", _built, document, extraction, True)
            timed("store write", lambda: store.replace_document(
                built.iri, built.graph, source=built.source, content_hash=built.content_hash))
        store.close()
    return seconds, len(documents), sum(len(d.text.split()) for d in documents)


def table(seconds: Counter, n_docs: int, n_words: int) -> str:
    total = sum(seconds.values())
    lines = [f"{n_docs} documents, {n_words} words, {total:.1f} s in all", "",
             "| stage | seconds | share |", "|---|---:|---:|"]
    lines += [f"| {stage} | {s:.2f} | {100 * s / total:.1f}% |" for stage, s in seconds.most_common()]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale-dir", default="/tmp/scale", help="the feed (default /tmp/scale)")
    ap.add_argument("--sample", type=int, default=150, help="pharma releases to profile (default 150)")
    ap.add_argument("--json", default=None, metavar="FILE", help="also write the figures here")
    args = ap.parse_args(argv)
    run = _bench_run()
    subset, _ = run.pharma_subset(run.feed_files(Path(args.scale_dir)), args.sample)
    if not subset:
        sys.exit(f"stages: no document of {args.scale_dir} mentions a trial phase")
    seconds, n_docs, n_words = profile(subset)
    print(table(seconds, n_docs, n_words))
    if args.json:
        Path(args.json).write_text(json.dumps({"documents": n_docs, "words": n_words, "seconds": dict(seconds)},
                                              indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
