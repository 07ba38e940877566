"""kg/documents.py: a release's date and where it was read (``meta["date"]``, ``meta["date_source"]``).

One small synthetic release per source, most trusted first: the EDGAR header, a web page's <meta> tags,
the dateline, a date in the text, and the file's modification time for a release that carries none.
"""
from __future__ import annotations

import os
from datetime import datetime, timezone

import pytest

from kg import schema
from kg.documents import load_documents, parse_documents

STORY = ("Acme Biosciences Inc. (TSX: ACM) today announced the start of a Phase 2 trial of AB-101 in "
         "non-small cell lung cancer.")


def dated(text: str, source: str = "release.txt") -> list[tuple[str | None, str | None]]:
    return [(d.meta.get("date"), d.meta.get("date_source")) for d in parse_documents(text, source)]


def submission(header_lines: str) -> str:
    """An EDGAR submission of two press-release exhibits whose datelines say 12 January 2004."""
    exhibit = "<TEXT>\nTORONTO, CANADA, JANUARY 12, 2004 - " + STORY + "\n</TEXT>\n"
    return ("<SEC-DOCUMENT>0000950123-04-000123.txt\n<SEC-HEADER>0000950123-04-000123.hdr.sgml\n"
            + header_lines + "ACCESSION NUMBER:\t\t0000950123-04-000123\nCONFORMED SUBMISSION TYPE:\t6-K\n"
            "</SEC-HEADER>\n<DOCUMENT>\n<TYPE>6-K\n<TEXT>\nForm 6-K cover page.\n</TEXT>\n</DOCUMENT>\n"
            "<DOCUMENT>\n<TYPE>EX-99.1\n" + exhibit + "</DOCUMENT>\n"
            "<DOCUMENT>\n<TYPE>EX-99.2\n" + exhibit + "</DOCUMENT>\n</SEC-DOCUMENT>\n")


@pytest.mark.parametrize("header, day", [
    ("<ACCEPTANCE-DATETIME>20040115163012\nCONFORMED PERIOD OF REPORT:\t20040112\n"
     "FILED AS OF DATE:\t\t20040114\n", "2004-01-14"),                    # the filing date first
    ("<ACCEPTANCE-DATETIME>20040115163012\nCONFORMED PERIOD OF REPORT:\t20040112\n", "2004-01-15"),
    ("CONFORMED PERIOD OF REPORT:\t20040113\n", "2004-01-13"),
], ids=["filed-as-of", "acceptance", "period-of-report"])
def test_the_edgar_header_dates_every_exhibit_of_its_submission(header, day):
    assert dated(submission(header), "filing.txt") == [(day, "edgar-header")] * 2


def test_an_impossible_header_date_is_passed_over():
    text = submission("FILED AS OF DATE:\t\t20041399\n")
    assert dated(text, "filing.txt") == [("2004-01-12", "dateline")] * 2


def test_a_web_page_publication_meta_tag_comes_before_its_dateline():
    page = ('<html><head><title>Acme starts trial</title>\n<meta content="2023-11-08T07:00:00Z" '
            'property="article:published_time" />\n</head><body><p>LONDON, November 9, 2023 &ndash; '
            + STORY + "</p></body></html>")
    assert dated(page, "release.html") == [("2023-11-08", "html-meta")]
    # a <meta> that is no publication date is not one
    other = page.replace("article:published_time", "article:modified_time")
    assert dated(other, "release.html") == [("2023-11-09", "dateline")]


@pytest.mark.parametrize("head, day", [
    ("BOSTON, MASSACHUSETTS, MARCH 4, 2024 - ", "2024-03-04"),
    ("SAN DIEGO, CA - June 17, 2025 (BUSINESS WIRE) - ", "2025-06-17"),
    ("NEW HAVEN, Conn., Dec. 15, 2003 /PRNewswire/ -- ", "2003-12-15"),
    ("Acme starts trial\n\nJune 8, 2004 at 12:00 AM EDT\n\n", "2004-06-08"),
    ("Category: News September 15, 2003\n\n", "2003-09-15"),
], ids=["dash", "bracket", "slash", "time-of-day", "own-line"])
def test_the_dateline(head, day):
    assert dated("Acme Starts Phase 2 Trial\n\n" + head + STORY + "\n") == [(day, "dateline")]


def test_a_dateline_before_the_story_wins_over_an_earlier_time_stamped_event():
    text = ("Acme to host a webcast on November 11, 2025 at 10:00 am ET\n\n"
            "BOSTON - November 3, 2025 (BUSINESS WIRE) - " + STORY + "\n")
    assert dated(text) == [("2025-11-03", "dateline")]


def test_a_dateline_without_a_year_leaves_the_date_to_the_text():
    text = ("Acme Starts Phase 2 Trial\n\nTORONTO, June 19 /CNW/ - " + STORY
            + " The trial follows the IND the FDA cleared on March 3, 2004.\n")
    assert dated(text) == [("2004-03-03", "body")]


def test_a_deadline_is_not_the_release_date():
    text = ("TORONTO, June 19 /CNW/ - " + STORY + " If approved before September 30, 2026, the drug earns a "
            "voucher. As of December 31, 2024, Acme had $10 million in cash.\n")
    assert dated(text) == [("2024-12-31", "body")]


def test_a_month_in_the_text_when_it_gives_no_full_date():
    text = "TORONTO, June 19 /CNW/ - " + STORY + " The study began in October 2023, and runs until March 2027.\n"
    assert dated(text) == [("2023-10", "body")]


def test_a_release_with_no_date_has_none_until_it_is_read_from_a_file(tmp_path):
    text = "Acme Starts Phase 2 Trial\n\nTORONTO, June 19 /CNW/ - " + STORY + "\n"
    assert dated(text) == [(None, None)]
    path = tmp_path / "release.txt"
    path.write_text(text, encoding="utf-8")
    moment = datetime(2019, 7, 4, 23, 30, tzinfo=timezone.utc).timestamp()
    os.utime(path, (moment, moment))
    [doc] = load_documents(path)
    assert (doc.meta["date"], doc.meta["date_source"]) == ("2019-07-04", "file-modified")


def test_a_file_with_a_dated_release_keeps_the_release_date(tmp_path):
    path = tmp_path / "release.txt"
    path.write_text("BOSTON, MARCH 4, 2024 - " + STORY + "\n", encoding="utf-8")
    os.utime(path, (0, 0))
    [doc] = load_documents(path)
    assert (doc.meta["date"], doc.meta["date_source"]) == ("2024-03-04", "dateline")


def test_every_source_the_reader_gives_is_a_registry_value():
    texts = [(submission("FILED AS OF DATE:\t\t20040114\n"), "f.txt"),
             ('<html><head><meta name="date" content="2023-11-08"></head><body><p>' + STORY + "</p></body></html>",
              "r.html"),
             ("BOSTON, MARCH 4, 2024 - " + STORY, "r.txt"), (STORY + " On March 3, 2004 it filed.", "r.txt")]
    sources = {src for text, name in texts for _, src in dated(text, name)}
    assert sources == set(schema.DATE_SOURCES) - {schema.FILE_DATE_SOURCE}
