"""Read helpers for opinions (意见建议): published listings with keyset pagination,
counts, the staff list and its filters, duty records."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import and_, func, or_, select

from participation.extensions import db
from participation.models import ModerationState, Opinion
from participation.queries.dispositions import assigned_to
from participation.queries.paging import MAX_ID
from participation.queries.provisions import ProvisionNode, clause_citations


@dataclass(frozen=True)
class OpinionCursor:
    """A position in a newest-first listing: the (created_at, id) of the last opinion
    shown. Keyset pagination: the next page starts strictly after it, so a page never
    repeats or skips rows when opinions arrive while someone reads."""

    created_at: datetime
    id: int

    def encode(self) -> str:
        stamp = self.created_at.astimezone(timezone.utc).strftime("%Y%m%d%H%M%S%f")
        return f"{stamp}-{self.id}"

    @classmethod
    def decode(cls, value: str | None) -> "OpinionCursor | None":
        """None for anything malformed (a hand-edited link starts from the newest)."""
        if not value or len(value) > 40:
            return None
        stamp, _sep, raw_id = value.partition("-")
        if not raw_id.isdigit() or not stamp.isdigit() or len(stamp) != 20:
            return None
        try:
            created_at = datetime.strptime(stamp, "%Y%m%d%H%M%S%f").replace(tzinfo=timezone.utc)
        except ValueError:
            return None
        opinion_id = int(raw_id)
        if not 0 < opinion_id <= MAX_ID:
            return None
        return cls(created_at, opinion_id)


@dataclass
class OpinionPage:
    items: list[Opinion]
    next_cursor: OpinionCursor | None
    citations: dict[str, str]


def _published(query, draft_id: int, version_id: int, provision_ids: list[int] | None, whole_draft_only: bool):
    """``query`` restricted to the published opinions a listing shows (see
    ``published_opinions_page``)."""
    query = query.where(
        Opinion.draft_id == draft_id, Opinion.version_id == version_id,
        Opinion.moderation_state == ModerationState.PUBLISHED.value,
    )
    if provision_ids is not None:
        return query.where(Opinion.provision_id.in_(provision_ids))
    if whole_draft_only:
        return query.where(Opinion.provision_id.is_(None))
    return query


def published_opinions_page(draft_id: int, version_id: int, *, provision_ids: list[int] | None = None,
                            whole_draft_only: bool = False, after: OpinionCursor | None = None,
                            limit: int = 20) -> OpinionPage:
    """One page of published opinions, newest first. ``provision_ids`` restricts to
    those clauses (a clause with its parts); ``whole_draft_only`` to 总体意见; neither:
    everything said on the draft's version."""
    query = _published(select(Opinion), draft_id, version_id, provision_ids, whole_draft_only)
    if after is not None:
        query = query.where(or_(
            Opinion.created_at < after.created_at,
            and_(Opinion.created_at == after.created_at, Opinion.id < after.id),
        ))
    rows = list(db.session.scalars(query.order_by(Opinion.created_at.desc(), Opinion.id.desc()).limit(limit + 1)))
    items = rows[:limit]
    next_cursor = OpinionCursor(items[-1].created_at, items[-1].id) if len(rows) > limit else None
    citations = clause_citations((version_id, o.provision_key) for o in items)
    return OpinionPage(items=items, next_cursor=next_cursor,
                       citations={key: value for (_v, key), value in citations.items()})


def published_counts(draft_id: int, version_id: int) -> tuple[dict[int, int], int]:
    """Published opinions per provision id, and the number of published 总体意见."""
    rows = db.session.execute(
        select(Opinion.provision_id, func.count())
        .where(Opinion.draft_id == draft_id, Opinion.version_id == version_id,
               Opinion.moderation_state == ModerationState.PUBLISHED.value)
        .group_by(Opinion.provision_id)
    ).all()
    counts = {provision_id: count for provision_id, count in rows if provision_id is not None}
    whole = sum(count for provision_id, count in rows if provision_id is None)
    return counts, whole


def rolled_up_counts(nodes: list[ProvisionNode], counts: dict[int, int]) -> dict[str, int]:
    """Key → count of the node and everything below it, for the nodes given (a page of
    a draft), leaving out zeros."""
    totals: dict[str, int] = {}

    def visit(node: ProvisionNode) -> int:
        total = counts.get(node.row.id, 0) + sum(visit(child) for child in node.children)
        if total:
            totals[node.row.key] = total
        return total

    for node in nodes:
        visit(node)
    return totals


@dataclass
class StaffOpinionFilters:
    """The staff list's filters; empty values filter nothing."""

    state: str = ""
    stance: str = ""
    category: str = ""
    clause: str = ""     # a key: that clause and everything below it; "general": 总体意见
    text: str = ""
    liaison_point: int | None = None
    batch: int | None = None
    disposition: str = ""
    assignee: int | None = None  # 承办人: opinions whose nearest assigned clause is theirs

    def as_args(self) -> dict[str, str]:
        return {name: str(value) for name, value in vars(self).items() if value}

    def describe(self) -> dict:
        """The filter as the audit log records a bulk selection."""
        return {name: value for name, value in vars(self).items() if value}

