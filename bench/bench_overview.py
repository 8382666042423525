"""Time of the leadership overview (统计概览) on 100,000 opinions.

Five drafts of 60 articles, eight liaison points, opinions from a seeded generator
spread over a calendar year (several a day, more in some months), through every
channel, with submitter categories, dispositions, liaison points and deputies'
delegations mixed, inserted as multi-row INSERTs (fast, and not what is measured). Then,
through the Flask test client (server time: the whole request in-process), signed in
as staff or with a staff token:

* ``GET /staff/overview`` (the page: every query, the tables and the SVG charts),
* ``GET /api/v1/overview`` (the same figures as JSON),
* ``GET /staff/overview.xlsx`` (the workbook),

the first call and the median and p95 of the following ones, for the default period
(the calendar year: every opinion) and for one month.

    .venv/bin/python bench/bench_overview.py [--opinions 100000] [--runs 15]
        [--backends sqlite,postgresql] [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.opinion_data import (  # noqa: E402
    CATEGORIES, CATEGORY_WEIGHTS, DEFAULT_PG_URL, REGIONS, STANCES, STANCE_WEIGHTS, _insert_rows, analyze,
    bench_config, make_draft, scratch_database,
)

YEAR = 2026
CHANNELS, CHANNEL_WEIGHTS = ["web", "api", "batch"], [70, 10, 20]
DISPOSITIONS = ["pending", "adopted", "partly_adopted", "not_adopted", "already_provided", "out_of_scope", "for_study"]
DISPOSITION_WEIGHTS = [40, 15, 10, 15, 10, 5, 5]
DELEGATIONS = ["东城区代表团", "西城区代表团", "南湖区代表团", "北岸区代表团", "高新区代表团"]
MONTH_WEIGHTS = [3, 2, 6, 8, 5, 4, 9, 7, 3, 5, 10, 6]  # bursts: drafts open and close


def _populate(count: int, seed: int) -> None:
    from participation.extensions import db
    from participation.models import Opinion
    from participation.services.liaison import create_liaison_point

    rng = random.Random(seed)
    drafts = [make_draft(60, now=datetime(YEAR, 1, 5, tzinfo=timezone.utc), days=360) for _ in range(5)]
    for number, draft in enumerate(drafts):
        draft.title = f"基准测试条例之{number + 1}（草案）"
    points = [create_liaison_point(name=f"基准联系点{n}") for n in range(8)]
    db.session.commit()
    targets = [(draft.id, draft.current_version.id) for draft in drafts]
    point_ids = [point.id for point in points[:6]]  # the last two send nothing
    table, rows = Opinion.__table__, []
    for n in range(count):
        month = rng.choices(range(12), MONTH_WEIGHTS)[0]
        created = datetime(YEAR, month + 1, 1, tzinfo=timezone.utc) + timedelta(seconds=rng.randrange(27 * 86400))
        channel = rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
        category = rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0]
        draft_id, version_id = rng.choices(targets, [5, 3, 2, 1, 1])[0]
        deputy = category == "deputy" and channel != "batch"
        rows.append({
            "draft_id": draft_id, "version_id": version_id, "provision_id": None, "provision_key": None,
            "stance": rng.choices(STANCES, STANCE_WEIGHTS)[0], "body": f"基准意见{n}", "proposed_text": "",
            "reason": "", "category": category, "region": rng.choice(REGIONS), "submitter_name": "",
            "is_name_public": False, "contact": "", "author_id": None,
            "submitter_key": f"u:{rng.randrange(300)}" if deputy else f"anon:{n}",
            "delegation": rng.choice(DELEGATIONS) if deputy else None,
            "liaison_point_id": rng.choice(point_ids) if channel == "batch" else None,
            "represented_count": rng.choice((1, 1, 1, 5)) if channel == "batch" else 1, "channel": channel,
            "moderation_state": "hidden" if rng.random() < 0.02 else "published", "hidden_reason": "",
            "disposition": rng.choices(DISPOSITIONS, DISPOSITION_WEIGHTS)[0], "receipt_code": f"BOV-{n:08d}",
            "created_at": created,
        })
        if len(rows) >= 5000:
            _insert_rows(table, rows)
            rows = []
    if rows:
        _insert_rows(table, rows)
    db.session.commit()


def _time_get(client, path: str, runs: int, headers=None) -> list[float]:
    times = []
    for _ in range(runs + 1):
        started = time.perf_counter()
        response = client.get(path, headers=headers or {})
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return times


def _summary(times: list[float]) -> dict:
    warm = sorted(times[1:])
    return {"first": times[0], "median": statistics.median(warm), "p95": warm[int(0.95 * (len(warm) - 1))]}


def run(kind: str, args) -> dict:
    from app import create_app
    from participation import clock
    from participation.extensions import db
    from participation.services import accounts

    with scratch_database(kind, args.pg_url) as (url, instance):
        app = create_app(bench_config(url, instance, WTF_CSRF_ENABLED=False))
        with app.app_context():
            started = time.perf_counter()
            _populate(args.opinions, seed=20261204)
            populate_s = time.perf_counter() - started
            staff = accounts.create_user(email="bench-staff@example.org", password="bench-password-123",
                                         role="staff", display_name="基准")
            token = accounts.issue_api_token(staff, name="bench")[1]
            db.session.commit()
            db.session.remove()
        analyze(url)

        clock.now = lambda: datetime(YEAR, 12, 31, 12, tzinfo=timezone.utc)  # the year is over
        client = app.test_client()
        response = client.post("/login", data={"email": "bench-staff@example.org", "password": "bench-password-123"})
        assert response.status_code == 302, response.status_code
        bearer = {"Authorization": f"Bearer {token}"}
        year = f"from={YEAR}-01-01&to={YEAR}-12-31"
        month = f"from={YEAR}-07-01&to={YEAR}-07-31"
        result = {
            "backend": kind, "populate_s": populate_s,
            "page_year": _summary(_time_get(client, f"/staff/overview?{year}", args.runs)),
            "api_year": _summary(_time_get(client, f"/api/v1/overview?{year}", args.runs, bearer)),
            "xlsx_year": _summary(_time_get(client, f"/staff/overview.xlsx?{year}", max(3, args.runs // 3))),
            "page_month": _summary(_time_get(client, f"/staff/overview?{month}", args.runs)),
            "api_month": _summary(_time_get(client, f"/api/v1/overview?{month}", args.runs, bearer)),
            "total": client.get(f"/api/v1/overview?{year}", headers=bearer).get_json()["total"],
            "load": os.getloadavg()[0],
        }
        with app.app_context():
            db.engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opinions", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    args = parser.parse_args()
    print(f"{args.opinions} opinions over {YEAR}, 5 drafts, 8 liaison points; {os.cpu_count()} CPUs")
    for kind in args.backends.split(","):
        result = run(kind, args)
        print(f"\n{kind}: populated in {result['populate_s']:.1f} s; counted {result['total']} "
              f"(load average {result['load']:.2f})")
        for key, label in (("page_year", "page, the year"), ("api_year", "API, the year"),
                           ("xlsx_year", "Excel, the year"), ("page_month", "page, one month"),
                           ("api_month", "API, one month")):
            figures = result[key]
            print(f"  {label:16} first {figures['first']:7.1f} ms  median {figures['median']:7.1f} ms  "
                  f"p95 {figures['p95']:7.1f} ms")


if __name__ == "__main__":
    main()
