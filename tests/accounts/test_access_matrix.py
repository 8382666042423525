"""Who may reach each route of the account and administration pages, with their own
object and with someone else's: (route, method) × role × object → outcome.

Outcomes: O the request is served (200, or a redirect that is not to the sign-in page —
the action was carried out), L redirected to sign in, F 403, N 404. Every account, token
and point is visible to staff (the area is refused by role, 403, before any id is looked
at, so missing ids answer the same); a visible object whose action the actor may not
take is 403; one's own tokens on /account are the only objects others' ids must not
reveal (404). The marks of a row
are for: anonymous, citizen, deputy, operator, staff, admin. Each case runs in a fresh
database, with valid form data, so an O also means the action succeeded.
"""
from __future__ import annotations

import pytest

from participation.extensions import db
from participation.models import User
from participation.services import accounts
from tests.accounts.conftest import STRONG_PASSWORD, redirects_to_login
from tests.conftest import DEMO_PASSWORD
from tests.conftest import world_built_once

ROLES = ("anonymous", "citizen", "deputy", "operator", "staff", "admin")

NEW_ACCOUNT = {"email": "new-person@example.org", "display_name": "新账户", "password": STRONG_PASSWORD,
               "confirm": STRONG_PASSWORD}
NEW_PASSWORD = {"password": STRONG_PASSWORD, "confirm": STRONG_PASSWORD}

