"""kg/documents.py: cleaning with offsets, formats, metadata, unreadable files."""
from __future__ import annotations

import pytest

from kg.documents import (
    TextBuilder, detect_format, iter_paths, load_documents, parse_documents, read_text,
)
from kg.errors import DocumentError

EDGAR = """<PAGE>
                                                                    Exhibit 99.1

CONTACTS:
<TABLE>
<S>                                 <C>
ACME BIOSCIENCES INC.               MEDIA CONTACT:
Tel: (555) 555-0100                 Tel: (555) 555-0101
</TABLE>

        ACME BIOSCIENCES ANNOUNCES START OF PHASE II TRIAL OF AB-101

TORONTO, CANADA, MARCH 3, 2005 - Acme Biosciences Inc. ("Acme") (TSX: ACM)
announced today the start of a Phase II clinical trial of AB-101 in non-
small cell lung cancer. The trial will enrol 40 patients at the General
                                     (more)

<PAGE>

Hospital of Springfield.

                                      -30-
"""


def _check_verbatim(doc):
    """Every non-synthetic character of the clean text is the character at its original offset."""
    for i, ch in enumerate(doc.text):
        if ch in " \n|":
            continue
        assert doc.original[doc.offsets.char(i)] == ch, (i, ch)


def test_edgar_markup_and_page_furniture_are_removed():
    [doc] = parse_documents(EDGAR, "ex99.txt")
    assert doc.format == "edgar"
    for junk in ("<PAGE>", "<TABLE>", "<S>", "<C>", "(more)", "-30-"):
        assert junk not in doc.text
    _check_verbatim(doc)


def test_hard_wraps_join_into_paragraphs_with_offsets():
    [doc] = parse_documents(EDGAR, "ex99.txt")
    sentence = "announced today the start of a Phase II clinical trial of AB-101 in non-small cell lung cancer."
    assert sentence in doc.text
    start = doc.text.index(sentence)
    o_start, o_end = doc.original_span(start, start + len(sentence))
    assert doc.original[o_start:o_start + 9] == "announced"
    assert doc.original[o_end - 7:o_end] == "cancer."
    assert "\n" in doc.original[o_start:o_end]        # the sentence was wrapped in the file


def test_page_break_inside_sentence():
    [doc] = parse_documents(EDGAR, "ex99.txt")
    assert "at the General Hospital of Springfield." in doc.text


def test_page_furniture_inside_an_unwrapped_line_is_removed():
    line = ("TORONTO, CANADA, JULY 7, 2003 - Acme Biosciences Inc. today announced a Phase II trial of AB-101 "
            "with cytarabine in acute myeloid leukemia. (more) 2 AB-101 targets the R2 component of "
            "ribonucleotide reductase. Patients (more than 40) will be enrolled.")
    [doc] = parse_documents("ACME ANNOUNCES PHASE II TRIAL\n\n" + line + "\n", "ex99.txt")
    assert "leukemia. AB-101 targets the R2 component" in doc.text and "(more) 2" not in doc.text
    assert "Patients (more than 40) will" in doc.text          # only the marker after a sentence's end
    start = doc.text.index("AB-101 targets")
    o_start, _ = doc.original_span(start, start + 6)
    assert doc.original[o_start:o_start + 14] == "AB-101 targets"
    _check_verbatim(doc)


def test_word_final_hyphen_is_kept_at_a_wrap():
    [doc] = parse_documents(EDGAR, "ex99.txt")
    assert "non-small cell" in doc.text and "non- small" not in doc.text


def test_table_rows_are_separate_paragraphs():
    [doc] = parse_documents(EDGAR, "ex99.txt")
    assert "ACME BIOSCIENCES INC. | MEDIA CONTACT:" in doc.text


def test_edgar_metadata():
    [doc] = parse_documents(EDGAR, "ex99.txt")
    assert doc.meta["date"] == "2005-03-03"
    assert doc.meta["tickers"] == ["TSX:ACM"]
    assert doc.meta["companies"][0] == "Acme Biosciences Inc."
    assert doc.meta["title"].startswith("ACME BIOSCIENCES ANNOUNCES START OF PHASE II TRIAL")


