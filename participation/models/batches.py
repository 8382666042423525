from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.database import UTCDateTime, utcnow
from participation.extensions import db


class ActivityKind(str, enum.Enum):
    """How a liaison point gathered the opinions of a batch."""

    FORUM = "forum"    # 座谈会
    VISIT = "visit"    # 走访
    SURVEY = "survey"  # 问卷
    OTHER = "other"    # 其他


class BatchSource(str, enum.Enum):
    XLSX = "xlsx"
    CSV = "csv"
    JSON = "json"  # rows sent to the API as JSON


class Batch(db.Model):
    """批次: one upload of a liaison point's opinion table (意见建议汇总表) on one draft.

    Its rows are stored as opinions (``Opinion.batch_id``, ``Opinion.batch_row``) in the
    same transaction as the batch, so a batch exists whole or not at all. The unique
    constraints make "never twice" hold under concurrency: the same file for the same
    point and draft, or the same idempotency key, cannot be stored a second time.

    A batch answers either a draft (its rows are opinions) or a legislative-plan call
    (``plan_call_id``; its rows are proposals, ``models.plans.Proposal``), never both.
    """

    __tablename__ = "liaison_batches"
    __table_args__ = (
        UniqueConstraint("liaison_point_id", "draft_id", "source_digest"),
        UniqueConstraint("liaison_point_id", "plan_call_id", "source_digest"),
        UniqueConstraint("idempotency_key"),
        CheckConstraint("(draft_id IS NULL) <> (plan_call_id IS NULL)", name="one_target"),
        Index("ix_liaison_batches_point_created", "liaison_point_id", "created_at"),
        Index("ix_liaison_batches_draft_id", "draft_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    liaison_point_id: Mapped[int] = mapped_column(ForeignKey("liaison_points.id"))
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"))
    plan_call_id: Mapped[int | None] = mapped_column(ForeignKey("plan_calls.id", ondelete="CASCADE"), index=True)
    # The version the rows' clauses were resolved against (the draft's current one then).
    version_id: Mapped[int | None] = mapped_column(ForeignKey("draft_versions.id", ondelete="CASCADE"))

    activity_kind: Mapped[str] = mapped_column(String(12))  # ActivityKind
    activity_date: Mapped[date] = mapped_column(Date)
    activity_place: Mapped[str] = mapped_column(String(200), default="")
    participants: Mapped[int | None]
    notes: Mapped[str] = mapped_column(Text, default="")

    entered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # 代为录入: staff entered the batch on the point's behalf.
    is_entered_by_staff: Mapped[bool] = mapped_column(default=False)
    # Staff may enter a batch after the comment period closed (the forum was held in
    # time, the table came late); the reason is recorded.
    late_reason: Mapped[str] = mapped_column(String(500), default="")

    source_format: Mapped[str] = mapped_column(String(8))     # BatchSource
    source_encoding: Mapped[str] = mapped_column(String(20), default="")
    source_filename: Mapped[str] = mapped_column(String(255), default="")  # shown only, never a path
    # SHA-256 of the uploaded file (of the canonical JSON of the rows for the API).
    source_digest: Mapped[str] = mapped_column(String(64))
    # Name of the stored upload under INSTANCE_PATH/uploads/batches (made by the
    # platform from the digest, never from the uploaded name); '' for JSON batches.
    stored_file: Mapped[str] = mapped_column(String(80), default="")
    # "<user id>:<Idempotency-Key>" of the API call that made it.
    idempotency_key: Mapped[str | None] = mapped_column(String(140))

    row_count: Mapped[int] = mapped_column(default=0)
    represented_total: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    liaison_point = relationship("LiaisonPoint", lazy="raise")
    draft = relationship("Draft", lazy="raise")
    entered_by = relationship("User", foreign_keys=[entered_by_id], lazy="raise")

    def __repr__(self) -> str:
        return f"<Batch {self.id} point={self.liaison_point_id} draft={self.draft_id} call={self.plan_call_id}>"

    @property
    def kind(self) -> str:
        """``opinions`` or ``proposals``: what the batch's rows are."""
        return "proposals" if self.plan_call_id is not None else "opinions"
