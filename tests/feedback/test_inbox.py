"""站内消息: the bell with the unread count, the inbox, opening a message (marks it read
and goes where it leads), 全部标为已读, and how each kind reads (a registry)."""
from __future__ import annotations

import re

from sqlalchemy import select

from participation import notification_texts
from participation.extensions import db
from participation.models import Notification
from participation.services import notifications
from participation.services.notifications import NotificationKind
from tests.feedback.submitters import publish, staff_member  # noqa: F401  (fixtures)
from tests.opinions.conftest import text


def _bell(page: str) -> str | None:
    match = re.search(r'<a href="/account/notifications" class="bell[^"]*"[^>]*>(.*?)</a>', page, re.S)
    return match.group(1) if match else None


def test_publishing_rings_the_bell_and_the_inbox_says_what_happened(
        client, login, make_user, open_draft, make_opinion, publish):  # noqa: F811
    citizen = make_user("citizen")
    make_opinion(open_draft, author=citizen)
    login(citizen)
    bell = _bell(text(client.get("/")))
    assert bell is not None and "bell-count" not in bell
    assert "还没有消息" in text(client.get("/account/notifications"))

    publish(open_draft)
    login(citizen)
    assert 'class="bell-count" aria-hidden="true">1<' in _bell(text(client.get("/")))
    page = text(client.get("/account/notifications"))
    assert "意见采纳情况已发布" in page and "未读" in page
    assert f"您提出意见的《{open_draft.title}》已发布意见采纳情况" in page
    assert "全部标为已读" in page and "查看我的意见" in page and "查看意见采纳情况" in page


def test_opening_a_message_marks_it_read_and_follows_its_own_link(
        client, login, make_user, open_draft, make_opinion, publish):  # noqa: F811
    citizen = make_user("citizen")
    make_opinion(open_draft, author=citizen)
    publish(open_draft)
    login(citizen)
    notification = db.session.scalar(select(Notification))
    response = client.post(f"/account/notifications/{notification.id}/read", data={"to": "report"})
    assert response.status_code == 303 and response.headers["Location"] == f"/drafts/{open_draft.id}/feedback"
    db.session.expire_all()
    assert db.session.get(Notification, notification.id).read_at is not None
    assert notifications.unread_count(citizen.id) == 0
    assert "bell-count" not in _bell(text(client.get("/")))
    # Opened again, to 我的意见; an address from the client is never followed.
    assert client.post(f"/account/notifications/{notification.id}/read",
                       data={"to": "opinions"}).headers["Location"] == "/account/opinions"
    assert client.post(f"/account/notifications/{notification.id}/read",
                       data={"to": "https://evil.example"}).headers["Location"] == "/account/notifications"


def test_mark_everything_read(client, login, make_user, make_draft, make_opinion, publish, frozen_now):  # noqa: F811
    citizen = make_user("citizen")
    drafts = [make_draft(title=f"草案{n}", published=True) for n in range(2)]
    for draft in drafts:
        make_opinion(draft, author=citizen)
    for draft in drafts:
        publish(draft)
    assert notifications.unread_count(citizen.id) == 2
    login(citizen)
    response = client.post("/account/notifications/read-all", follow_redirects=True)
    assert "已将 2 条消息标为已读" in text(response) and "全部标为已读" not in text(response)
    assert notifications.unread_count(citizen.id) == 0


def test_operators_are_sent_to_their_points_batches(app, make_user, open_draft, frozen_now):
    operator = make_user("operator")
    notifications.notify([operator.id], kind=NotificationKind.FEEDBACK_PUBLISHED, event_key="k", now=frozen_now.now,
                         draft_id=open_draft.id, payload={"title": open_draft.title})
    row = db.session.scalar(select(Notification))
    with app.test_request_context():
        rendered = notification_texts.render(row, operator)
    assert [link.name for link in rendered.links] == ["report", "batches"]
    assert rendered.link("batches").url == f"/batches/points/{operator.liaison_point_id}"


def test_each_kind_renders_through_the_registry_and_unknown_kinds_still_show(app, make_user, frozen_now):
    user = make_user("citizen")
    row = Notification(user_id=user.id, kind="later_kind", event_key="x", payload={}, created_at=frozen_now.now)
    with app.test_request_context():
        assert notification_texts.render(row, user).title == "later_kind"
        assert notification_texts.render(row, user).links == []
    original = dict(notification_texts._renderers)
    try:
        notification_texts._renderers["later_kind"] = lambda n, u, external: notification_texts.RenderedMessage(
            "新的消息", "一句话")
        with app.test_request_context():
            assert notification_texts.render(row, user).sentence == "一句话"
    finally:
        notification_texts._renderers.clear()
        notification_texts._renderers.update(original)
    external = NotificationKind.FEEDBACK_PUBLISHED
    row.kind, row.draft_id, row.payload = external.value, 7, {"title": "某条例"}
    with app.test_request_context():
        rendered = notification_texts.render(row, user, external=True)
    assert rendered.link("report").url == "http://localhost/drafts/7/feedback"


def test_signed_out_pages_have_no_bell(client):
    assert _bell(text(client.get("/"))) is None
