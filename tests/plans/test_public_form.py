"""The proposal form (立法项目建议): a submission stores one proposal and gives its
receipt; a double post stores one; bad input answers with Chinese field errors and
stores nothing; the form follows the call and the account (anonymous, deputies)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import Proposal, ProposalAttachment
from tests.plans.public_helpers import PDF_BYTES, PNG_BYTES, form_data, with_files

MULTIPART = "multipart/form-data"


def _count(model=Proposal) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def citizen_client(client, login, make_user):
    login(make_user("citizen"))
    return client


def test_form_page_for_a_citizen(citizen_client, make_call):
    call = make_call()
    page = _text(citizen_client.get(f"/plan-calls/{call.id}/propose"))
    for label in ("项目名称", "立法的必要性和可行性", "需要解决的主要问题", "拟规定的主要制度和措施", "重点领域",
                  "法规草案建议稿", "提出人类别", "单位", "所在地区", "联系方式", "仅工作人员可见", "公开我的姓名"):
        assert label in page, label
    assert '<option value="城市管理">城市管理</option>' in page and 'enctype="multipart/form-data"' in page
    assert 'name="submission_token"' in page and "议案或建议编号" not in page
    assert 'name="csrf_token"' in page


def test_free_text_area_when_the_call_names_none(citizen_client, make_call):
    call = make_call(areas=())
    page = _text(citizen_client.get(f"/plan-calls/{call.id}/propose"))
    assert '<input type="text" id="area" name="area"' in page and "<select" not in page


def test_submission_stores_one_proposal_and_shows_the_receipt(citizen_client, make_call):
    call = make_call()
    response = citizen_client.post(f"/plan-calls/{call.id}/propose", content_type=MULTIPART,
                                   data=with_files(form_data(), ("建议稿.pdf", PDF_BYTES)))
    assert response.status_code == 303 and response.headers["Location"].endswith("/proposals/submitted")
    proposal = db.session.scalar(select(Proposal))
    assert proposal.title == "某市养犬管理条例" and proposal.category == "citizen" and proposal.area == "城市管理"
    assert proposal.contact == "13800001234" and proposal.is_name_public and proposal.channel == "web"
    assert _count(ProposalAttachment) == 1
    page = _text(citizen_client.get("/proposals/submitted"))
    assert "回执编号" in page and proposal.receipt_code in page and f"/receipt?code={proposal.receipt_code}" in page
    # The same form posted again (a double click): one proposal, the same receipt.
    again = citizen_client.post(f"/plan-calls/{call.id}/propose", content_type=MULTIPART,
                                data=with_files(form_data(), ("建议稿.pdf", PDF_BYTES)))
    assert again.status_code == 303 and _count() == 1 and _count(ProposalAttachment) == 1
    assert "没有重复保存" in _text(citizen_client.get("/proposals/submitted"))


def test_each_form_gets_its_own_token(citizen_client, make_call):
    import re

    call = make_call()
    tokens = {re.search(r'name="submission_token" type="hidden" value="([^"]+)"',
                        _text(citizen_client.get(f"/plan-calls/{call.id}/propose"))).group(1) for _ in range(2)}
    assert len(tokens) == 2


@pytest.mark.parametrize("overrides,field_message", [
    ({"title": "", "necessity": ""}, "请填写项目名称。"),
    ({"necessity": "  "}, "请填写立法的必要性和可行性。"),
    ({"area": "外太空"}, "请从本次征集的重点领域中选择"),
    ({"category": "organisation"}, "单位、政府部门提出建议时请填写单位名称。"),
    ({"category": "deputy"}, "请选择提出人类别。"),
    ({"title": "条" * 101}, "不能超过 100 个字"),
    ({"submitter_name": "", "is_name_public": "y"}, "选择公开姓名时请填写姓名或单位。"),
])
def test_bad_fields_are_refused_with_chinese_messages(citizen_client, make_call, overrides, field_message):
    call = make_call()
    response = citizen_client.post(f"/plan-calls/{call.id}/propose", content_type=MULTIPART,
                                   data=form_data(**overrides))
    page = _text(response)
    # The message sits by its field (aria-invalid, described by it) and in the alerting summary.
    assert response.status_code == 422 and field_message in page and 'class="error"' in page
    assert 'aria-invalid="true"' in page and 'class="error-summary" role="alert"' in page
    assert "请修改标出的内容后再提交" in page and _count() == 0
    # What was typed comes back.
    assert "犬只伤人、噪声扰民、粪便污染。" in page


@pytest.mark.parametrize("name,content,message", [
    ("建议稿.pdf", PNG_BYTES, "不是 Word（.docx）、PDF 或纯文本文件"),
    ("建议稿.docx", b"PK\x03\x04 not really a zip", "不是 Word（.docx）、PDF 或纯文本文件"),
    ("../../etc/passwd.txt", "文本".encode(), "不能包含路径或特殊字符"),
    ("C:\\Users\\a\\建议稿.txt", "文本".encode(), "不能包含路径或特殊字符"),
    ("空文件.txt", b"", "是空文件"),
])
def test_bad_attachments_are_refused_and_nothing_is_stored(citizen_client, make_call, app, name, content, message):
    call = make_call()
    response = citizen_client.post(f"/plan-calls/{call.id}/propose", content_type=MULTIPART,
                                   data=with_files(form_data(), (name, content)))
    page = _text(response)
    assert response.status_code == 422 and message in page, page[-3000:]
    assert _count() == 0 and _count(ProposalAttachment) == 0
    folder = app.instance_path + "/uploads/proposals"
    import os

    assert not os.path.isdir(folder) or not os.listdir(folder)


def test_too_many_attachments(citizen_client, make_call):
    call = make_call()
    files = [(f"稿{n}.txt", f"文本{n}".encode()) for n in range(4)]
    response = citizen_client.post(f"/plan-calls/{call.id}/propose", content_type=MULTIPART,
                                   data=with_files(form_data(), *files))
    assert response.status_code == 422 and "最多附 3 个文件" in _text(response) and _count() == 0


def test_an_attachment_over_its_limit_is_a_field_error(citizen_client, make_call, app):
    app.config["PROPOSAL_ATTACHMENT_MAX_BYTES"] = 1000
    call = make_call()
    response = citizen_client.post(f"/plan-calls/{call.id}/propose", content_type=MULTIPART,
                                   data=with_files(form_data(), ("大文件.txt", "字".encode() * 1000)))
    assert response.status_code == 422 and "附件“大文件.txt”超过" in _text(response)
    assert _count() == 0


def test_a_body_over_the_request_limit_answers_with_a_clear_page(citizen_client, make_call, app):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    call = make_call()
    response = citizen_client.post(f"/plan-calls/{call.id}/propose", content_type=MULTIPART,
                                   data=with_files(form_data(), ("大文件.txt", b"a" * 100 * 1024)))
    page = _text(response)
    assert response.status_code == 413 and "建议尚未保存" in page and "每个附件不超过" in page
    assert 'name="title"' in page and _count() == 0


def test_visitors_sign_in_unless_the_call_allows_anonymous_proposals(client, make_call):
    call = make_call()
    response = client.get(f"/plan-calls/{call.id}/propose")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = client.post(f"/plan-calls/{call.id}/propose", content_type=MULTIPART, data=form_data())
    assert response.status_code == 403 and "该征集需要登录后才能提出建议" in _text(response) and _count() == 0
    assert "犬只伤人、噪声扰民、粪便污染。" in _text(response)
    open_call = make_call(title="允许匿名的征集", anonymous=True)
    assert client.get(f"/plan-calls/{open_call.id}/propose").status_code == 200
    response = client.post(f"/plan-calls/{open_call.id}/propose", content_type=MULTIPART, data=form_data())
    assert response.status_code == 303 and db.session.scalar(select(Proposal)).author_id is None


def test_closed_and_scheduled_calls_refuse(citizen_client, make_call, frozen_now):
    from datetime import timedelta

    scheduled = make_call(opens_in=timedelta(days=2))
    assert "征集尚未开始" in _text(citizen_client.get(f"/plan-calls/{scheduled.id}/propose"))
    response = citizen_client.post(f"/plan-calls/{scheduled.id}/propose", content_type=MULTIPART, data=form_data())
    assert response.status_code == 409 and "该征集尚未开始" in _text(response) and _count() == 0
    call = make_call()
    frozen_now.advance(days=31)
    response = citizen_client.post(f"/plan-calls/{call.id}/propose", content_type=MULTIPART, data=form_data())
    assert response.status_code == 409 and "该征集已经截止" in _text(response) and _count() == 0


def test_deputies_have_a_fixed_category_and_a_motion_number(client, login, make_user, make_call):
    call = make_call()
    login(make_user("deputy"))
    page = _text(client.get(f"/plan-calls/{call.id}/propose"))
    assert "所依据的议案或建议编号" in page and "人大代表" in page and 'name="category"' not in page
    response = client.post(f"/plan-calls/{call.id}/propose", content_type=MULTIPART,
                           data=form_data(category="citizen", motion_number="第12号建议"))
    assert response.status_code == 303
    proposal = db.session.scalar(select(Proposal))
    assert proposal.category == "deputy" and proposal.motion_number == "第12号建议"


def test_a_citizen_posting_a_motion_number_has_it_ignored(citizen_client, make_call):
    call = make_call()
    response = citizen_client.post(f"/plan-calls/{call.id}/propose", content_type=MULTIPART,
                                   data=form_data(motion_number="第1号"))
    assert response.status_code == 303 and db.session.scalar(select(Proposal)).motion_number == ""


def test_operators_propose_as_their_liaison_point(client, login, make_user, make_call):
    call = make_call()
    login(make_user("operator"))
    assert "基层立法联系点" in _text(client.get(f"/plan-calls/{call.id}/propose"))
    assert client.post(f"/plan-calls/{call.id}/propose", content_type=MULTIPART, data=form_data()).status_code == 303
    assert db.session.scalar(select(Proposal)).category == "liaison_point"


def test_honeypot_stores_nothing(citizen_client, make_call):
    call = make_call()
    response = citizen_client.post(f"/plan-calls/{call.id}/propose", content_type=MULTIPART,
                                   data=form_data(leave_this_blank="http://spam.example"))
    assert response.status_code == 200 and _count() == 0


class TestCsrf:
    @pytest.fixture
    def app_config(self, app_config):
        app_config["WTF_CSRF_ENABLED"] = True
        return app_config

    def test_an_expired_form_gives_its_text_back_and_stores_nothing(self, app, make_user, make_call):
        call = make_call(anonymous=True)
        client = app.test_client()
        response = client.post(f"/plan-calls/{call.id}/propose", content_type=MULTIPART,
                               data=form_data(csrf_token="forged"))
        page = _text(response)
        assert response.status_code == 400 and "表单已过期或来源无法验证，建议尚未保存" in page
        assert "犬只伤人、噪声扰民、粪便污染。" in page and _count() == 0

    def test_a_fresh_form_is_accepted(self, app, make_call):
        call = make_call(anonymous=True)
        client = app.test_client()
        page = _text(client.get(f"/plan-calls/{call.id}/propose"))
        token = page.split('name="csrf_token" value="')[1].split('"')[0]
        response = client.post(f"/plan-calls/{call.id}/propose", content_type=MULTIPART,
                               data=form_data(csrf_token=token))
        assert response.status_code == 303 and _count() == 1


class TestRateLimit:
    @pytest.fixture
    def app_config(self, app_config):
        app_config["RATELIMIT_ENABLED"] = True
        app_config["OPINION_RATE_LIMIT_PER_ACCOUNT"] = "2 per minute"
        return app_config

    def test_posts_over_the_limit_get_the_form_back_with_their_text(self, citizen_client, make_call):
        call = make_call()
        for index in range(2):
            response = citizen_client.post(f"/plan-calls/{call.id}/propose", content_type=MULTIPART,
                                           data=form_data(submission_token=f"{index}" * 32))
            assert response.status_code == 303
        response = citizen_client.post(f"/plan-calls/{call.id}/propose", content_type=MULTIPART,
                                       data=form_data(submission_token="x" * 32, title="稍后再发的建议"))
        page = _text(response)
        assert response.status_code == 429 and "提交过于频繁，建议尚未保存" in page and "稍后再发的建议" in page
        assert _count() == 2
