"""Who may reach each 报送意见 route, pages and API, with their own object and with
someone else's: (method, path, object) × role → outcome.

Outcomes: O served (200, or a redirect that is not to the sign-in page: the action was
carried out), L redirected to sign in, U 401 (API without a token), F 403, N 404. The
marks of a row are for: anonymous, citizen, deputy, operator, staff, admin.

The rule (participation.views.load_visible): an object the caller may not see answers
404 exactly like one that does not exist, so ids of other points' batches, uploads and
the points themselves are not confirmed to an outsider; 403 is only the refusal by role
(a citizen or deputy has no 报送意见 area at all), given before any id is looked at, so
it is the same for existing and missing ids.
"""
from __future__ import annotations

import io

import pytest

from participation.extensions import db
from participation.services import accounts
from participation import batches
from tests.batches.conftest import row, upload_form
from tests.conftest import world_built_once

ROLES = ("anonymous", "citizen", "deputy", "operator", "staff", "admin")
MISSING_ID = 987654

# Objects: "own" belongs to the operator's point (or, for uploads, was uploaded by the
# operator); "other" to another point (uploaded by its operator); "missing" no such id;
# for template.xlsx "own" is an open draft and "other" an unpublished one.
MATRIX = [
    ("GET", "/batches/", "-", "LFFOOO"),
    ("GET", "/batches/points/{point}", "own", "LFFOOO"),
    ("GET", "/batches/points/{point}", "other", "LFFNOO"),
    ("GET", "/batches/points/{point}", "missing", "LFFNNN"),
    ("GET", "/batches/points/{point}/new", "own", "LFFOOO"),
    ("GET", "/batches/points/{point}/new", "other", "LFFNOO"),
    ("GET", "/batches/points/{point}/new", "missing", "LFFNNN"),
    ("POST", "/batches/points/{point}/new", "own", "LFFOOO"),
    ("POST", "/batches/points/{point}/new", "other", "LFFNOO"),
    ("POST", "/batches/points/{point}/new", "missing", "LFFNNN"),
    ("GET", "/batches/{batch}", "own", "LFFOOO"),
    ("GET", "/batches/{batch}", "other", "LFFNOO"),
    ("GET", "/batches/{batch}", "missing", "LFFNNN"),
    ("GET", "/batches/{batch}/feedback.xlsx", "own", "LFFOOO"),
    ("GET", "/batches/{batch}/feedback.xlsx", "other", "LFFNOO"),
    ("GET", "/batches/{batch}/feedback.xlsx", "missing", "LFFNNN"),
    # A preview belongs to whoever uploaded it (confirming records who entered it).
    ("GET", "/batches/uploads/{upload}", "own", "LFFONN"),
    ("GET", "/batches/uploads/{upload}", "other", "LFFNNN"),
    ("GET", "/batches/uploads/{upload}", "missing", "LFFNNN"),
    ("POST", "/batches/uploads/{upload}/confirm", "own", "LFFONN"),
    ("POST", "/batches/uploads/{upload}/confirm", "other", "LFFNNN"),
    ("POST", "/batches/uploads/{upload}/file", "other", "LFFNNN"),
    ("GET", "/batches/drafts/{draft}/template.xlsx", "own", "LFFOOO"),
    ("GET", "/batches/drafts/{draft}/template.xlsx", "other", "LFFNOO"),
    ("GET", "/batches/drafts/{draft}/template.xlsx", "missing", "LFFNNN"),
    ("POST", "/api/v1/liaison-points/{point}/batches", "own", "UFFOOO"),
    ("POST", "/api/v1/liaison-points/{point}/batches", "other", "UFFNOO"),
    ("POST", "/api/v1/liaison-points/{point}/batches", "missing", "UFFNNN"),
]

CASES = [
    pytest.param(method, path, obj, role, marks[index], id=f"{method} {path} [{obj}] as {role}")
    for method, path, obj, marks in MATRIX
    for index, role in enumerate(ROLES)
]


def _import(point, draft, operator, body, frozen_now):
    data = _xlsx([row("第三条", body)])
    checked = batches.check(batches.FileSource(data, "意见.xlsx"), draft, point)
    batch, _created = batches.store(
        checked, batches.Activity(kind="forum", date=frozen_now.now.date(), place="", participants=3), operator,
        frozen_now.now)
    return batch


