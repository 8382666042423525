"""Database plumbing shared by every model: the UTC timestamp type, and the one place
where the engine is tuned per dialect and told how each transaction begins.

Transactions are read or write transactions, declared by their owner
(``participation.unit_of_work`` for the ORM session, ``connect(engine, write=…)`` for a
connection of one's own) and handed to the engine as the execution option
``TRANSACTION_MODE``. The engine's "begin" listener reads it from the connection,
never from the request.

``tune_engine`` installs the listeners on one engine (the app's, and the search
rebuild's own); other engines in the process are left alone. On SQLite it makes the
embedded default safe under concurrent requests, never answering "database is locked":

* WAL mode and a generous busy timeout, so readers never block writers and a writer
  waits for another writer instead of failing at once;
* write transactions begin with ``BEGIN IMMEDIATE``. A deferred transaction that has
  read and then tries to write fails at once with SQLITE_BUSY (the busy timeout is not
  applied, because waiting could deadlock) when another connection committed in
  between; taking the write lock at BEGIN avoids that. Read transactions begin with a
  plain deferred ``BEGIN`` so pages never queue behind writers, and run with
  ``PRAGMA query_only`` so a write in a read fails loudly. A transaction nobody
  declared begins deferred as well (it works, but a write in it may meet SQLITE_BUSY
  under contention: every write path declares itself).

PostgreSQL needs nothing of this: READ COMMITTED transactions read without blocking
and writers wait for row locks. On SQLite a write unit also holds its file's
``writer_turn`` (below), the one piece of machinery the submission goal needed.
"""
from __future__ import annotations

import fcntl
import os
import threading
import time
from contextlib import contextmanager, nullcontext
from datetime import datetime, timezone

from sqlalchemy import DateTime, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.types import TypeDecorator

SQLITE_BUSY_TIMEOUT_SECONDS = 60
#: Retry-After of the 503 answered when the database refuses for a while (a lock held
#: past the busy timeout, a deadlock, a lost connection: SQLAlchemy's OperationalError).
DATABASE_RETRY_AFTER_SECONDS = 5

#: The execution option that says how a connection's transactions begin: READ or
#: WRITE; absent, a transaction nobody declared (a plain deferred BEGIN).
TRANSACTION_MODE = "participation_transaction_mode"
READ, WRITE = "read", "write"
# On a pooled SQLite connection: whether PRAGMA query_only is on now (set only when
# the next transaction wants otherwise).
_QUERY_ONLY = "participation.sqlite_query_only"


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


def connect(engine: Engine, *, write: bool) -> Connection:
    """A connection of one's own (background work, bookkeeping) whose transactions
    begin as reads or as writes: ``with connect(engine, write=False) as connection: …``."""
    return engine.connect().execution_options(**{TRANSACTION_MODE: WRITE if write else READ})


def transaction_mode(connection: Connection) -> str | None:
    """READ, WRITE, or None (undeclared) for the transaction ``connection`` begins."""
    return connection.get_execution_options().get(TRANSACTION_MODE)


def must_begin_again_to_write(connection: Connection) -> bool:
    """Whether the transaction open on ``connection`` must end before a write
    transaction can begin: on SQLite unless it began as a write (it holds no write
    lock, and upgrading could fail at once, see above); elsewhere only when it was
    declared a read."""
    mode = transaction_mode(connection)
    if connection.dialect.name == "sqlite":
        return mode != WRITE
    return mode == READ


def make_read_only(connection: Connection) -> None:
    """For the rest of the transaction open on ``connection`` (which began
    undeclared): refuse writes, as a declared read transaction does."""
    if connection.dialect.name == "sqlite" and transaction_mode(connection) is None:
        _set_query_only(connection, True)


