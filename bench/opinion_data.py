"""Scratch databases and seeded opinion data for the opinion benchmarks
(bench_tally.py, bench_clause_page.py, bench_submit.py).

* ``scratch_database(kind)``: a migrated, empty database of its own — a temporary
  SQLite file, or a PostgreSQL database created on the server of ``--pg-url``
  (default ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``) and dropped
  afterwards;
* ``synthetic_draft_text(articles)``: a regulation of that many articles in chapters
  of 30, each article with one to three paragraphs and some items (the shape of the
  real texts in ../shared/data/regulations, at a size only large national laws reach);
* ``insert_opinions(...)``: many opinions at once, from a seeded generator, with a
  realistic skew (a few clauses draw most opinions, one in ten is on the draft as a
  whole), several per account for the signed-in submitters, and a mix of moderation
  states. Inserted with executemany in batches: fast, and not what is measured.
"""
from __future__ import annotations

import contextlib
import random
import sys
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
NUMERALS = "零一二三四五六七八九"
STANCES = ["support", "oppose", "amend", "add", "delete", "other"]
STANCE_WEIGHTS = [20, 15, 40, 10, 5, 10]
CATEGORIES = ["citizen", "deputy", "liaison_point", "organisation", "expert", "enterprise", "lawyer"]
CATEGORY_WEIGHTS = [70, 5, 5, 8, 4, 5, 3]
REGIONS = ["东城区", "西城区", "南湖区", "北岸区", "高新区", "经开区", "滨江区", "城关镇"]


def chinese_number(n: int) -> str:
    """1 → 一, 12 → 十二, 300 → 三百 (enough for article numbers up to 9999)."""
    if n < 10:
        return NUMERALS[n]
    parts = []
    for value, unit in ((1000, "千"), (100, "百"), (10, "十")):
        digit, n = divmod(n, value)
        if digit:
            parts.append(("" if unit == "十" and digit == 1 and not parts else NUMERALS[digit]) + unit)
        elif parts and n:
            if not parts[-1].endswith("零"):
                parts.append("零")
    if n:
        parts.append(NUMERALS[n])
    return "".join(parts)


def synthetic_draft_text(articles: int, *, per_chapter: int = 30, seed: int = 1) -> str:
    rng = random.Random(seed)
    lines = ["# 某市基准测试条例（草案）", ""]
    for number in range(1, articles + 1):
        if (number - 1) % per_chapter == 0:
            chapter = (number - 1) // per_chapter + 1
            lines += [f"## 第{chinese_number(chapter)}章 第{chapter}部分", ""]
        lines += [f"第{chinese_number(number)}条 本条规定第{number}项管理事项的具体要求。", ""]
        for _paragraph in range(rng.choice((0, 0, 1, 2))):
            lines += ["有关部门应当依照前款规定履行职责，并向社会公开。", ""]
        if rng.random() < 0.3:
            lines += ["主管部门履行下列职责：", ""]
            for item in range(1, rng.randint(2, 5) + 1):
                lines += [f"（{chinese_number(item)}）第{item}项职责；", ""]
    return "\n".join(lines)


def postgres_reachable(pg_url: str = DEFAULT_PG_URL) -> bool:
    """Whether the PostgreSQL server of ``pg_url`` answers (benchmarks skip it if not)."""
    from sqlalchemy import create_engine

    try:
        engine = create_engine(pg_url, connect_args={"connect_timeout": 2})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not here"
        return False


