"""``kg ingest --jobs 2`` stopped from outside: no worker outlives it, and a rerun gives the store of a clean run.

SIGKILL cannot be caught: the workers must die with their parent (the
kernel's parent-death signal). SIGTERM stops the run like Ctrl-C: what was
extracted is written, the store is closed cleanly, the run says what it
stored and exits with 128 + the signal's number.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs Linux /proc")]

DEV = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "dev" / "raw"


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry))
    return out


def _alive(pid: int) -> bool:
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _quads(path) -> set[str]:
    s = ox.Store.read_only(str(path))
    try:
        return {str(q) for q in s}
    finally:
        del s


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    if not DEV.is_dir():
        pytest.skip("needs the dev corpus beside the project (../shared/corpus/dev)")
    folder = tmp_path_factory.mktemp("releases")
    for f in sorted(DEV.iterdir())[:48]:       # more than one write batch (32 documents)
        shutil.copy(f, folder / f.name)
    return folder


def _ingest(corpus, store, *extra) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "kg.cli", "ingest", str(corpus), "--store", str(store),
                             "--jobs", "2", "-q", *extra], stderr=subprocess.PIPE, text=True)


def _workers_started(proc: subprocess.Popen, want: int = 2, within: float = 120.0) -> list[int]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and proc.poll() is None:
        workers = [c for c in _children(proc.pid) if "multiprocessing" in open(f"/proc/{c}/cmdline").read()]
        if len(workers) >= want:
            return workers
        time.sleep(0.2)
    pytest.fail("the ingest did not start its workers")


def _gone(pids: list[int], within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not any(_alive(p) for p in pids):
            return True
        time.sleep(0.1)
    return False


def test_workers_die_when_the_ingest_is_killed(corpus, tmp_path):
    proc = _ingest(corpus, tmp_path / "store")
    try:
        workers = _workers_started(proc)
        time.sleep(3)                           # mid-run: the workers are loading or extracting
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        assert _gone(workers), [p for p in workers if _alive(p)]
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.model
def test_sigterm_stops_cleanly_and_a_rerun_gives_the_clean_store(corpus, tmp_path):
    clean = tmp_path / "clean"
    done = _ingest(corpus, clean)
    assert done.communicate(timeout=600)[1] is not None and done.returncode == 0

    store = tmp_path / "store"
    proc = _ingest(corpus, store)
    workers = _workers_started(proc)
    clean_mark = store / "snapshots" / "CLEAN"
    deadline = time.monotonic() + 300
    while clean_mark.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)                        # until the first batch is written (the snapshot is behind)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(signal.SIGTERM)            # some releases written, some extracted, some in flight
    err = proc.communicate(timeout=120)[1]
    status = proc.returncode
    assert status == 128 + signal.SIGTERM, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kg: interrupted: ingested "), err
    assert "Traceback" not in err
    assert _gone(workers)

    rerun = _ingest(corpus, store)
    assert rerun.communicate(timeout=600)[1] is not None and rerun.returncode == 0
    assert _quads(store) == _quads(clean)
