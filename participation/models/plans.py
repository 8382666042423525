"""立法计划项目建议征集: a call for legislative-plan project proposals, the proposals it
draws, the groups duplicates are merged into, and the annual plan (年度立法计划) whose
projects later become drafts.

A proposal goes through the same life as an opinion (receipt, moderation, liaison-point
batches, classification with a reason, search), using the same vocabularies
(``ModerationState``, ``SubmitterCategory``, ``labels.CHANNEL``) and the same services'
helpers; only what a proposal *is* differs, so it has its own table.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.database import UTCDateTime, utcnow
from participation.extensions import db


class PlanCallStatus(str, enum.Enum):
    """Computed from the stored times and the server clock, never stored (as drafts)."""

    DRAFT = "draft"          # 未发布
    SCHEDULED = "scheduled"  # 即将开始
    OPEN = "open"            # 征集中
    CLOSED = "closed"        # 已截止


class Classification(str, enum.Enum):
    """处理情况 of a proposal (the DOMAIN's words). Labels: ``labels.CLASSIFICATION``."""

    PENDING = "pending"                  # 待处理
    FORMAL = "formal"                    # 列入正式项目（审议项目）
    PREPARATORY = "preparatory"          # 列入预备项目
    RESEARCH = "research"                # 列入调研项目
    NOT_INCLUDED = "not_included"        # 不予列入
    ALREADY_COVERED = "already_covered"  # 已有相关法规
    MERGED = "merged"                    # 合并处理


#: The classes of the annual plan's projects (a subset of the classifications).
PROJECT_CLASSES = (Classification.FORMAL.value, Classification.PREPARATORY.value, Classification.RESEARCH.value)

#: A proposer whose proposal was not included is owed the reason why.
CLASSIFICATIONS_NEEDING_REASON = frozenset({
    Classification.NOT_INCLUDED.value, Classification.ALREADY_COVERED.value, Classification.MERGED.value,
})


class ProposerCategory(str, enum.Enum):
    """提出人类别 of a proposal (the six the call names)."""

    CITIZEN = "citizen"              # 公民
    DEPUTY = "deputy"                # 人大代表
    LIAISON_POINT = "liaison_point"  # 基层立法联系点
    ORGANISATION = "organisation"    # 单位
    GOVERNMENT = "government"        # 政府部门
    EXPERT = "expert"                # 专家


class PlanCall(db.Model):
    """征集公告: a call for proposals for one year's legislative plan."""

    __tablename__ = "plan_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(index=True)  # the plan's year (2027 for a call made in 2026)
    announcement: Mapped[str] = mapped_column(Text, default="")
    # 重点领域 offered to proposers (may be empty: then the field is free text).
    focus_areas: Mapped[list] = mapped_column(JSON, default=list)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    allows_anonymous_proposals: Mapped[bool] = mapped_column(default=False, server_default=false())
    moderation_mode: Mapped[str] = mapped_column(String(8), default="post", server_default="post")  # ModerationMode
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    def status_at(self, now: datetime) -> PlanCallStatus:
        if self.published_at is None or self.opens_at is None or self.closes_at is None:
            return PlanCallStatus.DRAFT
        if now < self.opens_at:
            return PlanCallStatus.SCHEDULED
        if now < self.closes_at:
            return PlanCallStatus.OPEN
        return PlanCallStatus.CLOSED

    def __repr__(self) -> str:
        return f"<PlanCall {self.id} {self.year} {self.title!r}>"


class ProposalGroup(db.Model):
    """合并处理: proposals for the same regulation, handled as one. Each member keeps its
    own receipt and classification; the group names the regulation they share."""

    __tablename__ = "proposal_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("plan_calls.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class LegislativePlan(db.Model):
    """年度立法计划: one per year, public once published."""

    __tablename__ = "legislative_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(unique=True)
    title: Mapped[str] = mapped_column(String(200))
    introduction: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    projects = relationship("PlanProject", back_populates="plan", order_by="PlanProject.position",
                            cascade="all, delete-orphan", lazy="selectin")


class PlanProject(db.Model):
    """One project of the plan: its class, name, 起草单位, 提请审议时间 (a month), the
    proposals behind it (``Proposal.project_id``) and, once it exists, its draft."""

    __tablename__ = "plan_projects"
    __table_args__ = (
        CheckConstraint("project_class IN ('formal', 'preparatory', 'research')", name="known_class"),
        CheckConstraint("planned_month IS NULL OR (planned_month BETWEEN 1 AND 12)", name="month_of_year"),
        # A draft implements at most one plan project.
        UniqueConstraint("draft_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("legislative_plans.id", ondelete="CASCADE"), index=True)
    project_class: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    drafting_body: Mapped[str] = mapped_column(String(200), default="")
    planned_month: Mapped[int | None]
    notes: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("drafts.id", ondelete="SET NULL"))

    plan = relationship("LegislativePlan", back_populates="projects")


class Proposal(db.Model):
    """立法项目建议: one proposed regulation from one proposer in answer to a call."""

    __tablename__ = "proposals"
    __table_args__ = (
        Index("ix_proposals_call_created", "call_id", "created_at", "id"),
        Index("ix_proposals_call_classification", "call_id", "classification"),
        # One proposal per row of a liaison-point batch.
        UniqueConstraint("batch_id", "batch_row"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("plan_calls.id", ondelete="CASCADE"))

    title: Mapped[str] = mapped_column(String(200))       # 项目名称 (the regulation proposed)
    necessity: Mapped[str] = mapped_column(Text)           # 立法的必要性和可行性
    problems: Mapped[str] = mapped_column(Text, default="")  # 需要解决的主要问题
    measures: Mapped[str] = mapped_column(Text, default="")  # 拟规定的主要制度和措施
    area: Mapped[str] = mapped_column(String(50), default="")  # 重点领域

    category: Mapped[str] = mapped_column(String(20))      # ProposerCategory
    submitter_name: Mapped[str] = mapped_column(String(100), default="")
    unit: Mapped[str] = mapped_column(String(200), default="")  # 单位 / 部门 / 代表团
    region: Mapped[str] = mapped_column(String(100), default="")
    contact: Mapped[str] = mapped_column(String(200), default="")  # staff only, never public or indexed
    is_name_public: Mapped[bool] = mapped_column(default=False)
    # A deputy's proposal may rest on their 议案/建议 (its number, as the congress numbers it).
    motion_number: Mapped[str] = mapped_column(String(50), default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    liaison_point_id: Mapped[int | None] = mapped_column(ForeignKey("liaison_points.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("liaison_batches.id", ondelete="CASCADE"))
    batch_row: Mapped[int | None]
    represented_count: Mapped[int] = mapped_column(default=1)
    channel: Mapped[str] = mapped_column(String(10), default="web", server_default="web")  # labels.CHANNEL

    moderation_state: Mapped[str] = mapped_column(String(12), default="published")  # ModerationState
    hidden_reason: Mapped[str] = mapped_column(String(500), default="")
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)  # 承办人
    group_id: Mapped[int | None] = mapped_column(ForeignKey("proposal_groups.id", ondelete="SET NULL"), index=True)
    # The plan project the proposal led to (set when the project is linked to it).
    project_id: Mapped[int | None] = mapped_column(ForeignKey("plan_projects.id", ondelete="SET NULL"), index=True)

    classification: Mapped[str] = mapped_column(String(20), default="pending", server_default="pending")
    classification_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    classification_note: Mapped[str] = mapped_column(Text, default="", server_default="")  # staff only
    classified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    classified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    receipt_code: Mapped[str] = mapped_column(String(20), unique=True)
    submission_token: Mapped[str | None] = mapped_column(String(120), unique=True)
    submission_fingerprint: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    call = relationship("PlanCall", lazy="raise")
    group = relationship("ProposalGroup", lazy="raise")
    project = relationship("PlanProject", lazy="raise")
    attachments = relationship("ProposalAttachment", back_populates="proposal", lazy="raise",
                               cascade="all, delete-orphan", order_by="ProposalAttachment.id")

    def __repr__(self) -> str:
        return f"<Proposal {self.id} call={self.call_id} {self.title!r}>"


class ProposalAttachment(db.Model):
    """法规草案建议稿: a file attached to a proposal, stored under
    INSTANCE_PATH/uploads/proposals by a generated name; the uploaded name is shown only."""

    __tablename__ = "proposal_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    file_format: Mapped[str] = mapped_column(String(8))  # docx | pdf | txt, decided by content
    size: Mapped[int]
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    proposal = relationship("Proposal", back_populates="attachments")
