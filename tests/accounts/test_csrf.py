"""With CSRF protection on (as in production), a POST without the form's token is
refused with a clear message, and with it the same POST goes through."""
from __future__ import annotations

import pytest

from tests.accounts.conftest import STRONG_PASSWORD, csrf_token, text
from tests.conftest import DEMO_PASSWORD

CSRF_MESSAGE = "表单已过期或来源无法验证，请刷新页面后重试。"


@pytest.fixture
def app_config(app_config):
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


def sign_in(client, user):
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"email": user.email, "password": DEMO_PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return client


def assert_refused(response):
    assert response.status_code == 400
    assert CSRF_MESSAGE in text(response)


def test_login_without_token_is_refused(client, make_user):
    user = make_user("citizen")
    assert_refused(client.post("/login", data={"email": user.email, "password": DEMO_PASSWORD}))
    assert client.get("/account/").status_code == 302


def test_login_with_a_token_from_another_session_is_refused(app, client, make_user):
    user = make_user("citizen")
    foreign = csrf_token(app.test_client(), "/login")
    assert_refused(client.post("/login", data={"email": user.email, "password": DEMO_PASSWORD, "csrf_token": foreign}))


def test_login_with_token_works(client, make_user):
    sign_in(client, make_user("citizen"))
    assert client.get("/account/").status_code == 200


def test_register_without_token_is_refused(client):
    assert_refused(client.post("/register", data={
        "email": "new@example.org", "password": STRONG_PASSWORD, "confirm": STRONG_PASSWORD}))


def test_register_with_token_works(client):
    token = csrf_token(client, "/register")
    response = client.post("/register", data={
        "email": "new@example.org", "password": STRONG_PASSWORD, "confirm": STRONG_PASSWORD, "csrf_token": token,
        "privacy_consent": "y"})
    assert response.status_code == 302


def test_logout_without_token_is_refused(client, make_user):
    sign_in(client, make_user("citizen"))
    assert_refused(client.post("/logout"))
    assert client.get("/account/").status_code == 200
    token = csrf_token(client, "/account/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/account/").status_code == 302


def test_admin_form_without_token_is_refused(client, make_user):
    sign_in(client, make_user("staff"))
    assert_refused(client.post("/admin/liaison-points/new", data={"name": "某街道联系点"}))
    token = csrf_token(client, "/admin/liaison-points/new")
    response = client.post("/admin/liaison-points/new", data={"name": "某街道联系点", "csrf_token": token})
    assert response.status_code == 302


@pytest.mark.parametrize("path", ["/account/password", "/account/tokens", "/admin/users/{id}/disable",
                                  "/admin/users/{id}/tokens"])
def test_account_actions_without_token_are_refused(client, make_user, path):
    target = make_user("citizen")
    sign_in(client, make_user("admin"))
    assert_refused(client.post(path.format(id=target.id), data={}))


def test_every_form_on_the_account_pages_carries_a_token(client, make_user):
    staff = make_user("staff")
    target = make_user("deputy")
    sign_in(client, staff)
    for path in ["/account/", f"/admin/users/{target.id}", f"/admin/users/{target.id}/edit",
                 f"/admin/users/{target.id}/password", "/admin/users/new?role=deputy", "/admin/liaison-points/new"]:
        body = text(client.get(path))
        assert body.count('method="post"') == body.count('name="csrf_token"'), path
