"""Database plumbing shared by every model: the UTC timestamp type and SQLite tuning.

SQLite is the embedded default and must not answer "database is locked" under concurrent
requests. Two things make that true:

* WAL mode and a generous busy timeout, so readers never block writers and a writer waits
  for another writer instead of failing at once;
* write transactions start with ``BEGIN IMMEDIATE``. A deferred transaction that has read
  and then tries to write fails immediately with SQLITE_BUSY (the busy timeout is not
  applied, because waiting could deadlock) when another connection committed in between.
  Taking the write lock at BEGIN avoids that. Read-only requests (GET/HEAD/OPTIONS) keep a
  plain deferred BEGIN so pages never queue behind writers. A write view marked
  ``write_lock_late`` reads in autocommit mode and begins its write with
  ``begin_write_phase()``.

On PostgreSQL such a view reads in autocommit too, and may write with one statement
there (no BEGIN or COMMIT round trips).
"""
from __future__ import annotations

import contextvars
import fcntl
import os
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone

from flask import current_app, has_request_context, request
from sqlalchemy import DateTime, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import Pool
from sqlalchemy.types import TypeDecorator

SQLITE_BUSY_TIMEOUT_SECONDS = 60
#: Retry-After of the 503 answered when the database refuses for a while (a lock held
#: past the busy timeout, a deadlock, a lost connection: SQLAlchemy's OperationalError).
DATABASE_RETRY_AFTER_SECONDS = 5
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# None: decide from the request method; True/False: forced by `write_transaction()`.
_forced_write_intent: contextvars.ContextVar[bool | None] = contextvars.ContextVar(
    "forced_write_intent", default=None
)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes stored as naive UTC on every backend.

    SQLite has no time zone support, so storing UTC and re-attaching the zone on the way
    out keeps comparisons identical on SQLite and PostgreSQL.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; attach a time zone")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


# How a transaction begun now starts on SQLite.
_BEGIN_IMMEDIATE, _BEGIN_DEFERRED, _NO_BEGIN = "immediate", "deferred", "none (reads in autocommit)"


def _begin_mode() -> str:
    forced = _forced_write_intent.get()
    if forced is not None:
        return _BEGIN_IMMEDIATE if forced else _BEGIN_DEFERRED
    if has_request_context():
        if request.method in _SAFE_METHODS:
            return _BEGIN_DEFERRED
        view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
        return _NO_BEGIN if getattr(view, "takes_write_lock_late", False) else _BEGIN_IMMEDIATE
    # CLI commands, background threads: they exist to write.
    return _BEGIN_IMMEDIATE


def wants_write_lock() -> bool:
    """Whether a transaction begun now takes SQLite's write lock at BEGIN."""
    return _begin_mode() == _BEGIN_IMMEDIATE


def write_lock_late(view):
    """Mark a write view whose reads come first: on SQLite its transaction begins
    without a BEGIN, its reads run in autocommit mode (no lock held while it
    authenticates and looks things up), and the view calls ``begin_write_phase()``
    before it writes. That keeps the one-writer lock for the INSERT and COMMIT only, so
    concurrent submissions do their reading in parallel instead of queueing behind each
    other's whole request; and it is still one transaction of the session, not a read
    transaction committed and a second one begun (which cost a tenth of a submission)."""
    view.takes_write_lock_late = True
    return view


def begin_write_phase(session, *, single_statement: bool = False) -> None:
    """For a view marked ``write_lock_late`` that has done its reading: make what the
    session executes next its write.

    * SQLite: the transaction becomes a write transaction holding the write lock from
      now on (``BEGIN IMMEDIATE`` on the same connection). The objects the session
      loaded are kept as they are (the write uses them without reading them again).
    * PostgreSQL: the reads ran in autocommit. With ``single_statement`` the write stays
      there: the caller's write is one statement, which is then its own transaction,
      with no BEGIN and COMMIT round trips, and the row locks it takes (the tally's)
      are released as it ends instead of being held across them. Otherwise autocommit
      ends and the next statement begins one transaction for the rest.

    Nothing may be pending in the session: the reads were not in a transaction, and
    changes made then would not be written under the write lock."""
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("begin_write_phase() with unflushed changes: they would be written without the write lock")
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        connection = session.connection()
        if not single_statement and connection.info.pop(_READS_IN_AUTOCOMMIT, False) \
                and connection.info.pop(_AUTOCOMMIT_SET_HERE, False):
            connection.connection.dbapi_connection.autocommit = False
        return
    if dialect != "sqlite":
        return
    if session.in_transaction():
        connection = session.connection()
        if connection.info.pop(_READS_IN_AUTOCOMMIT, False):
            _begin_immediate(connection)
            return
        # A deferred read transaction (one begun outside such a view, e.g. a session a
        # test shares across requests): end it, keeping the loaded objects, and begin
        # the write below.
        expire_on_commit = session.expire_on_commit
        session.expire_on_commit = False
        try:
            session.commit()
        finally:
            session.expire_on_commit = expire_on_commit
    with write_transaction():
        session.connection()  # BEGIN IMMEDIATE


