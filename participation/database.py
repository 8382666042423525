"""Database plumbing shared by every model: the UTC timestamp type and SQLite tuning.

SQLite is the embedded default and must not answer "database is locked" under concurrent
requests. Two things make that true:

* WAL mode and a generous busy timeout, so readers never block writers and a writer waits
  for another writer instead of failing at once;
* write transactions start with ``BEGIN IMMEDIATE``. A deferred transaction that has read
  and then tries to write fails immediately with SQLITE_BUSY (the busy timeout is not
  applied, because waiting could deadlock) when another connection committed in between.
  Taking the write lock at BEGIN avoids that. Read-only requests (GET/HEAD/OPTIONS) keep a
  plain deferred BEGIN so pages never queue behind writers.
"""
from __future__ import annotations

import contextvars
from contextlib import contextmanager
from datetime import datetime, timezone

from flask import current_app, has_request_context, request
from sqlalchemy import DateTime, event
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator

SQLITE_BUSY_TIMEOUT_SECONDS = 60
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


def wants_write_lock() -> bool:
    """Whether a transaction begun now takes SQLite's write lock at BEGIN."""
    forced = _forced_write_intent.get()
    if forced is not None:
        return forced
    if has_request_context():
        if request.method in _SAFE_METHODS:
            return False
        view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
        return not getattr(view, "takes_write_lock_late", False)
    # CLI commands, background threads: they exist to write.
    return True


def write_lock_late(view):
    """Mark a write view whose reads come first: its transaction begins as a plain read
    (no write lock while it authenticates and looks things up), and the view calls
    ``end_read_phase()`` and writes inside ``write_transaction()``. On SQLite that keeps
    the one-writer lock for the INSERT and COMMIT only, so concurrent submissions do
    their reading in parallel instead of queueing behind each other's whole request."""
    view.takes_write_lock_late = True
    return view


def end_read_phase(session) -> None:
    """On SQLite, end the session's read transaction, keeping the objects it loaded as they are
    (not expired: the write that follows uses them without reading them again). The
    next statement begins a new transaction: inside ``write_transaction()``, one that
    holds SQLite's write lock from its BEGIN, so it cannot fail to upgrade later.

    Nothing may be pending in the session: a read transaction must not write."""
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("end_read_phase() with unflushed changes: they would be written without the write lock")
    if session.get_bind().dialect.name != "sqlite":
        # PostgreSQL locks rows as they are written: one transaction is right, and the
        # extra COMMIT and BEGIN would cost a round trip each for nothing.
        return
    expire_on_commit = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire_on_commit


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


@event.listens_for(Engine, "begin")
def _begin_sqlite_transaction(connection):
    if connection.dialect.name != "sqlite":
        return
    connection.exec_driver_sql("BEGIN IMMEDIATE" if wants_write_lock() else "BEGIN")
