"""个人信息保护: consent at registration with the policy's version, the admin-edited
privacy policy, downloading what the platform holds about a person, and erasing an
account (by its owner, or by an administrator on request) — the opinions stay, detached,
and the tally does not change."""
from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from participation.extensions import db
from participation.models import AuditEntry, LoginSession, Opinion, User
from participation.tally.compute import compute_tally
from tests.conftest import DEMO_PASSWORD

STRONG = "a long enough passphrase"


def _register(client, consent="y", email="new@example.org"):
    data = {"email": email, "password": STRONG, "confirm": STRONG, "display_name": "张三"}
    if consent:
        data["privacy_consent"] = consent
    return client.post("/register", data=data)


def test_registration_requires_consent_and_records_its_version(client, app):
    response = _register(client, consent=None)
    assert response.status_code == 422
    assert "注册前请阅读并同意隐私政策" in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == "new@example.org")) is None
    assert _register(client).status_code == 302
    user = db.session.scalar(select(User).where(User.email == "new@example.org"))
    assert user.privacy_policy_version == 1 and user.privacy_consent_at is not None


def test_registration_page_shows_the_notice_and_links_the_policy(client):
    page = client.get("/register").get_data(as_text=True)
    assert 'href="/privacy"' in page and "privacy_consent" in page
    policy = client.get("/privacy").get_data(as_text=True)
    assert "我们收集哪些个人信息" in policy and "第 1 版" in policy


def test_admin_publishes_a_new_version_that_registration_then_records(client, make_user, login, app):
    admin = make_user("admin")
    staff = make_user("staff")
    login(staff)
    assert client.get("/admin/privacy").status_code == 403
    assert client.post("/admin/privacy", data={"text": "新的政策"}).status_code == 403
    client.post("/logout")
    login(admin)
    assert client.post("/admin/privacy", data={"text": "   "}).status_code == 422
    response = client.post("/admin/privacy", data={"text": "第一段。\n\n第二段：联系方式不公开。"})
    assert response.status_code == 302
    assert "第二段：联系方式不公开。" in client.get("/privacy").get_data(as_text=True)
    assert client.post("/admin/privacy", data={"text": "第一段。\n\n第二段：联系方式不公开。"}).status_code == 422
    client.post("/logout")
    assert _register(client, email="later@example.org").status_code == 302
    assert db.session.scalar(select(User.privacy_policy_version).where(User.email == "later@example.org")) == 2
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "privacy_policy.publish")) is not None


@pytest.fixture
def commenter(make_user, make_draft, make_opinion):
    draft = make_draft(published=True)
    citizen = make_user("citizen", display_name="王五")
    make_opinion(draft, key="art.1", author=citizen, body="我的意见甲", submitter_name="王五", is_name_public=True,
                 contact="13800000000", region="东城区")
    make_opinion(draft, key="art.2", author=citizen, body="我的意见乙", contact="wang@example.org")
    make_opinion(draft, key="art.2", author=make_user("citizen"), body="别人的意见")
    return draft, citizen


def test_a_person_downloads_what_is_held_about_them(client, login, commenter):
    draft, citizen = commenter
    login(citizen)
    assert "2 条意见" in client.get("/account/data").get_data(as_text=True)
    data = json.loads(client.get("/account/data.json").get_data())
    assert data["account"]["email"] == citizen.email
    assert sorted(o["body"] for o in data["opinions"]) == ["我的意见乙", "我的意见甲"]
    assert {o["contact"] for o in data["opinions"]} == {"13800000000", "wang@example.org"}
    workbook = load_workbook(io.BytesIO(client.get("/account/data.xlsx").get_data()))
    texts = {cell.value for sheet in workbook for row in sheet.iter_rows() for cell in row}
    assert "我的意见甲" in texts and "别人的意见" not in texts
    assert client.get("/account/data.pdf").status_code == 404


def _counts(draft):
    tally = compute_tally(draft.id, draft.current_version.id)
    return [(c.key, c.total, c.submitters, dict(c.by_category)) for c in [tally.overall, *tally.provisions]]


