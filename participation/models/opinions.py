from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.database import UTCDateTime, utcnow
from participation.extensions import db


class Stance(str, enum.Enum):
    """态度."""

    SUPPORT = "support"  # 赞成
    OPPOSE = "oppose"    # 反对
    AMEND = "amend"      # 修改
    ADD = "add"          # 新增
    DELETE = "delete"    # 删除
    OTHER = "other"      # 其他


class SubmitterCategory(str, enum.Enum):
    """Who raised the opinion (提出人类别). The first five are the categories of the
    submission form; liaison-point batches name their speakers with the others too."""

    CITIZEN = "citizen"              # 公民 / 居民
    DEPUTY = "deputy"                # 人大代表
    LIAISON_POINT = "liaison_point"  # 基层立法联系点
    ORGANISATION = "organisation"    # 单位
    EXPERT = "expert"                # 专家
    ENTERPRISE = "enterprise"        # 企业
    LAWYER = "lawyer"                # 律师
    OTHER = "other"                  # 其他


class ModerationState(str, enum.Enum):
    PENDING = "pending"      # 待审核 (pre-moderated drafts)
    PUBLISHED = "published"  # 已公开
    HIDDEN = "hidden"        # 已屏蔽 (kept, counted as hidden, never silently removed)


class ModerationMode(str, enum.Enum):
    POST = "post"  # published at once, staff may hide later
    PRE = "pre"    # held until staff approve


class Disposition(str, enum.Enum):
    """处理情况: what staff decided about an opinion. The labels are ``labels.DISPOSITION``."""

    PENDING = "pending"                    # 待处理
    ADOPTED = "adopted"                    # 采纳
    PARTLY_ADOPTED = "partly_adopted"      # 部分采纳
    NOT_ADOPTED = "not_adopted"            # 未采纳
    ALREADY_PROVIDED = "already_provided"  # 已有规定
    OUT_OF_SCOPE = "out_of_scope"          # 不属于本法规调整范围
    FOR_STUDY = "for_study"                # 留作研究


#: A submitter whose opinion was not (fully) taken up is owed the reason why.
DISPOSITIONS_NEEDING_REASON = frozenset({Disposition.NOT_ADOPTED.value, Disposition.PARTLY_ADOPTED.value})


class Opinion(db.Model):
    """意见建议: one opinion on one clause of one version, or on the draft as a whole
    (``provision_id`` NULL)."""

    __tablename__ = "opinions"
    __table_args__ = (
        # The tally and the clause pages read by draft and clause.
        Index("ix_opinions_draft_provision", "draft_id", "provision_id", "moderation_state"),
        Index("ix_opinions_draft_created", "draft_id", "created_at"),
        # The tally reads only this index (never the table): its grouped counts come
        # out in index order, and the distinct (submitter, provision) pairs too.
        Index("ix_opinions_tally", "version_id", "draft_id", "provision_id", "moderation_state", "stance",
              "category", "represented_count", "liaison_point_id", "submitter_key"),
        # Clause listings, newest first, keyset-paginated on (created_at, id).
        Index("ix_opinions_provision_listing", "provision_id", "moderation_state", "created_at", "id"),
        # One opinion per row of a liaison-point batch (also the batch page's index).
        UniqueConstraint("batch_id", "batch_row"),
        # Progress counts and "undisposed" queues per draft.
        Index("ix_opinions_draft_disposition", "draft_id", "disposition"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("draft_versions.id", ondelete="CASCADE"), index=True)
    provision_id: Mapped[int | None] = mapped_column(ForeignKey("provisions.id", ondelete="CASCADE"), index=True)
    # Denormalised so exports, search and the API name the clause without a join.
    provision_key: Mapped[str | None] = mapped_column(String(80))

    stance: Mapped[str] = mapped_column(String(12))
    body: Mapped[str] = mapped_column(Text)
    proposed_text: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")

    category: Mapped[str] = mapped_column(String(20))
    region: Mapped[str] = mapped_column(String(100), default="")
    submitter_name: Mapped[str] = mapped_column(String(100), default="")
    is_name_public: Mapped[bool] = mapped_column(default=False)
    contact: Mapped[str] = mapped_column(String(200), default="")  # staff only, never public
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # Identity used to count distinct submitters: "u:<user id>" for accounts; a value
    # unique to the opinion for anonymous ones.
    submitter_key: Mapped[str] = mapped_column(String(120))
    delegation: Mapped[str | None] = mapped_column(String(100))  # 代表团 of a deputy, at the time
    liaison_point_id: Mapped[int | None] = mapped_column(ForeignKey("liaison_points.id"), index=True)
    represented_count: Mapped[int] = mapped_column(default=1)  # 反映群众人数: people behind it (batches)
    # The liaison-point batch the opinion came in, and its row there (the row number the
    # point's spreadsheet shows, for 点对点反馈).
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("liaison_batches.id", ondelete="CASCADE"))
    batch_row: Mapped[int | None]
    # How it reached us (labels.CHANNEL): web 网站, api 接口, batch 联系点汇总表. The
    # feedback report counts by it; set once, at the insert.
    channel: Mapped[str] = mapped_column(String(10), default="web", server_default="web")

    moderation_state: Mapped[str] = mapped_column(String(12), default=ModerationState.PUBLISHED.value)
    hidden_reason: Mapped[str] = mapped_column(String(500), default="")
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    # 处理情况: recorded by staff, shown to the submitter once the draft's feedback is
    # published (Draft.feedback_published_at). The note is for staff only: never on a
    # public page, in the public API, in search or on a receipt.
    disposition: Mapped[str] = mapped_column(String(20), default=Disposition.PENDING.value,
                                             server_default=Disposition.PENDING.value)
    disposition_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    disposition_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    disposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    receipt_code: Mapped[str] = mapped_column(String(20), unique=True)
    # One row per submission even when a form is posted twice or an API call retried:
    # the form's one-time token or "api:<user>:<Idempotency-Key>".
    submission_token: Mapped[str | None] = mapped_column(String(120), unique=True)
    # SHA-256 of the API request that stored it under an Idempotency-Key (the fields
    # that define the opinion, services.opinions.request_fingerprint): the same key with
    # another body is refused. NULL for form submissions and for opinions stored before
    # fingerprints were kept (treated as a match).
    submission_fingerprint: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    provision = relationship("Provision", lazy="raise")
    author = relationship("User", foreign_keys=[author_id], lazy="raise")
    liaison_point = relationship("LiaisonPoint", lazy="raise")
