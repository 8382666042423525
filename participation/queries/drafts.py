"""Read helpers for drafts: listings by computed status, one draft, its current version."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select

from participation.extensions import db
from participation.models import Draft, DraftVersion
from participation.queries.paging import MAX_ID, MAX_PAGE


def published_drafts_query():
    return select(Draft).where(Draft.published_at.is_not(None))


def open_drafts(now: datetime, limit: int | None = None) -> list[Draft]:
    """Drafts taking opinions now, soonest deadline first."""
    query = (
        published_drafts_query()
        .where(Draft.opens_at <= now, Draft.closes_at > now, Draft.feedback_published_at.is_(None))
        .order_by(Draft.closes_at, Draft.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def upcoming_drafts(now: datetime, limit: int | None = None) -> list[Draft]:
    query = (
        published_drafts_query()
        .where(Draft.opens_at > now, Draft.feedback_published_at.is_(None))
        .order_by(Draft.opens_at, Draft.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def recently_closed_drafts(now: datetime, limit: int = 10) -> list[Draft]:
    return list(db.session.scalars(
        published_drafts_query()
        .where(or_(Draft.closes_at <= now, Draft.feedback_published_at.is_not(None)))
        .order_by(Draft.closes_at.desc(), Draft.id.desc())
        .limit(limit)
    ))


def drafts_with_status_query(status: str | None, now: datetime, *, include_unpublished: bool):
    """A select of drafts filtered by a computed status (the same rules as
    ``Draft.status_at``), newest first."""
    query = select(Draft) if include_unpublished else published_drafts_query()
    conditions = {
        "draft": Draft.published_at.is_(None),
        "scheduled": and_(Draft.published_at.is_not(None), Draft.feedback_published_at.is_(None), Draft.opens_at > now),
        "open": and_(Draft.published_at.is_not(None), Draft.feedback_published_at.is_(None),
                     Draft.opens_at <= now, Draft.closes_at > now),
        "closed": and_(Draft.published_at.is_not(None), Draft.feedback_published_at.is_(None), Draft.closes_at <= now),
        "feedback": Draft.feedback_published_at.is_not(None),
    }
    if status in conditions:
        query = query.where(conditions[status])
    return query.order_by(Draft.created_at.desc(), Draft.id.desc())


def get_draft(draft_id: int) -> Draft | None:
    if not 0 < draft_id <= MAX_ID:
        return None
    return db.session.get(Draft, draft_id)


def drafts_page(status: str | None, now: datetime, *, include_unpublished: bool, page: int, per_page: int = 20):
    """One page (Flask-SQLAlchemy ``Pagination``) of ``drafts_with_status_query``; a page
    number past the end gives an empty page rather than a 404."""
    query = drafts_with_status_query(status, now, include_unpublished=include_unpublished)
    return db.paginate(query, page=min(max(page, 1), MAX_PAGE), per_page=per_page, error_out=False)


def current_version(draft_id: int) -> DraftVersion | None:
    return db.session.scalar(
        select(DraftVersion).where(DraftVersion.draft_id == draft_id).order_by(DraftVersion.number.desc()).limit(1)
    )


def drafts_by_id(draft_ids) -> dict[int, Draft]:
    draft_ids = list(set(draft_ids))
    if not draft_ids:
        return {}
    return {draft.id: draft for draft in db.session.scalars(select(Draft).where(Draft.id.in_(draft_ids)))}
