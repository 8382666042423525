"""Who may reach each opinion page: (route, method) × role × object → outcome.

Outcomes: O served (200, or a redirect that is not to the sign-in page — the action was
carried out), L redirected to sign in, F 403, N 404. Marks are for: anonymous, citizen,
deputy, operator, staff, admin. API rows use the actor's token. Whatever the caller may
not see (an unpublished draft, a listing not shown publicly, another deputy's record)
is 404 like a missing id, on pages and in the API alike; 403 is only a refusal by role,
the same for every id.
"""
from __future__ import annotations

import pytest

from participation.extensions import db
from participation.models import Opinion
from participation.services import accounts
from tests.opinions.conftest import valid_form
from tests.conftest import world_built_once

ROLES = ("anonymous", "citizen", "deputy", "operator", "staff", "admin")

# Objects: {open} an open draft that needs sign-in; {anon} one that takes anonymous
# opinions; {public} one that shows opinions; {unpublished}; {opinion} an opinion (by
# another deputy) on {open}; {deputy} that deputy; {self} the actor; {missing} an id that
# does not exist.
MATRIX = [
    ("GET", "/drafts/{open}/opinions/new?provision=art.2", None, "LOOOOO"),
    ("GET", "/drafts/{anon}/opinions/new", None, "OOOOOO"),
    ("GET", "/drafts/{unpublished}/opinions/new", None, "NNNNOO"),
    ("GET", "/drafts/{missing}/opinions/new", None, "NNNNNN"),
    ("POST", "/drafts/{open}/opinions/new", "form", "FOOOOO"),
    ("POST", "/drafts/{anon}/opinions/new", "form", "OOOOOO"),
    ("GET", "/opinions/submitted", None, "OOOOOO"),
    ("GET", "/receipt", None, "OOOOOO"),
    ("GET", "/receipt?code={receipt}", None, "OOOOOO"),
    ("GET", "/drafts/{public}/opinions", None, "OOOOOO"),
    ("GET", "/drafts/{public}/provisions/art.2/opinions", None, "OOOOOO"),
    ("GET", "/drafts/{open}/provisions/art.2/opinions", None, "NNNNOO"),
    ("GET", "/drafts/{unpublished}/opinions", None, "NNNNOO"),
    ("GET", "/drafts/{open}/tally", None, "OOOOOO"),
    ("GET", "/drafts/{unpublished}/tally", None, "NNNNOO"),
    ("GET", "/drafts/{missing}/tally", None, "NNNNNN"),
    ("GET", "/drafts/{unpublished}", None, "NNNNOO"),
    ("GET", "/drafts/{unpublished}/provisions/art.2", None, "NNNNOO"),
    ("GET", "/drafts/{unpublished}/provisions/art.2/opinions", None, "NNNNOO"),
    ("GET", "/drafts/{missing}/opinions", None, "NNNNNN"),
    ("GET", "/api/v1/drafts/{unpublished}", None, "NNNNOO"),
    ("GET", "/api/v1/drafts/{unpublished}/tally", None, "NNNNOO"),
    ("GET", "/api/v1/drafts/{open}/provisions/art.2/opinions", None, "NNNNOO"),
    ("GET", "/api/v1/drafts/{public}/provisions/art.2/opinions", None, "OOOOOO"),
    ("GET", "/account/duty", None, "LFOFFF"),
    ("GET", "/admin/users/{deputy}/duty", None, "LFFFOO"),
    ("GET", "/admin/users/{self}/duty", None, "LFFFNN"),
    ("GET", "/admin/users/{missing}/duty", None, "LFFFNN"),
    ("GET", "/staff/drafts/{open}/opinions", None, "LFFFOO"),
    ("GET", "/staff/drafts/{missing}/opinions", None, "LFFFNN"),
    ("GET", "/staff/opinions/{opinion}", None, "LFFFOO"),
    ("GET", "/staff/opinions/{missing}", None, "LFFFNN"),
    ("POST", "/staff/opinions/{opinion}/publish", {}, "LFFFOO"),
    ("POST", "/staff/opinions/{opinion}/hide", {"reason": "与草案无关"}, "LFFFOO"),
    ("POST", "/staff/opinions/{missing}/hide", {"reason": "与草案无关"}, "LFFFNN"),
    ("GET", "/staff/drafts/{open}/edit", None, "LFFFOO"),
    ("POST", "/staff/drafts/{open}/edit", {"title": "新标题", "moderation_mode": "pre"}, "LFFFOO"),
]

