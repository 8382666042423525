"""The web form and the API send an opinion through the same service: the same
fields give the same stored row, column by column, and the same outbox row."""
from __future__ import annotations

from sqlalchemy import select

from participation.extensions import db
from participation.models import Opinion
from participation.services import accounts
from search.models import SearchOutboxEntry
from tests.api.helpers import bearer
from tests.opinions.conftest import ITEM_KEY

# What differs by nature between two submissions of the same opinion.
# "channel" says which way it came (web, api): the feedback report counts by it.
PER_SUBMISSION = {"id", "receipt_code", "submitter_key", "submission_token", "submission_fingerprint", "created_at",
                  "channel"}


def _row(opinion_id: int) -> dict:
    opinion = db.session.get(Opinion, opinion_id)
    return {column.key: getattr(opinion, column.key) for column in Opinion.__table__.c
            if column.key not in PER_SUBMISSION}


def _outbox(opinion_id: int) -> list[str]:
    return list(db.session.scalars(select(SearchOutboxEntry.entity).where(SearchOutboxEntry.entity_id == opinion_id,
                                                                          SearchOutboxEntry.entity == "opinion")))


def test_the_form_and_the_api_store_the_same_opinion(app, client, login, make_user, open_draft, open_form):
    deputy = make_user("deputy", delegation="北区代表团")
    _token, secret = accounts.issue_api_token(deputy, name="对照")
    draft_id = open_draft.id
    fields = {"stance": "oppose", "body": "建议删除本项。", "proposed_text": "（删除）", "reason": "与上位法重复。",
              "region": "北区", "submitter_name": "李代表", "contact": "13800000000"}
    login(deputy)
    form = open_form(open_draft, ITEM_KEY, **fields, is_name_public="y", category="")
    assert client.post(f"/drafts/{draft_id}/opinions/new", data=form).status_code == 303
    response = client.post(f"/api/v1/drafts/{draft_id}/comments", headers=bearer(secret), json={
        "provision": ITEM_KEY, "stance": fields["stance"], "body": fields["body"],
        "proposed_text": fields["proposed_text"], "reason": fields["reason"], "publish_name": True,
        "submitter": {"name": fields["submitter_name"], "region": fields["region"], "contact": fields["contact"]},
    })
    assert response.status_code == 201, response.get_json()
    db.session.rollback()
    web_id, api_id = db.session.scalars(select(Opinion.id).order_by(Opinion.id)).all()
    assert api_id == response.get_json()["id"]
    web, api = _row(web_id), _row(api_id)
    assert web == api
    assert (db.session.get(Opinion, web_id).channel, db.session.get(Opinion, api_id).channel) == ("web", "api")
    assert web["category"] == "deputy" and web["delegation"] == "北区代表团" and web["is_name_public"]
    assert _outbox(web_id) == _outbox(api_id) == ["opinion"]


def test_the_form_and_the_api_refuse_alike_where_the_period_is_over(app, client, login, make_user, open_draft,
                                                                    open_form, frozen_now):
    citizen = make_user("citizen")
    _token, secret = accounts.issue_api_token(citizen, name="对照")
    draft_id = open_draft.id
    login(citizen)
    form = open_form(open_draft, ITEM_KEY)
    frozen_now.advance(days=400)
    web = client.post(f"/drafts/{draft_id}/opinions/new", data=form)
    api = client.post(f"/api/v1/drafts/{draft_id}/comments", headers=bearer(secret),
                      json={"provision": ITEM_KEY, "stance": "amend", "body": "逾期的意见。"})
    assert (web.status_code, api.status_code) == (409, 409)
    assert "征求意见期已经结束" in web.get_data(as_text=True)
    assert "征求意见期已经结束" in api.get_json()["message"]
    db.session.rollback()
    assert db.session.scalars(select(Opinion.id)).all() == []