@contextmanager
def _write_intent(value: bool):
    token = _forced_write_intent.set(value)
    try:
        yield
    finally:
        _forced_write_intent.reset(token)


def write_transaction():
    """Make transactions begun inside this block take SQLite's write lock at BEGIN.

    For the rare write done during a GET request (for example touching a token's
    last-used time) on a separate connection.
    """
    return _write_intent(True)


def read_transaction():
    """Make transactions begun inside this block plain deferred ones, for background
    work that only reads (it must not queue behind writers for the write lock)."""
    return _write_intent(False)


@event.listens_for(Engine, "connect")
def _configure_sqlite_connection(dbapi_connection, connection_record):
    if type(dbapi_connection).__module__.split(".")[0] not in ("sqlite3", "pysqlite2"):
        return
    # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own handling
    # would begin lazily, before our listener can choose IMMEDIATE).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class _WriterQueue:
    """The writers of one SQLite database file, served in turn.

    SQLite lets one connection write at a time; the others wait in its busy handler,
    which polls by sleeping 1, 2, 5, 10 … up to 100 ms and so serves nobody in order:
    under load some submissions waited a second behind others that came later. Writers
    here queue instead, before ``BEGIN IMMEDIATE``, until right after their COMMIT or
    ROLLBACK: the threads of a process on a lock, and one thread per process (the one
    whose turn it is) on an advisory ``flock`` of ``<database>-writers.lock`` with the
    other processes (gunicorn workers, commands). SQLite's lock stays what guarantees
    correctness; the queue only spares writers its sleeps.

    Waiting is bounded by the busy timeout: past it, the writer goes on to SQLite,
    which decides as it would without the queue. A thread that already has the turn
    and begins a second write transaction on another connection does not queue behind
    itself either. A forked process starts with no queues (``_forget_writer_queues``)."""

    def __init__(self, database: str) -> None:
        self._lock_path = database + "-writers.lock"
        self._lock = threading.Lock()
        self._file: int | None = None
        self.holder: int | None = None  # thread ident

    def take(self) -> bool:
        if self.holder == threading.get_ident():
            return False
        deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_SECONDS
        if not self._lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_SECONDS):
            return False
        locked = False
        try:
            locked = self._lock_file(deadline)
        finally:
            if not locked:
                self._lock.release()
        if locked:
            self.holder = threading.get_ident()
        return locked

    def close(self) -> None:
        if self._file is not None:
            os.close(self._file)
            self._file = None

    def _lock_file(self, deadline: float) -> bool:
        try:
            if self._file is None:
                self._file = os.open(self._lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError:
            return False  # read-only directory: SQLite's own handler alone, as before
        delay = 0.0002
        while True:
            try:
                fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                # Another process writes; its transactions last about a millisecond.
                time.sleep(delay)
                delay = min(delay * 2, 0.002)

    def give_back(self) -> None:
        self.holder = None
        try:
            if self._file is not None:
                fcntl.flock(self._file, fcntl.LOCK_UN)
        finally:
            self._lock.release()


_writer_queues: dict[str, _WriterQueue] = {}
_writer_queues_lock = threading.Lock()


def _forget_writer_queues() -> None:
    """In a forked child (a gunicorn worker): the parent's queues are not ours. Its
    locks may have been held by a thread that does not exist here, and an inherited
    descriptor would share the parent's flock instead of queueing against it."""
    global _writer_queues_lock
    for queue in _writer_queues.values():
        queue.close()
    _writer_queues.clear()
    _writer_queues_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_writer_queues)
_HELD_TURN = "participation.sqlite_writer_turn"
# Set on a connection whose transaction has begun without a BEGIN (reads in autocommit;
# on PostgreSQL, the driver connection in autocommit mode).
_READS_IN_AUTOCOMMIT = "participation.reads_in_autocommit"
# Kept with a pooled PostgreSQL connection whose autocommit this module turned on.
_AUTOCOMMIT_SET_HERE = "participation.postgresql_autocommit_set_here"


