"""The staff's editor of the annual legislative plan (年度立法计划), on the staff
blueprint: its title and introduction, projects by class (起草单位, 提请审议时间, the
proposals behind each), the draft that implements a project, and publication through
a confirmation page. Also the draft page's link to the plan project it implements.

The plan row is created by the first change (``services.plans.plan_for_year``): showing
the editor of a year without a plan writes nothing."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from participation import clock, labels, queries
from participation.errors import ServiceError
from participation.extensions import db
from participation.forms.plan_staff import DraftLinkForm, PlanForm, ProjectForm
from participation.models import Draft, LegislativePlan, PlanCall, PlanProject, Proposal
from participation.services import plans as plan_service
from participation.services.plan_calls import MAX_YEAR, MIN_YEAR
from participation.unit_of_work import reads, writes
from participation.views import apply_field_errors, load_visible, require
from participation.views.plan_staff import _id, _me, _require, ticked_ids
from participation.views.staff import bp

MAX_PROPOSALS_LISTED = 500
MAX_DRAFTS_LISTED = 200


def _year(year: int) -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        abort(404)
    return year


def _load_project(year: int, project_id: int) -> PlanProject:
    plan = queries.plan_of_year(_year(year))
    return load_visible(PlanProject, project_id, lambda p: plan is not None and p.plan_id == plan.id)


def _year_proposals(year: int) -> list[Proposal]:
    return db.session.scalars(
        select(Proposal).join(PlanCall, PlanCall.id == Proposal.call_id).where(PlanCall.year == year)
        .order_by(Proposal.call_id, Proposal.created_at, Proposal.id).limit(MAX_PROPOSALS_LISTED)).all()


def _draft_choices(blank: str) -> list[tuple[str, str]]:
    rows = db.session.execute(select(Draft.id, Draft.title).order_by(Draft.id.desc()).limit(MAX_DRAFTS_LISTED))
    return [("", blank)] + [(str(i), f"#{i} {title}") for i, title in rows]


def _project_input(form: ProjectForm) -> plan_service.ProjectInput:
    return plan_service.ProjectInput(
        project_class=form.project_class.data or "", title=form.title.data or "",
        drafting_body=form.drafting_body.data or "", planned_month=form.planned_month.data or None,
        notes=form.notes.data or "", proposal_ids=ticked_ids("proposal_ids"))


def _proposal_context(year: int, picked: set[int]) -> dict:
    proposals = _year_proposals(year)
    groups = {}
    for call_id in {p.call_id for p in proposals}:
        groups.update(queries.groups_of(call_id))
    project_ids = {p.project_id for p in proposals if p.project_id}
    titles = dict(db.session.execute(select(PlanProject.id, PlanProject.title).where(
        PlanProject.id.in_(project_ids))).tuples().all()) if project_ids else {}
    return {"year_proposals": proposals, "groups": groups, "picked": picked, "project_titles": titles}


def render_plan(year: int, *, plan_form=None, project_form=None, picked=(), status_code: int = 200):
    plan = queries.plan_of_year(year)
    projects = list(plan.projects) if plan else []
    if plan_form is None:
        plan_form = PlanForm(formdata=None, data={
            "title": plan.title if plan else _("%(year)d 年度立法计划", year=year),
            "introduction": plan.introduction if plan else ""})
    drafts = dict(db.session.execute(select(Draft.id, Draft.title).where(
        Draft.id.in_([p.draft_id for p in projects if p.draft_id]))).tuples().all()) if projects else {}
    return render_template(
        "staff/plans/plan.html", year=year, plan=plan, plan_form=plan_form,
        project_form=project_form or ProjectForm(formdata=None),
        by_class={c: [p for p in projects if p.project_class == c] for c in labels.PROJECT_CLASS},
        behind=queries.proposals_by_project([p.id for p in projects]), drafts=drafts,
        calls=[c for c in queries.all_calls() if c.year == year],
        **_proposal_context(year, set(picked)),
    ), status_code


@bp.get("/plans/<int:year>")
@reads
def plan(year: int):
    _require()
    return render_plan(_year(year))


def _to_plan(year: int, anchor: str | None = None):
    return redirect(url_for("staff.plan", year=year, _anchor=anchor), 303)


@bp.post("/plans/<int:year>")
@writes
def save_plan(year: int):
    _require()
    form = PlanForm()
    if not form.validate_on_submit():
        return render_plan(_year(year), plan_form=form, status_code=400)
    now = clock.now()
    try:
        plan = plan_service.plan_for_year(_year(year), by=_me(), now=now)
        plan_service.update_plan(plan, title=form.title.data, introduction=form.introduction.data, by=_me(), now=now)
    except ServiceError as exc:
        db.session.rollback()
        if not apply_field_errors(form, exc):
            flash(exc.message, "error")
        return render_plan(year, plan_form=form, status_code=422)
    db.session.commit()
    flash(_("计划标题和说明已保存。"), "success")
    return _to_plan(year)


@bp.post("/plans/<int:year>/projects")
@writes
def add_plan_project(year: int):
    _require()
    form = ProjectForm()
    if not form.validate_on_submit():
        return render_plan(_year(year), project_form=form, status_code=400)
    now, data = clock.now(), _project_input(form)
    try:
        plan = plan_service.plan_for_year(_year(year), by=_me(), now=now)
        project = plan_service.add_project(plan, data, by=_me(), now=now)
    except ServiceError as exc:
        db.session.rollback()
        if not apply_field_errors(form, exc):
            flash(exc.message, "error")
        return render_plan(year, project_form=form, picked=data.proposal_ids, status_code=422)
    db.session.commit()
    flash(_("已添加项目“%(title)s”。", title=project.title), "success")
    return _to_plan(year, f"project-{project.id}")


def render_project(year: int, project: PlanProject, *, form=None, draft_form=None, picked=None,
                   status_code: int = 200):
    if form is None:
        form = ProjectForm(formdata=None, obj=project)
        form.planned_month.data = str(project.planned_month or "")
    if picked is None:
        picked = [p.id for p in queries.proposals_by_project([project.id])[project.id]]
    draft_form = draft_form or DraftLinkForm(formdata=None, data={"draft_id": str(project.draft_id or "")})
    draft_form.draft_id.choices = _draft_choices(_("不关联草案"))
    return render_template(
        "staff/plans/project.html", year=year, project=project, form=form, draft_form=draft_form,
        **_proposal_context(year, set(picked)),
    ), status_code


@bp.get("/plans/<int:year>/projects/<int:project_id>")
@reads
def edit_plan_project(year: int, project_id: int):
    _require()
    return render_project(year, _load_project(year, project_id))


@bp.post("/plans/<int:year>/projects/<int:project_id>")
@writes
def save_plan_project(year: int, project_id: int):
    _require()
    project = _load_project(year, project_id)
    form = ProjectForm()
    if not form.validate_on_submit():
        return render_project(year, project, form=form, status_code=400)
    data = _project_input(form)
    try:
        plan_service.update_project(project, data, by=_me(), now=clock.now())
    except ServiceError as exc:
        db.session.rollback()
        if not apply_field_errors(form, exc):
            flash(exc.message, "error")
        return render_project(year, project, form=form, picked=data.proposal_ids, status_code=422)
    db.session.commit()
    flash(_("项目“%(title)s”已保存。", title=project.title), "success")
    return _to_plan(year, f"project-{project.id}")


@bp.post("/plans/<int:year>/projects/<int:project_id>/remove")
@writes
def remove_plan_project(year: int, project_id: int):
    _require()
    project = _load_project(year, project_id)
    title = project.title
    plan_service.remove_project(project, by=_me(), now=clock.now())
    db.session.commit()
    flash(_("已删除项目“%(title)s”，它关联的建议保留。", title=title), "success")
    return _to_plan(year)


@bp.post("/plans/<int:year>/projects/<int:project_id>/draft")
@writes
def link_project_draft(year: int, project_id: int):
    """The draft that implements the project (none to unlink)."""
    _require()
    project = _load_project(year, project_id)
    form = DraftLinkForm()
    draft_id = _id(form.draft_id.data)
    draft = db.session.get(Draft, draft_id) if draft_id else None
    if not form.validate_on_submit() or (draft_id and draft is None):
        form.draft_id.errors = [_("请选择草案。")]
        return render_project(year, project, draft_form=form, status_code=422)
    try:
        plan_service.link_draft(project, draft, by=_me(), now=clock.now())
    except ServiceError as exc:
        db.session.rollback()
        form.draft_id.errors = list(exc.fields.get("draft_id", [exc.message]))
        return render_project(year, project, draft_form=form, status_code=422)
    db.session.commit()
    flash(_("已关联草案《%(title)s》。", title=draft.title) if draft else _("已取消关联草案。"), "success")
    return _to_plan(year, f"project-{project.id}")


def _plan_or_404(year: int) -> LegislativePlan:
    plan = queries.plan_of_year(_year(year))
    if plan is None:
        abort(404)
    return plan


@bp.get("/plans/<int:year>/publish")
@reads
def confirm_publish_plan(year: int):
    """The confirmation page: what will be published (nothing written)."""
    _require()
    plan = _plan_or_404(year)
    projects = list(plan.projects)
    behind = queries.proposals_by_project([p.id for p in projects])
    return render_template(
        "staff/plans/publish_confirm.html", year=year, plan=plan,
        counts={c: sum(1 for p in projects if p.project_class == c) for c in labels.PROJECT_CLASS},
        proposal_count=sum(len(v) for v in behind.values()), project_count=len(projects))


@bp.post("/plans/<int:year>/publish")
@writes
def publish_plan(year: int):
    _require()
    plan = _plan_or_404(year)
    try:
        plan_service.publish_plan(plan, by=_me(), now=clock.now())
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _to_plan(year)
    db.session.commit()
    flash(_("%(year)d 年度立法计划已发布，公众可以查看。", year=year), "success")
    return _to_plan(year)


# --- The draft page's link to its plan project ----------------------------------------

@bp.app_template_global()
def plan_link_of_draft(draft_id: int) -> dict:
    """For the staff draft page: the plan project the draft implements (or None) and
    the projects without a draft it may be linked to."""
    current = db.session.scalar(select(PlanProject).where(PlanProject.draft_id == draft_id))
    free = db.session.execute(
        select(PlanProject.id, PlanProject.title, LegislativePlan.year, PlanProject.project_class)
        .join(LegislativePlan, LegislativePlan.id == PlanProject.plan_id).where(PlanProject.draft_id.is_(None))
        .order_by(LegislativePlan.year.desc(), PlanProject.position)).all()
    year = db.session.get(LegislativePlan, current.plan_id).year if current else None
    return {"current": current, "year": year, "free": free}


@bp.post("/drafts/<int:draft_id>/plan-project")
@writes
def link_draft_plan(draft_id: int):
    """From the draft page: the plan project this draft implements ('' to unlink)."""
    _require()
    draft = load_visible(queries.get_draft, draft_id)
    project_id = _id(request.form.get("project_id"))
    now = clock.now()
    try:
        if project_id:
            project = load_visible(PlanProject, project_id)
            plan_service.link_draft(project, draft, by=_me(), now=now)
        else:
            for project in db.session.scalars(select(PlanProject).where(PlanProject.draft_id == draft.id)).all():
                plan_service.link_draft(project, None, by=_me(), now=now)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("staff.draft", draft_id=draft.id), 303)
    db.session.commit()
    flash(_("已关联立法计划项目。") if project_id else _("已取消关联立法计划项目。"), "success")
    return redirect(url_for("staff.draft", draft_id=draft.id), 303)
