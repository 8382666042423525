"""Liaison-point batches: a 10,000-row table read, validated and stored, and the app
serving pages while it happens.

Run from the repository root:  .venv/bin/python bench/bench_batches.py [--rows 10000] [--runs 3]

1. In process, on the embedded SQLite and (when reachable) on PostgreSQL: for each file
   form (an .xlsx as Excel saves it, an .xlsx as openpyxl writes it, a GBK CSV) the
   time of ``batches.check`` (read the file, check every row), ``batches.store`` (insert
   the batch and its rows) and the commit, as the web confirm step and the API do. Each run
   is a new batch (another seed) into the same database, which grows by 10,000 rows a
   run.
2. Through the real stack: gunicorn as ``make run`` starts it (1 worker, 8 threads) and
   with 2 workers, on a fresh instance with the demo loaded. A client uploads the
   10,000-row .xlsx through the API while another fetches the home page and a draft
   page in a loop; the script prints the upload's time and the page latencies before,
   during and just after it (the search indexer takes in the new rows then).

The goal: under 5 s for the 10,000-row .xlsx, end to end, and pages keep being served.
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


from bench.batch_data import csv_bytes, excel_like_xlsx, generate_rows, openpyxl_xlsx  # noqa: E402
from bench.opinion_data import empty_postgres_database, postgres_reachable  # noqa: E402

BIN = Path(sys.executable).parent
DEMO_PASSWORD = "lifa-demo-2026"
# What people type beside the clause list's own citations.
TYPED_CITATIONS = ["第11条", "第十一条第（三）项", "第11条第1款第4项第2目", "十二条", "第12条第2款", "总体", ""]
FORMS = {
    "xlsx (Excel)": lambda rows: (excel_like_xlsx(rows), "意见.xlsx"),
    "xlsx (openpyxl)": lambda rows: (openpyxl_xlsx(rows), "意见.xlsx"),
    "CSV (GBK)": lambda rows: (csv_bytes(rows, encoding="gbk"), "意见.csv"),
}


def _setup(app):
    """The demo's open draft, a liaison point and its operator."""
    from participation.demo import DEMO_DATA
    from participation.extensions import db
    from participation.models import Role
    from participation.parsing import parse_text
    from participation.services import accounts, liaison
    from participation.services import drafts as draft_service
    from participation.batches.citations import VersionClauses

    text_ = (DEMO_DATA / "eldercare.md").read_text(encoding="utf-8")
    document = parse_text(text_)
    draft = draft_service.import_draft(title=document.title, document=document, source_format="md",
                                       source_filename="eldercare.md", source_bytes=text_.encode(), created_by=None)
    from participation import clock

    now = clock.now()
    draft_service.publish_draft(draft, opens_at=now, closes_at=now + timedelta(days=30), now=now)
    point = liaison.create_liaison_point(name="基准测试联系点")
    operator = accounts.create_user(email="bench-operator@example.org", password="bench-passphrase-2026",
                                    role=Role.OPERATOR, display_name="信息员", liaison_point=point)
    db.session.commit()
    citations = [choice.citation for choice in VersionClauses(draft.current_version.id).choices()] + TYPED_CITATIONS
    return draft, point, operator, citations


def in_process(database_url: str, instance: Path, rows_per_batch: int, runs: int) -> None:
    from flask_migrate import upgrade

    from app import create_app
    from participation import clock
    from participation.extensions import db
    from participation import batches

    app = create_app({"INSTANCE_PATH": str(instance), "SQLALCHEMY_DATABASE_URI": database_url,
                      "SECRET_KEY": "bench", "SEARCH_INDEXER": "off", "BATCH_MAX_ROWS": max(rows_per_batch, 20000)})
    with app.app_context():
        upgrade()
        draft, point, operator, citations = _setup(app)
        activity = batches.Activity(kind="forum", date=date(2026, 1, 5))
        seed = 0
        for form, make in FORMS.items():
            totals = []
            for run in range(runs):
                seed += 1
                data, filename = make(generate_rows(rows_per_batch, citations, seed=seed))
                cpu = time.process_time()
                started = time.perf_counter()
                result = batches.check(batches.FileSource(data, filename), draft, point)
                parsed = time.perf_counter()
                batch, created = batches.store(result, activity, operator, clock.now())
                stored = time.perf_counter()
                db.session.commit()
                done = time.perf_counter()
                assert created and batch.row_count == rows_per_batch
                totals.append(done - started)
                print(f"  {form:16} run {run + 1}: {len(data) / 1024:6.0f} KiB  check {parsed - started:5.2f} s  "
                      f"store {stored - parsed:5.2f} s  commit {done - stored:5.2f} s  "
                      f"total {done - started:5.2f} s (CPU of this process {time.process_time() - cpu:4.2f} s)")
            print(f"  {form:16} median {statistics.median(totals):.2f} s, worst {max(totals):.2f} s\n")
        db.session.remove()
        db.engine.dispose()


