"""Hostile input: files and text built to break the reader or the pipeline.

Each case must end in a one-line report (or a clean result), never a
traceback, a hang or a graph the exports cannot write: a text too long for
the model, a file too large, a named pipe or a device, a folder that cannot
be listed, a file name with a line break, control characters in a release,
and a release whose length makes extraction slower than linear.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import xml.dom.minidom
from pathlib import Path

import networkx as nx
import pytest
from rdflib import Dataset, Graph

from kg.documents import (
    CONTROL_CHARS, DEFAULT_MAX_BYTES, iter_paths, load_documents, parse_documents, parse_max_bytes, read_text,
)
from kg.errors import DocumentError, shown
from kg.nlp.pieces import cut_points, process
from kg.pipeline import read_documents
from work import calls

model = pytest.mark.model


def permissions_bind() -> bool:
    """Whether this process is refused a file it may not read (root is not, unless it runs without the
    capabilities that override file permissions, as .ci/run runs these tests)."""
    with tempfile.NamedTemporaryFile() as f:
        os.chmod(f.name, 0)
        try:
            open(f.name, "rb").close()
        except PermissionError:
            return True
    return False


def as_user(test):
    """A test that needs file permissions to bind: skipped where they do not (root); marked ``unprivileged``,
    which .ci/run runs again without root's capabilities to override them."""
    skip = pytest.mark.skipif(not permissions_bind(), reason="file permissions do not bind root: .ci/run runs "
                              "the unprivileged tests without the capabilities that override them (setpriv)")
    return pytest.mark.unprivileged(skip(test))

RELEASE = """NORTHWIND BIO STARTS PHASE 2 TRIAL OF NWB-1107 IN PANCREATIC CANCER

CAMBRIDGE, Mass., April 2, 2024 -- Northwind Bio, Inc. (NASDAQ: NWBI) today announced that the first patient
has been dosed in a Phase 2 trial of NWB-1107, an antisense inhibitor of KRAS, in combination with
gemcitabine in patients with pancreatic cancer. The trial is being conducted at the Dana-Farber Cancer
Institute.
"""


def run_with_timeout(fn, seconds: float = 10.0):
    """``fn()`` in a daemon thread: its result, or a test failure if it does not return in time (a read
    that blocks on a named pipe would hang the suite)."""
    out: dict = {}

    def target():
        try:
            out["value"] = fn()
        except BaseException as e:          # noqa: BLE001 - handed back to the test
            out["error"] = e

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(seconds)
    if t.is_alive():
        pytest.fail(f"still running after {seconds} s: blocked reading a file?")
    if "error" in out:
        raise out["error"]
    return out.get("value")


def problems(paths, **kw) -> tuple[list[str], list[str]]:
    """(sources of the documents read, one report line per problem) of ``read_documents(paths)``."""
    errors: list[DocumentError] = []
    docs = run_with_timeout(lambda: [d.source for d in read_documents(paths, on_error=errors.append, **kw)])
    return docs, [str(e) for e in errors]


# ---------------------------------------------------------------------------
# a text longer than the model reads at once
# ---------------------------------------------------------------------------

