"""Who may reach each public route of legislative-plan calls, for each state of its
object: (method, path, object) × role → outcome.

Outcomes: O served (200, or a redirect that is not to the sign-in page), L redirected
to sign in, F 403, N 404, C 409 (the call takes no proposals). The marks of a row are
for: visitor, citizen, deputy, operator, staff, admin.

Objects: calls "published" (open, signed-in proposers only) and "unpublished";
proposals "published", "held" (待审核, a pre-moderated call) and "hidden" (屏蔽), each
with an attachment; plans "published" (2027) and "unpublished" (2028); "missing" ids.
An object the caller may not see answers 404, exactly like one that does not exist.
"""
from __future__ import annotations

import pytest

from participation import clock
from participation.extensions import db
from participation.services import attachments, proposals
from tests.conftest import world_built_once
from tests.plans.matrix import ROLES, fill, read_cases, write_cases
from tests.plans.matrix import outcome as matrix_outcome
from tests.plans.public_helpers import PDF_BYTES, form_data, publish_plan

ROLES = ("visitor", "citizen", "deputy", "operator", "staff", "admin")
MISSING_ID = 987654

MATRIX = [
    ("GET", "/plan-calls", "-", "OOOOOO"),
    ("GET", "/plan-calls/{call}", "published", "OOOOOO"),
    ("GET", "/plan-calls/{call}", "unpublished", "NNNNOO"),
    ("GET", "/plan-calls/{call}", "missing", "NNNNNN"),
    ("GET", "/plan-calls/{call}/propose", "published", "LOOOOO"),
    ("GET", "/plan-calls/{call}/propose", "unpublished", "NNNNOO"),
    ("GET", "/plan-calls/{call}/propose", "missing", "NNNNNN"),
    # A visitor's post to a call that wants signed-in proposers: the form again, 403.
    ("POST", "/plan-calls/{call}/propose", "published", "FOOOOO"),
    ("POST", "/plan-calls/{call}/propose", "unpublished", "NNNNCC"),
    ("POST", "/plan-calls/{call}/propose", "missing", "NNNNNN"),
    ("GET", "/proposals/{proposal}", "published", "OOOOOO"),
    ("GET", "/proposals/{proposal}", "held", "NNNNOO"),
    ("GET", "/proposals/{proposal}", "hidden", "NNNNOO"),
    ("GET", "/proposals/{proposal}", "missing", "NNNNNN"),
    ("GET", "/proposals/{proposal}/attachments/{attachment}", "published", "OOOOOO"),
    ("GET", "/proposals/{proposal}/attachments/{attachment}", "held", "NNNNOO"),
    ("GET", "/proposals/{proposal}/attachments/{attachment}", "hidden", "NNNNOO"),
    ("GET", "/proposals/{proposal}/attachments/{attachment}", "missing", "NNNNNN"),
    # Another proposal's attachment through a published proposal's address.
    ("GET", "/proposals/{proposal}/attachments/{attachment}", "crossed", "NNNNNN"),
    ("GET", "/plans", "-", "OOOOOO"),
    ("GET", "/plans/{year}", "published", "OOOOOO"),
    ("GET", "/plans/{year}", "unpublished", "NNNNOO"),
    ("GET", "/plans/{year}", "missing", "NNNNNN"),
    # Without a proposal sent from this browser: to the receipt look-up.
    ("GET", "/proposals/submitted", "-", "OOOOOO"),
]

WORLD_BUILT_ONCE = True


@pytest.fixture
def world(request):
    """Built in the module's first case, copied for the others (tests/conftest.py)."""
    return world_built_once(request, _build_world)


def _build_world(make_user, make_call, make_proposal):
    actors = {role: make_user(role) for role in ROLES[1:]}
    staff = actors["staff"]
    call = make_call()
    held_call = make_call(title="先审后发的征集", moderation="pre")
    unpublished = make_call(title="未发布的征集", published=False)

    def with_file(target, name):
        return make_proposal(target, title=name, contact="13800001234",
                             attachments=[attachments.Upload(f"{name}.pdf", PDF_BYTES)])

    published = with_file(call, "公开的建议")
    held = with_file(held_call, "待审核的建议")
    hidden = with_file(call, "屏蔽的建议")
    proposals.hide_proposal(hidden, reason="含有个人信息", by=staff, now=clock.now())
    db.session.commit()
    publish_plan(2027, [published])
    publish_plan(2028, [], title="未发布计划的项目", publish=False)
    from participation import queries

    files = queries.attachments_of([published.id, held.id, hidden.id])
    return {
        "actors": actors,
        "call": {"published": call.id, "unpublished": unpublished.id, "missing": MISSING_ID},
        "proposal": {"published": published.id, "held": held.id, "hidden": hidden.id, "missing": MISSING_ID,
                     "crossed": published.id},
        "attachment": {"published": files[published.id][0].id, "held": files[held.id][0].id,
                       "hidden": files[hidden.id][0].id, "missing": MISSING_ID, "crossed": files[hidden.id][0].id},
        "year": {"published": 2027, "unpublished": 2028, "missing": 2031},
    }


def _url(path: str, obj: str, world) -> str:
    return fill(path, obj, world, ("call", "proposal", "attachment", "year"))


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
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, content_type="multipart/form-data", data=form_data(submission_token=None))
    status, location = response.status_code, response.headers.get("Location", "")
    outcome = matrix_outcome(response)
    assert outcome == expected, f"{method} {url} as {role}: {status} {location} {response.get_data(as_text=True)[:300]}"
    if outcome == "O" and method == "GET":
        assert "13800001234" not in response.get_data(as_text=True)
