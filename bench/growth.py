"""How extraction grows with a release's length: time and function calls for a text and for ten times it.

Two synthetic releases from the tests (``tests/hostile/test_input.py``): one that repeats the same
drugs' paragraphs, one that names ever more distinct drugs sharing conditions, phases and a site. Each
is extracted at 1x and 10x its length in this one run; the report gives the ratios (linear: about 10).
The tests assert only on the call counts, which do not depend on the machine's load.

    .venv/bin/python bench/growth.py
"""
from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    cases = _module(ROOT / "tests" / "hostile" / "test_input.py", "hostile_input")
    from work import calls

    from kg.documents import parse_documents
    from kg.pipeline import Extractor

    extractor = Extractor()
    print("| release | kB 1x | s 1x | time ratio 10x/1x | call ratio 10x/1x |")
    print("|---|---:|---:|---:|---:|")
    for label, make, n in (("repeated mentions", cases.release, 6), ("distinct drugs", cases.many_drugs, 40)):
        [short] = parse_documents(make(n), "short.txt")
        [long] = parse_documents(make(10 * n), "long.txt")
        extractor.extract(short)

        def seconds(document) -> float:
            best = float("inf")
            for _ in range(2):
                t = time.perf_counter()
                extractor.extract(document)
                best = min(best, time.perf_counter() - t)
            return best

        s, l = seconds(short), seconds(long)
        ratio = calls(extractor.extract, long) / calls(extractor.extract, short)
        print(f"| {label} | {len(short.text) / 1000:.0f} | {s:.2f} | {l / s:.1f} | {ratio:.1f} |")


if __name__ == "__main__":
    main()
