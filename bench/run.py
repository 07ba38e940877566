"""How fast ``kg ingest`` reads a newswire feed, against bare spaCy on the same texts.

One command, one run, every figure of issue #6 measured side by side (machines
are noisy, so every speed is a ratio to a baseline measured in the same run):

1. **baseline**: bare ``en_core_web_sm`` (every component, the lemmatizer too)
   running ``nlp.pipe`` over the clean texts of the *pharma subset*: the
   documents that mention a trial phase;
2. **jobs 1**: ``ingest()`` of the same files end to end (reading and cleaning,
   relevance filter, NLP, linking, RDF, store writes) in one process whose
   pipeline is built before the clock starts, as the baseline's model is;
   its words/s over the baseline's is the per-document cost ratio;
3. **jobs 2**: the same with two worker processes, whose start-up is timed;
   the speedup is jobs 1's time (its pipeline build included) over jobs 2's,
   and both stores must hold the same quads;
4. **feed**: ``ingest(--jobs 2)`` of every file of the feed into a fresh
   store: wall time, documents/s, documents screened out by the relevance
   filter, store size on disk, and peak RSS of the whole process tree after
   the first 2,000 documents and at the end (memory must stay flat).

Runs 1-3 are *paired*: each runs in its own child process (``--child``),
all three stay alive, and they take turns on the same slices of the subset
(``--rounds``, default 4: baseline, jobs 1, jobs 2 on slice 1, then on slice
2, ...), so a burst of load from elsewhere on the machine hits all three
alike. The jobs 2 child keeps its worker processes across rounds. This
process samples each child's process-tree RSS. Writes
``bench/results/ingest.json`` and ``ingest.md`` (``--out``).

    .venv/bin/python bench/run.py                          # the whole feed in /tmp/scale
    .venv/bin/python bench/run.py --sample 200 --skip-feed # quicker: 200 pharma documents, no feed run

The feed is ``--scale-dir`` (default ``/tmp/scale``); when that folder is
missing or empty it is unpacked from ``--archive`` (default
``../shared/corpus/scale/press-releases-2024-2026.tar.xz``). Tests never assert
on the timings, only on the report's structure (``tests/test_scale.py``).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_SCALE = Path("/tmp/scale")
DEFAULT_ARCHIVE = ROOT.parent / "shared" / "corpus" / "scale" / "press-releases-2024-2026.tar.xz"
RSS_CHECKPOINT = 2000
# the targets of issue #6
TARGETS = {"feed_seconds": 300, "feed_peak_rss_mib": 2048, "ratio_to_baseline": 0.8, "speedup_jobs2": 1.7,
           "rss_growth": 0.2}
# a trial phase, as the relevance filter's strong "phase" cue writes it (raw-text pre-selection)
PHASE = re.compile(r"(?<![\w-])(?:phase|phases|ph\.?)\s*(?:I{1,3}|IV|[1-4])[abAB]?(?![\w-])", re.I)


# ---------------------------------------------------------------------------
# the corpus
# ---------------------------------------------------------------------------

def ensure_corpus(scale_dir: Path, archive: Path) -> Path:
    """The feed folder, unpacked from the archive when it is missing or empty."""
    if scale_dir.is_dir() and any(scale_dir.iterdir()):
        return scale_dir
    if not archive.is_file():
        sys.exit(f"bench: no corpus in {scale_dir} and no archive at {archive}; give --scale-dir or --archive")
    import tarfile

    print(f"bench: unpacking {archive} into {scale_dir} ...", file=sys.stderr)
    scale_dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "r:*") as tar:
        tar.extractall(scale_dir, filter="data")
    return scale_dir


def feed_files(scale_dir: Path, limit: int | None = None) -> list[str]:
    from kg.documents import iter_paths

    files = [str(p) for p in iter_paths([scale_dir])]
    return files[:limit] if limit else files


def pharma_subset(files: list[str], sample: int | None) -> tuple[list[str], list[str]]:
    """Files whose clean text mentions a trial phase (the first ``sample`` of them), and those texts."""
    from kg.documents import load_documents
    from kg.errors import DocumentError

    chosen, texts = [], []
    for f in files:
        try:
            raw = Path(f).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if not PHASE.search(raw):
            continue
        try:
            docs = load_documents(f)
        except DocumentError:
            continue
        if not any(PHASE.search(d.text) for d in docs):
            continue
        chosen.append(f)
        texts.extend(d.text for d in docs)
        if sample and len(chosen) >= sample:
            break
    return chosen, texts


def words(texts: list[str]) -> int:
    return sum(len(t.split()) for t in texts)


# ---------------------------------------------------------------------------
# memory of a process tree
# ---------------------------------------------------------------------------

def _children() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        out.setdefault(ppid, []).append(int(entry))
    return out


def tree_rss(pid: int) -> int:
    """Resident memory (bytes) of a process and all its descendants."""
    kids = _children()
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(kids.get(p, []))
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            pass
    return total


class RSSSampler:
    """Samples a process tree's RSS in a thread; remembers the peak, and the peak at a checkpoint."""

    def __init__(self, pid: int, interval: float = 0.5):
        self.pid, self.interval = pid, interval
        self.peak = 0
        self.checkpoints: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> int:
        rss = tree_rss(self.pid)
        self.peak = max(self.peak, rss)
        return rss

    def checkpoint(self, name: str) -> None:
        self.sample()
        self.checkpoints[name] = self.peak

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


