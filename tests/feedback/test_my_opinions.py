"""我的意见: the signed-in account's own opinions, newest first, paged, each with its
answer once the draft's feedback is published (page and GET /api/v1/me/opinions)."""
from __future__ import annotations

import re

from participation.extensions import db
from participation.models import Opinion
from tests.feedback.submitters import (  # noqa: F401  (fixtures)
    NOTE, REASON, api_get, assert_has_documented_fields, dispose, issue_token, publish, staff_member,
)
from tests.opinions.conftest import text


def _rows(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr data-opinion="(\d+)">', page)]


def test_a_citizen_sees_every_opinion_they_sent_with_answers_once_published(
        client, login, make_user, make_draft, open_draft, make_opinion, dispose, publish, frozen_now):  # noqa: F811
    citizen = make_user("citizen")
    other_draft = make_draft(title="另一部草案", published=True)
    first = make_opinion(open_draft, key="art.3.1.2", author=citizen, body="关于第三条的意见")
    frozen_now.advance(minutes=1)
    second = make_opinion(other_draft, author=citizen, state="hidden", body="总体意见正文")
    make_opinion(open_draft, author=make_user("citizen"), body="别人的意见")
    dispose(first, "adopted")
    login(citizen)
    response = client.get("/account/opinions")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = text(response)
    assert _rows(page) == [second.id, first.id]  # newest first
    assert "别人的意见" not in page
    assert "第三条第（二）项" in page and "总体意见" in page and "另一部草案" in page
    assert first.receipt_code in page and second.receipt_code in page and "已屏蔽" in page
    assert "待处理" in page and "采纳" not in page.split("<tbody>")[1] and REASON not in page
    assert "/feedback" not in page

    publish(open_draft)
    login(citizen)  # a month later: the sign-in has lapsed
    page = text(client.get("/account/opinions"))
    assert "采纳" in page and REASON in page and NOTE not in page
    assert f'href="/drafts/{open_draft.id}/feedback"' in page
    assert f"/drafts/{other_draft.id}/feedback" not in page  # that draft's feedback is not published


def test_the_list_is_paged(client, login, make_user, open_draft, make_opinion, frozen_now):
    deputy = make_user("deputy")
    made = []
    for n in range(23):
        made.append(make_opinion(open_draft, author=deputy, body=f"意见{n}"))
        frozen_now.advance(seconds=1)
    login(deputy)
    first_page = _rows(text(client.get("/account/opinions")))
    second_page = _rows(text(client.get("/account/opinions?page=2")))
    assert first_page == [o.id for o in reversed(made)][:20] and len(second_page) == 3
    assert _rows(text(client.get("/account/opinions?page=99"))) == []
    assert client.get("/account/opinions?page=abc").status_code == 200


def test_the_account_menu_links_to_my_opinions(client, login, make_user):
    login(make_user("citizen"))
    page = text(client.get("/"))
    assert 'href="/account/opinions"' in page and 'href="/account/notifications"' in page
    assert 'href="/account/opinions"' in text(client.get("/account/"))


def test_the_api_lists_the_tokens_own_opinions(client, api_get, issue_token, make_user, open_draft,  # noqa: F811
                                              make_opinion, dispose, publish, frozen_now):
    citizen = make_user("citizen")
    mine = [make_opinion(open_draft, key="art.2", author=citizen, body=f"我的意见{n}") for n in range(3)]
    make_opinion(open_draft, author=make_user("citizen"), body="别人的意见")
    dispose(mine[0], "not_adopted", reason="与上位法不一致")
    token = issue_token(citizen)
    body = api_get("/me/opinions?per_page=2", token).get_json()
    assert (body["page"], body["per_page"], body["total"]) == (1, 2, 3)
    assert [item["id"] for item in body["items"]] == [mine[2].id, mine[1].id]
    item = body["items"][0]
    assert item["provision_label"] == "第二条" and item["receipt"] == mine[2].receipt_code
    assert item["feedback_published"] is False and item["disposition"] is None and item["reason"] is None
    assert_has_documented_fields(client, item, "MyOpinion")
    last = api_get("/me/opinions?page=2&per_page=2", token).get_json()["items"]
    assert [item["id"] for item in last] == [mine[0].id]
    assert NOTE not in str(body) + str(last)

    publish(open_draft)
    items = api_get("/me/opinions", token).get_json()["items"]
    answered = next(item for item in items if item["id"] == mine[0].id)
    assert (answered["disposition"], answered["disposition_label"], answered["reason"]) == (
        "not_adopted", "未采纳", "与上位法不一致")
    assert answered["feedback_url"].endswith(f"/drafts/{open_draft.id}/feedback")
    assert next(item for item in items if item["id"] == mine[1].id)["disposition"] == "pending"
    assert NOTE not in str(items)
    assert_has_documented_fields(client, answered, "MyOpinion")


def test_the_api_refuses_bad_paging_and_no_token(api_get, issue_token, make_user):  # noqa: F811
    token = issue_token(make_user("citizen"))
    response = api_get("/me/opinions?page=0&per_page=1000", token)
    assert response.status_code == 422 and set(response.get_json()["fields"]) == {"page", "per_page"}
    assert api_get("/me/opinions").status_code == 401
    assert db.session.query(Opinion).count() == 0
