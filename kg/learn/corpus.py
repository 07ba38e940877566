"""The annotated releases the learned parts train and are measured on.

Two sources, one shape (``Item``: a release's text file, its gold JSON, its
subset and its company group):

* the shared **dev** corpus (``../shared/corpus/dev``): ``raw/`` texts and
  ``gold/`` facts; releases 000-062 are the ones the rules were written
  against (subset ``tuned``), 200-223 were annotated later and scored before
  anyone looked (subset ``unseen``);
* the project's **training set** (``data/train/gold/*.json``): releases of the
  scale archive annotated for training by ``../shared/eval/GUIDELINES.md``.
  Each gold file names its release by its path inside the archive (``doc``)
  and its issuing company (``issuer``); the text is read from the unpacked
  archive (``KG_SCALE_DIR``, default ``/tmp/scale``), never copied into the
  repository.

Company groups keep cross-validation honest: one company's releases never
sit on both sides of a fold. Dev groups are listed in
``data/eval/dev_groups.tsv``; a training release's group is its issuer's name.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataFileError
from ..nlp.resources import data_path, load_tsv

SUBSETS = ("tuned", "unseen", "all", "dev", "train", "everything")
DEFAULT_SCALE_DIR = Path("/tmp/scale")
LEGAL_WORDS = re.compile(r"\b(?:inc|corp|corporation|ltd|limited|llc|plc|ag|sa|nv|co|company|holdings?|group|"
                         r"the|s\.a|n\.v)\b\.?", re.I)


@dataclass(frozen=True)
class Item:
    name: str            # the gold file's stem: the release's name in reports
    raw: Path            # the release's text
    gold: Path           # its gold facts
    subset: str          # tuned | unseen | train
    group: str           # company group for cross-validation

    def read_gold(self) -> dict:
        return json.loads(self.gold.read_text(encoding="utf-8"))


def company_group(name: str) -> str:
    """A company's group key: its first distinctive word, lower case ("Lorus Therapeutics Inc." -> "lorus")."""
    words = [w for w in re.findall(r"[a-z0-9]+", LEGAL_WORDS.sub(" ", name.lower())) if len(w) > 1]
    return words[0] if words else "unknown"


class Corpus:
    """Every annotated release this machine can read, by subset and company group."""

    def __init__(self, dev_dir: Path | None, train_dir: Path | None, scale_dir: Path | None):
        self.items: list[Item] = []
        if dev_dir is not None and (dev_dir / "gold").is_dir():
            self.items += list(_dev_items(dev_dir))
        if train_dir is not None and train_dir.is_dir() and scale_dir is not None and scale_dir.is_dir():
            self.items += list(_train_items(train_dir, scale_dir))

    def subset(self, name: str) -> list[str]:
        """Names of the releases of a subset: tuned, unseen, all / dev (both), train, everything."""
        if name not in SUBSETS:
            raise ValueError(f"unknown subset {name!r} (one of {', '.join(SUBSETS)})")
        if name == "everything":
            return [i.name for i in self.items]
        if name in ("all", "dev"):
            return [i.name for i in self.items if i.subset in ("tuned", "unseen")]
        return [i.name for i in self.items if i.subset == name]

    def get(self, names: list[str]) -> list[Item]:
        by_name = {i.name: i for i in self.items}
        return [by_name[n] for n in names]

    def materialise(self, folder: Path, names: list[str]) -> Path:
        """A corpus folder (``raw/``, ``gold/``) of links, as ``../shared/eval/evaluate.py`` reads one.

        A training release's gold names an archive path; the linked copy names the link instead.
        """
        (folder / "raw").mkdir(parents=True, exist_ok=True)
        (folder / "gold").mkdir(parents=True, exist_ok=True)
        for item in self.get(names):
            raw = folder / "raw" / (item.name + (item.raw.suffix or ".txt"))
            if not raw.exists():
                raw.symlink_to(item.raw.resolve())
            gold = item.read_gold()
            gold["doc"] = raw.name
            (folder / "gold" / (item.name + ".json")).write_text(json.dumps(gold), encoding="utf-8")
        return folder


def _dev_items(dev_dir: Path):
    groups_path = data_path("eval", "dev_groups.tsv")
    groups = {r["doc"]: r["group"] for r in load_tsv(groups_path, ["doc", "group"])}
    for gold in sorted((dev_dir / "gold").glob("*.json")):
        doc = json.loads(gold.read_text(encoding="utf-8"))["doc"]
        stem = gold.stem
        group = groups.get(stem)
        if group is None:
            raise DataFileError(groups_path, None, f"no company group for the dev release {stem}; add a line")
        subset = "unseen" if stem[:1] == "2" else "tuned"
        yield Item(stem, dev_dir / "raw" / doc, gold, subset, group)


def _train_items(train_dir: Path, scale_dir: Path):
    for gold in sorted(train_dir.glob("*.json")):
        g = json.loads(gold.read_text(encoding="utf-8"))
        raw = scale_dir / g["doc"]
        if not raw.is_file():
            continue
        yield Item(gold.stem, raw, gold, "train", company_group(g.get("issuer") or gold.stem.split("_", 1)[-1]))


def scale_dir() -> Path:
    return Path(os.environ.get("KG_SCALE_DIR") or DEFAULT_SCALE_DIR)


def default_corpus(shared: Path | None = None) -> Corpus:
    """The dev corpus beside the repository (``../shared``) and the training set over the unpacked archive."""
    from ..paths import ROOT
    shared = shared or ROOT.parent / "shared"
    return Corpus(shared / "corpus" / "dev", data_path("train", "gold"), scale_dir())
