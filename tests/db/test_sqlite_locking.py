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


def _run_in_threads(count: int, work) -> list[BaseException]:
    """Run ``work(n)`` for n in range(count), each in its own thread, all released at
    once; the exceptions they raised."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run(n: int) -> None:
        try:
            barrier.wait()
            work(n)
        except BaseException as exc:  # noqa: BLE001 - reported to the caller
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


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

    def worker(n: int) -> None:
        client = app.test_client()
        for i in range(per_thread):
            response = client.post("/register", data={
                "email": f"t{n}-{i}@example.org", "password": "long enough pw", "confirm": "long enough pw",
            })
            statuses.append(response.status_code)
            client.post("/logout")

    assert _run_in_threads(threads_count, worker) == []
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
    from participation.database import begin_write_phase

    db.session.add(User(email="pending@example.org", password_hash="x", role="citizen", display_name="x"))
    with pytest.raises(RuntimeError):
        begin_write_phase(db.session())
    db.session.rollback()


def test_a_late_write_view_reads_outside_any_transaction_then_holds_the_write_lock(app, sqlite_only):
    """A view marked ``write_lock_late`` (the comment API) reads in autocommit mode: no
    BEGIN, so no snapshot or lock is held while it looks things up. ``begin_write_phase``
    then turns the same session transaction into one holding SQLite's write lock."""
    import sqlite3

    from sqlalchemy.orm import Session

    from participation.database import begin_write_phase

    db.session.commit()
    with app.test_request_context("/api/v1/drafts/1/comments", method="POST"), Session(db.engine) as session:
        session.scalar(select(func.count()).select_from(User))
        connection = session.connection()
        raw = connection.connection.dbapi_connection
        assert not raw.in_transaction
        begin_write_phase(session)
        assert session.connection() is connection and raw.in_transaction
        other = sqlite3.connect(db.engine.url.database, timeout=0.05, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            session.add(User(email="late@example.org", password_hash="x", role="citizen", display_name="x",
                             session_nonce="n" * 32))
            session.commit()
            assert not raw.in_transaction
            other.execute("BEGIN IMMEDIATE")  # the lock was given back with the COMMIT
            other.execute("ROLLBACK")
        finally:
            other.close()
    assert db.session.scalar(select(func.count()).select_from(User).where(User.email == "late@example.org")) == 1


def test_reads_in_autocommit_end_with_their_transaction(app, sqlite_only):
    """A read phase that ends without writing (a 404, a refusal) leaves nothing behind on
    the pooled connection: the next transaction on it begins as its own request asks."""
    from participation.database import _READS_IN_AUTOCOMMIT

    with app.test_request_context("/api/v1/drafts/1/comments", method="POST"), db.engine.connect() as connection:
        connection.execute(select(1))
        assert connection.info[_READS_IN_AUTOCOMMIT]
        connection.rollback()
        assert _READS_IN_AUTOCOMMIT not in connection.info
        connection.execute(select(1))
        connection.commit()
        assert _READS_IN_AUTOCOMMIT not in connection.info
    with app.test_request_context("/healthz"), db.engine.connect() as connection:
        connection.execute(select(1))
        assert connection.connection.dbapi_connection.in_transaction  # a plain BEGIN


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


def _writers_lock_is_free(database: str) -> bool:
    """Whether another process could take the writers' queue file lock now."""
    import fcntl
    import os

    descriptor = os.open(database + "-writers.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(descriptor)  # closing releases a lock taken here
    return True


@pytest.mark.parametrize("ending", ["commit", "rollback"])
def test_a_write_transaction_holds_the_writers_queue_until_it_ends(app, sqlite_only, ending):
    """Other processes queue on a file lock while a write transaction runs, and get it
    back as soon as it commits or rolls back."""
    database = db.engine.url.database
    with db.engine.connect() as connection:
        transaction = connection.begin()  # BEGIN IMMEDIATE
        connection.execute(text("UPDATE users SET display_name = display_name"))
        assert not _writers_lock_is_free(database)
        getattr(transaction, ending)()
        assert _writers_lock_is_free(database)
        with connection.begin():
            assert not _writers_lock_is_free(database)
    assert _writers_lock_is_free(database)


def test_reads_do_not_queue_with_the_writers(app, sqlite_only):
    from participation.database import read_transaction

    with read_transaction(), db.engine.connect() as connection, connection.begin():
        connection.execute(text("SELECT count(*) FROM users")).scalar()
        assert _writers_lock_is_free(db.engine.url.database)


def test_threads_take_turns_and_all_write(app, sqlite_only):
    """Threads of one process wait for their turn instead of polling SQLite's lock,
    and every write lands."""
    threads_count, per_thread = 6, 20
    engine = db.engine

    def worker(n: int) -> None:
        for i in range(per_thread):
            with engine.connect() as connection, connection.begin():
                connection.execute(text(
                    "INSERT INTO users (email, password_hash, display_name, role, is_enabled, session_nonce, "
                    "created_at) VALUES (:email, 'x', 'x', 'citizen', 1, 'n', '2026-01-01 00:00:00')"
                ), {"email": f"turns{n}-{i}@example.org"})

    assert _run_in_threads(threads_count, worker) == []
    assert _writers_lock_is_free(db.engine.url.database)
    assert db.session.scalar(select(func.count()).select_from(User)) == threads_count * per_thread


def test_a_second_write_connection_in_the_same_thread_does_not_wait_for_itself(app, sqlite_only):
    """A thread that holds the turn and begins a write on another connection meets
    SQLite's busy timeout, as without the queue, instead of waiting on itself."""
    import time

    from sqlalchemy.exc import OperationalError

    with db.engine.connect() as first, first.begin():
        first.execute(text("UPDATE users SET display_name = display_name"))
        with db.engine.connect() as second:
            second.connection.dbapi_connection.execute("PRAGMA busy_timeout=100")
            started = time.monotonic()
            with pytest.raises(OperationalError, match="locked"):
                second.begin()
                second.execute(text("SELECT 1"))
            assert time.monotonic() - started < 5
    assert _writers_lock_is_free(db.engine.url.database)


def test_a_failed_commit_gives_the_turn_back_and_raises_as_sqlalchemy_would(app, sqlite_only):
    from sqlalchemy.exc import IntegrityError

    with db.engine.connect() as connection:
        transaction = connection.begin()
        # A foreign key checked only at COMMIT: the COMMIT itself fails.
        connection.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
        connection.exec_driver_sql(
            "INSERT INTO api_tokens (user_id, token_digest, prefix, name, created_at) "
            "VALUES (999999, 'digest', 'lpp_', 'orphan', '2026-01-01 00:00:00')")
        with pytest.raises(IntegrityError, match="FOREIGN KEY"):
            transaction.commit()
        assert _writers_lock_is_free(db.engine.url.database)
        connection.rollback()
        assert connection.exec_driver_sql("SELECT count(*) FROM api_tokens").scalar() == 0


def test_a_forked_worker_queues_against_its_parent(app, sqlite_only):
    """A gunicorn worker is forked from the process that loaded the app: it must queue
    on the file lock against the parent, not share the parent's lock and descriptor."""
    import os

    database = db.engine.url.database
    engine = db.engine
    with engine.connect() as connection, connection.begin():  # the parent has the turn
        connection.execute(text("UPDATE users SET display_name = display_name"))
        pid = os.fork()
        if pid == 0:  # the child: its queue starts empty, so the file lock is not its own
            try:
                from participation import database as plumbing

                os._exit(0 if not plumbing._writer_queues and not _writers_lock_is_free(database) else 1)
            except BaseException:  # noqa: BLE001 - any failure is a failed check
                os._exit(2)
        _pid, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
