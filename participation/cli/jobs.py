"""``flask --app app jobs …``: the background-job consumer and its upkeep."""
from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from participation import jobs
from participation.extensions import db
from participation.jobs import queue as job_queue
from participation.models import Job, JobState
from participation.unit_of_work import reading

jobs_cli = AppGroup("jobs", help="Background jobs: run the consumer, drain the queue, list failures.")


@jobs_cli.command("consume")
@click.option("--workers", default=2, show_default=True, help="Worker threads running jobs at once.")
def consume(workers: int) -> None:
    """Run the consumer until stopped: Ctrl-C (SIGINT) lets running jobs finish first,
    SIGTERM stops at once (the sweep sends an interrupted job again). Run it as its own
    supervised process beside the web server (README: "Background jobs")."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    huey = jobs.queue_of(current_app)
    click.echo(f"Consuming jobs from {type(huey.storage).__name__} queue {huey.name!r} with {workers} worker(s)")
    huey.create_consumer(workers=workers, worker_type="thread", periodic=True, check_worker_health=True).run()


@jobs_cli.command("drain")
def drain() -> None:
    """Run every job that is due now in this process, then exit (for a cron job where
    no consumer runs, and for operators)."""
    ran = jobs.run_pending(current_app)
    click.echo(f"Ran {ran} job(s).")


@jobs_cli.command("tick")
def tick() -> None:
    """Run every periodic task once now (the consumer runs them on their schedule)."""
    for spec in job_queue._periodic.values():
        spec.function()
        click.echo(f"ran {spec.name}")


@jobs_cli.command("sweep")
def sweep_command() -> None:
    """Send again the jobs a crash left queued or running."""
    click.echo(f"Sent {jobs.sweep()} job(s) again.")


@jobs_cli.command("list")
@click.option("--state", type=click.Choice([state.value for state in JobState]), default=None)
@click.option("--limit", default=50, show_default=True)
def list_jobs(state: str | None, limit: int) -> None:
    """The most recent jobs (failed ones with the last line of their error)."""
    with reading():
        query = select(Job).order_by(Job.id.desc()).limit(limit)
        if state:
            query = query.where(Job.state == state)
        for job in db.session.scalars(query):
            error = job.error.strip().splitlines()[-1] if job.error.strip() else ""
            click.echo(f"{job.id}\t{job.kind}\t{job.state}\t{job.attempts} attempt(s)\t{job.progress_done}/{job.progress_total}\t{error}")
