"""Huey, configured per app, and the runner that keeps each ``Job`` row true.

One Huey instance per app (tests build many apps in one process), kept in
``app.extensions["jobs"]``. Tasks are plain functions registered here by name; each app
wraps every registered function as a Huey task of its own instance, so the queue
message holds only the task's name and the job's id.
"""
from __future__ import annotations

import importlib
import logging
import secrets
import threading
import traceback
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Callable

from flask import Flask, current_app
from huey import RedisHuey, SqliteHuey, crontab
from sqlalchemy import event, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from participation import clock, database
from participation.extensions import db
from participation.models import Job, JobState
from participation.unit_of_work import is_writing, writing

logger = logging.getLogger(__name__)

#: Modules whose import registers tasks (``@task`` / ``@periodic``); imported by
#: ``init_app`` so that web processes and the consumer know the same tasks.
TASK_MODULES: list[str] = [
    "participation.jobs.maintenance",
    "participation.mail.tasks",
    "participation.exports.jobs",
    "participation.exports.proposals",
]

_PENDING_KEY = "participation.jobs.pending"


class JobFailed(Exception):
    """Raised by a task for a failure that retrying cannot fix (bad parameters, a
    vanished draft): the job is marked failed at once with this message."""


@dataclass(frozen=True)
class TaskSpec:
    name: str
    function: Callable[[Job], None]
    retries: int
    retry_delay: int


@dataclass(frozen=True)
class PeriodicSpec:
    name: str
    function: Callable[[], None]
    schedule: dict          # crontab(**schedule)


_tasks: dict[str, TaskSpec] = {}
_periodic: dict[str, PeriodicSpec] = {}


def task(name: str, *, retries: int = 3, retry_delay: int = 10):
    """Register ``function(job)`` as the task ``name``. On an exception it is retried
    ``retries`` times, waiting ``retry_delay`` seconds, then twice that, and so on."""
    def register(function):
        _tasks[name] = TaskSpec(name, function, retries, retry_delay)
        return function
    return register


def periodic(name: str, **schedule):
    """Register ``function()`` to run on a crontab schedule in the consumer (for
    example ``minute="*/5"``) and on ``flask jobs tick``. It runs in an app context and
    owns its units; keep it short (let it ``enqueue`` the long work)."""
    def register(function):
        _periodic[name] = PeriodicSpec(name, function, schedule)
        return function
    return register


class _AppQueue:
    """The app's Huey and its wrapped tasks, made on first use: most processes (and
    most tests) never touch the queue, and opening a SQLite-file queue costs a
    connection and a schema check."""

    def __init__(self, app: Flask) -> None:
        self._app = app
        self._huey = None
        self._wrappers: dict = {}
        self._lock = threading.Lock()

    def _build(self) -> None:
        with self._lock:
            if self._huey is not None:
                return
            huey = _make_huey(self._app)
            for spec in _tasks.values():
                self._wrappers[spec.name] = _wrap_task(self._app, huey, spec)
            for spec in _periodic.values():
                self._wrappers[spec.name] = _wrap_periodic(self._app, huey, spec)
            self._huey = huey

    @property
    def huey(self):
        if self._huey is None:
            self._build()
        return self._huey

    @property
    def wrappers(self) -> dict:
        if self._huey is None:
            self._build()
        return self._wrappers


def queue_of(app: Flask | None = None):
    """The app's Huey instance."""
    return (app or current_app).extensions["jobs"].huey


def _make_huey(app: Flask):
    url = app.config.get("JOBS_QUEUE_URL") or ""
    name = app.config.get("JOBS_QUEUE_NAME") or "participation"
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name, url=url, results=False)
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
    elif url:
        raise RuntimeError(f"JOBS_QUEUE_URL={url!r}: use sqlite:///path or redis://host:port/db")
    else:
        path = Path(app.instance_path) / "jobs-queue.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(path), results=False)


