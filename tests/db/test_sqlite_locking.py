"""Concurrent write requests on the embedded SQLite never fail with "database is locked":
how units of work begin their transactions there (participation/database.py)."""
from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.exc import OperationalError

from participation import database
from participation.database import SQLITE_BUSY_TIMEOUT_SECONDS, connect
from participation.extensions import db
from participation.models import User
from participation.unit_of_work import reading, writing


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
                "privacy_consent": "y",
            })
            statuses.append(response.status_code)
            client.post("/logout")

    assert _run_in_threads(threads_count, worker) == []
    assert statuses == [302] * (threads_count * per_thread)
    assert db.session.scalar(select(func.count()).select_from(User)) == threads_count * per_thread


def test_api_submissions_all_succeed_while_another_writer_holds_the_lock(app, sqlite_only, make_draft, make_user,
                                                                         frozen_now):
    """The comment API writes in a transaction that holds the write lock from BEGIN:
    concurrent submissions all succeed while another connection holds the lock for a
    while, and each is stored exactly once."""
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
    with connect(db.engine, write=True) as holder, holder.begin():  # BEGIN IMMEDIATE
        barrier.wait()
        threading.Event().wait(0.3)
    for thread in threads:
        thread.join()

    assert errors == []
    assert statuses == [201] * (threads_count * per_thread)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Opinion)) == threads_count * per_thread


