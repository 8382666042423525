"""Who may reach each route of the plan-call API, the batches of proposals and the
proposal template: (method, path, object) × role → outcome.

Outcomes: O served (200/201, or a redirect not to sign-in), L redirected to sign in,
U 401 (API without a token), F 403, N 404. Marks are for: anonymous, citizen, deputy,
operator, staff, admin. Unpublished calls and plans are "not found" to all but staff;
the staff-only endpoints refuse other roles by role (403) before looking at the id."""
from __future__ import annotations

import io
from datetime import date

import pytest

from participation import batches
from participation.extensions import db
from participation.services import accounts, plans
from tests.conftest import world_built_once
from tests.plans.matrix import ROLES, fill, read_cases, write_cases
from tests.plans.matrix import outcome as matrix_outcome
from tests.plans.test_batches_proposals import prow, table

MISSING_ID = 987654

MATRIX = [
    ("GET", "/api/v1/plan-calls", "-", "OOOOOO"),
    ("GET", "/api/v1/plan-calls/{call}", "published", "OOOOOO"),
    ("GET", "/api/v1/plan-calls/{call}", "unpublished", "NNNNOO"),
    ("GET", "/api/v1/plan-calls/{call}", "missing", "NNNNNN"),
    ("POST", "/api/v1/plan-calls/{call}/proposals", "published", "UOOOOO"),
    ("POST", "/api/v1/plan-calls/{call}/proposals", "unpublished", "UNNNNN"),
    ("POST", "/api/v1/plan-calls/{call}/proposals", "missing", "UNNNNN"),
    ("GET", "/api/v1/plan-calls/{call}/proposals", "published", "UFFFOO"),
    ("GET", "/api/v1/plan-calls/{call}/proposals", "unpublished", "UFFFOO"),
    ("GET", "/api/v1/plan-calls/{call}/proposals", "missing", "UFFFNN"),
    ("PATCH", "/api/v1/proposals/{proposal}", "published", "UFFFOO"),
    ("PATCH", "/api/v1/proposals/{proposal}", "missing", "UFFFNN"),
    ("GET", "/api/v1/plans/{year}", "published", "OOOOOO"),
    ("GET", "/api/v1/plans/{year}", "unpublished", "NNNNOO"),
    ("GET", "/api/v1/plans/{year}", "missing", "NNNNNN"),
    ("GET", "/api/v1/receipts/{receipt}", "published", "OOOOOO"),
    ("POST", "/api/v1/liaison-points/{point}/batches", "published", "UFFOOO"),
    ("GET", "/batches/calls/{call}/template.xlsx", "published", "LFFOOO"),
    ("GET", "/batches/calls/{call}/template.xlsx", "unpublished", "LFFNOO"),
    ("GET", "/batches/calls/{call}/template.xlsx", "missing", "LFFNNN"),
    ("GET", "/batches/{batch}", "published", "LFFOOO"),
    ("GET", "/batches/{batch}", "unpublished", "LFFNOO"),
]

WORLD_BUILT_ONCE = True


@pytest.fixture
def world(request):
    return world_built_once(request, _build_world)


def _build_world(app, make_user, make_call, make_proposal, frozen_now):
    from participation.services.liaison import create_liaison_point

    own_point, other_point = create_liaison_point(name="本联系点", region="东城区"), \
        create_liaison_point(name="别的联系点", region="西城区")
    db.session.commit()
    actors = {role: make_user(role) for role in ROLES[1:] if role != "operator"}
    actors["operator"] = make_user("operator", liaison_point=own_point)
    other_operator = make_user("operator", liaison_point=other_point)
    call = make_call()
    hidden = make_call(title="未发布的征集", published=False)
    proposal = make_proposal(call)
    now = frozen_now.now
    published_plan = plans.plan_for_year(2027, by=actors["staff"], now=now)
    plans.add_project(published_plan, plans.ProjectInput(project_class="formal", title="某市条例"),
                      by=actors["staff"], now=now)
    plans.publish_plan(published_plan, by=actors["staff"], now=now)
    plans.plan_for_year(2028, by=actors["staff"], now=now)
    activity = batches.Activity(kind="forum", date=date(2026, 1, 5))
    own_batch, _ = batches.store(batches.check(batches.FileSource(table([prow()]), "a.xlsx"), call, own_point),
                                 activity, actors["operator"], now)
    other_batch, _ = batches.store(batches.check(batches.FileSource(table([prow(title="别的")]), "b.xlsx"), call,
                                                 other_point), activity, other_operator, now)
    db.session.commit()
    tokens = {}
    for role, user in actors.items():
        _token, tokens[role] = accounts.issue_api_token(user, name="matrix")
    db.session.commit()
    return {
        "actors": actors, "tokens": tokens, "point": own_point.id,
        "call": {"published": call.id, "unpublished": hidden.id, "missing": MISSING_ID},
        "proposal": {"published": proposal.id, "missing": MISSING_ID},
        "year": {"published": 2027, "unpublished": 2028, "missing": 2031},
        "receipt": {"published": proposal.receipt_code},
        "batch": {"published": own_batch.id, "unpublished": other_batch.id},
    }


def _url(path: str, obj: str, world) -> str:
    return fill(path, obj, world, ("call", "proposal", "year", "receipt", "batch")).replace("{point}", str(world["point"]))


def _body(path: str, obj: str, world, role: str) -> dict | None:
    if path.endswith("/proposals"):
        return {"title": f"某市条例（{role}）", "necessity": "需要。"}
    if "/proposals/" in path:
        return {"classification": "research"}
    if path.endswith("/batches"):
        return {"kind": "proposals", "call_id": world["call"]["published"],
                "activity": {"kind": "forum", "date": "2026-01-05"},
                "rows": [{"title": f"经接口报送的建议（{role}）", "necessity": "需要。"}]}
    return None


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
    url = _url(path, obj, world)
    if path.startswith("/api/"):
        headers = {"Authorization": f"Bearer {world['tokens'][role]}"} if actor is not None else {}
        body = _body(path, obj, world, role)
        response = client.open(url, method=method, json=body, headers=headers) if body is not None \
            else client.open(url, method=method, headers=headers)
    else:
        if actor is not None:
            login(actor, test_client=client)
        response = client.get(url)
    status = response.status_code
    outcome = matrix_outcome(response)
    assert outcome == expected, f"{method} {url} as {role}: {status} {response.get_data(as_text=True)[:300]}"
