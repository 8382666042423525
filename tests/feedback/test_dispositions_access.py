"""Who may record dispositions, assign clauses, keep reply templates and see a queue: route
× role × object → outcome, on the pages and in the API.

Outcomes: O served (200, or a redirect that is not to the sign-in page), L redirected to
sign in, U 401 (API without a token), F 403, N 404. Marks are for: anonymous, citizen,
deputy, operator, staff, admin. Only staff and admins dispose, even through the API.
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import Opinion, ReplyTemplate
from participation.services import accounts
from tests.conftest import world_built_once

ROLES = ("anonymous", "citizen", "deputy", "operator", "staff", "admin")
MISSING_ID = 987654
TOKEN = "0123456789abcdef0123456789abcdef"
DISPOSE = {"disposition": "adopted", "reason": "已吸收"}

# {open} a draft with {opinion}; {other} another draft; {template} a reply template of
# {open}; {missing} an id that does not exist.
MATRIX = [
    ("POST", "/staff/opinions/{opinion}/disposition", DISPOSE, "LFFFOO"),
    ("POST", "/staff/opinions/{missing}/disposition", DISPOSE, "LFFFNN"),
    ("POST", "/staff/drafts/{open}/dispositions/preview", {"scope": "filter", **DISPOSE}, "LFFFOO"),
    ("POST", "/staff/drafts/{missing}/dispositions/preview", {"scope": "filter", **DISPOSE}, "LFFFNN"),
    ("POST", "/staff/drafts/{open}/dispositions", {"scope": "filter", "form_token": TOKEN, **DISPOSE}, "LFFFOO"),
    ("GET", "/staff/drafts/{open}/assignments", None, "LFFFOO"),
    ("GET", "/staff/drafts/{missing}/assignments", None, "LFFFNN"),
    ("POST", "/staff/drafts/{open}/assignments", {"assignee-general": ""}, "LFFFOO"),
    ("GET", "/staff/queue", None, "LFFFOO"),
    ("GET", "/staff/drafts/{open}/reply-templates", None, "LFFFOO"),
    ("POST", "/staff/drafts/{open}/reply-templates", {"title": "甲", "text": "答复"}, "LFFFOO"),
    ("GET", "/staff/drafts/{open}/reply-templates/{template}", None, "LFFFOO"),
    ("GET", "/staff/drafts/{other}/reply-templates/{template}", None, "LFFFNN"),
    ("POST", "/staff/drafts/{open}/reply-templates/{template}", {"title": "乙", "text": "答复"}, "LFFFOO"),
    ("POST", "/staff/drafts/{other}/reply-templates/{template}/delete", {}, "LFFFNN"),
    ("POST", "/staff/drafts/{open}/reply-templates/{template}/delete", {}, "LFFFOO"),
    ("PATCH", "/api/v1/opinions/{opinion}", DISPOSE, "UFFFOO"),
    ("PATCH", "/api/v1/opinions/{missing}", DISPOSE, "UFFFNN"),
    ("POST", "/api/v1/drafts/{open}/dispositions", {"filter": {}, **DISPOSE}, "UFFFOO"),
    ("POST", "/api/v1/drafts/{missing}/dispositions", {"filter": {}, **DISPOSE}, "UFFFNN"),
]

CASES = [
    pytest.param(method, path, data, role, marks[index], id=f"{method} {path} as {role}")
    for method, path, data, marks in MATRIX
    for index, role in enumerate(ROLES)
]


WORLD_BUILT_ONCE = True


@pytest.fixture
def world(request):
    """Built in the module's first case, copied for the others (tests/conftest.py)."""
    return world_built_once(request, _build_world)


def _build_world(make_user, make_draft, make_opinion, frozen_now):
    actors = {role: make_user(role) for role in ROLES[1:]}
    actors["operator"].liaison_point  # loaded while the session is open
    open_draft = make_draft(published=True, title="征求意见中")
    other = make_draft(published=True, title="另一部")
    opinion = make_opinion(open_draft, key="art.2")
    template = ReplyTemplate(draft_id=open_draft.id, title="模板", text="答复")
    db.session.add(template)
    db.session.commit()
    tokens = {role: accounts.issue_api_token(user, name="matrix")[1] for role, user in actors.items()}
    db.session.commit()
    return {"actors": actors, "tokens": tokens, "open": open_draft.id, "other": other.id, "opinion": opinion.id,
            "template": template.id}


def _outcome(response) -> str:
    status, location = response.status_code, response.headers.get("Location", "")
    if status in (302, 303) and location.startswith("/login"):
        return "L"
    return {200: "O", 302: "O", 303: "O", 401: "U", 403: "F", 404: "N"}.get(status, f"?{status}")


@pytest.mark.parametrize("method, path, data, role, expected", CASES)
def test_access(client, login, world, method, path, data, role, expected):
    actor = world["actors"].get(role)
    url = path.format(missing=MISSING_ID, **{k: v for k, v in world.items() if k not in ("actors", "tokens")})
    if path.startswith("/api/"):
        headers = {"Authorization": f"Bearer {world['tokens'][role]}"} if actor else {}
        response = client.open(url, method=method, json=data, headers=headers)
    else:
        if actor is not None:
            login(actor)
        response = client.open(url, method=method, data=data)
    assert _outcome(response) == expected, f"{method} {url} as {role}: {response.status_code}"
    if "disposition" in path and "preview" not in path:
        disposed = db.session.scalar(select(func.count()).select_from(Opinion).where(Opinion.disposition != "pending"))
        assert disposed == (1 if expected == "O" else 0)
