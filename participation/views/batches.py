"""报送意见: liaison points hand in their opinion tables (批次), and staff enter them on a
point's behalf (代为录入).

The path: a point's batches → new batch (draft, activity, file) → preview (every row,
every error by row and column, the tally it will add) → confirm → the batch page
(each row's status and disposition, the feedback sheet). The uploaded file is kept
under INSTANCE_PATH/uploads/batches by its SHA-256 and the preview is a small JSON file
beside it (``batches.uploads.PendingUpload``). The preview and the confirmation read the
stored file again and make the calls the API makes (``batches.check``, then
``batches.store`` and one commit).
"""
from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from wtforms.fields.choices import SelectChoice

from participation import batches, clock, labels, links, policies, queries
from participation.batches import proposal_rows, uploads, vocabulary, workbooks
from participation.batches.citations import VersionClauses
from participation.errors import ServiceError
from participation.extensions import db
from participation.forms.batches import BatchForm, ConfirmForm, ReplaceFileForm
from participation.models import Draft, DraftStatus, LiaisonPoint, PlanCall, Proposal, User
from participation.spreadsheets import XLSX_MIMETYPE
from participation.clock import utc_to_local
from participation.services import feedback as feedback_service
from participation.unit_of_work import reads, writes
from participation.views import apply_field_errors, load_visible, require

bp = Blueprint("batches", __name__, url_prefix="/batches")

BATCHES_PER_PAGE = 20
ROWS_PER_PAGE = 50
ERRORS_SHOWN = 100
_UNSAFE_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


@bp.app_context_processor
def _navigation_flag():
    # For the 报送意见 link in the main navigation (templates/base.html).
    return {"nav_batches": policies.can_open_batches(current_user)}


@bp.before_request
def _batches_area():
    # Refusal by role first (403, or sign in), the same whatever id the path names;
    # objects the user may not see are then 404 (_load_point, _load_batch).
    require(policies.can_open_batches(current_user))


@bp.after_request
def _no_store(response):
    # Batch pages and files name the speakers: never kept by a shared cache.
    response.headers["Cache-Control"] = "no-store"
    return response


def _actor() -> User:
    return current_user._get_current_object()


def _page() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)


def _load_point(point_id: int) -> LiaisonPoint:
    """A point whose batches the user may see: another point's is 404, like a missing one."""
    return load_visible(LiaisonPoint, point_id, lambda point: policies.can_view_batches(current_user, point))


def _load_draft(draft_id: int | None) -> Draft | None:
    return queries.get_draft(draft_id) if draft_id else None


def _download_name(title: str, suffix: str) -> str:
    name = _UNSAFE_FILENAME.sub("", title).strip()[:80] or "draft"
    return f"{name}-{suffix}.xlsx"


# --- Listings -----------------------------------------------------------------------------

@bp.get("/")
@reads
def index():
    user = current_user
    require(policies.can_open_batches(user))
    if not policies.is_staff(user):
        return redirect(url_for("batches.point_batches", point_id=user.liaison_point_id))
    page = queries.batches_page(point_id=None, page=_page(), per_page=BATCHES_PER_PAGE)
    # A city has a handful of points (about 8); the bound only keeps the page finite.
    points = db.session.scalars(select(LiaisonPoint).where(LiaisonPoint.is_active.is_(True))
                                .order_by(LiaisonPoint.name).limit(200)).all()
    return render_template("batches/index.html", page=page, points=points, call_titles=call_titles(page.items),
                           dispositions=disposition_summaries(page.items))


@bp.get("/points/<int:point_id>")
@reads
def point_batches(point_id: int):
    point = _load_point(point_id)
    now = clock.now()
    can_submit = policies.can_submit_batch(current_user, point)
    drafts = queries.open_drafts_for_batches(now, include_closed=False)
    page = queries.batches_page(point_id=point.id, page=_page(), per_page=BATCHES_PER_PAGE)
    return render_template("batches/point.html", point=point, page=page, drafts=drafts, can_submit=can_submit,
                           calls=_call_choices(now) if can_submit else [], call_titles=call_titles(page.items),
                           on_behalf=policies.is_staff(current_user), dispositions=disposition_summaries(page.items))


# --- New batch, preview, confirm -------------------------------------------------------------

def _draft_choices(now) -> list[Draft]:
    return queries.open_drafts_for_batches(now, include_closed=policies.can_enter_late_batch(current_user))


def _call_choices(now) -> list[PlanCall]:
    """Calls a batch of proposals can be handed in for: open ones; for staff entering
    late batches also closed ones (the latest 20)."""
    current, past = queries.public_calls(now)
    calls = [call for call in current if call.status_at(now).value == "open"]
    if policies.can_enter_late_batch(current_user):
        calls += past[:20]
    return calls


