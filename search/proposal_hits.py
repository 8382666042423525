"""Proposals (立法项目建议) among search results: which calls a reader may see, and the
hits read from the database (title, texts, proposer where public) for the proposal ids
the index chose. Like opinions, every hit is checked against the database again: a
proposal hidden a moment ago and not yet re-indexed is dropped for the public."""
from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from sqlalchemy import select

from participation.extensions import db
from participation.models import ModerationState, PlanCall, Proposal
from search.highlight import make_snippet


@dataclass
class CallVisibility:
    #: Calls whose proposals the reader never sees (public: calls not yet published).
    hidden: tuple[int, ...]
    #: Titles of the calls the reader may see.
    titles: dict[int, str]


def call_visibility(staff: bool) -> CallVisibility:
    """As ``policies.can_view_proposal``: published calls' proposals are public; staff
    see every call."""
    rows = db.session.execute(select(PlanCall.id, PlanCall.title, PlanCall.published_at)).all()
    hidden = () if staff else tuple(row.id for row in rows if row.published_at is None)
    titles = {row.id: row.title for row in rows if row.id not in hidden}
    return CallVisibility(hidden, titles)


def proposal_url(proposal_id: int, staff: bool) -> str:
    return url_for("staff.proposal" if staff else "public.proposal", proposal_id=proposal_id)


def proposal_rows(ids: list[int]) -> dict[int, object]:
    if not ids:
        return {}
    rows = db.session.execute(
        select(Proposal.id, Proposal.call_id, Proposal.title, Proposal.necessity, Proposal.problems,
               Proposal.measures, Proposal.area, Proposal.category, Proposal.region, Proposal.submitter_name,
               Proposal.unit, Proposal.is_name_public, Proposal.moderation_state, Proposal.created_at)
        .where(Proposal.id.in_(ids))
    )
    return {row.id: row for row in rows}


def proposal_hit(hit_class, raw, row, *, staff: bool, calls: CallVisibility, needles: list[str]):
    """The hit of one proposal row, or None when the reader may not see it."""
    if row is None or row.call_id not in calls.titles:
        return None
    if not staff and row.moderation_state != ModerationState.PUBLISHED.value:
        return None
    snippet, spans = make_snippet([row.title, row.necessity, row.problems, row.measures], needles)
    name = None
    if row.is_name_public:
        name = " ".join(part for part in (row.submitter_name, row.unit) if part) or None
    return hit_class(
        type="proposal", id=row.id, draft_id=None, draft_title=None, provision_key=None, provision_label=None,
        snippet=snippet, highlights=spans, url=proposal_url(row.id, staff), score=raw.score,
        category=row.category, state=row.moderation_state if staff else None, region=row.region or None,
        submitter_name=name, created_at=row.created_at, call_id=row.call_id, call_title=calls.titles[row.call_id],
        title=row.title, area=row.area or None,
    )
