"""The unit of work: one transaction of the ORM session, declared read-only or write
by its owner — a view, an API handler, a CLI command, background code — who commits
it once.

    with writing():                       @bp.post("/things")
        service.do_something(...)         @writes
        db.session.commit()               def create_thing(): ... db.session.commit()

``writing()`` begins a write transaction (SQLite: ``BEGIN IMMEDIATE``, holding the
write lock from the start, so a read-then-write never fails with "database is
locked"); ``reading()`` a read transaction (SQLite: a deferred ``BEGIN`` with writes
refused). How the engine begins each is ``participation.database``'s business: the
mode travels as an execution option of the session's connection, never through the
request. A transaction begun outside any unit still works (a deferred BEGIN), but every
path that writes declares its unit.

A unit opened while the session's transaction is already open (a ``before_request``
hook looked up the signed-in account or the API token): a read unit goes on in it,
refusing writes from then on; a write unit continues a write transaction, and
otherwise ends the open one — committing its reads, keeping the loaded objects — to
begin the write (on PostgreSQL an undeclared transaction can write as it is).

The unit rolls back what is left uncommitted when its block raises; it does not
commit: the owner does, once, where its use case is complete.
"""
from __future__ import annotations

import functools
from contextlib import contextmanager, nullcontext

from participation import database
from participation.extensions import db

_MODE_KEY = "participation.unit_of_work"


@contextmanager
def unit_of_work(write: bool, session=None):
    """Run the block as one read-only (``write=False``) or write unit of ``session``
    (default: the app's ``db.session``); yields the session."""
    session = session if session is not None else db.session()
    turn = database.writer_turn(session.get_bind()) if write else nullcontext()
    with turn:
        previous = session.info.get(_MODE_KEY)
        mode = database.WRITE if write else database.READ
        _begin(session, mode)
        session.info[_MODE_KEY] = mode
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        finally:
            if previous is None:
                session.info.pop(_MODE_KEY, None)
            else:
                session.info[_MODE_KEY] = previous


def writing(session=None):
    """A write unit: ``with writing(): …; db.session.commit()``."""
    return unit_of_work(True, session)


def reading(session=None):
    """A read-only unit: a write in it fails (on SQLite)."""
    return unit_of_work(False, session)


def is_writing(session=None) -> bool:
    """Whether the session is inside a write unit (its transaction holds the write lock
    on SQLite: another connection of the same thread must not wait to write)."""
    session = session if session is not None else db.session()
    return session.info.get(_MODE_KEY) == database.WRITE


def _begin(session, mode: str) -> None:
    if not session.in_transaction():
        session.connection(execution_options={database.TRANSACTION_MODE: mode})
        return
    connection = session.connection()
    if mode == database.READ:
        database.make_read_only(connection)
        return
    if not database.must_begin_again_to_write(connection):
        return
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("a write unit opened with unflushed changes of a transaction begun before it")
    expire_on_commit = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire_on_commit
    session.connection(execution_options={database.TRANSACTION_MODE: mode})


def _run_in_unit(write: bool):
    def decorate(function):
        @functools.wraps(function)
        def wrapped(*args, **kwargs):
            with unit_of_work(write):
                return function(*args, **kwargs)

        # Declared on the wrapper so that a test can check every route that accepts a
        # writing method (POST, PUT, PATCH, DELETE) runs in a write unit.
        wrapped.unit_of_work = "write" if write else "read"
        return wrapped

    return decorate


#: Decorate a view, API handler or command that writes: its body is a write unit.
writes = _run_in_unit(True)
#: Decorate a view or handler that only reads: its body is a read-only unit.
reads = _run_in_unit(False)
