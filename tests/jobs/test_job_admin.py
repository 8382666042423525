"""后台任务 for administrators: who may see it (role matrix), a failed job's error shown,
and a retry that sends it again."""
from __future__ import annotations

import pytest

from participation import jobs
from participation.extensions import db
from participation.models import Job
from participation.unit_of_work import writing

ROLES = ("anonymous", "citizen", "deputy", "operator", "staff", "admin")
# L: sent to sign in; F: 403; O: served (200 or a redirect elsewhere); N: 404.
MATRIX = [
    ("GET", "/admin/jobs", "LFFFFO"),
    ("GET", "/admin/jobs?state=failed", "LFFFFO"),
    ("GET", "/admin/jobs/{job}", "LFFFFO"),
    ("GET", "/admin/jobs/987654", "LFFFFN"),
    ("POST", "/admin/jobs/{job}/retry", "LFFFFO"),
]


@pytest.fixture
def app_config(app_config):
    app_config["JOBS_EXTRA_TASK_MODULES"] = "tests.jobs.sample_tasks"
    return app_config


@pytest.fixture
def failed_job(app):
    with writing():
        job = jobs.enqueue("tests.flaky", params={"succeed_on": 4})
        db.session.commit()
    jobs.run_pending(app)
    db.session.rollback()
    job = db.session.get(Job, job.id)
    assert job.state == "failed"
    return job.id


def _outcome(response) -> str:
    if response.status_code in (302, 303) and response.headers["Location"].startswith("/login"):
        return "L"
    return {200: "O", 302: "O", 303: "O", 403: "F", 404: "N"}.get(response.status_code, f"?{response.status_code}")


@pytest.mark.parametrize("role_index, role", list(enumerate(ROLES)))
def test_access(client, login, make_user, failed_job, role_index, role):
    if role != "anonymous":
        login(make_user(role))
    for method, path, marks in MATRIX:
        url = path.format(job=failed_job)
        response = client.get(url) if method == "GET" else client.post(url)
        assert _outcome(response) == marks[role_index], f"{method} {url} as {role}: {response.status_code}"


def test_a_failed_job_is_shown_and_can_be_retried(app, client, login, make_user, failed_job):
    login(make_user("admin"))
    listing = client.get("/admin/jobs?state=failed").get_data(as_text=True)
    assert f"#{failed_job}" in listing and "RuntimeError: attempt 3 fails" in listing
    detail = client.get(f"/admin/jobs/{failed_job}").get_data(as_text=True)
    assert "失败" in detail and "重新执行" in detail and "attempt 3 fails" in detail
    response = client.post(f"/admin/jobs/{failed_job}/retry")
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.get(Job, failed_job).state == "queued"
    jobs.run_pending(app)  # the fourth attempt succeeds
    db.session.rollback()
    job = db.session.get(Job, failed_job)
    assert (job.state, job.attempts, job.error) == ("done", 4, "")
    assert "重新执行" not in client.get(f"/admin/jobs/{failed_job}").get_data(as_text=True)
    # Only a failed job is retried.
    client.post(f"/admin/jobs/{failed_job}/retry")
    db.session.rollback()
    assert db.session.get(Job, failed_job).state == "done"


def test_every_task_has_a_name_people_read(app):  # the app imports every task module
    """The admins' list names each job in words, not by its registered task name."""
    from participation import labels
    from participation.jobs import queue as job_queue

    registered = {name for name in job_queue._tasks if not name.startswith("tests.")}
    assert registered and registered <= set(labels.JOB_KIND), registered - set(labels.JOB_KIND)
