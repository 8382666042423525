"""A batch is stored in one transaction: a process killed (SIGKILL, no cleanup of any
kind) in the middle of an import leaves no partial batch, and the same file can be
imported afterwards.

Two ways: a real subprocess running the import as the confirm step does, killed at a
chosen point (after the batch row, or after all its opinions, before the commit); and
a gunicorn worker killed at moments while it serves an API upload of 3,000 rows.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bench.batch_data import csv_bytes, excel_like_xlsx, generate_rows
from participation.extensions import db
from participation.models import Batch, Opinion
from tests.live_opinions import children
from tests.resources import REPO_ROOT

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow

IMPORTER = textwrap.dedent("""
    import sys, time
    from datetime import date
    from sqlalchemy import event
    from app import create_app
    from participation import clock
    from participation.extensions import db
    from participation.models import Draft, LiaisonPoint, User
    from participation import batches

    database_url, instance, path, pause_after = sys.argv[1:5]
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": instance,
                      "SECRET_KEY": "kill-test", "SEARCH_INDEXER": "off"})
    with app.app_context():
        @event.listens_for(db.engine, "after_cursor_execute")
        def pause(conn, cursor, statement, parameters, context, executemany):
            if statement.lstrip().upper().startswith("INSERT INTO " + pause_after.upper()):
                print("PAUSED", flush=True)
                time.sleep(600)

        data = open(path, "rb").read()
        point = db.session.get(LiaisonPoint, 1)
        draft = db.session.get(Draft, 1)
        user = db.session.get(User, 1)
        activity = batches.Activity(kind="forum", date=date(2026, 1, 5))
        checked = batches.check(batches.FileSource(data, "x.xlsx"), draft, point)
        batch, created = batches.store(checked, activity, user, clock.now())
        db.session.commit()
        print("COMMITTED", batch.id, flush=True)
""")


def _counts() -> tuple[int, int]:
    db.session.rollback()
    counts = (db.session.scalar(select(func.count()).select_from(Batch)),
              db.session.scalar(select(func.count()).select_from(Opinion)))
    db.session.rollback()  # hold no lock the other processes would wait for
    return counts


@pytest.fixture
def setting(app, database_url, tmp_path, operator, point, draft):
    """The database with a point (id 1), its operator (id 1) and an open draft (id 1)."""
    assert (operator.id, point.id, draft.id) == (1, 1, 1)
    citations = ["第一条", "第三条第（三）项", "第二条第二款", "总体意见"]
    path = tmp_path / "table.xlsx"
    path.write_bytes(excel_like_xlsx(generate_rows(3000, citations)))
    # Reading the ids began a transaction (a write one, on SQLite, outside a request):
    # end it, or the other processes would wait for its lock.
    db.session.rollback()
    return database_url, path


@pytest.mark.parametrize("pause_after", ["liaison_batches", "opinions"])
def test_a_killed_import_leaves_nothing(app, setting, tmp_path, pause_after):
    database_url, path = setting
    script = tmp_path / "importer.py"
    script.write_text(IMPORTER)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.Popen(
        [sys.executable, str(script), database_url, str(tmp_path / "instance"), str(path), pause_after],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert line.strip() == "PAUSED", line + process.stderr.read()
        # Rows are written (uncommitted) and the transaction is open: kill it outright.
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
    assert _counts() == (0, 0)

    # Nothing half-done stands in the way: the same file imports whole afterwards.
    finish = IMPORTER.replace("if statement.lstrip()", "if False and statement.lstrip()")
    script.write_text(finish)
    result = subprocess.run(
        [sys.executable, str(script), database_url, str(tmp_path / "instance"), str(path), pause_after],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.startswith("COMMITTED"), result.stderr[-2000:]
    assert _counts() == (1, 3000)


def test_a_gunicorn_worker_killed_while_serving_an_upload(app, setting, tmp_path, operator):
    """Kill the worker at several moments of a 3,000-row upload; after each kill the
    batch is either whole or absent, and the respawned worker takes the upload."""
    import requests

    from participation.services import accounts

    database_url, _path = setting
    _token, secret = accounts.issue_api_token(operator, name="kill")
    db.session.commit()
    db.session.rollback()
    data = csv_bytes(generate_rows(3000, ["第一条", "总体意见"], seed=7))
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY",)}
    env.update({"DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "gunicorn"), "SECRET_KEY": "kill",
                "SEARCH_INDEXER": "off", "RATELIMIT_ENABLED": "0"})
    port = _free_port()
    log = open(tmp_path / "gunicorn.log", "w")
    master = subprocess.Popen([str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1",
                               "--timeout", "120", "app:app"], cwd=REPO_ROOT, env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/api/v1/liaison-points/1/batches"
    headers = {"Authorization": f"Bearer {secret}"}
    try:
        _wait_until_serving(port, master)
        for delay in (0.2, 0.6, 1.2):
            workers = children(master.pid)
            assert workers
            sender = _async_post(url, headers, data)
            time.sleep(delay)
            for worker in workers:
                os.kill(worker, signal.SIGKILL)
            sender.join(timeout=60)
            batches, opinions = _counts()
            assert (batches, opinions) in ((0, 0), (1, 3000)), (delay, batches, opinions)
            if batches:
                break
            _wait_until_serving(port, master)
        _wait_until_serving(port, master)
        response = requests.post(url, headers=headers, data={"draft": "1", "kind": "forum", "date": "2026-01-05"},
                                 files={"file": ("意见.csv", data)}, timeout=120)
        assert response.status_code in (200, 201), response.text[:500]
        assert _counts() == (1, 3000)
    finally:
        master.terminate()
        try:
            master.wait(timeout=15)
        except subprocess.TimeoutExpired:
            master.kill()
        log.close()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_serving(port: int, master) -> None:
    import urllib.request

    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return
        except OSError:
            if master.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn is not serving")
            time.sleep(0.2)


def _async_post(url, headers, data):
    import threading

    import requests

    def send():
        try:
            requests.post(url, headers=headers, data={"draft": "1", "kind": "forum", "date": "2026-01-05"},
                          files={"file": ("意见.csv", data)}, timeout=60)
        except requests.RequestException:
            pass  # the worker was killed under it

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread
