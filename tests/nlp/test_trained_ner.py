"""The trained NER shipped in kg/models/ner (built by make train): its place in the pipeline and its record."""
from __future__ import annotations

import json

import pytest

from kg.nlp import KG_NER, trained_ner_path

pytestmark = pytest.mark.model

META = trained_ner_path() / "kg-meta.json"


@pytest.fixture(scope="module")
def meta():
    if not META.is_file():
        pytest.skip("no trained NER (make train)")
    return json.loads(META.read_text(encoding="utf-8"))


def test_the_record_has_the_training_data_hash_scores_and_labels(meta):
    assert len(meta["training_data_sha256"]) == 64
    assert {"DRUG", "CONDITION", "TARGET"} <= set(meta["labels"])
    assert set(meta["dev_gold_mentions"]) == {"DRUG", "CONDITION", "TARGET"}
    assert meta["history"] and all("heldout_silver" in h for h in meta["history"])


def test_the_pipeline_runs_it_in_the_model_ners_place_when_it_learned_the_models_labels(extractor, meta):
    names = extractor.nlp.pipe_names
    assert KG_NER in names and names.index(KG_NER) > names.index("parser")
    if meta.get("replaces_model_ner"):
        assert "ner" not in names and "ORG" in meta["labels"]
    else:
        assert names.index(KG_NER) == names.index("ner") + 1


# invented names in the language of press releases: no dictionary, stem or code pattern knows them
NOVEL = [("zelmorabart", "Lakeview Therapeutics today announced that the first patient was dosed in its Phase 2 "
                         "study of zelmorabart in patients with moderate to severe ulcerative colitis."),
         ("ortavenib", "The company initiated a Phase 3 trial evaluating ortavenib in adults with "
                       "relapsed multiple myeloma."),
         ("quilvotide", "Results from the Phase 1b study showed that quilvotide was well tolerated in "
                        "patients with type 2 diabetes."),
         ("brenzatrel", "Northgate Bio will present data on brenzatrel, its investigational oral therapy for "
                        "idiopathic pulmonary fibrosis, at the congress."),
         ("semtorivir", "Enrollment is complete in the Phase 2 trial of semtorivir for chronic hepatitis B.")]


def test_it_finds_drugs_no_dictionary_knows_from_their_context(extractor, meta):
    from kg.nlp.drugs import drug_lexicon

    nlp = extractor.nlp
    assert not any(drug_lexicon().lookup(name) for name, _ in NOVEL)
    with nlp.select_pipes(enable=[KG_NER]):     # the NER alone: no lexicon, no rule
        docs = list(nlp.pipe(text for _, text in NOVEL))
    found = [any(e.text == name and e.label_ == "DRUG" for e in doc.ents) for (name, _), doc in zip(NOVEL, docs)]
    assert sum(found) >= 3, list(zip([n for n, _ in NOVEL], found))
