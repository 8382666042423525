"""Parser speed and memory on the real regulations in shared/data/regulations.

Run from the repository root:  .venv/bin/python bench/bench_parser.py [--runs 20]
Prints the time to parse each file once, then the Civil Code's median and p95 over
--runs parses, and the peak memory of one Civil Code parse (tracemalloc).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from participation.parsing import parse_text  # noqa: E402

REGULATIONS = REPO / ".." / "shared" / "data" / "regulations"
CIVIL_CODE = "national-civil-code.md"


def timed_parse(text: str) -> tuple[float, object]:
    start = time.perf_counter()
    doc = parse_text(text)
    return (time.perf_counter() - start) * 1000, doc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="Civil Code parses")
    args = parser.parse_args()
    files = sorted(p for p in REGULATIONS.glob("*.md") if p.name != "INDEX.md")
    if not files:
        print(f"no regulation texts under {REGULATIONS.resolve()}", file=sys.stderr)
        return 1

    print(f"{'file':40} {'articles':>8} {'nodes':>6} {'ms':>8}")
    for path in files:
        text = path.read_text(encoding="utf-8")
        ms, doc = timed_parse(text)
        print(f"{path.name:40} {len(doc.articles):8d} {sum(doc.counts().values()):6d} "
              f"{ms:8.1f}")

    text = (REGULATIONS / CIVIL_CODE).read_text(encoding="utf-8")
    runs = sorted(timed_parse(text)[0] for _ in range(args.runs))
    p95 = runs[min(len(runs) - 1, round(0.95 * (len(runs) - 1)))]
    print(f"\nCivil Code x{args.runs}: median {statistics.median(runs):.1f} ms, "
          f"p95 {p95:.1f} ms, min {runs[0]:.1f} ms")

    tracemalloc.start()
    parse_text(text)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"Civil Code peak memory (tracemalloc): {peak / 2**20:.1f} MiB "
          f"for {len(text.encode('utf-8')) / 2**10:.0f} KiB of text")
    return 0


if __name__ == "__main__":
    sys.exit(main())