def _lock_is_free(database: str) -> bool:
    """Whether another connection could take SQLite's write lock now."""
    other = sqlite3.connect(database, timeout=0.05, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()


def test_a_write_unit_holds_the_write_lock_from_its_begin_until_its_commit(app, sqlite_only):
    db.session.commit()
    database = db.engine.url.database
    with writing():
        db.session.scalar(select(func.count()).select_from(User))
        assert not _lock_is_free(database)
        db.session.add(User(email="w@example.org", password_hash="x", role="citizen", display_name="x",
                            session_nonce="n" * 32))
        db.session.commit()
        assert _lock_is_free(database)
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_a_read_unit_takes_no_lock_and_refuses_writes(app, sqlite_only):
    db.session.commit()
    with reading():
        db.session.scalar(select(func.count()).select_from(User))
        assert _lock_is_free(db.engine.url.database)
        with pytest.raises(OperationalError, match="readonly"):
            db.session.execute(text("UPDATE users SET display_name = display_name"))
    # The next transaction on the pooled connection may write again.
    with writing():
        db.session.execute(text("UPDATE users SET display_name = display_name"))
        db.session.commit()


def test_a_read_unit_over_an_open_transaction_refuses_writes_from_then_on(app, sqlite_only):
    db.session.commit()
    db.session.scalar(select(func.count()).select_from(User))  # begun before the unit: undeclared
    db.session.execute(text("UPDATE users SET display_name = display_name"))  # may write (deferred)
    with reading():
        with pytest.raises(OperationalError, match="readonly"):
            db.session.execute(text("UPDATE users SET display_name = display_name"))


def test_a_write_unit_over_a_read_transaction_begun_before_it_takes_the_lock(app, sqlite_only):
    """A before_request hook looked up the signed-in account: the write unit ends that
    read (keeping the loaded objects) and begins a transaction holding the lock."""
    user = User(email="early@example.org", password_hash="x", role="citizen", display_name="早", session_nonce="n")
    db.session.add(user)
    db.session.commit()
    loaded = db.session.get(User, user.id)
    assert db.session().in_transaction() and _lock_is_free(db.engine.url.database)
    with writing():
        assert "display_name" in loaded.__dict__  # not expired by ending the read
        assert not _lock_is_free(db.engine.url.database)
        loaded.display_name = "晚"
        db.session.commit()
    assert db.session.scalar(select(User.display_name)) == "晚"


def test_a_write_unit_over_pending_changes_is_refused(app):
    db.session.scalar(select(func.count()).select_from(User))
    db.session.add(User(email="pending@example.org", password_hash="x", role="citizen", display_name="x"))
    if db.engine.dialect.name == "sqlite":
        with pytest.raises(RuntimeError):
            with writing():
                pass
    db.session.rollback()


def test_an_api_submission_refused_in_its_read_unit_does_not_wait_for_the_write_lock(app, sqlite_only, make_user):
    """While another connection holds the write lock, a submission that fails in its read
    unit (no such draft) is answered at once: it never asked for the lock."""
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

    with connect(db.engine, write=True) as holder, holder.begin():
        thread = threading.Thread(target=submit)
        thread.start()
        thread.join(timeout=5)
        answered_while_locked = list(answers)
    thread.join()
    assert answered_while_locked == [404]


def test_concurrent_write_connections_all_land(app, sqlite_only):
    """Threads writing at once through connections of their own wait for each other in
    SQLite's busy handler, and every write lands."""
    threads_count, per_thread = 6, 20
    engine = db.engine

    def worker(n: int) -> None:
        for i in range(per_thread):
            with connect(engine, write=True) as connection, connection.begin():
                connection.execute(text(
                    "INSERT INTO users (email, password_hash, display_name, role, is_enabled, session_nonce, "
                    "created_at) VALUES (:email, 'x', 'x', 'citizen', 1, 'n', '2026-01-01 00:00:00')"
                ), {"email": f"turns{n}-{i}@example.org"})

    assert _run_in_threads(threads_count, worker) == []
    assert db.session.scalar(select(func.count()).select_from(User)) == threads_count * per_thread


def test_a_second_write_connection_in_the_same_thread_meets_the_busy_timeout(app, sqlite_only):
    import time

    with connect(db.engine, write=True) as first, first.begin():
        first.execute(text("UPDATE users SET display_name = display_name"))
        with connect(db.engine, write=True) as second:
            second.connection.dbapi_connection.execute("PRAGMA busy_timeout=100")
            started = time.monotonic()
            with pytest.raises(OperationalError, match="locked"):
                second.begin()
                second.execute(text("SELECT 1"))
            assert time.monotonic() - started < 5
            second.connection.dbapi_connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")


def test_a_failed_commit_raises_and_leaves_the_connection_clean(app, sqlite_only):
    from sqlalchemy.exc import IntegrityError

    with connect(db.engine, write=True) as connection:
        transaction = connection.begin()
        # A foreign key checked only at COMMIT: the COMMIT itself fails.
        connection.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
        connection.exec_driver_sql(
            "INSERT INTO api_tokens (user_id, token_digest, prefix, name, created_at) "
            "VALUES (999999, 'digest', 'lpp_', 'orphan', '2026-01-01 00:00:00')")
        with pytest.raises(IntegrityError, match="FOREIGN KEY"):
            transaction.commit()
        connection.rollback()
        assert connection.exec_driver_sql("SELECT count(*) FROM api_tokens").scalar() == 0
    assert _lock_is_free(db.engine.url.database)


def test_the_tuning_is_the_apps_engine_only(app, tmp_path):
    """Another engine in the same process (a tool, a test's own) is a plain SQLAlchemy
    engine: no WAL, no BEGIN chosen for it, no read-only transactions."""
    other = create_engine(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        assert not event.contains(other, "begin", database._begin_sqlite_transaction)
        with connect(other, write=False) as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() != "wal"
            connection.execute(text("CREATE TABLE t (x INTEGER)"))  # a "read" that writes: not refused
            connection.commit()
    finally:
        other.dispose()
    if db.engine.dialect.name == "sqlite":
        assert event.contains(db.engine, "begin", database._begin_sqlite_transaction)


def _turn_is_free(database_path: str) -> bool:
    """Whether another process could take the writers' turn of the file now."""
    import fcntl
    import os

    descriptor = os.open(database_path + "-writers.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(descriptor)  # closing releases a lock taken here
    return True


def test_a_write_unit_holds_the_writers_turn_until_it_ends_even_when_it_fails(app, sqlite_only):
    db.session.commit()
    path = db.engine.url.database
    with writing():
        assert not _turn_is_free(path)
        with writing():  # a unit inside a unit of the same thread: no deadlock
            db.session.execute(text("UPDATE users SET display_name = display_name"))
        assert not _turn_is_free(path)
        db.session.commit()
    assert _turn_is_free(path)
    with pytest.raises(RuntimeError), writing():
        raise RuntimeError("the use case failed")
    assert _turn_is_free(path)
    with reading():
        assert _turn_is_free(path)


def _functions_running_in(thread: threading.Thread) -> set[str]:
    import sys

    frame, names = sys._current_frames().get(thread.ident), set()
    while frame is not None:
        names.add(frame.f_code.co_name)
        frame = frame.f_back
    return names


def test_a_thread_waits_for_its_turn_before_it_begins(app, sqlite_only):
    """While one thread writes, another thread's write unit waits on the turn, not in
    SQLite's busy handler: its BEGIN is not even sent until the first unit ends."""
    import time

    db.session.commit()
    go, second_done = threading.Event(), threading.Event()

    def second_writer() -> None:
        with app.app_context():
            go.wait(timeout=30)
            with writing():
                db.session.execute(text("UPDATE users SET display_name = display_name"))
                db.session.commit()
            db.session.remove()
        second_done.set()

    thread = threading.Thread(target=second_writer)
    thread.start()
    try:
        with writing():
            go.set()
            time.sleep(0.3)
            waiting_in = _functions_running_in(thread)
            assert "unit_of_work" in waiting_in
            assert "_begin_sqlite_transaction" not in waiting_in and "_configure_sqlite_connection" not in waiting_in
            assert not second_done.is_set()
            db.session.commit()
        thread.join(timeout=30)
        assert second_done.is_set()
    finally:
        go.set()


def test_a_forked_process_starts_without_the_parents_turns(app, sqlite_only):
    import os

    db.session.commit()
    with writing():
        pid = os.fork()
        if pid == 0:  # the child: a gunicorn worker forked while the parent wrote
            os._exit(0 if database._writer_turns == {} else 1)
        db.session.commit()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_writer_that_waits_past_the_busy_timeout_for_its_turn_goes_on_to_sqlite(app, sqlite_only, monkeypatch):
    """The turn only orders writers; waiting for it is bounded, and past the bound the
    writer reaches SQLite (which answers as it would without the turn) instead of
    failing on the turn itself."""
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_SECONDS", 0.2)
    db.session.commit()
    holding, release = threading.Event(), threading.Event()

    def holder() -> None:
        with app.app_context():
            with writing():
                holding.set()
                release.wait(timeout=30)
                db.session.rollback()
            db.session.remove()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert holding.wait(timeout=30)
        turn = database.writer_turn(db.engine)
        with turn:  # not a TimeoutError: entered without the turn
            assert turn._entered.stack == [False]
        assert turn._entered.stack == []
    finally:
        release.set()
        thread.join(timeout=30)
    with writing():  # the turn is free again for everyone
        db.session.execute(text("UPDATE users SET display_name = display_name"))
        db.session.commit()
