"""Staff exports of a draft's opinions, and the job pages that follow them.

The buttons on the staff opinion list post here with the list's filter in the query
string (the same arguments the list reads, parsed by the list's own code); the export
runs as a job, and its status page (/staff/jobs/<public id>) refreshes itself until the
file is ready. Only the staff member who asked, and administrators, see a job and
download its file; an unknown or someone else's job is "not found".

The public feedback report's .docx is built while the request waits: it reads only the
tally's counts (``participation.exports.report_document``)."""
from __future__ import annotations

import io

from flask import abort, redirect, render_template, request, send_file, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from participation import clock, jobs, policies, queries
from participation.exports import files, report_document
from participation.exports.documents import DOCX_MIMETYPE
from participation.exports.jobs import FORMATS
from participation.extensions import db
from participation.forms.opinions import StaffOpinionFilterForm
from participation.models import JobState
from participation.unit_of_work import reads, writes
from participation.views import load_visible, require
from participation.views.moderation import load_draft, opinion_filters
from participation.views.public import bp as public_bp
from participation.views.staff import bp

#: The states of a job as the status page names them.
JOB_STATE = {"queued": _l("排队中"), "running": _l("生成中"), "done": _l("已完成"), "failed": _l("失败")}


@bp.post("/drafts/<int:draft_id>/exports/<kind>")
@writes
def export_opinions(draft_id: int, kind: str):
    require(policies.can_export_opinions(current_user))
    if kind not in FORMATS:
        abort(404)
    draft = load_draft(draft_id)
    filters = opinion_filters(StaffOpinionFilterForm(request.args))
    job = jobs.enqueue(FORMATS[kind], params={"filter": filters.describe(), "format": kind}, draft_id=draft.id,
                       by=current_user._get_current_object())
    db.session.commit()
    return redirect(url_for("staff.job_status", public_id=job.public_id), 303)


def _visible_job(public_id: str):
    """The job, for its creator and admins; 404 for anyone else and for unknown ids."""
    job = files.find_job(public_id)
    if job is None or not policies.can_download_job(current_user, job):
        abort(404)
    return job


@bp.get("/jobs/<public_id>")
@reads
def job_status(public_id: str):
    require(policies.is_staff(current_user))
    job = _visible_job(public_id)
    draft = queries.get_draft(job.draft_id) if job.draft_id else None
    return render_template(
        "exports/job.html", job=job, draft=draft, expired=files.is_expired(job),
        running=job.state in (JobState.QUEUED.value, JobState.RUNNING.value),
        mine=files.my_exports(current_user.id, job.draft_id), job_states=JOB_STATE,
        failure=files.failure_message(job) if job.state == JobState.FAILED.value else "",
    )


@bp.get("/jobs/<public_id>/download")
@reads
def job_download(public_id: str):
    require(policies.is_staff(current_user))
    job = _visible_job(public_id)
    if job.state != JobState.DONE.value:
        return redirect(url_for("staff.job_status", public_id=job.public_id), 303)
    path = files.file_of(job)
    if path is None:
        return render_template("exports/expired.html", job=job), 410
    return send_file(path, mimetype=files.mimetype_of(job), as_attachment=True, download_name=job.file_name,
                     max_age=0)


@public_bp.get("/drafts/<int:draft_id>/feedback.docx")
@reads
def feedback_report_docx(draft_id: int):
    """The feedback report as Word: whoever may read the report page (everyone once it
    is published, staff for a preview before)."""
    now = clock.now()
    draft = load_visible(queries.get_draft, draft_id,
                         lambda d: policies.can_view_draft(current_user, d, now)
                         and policies.can_view_feedback_report(current_user, d) and d.current_version is not None)
    data = report_document.report_docx(draft)
    response = send_file(io.BytesIO(data), mimetype=DOCX_MIMETYPE, as_attachment=True, max_age=0,
                         download_name=report_document.file_title(draft) + ".docx")
    # A preview changes until publication; the published report is public.
    response.headers["Cache-Control"] = "private, no-store" if draft.feedback_published_at is None else "no-cache"
    return response