# ---------------------------------------------------------------------------
# child processes: each measurement runs in its own
# ---------------------------------------------------------------------------

def child_main(args) -> None:
    """``--child baseline|ingest``: one measurement; JSON events on stdout, one per line.

    With ``--rounds N`` the files are cut into N slices and the child waits
    for a line on stdin before each one (the parent makes the children take
    turns); each slice reports ``{"event": "round", "seconds": ...}``.
    """
    def emit(**event):
        print(json.dumps(event), flush=True)

    files = [f for f in Path(args.files).read_text(encoding="utf-8").split("\n") if f]
    rounds = slices(files, args.rounds)

    def wait_turn():
        if args.rounds > 1 and not sys.stdin.readline():
            sys.exit(0)                  # the parent went away

    if args.child == "baseline":
        from kg.documents import load_documents
        from kg.nlp import load_model

        texts = [[d.text for f in part for d in load_documents(f)] for part in rounds]
        nlp = load_model(None, ())          # bare en_core_web_sm: every component
        emit(event="built", pipes=nlp.pipe_names)
        total = 0.0
        for part in texts:
            wait_turn()
            t0 = time.perf_counter()
            for _ in nlp.pipe(part, batch_size=args.batch):
                pass
            took = time.perf_counter() - t0
            total += took
            emit(event="round", seconds=took)
        flat = [t for part in texts for t in part]
        emit(event="done", seconds=total, documents=len(flat), words=words(flat))
        return

    import kg.ingest
    from kg.ingest import ingest
    from kg.relevance import RelevanceFilter

    t_start = time.perf_counter()
    extractor = None
    if args.jobs == 1:
        from kg.pipeline import Extractor
        extractor = Extractor()
    build = time.perf_counter() - t_start
    relevance = False if args.no_filter else RelevanceFilter()
    emit(event="built", seconds=build)
    shared = _SharedPool.install(kg.ingest) if args.jobs > 1 and args.rounds > 1 else None
    done_before = [0]
    last = [0]

    def progress(done, total):
        done += done_before[0]
        if done >= last[0] + 100 or done == total or done == RSS_CHECKPOINT:
            last[0] = done
            emit(event="progress", done=done, total=total)

    totals = {"ingested": 0, "screened": 0, "unchanged": 0, "failed": 0}
    elapsed = 0.0
    for part in rounds:
        wait_turn()
        t0 = time.perf_counter()
        summary = ingest(part, store=args.store, jobs=args.jobs, quiet=True, extractor=extractor,
                         relevance_filter=relevance, on_error=lambda line: None, on_progress=progress)
        took = time.perf_counter() - t0
        elapsed += took
        done_before[0] += len(part)
        for k in totals:
            totals[k] += getattr(summary, k)
        emit(event="round", seconds=took)
    if shared is not None:
        shared.shutdown()
    emit(event="done", seconds=elapsed, total_seconds=elapsed + build, **totals)


class _SharedPool:
    """One worker pool for all the rounds of a child: ``kg.ingest`` makes a pool per call, this keeps the first.

    Benchmark scaffolding only: the rounds of one measurement are one run cut
    in slices, and a real run starts its workers once.
    """

    def __init__(self, make):
        self.make, self.pool = make, None

    @classmethod
    def install(cls, module) -> "_SharedPool":
        shared = cls(module._Pool)

        def pool(jobs):
            if shared.pool is None:
                shared.pool = shared.make(jobs)
                real_close = shared.pool.close
                shared.pool.close = lambda cancel=False: real_close(cancel=True) if cancel else None
                shared.real_close = real_close
            return shared.pool

        module._Pool = pool
        return shared

    def shutdown(self):
        if self.pool is not None:
            self.real_close()


