"""后台任务 (background jobs) for administrators, on the admin blueprint: every job with
its state, attempts and last error, so that a failed job is seen rather than lost, and
sent again once its cause is fixed."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from participation import labels, policies
from participation.extensions import db
from participation.jobs.queue import retry_failed
from participation.models import Job, JobState, User
from participation.unit_of_work import reads, writes
from participation.views import MAX_ID, load_visible, require
from participation.views.admin import bp

JOBS_PER_PAGE = 50


@bp.route("/jobs")
@reads
def jobs():
    require(policies.can_manage_jobs(current_user))
    state = request.args.get("state", "")
    if state not in labels.JOB_STATE:
        state = ""
    before = request.args.get("before", type=int)
    query = select(Job, User).outerjoin(User, User.id == Job.created_by_id).order_by(Job.id.desc())
    if state:
        query = query.where(Job.state == state)
    if before and 0 < before <= MAX_ID:
        query = query.where(Job.id < before)
    rows = db.session.execute(query.limit(JOBS_PER_PAGE + 1)).all()
    counts = dict(db.session.execute(select(Job.state, func.count()).group_by(Job.state)).all())
    shown = [{
        "job": job,
        "kind": labels.label(labels.JOB_KIND, job.kind),
        "state": labels.label(labels.JOB_STATE, job.state),
        "creator": (user.display_name or user.email) if user else _("系统"),
        "error": job.error.strip().splitlines()[-1] if job.error.strip() else "",
    } for job, user in rows[:JOBS_PER_PAGE]]
    next_before = rows[JOBS_PER_PAGE - 1][0].id if len(rows) > JOBS_PER_PAGE else None
    return render_template("admin/jobs.html", rows=shown, state=state, counts=counts,
                           next_url=url_for("admin.jobs", state=state or None, before=next_before)
                           if next_before else None)


@bp.route("/jobs/<int:job_id>")
@reads
def job_detail(job_id: int):
    require(policies.can_manage_jobs(current_user))
    job = load_visible(Job, job_id)
    creator = db.session.get(User, job.created_by_id) if job.created_by_id else None
    return render_template("admin/job_detail.html", job=job, creator=creator,
                           kind=labels.label(labels.JOB_KIND, job.kind),
                           state=labels.label(labels.JOB_STATE, job.state))


@bp.post("/jobs/<int:job_id>/retry")
@writes
def retry_job(job_id: int):
    require(policies.can_manage_jobs(current_user))
    job = load_visible(Job, job_id)
    if job.state != JobState.FAILED.value:
        flash(_("只有失败的任务可以重新执行。"), "error")
        return redirect(url_for("admin.job_detail", job_id=job.id))
    retry_failed(job)
    db.session.commit()
    flash(_("任务已重新排队。"), "success")
    return redirect(url_for("admin.job_detail", job_id=job.id))
