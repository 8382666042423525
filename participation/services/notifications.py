"""站内消息 and the channels that deliver them.

``notify`` writes one inbox row per person and event (never two: the rows are unique on
(user, event_key)), then hands the new rows to every registered channel. The inbox is
the row itself; another channel (email, a later issue) registers a function with
``register_channel`` that is called in the same transaction with the new rows' ids —
for example to enqueue delivery jobs — so a channel is added without touching the
events."""
from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select, update

from participation.extensions import db
from participation.models import Batch, Notification, Opinion, Role, User


class NotificationKind(str, enum.Enum):
    FEEDBACK_PUBLISHED = "feedback_published"  # 意见采纳情况已发布


Channel = Callable[[list[int]], None]
_channels: list[Channel] = []


def register_channel(channel: Channel) -> None:
    if channel not in _channels:
        _channels.append(channel)


def notify(user_ids, *, kind: NotificationKind, event_key: str, now: datetime,
           draft_id: int | None = None, payload: dict | None = None) -> list[int]:
    """Put the event in the inbox of each of ``user_ids`` (a list or a SELECT of user
    ids) who does not have it yet; returns the ids of the new rows."""
    if not isinstance(user_ids, (list, tuple, set)):
        user_ids = list(db.session.scalars(user_ids))
    already = set(db.session.scalars(select(Notification.user_id).where(
        Notification.event_key == event_key, Notification.user_id.in_(user_ids)))) if user_ids else set()
    rows = [Notification(user_id=user_id, kind=kind.value, event_key=event_key, draft_id=draft_id,
                         payload=dict(payload or {}), created_at=now)
            for user_id in sorted(set(user_ids) - already)]
    db.session.add_all(rows)
    db.session.flush()
    new_ids = [row.id for row in rows]
    if new_ids:
        for channel in _channels:
            channel(new_ids)
    return new_ids


def notify_feedback_published(draft, *, now: datetime) -> list[int]:
    """Everyone with an account who commented on ``draft`` (web or API), and the
    operators of every liaison point that sent a batch on it, hear that its feedback is
    published."""
    authors = set(db.session.scalars(select(Opinion.author_id).where(
        Opinion.draft_id == draft.id, Opinion.author_id.is_not(None)).distinct()))
    points = select(Batch.liaison_point_id).where(Batch.draft_id == draft.id)
    operators = set(db.session.scalars(select(User.id).where(
        User.role == Role.OPERATOR.value, User.liaison_point_id.in_(points), User.is_enabled.is_(True))))
    return notify(sorted(authors | operators), kind=NotificationKind.FEEDBACK_PUBLISHED, event_key=f"feedback_published:{draft.id}",
                  draft_id=draft.id, payload={"title": draft.title}, now=now)


def unread_count(user_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def mark_read(user_id: int, *, now: datetime, notification_id: int | None = None) -> int:
    """Mark one (or, without ``notification_id``, every) unread notification of the user read."""
    query = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    return db.session.execute(query.values(read_at=now).execution_options(synchronize_session=False)).rowcount or 0