# --- through gunicorn -----------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def through_server(rows_per_batch: int, gunicorn_args: list[str]) -> None:
    import requests

    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp)
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
        env.update({"INSTANCE_PATH": str(instance), "RATELIMIT_ENABLED": "0"})
        flask = [str(BIN / "flask"), "--app", "app"]
        for command in (["db", "upgrade"], ["demo", "load"]):
            subprocess.run(flask + command, cwd=REPO, env=env, check=True, capture_output=True, timeout=300)
        token = subprocess.run(flask + ["users", "token", "operator1@demo.example.org"], cwd=REPO, env=env,
                               check=True, capture_output=True, text=True, timeout=60).stdout.split()[-1]
        port = _free_port()
        log = open(instance / "gunicorn.log", "w")
        server = subprocess.Popen([str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", *gunicorn_args,
                                   "--timeout", "120", "app:app"], cwd=REPO, env=env, stdout=log,
                                  stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    requests.get(base + "/healthz", timeout=2)
                    break
                except requests.RequestException:
                    if time.monotonic() > deadline:
                        raise RuntimeError("gunicorn did not start")
                    time.sleep(0.2)
            session = requests.Session()
            drafts = session.get(base + "/api/v1/drafts", timeout=10).json()["items"]
            draft = next(d for d in drafts if d["status"] == "open")
            points = 1  # the demo's first point: operator1's
            provisions = session.get(f"{base}/api/v1/drafts/{draft['id']}", timeout=10).json()
            citations = TYPED_CITATIONS + ["第一条", "第七条", "第十一条第（一）项", "第十二条"]
            data = excel_like_xlsx(generate_rows(rows_per_batch, citations, seed=99))
            assert provisions["id"] == draft["id"]
            pages = ["/", f"/drafts/{draft['id']}"]

            def fetch_pages(until, latencies, failures):
                n = 0
                while not until():
                    started = time.perf_counter()
                    try:
                        response = session.get(base + pages[n % len(pages)], timeout=30)
                        if response.status_code != 200:
                            failures.append(response.status_code)
                    except requests.RequestException as exc:
                        failures.append(repr(exc))
                    latencies.append(time.perf_counter() - started)
                    n += 1
                    time.sleep(0.05)

            for _ in range(5):  # warm up both pages
                for page in pages:
                    session.get(base + page, timeout=10)
            baseline: list[float] = []
            stop_at = time.monotonic() + 3
            fetch_pages(lambda: time.monotonic() > stop_at, baseline, [])

            result: dict = {}

            def upload():
                started = time.perf_counter()
                response = requests.post(
                    f"{base}/api/v1/liaison-points/{points}/batches", headers={"Authorization": f"Bearer {token}"},
                    data={"draft": str(draft["id"]), "kind": "forum", "date": "2026-01-05"},
                    files={"file": ("意见.xlsx", data)}, timeout=120)
                result["seconds"] = time.perf_counter() - started
                result["status"] = response.status_code
                result["rows"] = response.json().get("rows") if response.ok else response.text[:300]

            during: list[float] = []
            failures: list = []
            uploader = threading.Thread(target=upload)
            uploader.start()
            fetch_pages(lambda: not uploader.is_alive(), during, failures)
            uploader.join()
            after: list[float] = []
            stop_at = time.monotonic() + 5
            fetch_pages(lambda: time.monotonic() > stop_at, after, failures)

            print(f"  gunicorn {' '.join(gunicorn_args)}: upload of {rows_per_batch} rows ({len(data) / 1024:.0f} KiB): "
                  f"HTTP {result['status']}, {result['rows']} rows, {result['seconds']:.2f} s")
            for label, values in (("before", baseline), ("during", during), ("after 5 s", after)):
                if values:
                    print(f"    pages {label:10} n={len(values):3}  p50 {1000 * statistics.median(values):6.0f} ms  "
                          f"p95 {1000 * _percentile(values, 95):6.0f} ms  max {1000 * max(values):6.0f} ms")
            print(f"    failed page requests: {len(failures)} {failures[:3] if failures else ''}\n")
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
            log.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-server", action="store_true", help="only the in-process measurements")
    args = parser.parse_args()
    print(f"nproc {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}\n")

    print("In process, SQLite:")
    with tempfile.TemporaryDirectory() as tmp:
        in_process(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", Path(tmp), args.rows, args.runs)
    if postgres_reachable():
        print("In process, PostgreSQL:")
        with empty_postgres_database() as url, tempfile.TemporaryDirectory() as tmp:
            in_process(url, Path(tmp), args.rows, args.runs)
    if not args.skip_server:
        print("Through gunicorn (SQLite, demo instance, search indexer on as by default):")
        through_server(args.rows, ["--workers", "1", "--threads", "8"])
        through_server(args.rows, ["--workers", "2"])
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
