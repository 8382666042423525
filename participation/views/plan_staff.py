"""Staff pages of legislative-plan calls (立法计划征集), on the staff blueprint: the calls
(list, new, edit, publish, close), a call's proposals with filters and bulk actions
(批量记录处理情况, 合并处理, 指定承办人), and one proposal in full (moderation,
承办人, 处理情况, its merge group, its history).

The annual plan's editor is ``participation.views.plan_editor``."""
from __future__ import annotations

import re
import secrets

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import case, func, select

from participation import clock, labels, policies, queries
from participation.clock import local_to_utc, to_form_value
from participation.errors import ServiceError, ValidationFailed
from participation.extensions import db
from participation.forms.plan_staff import (
    AssignForm, BulkClassificationForm, ClassificationForm, HideProposalForm, MergeForm, PlanCallForm,
    ProposalFilterForm,
)
from participation.models import Classification, LiaisonPoint, ModerationState, PlanProject, Proposal, User
from participation.services import audit, classifications
from participation.services import plan_calls as call_service
from participation.services import proposals as proposal_service
from participation.unit_of_work import reads, writes
from participation.views import MAX_ID, apply_field_errors, audit_log, form_page, load_visible, require
from participation.views.staff import bp

PROPOSALS_PER_PAGE = 30
MAX_TICKED = 1000
MAX_FILTER_TEXT = 100
HISTORY_SHOWN = 100
_FORM_TOKEN = re.compile(r"[0-9a-f]{32}")


def _require() -> None:
    require(policies.can_manage_plan_calls(current_user))


def _me() -> User:
    return current_user._get_current_object()


def load_call(call_id: int):
    return load_visible(queries.get_call, call_id)


def _load_proposal(proposal_id: int) -> Proposal:
    return load_visible(Proposal, proposal_id)


def _id(value) -> int | None:
    value = str(value or "").strip()
    return int(value) if value.isdigit() and 0 < int(value) <= MAX_ID else None


def ticked_ids(name: str = "ids") -> list[int]:
    """The ids of the ticked rows (at most MAX_TICKED, each a plausible id)."""
    return sorted({i for i in (_id(v) for v in request.form.getlist(name)[:MAX_TICKED]) if i is not None})


def staff_choices(blank: str) -> list[tuple[str, str]]:
    return [("", blank)] + [(str(u.id), u.display_name or u.email) for u in queries.staff_members()]


# --- Calls ----------------------------------------------------------------------------

def _call_counts() -> dict[int, dict]:
    """Per call: proposals, those awaiting moderation, those not yet classified."""
    rows = db.session.execute(select(
        Proposal.call_id, func.count(),
        func.sum(case((Proposal.moderation_state == ModerationState.PENDING.value, 1), else_=0)),
        func.sum(case((Proposal.classification == Classification.PENDING.value, 1), else_=0)),
    ).group_by(Proposal.call_id)).all()
    return {row[0]: {"total": row[1], "pending": row[2] or 0, "unclassified": row[3] or 0} for row in rows}


@bp.get("/plan-calls")
@reads
def plan_calls():
    _require()
    now = clock.now()
    counts = _call_counts()
    rows = [{"call": call, "status": call.status_at(now).value,
             "counts": counts.get(call.id, {"total": 0, "pending": 0, "unclassified": 0})}
            for call in queries.all_calls()]
    return render_template("staff/plans/calls.html", rows=rows)


def _call_input(form: PlanCallForm) -> call_service.PlanCallInput:
    return call_service.PlanCallInput(
        title=form.title.data or "", year=form.year.data, announcement=form.announcement.data or "",
        focus_areas=call_service.parse_areas(form.focus_areas.data or ""),
        opens_at=local_to_utc(form.opens_at.data) if form.opens_at.data else None,
        closes_at=local_to_utc(form.closes_at.data) if form.closes_at.data else None,
        allows_anonymous_proposals=bool(form.allows_anonymous_proposals.data),
        moderation_mode=form.moderation_mode.data or "")


