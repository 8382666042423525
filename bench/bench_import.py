"""Importing the Civil Code as a draft end to end: parse, validate and store the
provision tree, on the embedded SQLite and (when reachable) on PostgreSQL.

Run from the repository root:  .venv/bin/python bench/bench_import.py [--runs 5]
Each run imports into a freshly migrated database and commits, as the staff upload
and `flask drafts import` do. Prints each run and the median.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import create_engine, func, select, text  # noqa: E402

CIVIL_CODE = REPO / ".." / "shared" / "data" / "regulations" / "national-civil-code.md"
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def import_once(database_url: str, instance: Path, data: bytes) -> tuple[float, int]:
    from flask_migrate import upgrade

    from app import create_app
    from participation.extensions import db
    from participation.models import Provision
    from participation.services import drafts

    app = create_app({"INSTANCE_PATH": str(instance), "SQLALCHEMY_DATABASE_URI": database_url,
                      "SECRET_KEY": "bench", "SEARCH_INDEXER": "off"})
    with app.app_context():
        upgrade()
        start = time.perf_counter()
        document, source_format, filename, raw = drafts.parse_source(
            filename="national-civil-code.md", data=data, text=None)
        draft = drafts.import_draft(title="中华人民共和国民法典", document=document, source_format=source_format,
                                    source_filename=filename, source_bytes=raw, created_by=None)
        db.session.commit()
        elapsed = time.perf_counter() - start
        rows = db.session.scalar(select(func.count()).select_from(Provision)
                                 .where(Provision.version_id == draft.current_version.id))
        db.session.remove()
        db.engine.dispose()
    return elapsed * 1000, rows


def postgres_reachable() -> bool:
    try:
        engine = create_engine(POSTGRES, connect_args={"connect_timeout": 2})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not here"
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not CIVIL_CODE.exists():
        print(f"{CIVIL_CODE.resolve()} not found", file=sys.stderr)
        return 1
    data = CIVIL_CODE.read_bytes()
    backends = ["sqlite"] + (["postgresql"] if postgres_reachable() else [])
    for backend in backends:
        times = []
        for run in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                instance = Path(tmp)
                if backend == "sqlite":
                    ms, rows = import_once(f"sqlite:///{instance / 'bench.sqlite3'}", instance, data)
                else:
                    name = f"bench_import_{uuid.uuid4().hex[:8]}"
                    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
                    with admin.connect() as conn:
                        conn.execute(text(f'CREATE DATABASE "{name}"'))
                    try:
                        ms, rows = import_once(POSTGRES.rsplit("/", 1)[0] + f"/{name}", instance, data)
                    finally:
                        with admin.connect() as conn:
                            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                        admin.dispose()
            times.append(ms)
            print(f"{backend:10} run {run + 1}: {ms:7.1f} ms  ({rows} provisions stored)")
        print(f"{backend:10} median {statistics.median(times):.1f} ms over {args.runs} runs\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
