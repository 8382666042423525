"""Storing an opinion (``services.opinions.submit_opinion``): the unique token settles
concurrent retries, and the search outbox row, written through the outbox port in the
same transaction, is stored with the opinion or not at all."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from participation import clock, outbox
from participation.database import utcnow
from participation.extensions import db
from participation.models import Opinion
from participation.services import opinions as service
from participation.unit_of_work import writing
from search.models import SearchOutboxEntry


def _submit(draft, user, token=None, *, body="建议增加一款。", now=None):
    data = service.OpinionInput(body=body, provision_key="art.1")
    return service.submit_opinion(draft, data, author=user, now=now or clock.now(), submission_token=token)


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Opinion))


def test_two_retries_that_both_checked_first_store_one_opinion(open_draft, make_user, monkeypatch):
    # Both saw no opinion with the token when they checked; the second INSERT finds the
    # first one's row through the unique token and answers with it.
    user = make_user("citizen")
    stored = _submit(open_draft, user, "api:retry")
    looked_up = service._stored_by_token
    calls = []

    def missed_at_first(*args, **kwargs):
        calls.append(args)
        return None if len(calls) == 1 else looked_up(*args, **kwargs)

    monkeypatch.setattr(service, "_stored_by_token", missed_at_first)
    again = _submit(open_draft, user, "api:retry")
    assert len(calls) == 2  # the check, then the look-up after the INSERT stored nothing
    assert stored.created and not again.created
    assert (again.id, again.receipt_code) == (stored.id, stored.receipt_code)
    assert _count() == 1
    monkeypatch.setattr(service, "_stored_by_token", looked_up)
    # And a later retry is answered from the check, before any write.
    assert _submit(open_draft, user, "api:retry") == again


def test_the_outbox_row_is_stamped_with_the_time_of_writing(app, make_draft, make_user, frozen_now):
    """A backdated opinion (the demo's) does not make the outbox look weeks behind."""
    frozen_now.set(utcnow() - timedelta(days=43))
    draft = make_draft(published=True)
    user = make_user("citizen")
    before = utcnow()
    with writing():
        stored = _submit(draft, user)
        db.session.commit()
    assert db.session.get(Opinion, stored.id).created_at < before - timedelta(days=42)
    rows = db.session.execute(select(SearchOutboxEntry.entity_id, SearchOutboxEntry.created_at)
                              .where(SearchOutboxEntry.entity == "opinion")).all()
    assert [entity_id for entity_id, _at in rows] == [stored.id]
    assert rows[0][1] >= before.replace(microsecond=0)


def test_an_opinion_whose_outbox_row_fails_is_not_stored(app, open_draft, make_user):
    user = make_user("citizen")
    db.session.commit()

    def broken_recorder(session, opinion_id):
        session.connection().execute(text("INSERT INTO search_outbox (entity, no_such_column) VALUES ('x', 1)"))

    outbox.register_opinion_recorder(broken_recorder)
    try:
        with pytest.raises(DBAPIError, match="no_such_column"):
            with writing():
                _submit(open_draft, user, body="待办行写不进去时，意见也不留下。")
                db.session.commit()
    finally:
        outbox.unregister_opinion_recorder(broken_recorder)
    assert _count() == 0


def test_an_api_submission_whose_outbox_row_fails_is_a_500_and_stores_nothing(app, client, open_draft, make_user):
    from participation.services import accounts
    from tests.api.helpers import bearer

    _token, secret = accounts.issue_api_token(make_user("citizen"), name="t")
    draft_id = open_draft.id
    db.session.commit()

    def broken_recorder(session, opinion_id):
        raise RuntimeError("the outbox is broken")

    outbox.register_opinion_recorder(broken_recorder)
    try:
        response = client.post(f"/api/v1/drafts/{draft_id}/comments", headers=bearer(secret),
                               json={"provision": "art.1", "stance": "amend", "body": "意见。"})
    finally:
        outbox.unregister_opinion_recorder(broken_recorder)
    assert response.status_code == 500
    db.session.rollback()
    assert _count() == 0
