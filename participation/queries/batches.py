"""Read helpers for liaison-point batches (批次): one batch with what its pages show,
listings, its rows and their receipts, and the drafts a batch can be handed in for."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from participation.extensions import db
from participation.models import Batch, Draft, LiaisonPoint, Opinion
from participation.queries.drafts import drafts_with_status_query, open_drafts
from participation.queries.paging import MAX_ID, MAX_PAGE


def get_batch(batch_id: int) -> Batch | None:
    if not 0 < batch_id <= MAX_ID:
        return None
    return db.session.scalar(
        select(Batch).where(Batch.id == batch_id)
        .options(joinedload(Batch.draft), joinedload(Batch.liaison_point), joinedload(Batch.entered_by))
    )


def batches_page(*, point_id: int | None, page: int, per_page: int = 20):
    """Batches newest first (of one point, or all), with their draft, point and
    enterer loaded."""
    query = (select(Batch)
             .options(joinedload(Batch.draft), joinedload(Batch.liaison_point), joinedload(Batch.entered_by))
             .order_by(Batch.created_at.desc(), Batch.id.desc()))
    if point_id is not None:
        query = query.where(Batch.liaison_point_id == point_id)
    return db.paginate(query, page=min(max(page, 1), MAX_PAGE), per_page=per_page, error_out=False)


def batch_rows_page(batch: Batch, *, page: int, per_page: int = 50):
    query = select(Opinion).where(Opinion.batch_id == batch.id).order_by(Opinion.batch_row)
    return db.paginate(query, page=min(max(page, 1), MAX_PAGE), per_page=per_page, error_out=False)


def batch_opinions(batch: Batch) -> dict[int, Opinion]:
    """Every row of a batch as stored, by its row number in the table sent."""
    return {opinion.batch_row: opinion for opinion in db.session.scalars(
        select(Opinion).where(Opinion.batch_id == batch.id).order_by(Opinion.batch_row))}


def batch_state_counts(batch: Batch) -> dict[str, int]:
    return dict(db.session.execute(
        select(Opinion.moderation_state, func.count()).where(Opinion.batch_id == batch.id)
        .group_by(Opinion.moderation_state)
    ).all())


def disposition_counts_by_batch(batch_ids) -> dict[int, dict[str, int]]:
    """Batch id → {disposition: rows}, for the batches given (one grouped query). The
    caller shows them only once the draft's feedback is published."""
    batch_ids = list(batch_ids)
    counts: dict[int, dict[str, int]] = {}
    if not batch_ids:
        return counts
    for batch_id, disposition, count in db.session.execute(
            select(Opinion.batch_id, Opinion.disposition, func.count())
            .where(Opinion.batch_id.in_(batch_ids)).group_by(Opinion.batch_id, Opinion.disposition)):
        counts.setdefault(batch_id, {})[disposition] = count
    return counts


def receipts_of(batch: Batch) -> list[tuple[int, str]]:
    return list(db.session.execute(
        select(Opinion.batch_row, Opinion.receipt_code).where(Opinion.batch_id == batch.id).order_by(Opinion.batch_row)
    ).all())


def open_drafts_for_batches(now: datetime, *, include_closed: bool) -> list[Draft]:
    """Drafts a batch can be handed in for: open ones; with ``include_closed`` (staff
    entering late batches) also closed ones whose feedback is not yet published."""
    drafts = open_drafts(now)
    if include_closed:
        closed = db.session.scalars(drafts_with_status_query("closed", now, include_unpublished=False).limit(50))
        drafts += [draft for draft in closed if draft not in drafts]
    return drafts


def liaison_point_names(point_ids) -> dict[int, str]:
    """Names of the given liaison points (the tally's by-point counts name them by id)."""
    ids = [int(point_id) for point_id in point_ids]
    if not ids:
        return {}
    return dict(db.session.execute(select(LiaisonPoint.id, LiaisonPoint.name).where(LiaisonPoint.id.in_(ids))).all())
