"""用表格批量填写处理情况, on the staff blueprint: download the opinions of a draft (as
the staff list's filters select them) as a disposition sheet, upload it filled in,
see every error or what will change, confirm.

The upload is checked at once; a sheet with errors is listed and nothing is kept. A
sheet without errors is kept (``disposition_sheets.uploads``) for its confirmation
page, which reads it again and checks it again: the confirmation applies exactly the
changes shown (their fingerprint travels in the form) or nothing, and a second
confirmation of the same upload applies nothing (the audit entry's idempotency key).
"""
from __future__ import annotations

import io

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from participation import clock, disposition_sheets, policies, queries
from participation.disposition_sheets import uploads
from participation.errors import ServiceError
from participation.extensions import db
from participation.forms.disposition_sheets import ConfirmSheetForm, DispositionSheetForm
from participation.forms.opinions import StaffOpinionFilterForm
from participation.spreadsheets import XLSX_MIMETYPE
from participation.unit_of_work import reads, writes
from participation.views import load_visible, require
from participation.views.moderation import opinion_filters as staff_filters
from participation.views.staff import bp

CHANGES_SHOWN = 200


def _load_draft(draft_id: int):
    require(policies.can_dispose_opinions(current_user))
    return load_visible(queries.get_draft, draft_id)


@bp.get("/drafts/<int:draft_id>/dispositions.xlsx")
@reads
def disposition_sheet(draft_id: int):
    draft = _load_draft(draft_id)
    try:
        data = disposition_sheets.workbook(draft, staff_filters(StaffOpinionFilterForm(request.args)))
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("staff.draft_opinions", draft_id=draft.id, **request.args.to_dict()), 303)
    response = send_file(io.BytesIO(data), mimetype=XLSX_MIMETYPE, as_attachment=True, max_age=0,
                         download_name=disposition_sheets.download_name(draft))
    # The sheet holds contact-free but internal data (notes): never kept by a shared cache.
    response.headers["Cache-Control"] = "no-store"
    return response


def _upload_page(draft, form, result=None, status: int = 200):
    return render_template("staff/disposition_sheet_upload.html", draft=draft, form=form, result=result), status


@bp.get("/drafts/<int:draft_id>/dispositions/upload")
@reads
def disposition_sheet_form(draft_id: int):
    return _upload_page(_load_draft(draft_id), DispositionSheetForm())


@bp.post("/drafts/<int:draft_id>/dispositions/upload")
@writes
def upload_disposition_sheet(draft_id: int):
    """Check the sheet; with errors list them all (nothing kept), else keep it for its
    confirmation page."""
    draft = _load_draft(draft_id)
    form = DispositionSheetForm()
    if not form.validate_on_submit():
        return _upload_page(draft, form, status=400)
    storage = form.file.data
    data = storage.read() if storage is not None and getattr(storage, "filename", "") else b""
    if not data:
        form.file.errors = [_("请选择要上传的处理情况表。")]
        return _upload_page(draft, form, status=422)
    result = disposition_sheets.check(data, storage.filename, draft)
    if not result.ok:
        return _upload_page(draft, form, result=result, status=422)
    pending = uploads.save_pending(data=data, filename=result.filename, draft_id=draft.id, user_id=current_user.id,
                                   now=clock.now())
    return redirect(url_for("staff.disposition_sheet_preview", upload_id=pending.id), 303)


def _load_pending(upload_id: str):
    """(the kept sheet, its draft, the check of it now); 404 for another person's upload."""
    require(policies.can_dispose_opinions(current_user))
    pending = uploads.load_pending(upload_id)
    if pending is None or pending.user_id != current_user.id:
        abort(404)
    draft = _load_draft(pending.draft_id)
    data = pending.read()
    if data is None:
        abort(404)
    return pending, draft, disposition_sheets.check(data, pending.filename, draft)


@bp.get("/disposition-sheets/<upload_id>")
@reads
def disposition_sheet_preview(upload_id: str):
    pending, draft, result = _load_pending(upload_id)
    form = ConfirmSheetForm(formdata=None, fingerprint=result.fingerprint())
    return render_template("staff/disposition_sheet_preview.html", draft=draft, pending=pending, result=result,
                           changes=result.changes[:CHANGES_SHOWN], form=form), (200 if result.ok else 422)


@bp.post("/disposition-sheets/<upload_id>/confirm")
@writes
def confirm_disposition_sheet(upload_id: str):
    pending = uploads.load_pending(upload_id)
    if pending is None:
        require(policies.can_dispose_opinions(current_user))
        flash(_("这份处理情况表已经确认过，或已过期。请在意见列表中核对处理情况。"), "info")
        return redirect(url_for("staff.drafts"), 303)
    pending, draft, result = _load_pending(upload_id)
    form = ConfirmSheetForm()
    back = redirect(url_for("staff.disposition_sheet_preview", upload_id=pending.id), 303)
    if not form.validate_on_submit() or form.fingerprint.data != result.fingerprint():
        flash(_("预览之后意见的处理情况有了变化（或表单已过期），请核对本页后重新确认。"), "error")
        return back
    try:
        applied = disposition_sheets.apply(result, draft, current_user._get_current_object(), clock.now(),
                                           idempotency_key=f"disposition-sheet:{pending.id}")
        db.session.commit()
    except ServiceError:  # rows that went wrong since the preview: it lists them
        db.session.rollback()
        return back
    except IntegrityError:  # the same upload confirmed at the same moment: its audit entry's key
        db.session.rollback()
        applied = None
    uploads.discard_pending(pending.id)
    if applied is None or applied.repeated:
        flash(_("这份处理情况表已经确认过，没有重复修改。"), "info")
    else:
        flash(_("已更新 %(count)d 条意见的处理情况。", count=applied.updated), "success")
    return redirect(url_for("staff.draft_opinions", draft_id=draft.id), 303)
