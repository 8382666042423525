"""The two steps of storing an opinion: every check first (prepare_opinion), then the
INSERT (insert_opinion), as the comment API runs them around SQLite's write lock."""
from __future__ import annotations

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import DBAPIError

from participation import clock
from participation.database import begin_write_phase
from participation.extensions import db
from participation.models import Opinion
from participation.services import opinions as service
from participation.signals import OpinionCompanionRow, opinion_companion_rows
from search.models import SearchOutboxEntry


def _prepared(draft, user, token):
    target = service.submission_target(draft.id, "art.1")
    data = service.OpinionInput(body="建议增加一款。", provision_key="art.1")
    return service.prepare_opinion(target, data, author=user, now=clock.now(), submission_token=token)


def test_preparing_writes_nothing(open_draft, make_user):
    prepared = _prepared(open_draft, make_user("citizen"), None)
    assert prepared.existing is None and prepared.values["receipt_code"]
    assert db.session.scalar(select(func.count()).select_from(Opinion)) == 0


def test_two_retries_prepared_at_once_store_one_opinion(open_draft, make_user):
    # Both saw no opinion with the token when they checked; the second INSERT finds the
    # first one's row through the unique token and answers with it.
    user = make_user("citizen")
    first, second = _prepared(open_draft, user, "api:retry"), _prepared(open_draft, user, "api:retry")
    assert first.existing is None and second.existing is None
    stored = service.insert_opinion(first)
    again = service.insert_opinion(second)
    assert stored.created and not again.created
    assert (again.id, again.receipt_code) == (stored.id, stored.receipt_code)
    assert db.session.scalar(select(func.count()).select_from(Opinion)) == 1
    # And a later retry is answered from the check, before any write.
    assert _prepared(open_draft, user, "api:retry").existing == again


def _late_write_of(app, draft, user, body: str):
    """insert_opinion as the comment API runs it: reads first, then a single-statement
    write (in autocommit on PostgreSQL)."""
    with app.test_request_context(f"/api/v1/drafts/{draft.id}/comments", method="POST"):
        target = service.submission_target(draft.id, "art.1")
        data = service.OpinionInput(body=body, provision_key="art.1")
        prepared = service.prepare_opinion(target, data, author=user, now=clock.now())
        begin_write_phase(db.session(), single_statement=True)
        try:
            stored = service.insert_opinion(prepared)
            db.session.commit()
        finally:
            db.session.rollback()
    return stored


def test_an_opinion_and_its_outbox_row_are_one_statement_on_postgresql(app, open_draft, make_user):
    user = make_user("citizen")
    db.session.commit()
    statements = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("INSERT", "WITH")):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        stored = _late_write_of(app, open_draft, user, "意见与其检索待办行同时写入。")
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    # SQLite has no INSERT in a WITH clause: there the outbox row is the next statement
    # of the same transaction.
    assert len(statements) == (1 if db.engine.dialect.name == "postgresql" else 2)
    outbox = db.session.scalars(select(SearchOutboxEntry.entity_id).where(SearchOutboxEntry.entity == "opinion"))
    assert outbox.all() == [stored.id]


def test_an_opinion_whose_companion_row_fails_is_not_stored(app, open_draft, make_user):
    user = make_user("citizen")
    db.session.commit()
    broken = OpinionCompanionRow("search_outbox", ("entity", "no_such_column", "created_at"),
                                 ("'opinion'", "new.id", "new.created_at"))

    def ask_for_broken_row(session):
        return broken

    opinion_companion_rows.connect(ask_for_broken_row)
    try:
        with pytest.raises(DBAPIError, match="no_such_column"):
            _late_write_of(app, open_draft, user, "伴随行写不进去时，意见也不留下。")
    finally:
        opinion_companion_rows.disconnect(ask_for_broken_row)
    assert db.session.scalar(select(func.count()).select_from(Opinion)) == 0
