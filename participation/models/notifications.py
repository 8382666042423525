"""站内消息: a person's inbox. One row per person and event (``event_key``), so an event
announced twice reaches nobody twice. Other channels (email, a later issue) deliver the
same rows: see ``participation.services.notifications``."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from participation.database import UTCDateTime, utcnow
from participation.extensions import db


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "event_key"),
        # The bell's unread count and the inbox, newest first.
        Index("ix_notifications_user_unread", "user_id", "read_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))          # NotificationKind
    event_key: Mapped[str] = mapped_column(String(120))    # e.g. "feedback_published:12"
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # False when the owner turned the inbox off for this kind but wants the email: the
    # row still records the event (one per person, what the email is made from) and is
    # left out of the inbox and its unread count.
    in_inbox: Mapped[bool] = mapped_column(default=True, server_default=true())


class AnnouncedEvent(db.Model):
    """An event whose announcement was started (a draft opened, a batch fully disposed):
    whoever inserts the key first enqueues the fan-out, so a periodic scan or a repeated
    call never announces the same event twice."""

    __tablename__ = "announced_events"

    event_key: Mapped[str] = mapped_column(String(120), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
