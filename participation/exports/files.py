"""Finding a job's file for its download link (pages and API alike)."""
from __future__ import annotations

import secrets
from pathlib import Path

from sqlalchemy import select

from participation import clock
from participation.extensions import db
from participation.jobs.queue import files_folder
from participation.models import Job, JobState

#: Longer than any public id: a longer value in a URL is not looked up at all.
MAX_PUBLIC_ID = 64


def find_job(public_id: str) -> Job | None:
    if not public_id or len(public_id) > MAX_PUBLIC_ID:
        return None
    job = db.session.scalar(select(Job).where(Job.public_id == public_id))
    # Compared again in constant time: the lookup is by index, the check is not.
    if job is None or not secrets.compare_digest(job.public_id, public_id):
        return None
    return job


def is_expired(job: Job) -> bool:
    """A finished job whose file is gone or past its time."""
    if job.state != JobState.DONE.value:
        return False
    return not job.file_path or (job.expires_at is not None and job.expires_at <= clock.now())


def file_of(job: Job) -> Path | None:
    """The file of a finished, unexpired job, when it is still on disk."""
    if job.state != JobState.DONE.value or is_expired(job):
        return None
    folder = files_folder().resolve()
    path = (folder / job.file_path).resolve()
    if path.parent != folder or not path.is_file():
        return None
    return path


def mimetype_of(job: Job) -> str:
    from participation.exports.documents import DOCX_MIMETYPE
    from participation.spreadsheets import XLSX_MIMETYPE

    return DOCX_MIMETYPE if job.file_path.endswith(".docx") else XLSX_MIMETYPE


def failure_message(job: Job) -> str:
    """Why a job failed, for the person who asked: a ``JobFailed`` message as written;
    an unexpected error (a traceback, kept for admins) as a general sentence."""
    from flask_babel import gettext as _

    error = (job.error or "").strip()
    if not error or error.startswith("Traceback"):
        return _("导出时出错，已记录，请稍后重新导出。")
    return error


def my_exports(user_id: int, draft_id: int | None, limit: int = 10) -> list[Job]:
    """我的导出: a staff member's latest export jobs (of one draft)."""
    query = select(Job).where(Job.created_by_id == user_id, Job.kind.like("exports.%"))
    if draft_id is not None:
        query = query.where(Job.draft_id == draft_id)
    return list(db.session.scalars(query.order_by(Job.created_at.desc(), Job.id.desc()).limit(limit)))
