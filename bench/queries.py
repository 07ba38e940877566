"""How fast the standard questions answer on a large store, against rdflib's in-memory store.

Runs every query in ``ontology/queries/*.rq`` on the embedded store (pyoxigraph,
as ``kg query`` and ``kg serve`` run them) and, in the same run, on an
rdflib ``Dataset`` holding the same quads in memory (the baseline). Each
query runs in two forms:

* ``one``: as a researcher asks it, with its parameter bound to the busiest
  value (the drug, condition or company with the most rows in the unbound answer),
  in the query's ``VALUES`` slot, as ``kg query --bind`` binds it;
* ``all``: unbound, listing everything (the query page's "run" with no
  parameter); results are materialised in full, as a client would read them.

Times are the median of ``--repeat`` warm runs after one cold run. The
baseline runs each query in a forked child that is killed after
``--baseline-timeout`` seconds, so one slow rdflib query cannot stall the
benchmark. Row counts are compared between the two engines as a sanity
check. Writes ``bench/results/queries.json`` and ``queries.md``.

    python bench/queries.py --store out/scale-store                # store already built
    python bench/queries.py --store out/scale-store --corpus ../shared/corpus/scale --jobs 2
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import platform
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from kg.query import load_query, standard_queries
from kg.store import EmbeddedStore, bind_values, with_default_prefixes

HERE = Path(__file__).resolve().parent
TARGET_MS = 50.0

# Which parameter each standard query is asked with (the first it documents).
PARAMETER = {
    "combinations": "drugLabel", "drug-targets": "drugLabel", "pipeline-overview": "drugLabel",
    "sites-by-drug": "drugLabel", "condition-trials": "conditionLabel", "drugs-by-company": "companyLabel",
    "evidence-for-fact": "subjectLabel", "trial-history": "trialLabel",
    "same-thing": "label",
}


def busiest(store: EmbeddedStore, text: str, var: str):
    """The value of ``var`` with the most rows in the unbound answer: what a researcher would most likely ask about."""
    result = store.query(text)
    counts = Counter(t for t in result.column(var) if t is not None)
    return min(counts, key=lambda t: (-counts[t], t.value)) if counts else None


def workload(store: EmbeddedStore) -> list[dict]:
    """One entry per (query, form): its name, form, SPARQL text (bindings inlined) and binding."""
    cases = []
    for name in standard_queries():
        text = with_default_prefixes(load_query(name))
        cases.append({"query": name, "form": "all", "text": text, "binding": None})
        var = PARAMETER.get(name)
        term = busiest(store, text, var) if var else None
        if term is not None:
            cases.append({"query": name, "form": "one", "text": bind_values(text, {var: term}),
                          "binding": f"?{var} = {term.value!r}"})
    return cases


def time_oxigraph(store: EmbeddedStore, text: str, repeat: int) -> tuple[float, list[float], int]:
    t = time.perf_counter()
    rows = len(store.query(text))
    cold = (time.perf_counter() - t) * 1000
    warm = []
    for _ in range(repeat):
        t = time.perf_counter()
        store.query(text)
        warm.append((time.perf_counter() - t) * 1000)
    return cold, warm, rows


_DATASET = None     # the baseline's rdflib Dataset, inherited by forked children


def _rdflib_child(text: str, repeat: int, out) -> None:
    t = time.perf_counter()
    rows = len(list(_DATASET.query(text)))
    cold = (time.perf_counter() - t) * 1000
    warm = []
    for _ in range(repeat):
        t = time.perf_counter()
        list(_DATASET.query(text))
        warm.append((time.perf_counter() - t) * 1000)
    out.send((cold, warm, rows))


def time_rdflib(text: str, repeat: int, timeout: float) -> tuple[float, list[float], int] | None:
    """The baseline's timings, or ``None`` when it did not finish within ``timeout`` seconds."""
    ctx = mp.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_rdflib_child, args=(text, repeat, send))
    child.start()
    send.close()
    ready = recv.poll(timeout)
    result = recv.recv() if ready else None
    child.kill() if not ready else None
    child.join()
    return result


def load_baseline(store: EmbeddedStore):
    from rdflib import Dataset

    ds = Dataset(default_union=True)
    ds.parse(data=store.dump(format="nquads"), format="nquads")
    return ds