def _call_label(call: PlanCall, now) -> str:
    if call.status_at(now).value == "closed":
        return _("立法项目建议征集：%(title)s（已截止，逾期录入）", title=call.title)
    return _("立法项目建议征集：%(title)s", title=call.title)


def _call_value(call: PlanCall) -> str:
    return f"call-{call.id}"


def _draft_label(draft: Draft, now) -> str:
    if draft.status_at(now) == DraftStatus.CLOSED:
        return _("%(title)s（已截止，逾期录入）", title=draft.title)
    return draft.title


def _new_batch_form(point_id: int):
    """(the point, now, the drafts and calls it may hand a batch in for, the new-batch
    form offering them: a draft's value is its id, a call's ``call-<id>``)."""
    point = _load_point(point_id)
    require(policies.can_submit_batch(current_user, point))
    now = clock.now()
    drafts = _draft_choices(now)
    calls = _call_choices(now)
    form = BatchForm()
    form.draft.choices = [SelectChoice("", _("请选择草案或立法项目建议征集"))] + [
        SelectChoice(str(draft.id), _draft_label(draft, now)) for draft in drafts] + [
        SelectChoice(_call_value(call), _call_label(call, now)) for call in calls]
    return point, now, [*drafts, *calls], form


def _new_batch_page(point: LiaisonPoint, form: BatchForm, targets: list, status: int):
    drafts = [target for target in targets if isinstance(target, Draft)]
    calls = [target for target in targets if isinstance(target, PlanCall)]
    return render_template("batches/new.html", point=point, form=form, drafts=drafts, calls=calls,
                           can_late=policies.can_enter_late_batch(current_user),
                           on_behalf=policies.is_staff(current_user)), status


@bp.get("/points/<int:point_id>/new")
@reads
def new_batch(point_id: int):
    """The new-batch form (posted to ``upload_batch``, on the same address)."""
    point, now, drafts, form = _new_batch_form(point_id)
    form.draft.data = request.args.get("draft", "") or (f"call-{request.args['call']}" if request.args.get("call") else "")
    form.date.data = utc_to_local(now).date().isoformat()
    return _new_batch_page(point, form, drafts, 200)


@bp.post("/points/<int:point_id>/new")
@writes
def upload_batch(point_id: int):
    point, now, drafts, form = _new_batch_form(point_id)
    pending = _begin_upload(form, point, drafts, now)
    if pending is not None:
        return redirect(url_for("batches.preview", upload_id=pending.id), 303)
    return _new_batch_page(point, form, drafts, 422)


def _target_value(target) -> str:
    return _call_value(target) if isinstance(target, PlanCall) else str(target.id)


def _begin_upload(form: BatchForm, point: LiaisonPoint, targets: list, now) -> uploads.PendingUpload | None:
    """The new-batch form's draft (or call), activity and table, kept as a preview;
    None when any is wrong (said on the form, or flashed)."""
    if not form.validate_on_submit():
        return None
    target = next((t for t in targets if _target_value(t) == (form.draft.data or "")), None)
    if target is None:
        form.draft.errors = [_("请选择一部正在征求意见的草案，或一次正在进行的立法项目建议征集。")]
        return None
    draft, call = (None, target) if isinstance(target, PlanCall) else (target, None)
    data, filename = _uploaded_file(form.file.data)
    try:
        activity = batches.parse_activity(form.activity_data(), today=utc_to_local(now).date())
        refusal = batches.acceptance_error(current_user, point, target, now, late_reason=activity.late_reason)
        if refusal is not None:
            raise refusal
        if not data:
            message = _("请选择要上传的意见汇总表文件。")
            raise batches.BatchRejected([], message=message, fields={"file": [message]})
        return uploads.save_pending(point=point, draft=draft, call=call, user=_actor(), activity=activity,
                                    data=data, filename=filename, now=now)
    except ServiceError as exc:
        db.session.rollback()
        if not apply_field_errors(form, exc):
            flash(exc.message, "error")
        return None


def _uploaded_file(storage) -> tuple[bytes, str]:
    filename = getattr(storage, "filename", "") or ""
    return (storage.read() if storage is not None and filename else b""), filename


def _load_pending(upload_id: str):
    pending = uploads.load_pending(upload_id)
    if pending is None:
        abort(404)
    point = _load_point(pending.point_id)
    require(policies.can_submit_batch(current_user, point))
    if pending.user_id != current_user.id:
        # A preview belongs to whoever uploaded it: confirming records who entered it.
        abort(404)
    # The target: the draft, or the call of a table of proposals.
    target = queries.get_call(pending.call_id) if pending.call_id else _load_draft(pending.draft_id)
    if target is None:
        abort(404)
    return pending, point, target