def test_a_line_of_megabytes_is_cut_into_pieces_at_sentence_ends():
    sentence = "NWB-1107 was well tolerated in the trial. "
    text = sentence * (5_000_000 // len(sentence))           # 5 MB, no line break
    cuts = cut_points(text)
    pieces = [b - a for a, b in zip([0] + cuts[:-1], cuts)]
    assert cuts[-1] == len(text) and len(pieces) > 100
    assert max(pieces) <= 50_000
    # every cut is right after a sentence's end and before the next word
    assert all(text[c - 2:c] == ". " and not text[c].isspace() for c in cuts[:-1])


def test_a_line_without_sentences_or_spaces_is_still_cut():
    words = "word " * 30_000                                   # no sentence end: cut after a space
    cuts = cut_points(words, max_chars=1_000, max_line=2_000)
    assert all(words[c - 1] == " " and words[c] == "w" for c in cuts[:-1])
    blob = "x" * 10_000                                        # no space at all: cut inside, never longer
    cuts = cut_points(blob, max_chars=1_000, max_line=2_000)
    assert cuts == list(range(2_000, 10_001, 2_000))


@model
def test_a_text_without_line_breaks_longer_than_the_model_limit_is_read(extractor):
    nlp = extractor.nlp
    text = " ".join(RELEASE.split()) + " " + "The trial of NWB-1107 in pancreatic cancer continues. " * 60
    whole = [(t.idx, t.text) for t in nlp.make_doc(text)]
    saved = nlp.max_length
    nlp.max_length = 1_000                                    # the text is three times over it, in one line
    try:
        with pytest.raises(ValueError, match="E088"):
            nlp(text)
        doc = process(nlp, text, max_chars=800)
        [document] = parse_documents(text, "one-line.txt")
        x = extractor.extract(document)
    finally:
        nlp.max_length = saved
    assert doc.text == text
    assert [(t.idx, t.text) for t in doc] == whole            # the cuts fell between tokens
    assert any(e.label_ == "DRUG" and e.text == "NWB-1107" for e in doc.ents)
    assert any(a.predicate == "investigatedFor" for a in x.assertions) or x.trials


# ---------------------------------------------------------------------------
# a file too large to be a press release
# ---------------------------------------------------------------------------

def test_a_file_over_the_size_limit_is_refused_unread(tmp_path, monkeypatch):
    big = tmp_path / "huge.txt"
    with open(big, "wb") as f:
        f.truncate(50_000_000)                                # 50 MB (sparse): nothing to read in it
    read = []
    real_open = os.open
    monkeypatch.setattr(os, "open", lambda *a, **k: read.append(a[0]) or real_open(*a, **k))
    with pytest.raises(DocumentError) as err:
        read_text(big)
    assert str(err.value) == f"{big}: too large: 50 MB, over the limit of 10 MB (--max-bytes)"
    assert read == []                                         # refused on its size alone, never opened
    assert DEFAULT_MAX_BYTES == 10_000_000 or os.environ.get("KG_MAX_BYTES")


def test_the_size_limit_is_a_parameter_of_every_reader(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text(RELEASE)
    (folder / "b.txt").write_text((RELEASE * 30)[:8_500])      # 8.5 kB
    with pytest.raises(DocumentError, match=r"too large: 8\.5 kB, over the limit of 1 kB \(--max-bytes\)$"):
        load_documents(folder / "b.txt", max_bytes=1_000)
    docs, errors = problems([folder], max_bytes=1_000)
    assert [Path(s).name for s in docs] == ["a.txt"]
    assert errors == [f"{folder / 'b.txt'}: too large: 8.5 kB, over the limit of 1 kB (--max-bytes)"]
    docs, errors = problems([folder], max_bytes=None)       # no limit
    assert len(docs) == 2 and errors == []
    with pytest.raises(DocumentError, match=r"too large: 8,500 bytes, over the limit of 8,499 bytes"):
        load_documents(folder / "b.txt", max_bytes=8_499)   # both "8.5 kB" when rounded


def test_a_file_larger_than_its_size_says_is_read_no_further_than_the_limit():
    # files of /proc say they are empty and hold more: the limit holds on what is read, not on st_size
    maps = Path("/proc/self/maps")
    if not maps.exists() or maps.stat().st_size != 0:
        pytest.skip("needs Linux /proc")
    with pytest.raises(DocumentError, match=r"too large: more than 100 bytes, over the limit of 100 bytes"):
        read_text(maps, max_bytes=100)


def test_the_default_limit_comes_from_the_environment():
    assert parse_max_bytes("50M") == 50_000_000 and parse_max_bytes("2k") == 2_000
    assert parse_max_bytes("1234") == 1234 and parse_max_bytes("none") is None
    with pytest.raises(ValueError):
        parse_max_bytes("lots")
    with pytest.raises(ValueError, match="more than any file holds"):
        parse_max_bytes("99999999999999999999999999GB")          # overflowed a read before
    with pytest.raises(ValueError, match="not a size"):
        parse_max_bytes("\u0663kB")                             # an Arabic-Indic three was read as 3 kB
    code = "import kg.documents as d; print(d.DEFAULT_MAX_BYTES)"
    for value, expected in (("50M", "50000000"), ("none", "None"), ("", "10000000")):
        out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "KG_MAX_BYTES": value},
                             capture_output=True, text=True, check=True)
        assert out.stdout.strip() == expected


