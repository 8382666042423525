"""The email channel of the notifications: for new inbox rows whose owner has a verified
address and email on for that kind, and for the confirmed email-only followers of a
draft, one ``EmailDelivery`` row each (unique, so a repeated fan-out writes none twice)
and a ``mail.deliver`` job per ``DELIVERIES_PER_JOB`` of them. Nothing at all while
email is off (no ``MAIL_SERVER``)."""
from __future__ import annotations

from sqlalchemy import exists, select

from participation import clock, jobs
from participation.extensions import db
from participation.mail import is_enabled
from participation.models import EmailDelivery, Follow, Notification, NotificationPreference, User
from participation.services import notifications

#: Messages one delivery job sends over one SMTP connection.
DELIVERIES_PER_JOB = 200


def _enqueue_deliveries(delivery_ids: list[int], *, draft_id: int | None = None) -> None:
    delivery_ids = sorted(delivery_ids)
    for start in range(0, len(delivery_ids), DELIVERIES_PER_JOB):
        jobs.enqueue("mail.deliver", draft_id=draft_id,
                     params={"delivery_ids": delivery_ids[start:start + DELIVERIES_PER_JOB]})


def email_channel(notification_ids: list[int]) -> None:
    """Registered with ``notifications.register_channel``: runs in the transaction that
    wrote the rows."""
    if not is_enabled():
        return
    now = clock.now()
    turned_off = exists().where(
        NotificationPreference.user_id == Notification.user_id, NotificationPreference.kind == Notification.kind,
        NotificationPreference.channel == notifications.EMAIL, NotificationPreference.is_enabled.is_(False))
    table = EmailDelivery.__table__
    for start in range(0, len(notification_ids), notifications.INSERT_CHUNK):
        chunk = notification_ids[start:start + notifications.INSERT_CHUNK]
        rows = db.session.execute(
            select(Notification.id, Notification.kind, Notification.event_key, Notification.draft_id, User.email)
            .join(User, User.id == Notification.user_id)
            .where(Notification.id.in_(chunk), User.email_verified_at.is_not(None), User.is_enabled.is_(True),
                   ~turned_off)).all()
        inserted = notifications.insert_ignoring_duplicates(table, [
            {"notification_id": row.id, "event_key": row.event_key, "kind": row.kind, "to_address": row.email,
             "state": "queued", "attempts": 0, "error": "", "created_at": now} for row in rows],
            unique=["notification_id"], returning=[table.c.id])
        _enqueue_deliveries([row.id for row in inserted], draft_id=rows[0].draft_id if rows else None)


def queue_follower_emails(follows: list[tuple[int, str]], *, kind: str, event_key: str, draft_id: int) -> int:
    """Email the event to confirmed email-only followers ((follow id, address) pairs);
    returns how many deliveries are new."""
    if not is_enabled() or not follows:
        return 0
    now = clock.now()
    table = EmailDelivery.__table__
    inserted = notifications.insert_ignoring_duplicates(table, [
        {"follow_id": follow_id, "event_key": event_key, "kind": kind, "to_address": email, "state": "queued",
         "attempts": 0, "error": "", "created_at": now} for follow_id, email in follows],
        unique=["follow_id", "event_key"], returning=[table.c.id])
    _enqueue_deliveries([row.id for row in inserted], draft_id=draft_id)
    return len(inserted)


def request_verification(user) -> bool:
    """Queue the verification link of ``user``'s address (the one message an unverified
    address gets); False when email is off or the address is verified."""
    if not is_enabled() or user.email_verified_at is not None:
        return False
    jobs.enqueue("mail.verify_email", params={"user_id": user.id, "email": user.email}, by=user)
    return True


def request_confirmation(follow: Follow) -> bool:
    """Queue the confirmation link of an email-only follow (double opt-in)."""
    if not is_enabled() or follow.confirmed_at is not None or not follow.email:
        return False
    jobs.enqueue("mail.confirm_follow", draft_id=follow.draft_id, params={"follow_id": follow.id})
    return True


notifications.register_channel(email_channel)
