"""The disposition API: PATCH one opinion, POST a bulk change by filter or ids with an
Idempotency-Key; staff tokens only; bad input answered 422 naming the fields."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import AuditEntry, Opinion
from participation.services import accounts


def _count(*where) -> int:
    return db.session.scalar(select(func.count()).select_from(Opinion).where(*where))


@pytest.fixture
def token_of(make_user):
    def issue(role="staff"):
        user = make_user(role)
        secret = accounts.issue_api_token(user, name="t")[1]
        db.session.commit()
        return {"Authorization": f"Bearer {secret}"}

    return issue


def test_patch_records_and_answers_the_staff_view(client, token_of, open_draft, make_opinion):
    opinion = make_opinion(open_draft, key="art.2")
    headers = token_of("staff")
    response = client.patch(f"/api/v1/opinions/{opinion.id}", headers=headers,
                            json={"disposition": "partly_adopted", "reason": "部分吸收", "note": "内部"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["disposition"], body["reason"], body["note"]) == ("partly_adopted", "部分吸收", "内部")
    assert body["provision_label"] == "第二条" and body["disposed_at"]
    # Without a note the note stays; the reason goes with the disposition.
    body = client.patch(f"/api/v1/opinions/{opinion.id}", headers=headers, json={"disposition": "adopted"}).get_json()
    assert (body["disposition"], body["reason"], body["note"]) == ("adopted", "", "内部")


@pytest.mark.parametrize("payload, fields", [
    ({"disposition": "not_adopted"}, {"reason"}),
    ({"disposition": "maybe"}, {"disposition"}),
    ({"reason": "x"}, {"disposition"}),
    ({"disposition": "adopted", "status": "x", "note": 3}, {"status", "note"}),
])
def test_patch_bad_input_names_the_fields(client, token_of, open_draft, make_opinion, payload, fields):
    opinion = make_opinion(open_draft)
    response = client.patch(f"/api/v1/opinions/{opinion.id}", headers=token_of(), json=payload)
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == fields
    assert _count(Opinion.disposition != "pending") == 0


@pytest.mark.parametrize("role", ["citizen", "deputy", "operator"])
def test_only_staff_tokens_may_dispose(client, token_of, open_draft, make_opinion, role):
    opinion = make_opinion(open_draft)
    headers = token_of(role)
    assert client.patch(f"/api/v1/opinions/{opinion.id}", headers=headers,
                        json={"disposition": "adopted"}).status_code == 403
    assert client.post(f"/api/v1/drafts/{open_draft.id}/dispositions", headers=headers,
                       json={"ids": [opinion.id], "disposition": "adopted"}).status_code == 403
    assert client.patch(f"/api/v1/opinions/{opinion.id}", json={"disposition": "adopted"}).status_code == 401
    assert _count(Opinion.disposition != "pending") == 0


def test_bulk_by_filter_is_idempotent(client, token_of, open_draft, make_opinion):
    for i in range(3):
        make_opinion(open_draft, key="art.3.1.1", body=f"意见{i}", stance="oppose")
    make_opinion(open_draft, key="art.2", stance="oppose")
    headers = dict(token_of(), **{"Idempotency-Key": "bulk-1"})
    payload = {"filter": {"clause": "第三条", "stance": "oppose"}, "disposition": "not_adopted", "reason": "不予采纳"}
    response = client.post(f"/api/v1/drafts/{open_draft.id}/dispositions", headers=headers, json=payload)
    assert response.status_code == 200 and response.get_json() == {"updated": 3, "selected": 3}
    # The same key again: the first answer, nothing changed (even with another body).
    again = client.post(f"/api/v1/drafts/{open_draft.id}/dispositions", headers=headers,
                        json={"filter": {}, "disposition": "adopted"})
    assert again.get_json() == {"updated": 3, "selected": 3}
    assert _count(Opinion.disposition == "not_adopted") == 3 and _count(Opinion.disposition == "adopted") == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "opinion.dispose_bulk")) == 1


def test_bulk_by_ids_leaves_other_drafts_alone(client, token_of, open_draft, make_draft, make_opinion):
    mine = [make_opinion(open_draft, body=f"意见{i}") for i in range(2)]
    other = make_opinion(make_draft(published=True, title="另一部"))
    response = client.post(f"/api/v1/drafts/{open_draft.id}/dispositions", headers=token_of(),
                           json={"ids": [mine[0].id, mine[1].id, other.id], "disposition": "for_study"})
    assert response.get_json() == {"updated": 2, "selected": 2}
    db.session.expire_all()
    assert db.session.get(Opinion, other.id).disposition == "pending"


@pytest.mark.parametrize("payload, field", [
    ({"disposition": "adopted"}, "filter"),
    ({"filter": {}, "ids": [1], "disposition": "adopted"}, "filter"),
    ({"ids": [], "disposition": "adopted"}, "ids"),
    ({"ids": [True], "disposition": "adopted"}, "ids"),
    ({"filter": {"stance": "maybe", "batch": "x"}, "disposition": "adopted"}, "filter.stance"),
    ({"filter": {"colour": 1}, "disposition": "adopted"}, "filter.colour"),
    ({"filter": {}, "disposition": "partly_adopted"}, "reason"),
])
def test_bulk_bad_input_names_the_fields(client, token_of, open_draft, make_opinion, payload, field):
    make_opinion(open_draft)
    response = client.post(f"/api/v1/drafts/{open_draft.id}/dispositions", headers=token_of(), json=payload)
    assert response.status_code == 422
    assert field in response.get_json()["fields"]
    assert _count(Opinion.disposition != "pending") == 0