SUBMISSION = """<SEC-DOCUMENT>0000000000-05-000001.txt
<DOCUMENT>
<TYPE>8-K
<TEXT>
Form 8-K cover page.
</TEXT>
</DOCUMENT>
<DOCUMENT>
<TYPE>EX-99.1
<TEXT>
First exhibit: Acme Biosciences Inc. announced results of AB-101.
</TEXT>
</DOCUMENT>
<DOCUMENT>
<TYPE>EX-99.2
<TEXT>
<html><body><p>Second exhibit: Acme Biosciences Inc. started a trial.</p></body></html>
</TEXT>
</DOCUMENT>
</SEC-DOCUMENT>
"""


def test_a_name_of_industry_words_alone_is_no_company():
    text = ("Breakthrough in Skin Care\n\nKNOXVILLE, TN, April 23, 2025 -- A study by Mr. Li's team at Bright Path "
            "(Shanghai) Cosmetics Co., Ltd. and Biologics Inc. shows a new retinol alternative.\n")
    [doc] = parse_documents(text, "release.md")
    assert not {"Cosmetics Co.", "Biologics Inc."} & set(doc.meta.get("companies", []))
    [doc] = parse_documents(text.replace("A study by", "Acme Biologics Inc. today announced a study by"), "release.md")
    assert doc.meta["companies"][0].startswith("Acme Biologics")


def test_submission_yields_one_document_per_ex99_exhibit():
    docs = list(parse_documents(SUBMISSION, "filing.txt"))
    assert [d.source for d in docs] == ["filing.txt#EX-99.1", "filing.txt#EX-99.2"]
    assert "First exhibit" in docs[0].text and "Form 8-K" not in docs[0].text
    assert docs[1].format == "html" and docs[1].text == "Second exhibit: Acme Biosciences Inc. started a trial."
    assert docs[0].id != docs[1].id


HTML = """<html><head><title>Acme &amp; Co. Starts Trial</title><style>p {color: red}</style>
<script>var x = "Phase 3 of nothing";</script></head>
<body><h1>Acme &amp; Co. Starts Trial</h1>
<p>BOSTON, May 4, 2021 &ndash; Acme Biosciences Inc.
   (NASDAQ: ACME) announced&nbsp;today a trial of <b>AB-101</b>.</p>
<p>Second   paragraph.</p></body></html>"""


def test_html_text_blocks_entities_and_offsets():
    [doc] = parse_documents(HTML, "release.html")
    assert doc.format == "html"
    assert "var x" not in doc.text and "color" not in doc.text
    assert "Acme Biosciences Inc. (NASDAQ: ACME) announced today a trial of AB-101." in doc.text
    assert "\u2013" in doc.text                              # &ndash; decoded
    assert doc.text.split("\n\n")[-1] == "Second paragraph."
    i = doc.text.index("AB-101")
    s, e = doc.original_span(i, i + len("AB-101"))
    assert doc.original[s:e] == "AB-101"
    assert doc.meta["title"] == "Acme & Co. Starts Trial"
    assert doc.meta["date"] == "2021-05-04"


MARKDOWN = """# Acme Announces Results of AB-101

![logo](https://example.org/logo.png)

BOSTON - June 1, 2024 - Acme Biosciences Inc. (NASDAQ: ACME) reported **positive** results
from its [Phase 2 trial](https://example.org/trial) of AB-101.

* Bullet one
* Bullet two

---

[Original/Source Press Release](https://example.org/x)

Pickup - [https://example.org](https://example.org/y)
"""


