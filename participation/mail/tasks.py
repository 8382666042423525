"""The jobs of the notifications: the fan-out of an event to a draft's followers, the
delivery of emails in batches, the two opt-in messages, and the five-minute scan for
time-based events. Listed in ``participation.jobs.queue.TASK_MODULES``."""
from __future__ import annotations

import smtplib
from datetime import datetime

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from participation import clock, jobs, labels, notification_texts
from participation.extensions import db
from participation.mail import channel, is_enabled, messages, tokens
from participation.models import Draft, EmailDelivery, Follow, Job, Notification, User
from participation.services import notifications
from participation.unit_of_work import reading, writing

#: Followers read per transaction of a fan-out.
FANOUT_BATCH = 1000
DELIVERY_RETRIES = 3


# --- fan-out -----------------------------------------------------------------------------

@jobs.task("notifications.fanout", retries=3, retry_delay=30)
def fanout(job: Job) -> None:
    """Tell every confirmed follower of the job's draft about the event in its params:
    accounts through ``notify`` (inbox rows, and through the email channel their
    emails), email-only followers by email. One transaction per ``FANOUT_BATCH``
    followers; the unique keys make a retry after a failure skip what is done."""
    params = job.params
    kind = notifications.NotificationKind(params["kind"])
    event_key, payload, draft_id = params["event_key"], params.get("payload") or {}, job.draft_id
    confirmed = (Follow.draft_id == draft_id, Follow.confirmed_at.is_not(None))
    with reading():
        total = db.session.scalar(select(func.count()).select_from(Follow).where(*confirmed)) or 0
        db.session.rollback()
    done, last_id = 0, 0
    while True:
        with writing():
            rows = db.session.execute(select(Follow.id, Follow.user_id, Follow.email).where(
                *confirmed, Follow.id > last_id).order_by(Follow.id).limit(FANOUT_BATCH)).all()
            if not rows:
                db.session.rollback()
                break
            now = clock.now()
            notifications.notify([row.user_id for row in rows if row.user_id is not None], kind=kind,
                                 event_key=event_key, now=now, draft_id=draft_id, payload=payload)
            channel.queue_follower_emails([(row.id, row.email) for row in rows if row.user_id is None and row.email],
                                          kind=kind.value, event_key=event_key, draft_id=draft_id)
            db.session.commit()
        last_id, done = rows[-1].id, done + len(rows)
        jobs.report_progress(job, done, max(total, done))  # followers added meanwhile are counted too


@jobs.periodic("notifications.scheduled", minute="*/5")
def scheduled() -> None:
    with writing():
        notifications.announce_due_events(clock.now())
        db.session.commit()


# --- composing ---------------------------------------------------------------------------

def _site_subject(title: str) -> str:
    return f"【{current_app.config['SITE_NAME']}】{title}"


def _follower_payload(draft: Draft) -> dict:
    """What an email-only follower's message says, read from the draft when it is sent
    (such followers have no inbox row holding a payload)."""
    version = draft.current_version
    return {"title": draft.title, "followed": True, "closes_at": draft.closes_at.isoformat() if draft.closes_at else "",
            "reading": version.reading if version else "", "number": version.number if version else 1}


def _compose(delivery: EmailDelivery):
    """The message of one delivery, or None when what it was about is gone."""
    if delivery.notification_id is not None:
        notification = db.session.get(Notification, delivery.notification_id)
        user = db.session.get(User, notification.user_id) if notification else None
        if user is None:
            return None
        text = notification_texts.render(notification, user, external=True)
        unsubscribe = url_for("public.email_unsubscribe", _external=True, token=tokens.dump(
            tokens.UNSUBSCRIBE, {"u": user.id, "k": notification.kind}))
        kind_label = labels.label(labels.NOTIFICATION_KIND, notification.kind)
        footer = _("您收到这封邮件，是因为您在%(site)s的账户开启了“%(kind)s”的邮件通知。退订只关闭这一类邮件；"
                   "可以在通知设置中修改：%(url)s", site=current_app.config["SITE_NAME"], kind=kind_label,
                   url=url_for("account.notification_settings", _external=True))
        greeting = _("%(name)s，您好：", name=user.display_name or user.email)
    else:
        follow = db.session.get(Follow, delivery.follow_id) if delivery.follow_id else None
        draft = db.session.get(Draft, follow.draft_id) if follow else None
        if draft is None:
            return None
        notification = Notification(kind=delivery.kind, event_key=delivery.event_key, draft_id=draft.id,
                                    payload=_follower_payload(draft))
        text = notification_texts.render(notification, None, external=True)
        unsubscribe = url_for("public.email_unsubscribe", _external=True, token=tokens.dump(
            tokens.UNSUBSCRIBE, {"f": follow.id, "e": follow.email}))
        footer = _("您收到这封邮件，是因为您用这个邮箱关注了《%(title)s》。退订后不再收到关于这部草案的邮件。",
                   title=draft.title)
        greeting = _("您好：")
    return messages.build(to=delivery.to_address, subject=_site_subject(text.title),
                          paragraphs=[greeting, text.sentence], links=[(link.label, link.url) for link in text.links],
                          unsubscribe_url=unsubscribe, footer=footer)