# (method, path, object, form data, marks). Objects: "-" none; "own" the actor's own
# account / token / liaison point; "citizen", "staff", "admin" another account of that
# role (or its token); "other" another liaison point; "missing" an id that does not exist.
MATRIX = [
    # The account page
    ("GET", "/account/", "-", None, "LOOOOO"),
    ("POST", "/account/password", "-",
     {"current_password": DEMO_PASSWORD, "password": STRONG_PASSWORD, "confirm": STRONG_PASSWORD}, "LOOOOO"),
    ("POST", "/account/tokens", "-", {"name": "集成"}, "LOOOOO"),
    ("POST", "/account/tokens/{token}/revoke", "own", {}, "LOOOOO"),
    ("POST", "/account/tokens/{token}/revoke", "citizen", {}, "LNNNNN"),
    ("POST", "/account/tokens/{token}/revoke", "admin", {}, "LNNNNN"),
    ("POST", "/account/tokens/{token}/revoke", "missing", {}, "LNNNNN"),
    # Account administration
    ("GET", "/admin/users", "-", None, "LFFFOO"),
    # The audit log (操作记录): administrators only
    ("GET", "/admin/audit", "-", None, "LFFFFO"),
    ("GET", "/admin/audit?actor=0&action=account.create&object_type=user&object_id=1&since=2026-01-01", "-", None,
     "LFFFFO"),
    ("GET", "/admin/users?role=deputy&q=x&status=enabled&page=2", "-", None, "LFFFOO"),
    ("GET", "/admin/users/new", "-", None, "LFFFOO"),
    ("GET", "/admin/users/new?role=deputy", "-", None, "LFFFOO"),
    ("GET", "/admin/users/new?role=staff", "-", None, "LFFFFO"),
    ("GET", "/admin/users/new?role=admin", "-", None, "LFFFFO"),
    ("POST", "/admin/users/new?role=citizen", "-", NEW_ACCOUNT, "LFFFOO"),
    ("POST", "/admin/users/new?role=staff", "-", NEW_ACCOUNT, "LFFFFO"),
    ("POST", "/admin/users/new?role=admin", "-", NEW_ACCOUNT, "LFFFFO"),
    ("GET", "/admin/users/{user}", "own", None, "LFFFOO"),
    ("GET", "/admin/users/{user}", "citizen", None, "LFFFOO"),
    ("GET", "/admin/users/{user}", "staff", None, "LFFFOO"),
    ("GET", "/admin/users/{user}", "admin", None, "LFFFOO"),
    ("GET", "/admin/users/{user}", "missing", None, "LFFFNN"),
    ("GET", "/admin/users/{user}/edit", "own", None, "LFFFFO"),
    ("GET", "/admin/users/{user}/edit", "citizen", None, "LFFFOO"),
    ("GET", "/admin/users/{user}/edit", "staff", None, "LFFFFO"),
    ("GET", "/admin/users/{user}/edit", "admin", None, "LFFFFO"),
    ("GET", "/admin/users/{user}/edit", "missing", None, "LFFFNN"),
    ("POST", "/admin/users/{user}/edit", "own", {"display_name": "新名字"}, "LFFFFO"),
    ("POST", "/admin/users/{user}/edit", "citizen", {"display_name": "新名字"}, "LFFFOO"),
    ("POST", "/admin/users/{user}/edit", "staff", {"display_name": "新名字"}, "LFFFFO"),
    ("POST", "/admin/users/{user}/edit", "admin", {"display_name": "新名字"}, "LFFFFO"),
    ("GET", "/admin/users/{user}/password", "own", None, "LFFFFF"),
    ("GET", "/admin/users/{user}/password", "citizen", None, "LFFFOO"),
    ("GET", "/admin/users/{user}/password", "staff", None, "LFFFFO"),
    ("GET", "/admin/users/{user}/password", "admin", None, "LFFFFO"),
    ("POST", "/admin/users/{user}/password", "own", NEW_PASSWORD, "LFFFFF"),
    ("POST", "/admin/users/{user}/password", "citizen", NEW_PASSWORD, "LFFFOO"),
    ("POST", "/admin/users/{user}/password", "staff", NEW_PASSWORD, "LFFFFO"),
    ("POST", "/admin/users/{user}/password", "admin", NEW_PASSWORD, "LFFFFO"),
    ("POST", "/admin/users/{user}/password", "missing", NEW_PASSWORD, "LFFFNN"),
    ("POST", "/admin/users/{user}/disable", "own", {}, "LFFFFF"),
    ("POST", "/admin/users/{user}/disable", "citizen", {}, "LFFFOO"),
    ("POST", "/admin/users/{user}/disable", "staff", {}, "LFFFFO"),
    ("POST", "/admin/users/{user}/disable", "admin", {}, "LFFFFO"),
    ("POST", "/admin/users/{user}/disable", "missing", {}, "LFFFNN"),
    ("POST", "/admin/users/{user}/enable", "own", {}, "LFFFFF"),
    ("POST", "/admin/users/{user}/enable", "citizen", {}, "LFFFOO"),
    ("POST", "/admin/users/{user}/enable", "staff", {}, "LFFFFO"),
    ("POST", "/admin/users/{user}/enable", "admin", {}, "LFFFFO"),
    ("POST", "/admin/users/{user}/unlock-sign-in", "own", {}, "LFFFFO"),
    ("POST", "/admin/users/{user}/unlock-sign-in", "citizen", {}, "LFFFOO"),
    ("POST", "/admin/users/{user}/unlock-sign-in", "staff", {}, "LFFFFO"),
    ("POST", "/admin/users/{user}/unlock-sign-in", "admin", {}, "LFFFFO"),
    ("POST", "/admin/users/{user}/unlock-sign-in", "missing", {}, "LFFFNN"),
    ("POST", "/admin/users/{user}/tokens", "own", {"name": "t"}, "LFFFOO"),
    ("POST", "/admin/users/{user}/tokens", "citizen", {"name": "t"}, "LFFFOO"),
    ("POST", "/admin/users/{user}/tokens", "staff", {"name": "t"}, "LFFFFO"),
    ("POST", "/admin/users/{user}/tokens", "admin", {"name": "t"}, "LFFFFO"),
    ("POST", "/admin/users/{user}/tokens", "missing", {"name": "t"}, "LFFFNN"),
    ("POST", "/admin/tokens/{token}/revoke", "own", {}, "LFFFOO"),
    ("POST", "/admin/tokens/{token}/revoke", "citizen", {}, "LFFFOO"),
    ("POST", "/admin/tokens/{token}/revoke", "staff", {}, "LFFFFO"),
    ("POST", "/admin/tokens/{token}/revoke", "admin", {}, "LFFFFO"),
    ("POST", "/admin/tokens/{token}/revoke", "missing", {}, "LFFFNN"),
    # Liaison points ("own" is the point of the world's operator)
    ("GET", "/admin/liaison-points", "-", None, "LFFFOO"),
    ("GET", "/admin/liaison-points?page=3", "-", None, "LFFFOO"),
    ("GET", "/admin/liaison-points/new", "-", None, "LFFFOO"),
    ("POST", "/admin/liaison-points/new", "-", {"name": "新设联系点", "region": "西区", "address": ""}, "LFFFOO"),
    ("GET", "/admin/liaison-points/{point}", "own", None, "LFFFOO"),
    ("GET", "/admin/liaison-points/{point}", "other", None, "LFFFOO"),
    ("GET", "/admin/liaison-points/{point}", "missing", None, "LFFFNN"),
    ("GET", "/admin/liaison-points/{point}/edit", "own", None, "LFFFOO"),
    ("GET", "/admin/liaison-points/{point}/edit", "other", None, "LFFFOO"),
    ("POST", "/admin/liaison-points/{point}/edit", "own",
     {"name": "改名联系点", "region": "", "address": "", "is_active": "y"}, "LFFFOO"),
    ("POST", "/admin/liaison-points/{point}/edit", "other",
     {"name": "改名联系点", "region": "", "address": "", "is_active": ""}, "LFFFOO"),
    ("POST", "/admin/liaison-points/{point}/edit", "missing", {"name": "x"}, "LFFFNN"),
]

