"""Bearer-token authentication: the API never accepts the session cookie."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, select

from participation import clock
from participation.extensions import db
from participation.models import ApiToken
from participation.services import accounts
from participation.services import sessions as login_sessions
from tests.api.helpers import bearer


def _assert_401(response, *, error="invalid_token"):
    assert response.status_code == 401
    assert response.is_json
    body = response.get_json()
    assert body["error"] == error
    assert body["message"]
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer ")
    if error == "invalid_token":
        assert 'error="invalid_token"' in challenge
    else:
        assert "error=" not in challenge


def test_me_without_a_token_is_401_with_a_bearer_challenge(api_get):
    _assert_401(api_get("/me"), error="unauthorized")


def test_me_with_a_token_describes_its_account(api_get, make_user, issue_token):
    user = make_user("deputy", display_name="张代表", delegation="东城代表团", professional_group="法制组")
    secret = issue_token(user, name="集成测试")
    response = api_get("/me", secret)
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == user.id
    assert body["email"] == user.email
    assert body["role"] == "deputy"
    assert body["display_name"] == "张代表"
    assert body["deputy_number"] == user.deputy_number
    assert body["delegation"] == "东城代表团"
    assert body["professional_group"] == "法制组"
    assert body["liaison_point"] is None
    assert body["token"]["name"] == "集成测试"
    assert secret.startswith(body["token"]["prefix"])
    assert response.headers["Cache-Control"] == "private, no-store"


def test_me_shows_an_operators_liaison_point(api_get, make_user, issue_token):
    operator = make_user("operator")
    body = api_get("/me", issue_token(operator)).get_json()
    assert body["liaison_point"] == {
        "id": operator.liaison_point.id, "name": operator.liaison_point.name, "region": operator.liaison_point.region,
    }
    assert body["deputy_number"] is None


@pytest.mark.parametrize("header", [
    "Bearer lpp_not-a-real-token",
    "Bearer not-even-the-prefix",
    "Bearer ",
    "Bearer",
    "Basic dXNlcjpwYXNz",
    "lpp_token-without-scheme",
    "Bearer two words",
])
def test_malformed_or_unknown_tokens_are_refused_everywhere(client, header):
    for path in ("/api/v1/me", "/api/v1/drafts", "/api/v1/openapi.json"):
        _assert_401(client.get(path, headers={"Authorization": header}))


def test_a_revoked_token_is_refused(api_get, make_user, issue_token, frozen_now):
    staff = make_user("staff")
    secret = issue_token(staff)
    assert api_get("/me", secret).status_code == 200
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == staff.id))
    accounts.revoke_api_token(token, revoked_by=staff, now=frozen_now.now)
    db.session.commit()
    _assert_401(api_get("/me", secret))
    _assert_401(api_get("/drafts", secret))


def test_a_disabled_accounts_token_is_refused_and_stays_refused(api_get, make_user, issue_token, frozen_now):
    admin = make_user("admin")
    citizen = make_user("citizen")
    secret = issue_token(citizen)
    accounts.set_enabled(citizen, False, changed_by=admin, now=frozen_now.now)
    db.session.commit()
    _assert_401(api_get("/me", secret))
    accounts.set_enabled(citizen, True, changed_by=admin, now=frozen_now.now)
    db.session.commit()
    # Re-enabling an account does not bring its revoked tokens back.
    _assert_401(api_get("/me", secret))


def test_a_token_of_a_disabled_account_is_refused_even_if_not_revoked(api_get, make_user, issue_token):
    citizen = make_user("citizen")
    secret = issue_token(citizen)
    citizen.is_enabled = False  # disabled behind the service's back: tokens left live
    db.session.commit()
    _assert_401(api_get("/me", secret))


def test_the_session_cookie_never_authenticates_the_api(client, login, make_user, make_draft):
    staff = make_user("staff")
    make_draft(title="未发布的草案")
    login(staff)
    assert client.get("/api/v1/me").status_code == 401
    body = client.get("/api/v1/drafts").get_json()
    assert body["total"] == 0  # a staff token would list the unpublished draft; the cookie counts for nothing


def test_the_api_neither_reads_nor_writes_the_session_cookie(client, login, make_user):
    citizen = make_user("citizen")
    login(citizen)
    client.post("/language", data={"locale": "en", "next": "/"})
    assert "Sign out" in client.get("/").get_data(as_text=True)  # the site follows the cookie
    response = client.get("/api/v1/me")
    # The API answers in the default language, whatever the browser chose on the site,
    # and never sets or refreshes the cookie.
    assert response.status_code == 401
    assert "API 令牌" in response.get_json()["message"]
    assert "Set-Cookie" not in response.headers
    assert "Set-Cookie" not in client.get("/api/v1/drafts").headers


@pytest.fixture
def csrf_on(app_config):
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


def test_an_api_post_with_only_a_session_cookie_is_refused(csrf_on, probe_app, make_user, issue_token):
    client = probe_app.test_client()
    staff = make_user("staff")
    login_secret = login_sessions.start_login_session(
        staff, lifetime=timedelta(hours=1), ip="127.0.0.1", user_agent="test", now=clock.now())
    db.session.commit()
    with client.session_transaction() as session:  # signed in to the site, as a browser would be
        session["_user_id"] = staff.get_id()
        session["_fresh"] = True
        session["login_session"] = login_secret
    assert client.get("/account/").status_code == 200  # the cookie does sign in to the site
    response = client.post("/api/v1/_probe/echo", json={"title": "x"})
    # Refused for want of a token, not by CSRF: the API is exempt from CSRF precisely
    # because a cookie carries no authority there.
    _assert_401(response, error="unauthorized")
    secret = issue_token(staff)
    response = client.post("/api/v1/_probe/echo", json={"title": "x"}, headers=bearer(secret))
    assert response.status_code == 200
    assert response.get_json() == {"user": staff.id, "received": {"title": "x"}}


def test_forbidden_is_403_for_accounts_and_401_for_anonymous(probe_app, make_user, issue_token):
    client = probe_app.test_client()
    citizen_token = issue_token(make_user("citizen"))
    staff_token = issue_token(make_user("staff"))
    response = client.get("/api/v1/_probe/staff-only", headers=bearer(citizen_token))
    assert response.status_code == 403 and response.get_json()["error"] == "forbidden"
    assert client.get("/api/v1/_probe/staff-only", headers=bearer(staff_token)).status_code == 200
    _assert_401(client.get("/api/v1/_probe/staff-only"), error="unauthorized")


def _last_used(secret):
    db.session.rollback()
    return db.session.scalar(select(ApiToken.last_used_at).where(ApiToken.token_digest == accounts._digest(secret)))


def test_last_used_is_recorded_at_most_once_per_five_minutes(api_get, make_user, issue_token, frozen_now):
    secret = issue_token(make_user("citizen"))
    assert _last_used(secret) is None
    first = frozen_now.now
    api_get("/me", secret)
    assert _last_used(secret) == first
    frozen_now.advance(minutes=4)
    api_get("/drafts", secret)
    assert _last_used(secret) == first
    frozen_now.advance(minutes=2)
    body = api_get("/me", secret).get_json()
    assert _last_used(secret) == frozen_now.now
    assert body["token"]["last_used_at"] is not None


def test_inside_a_write_unit_the_use_is_recorded_in_its_transaction(probe_app, make_user, issue_token, frozen_now):
    """A write unit already holds the write lock, so the bookkeeping joins its
    transaction instead of waiting on a second writer: it is kept when the unit
    commits, and dropped with a refused (rolled back) one."""
    from participation.api import auth as api_auth
    from participation.unit_of_work import writing

    secret = issue_token(make_user("citizen"))
    db.session.rollback()
    for commits in (False, True):
        with probe_app.test_request_context("/api/v1/_probe/commit", method="POST", headers=bearer(secret)):
            with writing():
                started = time.monotonic()
                api_auth.authenticate_request()
                assert time.monotonic() - started < 5
                if commits:
                    db.session.commit()
                else:
                    db.session.rollback()
        assert _last_used(secret) == (frozen_now.now if commits else None)


def test_a_write_request_resolved_before_its_unit_records_use_apart(probe_app, make_user, issue_token, frozen_now):
    """The token is resolved before the view opens its write unit: the use is then
    recorded on a separate connection, whether or not the request commits."""
    client = probe_app.test_client()
    secret = issue_token(make_user("citizen"))
    db.session.rollback()
    assert client.post("/api/v1/_probe/echo", json={}, headers=bearer(secret)).status_code == 200
    assert _last_used(secret) == frozen_now.now


def test_a_read_with_a_token_does_not_wait_for_a_busy_writer(app, api_get, make_user, issue_token, database_url):
    """GET requests stay read-only: with another connection holding the write lock (or
    the token row), the read still answers promptly and only the bookkeeping is skipped."""
    secret = issue_token(make_user("citizen"))
    db.session.rollback()
    engine = create_engine(database_url)
    holder = engine.raw_connection()  # the driver connection: no SQLAlchemy transaction events
    try:
        cursor = holder.cursor()
        if engine.dialect.name == "sqlite":
            holder.driver_connection.isolation_level = None
            cursor.execute("BEGIN IMMEDIATE")
        else:
            cursor.execute("SELECT id FROM api_tokens FOR UPDATE")
        started = time.monotonic()
        response = api_get("/me", secret)
        elapsed = time.monotonic() - started
        assert response.status_code == 200
        assert elapsed < 10
    finally:
        holder.rollback()
        holder.close()
        engine.dispose()
    assert _last_used(secret) is None
    api_get("/me", secret)
    assert _last_used(secret) is not None


def test_concurrent_reads_with_one_token_all_succeed(app, make_user, issue_token):
    secret = issue_token(make_user("citizen"))
    db.session.rollback()
    statuses: list[int] = []
    barrier = threading.Barrier(6)

    def worker():
        client = app.test_client()
        barrier.wait()
        for _ in range(3):
            statuses.append(client.get("/api/v1/me", headers=bearer(secret)).status_code)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 18
