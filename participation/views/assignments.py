"""Staff pages of a draft's feedback work, on the staff blueprint: who handles which
chapters (承办) with each one's progress, each staff member's queue (我的待办), and the
draft's reply templates (常用答复)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from participation import clock, policies, queries
from participation.errors import ValidationFailed
from participation.extensions import db
from participation.forms.dispositions import ReplyTemplateForm
from participation.models import WHOLE_DRAFT_KEY, ReplyTemplate
from participation.services import assignments as service
from participation.unit_of_work import reads, writes
from participation.views import MAX_ID, apply_field_errors, load_visible, require
from participation.views.moderation import load_draft
from participation.views.staff import bp

QUEUE_PER_PAGE = 30


def _divisions(draft) -> list[dict]:
    """总体意见 and the chapters (or top-level provisions): key, name, assignee, progress."""
    version = draft.current_version
    rows = queries.division_rows(version.id) if version is not None else []
    progress = queries.progress_by_key(draft.id, [row.key for row in rows])
    assigned = queries.assignments_of(draft.id)
    divisions = [{"key": WHOLE_DRAFT_KEY, "name": _("总体意见"), "heading": ""}] + [
        {"key": row.key, "name": row.label, "heading": row.heading} for row in rows]
    for division in divisions:
        division["user_id"] = assigned.get(division["key"])
        division["progress"] = progress.get(division["key"], queries.Progress(0, 0))
    return divisions


def _render_assignments(draft, *, errors: dict | None = None, status_code: int = 200):
    return render_template(
        "staff/assignments.html", draft=draft, divisions=_divisions(draft), staff=queries.staff_members(),
        progress=queries.draft_progress(draft.id), errors=errors or {},
    ), status_code


@bp.get("/drafts/<int:draft_id>/assignments")
@reads
def assignments(draft_id: int):
    require(policies.can_manage_assignments(current_user))
    return _render_assignments(load_draft(draft_id))


@bp.post("/drafts/<int:draft_id>/assignments")
@writes
def save_assignments(draft_id: int):
    require(policies.can_manage_assignments(current_user))
    draft = load_draft(draft_id)
    wanted: dict[str, int | None] = {}
    for division in _divisions(draft):
        raw = (request.form.get(f"assignee-{division['key']}") or "").strip()
        if f"assignee-{division['key']}" in request.form:
            wanted[division["key"]] = int(raw) if raw.isdigit() and 0 < int(raw) <= MAX_ID else None
    try:
        changed = service.save_assignments(draft, wanted, by=current_user._get_current_object(), now=clock.now())
    except ValidationFailed as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _render_assignments(draft, errors=exc.fields, status_code=422)
    db.session.commit()
    flash(_("承办安排已保存（%(n)d 处变更）。", n=changed), "success")
    return redirect(url_for("staff.assignments", draft_id=draft.id), 303)


@bp.get("/queue")
@reads
def queue():
    """我的待办: the signed-in staff member's undisposed opinions, across drafts."""
    require(policies.can_dispose_opinions(current_user))
    page_number = min(max(request.args.get("page", 1, type=int) or 1, 1), queries.MAX_PAGE)
    page = db.paginate(queries.queue_query(current_user.id), page=page_number, per_page=QUEUE_PER_PAGE,
                       error_out=False)
    drafts = queries.drafts_by_id({opinion.draft_id for opinion in page.items})
    return render_template("staff/queue.html", page=page, drafts=drafts,
                           citations=queries.opinion_citations(page.items), back=request.full_path.rstrip("?"))


# --- 常用答复 -------------------------------------------------------------------------------

def _load_template(draft, template_id: int) -> ReplyTemplate:
    return load_visible(ReplyTemplate, template_id, lambda template: template.draft_id == draft.id)


def _template_input(form: ReplyTemplateForm) -> service.TemplateInput:
    return service.TemplateInput(form.title.data or "", form.text.data or "", form.disposition.data or "")


def _render_templates(draft, form=None, status_code: int = 200):
    return render_template("staff/reply_templates.html", draft=draft, templates=queries.reply_templates(draft.id),
                           form=form or ReplyTemplateForm(formdata=None)), status_code


@bp.get("/drafts/<int:draft_id>/reply-templates")
@reads
def reply_templates(draft_id: int):
    require(policies.can_manage_assignments(current_user))
    return _render_templates(load_draft(draft_id))


@bp.post("/drafts/<int:draft_id>/reply-templates")
@writes
def create_reply_template(draft_id: int):
    require(policies.can_manage_assignments(current_user))
    draft = load_draft(draft_id)
    form = ReplyTemplateForm()
    if not form.validate_on_submit():
        return _render_templates(draft, form, 400)
    try:
        service.create_template(draft, _template_input(form), by=current_user._get_current_object(), now=clock.now())
    except ValidationFailed as exc:
        db.session.rollback()
        apply_field_errors(form, exc)
        return _render_templates(draft, form, 422)
    db.session.commit()
    flash(_("常用答复已添加。"), "success")
    return redirect(url_for("staff.reply_templates", draft_id=draft.id), 303)


@bp.get("/drafts/<int:draft_id>/reply-templates/<int:template_id>")
@reads
def edit_reply_template(draft_id: int, template_id: int):
    require(policies.can_manage_assignments(current_user))
    draft = load_draft(draft_id)
    template = _load_template(draft, template_id)
    return render_template("staff/reply_template.html", draft=draft, template=template,
                           form=ReplyTemplateForm(obj=template))


@bp.post("/drafts/<int:draft_id>/reply-templates/<int:template_id>")
@writes
def update_reply_template(draft_id: int, template_id: int):
    require(policies.can_manage_assignments(current_user))
    draft = load_draft(draft_id)
    template = _load_template(draft, template_id)
    form = ReplyTemplateForm()
    if not form.validate_on_submit():
        return render_template("staff/reply_template.html", draft=draft, template=template, form=form), 400
    try:
        service.update_template(template, _template_input(form), by=current_user._get_current_object(),
                                now=clock.now())
    except ValidationFailed as exc:
        db.session.rollback()
        apply_field_errors(form, exc)
        return render_template("staff/reply_template.html", draft=draft, template=template, form=form), 422
    db.session.commit()
    flash(_("常用答复已保存。"), "success")
    return redirect(url_for("staff.reply_templates", draft_id=draft.id), 303)


@bp.post("/drafts/<int:draft_id>/reply-templates/<int:template_id>/delete")
@writes
def delete_reply_template(draft_id: int, template_id: int):
    require(policies.can_manage_assignments(current_user))
    draft = load_draft(draft_id)
    template = _load_template(draft, template_id)
    service.delete_template(template, by=current_user._get_current_object(), now=clock.now())
    db.session.commit()
    flash(_("常用答复已删除。"), "success")
    return redirect(url_for("staff.reply_templates", draft_id=draft.id), 303)
