"""Every ``kg`` command with bad arguments: one line on stderr, the documented exit status, never a traceback.

A user error is exit status 1 and exactly one line ``kg: error: ...``; a
usage error is argparse's exit status 2, its usage text and one line
``kg COMMAND: error: ...``. No message shows a password or token, whether
it came from the environment or from the endpoint's URL. The walk runs
``kg.cli.main`` in this process; what could block (a named pipe) or what
logs through a fresh interpreter (``-vv``) runs as a subprocess. Nothing
here loads the NLP model: each error is found before the pipeline is built.
"""
from __future__ import annotations

import base64
import http.server
import json
import os
import re
import socket
import subprocess
import sys
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS

from kg.cli import main
from kg.rdf.namespace import CP, DOC, ID
from kg.store import open_store

SECRET = "s3cr3t-pässwörd€"                  # set as a password or token; must never be shown
TOKEN = "tøken€-s3cr3t"
URL_SECRET = quote(SECRET, safe="")        # the same, written into an endpoint URL
SECRETS = (SECRET, URL_SECRET, TOKEN, "s3cr3t")
EXPORT_FORMATS = ("gexf", "graphml", "json", "trig", "nq", "png", "svg")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, str]:
    """Paths the bad invocations refer to, by placeholder name."""
    root = tmp_path_factory.mktemp("cli-errors")
    store = root / "store"
    d = DOC["d"]
    with open_store(str(store)) as s:
        s.replace_document(URIRef(str(d)), [(d, RDF.type, CP.Document), (ID["drug/x"], RDF.type, CP.Drug),
                                             (ID["drug/x"], RDFS.label, Literal("X"))],
                           source="d.txt", content_hash="h")
    (root / "junk").mkdir()
    (root / "junk" / "notes.txt").write_text("not a store")
    (root / "afile").write_text("a regular file, not a store folder")
    (root / "release.txt").write_text("Acme Biosciences announced a Phase 2 trial of ZX-4410 in gout.\n")
    (root / "big.txt").write_text("Acme Biosciences announced a Phase 2 trial. " * 100)
    (root / "all-bytes.bin").write_bytes(bytes(range(256)))
    (root / "dir").mkdir()
    (root / "out.trig").mkdir()
    fifo = root / "pipe"
    if hasattr(os, "mkfifo"):
        os.mkfifo(fifo)
    return {"store": str(store), "junk": str(root / "junk"), "afile": str(root / "afile"),
            "release": str(root / "release.txt"), "big": str(root / "big.txt"),
            "bin": str(root / "all-bytes.bin"), "dir": str(root / "dir"), "fifo": str(fifo),
            "trigdir": str(root / "out.trig"),
            "missing": str(root / "no-such-file"), "nodir": str(root / "no" / "such" / "dir"),
            "refused": f"127.0.0.1:{_free_port()}", "secret": URL_SECRET}


def fill(arg: str, files: dict[str, str]) -> str:
    """``arg`` with each ``{name}`` of ``files`` replaced (SPARQL's own braces stay)."""
    return re.sub(r"\{(\w+)\}", lambda m: files.get(m.group(1), m.group(0)), arg)


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    """``kg ARGV`` in this process: exit status, stdout, stderr."""
    try:
        code = main(argv)
    except SystemExit as e:
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_error(code, out: str, err: str, expected: int) -> str:
    """The documented shape of a failure; returns the error line."""
    assert "Traceback" not in err and "Traceback" not in out
    for secret in SECRETS:
        assert secret not in err and secret not in out
    assert code == expected, err
    lines = [line for line in err.splitlines() if line.strip()]
    errors = [line for line in lines if ": error:" in line]
    assert len(errors) == 1, err
    if expected == 1:
        assert lines == errors and errors[0].startswith("kg: error: "), err
    else:
        assert lines[0].startswith("usage: kg") and lines[-1] == errors[0], err
        assert errors[0].startswith("kg") and errors[0].split(": error: ")[0].replace(" ", "").isalpha(), err
    return errors[0]


