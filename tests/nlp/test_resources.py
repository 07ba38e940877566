"""kg/nlp/resources.py: rule and lexicon files fail loudly, naming file, line and allowed values."""
from __future__ import annotations

import pytest

from kg.errors import DataFileError
from kg.nlp.resources import load_entity_patterns, load_jsonl, load_tsv
from kg.nlp.sections import load_zone_rules
from kg.nlp.context import load_rules


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_unknown_label_names_file_line_and_allowed(tmp_path):
    p = write(tmp_path, "p.jsonl", '{"label": "DRUG", "id": "a", "regex": "x"}\n{"label": "DRGU", "id": "b", "regex": "y"}\n')
    with pytest.raises(DataFileError) as err:
        load_entity_patterns(p)
    msg = str(err.value)
    assert f"{p}:2" in msg and "DRGU" in msg and "CONDITION" in msg and "DRUG" in msg


def test_unknown_key_and_bad_json(tmp_path):
    p = write(tmp_path, "p.jsonl", '{"label": "DRUG", "id": "a", "regx": "x"}\n')
    with pytest.raises(DataFileError, match=r"p.jsonl:1: unknown key 'regx'"):
        load_entity_patterns(p)
    p = write(tmp_path, "q.jsonl", '{"label": "DRUG",\n')
    with pytest.raises(DataFileError, match=r"q.jsonl:1: invalid JSON"):
        load_jsonl(p, {"label"})


def test_bad_regex_and_bad_token_attribute(tmp_path):
    p = write(tmp_path, "p.jsonl", '{"label": "DRUG", "id": "a", "regex": "(unclosed"}\n')
    with pytest.raises(DataFileError, match="bad regular expression"):
        load_entity_patterns(p)
    p = write(tmp_path, "t.jsonl", '{"label": "PHASE", "id": "a", "pattern": [{"LOWR": "phase"}]}\n')
    with pytest.raises(DataFileError, match="unknown token attribute 'LOWR'"):
        load_entity_patterns(p)


def test_pattern_needs_exactly_one_of_pattern_or_regex(tmp_path):
    p = write(tmp_path, "p.jsonl", '{"label": "DRUG", "id": "a"}\n')
    with pytest.raises(DataFileError, match="exactly one of"):
        load_entity_patterns(p)


def test_tsv_header_is_checked(tmp_path):
    p = write(tmp_path, "l.tsv", "# comment\nword\tkind\nfoo\tstop\n")
    assert load_tsv(p, ["word", "kind"])[0]["word"] == "foo"
    with pytest.raises(DataFileError, match="header lacks column"):
        load_tsv(p, ["word", "strength"])
    p = write(tmp_path, "e.tsv", "# only comments\n")
    with pytest.raises(DataFileError, match="no header"):
        load_tsv(p, ["word"])


def test_zone_and_context_rules_validate_their_choices(tmp_path):
    p = write(tmp_path, "z.jsonl", '{"id": "z", "zone": "skipp", "kind": "header", "regex": "x"}\n')
    with pytest.raises(DataFileError, match="unknown zone 'skipp'"):
        load_zone_rules(p)
    p = write(tmp_path, "c.jsonl", '{"id": "c", "category": "NEGATED", "direction": "sideways", "regex": "no"}\n')
    with pytest.raises(DataFileError, match="unknown direction 'sideways'"):
        load_rules(p)


def broken_lexicon(tmp_path, monkeypatch, name: str, line: str, loader, match: str) -> None:
    """A copy of the shipped data with ``line`` added to ``lexicons/name``: ``loader`` (a cached loader)
    must fail on it with a message matching ``match``; afterwards the shipped data loads again."""
    import shutil

    from kg.paths import data_dir

    shutil.copytree(data_dir(), tmp_path / "data")
    with open(tmp_path / "data" / "lexicons" / name, "a", encoding="utf-8") as f:
        f.write(line)
    monkeypatch.setenv("KG_DATA_DIR", str(tmp_path / "data"))
    loader.cache_clear()
    try:
        with pytest.raises(DataFileError, match=match):
            loader()
    finally:
        monkeypatch.delenv("KG_DATA_DIR")
        loader.cache_clear()


def test_target_skip_kinds_are_checked(tmp_path, monkeypatch):
    from kg.nlp import targets

    broken_lexicon(tmp_path, monkeypatch, "target_skip.tsv", "remarkable\tstopp\n", targets.lexicons,
                   r"target_skip.tsv:\d+: kind 'stopp' is not valid "
                   r"\(allowed: between, classifier, population, process, skip, stop\)")


def test_condition_frame_cue_sides_are_checked(tmp_path, monkeypatch):
    from kg.nlp import conditions

    broken_lexicon(tmp_path, monkeypatch, "condition_frame_cues.tsv", "remedy\tbefor\n", conditions.frame_cues,
                   r"condition_frame_cues.tsv:\d+: side 'befor' is not valid \(allowed: after, before\)")
    assert "treatment" in conditions.frame_cues()["before"] and "vaccine" in conditions.frame_cues()["after"]


def test_an_eponym_must_name_its_condition(tmp_path, monkeypatch):
    from kg.nlp import conditions

    broken_lexicon(tmp_path, monkeypatch, "condition_eponyms.tsv", "Parkinson\tshaking palsy\n", conditions.eponyms,
                   r"condition_eponyms.tsv:\d+: an eponym is one capitalised word and its condition is named after it")
    assert conditions.eponyms()["Alzheimer"] == "Alzheimer's disease"


def test_a_regimen_must_be_an_acronym_with_its_components(tmp_path, monkeypatch):
    from kg.nlp import drugs

    broken_lexicon(tmp_path, monkeypatch, "drug_regimens.tsv", "Folfox\tfluorouracil, leucovorin, oxaliplatin\n",
                   drugs.regimen_pattern, r"drug_regimens.tsv:\d+: a regimen is an acronym in capitals")
    assert drugs.regimen_pattern().search("with mFOLFIRINOX alone").group("name") == "FOLFIRINOX"


def test_the_shipped_data_files_load():
    from kg.nlp.conditions import lexicon
    from kg.nlp.drugs import code_patterns, inn_stems
    from kg.nlp.organizations import org_lexicon
    from kg.nlp.targets import lexicons
    from kg.relations import cue_lexicon

    assert lexicon()[0]["carcinoma"] == ("cancer", True)
    assert code_patterns() and inn_stems()
    assert org_lexicon()["CTEP"].part_of == "National Cancer Institute"
    assert lexicons()[0]
    assert load_zone_rules() and load_rules()
    assert cue_lexicon().kind("the trial") == "anaphor"
