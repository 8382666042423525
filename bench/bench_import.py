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
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import func, select  # noqa: E402

from bench.opinion_data import empty_postgres_database, postgres_reachable  # noqa: E402

CIVIL_CODE = REPO / ".." / "shared" / "data" / "regulations" / "national-civil-code.md"


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
                    with empty_postgres_database() as url:
                        ms, rows = import_once(url, instance, data)
            times.append(ms)
            print(f"{backend:10} run {run + 1}: {ms:7.1f} ms  ({rows} provisions stored)")
        print(f"{backend:10} median {statistics.median(times):.1f} ms over {args.runs} runs\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