# (argv with {placeholders}, exit status, text the error line holds)
BAD = [
    # no command
    (["frobnicate"], 2, "invalid choice"),
    (["--verbose=3"], 2, "ignored explicit argument"),
    # extract
    (["extract"], 2, "required: DOC"),
    (["extract", "{release}", "-o", "{dir}/out.xyz"], 2, "unknown output format"),
    (["extract", "{release}", "-o", "{nodir}/out.trig"], 1, "does not exist"),
    (["extract", "{release}", "-o", "{trigdir}"], 1, "is a folder"),
    (["extract", "{release}", "-o", "{afile}/out.trig"], 1, "is not a folder"),
    (["extract", "{release}", "--max-bytes", "12zz"], 2, "--max-bytes: not a size"),
    (["extract", "{release}", "--max-bytes", "-5"], 2, "--max-bytes: not a size"),
    # explain
    (["explain"], 2, "required: DOC"),
    (["explain", "{missing}"], 1, "no such file"),
    (["explain", "{dir}"], 1, "is a folder, not a file"),
    (["explain", "{bin}"], 1, "all-bytes.bin: "),       # binary, or not UTF-8: kg.documents words it
    (["explain", "{big}", "--max-bytes", "1kB"], 1, "too large"),
    (["explain", "{release}", "-o", "{nodir}/x.html"], 1, "does not exist"),
    (["explain", "{release}", "-o", "{release}"], 1, "is one of the documents read"),
    (["extract", "{release}", "-o", "{dir}/out.trig/"], 1, "is a folder"),
    (["export", "--format", "nq", "-o", "{dir}/out.nq/", "--store", "{store}"], 1, "is a folder"),
    (["explain", "{release}", "-o", "{dir}"], 1, "is a folder"),
    (["explain", "{release}", "--max-bytes", "lots"], 2, "--max-bytes: not a size"),
    # ingest
    (["ingest"], 2, "required: PATH"),
    (["ingest", "{release}", "--store", "{afile}"], 1, "is a file, not a store folder"),
    (["ingest", "{release}", "--store", "{junk}"], 1, "holds no store"),
    (["ingest", "{release}", "--store", "{nodir}/store"], 1, "cannot create the store: folder"),
    (["ingest", "{release}", "--jobs", "0"], 2, "--jobs: must be at least 1"),
    (["ingest", "{release}", "-j", "-3"], 2, "--jobs: must be at least 1"),
    (["ingest", "{release}", "--jobs", "two"], 2, "--jobs: not a whole number"),
    (["ingest", "{release}", "--max-bytes", "1.5.3"], 2, "--max-bytes: not a size"),
    (["ingest", "{release}", "--dask", "bogus://x"], 2, "unknown scheme"),
    (["ingest", "{release}", "--dask", "tcp://[::1"], 2, "not a scheduler address"),
    (["ingest", "{release}", "--endpoint", "ftp://x"], 1, "not an http(s) URL"),
    (["ingest", "{release}", "--endpoint", "http://[::1"], 1, "not a valid URL"),
    (["ingest", "{release}", "--endpoint", "http://user:{secret}@{refused}/sparql"], 1, "connection refused"),
    # query
    (["extract", "{release}", "--max-bytes", "9999999999999999999999"], 2, "more than any file holds"),
    (["ingest", "{release}", "--max-bytes", "1e400"], 2, "not a size"),
    (["query"], 2, "give a SPARQL query"),
    (["query", "ASK {}", "-f", "drug-targets"], 2, "not both"),
    (["query", "ASK {}", "--format", "xml"], 2, "invalid choice"),
    (["query", "ASK {}", "--store", "{missing}"], 1, "no store here"),
    (["query", "ASK {}", "--store", "{afile}"], 1, "is a file, not a store folder"),
    (["query", "ASK {}", "--store", "{junk}"], 1, "no store here"),
    (["query", "SELEKT ?s WHERE {", "--store", "{store}"], 1, "malformed SPARQL query"),
    (["query", "SELECT * WHERE { ?s ?p '\udcff' }", "--store", "{store}"], 1, "not UTF-8"),
    (["query", "-f", "{bin}", "--store", "{store}"], 1, "not a UTF-8 text file"),
    (["query", "-f", "{dir}", "--store", "{store}"], 1, "is a folder, not a file; give a SPARQL query file"),
    (["query", "-f", "{missing}", "--store", "{store}"], 1, "standard queries: "),
    (["query", "-f", "{release}", "--store", "{store}"], 1, "malformed SPARQL query"),
    (["query", "ASK {}", "--bind", "x=<not an iri>", "--store", "{store}"], 2,
     "--bind 'x=<not an iri>': not a valid IRI"),
    (["query", "ASK {}", "--bind", "x=<a b>", "--store", "{store}"], 2, "not a valid IRI"),
    (["query", "ASK {}", "--bind", "x=<>", "--store", "{store}"], 2, "not a valid IRI"),
    (["query", "ASK {}", "--bind", "x=<http://x>y>", "--store", "{store}"], 2, "not a valid IRI"),
    (["query", "ASK {}", "--bind", "x=cp:a>b", "--store", "{store}"], 2, "not a valid IRI"),
    (["query", "ASK {}", "--bind", "x", "--store", "{store}"], 2, "expected NAME=VALUE"),
    (["query", "ASK {}", "--bind", "=v", "--store", "{store}"], 2, "expected NAME=VALUE"),
    (["query", "ASK {}", "--bind", "a-b=1", "--store", "{store}"], 2, "not a SPARQL variable name"),
    (["query", "ASK {}", "--bind", "x=\udcff", "--store", "{store}"], 2, "not UTF-8"),
    (["query", "ASK {}", "--endpoint", "ftp://user:{secret}@x/sparql"], 1, "ftp://x/sparql: not an http(s) URL"),
    (["query", "ASK {}", "--endpoint", "http://[::1"], 1, "not a valid URL"),
    (["query", "ASK {}", "--endpoint", "http://h:99999/sparql"], 1, "invalid port"),
    (["query", "ASK {}", "--endpoint", "http://"], 1, "not an http(s) URL"),
    (["query", "ASK {}", "--endpoint", "http://user:{secret}@{refused}/sparql"], 1,
     "cannot reach SPARQL endpoint http://{refused}/sparql (connection refused)"),
    (["query", "ASK {}", "--endpoint", "http://user:pa/{secret}@{refused}/sparql"], 1, "percent-encode"),
    # export
    (["export"], 2, "--format"),
    (["export", "--format", "pdf"], 2, "invalid choice"),
    (["export", "--format", "gexf", "--view", "nope"], 2, "invalid choice"),
    (["export", "--format", "png", "--store", "{store}"], 1, "give an output file"),
    (["export", "--format", "gexf", "--store", "{store}", "-o", "{dir}"], 1, "is a folder"),
    (["export", "--format", "gexf", "--store", "{missing}"], 1, "no store here"),
    (["export", "--format", "gexf", "--store", "{afile}"], 1, "is a file, not a store folder"),
    (["export", "--format", "gexf", "--store", "{junk}"], 1, "no store here"),
    (["export", "--format", "gexf", "--store", "{store}", "--query", "{bin}"], 1, "not a UTF-8 text file"),
    (["export", "--format", "gexf", "--store", "{store}", "--query", "{dir}"], 1, "is a folder, not a file"),
    (["export", "--format", "gexf", "--store", "{store}", "--query", "{missing}"], 1, "no such file"),
    (["export", "--format", "gexf", "--endpoint", "ftp://x"], 1, "not an http(s) URL"),
    (["export", "--format", "gexf", "--endpoint", "http://user:{secret}@{refused}/sparql"], 1, "connection refused"),
    *[(["export", "--format", f, "--store", "{store}", "-o", "{nodir}/g." + f], 1, "does not exist")
      for f in EXPORT_FORMATS],
    # serve
    (["serve", "--port", "70000"], 2, "--port: must be 0 to 65535"),
    (["serve", "--port", "-1"], 2, "--port: must be 0 to 65535"),
    (["serve", "--port", "http"], 2, "--port: not a port number"),
    (["serve", "--timeout", "-1"], 2, "--timeout: must be a positive number"),
    (["serve", "--timeout", "0"], 2, "--timeout: must be a positive number"),
    (["serve", "--timeout", "nan"], 2, "--timeout: must be a positive number"),
    (["serve", "--timeout", "inf"], 2, "--timeout: must be a positive number"),
    (["serve", "--max-results", "-5"], 2, "--max-results: must be at least 1"),
    (["serve", "--max-results", "0"], 2, "--max-results: must be at least 1"),
    (["serve", "--workers", "0"], 2, "--workers: must be at least 1"),
    (["serve", "--workers", "100000"], 2, "--workers: at most"),
    (["ingest", "{release}", "--jobs", "100000"], 2, "--jobs: at most"),
    (["serve", "--host", ""], 2, "--host: not a host name"),
    (["serve", "--host", "a b"], 2, "--host: not a host name"),
    (["serve", "--store", "{store}", "--host", "256.1.1.1"], 1, "--host 256.1.1.1: cannot listen there"),
    (["serve", "--store", "{missing}"], 1, "no store here"),
    (["serve", "--store", "{afile}"], 1, "is a file, not a store folder"),
]


