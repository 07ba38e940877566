"""Where the project's data files live.

Rules, lexicons and the ontology are data files in the repository's
``data/`` and ``ontology/`` folders, read from there in a checkout (an
editable install). An install from a wheel carries them in the environment's
``share/clinical-pipeline-kg/`` folder (``[tool.setuptools.data-files]``).
``KG_DATA_DIR`` / ``KG_ONTOLOGY_DIR`` point elsewhere (for a customised rule set).
"""
from __future__ import annotations

import os
import site
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARE = Path("share") / "clinical-pipeline-kg"


def _folder(name: str) -> Path:
    """The checkout's folder ``name``, else the one an install put under ``share/`` (the environment's,
    else the user's), else the checkout's (missing: its reader says so)."""
    if (ROOT / "pyproject.toml").is_file():
        return ROOT / name
    for base in (sysconfig.get_path("data"), site.getuserbase()):
        if base and (Path(base) / SHARE / name).is_dir():
            return Path(base) / SHARE / name
    return ROOT / name


def data_dir() -> Path:
    return Path(os.environ.get("KG_DATA_DIR") or _folder("data"))


def ontology_dir() -> Path:
    return Path(os.environ.get("KG_ONTOLOGY_DIR") or _folder("ontology"))


def queries_dir() -> Path:
    return ontology_dir() / "queries"


def models_dir() -> Path:
    """Trained components (``make train``): shipped inside the package, never downloaded."""
    return Path(os.environ.get("KG_MODELS_DIR") or Path(__file__).resolve().parent / "models")