def _call_form_page(form, call=None, status_code=None):
    context = {"call": call,
               "status": call.status_at(clock.now()).value if call else "draft"}
    if status_code is None:
        return form_page("staff/plans/call_form.html", form, **context)
    return render_template("staff/plans/call_form.html", form=form, **context), status_code


def _refused(form, exc: ServiceError, call=None):
    db.session.rollback()
    if not apply_field_errors(form, exc):
        flash(exc.message, "error")
    return _call_form_page(form, call, 422)


@bp.get("/plan-calls/new")
@reads
def new_plan_call():
    _require()
    form = PlanCallForm(formdata=None)
    form.year.data = str(clock.now().year + 1)
    return _call_form_page(form)


@bp.post("/plan-calls/new")
@writes
def create_plan_call():
    _require()
    form = PlanCallForm()
    if not form.validate_on_submit():
        return _call_form_page(form)
    try:
        call = call_service.create_call(_call_input(form), by=_me(), now=clock.now())
    except ServiceError as exc:
        return _refused(form, exc)
    db.session.commit()
    flash(_("征集公告已保存（未发布）。核对无误后请发布。"), "success")
    return redirect(url_for("staff.edit_plan_call", call_id=call.id), 303)


@bp.get("/plan-calls/<int:call_id>/edit")
@reads
def edit_plan_call(call_id: int):
    _require()
    call = load_call(call_id)
    form = PlanCallForm(formdata=None, obj=call)
    form.focus_areas.data = "、".join(call.focus_areas or [])
    form.year.data = str(call.year)
    form.opens_at.data, form.closes_at.data = to_form_value(call.opens_at), to_form_value(call.closes_at)
    return _call_form_page(form, call)


@bp.post("/plan-calls/<int:call_id>/edit")
@writes
def save_plan_call(call_id: int):
    _require()
    call = load_call(call_id)
    form = PlanCallForm()
    if not form.validate_on_submit():
        return _call_form_page(form, call)
    try:
        call_service.update_call(call, _call_input(form), by=_me(), now=clock.now())
    except ServiceError as exc:
        return _refused(form, exc, call)
    db.session.commit()
    flash(_("征集公告已保存。"), "success")
    return redirect(url_for("staff.edit_plan_call", call_id=call.id), 303)


@bp.post("/plan-calls/<int:call_id>/publish")
@writes
def publish_plan_call(call_id: int):
    _require()
    call = load_call(call_id)
    now = clock.now()
    try:
        call_service.publish_call(call, by=_me(), now=now)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("staff.edit_plan_call", call_id=call.id), 303)
    db.session.commit()
    if call.status_at(now).value == "open":
        flash(_("征集公告已发布，征集已开始。"), "success")
    else:
        flash(_("征集公告已发布，将在设定的开始时间开始征集。"), "success")
    return redirect(url_for("staff.plan_call", call_id=call.id), 303)


@bp.post("/plan-calls/<int:call_id>/close")
@writes
def close_plan_call(call_id: int):
    _require()
    call = load_call(call_id)
    try:
        call_service.close_call(call, by=_me(), now=clock.now())
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("staff.plan_call", call_id=call.id), 303)
    db.session.commit()
    flash(_("征集已截止，公众不能再提出建议。"), "success")
    return redirect(url_for("staff.plan_call", call_id=call.id), 303)


# --- A call's proposals ---------------------------------------------------------------

def _filter_form(call, tally) -> ProposalFilterForm:
    form = ProposalFilterForm(formdata=request.args)
    areas = list(dict.fromkeys(list(call.focus_areas or []) + [a for a in tally.by_area if a]))
    form.area.choices = [("", _("全部领域"))] + [(a, a) for a in areas]
    form.assignee_id.choices = staff_choices(_("全部承办人"))
    form.group_id.choices = [("", _("全部合并项目"))] + [
        (str(g.id), g.title) for g in queries.groups_of(call.id).values()]
    return form