@pytest.mark.parametrize("argv, status, says", BAD, ids=[" ".join(a) for a, _, _ in BAD])
def test_bad_invocation_is_one_line_and_its_exit_status(argv, status, says, files, capsys, monkeypatch):
    monkeypatch.setenv("KG_STORE", files["store"])
    for name in ("KG_ENDPOINT_USER", "KG_ENDPOINT_PASSWORD", "KG_ENDPOINT_TOKEN", "KG_ENDPOINT_UPDATE"):
        monkeypatch.delenv(name, raising=False)
    code, out, err = run([fill(a, files) for a in argv], capsys)
    line = assert_one_error(code, out, err, status)
    assert fill(says, files) in line


def test_no_command_prints_the_help_and_exits_2(capsys):
    code, out, err = run([], capsys)
    assert code == 2 and err.startswith("usage: kg") and "Traceback" not in err


@pytest.mark.parametrize("variable, value, says", [
    ("KG_ENDPOINT_PASSWORD", SECRET, "connection refused"),
    ("KG_ENDPOINT_TOKEN", TOKEN, "KG_ENDPOINT_TOKEN holds characters HTTP headers cannot carry"),
    ("KG_ENDPOINT_TOKEN", "line\nbreak", "KG_ENDPOINT_TOKEN holds characters HTTP headers cannot carry"),
])
def test_secrets_from_the_environment_are_never_shown(variable, value, says, files, capsys, monkeypatch):
    monkeypatch.setenv("KG_ENDPOINT_USER", "ann")
    monkeypatch.setenv(variable, value)
    code, out, err = run(["query", "ASK {}", "--endpoint", f"http://{files['refused']}/sparql"], capsys)
    line = assert_one_error(code, out, err, 1)
    assert says in line and value not in line


