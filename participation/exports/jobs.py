"""The export jobs: each writes its file into ``jobs.files_folder()`` under a generated
name and records on its ``Job`` the name offered to the browser (《…》意见汇总表.docx)
and when the file expires (``JOB_FILE_HOURS``; ``participation.jobs.maintenance``
removes it then).

Parameters (``Job.params``): ``filter``, the staff list's filter as
``StaffOpinionFilters.describe()`` gives it. A draft deleted meanwhile fails the job
with a message rather than retrying."""
from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _

from participation import clock, jobs
from participation.exports import summary, workbook
from participation.extensions import db
from participation.jobs.queue import files_folder
from participation.models import Draft, Job
from participation.queries import StaffOpinionFilters
from participation.unit_of_work import reading, writing

XLSX = "exports.opinions_xlsx"
DOCX = "exports.opinions_docx"
FORMATS = {"xlsx": XLSX, "docx": DOCX}
_FILTER_FIELDS = set(vars(StaffOpinionFilters()))


def filters_from_params(params: dict) -> StaffOpinionFilters:
    raw = params.get("filter") or {}
    return StaffOpinionFilters(**{name: value for name, value in raw.items() if name in _FILTER_FIELDS})


def _draft_of(job: Job) -> Draft:
    draft = db.session.get(Draft, job.draft_id) if job.draft_id else None
    if draft is None:
        raise jobs.JobFailed(_("草案已不存在，无法导出。"))
    return draft


def _finish(job: Job, file_name: str, stored: str, path) -> None:
    with writing():
        row = db.session.get(Job, job.id)
        row.file_name = file_name
        row.file_path = stored
        row.file_size = path.stat().st_size
        row.expires_at = clock.now() + timedelta(hours=current_app.config["JOB_FILE_HOURS"])
        db.session.commit()


def _run(job: Job, suffix: str, write) -> None:
    stored = f"{secrets.token_hex(16)}.{suffix}"
    path = files_folder() / stored
    try:
        # One read transaction: the rows, the counts and the tally sheet see one snapshot.
        with reading():
            draft = _draft_of(job)
            title = draft.title
            write(path, draft, filters_from_params(job.params),
                  lambda done, total: jobs.report_progress(job, done, total))
            db.session.rollback()
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    _finish(job, file_names[suffix](title), stored, path)


file_names = {
    "xlsx": lambda title: _("《%(title)s》意见.xlsx", title=title),
    "docx": lambda title: _("《%(title)s》意见汇总表.docx", title=title),
}


@jobs.task(XLSX, retries=2, retry_delay=10)
def opinions_xlsx(job: Job) -> None:
    _run(job, "xlsx", lambda path, draft, filters, progress: workbook.write_opinions_workbook(
        path, draft.id, filters, progress=progress))


@jobs.task(DOCX, retries=2, retry_delay=10)
def opinions_docx(job: Job) -> None:
    _run(job, "docx", lambda path, draft, filters, progress: summary.write_summary(
        path, draft, filters, progress=progress))
