"""发布新的审次文本 from the staff draft page: staff post the next version of a published
draft's text; the public page shows it, followers hear of it through the job queue, and
nobody else may post one."""
from __future__ import annotations

import pytest

from participation.extensions import db
from participation.models import Draft, Notification
from tests.conftest import SAMPLE_DRAFT
from tests.mail.conftest import drain

NEW_TEXT = SAMPLE_DRAFT.replace("第一条", "第一条　（一审稿修改）", 1)


def test_staff_post_a_new_reading_and_followers_hear_of_it(app, client, login, make_user, make_draft, smtp,
                                                           verified_user):
    draft = make_draft(published=True)
    follower = verified_user(display_name="关注者")
    login(follower)
    assert client.post(f"/drafts/{draft.id}/follow").status_code == 302
    client.post("/logout")
    smtp.clear()

    login(make_user("staff"))
    page = client.get(f"/staff/drafts/{draft.id}").get_data(as_text=True)
    assert "发布新的审次文本" in page and "当前为征求意见稿（第 1 稿）" in page
    assert '<option selected value="first">' in page  # the next reading is proposed
    response = client.post(f"/staff/drafts/{draft.id}/readings", data={"reading": "first", "text": NEW_TEXT})
    assert response.status_code == 303
    flashed = client.get(f"/staff/drafts/{draft.id}").get_data(as_text=True)
    assert "已发布一审稿（第 2 稿）" in flashed and "当前为一审稿（第 2 稿）" in flashed

    db.session.rollback()
    draft = db.session.get(Draft, draft.id)
    assert (draft.current_version.number, draft.current_version.reading) == (2, "first")
    assert "一审稿修改" in client.get(f"/drafts/{draft.id}").get_data(as_text=True)

    drain(app)
    assert [message["Subject"].removeprefix("【立法公众参与平台】") for message in smtp.to(follower.email)] == [
        "关注的草案有新的审次"]
    assert db.session.query(Notification).filter_by(user_id=follower.id, kind="new_reading").count() == 1


def test_a_new_reading_needs_articles_and_a_known_reading(client, login, make_user, make_draft):
    draft = make_draft(published=True)
    login(make_user("staff"))
    response = client.post(f"/staff/drafts/{draft.id}/readings", data={"reading": "first", "text": "没有条文的文字"})
    assert response.status_code == 422
    response = client.post(f"/staff/drafts/{draft.id}/readings", data={"reading": "sixth", "text": NEW_TEXT})
    assert response.status_code == 422 and "审次" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(Draft, draft.id).current_version.number == 1


def test_an_unpublished_draft_has_no_readings_but_its_text_replaced(client, login, make_user, make_draft):
    draft = make_draft()
    login(make_user("staff"))
    assert "发布新的审次文本" not in client.get(f"/staff/drafts/{draft.id}").get_data(as_text=True)
    response = client.post(f"/staff/drafts/{draft.id}/readings", data={"reading": "first", "text": NEW_TEXT})
    assert response.status_code == 303
    assert "草案尚未发布，请直接替换文本。" in client.get(f"/staff/drafts/{draft.id}").get_data(as_text=True)


@pytest.mark.parametrize("role, outcome", [("anonymous", 302), ("citizen", 403), ("deputy", 403),
                                           ("operator", 403), ("admin", 303)])
def test_only_staff_and_admins_post_a_reading(client, login, make_user, make_draft, role, outcome):
    draft = make_draft(published=True)
    if role != "anonymous":
        login(make_user(role))
    response = client.post(f"/staff/drafts/{draft.id}/readings", data={"reading": "first", "text": NEW_TEXT})
    assert response.status_code == outcome
    if role == "anonymous":
        assert response.headers["Location"].startswith("/login")
    db.session.rollback()
    assert db.session.get(Draft, draft.id).current_version.number == (2 if role == "admin" else 1)