def slices(items: list, n: int) -> list[list]:
    """``items`` cut into ``n`` consecutive slices of near-equal length (fewer if there are fewer items)."""
    n = max(1, min(n, len(items)))
    size, extra = divmod(len(items), n)
    out, at = [], 0
    for i in range(n):
        step = size + (1 if i < extra else 0)
        out.append(items[at:at + step])
        at += step
    return out


class Child:
    """A measurement child process, its RSS sampler, and the events it printed."""

    def __init__(self, kind: str, files: list[str], workdir: Path, *, jobs: int = 1, store: Path | None = None,
                 batch: int = 16, no_filter: bool = False, rounds: int = 1, checkpoint: int = RSS_CHECKPOINT):
        listing = workdir / f"{kind}-{jobs}-{len(files)}-files.txt"
        listing.write_text("\n".join(files), encoding="utf-8")
        self.cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--files", str(listing),
                    "--jobs", str(jobs), "--batch", str(batch), "--rounds", str(rounds)]
        if store is not None:
            self.cmd += ["--store", str(store)]
        if no_filter:
            self.cmd.append("--no-filter")
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            p for p in [str(ROOT), os.environ.get("PYTHONPATH", "")] if p))
        self.kind, self.checkpoint, self.rounds = kind, checkpoint, rounds
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
                                     cwd=str(ROOT))
        self.sampler = RSSSampler(self.proc.pid)
        self.events: list[dict] = []
        self.at_end = None
        self.built = self.until("built")

    def until(self, name: str) -> dict:
        """Read events up to the next one called ``name``."""
        for line in self.proc.stdout:
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            self.events.append(event)
            if event.get("event") == "progress" and event["done"] >= self.checkpoint \
                    and "checkpoint" not in self.sampler.checkpoints:
                self.sampler.checkpoint("checkpoint")
            if event.get("event") == "progress" and event["done"] == event["total"]:
                self.at_end = self.sampler.sample()      # the last document written; the workers still up
            if event.get("event") == name:
                if name == "done" and self.at_end is None:
                    self.at_end = self.sampler.sample()
                return event
        self.fail()

    def turn(self) -> dict:
        """Let the child run its next round; its round event (a child of one round runs it unasked)."""
        if self.rounds > 1:
            self.proc.stdin.write("go\n")
            self.proc.stdin.flush()
        return self.until("round")

    def finish(self) -> dict:
        done = self.until("done")
        self.proc.stdin.close()
        rc = self.proc.wait()
        peak = self.sampler.stop()
        if rc != 0:
            self.fail()
        out = {k: v for k, v in done.items() if k != "event"}
        out["wall_seconds"] = time.perf_counter() - self.started
        out["peak_rss_mib"] = round(peak / 2**20, 1)
        at = self.sampler.checkpoints.get("checkpoint")
        out["rss_at_checkpoint_mib"] = round(at / 2**20, 1) if at else None
        out["rss_at_end_mib"] = round(self.at_end / 2**20, 1)
        out["rounds"] = [e["seconds"] for e in self.events if e.get("event") == "round"]
        return out

    def fail(self):
        self.proc.kill()
        self.sampler.stop()
        sys.exit(f"bench: the {self.kind} child failed (exit status {self.proc.wait()}): {' '.join(self.cmd)}")


def run_paired(children: list[Child], rounds: int) -> list[dict]:
    """The children take turns, one round each, ``rounds`` times; their results."""
    for _ in range(rounds):
        for c in children:
            c.turn()
    return [c.finish() for c in children]


def run_child(kind: str, files: list[str], workdir: Path, **kw) -> dict:
    """One measurement on its own (one round): its result, with its process tree's memory."""
    return Child(kind, files, workdir, **kw).finish()


# ---------------------------------------------------------------------------
# the report
# ---------------------------------------------------------------------------

def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def store_quads(path: Path) -> set[str]:
    import pyoxigraph as ox

    s = ox.Store.read_only(str(path))
    try:
        return {str(q) for q in s}
    finally:
        del s


def rate(n: float, seconds: float) -> float | None:
    return round(n / seconds, 1) if seconds else None