# --- delivery ----------------------------------------------------------------------------

def _mark(delivery_ids: list[int], now: datetime, **values) -> None:
    with writing():
        db.session.execute(update(EmailDelivery).where(
            EmailDelivery.id.in_(delivery_ids), EmailDelivery.state != "sent").values(
            attempts=EmailDelivery.attempts + 1, **values).execution_options(synchronize_session=False))
        db.session.commit()


@jobs.task("mail.deliver", retries=DELIVERY_RETRIES, retry_delay=60)
def deliver(job: Job) -> None:
    """Send the job's deliveries over one SMTP connection. A delivery already sent is
    never sent again (a retry, a duplicate message); each is marked sent as soon as the
    server took it. When the server is down or refuses, the rest stay queued and the job
    is retried with backoff; after the last retry they are marked failed."""
    if not is_enabled():
        raise jobs.JobFailed(_("邮件服务器未配置（MAIL_SERVER）。"))
    with reading(), messages.external_urls():
        deliveries = db.session.scalars(select(EmailDelivery).where(
            EmailDelivery.id.in_(job.params.get("delivery_ids") or []), EmailDelivery.state == "queued")
            .order_by(EmailDelivery.id)).all()
        composed = [(delivery.id, _compose(delivery)) for delivery in deliveries]
        db.session.rollback()
    gone = [delivery_id for delivery_id, message in composed if message is None]
    if gone:
        _mark(gone, clock.now(), state="skipped")
    outgoing = [(delivery_id, message) for delivery_id, message in composed if message is not None]
    if not outgoing:
        return
    sent: set[int] = set()
    try:
        with messages.connection() as smtp:
            for delivery_id, message in outgoing:
                smtp.send_message(message)
                sent.add(delivery_id)
                _mark([delivery_id], clock.now(), state="sent", sent_at=clock.now(), error="")
    except (smtplib.SMTPException, OSError) as exc:
        last_try = job.attempts > DELIVERY_RETRIES
        _mark([delivery_id for delivery_id, _message in outgoing if delivery_id not in sent], clock.now(),
              state="failed" if last_try else "queued", error=f"{type(exc).__name__}: {exc}"[:2000])
        raise


def _send_one(message) -> None:
    with messages.connection() as smtp:
        smtp.send_message(message)


@jobs.task("mail.verify_email", retries=DELIVERY_RETRIES, retry_delay=60)
def verify_email(job: Job) -> None:
    """The verification link of an account's address (the only message it gets before)."""
    with reading(), messages.external_urls():
        user = db.session.get(User, job.params["user_id"])
        if user is None or user.email_verified_at is not None or user.email != job.params.get("email"):
            db.session.rollback()
            return
        url = url_for("public.email_verify", _external=True,
                      token=tokens.dump(tokens.VERIFY_EMAIL, {"u": user.id, "e": user.email}))
        message = messages.build(
            to=user.email, subject=_site_subject(_("请验证您的电子邮箱")),
            paragraphs=[_("%(name)s，您好：", name=user.display_name or user.email),
                        _("请打开下面的链接验证这个电子邮箱。验证之后，您才会收到本站的邮件通知。链接 3 天内有效。")],
            links=[(_("验证电子邮箱"), url)],
            footer=_("如果您没有在%(site)s注册账户，请忽略这封邮件。", site=current_app.config["SITE_NAME"]))
        db.session.rollback()
    _send_one(message)


@jobs.task("mail.confirm_follow", retries=DELIVERY_RETRIES, retry_delay=60)
def confirm_follow(job: Job) -> None:
    """The confirmation link of an email-only follow (double opt-in)."""
    with reading(), messages.external_urls():
        follow = db.session.get(Follow, job.params["follow_id"])
        draft = db.session.get(Draft, follow.draft_id) if follow else None
        if follow is None or draft is None or follow.confirmed_at is not None:
            db.session.rollback()
            return
        url = url_for("public.email_confirm", _external=True,
                      token=tokens.dump(tokens.CONFIRM_FOLLOW, {"f": follow.id, "e": follow.email}))
        message = messages.build(
            to=follow.email, subject=_site_subject(_("请确认关注《%(title)s》", title=draft.title)),
            paragraphs=[_("您好："),
                        _("有人（希望是您）用这个邮箱关注了《%(title)s》。确认之后，草案开始征求意见、即将截止、"
                          "有新的审次和发布意见采纳情况时，我们会发邮件告诉您。链接 3 天内有效。", title=draft.title)],
            links=[(_("确认关注"), url)],
            footer=_("如果不是您本人操作，请忽略这封邮件，我们不会再给您发邮件。"))
        db.session.rollback()
    _send_one(message)
