"""Bulk disposition: 10,000 of a draft's 100,000 opinions given one disposition and
reason in one statement, as the staff's bulk form and the API do.

A draft of 300 articles and 100,000 opinions from the seeded generator
(bench/opinion_data.py, inserted with multi-row Core INSERTs), then
``dispositions.dispose_selection`` with the staff list's filter (the clauses that hold
about 10,000 opinions), commit included, on SQLite and on PostgreSQL. Prints the
seconds of the count, the UPDATE with its audit entry, and the commit; then checks that
exactly the selection changed and that ``tally check`` still finds the counts exact.
Goal: under 5 s on both.

    .venv/bin/python bench/bench_dispositions.py [--opinions 100000] [--selected 10000] [--articles 300]
        [--backends sqlite,postgresql] [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.opinion_data import (  # noqa: E402
    DEFAULT_PG_URL, analyze, bench_config, insert_opinions, make_draft, scratch_database,
)


def _clauses_holding(draft_id: int, wanted: int) -> list[str]:
    """Article keys whose opinions add up to about ``wanted`` (the largest first)."""
    from sqlalchemy import func, select

    from participation.extensions import db
    from participation.models import Opinion

    rows = db.session.execute(
        select(Opinion.provision_key, func.count()).where(Opinion.draft_id == draft_id,
                                                          Opinion.provision_key.is_not(None))
        .group_by(Opinion.provision_key)).all()
    per_article: dict[str, int] = {}
    for key, count in rows:
        head = ".".join(key.split(".")[:2])
        per_article[head] = per_article.get(head, 0) + count
    chosen, total = [], 0
    for key, count in sorted(per_article.items(), key=lambda item: -item[1]):
        if total + count > wanted:
            continue
        chosen.append(key)
        total += count
        if total >= wanted * 0.98:
            break
    return chosen


def run(kind: str, args) -> dict:
    from sqlalchemy import func, or_, select

    from app import create_app
    from participation import clock, queries
    from participation.extensions import db
    from participation.models import Opinion, Role
    from participation.services import accounts, dispositions
    from participation.tally.upkeep import check_version, version_ids

    with scratch_database(kind, args.database_url) as (url, instance):
        app = create_app(bench_config(url, instance))
        with app.app_context():
            now = clock.now()
            draft = make_draft(args.articles, now=now)
            staff = accounts.create_user(email="bench-staff@example.org", password="bench-passphrase-2026",
                                         role=Role.STAFF, display_name="工作人员")
            db.session.commit()
            started = time.perf_counter()
            insert_opinions(draft, args.opinions, now=now)
            load_seconds = time.perf_counter() - started
            keys = _clauses_holding(draft.id, args.selected)
            draft_id, staff_id = draft.id, staff.id
            db.session.remove()
        analyze(url)

        with app.app_context():
            from participation.models import Draft, User

            draft, staff = db.session.get(Draft, draft_id), db.session.get(User, staff_id)
            # The staff list's clause filter, for the several articles that hold the
            # selection: the union of their conditions.
            conditions = [queries.staff_opinion_conditions(draft_id, queries.StaffOpinionFilters(clause=key))[1]
                          for key in keys]
            selection = select(Opinion.id).where(Opinion.draft_id == draft_id, or_(*conditions))
            data = dispositions.DispositionInput("not_adopted", "与上位法规定不一致，未予采纳。")
            started = time.perf_counter()
            result = dispositions.dispose_selection(draft, selection, data, by=staff, now=clock.now(),
                                                    selection={"filter": {"clause": keys}})
            applied = time.perf_counter()
            db.session.commit()
            done = time.perf_counter()
            changed = db.session.scalar(select(func.count()).select_from(Opinion).where(
                Opinion.draft_id == draft_id, Opinion.disposition == "not_adopted"))
            assert changed == result.updated == result.selected, (changed, result)
            problems = [p for version_id in version_ids(draft_id) for p in check_version(version_id)]
            db.session.remove()
            db.engine.dispose()
    return {"backend": kind, "load_s": load_seconds, "selected": result.selected, "update_s": applied - started,
            "commit_s": done - applied, "total_s": done - started, "tally_ok": not problems,
            "load": os.getloadavg()[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opinions", type=int, default=100_000)
    parser.add_argument("--selected", type=int, default=10_000)
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--database-url", default=DEFAULT_PG_URL, help="PostgreSQL server for the scratch database")
    args = parser.parse_args()
    print(f"bulk disposition of about {args.selected:,} of {args.opinions:,} opinions on a draft of "
          f"{args.articles} articles")
    print(f"{'backend':<11} {'selected':>9} {'count+UPDATE+audit s':>21} {'commit s':>9} {'total s':>8} {'tally':>6}")
    for kind in args.backends.split(","):
        r = run(kind.strip(), args)
        print(f"{r['backend']:<11} {r['selected']:>9,} {r['update_s']:>21.2f} {r['commit_s']:>9.2f} "
              f"{r['total_s']:>8.2f} {'exact' if r['tally_ok'] else 'WRONG':>6}   "
              f"(data load {r['load_s']:.1f} s; load average {r['load']:.1f} on {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
