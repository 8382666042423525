"""Read helpers of legislative-plan calls: calls by status, a call's proposals, the
call's tally (one GROUP BY per figure), the annual plan with the proposals behind each
project, and the line a draft page shows about the plan project it implements."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, or_, select

from participation.extensions import db
from participation.models import (
    LegislativePlan, ModerationState, PlanCall, PlanProject, Proposal, ProposalAttachment, ProposalGroup,
)


def get_call(call_id: int) -> PlanCall | None:
    return db.session.get(PlanCall, call_id)


def public_calls(now: datetime) -> tuple[list[PlanCall], list[PlanCall]]:
    """(open or scheduled calls, past calls) among the published ones, newest first."""
    calls = db.session.scalars(select(PlanCall).where(PlanCall.published_at.is_not(None))
                               .order_by(PlanCall.opens_at.desc(), PlanCall.id.desc())).all()
    current = [c for c in calls if c.status_at(now).value in ("open", "scheduled")]
    past = [c for c in calls if c.status_at(now).value == "closed"]
    return current, past


def all_calls() -> list[PlanCall]:
    return db.session.scalars(select(PlanCall).order_by(PlanCall.year.desc(), PlanCall.id.desc())).all()


@dataclass
class ProposalFilters:
    """The staff list's filter (every field optional)."""

    classification: str = ""
    moderation_state: str = ""
    category: str = ""
    area: str = ""
    channel: str = ""
    assignee_id: int | None = None
    group_id: int | None = None
    text: str = ""


def proposals_query(call_id: int, filters: ProposalFilters | None = None, *, published_only: bool = False):
    filters = filters or ProposalFilters()
    query = select(Proposal).where(Proposal.call_id == call_id)
    if published_only:
        query = query.where(Proposal.moderation_state == ModerationState.PUBLISHED.value)
    for name in ("classification", "moderation_state", "category", "area", "channel"):
        value = getattr(filters, name)
        if value:
            query = query.where(getattr(Proposal, name) == value)
    if filters.assignee_id is not None:
        query = query.where(Proposal.assignee_id == filters.assignee_id)
    if filters.group_id is not None:
        query = query.where(Proposal.group_id == filters.group_id)
    if filters.text:
        like = f"%{filters.text}%"
        query = query.where(or_(Proposal.title.like(like), Proposal.necessity.like(like)))
    return query.order_by(Proposal.created_at, Proposal.id)


def groups_of(call_id: int) -> dict[int, ProposalGroup]:
    return {g.id: g for g in db.session.scalars(select(ProposalGroup).where(ProposalGroup.call_id == call_id))}


def group_sizes(call_id: int) -> dict[int, int]:
    return dict(db.session.execute(
        select(Proposal.group_id, func.count()).where(Proposal.call_id == call_id, Proposal.group_id.is_not(None))
        .group_by(Proposal.group_id)).all())


def attachments_of(proposal_ids: list[int]) -> dict[int, list[ProposalAttachment]]:
    result: dict[int, list[ProposalAttachment]] = {pid: [] for pid in proposal_ids}
    if proposal_ids:
        for row in db.session.scalars(select(ProposalAttachment).where(ProposalAttachment.proposal_id.in_(proposal_ids))
                                      .order_by(ProposalAttachment.id)):
            result[row.proposal_id].append(row)
    return result


@dataclass
class CallTally:
    """统计 of a call: counts by focus area, proposer category, channel and
    classification, and the total. ``published_only``: what the public is shown."""

    total: int = 0
    by_area: dict[str, int] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, int] = field(default_factory=dict)
    by_classification: dict[str, int] = field(default_factory=dict)
    by_moderation: dict[str, int] = field(default_factory=dict)
    published_only: bool = False


def call_tally(call_id: int, *, published_only: bool) -> CallTally:
    condition = Proposal.call_id == call_id
    if published_only:
        condition = and_(condition, Proposal.moderation_state == ModerationState.PUBLISHED.value)
    tally = CallTally(published_only=published_only)

    def counts(column):
        return {key or "": count for key, count in db.session.execute(
            select(column, func.count()).where(condition).group_by(column).order_by(func.count().desc(), column))}

    tally.by_area = counts(Proposal.area)
    tally.by_category = counts(Proposal.category)
    tally.by_channel = counts(Proposal.channel)
    tally.by_classification = counts(Proposal.classification)
    tally.by_moderation = counts(Proposal.moderation_state)
    tally.total = sum(tally.by_category.values())
    return tally


def plan_of_year(year: int) -> LegislativePlan | None:
    return db.session.scalar(select(LegislativePlan).where(LegislativePlan.year == year))


def published_plans() -> list[LegislativePlan]:
    return db.session.scalars(select(LegislativePlan).where(LegislativePlan.published_at.is_not(None))
                              .order_by(LegislativePlan.year.desc())).all()


def proposals_by_project(project_ids: list[int]) -> dict[int, list[Proposal]]:
    result: dict[int, list[Proposal]] = {pid: [] for pid in project_ids}
    if project_ids:
        for proposal in db.session.scalars(select(Proposal).where(Proposal.project_id.in_(project_ids))
                                           .order_by(Proposal.created_at, Proposal.id)):
            result[proposal.project_id].append(proposal)
    return result


@dataclass(frozen=True)
class DraftPlanLine:
    """What a draft page says of the plan project the draft implements."""

    year: int
    project_class: str
    project_title: str
    proposal_count: int
    plan_published: bool


def plan_line_for_draft(draft_id: int) -> DraftPlanLine | None:
    row = db.session.execute(
        select(LegislativePlan.year, PlanProject.project_class, PlanProject.title, PlanProject.id,
               LegislativePlan.published_at)
        .join(LegislativePlan, LegislativePlan.id == PlanProject.plan_id)
        .where(PlanProject.draft_id == draft_id)).first()
    if row is None:
        return None
    count = db.session.scalar(select(func.count()).select_from(Proposal).where(Proposal.project_id == row[3]))
    return DraftPlanLine(row[0], row[1], row[2], count, row[4] is not None)