def _filters(form: ProposalFilterForm) -> queries.ProposalFilters:
    def choice(value, allowed):
        return value if value in allowed else ""

    return queries.ProposalFilters(
        classification=choice(form.classification.data, labels.CLASSIFICATION),
        moderation_state=choice(form.moderation_state.data, labels.MODERATION_STATE),
        category=choice(form.category.data, labels.PROPOSER_CATEGORY),
        area=" ".join((form.area.data or "").split())[:MAX_FILTER_TEXT],
        channel=choice(form.channel.data, labels.CHANNEL),
        assignee_id=_id(form.assignee_id.data), group_id=_id(form.group_id.data),
        text=" ".join((form.text.data or "").split())[:MAX_FILTER_TEXT])


def _filter_args(form: ProposalFilterForm) -> dict:
    return {field.short_name: field.data for field in form if field.data}


def render_call(call, *, bulk_form=None, merge_form=None, assign_form=None, status_code: int = 200):
    tally = queries.call_tally(call.id, published_only=False)
    form = _filter_form(call, tally)
    page = db.paginate(queries.proposals_query(call.id, _filters(form)),
                       page=min(max(request.args.get("page", 1, type=int) or 1, 1), queries.MAX_PAGE),
                       per_page=PROPOSALS_PER_PAGE, error_out=False)
    bulk_form = bulk_form or BulkClassificationForm(formdata=None)
    bulk_form.form_token.data = secrets.token_hex(16)
    assign_form = assign_form or AssignForm(formdata=None)
    assign_form.assignee.choices = staff_choices(_("不指定（取消承办人）"))
    return render_template(
        "staff/plans/call.html", call=call, status=call.status_at(clock.now()).value, form=form, page=page,
        filter_args=_filter_args(form), tally=tally, groups=queries.groups_of(call.id),
        group_sizes=queries.group_sizes(call.id), staff={u.id: u for u in queries.staff_members()},
        bulk_form=bulk_form, merge_form=merge_form or MergeForm(formdata=None), assign_form=assign_form,
        public_page=call.published_at is not None,
    ), status_code


@bp.get("/plan-calls/<int:call_id>")
@reads
def plan_call(call_id: int):
    _require()
    return render_call(load_call(call_id))


def _back_to_list(call):
    return redirect(url_for("staff.plan_call", call_id=call.id, **request.args.to_dict()), 303)


def _no_ticks(form, field_name: str):
    getattr(form, field_name).errors = [_("请先勾选要处理的建议。")]


@bp.post("/plan-calls/<int:call_id>/classifications")
@writes
def classify_proposals(call_id: int):
    """批量记录处理情况 of the ticked proposals: one bulk audit entry (with the ids)."""
    _require()
    call = load_call(call_id)
    form, ids = BulkClassificationForm(), ticked_ids()
    if not form.validate_on_submit() or not ids:
        if not ids:
            _no_ticks(form, "classification")
        return render_call(call, bulk_form=form, status_code=422)
    token = form.form_token.data or ""
    key = f"web:{current_user.id}:{token}" if _FORM_TOKEN.fullmatch(token) else None
    if key and audit.find_by_idempotency_key(key) is not None:
        flash(_("这次批量处理已经保存过，没有重复处理。"), "info")
        return _back_to_list(call)
    data = classifications.ClassificationInput(form.classification.data or "", form.reason.data or "",
                                               form.note.data or "")
    try:
        changed = classifications.classify_many(call, ids, data, by=_me(), now=clock.now(),
                                                selection={"ids": ids}, idempotency_key=key)
    except ValidationFailed as exc:
        db.session.rollback()
        if not apply_field_errors(form, exc):
            flash(exc.message, "error")
        return render_call(call, bulk_form=form, status_code=422)
    db.session.commit()
    flash(_("已将 %(n)d 件建议的处理情况设为“%(label)s”（勾选 %(selected)d 件）。", n=changed, selected=len(ids),
            label=labels.label(labels.CLASSIFICATION, data.classification)), "success")
    return _back_to_list(call)


