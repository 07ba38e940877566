"""Load and validate the pattern, lexicon and cue files in ``data/``.

Rules are data: entity patterns are spaCy ruler JSONL (``label``, ``pattern``
or ``regex``, ``id``), lexicons are TSV with a header, context cues are JSONL.
Every loader checks keys and values and raises :class:`DataFileError` naming
the file, the line and the allowed values, so a typo fails loudly instead of
silently matching nothing.
"""
from __future__ import annotations

import csv
import functools
import json
import re
from pathlib import Path
from typing import Any, Iterable

from ..errors import DataFileError
from ..paths import data_dir

ENTITY_LABELS = {"DRUG", "TARGET", "CONDITION", "ORG", "PHASE"}
PATTERN_KEYS = {"label", "pattern", "regex", "id", "confidence", "comment"}
TOKEN_ATTRS = {
    "ORTH", "TEXT", "LOWER", "NORM", "LENGTH", "IS_ALPHA", "IS_ASCII", "IS_DIGIT", "IS_LOWER",
    "IS_UPPER", "IS_TITLE", "IS_PUNCT", "IS_SPACE", "IS_STOP", "IS_SENT_START", "LIKE_NUM",
    "LIKE_URL", "LIKE_EMAIL", "SPACY", "POS", "TAG", "MORPH", "DEP", "LEMMA", "SHAPE", "ENT_TYPE",
    "ENT_IOB", "ENT_ID", "ENT_KB_ID", "OP", "_",
}
OPERATORS = {"!", "?", "+", "*", "{1,3}", "{1,2}", "{2,3}", "{0,2}", "{0,3}", "{1,4}", "{0,4}", "{1,5}"}


def data_path(*parts: str) -> Path:
    return data_dir().joinpath(*parts)


def _check_token(path: Path, line: int, tok: Any) -> None:
    if not isinstance(tok, dict):
        raise DataFileError(path, line, f"pattern token must be an object, got {type(tok).__name__}")
    for k, v in tok.items():
        if k not in TOKEN_ATTRS:
            raise DataFileError(path, line, f"unknown token attribute {k!r}", TOKEN_ATTRS)
        if k == "OP" and v not in OPERATORS:
            raise DataFileError(path, line, f"unknown operator {v!r}", OPERATORS)
        if isinstance(v, dict):
            for pred, arg in v.items():
                if pred == "REGEX":
                    try:
                        re.compile(arg)
                    except re.error as e:
                        raise DataFileError(path, line, f"bad regular expression {arg!r}: {e}") from None


def load_jsonl(path: Path, allowed_keys: set[str], required: Iterable[str] = ()) -> list[dict]:
    """Read a JSONL file; blank lines and ``//`` comment lines are skipped."""
    rows = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise DataFileError(path, None, f"cannot read rule file ({e.strerror or e})") from None
    for n, raw in enumerate(lines, 1):
        s = raw.strip()
        if not s or s.startswith("//"):
            continue
        try:
            row = json.loads(s)
        except json.JSONDecodeError as e:
            raise DataFileError(path, n, f"invalid JSON ({e.msg})") from None
        if not isinstance(row, dict):
            raise DataFileError(path, n, "each line must be a JSON object")
        for k in row:
            if k not in allowed_keys:
                raise DataFileError(path, n, f"unknown key {k!r}", allowed_keys)
        for k in required:
            if k not in row:
                raise DataFileError(path, n, f"missing key {k!r}")
        row["_line"] = n
        rows.append(row)
    return rows