def measure(args) -> dict:
    scale_dir = ensure_corpus(Path(args.scale_dir), Path(args.archive))
    work = Path(tempfile.mkdtemp(prefix="kg-bench-", dir=args.workdir))
    report: dict = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "corpus": {"scale_dir": str(scale_dir)},
        "targets": TARGETS,
    }
    try:
        files = feed_files(scale_dir, args.feed_limit)
        report["corpus"]["files"] = len(files)
        subset, texts = pharma_subset(files, args.sample)
        n_words = words(texts)
        report["corpus"]["pharma_subset"] = {"files": len(subset), "documents": len(texts), "words": n_words}
        if not subset:
            sys.exit("bench: no document of the feed mentions a trial phase")
        print(f"bench: pharma subset: {len(subset)} files, {n_words} words", file=sys.stderr)

        rounds = max(1, min(args.rounds, len(subset)))
        children = [Child("baseline", subset, work, batch=args.batch, rounds=rounds)]
        for jobs in (1, args.jobs):
            children.append(Child("ingest", subset, work, jobs=jobs, store=work / f"store-jobs{jobs}",
                                  no_filter=args.no_filter, rounds=rounds))
        base, one, many = run_paired(children, rounds)
        base["words_per_second"] = rate(base["words"], base["seconds"])
        base["documents_per_second"] = rate(base["documents"], base["seconds"])
        report["baseline"] = base
        print(f"bench: baseline {base['words_per_second']} words/s", file=sys.stderr)
        for jobs, r in ((1, one), (args.jobs, many)):
            r["words_per_second"] = rate(n_words, r["seconds"])
            r["documents_per_second"] = rate(r["ingested"], r["seconds"])
            r["ratio_to_baseline"] = round(r["words_per_second"] / base["words_per_second"], 3)
            r["store_bytes"] = dir_size(work / f"store-jobs{jobs}")
            print(f"bench: jobs {jobs}: {r['words_per_second']} words/s, {r['total_seconds']:.1f}s with start-up",
                  file=sys.stderr)
        report["jobs1"] = one
        report[f"jobs{args.jobs}"] = many
        report["corpus"]["pharma_subset"]["rounds"] = rounds
        report["speedup"] = {
            "jobs": args.jobs,
            # time of the whole ingest, each with its pipeline start-up: jobs 1 builds one pipeline,
            # jobs N starts N worker processes in its first round
            "wall": round(one["total_seconds"] / many["total_seconds"], 3),
            "stores_identical": store_quads(work / "store-jobs1") == store_quads(work / f"store-jobs{args.jobs}"),
        }

        if not args.skip_feed:
            store = work / "store-feed"
            feed = run_child("ingest", files, work, jobs=args.jobs, store=store, no_filter=args.no_filter,
                             checkpoint=args.rss_checkpoint)
            feed.pop("rounds", None)
            feed["documents_per_second"] = rate(feed["ingested"], feed["wall_seconds"])
            feed["store_bytes"] = dir_size(store)
            feed["rss_checkpoint_documents"] = args.rss_checkpoint
            at = feed["rss_at_checkpoint_mib"]
            feed["rss_growth"] = round(feed["peak_rss_mib"] / at - 1, 3) if at else None
            report["feed"] = feed
            print(f"bench: feed {feed['ingested']} documents in {feed['wall_seconds']:.1f}s, "
                  f"{feed['screened']} screened out, peak {feed['peak_rss_mib']} MiB", file=sys.stderr)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            report["workdir"] = str(work)
    report["checks"] = checks(report)
    return report


def checks(report: dict) -> dict:
    """Each target of issue #6: the figure and whether it is met (None when not measured)."""
    t = TARGETS
    jobs = report.get("speedup", {}).get("jobs", 2)
    feed = report.get("feed")
    out = {
        "ratio_to_baseline": _check(report.get("jobs1", {}).get("ratio_to_baseline"), ">=", t["ratio_to_baseline"]),
        f"speedup_jobs{jobs}": _check(report.get("speedup", {}).get("wall"), ">=", t["speedup_jobs2"]),
        "feed_seconds": _check(feed and feed["wall_seconds"], "<", t["feed_seconds"]),
        "feed_peak_rss_mib": _check(feed and feed["peak_rss_mib"], "<", t["feed_peak_rss_mib"]),
        "rss_growth": _check(feed and feed["rss_growth"], "<=", t["rss_growth"]),
    }
    return out


def _check(value, op: str, target) -> dict:
    ok = None
    if value is not None:
        ok = {"<": value < target, "<=": value <= target, ">=": value >= target}[op]
    if isinstance(value, float):
        value = round(value, 3)
    return {"value": value, "target": f"{op} {target}", "ok": ok}