@bp.post("/plan-calls/<int:call_id>/merge")
@writes
def merge_proposals(call_id: int):
    """合并处理: the ticked proposals become one group."""
    _require()
    call = load_call(call_id)
    form, ids = MergeForm(), ticked_ids()
    if not form.validate_on_submit():
        return render_call(call, merge_form=form, status_code=422)
    try:
        group = classifications.merge(call, ids, title=form.title.data or "", by=_me(), now=clock.now())
    except ValidationFailed as exc:
        db.session.rollback()
        form.title.errors = [m for messages in exc.fields.values() for m in messages] or [exc.message]
        return render_call(call, merge_form=form, status_code=422)
    db.session.commit()
    flash(_("已将 %(n)d 件建议合并为“%(title)s”。", n=len(ids), title=group.title), "success")
    return _back_to_list(call)


def _assignee(form: AssignForm) -> tuple[User | None, bool]:
    """(the chosen user or None to clear, whether the choice is valid)."""
    value = (form.assignee.data or "").strip()
    if not value:
        return None, True
    user = db.session.get(User, _id(value)) if _id(value) else None
    return user, user is not None


@bp.post("/plan-calls/<int:call_id>/assignments")
@writes
def assign_call_proposals(call_id: int):
    """指定承办人 of the ticked proposals."""
    _require()
    call = load_call(call_id)
    form, ids = AssignForm(), ticked_ids()
    chosen = db.session.scalars(select(Proposal).where(Proposal.id.in_(ids), Proposal.call_id == call.id)).all()
    assignee, valid = _assignee(form)
    if not form.validate_on_submit() or not chosen or not valid:
        if not chosen:
            _no_ticks(form, "assignee")
        elif not valid:
            form.assignee.errors = [_("请选择工作人员。")]
        return render_call(call, assign_form=form, status_code=422)
    try:
        changed = proposal_service.assign_proposals(chosen, assignee, by=_me(), now=clock.now())
    except ValidationFailed as exc:
        db.session.rollback()
        form.assignee.errors = [exc.message]
        return render_call(call, assign_form=form, status_code=422)
    db.session.commit()
    flash(_("已为 %(n)d 件建议指定承办人。", n=changed) if assignee else _("已取消 %(n)d 件建议的承办人。", n=changed),
          "success")
    return _back_to_list(call)


# --- One proposal ---------------------------------------------------------------------

def _user(user_id):
    return db.session.get(User, user_id) if user_id else None


def render_proposal(proposal: Proposal, *, hide_form=None, classify_form=None, assign_form=None,
                    status_code: int = 200):
    call = queries.get_call(proposal.call_id)
    group = queries.groups_of(call.id).get(proposal.group_id) if proposal.group_id else None
    members = db.session.scalars(select(Proposal).where(Proposal.group_id == group.id, Proposal.id != proposal.id)
                                 .order_by(Proposal.id)).all() if group else []
    project = db.session.get(PlanProject, proposal.project_id) if proposal.project_id else None
    classify_form = classify_form or ClassificationForm(formdata=None, data={
        "classification": proposal.classification, "reason": proposal.classification_reason,
        "note": proposal.classification_note})
    assign_form = assign_form or AssignForm(formdata=None, data={"assignee": str(proposal.assignee_id or "")})
    assign_form.assignee.choices = staff_choices(_("不指定"))
    return render_template(
        "staff/plans/proposal.html", proposal=proposal, call=call, group=group, members=members, project=project,
        author=_user(proposal.author_id), moderator=_user(proposal.moderated_by_id),
        classifier=_user(proposal.classified_by_id), assignee=_user(proposal.assignee_id),
        point=db.session.get(LiaisonPoint, proposal.liaison_point_id) if proposal.liaison_point_id else None,
        attachments=queries.attachments_of([proposal.id])[proposal.id],
        public_page=proposal.moderation_state == "published",
        hide_form=hide_form or HideProposalForm(formdata=None), classify_form=classify_form, assign_form=assign_form,
        history=audit_log.present(queries.history_of("proposal", proposal.id, limit=HISTORY_SHOWN)),
    ), status_code


@bp.get("/proposals/<int:proposal_id>")
@reads
def proposal(proposal_id: int):
    _require()
    return render_proposal(_load_proposal(proposal_id))