def _xlsx(rows):
    from bench.batch_data import HEADERS, excel_like_xlsx

    return excel_like_xlsx(rows, header=HEADERS)


def _upload(app, user, point, draft) -> str:
    client = app.test_client()
    assert client.post("/login", data={"email": user.email, "password": "correct horse battery"}).status_code == 302
    response = client.post(f"/batches/points/{point.id}/new", content_type="multipart/form-data",
                           data=upload_form(point.id, draft.id, _xlsx([row("第三条", f"待确认的意见{user.id}")])))
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response.headers["Location"].rsplit("/", 1)[1]


WORLD_BUILT_ONCE = True


@pytest.fixture
def world(request):
    """Built in the module's first case, copied for the others (tests/conftest.py)."""
    return world_built_once(request, _build_world)


def _build_world(app, make_user, make_point, make_draft, draft, frozen_now):
    other_point = make_point("别的联系点")
    actors = {role: make_user(role) for role in ROLES[1:] if role != "operator"}
    own_point = make_point("本联系点")
    actors["operator"] = make_user("operator", liaison_point=own_point)
    other_operator = make_user("operator", liaison_point=other_point)
    unpublished = make_draft(title="未发布的草案")
    own_batch = _import(own_point, draft, actors["operator"], "本点的意见", frozen_now)
    other_batch = _import(other_point, draft, other_operator, "别的点的意见", frozen_now)
    db.session.commit()
    tokens = {}
    for role, user in actors.items():
        _token, tokens[role] = accounts.issue_api_token(user, name="matrix")
    db.session.commit()
    return {
        "actors": actors, "tokens": tokens, "draft": draft.id,
        "point": {"own": own_point.id, "other": other_point.id, "missing": MISSING_ID},
        "batch": {"own": own_batch.id, "other": other_batch.id, "missing": MISSING_ID},
        "upload": {"own": _upload(app, actors["operator"], own_point, draft),
                   "other": _upload(app, other_operator, other_point, draft),
                   "missing": "no-such-upload-id-000000"},
        "template": {"own": draft.id, "other": unpublished.id, "missing": MISSING_ID},
    }


def _url(path: str, obj: str, world) -> str:
    for name in ("point", "batch", "upload"):
        if "{" + name + "}" in path:
            path = path.replace("{" + name + "}", str(world[name][obj]))
    if "{draft}" in path:
        path = path.replace("{draft}", str(world["template"][obj]))
    return path


@pytest.mark.parametrize("method,path,obj,role,expected", CASES)
def test_access(app, login, world, method, path, obj, role, expected, frozen_now):
    actor = world["actors"].get(role)
    client = app.test_client()
    if actor is not None and not path.startswith("/api/"):
        login(actor, test_client=client)
    url = _url(path, obj, world)
    if path.startswith("/api/"):
        headers = {"Authorization": f"Bearer {world['tokens'][role]}"} if actor is not None else {}
        body = {"draft": world["draft"], "activity": {"kind": "forum", "date": frozen_now.now.date().isoformat()},
                "rows": [{"body": f"经接口报送的意见（{role}）"}]}
        response = client.post(url, json=body, headers=headers)
    elif method == "GET":
        response = client.get(url)
    elif url.endswith("/new"):
        response = client.post(url, content_type="multipart/form-data",
                               data=upload_form(world["point"][obj], world["draft"], _xlsx([row("第三条", f"新的{role}")])))
    elif url.endswith("/file"):
        response = client.post(url, content_type="multipart/form-data",
                               data={"file": (io.BytesIO(_xlsx([row("第三条", "替换")])), "替换.xlsx")})
    else:
        response = client.post(url)
    status = response.status_code
    location = response.headers.get("Location", "")
    if status in (302, 303) and location.startswith("/login"):
        outcome = "L"
    elif status in (200, 201, 302, 303):
        outcome = "O"
    else:
        outcome = {401: "U", 403: "F", 404: "N"}.get(status, f"?{status}")
    assert outcome == expected, f"{method} {url} as {role}: {status} {location} {response.get_data(as_text=True)[:300]}"
