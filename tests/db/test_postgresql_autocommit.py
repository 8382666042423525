"""On PostgreSQL a view marked ``write_lock_late`` (the comment API) reads in autocommit
and may write with a single statement there: no BEGIN or COMMIT round trips, and the
tally's row locks held for that statement only. Nothing else may inherit autocommit."""
from __future__ import annotations

from contextlib import contextmanager

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import create_engine, delete, func, select
from sqlalchemy.orm import Session

from participation.database import begin_write_phase
from participation.extensions import db
from participation.models import User

LATE_WRITE = ("/api/v1/drafts/1/comments", "POST")


@pytest.fixture
def postgresql_only(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL transaction behaviour")


@pytest.fixture
def one_connection_engine(app):
    """An engine whose pool holds one connection, so that each checkout gets the
    connection the previous one left behind."""
    engine = create_engine(db.engine.url, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def _status(connection) -> TransactionStatus:
    return connection.connection.dbapi_connection.info.transaction_status


def _users_named(email: str) -> int:
    """Counted on a connection of its own: what other sessions see."""
    with db.engine.connect() as other:
        return other.scalar(select(func.count()).select_from(User).where(User.email == email))


@contextmanager
def _after_late_write_reads(app, engine):
    """A session as the comment API has it once it has read: (session, its connection)."""
    path, method = LATE_WRITE
    with app.test_request_context(path, method=method), Session(engine) as session:
        session.scalar(select(func.count()).select_from(User))
        yield session, session.connection()


def _insert_user(session: Session, email: str) -> None:
    # A Core INSERT (column defaults applied): one statement, nothing flushed later.
    session.execute(User.__table__.insert().values(email=email, password_hash="x", session_nonce="n" * 32))


def test_late_write_reads_run_in_autocommit_and_a_single_statement_commits_itself(app, postgresql_only):
    db.session.commit()
    with _after_late_write_reads(app, db.engine) as (session, connection):
        assert connection.connection.dbapi_connection.autocommit
        assert _status(connection) is TransactionStatus.IDLE  # no BEGIN was sent
        begin_write_phase(session, single_statement=True)
        _insert_user(session, "single@example.org")
        assert _status(connection) is TransactionStatus.IDLE
        assert _users_named("single@example.org") == 1  # committed before session.commit()
        session.commit()
    db.session.execute(delete(User).where(User.email == "single@example.org"))
    db.session.commit()


def test_a_late_write_of_several_statements_is_one_transaction(app, postgresql_only):
    db.session.commit()
    with _after_late_write_reads(app, db.engine) as (session, connection):
        begin_write_phase(session)
        assert not connection.connection.dbapi_connection.autocommit
        _insert_user(session, "first@example.org")
        assert _status(connection) is TransactionStatus.INTRANS
        _insert_user(session, "second@example.org")
        assert _users_named("first@example.org") == 0
        session.rollback()
    assert _users_named("first@example.org") == _users_named("second@example.org") == 0


def test_the_next_transaction_on_the_connection_is_not_in_autocommit(app, postgresql_only, one_connection_engine):
    with _after_late_write_reads(app, one_connection_engine) as (session, _connection):
        begin_write_phase(session, single_statement=True)
        session.commit()
    with app.test_request_context("/healthz"), Session(one_connection_engine) as session:
        session.scalar(select(1))
        connection = session.connection()
        assert not connection.connection.dbapi_connection.autocommit
        assert _status(connection) is TransactionStatus.INTRANS
        session.rollback()
    # Outside any request (a command, a background thread) likewise.
    with Session(one_connection_engine) as session:
        session.scalar(select(1))
        assert _status(session.connection()) is TransactionStatus.INTRANS


def test_an_autocommit_isolation_level_asked_of_sqlalchemy_is_left_alone(app, postgresql_only, one_connection_engine):
    # CREATE DATABASE, for one, cannot run in a transaction block.
    with one_connection_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(select(1))
        assert connection.connection.dbapi_connection.autocommit
        assert _status(connection) is TransactionStatus.IDLE
