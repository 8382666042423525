"""Background jobs: a real queue (Huey) behind one small interface.

Work that must not hold up a request — an export of 100,000 opinions, an email to each
of 100,000 followers — is a *job*: a ``Job`` row (``participation.models.jobs``) written
in the transaction that asks for it, and a message on the queue sent after that
transaction commits. A consumer process (``flask --app app jobs consume``; ``make run``
starts one) runs it.

    from participation import jobs

    @jobs.task("exports.build", retries=3)
    def build_export(job: Job) -> None:          # runs in an app context, own units
        ...
        jobs.report_progress(job, done, total)   # seen by the status page while it runs

    job = jobs.enqueue("exports.build", params={...}, draft_id=draft.id, by=user)
    db.session.commit()                          # the message is sent now, not before

Where the queue lives is ``JOBS_QUEUE_URL``: ``sqlite:///…`` (the default, a file in the
instance folder, for the embedded setup) or ``redis://…`` (production; several web and
consumer processes share it). A job that raises is retried with exponential backoff
(``retries``, ``retry_delay`` doubling) and then marked failed with its error, which
admins see at /admin/jobs — never dropped silently. ``sweep`` (every minute in the
consumer) sends again what a crash left behind.

Task modules are listed in ``TASK_MODULES`` so that the web processes and the consumer
know the same tasks.
"""
from participation.jobs.queue import (
    TASK_MODULES,
    JobFailed,
    enqueue,
    init_app,
    periodic,
    queue_of,
    report_progress,
    run_pending,
    sweep,
    task,
)

__all__ = [
    "TASK_MODULES", "JobFailed", "enqueue", "init_app", "periodic", "queue_of", "report_progress",
    "run_pending", "sweep", "task",
]
