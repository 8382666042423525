"""年度立法计划 through the API (``GET /plans/<year>``): the projects by class, each with
the proposals behind it and, once it exists, its draft; and what a receipt code of a
proposal tells (``GET /receipts/<code>`` answers for opinions and proposals alike).

Public answers hold only published proposals, a proposer's name only where they chose
to publish it, and never contact details."""
from __future__ import annotations

from flask_babel import gettext as _

from participation import clock, labels, policies, queries
from participation.api.auth import current_api_user
from participation.api.blueprint import api
from participation.api.errors import json_response
from participation.api.opinions import RECEIPT_LOOKUPS
from participation.api.plan_calls import RECEIPT_STATUS
from participation.api.serializers import draft_url, timestamp
from participation.errors import NotFound
from participation.extensions import db
from participation.models import PROJECT_CLASSES, Draft, ModerationState, PlanCall, Proposal, ProposalGroup
from participation.services import proposals
from participation.unit_of_work import reads

MIN_YEAR, MAX_YEAR = 2000, 2100


def public_name(proposal: Proposal) -> str | None:
    """The proposer's name (or unit) where they chose to publish it, else None."""
    if not proposal.is_name_public:
        return None
    return proposal.submitter_name or proposal.unit or None


def _draft(draft_id: int | None, user, now) -> dict | None:
    draft = db.session.get(Draft, draft_id) if draft_id else None
    if draft is None or not policies.can_view_draft(user, draft, now):
        return None
    return {"id": draft.id, "title": draft.title, "url": draft_url(draft)}


@api.get("/plans/<int:year>")
@reads
def get_plan(year: int):
    user, now = current_api_user(), clock.now()
    plan = queries.plan_of_year(year) if MIN_YEAR <= year <= MAX_YEAR else None
    if plan is None or not policies.can_view_plan(user, plan):
        raise NotFound(_("该年度的立法计划不存在，或尚未发布。"))
    staff = policies.can_manage_plan_calls(user)
    behind = queries.proposals_by_project([project.id for project in plan.projects])
    classes: dict[str, list] = {name: [] for name in PROJECT_CLASSES}
    for project in plan.projects:
        shown = [p for p in behind[project.id] if staff or p.moderation_state == ModerationState.PUBLISHED.value]
        classes[project.project_class].append({
            "id": project.id, "title": project.title, "drafting_body": project.drafting_body,
            "planned_month": project.planned_month, "notes": project.notes,
            "proposal_count": len(behind[project.id]),
            "proposals": [{"id": p.id, "title": p.title, "name": public_name(p)} for p in shown],
            "draft": _draft(project.draft_id, user, now),
        })
    return json_response({
        "year": plan.year, "title": plan.title, "introduction": plan.introduction or "",
        "published": plan.published_at is not None, "published_at": timestamp(plan.published_at),
        "projects": classes,
    })


# --- a proposal's receipt ---------------------------------------------------------------------

def proposal_receipt(code: str) -> dict | None:
    """What a proposal's receipt code tells, or None when the code is no proposal's: its
    status, the call, the merged group it belongs to and, once the year's plan is
    published, its classification with the reason and the plan project it led to.
    Nothing personal, not the text, never the internal note."""
    proposal = proposals.find_by_receipt(code)
    if proposal is None:
        return None
    call = db.session.get(PlanCall, proposal.call_id)
    plan = queries.plan_of_year(call.year)
    released = plan is not None and plan.published_at is not None
    status = RECEIPT_STATUS[proposal.moderation_state]
    status_labels = {"received": _("已收到，待审核"), "published": _("已公开"), "hidden": _("已屏蔽")}
    group = db.session.get(ProposalGroup, proposal.group_id) if proposal.group_id else None
    project = None
    if released and proposal.project_id is not None:
        line = next((p for p in plan.projects if p.id == proposal.project_id), None)
        if line is not None:
            project = {"year": plan.year, "project_class": line.project_class,
                       "project_class_label": labels.label(labels.PROJECT_CLASS, line.project_class),
                       "title": line.title, "draft": _draft(line.draft_id, current_api_user(), clock.now())}
    return {
        "type": "proposal", "receipt": proposal.receipt_code, "status": status, "status_label": status_labels[status],
        "call": {"id": call.id, "title": call.title, "year": call.year},
        "submitted_at": timestamp(proposal.created_at), "plan_published": released,
        "classification": proposal.classification if released else None,
        "classification_label": labels.label(labels.CLASSIFICATION, proposal.classification) if released else None,
        "reason": proposal.classification_reason if released else None,
        "group": {"title": group.title} if group is not None else None,
        "project": project,
    }


RECEIPT_LOOKUPS.append(proposal_receipt)
