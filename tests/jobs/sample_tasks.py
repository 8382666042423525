"""Tasks the job tests enqueue (loaded through JOBS_EXTRA_TASK_MODULES, in the tests'
process and in a consumer process they start). Each writes what it did into its job's
own row, so a test can see a run from another process through the database alone."""
from __future__ import annotations

from participation import jobs
from participation.extensions import db
from participation.models import Job
from participation.unit_of_work import writing


@jobs.task("tests.record", retries=0)
def record(job: Job) -> None:
    """Counts in three steps, reporting progress, and records the parameters it saw."""
    for step in range(1, 4):
        jobs.report_progress(job, step, 3)
    with writing():
        row = db.session.get(Job, job.id)
        row.file_name = f"ran with {row.params.get('word', '')}"
        db.session.commit()


@jobs.task("tests.flaky", retries=2, retry_delay=0)
def flaky(job: Job) -> None:
    """Fails until its ``succeed_on`` attempt (0: always)."""
    succeed_on = job.params.get("succeed_on", 0)
    if not succeed_on or job.attempts < succeed_on:
        raise RuntimeError(f"attempt {job.attempts} fails")


@jobs.task("tests.refuse", retries=3, retry_delay=0)
def refuse(job: Job) -> None:
    raise jobs.JobFailed("这份导出的草案已不存在")
