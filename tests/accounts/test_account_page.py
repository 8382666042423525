"""The signed-in user's own page: details, password change and API tokens."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import ApiToken, LoginAttempt
from participation.services import accounts
from tests.accounts.conftest import STRONG_PASSWORD, redirects_to_login, text
from tests.conftest import DEMO_PASSWORD


def change(client, current=DEMO_PASSWORD, new=STRONG_PASSWORD, confirm=None):
    return client.post("/account/password", data={
        "current_password": current, "password": new, "confirm": new if confirm is None else confirm})


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/account/")
    assert redirects_to_login(response)
    assert "next=/account/" in response.headers["Location"]


def test_deputy_sees_their_deputy_details(client, make_user, login):
    login(make_user("deputy", deputy_number="D-2024-017", delegation="东城代表团", professional_group="法制组"))
    body = text(client.get("/account/"))
    for expected in ["人大代表", "D-2024-017", "东城代表团", "法制组", "代表证号", "专业小组"]:
        assert expected in body


def test_operator_sees_their_liaison_point(client, make_user, make_point, login):
    point = make_point("南山社区基层立法联系点", region="南山区")
    login(make_user("operator", liaison_point=point))
    body = text(client.get("/account/"))
    assert "联系点信息员" in body and "南山社区基层立法联系点" in body and "南山区" in body


def test_citizen_page_has_no_role_specific_fields(client, make_user, login):
    login(make_user("citizen"))
    body = text(client.get("/account/"))
    assert "公民" in body and "代表证号" not in body and "基层立法联系点" not in body
    assert 'no-store' in client.get("/account/").headers["Cache-Control"]


def test_password_change_keeps_this_session(client, make_user, login):
    user = make_user("citizen")
    login(user)
    old_nonce = user.session_nonce
    response = change(client)
    assert response.status_code == 302
    assert "密码已修改" in text(client.get("/account/"))
    db.session.refresh(user)
    assert user.session_nonce != old_nonce
    assert client.get("/account/").status_code == 200


@pytest.mark.parametrize("data,message", [
    ({"current": "wrong password!"}, "当前密码不正确"),
    ({"current": ""}, "请输入当前密码"),
    ({"new": "short"}, "密码长度应为 10 到 128 位"),
    ({"confirm": "different thing"}, "两次输入的密码不一致"),
    ({"new": DEMO_PASSWORD}, "新密码不能与当前密码相同"),
    ({"new": "0123456789"}, "密码太容易被猜到"),
])
def test_password_change_errors(client, make_user, login, data, message):
    user = make_user("citizen")
    login(user)
    response = change(client, **data)
    assert response.status_code == 422
    assert message in text(response)
    db.session.refresh(user)
    assert accounts.check_password_hash(user.password_hash, DEMO_PASSWORD)


def test_guessing_the_current_password_is_throttled(client, make_user, login, frozen_now):
    user = make_user("citizen")
    login(user)
    for _attempt in range(5):
        assert change(client, current="a wrong guess").status_code == 422
    response = change(client, current=DEMO_PASSWORD)
    assert response.status_code == 429
    assert "登录失败次数过多" in text(response)
    assert db.session.scalar(select(func.count()).select_from(LoginAttempt)) == 5


def test_token_is_shown_once_and_works(client, make_user, login):
    user = make_user("operator")
    login(user)
    response = client.post("/account/tokens", data={"name": "报送系统"})
    assert response.status_code == 200
    body = text(response)
    secret = re.search(r'id="token-secret"[^>]*value="(lpp_[^"]+)"', body).group(1)
    assert 'data-copy-target="token-secret"' in body
    assert "离开本页后将无法再次查看" in body
    token = accounts.find_token(secret)
    assert token is not None and token.user_id == user.id and token.name == "报送系统"
    assert response.headers["Cache-Control"] == "no-store"

    listing = text(client.get("/account/"))
    assert token.prefix in listing and "报送系统" in listing
    assert secret not in listing
    # The API accepts it.
    api = client.get("/api/v1/drafts", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200


def test_token_name_too_long(client, make_user, login):
    login(make_user("citizen"))
    response = client.post("/account/tokens", data={"name": "长" * 101})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_live_tokens_are_capped(client, make_user, login):
    user = make_user("citizen")
    for index in range(accounts.MAX_LIVE_TOKENS):
        accounts.issue_api_token(user, name=f"t{index}")
    db.session.commit()
    login(user)
    response = client.post("/account/tokens", data={"name": "one more"})
    assert response.status_code == 422
    assert "有效令牌已达 20 个" in text(response)


def test_revoking_an_own_token(client, make_user, login, frozen_now):
    user = make_user("citizen")
    token, secret = accounts.issue_api_token(user, name="旧系统")
    db.session.commit()
    login(user)
    response = client.post(f"/account/tokens/{token.id}/revoke")
    assert response.status_code == 302
    assert "已撤销" in text(client.get("/account/"))
    db.session.refresh(token)
    assert token.revoked_at == frozen_now.now and token.revoked_by_id == user.id
    assert accounts.find_token(secret) is None
    # Revoking again is harmless.
    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 302


def test_someone_elses_token_cannot_be_revoked_here(client, make_user, login):
    owner = make_user("citizen")
    token, secret = accounts.issue_api_token(owner)
    db.session.commit()
    login(make_user("admin"))
    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 404
    assert client.post("/account/tokens/99999999999999/revoke").status_code == 404
    assert accounts.find_token(secret) is not None


def test_token_list_is_paginated(client, make_user, login, frozen_now):
    user = make_user("citizen")
    for index in range(25):
        token, _secret = accounts.issue_api_token(user, name=f"令牌{index:02d}")
        accounts.revoke_api_token(token, revoked_by=user, now=frozen_now.now)
    db.session.commit()
    login(user)
    first = text(client.get("/account/"))
    assert first.count("<code>lpp_") == 20 and "第 1 / 2 页" in first
    second = text(client.get("/account/?page=2"))
    assert second.count("<code>lpp_") == 5
    assert client.get("/account/?page=abc").status_code == 200
    assert client.get("/account/?page=-3").status_code == 200