# Rows that may write: each role on a copy of the world of its own.
CASES = [
    pytest.param(method, path, obj, data, role, marks[index], id=f"{method} {path} [{obj}] as {role}")
    for method, path, obj, data, marks in MATRIX if method != "GET"
    for index, role in enumerate(ROLES)
]
# A GET row is one case: a read changes nothing the next role's read depends on, so the
# six roles read one copy of the world (on PostgreSQL a copy costs about half a second).
READ_CASES = [pytest.param(method, path, obj, data, marks, id=f"{method} {path} [{obj}]")
              for method, path, obj, data, marks in MATRIX if method == "GET"]
MISSING_ID = 987654


WORLD_BUILT_ONCE = True


@pytest.fixture
def world(request):
    """Built in the module's first case, copied for the others (tests/conftest.py)."""
    return world_built_once(request, _build_world)


def _build_world(make_user, make_point, fast_hashing):
    """One account of every role (the actors), other accounts and their tokens, and two
    liaison points."""
    people = {role: make_user(role) for role in ROLES[1:]}
    people["operator"].liaison_point  # loaded while the session is open
    others = {role: make_user(role) for role in ("citizen", "staff", "admin")}
    tokens = {}
    for name, user in list(people.items()) + [(f"other-{role}", user) for role, user in others.items()]:
        tokens[name], _secret = accounts.issue_api_token(user, name="matrix")
    other_point = make_point("另一个联系点")
    db.session.commit()
    return {"people": people, "others": others, "tokens": tokens,
            "own_point": people["operator"].liaison_point_id, "other_point": other_point.id}


def _resolve(path: str, obj: str, role: str, world) -> str:
    actor = world["people"].get(role)
    if "{user}" in path:
        if obj == "missing":
            user_id = MISSING_ID
        elif obj == "own":
            user_id = actor.id if actor else world["others"]["citizen"].id
        else:
            user_id = world["others"][obj].id
        path = path.replace("{user}", str(user_id))
    if "{token}" in path:
        if obj == "missing":
            token_id = MISSING_ID
        elif obj == "own":
            token_id = world["tokens"][role].id if actor else world["tokens"]["other-citizen"].id
        else:
            token_id = world["tokens"][f"other-{obj}"].id
        path = path.replace("{token}", str(token_id))
    if "{point}" in path:
        point_id = {"own": world["own_point"], "other": world["other_point"], "missing": MISSING_ID}[obj]
        path = path.replace("{point}", str(point_id))
    return path


@pytest.mark.parametrize("method,path,obj,data,role,expected", CASES)
def test_access(method, path, obj, data, role, expected, world, new_client):
    _check(method, path, obj, data, role, expected, world, new_client)


@pytest.mark.parametrize("method,path,obj,data,marks", READ_CASES)
def test_read_access(method, path, obj, data, marks, world, new_client):
    for role, expected in zip(ROLES, marks):
        _check(method, path, obj, data, role, expected, world, new_client)


def _check(method, path, obj, data, role, expected, world, new_client):
    actor = world["people"].get(role)
    client = new_client(actor)
    url = _resolve(path, obj, role, world)
    # Re-enabling needs a disabled account to be meaningful.
    if url.endswith("/enable"):
        target_id = int(url.split("/")[3])
        target = db.session.get(User, target_id)
        if target is not None and target.id != (actor.id if actor else None):
            target.is_enabled = False
            db.session.commit()
    response = client.open(url, method=method, data=data)
    status = response.status_code
    body = response.get_data(as_text=True)
    if expected == "L":
        assert redirects_to_login(response), (status, response.headers.get("Location"))
    elif expected == "F":
        assert status == 403, (status, body[:300])
        assert "您没有权限访问此页面" in body
    elif expected == "N":
        assert status == 404, (status, body[:300])
    else:
        assert status in (200, 302), (status, body[:500])
        if status == 302:
            assert not redirects_to_login(response), response.headers.get("Location")