def _to_proposal(proposal):
    return redirect(url_for("staff.proposal", proposal_id=proposal.id), 303)


@bp.post("/proposals/<int:proposal_id>/publish")
@writes
def publish_proposal(proposal_id: int):
    """Approve a held proposal, or show a hidden one again."""
    _require()
    proposal = _load_proposal(proposal_id)
    previous = proposal.moderation_state
    proposal_service.publish_proposal(proposal, by=_me(), now=clock.now())
    db.session.commit()
    if previous == ModerationState.PUBLISHED.value:
        flash(_("建议 %(code)s 已经是公开状态。", code=proposal.receipt_code), "info")
    else:
        flash(_("建议 %(code)s 已公开。", code=proposal.receipt_code), "success")
    return _to_proposal(proposal)


@bp.post("/proposals/<int:proposal_id>/hide")
@writes
def hide_proposal(proposal_id: int):
    _require()
    proposal = _load_proposal(proposal_id)
    form = HideProposalForm()
    if not form.validate_on_submit():
        return render_proposal(proposal, hide_form=form, status_code=400)
    try:
        proposal_service.hide_proposal(proposal, reason=form.reason.data or "", by=_me(), now=clock.now())
    except ServiceError as exc:
        db.session.rollback()
        form.reason.errors = list(exc.fields.get("reason", [exc.message]))
        return render_proposal(proposal, hide_form=form, status_code=422)
    db.session.commit()
    flash(_("建议 %(code)s 已屏蔽：不再公开显示，仍保留并计入统计。", code=proposal.receipt_code), "success")
    return _to_proposal(proposal)


@bp.post("/proposals/<int:proposal_id>/classification")
@writes
def classify_proposal(proposal_id: int):
    _require()
    proposal = _load_proposal(proposal_id)
    form = ClassificationForm()
    if not form.validate_on_submit():
        return render_proposal(proposal, classify_form=form, status_code=400)
    data = classifications.ClassificationInput(form.classification.data or "", form.reason.data or "",
                                               form.note.data or "")
    try:
        changed = classifications.classify(proposal, data, by=_me(), now=clock.now())
    except ValidationFailed as exc:
        db.session.rollback()
        if not apply_field_errors(form, exc):
            flash(exc.message, "error")
        return render_proposal(proposal, classify_form=form, status_code=422)
    db.session.commit()
    label = labels.label(labels.CLASSIFICATION, proposal.classification)
    if changed:
        flash(_("建议 %(code)s 的处理情况已保存：%(label)s。", code=proposal.receipt_code, label=label), "success")
    else:
        flash(_("建议 %(code)s 的处理情况没有变化。", code=proposal.receipt_code), "info")
    return _to_proposal(proposal)


@bp.post("/proposals/<int:proposal_id>/assignee")
@writes
def assign_proposal(proposal_id: int):
    _require()
    proposal = _load_proposal(proposal_id)
    form = AssignForm()
    assignee, valid = _assignee(form)
    if not form.validate_on_submit() or not valid:
        if not valid:
            form.assignee.errors = [_("请选择工作人员。")]
        return render_proposal(proposal, assign_form=form, status_code=422)
    try:
        proposal_service.assign_proposals([proposal], assignee, by=_me(), now=clock.now())
    except ValidationFailed as exc:
        db.session.rollback()
        form.assignee.errors = [exc.message]
        return render_proposal(proposal, assign_form=form, status_code=422)
    db.session.commit()
    flash(_("承办人已保存。"), "success")
    return _to_proposal(proposal)


@bp.post("/proposals/<int:proposal_id>/unmerge")
@writes
def unmerge_proposal(proposal_id: int):
    """取消合并: take the proposal out of its group."""
    _require()
    proposal = _load_proposal(proposal_id)
    classifications.unmerge(proposal, by=_me(), now=clock.now())
    db.session.commit()
    flash(_("建议 %(code)s 已取消合并。", code=proposal.receipt_code), "success")
    return _to_proposal(proposal)
