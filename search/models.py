"""The search outbox: changes the index has yet to take in.

A row says "the index may be out of date for this thing"; it carries no content. The
indexer reads the thing's current state from the database when it gets to the row, so
rows can be applied in any order and more than once (the database is the truth, the
index is derived). Rows are written in the same transaction as the change they
describe (``search.tracking``), so a committed change always has its row and a
rolled-back one never does.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from participation.database import UTCDateTime, utcnow
from participation.extensions import db

#: What a row names. ``draft``: the provisions of the draft's current version (or, when
#: the draft is gone, everything of it); ``version``: the draft of that version;
#: ``all``: everything (a bulk change whose rows could not be told apart).
ENTITY_OPINION = "opinion"
ENTITY_DRAFT = "draft"
ENTITY_VERSION = "version"
ENTITY_ALL = "all"
#: A liaison-point batch: its opinions (or, when the batch is gone, their documents).
ENTITY_BATCH = "batch"
#: A proposal (立法项目建议); a legislative-plan call: its proposals (or, when the call
#: is gone, their documents).
ENTITY_PROPOSAL = "proposal"
ENTITY_PLAN_CALL = "plan_call"
ENTITIES = (ENTITY_OPINION, ENTITY_DRAFT, ENTITY_VERSION, ENTITY_BATCH, ENTITY_PROPOSAL, ENTITY_PLAN_CALL,
            ENTITY_ALL)


class SearchOutboxEntry(db.Model):
    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<SearchOutboxEntry {self.id} {self.entity}:{self.entity_id}>"
