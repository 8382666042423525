"""What the public pages say of a proposal's fate and of a plan project: the words a
proposer reads on the receipt page and on 我的意见, the public proposal page's
classification, the annual plan's projects with the proposals behind them, and the line
a draft page shows about the plan project it implements.

One rule throughout: a proposal's classification (and its reason) is released when the
plan of its call's year is published (``LegislativePlan.published_at``); before that,
staff may still change it, so every page says 处理中. Merging (合并处理 groups) is a
handling step and is shown as it stands.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from participation import clock, labels, policies, queries
from participation.extensions import db
from participation.models import (
    PROJECT_CLASSES, Draft, LegislativePlan, PlanCall, PlanProject, Proposal, ProposalGroup,
)

MY_PROPOSALS_LIMIT = 100


def class_word(project_class: str) -> str:
    """正式项目 / 预备项目 / 调研项目: the class as a sentence names it (the heading's
    parenthesis left out)."""
    text = labels.label(labels.PROJECT_CLASS, project_class)
    for opening in ("（", " ("):
        text = text.split(opening, 1)[0]
    return text.strip()


def published_counts(call_ids) -> dict[int, int]:
    """The number of published proposals of each call (one GROUP BY for a listing)."""
    ids = set(call_ids)
    counts = dict(db.session.execute(
        select(Proposal.call_id, func.count())
        .where(Proposal.call_id.in_(ids), Proposal.moderation_state == "published")
        .group_by(Proposal.call_id)).all()) if ids else {}
    return {call_id: counts.get(call_id, 0) for call_id in ids}


def public_name(proposal: Proposal) -> str:
    """The proposer's name (or unit) when they chose to publish it, else ''. Never contact."""
    if not proposal.is_name_public:
        return ""
    return proposal.submitter_name or proposal.unit or ""


@dataclass(frozen=True)
class ProposalStatus:
    """Where a proposal stands, as its proposer (and, where public, anyone) may read it."""

    proposal: Proposal
    call: PlanCall
    released: bool                 # the year's plan is published: the classification is final
    label: str                     # the classification's label, or 处理中 before release
    sentence: str                  # the answer for the proposer ('' when there is none yet)
    reason: str                    # the classification's reason (released only)
    project: PlanProject | None    # the plan project it led to (released only)
    draft: Draft | None            # that project's draft, when the viewer may read it
    group_title: str               # 合并处理: the regulation the group shares
    group_others: int              # how many other proposals are in the group

    @property
    def classification(self) -> str:
        return self.proposal.classification if self.released else ""


def _sentence(proposal: Proposal, year: int, project: PlanProject | None) -> str:
    value = proposal.classification
    if value in PROJECT_CLASSES:
        if project is not None:
            return _("您的建议已列入 %(year)d 年度立法计划%(klass)s《%(title)s》。", year=year,
                     klass=class_word(project.project_class), title=project.title)
        return _("您的建议已列入 %(year)d 年度立法计划%(klass)s。", year=year, klass=class_word(value))
    if value == "pending":
        return _("%(year)d 年度立法计划已经发布，这件建议尚未作出处理决定。", year=year)
    label = labels.label(labels.CLASSIFICATION, value)
    if proposal.classification_reason:
        return _("%(label)s，理由：%(reason)s", label=label, reason=proposal.classification_reason)
    return label