def _writer_queue(database: str) -> _WriterQueue:
    with _writer_queues_lock:
        queue = _writer_queues.get(database)
        if queue is None:
            queue = _writer_queues[database] = _WriterQueue(database)
        return queue


def _give_back_turn(info: dict) -> None:
    queue = info.pop(_HELD_TURN, None)
    if queue is not None:
        queue.give_back()


@event.listens_for(Engine, "begin")
def _begin_transaction(connection):
    dialect = connection.dialect.name
    if dialect == "postgresql":
        _begin_postgresql_transaction(connection)
        return
    if dialect != "sqlite":
        return
    mode = _begin_mode()
    if mode == _NO_BEGIN:
        # No BEGIN: each read is its own snapshot until begin_write_phase().
        connection.info[_READS_IN_AUTOCOMMIT] = True
    elif mode == _BEGIN_DEFERRED:
        connection.exec_driver_sql("BEGIN")
    else:
        _begin_immediate(connection)


def _begin_postgresql_transaction(connection) -> None:
    """A ``write_lock_late`` view's reads run in autocommit, each its own snapshot as
    every statement of a READ COMMITTED transaction is anyway: psycopg sends no BEGIN
    before them (a round trip of its own), and a single-statement write needs no COMMIT
    either (``begin_write_phase``). The next transaction on the connection sets
    autocommit off again, so a pooled connection left in autocommit by such a view
    never makes another caller's statements commit one by one. A connection that was in
    autocommit already (SQLAlchemy's ``isolation_level="AUTOCOMMIT"``) is left alone."""
    info = connection.info
    dbapi_connection = connection.connection.dbapi_connection
    if _begin_mode() == _NO_BEGIN:
        if not dbapi_connection.autocommit:
            dbapi_connection.autocommit = True
            info[_AUTOCOMMIT_SET_HERE] = True
        info[_READS_IN_AUTOCOMMIT] = True
    elif info.pop(_AUTOCOMMIT_SET_HERE, False):
        dbapi_connection.autocommit = False


def _begin_immediate(connection) -> None:
    database = connection.engine.url.database or ""
    queue = _writer_queue(database) if database not in ("", ":memory:") else None
    if queue is not None and queue.take():
        connection.info[_HELD_TURN] = queue
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        _give_back_turn(connection.info)
        raise


def _end_sqlite_transaction(connection, statement: str) -> None:
    """COMMIT or ROLLBACK here, before giving back the turn: SQLAlchemy's own call that
    follows finds no transaction and does nothing (autocommit mode, see
    ``_configure_sqlite_connection``). Giving the turn back first would let the next
    thread reach SQLite while the lock is still held, and sleep in its busy handler."""
    connection.info.pop(_READS_IN_AUTOCOMMIT, None)
    if _HELD_TURN not in connection.info:
        return
    dbapi_connection = connection.connection.dbapi_connection
    try:
        if dbapi_connection is not None and dbapi_connection.in_transaction:
            dbapi_connection.execute(statement)
    except connection.dialect.loaded_dbapi.Error as exc:
        # A failed COMMIT leaves SQLite's transaction open, and SQLAlchemy, which did
        # not issue it, would not roll it back: end it here, so the connection is clean.
        if dbapi_connection.in_transaction:
            try:
                dbapi_connection.execute("ROLLBACK")
            except connection.dialect.loaded_dbapi.Error:
                pass  # the original error is the one to report
        # Raised as SQLAlchemy would have raised it from its own COMMIT.
        raise DBAPIError.instance(statement, None, exc, connection.dialect.loaded_dbapi.Error,
                                  dialect=connection.dialect) from exc
    finally:
        _give_back_turn(connection.info)


@event.listens_for(Engine, "commit")
def _commit_sqlite_transaction(connection):
    _end_sqlite_transaction(connection, "COMMIT")


@event.listens_for(Engine, "rollback")
def _rollback_sqlite_transaction(connection):
    _end_sqlite_transaction(connection, "ROLLBACK")


@event.listens_for(Pool, "checkin")
def _give_back_turn_on_checkin(dbapi_connection, connection_record):
    # A safety net: a connection returned to the pool (its transaction reset by the
    # pool) never keeps the turn.
    if connection_record is not None:
        connection_record.info.pop(_READS_IN_AUTOCOMMIT, None)
        _give_back_turn(connection_record.info)


@event.listens_for(Pool, "invalidate")
def _give_back_turn_on_invalidate(dbapi_connection, connection_record, exception):
    if connection_record is not None:
        _give_back_turn(connection_record.info)
