"""Shared test fixtures: the NLP pipeline (built once per session) and files written on demand."""
from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def extractor():
    """One :class:`kg.pipeline.Extractor` for the whole session (building it takes seconds)."""
    from kg.pipeline import Extractor

    return Extractor()


@pytest.fixture
def write_files(tmp_path):
    """Write ``{relative name: text or bytes}`` under a fresh folder; returns the folder."""

    def write(files: dict[str, str | bytes], folder: str = "docs") -> Path:
        root = tmp_path / folder
        for name, content in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8", newline="")
        return root

    return write


SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


@pytest.fixture(scope="session")
def samples_store(tmp_path_factory, extractor):
    """A store built from ``data/samples`` by the real pipeline (``kg ingest``), once per session."""
    from kg.ingest import ingest

    path = tmp_path_factory.mktemp("samples") / "store"
    summary = ingest([SAMPLES], store=path, quiet=True, extractor=extractor)
    assert summary.failed == 0 and summary.ingested == len(list(SAMPLES.iterdir()))
    return path
