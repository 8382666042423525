"""The feedback loop of a draft (听了有反馈): who handles which clauses (承办), the reusable
replies staff pick from (常用答复), and the public account of how opinions were handled
(意见采纳情况). An opinion's own disposition is on ``Opinion``; publishing the report sets
``Draft.feedback_published_at``."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from participation.database import UTCDateTime, utcnow
from participation.extensions import db

#: ``provision_key`` of the opinions on the draft as a whole (总体意见), in assignments and
#: report sections (the staff clause filter uses the same word).
WHOLE_DRAFT_KEY = "general"


class Assignment(db.Model):
    """承办: a staff member answers for the opinions on a clause or chapter (and everything
    inside it) of a draft. By key, so it holds across the draft's readings."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("draft_id", "provision_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"), index=True)
    provision_key: Mapped[str] = mapped_column(String(80))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ReplyTemplate(db.Model):
    """常用答复: a reason staff reuse when they dispose opinions of a draft, optionally
    meant for one disposition."""

    __tablename__ = "reply_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"), index=True)
    disposition: Mapped[str] = mapped_column(String(20), default="")  # "" = any
    title: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class FeedbackReport(db.Model):
    """意见采纳情况: the introduction of a draft's public report. Its per-clause texts are
    FeedbackSection rows; its numbers are computed from the dispositions."""

    __tablename__ = "feedback_reports"

    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"), primary_key=True)
    introduction: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class FeedbackSection(db.Model):
    """One chapter's or article's part of the report: the main opinions received on it
    and how they were handled, written by staff (``provision_key`` WHOLE_DRAFT_KEY for
    the opinions on the draft as a whole)."""

    __tablename__ = "feedback_sections"
    __table_args__ = (UniqueConstraint("draft_id", "provision_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"), index=True)
    provision_key: Mapped[str] = mapped_column(String(80))
    main_opinions: Mapped[str] = mapped_column(Text, default="")
    handling: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
