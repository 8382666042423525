"""Who may reach each staff route of legislative-plan calls: (method, path, object) ×
role → outcome. Marks of a row are for: anonymous, citizen, deputy, operator, staff,
admin. O served (200, or a redirect that is not to the sign-in page), L redirected to
sign in, F 403, N 404. Refusal by role comes before any id is looked at, so a missing
id answers 403 to a citizen exactly like an existing one."""
from __future__ import annotations

import pytest

from tests.conftest import world_built_once
from tests.plans.matrix import ROLES, read_cases, write_cases
from tests.plans.matrix import outcome as matrix_outcome

MISSING_ID = 987654

MATRIX = [
    ("GET", "/staff/plan-calls", "-", "LFFFOO"),
    ("GET", "/staff/plan-calls/new", "-", "LFFFOO"),
    ("POST", "/staff/plan-calls/new", "-", "LFFFOO"),
    ("GET", "/staff/plan-calls/{call}", "own", "LFFFOO"),
    ("GET", "/staff/plan-calls/{call}", "unpublished", "LFFFOO"),
    ("GET", "/staff/plan-calls/{call}", "missing", "LFFFNN"),
    ("GET", "/staff/plan-calls/{call}/edit", "own", "LFFFOO"),
    ("GET", "/staff/plan-calls/{call}/edit", "missing", "LFFFNN"),
    ("POST", "/staff/plan-calls/{call}/edit", "own", "LFFFOO"),
    ("POST", "/staff/plan-calls/{call}/publish", "unpublished", "LFFFOO"),
    ("POST", "/staff/plan-calls/{call}/close", "own", "LFFFOO"),
    ("POST", "/staff/plan-calls/{call}/close", "missing", "LFFFNN"),
    ("POST", "/staff/plan-calls/{call}/classifications", "own", "LFFFOO"),
    ("POST", "/staff/plan-calls/{call}/merge", "own", "LFFFOO"),
    ("POST", "/staff/plan-calls/{call}/assignments", "own", "LFFFOO"),
    ("GET", "/staff/proposals/{proposal}", "own", "LFFFOO"),
    ("GET", "/staff/proposals/{proposal}", "hidden", "LFFFOO"),
    ("GET", "/staff/proposals/{proposal}", "missing", "LFFFNN"),
    ("POST", "/staff/proposals/{proposal}/publish", "hidden", "LFFFOO"),
    ("POST", "/staff/proposals/{proposal}/hide", "own", "LFFFOO"),
    ("POST", "/staff/proposals/{proposal}/classification", "own", "LFFFOO"),
    ("POST", "/staff/proposals/{proposal}/assignee", "own", "LFFFOO"),
    ("POST", "/staff/proposals/{proposal}/unmerge", "own", "LFFFOO"),
    ("POST", "/staff/proposals/{proposal}/unmerge", "missing", "LFFFNN"),
    ("GET", "/staff/plans/2027", "-", "LFFFOO"),
    ("GET", "/staff/plans/1066", "-", "LFFFNN"),
    ("POST", "/staff/plans/2027", "-", "LFFFOO"),
    ("POST", "/staff/plans/2027/projects", "-", "LFFFOO"),
    ("GET", "/staff/plans/2027/projects/{project}", "own", "LFFFOO"),
    ("GET", "/staff/plans/2027/projects/{project}", "missing", "LFFFNN"),
    ("POST", "/staff/plans/2027/projects/{project}", "own", "LFFFOO"),
    ("POST", "/staff/plans/2027/projects/{project}/draft", "own", "LFFFOO"),
    ("POST", "/staff/plans/2027/projects/{project}/remove", "missing", "LFFFNN"),
    ("GET", "/staff/plans/2027/publish", "-", "LFFFOO"),
    ("POST", "/staff/plans/2027/publish", "-", "LFFFOO"),
    ("POST", "/staff/drafts/{draft}/plan-project", "own", "LFFFOO"),
    ("POST", "/staff/drafts/{draft}/plan-project", "missing", "LFFFNN"),
]

WORLD_BUILT_ONCE = True


@pytest.fixture
def world(request):
    return world_built_once(request, _build_world)


def _build_world(app, make_user, make_call, make_proposal, make_draft):
    from participation import clock
    from participation.extensions import db
    from participation.services import plans, proposals

    actors = {role: make_user(role) for role in ROLES[1:]}
    draft = make_draft()
    call = make_call()
    unpublished = make_call(title="未发布的征集", published=False)
    own = make_proposal(call)
    hidden = make_proposal(call)
    proposals.hide_proposal(hidden, reason="测试", by=actors["staff"], now=clock.now())
    plan = plans.plan_for_year(2027, by=None, now=clock.now())
    project = plans.add_project(plan, plans.ProjectInput("formal", "某市条例"), by=None, now=clock.now())
    db.session.commit()
    return {"actors": actors, "call": {"own": call.id, "unpublished": unpublished.id, "missing": MISSING_ID},
            "proposal": {"own": own.id, "hidden": hidden.id, "missing": MISSING_ID},
            "project": {"own": project.id, "missing": MISSING_ID},
            "draft": {"own": draft.id, "missing": MISSING_ID},
            "form": {"assignee": str(actors["staff"].id), "ids": [str(own.id), str(hidden.id)], "title": "某市条例",
                     "classification": "formal", "project_class": "formal", "year": "2027",
                     "reason": "测试", "draft_id": ""}}


def _url(path: str, obj: str, world) -> str:
    for name in ("call", "proposal", "project", "draft"):
        path = path.replace("{" + name + "}", str(world[name].get(obj, MISSING_ID)))
    return path


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
    if actor is not None:
        login(actor, test_client=client)
    url = _url(path, obj, world)
    response = client.get(url) if method == "GET" else client.post(url, data=world["form"])
    status, location = response.status_code, response.headers.get("Location", "")
    outcome = matrix_outcome(response)
    assert outcome == expected, f"{method} {url} as {role}: {status} {location} {response.get_data(as_text=True)[:300]}"