def _check_pending(pending: uploads.PendingUpload, point: LiaisonPoint, target) -> batches.BatchCheck:
    data = pending.read()
    if data is None:
        abort(404)
    return batches.check(batches.FileSource(data, pending.filename), target, point)


@bp.get("/uploads/<upload_id>")
@reads
def preview(upload_id: str):
    pending, point, draft = _load_pending(upload_id)
    is_call = isinstance(draft, PlanCall)
    if not is_call and draft.current_version is None:
        abort(404)
    result = _check_pending(pending, point, draft)
    existing = result.existing()
    blocked = batches.acceptance_error(current_user, point, draft, clock.now(),
                                       late_reason=pending.activity.get("late_reason", ""))
    only_errors = request.args.get("errors") == "1"
    return render_template(
        "batches/preview.html", pending=pending, point=point, draft=draft, upload=result.upload,
        activity=pending.activity_value(), errors=result.errors[:ERRORS_SHOWN], error_count=len(result.errors),
        tally=result.tally(), only_errors=only_errors, existing=existing,
        blocked=blocked.message if blocked is not None else None, is_call=is_call, row_total=len(result.clean),
        fields=proposal_rows.FIELDS if is_call else vocabulary.FIELDS,
        headers=proposal_rows.HEADERS if is_call else vocabulary.HEADERS,
        confirm_form=ConfirmForm(), replace_form=ReplaceFileForm(),
        can_confirm=not result.errors and existing is None and blocked is None,
        **_preview_rows(result, only_errors),
    ), (200 if not result.errors else 422)


