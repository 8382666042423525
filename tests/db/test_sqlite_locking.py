"""Concurrent write requests on the embedded SQLite never fail with "database is locked"."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, text

from participation.extensions import db
from participation.models import User


@pytest.fixture
def sqlite_only(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite locking behaviour")


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(app, sqlite_only):
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 30000
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_concurrent_read_then_write_requests_all_succeed(app, sqlite_only):
    # Registration reads (is the e-mail taken?) and then writes: the pattern that fails
    # with SQLITE_BUSY under deferred transactions when another writer commits between.
    threads_count, per_thread = 6, 4
    statuses: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads_count)

    def worker(n: int) -> None:
        client = app.test_client()
        try:
            barrier.wait()
            for i in range(per_thread):
                response = client.post("/register", data={
                    "email": f"t{n}-{i}@example.org", "password": "long enough pw", "confirm": "long enough pw",
                })
                statuses.append(response.status_code)
                client.post("/logout")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert statuses == [302] * (threads_count * per_thread)
    assert db.session.scalar(select(func.count()).select_from(User)) == threads_count * per_thread
