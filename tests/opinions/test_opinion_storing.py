"""The two steps of storing an opinion: every check first (prepare_opinion), then the
INSERT (insert_opinion), as the comment API runs them around SQLite's write lock."""
from __future__ import annotations

from sqlalchemy import func, select

from participation import clock
from participation.extensions import db
from participation.models import Opinion
from participation.services import opinions as service


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