class _WriterTurn:
    """The writers of one SQLite database file, served in turn (see ``writer_turn``).

    The threads of a process take turns on a lock; the thread whose turn it is then
    queues with the other processes (gunicorn workers, commands) on an advisory
    ``flock`` of ``<database>-writers.lock``, polling every 0.2–2 ms (another writer's
    transaction lasts about a millisecond), not SQLite's 1–100 ms. Waiting is bounded
    by the busy timeout: past it the writer goes on to SQLite, which decides as it would
    without the turn. SQLite's own lock stays what guarantees correctness."""

    def __init__(self, database: str) -> None:
        self._lock_path = database + "-writers.lock"
        self._threads = threading.RLock()
        self._file: int | None = None
        self._depth = 0  # the holding thread's nested units
        self._locked = False  # whether the holding thread has the flock
        # Per thread, for each unit it entered: whether it got the turn (False: it
        # waited past the busy timeout and went on to SQLite without it).
        self._entered = threading.local()

    def __enter__(self):
        got_turn = self._threads.acquire(timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
        self._entered.__dict__.setdefault("stack", []).append(got_turn)
        if got_turn:
            self._depth += 1
            if self._depth == 1:
                self._locked = self._lock_file(time.monotonic() + SQLITE_BUSY_TIMEOUT_SECONDS)
        return self

    def __exit__(self, *exc_info) -> None:
        if not self._entered.stack.pop():
            return
        self._depth -= 1
        try:
            if self._depth == 0 and self._locked:
                self._locked = False
                fcntl.flock(self._file, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def _lock_file(self, deadline: float) -> bool:
        try:
            if self._file is None:
                self._file = os.open(self._lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError:
            return False  # a read-only directory: SQLite's own handler alone
        delay = 0.0002
        while True:
            try:
                fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(delay)
                delay = min(delay * 2, 0.002)

    def close(self) -> None:
        if self._file is not None:
            os.close(self._file)
            self._file = None


_writer_turns: dict[str, _WriterTurn] = {}
_writer_turns_lock = threading.Lock()


def _forget_writer_turns() -> None:
    """In a forked child (a gunicorn worker) the parent's turns are not its own: a lock a
    parent's thread held would never be released, and an inherited descriptor would
    share the parent's flock instead of queueing against it."""
    for turn in _writer_turns.values():
        turn.close()
    _writer_turns.clear()


os.register_at_fork(after_in_child=_forget_writer_turns)


def writer_turn(engine: Engine):
    """A context manager a write unit holds from before its ``BEGIN IMMEDIATE`` until it
    ends, so that the writers of one SQLite file take turns instead of all waiting in
    SQLite's busy handler. That handler polls by sleeping 1, 2, 5 … up to 100 ms and so
    serves nobody in order: without the turn, bench/bench_submit.py's p99 on SQLite was
    450–580 ms, around the goal of 500 ms (bench/README.md). Reentrant (a unit inside a
    unit of the same thread); nothing to do on other databases."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        return nullcontext()
    with _writer_turns_lock:
        turn = _writer_turns.get(database)
        if turn is None:
            turn = _writer_turns[database] = _WriterTurn(database)
    return turn


def tune_engine(engine: Engine) -> None:
    """Install the dialect's tuning on ``engine`` (once; call before it connects).
    Opt-in by dialect: only SQLite needs any."""
    if engine.dialect.name != "sqlite" or event.contains(engine, "connect", _configure_sqlite_connection):
        return
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_sqlite_transaction)


def _configure_sqlite_connection(dbapi_connection, connection_record):
    # Let the "begin" listener issue BEGIN itself (pysqlite's own handling would begin
    # lazily, before the listener could choose IMMEDIATE).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    connection_record.info[_QUERY_ONLY] = False


def _begin_sqlite_transaction(connection: Connection) -> None:
    mode = transaction_mode(connection)
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection.in_transaction:
        # Left open by a COMMIT that failed (a deferred constraint): SQLAlchemy counts
        # that transaction as ended, and SQLite would refuse to BEGIN inside it.
        dbapi_connection.rollback()
    _set_query_only(connection, mode == READ)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if mode == WRITE else "BEGIN")


def _set_query_only(connection: Connection, value: bool) -> None:
    info = connection.connection.info  # the pooled connection's, kept across checkouts
    if info.get(_QUERY_ONLY, False) != value:
        connection.connection.dbapi_connection.execute(f"PRAGMA query_only={int(value)}")
        info[_QUERY_ONLY] = value
