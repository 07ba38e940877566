"""The spaCy pipeline for component tests: the session's extractor's pipeline (built once)."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def nlp(extractor):
    return extractor.nlp