def test_a_file_over_a_limit_from_the_environment_names_the_variable(tmp_path):
    (tmp_path / "b.txt").write_text((RELEASE * 30)[:8_500])
    env = {**os.environ, "KG_MAX_BYTES": "1k"}
    lines = {}
    for extra in ([], ["--max-bytes", "2k"]):
        proc = subprocess.run([sys.executable, "-m", "kg.cli", "extract", str(tmp_path / "b.txt"), "-o",
                               str(tmp_path / "out.trig"), *extra], env=env, capture_output=True, text=True,
                              timeout=300)
        [lines[bool(extra)]] = [line for line in proc.stderr.splitlines() if "too large" in line]
    assert lines[False].endswith("over the limit of 1 kB (KG_MAX_BYTES; --max-bytes overrides it)")
    assert lines[True].endswith("over the limit of 2 kB (--max-bytes)")


def test_a_bad_limit_in_the_environment_is_one_line_of_ours(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "kg.cli", "query", "ASK {}", "--store", str(tmp_path / "none")],
                          env={**os.environ, "KG_MAX_BYTES": "lots"}, capture_output=True, text=True, timeout=120)
    [warning] = [line for line in proc.stderr.splitlines() if "KG_MAX_BYTES" in line]
    assert warning.startswith("kg: WARNING ") and "using 10 MB" in warning


# ---------------------------------------------------------------------------
# named pipes, devices, sockets: never opened
# ---------------------------------------------------------------------------

def test_a_named_pipe_is_reported_not_opened(tmp_path):
    fifo = tmp_path / "release.txt"
    os.mkfifo(fifo)
    with pytest.raises(DocumentError) as err:
        run_with_timeout(lambda: read_text(fifo))
    assert str(err.value) == f"{fifo}: not a regular file (named pipe)"


def test_devices_and_sockets_are_reported_directly_and_behind_links(tmp_path):
    (tmp_path / "zero.txt").symlink_to("/dev/zero")
    cases = {tmp_path / "zero.txt": "character device", Path("/dev/null"): "character device"}
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(str(tmp_path / "s.sock"))
        cases[tmp_path / "s.sock"] = "socket"
    except OSError:
        pass                                                  # a path too long for a socket: skip that case
    try:
        for path, kind in cases.items():
            with pytest.raises(DocumentError, match=rf"^{path}: not a regular file \({kind}\)$"):
                run_with_timeout(lambda: read_text(path))
    finally:
        sock.close()


