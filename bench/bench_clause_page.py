"""Server time of a clause's opinions page when the clause has 10,000 opinions.

A draft of 300 articles; 10,000 published (and some held and hidden) opinions on one
article and its paragraphs and items, and 20,000 on the rest of the draft. Through the
Flask test client (in-process, so the time is the server's): the public page
``/drafts/<id>/provisions/<key>/opinions`` (first page and a page deep in the
listing, by its "load more" cursor) and the API listing
``/api/v1/drafts/<id>/provisions/<key>/opinions``. Prints medians and p95, and the
query plans of the listing query. Goal: first page under 100 ms.

    .venv/bin/python bench/bench_clause_page.py [--opinions 10000] [--runs 20] [--backends sqlite,postgresql]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.opinion_data import (  # noqa: E402
    DEFAULT_PG_URL, analyze, bench_config, insert_opinions, make_draft, scratch_database,
)


def timed(client, path: str, runs: int) -> tuple[float, float, object]:
    times = []
    response = None
    for _ in range(runs + 1):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True)[:300])
    warm = sorted(times[1:])
    return statistics.median(warm), warm[int(0.95 * (len(warm) - 1))], response


def run(kind: str, args) -> list[tuple[str, float, float]]:
    from sqlalchemy import select, text

    from app import create_app
    from participation import clock, queries
    from participation.extensions import db
    from participation.models import Provision

    with scratch_database(kind, args.pg_url) as (url, instance):
        app = create_app(bench_config(url, instance))
        with app.app_context():
            now = clock.now()
            draft = make_draft(300, now=now)
            version_id = draft.current_version.id
            # The article with the most parts: its page lists what was said on all of them.
            articles = db.session.scalars(select(Provision).where(Provision.version_id == version_id,
                                                                  Provision.kind == "article")).all()
            article = max(articles, key=lambda a: len(queries.subtree_ids(a)))
            subtree = queries.subtree_ids(article)
            insert_opinions(draft, args.opinions, now=now, provision_ids=subtree, whole_draft_share=0, seed=1)
            insert_opinions(draft, 2 * args.opinions, now=now, seed=2)
            draft_id, key = draft.id, article.key
            published = queries.published_opinion_total(draft_id, version_id, subtree)
            page = queries.published_opinions_page(draft_id, version_id, provision_ids=subtree, limit=20)
            db.session.remove()
        analyze(url)
        with app.app_context():
            explain = "EXPLAIN QUERY PLAN " if kind == "sqlite" else "EXPLAIN "
            plan = [" ".join(str(part) for part in row) for row in
                    db.session.execute(text(explain + _plan_query(db, draft_id, version_id, subtree)))]
            db.session.remove()

        client = app.test_client()
        results = []
        page_path = f"/drafts/{draft_id}/provisions/{key}/opinions"
        results.append(("page, first 20", *timed(client, page_path, args.runs)[:2]))
        # Deep in the listing: the cursor of the 5,000th opinion, as "load more" would send.
        with app.app_context():
            deep = queries.published_opinions_page(draft_id, version_id, provision_ids=subtree, limit=5000).next_cursor
            db.session.remove()
        results.append(("page, after 5,000 (load more)", *timed(client, f"{page_path}?after={deep.encode()}",
                                                               args.runs)[:2]))
        median, p95, response = timed(client, f"/api/v1{page_path}", args.runs)
        assert response.get_json()["total"] == published
        results.append(("API, first 20", median, p95))
        with app.app_context():
            db.engine.dispose()
    print(f"{kind}: {published:,} published opinions on {key} and its {len(subtree) - 1} parts "
          f"(of {args.opinions:,}); first page {len(page.items)} items")
    for line in plan:
        print(f"    plan: {line}")
    return results


def _plan_query(db, draft_id, version_id, subtree) -> str:
    """The SQL of the listing's first page, with its parameters inlined, to EXPLAIN."""
    from sqlalchemy import select

    from participation.models import ModerationState, Opinion

    query = (select(Opinion.id).where(Opinion.draft_id == draft_id, Opinion.version_id == version_id,
                                      Opinion.moderation_state == ModerationState.PUBLISHED.value,
                                      Opinion.provision_id.in_(subtree))
             .order_by(Opinion.created_at.desc(), Opinion.id.desc()).limit(21))
    return str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opinions", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    args = parser.parse_args()
    for kind in args.backends.split(","):
        for label, median, p95 in run(kind.strip(), args):
            print(f"  {label:<32} median {median:7.1f} ms   p95 {p95:7.1f} ms")


if __name__ == "__main__":
    main()
