"""The database's write lock held by another connection for a few seconds while
citizens submit opinions through the real server (gunicorn, 2 workers).

On SQLite the holder is a plain ``sqlite3`` connection in ``BEGIN IMMEDIATE`` (what a
``flask`` command or a second app writing to the same file does); on PostgreSQL a
transaction holding ``LOCK TABLE opinions IN EXCLUSIVE MODE`` (reads go on, every
INSERT waits). The documented behaviour (participation/database.py) is to wait: the
busy timeout is 60 s on SQLite and PostgreSQL waits for locks without limit. So no
submission is answered while the lock is held (5 s), every one is answered once it is
released — 201, or a clean 503 with Retry-After should the app ever refuse instead of
waiting, never a 500 — and every 2xx receipt is stored exactly once. (A lock held past
the wait answers 503 with Retry-After: tests/opinions/test_database_busy.py.)
"""
from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from tests.live_opinions import Server, seed, stored_opinions, submit_concurrently

pytestmark = pytest.mark.slow

CLIENTS, PER_CLIENT = 4, 5
HOLD_SECONDS = 5.0


class HeldWriteLock:
    """The database's write lock, taken by a connection of its own on entry."""

    def __init__(self, database_url: str):
        self.url = make_url(database_url)

    def __enter__(self):
        if self.url.get_backend_name() == "sqlite":
            self.connection = sqlite3.connect(self.url.database, isolation_level=None, timeout=30)
            self.connection.execute("BEGIN IMMEDIATE")
            self.release = lambda: self.connection.execute("ROLLBACK")
        else:
            self.engine = create_engine(self.url, poolclass=NullPool)
            self.connection = self.engine.connect()
            self.transaction = self.connection.begin()
            self.connection.execute(text("LOCK TABLE opinions IN EXCLUSIVE MODE"))
            self.release = self.transaction.rollback
        return self

    def __exit__(self, *exc):
        try:
            self.release()
        finally:
            self.connection.close()
            if self.url.get_backend_name() != "sqlite":
                self.engine.dispose()


def test_submissions_wait_for_a_held_write_lock(app, database_url, tmp_path, make_draft, make_user):
    seeded = seed(make_draft, make_user, submitters=CLIENTS)
    answers: list = []
    failures: list[BaseException] = []

    def submit() -> None:
        try:
            answers.extend(submit_concurrently(server, seeded["draft"], seeded["tokens"], PER_CLIENT,
                                               "井盖松动意见：第{c}组第{n}条。", allowed=(201, 503)))
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    with Server(database_url, app.instance_path, tmp_path / "gunicorn.log",
                  env={"SEARCH_INDEXER": "off"}) as server:
        sender = threading.Thread(target=submit)
        with HeldWriteLock(database_url):
            sender.start()
            time.sleep(HOLD_SECONDS)
            answered_while_held = len(answers)
        sender.join(timeout=90)
        assert not sender.is_alive() and not failures, (failures, server.log())

    assert answered_while_held == 0  # nothing could be written: the lock was real
    assert len(answers) == CLIENTS * PER_CLIENT
    refused = [headers for status, headers, _body in answers if status == 503]
    assert all(headers.get("Retry-After") for headers in refused)
    receipts = [body["receipt"] for status, _headers, body in answers if status == 201]
    stored = stored_opinions()
    assert sorted(receipts) == sorted(row[1] for row in stored)  # each 2xx stored once, nothing else
    assert len({row[2] for row in stored}) == len(stored)  # no body twice
