"""kg/relations/lexicon.py and values.py: the linking rules' data files load, and a bad line names itself."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from kg.errors import DataFileError
from kg.paths import data_dir
from kg.relations import drug_facts, entities, frames, lexicon, roles, values

VOCABULARIES = {"entity_words.tsv": entities.WORDS, "frame_words.tsv": frames.WORDS,
                "role_words.tsv": roles.WORDS, "fact_words.tsv": drug_facts.WORDS}


def clear_caches():
    for vocabulary in VOCABULARIES.values():
        vocabulary.cache_clear()
    for loader in (lexicon.org_roles, lexicon.rule_confidences, values.number_words):
        loader.cache_clear()


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    """A copy of data/ that the loaders read; ``append(name, line)`` adds a line to one of its lexicons
    and returns the line's number."""
    shutil.copytree(data_dir(), tmp_path / "data")
    monkeypatch.setenv("KG_DATA_DIR", str(tmp_path / "data"))
    clear_caches()

    def append(name: str, line: str) -> int:
        path = tmp_path / "data" / "lexicons" / name
        text = path.read_text(encoding="utf-8")
        path.write_text(text + line + "\n", encoding="utf-8")
        return len(text.splitlines()) + 1

    yield append
    monkeypatch.delenv("KG_DATA_DIR")
    clear_caches()


@pytest.mark.parametrize("name", sorted(VOCABULARIES))
def test_a_bad_kind_names_the_file_the_line_and_the_kinds(data_copy, name):
    vocabulary = VOCABULARIES[name]
    line = data_copy(name, "today\tdateline-verbs")
    allowed = ", ".join(sorted(vocabulary.kinds))
    with pytest.raises(DataFileError, match=rf"{re.escape(name)}:{line}: kind 'dateline-verbs' is not valid "
                                            rf"\(allowed: {re.escape(allowed)}\)"):
        vocabulary.words(vocabulary.kinds[0])


def test_a_kind_without_words_is_an_error(tmp_path):
    path = tmp_path / "words.tsv"
    path.write_text("word\tkind\nplus\tjoiner\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="no words of kind breaker"):
        lexicon.load_vocabulary(path, ("joiner", "breaker"))


@pytest.mark.parametrize("name, row, message", [
    ("org_roles.tsv", "not-sites\tagency", r"group 'not-sites' is not valid \(allowed: not-cue-org, not-developer"),
    ("org_roles.tsv", "not-site\tagencies", r"role 'agencies' is not valid \(allowed: agency, company, conference"),
    ("number_words.tsv", "dozen\ttwelve", r"value must be a whole number, got 'twelve'"),
    ("rule_confidence.tsv", "trial.new-rule\trule\t1.5", r"confidence must be a number in \[0, 1\], got '1.5'"),
    ("rule_confidence.tsv", "trial.new-rule\trule\thigh", r"confidence must be a number in \[0, 1\], got 'high'"),
    ("rule_confidence.tsv", "trial.new-rule\trules\t0.5", r"kind 'rules' is not valid \(allowed: factor, rule, threshold\)"),
    ("rule_confidence.tsv", "trial.site\trule\t0.5", r"rule 'trial.site' is given twice"),
])
def test_a_bad_line_names_the_file_and_the_line(data_copy, name, row, message):
    line = data_copy(name, row)
    load = {"org_roles.tsv": lambda: lexicon.org_roles("not-site"),
            "number_words.tsv": lambda: values.parse_count("forty-two"),
            "rule_confidence.tsv": lambda: lexicon.confidence("trial.site")}[name]
    with pytest.raises(DataFileError, match=rf"{re.escape(name)}:{line}: {message}"):
        load()


def test_a_rule_without_confidence_is_a_clear_error():
    with pytest.raises(DataFileError, match=r"rule_confidence.tsv: .*'trial.no-such-rule'.* add a line"):
        lexicon.confidence("trial.no-such-rule")
    with pytest.raises(DataFileError, match="the factor 'trial.site'"):
        lexicon.factor("trial.site")


def test_every_rule_the_stages_state_has_a_confidence():
    """The rule ids written in the stages' code (not those of cue files or segmentations)."""
    folder = Path(lexicon.__file__).parent
    source = "".join((folder / f"{m}.py").read_text(encoding="utf-8")
                     for m in ("entities", "frames", "trials", "drug_facts"))
    ids = set(re.findall(r"\"((?:trial|sponsor|developer|context|indication)\.[a-z-]+)\"", source))
    ids = {i for i in ids if not i.endswith("-segmentation")}
    assert "developer.reporting-company" in ids and "trial.studies-drug" in ids
    missing = {i for i in ids if lexicon.rule_confidences().get(i, ("", 0))[0] != "rule"}
    assert not missing


def test_the_shipped_linking_lexicons_load():
    assert entities.WORDS.words("exchange") >= {"NASDAQ", "NYSE"}
    assert "patients with" not in roles.WORDS.words("slot-lead") and "such as" in roles.WORDS.words("slot-lead")
    assert lexicon.org_roles("sponsor-at-site") == {"agency", "cooperative_group"}
    assert lexicon.confidence("trial.studies-drug") == 0.9 and lexicon.factor("about-zone") == 0.95
    assert values.parse_count("forty-two") == 42 and values.parse_count("two hundred") == 200
    assert values.parse_count("zero") is None and values.parse_count("a few") is None
