"""Who may reach the routes of the proposal exports and of proposals in search:
(method, path, object) × role → outcome.

Outcomes: O served (200, or a redirect that is not to the sign-in page), L redirected
to sign in, U 401 (API without a token), F 403, N 404. The marks of a row are for:
anonymous, citizen, deputy, operator, staff, admin. An export job is its creator's
(and administrators'): another staff member's job answers 404 like a missing one.
"""
from __future__ import annotations

import pytest

from participation import clock, jobs
from participation.extensions import db
from participation.services import accounts, proposals as proposal_service
from tests.conftest import world_built_once
from tests.plans.matrix import ROLES, read_cases, write_cases
from tests.plans.matrix import outcome as matrix_outcome

MISSING_ID = 987654

MATRIX = [
    ("POST", "/staff/plan-calls/{call}/exports", "published", "LFFFOO"),
    ("POST", "/staff/plan-calls/{call}/exports", "unpublished", "LFFFOO"),
    ("POST", "/staff/plan-calls/{call}/exports", "missing", "LFFFNN"),
    ("GET", "/staff/jobs/{job}", "own", "LFFFOO"),
    ("GET", "/staff/jobs/{job}", "other", "LFFFNO"),
    ("GET", "/staff/jobs/{job}/download", "own", "LFFFOO"),
    ("GET", "/staff/jobs/{job}/download", "other", "LFFFNO"),
    ("GET", "/search?q=古树名木&type=proposal", "-", "OOOOOO"),
    ("GET", "/api/v1/search?q=古树名木&type=proposal", "-", "OOOOOO"),
    ("GET", "/api/v1/search?q=古树名木&type=proposal&state=hidden", "-", "UFFFOO"),
]

WORLD_BUILT_ONCE = True


@pytest.fixture
def world(request):
    return world_built_once(request, _build_world)


def _build_world(app, make_user, make_call, make_proposal):
    actors = {role: make_user(role) for role in ROLES[1:]}
    other_staff = make_user("staff")
    published = make_call()
    unpublished = make_call(title="未发布的征集", published=False)
    make_proposal(published, title="某市古树名木保护条例", necessity="古树名木保护。")
    hidden = make_proposal(published, title="某市古树名木养护条例", necessity="古树名木养护。")
    proposal_service.hide_proposal(hidden, reason="重复", by=other_staff, now=clock.now())
    own = jobs.enqueue("exports.proposals_xlsx", params={"call_id": published.id, "filter": {}},
                       by=actors["staff"])
    other = jobs.enqueue("exports.proposals_xlsx", params={"call_id": published.id, "filter": {}}, by=other_staff)
    db.session.commit()
    import search

    assert search.drain(app).ok
    tokens = {}
    for role, user in actors.items():
        _token, tokens[role] = accounts.issue_api_token(user, name="matrix")
    db.session.commit()
    return {"actors": actors, "tokens": tokens, "hidden": hidden.id,
            "call": {"published": published.id, "unpublished": unpublished.id, "missing": MISSING_ID},
            "job": {"own": own.public_id, "other": other.public_id}}


@pytest.mark.parametrize("method,path,obj,role,expected", write_cases(MATRIX))
def test_access(app, login, world, method, path, obj, role, expected):
    _check(app, login, world, method, path, obj, role, expected)


@pytest.mark.parametrize("method,path,obj,marks", read_cases(MATRIX))
def test_read_access(app, login, world, method, path, obj, marks):
    for role, expected in zip(ROLES, marks):
        _check(app, login, world, method, path, obj, role, expected)


def _check(app, login, world, method, path, obj, role, expected):
    actor = world["actors"].get(role)
    client = app.test_client()
    headers = {}
    if path.startswith("/api/"):
        if actor is not None:
            headers = {"Authorization": f"Bearer {world['tokens'][role]}"}
    elif actor is not None:
        login(actor, test_client=client)
    url = path.replace("{call}", str(world["call"].get(obj, MISSING_ID))).replace(
        "{job}", str(world["job"].get(obj, "")))
    if method == "GET":
        response = client.get(url, headers=headers)
    else:
        response = client.post(url, data={"format": "xlsx"}, headers=headers)
    outcome = matrix_outcome(response)
    assert outcome == expected, f"{method} {url} as {role}: {response.status_code} {response.get_data(as_text=True)[:300]}"


@pytest.mark.parametrize("role,sees_hidden", [("anonymous", False), ("citizen", False), ("deputy", False),
                                              ("operator", False), ("staff", True), ("admin", True)])
def test_only_staff_find_a_hidden_proposal(app, world, role, sees_hidden):
    actor = world["actors"].get(role)
    headers = {"Authorization": f"Bearer {world['tokens'][role]}"} if actor is not None else {}
    body = app.test_client().get("/api/v1/search", query_string={"q": "古树名木", "type": "proposal"},
                                 headers=headers).get_json()
    found = {hit["id"] for hit in body["hits"]}
    assert (world["hidden"] in found) == sees_hidden
    assert len(found) == (2 if sees_hidden else 1)