def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def staff_opinion_conditions(draft_id: int, filters: StaffOpinionFilters) -> list:
    """The WHERE clauses of the staff list (and of a bulk disposition by filter)."""
    conditions = [Opinion.draft_id == draft_id]
    if filters.state:
        conditions.append(Opinion.moderation_state == filters.state)
    if filters.stance:
        conditions.append(Opinion.stance == filters.stance)
    if filters.category:
        conditions.append(Opinion.category == filters.category)
    if filters.clause == "general":
        conditions.append(Opinion.provision_key.is_(None))
    elif filters.clause:
        conditions.append(or_(Opinion.provision_key == filters.clause,
                              Opinion.provision_key.like(_like_escape(filters.clause) + ".%", escape="\\")))
    if filters.text:
        pattern = f"%{_like_escape(filters.text)}%"
        conditions.append(or_(*(column.ilike(pattern, escape="\\") for column in (
            Opinion.body, Opinion.proposed_text, Opinion.reason, Opinion.submitter_name, Opinion.region,
            Opinion.contact, Opinion.receipt_code))))
    if filters.liaison_point:
        conditions.append(Opinion.liaison_point_id == filters.liaison_point)
    if filters.batch:
        conditions.append(Opinion.batch_id == filters.batch)
    if filters.disposition:
        conditions.append(Opinion.disposition == filters.disposition)
    if filters.assignee:
        conditions.append(assigned_to(filters.assignee))
    return conditions


def staff_opinions_query(draft_id: int, filters: StaffOpinionFilters):
    """Every opinion of a draft matching the filters (hidden ones included), newest
    first."""
    query = select(Opinion).where(*staff_opinion_conditions(draft_id, filters))
    return query.order_by(Opinion.created_at.desc(), Opinion.id.desc())


def staff_opinion_ids(draft_id: int, filters: StaffOpinionFilters):
    """SELECT of the ids ``staff_opinions_query`` lists (a bulk selection)."""
    return select(Opinion.id).where(*staff_opinion_conditions(draft_id, filters))


def opinion_state_counts(draft_id: int) -> dict[str, int]:
    """Opinions of a draft by moderation state (every state present, zeros included)."""
    counts = {state.value: 0 for state in ModerationState}
    counts.update(db.session.execute(
        select(Opinion.moderation_state, func.count()).where(Opinion.draft_id == draft_id)
        .group_by(Opinion.moderation_state)
    ).all())
    return counts


def opinion_counts_by_draft(draft_ids) -> dict[int, dict[str, int]]:
    """For listings: draft id → {state: count} (drafts without opinions are absent)."""
    draft_ids = list(draft_ids)
    if not draft_ids:
        return {}
    result: dict[int, dict[str, int]] = {}
    for draft_id, state, count in db.session.execute(
        select(Opinion.draft_id, Opinion.moderation_state, func.count())
        .where(Opinion.draft_id.in_(draft_ids)).group_by(Opinion.draft_id, Opinion.moderation_state)
    ):
        result.setdefault(draft_id, {})[state] = count
    return result


def get_opinion(opinion_id: int) -> Opinion | None:
    if not 0 < opinion_id <= MAX_ID:
        return None
    return db.session.get(Opinion, opinion_id)


def opinion_citations(opinions) -> dict[int, str]:
    """Opinion id → citation of its clause ('' for 总体意见)."""
    opinions = list(opinions)
    citations = clause_citations((o.version_id, o.provision_key) for o in opinions)
    return {o.id: citations.get((o.version_id, o.provision_key), "") for o in opinions}


def duty_record_query(user_id: int):
    """A deputy's own opinions (履职记录), newest first (``drafts_by_id`` loads their
    drafts)."""
    return select(Opinion).where(Opinion.author_id == user_id).order_by(Opinion.created_at.desc(), Opinion.id.desc())


def my_opinions_query(user_id: int):
    """我的意见: every opinion the account submitted (web or API), newest first. The
    same rows as a deputy's record of duty; named for what every account sees."""
    return duty_record_query(user_id)


def published_count(draft_id: int, version_id: int, *, provision_ids: list[int] | None = None,
                    whole_draft_only: bool = False) -> int:
    """How many opinions ``published_opinions_page`` lists over all its pages."""
    query = _published(select(func.count()).select_from(Opinion), draft_id, version_id, provision_ids,
                       whole_draft_only)
    return db.session.scalar(query) or 0


def duty_record_summary(user_id: int) -> dict[str, int]:
    row = db.session.execute(
        select(func.count(), func.count(func.distinct(Opinion.draft_id))).where(Opinion.author_id == user_id)
    ).one()
    return {"opinions": row[0], "drafts": row[1]}


# --- Opinions API (participation/api/opinions.py) ------------------------------------

def published_opinion_total(draft_id: int, version_id: int, provision_ids: list[int]) -> int:
    """Published opinions on the given provisions (a clause and its parts: the "共 N 条"
    of a listing)."""
    return db.session.scalar(
        select(func.count()).select_from(Opinion).where(
            Opinion.draft_id == draft_id, Opinion.version_id == version_id,
            Opinion.provision_id.in_(provision_ids),
            Opinion.moderation_state == ModerationState.PUBLISHED.value,
        )
    )
