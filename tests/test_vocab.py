"""kg/vocab.py and kg/relations/grounding.py: targets resolve to HGNC genes, ambiguous short aliases do not."""
from __future__ import annotations

import gzip

import pytest

from kg.errors import DataFileError
from kg.records import Entity
from kg.relations.grounding import ground_targets
from kg.vocab import _read_genes, genes, symbol_key


@pytest.mark.parametrize("name, symbol", [
    ("Bcl-2", "BCL2"), ("PD-1", "PDCD1"), ("CD105", "ENG"), ("endoglin", "ENG"), ("TREM-1", "TREM1"),
    ("HER2", "ERBB2"), ("TNF-alpha", "TNF"), ("miR-10b", "MIR10B"),
    ("R2 component of ribonucleotide reductase", "RRM2"),   # a project synonym (target_synonyms.tsv)
])
def test_names_as_releases_write_them_resolve_to_one_gene(name, symbol):
    assert genes().lookup(name).symbol == symbol


@pytest.mark.parametrize("name", ["R2", "tyrosine kinase", "ribonucleotide reductase", "5-HT receptor"])
def test_ambiguous_or_generic_names_stay_ungrounded(name):
    assert genes().lookup(name) is None


def test_symbols_compare_without_case_hyphens_or_greek_spelling():
    assert symbol_key("Bcl-2") == symbol_key("BCL2")
    assert symbol_key("TNF-\u03b1") == symbol_key("TNF alpha") == "TNFA"


def test_a_malformed_gene_line_names_the_file_and_line(tmp_path):
    path = tmp_path / "genes.tsv.gz"
    path.write_bytes(gzip.compress(b"# comment\nhgnc_id\tsymbol\tname\taliases\tlocus_group\n"
                                   b"HGNC:5\tA1BG\talpha-1-B glycoprotein\t\tprotein-coding gene\n"
                                   b"5\tBAD\tno id\t\tprotein-coding gene\n"))
    with pytest.raises(DataFileError) as e:
        _read_genes(path)
    assert f"{path}:4" in str(e.value)


def test_grounding_adds_the_gene_iri_and_symbol_to_a_target():
    e = Entity("Target|r2 component of ribonucleotide reductase", "Target",
               "R2 component of ribonucleotide reductase", {"R2"})
    other = Entity("Target|r2", "Target", "R2")
    ground_targets({e.key: e, other.key: other})
    assert e.ids == {"https://identifiers.org/hgnc:10452"} and "RRM2" in e.aliases
    assert other.ids == e.ids            # "R2" alone is ambiguous; beside the name that spells it out, it is RRM2
    alone = Entity("Target|r2", "Target", "R2")
    ground_targets({alone.key: alone})
    assert alone.ids == set()
