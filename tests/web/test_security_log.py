"""The security log: refusals leave one JSON line each (participation.security), with who,
where and why — never what was typed."""
from __future__ import annotations

import json
import logging

import pytest

from participation.web import security_log
from participation.extensions import db
from participation.services import accounts
from tests.conftest import DEMO_PASSWORD


@pytest.fixture
def events(caplog):
    """The security events logged so far, as dicts (parsed from the line itself)."""
    caplog.set_level(logging.INFO, logger=security_log.LOGGER_NAME)

    def read():
        return [json.loads(record.getMessage()) for record in caplog.records
                if record.name == security_log.LOGGER_NAME]

    return read


@pytest.fixture
def csrf_on(app_config):
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


@pytest.fixture
def limits_on(app_config):
    app_config.update(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://",
                      RECEIPT_LOOKUP_RATE_LIMIT="2 per minute", API_RATE_LIMIT="2 per minute")
    return app_config


def _only(found: list[dict], event: str) -> dict:
    matching = [entry for entry in found if entry["event"] == event]
    assert len(matching) == 1, found
    return matching[0]


def test_a_failed_sign_in_is_logged_without_the_email_or_password(client, make_user, events):
    user = make_user("staff", email="someone@example.org")
    response = client.post("/login", data={"email": user.email, "password": "wrong password 123"})
    assert response.status_code == 200
    entry = _only(events(), "sign_in_failed")
    assert entry["reason"] == "bad_credentials"
    assert entry["route"] == "/login" and entry["endpoint"] == "auth.login_post" and entry["method"] == "POST"
    assert entry["address"] == "127.0.0.1" and entry["time"].endswith("Z")
    line = json.dumps(entry)
    assert "someone" not in line and "wrong password" not in line and DEMO_PASSWORD not in line


def test_a_403_names_the_account_and_the_route_not_the_path(client, login, make_user, make_draft, events):
    user = make_user("citizen")
    login(user)
    draft = make_draft()
    assert client.get(f"/staff/drafts/{draft.id}?secret=1").status_code == 403
    entry = _only(events(), "forbidden")
    assert entry["user_id"] == user.id
    assert entry["route"] == "/staff/drafts/<int:draft_id>" and entry["endpoint"] == "staff.draft"
    assert "secret" not in json.dumps(entry)


def test_a_page_429_is_logged_with_its_limit(limits_on, client, events):
    for _ in range(2):
        assert client.get("/receipt?code=AAAA-BBBB-CCCC").status_code == 404
    assert client.get("/receipt?code=AAAA-BBBB-CCCC").status_code == 429
    entry = _only(events(), "rate_limited")
    assert entry["reason"] == "too_many_requests" and entry["endpoint"] == "public.receipt"
    assert entry["limit"].startswith("2 per 1 minute")
    assert "AAAA" not in json.dumps(entry)  # a receipt code is a secret of its holder


def test_an_api_429_is_logged_with_the_token_holder(limits_on, client, make_user, events):
    user = make_user("citizen")
    _token, secret = accounts.issue_api_token(user)
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    statuses = [client.get("/api/v1/me", headers=headers).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    entry = _only(events(), "rate_limited")
    assert entry["route"] == "/api/v1/me" and entry["limit"].startswith("2 per 1 minute")
    assert secret not in json.dumps(entry)


def test_csrf_failures_are_logged(csrf_on, client, make_user, make_draft, events):
    user = make_user("citizen")
    assert client.post("/login", data={"email": user.email, "password": DEMO_PASSWORD}).status_code == 400
    entry = _only(events(), "csrf_failed")
    assert entry["reason"] == "csrf_token_missing" and entry["endpoint"] == "auth.login_post"
    # The opinion form checks its token itself (to give the text back): logged as well.
    draft = make_draft(published=True)
    draft.allows_anonymous_opinions = True
    db.session.commit()
    response = client.post(f"/drafts/{draft.id}/opinions/new", data={"body": "意见", "stance": "amend"})
    assert response.status_code == 400
    assert [e["endpoint"] for e in events() if e["event"] == "csrf_failed"] == ["auth.login_post", "public.send_opinion"]


def test_each_refusal_is_logged_once(client, events):
    # A NUL refusal is a 400; a 403 or 429 logged by a view is not logged again.
    client.get("/drafts?status=%00")
    assert [e["event"] for e in events()] == ["request_refused"]


def test_the_log_goes_to_the_configured_file(tmp_path, app_config, make_user):
    from app import create_app

    path = tmp_path / "security.log"
    other = create_app({**app_config, "SECURITY_LOG_PATH": str(path)})
    try:
        with other.app_context():
            user = make_user("citizen")
            email, user_id = user.email, user.id
        client = other.test_client()
        client.post("/login", data={"email": email, "password": "not the password"})
        client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
        assert client.get("/admin/users").status_code == 403
        lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        assert [line["event"] for line in lines] == ["sign_in_failed", "forbidden"]
        assert lines[1]["user_id"] == user_id
    finally:
        security_log.configure("-")  # back to standard error for the other tests
