"""Citizens register themselves."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import User
from tests.accounts.conftest import STRONG_PASSWORD, text


def register(client, email="new@example.org", password=STRONG_PASSWORD, confirm=None, display_name="张三",
             consent="y"):
    return client.post("/register", data={
        "email": email, "password": password, "confirm": password if confirm is None else confirm,
        "display_name": display_name, "privacy_consent": consent,
    })


def test_registration_creates_a_signed_in_citizen(client):
    response = register(client)
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "new@example.org"))
    assert user.role == "citizen" and user.display_name == "张三" and user.is_enabled
    assert user.password_hash.startswith("scrypt:")
    page = client.get("/account/")
    assert page.status_code == 200 and "公民" in text(page)


def test_email_is_stored_in_lower_case(client):
    assert register(client, email="  Zhang.San@Example.ORG ").status_code == 302
    assert db.session.scalar(select(User.email)) == "zhang.san@example.org"
    client.post("/logout")
    assert client.post("/login", data={"email": "ZHANG.SAN@example.org", "password": STRONG_PASSWORD}).status_code == 302


@pytest.mark.parametrize("email", ["dup@example.org", "DUP@Example.org", " dup@example.org "])
def test_duplicate_email_is_refused_whatever_its_case(client, new_client, email):
    register(new_client(), email="dup@example.org")
    response = register(client, email=email)
    assert response.status_code == 422
    assert "该邮箱已注册" in text(response)
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


@pytest.mark.parametrize("fields,message", [
    ({"email": ""}, "请输入电子邮箱"),
    ({"email": "not-an-email"}, "请输入有效的电子邮箱地址"),
    ({"email": "a@b"}, "请输入有效的电子邮箱地址"),
    ({"password": "short"}, "密码长度应为 10 到 128 位"),
    ({"password": ""}, "请输入密码"),
    ({"password": "x" * 129}, "密码长度应为 10 到 128 位"),
    ({"confirm": "something else"}, "两次输入的密码不一致"),
    ({"password": "1234567890"}, "密码太容易被猜到"),
    ({"password": "aaaaaaaaaaaa"}, "密码太容易被猜到"),
    ({"email": "wangwu@example.org", "password": "wangwu-2024-secret"}, "密码不能包含邮箱地址"),
    ({"display_name": "名" * 101}, "字段长度不能超过 100 个字符"),
])
def test_invalid_input_gets_a_message_next_to_the_field(client, fields, message):
    values = {"email": "new@example.org", "password": STRONG_PASSWORD, "display_name": "张三"}
    values.update(fields)
    response = register(client, **values)
    assert response.status_code == 422
    body = text(response)
    assert message in body
    assert 'class="error"' in body
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_signed_in_user_is_sent_home(client, make_user, login):
    login(make_user("citizen"))
    assert client.get("/register").headers["Location"] == "/"