def test_a_missing_input_file_is_skipped_in_one_line(files, capsys):
    """extract and ingest go on past a file they cannot read: "kg: skipped", exit 1."""
    for argv in (["extract", files["missing"]],
                 ["ingest", files["missing"], "--store", str(Path(files["dir"]) / "new-store"), "-q"],
                 ["extract", files["big"], "--max-bytes", "1kB"]):
        code, out, err = run(argv, capsys)
        assert code == 1 and "Traceback" not in err
        [skipped] = [line for line in err.splitlines() if line.startswith("kg: skipped")]
        assert skipped.endswith(("no such file", "(--max-bytes)"))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
@pytest.mark.parametrize("argv", [
    ["query", "-f", "{fifo}", "--store", "{store}"],
    ["export", "--format", "trig", "--store", "{store}", "--query", "{fifo}"],
    ["explain", "{fifo}"],
    ["extract", "{fifo}"],
])
def test_a_named_pipe_is_refused_without_waiting_for_a_writer(argv, files):
    args = [fill(a, files) for a in argv]
    p = subprocess.run([sys.executable, "-m", "kg.cli", *args], capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and "Traceback" not in p.stderr
    [line] = [line for line in p.stderr.splitlines() if line.startswith(("kg: error:", "kg: skipped"))]
    assert "not a regular file" in line


def test_an_unreachable_dask_scheduler_is_one_line(files, capsys, monkeypatch):
    dask = pytest.importorskip("dask")
    pytest.importorskip("distributed")
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code, out, err = run(["ingest", files["release"], "--store", str(Path(files["dir"]) / "dask-store"),
                              "--dask", f"tcp://{files['refused']}"], capsys)
    assert "cannot reach the Dask scheduler" in assert_one_error(code, out, err, 1)


def test_a_port_in_use_is_one_line(files, capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, out, err = run(["serve", "--store", files["store"], "--port", str(port), "--workers", "1"], capsys)
    assert f"127.0.0.1:{port}" in assert_one_error(code, out, err, 1)


# ---------------------------------------------------------------------------
# output files: checked before the work, written whole or not at all
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_export_to_a_folder_leaves_nothing_behind(fmt, files, capsys, tmp_path):
    target = tmp_path / f"g.{fmt}"
    target.mkdir()
    code, out, err = run(["export", "--format", fmt, "--store", files["store"], "-o", str(target)], capsys)
    assert "is a folder" in assert_one_error(code, out, err, 1)
    assert [p.name for p in tmp_path.iterdir()] == [f"g.{fmt}"] and not any(target.iterdir())


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file(files, capsys, tmp_path, monkeypatch):
    out_file = tmp_path / "graph.trig"
    out_file.write_text("old")

    def full_disk(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    code, out, err = run(["export", "--format", "trig", "--store", files["store"], "-o", str(out_file)], capsys)
    assert "No space left on device" in assert_one_error(code, out, err, 1)
    assert [p.name for p in tmp_path.iterdir()] == ["graph.trig"] and out_file.read_text() == "old"


def test_export_writes_the_file_with_the_usual_permissions(files, capsys, tmp_path):
    out_file = tmp_path / "graph.nq"
    assert run(["export", "--format", "nq", "--store", files["store"], "-o", str(out_file)], capsys)[0] == 0
    umask = os.umask(0)
    os.umask(umask)
    assert out_file.stat().st_mode & 0o777 == 0o666 & ~umask and "<https://w3id.org/cpkg/id/drug/x>" in \
        out_file.read_text()


# ---------------------------------------------------------------------------
# credentials: UTF-8 Basic, taken out of the URL, never shown (also not in -vv logs)
# ---------------------------------------------------------------------------

class _Recorder(http.server.BaseHTTPRequestHandler):
    """A SPARQL endpoint that answers every ASK with true and keeps each request's Authorization header."""

    seen: list = []

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.seen.append(self.headers.get("Authorization"))
        auth = self.headers.get("Authorization") or ""
        scheme, _, value = auth.partition(" ")
        if self.path.endswith("/reason"):            # ... in its status line, with no body
            self.send_response(500, f"Bad {auth}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path.endswith(("/garbage", "/ctype")):       # ... in a result that does not parse, or its type
            body = json.dumps({"head": {"vars": [auth]}, "results": {"bindings": []}}).encode()
            ctype = "application/sparql-results+json" if self.path.endswith("/garbage") else f"x/{value}"
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if self.path.endswith("/password64"):        # ... as the base64 of the password alone
            password = base64.b64decode(value).decode("utf-8").partition(":")[2] if scheme == "Basic" else value
            body = f"bad: {base64.b64encode(password.encode()).decode()}".encode()
            self.send_response(400)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if self.path.endswith("/redirect"):          # ... or sends the client on with them in the URL
            auth = (self.headers.get("Authorization") or "").replace(" ", "_")
            self.send_response(302)
            self.send_header("Location", f"/elsewhere?auth={auth}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path.endswith("/echo"):              # a server that puts the request's headers in its error
            auth = self.headers.get("Authorization") or ""
            scheme, _, value = auth.partition(" ")
            if scheme == "Basic":                    # decoded as Latin-1, as many servers do
                auth += " = " + base64.b64decode(value).decode("latin-1")
            body = f"bad request; you sent Authorization: {auth}".encode()
            self.send_response(400)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if self.path.endswith("/deny"):
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="kg"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b'{"head": {}, "boolean": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def recorder():
    _Recorder.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield SimpleRecorder(f"127.0.0.1:{server.server_address[1]}", _Recorder.seen)
    finally:
        server.shutdown()
        server.server_close()


class SimpleRecorder:
    def __init__(self, address: str, seen: list):
        self.address = address
        self.seen = seen

    def credentials(self) -> str:
        """The user:password of the last request's Basic header, decoded as UTF-8."""
        scheme, _, value = self.seen[-1].partition(" ")
        assert scheme == "Basic"
        return base64.b64decode(value).decode("utf-8")


def test_a_password_beyond_latin_1_goes_as_utf_8(recorder, capsys, monkeypatch):
    monkeypatch.setenv("KG_ENDPOINT_USER", "ännä")
    monkeypatch.setenv("KG_ENDPOINT_PASSWORD", SECRET)
    monkeypatch.delenv("KG_ENDPOINT_TOKEN", raising=False)
    code, out, err = run(["query", "ASK {}", "--endpoint", f"http://{recorder.address}/sparql"], capsys)
    assert (code, out, err) == (0, "true\n", "")
    assert recorder.credentials() == f"ännä:{SECRET}"


def test_credentials_in_the_url_are_used_and_never_shown(recorder, capsys, monkeypatch):
    for name in ("KG_ENDPOINT_USER", "KG_ENDPOINT_PASSWORD", "KG_ENDPOINT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    url = f"http://us%40er:{URL_SECRET}@{recorder.address}/sparql"
    assert run(["query", "ASK {}", "--endpoint", url], capsys)[0] == 0
    assert recorder.credentials() == f"us@er:{SECRET}"
    code, out, err = run(["query", "ASK {}", "--endpoint", url.replace("/sparql", "/deny")], capsys)
    line = assert_one_error(code, out, err, 1)
    assert f"http://{recorder.address}/deny refused the query (HTTP 401)" in line


def test_environment_credentials_come_before_those_in_the_url(recorder, capsys, monkeypatch):
    monkeypatch.setenv("KG_ENDPOINT_USER", "ann")
    monkeypatch.setenv("KG_ENDPOINT_PASSWORD", "from-env")
    monkeypatch.delenv("KG_ENDPOINT_TOKEN", raising=False)
    assert run(["query", "ASK {}", "--endpoint", f"http://bob:{URL_SECRET}@{recorder.address}/q"], capsys)[0] == 0
    assert recorder.credentials() == "ann:from-env"


@pytest.mark.parametrize("variable, value", [("KG_ENDPOINT_PASSWORD", SECRET),
                                             ("KG_ENDPOINT_TOKEN", "bearer-s3cr3t-0123"),
                                             ("KG_ENDPOINT_TOKEN", "bearer-s3cr3t-0123\n")])   # sent stripped
def test_an_endpoint_echoing_the_credentials_in_its_error_does_not_get_them_shown(
        variable, value, recorder, capsys, monkeypatch):
    for name in ("KG_ENDPOINT_USER", "KG_ENDPOINT_PASSWORD", "KG_ENDPOINT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    if variable == "KG_ENDPOINT_PASSWORD":
        monkeypatch.setenv("KG_ENDPOINT_USER", "ann")
    monkeypatch.setenv(variable, value)
    for path, says in (("echo", "rejected the query (HTTP 400): bad request; you sent Authorization: "),
                       ("reason", "rejected the query (HTTP 500): Bad "), ("garbage", "does not parse"),
                       ("ctype", "content type"), ("password64", "rejected the query (HTTP 400): bad: ")):
        code, out, err = run(["query", "ASK {}", "--endpoint", f"http://{recorder.address}/{path}"], capsys)
        line = assert_one_error(code, out, err, 1)
        assert says in line, line
        for secret in (*SECRETS, value.strip(), base64.b64encode(f"ann:{SECRET}".encode()).decode(),
                       base64.b64encode(value.strip().encode()).decode(),
                       SECRET.encode("utf-8").decode("latin-1")):        # the password as a Latin-1 server reads it
            assert secret not in line
        assert "***" in line and "s3cr" not in line.lower(), line


def test_debug_logs_show_no_credentials(recorder):
    env = {**os.environ, "KG_ENDPOINT_USER": "ann", "KG_ENDPOINT_PASSWORD": SECRET}
    env.pop("KG_ENDPOINT_TOKEN", None)
    for url in (f"http://{recorder.address}/sparql", f"http://ann:{URL_SECRET}@{recorder.address}/deny",
                f"http://ann:{URL_SECRET}@{recorder.address}/redirect"):
        p = subprocess.run([sys.executable, "-m", "kg.cli", "-vv", "query", "ASK {}", "--endpoint", url],
                           capture_output=True, text=True, timeout=60, env=env)
        assert "Traceback" not in p.stderr and "DEBUG" in p.stderr
        for secret in (SECRET, URL_SECRET, base64.b64encode(f"ann:{SECRET}".encode()).decode(), "Authorization"):
            assert secret not in p.stderr + p.stdout


# ---------------------------------------------------------------------------
# kg explain's HTML: nothing from the release runs
# ---------------------------------------------------------------------------

class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def assert_inert(page: str) -> None:
    """No script, no image, no event handler; the restrictive Content-Security-Policy."""
    parser = _Tags()
    parser.feed(page)
    tags = parser.tags
    assert not [t for t, _ in tags if t in ("script", "img", "iframe", "object", "embed")]
    assert not [(t, a) for t, attrs in tags for a in attrs if a.lower().startswith("on")]
    csp = [a for t, a in tags if t == "meta" and a.get("http-equiv", "").lower() == "content-security-policy"]
    assert [a["content"] for a in csp] == ["default-src 'none'; style-src 'unsafe-inline'; img-src data:"]
    head = page.split("<title>")[0]
    assert "Content-Security-Policy" in head      # before anything it governs


def test_explain_html_escapes_the_release_its_name_and_the_entity_names():
    """No model: a blank pipeline's Doc with an entity whose canonical name carries markup."""
    import dataclasses

    import spacy
    from spacy.tokens import Span

    from kg.documents import parse_documents
    from kg.explain import Explanation
    from kg.records import Extraction

    name = "<img src=x onerror=alert(1)>.txt"
    text = "ZX-4410 <script>alert(1)</script> is <b onmouseover=alert(2)>bold</b>.\n<iframe src=//x>"
    [document] = parse_documents("ZX-4410 is an inhibitor.", name)
    document = dataclasses.replace(document, text=text, meta={"title": "<script>alert(3)</script>"})
    doc = spacy.blank("en")(text)
    doc.ents = [Span(doc, 0, 1, label="DRUG", kb_id="<img src=y onerror=alert(4)>"),
                Span(doc, 2, 3, label="CONDITION", kb_id="</mark><script>alert(5)</script>")]
    page = Explanation(document, doc, Extraction(document.id, name, {})).to_html()
    assert_inert(page)
    assert "<title>kg explain: &lt;img src=x onerror=alert(1)&gt;.txt</title>" in page
    assert "&gt;alert(1)&lt;/script&gt;" in page and "&lt;iframe src=//x&gt;</div>" in page
    assert "&lt;/mark&gt;&lt;script&gt;alert(5)&lt;/script&gt;</a>" in page


@pytest.mark.model
def test_kg_explain_writes_an_inert_page_for_a_hostile_release(tmp_path, capsys):
    release = tmp_path / "<img src=x onerror=alert(1)>.txt"
    release.write_text("Acme Biosciences Inc. announced a Phase 2 trial of ZX-4410 in gout.\n"
                       "<script>alert(1)</script> ZX-4410 <img src=x onerror=alert(2)> is an inhibitor of XO-7.\n")
    out = tmp_path / "report.html"
    assert main(["explain", str(release), "-o", str(out)]) == 0
    assert_inert(out.read_text(encoding="utf-8"))


def test_explain_as_text_shows_an_odd_file_name_on_one_line_without_escape_codes():
    import spacy

    from kg.documents import parse_documents
    from kg.explain import Explanation
    from kg.records import Extraction

    name = "esc\x1b[31mred\x1b[0m\nline.txt"
    [document] = parse_documents("ZX-4410 is an inhibitor.", name)
    text = Explanation(document, spacy.blank("en")(document.text), Extraction(document.id, name, {})).to_text()
    header = text.splitlines()[0]
    assert header == "# esc\\x1b[31mred\\x1b[0m\\nline.txt" and "\x1b" not in text
