"""Who may reach the feedback report's pages and API: (route, method) × role × object.

Outcomes: O served (200, or a redirect that is not to the sign-in page), L redirected to
sign in, U 401 (API without a token), F 403, N 404, C 409. Marks are for: anonymous,
citizen, deputy, operator, staff, admin. Objects: {closed} a closed draft whose report is
not published yet; {published} one whose report is; {open} a draft still open;
{unpublished}; {missing} an id that does not exist. Only staff and admins write or publish
the report; before publication it is a 404 to everyone else (staff see a preview)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from participation.extensions import db
from participation.models import Draft
from participation.services import accounts
from tests.conftest import world_built_once

ROLES = ("anonymous", "citizen", "deputy", "operator", "staff", "admin")

MATRIX = [
    ("GET", "/drafts/{closed}/feedback", None, "NNNNOO"),
    ("GET", "/drafts/{published}/feedback", None, "OOOOOO"),
    ("GET", "/drafts/{unpublished}/feedback", None, "NNNNOO"),
    ("GET", "/drafts/{missing}/feedback", None, "NNNNNN"),
    ("GET", "/staff/drafts/{closed}/feedback", None, "LFFFOO"),
    ("GET", "/staff/drafts/{missing}/feedback", None, "LFFFNN"),
    ("POST", "/staff/drafts/{closed}/feedback", {"introduction": "说明", "section": "general",
                                                 "handling-general": "处理"}, "LFFFOO"),
    ("POST", "/staff/drafts/{closed}/feedback/sections", {"provision_key": "art.2"}, "LFFFOO"),
    ("GET", "/staff/drafts/{closed}/feedback/publish", None, "LFFFOO"),
    ("POST", "/staff/drafts/{closed}/feedback/publish", {}, "LFFFOO"),
    ("POST", "/staff/drafts/{missing}/feedback/publish", {}, "LFFFNN"),
    ("GET", "/api/v1/drafts/{closed}/feedback", None, "NNNNOO"),
    ("GET", "/api/v1/drafts/{published}/feedback", None, "OOOOOO"),
    ("GET", "/api/v1/drafts/{unpublished}/feedback", None, "NNNNOO"),
    ("GET", "/api/v1/drafts/{missing}/feedback", None, "NNNNNN"),
    ("POST", "/api/v1/drafts/{closed}/feedback/publish", None, "UFFFOO"),
    ("POST", "/api/v1/drafts/{open}/feedback/publish", None, "UFFFCC"),
    ("POST", "/api/v1/drafts/{published}/feedback/publish", None, "UFFFCC"),
    ("POST", "/api/v1/drafts/{missing}/feedback/publish", None, "UFFFNN"),
]

CASES = [
    pytest.param(method, path, data, role, marks[index], id=f"{method} {path} as {role}")
    for method, path, data, marks in MATRIX
    for index, role in enumerate(ROLES)
]
MISSING_ID = 987654


WORLD_BUILT_ONCE = True


@pytest.fixture
def world(request):
    """Built in the module's first case, copied for the others (tests/conftest.py)."""
    return world_built_once(request, _build_world)


def _build_world(make_user, make_draft, frozen_now):
    actors = {role: make_user(role) for role in ROLES[1:]}
    past = frozen_now.now - timedelta(days=40)
    closed = make_draft(published=True, title="已截止的草案", now=past)
    published = make_draft(published=True, title="已反馈的草案", now=past)
    published.feedback_published_at = frozen_now.now - timedelta(days=1)
    open_draft = make_draft(published=True, title="征求意见中的草案")
    unpublished = make_draft(title="未发布的草案")
    tokens = {role: accounts.issue_api_token(user, name="matrix")[1] for role, user in actors.items()}
    db.session.commit()
    return {"actors": actors, "tokens": tokens, "closed": closed.id, "published": published.id,
            "open": open_draft.id, "unpublished": unpublished.id}


def _outcome(response) -> str:
    status, location = response.status_code, response.headers.get("Location", "")
    if status in (302, 303) and location.startswith("/login"):
        return "L"
    return {200: "O", 302: "O", 303: "O", 401: "U", 403: "F", 404: "N", 409: "C"}.get(status, f"?{status}")


@pytest.mark.parametrize("method, path, data, role, expected", CASES)
def test_access(client, login, world, method, path, data, role, expected):
    actor = world["actors"].get(role)
    url = path.format(missing=MISSING_ID, **{k: v for k, v in world.items() if k not in ("actors", "tokens")})
    if path.startswith("/api/"):
        headers = {"Authorization": f"Bearer {world['tokens'][role]}"} if actor else {}
        response = client.open(url, method=method, headers=headers)
    else:
        if actor is not None:
            login(actor)
        response = client.get(url) if method == "GET" else client.post(url, data=data)
    outcome = _outcome(response)
    assert outcome == expected, f"{method} {url} as {role}: {response.status_code} {response.headers.get('Location')}"
    if method == "POST" and "publish" in path and "{closed}" in path:
        # Published exactly when served.
        assert (db.session.get(Draft, world["closed"]).feedback_published_at is not None) == (expected == "O")


@pytest.mark.parametrize("role, sees", [("anonymous", False), ("citizen", False), ("operator", False),
                                        ("staff", True), ("admin", True)])
def test_tally_dispositions_before_publication(client, world, role, sees):
    """Staff may revise dispositions until the report is out: only they see the counts
    by disposition before; everyone sees them after."""
    headers = {"Authorization": f"Bearer {world['tokens'][role]}"} if role != "anonymous" else {}
    before = client.get(f"/api/v1/drafts/{world['closed']}/tally", headers=headers).get_json()
    after = client.get(f"/api/v1/drafts/{world['published']}/tally", headers=headers).get_json()
    assert (before["by_disposition"] is not None) == sees
    assert after["by_disposition"] == {"pending": 0, "adopted": 0, "partly_adopted": 0, "not_adopted": 0,
                                       "already_provided": 0, "out_of_scope": 0, "for_study": 0}
    page = client.get(f"/drafts/{world['closed']}/tally").get_data(as_text=True)
    if role == "anonymous":
        assert 'data-col="disposition-' not in page and "按处理情况" not in page
