"""Account administration by staff and administrators."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import ApiToken, User
from participation.services import accounts
from tests.accounts.conftest import STRONG_PASSWORD, text
from tests.conftest import DEMO_PASSWORD


@pytest.fixture
def staff_client(client, make_user, login):
    login(make_user("staff", email="staff@example.org"))
    return client


@pytest.fixture
def admin_client(client, make_user, login):
    login(make_user("admin", email="admin@example.org"))
    return client


def new_account(**fields):
    data = {"email": "new@example.org", "display_name": "李四", "password": STRONG_PASSWORD,
            "confirm": STRONG_PASSWORD}
    data.update(fields)
    return data


def user_by_email(email):
    return db.session.scalar(select(User).where(User.email == email))


# --- the list --------------------------------------------------------------------------

def test_list_filters_by_role_status_and_search(staff_client, make_user, frozen_now):
    make_user("deputy", email="rep.wang@example.org", display_name="王代表", delegation="西城代表团")
    make_user("citizen", email="zhao@example.org", display_name="赵公民")
    gone = make_user("citizen", email="gone@example.org", display_name="已停用的人")
    accounts.set_enabled(gone, False, changed_by=None, now=frozen_now.now)
    db.session.commit()

    body = text(staff_client.get("/admin/users"))
    assert all(email in body for email in ["rep.wang@example.org", "zhao@example.org", "gone@example.org"])
    assert "西城代表团" in body

    body = text(staff_client.get("/admin/users?role=deputy"))
    assert "rep.wang@example.org" in body and "zhao@example.org" not in body

    body = text(staff_client.get("/admin/users?q=赵"))
    assert "zhao@example.org" in body and "rep.wang@example.org" not in body

    body = text(staff_client.get("/admin/users?q=REP.WANG"))
    assert "rep.wang@example.org" in body and "zhao@example.org" not in body

    body = text(staff_client.get("/admin/users?status=disabled"))
    assert "gone@example.org" in body and "zhao@example.org" not in body

    # Wildcards in the search box are taken literally.
    body = text(staff_client.get("/admin/users?q=%25"))
    assert "没有符合条件的账户" in body

    # Nonsense filters are ignored rather than failing.
    assert staff_client.get("/admin/users?role=emperor&status=maybe&page=x").status_code == 200


def test_list_is_paginated_and_keeps_the_filters(staff_client, make_user, fast_hashing):
    for index in range(35):
        make_user("citizen", email=f"c{index:02d}@example.org")
    first = text(staff_client.get("/admin/users?role=citizen"))
    assert len(re.findall(r'href="/admin/users/\d+"', first)) == 30
    assert "第 1 / 2 页" in first
    assert re.search(r'href="/admin/users\?[^"]*page=2', first) and "role=citizen" in first
    second = text(staff_client.get("/admin/users?role=citizen&page=2"))
    assert len(re.findall(r'href="/admin/users/\d+"', second)) == 5
    assert staff_client.get("/admin/users?page=999").status_code == 200


# --- creating accounts ---------------------------------------------------------------

def test_choose_a_role_first(staff_client):
    body = text(staff_client.get("/admin/users/new"))
    assert "?role=deputy" in body and "?role=operator" in body and "?role=citizen" in body
    assert "?role=staff" not in body and "?role=admin" not in body
    response = staff_client.get("/admin/users/new?role=emperor")
    assert response.status_code == 400 and "未知的账户角色" in text(response)


def test_admin_may_create_staff_and_admins(admin_client):
    body = text(admin_client.get("/admin/users/new"))
    assert "?role=staff" in body and "?role=admin" in body
    response = admin_client.post("/admin/users/new?role=staff", data=new_account(email="New.Staff@Example.org"))
    assert response.status_code == 302
    user = user_by_email("new.staff@example.org")
    assert user.role == "staff" and response.headers["Location"] == f"/admin/users/{user.id}"


def test_staff_cannot_create_staff(staff_client):
    assert staff_client.post("/admin/users/new?role=staff", data=new_account()).status_code == 403
    assert staff_client.post("/admin/users/new?role=admin", data=new_account()).status_code == 403
    assert user_by_email("new@example.org") is None


def test_create_a_deputy(staff_client):
    form = text(staff_client.get("/admin/users/new?role=deputy"))
    assert "代表证号" in form and "所属代表团" in form and "专业小组" in form and "基层立法联系点" not in form
    response = staff_client.post("/admin/users/new?role=deputy", data=new_account(
        deputy_number=" D-17 ", delegation="东城代表团", professional_group="财经组"))
    assert response.status_code == 302
    deputy = user_by_email("new@example.org")
    assert (deputy.role, deputy.deputy_number, deputy.delegation, deputy.professional_group) == (
        "deputy", "D-17", "东城代表团", "财经组")
    assert "已创建人大代表账户" in text(staff_client.get(response.headers["Location"]))


@pytest.mark.parametrize("fields,message", [
    ({"deputy_number": ""}, "请填写代表证号"),
    ({"delegation": ""}, "请填写所属代表团"),
    ({"deputy_number": "D-1"}, "该代表证号已被使用"),
    ({"email": "taken@example.org"}, "该邮箱已注册"),
    ({"email": "TAKEN@example.org"}, "该邮箱已注册"),
    ({"email": "nonsense"}, "请输入有效的电子邮箱地址"),
    ({"password": "short"}, "密码长度应为 10 到 128 位"),
    ({"confirm": "another one!"}, "两次输入的密码不一致"),
    ({"display_name": ""}, "请输入姓名"),
])
def test_deputy_form_errors(staff_client, make_user, fields, message):
    make_user("deputy", email="taken@example.org", deputy_number="D-1")
    data = new_account(deputy_number="D-2", delegation="东城代表团")
    data.update(fields)
    response = staff_client.post("/admin/users/new?role=deputy", data=data)
    assert response.status_code == 422
    assert message in text(response)
    assert db.session.scalar(select(func.count()).select_from(User)) == 2


def test_create_an_operator(staff_client, make_point):
    point = make_point("东城街道基层立法联系点")
    form = text(staff_client.get(f"/admin/users/new?role=operator&liaison_point={point.id}"))
    assert re.search(rf'<option[^>]*selected[^>]*value="{point.id}"|<option[^>]*value="{point.id}"[^>]*selected', form)
    response = staff_client.post("/admin/users/new?role=operator", data=new_account(liaison_point=str(point.id)))
    assert response.status_code == 302
    operator = user_by_email("new@example.org")
    assert operator.role == "operator" and operator.liaison_point_id == point.id


def test_operator_needs_an_active_existing_point(staff_client, make_point):
    closed = make_point("已撤销的联系点", active=False)
    form = text(staff_client.get("/admin/users/new?role=operator"))
    assert "已撤销的联系点" not in form  # not offered
    for value, message in [("", "请选择联系点"), ("abc", "请选择联系点"), ("424242", "所选联系点不存在"),
                           (str(closed.id), "已停用，不能再添加信息员")]:
        response = staff_client.post("/admin/users/new?role=operator", data=new_account(liaison_point=value))
        assert response.status_code == 422, value
        assert message in text(response), value
    assert user_by_email("new@example.org") is None


def test_operator_form_says_when_there_is_no_point(staff_client):
    assert "还没有启用中的联系点" in text(staff_client.get("/admin/users/new?role=operator"))


# --- the account page and its actions -------------------------------------------------

def test_detail_shows_actions_the_actor_may_take(staff_client, make_user):
    citizen = make_user("citizen")
    admin = make_user("admin")
    body = text(staff_client.get(f"/admin/users/{citizen.id}"))
    for action in ["编辑", "设置新密码", "停用账户", "为该账户签发令牌"]:
        assert action in body
    body = text(staff_client.get(f"/admin/users/{admin.id}"))
    for action in ["设置新密码", "停用账户", "为该账户签发令牌", "API 令牌"]:
        assert action not in body
    assert "只有管理员可以管理工作人员和管理员账户" in body


def test_own_detail_page_cannot_disable_or_reset(client, make_user, login):
    admin = make_user("admin")
    login(admin)
    body = text(client.get(f"/admin/users/{admin.id}"))
    assert "停用账户" not in body and "设置新密码" not in body and "这是您自己的账户" in body
    assert client.post(f"/admin/users/{admin.id}/disable").status_code == 403
    db.session.refresh(admin)
    assert admin.is_enabled


def test_edit_a_deputy(staff_client, make_user):
    make_user("deputy", deputy_number="D-9")
    deputy = make_user("deputy", deputy_number="D-1", delegation="旧代表团")
    form = text(staff_client.get(f"/admin/users/{deputy.id}/edit"))
    assert 'value="D-1"' in form and 'value="旧代表团"' in form
    response = staff_client.post(f"/admin/users/{deputy.id}/edit", data={
        "display_name": "王五", "deputy_number": "D-2", "delegation": "新代表团", "professional_group": "教科文卫组"})
    assert response.status_code == 302
    db.session.refresh(deputy)
    assert (deputy.display_name, deputy.deputy_number, deputy.delegation, deputy.professional_group) == (
        "王五", "D-2", "新代表团", "教科文卫组")
    clash = staff_client.post(f"/admin/users/{deputy.id}/edit", data={
        "display_name": "王五", "deputy_number": "D-9", "delegation": "新代表团"})
    assert clash.status_code == 422 and "该代表证号已被使用" in text(clash)
    missing = staff_client.post(f"/admin/users/{deputy.id}/edit", data={"display_name": "王五", "deputy_number": "D-2"})
    assert missing.status_code == 422 and "请填写所属代表团" in text(missing)
    db.session.refresh(deputy)
    assert deputy.deputy_number == "D-2"


def test_move_an_operator_to_another_point(staff_client, make_user, make_point):
    old = make_point("旧联系点")
    new = make_point("新联系点")
    closed = make_point("停用联系点", active=False)
    operator = make_user("operator", liaison_point=old)
    assert staff_client.post(f"/admin/users/{operator.id}/edit", data={
        "display_name": "信息员", "liaison_point": str(new.id)}).status_code == 302
    db.session.refresh(operator)
    assert operator.liaison_point_id == new.id
    refused = staff_client.post(f"/admin/users/{operator.id}/edit", data={
        "display_name": "信息员", "liaison_point": str(closed.id)})
    assert refused.status_code == 422 and "已停用" in text(refused)


def test_operator_keeps_a_point_that_was_deactivated(staff_client, make_user, make_point):
    point = make_point("后来停用的联系点")
    operator = make_user("operator", liaison_point=point)
    staff_client.post(f"/admin/liaison-points/{point.id}/edit", data={"name": point.name, "region": "", "address": ""})
    form = text(staff_client.get(f"/admin/users/{operator.id}/edit"))
    assert "后来停用的联系点（已停用）" in form
    response = staff_client.post(f"/admin/users/{operator.id}/edit", data={
        "display_name": "改名了", "liaison_point": str(point.id)})
    assert response.status_code == 302
    db.session.refresh(operator)
    assert operator.display_name == "改名了" and operator.liaison_point_id == point.id


def test_set_a_new_password(staff_client, make_user, new_client):
    user = make_user("citizen")
    response = staff_client.post(f"/admin/users/{user.id}/password", data={
        "password": STRONG_PASSWORD, "confirm": STRONG_PASSWORD})
    assert response.status_code == 302
    assert new_client().post("/login", data={"email": user.email, "password": STRONG_PASSWORD}).status_code == 302
    weak = staff_client.post(f"/admin/users/{user.id}/password", data={"password": "1234567890", "confirm": "1234567890"})
    assert weak.status_code == 422 and "密码太容易被猜到" in text(weak)


def test_disable_and_enable(staff_client, make_user, frozen_now):
    user = make_user("deputy")
    token, _secret = accounts.issue_api_token(user)
    db.session.commit()
    response = staff_client.post(f"/admin/users/{user.id}/disable")
    assert response.status_code == 302
    page = text(staff_client.get(response.headers["Location"]))
    assert "已停用账户" in page and "启用账户" in page and "账户已停用，不能签发令牌" in page
    db.session.refresh(user)
    db.session.refresh(token)
    assert not user.is_enabled and token.revoked_at == frozen_now.now
    staff = user_by_email("staff@example.org")
    assert token.revoked_by_id == staff.id
    assert staff_client.post(f"/admin/users/{user.id}/enable").status_code == 302
    db.session.refresh(user)
    assert user.is_enabled


def test_staff_cannot_touch_other_staff(staff_client, make_user):
    colleague = make_user("staff")
    assert staff_client.post(f"/admin/users/{colleague.id}/disable").status_code == 403
    assert staff_client.post(f"/admin/users/{colleague.id}/edit", data={"display_name": "x"}).status_code == 403
    db.session.refresh(colleague)
    assert colleague.is_enabled and colleague.display_name != "x"


def test_issue_and_revoke_a_token_for_someone(staff_client, make_user):
    user = make_user("operator")
    response = staff_client.post(f"/admin/users/{user.id}/tokens", data={"name": "联系点报送"})
    assert response.status_code == 200
    body = text(response)
    secret = re.search(r'value="(lpp_[^"]+)"', body).group(1)
    assert user.email in body and 'data-copy-target="token-secret"' in body
    token = accounts.find_token(secret)
    assert token.user_id == user.id and token.name == "联系点报送"

    detail = text(staff_client.get(f"/admin/users/{user.id}"))
    assert token.prefix in detail and secret not in detail
    response = staff_client.post(f"/admin/tokens/{token.id}/revoke")
    assert response.headers["Location"] == f"/admin/users/{user.id}"
    assert accounts.find_token(secret) is None


def test_token_for_a_disabled_account_is_refused(staff_client, make_user, frozen_now):
    user = make_user("citizen")
    accounts.set_enabled(user, False, changed_by=None, now=frozen_now.now)
    db.session.commit()
    response = staff_client.post(f"/admin/users/{user.id}/tokens", data={"name": "x"})
    assert response.status_code == 302
    assert "账户已停用，不能签发令牌" in text(staff_client.get(response.headers["Location"]))
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_token_name_too_long_for_someone(staff_client, make_user):
    user = make_user("citizen")
    response = staff_client.post(f"/admin/users/{user.id}/tokens", data={"name": "长" * 101})
    assert response.status_code == 302
    assert "不能超过 100 个字" in text(staff_client.get(response.headers["Location"]))


def test_huge_ids_are_not_found(staff_client):
    assert staff_client.get("/admin/users/99999999999999999999").status_code == 404
    assert staff_client.post("/admin/tokens/99999999999999999999/revoke").status_code == 404
    assert staff_client.get("/admin/liaison-points/99999999999999999999").status_code == 404


def test_password_is_not_echoed_back_in_forms(staff_client, make_user):
    response = staff_client.post("/admin/users/new?role=citizen", data=new_account(confirm="mismatching-one"))
    assert STRONG_PASSWORD not in text(response)
    assert DEMO_PASSWORD not in text(response)
