"""年度立法计划: staff build the annual plan as structured data (projects by class, each
with its 起草单位, 提请审议时间 and the proposals behind it), publish it, and later link
a project to the draft that implements it. Audited like every staff change."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from participation.errors import Conflict, ValidationFailed
from participation.extensions import db
from participation.models import (
    PROJECT_CLASSES, Classification, Draft, LegislativePlan, PlanCall, PlanProject, Proposal, User,
)
from participation.services import audit, classifications
from participation.services.plan_calls import MAX_YEAR, MIN_YEAR
from participation.text import clean_text

MAX_TITLE_LENGTH = 200
MAX_BODY_LENGTH = 200
MAX_TEXT_LENGTH = 20000


@dataclass
class ProjectInput:
    project_class: str
    title: str
    drafting_body: str = ""
    planned_month: int | str | None = None
    notes: str = ""
    proposal_ids: list[int] = field(default_factory=list)


def _year(value) -> int:
    try:
        year = int(str(value).strip())
        if MIN_YEAR <= year <= MAX_YEAR:
            return year
    except (TypeError, ValueError):
        pass
    raise ValidationFailed(_("请填写计划年度（如 2027）。"), fields={"year": [_("请填写计划年度（如 2027）。")]})


def plan_for_year(year, *, by: User | None, now: datetime) -> LegislativePlan:
    """The year's plan, created (unpublished, with a default title) when missing."""
    year = _year(year)
    plan = db.session.scalar(select(LegislativePlan).where(LegislativePlan.year == year))
    if plan is None:
        plan = LegislativePlan(year=year, title=_("%(year)d 年度立法计划", year=year), updated_at=now,
                               updated_by_id=getattr(by, "id", None))
        db.session.add(plan)
        db.session.flush()
        audit.record("plan.create", actor=by, object_type="plan", object_id=plan.id, new={"year": year}, now=now)
    return plan


def update_plan(plan: LegislativePlan, *, title: str, introduction: str, by: User | None,
                now: datetime) -> LegislativePlan:
    title = clean_text(title or "", multiline=False)
    introduction = clean_text(introduction or "", multiline=True)
    errors = {}
    if not title:
        errors["title"] = [_("请填写标题。")]
    elif len(title) > MAX_TITLE_LENGTH:
        errors["title"] = [_("不能超过 %(limit)d 个字。", limit=MAX_TITLE_LENGTH)]
    if len(introduction) > MAX_TEXT_LENGTH:
        errors["introduction"] = [_("不能超过 %(limit)d 个字。", limit=MAX_TEXT_LENGTH)]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors)
    before = audit.snapshot(plan, ("title", "introduction"))
    plan.title, plan.introduction = title, introduction
    plan.updated_at, plan.updated_by_id = now, getattr(by, "id", None)
    audit.record_change("plan.update", actor=by, object_type="plan", object_id=plan.id, before=before,
                        after=audit.snapshot(plan, ("title", "introduction")), now=now)
    db.session.flush()
    return plan


def _check_project(data: ProjectInput) -> dict:
    errors: dict[str, list[str]] = {}
    project_class = (data.project_class or "").strip()
    if project_class not in PROJECT_CLASSES:
        errors["project_class"] = [_("请选择项目类别（正式项目、预备项目或调研项目）。")]
    title = clean_text(data.title or "", multiline=False)
    if not title:
        errors["title"] = [_("请填写项目名称。")]
    elif len(title) > MAX_TITLE_LENGTH:
        errors["title"] = [_("不能超过 %(limit)d 个字。", limit=MAX_TITLE_LENGTH)]
    body = clean_text(data.drafting_body or "", multiline=False)
    if len(body) > MAX_BODY_LENGTH:
        errors["drafting_body"] = [_("不能超过 %(limit)d 个字。", limit=MAX_BODY_LENGTH)]
    month = data.planned_month
    if month in (None, ""):
        month = None
    else:
        try:
            month = int(str(month).strip().removesuffix("月"))
            if not 1 <= month <= 12:
                raise ValueError
        except ValueError:
            errors["planned_month"] = [_("提请审议时间请填写 1 至 12 月。")]
    notes = clean_text(data.notes or "", multiline=True)
    if len(notes) > MAX_TEXT_LENGTH:
        errors["notes"] = [_("不能超过 %(limit)d 个字。", limit=MAX_TEXT_LENGTH)]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors)
    return {"project_class": project_class, "title": title, "drafting_body": body, "planned_month": month,
            "notes": notes}


_PROJECT_FIELDS = ("project_class", "title", "drafting_body", "planned_month", "notes")


def add_project(plan: LegislativePlan, data: ProjectInput, *, by: User | None, now: datetime) -> PlanProject:
    values = _check_project(data)
    position = db.session.scalar(select(func.coalesce(func.max(PlanProject.position), 0))
                                 .where(PlanProject.plan_id == plan.id)) + 1
    project = PlanProject(plan_id=plan.id, position=position, **values)
    db.session.add(project)
    db.session.flush()
    db.session.expire(plan, ["projects"])
    audit.record("plan.add_project", actor=by, object_type="plan_project", object_id=project.id,
                 new=values, now=now)
    if data.proposal_ids:
        link_proposals(project, data.proposal_ids, by=by, now=now)
    return project


