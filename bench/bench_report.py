"""Time of the public feedback report (意见采纳情况) and of a bulk disposition.

A draft of 300 articles (about 700 provisions) and 100,000 opinions from the seeded
generator (bench/opinion_data.py), on SQLite and on PostgreSQL:

1. a bulk disposition: one ``UPDATE opinions SET disposition = … WHERE …`` of 10,000
   opinions, timed with its commit (the tally triggers keep ``tally_dispositions`` in
   the same transaction); then a few more untimed ones so the dispositions are mixed,
   and ``tally check`` of the version (the counts must be exact);
2. inserts: 20,000 more opinions through the generator's multi-row INSERTs, with and
   without the disposition triggers, to show what they add to a liaison batch;
3. the report: the draft closed and its report published, ``GET /drafts/<id>/feedback``
   through the Flask test client, the first call and the median and p95 of the following
   ones (server time: the test client runs the whole request in-process), and the API's
   ``GET /api/v1/drafts/<id>/feedback``. Goal: under 300 ms.

    .venv/bin/python bench/bench_report.py [--opinions 100000] [--articles 300] [--runs 15]
        [--backends sqlite,postgresql] [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.opinion_data import (  # noqa: E402
    DEFAULT_PG_URL, analyze, bench_config, insert_opinions, make_draft, scratch_database,
)

MIX = [("not_adopted", 7, 1), ("partly_adopted", 7, 2), ("already_provided", 11, 3), ("for_study", 13, 4),
       ("out_of_scope", 17, 5)]


def _bulk_disposition(draft_id: int, disposition: str, modulus: int, remainder: int) -> tuple[int, float]:
    from sqlalchemy import update

    from participation.extensions import db
    from participation.models import Opinion

    started = time.perf_counter()
    result = db.session.execute(
        update(Opinion).where(Opinion.draft_id == draft_id, Opinion.id % modulus == remainder)
        .values(disposition=disposition, disposition_reason="基准测试的处理理由")
        .execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount, (time.perf_counter() - started) * 1000


def _insert_seconds(draft, count: int, now, *, seed: int) -> float:
    started = time.perf_counter()
    insert_opinions(draft, count, now=now, seed=seed)
    return time.perf_counter() - started


def _without_disposition_triggers(draft, count: int, now) -> float:
    """Insert time with the disposition triggers dropped (then put back and recounted)."""
    from participation.extensions import db
    from participation.tally import disposition_triggers, upkeep

    connection = db.session.connection()
    for name in disposition_triggers.SQLITE_TRIGGERS if connection.dialect.name == "sqlite" else ():
        connection.exec_driver_sql(f"DROP TRIGGER {name}")
    for name in disposition_triggers.POSTGRESQL_TRIGGERS if connection.dialect.name == "postgresql" else ():
        connection.exec_driver_sql(f"DROP TRIGGER {name} ON opinions")
    db.session.commit()
    seconds = _insert_seconds(draft, count, now, seed=7)
    upkeep.install_triggers(db.session.connection())
    upkeep.rebuild_version(draft.current_version.id)
    db.session.commit()
    return seconds


def _time_get(client, path: str, runs: int) -> list[float]:
    times = []
    for _ in range(runs + 1):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return times


def run(kind: str, args) -> dict:
    from app import create_app
    from participation import clock
    from participation.extensions import db
    from participation.models import Draft
    from participation.tally import upkeep

    with scratch_database(kind, args.pg_url) as (url, instance):
        app = create_app(bench_config(url, instance))
        with app.app_context():
            now = clock.now()
            draft = make_draft(args.articles, now=now - timedelta(days=40))
            draft_id, version_id = draft.id, draft.current_version.id
            insert_opinions(draft, args.opinions, now=now - timedelta(days=20))
            db.session.remove()
        analyze(url)

        with app.app_context():
            draft = db.session.get(Draft, draft_id)
            updated, bulk_ms = _bulk_disposition(draft_id, "adopted", max(1, args.opinions // 10_000), 0)
            for disposition, modulus, remainder in MIX:
                _bulk_disposition(draft_id, disposition, modulus, remainder)
            exact = upkeep.check_version(version_id) == []
            with_triggers = _insert_seconds(draft, args.extra, now - timedelta(days=20), seed=5)
            without_triggers = _without_disposition_triggers(draft, args.extra, now - timedelta(days=20))
            exact = exact and upkeep.check_version(version_id) == []
            draft.feedback_published_at = now  # closed 10 days ago; report published
            db.session.commit()
            db.session.remove()
        analyze(url)

        client = app.test_client()
        page = _time_get(client, f"/drafts/{draft_id}/feedback", args.runs)
        api = _time_get(client, f"/api/v1/drafts/{draft_id}/feedback", args.runs)
        total = client.get(f"/api/v1/drafts/{draft_id}/feedback").get_json()["total"]
        with app.app_context():
            db.engine.dispose()

    warm, api_warm = sorted(page[1:]), sorted(api[1:])
    return {
        "backend": kind, "updated": updated, "bulk_ms": bulk_ms, "exact": exact,
        "insert_with_s": with_triggers, "insert_without_s": without_triggers,
        "first_ms": page[0], "median_ms": statistics.median(warm), "p95_ms": warm[int(0.95 * (len(warm) - 1))],
        "api_median_ms": statistics.median(api_warm), "total": total, "load": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opinions", type=int, default=100_000)
    parser.add_argument("--extra", type=int, default=20_000, help="opinions inserted with and without the triggers")
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    args = parser.parse_args()
    print(f"feedback report of a draft of {args.articles} articles with {args.opinions:,} opinions; "
          f"{args.runs} calls after the first")
    for kind in args.backends.split(","):
        r = run(kind.strip(), args)
        print(f"{r['backend']}: bulk disposition of {r['updated']:,} opinions {r['bulk_ms']:.0f} ms "
              f"(counts exact: {r['exact']}); insert {args.extra:,} opinions {r['insert_with_s']:.2f} s with the "
              f"disposition triggers, {r['insert_without_s']:.2f} s without")
        print(f"    report page: first {r['first_ms']:.0f} ms, median {r['median_ms']:.0f} ms, "
              f"p95 {r['p95_ms']:.0f} ms; API median {r['api_median_ms']:.0f} ms; total {r['total']:,}   "
              f"(load average {r['load']:.1f} on {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
