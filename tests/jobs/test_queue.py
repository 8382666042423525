"""The job queue driven in-process: a job exists exactly when the transaction that
asked for it committed, runs once, reports progress, is retried with backoff and then
recorded as failed, and is sent again after a crash."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from participation import clock, jobs
from participation.extensions import db
from participation.models import Job, JobState
from participation.unit_of_work import writing


@pytest.fixture
def app_config(app_config):
    app_config["JOBS_EXTRA_TASK_MODULES"] = "tests.jobs.sample_tasks"
    return app_config


def _enqueue(kind, **params):
    with writing():
        job = jobs.enqueue(kind, params=params)
        db.session.commit()
    return job.id


def _job(job_id) -> Job:
    db.session.rollback()
    return db.session.get(Job, job_id)


def test_a_committed_job_runs_once_and_reports_progress(app):
    job_id = _enqueue("tests.record", word="法规")
    assert _job(job_id).state == JobState.QUEUED.value
    assert jobs.run_pending(app) == 1
    job = _job(job_id)
    assert (job.state, job.attempts, job.file_name) == ("done", 1, "ran with 法规"), job.error
    assert (job.progress_done, job.progress_total, job.progress_percent) == (3, 3, 100)
    assert job.started_at is not None and job.finished_at is not None
    assert jobs.run_pending(app) == 0


def test_a_rolled_back_job_is_neither_stored_nor_sent(app):
    with writing():
        jobs.enqueue("tests.record", params={"word": "x"})
        db.session.rollback()
    assert db.session.scalars(select(Job)).all() == []
    assert jobs.run_pending(app) == 0


def test_public_ids_are_unguessable_and_distinct(app):
    ids = {_job(_enqueue("tests.record")).public_id for _ in range(5)}
    assert len(ids) == 5 and all(len(public_id) >= 40 for public_id in ids)


def test_a_failing_job_is_retried_then_recorded_as_failed(app):
    job_id = _enqueue("tests.flaky")
    jobs.run_pending(app)
    job = _job(job_id)
    assert job.state == JobState.FAILED.value
    assert job.attempts == 3  # the first run and two retries
    assert "attempt 3 fails" in job.error
    assert job.finished_at is not None


def test_a_job_that_recovers_on_a_retry_is_done(app):
    job_id = _enqueue("tests.flaky", succeed_on=2)
    jobs.run_pending(app)
    job = _job(job_id)
    assert (job.state, job.attempts, job.error) == ("done", 2, "")


def test_retries_wait_with_backoff(app):
    """With a delay the retry is scheduled for later, not run at once."""
    from participation.jobs import queue as job_queue

    spec = job_queue._tasks["tests.flaky"]
    job_queue._tasks["tests.flaky"] = job_queue.TaskSpec(spec.name, spec.function, 2, 30)
    try:
        from participation.jobs.queue import init_app

        init_app(app)  # wrap again with the delay
        job_id = _enqueue("tests.flaky")
        jobs.run_pending(app)
        job = _job(job_id)
        assert (job.state, job.attempts) == ("queued", 1)
        assert "attempt 1 fails" in job.error
        scheduled = jobs.queue_of(app).scheduled()
        assert len(scheduled) == 1
    finally:
        job_queue._tasks["tests.flaky"] = spec


def test_a_refused_job_fails_at_once_with_its_message(app):
    job_id = _enqueue("tests.refuse")
    jobs.run_pending(app)
    job = _job(job_id)
    assert (job.state, job.attempts, job.error) == ("failed", 1, "这份导出的草案已不存在")


def test_a_duplicate_message_does_not_run_a_finished_job_again(app):
    job_id = _enqueue("tests.record")
    jobs.run_pending(app)
    app.extensions["jobs"].wrappers["tests.record"](job_id)  # the same message once more
    assert jobs.run_pending(app) == 1
    assert _job(job_id).attempts == 1


def test_the_sweep_sends_again_what_a_crash_left_behind(app, frozen_now):
    frozen_now.set(clock.now())
    lost = _enqueue("tests.record", word="lost")
    jobs.queue_of(app).flush()  # the message never reached the queue
    running = _enqueue("tests.record", word="crashed")
    jobs.queue_of(app).flush()
    with writing():
        row = db.session.get(Job, running)
        row.state, row.started_at = JobState.RUNNING.value, clock.now()
        db.session.commit()
    assert jobs.sweep() == 0  # too recent to call lost
    frozen_now.advance(minutes=3)
    assert jobs.sweep() == 1  # the queued one; the running one may still be running
    assert jobs.run_pending(app) == 1 and _job(lost).state == "done"
    frozen_now.advance(minutes=60)
    assert jobs.sweep() == 1
    assert jobs.run_pending(app) == 1
    assert _job(lost).state == "done" and _job(running).state == "done"
    assert _job(running).file_name == "ran with crashed"


def test_the_cli_lists_drains_and_ticks(app, runner):
    job_id = _enqueue("tests.flaky")
    result = runner.invoke(args=["jobs", "drain"])
    assert result.exit_code == 0 and "Ran 3 job(s)." in result.output
    db.session.rollback()  # the test's session read before the drain: see what it wrote
    result = runner.invoke(args=["jobs", "list", "--state", "failed"])
    assert f"{job_id}\ttests.flaky\tfailed\t3 attempt(s)" in result.output
    assert "attempt 3 fails" in result.output
    result = runner.invoke(args=["jobs", "tick"])
    assert result.exit_code == 0 and "ran jobs.sweep" in result.output


def test_expired_files_are_removed(app, frozen_now):
    from participation.jobs.maintenance import remove_expired_files
    from participation.jobs.queue import files_folder

    frozen_now.set(clock.now())
    job_id = _enqueue("tests.record")
    jobs.run_pending(app)
    path = files_folder(app) / "export-abc.xlsx"
    path.write_bytes(b"data")
    with writing():
        row = db.session.get(Job, job_id)
        row.file_path, row.file_size, row.expires_at = path.name, 4, clock.now() + timedelta(hours=1)
        db.session.commit()
    assert remove_expired_files() == 0 and path.exists()
    frozen_now.advance(hours=2)
    assert remove_expired_files() == 1
    assert not path.exists() and _job(job_id).file_path == ""


def test_the_sweep_leaves_a_retry_waiting_out_its_backoff(app, frozen_now):
    """A retry five minutes away is not lost: the sweep sends nothing (a second message
    would run beside Huey's own retry, with retries of its own) until two minutes past
    the time the retry was due, when a consumer that died meanwhile may have dropped it."""
    from participation.jobs import queue as job_queue
    from participation.jobs.queue import init_app

    frozen_now.set(clock.now())
    spec = job_queue._tasks["tests.flaky"]
    job_queue._tasks["tests.flaky"] = job_queue.TaskSpec(spec.name, spec.function, 2, 300)
    try:
        init_app(app)
        job_id = _enqueue("tests.flaky")
        jobs.run_pending(app)
        job = _job(job_id)
        assert (job.state, job.attempts) == ("queued", 1)
        assert job.enqueued_at == frozen_now.now + timedelta(seconds=300)
        frozen_now.advance(minutes=6)  # past the due time, within the sweep's grace
        assert jobs.sweep() == 0
        frozen_now.advance(minutes=2)
        assert jobs.sweep() == 1
    finally:
        job_queue._tasks["tests.flaky"] = spec
