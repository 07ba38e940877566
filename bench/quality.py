"""Extraction quality per corpus subset, scored by the shared evaluator.

The dev corpus holds two kinds of release: 000-062, which the rules were
written against, and 200-223, annotated later and scored before anyone looked
at them (the closest thing here to the sealed held-out set). A single micro F1
over all 64 hides the gap between the two, so this script scores each subset
on its own with ``../shared/eval/evaluate.py`` (the same scorer CI uses) and
writes one table::

    .venv/bin/python bench/quality.py                      # -> bench/results/quality.{json,md}
    .venv/bin/python bench/quality.py --label baseline --out bench/results/quality-baseline

Subsets: ``tuned`` (000-062), ``unseen`` (200-223), ``all`` (the 64), and
``train`` (the releases of the scale archive annotated in ``data/train``, when
the archive is unpacked; see ``kg.learn.corpus``).
"""
from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from kg.learn.corpus import Corpus, default_corpus  # noqa: E402

RELATIONS = ("targets", "investigatedFor", "developer", "combination", "site", "sponsor", "phase")


def score(corpus: Corpus, names: list[str], kg: str, evaluator: Path) -> dict:
    """Run the shared evaluator on the documents ``names`` of ``corpus`` (a temporary corpus folder of links)."""
    with tempfile.TemporaryDirectory() as tmp:
        corpus.materialise(Path(tmp), names)
        proc = subprocess.run([sys.executable, str(evaluator), tmp, "--kg", kg, "--json"],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f"quality: the evaluator failed: {proc.stderr.strip()[-500:]}")
        return json.loads(proc.stdout.strip().splitlines()[-1])


def prf(v: dict) -> tuple[float, float, float]:
    tp, fp, fn = v.get("tp", 0), v.get("fp", 0), v.get("fn", 0)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def markdown(report: dict) -> str:
    lines = [f"Extraction quality ({report['label']}, commit {report['commit']}), scored by "
             "`../shared/eval/evaluate.py` per subset.", ""]
    lines.append("| subset | releases | P | R | F1 | " + " | ".join(f"{r} F1" for r in RELATIONS) + " |")
    lines.append("|---|---:|---:|---:|---:|" + "---:|" * len(RELATIONS))
    for name, res in report["subsets"].items():
        m = res["micro"]
        per = [f"{prf(res['per_relation'].get(r, {}))[2]:.2f}" for r in RELATIONS]
        lines.append(f"| {name} | {res['documents']} | {m['p']:.3f} | {m['r']:.3f} | {m['f1']:.3f} | "
                     + " | ".join(per) + " |")
    return "\n".join(lines) + "\n"


def commit() -> str:
    proc = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return proc.stdout.strip() or "unknown"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kg", default=str(ROOT / ".venv" / "bin" / "kg"), help="command that runs the CLI")
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared", help="the shared folder (corpus, eval)")
    ap.add_argument("--label", default="current")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "quality",
                    help="output path without extension (.json and .md are written)")
    ap.add_argument("--subsets", default="tuned,unseen,all,train")
    a = ap.parse_args()

    corpus = default_corpus(a.shared)
    evaluator = a.shared / "eval" / "evaluate.py"
    report = {"label": a.label, "commit": commit(), "python": platform.python_version(),
              "date": time.strftime("%Y-%m-%d"), "subsets": {}}
    for name in a.subsets.split(","):
        names = corpus.subset(name)
        if not names:
            print(f"quality: subset {name!r} is empty here, skipped", file=sys.stderr)
            continue
        report["subsets"][name] = score(corpus, names, a.kg, evaluator)
        m = report["subsets"][name]["micro"]
        print(f"{name:8s} {len(names):3d} releases  P={m['p']:.3f} R={m['r']:.3f} F1={m['f1']:.3f}", file=sys.stderr)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.with_suffix(".json").write_text(json.dumps(report, indent=1) + "\n")
    a.out.with_suffix(".md").write_text(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()
