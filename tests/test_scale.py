"""bench/run.py, the scale benchmark: its report has every figure of issue #6 (timings are never asserted).

The benchmark runs on a tiny feed written here; the real one (24,518 newswire
releases) is ``.venv/bin/python bench/run.py`` and takes a few minutes.
"""
from __future__ import annotations

import importlib.util
import json
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
model = pytest.mark.model

PHARMA = """{name} Doses First Patient in Phase {phase} Trial of {drug}

BOSTON, March {day}, 2024 -- {name} Inc. today announced that the first patient has been dosed
in a Phase {phase} trial of {drug}, an inhibitor of KDR, in patients with non-small cell lung cancer.
The trial will enroll 40 patients at the Northfield Cancer Centre.
"""
OTHER = """{name} Opens a New Office

DENVER, May {day}, 2025 -- {name} LLC opened its new office downtown with twenty staff.
"""


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module
    spec.loader.exec_module(module)
    return module


def feed(folder: Path) -> Path:
    for i, (name, drug) in enumerate([("Acme Bio", "zoratinib"), ("Borealis", "BX-17"), ("Corvid", "corvastat")]):
        (folder / "wire" / f"pharma-{i}.md").parent.mkdir(parents=True, exist_ok=True)
        (folder / "wire" / f"pharma-{i}.md").write_text(
            PHARMA.format(name=name, drug=drug, phase=i + 1, day=i + 2), encoding="utf-8")
    for i, name in enumerate(["Harbour Bistro", "Summit Realty", "Blue Pine Hotels"]):
        (folder / "other" / f"news-{i}.md").parent.mkdir(parents=True, exist_ok=True)
        (folder / "other" / f"news-{i}.md").write_text(OTHER.format(name=name, day=i + 2), encoding="utf-8")
    return folder


def test_missing_feed_is_unpacked_from_the_archive(bench, tmp_path):
    src = feed(tmp_path / "src")
    archive = tmp_path / "feed.tar.xz"
    with tarfile.open(archive, "w:xz") as tar:
        tar.add(src / "wire", arcname="wire")
    target = tmp_path / "scale"
    assert bench.ensure_corpus(target, archive) == target
    assert sorted(p.name for p in (target / "wire").iterdir()) == ["pharma-0.md", "pharma-1.md", "pharma-2.md"]
    # a folder with files in it is used as it is
    assert bench.ensure_corpus(src, tmp_path / "no-such-archive.tar.xz") == src


def test_pharma_subset_is_what_mentions_a_trial_phase(bench, tmp_path):
    files = bench.feed_files(feed(tmp_path / "scale"))
    subset, texts = bench.pharma_subset(files, sample=2)
    assert [Path(f).name for f in subset] == ["pharma-0.md", "pharma-1.md"]
    assert len(texts) == 2 and all("Phase" in t for t in texts)


def test_tree_rss_counts_this_process(bench):
    import os

    assert bench.tree_rss(os.getpid()) > 10 * 2**20


@model
def test_report_has_every_figure(bench, tmp_path):
    scale = feed(tmp_path / "scale")
    out = tmp_path / "results"
    assert bench.main(["--scale-dir", str(scale), "--sample", "2", "--jobs", "2", "--rss-checkpoint", "3",
                       "--out", str(out), "--workdir", str(tmp_path)]) == 0
    report = json.loads((out / "ingest.json").read_text(encoding="utf-8"))
    assert report["corpus"]["files"] == 6
    assert report["corpus"]["pharma_subset"]["files"] == 2
    for run in ("baseline", "jobs1", "jobs2"):
        for key in ("seconds", "words_per_second", "documents_per_second", "peak_rss_mib"):
            assert isinstance(report[run][key], (int, float)) and report[run][key] > 0, (run, key)
    for run in ("jobs1", "jobs2"):
        assert isinstance(report[run]["ratio_to_baseline"], float)
        assert report[run]["store_bytes"] > 0 and report[run]["screened"] == 0
    assert report["speedup"]["jobs"] == 2 and report["speedup"]["stores_identical"] is True
    feed_run = report["feed"]
    assert (feed_run["ingested"], feed_run["screened"], feed_run["failed"]) == (6, 3, 0)
    for key in ("wall_seconds", "documents_per_second", "peak_rss_mib", "rss_at_checkpoint_mib", "store_bytes"):
        assert feed_run[key] > 0, key
    assert isinstance(feed_run["rss_growth"], float)
    assert set(report["checks"]) == {"ratio_to_baseline", "speedup_jobs2", "feed_seconds", "feed_peak_rss_mib",
                                     "rss_growth"}
    assert all(set(c) == {"value", "target", "ok"} for c in report["checks"].values())
    table = (out / "ingest.md").read_text(encoding="utf-8")
    assert "| baseline: bare en_core_web_sm `nlp.pipe` |" in table and "screened out by the relevance filter" in table
    # the stores were temporary
    assert not any(p.name.startswith("kg-bench-") for p in tmp_path.iterdir())


@model
def test_stages_times_every_stage_of_a_document(tmp_path):
    spec = importlib.util.spec_from_file_location("bench_stages", ROOT / "bench" / "stages.py")
    stages_module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stages_module)
    out = tmp_path / "stages.json"
    assert stages_module.main(["--scale-dir", str(feed(tmp_path / "scale")), "--sample", "2", "--json", str(out)]) == 0
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["documents"] == 2 and figures["words"] > 50
    stages = set(figures["seconds"])
    assert {"read and clean", "relevance filter", "tokenizer", "tok2vec", "parser", "kg_drugs",
            "kg_entities", "linking and scoring (relations/)", "RDF graph", "store write"} <= stages
    assert {"ner", "kg_ner"} & stages            # the model's NER, or the trained one in its place
    assert all(s >= 0 for s in figures["seconds"].values()) and figures["seconds"]["parser"] > 0
