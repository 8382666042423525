"""Time of the tally API call for a large consultation.

A draft of 300 articles (with their paragraphs and items: about 700 provisions) and
100,000 opinions from a seeded generator (bench/opinion_data.py), then
``GET /api/v1/drafts/<id>/tally`` through the Flask test client, on SQLite and on
PostgreSQL. Prints the first (cold) call and the median and p95 of the following
ones, the time of ``compute_tally`` alone, and checks that the API's numbers are
compute_tally's. The call is anonymous, so it is the public reading (published opinions
only); ``compute_tally`` is timed in both readings. Goal: under 200 ms.

    .venv/bin/python bench/bench_tally.py [--opinions 100000] [--articles 300] [--runs 20]
        [--backends sqlite,postgresql] [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.opinion_data import (  # noqa: E402
    DEFAULT_PG_URL, analyze, bench_config, insert_opinions, make_draft, scratch_database,
)


def run(kind: str, args) -> dict:
    from app import create_app
    from participation import clock
    from participation.extensions import db
    from participation.models import Provision
    from participation.tally.compute import compute_tally
    from sqlalchemy import func, select

    with scratch_database(kind, args.pg_url) as (url, instance):
        app = create_app(bench_config(url, instance))
        with app.app_context():
            now = clock.now()
            draft = make_draft(args.articles, now=now)
            draft_id, version_id = draft.id, draft.current_version.id
            provisions = db.session.scalar(select(func.count()).select_from(Provision)
                                           .where(Provision.version_id == version_id))
            started = time.perf_counter()
            insert_opinions(draft, args.opinions, now=now)
            load_seconds = time.perf_counter() - started
            db.session.remove()
        analyze(url)

        client = app.test_client()
        path = f"/api/v1/drafts/{draft_id}/tally"
        times, cpu = [], []
        for _ in range(args.runs + 1):
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            assert response.status_code == 200, response.get_data(as_text=True)[:300]
        body = response.get_json()

        with app.app_context():
            direct, received = [], []
            for _ in range(args.runs):
                started = time.perf_counter()
                tally = compute_tally(draft_id, version_id, published_only=True)
                direct.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                compute_tally(draft_id, version_id)
                received.append((time.perf_counter() - started) * 1000)
            expected = tally.as_dict()
            db.session.remove()
        assert body["total"] == expected["total"] and body["submitters"] == expected["submitters"]
        for got, want in zip(body["provisions"], expected["provisions"]):
            assert (got["key"], got["total"], got["submitters"]) == (want["key"], want["total"], want["submitters"])
            assert {k: v for k, v in got["by_stance"].items() if v} == want["by_stance"]
        with app.app_context():
            db.engine.dispose()

    warm = sorted(times[1:])
    return {
        "backend": kind, "provisions": provisions, "opinions": args.opinions, "load_s": load_seconds,
        "first_ms": times[0], "median_ms": statistics.median(warm), "p95_ms": warm[int(0.95 * (len(warm) - 1))],
        "compute_median_ms": statistics.median(direct), "received_median_ms": statistics.median(received),
        "cpu_median_ms": statistics.median(cpu[1:]),
        "load": os.getloadavg()[0], "total": body["total"], "submitters": body["submitters"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opinions", type=int, default=100_000)
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    args = parser.parse_args()
    print(f"tally of a draft of {args.articles} articles with {args.opinions:,} opinions; "
          f"{args.runs} calls after the first")
    print(f"{'backend':<11} {'provisions':>10} {'first ms':>9} {'median ms':>10} {'p95 ms':>8} "
          f"{'compute_tally ms (public/staff)':>31} {'CPU ms':>7} {'total':>7} {'submitters':>10}")
    for kind in args.backends.split(","):
        result = run(kind.strip(), args)
        print(f"{result['backend']:<11} {result['provisions']:>10} {result['first_ms']:>9.1f} "
              f"{result['median_ms']:>10.1f} {result['p95_ms']:>8.1f} "
              f"{result['compute_median_ms']:>14.1f} / {result['received_median_ms']:<14.1f} "
              f"{result['cpu_median_ms']:>7.1f} {result['total']:>7} {result['submitters']:>10}   "
              f"(data load {result['load_s']:.1f} s; load average {result['load']:.1f} on {os.cpu_count()} CPUs)")
    print("CPU ms: this process's CPU time per API call (all of it for SQLite, which runs in-process; "
          "the client side only for PostgreSQL)")


if __name__ == "__main__":
    main()