def proposal_statuses(proposals, user) -> dict[int, ProposalStatus]:
    """The status of each proposal (by id), loaded in a few queries for a whole list."""
    proposals = list(proposals)
    if not proposals:
        return {}
    calls = {c.id: c for c in db.session.scalars(select(PlanCall).where(
        PlanCall.id.in_({p.call_id for p in proposals})))}
    plans = {plan.year: plan for plan in db.session.scalars(select(LegislativePlan).where(
        LegislativePlan.year.in_({c.year for c in calls.values()})))}
    group_ids = {p.group_id for p in proposals if p.group_id is not None}
    groups = {g.id: g for g in db.session.scalars(select(ProposalGroup).where(ProposalGroup.id.in_(group_ids)))} \
        if group_ids else {}
    sizes = dict(db.session.execute(select(Proposal.group_id, func.count()).where(Proposal.group_id.in_(group_ids))
                                    .group_by(Proposal.group_id)).all()) if group_ids else {}
    project_ids = {p.project_id for p in proposals if p.project_id is not None}
    projects = {p.id: p for p in db.session.scalars(select(PlanProject).where(PlanProject.id.in_(project_ids)))} \
        if project_ids else {}
    drafts = visible_drafts([p.draft_id for p in projects.values()], user)
    result = {}
    for proposal in proposals:
        call = calls[proposal.call_id]
        plan = plans.get(call.year)
        released = plan is not None and plan.published_at is not None
        project = projects.get(proposal.project_id) if released else None
        if project is not None and project.plan_id != plan.id:
            project = None
        group = groups.get(proposal.group_id)
        result[proposal.id] = ProposalStatus(
            proposal=proposal, call=call, released=released,
            label=labels.label(labels.CLASSIFICATION, proposal.classification) if released else _("处理中"),
            sentence=_sentence(proposal, call.year, project) if released else "",
            reason=proposal.classification_reason if released else "",
            project=project, draft=drafts.get(project.draft_id) if project is not None else None,
            group_title=group.title if group is not None else "",
            group_others=max(sizes.get(proposal.group_id, 1) - 1, 0) if group is not None else 0,
        )
    return result


def proposal_status(proposal: Proposal, user) -> ProposalStatus:
    return proposal_statuses([proposal], user)[proposal.id]


def visible_drafts(draft_ids, user) -> dict[int, Draft]:
    """The drafts among ``draft_ids`` that ``user`` may read (a plan project's draft may
    not be published yet)."""
    ids = {i for i in draft_ids if i is not None}
    if not ids:
        return {}
    now = clock.now()
    return {d.id: d for d in db.session.scalars(select(Draft).where(Draft.id.in_(ids)))
            if policies.can_view_draft(user, d, now)}


def my_proposals(user) -> list[ProposalStatus]:
    """我的意见's section 我的立法项目建议: the account's proposals, newest first."""
    proposals = db.session.scalars(select(Proposal).where(Proposal.author_id == user.id)
                                   .order_by(Proposal.created_at.desc(), Proposal.id.desc())
                                   .limit(MY_PROPOSALS_LIMIT)).all()
    statuses = proposal_statuses(proposals, user)
    return [statuses[p.id] for p in proposals]


# --- the annual plan ---------------------------------------------------------------------

@dataclass(frozen=True)
class ProjectRow:
    project: PlanProject
    public_proposals: list[Proposal]   # published ones: linked, with the name where public
    other_count: int                   # the rest, counted ("另有 N 件建议")
    draft: Draft | None


def plan_sections(plan: LegislativePlan, user) -> list[tuple[str, str, list[ProjectRow]]]:
    """(class, heading, rows) for each class of the plan that has projects, in the
    order of ``labels.PROJECT_CLASS``; projects in their position order."""
    projects = sorted(plan.projects, key=lambda p: (p.position, p.id))
    behind = queries.proposals_by_project([p.id for p in projects])
    drafts = visible_drafts([p.draft_id for p in projects], user)
    sections = []
    for klass in labels.PROJECT_CLASS:
        rows = []
        for project in projects:
            if project.project_class != klass:
                continue
            shown = [p for p in behind[project.id] if p.moderation_state == "published"]
            rows.append(ProjectRow(project, shown, len(behind[project.id]) - len(shown),
                                   drafts.get(project.draft_id)))
        if rows:
            sections.append((klass, labels.label(labels.PROJECT_CLASS, klass), rows))
    return sections


def draft_plan_line(draft_id: int) -> dict | None:
    """"本法规列入 2027 年度立法计划正式项目，源自 N 件公众建议": for the public draft
    page, once the plan is published; None otherwise."""
    line = queries.plan_line_for_draft(draft_id)
    if line is None or not line.plan_published:
        return None
    return {"year": line.year, "klass": class_word(line.project_class), "count": line.proposal_count,
            "title": line.project_title, "url": url_for("public.plan", year=line.year)}