def test_markdown_links_images_and_link_lists():
    [doc] = parse_documents(MARKDOWN, "release.md")
    assert doc.format == "markdown"
    assert "logo" not in doc.text and "https://" not in doc.text and "**" not in doc.text
    assert "reported positive results from its Phase 2 trial of AB-101." in doc.text
    assert "Bullet one\n\nBullet two" in doc.text
    assert "Original/Source" not in doc.text and "Pickup" not in doc.text
    assert doc.meta["title"] == "Acme Announces Results of AB-101"
    _check_verbatim(doc)


def test_unwrapped_lines_are_paragraphs():
    text = ("CONTACTS: Acme Biosciences Inc. Tel: (555) 555-0100 Email: ir@acme.example Media: Jane Roe, "
            "Roe Communications, Tel: (555) 555-0199\n"
            "ACME ANNOUNCES A TRIAL - TORONTO, CANADA, JULY 7, 2003 - Acme Biosciences Inc. today announced it.\n")
    [doc] = parse_documents(text, "x.txt")
    assert len(doc.text.split("\n\n")) == 2


def test_detect_format():
    assert detect_format("<PAGE>\ntext") == "edgar"
    assert detect_format("<p>text</p>") == "html"
    assert detect_format("# Title\n\ntext") == "markdown"
    assert detect_format("plain words only") == "text"


def test_text_builder_maps_synthetic_segments_to_their_range():
    b = TextBuilder()
    b.keep("abc", 10)
    b.put(" ", 13, 20)
    b.keep("def", 20)
    text, om = b.build()
    assert text == "abc def"
    assert om.span(0, 3) == (10, 13)
    assert om.span(4, 7) == (20, 23)
    assert om.span(0, 7) == (10, 23)
    assert om.char(3) == 13


def test_text_builder_leaves_out_control_characters_and_keeps_offsets():
    b = TextBuilder()
    b.keep("GTI\x01-2040\x1fis", 10)          # SOH inside the code goes; the unit separator is a space
    b.put("\x1b", 30, 31)                       # synthetic text made only of a control character: nothing
    b.keep(" tested\x00.", 40)
    text, om = b.build()
    assert text == "GTI-2040 is tested."
    assert om.char(3) == 14 and om.span(0, 8) == (10, 19)
    assert om.span(8, 9) == (19, 20)            # the space stands for the separator
    assert om.span(12, 19) == (41, 49)          # "tested." across the NUL left out


@pytest.mark.parametrize("content, problem", [
    (b"", "empty file"),
    (b"   \n\n ", "empty file"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
    ("Caf\u00e9 announces".encode("latin-1"), "not valid UTF-8"),
])
def test_unreadable_files_raise_a_document_error(tmp_path, content, problem):
    p = tmp_path / "bad.txt"
    p.write_bytes(content)
    with pytest.raises(DocumentError) as err:
        load_documents(p)
    assert problem in str(err.value) and str(p) in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(DocumentError, match="no such file"):
        read_text(tmp_path / "nope.txt")
    with pytest.raises(DocumentError, match="is a folder"):
        read_text(tmp_path)


def test_markup_only_file_has_no_text(tmp_path):
    p = tmp_path / "empty.html"
    p.write_text("<html><body><script>x()</script></body></html>")
    with pytest.raises(DocumentError, match="no text left"):
        load_documents(p)


def test_iter_paths_recurses_sorted_and_skips_hidden(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.txt").write_text("x")
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text("x")
    (tmp_path / ".hidden.txt").write_text("x")
    found = [p.relative_to(tmp_path).as_posix() for p in iter_paths([tmp_path])]
    assert found == ["a.txt", "b/2.txt"]
    # a file named explicitly is always yielded, so its problem gets reported
    assert list(iter_paths([tmp_path / "missing.txt"])) == [tmp_path / "missing.txt"]


def test_same_content_same_id_and_changed_content_new_id():
    [a] = parse_documents("Acme announced a Phase 2 trial of AB-101.", "a.txt")
    [b] = parse_documents("Acme announced a Phase 2 trial of AB-101.", "b.txt")
    [c] = parse_documents("Acme announced a Phase 3 trial of AB-101.", "a.txt")
    assert a.id == b.id != c.id