def load_entity_patterns(path: Path) -> list[dict]:
    """Entity patterns: ``label`` + ``id`` + either a token ``pattern`` or a ``regex``."""
    rows = load_jsonl(path, PATTERN_KEYS, required=("label", "id"))
    for row in rows:
        n = row["_line"]
        if row["label"] not in ENTITY_LABELS:
            raise DataFileError(path, n, f"unknown label {row['label']!r}", ENTITY_LABELS)
        if ("pattern" in row) == ("regex" in row):
            raise DataFileError(path, n, "give exactly one of 'pattern' (tokens) or 'regex'")
        if "pattern" in row:
            pat = row["pattern"]
            if isinstance(pat, list):
                if not pat:
                    raise DataFileError(path, n, "empty token pattern")
                for tok in pat:
                    _check_token(path, n, tok)
            elif not isinstance(pat, str):
                raise DataFileError(path, n, "'pattern' must be a list of token objects or a phrase string")
        else:
            try:
                row["_compiled"] = re.compile(row["regex"])
            except re.error as e:
                raise DataFileError(path, n, f"bad regular expression: {e}") from None
        conf = row.get("confidence", 1.0)
        if not isinstance(conf, (int, float)) or not 0 <= conf <= 1:
            raise DataFileError(path, n, f"confidence must be a number in [0, 1], got {conf!r}")
    return rows


def load_tsv(path: Path, columns: Iterable[str]) -> list[dict[str, str]]:
    """A TSV lexicon with a header; ``#`` lines are comments. Checks the header."""
    columns = list(columns)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise DataFileError(path, None, f"cannot read lexicon ({e.strerror or e})") from None
    rows: list[dict[str, str]] = []
    header: list[str] | None = None
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = next(csv.reader([line], delimiter="\t", quoting=csv.QUOTE_NONE))
        if header is None:
            header = [c.strip() for c in cells]
            missing = [c for c in columns if c not in header]
            if missing:
                raise DataFileError(path, n, f"header lacks column(s) {', '.join(missing)}", columns)
            continue
        if len(cells) > len(header):
            raise DataFileError(path, n, f"{len(cells)} cells but the header has {len(header)} columns")
        row = {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)}
        if not row[columns[0]]:
            raise DataFileError(path, n, f"empty {columns[0]!r}")
        row["_line"] = str(n)
        rows.append(row)
    if header is None:
        raise DataFileError(path, None, "empty lexicon: no header line")
    return rows


def check_choice(path: Path, row: dict, key: str, allowed: set[str]) -> str:
    value = row.get(key, "")
    if value not in allowed:
        raise DataFileError(path, int(row.get("_line", 0)) or None, f"{key} {value!r} is not valid", allowed)
    return value


TEXT_KEY = "kg_text"


def doc_text(doc) -> str:
    """``doc.text``, joined once per document: spaCy joins every token again on each read, and a Doc's
    text never changes (retokenising merges tokens, not characters)."""
    text = doc.user_data.get(TEXT_KEY)
    if text is None:
        text = doc.user_data[TEXT_KEY] = doc.text
    return text


def in_capitals(text: str) -> bool:
    """Is ``text`` written in capitals, as headlines and EDGAR titles are? Four in five of its letters
    upper case, and more than 20 letters or two words of four letters or more ("CELL CANCER"), so that
    a short run of acronyms ("AML, MDS") is not."""
    letters = [c for c in text if c.isalpha()]
    if sum(c.isupper() for c in letters) <= 0.8 * len(letters):
        return False
    return len(letters) > 20 or sum(w.isupper() for w in re.findall(r"[^\W\d_]{4,}", text)) >= 2


@functools.lru_cache(maxsize=None)
def word_set(name: str, column: str) -> frozenset[str]:
    """One column of a lexicon as a set (cached; the files do not change at run time)."""
    return frozenset(r[column] for r in load_tsv(data_path("lexicons", name), [column]))


@functools.lru_cache(maxsize=None)
def phrase_regex(name: str, column: str, flags: int = 0, **where: str) -> re.Pattern:
    """A lexicon's phrases (optionally the rows where ``column2=value``) as one word-bounded regex."""
    rows = load_tsv(data_path("lexicons", name), [column, *where])
    words = sorted({r[column] for r in rows if all(r.get(k) == v for k, v in where.items())}, key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(w) for w in words) + r")(?![\w-])", flags)


def company_words() -> re.Pattern:
    """Legal forms and industry words that mark a company name ("Inc.", "Therapeutics")."""
    return phrase_regex("company_words.tsv", "word")
