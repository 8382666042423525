from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from participation.extensions import db


class ProvisionKind(str, enum.Enum):
    PART = "part"            # 编
    SUBPART = "subpart"      # 分编
    CHAPTER = "chapter"      # 章
    SECTION = "section"      # 节
    ARTICLE = "article"      # 条
    PARAGRAPH = "paragraph"  # 款
    ITEM = "item"            # 项
    SUBITEM = "subitem"      # 目
    PREAMBLE = "preamble"    # 序言
    ANNEX = "annex"          # 附件


STRUCTURAL_KINDS = frozenset({"part", "subpart", "chapter", "section"})
# Kinds an opinion can be aimed at ("对本条提意见").
COMMENTABLE_KINDS = frozenset({"article", "paragraph", "item", "subitem", "preamble", "annex"})


class Provision(db.Model):
    """One node of a version's provision tree.

    Rows are stored flat with their document order (``position``) so a whole version is
    read with one ordered query and reassembled in memory; ``key`` (``art.12.2.3``) is the
    stable machine address used by URLs, the API, opinions and tallies.
    """

    __tablename__ = "provisions"
    __table_args__ = (
        UniqueConstraint("version_id", "key"),
        UniqueConstraint("version_id", "position"),
        Index("ix_provisions_parent_id", "parent_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("draft_versions.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("provisions.id", ondelete="CASCADE"))
    position: Mapped[int]
    depth: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(12))
    key: Mapped[str] = mapped_column(String(80))
    label: Mapped[str] = mapped_column(String(40))
    number: Mapped[int | None]
    suffix: Mapped[int | None]
    heading: Mapped[str] = mapped_column(String(300), default="")
    text: Mapped[str] = mapped_column(Text, default="")

    @property
    def anchor(self) -> str:
        """URL fragment id; keys are already URL-safe."""
        return self.key

    def __repr__(self) -> str:
        return f"<Provision {self.key}>"
