"""操作记录: every change staff and admins make to an opinion, a draft, an account or a
liaison point. Append-only: the application inserts rows and never updates or deletes
them (no route or service does; a test checks it)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from participation.database import UTCDateTime, utcnow
from participation.extensions import db


class AuditEntry(db.Model):
    """Who (``actor_id``; NULL for an operator's CLI command), when, what (``action`` on
    ``object_type`` #``object_id``), the old and new values of what changed, and for a
    bulk action the selection it was applied to and how many objects it changed."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_object", "object_type", "object_id", "id"),
        Index("ix_audit_entries_actor", "actor_id", "id"),
        Index("ix_audit_entries_draft", "draft_id", "id"),
        # A bulk API call repeated with its Idempotency-Key finds its first result here.
        UniqueConstraint("idempotency_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(30))   # opinion, draft, user, liaison_point, …
    object_id: Mapped[int | None]
    # The draft the object belongs to (an opinion's, a bulk action's), for the draft's history.
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("drafts.id", ondelete="SET NULL"))
    old: Mapped[dict | None] = mapped_column(JSON)
    new: Mapped[dict | None] = mapped_column(JSON)
    selection: Mapped[dict | None] = mapped_column(JSON)
    count: Mapped[int | None]
    idempotency_key: Mapped[str | None] = mapped_column(String(140))
