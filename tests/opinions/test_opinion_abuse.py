"""Bad input on the opinion pages: forged posts, floods, oversized bodies, script in every
text field, and personal data where it must never appear."""
from __future__ import annotations

import re

import pytest

from participation.extensions import db
from tests.opinions.conftest import XSS, XSS_ESCAPED, opinion_count, text, valid_form


class TestCsrf:
    @pytest.fixture
    def app_config(self, app_config):
        app_config["WTF_CSRF_ENABLED"] = True
        return app_config

    def test_posts_without_a_csrf_token_are_refused_and_give_the_text_back(self, client, make_user, open_draft):
        user = make_user("citizen")
        # Sign in the way a browser does, with the form's token.
        page = text(client.get("/login"))
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        client.post("/login", data={"email": user.email, "password": "correct horse battery", "csrf_token": token})
        form_page = text(client.get(f"/drafts/{open_draft.id}/opinions/new?provision=art.1"))
        submission = re.search(r'name="submission_token" type="hidden" value="([^"]+)"', form_page).group(1)
        data = valid_form(submission, "art.1", body="没有令牌的意见")

        response = client.post(f"/drafts/{open_draft.id}/opinions/new", data=data)
        assert response.status_code == 400
        assert "表单已过期" in text(response) and "没有令牌的意见" in text(response)
        data["csrf_token"] = "forged"
        assert client.post(f"/drafts/{open_draft.id}/opinions/new", data=data).status_code == 400
        assert opinion_count() == 0

        # The form that came back carries a fresh token: sending it again works.
        fresh = re.search(r'name="csrf_token" value="([^"]+)"', text(response)).group(1)
        data["csrf_token"] = fresh
        assert client.post(f"/drafts/{open_draft.id}/opinions/new", data=data).status_code == 303
        assert opinion_count() == 1

    def test_moderation_and_settings_posts_need_the_token(self, client, login, make_user, open_draft,
                                                         make_opinion):
        opinion = make_opinion(open_draft, author=make_user("citizen"), state="pending")
        staff = make_user("staff")
        page = text(client.get("/login"))
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        client.post("/login", data={"email": staff.email, "password": "correct horse battery", "csrf_token": token})
        for url, data in ((f"/staff/opinions/{opinion.id}/publish", {}),
                          (f"/staff/opinions/{opinion.id}/hide", {"reason": "广告"}),
                          (f"/staff/drafts/{open_draft.id}/edit", {"title": "x", "moderation_mode": "post"})):
            assert client.post(url, data=data).status_code == 400, url
        db.session.refresh(opinion)
        assert opinion.moderation_state == "pending"


class TestRateLimits:
    @pytest.fixture
    def app_config(self, app_config):
        app_config["RATELIMIT_ENABLED"] = True
        app_config["OPINION_RATE_LIMIT_PER_IP"] = "5 per minute"
        app_config["OPINION_RATE_LIMIT_PER_ACCOUNT"] = "3 per minute"
        app_config["RECEIPT_LOOKUP_RATE_LIMIT"] = "4 per minute"
        return app_config

    def test_opinions_are_limited_per_account_keeping_the_text(self, app, client, login, make_user, open_draft,
                                                              open_form):
        login(make_user("citizen"))
        for index in range(3):
            data = open_form(open_draft, "art.1", body=f"第{index}条意见")
            assert client.post(f"/drafts/{open_draft.id}/opinions/new", data=data).status_code == 303
        data = open_form(open_draft, "art.1", body="第四条意见，稍后再发")
        response = client.post(f"/drafts/{open_draft.id}/opinions/new", data=data)
        assert response.status_code == 429
        assert "提交过于频繁" in text(response) and "第四条意见，稍后再发" in text(response)
        assert "Retry-After" in response.headers
        assert opinion_count() == 3
        # Another account on the same address still gets through (the address limit is 5).
        other = login(make_user("citizen"), test_client=app.test_client())
        data = open_form(open_draft, "art.1", test_client=other)
        assert other.post(f"/drafts/{open_draft.id}/opinions/new", data=data).status_code == 303
        # Reading the form is not limited.
        assert client.get(f"/drafts/{open_draft.id}/opinions/new").status_code == 200

    def test_opinions_are_limited_per_address(self, app, client, open_draft, open_form):
        open_draft.allows_anonymous_opinions = True
        db.session.commit()
        for index in range(5):
            data = open_form(open_draft, body=f"匿名意见{index}")
            assert client.post(f"/drafts/{open_draft.id}/opinions/new", data=data).status_code == 303
        response = client.post(f"/drafts/{open_draft.id}/opinions/new", data=open_form(open_draft, body="第六条"))
        assert response.status_code == 429 and "第六条" in text(response)
        elsewhere = app.test_client()
        elsewhere.environ_base["REMOTE_ADDR"] = "198.51.100.9"
        data = open_form(open_draft, test_client=elsewhere)
        assert elsewhere.post(f"/drafts/{open_draft.id}/opinions/new", data=data).status_code == 303

    def test_receipt_lookups_are_limited_per_address(self, client):
        for _ in range(4):
            assert client.get("/receipt?code=AAAA-BBBB-CCCC").status_code == 404
        response = client.get("/receipt?code=AAAA-BBBB-CCCC")
        assert response.status_code == 429 and "请求过于频繁" in text(response)
        assert client.get("/receipt").status_code == 200  # the empty page is not counted


