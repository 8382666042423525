"""The production consumer (``flask jobs consume``, its own process) on both queues the
README names: the SQLite file of the embedded setup and Redis. Jobs asked for by this
process run there; jobs asked for while no consumer runs wait in the queue and run
when one starts; a consumer killed mid-way loses nothing that was queued."""
from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import select

from participation import jobs
from participation.extensions import db
from participation.models import Job
from participation.unit_of_work import writing
from tests import resources
from tests.live_server import JobConsumer, server_env

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite-file", "redis"])
def queue_settings(request, tmp_path):
    if request.param == "redis":
        return {"JOBS_QUEUE_URL": resources.redis_url(14), "JOBS_QUEUE_NAME": f"test-{uuid.uuid4().hex[:12]}"}
    return {"JOBS_QUEUE_URL": f"sqlite:///{tmp_path / 'queue.sqlite3'}", "JOBS_QUEUE_NAME": "participation"}


@pytest.fixture
def app_config(app_config, queue_settings):
    app_config.update(queue_settings, JOBS_EXTRA_TASK_MODULES="tests.jobs.sample_tasks")
    return app_config


@pytest.fixture
def consumer_env(app, queue_settings):
    yield server_env(database_url=app.config["SQLALCHEMY_DATABASE_URI"], instance=app.instance_path,
                     secret_key=app.config["SECRET_KEY"], JOBS_EXTRA_TASK_MODULES="tests.jobs.sample_tasks",
                     **queue_settings)
    jobs.queue_of(app).flush()  # a Redis queue outlives the test


def _enqueue_many(count: int) -> list[int]:
    with writing():
        created = [jobs.enqueue("tests.record", params={"word": f"第{number}件"}) for number in range(count)]
        db.session.commit()
    return [job.id for job in created]


def _wait_for(job_ids: list[int], consumer: JobConsumer, timeout: float = 60) -> list[Job]:
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()
        rows = db.session.scalars(select(Job).where(Job.id.in_(job_ids)).order_by(Job.id)).all()
        if all(row.state == "done" for row in rows):
            return rows
        if time.monotonic() > deadline:
            pytest.fail(f"jobs not done: {[(row.id, row.state, row.error) for row in rows]}\n{consumer.log()}")
        time.sleep(0.2)


def test_the_consumer_runs_what_this_process_asks_for(app, consumer_env, tmp_path):
    with JobConsumer(consumer_env, tmp_path / "consumer.log") as consumer:
        job_ids = _enqueue_many(20)
        rows = _wait_for(job_ids, consumer)
    assert [row.file_name for row in rows] == [f"ran with 第{number}件" for number in range(20)]
    assert all(row.attempts == 1 and row.progress_percent == 100 for row in rows)


def test_jobs_wait_for_a_consumer_and_survive_a_killed_one(app, consumer_env, tmp_path):
    waiting = _enqueue_many(5)  # no consumer runs yet
    time.sleep(0.5)
    db.session.rollback()
    assert {row.state for row in db.session.scalars(select(Job))} == {"queued"}
    with JobConsumer(consumer_env, tmp_path / "consumer.log") as consumer:
        _wait_for(waiting, consumer)
        consumer.kill()  # as a crash would
    queued_while_down = _enqueue_many(5)
    with JobConsumer(consumer_env, tmp_path / "consumer.log") as consumer:
        rows = _wait_for(queued_while_down, consumer)
    assert all(row.attempts == 1 for row in rows)