def build_store(store: Path, corpus: Path, jobs: int) -> float:
    t = time.perf_counter()
    kg = Path(sys.executable).with_name("kg")
    subprocess.run([str(kg), "ingest", str(corpus), "--store", str(store), "--jobs", str(jobs)], check=True)
    return time.perf_counter() - t


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def markdown(report: dict) -> str:
    lines = [f"Standard questions on a store of {report['quads']:,} quads in {report['graphs']:,} document graphs "
             f"({report['machine']}); median of {report['repeat']} warm runs, ms. "
             f"Baseline: rdflib {report['rdflib']} in-memory Dataset, same queries, same run.", "",
             "| query | form | rows | oxigraph ms | rdflib ms | rdflib / oxigraph | < 50 ms |",
             "|---|---|---:|---:|---:|---:|:---:|"]
    for r in report["results"]:
        base = f"{r['rdflib_ms']:.1f}" if r["rdflib_ms"] is not None else f"> {report['baseline_timeout']:.0f} s"
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.0f}x" if r["ratio"] >= 10 else f"{r['ratio']:.1f}x"
        form = r["form"] + (f" ({r['binding']})" if r["binding"] else "")
        lines.append(f"| {r['query']} | {form} | {r['rows']:,} | {r['oxigraph_ms']:.1f} | {base} | {ratio} | "
                     f"{'yes' if r['oxigraph_ms'] < TARGET_MS else 'no'} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", type=Path, required=True, help="store folder (built from --corpus if missing)")
    ap.add_argument("--corpus", type=Path, help="folder to ingest when the store does not exist yet")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes for building the store")
    ap.add_argument("--repeat", type=int, default=20, help="warm runs per query and engine")
    ap.add_argument("--baseline-timeout", type=float, default=120.0, help="seconds before an rdflib query is given up")
    ap.add_argument("--out", type=Path, default=HERE / "results", help="where queries.json / queries.md go")
    args = ap.parse_args(argv)

    built = None
    if not (args.store / "CURRENT").is_file():
        if args.corpus is None:
            ap.error(f"{args.store}: no store there; pass --corpus to build one")
        built = build_store(args.store, args.corpus, args.jobs)

    import rdflib

    store = EmbeddedStore(args.store, read_only=True)
    cases = workload(store)
    t = time.perf_counter()
    global _DATASET
    _DATASET = load_baseline(store)
    load_s = time.perf_counter() - t
    print(f"{len(store):,} quads; rdflib loaded them in {load_s:.0f} s", file=sys.stderr)

    results = []
    for case in cases:
        cold, warm, rows = time_oxigraph(store, case["text"], args.repeat)
        # rdflib gets fewer warm runs when it is slow: its first run tells how slow
        base = time_rdflib(case["text"], max(1, min(args.repeat, 3)), args.baseline_timeout)
        ox_ms = median(warm)
        rd_ms = median(base[1]) if base else None
        if base and base[2] != rows:
            print(f"warning: {case['query']} ({case['form']}): oxigraph {rows} rows, rdflib {base[2]}", file=sys.stderr)
        results.append({"query": case["query"], "form": case["form"], "binding": case["binding"], "rows": rows,
                        "oxigraph_ms": ox_ms, "oxigraph_cold_ms": cold, "oxigraph_p95_ms": sorted(warm)[int(0.95 * (len(warm) - 1))],
                        "rdflib_ms": rd_ms, "rdflib_rows": base[2] if base else None,
                        "ratio": (rd_ms / ox_ms) if rd_ms is not None and ox_ms > 0 else None})
        print(f"{case['query']:<20} {case['form']:<4} {rows:>7} rows  oxigraph {ox_ms:8.1f} ms  "
              f"rdflib {rd_ms if rd_ms is not None else float('inf'):10.1f} ms", file=sys.stderr)

    report = {"store": str(args.store), "quads": len(store), "graphs": len(store.graphs()), "repeat": args.repeat,
              "merged_default_graph": store.merged_default_graph,
              "machine": f"{platform.machine()}, {mp.cpu_count()} cores, Python {platform.python_version()}",
              "rdflib": rdflib.__version__, "baseline_timeout": args.baseline_timeout,
              "rdflib_load_s": load_s, "store_build_s": built, "target_ms": TARGET_MS, "results": results}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "queries.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "queries.md").write_text(markdown(report))
    print(markdown(report))
    slow = [r for r in results if r["oxigraph_ms"] >= TARGET_MS and r["form"] == "one"]
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