def test_an_opinion_post_larger_than_any_real_one_is_413(client, login, make_user, open_draft, open_form):
    login(make_user("citizen"))
    data = open_form(open_draft, "art.1", body="a" * 300_000)  # far under MAX_CONTENT_LENGTH (10 MB)
    response = client.post(f"/drafts/{open_draft.id}/opinions/new", data=data)
    assert response.status_code == 413 and "上传的内容太大" in text(response)
    # The largest real submission passes the size check (and gets the field messages).
    data = open_form(open_draft, "art.1", body="\U00020000" * 5000, proposed_text="\U00020000" * 5000,
                     reason="\U00020000" * 3000, submitter_name="名" * 50, region="区" * 100, contact="联" * 200)
    response = client.post(f"/drafts/{open_draft.id}/opinions/new", data=data)
    assert response.status_code == 303
    assert opinion_count() == 1


class TestBodySize:
    @pytest.fixture
    def app_config(self, app_config):
        app_config["MAX_CONTENT_LENGTH"] = 256 * 1024
        return app_config

    def test_an_oversized_body_is_413_with_a_chinese_message(self, client, login, make_user, open_draft, open_form):
        login(make_user("citizen"))
        data = open_form(open_draft, "art.1", body="大" * 200_000)  # 1.8 MB form-encoded
        response = client.post(f"/drafts/{open_draft.id}/opinions/new", data=data)
        assert response.status_code == 413
        assert "上传的内容太大" in text(response)
        assert opinion_count() == 0

    def test_a_body_under_the_request_limit_but_over_the_field_limit_gets_the_field_message(
            self, client, login, make_user, open_draft, open_form):
        login(make_user("citizen"))
        data = open_form(open_draft, "art.1", body="a" * 20_000)
        response = client.post(f"/drafts/{open_draft.id}/opinions/new", data=data)
        assert response.status_code == 422 and "不能超过 5000 个字（现有 20000 个字）" in text(response)


def test_script_in_every_field_is_inert_on_every_page(client, login, make_user, make_draft, open_form, frozen_now):
    draft = make_draft(published=True)
    draft.shows_opinions_publicly = True
    db.session.commit()
    deputy = make_user("deputy", delegation=XSS, display_name=XSS)
    login(deputy)
    fields = {"body": XSS + "正文", "proposed_text": XSS + "条文", "reason": XSS + "理由", "region": XSS[:90],
              "submitter_name": XSS[:50], "is_name_public": "y", "contact": XSS[:150]}
    response = client.post(f"/drafts/{draft.id}/opinions/new", data=open_form(draft, "art.2", **fields))
    assert response.status_code == 303
    code_page = text(client.get("/opinions/submitted"))
    code = re.search(r'id="receipt-code"[^>]*>([A-Z0-9-]+)<', code_page).group(1)
    pages = {
        "receipt page": code_page,
        "lookup": text(client.get(f"/receipt?code={code}")),
        "duty record": text(client.get("/account/duty")),
        "clause listing": text(client.get(f"/drafts/{draft.id}/provisions/art.2/opinions")),
        "draft listing": text(client.get(f"/drafts/{draft.id}/opinions")),
        "fragment": text(client.get(f"/drafts/{draft.id}/opinions?fragment=1")),
        "draft page": text(client.get(f"/drafts/{draft.id}")),
        "tally": text(client.get(f"/drafts/{draft.id}/tally")),
    }
    staff = login(make_user("staff"), test_client=client.application.test_client())
    opinion_id = re.search(r'id="o(\d+)"', pages["clause listing"]).group(1)
    pages["staff list"] = text(staff.get(f"/staff/drafts/{draft.id}/opinions"))
    pages["staff detail"] = text(staff.get(f"/staff/opinions/{opinion_id}"))
    pages["staff duty"] = text(staff.get(f"/admin/users/{deputy.id}/duty"))
    pages["staff tally"] = text(staff.get(f"/drafts/{draft.id}/tally"))
    for name, page in pages.items():
        assert "<script>alert" not in page, name
        assert "<img src=x" not in page, name
    for name in ("clause listing", "draft listing", "fragment", "staff list", "staff detail"):
        assert XSS_ESCAPED + "正文" in pages[name], name
    assert XSS_ESCAPED + "条文" in pages["staff detail"] and XSS_ESCAPED + "理由" in pages["clause listing"]


def test_contact_details_never_appear_on_public_pages(client, login, make_user, open_draft, make_opinion, app):
    open_draft.shows_opinions_publicly = True
    db.session.commit()
    secret = "contact-13912345678"
    opinion = make_opinion(open_draft, key="art.2.1", author=make_user("citizen"), contact=secret,
                           submitter_name="不公开的名字", region="南区")
    make_opinion(open_draft, key="art.2", author=make_user("citizen"), contact=secret + "-b",
                 submitter_name="公开的名字", is_name_public=True)
    public_pages = [
        f"/drafts/{open_draft.id}", f"/drafts/{open_draft.id}/opinions", f"/drafts/{open_draft.id}/opinions?fragment=1",
        f"/drafts/{open_draft.id}/provisions/art.2/opinions", f"/drafts/{open_draft.id}/tally",
        f"/receipt?code={opinion.receipt_code}",
    ]
    citizen_client = login(make_user("citizen"), test_client=app.test_client())
    for test_client in (client, citizen_client):
        for url in public_pages:
            page = text(test_client.get(url))
            assert secret not in page, url
            assert "不公开的名字" not in page, url
    listing = text(client.get(f"/drafts/{open_draft.id}/provisions/art.2/opinions"))
    assert "公开的名字" in listing and "南区" in listing
    staff = login(make_user("staff"), test_client=app.test_client())
    assert secret in text(staff.get(f"/staff/drafts/{open_draft.id}/opinions"))
    assert secret in text(staff.get(f"/staff/opinions/{opinion.id}"))
