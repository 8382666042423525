"""Email through a real SMTP server: what arrives (Chinese subject, text and HTML, the
unsubscribe link and header), the verification gate, preferences, idempotent delivery,
retries when the server is down, and the signed links."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from participation import jobs
from participation.extensions import db
from participation.mail import tokens
from participation.models import EmailDelivery, Job, Notification, NotificationPreference
from participation.services import feedback, notifications, opinions as opinion_service
from participation.unit_of_work import writing
from tests.mail.conftest import body_html, body_text, drain, links_in, open_link, path_of, unsubscribe_url


def _publish_feedback(draft, staff, frozen_now):
    frozen_now.set(draft.closes_at + timedelta(minutes=1))
    with writing():
        feedback.publish_feedback(db.session.merge(draft), by=staff, now=frozen_now.now)
        db.session.commit()


@pytest.fixture
def commented(make_draft, make_opinion, make_user, verified_user, frozen_now):
    draft = make_draft(published=True)
    author = verified_user(display_name="张三")
    make_opinion(draft, key="art.1", author=author)
    return draft, author, make_user("staff")


def test_a_verified_commenter_gets_the_feedback_email_in_chinese_with_both_parts(
        app, client, smtp, commented, frozen_now):
    draft, author, staff = commented
    _publish_feedback(draft, staff, frozen_now)
    assert smtp.messages == []  # nothing is sent in the request: the job sends it
    drain(app)
    [message] = smtp.to(author.email)
    assert message["Subject"] == "【立法公众参与平台】意见采纳情况已发布"
    # On the wire the subject is RFC 2047 encoded UTF-8 (7-bit headers), decoded above.
    raw_headers = message.raw.split(b"\r\n\r\n")[0].decode("ascii")
    assert "Subject: =?utf-8?" in raw_headers
    text, html = body_text(message), body_html(message)
    assert "张三，您好" in text and f"您提出意见的《{draft.title}》已发布意见采纳情况" in text
    assert f"《{draft.title}》" in html and "<a href=\"http://lpp.example/drafts/" in html
    assert message.get_content_type() == "multipart/alternative"
    assert f"http://lpp.example/drafts/{draft.id}/feedback" in links_in(message)
    assert message["List-Unsubscribe"].startswith("<http://lpp.example/email/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe_url(message) in text and unsubscribe_url(message) in html
    delivery = db.session.scalar(select(EmailDelivery))
    assert (delivery.state, delivery.attempts, delivery.to_address) == ("sent", 1, author.email)


def test_the_unsubscribe_link_works_without_signing_in_and_stops_that_kind(
        app, client, smtp, commented, make_draft, make_opinion, frozen_now):
    draft, author, staff = commented
    other = make_draft(published=True, title="另一部草案", now=frozen_now.now)
    make_opinion(other, author=author)
    _publish_feedback(draft, staff, frozen_now)
    drain(app)
    [message] = smtp.to(author.email)
    page = client.get(path_of(unsubscribe_url(message))).get_data(as_text=True)
    assert "不再接收“意见采纳情况已发布”的邮件" in page
    assert db.session.scalar(select(func.count()).select_from(NotificationPreference)) == 0  # GET changes nothing
    response = open_link(client, unsubscribe_url(message))
    assert "已退订" in response.get_data(as_text=True)
    assert "意见采纳情况已发布" in response.get_data(as_text=True)
    smtp.clear()
    _publish_feedback(other, staff, frozen_now)
    drain(app)
    assert smtp.messages == []
    # The inbox still has both; only the email was turned off.
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == author.id, Notification.in_inbox.is_(True))) == 2


def test_one_click_post_from_the_mail_client_unsubscribes(app, client, smtp, commented, frozen_now):
    draft, author, staff = commented
    _publish_feedback(draft, staff, frozen_now)
    drain(app)
    [message] = smtp.to(author.email)
    response = client.post(path_of(unsubscribe_url(message)), data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    preference = db.session.scalar(select(NotificationPreference).where(NotificationPreference.user_id == author.id))
    assert (preference.kind, preference.channel, preference.is_enabled) == ("feedback_published", "email", False)


def test_an_unverified_address_gets_no_notification_email(app, smtp, make_draft, make_user, make_opinion, frozen_now):
    draft = make_draft(published=True)
    author = make_user("citizen")
    make_opinion(draft, author=author)
    _publish_feedback(draft, make_user("staff"), frozen_now)
    drain(app)
    assert smtp.messages == []
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 1
    assert db.session.scalar(select(func.count()).select_from(EmailDelivery)) == 0


def test_registration_sends_only_the_verification_and_the_link_verifies(app, client, smtp, frozen_now):
    response = client.post("/register", data={"email": "new@example.org", "password": "correct horse battery",
                                              "confirm": "correct horse battery", "display_name": "李四",
                                              "privacy_consent": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    drain(app)
    [message] = smtp.messages
    assert message["Subject"] == "【立法公众参与平台】请验证您的电子邮箱"
    assert "List-Unsubscribe" not in message
    [link] = [url for url in links_in(message) if "/email/verify/" in url]
    client.post("/logout")
    page = open_link(client, link)  # works signed out
    assert "已验证" in page.get_data(as_text=True)
    from participation.models import User

    assert db.session.scalar(select(User).where(User.email == "new@example.org")).email_verified_at == frozen_now.now


def test_the_account_page_sends_the_verification_again(app, client, smtp, make_user, login):
    user = make_user("citizen")
    login(user)
    page = client.get("/account/notifications/settings").get_data(as_text=True)
    assert "发送验证邮件" in page and "尚未验证" in page
    assert client.post("/account/email/verification").status_code == 302
    drain(app)
    assert [m["To"] for m in smtp.messages] == [user.email]


@pytest.mark.parametrize("purpose, path", [(tokens.UNSUBSCRIBE, "unsubscribe"), (tokens.CONFIRM_FOLLOW, "confirm"),
                                           (tokens.VERIFY_EMAIL, "verify")])
def test_tampered_foreign_and_expired_tokens_get_a_clear_page(app, client, make_user, purpose, path, monkeypatch):
    user = make_user("citizen")
    data = {"u": user.id, "k": "feedback_published"} if purpose == tokens.UNSUBSCRIBE else (
        {"f": 1, "e": "a@example.org"} if purpose == tokens.CONFIRM_FOLLOW else {"u": user.id, "e": user.email})
    good = tokens.dump(purpose, data)
    foreign = tokens.dump(tokens.VERIFY_EMAIL if purpose != tokens.VERIFY_EMAIL else tokens.UNSUBSCRIBE, data)
    for token in (good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"), foreign, "x", "%E4%B8%AD" * 3):
        for response in (client.get(f"/email/{path}/{token}"), client.post(f"/email/{path}/{token}")):
            assert response.status_code == 400, token
            assert "链接无效或已过期" in response.get_data(as_text=True)
    monkeypatch.setitem(tokens.MAX_AGE, purpose, -1)
    for response in (client.get(f"/email/{path}/{good}"), client.post(f"/email/{path}/{good}")):
        assert response.status_code == 400 and "链接无效或已过期" in response.get_data(as_text=True)


def test_preferences_choose_the_channels(app, client, smtp, commented, login, frozen_now):
    draft, author, staff = commented
    login(author)
    page = client.get("/account/notifications/settings").get_data(as_text=True)
    assert 'value="feedback_published:email"' in page and "checked" in page
    # Inbox off for this event, email on.
    everything = [f"{kind.value}:{channel}" for kind in notifications.kinds_for(author)
                  for channel in notifications.CHANNELS]
    chosen = [value for value in everything if value != "feedback_published:inbox"]
    assert client.post("/account/notifications/settings", data={"on": chosen}).status_code == 302
    _publish_feedback(draft, staff, frozen_now)
    drain(app)
    assert len(smtp.to(author.email)) == 1
    assert notifications.unread_count(author.id) == 0
    assert "意见采纳情况已发布" not in client.get("/account/notifications").get_data(as_text=True)


def test_both_channels_off_writes_nothing(app, smtp, commented, frozen_now):
    draft, author, staff = commented
    with writing():
        notifications.set_preferences(author, set(), now=frozen_now.now)
        db.session.commit()
    _publish_feedback(draft, staff, frozen_now)
    drain(app)
    assert smtp.messages == []
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0


def test_delivery_is_idempotent(app, smtp, commented, frozen_now):
    draft, author, staff = commented
    _publish_feedback(draft, staff, frozen_now)
    [job_id] = db.session.scalars(select(Job.id).where(Job.kind == "mail.deliver")).all()
    drain(app)
    app.extensions["jobs"].wrappers["mail.deliver"](job_id)  # the same message again
    with writing():  # and a fresh job naming the same delivery
        delivery_ids = [row.id for row in db.session.scalars(select(EmailDelivery))]
        jobs.enqueue("mail.deliver", params={"delivery_ids": delivery_ids})
        db.session.commit()
    drain(app)
    assert len(smtp.to(author.email)) == 1
    # Announcing the same event again writes no second row and queues nothing.
    with writing():
        assert notifications.notify([author.id], kind=notifications.NotificationKind.FEEDBACK_PUBLISHED,
                                    event_key=f"feedback_published:{draft.id}", now=frozen_now.now) == []
        db.session.commit()
    assert drain(app) == 0


def test_notify_skips_existing_rows_and_returns_only_new_ones(app, make_user, frozen_now):
    first, second = make_user("citizen"), make_user("citizen")
    kind = notifications.NotificationKind.DRAFT_OPENED
    with writing():
        [one] = notifications.notify([first.id], kind=kind, event_key="draft_opened:1", now=frozen_now.now)
        db.session.commit()
    with writing():
        again = notifications.notify([first.id, second.id, second.id], kind=kind, event_key="draft_opened:1",
                                     now=frozen_now.now)
        db.session.commit()
    assert len(again) == 1 and one not in again
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 2


def test_smtp_down_is_retried_then_the_job_fails(app, smtp, commented, frozen_now, no_retry_delay):
    from tests.mail.conftest import free_port

    draft, author, staff = commented
    app.config["MAIL_PORT"] = free_port()  # nobody listens there
    _publish_feedback(draft, staff, frozen_now)
    drain(app)
    job = db.session.scalar(select(Job).where(Job.kind == "mail.deliver"))
    assert (job.state, job.attempts) == ("failed", 4)
    assert "ConnectionRefusedError" in job.error or "Errno" in job.error
    delivery = db.session.scalar(select(EmailDelivery))
    assert (delivery.state, delivery.attempts) == ("failed", 4) and "ConnectionRefused" in delivery.error


def test_a_server_that_comes_back_gets_the_message_once(app, smtp, commented, frozen_now, no_retry_delay,
                                                        monkeypatch):
    from participation.mail import messages

    draft, author, staff = commented
    real = messages.connection
    calls = {"n": 0}

    def flaky():
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionRefusedError(111, "Connection refused")
        return real()

    monkeypatch.setattr(messages, "connection", flaky)
    _publish_feedback(draft, staff, frozen_now)
    drain(app)
    assert len(smtp.to(author.email)) == 1
    job = db.session.scalar(select(Job).where(Job.kind == "mail.deliver"))
    assert (job.state, job.attempts) == ("done", 2)
    assert db.session.scalar(select(EmailDelivery)).state == "sent"


def test_hidden_opinion_tells_its_author_with_the_reason(app, smtp, make_draft, make_opinion, verified_user,
                                                         make_user, frozen_now):
    draft = make_draft(published=True)
    author = verified_user()
    opinion = make_opinion(draft, author=author)
    with writing():
        opinion_service.hide_opinion(db.session.merge(opinion), reason="含有广告内容", by=make_user("staff"),
                                     now=frozen_now.now)
        db.session.commit()
    drain(app)
    [message] = smtp.to(author.email)
    assert message["Subject"] == "【立法公众参与平台】您的意见被屏蔽"
    assert "含有广告内容" in body_text(message) and opinion.receipt_code in body_text(message)


def test_email_off_queues_nothing(app, commented, frozen_now):
    app.config["MAIL_SERVER"] = ""
    draft, author, staff = commented
    _publish_feedback(draft, staff, frozen_now)
    assert db.session.scalar(select(func.count()).select_from(EmailDelivery)) == 0
    assert db.session.scalars(select(Job.kind)).all() == ["notifications.fanout"]
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 1


def test_smtp_down_schedules_a_retry_after_a_delay(app, smtp, commented, frozen_now):
    from tests.mail.conftest import free_port

    draft, author, staff = commented
    app.config["MAIL_PORT"] = free_port()
    _publish_feedback(draft, staff, frozen_now)
    drain(app)
    job = db.session.scalar(select(Job).where(Job.kind == "mail.deliver"))
    assert (job.state, job.attempts) == ("queued", 1)
    assert len(jobs.queue_of(app).scheduled()) == 1
    assert db.session.scalar(select(EmailDelivery)).state == "queued"


def test_two_concurrent_publications_of_one_event_store_it_once(app, make_user, frozen_now):
    """The second insert meets the first's uncommitted rows (PostgreSQL waits on the
    unique index, SQLite on the write lock) and then skips them: no error, one row each."""
    import threading
    import time

    users = [make_user("citizen").id for _ in range(3)]
    first_inserted = threading.Event()
    results, errors = {}, []

    def publish(name, wait_for=None, hold=0.0):
        try:
            with app.app_context():
                if wait_for is not None:
                    wait_for.wait(5)
                with writing():
                    results[name] = notifications.notify(
                        users, kind=notifications.NotificationKind.DRAFT_OPENED, event_key="draft_opened:7",
                        now=frozen_now.now)
                    if name == "first":
                        first_inserted.set()
                        time.sleep(hold)
                    db.session.commit()
                db.session.remove()
        except Exception as exc:  # pragma: no cover - the failure this test is about
            errors.append(exc)
            first_inserted.set()

    threads = [threading.Thread(target=publish, args=("first", None, 0.3)),
               threading.Thread(target=publish, args=("second", first_inserted))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert errors == []
    assert len(results["first"]) == 3 and results["second"] == []
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 3
