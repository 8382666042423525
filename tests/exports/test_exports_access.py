"""Who may export, follow a job and download its file: route × role × own/other job →
outcome, on the pages and in the API.

Outcomes: O served (200, 202, or a redirect that is not to the sign-in page), L
redirected to sign in, U 401 (API without a token), F 403, N 404. Marks are for:
anonymous, citizen, deputy, operator, staff, admin. A job is its creator's: another
staff member gets 404 for it (as for an unknown id); administrators see every job.
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from participation import jobs
from participation.extensions import db
from participation.models import Job
from participation.services import accounts
from participation.unit_of_work import writing

ROLES = ("anonymous", "citizen", "deputy", "operator", "staff", "admin")
MISSING_ID = 987654
MISSING_JOB = "x" * 43

# {draft} a draft; {own} a finished job of the staff member who is acting (for the
# admin: of the staff member, so "own" is someone else's job for the admin); {other}
# a finished job of another staff member; {missing}/{missing_job}: unknown ids.
MATRIX = [
    ("POST", "/staff/drafts/{draft}/exports/xlsx", None, "LFFFOO"),
    ("POST", "/staff/drafts/{draft}/exports/docx", None, "LFFFOO"),
    ("POST", "/staff/drafts/{missing}/exports/xlsx", None, "LFFFNN"),
    ("GET", "/staff/jobs/{own}", None, "LFFFOO"),
    ("GET", "/staff/jobs/{own}/download", None, "LFFFOO"),
    ("GET", "/staff/jobs/{other}", None, "LFFFNO"),
    ("GET", "/staff/jobs/{other}/download", None, "LFFFNO"),
    ("GET", "/staff/jobs/{missing_job}", None, "LFFFNN"),
    ("GET", "/staff/jobs/{missing_job}/download", None, "LFFFNN"),
    ("POST", "/api/v1/drafts/{draft}/exports", {"format": "xlsx"}, "UFFFOO"),
    ("POST", "/api/v1/drafts/{missing}/exports", {"format": "xlsx"}, "UFFFNN"),
    ("GET", "/api/v1/exports/{own}", None, "UFFFOO"),
    ("GET", "/api/v1/exports/{own}/download", None, "UFFFOO"),
    ("GET", "/api/v1/exports/{other}", None, "UFFFNO"),
    ("GET", "/api/v1/exports/{other}/download", None, "UFFFNO"),
    ("GET", "/api/v1/exports/{missing_job}", None, "UFFFNN"),
    ("GET", "/api/v1/drafts/{draft}/opinions", None, "UFFFOO"),
    ("GET", "/api/v1/drafts/{missing}/opinions", None, "UFFFNN"),
]

CASES = [
    pytest.param(method, path, data, role, marks[index], id=f"{method} {path} as {role}")
    for method, path, data, marks in MATRIX
    for index, role in enumerate(ROLES)
]


def _finished_job(app, draft, owner) -> str:
    with writing():
        job = jobs.enqueue("exports.opinions_xlsx", params={"filter": {}}, draft_id=draft.id, by=owner)
        db.session.commit()
    jobs.run_pending(app)
    return job.public_id


@pytest.fixture
def world(app, make_user, make_draft, make_opinion):
    actors = {role: make_user(role) for role in ROLES[1:]}
    colleague = make_user("staff")
    draft = make_draft(published=True)
    make_opinion(draft, key="art.2", contact="13900000000")
    own = _finished_job(app, draft, actors["staff"])
    other = _finished_job(app, draft, colleague)
    tokens = {role: accounts.issue_api_token(user, name="matrix")[1] for role, user in actors.items()}
    db.session.commit()
    return {"actors": actors, "tokens": tokens, "draft": draft.id, "own": own, "other": other}


def _outcome(response) -> str:
    status, location = response.status_code, response.headers.get("Location", "")
    if status in (302, 303) and location.startswith("/login"):
        return "L"
    return {200: "O", 202: "O", 302: "O", 303: "O", 401: "U", 403: "F", 404: "N"}.get(status, f"?{status}")


@pytest.mark.parametrize("method, path, data, role, expected", CASES)
def test_access(client, login, world, method, path, data, role, expected):
    actor = world["actors"].get(role)
    url = path.format(missing=MISSING_ID, missing_job=MISSING_JOB, draft=world["draft"], own=world["own"],
                      other=world["other"])
    before = db.session.scalar(select(func.count()).select_from(Job))
    if path.startswith("/api/"):
        headers = {"Authorization": f"Bearer {world['tokens'][role]}"} if actor else {}
        response = client.open(url, method=method, json=data, headers=headers)
    else:
        if actor is not None:
            login(actor)
        response = client.open(url, method=method)
    assert _outcome(response) == expected, f"{method} {url} as {role}: {response.status_code}"
    if "download" in path and expected == "O":
        assert response.data[:2] == b"PK"          # the workbook itself
    if path.endswith("/exports") or "/exports/" in path and method == "POST":
        db.session.rollback()
        after = db.session.scalar(select(func.count()).select_from(Job))
        assert after == before + (1 if expected == "O" else 0)
