"""Staff exports: the Excel export of 100,000 opinions (seconds and peak memory) and the
Word 意见汇总表 of 10,000 opinions (seconds), as the export jobs write them.

A draft of 300 articles; opinions from the seeded generator (bench/opinion_data.py),
then a third of them given a reason and proposed wording and a fifth contact details
(so rows carry the fields staff fill in). Each export runs in a fresh Python process of
its own (``--measure``) so that its peak resident set size (``resource.getrusage``
``ru_maxrss``) is the export's, not the data load's; tracemalloc's peak of Python
allocations is printed too (measured in a second run, since tracing slows it down).
Goals (issue 16): Excel under 30 s and 300 MB; Word under 30 s.

    .venv/bin/python bench/bench_exports.py [--xlsx-opinions 100000] [--docx-opinions 10000]
        [--articles 300] [--backends sqlite,postgresql] [--database-url postgresql+psycopg://…]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.opinion_data import (  # noqa: E402
    DEFAULT_PG_URL, analyze, bench_config, insert_opinions, make_draft, scratch_database,
)


def _fill_fields(draft_id: int) -> None:
    from sqlalchemy import text

    from participation.extensions import db

    db.session.execute(text(
        "UPDATE opinions SET reason = '现行规定过于原则，基层难以执行，建议细化。', "
        "proposed_text = '修改为：有关部门应当在十五个工作日内办结，并告知当事人。' "
        "WHERE draft_id = :d AND id % 3 = 0"), {"d": draft_id})
    db.session.execute(text(
        "UPDATE opinions SET contact = '138' || (10000000 + id), submitter_name = '张三' "
        "WHERE draft_id = :d AND id % 5 = 0"), {"d": draft_id})
    db.session.commit()


def measure(kind: str, url: str, instance: str, draft_id: int, trace: bool) -> dict:
    """In a fresh process: write the export once, timed; with ``trace``, under tracemalloc."""
    import tracemalloc

    from app import create_app
    from participation.exports import summary, workbook
    from participation.extensions import db
    from participation.models import Draft
    from participation.queries import StaffOpinionFilters
    from participation.unit_of_work import reading

    app = create_app(bench_config(url, instance))
    with app.app_context(), app.test_request_context(), tempfile.TemporaryDirectory() as tmp:
        if trace:
            tracemalloc.start()
        started, cpu = time.perf_counter(), time.process_time()
        with reading():
            if kind == "xlsx":
                path = Path(tmp) / "out.xlsx"
                rows = workbook.write_opinions_workbook(path, draft_id, StaffOpinionFilters())
            else:
                path = Path(tmp) / "out.docx"
                rows = summary.write_summary(path, db.session.get(Draft, draft_id), StaffOpinionFilters())
            db.session.rollback()
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
        traced = tracemalloc.get_traced_memory()[1] if trace else 0
        return {"rows": rows, "seconds": seconds, "cpu_seconds": cpu_seconds, "bytes": path.stat().st_size,
                "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "traced_peak_mb": traced / 2**20}


def _child(kind: str, url: str, instance: str, draft_id: int, trace: bool = False) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--measure", kind, url, instance, str(draft_id)] + (["--trace"] if trace else []),
        check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def run(backend: str, args) -> list[dict]:
    from app import create_app
    from participation import clock
    from participation.extensions import db

    results = []
    with scratch_database(backend, args.database_url) as (url, instance):
        app = create_app(bench_config(url, instance))
        with app.app_context():
            now = clock.now()
            drafts = {}
            for kind, count in (("xlsx", args.xlsx_opinions), ("docx", args.docx_opinions)):
                draft = make_draft(args.articles, now=now)
                insert_opinions(draft, count, now=now)
                _fill_fields(draft.id)
                drafts[kind] = draft.id
            db.session.remove()
            db.engine.dispose()
        analyze(url)
        for kind, draft_id in drafts.items():
            result = _child(kind, url, instance, draft_id)
            result["traced_peak_mb"] = _child(kind, url, instance, draft_id, trace=True)["traced_peak_mb"]
            results.append({"backend": backend, "kind": kind, **result, "load": os.getloadavg()[0]})
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xlsx-opinions", type=int, default=100_000)
    parser.add_argument("--docx-opinions", type=int, default=10_000)
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--database-url", default=DEFAULT_PG_URL, help="PostgreSQL server for the scratch database")
    parser.add_argument("--measure", nargs=4, metavar=("KIND", "URL", "INSTANCE", "DRAFT_ID"), help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        kind, url, instance, draft_id = args.measure
        print(json.dumps(measure(kind, url, instance, int(draft_id), args.trace)))
        return
    print(f"exports of a draft of {args.articles} articles: Excel of {args.xlsx_opinions:,} opinions, "
          f"Word of {args.docx_opinions:,}")
    print(f"{'backend':<11} {'export':<6} {'rows':>8} {'seconds':>8} {'CPU s':>6} {'file MB':>8} {'max RSS MB':>11} "
          f"{'traced peak MB':>15}")
    for backend in args.backends.split(","):
        for r in run(backend.strip(), args):
            print(f"{r['backend']:<11} {r['kind']:<6} {r['rows']:>8,} {r['seconds']:>8.1f} "
                  f"{r.get('cpu_seconds', 0):>6.1f} {r['bytes'] / 2**20:>8.1f} "
                  f"{r['max_rss_mb']:>11.0f} {r['traced_peak_mb']:>15.0f}   "
                  f"(load average {r['load']:.1f} on {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
