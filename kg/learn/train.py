"""``make train``: build the project's trained components from data in the repository and ``../shared``.

    python -m kg.learn.train                 # NER, then the fact scorer
    python -m kg.learn.train --only scorer   # the fact scorer alone (minutes)

1. **NER** (:mod:`kg.learn.ner`): silver labels from the rule recognisers on
   the biotech releases of the scale archive, gold aliases of the training
   set (``data/train/gold``) projected over them; a small NER for ``DRUG``,
   ``CONDITION``, ``TARGET`` and the English model's own labels, which takes
   the place of the model's NER; written to ``kg/models/ner/kg_ner`` with
   ``kg-meta.json``.
2. **Fact scorer** (:mod:`kg.learn.scorer`): every candidate fact of every
   annotated release (dev and training set) with its features and its gold
   verdict; company-grouped cross-validation for the threshold and the
   reported scores; the final model fitted on everything, written to
   ``kg/models/scorer``.

Nothing is downloaded: the English model is the installed package, the
archive is unpacked from ``../shared/corpus/scale`` when ``/tmp/scale`` is
empty. Each model records the hash of its training data and its scores.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import shutil
import sys
import tarfile
import time
from pathlib import Path

from ..paths import ROOT, models_dir
from .corpus import default_corpus, scale_dir

log = logging.getLogger("kg.learn.train")


def ensure_scale(scale: Path, archive: Path) -> Path:
    """The archive's releases, unpacked into ``scale`` when that folder is missing or empty."""
    if scale.is_dir() and any(scale.iterdir()):
        return scale
    if not archive.is_file():
        sys.exit(f"train: no releases in {scale} and no archive at {archive}")
    log.info("unpacking %s into %s", archive, scale)
    scale.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "r:*") as tar:
        tar.extractall(scale, filter="data")
    return scale


def _heldout(name: str, share: float = 0.05) -> bool:
    return int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < share


def train_ner_model(shared: Path, scale: Path, jobs: int, settings, cache: Path | None, progress: bool) -> dict:
    from . import ner

    corpus = default_corpus(shared)
    started = time.perf_counter()
    silver_file = cache / "silver.jsonl" if cache else None
    if silver_file is not None and silver_file.is_file():
        silver = [ner.Labelled(d["name"], d["text"], [tuple(s) for s in d["spans"]], "silver")
                  for d in map(json.loads, silver_file.open(encoding="utf-8"))]
        log.info("silver labels read from %s", silver_file)
    else:
        paths = ner.biotech_releases(scale, ner.excluded_archive_paths(shared))
        log.info("%d biotech releases in the archive", len(paths))
        silver = []
        for it in ner.label_silver(paths, jobs=jobs, progress=progress):
            it.name = Path(it.name).relative_to(scale).as_posix()
            silver.append(it)
        if silver_file is not None:
            silver_file.parent.mkdir(parents=True, exist_ok=True)
            with silver_file.open("w", encoding="utf-8") as f:
                for it in silver:
                    f.write(json.dumps({"name": it.name, "text": it.text, "spans": it.spans}) + "\n")
    # the training set's gold over the silver labels of the same releases
    gold_by_path = {}
    for item in corpus.get(corpus.subset("train")):
        g = item.read_gold()
        gold_by_path[g["doc"]] = g
    items = []
    for it in silver:
        g = gold_by_path.pop(it.name, None)
        if g is not None:
            it = ner.Labelled(it.name, it.text, ner.merge(ner.project_gold(it.text, g), it.spans), "gold")
        items.append(it)
    for rel, g in gold_by_path.items():          # an annotated release the relevance filter turned away
        text = (scale / rel).read_text(encoding="utf-8")
        items.append(ner.Labelled(rel, text, ner.project_gold(text, g), "gold"))
    train = [it for it in items if it.source == "gold" or not _heldout(it.name)]
    heldout = [it for it in items if it.source != "gold" and _heldout(it.name)]
    data_hash = ner.data_hash(train, {"settings": settings.__dict__})
    labelling_minutes = (time.perf_counter() - started) / 60
    nlp, history = ner.train_ner(train, heldout, settings, progress=progress)
    # how the NER does on the dev corpus, which it never saw: gold mentions found
    dev = [(it.raw.read_text(encoding="utf-8", errors="replace"), it.read_gold())
           for it in corpus.get(corpus.subset("dev"))]
    from ..nlp import KG_NER, KG_NER_CONFIG

    out = models_dir() / "ner"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    nlp.get_pipe(KG_NER).to_disk(out / KG_NER, exclude=["vocab"])
    meta = {
        "component": KG_NER, "labels": list(nlp.get_pipe(KG_NER).labels), "config": KG_NER_CONFIG,
        "replaces_model_ner": settings.replace_model_ner,
        "runs_after": ("the parser of en_core_web_sm 3.8.0, in place of its ner, whose labels it learned from "
                       "the ner's own predictions" if settings.replace_model_ner else
                       "the ner of en_core_web_sm 3.8.0, whose entities it keeps"),
        "training_data_sha256": data_hash,
        "training_releases": {"silver": sum(it.source == "silver" for it in train),
                              "gold": sum(it.source == "gold" for it in train), "heldout_silver": len(heldout)},
        "settings": settings.__dict__, "history": history,
        "dev_gold_mentions": ner.gold_recall(nlp, dev),
        "minutes": {"labelling": round(labelling_minutes, 1),
                    "total": round((time.perf_counter() - started) / 60, 1)},
        "command": "make train",
    }
    (out / "kg-meta.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    log.info("NER written to %s (%.1f min)", out, meta["minutes"]["total"])
    return meta


def main(argv: list[str] | None = None) -> None:
    from .ner import TrainSettings

    ap = argparse.ArgumentParser(prog="python -m kg.learn.train", description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--scale-dir", type=Path, default=None, help="the unpacked archive (default KG_SCALE_DIR or /tmp/scale)")
    ap.add_argument("--only", choices=("ner", "scorer"), help="build one component")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=TrainSettings.epochs)
    ap.add_argument("--max-minutes", type=float, default=TrainSettings.max_minutes)
    ap.add_argument("--cache", type=Path, help="keep the silver labels here and reuse them")
    ap.add_argument("--quiet", action="store_true", help="no progress bars")
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    scale = ensure_scale(a.scale_dir or scale_dir(), a.shared / "corpus" / "scale" / "press-releases-2024-2026.tar.xz")
    if a.only in (None, "ner"):
        settings = TrainSettings(epochs=a.epochs, max_minutes=a.max_minutes)
        train_ner_model(a.shared, scale, a.jobs, settings, a.cache, not a.quiet)
    if a.only in (None, "scorer"):
        from .scorer import train_scorer_model
        train_scorer_model(a.shared, jobs=a.jobs, progress=not a.quiet)


if __name__ == "__main__":
    main()
