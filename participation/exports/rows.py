"""The rows of a staff export: every opinion the staff list shows for a filter, in its
order (newest first), with what each row names (clause citation, liaison point, batch
activity, 承办人) looked up once per export rather than once per row."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, or_, select

from participation import queries
from participation.extensions import db
from participation.models import (
    WHOLE_DRAFT_KEY, Assignment, Batch, LiaisonPoint, Opinion, Provision, ProvisionAncestor, User,
)
from participation.queries import OpinionCursor, StaffOpinionFilters
from participation.queries.opinions import staff_opinion_conditions

#: Rows fetched per statement: large enough that 100,000 rows take 50 round trips,
#: small enough that a batch is a few megabytes.
BATCH_SIZE = 2_000

_COLUMNS = (
    Opinion.id, Opinion.version_id, Opinion.provision_id, Opinion.provision_key, Opinion.stance, Opinion.body,
    Opinion.proposed_text, Opinion.reason, Opinion.category, Opinion.submitter_name, Opinion.region,
    Opinion.contact, Opinion.channel, Opinion.liaison_point_id, Opinion.batch_id, Opinion.batch_row,
    Opinion.represented_count, Opinion.moderation_state, Opinion.hidden_reason, Opinion.disposition,
    Opinion.disposition_reason, Opinion.disposed_at, Opinion.receipt_code, Opinion.created_at, Opinion.moderated_at,
    Opinion.delegation,
)


@dataclass(frozen=True)
class BatchActivity:
    kind: str
    date: date
    place: str


@dataclass
class ExportContext:
    """What rows refer to, by id: loaded once per export."""

    citations: dict[tuple[int, str], str]
    points: dict[int, str]
    batches: dict[int, BatchActivity]
    assignee_of_provision: dict[int, str]   # provision id → 承办人 (nearest assigned ancestor)
    whole_draft_assignee: str

    def citation(self, row) -> str:
        return self.citations.get((row.version_id, row.provision_key), "") if row.provision_key else ""

    def assignee(self, row) -> str:
        if row.provision_id is None:
            return self.whole_draft_assignee
        return self.assignee_of_provision.get(row.provision_id, "")


def count(draft_id: int, filters: StaffOpinionFilters) -> int:
    """The staff list's "共 N 条": what an export of the same filter holds."""
    return db.session.scalar(select(func.count()).select_from(Opinion).where(
        *staff_opinion_conditions(draft_id, filters))) or 0


def iter_rows(draft_id: int, filters: StaffOpinionFilters, *, batch_size: int = BATCH_SIZE) -> Iterator:
    """Every matching opinion as a row of ``_COLUMNS``, newest first (the staff list's
    order), in keyset batches on (created_at, id): no OFFSET, and only one batch held."""
    conditions = staff_opinion_conditions(draft_id, filters)
    after: tuple[datetime, int] | None = None
    while True:
        query = select(*_COLUMNS).where(*conditions)
        if after is not None:
            query = query.where(or_(Opinion.created_at < after[0],
                                    and_(Opinion.created_at == after[0], Opinion.id < after[1])))
        rows = db.session.execute(
            query.order_by(Opinion.created_at.desc(), Opinion.id.desc()).limit(batch_size)).all()
        yield from rows
        if len(rows) < batch_size:
            return
        after = (rows[-1].created_at, rows[-1].id)


def page(draft_id: int, filters: StaffOpinionFilters, *, after: OpinionCursor | None, limit: int):
    """One page of the rows for the API: (rows, cursor of the next page or None,
    context of these rows)."""
    query = select(*_COLUMNS).where(*staff_opinion_conditions(draft_id, filters))
    if after is not None:
        query = query.where(or_(Opinion.created_at < after.created_at,
                                and_(Opinion.created_at == after.created_at, Opinion.id < after.id)))
    rows = db.session.execute(query.order_by(Opinion.created_at.desc(), Opinion.id.desc()).limit(limit + 1)).all()
    next_cursor = OpinionCursor(rows[limit - 1].created_at, rows[limit - 1].id) if len(rows) > limit else None
    rows = rows[:limit]
    return rows, next_cursor, load_context(draft_id, filters, only_ids=[row.id for row in rows])


def load_context(draft_id: int, filters: StaffOpinionFilters, *, only_ids: list[int] | None = None) -> ExportContext:
    """What the rows of ``filters`` refer to (``only_ids``: of those rows only, a page)."""
    conditions = staff_opinion_conditions(draft_id, filters)
    if only_ids is not None:
        conditions.append(Opinion.id.in_(only_ids))
    pairs = db.session.execute(select(Opinion.version_id, Opinion.provision_key).where(
        *conditions, Opinion.provision_key.is_not(None)).distinct()).all()
    citations = queries.clause_citations((version_id, key) for version_id, key in pairs)
    points = dict(db.session.execute(select(LiaisonPoint.id, LiaisonPoint.name).where(
        LiaisonPoint.id.in_(select(Opinion.liaison_point_id).where(*conditions).distinct()))).all())
    batches = {row.id: BatchActivity(row.activity_kind, row.activity_date, row.activity_place)
               for row in db.session.execute(select(Batch.id, Batch.activity_kind, Batch.activity_date,
                                                    Batch.activity_place).where(
                   Batch.id.in_(select(Opinion.batch_id).where(*conditions).distinct())))}
    assignee_of_provision, whole = _assignees(draft_id, conditions)
    return ExportContext(citations=citations, points=points, batches=batches,
                         assignee_of_provision=assignee_of_provision, whole_draft_assignee=whole)


def _assignees(draft_id: int, conditions) -> tuple[dict[int, str], str]:
    """承办人 of each clause the rows are on: the staff member assigned to its nearest
    assigned ancestor (the clause itself included), as ``queries.assigned_to`` decides
    for the filter; and the one assigned the 总体意见."""
    assignments = {key: name or email for key, name, email in db.session.execute(
        select(Assignment.provision_key, User.display_name, User.email).join(User, User.id == Assignment.user_id)
        .where(Assignment.draft_id == draft_id))}
    whole = assignments.pop(WHOLE_DRAFT_KEY, "") or ""
    if not assignments:
        return {}, whole
    nearest: dict[int, tuple[int, str]] = {}
    rows = db.session.execute(
        select(ProvisionAncestor.provision_id, Provision.key, Provision.depth)
        .join(Provision, Provision.id == ProvisionAncestor.ancestor_id)
        .where(ProvisionAncestor.provision_id.in_(
            select(Opinion.provision_id).where(*conditions, Opinion.provision_id.is_not(None)).distinct()),
            Provision.key.in_(list(assignments))))
    for provision_id, key, depth in rows:
        if provision_id not in nearest or depth > nearest[provision_id][0]:
            nearest[provision_id] = (depth, assignments[key])
    return {provision_id: name for provision_id, (_depth, name) in nearest.items()}, whole
