"""With CSRF protection on (as in production), every staff form carries its token and
a post without one changes nothing."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import Draft
from tests.conftest import SAMPLE_DRAFT

_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


def _token(html: str) -> str:
    match = _TOKEN.search(html)
    assert match, "no CSRF token in the form"
    return match.group(1) or match.group(2)


def _sign_in(client, user):
    token = _token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": user.email, "password": "correct horse battery",
                                           "csrf_token": token})
    assert response.status_code == 302


def test_import_and_publish_with_tokens_and_without(client, make_user):
    _sign_in(client, make_user("staff"))
    form = client.get("/staff/drafts/import").get_data(as_text=True)
    response = client.post("/staff/drafts/import", data={"title": "无令牌", "text": SAMPLE_DRAFT})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Draft)) == 0

    response = client.post("/staff/drafts/import", data={"title": "有令牌", "text": SAMPLE_DRAFT,
                                                          "csrf_token": _token(form)})
    assert response.status_code == 303
    report = client.get(response.headers["Location"]).get_data(as_text=True)
    draft = db.session.scalar(select(Draft))
    # Every form on the report page carries a token.
    assert report.count('name="csrf_token"') >= 4
    assert client.post(f"/staff/drafts/{draft.id}/publish", data={"days": "30"}).status_code == 400
    assert client.post(f"/staff/drafts/{draft.id}/delete").status_code == 400
    response = client.post(f"/staff/drafts/{draft.id}/publish", data={"days": "30", "csrf_token": _token(report)})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Draft, draft.id).published_at is not None
