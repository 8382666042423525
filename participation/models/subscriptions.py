"""关注 (following a draft), the accounts' choice of channel per event, and each email sent.

A follower is an account (``user_id``) or, for visitors without one, an email address
that has confirmed the subscription by a link (double opt-in: ``confirmed_at``).
Unsubscribing an anonymous follow deletes the row; an account's choice is a
``NotificationPreference``. Every email is a ``EmailDelivery`` row, unique per
notification (accounts) or per follow and event (anonymous), so a retried job never
sends the same message twice."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from participation.database import UTCDateTime, utcnow
from participation.extensions import db


class Follow(db.Model):
    __tablename__ = "follows"
    __table_args__ = (
        UniqueConstraint("draft_id", "user_id"),
        UniqueConstraint("draft_id", "email"),
        # A fan-out walks a draft's followers in id order, in batches.
        Index("ix_follows_draft_id_id", "draft_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    email: Mapped[str | None] = mapped_column(String(254))            # anonymous followers, lower-cased
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # accounts: set at once
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NotificationPreference(db.Model):
    """An account's explicit choice for one event and channel; without a row the
    default of ``participation.services.notifications`` applies."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "kind", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))      # NotificationKind
    channel: Mapped[str] = mapped_column(String(10))   # "inbox" | "email"
    is_enabled: Mapped[bool] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EmailDelivery(db.Model):
    __tablename__ = "email_deliveries"
    __table_args__ = (
        UniqueConstraint("notification_id"),
        UniqueConstraint("follow_id", "event_key"),
        Index("ix_email_deliveries_state", "state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"))
    follow_id: Mapped[int | None] = mapped_column(ForeignKey("follows.id", ondelete="CASCADE"))
    event_key: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(40))
    to_address: Mapped[str] = mapped_column(String(254))
    state: Mapped[str] = mapped_column(String(10), default="queued")   # queued | sent | failed | skipped
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
