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


def test_api_submissions_take_the_write_lock_only_to_write(app, sqlite_only, make_draft, make_user, frozen_now):
    """The comment API reads without the write lock and writes in a transaction that
    holds it from BEGIN: concurrent submissions all succeed while another connection
    holds the lock for a while, and each is stored exactly once."""
    from participation.models import Opinion
    from participation.services import accounts

    draft = make_draft(published=True)
    secrets = []
    for n in range(4):
        _token, secret = accounts.issue_api_token(make_user("citizen"), name=f"t{n}")
        secrets.append(secret)
    draft_id = draft.id
    db.session.commit()  # and leave the test's session idle: it must not hold the lock
    threads_count, per_thread = 4, 5
    statuses: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads_count + 1)

    def worker(n: int) -> None:
        client = app.test_client()
        try:
            barrier.wait()
            for i in range(per_thread):
                response = client.post(f"/api/v1/drafts/{draft_id}/comments",
                                       json={"body": f"意见 {n}-{i}", "stance": "amend", "provision": "art.1"},
                                       headers={"Authorization": f"Bearer {secrets[n]}"})
                statuses.append(response.status_code)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    # Another writer holds the lock while the first requests arrive: they wait, not fail.
    with db.engine.connect() as holder, holder.begin():  # BEGIN IMMEDIATE (no request)
        barrier.wait()
        threading.Event().wait(0.3)
    for thread in threads:
        thread.join()

    assert errors == []
    assert statuses == [201] * (threads_count * per_thread)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Opinion)) == threads_count * per_thread


def test_a_read_phase_with_pending_changes_is_refused(app):
    from participation.database import end_read_phase

    db.session.add(User(email="pending@example.org", password_hash="x", role="citizen", display_name="x"))
    with pytest.raises(RuntimeError):
        end_read_phase(db.session())
    db.session.rollback()


def test_an_api_submission_reads_without_waiting_for_the_write_lock(app, sqlite_only, make_user):
    """While another connection holds the write lock, a submission that fails in its read
    phase (no such draft) is answered at once: it never asked for the lock."""
    from participation import clock
    from participation.services import accounts

    token, secret = accounts.issue_api_token(make_user("citizen"), name="t")
    token.last_used_at = clock.now()  # no bookkeeping write either
    db.session.commit()
    answers: list[int] = []

    def submit() -> None:
        response = app.test_client().post("/api/v1/drafts/999999/comments", json={"body": "意见", "stance": "amend"},
                                          headers={"Authorization": f"Bearer {secret}"})
        answers.append(response.status_code)

    with db.engine.connect() as holder, holder.begin():  # BEGIN IMMEDIATE (no request)
        thread = threading.Thread(target=submit)
        thread.start()
        thread.join(timeout=5)
        answered_while_locked = list(answers)
    thread.join()
    assert answered_while_locked == [404]
