"""Reading the 操作记录 (audit log): the administrators' filtered listing, newest first
with keyset paging, and one object's own history."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select

from participation.extensions import db
from participation.models import AuditEntry, Draft, LiaisonPoint, Opinion, PlanCall, Proposal, User

# Objects that have a page, by the ``object_type`` the services record.
OBJECT_MODELS = {"opinion": Opinion, "draft": Draft, "user": User, "liaison_point": LiaisonPoint,
                 "proposal": Proposal, "plan_call": PlanCall}
# An opinion page shows at most this many bulk entries of its draft that name it.
MAX_BULK_ENTRIES_SCANNED = 500


@dataclass(frozen=True)
class AuditFilters:
    """``actor_id`` 0 means the command line (no person); ``object_type`` "draft" also
    finds what was done to the draft's opinions. ``since`` / ``until`` are UTC, ``until``
    exclusive."""

    actor_id: int | None = None
    object_type: str = ""
    object_id: int | None = None
    action: str = ""
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class AuditRow:
    entry: AuditEntry
    actor: User | None
    object_exists: bool


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    next_before: int | None   # the id to page on from (older entries), None on the last page


def _conditions(filters: AuditFilters) -> list:
    conditions = []
    if filters.actor_id == 0:
        conditions.append(AuditEntry.actor_id.is_(None))
    elif filters.actor_id is not None:
        conditions.append(AuditEntry.actor_id == filters.actor_id)
    if filters.object_type:
        same_object = [AuditEntry.object_type == filters.object_type]
        if filters.object_id is not None:
            same_object.append(AuditEntry.object_id == filters.object_id)
        if filters.object_type == "draft" and filters.object_id is not None:
            conditions.append(or_(and_(*same_object), AuditEntry.draft_id == filters.object_id))
        else:
            conditions.extend(same_object)
    if filters.action:
        conditions.append(AuditEntry.action == filters.action)
    if filters.since is not None:
        conditions.append(AuditEntry.created_at >= filters.since)
    if filters.until is not None:
        conditions.append(AuditEntry.created_at < filters.until)
    return conditions


def _rows(entries: list[AuditEntry]) -> list[AuditRow]:
    """Each entry with its actor and whether its object still exists (for a link), in
    one query per kind of object."""
    actor_ids = {e.actor_id for e in entries if e.actor_id is not None}
    actors = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(actor_ids)))} if actor_ids else {}
    existing: set[tuple[str, int]] = set()
    for object_type, model in OBJECT_MODELS.items():
        ids = {e.object_id for e in entries if e.object_type == object_type and e.object_id is not None}
        if ids:
            existing.update((object_type, i) for i in db.session.scalars(select(model.id).where(model.id.in_(ids))))
    return [AuditRow(e, actors.get(e.actor_id), (e.object_type, e.object_id) in existing) for e in entries]


def audit_entries_page(filters: AuditFilters, *, before: int | None = None, per_page: int = 50) -> AuditPage:
    """Entries matching ``filters``, newest first, ``per_page`` of them older than the
    entry ``before`` (keyset paging: no count of a table that only grows)."""
    stmt = select(AuditEntry).where(*_conditions(filters))
    if before is not None:
        stmt = stmt.where(AuditEntry.id < before)
    entries = list(db.session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(per_page + 1)))
    next_before = entries[per_page - 1].id if len(entries) > per_page else None
    return AuditPage(_rows(entries[:per_page]), next_before)


def history_of(object_type: str, object_id: int, *, limit: int = 200) -> list[AuditRow]:
    """One object's own entries, oldest first."""
    entries = list(db.session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == object_type, AuditEntry.object_id == object_id)
        .order_by(AuditEntry.id.desc()).limit(limit)))
    return _rows(entries[::-1])


def opinion_history(opinion: Opinion, *, limit: int = 200) -> list[AuditRow]:
    """An opinion's own entries, and the bulk dispositions of its draft that reached it:
    those whose ticked ids name it, and the one that set its current disposition (same
    time, same person). A bulk change by filter that a later change overwrote cannot be
    told apart cheaply and is not shown."""
    entries = {e.id: e for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "opinion", AuditEntry.object_id == opinion.id)
        .order_by(AuditEntry.id.desc()).limit(limit))}
    bulk = db.session.scalars(
        select(AuditEntry).where(AuditEntry.draft_id == opinion.draft_id, AuditEntry.action == "opinion.dispose_bulk")
        .order_by(AuditEntry.id.desc()).limit(MAX_BULK_ENTRIES_SCANNED))
    for entry in bulk:
        ids = (entry.selection or {}).get("ids") or []
        reached = opinion.id in ids if isinstance(ids, list) else False
        set_current = (opinion.disposed_at is not None and entry.created_at == opinion.disposed_at
                       and entry.actor_id == opinion.disposed_by_id)
        if reached or set_current:
            entries[entry.id] = entry
    return _rows([entries[key] for key in sorted(entries)])
