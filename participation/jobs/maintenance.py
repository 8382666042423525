"""The queue's own upkeep, run by the consumer: send again what a crash left behind,
and remove produced files whose time is up."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from participation import clock
from participation.extensions import db
from participation.jobs.queue import files_folder, periodic, sweep
from participation.models import Job
from participation.unit_of_work import writing

logger = logging.getLogger(__name__)


@periodic("jobs.sweep", minute="*")
def sweep_every_minute() -> None:
    sent = sweep()
    if sent:
        logger.warning("sent %d stale job(s) to the queue again", sent)


@periodic("jobs.remove_expired_files", minute="*/10")
def remove_expired_files_periodically() -> None:
    remove_expired_files()


def remove_expired_files() -> int:
    """Delete the files of jobs whose ``expires_at`` has passed and forget their path
    (the download link then answers that the file has expired). Returns how many."""
    now = clock.now()
    folder = files_folder(current_app)
    with writing():
        jobs = db.session.scalars(select(Job).where(Job.expires_at < now, Job.file_path != "")).all()
        for job in jobs:
            path = (folder / job.file_path).resolve()
            if path.parent == folder.resolve():  # never outside the folder, whatever the row says
                Path(path).unlink(missing_ok=True)
            job.file_path = ""
            job.file_size = 0
        db.session.commit()
    return len(jobs)
