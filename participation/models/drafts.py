from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.database import UTCDateTime, utcnow
from participation.extensions import db


class DraftStatus(str, enum.Enum):
    """Always computed from the stored times and the server clock, never stored."""

    DRAFT = "draft"          # 草稿: not published
    SCHEDULED = "scheduled"  # 即将征求意见: published, comment period not begun
    OPEN = "open"            # 征求意见中
    CLOSED = "closed"        # 已截止
    FEEDBACK = "feedback"    # 已反馈: feedback report published


def status_at(draft, now: datetime) -> DraftStatus:
    """The status of a draft at ``now``, from its stored times. ``draft`` is a Draft or
    anything with the same four time attributes (the submission hot path reads them
    without the ORM: ``participation.services.opinions.SubmissionTarget``)."""
    if draft.published_at is None or draft.opens_at is None or draft.closes_at is None:
        return DraftStatus.DRAFT
    if draft.feedback_published_at is not None:
        return DraftStatus.FEEDBACK
    if now < draft.opens_at:
        return DraftStatus.SCHEDULED
    if now < draft.closes_at:
        return DraftStatus.OPEN
    return DraftStatus.CLOSED


class Reading(str, enum.Enum):
    """审次: the stage a version of the text belongs to."""

    CONSULTATION = "consultation"  # 征求意见稿
    FIRST = "first"                # 一审稿
    SECOND = "second"              # 二审稿
    THIRD = "third"                # 三审稿
    FINAL = "final"                # 表决稿


class Draft(db.Model):
    """法规草案: a regulation under deliberation, published for a comment period."""

    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    issuing_body: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    feedback_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Opinion settings, chosen per draft by staff.
    allows_anonymous_opinions: Mapped[bool] = mapped_column(default=False, server_default=false())
    moderation_mode: Mapped[str] = mapped_column(String(8), default="post", server_default="post")  # ModerationMode
    shows_opinions_publicly: Mapped[bool] = mapped_column(default=False, server_default=false())

    versions = relationship(
        "DraftVersion", back_populates="draft", order_by="DraftVersion.number",
        cascade="all, delete-orphan", lazy="selectin",
    )

    def status_at(self, now: datetime) -> DraftStatus:
        return status_at(self, now)

    @property
    def current_version(self) -> "DraftVersion | None":
        return self.versions[-1] if self.versions else None

    def __repr__(self) -> str:
        return f"<Draft {self.id} {self.title!r}>"


class DraftVersion(db.Model):
    """One reading of a draft's text (征求意见稿, 一审稿 …) with the parser's report."""

    __tablename__ = "draft_versions"
    __table_args__ = (UniqueConstraint("draft_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(default=1)
    reading: Mapped[str] = mapped_column(String(20), default=Reading.CONSULTATION.value)
    source_title: Mapped[str] = mapped_column(String(300), default="")
    notes: Mapped[list] = mapped_column(JSON, default=list)      # 题注 lines
    issues: Mapped[list] = mapped_column(JSON, default=list)     # parser validation report
    unplaced: Mapped[list] = mapped_column(JSON, default=list)   # text the parser could not place
    source_filename: Mapped[str] = mapped_column(String(255), default="")
    source_format: Mapped[str] = mapped_column(String(10), default="text")
    source_digest: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    draft = relationship("Draft", back_populates="versions")

    @property
    def error_count(self) -> int:
        return sum(1 for issue in self.issues if issue.get("severity") == "error")

    @property
    def warning_count(self) -> int:
        return sum(1 for issue in self.issues if issue.get("severity") == "warning")
