"""关注: accounts and confirmed email addresses hear when a draft they follow opens, is
about to close, gets a new reading and publishes its feedback — each once; visitors
confirm by a link first (double opt-in) and unsubscribing deletes their follow."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, insert, select

from participation import batches
from participation.extensions import db
from participation.mail import channel
from participation.mail import tasks as mail_tasks
from participation.models import Draft, EmailDelivery, Follow, Job, Notification, Opinion, Reading, User
from participation.parsing import parse_text
from participation.services import dispositions, drafts as draft_service, feedback, notifications
from participation.services.liaison import create_liaison_point
from participation.unit_of_work import writing
from tests.conftest import SAMPLE_DRAFT
from tests.mail.conftest import body_text, drain, links_in, open_link, path_of, unsubscribe_url


def _scan(app):
    """What the consumer runs every five minutes, then the jobs it queued."""
    mail_tasks.scheduled()
    drain(app)


def _subjects(smtp, address):
    return [message["Subject"].removeprefix("【立法公众参与平台】") for message in smtp.to(address)]


def _subscribe(client, smtp, app, draft, address):
    response = client.post(f"/drafts/{draft.id}/subscribe", data={"email": address})
    assert response.status_code == 200 and "确认邮件已发送" in response.get_data(as_text=True)
    drain(app)
    [message] = smtp.to(address.lower())
    [link] = [url for url in links_in(message) if "/email/confirm/" in url]
    return message, link


def test_followers_hear_of_opening_closing_new_reading_and_feedback_once_each(
        app, client, smtp, make_draft, verified_user, make_user, login, frozen_now):
    draft = make_draft(published=True, opens_in=timedelta(days=1), days=10)
    follower = verified_user(display_name="关注者")
    login(follower)
    assert client.post(f"/drafts/{draft.id}/follow").status_code == 302
    client.post("/logout")
    _message, link = _subscribe(client, smtp, app, draft, "Visitor@Example.org")
    open_link(client, link)
    smtp.clear()

    _scan(app)
    assert smtp.messages == []  # not open yet
    frozen_now.set(draft.opens_at + timedelta(minutes=3))
    _scan(app)
    _scan(app)  # the next scan finds the same event: nothing more
    assert _subjects(smtp, follower.email) == ["关注的草案开始征求意见"]
    assert _subjects(smtp, "visitor@example.org") == ["关注的草案开始征求意见"]
    opened = smtp.to("visitor@example.org")[0]
    assert f"您关注的《{draft.title}》开始征求意见" in body_text(opened)
    assert f"http://lpp.example/drafts/{draft.id}" in links_in(opened)

    frozen_now.set(draft.closes_at - timedelta(days=2))
    _scan(app)
    _scan(app)
    assert _subjects(smtp, follower.email)[-1] == "关注的草案即将截止"
    assert len(smtp.to(follower.email)) == 2 and len(smtp.to("visitor@example.org")) == 2

    with writing():
        draft_service.add_reading(db.session.merge(draft), document=parse_text(SAMPLE_DRAFT), reading=Reading.FIRST,
                                  source_format="text", source_filename="", source_bytes=b"x",
                                  by=make_user("staff"), now=frozen_now.now)
        db.session.commit()
    drain(app)
    assert _subjects(smtp, follower.email)[-1] == "关注的草案有新的审次"
    assert "一审稿" in body_text(smtp.to("visitor@example.org")[-1])

    frozen_now.set(draft.closes_at + timedelta(minutes=1))
    with writing():
        feedback.publish_feedback(db.session.merge(draft), by=make_user("staff"), now=frozen_now.now)
        db.session.commit()
    drain(app)
    assert _subjects(smtp, follower.email) == ["关注的草案开始征求意见", "关注的草案即将截止", "关注的草案有新的审次",
                                               "意见采纳情况已发布"]
    assert f"您关注的《{draft.title}》已发布意见采纳情况" in body_text(smtp.to(follower.email)[-1])
    assert len(smtp.to("visitor@example.org")) == 4
    # The account's inbox has the same four events.
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == follower.id)) == 4


def test_a_visitor_gets_nothing_but_the_confirmation_until_confirming(app, client, smtp, make_draft, frozen_now):
    draft = make_draft(published=True, opens_in=timedelta(days=1))
    message, link = _subscribe(client, smtp, app, draft, "wang@example.org")
    assert message["Subject"] == f"【立法公众参与平台】请确认关注《{draft.title}》"
    assert "List-Unsubscribe" not in message
    # Subscribing again sends the confirmation again; no other message.
    _again = client.post(f"/drafts/{draft.id}/subscribe", data={"email": "wang@example.org"})
    drain(app)
    assert len(smtp.to("wang@example.org")) == 2
    frozen_now.set(draft.opens_at + timedelta(minutes=1))
    _scan(app)
    assert len(smtp.to("wang@example.org")) == 2  # unconfirmed: the opening is not sent
    assert db.session.scalar(select(func.count()).select_from(EmailDelivery)) == 0
    page = client.get(path_of(link)).get_data(as_text=True)
    assert f"用 wang@example.org 关注《{draft.title}》" in page
    assert db.session.scalar(select(Follow.confirmed_at)) is None  # opening the link (a mail scanner) confirms nothing
    assert "已确认关注" in open_link(client, link).get_data(as_text=True)
    # Confirmed after the opening: the next event reaches it.
    frozen_now.set(draft.closes_at - timedelta(days=1))
    _scan(app)
    [*_confirmations, closing] = smtp.to("wang@example.org")
    assert closing["Subject"].endswith("关注的草案即将截止")
    response = open_link(client, unsubscribe_url(closing))
    assert "已取消这个邮箱对该草案的关注" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Follow)) == 0
    # A confirmation link of a deleted follow says so.
    assert client.get(path_of(link)).status_code == 400
    assert client.post(path_of(link)).status_code == 400


def test_a_bad_address_is_refused_with_a_message(app, client, make_draft):
    draft = make_draft(published=True)
    response = client.post(f"/drafts/{draft.id}/subscribe", data={"email": "不是邮箱"})
    assert response.status_code == 422 and "请输入有效的电子邮箱地址" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Follow)) == 0


def test_the_draft_page_offers_follow_and_the_email_form(app, client, make_draft, make_user, login):
    draft = make_draft(published=True)
    page = client.get(f"/drafts/{draft.id}").get_data(as_text=True)
    assert "用邮箱关注此草案" in page and f'/drafts/{draft.id}/follow"' not in page
    app.config["MAIL_SERVER"] = ""
    assert "用邮箱关注此草案" not in client.get(f"/drafts/{draft.id}").get_data(as_text=True)
    login(make_user("citizen"))
    page = client.get(f"/drafts/{draft.id}").get_data(as_text=True)
    assert f'action="/drafts/{draft.id}/follow"' in page and "用邮箱关注此草案" not in page
    client.post(f"/drafts/{draft.id}/follow")
    client.post(f"/drafts/{draft.id}/follow")  # twice: still one follow
    page = client.get(f"/drafts/{draft.id}").get_data(as_text=True)
    assert f'action="/drafts/{draft.id}/unfollow"' in page and "取消关注" in page
    assert db.session.scalar(select(func.count()).select_from(Follow)) == 1
    client.post(f"/drafts/{draft.id}/unfollow")
    assert db.session.scalar(select(func.count()).select_from(Follow)) == 0


def test_a_big_fan_out_is_batched(app, smtp, make_draft, frozen_now, monkeypatch):
    monkeypatch.setattr(channel, "DELIVERIES_PER_JOB", 100)
    monkeypatch.setattr(mail_tasks, "FANOUT_BATCH", 120)
    draft = make_draft(published=True, opens_in=timedelta(days=1))
    now = frozen_now.now
    db.session.execute(insert(User), [
        {"email": f"f{n}@example.org", "password_hash": "x", "session_nonce": f"n{n}", "role": "citizen",
         "display_name": f"关注者{n}", "email_verified_at": now if n % 5 else None, "created_at": now}
        for n in range(250)])
    user_ids = db.session.scalars(select(User.id).order_by(User.id)).all()
    db.session.execute(insert(Follow), [{"draft_id": draft.id, "user_id": user_id, "confirmed_at": now,
                                         "created_at": now} for user_id in user_ids]
                       + [{"draft_id": draft.id, "email": f"anon{n}@example.org", "confirmed_at": now,
                           "created_at": now} for n in range(30)])
    db.session.commit()
    frozen_now.set(draft.opens_at + timedelta(minutes=1))
    _scan(app)
    fanout = db.session.scalar(select(Job).where(Job.kind == "notifications.fanout"))
    assert (fanout.state, fanout.progress_done, fanout.progress_total) == ("done", 280, 280)
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 250
    # 200 verified accounts and 30 addresses; jobs of at most 100 deliveries each.
    assert len(smtp.messages) == 230
    sizes = [len(job.params["delivery_ids"]) for job in db.session.scalars(select(Job).where(Job.kind == "mail.deliver"))]
    assert max(sizes) <= 100 and sum(sizes) == 230
    assert db.session.scalar(select(func.count()).select_from(EmailDelivery).where(EmailDelivery.state == "sent")) == 230


def test_operators_hear_once_when_their_batch_is_fully_disposed(app, smtp, make_draft, make_user, verified_user,
                                                               frozen_now):
    draft = make_draft(published=True)
    point = create_liaison_point(name="示例联系点")
    operator = verified_user("operator", liaison_point=point)
    rows = [{"provision": "第四条", "body": "联系点意见一", "stance": "修改", "category": "居民", "name": "王芳",
             "represented": 3},
            {"provision": "总体意见", "body": "联系点意见二", "stance": "赞成", "category": "企业", "name": "",
             "represented": 1}]
    checked = batches.check(batches.JsonSource(rows), draft, point)
    batches.store(checked, batches.Activity(kind="forum", date=date(2026, 1, 5)), operator, frozen_now.now)
    db.session.commit()
    staff = make_user("staff")
    ids = db.session.scalars(select(Opinion.id).order_by(Opinion.id)).all()
    decision = dispositions.DispositionInput(disposition="adopted", reason="已采纳")
    with writing():
        dispositions.dispose_selection(db.session.get(Draft, draft.id), select(Opinion.id).where(Opinion.id == ids[0]),
                                       decision, by=staff, now=frozen_now.now, selection={"ids": ids[:1]})
        db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0  # one still pending
    for _ in range(2):
        with writing():
            dispositions.dispose_selection(db.session.get(Draft, draft.id), select(Opinion.id), decision if _ == 0
                                           else dispositions.DispositionInput(disposition="for_study", reason="研究"),
                                           by=staff, now=frozen_now.now, selection={"all": True})
            db.session.commit()
    drain(app)
    [row] = db.session.scalars(select(Notification)).all()
    assert (row.user_id, row.kind) == (operator.id, "batch_disposed")
    [message] = smtp.to(operator.email)
    assert "已全部处理完毕" in body_text(message) and "（2026-01-05，2 条意见）" in body_text(message)


def test_the_cli_tick_and_drain_announce_an_opening(app, runner, smtp, make_draft, verified_user, frozen_now):
    draft = make_draft(published=True, opens_in=timedelta(hours=1))
    follower = verified_user()
    with writing():
        from participation.services import follows

        follows.follow_draft(follower, db.session.get(Draft, draft.id), now=frozen_now.now)
        db.session.commit()
    frozen_now.set(draft.opens_at + timedelta(minutes=1))
    result = runner.invoke(args=["jobs", "tick"])
    assert result.exit_code == 0 and "ran notifications.scheduled" in result.output
    for _ in range(2):  # the fan-out, then the delivery it queued
        assert runner.invoke(args=["jobs", "drain"]).exit_code == 0
    assert _subjects(smtp, follower.email) == ["关注的草案开始征求意见"]
