"""Who may reach the routes of 关注, the email links and the notification settings:
(route, method) × role × object.

Outcomes: O served (200, or a redirect that is not to the sign-in page), L redirected to
sign in, B 400 (a link whose token does not verify), N 404, V 422. Marks are for:
anonymous, citizen, deputy, operator, staff, admin. Objects: {open} a published draft,
{scheduled} one whose period has not begun, {unpublished} a draft not published, {missing}
an id that does not exist. The email links carry their proof in the token and work for
everyone signed in or not; bad tokens are 400 for everyone."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import Follow

ROLES = ("anonymous", "citizen", "deputy", "operator", "staff", "admin")

MATRIX = [
    ("POST", "/drafts/{open}/follow", {}, "LOOOOO"),
    ("POST", "/drafts/{scheduled}/follow", {}, "LOOOOO"),
    ("POST", "/drafts/{unpublished}/follow", {}, "LNNNFF"),
    ("POST", "/drafts/{missing}/follow", {}, "LNNNNN"),
    ("POST", "/drafts/{open}/unfollow", {}, "LOOOOO"),
    ("POST", "/drafts/{unpublished}/unfollow", {}, "LNNNOO"),
    ("POST", "/drafts/{open}/subscribe", {"email": "someone@example.org"}, "OOOOOO"),
    ("POST", "/drafts/{open}/subscribe", {"email": "bad"}, "VVVVVV"),
    ("POST", "/drafts/{unpublished}/subscribe", {"email": "someone@example.org"}, "NNNNNN"),
    ("POST", "/drafts/{missing}/subscribe", {"email": "someone@example.org"}, "NNNNNN"),
    ("GET", "/account/notifications/settings", None, "LOOOOO"),
    ("POST", "/account/notifications/settings", {"on": ["draft_opened:inbox"]}, "LOOOOO"),
    ("POST", "/account/email/verification", {}, "LOOOOO"),
    ("GET", "/email/unsubscribe/bad-token", None, "BBBBBB"),
    ("POST", "/email/unsubscribe/bad-token", {}, "BBBBBB"),
    ("GET", "/email/confirm/bad-token", None, "BBBBBB"),
    ("POST", "/email/confirm/bad-token", {}, "BBBBBB"),
    ("GET", "/email/verify/bad-token", None, "BBBBBB"),
    ("POST", "/email/verify/bad-token", {}, "BBBBBB"),
]

CASES = [
    pytest.param(method, path, data, role, marks[index], id=f"{method} {path} {data} as {role}")
    for method, path, data, marks in MATRIX
    for index, role in enumerate(ROLES)
]
MISSING_ID = 987654


@pytest.fixture
def world(make_user, make_draft, frozen_now):
    actors = {role: make_user(role) for role in ROLES[1:]}
    return {"actors": actors, "open": make_draft(published=True).id,
            "scheduled": make_draft(published=True, opens_in=timedelta(days=2)).id,
            "unpublished": make_draft().id}


def _outcome(response) -> str:
    status, location = response.status_code, response.headers.get("Location", "")
    if status in (302, 303) and "/login" in location:
        return "L"
    return {200: "O", 302: "O", 303: "O", 400: "B", 403: "F", 404: "N", 422: "V"}.get(status, f"?{status}")


@pytest.mark.parametrize("method, path, data, role, expected", CASES)
def test_access(client, login, world, method, path, data, role, expected):
    actor = world["actors"].get(role)
    url = path.format(missing=MISSING_ID, **{k: v for k, v in world.items() if k != "actors"})
    if actor is not None:
        login(actor)
    response = client.get(url) if method == "GET" else client.post(url, data=data)
    outcome = _outcome(response)
    assert outcome == expected, f"{method} {url} as {role}: {response.status_code} {response.headers.get('Location')}"
    if path.endswith("/follow") and expected == "O":
        assert db.session.scalar(select(func.count()).select_from(Follow).where(Follow.user_id == actor.id)) == 1
    if "bad-token" in path:
        assert "链接无效或已过期" in response.get_data(as_text=True)