def markdown(report: dict) -> str:
    b, one = report["baseline"], report["jobs1"]
    jobs = report["speedup"]["jobs"]
    many = report[f"jobs{jobs}"]
    sub = report["corpus"]["pharma_subset"]
    mib = lambda n: f"{n / 2**20:.1f} MiB"
    lines = [
        f"Pharma subset: {sub['files']} files, {sub['documents']} documents, {sub['words']} words "
        f"(documents of the feed that mention a trial phase), in {sub['rounds']} paired rounds; "
        f"{report['machine']['cpus']} CPUs.",
        "",
        "| run | documents/s | words/s | ratio to baseline | peak RSS | store on disk |",
        "|---|---:|---:|---:|---:|---:|",
        f"| baseline: bare en_core_web_sm `nlp.pipe` | {b['documents_per_second']} | {b['words_per_second']} "
        f"| 1.00 | {b['peak_rss_mib']} MiB | |",
        f"| `kg ingest`, jobs 1 (end to end) | {one['documents_per_second']} | {one['words_per_second']} "
        f"| {one['ratio_to_baseline']:.2f} | {one['peak_rss_mib']} MiB | {mib(one['store_bytes'])} |",
        f"| `kg ingest`, jobs {jobs} | {many['documents_per_second']} | {many['words_per_second']} "
        f"| {many['ratio_to_baseline']:.2f} | {many['peak_rss_mib']} MiB | {mib(many['store_bytes'])} |",
        "",
        f"Jobs {jobs} vs 1 (time, pipeline start-up included): **{report['speedup']['wall']:.2f}x**; "
        f"same store: {report['speedup']['stores_identical']}.",
    ]
    feed = report.get("feed")
    if feed:
        lines += [
            "",
            "| whole feed, `kg ingest --jobs 2` | value |",
            "|---|---:|",
            f"| documents | {feed['ingested']} ({feed['failed']} unreadable) |",
            f"| screened out by the relevance filter | {feed['screened']} |",
            f"| wall time | {feed['wall_seconds']:.1f} s |",
            f"| documents/s | {feed['documents_per_second']} |",
            f"| peak RSS (process tree) | {feed['peak_rss_mib']} MiB |",
            f"| RSS after {feed['rss_checkpoint_documents']} documents | {feed['rss_at_checkpoint_mib']} MiB |",
            f"| growth from there to the end (peaks) | {_pct(feed['rss_growth'])} |",
            f"| RSS when the last document was written | {feed['rss_at_end_mib']} MiB |",
            f"| store on disk | {mib(feed['store_bytes'])} |",
        ]
    lines += ["", "| target | value | met |", "|---|---:|:---:|"]
    for name, c in report["checks"].items():
        met = "n/a" if c["ok"] is None else ("yes" if c["ok"] else "**no**")
        lines.append(f"| {name} {c['target']} | {c['value'] if c['value'] is not None else 'n/a'} | {met} |")
    return "\n".join(lines) + "\n"


def _pct(x) -> str:
    return "n/a" if x is None else f"{100 * x:+.1f}%"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale-dir", default=str(DEFAULT_SCALE), help="the feed (default /tmp/scale)")
    ap.add_argument("--archive", default=str(DEFAULT_ARCHIVE), help="unpacked into --scale-dir when that is empty")
    ap.add_argument("--sample", type=int, default=None, metavar="N", help="pharma subset: the first N files only")
    ap.add_argument("--feed-limit", type=int, default=None, metavar="N", help="feed: the first N files only")
    ap.add_argument("--skip-feed", action="store_true", help="no whole-feed run")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes of the parallel runs (default 2)")
    ap.add_argument("--batch", type=int, default=16, help="nlp.pipe batch size of the baseline (default 16)")
    ap.add_argument("--rounds", type=int, default=4,
                    help="paired runs take turns on this many slices of the subset (default 4)")
    ap.add_argument("--no-filter", action="store_true", help="ingest without the relevance filter")
    ap.add_argument("--rss-checkpoint", type=int, default=RSS_CHECKPOINT, metavar="N",
                    help=f"feed: note the RSS after N documents (default {RSS_CHECKPOINT})")
    ap.add_argument("--out", default=str(HERE / "results"), help="folder of ingest.json and ingest.md")
    ap.add_argument("--workdir", default=None, help="where the temporary stores go (default: the system's)")
    ap.add_argument("--keep", action="store_true", help="keep the stores")
    ap.add_argument("--child", choices=["baseline", "ingest"], help=argparse.SUPPRESS)
    ap.add_argument("--files", help=argparse.SUPPRESS)
    ap.add_argument("--store", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child_main(args)
        return 0
    report = measure(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "ingest.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (out / "ingest.md").write_text(markdown(report), encoding="utf-8")
    print(markdown(report))
    print(f"bench: wrote {out / 'ingest.json'} and {out / 'ingest.md'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
