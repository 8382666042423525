"""Who may reach the disposition sheet routes (用表格批量填写处理情况): (method, path,
object) × role → outcome.

Outcomes: O served (200, or a redirect that is not to the sign-in page), L redirected to
sign in, F 403, N 404. The marks of a row are for: anonymous, citizen, deputy, operator,
staff, admin. Only staff and admins record dispositions; the refusal by role comes
before any id is looked at. A checked sheet awaiting confirmation belongs to whoever
uploaded it: another staff member's is 404 like a missing one. Confirming an upload
that is gone (already confirmed) tells staff so instead of a 404.
"""
from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from participation.extensions import db
from tests.conftest import world_built_once

ROLES = ("anonymous", "citizen", "deputy", "operator", "staff", "admin")
MISSING_ID = 987654

MATRIX = [
    ("GET", "/staff/drafts/{draft}/dispositions.xlsx", "own", "LFFFOO"),
    ("GET", "/staff/drafts/{draft}/dispositions.xlsx", "missing", "LFFFNN"),
    ("GET", "/staff/drafts/{draft}/dispositions/upload", "own", "LFFFOO"),
    ("GET", "/staff/drafts/{draft}/dispositions/upload", "missing", "LFFFNN"),
    ("POST", "/staff/drafts/{draft}/dispositions/upload", "own", "LFFFOO"),
    ("POST", "/staff/drafts/{draft}/dispositions/upload", "missing", "LFFFNN"),
    ("GET", "/staff/disposition-sheets/{upload}", "own", "LFFFOO"),
    ("GET", "/staff/disposition-sheets/{upload}", "other", "LFFFNN"),
    ("GET", "/staff/disposition-sheets/{upload}", "missing", "LFFFNN"),
    ("POST", "/staff/disposition-sheets/{upload}/confirm", "own", "LFFFOO"),
    ("POST", "/staff/disposition-sheets/{upload}/confirm", "other", "LFFFNN"),
    ("POST", "/staff/disposition-sheets/{upload}/confirm", "missing", "LFFFOO"),
]

CASES = [
    pytest.param(method, path, obj, role, marks[index], id=f"{method} {path} [{obj}] as {role}")
    for method, path, obj, marks in MATRIX
    for index, role in enumerate(ROLES)
]


def _sheet(opinion_id: int) -> bytes:
    book = Workbook()
    book.active.append(["意见编号", "处理情况", "处理理由"])
    book.active.append([opinion_id, "采纳", ""])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _upload(client, draft_id: int, opinion_id: int):
    return client.post(f"/staff/drafts/{draft_id}/dispositions/upload", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(_sheet(opinion_id)), "处理表.xlsx")})


WORLD_BUILT_ONCE = True


@pytest.fixture
def world(request):
    """Built in the module's first case, copied for the others (tests/conftest.py)."""
    return world_built_once(request, _build_world)


def _build_world(app, login, make_user, open_draft, make_opinion):
    opinion = make_opinion(open_draft, key="art.3")
    actors = {role: make_user(role) for role in ROLES[1:]}
    uploads = {}
    for role in ("staff", "admin"):
        client = app.test_client()
        login(actors[role], test_client=client)
        response = _upload(client, open_draft.id, opinion.id)
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        uploads[role] = response.headers["Location"].rsplit("/", 1)[1]
    db.session.commit()
    return {"actors": actors, "draft": open_draft.id, "opinion": opinion.id, "uploads": uploads}


def _url(path: str, obj: str, role: str, world) -> str:
    draft = MISSING_ID if obj == "missing" else world["draft"]
    own = world["uploads"]["admin" if role == "admin" else "staff"]
    other = world["uploads"]["staff" if role == "admin" else "admin"]
    upload = {"own": own, "other": other, "missing": "no-such-upload-id-000000"}[obj]
    return path.replace("{draft}", str(draft)).replace("{upload}", upload)


@pytest.mark.parametrize("method,path,obj,role,expected", CASES)
def test_access(app, login, world, method, path, obj, role, expected):
    actor = world["actors"].get(role)
    client = app.test_client()
    if actor is not None:
        login(actor, test_client=client)
    url = _url(path, obj, role, world)
    if method == "GET":
        response = client.get(url)
    elif url.endswith("/upload"):
        response = client.post(url, content_type="multipart/form-data",
                               data={"file": (io.BytesIO(_sheet(world["opinion"])), "处理表.xlsx")})
    else:
        response = client.post(url, data={"fingerprint": "0"})
    status = response.status_code
    location = response.headers.get("Location", "")
    if status in (302, 303) and location.startswith("/login"):
        outcome = "L"
    elif status in (200, 302, 303):
        outcome = "O"
    else:
        outcome = {403: "F", 404: "N"}.get(status, f"?{status}")
    assert outcome == expected, f"{method} {url} as {role}: {status} {location} {response.get_data(as_text=True)[:300]}"


def test_nobody_but_staff_changed_anything(app, login, world):
    """The refused roles' posts left every opinion pending."""
    from participation.models import Opinion

    for role in ("citizen", "deputy", "operator"):
        client = app.test_client()
        login(world["actors"][role], test_client=client)
        assert _upload(client, world["draft"], world["opinion"]).status_code == 403
    assert db.session.get(Opinion, world["opinion"]).disposition == "pending"
