"""The demo's legislative-plan call: a closed call with 20+ proposals through the web
form and the API from every kind of proposer, reviewed (held, hidden), classified with
reasons (every classification at least once), a merged group of three, and a published
2027 plan whose first formal project names its proposals and the open demo draft."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from participation import queries
from participation.demo import plan_call as plan_demo
from participation.extensions import db
from participation.models import (
    AuditEntry, Classification, Draft, LegislativePlan, PlanCall, PlanProject, Proposal, ProposalGroup,
)


def _load(runner):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    return result


def test_the_demo_has_the_call_its_proposals_and_the_plan(runner, frozen_now):
    _load(runner)
    now = frozen_now.now
    call = db.session.scalar(select(PlanCall).where(PlanCall.year == 2027))
    assert call.year == 2027 and call.status_at(now).value == "closed"
    proposals = db.session.scalars(select(Proposal).order_by(Proposal.id)).all()
    assert len(proposals) >= 20
    assert {p.channel for p in proposals} >= {"web", "api"}
    assert {p.category for p in proposals} >= {"citizen", "deputy", "organisation", "government", "expert"}
    assert any(p.motion_number and p.category == "deputy" for p in proposals)
    assert any(p.author_id is None for p in proposals)  # anonymous visitors
    states = Counter(p.moderation_state for p in proposals)
    assert states["hidden"] >= 2 and states["pending"] >= 1 and states["published"] >= 18
    classified = {p.classification for p in proposals}
    assert classified >= {c.value for c in Classification}
    for proposal in proposals:
        if proposal.classification not in ("pending",):
            assert proposal.classification_reason, proposal.title
            assert call.closes_at <= proposal.classified_at <= now
        assert call.opens_at <= proposal.created_at < call.closes_at
        if proposal.moderated_at is not None:
            assert proposal.created_at < proposal.moderated_at <= now
    groups = db.session.scalars(select(ProposalGroup)).all()
    assert len(groups) == 1 and queries.group_sizes(call.id) == {groups[0].id: 3}

    plan = db.session.scalar(select(LegislativePlan))
    assert plan.year == 2027 and plan.published_at is not None and plan.published_at <= now
    first = plan.projects[0]
    assert first.project_class == "formal"
    assert {c for c in (p.project_class for p in plan.projects)} == {"formal", "preparatory", "research"}
    behind = db.session.scalars(select(Proposal).where(Proposal.project_id == first.id)).all()
    assert len(behind) >= 3 and groups[0].id in {p.group_id for p in behind}
    draft = db.session.get(Draft, first.draft_id)
    assert draft is not None and draft.status_at(now).value == "open"
    assert draft.title.startswith(first.title)
    line = queries.plan_line_for_draft(draft.id)
    assert line is not None
    assert db.session.scalar(select(func.max(AuditEntry.created_at))) <= now


def test_loading_twice_changes_nothing(runner):
    _load(runner)
    counts = [db.session.scalar(select(func.count()).select_from(model))
              for model in (PlanCall, Proposal, ProposalGroup, LegislativePlan, PlanProject)]
    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 0 and "本次未做任何改动" in again.stdout
    assert [db.session.scalar(select(func.count()).select_from(model))
            for model in (PlanCall, Proposal, ProposalGroup, LegislativePlan, PlanProject)] == counts


def test_a_liaison_point_handed_in_proposals_as_a_batch(runner):
    from participation.models import Batch

    _load(runner)
    batch = db.session.scalar(select(Batch).where(Batch.plan_call_id.is_not(None)))
    rows = db.session.scalars(select(Proposal).where(Proposal.batch_id == batch.id).order_by(Proposal.batch_row)).all()
    assert batch.kind == "proposals" and len(rows) == len(plan_demo.BATCH_ROWS)
    assert {p.channel for p in rows} == {"batch"} and all(p.liaison_point_id == batch.liaison_point_id for p in rows)
    assert all(p.classification != "pending" and p.classification_reason for p in rows)
    first = db.session.scalars(select(PlanProject).order_by(PlanProject.position)).first()
    assert rows[0].project_id == first.id


def test_demo_proposals_are_searchable_and_exportable(runner, app, tmp_path):
    import search
    from participation.exports import proposals as proposal_exports
    from participation.queries import ProposalFilters

    _load(runner)
    db.session.commit()
    assert search.drain(app).ok
    client = app.test_client()
    body = client.get("/api/v1/search", query_string={"q": "养老服务", "type": "proposal"}).get_json()
    assert body["total"] >= 4
    assert all(hit["type"] == "proposal" for hit in body["hits"])
    # Hidden and held proposals stay out of public search.
    assert client.get("/api/v1/search", query_string={"q": "投诉某小区物业"}).get_json()["total"] == 0
    call = db.session.scalar(select(PlanCall).where(PlanCall.year == 2027))
    assert proposal_exports.write_summary(tmp_path / "s.docx", call, ProposalFilters()) == len(plan_demo.PROPOSALS) + len(plan_demo.BATCH_ROWS)
    assert (proposal_exports.write_workbook(tmp_path / "s.xlsx", call.id, ProposalFilters())
            == len(plan_demo.PROPOSALS) + len(plan_demo.BATCH_ROWS))


def test_the_next_years_call_is_open_for_trying(runner, frozen_now):
    _load(runner)
    call = db.session.scalar(select(PlanCall).where(PlanCall.title == plan_demo.NEXT_CALL_TITLE))
    assert call.year == 2028 and call.status_at(frozen_now.now).value == "open"
    assert db.session.scalar(select(func.count()).select_from(Proposal).where(Proposal.call_id == call.id)) == 0