def test_erasing_ones_account_detaches_opinions_and_keeps_the_tally(client, login, commenter, app):
    draft, citizen = commenter
    before = _counts(draft)
    login(citizen)
    response = client.post("/account/erase", data={"password": "wrong password!!", "confirmation": "注销"})
    assert response.status_code == 422 and "当前密码不正确" in response.get_data(as_text=True)
    response = client.post("/account/erase", data={"password": DEMO_PASSWORD, "confirmation": "确定"})
    assert response.status_code == 422
    assert db.session.get(User, citizen.id).erased_at is None
    response = client.post("/account/erase", data={"password": DEMO_PASSWORD, "confirmation": "注销"})
    assert response.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, citizen.id)
    assert user.erased_at is not None and not user.is_enabled and user.email.endswith(".invalid")
    assert user.display_name == ""
    opinions = db.session.scalars(select(Opinion).where(Opinion.body.in_(["我的意见甲", "我的意见乙"]))).all()
    assert len(opinions) == 2
    assert all(o.author_id is None and o.contact == "" and o.submitter_name == "" and not o.is_name_public
               for o in opinions)
    assert _counts(draft) == before
    assert db.session.scalars(select(LoginSession).where(LoginSession.user_id == citizen.id)).all() == []
    assert client.get("/account/").status_code in (302, 401)  # signed out
    assert client.post("/login", data={"email": citizen.email, "password": DEMO_PASSWORD}).status_code != 302
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "account.erase"))
    assert entry.new["by_owner"] is True and entry.new["opinions"] == 2


def test_the_public_no_longer_sees_the_erased_name(client, login, commenter):
    draft, citizen = commenter
    draft.shows_opinions_publicly = True
    db.session.commit()
    listing = f"/drafts/{draft.id}/provisions/art.1/opinions"
    page = client.get(listing).get_data(as_text=True)
    assert "我的意见甲" in page and "王五" in page
    login(citizen)
    client.post("/account/erase", data={"password": DEMO_PASSWORD, "confirmation": "注销"})
    page = client.get(listing).get_data(as_text=True)
    assert "我的意见甲" in page and "王五" not in page


def test_institutional_accounts_ask_an_administrator(client, login, make_user):
    operator = make_user("operator")
    login(operator)
    assert "请联系管理员办理注销" in client.get("/account/data").get_data(as_text=True)
    response = client.post("/account/erase", data={"password": DEMO_PASSWORD, "confirmation": "注销"})
    assert response.status_code == 403
    assert db.session.get(User, operator.id).erased_at is None


def test_an_administrator_exports_and_erases_on_request(client, login, make_user, commenter):
    draft, citizen = commenter
    admin, staff = make_user("admin"), make_user("staff")
    login(staff)
    assert client.get(f"/admin/users/{citizen.id}/data.json").status_code == 403
    assert client.post(f"/admin/users/{citizen.id}/erase", data={"reason": "x", "confirmation": "注销"}).status_code == 403
    client.post("/logout")
    login(admin)
    assert client.get(f"/admin/users/{admin.id}/erase").status_code == 403  # not oneself this way
    data = json.loads(client.get(f"/admin/users/{citizen.id}/data.json").get_data())
    assert len(data["opinions"]) == 2
    assert client.get(f"/admin/users/{citizen.id}/erase").status_code == 200
    response = client.post(f"/admin/users/{citizen.id}/erase", data={"reason": "", "confirmation": "注销"})
    assert response.status_code == 422
    response = client.post(f"/admin/users/{citizen.id}/erase",
                           data={"reason": "本人 2026 年 12 月 1 日来信申请", "confirmation": "注销"})
    assert response.status_code == 302
    assert db.session.get(User, citizen.id).erased_at is not None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "account.erase"))
    assert entry.actor_id == admin.id and entry.new["reason"] == "本人 2026 年 12 月 1 日来信申请"
    assert "依申请注销，个人信息已删除" in client.get(f"/admin/users/{citizen.id}").get_data(as_text=True)


def test_visitors_are_sent_to_sign_in(client):
    for path in ("/account/data", "/account/data.json"):
        assert client.get(path).status_code == 302
    assert client.get("/privacy").status_code == 200


def test_every_form_collecting_personal_information_shows_the_notice(client, login, make_user, make_draft):
    from datetime import timedelta

    from participation import clock
    from participation.services import plan_calls

    draft = make_draft(published=True)
    now = clock.now()
    call = plan_calls.create_call(plan_calls.PlanCallInput(
        title="征集", year=2030, opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=3)),
        by=None, now=now, publish=True)
    db.session.commit()
    login(make_user("citizen"))
    for path in (f"/drafts/{draft.id}/opinions/new", f"/plan-calls/{call.id}/propose"):
        page = client.get(path).get_data(as_text=True)
        assert 'class="privacy-notice"' in page and 'href="/privacy"' in page, path