def _preview_rows(result: batches.BatchCheck, only_errors: bool) -> dict:
    """One page of the preview's rows (all, or only those with errors), each with its
    cleaned values and its errors."""
    by_row: dict[int, list] = {}
    for error in result.errors:
        if error.row is not None:
            by_row.setdefault(error.row, []).append(error)
    shown = [row for row in result.rows if row.row in by_row] if only_errors else result.rows
    pages = max(1, (len(shown) - 1) // ROWS_PER_PAGE + 1)
    page = min(_page(), pages)
    clean_by_row = {row.row: row for row in result.clean}
    page_rows = [
        {"input": row, "clean": clean_by_row.get(row.row), "errors": by_row.get(row.row, [])}
        for row in shown[(page - 1) * ROWS_PER_PAGE: page * ROWS_PER_PAGE]
    ]
    return {"page_rows": page_rows, "page": page, "pages": pages, "shown_count": len(shown),
            "errors_with_row": len(by_row)}


@bp.post("/uploads/<upload_id>/file")
@writes
def replace_file(upload_id: str):
    """A corrected table for the same preview (the activity is kept)."""
    pending, point, draft = _load_pending(upload_id)
    back = redirect(url_for("batches.preview", upload_id=pending.id), 303)
    form = ReplaceFileForm()
    if not form.validate_on_submit():
        flash(_("表单已过期，请重新上传。"), "error")
        return back
    data, filename = _uploaded_file(form.file.data)
    if not data:
        flash(_("请选择要上传的意见汇总表文件。"), "error")
        return back
    try:
        is_call = isinstance(draft, PlanCall)
        replaced = uploads.save_pending(point=point, draft=None if is_call else draft, call=draft if is_call else None,
                                        user=_actor(), activity=pending.activity_value(), data=data,
                                        filename=filename, now=clock.now(), upload_id=pending.id)
    except batches.BatchRejected as exc:
        flash(exc.message, "error")
        return back
    flash(_("已重新读取“%(name)s”。", name=replaced.filename or _("上传的文件")), "info")
    return back


@bp.post("/uploads/<upload_id>/confirm")
@writes
def confirm(upload_id: str):
    pending, point, draft = _load_pending(upload_id)
    back = redirect(url_for("batches.preview", upload_id=pending.id), 303)
    if not ConfirmForm().validate_on_submit():
        flash(_("表单已过期，请重新确认。"), "error")
        return back
    result = _check_pending(pending, point, draft)
    try:
        batch, created = batches.store(result, pending.activity_value(), _actor(), clock.now())
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return back
    db.session.commit()
    uploads.discard_pending(pending.id)
    if created and batch.plan_call_id:
        flash(_("已导入 %(count)d 件立法项目建议（批次 #%(id)d）。", count=batch.row_count, id=batch.id), "success")
    elif created:
        flash(_("已导入 %(count)d 条意见（批次 #%(id)d）。", count=batch.row_count, id=batch.id), "success")
    else:
        flash(_("这个文件已经导入过（批次 #%(id)d），没有重复导入。", id=batch.id), "info")
    return redirect(url_for("batches.batch", batch_id=batch.id), 303)


# --- A batch and its feedback ------------------------------------------------------------------

def _load_batch(batch_id: int):
    return load_visible(queries.get_batch, batch_id, lambda batch: policies.can_view_batch(current_user, batch))


@bp.get("/<int:batch_id>")
@reads
def batch(batch_id: int):
    batch = _load_batch(batch_id)
    if batch.plan_call_id is not None:
        return _proposal_batch_page(batch)
    page = queries.batch_rows_page(batch, page=_page(), per_page=ROWS_PER_PAGE)
    clauses = VersionClauses(batch.version_id) if batch.version_id else None
    rows = []
    for opinion in page.items:
        disposition, reason = workbooks.row_disposition(opinion, batch.draft)
        rows.append({
            "opinion": opinion,
            "citation": clauses.citation(opinion.provision_key) if clauses else (opinion.provision_key or ""),
            "status": workbooks.row_status(opinion), "disposition": disposition, "disposition_reason": reason,
        })
    return render_template("batches/batch.html", batch=batch, page=page, rows=rows,
                           states=queries.batch_state_counts(batch),
                           dispositions=disposition_summaries([batch])[batch.id],
                           report_url=links.feedback_report_url(batch.draft_id)
                           if feedback_service.is_feedback_published(batch.draft) else None)


def _proposal_batch_page(batch):
    """A batch of proposals: each row with its receipt, status and (once the year's plan
    is published) its classification."""
    call = queries.get_call(batch.plan_call_id)
    page = db.paginate(select(Proposal).where(Proposal.batch_id == batch.id).order_by(Proposal.batch_row),
                       page=_page(), per_page=ROWS_PER_PAGE, error_out=False)
    plan = queries.plan_of_year(call.year)
    states = dict(db.session.execute(select(Proposal.moderation_state, func.count())
                                     .where(Proposal.batch_id == batch.id).group_by(Proposal.moderation_state)).all())
    return render_template("batches/proposal_batch.html", batch=batch, call=call, page=page, states=states,
                           released=plan is not None and plan.published_at is not None)


def call_titles(shown) -> dict[int, str]:
    """Call id → title, for the listings' batches of proposals."""
    ids = {batch.plan_call_id for batch in shown if batch.plan_call_id}
    return dict(db.session.execute(select(PlanCall.id, PlanCall.title).where(PlanCall.id.in_(ids))).all()) if ids else {}


def disposition_summaries(shown) -> dict[int, dict]:
    """Batch id → what its 采纳情况 column shows: once the draft's feedback is published,
    the rows by disposition (in the order of ``labels.DISPOSITION``); before, only how
    many rows await the answer (every row: nothing is released yet)."""
    released = [batch.id for batch in shown if feedback_service.is_feedback_published(batch.draft)]
    counts = queries.disposition_counts_by_batch(released)
    summaries = {}
    for batch in shown:
        if batch.id in counts:
            by_disposition = counts[batch.id]
            summaries[batch.id] = {"published": True, "counts": [
                (value, labels.label(labels.DISPOSITION, value), by_disposition[value])
                for value in labels.DISPOSITION if by_disposition.get(value)]}
        else:
            summaries[batch.id] = {"published": False, "pending": batch.row_count}
    return summaries


@bp.get("/<int:batch_id>/feedback.xlsx")
@reads
def feedback(batch_id: int):
    batch = _load_batch(batch_id)
    data = workbooks.feedback_workbook(batch)
    title = batch.draft.title if batch.draft else (queries.get_call(batch.plan_call_id).title if batch.plan_call_id else "")
    name = _download_name(title, _("意见反馈-批次%(id)d", id=batch.id))
    return _xlsx(data, name)


@bp.get("/drafts/<int:draft_id>/template.xlsx")
@reads
def template(draft_id: int):
    require(policies.can_open_batches(current_user))
    draft = _load_draft(draft_id)
    now = clock.now()
    if draft is None or not policies.can_view_draft(current_user, draft, now):
        abort(404)
    data = workbooks.template_workbook(draft)
    return _xlsx(data, _download_name(draft.title, _("意见建议汇总表")))


@bp.get("/calls/<int:call_id>/template.xlsx")
@reads
def call_template(call_id: int):
    """The table of proposals (立法项目建议汇总表) a point fills in for a call."""
    call = queries.get_call(call_id) if 0 < call_id < 2**31 else None
    if call is None or not policies.can_view_plan_call(current_user, call, clock.now()):
        abort(404)
    return _xlsx(proposal_rows.template_workbook(call), _download_name(call.title, _("立法项目建议汇总表")))


def _xlsx(data: bytes, name: str):
    import io

    return send_file(io.BytesIO(data), mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=name,
                     max_age=0)
