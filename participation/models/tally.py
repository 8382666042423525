"""Counts behind the tally (意见统计), kept up to date by the database itself.

Database triggers on ``opinions`` change these rows in the same transaction as every
insert, update and delete of an opinion, however it is made (the submission service,
a liaison-point batch's Core insert, a moderation change, a bulk ``DELETE``, a draft
deleted with everything in it by cascade, SQL typed by hand). ``participation.tally.compute``
reads them instead of the opinion rows; ``flask tally check`` compares them with a
count made from scratch and ``flask tally rebuild`` recomputes them. The triggers are
created by the migration that made these tables (``b8e4c1f07a2d``): their SQL is
``participation.tally.upkeep``.

Node numbers: a provision's id, or one of the two pseudo-nodes below.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Integer, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from participation.extensions import db

#: Opinions on the draft as a whole (总体意见: ``opinions.provision_id`` NULL).
WHOLE_DRAFT_NODE = 0
#: Every opinion of the version, wherever aimed (for distinct submitters of the draft).
EVERYTHING_NODE = -1
#: ``tally_counts.liaison_point`` of opinions that came through no liaison point.
NO_LIAISON_POINT = 0


class ProvisionAncestor(db.Model):
    """The provision tree's closure: one row for every provision and each of its
    ancestors, itself included. Filled by a trigger as provisions are inserted (parents
    first, as the import does); the tally triggers read a provision's ancestors from it
    with one indexed lookup."""

    __tablename__ = "provision_ancestors"
    __table_args__ = (
        PrimaryKeyConstraint("provision_id", "ancestor_id"),
        {"sqlite_with_rowid": False},
    )

    provision_id: Mapped[int] = mapped_column(ForeignKey("provisions.id", ondelete="CASCADE"))
    ancestor_id: Mapped[int] = mapped_column(ForeignKey("provisions.id", ondelete="CASCADE"), index=True)


class TallyVersion(db.Model):
    """One row per version with opinions: ``changes`` counts the tally changes made so
    far. Every tally change updates this row first, so on PostgreSQL the transactions
    that change one version's tally take their row locks in turn and never deadlock."""

    __tablename__ = "tally_versions"

    version_id: Mapped[int] = mapped_column(ForeignKey("draft_versions.id", ondelete="CASCADE"), primary_key=True)
    changes: Mapped[int] = mapped_column(BigInteger, default=0)


class TallyCount(db.Model):
    """Opinions aimed at one node (not rolled up), by moderation state, stance,
    submitter category and liaison point; ``represented`` sums their 反映群众人数."""

    __tablename__ = "tally_counts"
    __table_args__ = (
        PrimaryKeyConstraint("version_id", "node", "moderation_state", "stance", "category", "liaison_point"),
        {"sqlite_with_rowid": False},
    )

    version_id: Mapped[int] = mapped_column(ForeignKey("draft_versions.id", ondelete="CASCADE"))
    node: Mapped[int] = mapped_column(Integer)
    moderation_state: Mapped[str] = mapped_column(String(12))
    stance: Mapped[str] = mapped_column(String(12))
    category: Mapped[str] = mapped_column(String(20))
    liaison_point: Mapped[int] = mapped_column(Integer)
    opinions: Mapped[int] = mapped_column(Integer)
    represented: Mapped[int] = mapped_column(BigInteger)


class TallySubmitter(db.Model):
    """How many opinions (not hidden) a submitter has in a node's subtree: one row per
    (node, submitter) for every ancestor of every clause they spoke on, and for
    EVERYTHING_NODE. A row appears and disappears as its count passes 0, and moves the
    node's TallyNode.submitters with it. ``published`` counts those of them that are
    published (not pending review): as it passes 0 it moves TallyNode.published_submitters,
    the distinct submitters of the public tally."""

    __tablename__ = "tally_submitters"
    __table_args__ = (
        PrimaryKeyConstraint("version_id", "node", "submitter_key"),
        {"sqlite_with_rowid": False},
    )

    version_id: Mapped[int] = mapped_column(ForeignKey("draft_versions.id", ondelete="CASCADE"))
    node: Mapped[int] = mapped_column(Integer)
    submitter_key: Mapped[str] = mapped_column(String(120))
    opinions: Mapped[int] = mapped_column(Integer)
    published: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class TallyNode(db.Model):
    """Distinct submitters of a node's subtree (rolled up): the number of its
    TallySubmitter rows; ``published_submitters``: of those with a published opinion
    there (what the public tally shows)."""

    __tablename__ = "tally_nodes"
    __table_args__ = (
        PrimaryKeyConstraint("version_id", "node"),
        {"sqlite_with_rowid": False},
    )

    version_id: Mapped[int] = mapped_column(ForeignKey("draft_versions.id", ondelete="CASCADE"))
    node: Mapped[int] = mapped_column(Integer)
    submitters: Mapped[int] = mapped_column(Integer)
    published_submitters: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class TallyDisposition(db.Model):
    """Opinions aimed at one node (not rolled up) by moderation state, disposition
    (处理情况) and channel (Opinion.channel); ``represented`` sums their 反映群众人数. Kept by their own triggers
    (participation.tally.disposition_triggers). A row whose count falls back to 0 stays
    (at most nodes × states × dispositions of them): the triggers never delete, which
    keeps a bulk disposition change to one grouped upsert."""

    __tablename__ = "tally_dispositions"
    __table_args__ = (
        PrimaryKeyConstraint("version_id", "node", "moderation_state", "disposition", "channel"),
        {"sqlite_with_rowid": False},
    )

    version_id: Mapped[int] = mapped_column(ForeignKey("draft_versions.id", ondelete="CASCADE"))
    node: Mapped[int] = mapped_column(Integer)
    moderation_state: Mapped[str] = mapped_column(String(12))
    disposition: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(10))
    opinions: Mapped[int] = mapped_column(Integer)
    represented: Mapped[int] = mapped_column(BigInteger)