# Rows that may write: each role on a copy of the world of its own.
CASES = [
    pytest.param(method, path, data, role, marks[index], id=f"{method} {path} as {role}")
    for method, path, data, marks in MATRIX if method != "GET"
    for index, role in enumerate(ROLES)
]
# A GET row is one case: a read changes nothing the next role's read depends on, so the
# six roles read one copy of the world (on PostgreSQL a copy costs about half a second).
READ_CASES = [pytest.param(method, path, data, marks, id=f"{method} {path}")
              for method, path, data, marks in MATRIX if method == "GET"]
MISSING_ID = 987654


WORLD_BUILT_ONCE = True


@pytest.fixture
def world(request):
    """Built in the module's first case, copied for the others (tests/conftest.py)."""
    return world_built_once(request, _build_world)


def _build_world(make_user, make_draft, make_opinion, frozen_now):
    actors = {role: make_user(role) for role in ROLES[1:]}
    actors["operator"].liaison_point  # loaded while the session is open
    deputy = make_user("deputy")
    open_draft = make_draft(published=True, title="须登录的草案")
    anon = make_draft(published=True, title="可匿名的草案")
    anon.allows_anonymous_opinions = True
    public = make_draft(published=True, title="公开意见的草案")
    public.shows_opinions_publicly = True
    unpublished = make_draft(title="未发布的草案")
    db.session.commit()
    opinion = make_opinion(open_draft, key="art.2", author=deputy, state="pending")
    make_opinion(public, key="art.2", author=deputy)
    tokens = {role: accounts.issue_api_token(user, name="matrix")[1] for role, user in actors.items()}
    db.session.commit()
    return {"actors": actors, "tokens": tokens, "open": open_draft.id, "anon": anon.id, "public": public.id,
            "unpublished": unpublished.id, "opinion": opinion.id, "receipt": opinion.receipt_code,
            "deputy": deputy.id}


@pytest.mark.parametrize("method, path, data, role, expected", CASES)
def test_access(client, login, world, method, path, data, role, expected):
    _check(client, login, world, method, path, data, role, expected)


@pytest.mark.parametrize("method, path, data, marks", READ_CASES)
def test_read_access(app, login, world, method, path, data, marks):
    for role, expected in zip(ROLES, marks):
        _check(app.test_client(), login, world, method, path, data, role, expected)


def _check(client, login, world, method, path, data, role, expected):
    actor = world["actors"].get(role)
    is_api = path.startswith("/api/")
    if actor is not None and not is_api:
        login(actor, test_client=client)
    url = path.format(missing=MISSING_ID, self=actor.id if actor else MISSING_ID,
                      **{k: v for k, v in world.items() if k not in ("actors", "tokens")})
    is_form = data == "form"
    if is_api:
        response = client.get(url, headers={"Authorization": f"Bearer {world['tokens'][role]}"} if actor else {})
    elif method == "GET":
        response = client.get(url)
    else:
        if is_form:
            data = valid_form("t" * 32 + role)
            if role in ("deputy", "operator"):
                data.pop("category")
        response = client.post(url, data=data)
    status = response.status_code
    location = response.headers.get("Location", "")
    if status in (302, 303) and location.startswith("/login"):
        outcome = "L"
    elif status in (200, 302, 303):
        outcome = "O"
    elif status == 403:
        outcome = "F"
    elif status == 404:
        outcome = "N"
    else:
        outcome = f"?{status}"
    assert outcome == expected, f"{method} {url} as {role}: {status} {location}"
    if is_form:
        # Stored exactly when served.
        assert db.session.query(Opinion).count() == (3 if expected == "O" else 2)