def update_project(project: PlanProject, data: ProjectInput, *, by: User | None, now: datetime) -> PlanProject:
    values = _check_project(data)
    before = audit.snapshot(project, _PROJECT_FIELDS)
    for name, value in values.items():
        setattr(project, name, value)
    audit.record_change("plan.update_project", actor=by, object_type="plan_project", object_id=project.id,
                        before=before, after=audit.snapshot(project, _PROJECT_FIELDS), now=now)
    db.session.flush()
    link_proposals(project, data.proposal_ids, by=by, now=now, replace=True)
    return project


def remove_project(project: PlanProject, *, by: User | None, now: datetime) -> None:
    for proposal in db.session.scalars(select(Proposal).where(Proposal.project_id == project.id)).all():
        proposal.project_id = None
    audit.record("plan.remove_project", actor=by, object_type="plan_project", object_id=project.id,
                 old=audit.snapshot(project, _PROJECT_FIELDS), now=now)
    plan = db.session.get(LegislativePlan, project.plan_id)
    db.session.delete(project)
    db.session.flush()
    db.session.expire(plan, ["projects"])


def link_proposals(project: PlanProject, proposal_ids: list[int], *, by: User | None, now: datetime,
                   replace: bool = False) -> int:
    """The proposals that led to ``project``. A proposal still 待处理 is classified
    with the project's class (audited); one classified already keeps its classification.
    ``replace``: the list is the whole set (others are unlinked). The number linked."""
    ids = sorted({int(i) for i in proposal_ids})
    proposals = db.session.scalars(select(Proposal).where(Proposal.id.in_(ids))).all() if ids else []
    if len(proposals) != len(ids):
        raise ValidationFailed(_("所选建议不存在。"), fields={"proposal_ids": [_("含有不存在的建议。")]})
    plan = db.session.get(LegislativePlan, project.plan_id)
    years = set(db.session.scalars(select(PlanCall.year).where(
        PlanCall.id.in_({p.call_id for p in proposals}))).all()) if proposals else set()
    if years - {plan.year}:
        raise ValidationFailed(_("只能关联 %(year)d 年度征集的建议。", year=plan.year),
                               fields={"proposal_ids": [_("含有其他年度征集的建议。")]})
    if replace:
        for proposal in db.session.scalars(select(Proposal).where(Proposal.project_id == project.id)).all():
            if proposal.id not in ids:
                audit.record("proposal.unlink_project", actor=by, object_type="proposal", object_id=proposal.id,
                             old={"project_id": project.id}, new={"project_id": None}, now=now)
                proposal.project_id = None
    linked = 0
    for proposal in proposals:
        if proposal.project_id == project.id:
            continue
        audit.record("proposal.link_project", actor=by, object_type="proposal", object_id=proposal.id,
                     old={"project_id": proposal.project_id}, new={"project_id": project.id}, now=now)
        proposal.project_id = project.id
        linked += 1
        if proposal.classification == Classification.PENDING.value:
            classifications.classify(proposal, classifications.ClassificationInput(project.project_class),
                                     by=by, now=now)
    db.session.flush()
    return linked


def publish_plan(plan: LegislativePlan, *, by: User | None, now: datetime) -> LegislativePlan:
    if plan.published_at is not None:
        raise Conflict(_("该年度立法计划已经发布。"))
    if not db.session.scalar(select(func.count()).select_from(PlanProject).where(PlanProject.plan_id == plan.id)):
        raise ValidationFailed(_("计划中还没有项目。"), fields={"projects": [_("请先添加项目。")]})
    plan.published_at = now
    audit.record("plan.publish", actor=by, object_type="plan", object_id=plan.id, new={"published_at": now},
                 now=now)
    db.session.flush()
    return plan


def link_draft(project: PlanProject, draft: Draft | None, *, by: User | None, now: datetime) -> PlanProject:
    """The draft that implements ``project`` (None to unlink). A draft implements one
    project at most."""
    new_id = draft.id if draft is not None else None
    if new_id is not None:
        other = db.session.scalar(select(PlanProject).where(PlanProject.draft_id == new_id,
                                                            PlanProject.id != project.id))
        if other is not None:
            raise Conflict(_("该草案已关联立法计划项目“%(title)s”。", title=other.title),
                           fields={"draft_id": [_("已关联其他项目。")]})
    if project.draft_id == new_id:
        return project
    audit.record("plan.link_draft", actor=by, object_type="plan_project", object_id=project.id,
                 old={"draft_id": project.draft_id}, new={"draft_id": new_id}, now=now, draft_id=new_id)
    project.draft_id = new_id
    db.session.flush()
    return project