def init_app(app: Flask) -> None:
    extra = [name.strip() for name in (app.config.get("JOBS_EXTRA_TASK_MODULES") or "").split(",") if name.strip()]
    for module in [*TASK_MODULES, *extra]:
        importlib.import_module(module)
    app.extensions["jobs"] = _AppQueue(app)
    files = Path(app.config.get("JOBS_FILES_PATH") or Path(app.instance_path) / "job-files")
    app.config["JOBS_FILES_PATH"] = str(files)


def files_folder(app: Flask | None = None) -> Path:
    """Where jobs keep the files they produce (exports), one per job, under a
    generated name."""
    path = Path((app or current_app).config["JOBS_FILES_PATH"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def _wrap_task(app: Flask, huey, spec: TaskSpec):
    def run(job_id: int, task=None) -> None:
        with app.app_context():
            _run(spec, job_id, retries_left=task.retries if task is not None else 0)

    run.__name__ = spec.name.replace(".", "_")
    return huey.task(retries=spec.retries, retry_delay=spec.retry_delay, retry_backoff=2,
                     context=True, name=spec.name)(run)


def _wrap_periodic(app: Flask, huey, spec: PeriodicSpec):
    def run() -> None:
        with app.app_context():
            spec.function()

    run.__name__ = spec.name.replace(".", "_")
    return huey.periodic_task(crontab(**spec.schedule), name=spec.name)(run)


# ---------------------------------------------------------------- asking for work

def enqueue(kind: str, *, params: dict | None = None, draft_id: int | None = None, by=None) -> Job:
    """Write a queued ``Job`` for the task ``kind`` (flushed, so its id and public id
    exist) and send it to the queue once the session's transaction commits; a rollback
    discards both."""
    if kind not in _tasks:
        raise KeyError(f"no task named {kind!r}")
    job = Job(public_id=secrets.token_urlsafe(32), kind=kind, params=dict(params or {}), draft_id=draft_id,
              created_by_id=getattr(by, "id", None), state=JobState.QUEUED.value, created_at=clock.now())
    db.session.add(job)
    db.session.flush()
    db.session.info.setdefault(_PENDING_KEY, []).append((current_app._get_current_object(), job.id, kind))
    return job


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING_KEY, None)
    if not pending:
        return
    for app, job_id, kind in pending:
        try:
            app.extensions["jobs"].wrappers[kind](job_id)
        except Exception:  # the queue is down: the row stays queued and the sweep sends it
            logger.exception("could not send job %s (%s) to the queue; the sweep will retry", job_id, kind)


@event.listens_for(Session, "after_rollback")
def _discard_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


# ---------------------------------------------------------------- running work

def _run(spec: TaskSpec, job_id: int, *, retries_left: int) -> None:
    with writing():
        job = db.session.get(Job, job_id)
        if job is None or job.state != JobState.QUEUED.value:
            # A duplicate message (the sweep sent it again while it was running or after
            # it finished), or a job whose draft was deleted.
            db.session.commit()
            return
        job.state = JobState.RUNNING.value
        job.attempts += 1
        job.started_at = clock.now()
        job.error = ""
        db.session.commit()
    try:
        spec.function(job)
    except JobFailed as exc:
        db.session.rollback()
        _finish(job_id, JobState.FAILED, str(exc))
        return
    except Exception:
        db.session.rollback()
        error = traceback.format_exc(limit=8)
        if retries_left > 0:
            # Huey waits retry_delay, then twice that, … (retry_backoff=2) before the retry.
            retry_number = spec.retries - retries_left + 1
            due = clock.now() + timedelta(seconds=spec.retry_delay * 2 ** (retry_number - 1))
            _finish(job_id, JobState.QUEUED, error, due=due)
            raise  # Huey schedules the retry after the backoff
        _finish(job_id, JobState.FAILED, error)
        logger.error("job %s (%s) failed after its retries:\n%s", job_id, spec.name, error)
        return
    with writing():
        job = db.session.get(Job, job_id)
        if job is not None and job.state == JobState.RUNNING.value:
            job.state = JobState.DONE.value
            job.finished_at = clock.now()
            if job.progress_total:
                job.progress_done = job.progress_total
        db.session.commit()


def _finish(job_id: int, state: JobState, error: str, *, due=None) -> None:
    """Record the end of an attempt. A job going back to the queue for a retry records
    when the retry is due as its ``enqueued_at``: the sweep counts a job as lost only
    from then on, so a long backoff is never mistaken for a crash (which would send the
    job again beside Huey's own retry, each message with retries of its own)."""
    with writing():
        values = {"state": state.value, "error": error[-4000:]}
        if state is JobState.FAILED:
            values["finished_at"] = clock.now()
        else:
            values["enqueued_at"] = due or clock.now()
        db.session.execute(update(Job).where(Job.id == job_id).values(**values))
        db.session.commit()


def report_progress(job: Job, done: int, total: int) -> None:
    """Record how far ``job`` is, on a connection of its own so that the status page sees
    it while the job's own transaction (a long read) goes on. Not from inside a write
    unit on SQLite (the job's own writes hold the lock): report between them."""
    if is_writing() and db.engine.dialect.name == "sqlite":
        raise RuntimeError("report_progress inside a write unit would wait for its own lock")
    job_id = job.id
    with database.writer_turn(db.engine), db.engine.begin() as connection:
        connection.execute(update(Job).where(Job.id == job_id).values(progress_done=done, progress_total=total))
    # Seen on the object too, without making it dirty: a flush of the job's own session
    # would write it again, from an older snapshot.
    set_committed_value(job, "progress_done", done)
    set_committed_value(job, "progress_total", total)


def run_pending(app: Flask | None = None, *, limit: int = 10_000) -> int:
    """Run, in this thread, every task that is due on the app's queue (retries that are
    not due yet stay scheduled); returns how many ran. What ``flask jobs drain`` does,
    and what tests call after a request instead of waiting for a consumer."""
    huey = queue_of(app)
    ran = 0
    while ran < limit:
        message = huey.dequeue()
        if message is None:
            break
        ran += 1
        try:
            huey.execute(message)
        except Exception:  # a failure the runner re-raised for a retry; huey scheduled it
            logger.debug("task %s raised; retry scheduled", message)
    return ran


def sweep(*, queued_after_minutes: int = 2, running_after_minutes: int = 60) -> int:
    """Send again the jobs a crash left behind: queued but never picked up (the process
    died between commit and send, or the queue was down), or running for longer than
    any job runs (the consumer died mid-job). A duplicate message is harmless: the
    runner skips a job that is finished. Returns how many were sent."""
    now = clock.now()
    with writing():
        stale = db.session.execute(select(Job.id, Job.kind).where(or_(
            (Job.state == JobState.QUEUED.value)
            & (db.func.coalesce(Job.enqueued_at, Job.created_at) < now - timedelta(minutes=queued_after_minutes)),
            (Job.state == JobState.RUNNING.value) & (Job.started_at < now - timedelta(minutes=running_after_minutes)),
        )).limit(1000)).all()
        if stale:
            db.session.execute(update(Job).where(Job.id.in_([row.id for row in stale])).values(
                state=JobState.QUEUED.value, enqueued_at=now))
        db.session.commit()
    wrappers = current_app.extensions["jobs"].wrappers
    sent = 0
    for row in stale:
        if row.kind in wrappers:
            wrappers[row.kind](row.id)
            sent += 1
    return sent


def retry_failed(job: Job) -> None:
    """An admin sends a failed job again (after fixing its cause); sent on commit."""
    job.state = JobState.QUEUED.value
    job.error = ""
    job.finished_at = None
    job.enqueued_at = clock.now()
    db.session.info.setdefault(_PENDING_KEY, []).append((current_app._get_current_object(), job.id, job.kind))
