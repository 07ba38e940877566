"""Where the project's data files live.

Rules, lexicons and the ontology are data files in the repository's
``data/`` and ``ontology/`` folders. ``KG_DATA_DIR`` / ``KG_ONTOLOGY_DIR``
point elsewhere (for a customised rule set).
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    return Path(os.environ.get("KG_DATA_DIR") or ROOT / "data")


def ontology_dir() -> Path:
    return Path(os.environ.get("KG_ONTOLOGY_DIR") or ROOT / "ontology")


def queries_dir() -> Path:
    return ontology_dir() / "queries"


def models_dir() -> Path:
    """Trained components (``make train``): shipped inside the package, never downloaded."""
    return Path(os.environ.get("KG_MODELS_DIR") or Path(__file__).resolve().parent / "models")
