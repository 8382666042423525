"""Search benchmark: full rebuild throughput, index size and query latency on a seeded
corpus, with SQLite FTS5 (trigram tokenizer) on the same corpus as the reference.

    .venv/bin/python bench/bench_search.py --opinions 100000
    .venv/bin/python bench/bench_search.py --opinions 1000000 --workdir /tmp/bench-1m

Steps (each timed and printed):

1. a fresh instance in --workdir (SQLite, migrated), the twelve regulations of
   ../shared/data/regulations imported and published as drafts, and N opinions from
   the seeded generator (bench/corpus.py) inserted (``--reuse`` keeps an existing one);
2. ``search.rebuild`` with --procs processes (default 2: both cores) → opinions/s, and
   the size of the index on disk;
3. an FTS5 trigram index over the same opinions (body, proposed wording, reason) →
   build time and size;
4. a fixed set of one-, two- and three-term queries, with and without a draft filter,
   each run --runs times after one warm-up, on both: p50 / p95 / max per group.
   Whoosh is timed at the query layer the page and the API use (query + exact total +
   facet counts for 6 fields + first page of 20), with the time budget off, and end to
   end through ``run_search`` (plus reading the 20 hits from the database and building
   snippets). FTS5 is timed for the same work it can do: the count and the first page
   by bm25 rank, joined to the opinions table for the draft filter and moderation state.

Nothing here asserts a time; the figures go to bench/README.md.
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

QUERIES = {
    1: ["车位", "噪声", "加装电梯", "物业服务企业", "专项维修资金", "无障碍设施", "黑臭水体"],
    2: ["停车位 收费", "噪声 夜间施工", "物业 维修资金", "养老 补贴", "垃圾分类 投放点"],
    3: ["小区 停车位 业主", "电动自行车 充电 安全", "物业 公共收益 投诉", "老年人 助餐 费用"],
}
FILTER_DRAFT_STEM = "beijing-property-management"


def log(message: str) -> None:
    print(message, flush=True)


def du(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except OSError:
                pass
    return total


def mib(size: int) -> str:
    return f"{size / 1024 / 1024:,.1f} MiB"


# --- set-up --------------------------------------------------------------------------------

def make_app(workdir: Path, procs: int):
    os.environ.pop("DATABASE_URL", None)
    from app import create_app

    instance = workdir / "instance"
    instance.mkdir(parents=True, exist_ok=True)
    return create_app({
        "INSTANCE_PATH": str(instance),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'bench.sqlite3'}",
        "SECRET_KEY": "bench",
        "SEARCH_INDEXER": "off",
        "SEARCH_TIME_BUDGET_SECONDS": 0,
        "SEARCH_REBUILD_PROCS": procs,
        "TESTING": False,
    })


def load_corpus(app, count: int, seed: int) -> dict:
    from flask_migrate import upgrade
    from sqlalchemy import func, insert, select

    from bench.corpus import LIAISON_POINTS, Corpus
    from participation import clock
    from participation.extensions import db
    from participation.models import Draft, LiaisonPoint, Opinion, Provision
    from participation.parsing import parse_text
    from participation.services import drafts as draft_service

    with app.app_context():
        upgrade()
        existing = db.session.scalar(select(func.count()).select_from(Opinion))
        if existing:
            log(f"re-using the corpus in the database: {existing:,} opinions")
            drafts = {draft.title: draft.id for draft in db.session.scalars(select(Draft))}
            return {"opinions": existing, "drafts": drafts, "generate_seconds": None, "insert_seconds": None}
        corpus = Corpus(seed=seed)
        now = clock.now()
        draft_ids, provision_ids, version_ids = [], [], []
        started = time.perf_counter()
        for regulation in corpus.regulations:
            draft = draft_service.import_draft(
                title=regulation.title, document=parse_text(regulation.source), source_format="markdown",
                source_filename=f"{regulation.stem}.md", source_bytes=regulation.source.encode(), created_by=None,
            )
            draft_service.publish_draft(draft, opens_at=now, closes_at=now + timedelta(days=30), now=now)
            draft.shows_opinions_publicly = True
            db.session.flush()
            version = draft.current_version
            draft_ids.append(draft.id)
            version_ids.append(version.id)
            provision_ids.append(dict(db.session.execute(
                select(Provision.key, Provision.id).where(Provision.version_id == version.id)).all()))
        points = []
        for name in LIAISON_POINTS:
            point = LiaisonPoint(name=name, region="")
            db.session.add(point)
            db.session.flush()
            points.append(point.id)
        db.session.commit()
        log(f"imported {len(draft_ids)} drafts in {time.perf_counter() - started:.1f} s")

        table = Opinion.__table__
        generate = 0.0
        write = 0.0
        chunk = []
        done = 0
        engine = db.engine
        tick = time.perf_counter()
        for opinion in corpus.opinions(count):
            index = opinion["draft_index"]
            key = opinion["provision_key"]
            chunk.append({
                "draft_id": draft_ids[index], "version_id": version_ids[index],
                "provision_id": provision_ids[index].get(key) if key else None, "provision_key": key,
                "stance": opinion["stance"], "body": opinion["body"], "proposed_text": opinion["proposed_text"],
                "reason": opinion["reason"], "category": opinion["category"], "region": opinion["region"],
                "submitter_name": opinion["submitter_name"], "is_name_public": opinion["is_name_public"],
                "contact": "", "submitter_key": f"bench:{opinion['number']}",
                "liaison_point_id": points[opinion["liaison_index"]] if opinion["liaison_index"] is not None else None,
                "represented_count": 1, "moderation_state": opinion["moderation_state"], "hidden_reason": "",
                "receipt_code": f"B{opinion['number']:011d}", "created_at": opinion["created_at"],
            })
            if len(chunk) == 10_000:
                now_tick = time.perf_counter()
                generate += now_tick - tick
                # Straight through the engine: a bulk load, not changes to track.
                with engine.begin() as connection:
                    connection.execute(insert(table), chunk)
                tick = time.perf_counter()
                write += tick - now_tick
                done += len(chunk)
                chunk = []
                if done % 100_000 == 0:
                    log(f"  {done:,} opinions written")
        if chunk:
            generate += time.perf_counter() - tick
            now_tick = time.perf_counter()
            with engine.begin() as connection:
                connection.execute(insert(table), chunk)
            write += time.perf_counter() - now_tick
        # The drafts' own outbox rows are satisfied by the rebuild.
        log(f"generated {count:,} opinions in {generate:.1f} s, inserted in {write:.1f} s")
        drafts = {title: draft_id for title, draft_id in zip([r.title for r in corpus.regulations], draft_ids)}
        return {"opinions": count, "drafts": drafts, "generate_seconds": generate, "insert_seconds": write}


# --- rebuild ----------------------------------------------------------------------------------

def bench_rebuild(app, procs: int) -> dict:
    import search
    from search.backend import IndexStore

    started = time.perf_counter()
    last = [started, 0]
    seen = [0]

    def progress(n):
        seen[0] += n
        now = time.perf_counter()
        if now - last[0] > 30:
            log(f"  {seen[0]:,} opinions indexed, {seen[0] / (now - started):,.0f}/s")
            last[0] = now

    with app.app_context():
        result = search.rebuild(app, procs=procs, progress=progress)
    seconds = time.perf_counter() - started
    store = IndexStore(app.config["SEARCH_INDEX_PATH"])
    size = du(store.base / store.current_name())
    cpu_rate = result.opinions / (result.cpu_seconds / procs) if result.cpu_seconds else 0
    log(f"rebuild ({procs} processes): {result.opinions:,} opinions + {result.provisions:,} provision documents "
        f"in {seconds:.1f} s = {result.opinions / seconds:,.0f} opinions/s; index {mib(size)}; "
        f"{result.cpu_seconds:.0f} CPU-seconds in all = {cpu_rate:,.0f} opinions/s with {procs} idle cores "
        f"(load average now {os.getloadavg()[0]:.1f})")
    return {"seconds": seconds, "opinions": result.opinions, "rate": result.opinions / seconds, "bytes": size,
            "procs": procs, "cpu_seconds": result.cpu_seconds, "cpu_rate": cpu_rate}


def bench_fts5_build(database: Path) -> dict:
    connection = sqlite3.connect(database)
    before = os.path.getsize(database)
    connection.execute("DROP TABLE IF EXISTS opinions_fts")
    started = time.perf_counter()
    connection.execute("CREATE VIRTUAL TABLE opinions_fts USING fts5(body, proposed_text, reason, "
                       "content='opinions', content_rowid='id', tokenize='trigram')")
    connection.execute("INSERT INTO opinions_fts(opinions_fts) VALUES ('rebuild')")
    connection.commit()
    seconds = time.perf_counter() - started
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    size = os.path.getsize(database) - before
    log(f"FTS5 trigram build: {seconds:.1f} s; index ≈ {mib(size)} (growth of the database file)")
    return {"seconds": seconds, "bytes": size}


# --- queries ----------------------------------------------------------------------------------

def _stats(samples: list[float]) -> dict:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"p50_ms": statistics.median(ordered) * 1000, "p95_ms": p95 * 1000, "max_ms": ordered[-1] * 1000,
            "n": len(ordered)}


def bench_whoosh_queries(app, draft_id: int, runs: int) -> dict:
    from search.backend import IndexStore, current_searcher, search
    from search.query import Filters, parse_query
    from search.service import PUBLIC_FACETS, SearchParams, run_search

    results = {}
    totals = {}
    with app.app_context(), app.test_request_context():
        store = IndexStore(app.config["SEARCH_INDEX_PATH"])
        for terms, queries in QUERIES.items():
            for filtered in (False, True):
                engine_samples, service_samples, cpu_samples = [], [], []
                for text in queries:
                    parsed = parse_query(text)
                    # Opinions only, as FTS5 indexes them (the page also finds provisions).
                    filters = Filters(kinds=("opinion",), drafts=(draft_id,) if filtered else (),
                                      hidden_states=("pending", "hidden"))
                    facets = PUBLIC_FACETS if filtered else tuple(f for f in PUBLIC_FACETS if f != "article")
                    params = SearchParams(q=text, type="opinion", draft=draft_id if filtered else None)
                    for run in range(runs + 1):
                        started = time.perf_counter()
                        cpu = time.process_time()
                        _opened, searcher = current_searcher(store)
                        raw = search(searcher, parsed, filters, limit=20, facet_fields=facets)
                        elapsed = time.perf_counter() - started
                        cpu = time.process_time() - cpu
                        started = time.perf_counter()
                        outcome = run_search(params, None)
                        service_elapsed = time.perf_counter() - started
                        if run:
                            engine_samples.append(elapsed)
                            cpu_samples.append(cpu)
                            service_samples.append(service_elapsed)
                    totals[(text, filtered)] = raw.total
                    assert outcome.total == raw.total or outcome.total <= raw.total
                results[(terms, filtered)] = {"engine": _stats(engine_samples), "service": _stats(service_samples),
                                              "cpu": _stats(cpu_samples)}
    return {"groups": results, "totals": totals}


def bench_fts5_queries(database: Path, draft_id: int, runs: int) -> dict:
    connection = sqlite3.connect(database)
    results = {}
    totals = {}
    for terms, queries in QUERIES.items():
        for filtered in (False, True):
            samples, cpu_samples = [], []
            for text in queries:
                words = text.split()
                long_words = [w for w in words if len(w) >= 3]
                short_words = [w for w in words if len(w) < 3]
                where, args = ["o.moderation_state = 'published'"], []
                if long_words:
                    where.append("opinions_fts MATCH ?")
                    args.append(" AND ".join(f'"{w}"' for w in long_words))
                for word in short_words:
                    # The trigram tokenizer cannot index fewer than three characters:
                    # LIKE, which scans.
                    where.append("(opinions_fts.body LIKE ? OR opinions_fts.proposed_text LIKE ? "
                                 "OR opinions_fts.reason LIKE ?)")
                    args += [f"%{word}%"] * 3
                if filtered:
                    where.append("o.draft_id = ?")
                    args.append(draft_id)
                clause = " AND ".join(where)
                base = f"FROM opinions_fts JOIN opinions o ON o.id = opinions_fts.rowid WHERE {clause}"
                order = "ORDER BY rank" if long_words else "ORDER BY o.id DESC"
                for run in range(runs + 1):
                    started = time.perf_counter()
                    cpu = time.process_time()
                    total = connection.execute(f"SELECT count(*) {base}", args).fetchone()[0]
                    connection.execute(f"SELECT o.id {base} {order} LIMIT 20", args).fetchall()
                    elapsed = time.perf_counter() - started
                    if run:
                        samples.append(elapsed)
                        cpu_samples.append(time.process_time() - cpu)
                totals[(text, filtered)] = total
            results[(terms, filtered)] = {**_stats(samples), "cpu": _stats(cpu_samples)}
    connection.close()
    return {"groups": results, "totals": totals}


def print_tables(whoosh: dict, fts: dict) -> None:
    log("")
    log("Wall-clock p50 / p95 in ms, and CPU time p50 / p95 (what an idle core would take).")
    log("")
    log("| terms | draft filter | Whoosh query | Whoosh query CPU | Whoosh run_search | FTS5 | FTS5 CPU |")
    log("|---|---|---:|---:|---:|---:|---:|")
    for terms in QUERIES:
        for filtered in (False, True):
            w = whoosh["groups"][(terms, filtered)]
            f = fts["groups"][(terms, filtered)]
            log(f"| {terms} | {'yes' if filtered else 'no'} | {w['engine']['p50_ms']:.0f} / {w['engine']['p95_ms']:.0f} "
                f"| {w['cpu']['p50_ms']:.0f} / {w['cpu']['p95_ms']:.0f} "
                f"| {w['service']['p50_ms']:.0f} / {w['service']['p95_ms']:.0f} "
                f"| {f['p50_ms']:.0f} / {f['p95_ms']:.0f} | {f['cpu']['p50_ms']:.0f} / {f['cpu']['p95_ms']:.0f} |")
    all_wall = [x for (terms, filtered), g in whoosh["groups"].items() for x in [g["engine"]["p95_ms"]]]
    log("")
    log(f"Whoosh worst group p95: {max(all_wall):.0f} ms wall")
    log("")
    log("| query | draft filter | Whoosh total | FTS5 total |")
    log("|---|---|---:|---:|")
    for (text, filtered), total in whoosh["totals"].items():
        log(f"| {text} | {'yes' if filtered else 'no'} | {total:,} | {fts['totals'][(text, filtered)]:,} |")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--opinions", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20260301)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="keep the corpus already in --workdir")
    parser.add_argument("--skip-rebuild", action="store_true", help="query the existing index")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(f"/tmp/bench-search-{args.opinions}")
    if workdir.exists() and not args.reuse:
        import shutil

        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    log(f"search benchmark: {args.opinions:,} opinions, seed {args.seed}, {args.procs} processes, "
        f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, workdir {workdir}, "
        f"load average {os.getloadavg()[0]:.1f}")
    from search import analysis

    analysis.configure(workdir / "instance")
    app = make_app(workdir, args.procs)
    corpus = load_corpus(app, args.opinions, args.seed)
    draft_id = next(draft_id for title, draft_id in corpus["drafts"].items() if "物业" in title)
    rebuild = None if args.skip_rebuild else bench_rebuild(app, args.procs)
    database = workdir / "instance" / "bench.sqlite3"
    fts_build = bench_fts5_build(database)
    log("queries: Whoosh …")
    whoosh = bench_whoosh_queries(app, draft_id, args.runs)
    log("queries: FTS5 …")
    fts = bench_fts5_queries(database, draft_id, args.runs)
    print_tables(whoosh, fts)
    if args.json:
        def keyed(groups):
            return {f"{terms}-{'draft' if filtered else 'all'}": value for (terms, filtered), value in groups.items()}

        args.json.write_text(json.dumps({
            "opinions": corpus["opinions"], "rebuild": rebuild, "fts5_build": fts_build,
            "whoosh": keyed(whoosh["groups"]), "fts5": keyed(fts["groups"]),
        }, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