@contextlib.contextmanager
def empty_postgres_database(pg_url: str = DEFAULT_PG_URL):
    """Yield the URL of a new, empty database on the server of ``pg_url``; drop it
    afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    server = make_url(pg_url)
    name = f"lpp_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def scratch_database(kind: str, pg_url: str = DEFAULT_PG_URL):
    """Yield the URL of a migrated, empty database; remove it afterwards."""
    with tempfile.TemporaryDirectory(prefix="lpp-bench-") as tmp:
        if kind == "sqlite":
            url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
            _migrate(url, tmp)
            yield url, tmp
            return
        with empty_postgres_database(pg_url) as url:
            _migrate(url, tmp)
            yield url, tmp


def bench_config(url: str, instance: str, **extra) -> dict:
    return {
        "INSTANCE_PATH": instance, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
        "RATELIMIT_ENABLED": False, "SEARCH_ENABLED": False, "SERVER_NAME": None, **extra,
    }


def _migrate(url: str, instance: str) -> None:
    from flask_migrate import upgrade

    from app import create_app
    from participation.extensions import db

    app = create_app(bench_config(url, instance))
    with app.app_context():
        upgrade()
        db.engine.dispose()


def make_draft(articles: int, *, now, days: int = 30, shows_opinions_publicly: bool = True):
    """Import and publish the synthetic draft (in the caller's app context); commits."""
    from participation.extensions import db
    from participation.parsing import parse_text
    from participation.services import drafts as draft_service

    text = synthetic_draft_text(articles)
    document = parse_text(text)
    draft = draft_service.import_draft(title=f"基准测试条例（{articles}条）", document=document, source_format="text",
                                       source_filename="", source_bytes=text.encode(), created_by=None)
    draft_service.publish_draft(draft, opens_at=now, closes_at=now + timedelta(days=days), now=now)
    draft.shows_opinions_publicly = shows_opinions_publicly
    db.session.commit()
    return draft


def insert_opinions(draft, count: int, *, seed: int = 20260301, now, provision_ids: list[int] | None = None,
                    whole_draft_share: float = 0.1, batch: int = 5000) -> None:
    """``count`` opinions on ``draft`` (its current version), spread over
    ``provision_ids`` (default: every commentable provision, Zipf-skewed) or, with
    ``whole_draft_share``, on the draft as a whole. Commits."""
    from sqlalchemy import select

    from participation.extensions import db
    from participation.models import Opinion, Provision
    from participation.models.provisions import COMMENTABLE_KINDS

    rng = random.Random(seed)
    version = draft.current_version
    if provision_ids is None:
        rows = db.session.execute(
            select(Provision.id, Provision.key, Provision.kind).where(Provision.version_id == version.id)
            .order_by(Provision.position)
        ).all()
        targets = [(row.id, row.key) for row in rows if row.kind in COMMENTABLE_KINDS]
    else:
        keys = dict(db.session.execute(select(Provision.id, Provision.key).where(Provision.id.in_(provision_ids))).all())
        targets = [(pid, keys[pid]) for pid in provision_ids]
    order = targets[:]
    rng.shuffle(order)
    weights = [1 / (rank + 1) for rank in range(len(order))]  # Zipf: a few clauses draw most
    table = Opinion.__table__
    start = now - timedelta(days=20)
    rows = []
    prefix = uuid.uuid4().hex[:6].upper()
    for n in range(count):
        if rng.random() < whole_draft_share:
            provision_id = provision_key = None
        else:
            provision_id, provision_key = rng.choices(order, weights)[0]
        # 40% from 3,000 accounts (several opinions each), the rest anonymous.
        submitter = f"u:{rng.randrange(3000)}" if rng.random() < 0.4 else f"anon:{prefix}{n}"
        roll = rng.random()
        state = "published" if roll < 0.85 else "pending" if roll < 0.95 else "hidden"
        rows.append({
            "draft_id": draft.id, "version_id": version.id, "provision_id": provision_id,
            "provision_key": provision_key,
            "stance": rng.choices(STANCES, STANCE_WEIGHTS)[0],
            "body": f"关于本条的第{n}条意见：建议进一步明确责任主体和办理时限。",
            "proposed_text": "", "reason": "", "category": rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0],
            "region": rng.choice(REGIONS), "submitter_name": "", "is_name_public": False, "contact": "",
            "author_id": None, "submitter_key": submitter, "delegation": None, "liaison_point_id": None,
            "represented_count": rng.choice((1, 1, 1, 1, 1, 1, 1, 1, 1, 12)), "moderation_state": state,
            "hidden_reason": "重复" if state == "hidden" else "", "moderated_at": None, "moderated_by_id": None,
            "receipt_code": f"B{prefix[:3]}-{n // 10000:04d}-{n % 10000:04d}", "submission_token": None,
            "created_at": start + timedelta(seconds=n * 17 + rng.randrange(17)),
        })
        if len(rows) >= batch:
            _insert_rows(table, rows)
            rows = []
    if rows:
        _insert_rows(table, rows)
    db.session.commit()


def _insert_rows(table, rows: list[dict]) -> None:
    """Multi-row INSERT statements, not an executemany: asking for the ids makes
    SQLAlchemy send up to 1,000 rows a statement ("insertmanyvalues"). On PostgreSQL
    the tally trigger runs once per statement, so an executemany (one statement a row)
    took about 3 ms a row; this is how liaison batches insert too."""
    from participation.extensions import db

    db.session.execute(table.insert().returning(table.c.id), rows)


def analyze(url: str) -> None:
    """Refresh the planner's statistics, as autovacuum/ANALYZE would after a load."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    engine.dispose()
