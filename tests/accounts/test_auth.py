"""Signing in: answers that do not tell accounts apart, throttling, session renewal, and
what ends a session."""
from __future__ import annotations

import re

import pytest

from participation.extensions import db
from participation.services import accounts
from tests.accounts.conftest import STRONG_PASSWORD, redirects_to_login, text
from tests.conftest import DEMO_PASSWORD

WRONG = "not the right password"


def sign_in(client, email, password):
    return client.post("/login", data={"email": email, "password": password})


def test_sign_in_with_the_right_password(client, make_user, frozen_now):
    user = make_user("deputy", email="rep@example.org")
    response = sign_in(client, "rep@example.org", DEMO_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/account/")
    assert page.status_code == 200
    assert "rep@example.org" in text(page) and "人大代表" in text(page)
    db.session.refresh(user)
    assert user.last_login_at == frozen_now.now


def test_sign_in_ignores_case_and_spaces_in_the_email(client, make_user):
    make_user("citizen", email="mixed@example.org")
    assert sign_in(client, "  MiXeD@Example.ORG ", DEMO_PASSWORD).status_code == 302


def test_wrong_password_is_refused_with_a_message(client, make_user):
    user = make_user("citizen")
    response = sign_in(client, user.email, WRONG)
    assert response.status_code == 200
    assert "邮箱或密码不正确" in text(response)
    assert redirects_to_login(client.get("/account/"))


def test_empty_form_names_the_missing_fields(client):
    body = text(client.post("/login", data={}))
    assert "请输入电子邮箱" in body and "请输入密码" in body


def test_next_parameter_is_followed_only_within_the_site(client, make_user):
    user = make_user("citizen")
    response = client.post("/login?next=/account/", data={"email": user.email, "password": DEMO_PASSWORD})
    assert response.headers["Location"] == "/account/"
    client.post("/logout")
    response = client.post("/login?next=https://evil.example/", data={"email": user.email, "password": DEMO_PASSWORD})
    assert response.headers["Location"] == "/"


def _anonymised(response, email):
    """Status and body with the submitted e-mail and the per-session CSRF token blanked
    out: everything else must be identical."""
    body = re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', text(response))
    return response.status_code, body.replace(email, "EMAIL")


def test_unknown_email_wrong_password_and_disabled_account_look_the_same(app, make_user, new_client, frozen_now):
    make_user("citizen", email="known@example.org")
    disabled = make_user("citizen", email="gone@example.org")
    accounts.set_enabled(disabled, False, changed_by=None, now=frozen_now.now)
    db.session.commit()

    unknown = _anonymised(sign_in(new_client(), "nobody@example.org", WRONG), "nobody@example.org")
    wrong = _anonymised(sign_in(new_client(), "known@example.org", WRONG), "known@example.org")
    # The disabled account is tried with its right password.
    off = _anonymised(sign_in(new_client(), "gone@example.org", DEMO_PASSWORD), "gone@example.org")
    assert unknown == wrong == off
    assert unknown[0] == 200 and "邮箱或密码不正确" in unknown[1]


def test_every_answer_costs_one_hash_of_the_same_algorithm(client, make_user, monkeypatch, frozen_now):
    """The same timing: an unknown e-mail is checked against a dummy hash made with the
    same algorithm as real ones, so no answer skips the expensive step."""
    user = make_user("citizen", email="known@example.org", production_hash=True)
    disabled = make_user("citizen", email="gone@example.org", production_hash=True)
    accounts.set_enabled(disabled, False, changed_by=None, now=frozen_now.now)
    db.session.commit()
    calls = []
    real_check = accounts.check_password_hash

    def counting_check(pwhash, password):
        calls.append(pwhash.split("$")[0])
        return real_check(pwhash, password)

    monkeypatch.setattr(accounts, "check_password_hash", counting_check)
    for email, password in [("nobody@example.org", WRONG), (user.email, WRONG), (disabled.email, DEMO_PASSWORD),
                            (user.email, DEMO_PASSWORD)]:
        calls.clear()
        sign_in(client, email, password)
        client.post("/logout")
        assert len(calls) == 1, email
        assert calls[0] == user.password_hash.split("$")[0]


def test_five_failures_lock_the_account_even_for_the_right_password(client, make_user, frozen_now):
    user = make_user("citizen")
    for _attempt in range(5):
        assert sign_in(client, user.email, WRONG).status_code == 200
    response = sign_in(client, user.email, DEMO_PASSWORD)
    assert response.status_code == 429
    assert "登录失败次数过多，请 15 分钟后再试" in text(response)
    assert redirects_to_login(client.get("/account/"))

    frozen_now.advance(minutes=16)
    assert sign_in(client, user.email, DEMO_PASSWORD).status_code == 302


def test_a_success_clears_the_failure_count(client, make_user, frozen_now):
    user = make_user("citizen")
    for _attempt in range(4):
        sign_in(client, user.email, WRONG)
    assert sign_in(client, user.email, DEMO_PASSWORD).status_code == 302
    client.post("/logout")
    for _attempt in range(4):
        sign_in(client, user.email, WRONG)
    assert sign_in(client, user.email, DEMO_PASSWORD).status_code == 302


def test_unknown_accounts_are_throttled_alike(make_user, new_client, frozen_now):
    known = make_user("citizen", email="known@example.org")
    for _attempt in range(5):
        sign_in(new_client(), "nobody@example.org", WRONG)
        sign_in(new_client(), known.email, WRONG)
    unknown = _anonymised(sign_in(new_client(), "nobody@example.org", WRONG), "nobody@example.org")
    locked = _anonymised(sign_in(new_client(), known.email, DEMO_PASSWORD), known.email)
    assert unknown == locked
    assert unknown[0] == 429


def test_failures_from_one_address_lock_that_address(app, make_user, new_client, frozen_now):
    app.config["LOGIN_MAX_FAILURES_PER_IP"] = 7
    user = make_user("citizen")
    attacker = new_client(REMOTE_ADDR="203.0.113.9")
    for index in range(7):  # a different account each time: no account reaches its limit
        assert sign_in(attacker, f"guess{index}@example.org", WRONG).status_code == 200
    assert sign_in(attacker, user.email, DEMO_PASSWORD).status_code == 429
    assert sign_in(new_client(REMOTE_ADDR="198.51.100.1"), user.email, DEMO_PASSWORD).status_code == 302
    frozen_now.advance(minutes=16)
    assert sign_in(attacker, user.email, DEMO_PASSWORD).status_code == 302


def test_session_is_renewed_at_sign_in(app, client, make_user, new_client):
    user = make_user("citizen")
    # Something in the session before signing in (the language choice) gives it a cookie.
    client.post("/language", data={"locale": "zh_CN", "next": "/"})
    before = client.get_cookie("session")
    assert before is not None
    assert sign_in(client, user.email, DEMO_PASSWORD).status_code == 302
    after = client.get_cookie("session")
    assert after is not None and after.value != before.value
    assert client.get("/account/").status_code == 200

    # Someone holding the pre-sign-in cookie (session fixation) is not signed in by it.
    planted = new_client()
    planted.set_cookie("session", before.value)
    assert redirects_to_login(planted.get("/account/"))
    # The language choice survives the renewal.
    with client.session_transaction() as session:
        assert session.get("locale") == "zh_CN"


def test_password_change_signs_out_other_sessions(make_user, new_client):
    user = make_user("citizen")
    laptop, phone = new_client(user), new_client(user)
    assert phone.get("/account/").status_code == 200
    response = laptop.post("/account/password", data={
        "current_password": DEMO_PASSWORD, "password": STRONG_PASSWORD, "confirm": STRONG_PASSWORD})
    assert response.status_code == 302
    assert laptop.get("/account/").status_code == 200
    assert redirects_to_login(phone.get("/account/"))
    assert sign_in(new_client(), user.email, DEMO_PASSWORD).status_code == 200
    assert sign_in(new_client(), user.email, STRONG_PASSWORD).status_code == 302


def test_password_set_by_an_administrator_signs_out_every_session(make_user, new_client):
    user = make_user("deputy")
    session = new_client(user)
    admin = new_client(make_user("admin"))
    admin.post(f"/admin/users/{user.id}/password", data={"password": STRONG_PASSWORD, "confirm": STRONG_PASSWORD})
    assert redirects_to_login(session.get("/account/"))


def test_disabling_ends_sessions_and_tokens(make_user, new_client, frozen_now):
    user = make_user("operator")
    _token, secret = accounts.issue_api_token(user, name="报送系统")
    db.session.commit()
    session = new_client(user)
    assert session.get("/account/").status_code == 200
    assert new_client().get("/api/v1/drafts", headers={"Authorization": f"Bearer {secret}"}).status_code == 200

    staff = new_client(make_user("staff"))
    assert staff.post(f"/admin/users/{user.id}/disable").status_code == 302
    assert redirects_to_login(session.get("/account/"))
    assert accounts.find_token(secret) is None
    assert new_client().get("/api/v1/drafts", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert "邮箱或密码不正确" in text(sign_in(new_client(), user.email, DEMO_PASSWORD))

    # Re-enabling lets the person sign in again, but revoked tokens stay revoked.
    assert staff.post(f"/admin/users/{user.id}/enable").status_code == 302
    assert accounts.find_token(secret) is None
    assert sign_in(new_client(), user.email, DEMO_PASSWORD).status_code == 302


def _session_cookie(client):
    return client.get_cookie("session")


def test_remember_me_keeps_the_session_beyond_the_browser(make_user, new_client):
    user = make_user("citizen")
    browser = new_client()
    browser.post("/login", data={"email": user.email, "password": DEMO_PASSWORD, "remember": "y"})
    assert _session_cookie(browser).expires is not None  # a persistent cookie
    assert browser.get_cookie("remember_token") is None  # Flask-Login's unrevocable cookie is not used
    plain = new_client()
    plain.post("/login", data={"email": user.email, "password": DEMO_PASSWORD})
    assert _session_cookie(plain).expires is None  # ends with the browser


def test_signing_out_ends_the_session_even_for_a_copied_cookie(make_user, new_client):
    user = make_user("citizen")
    browser = new_client()
    sign_in(browser, user.email, DEMO_PASSWORD)
    copied = new_client()
    copied.set_cookie("session", _session_cookie(browser).value)
    assert copied.get("/account/").status_code == 200
    browser.post("/logout")
    assert redirects_to_login(copied.get("/account/"))


def test_password_change_keeps_this_browser_and_ends_the_others(make_user, new_client):
    user = make_user("citizen")
    browser, other = new_client(), new_client()
    sign_in(browser, user.email, DEMO_PASSWORD)
    sign_in(other, user.email, DEMO_PASSWORD)
    browser.post("/account/password", data={
        "current_password": DEMO_PASSWORD, "password": STRONG_PASSWORD, "confirm": STRONG_PASSWORD})
    assert browser.get("/account/").status_code == 200
    assert redirects_to_login(other.get("/account/"))


def test_user_can_sign_out_their_other_browsers(make_user, new_client):
    user = make_user("citizen")
    browser, other = new_client(), new_client()
    sign_in(browser, user.email, DEMO_PASSWORD)
    sign_in(other, user.email, DEMO_PASSWORD)
    page = browser.get("/account/").get_data(as_text=True)
    assert "本设备" in page and "退出其他设备上的登录" in page
    assert browser.post("/account/sessions/end-others").status_code == 302
    assert browser.get("/account/").status_code == 200
    assert redirects_to_login(other.get("/account/"))


def test_expired_login_session_is_signed_out(make_user, new_client, frozen_now):
    user = make_user("citizen")
    browser = new_client()
    sign_in(browser, user.email, DEMO_PASSWORD)
    frozen_now.advance(hours=13)  # LOGIN_SESSION_HOURS is 12 without "remember me"
    assert redirects_to_login(browser.get("/account/"))


@pytest.mark.parametrize("method", ["GET"])
def test_logout_needs_a_post(client, make_user, method):
    user = make_user("citizen")
    sign_in(client, user.email, DEMO_PASSWORD)
    assert client.open("/logout", method=method).status_code == 405
    assert client.get("/account/").status_code == 200
    assert client.post("/logout").status_code == 302
    assert redirects_to_login(client.get("/account/"))