def test_a_folder_holding_a_pipe_and_a_device_reads_its_files(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text(RELEASE)
    os.mkfifo(folder / "b.txt")
    (folder / "c.txt").symlink_to("/dev/zero")
    (folder / "d.txt").symlink_to(folder / "a.txt")         # a link to a file is read
    docs, errors = problems([folder])
    assert [Path(s).name for s in docs] == ["a.txt", "d.txt"]
    assert errors == [f"{folder / 'b.txt'}: not a regular file (named pipe)",
                      f"{folder / 'c.txt'}: not a regular file (character device)"]


# ---------------------------------------------------------------------------
# folders that cannot be walked
# ---------------------------------------------------------------------------

def test_a_dangling_link_in_a_folder_is_reported(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text(RELEASE)
    (folder / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    docs, errors = problems([folder])
    assert [Path(s).name for s in docs] == ["a.txt"]
    assert errors == [f"{folder / 'gone.txt'}: broken symbolic link (to {tmp_path / 'nowhere.txt'}, "
                      "which does not exist)"]
    # without on_error the walk yields it, and reading it says the same
    assert folder / "gone.txt" in list(iter_paths([folder]))


def test_a_subfolder_that_cannot_be_listed_is_reported(tmp_path, monkeypatch):
    folder = tmp_path / "docs"
    (folder / "locked").mkdir(parents=True)
    (folder / "locked" / "x.txt").write_text(RELEASE)
    (folder / "z.txt").write_text(RELEASE)
    real = os.scandir

    def scandir(path="."):
        if Path(path) == folder / "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    docs, errors = problems([folder])
    assert [Path(s).name for s in docs] == ["z.txt"]
    assert errors == [f"{folder / 'locked'}: folder cannot be listed (permission denied)"]
    # iter_paths without on_error (as kg ingest and kg extract call it) yields it for the reader to report
    assert list(iter_paths([folder])) == [folder / "locked", folder / "z.txt"]
    docs, errors = problems(list(iter_paths([folder])))
    assert errors == [f"{folder / 'locked'}: folder cannot be listed (permission denied)"]


def test_a_file_named_inside_a_folder_that_cannot_be_entered_is_reported(tmp_path, monkeypatch):
    hidden = tmp_path / "closed" / "a.txt"
    real = os.stat

    def stat(path, *a, **k):
        if Path(path) == hidden:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *a, **k)

    monkeypatch.setattr(os, "stat", stat)
    assert list(iter_paths([hidden])) == [hidden]
    docs, errors = problems([hidden])
    assert docs == [] and errors == [f"{hidden}: permission denied"]


@as_user
def test_unreadable_folders_and_files_for_real(tmp_path):
    folder = tmp_path / "docs"
    (folder / "locked").mkdir(parents=True)
    (folder / "locked" / "x.txt").write_text(RELEASE)
    (folder / "secret.txt").write_text(RELEASE)
    (folder / "z.txt").write_text(RELEASE)
    os.chmod(folder / "secret.txt", 0)
    os.chmod(folder / "locked", 0)
    try:
        docs, errors = problems([folder, folder / "locked" / "x.txt"])
    finally:
        os.chmod(folder / "locked", 0o755)
    assert [Path(s).name for s in docs] == ["z.txt"]
    assert errors == [f"{folder / 'locked'}: folder cannot be listed (permission denied)",
                      f"{folder / 'secret.txt'}: permission denied",
                      f"{folder / 'locked' / 'x.txt'}: permission denied"]


@as_user
def test_a_query_file_in_a_folder_that_cannot_be_entered_is_not_called_missing(tmp_path):
    from kg.cli import _query_file
    from kg.errors import KGError

    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "q.rq").write_text("ASK {}")
    os.chmod(locked, 0)
    try:
        with pytest.raises(KGError) as err:
            _query_file(str(locked / "q.rq"))
    finally:
        os.chmod(locked, 0o755)
    assert str(err.value) == f"{locked / 'q.rq'}: permission denied; give a SPARQL query file"


@model
def test_a_link_to_a_folder_is_reported_once_and_not_read_through(extractor, tmp_path):
    from kg.ingest import ingest

    folder, outside = tmp_path / "docs", tmp_path / "outside"
    (folder / "sub").mkdir(parents=True)
    outside.mkdir()
    (folder / "sub" / "a.txt").write_text(RELEASE)
    (outside / "b.txt").write_text(RELEASE.replace("NWB-1107", "NWB-2208"))
    (folder / "self").symlink_to(folder)                     # a loop
    (folder / "out").symlink_to(outside)                     # out of the tree
    errors: list[str] = []
    summary = ingest([str(folder)], store=str(tmp_path / "store"), quiet=True, extractor=extractor,
                     relevance_filter=False, on_error=errors.append)
    assert summary.ingested == 1 and summary.failed == 2     # was 2 read, one twice through the loop, one outside
    assert errors == [f"kg: skipped {folder / name}: link to a folder, not followed (name the folder to read it)"
                      for name in ("out", "self")]
    code = subprocess.run([sys.executable, "-m", "kg.cli", "extract", str(folder), "-q"], capture_output=True,
                          text=True, timeout=300)
    assert code.stderr.count("link to a folder, not followed") == 2 and code.stdout.count("NWB-2208") == 0


def test_the_walk_keeps_its_order_and_skips_hidden_entries(tmp_path):
    for name in ("a/b.txt", "a-c.txt", "a.txt", "b/.hidden.txt", ".git/config", "b/c/d.txt", "B.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    (tmp_path / "b" / "link").symlink_to(tmp_path / "a")      # a link to a folder is not followed
    (tmp_path / "b" / "loop").symlink_to(tmp_path / "b")      # nor one that leads round in a loop
    expected = [p for p in sorted(tmp_path.rglob("*")) if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(tmp_path).parts)]
    errors: list[DocumentError] = []
    assert list(iter_paths([tmp_path], on_error=errors.append)) == expected
    assert [p.relative_to(tmp_path).as_posix() for p in expected] == [
        "B.txt", "a/b.txt", "a-c.txt", "a.txt", "b/c/d.txt"]
    assert [str(e) for e in errors] == [f"{tmp_path / 'b' / name}: link to a folder, not followed (name the "
                                        f"folder to read it)" for name in ("link", "loop")]


def test_a_deep_folder_tree_is_walked(tmp_path):
    # deeper than Python's recursion limit would allow a recursive walk (shutil.rmtree recurses too: the
    # test removes its folders itself)
    folders = [tmp_path / "d"]
    try:
        for _ in range(1100):
            folders[-1].mkdir()
            folders.append(folders[-1] / "d")
        folders.pop()
        (folders[-1] / "x.txt").write_text("x")
        assert list(iter_paths([tmp_path])) == [folders[-1] / "x.txt"]
    except OSError:
        pytest.skip("file system refuses paths this long")
    finally:
        (folders[-1] / "x.txt").unlink(missing_ok=True)
        for folder in reversed(folders):
            if folder.is_dir():
                folder.rmdir()


# ---------------------------------------------------------------------------
# file names that would forge a report line
# ---------------------------------------------------------------------------

def test_shown_escapes_what_would_break_a_line():
    assert shown("a\nb.txt") == "a\\nb.txt"
    assert shown("a\rb\tc\x1b[31m.txt") == "a\\rb\\tc\\x1b[31m.txt"
    assert shown(os.fsdecode(b"caf\xe9.txt")) == "caf\\xe9.txt"
    assert shown("r\u00e9sum\u00e9 \u2014 \u201cok\u201d.txt") == "r\u00e9sum\u00e9 \u2014 \u201cok\u201d.txt"
    assert shown("x\u2028y\u0085z") == "x\\u2028y\\x85z"
    assert shown(Path("dir") / "a\nb") == "dir/a\\nb"


def test_a_file_name_with_a_line_break_gives_one_report_line(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    forged = "empty.txt\nkg: wrote 99 document(s) to out.trig"
    (folder / forged).write_text("")
    undecodable = os.path.join(os.fsencode(folder), b"caf\xe9.txt")
    with open(undecodable, "wb"):
        pass
    docs, errors = problems([folder])
    assert docs == []
    assert sorted(errors) == sorted([f"{folder}/caf\\xe9.txt: empty file",
                                     f"{folder}/empty.txt\\nkg: wrote 99 document(s) to out.trig: empty file"])
    assert all("\n" not in e for e in errors)


# ---------------------------------------------------------------------------
# control characters in a release
# ---------------------------------------------------------------------------

# every mention of the drug carries control characters, and its sentence NUL, SOH, backspace and escape
CONTROLLED = """NORTHWIND BIO STARTS PHASE 2 TRIAL OF NWB\x01-1107\x08 IN PANCREATIC CANCER

CAMBRIDGE, Mass., April 2, 2024 -- Northwind Bio, Inc. (NASDAQ: NWBI) today announced that the first patient
has been dosed in a Phase 2 trial of NWB\x01-1107\x08, an antisense inhibitor\x00 of KRAS, in combination\x1b with
gemcitabine\x7f\x85in\x0cpatients with pancreatic\x1fcancer. The trial is being conducted at the Dana-Farber Cancer
Institute and will enroll 40 patients.

NWB\x01-1107\x08 is a first-in-class antisense drug. Northwind Bio plans a Phase 3 study of NWB\x01-1107 in
pancreatic cancer in 2026, and a Phase 1 study in colorectal cancer.

Tail\x1f of the \ufffe release.\x00
"""


def test_control_characters_never_reach_the_clean_text():
    for original in (CONTROLLED, "<html><head><title>NWB\x01-1107\x1b</title></head><body><p>"
                                 + CONTROLLED + "</p><p>&#1;x&#x1b;y</p></body></html>",
                     "# NWB-1107\x01 starts a trial\n\n" + CONTROLLED):
        [doc] = parse_documents(original, "r.txt")
        assert not CONTROL_CHARS.search(doc.text) and not CONTROL_CHARS.search(doc.meta.get("title", ""))
        # a control character inside a word goes; one that separates words is a space
        assert "a Phase 2 trial of NWB-1107, an antisense inhibitor of KRAS, in combination with gemcitabine in " \
               "patients with pancreatic cancer." in doc.text
        assert "NWB-1107" in doc.meta["title"]
        # every character of the clean text maps back: copied ones to themselves, the spaces to what they replace
        for i, ch in enumerate(doc.text):
            o = doc.offsets.char(i)
            assert ch in " \n|" or doc.original[o] == ch, (i, ch)
            if ch == " " and CONTROL_CHARS.match(doc.original[o]):
                start, end = doc.original_span(i, i + 1)        # the space stands for the character(s)
                assert start == o and end > o
        start = doc.text.index("NWB-1107, an antisense")
        assert doc.original[slice(*doc.original_span(start, start + 8))] == "NWB\x01-1107"
        assert doc.original == original                        # the evidence offsets point into it


def test_a_stray_nul_byte_is_read_and_left_out(tmp_path):
    for name, text in (("late-nul.txt", (RELEASE + "\n") * 30 + "NWB-1107 is\x00 tested.\n"),
                       ("early-nul.txt", "NWB-1107 is\x00 tested.\n\n" + RELEASE)):
        (tmp_path / name).write_text(text, encoding="utf-8")
        [doc] = load_documents(tmp_path / name)
        assert "\x00" not in doc.text and "NWB-1107 is tested." in doc.text
    (tmp_path / "binary.txt").write_bytes(b"NWB-1107\x00\x00\x00\x00 tested" * 10)
    with pytest.raises(DocumentError, match="binary file, not text"):
        load_documents(tmp_path / "binary.txt")


@model
def test_a_release_with_control_characters_exports_to_every_format(extractor, tmp_path):
    from kg import export as E
    from kg.ingest import ingest

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "controlled.txt").write_text(CONTROLLED, encoding="utf-8", newline="")
    errors: list[str] = []
    summary = ingest([str(folder)], store=str(tmp_path / "store"), quiet=True, extractor=extractor,
                     relevance_filter=False, on_error=errors.append)
    assert summary.ingested == 1 and errors == []
    for fmt, read in (("gexf", nx.read_gexf), ("graphml", nx.read_graphml)):
        out = tmp_path / f"graph.{fmt}"
        E.export(fmt, output=out, store=str(tmp_path / "store"), layout="none")
        G = read(out)
        labels = [d.get("label", "") for _, d in G.nodes(data=True)]
        assert any("NWB-1107" in label for label in labels)
        assert not any(CONTROL_CHARS.search(str(v)) for _, d in G.nodes(data=True) for v in d.values())
    nq = tmp_path / "all.nq"
    E.export("nq", output=nq, store=str(tmp_path / "store"))
    ds = Dataset()
    ds.parse(nq, format="nquads")
    g = Graph()
    for s, p, o, _ in ds.quads((None, None, None, None)):
        g.add((s, p, o))
    rdfxml = g.serialize(format="xml")
    xml.dom.minidom.parseString(rdfxml.encode("utf-8"))      # well-formed XML
    assert "NWB-1107" in rdfxml


# ---------------------------------------------------------------------------
# the command line: every problem one line, the good release extracted
# ---------------------------------------------------------------------------

@model
def test_kg_extract_reports_each_hostile_file_on_one_line_and_writes_rdf(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a-controlled.txt").write_text(CONTROLLED, encoding="utf-8", newline="")
    os.mkfifo(folder / "b-pipe.txt")
    (folder / "c-zero.txt").symlink_to("/dev/zero")
    (folder / "d-gone.txt").symlink_to(tmp_path / "nowhere")
    (folder / "e\nkg: wrote 1 document(s).txt").write_text("")
    with open(folder / "f-huge.txt", "wb") as f:
        f.truncate(11_000_000)
    out = tmp_path / "out.trig"
    kg = [sys.executable, "-c", "import sys; from kg.cli import main; sys.exit(main())"]
    proc = subprocess.run([*kg, "extract", str(folder), "-o", str(out), "-q"], capture_output=True, text=True,
                          timeout=300)
    lines = [line for line in proc.stderr.splitlines() if line.startswith("kg: ")]
    skipped = [line for line in lines if line.startswith("kg: skipped ")]
    assert proc.returncode == 1, proc.stderr
    expected = [("b-pipe.txt", "not a regular file (named pipe)"),
                ("c-zero.txt", "not a regular file (character device)"),
                ("d-gone.txt", f"broken symbolic link (to {tmp_path / 'nowhere'}, which does not exist)"),
                ("e\\nkg: wrote 1 document(s).txt", "empty file"),
                ("f-huge.txt", "too large: 11 MB, over the limit of 10 MB (--max-bytes)")]
    assert skipped == [f"kg: skipped {folder / name}: {problem}" for name, problem in expected], proc.stderr
    assert "Traceback" not in proc.stderr
    assert not any(line.startswith("kg: wrote 1 document(s).txt") for line in proc.stderr.splitlines())
    ds = Dataset()
    ds.parse(out, format="trig")
    labels = [str(o) for _, _, o, _ in ds.quads((None, None, None, None))]
    assert any("NWB-1107" in label for label in labels)
    assert not any(CONTROL_CHARS.search(label) for label in labels)


# ---------------------------------------------------------------------------
# extraction time grows with a release's length, not with its square
# ---------------------------------------------------------------------------

PARAGRAPHS = """CAMBRIDGE, Mass., April 2, 2024 -- Northwind Bio, Inc. (NASDAQ: NWBI) today announced interim results
from its Phase 2 trial of NWB-1107, an antisense inhibitor of KRAS, in combination with gemcitabine in
patients with metastatic pancreatic ductal adenocarcinoma (PDAC). The trial enrolled 48 patients at the
Dana-Farber Cancer Institute and is sponsored by the National Cancer Institute (NCI).

NWB-1107 was well tolerated. Patients with PDAC who received NWB-1107 plus gemcitabine showed disease
stabilization, and NWB-1107 lowered KRAS levels in tumour biopsies. NWB-1107, a first-in-class drug, is also
tested in a Phase 1 study of NWB-2208 (NWB-2208-101) in non-small cell lung cancer (NSCLC) with docetaxel.

About Northwind Bio
Northwind Bio develops NWB-1107 and NWB-2208 for cancer. Contact: press@northwind.example

"""


def release(repeat: int) -> str:
    return "NORTHWIND BIO REPORTS PHASE 2 RESULTS OF NWB-1107\n\n" + PARAGRAPHS * repeat


@model
def test_extraction_work_grows_linearly_with_repeated_mentions(extractor):
    # 5 kB and 50 kB: every mention of a code was compared with every other, and ten times the text took
    # thirty times as long
    [short] = parse_documents(release(6), "short.txt")
    [long] = parse_documents(release(60), "long.txt")
    extractor.extract(short)                                   # loads what the first extraction loads
    ratio = calls(extractor.extract, long) / calls(extractor.extract, short)
    assert ratio < 15, f"ten times the text made {ratio:.1f} times as many calls"      # linear: 9.6


DISTINCT = """Northwind Bio also reported that NWB-{i}, an inhibitor of KRAS, entered a Phase 2 trial in
patients with metastatic pancreatic ductal adenocarcinoma (PDAC) and non-small cell lung cancer (NSCLC) at
the Dana-Farber Cancer Institute, in combination with gemcitabine. NWB-{i} was well tolerated in the Phase 1
study in PDAC.

"""


def many_drugs(n: int) -> str:
    """A release naming ``n`` distinct drugs, every one with the same conditions, phases and site."""
    return ("NORTHWIND BIO REPORTS RESULTS\n\nCAMBRIDGE, Mass., April 2, 2024 -- Northwind Bio, Inc. "
            "(NASDAQ: NWBI) today announced results.\n\n" + "".join(DISTINCT.format(i=1000 + i) for i in range(n)))


@model
@pytest.mark.slow
def test_extraction_work_grows_linearly_with_distinct_drugs_sharing_conditions(extractor):
    # 13 kB and 130 kB: each pair of drug and condition, and each phase fact, read every mention of the
    # condition and the phase: ten times the text made 25.7 times as many calls (and took 32 times as long)
    [short] = parse_documents(many_drugs(40), "short.txt")
    [long] = parse_documents(many_drugs(400), "long.txt")
    extractor.extract(short)
    ratio = calls(extractor.extract, long) / calls(extractor.extract, short)
    assert ratio < 15, f"ten times the text made {ratio:.1f} times as many calls"      # linear: 10.5


def test_whole_words_are_found_from_one_index_of_the_text():
    # a look-up per distinct word that scans the whole text is quadratic in C, where no call count sees it:
    # the text is read once, however many words are looked up
    import spacy

    from kg.nlp import entities

    doc = spacy.blank("en")(" ".join(f"NWB-{1000 + i} and gemcitabine-{i}" for i in range(300)))
    scans = []

    class Counting:
        def __init__(self, pattern):
            self.pattern = pattern

        def finditer(self, text, *args):
            scans.append(len(text))
            return self.pattern.finditer(text, *args)

        def __getattr__(self, name):
            return getattr(self.pattern, name)

    entities_word_run = entities.WORD_RUN
    entities.WORD_RUN = Counting(entities_word_run)
    try:
        found = [entities._occurrences(doc, f"NWB-{1000 + i}") for i in range(300)]
    finally:
        entities.WORD_RUN = entities_word_run
    assert all(len(f) == 1 for f in found) and len({f[0] for f in found}) == 300
    assert entities._occurrences(doc, "NWB-100") == []           # a prefix of a word is not the word
    assert len(scans) == 1


def test_file_names_differing_by_a_control_character_are_distinct_sources(tmp_path):
    from kg.documents import source_name, source_path

    names = [tmp_path / "c\x01.txt", tmp_path / "c\x02.txt", tmp_path / "c.txt", tmp_path / "d\u0085\x7f.txt",
             tmp_path / "c\\x01.txt", tmp_path / "d\\u0085\\x7f.txt"]     # the same, written with backslashes
    for p in names:
        p.write_text(RELEASE)
    sources = [source_name(p) for p in names]
    assert len(set(sources)) == len(names)          # "c.txt" thrice in the exports, then c\x01 twice
    assert not any(CONTROL_CHARS.search(s) for s in sources)
    assert sources[0].endswith("c\\x01.txt") and sources[3].endswith("d\\u0085\\x7f.txt")
    assert [source_path(s) for s in sources] == [str(p) for p in names]


@model
def test_a_file_name_that_is_not_utf8_is_stored_and_pruned_with_the_rest(extractor, tmp_path):
    """A name with bytes that do not decode is stored as ``\\xNN`` (an RDF literal holds Unicode only):
    its release and the others go in, a second run finds it unchanged, and --prune forgets it once gone."""
    from kg.documents import source_name
    from kg.ingest import ingest

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "good.txt").write_text(RELEASE, encoding="utf-8")
    odd = os.path.join(os.fsencode(folder), b"odd\xff\xfename.txt")
    with open(odd, "wb") as f:
        f.write(RELEASE.replace("NWB-1107", "NWB-2208").encode("utf-8"))
    assert source_name(os.fsdecode(odd)).endswith("odd\\xff\\xfename.txt")
    store = str(tmp_path / "store")
    errors: list[str] = []
    run = lambda **kw: ingest([str(folder)], store=store, quiet=True, extractor=extractor,    # noqa: E731
                              relevance_filter=False, on_error=errors.append, **kw)
    assert run().ingested == 2 and errors == []
    assert run().unchanged == 2
    os.remove(odd)
    assert run(prune=True).pruned == 1 and errors == []


def test_a_file_that_has_nothing_to_give_yet_is_one_problem(tmp_path, monkeypatch):
    """Some kernel files (``/proc/kmsg``) are regular files whose non-blocking read returns nothing yet."""
    import io

    path = tmp_path / "kmsg.txt"
    path.write_text("text", encoding="utf-8")

    class Waiting(io.FileIO):
        def readinto(self, b):
            return None                         # "would block"

    real = os.fdopen
    monkeypatch.setattr(os, "fdopen", lambda fd, *a, **k: io.BufferedReader(Waiting(fd, "rb")))
    with pytest.raises(DocumentError, match="reading it would wait"):
        read_text(path)
    monkeypatch.setattr(os, "fdopen", real)
