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

import pytest
from procs import alive, children, store_quads

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs Linux /proc")]

DEV = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "dev" / "raw"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    if not DEV.is_dir():
        pytest.skip("needs the dev corpus beside the project (../shared/corpus/dev)")
    folder = tmp_path_factory.mktemp("releases")
    for f in sorted(DEV.iterdir())[:40]:       # more than one write batch (32 documents)
        shutil.copy(f, folder / f.name)
    return folder


def _ingest(corpus, store, *extra) -> subprocess.Popen:
    jobs = () if "--jobs" in extra else ("--jobs", "2")
    return subprocess.Popen([sys.executable, "-m", "kg.cli", "ingest", str(corpus), "--store", str(store),
                             "-q", *jobs, *extra], stderr=subprocess.PIPE, text=True, preexec_fn=_ctrl_c_as_typed)


def _ctrl_c_as_typed() -> None:
    """The run gets SIGINT as a user's Ctrl+C delivers it. A test session started in the background by a
    shell without job control ("cmd &" in a script) inherits SIGINT ignored, and Python keeps an inherited
    ignore: the run would never see the interrupt this module sends."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _workers_started(proc: subprocess.Popen, want: int = 2, within: float = 120.0) -> list[int]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and proc.poll() is None:
        workers = [c for c in children(proc.pid) if "multiprocessing" in open(f"/proc/{c}/cmdline").read()]
        if len(workers) >= want:
            return workers
        time.sleep(0.2)
    pytest.fail("the ingest did not start its workers")


def _gone(pids: list[int], within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not any(alive(p) for p in pids):
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
        assert _gone(workers), [p for p in workers if alive(p)]
        # read once every process holding the pipe (workers, multiprocessing's resource tracker) has gone
        assert "leaked semaphore" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.fixture(scope="module")
def clean_store(corpus, tmp_path_factory):
    """The store of one uninterrupted run."""
    store = tmp_path_factory.mktemp("clean") / "store"
    done = _ingest(corpus, store)
    err = done.communicate(timeout=600)[1]
    assert done.returncode == 0, err
    return store


@pytest.mark.model
@pytest.mark.parametrize("signum, jobs", [(signal.SIGTERM, "2"), (signal.SIGINT, "1"), (signal.SIGKILL, "2")],
                         ids=["sigterm-jobs2", "sigint-jobs1", "sigkill-jobs2"])
def test_an_interrupted_run_then_a_rerun_gives_the_clean_store(corpus, clean_store, tmp_path, signum, jobs):
    store = tmp_path / "store"
    proc = _ingest(corpus, store, "--jobs", jobs)
    workers = _workers_started(proc) if jobs != "1" else []
    clean_mark = store / "snapshots" / "CLEAN"
    deadline = time.monotonic() + 300
    while not clean_mark.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)                        # the store is created ...
    while clean_mark.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)                        # ... and its first batch written (the snapshot is behind)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(signum)                    # some releases written, some extracted, some in flight
    err = proc.communicate(timeout=120)[1]
    assert proc.returncode in (128 + signum, -signum), err
    assert "Traceback" not in err
    if signum != signal.SIGKILL:                # a clean stop says what it stored, on one line
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("kg: interrupted: ingested "), err
    assert _gone(workers)

    rerun = _ingest(corpus, store)
    err = rerun.communicate(timeout=600)[1]
    assert rerun.returncode == 0, err
    assert store_quads(store) == store_quads(clean_store)
