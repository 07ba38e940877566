"""``make eval``'s second half: company-grouped cross-validation of everything learned.

    python -m kg.learn.crossval [--out bench/results/crossval] [--min-precision 0.85] [--seeds 5]

* **Fact scorer**: every annotated release (dev and training set) goes
  through the pipeline; folds are groups of companies, so a company's
  releases never sit on both sides; each fold's facts are scored by a model
  fitted on the other folds, at the threshold chosen on the folds (for
  precision). The table gives P/R/F1 per subset (``tuned`` 000-062,
  ``unseen`` 200-223, ``train``) and per relation, beside what the rules
  alone state. ``--seeds N`` adds the mean and spread of each subset's F1
  over N seeds of the model (each at its own threshold): one seed's scores
  move by 0.005-0.01 with a change of a few candidate facts, so a small
  change is judged on the mean.
* **NER**: it is never trained on the dev corpus, so its scores on the dev
  gold mentions (recorded in ``kg/models/ner/kg-meta.json`` by ``make
  train``) are already held out; they are printed here.

Writes ``OUT.json`` and ``OUT.md``; prints the markdown.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from ..paths import ROOT, models_dir
from .scorer import MIN_PRECISION, evaluate

RELATIONS = ("targets", "investigatedFor", "developer", "combination", "site", "sponsor", "phase")


def markdown(res: dict, ner_meta: dict | None) -> str:
    cv, rules = res["cross_validated"], res["rules_only"]
    lines = [f"Fact scorer, company-grouped {len(res['folds'])}-fold cross-validation "
             f"(threshold {res['threshold']:.2f}: the lowest at which the untuned releases reach CV precision {res['min_precision']}):", "",
             "| subset | rules P | rules R | rules F1 | scored P | scored R | scored F1 |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name in ("tuned", "unseen", "dev", "train", "all"):
        if name in cv:
            r, s = rules[name]["micro"], cv[name]["micro"]
            lines.append(f"| {name} | {r['p']:.3f} | {r['r']:.3f} | {r['f1']:.3f} | {s['p']:.3f} | {s['r']:.3f} | "
                         f"{s['f1']:.3f} |")
    lines += ["", "Per relation, scored, on the releases nobody tuned rules on (unseen and train):", "",
              "| relation | tp | fp | fn | P | R | F1 |", "|---|---:|---:|---:|---:|---:|---:|"]
    per = res["cross_validated"].get("untuned", {}).get("per_relation", {})
    for rel in RELATIONS:
        v = per.get(rel)
        if v:
            lines.append(f"| {rel} | {v['tp']} | {v['fp']} | {v['fn']} | {v['p']:.2f} | {v['r']:.2f} | {v['f1']:.2f} |")
    spread = res.get("seed_spread")
    if spread:
        lines += ["", f"Scored F1 over {len(spread['seeds'])} seeds of the model (seeds {spread['seeds'][0]}-"
                  f"{spread['seeds'][-1]}, thresholds {min(spread['thresholds']):.2f}-{max(spread['thresholds']):.2f}):",
                  "", "| subset | mean F1 | sd | per seed |", "|---|---:|---:|---|"]
        for name, v in spread["f1"].items():
            lines.append(f"| {name} | {v['mean']:.3f} | {v['sd']:.3f} | {' '.join(f'{x:.3f}' for x in v['values'])} |")
    lines += ["", "Reliability of the cross-validated probabilities (facts judged true or false):", "",
              "| probability | facts | mean probability | share true |", "|---|---:|---:|---:|"]
    for b in res["reliability"]:
        lines.append(f"| {b['bin']} | {b['facts']} | {b['mean_probability']:.3f} | {b['share_true']:.3f} |")
    if ner_meta:
        lines += ["", "NER (never trained on the dev corpus): gold mentions of the dev releases found exactly, and the "
                  "share of its spans that overlap a gold mention of the same label:", "",
                  "| label | gold mentions | recall | predicted | overlap precision |", "|---|---:|---:|---:|---:|"]
        for lab, v in ner_meta.get("dev_gold_mentions", {}).items():
            lines.append(f"| {lab} | {v['gold']} | {v['recall']:.3f} | {v['predicted']} | {v['overlap_precision']:.3f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m kg.learn.crossval", description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "crossval")
    ap.add_argument("--min-precision", type=float, default=MIN_PRECISION)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seeds", type=int, default=1,
                    help="also report the mean and spread of the scores over this many seeds of the model")
    ap.add_argument("--min-f1", type=float, help="exit 1 when the cross-validated micro F1 on the dev corpus is lower")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    if a.seeds < 1:
        ap.error("--seeds must be 1 or more")
    logging.basicConfig(level=logging.WARNING)
    from .train import ensure_scale
    from .corpus import scale_dir
    ensure_scale(scale_dir(), a.shared / "corpus" / "scale" / "press-releases-2024-2026.tar.xz")
    res = evaluate(a.shared, a.jobs, not a.quiet, a.min_precision, a.seeds)
    res["min_precision"] = a.min_precision
    meta_file = models_dir() / "ner" / "kg-meta.json"
    ner_meta = json.loads(meta_file.read_text()) if meta_file.is_file() else None
    report = {k: v for k, v in res.items() if k not in ("data", "probs")}
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.with_suffix(".json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    text = markdown(res, ner_meta)
    a.out.with_suffix(".md").write_text(text, encoding="utf-8")
    print(text)
    dev_f1 = res["cross_validated"]["dev"]["micro"]["f1"]
    if a.min_f1 is not None and dev_f1 < a.min_f1:
        sys.exit(f"crossval: the cross-validated dev micro F1 {dev_f1:.3f} is below the floor {a.min_f1}")


if __name__ == "__main__":
    main()
