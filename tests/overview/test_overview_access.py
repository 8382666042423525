"""Who may see the overview: route × role. Staff and admins only (the page, its Excel
and the API); everyone else is sent to sign in (pages, anonymous), refused (403) or,
on the API without a token, asked for one (401).

Outcomes: O served (200), L redirected to sign in, U 401, F 403. Marks are for:
anonymous, citizen, deputy, operator, staff, admin."""
from __future__ import annotations

import pytest

from participation.extensions import db
from participation.services import accounts

ROLES = ("anonymous", "citizen", "deputy", "operator", "staff", "admin")

MATRIX = [
    ("/staff/overview", "LFFFOO"),
    ("/staff/overview?from=2026-01-01&to=2026-03-31", "LFFFOO"),
    ("/staff/overview.xlsx", "LFFFOO"),
    ("/staff/overview.xlsx?from=2026-01-01&to=2026-03-31", "LFFFOO"),
    ("/api/v1/overview", "UFFFOO"),
    ("/api/v1/overview?from=2026-01-01&to=2026-03-31", "UFFFOO"),
]
CASES = [pytest.param(path, role, marks[index], id=f"{path} as {role}")
         for path, marks in MATRIX for index, role in enumerate(ROLES)]


@pytest.fixture
def world(make_user, make_draft):
    make_draft(published=True)
    actors = {role: make_user(role) for role in ROLES[1:]}
    tokens = {role: accounts.issue_api_token(user, name="matrix")[1] for role, user in actors.items()}
    db.session.commit()
    return actors, tokens


def _outcome(response) -> str:
    if response.status_code in (302, 303) and response.headers.get("Location", "").startswith("/login"):
        return "L"
    return {200: "O", 401: "U", 403: "F"}.get(response.status_code, f"?{response.status_code}")


@pytest.mark.parametrize("path, role, expected", CASES)
def test_access(client, login, world, path, role, expected):
    actors, tokens = world
    if path.startswith("/api/"):
        headers = {"Authorization": f"Bearer {tokens[role]}"} if role in tokens else {}
        response = client.get(path, headers=headers)
    else:
        if role in actors:
            login(actors[role])
        response = client.get(path)
    assert _outcome(response) == expected, (path, role, response.status_code)
    if expected == "O" and ".xlsx" in path:
        assert response.data[:2] == b"PK"


@pytest.mark.parametrize("role, shown", [("citizen", False), ("operator", False), ("staff", True), ("admin", True)])
def test_navigation_links_the_overview_for_staff_only(client, login, world, role, shown):
    login(world[0][role])
    page = client.get("/").get_data(as_text=True)
    assert ('href="/staff/overview"' in page) == shown
