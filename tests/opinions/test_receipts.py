"""Receipts: the page after the form, and the public look-up that tells where an opinion
stands and nothing personal."""
from __future__ import annotations

from participation.extensions import db
from participation.services import opinions as service
from tests.opinions.conftest import text


def test_the_receipt_page_needs_this_browsers_submission(client, login, make_user, open_draft, open_form, app):
    assert client.get("/opinions/submitted").headers["Location"] == "/receipt"
    login(make_user("citizen"))
    client.post(f"/drafts/{open_draft.id}/opinions/new", data=open_form(open_draft, "art.3.1.2"))
    response = client.get("/opinions/submitted")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "意见已提交" in text(response) and "接下来" in text(response)
    # Another browser does not see it.
    assert app.test_client().get("/opinions/submitted").status_code == 302


def test_looking_up_a_receipt_shows_its_status_and_nothing_personal(client, make_user, open_draft, make_opinion):
    opinion = make_opinion(open_draft, key="art.3.1.2", author=make_user("citizen"), stance="delete",
                           body="非常具体的意见正文", proposed_text="建议条文", reason="理由正文",
                           submitter_name="王小明", is_name_public=True, region="北区", contact="13800001111")
    response = client.get(f"/receipt?code={opinion.receipt_code}")
    assert response.status_code == 200
    page = text(response)
    assert opinion.receipt_code in page and open_draft.title in page
    assert "第三条第（二）项" in page and "删除" in page
    assert "已收到" in page and "已公开" in page and "待处理" in page
    for personal in ("非常具体的意见正文", "建议条文", "理由正文", "王小明", "北区", "13800001111"):
        assert personal not in page
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Robots-Tag"] == "noindex"


def test_codes_are_accepted_as_people_type_them(client, make_user, open_draft, make_opinion):
    opinion = make_opinion(open_draft, author=make_user("citizen"))
    raw = opinion.receipt_code.replace("-", "")
    for typed in (raw.lower(), f"  {raw[:4]} {raw[4:8]} {raw[8:]} ", opinion.receipt_code.lower(),
                  raw.replace("1", "I").replace("0", "O")):
        response = client.get("/receipt", query_string={"code": typed})
        assert response.status_code == 200, typed
        assert "总体意见" in text(response)


def test_unknown_and_malformed_codes_get_clear_messages(client, make_user, open_draft, make_opinion):
    make_opinion(open_draft, author=make_user("citizen"))
    response = client.get("/receipt?code=ZZZZ-ZZZZ-ZZZZ")
    assert response.status_code == 404 and "没有找到回执码 ZZZZ-ZZZZ-ZZZZ" in text(response)
    for bad in ("abc", "<script>alert(1)</script>", "U" * 12, "x" * 5000):
        response = client.get("/receipt", query_string={"code": bad})
        assert response.status_code == 422, bad
        assert "回执码格式不正确" in text(response)
        assert "<script>alert" not in text(response)
    page = text(client.get("/receipt"))
    assert "输入回执码" in page


def test_pending_and_hidden_opinions_show_their_state_without_their_text(client, make_user, open_draft,
                                                                         make_opinion, frozen_now):
    staff = make_user("staff")
    pending = make_opinion(open_draft, author=make_user("citizen"), state="pending", body="待审核的正文")
    hidden = make_opinion(open_draft, author=make_user("citizen"), body="被屏蔽的正文")
    service.hide_opinion(hidden, reason="含有他人电话 13900000000", by=staff, now=frozen_now.now)
    db.session.commit()
    page = text(client.get(f"/receipt?code={pending.receipt_code}"))
    assert "待审核" in page and "待审核的正文" not in page
    page = text(client.get(f"/receipt?code={hidden.receipt_code}"))
    assert "已屏蔽" in page and "仍然保留、计入统计" in page
    assert "被屏蔽的正文" not in page and "13900000000" not in page


def test_someone_elses_receipt_shows_nothing_personal_to_a_signed_in_user(client, login, make_user, open_draft,
                                                                          make_opinion):
    owner = make_user("deputy", delegation="西区代表团")
    opinion = make_opinion(open_draft, author=owner, submitter_name="代表本人", contact="owner@example.org")
    login(make_user("citizen"))
    page = text(client.get(f"/receipt?code={opinion.receipt_code}"))
    assert "已公开" in page
    for personal in ("代表本人", "owner@example.org", "西区代表团", owner.email, "一条意见"):
        assert personal not in page
