"""Staff moderation: per-draft settings, the list with its filters, approve, hide with a
reason, show again — and that nothing disappears."""
from __future__ import annotations

import re

import pytest

from participation.extensions import db
from participation.models import Opinion
from participation.views.moderation import parse_clause_filter
from tests.opinions.conftest import text


@pytest.fixture
def staff_client(login, make_user):
    return login(make_user("staff"))


def listed(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'class="card staff-opinion state-\w+" id="o(\d+)"', page)]


def test_settings_are_edited_on_the_draft_edit_page(staff_client, open_draft):
    page = text(staff_client.get(f"/staff/drafts/{open_draft.id}/edit"))
    assert "意见设置" in page and "允许不登录提交意见" in page and "先审核、后公开" in page
    response = staff_client.post(f"/staff/drafts/{open_draft.id}/edit", data={
        "title": open_draft.title, "issuing_body": "", "summary": "",
        "allows_anonymous_opinions": "y", "moderation_mode": "pre", "shows_opinions_publicly": "y",
    })
    assert response.status_code == 303
    db.session.refresh(open_draft)
    assert (open_draft.allows_anonymous_opinions, open_draft.moderation_mode, open_draft.shows_opinions_publicly) \
        == (True, "pre", True)
    report = text(staff_client.get(f"/staff/drafts/{open_draft.id}"))
    assert "先审核、后公开" in report and "允许不登录提交" in report and "公开显示意见" in report
    response = staff_client.post(f"/staff/drafts/{open_draft.id}/edit", data={
        "title": open_draft.title, "moderation_mode": "whatever"})
    assert response.status_code == 422 and "请选择审核方式" in text(response)
    db.session.refresh(open_draft)
    assert open_draft.moderation_mode == "pre"  # nothing saved from a refused form
    response = staff_client.post(f"/staff/drafts/{open_draft.id}/edit", data={
        "title": open_draft.title, "moderation_mode": "post"})  # unchecked boxes switch off
    db.session.refresh(open_draft)
    assert (open_draft.allows_anonymous_opinions, open_draft.shows_opinions_publicly) == (False, False)


def test_pre_moderation_holds_opinions_until_approved(client, login, make_user, staff_client, open_draft, open_form,
                                                      app):
    open_draft.moderation_mode = "pre"
    open_draft.shows_opinions_publicly = True
    db.session.commit()
    citizen = login(make_user("citizen"), test_client=app.test_client())
    data = open_form(open_draft, "art.1", test_client=citizen, body="等待审核的意见")
    citizen.post(f"/drafts/{open_draft.id}/opinions/new", data=data)
    assert "审核前只计入意见统计" in text(citizen.get("/opinions/submitted"))
    opinion = db.session.scalar(db.select(Opinion))
    assert opinion.moderation_state == "pending"
    assert "等待审核的意见" not in text(client.get(f"/drafts/{open_draft.id}/provisions/art.1/opinions"))
    assert "待审核" in text(client.get(f"/receipt?code={opinion.receipt_code}"))

    page = text(staff_client.get(f"/staff/drafts/{open_draft.id}/opinions?state=pending"))
    assert listed(page) == [opinion.id] and "通过并公开" in page
    response = staff_client.post(f"/staff/opinions/{opinion.id}/publish",
                                 data={"next": f"/staff/drafts/{open_draft.id}/opinions?state=pending"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/staff/drafts/{open_draft.id}/opinions?state=pending"
    db.session.refresh(opinion)
    assert opinion.moderation_state == "published" and opinion.moderated_at is not None
    assert "等待审核的意见" in text(client.get(f"/drafts/{open_draft.id}/provisions/art.1/opinions"))


def test_hiding_needs_a_reason_and_keeps_the_opinion_counted_as_hidden(client, staff_client, make_user,
                                                                        open_draft, make_opinion):
    open_draft.shows_opinions_publicly = True
    db.session.commit()
    opinion = make_opinion(open_draft, key="art.2", author=make_user("citizen"), body="要屏蔽的意见")
    response = staff_client.post(f"/staff/opinions/{opinion.id}/hide", data={"reason": "   "})
    assert response.status_code == 422 and "请填写屏蔽理由" in text(response)
    response = staff_client.post(f"/staff/opinions/{opinion.id}/hide", data={"reason": "长" * 501})
    assert response.status_code == 422 and "不能超过 500 个字" in text(response)
    db.session.refresh(opinion)
    assert opinion.moderation_state == "published"

    response = staff_client.post(f"/staff/opinions/{opinion.id}/hide",
                                 data={"reason": "含有他人个人信息", "next": "https://evil.example/"})
    assert response.status_code == 303 and response.headers["Location"] == f"/staff/opinions/{opinion.id}"
    db.session.refresh(opinion)
    assert opinion.moderation_state == "hidden" and opinion.hidden_reason == "含有他人个人信息"
    assert "要屏蔽的意见" not in text(client.get(f"/drafts/{open_draft.id}/provisions/art.2/opinions"))

    # Still listed for staff, with its reason, and counted as hidden.
    page = text(staff_client.get(f"/staff/drafts/{open_draft.id}/opinions"))
    assert listed(page) == [opinion.id] and "屏蔽理由：含有他人个人信息" in page
    assert re.search(r'data-state-count="hidden"[^>]*>已屏蔽 1<', page)
    detail = text(staff_client.get(f"/staff/opinions/{opinion.id}"))
    assert "含有他人个人信息" in detail and "取消屏蔽" in detail
    tally = text(staff_client.get(f"/drafts/{open_draft.id}/tally"))
    assert re.search(r'data-stat="hidden"><span class="value">1<', tally)

    # Shown again.
    assert staff_client.post(f"/staff/opinions/{opinion.id}/publish").status_code == 303
    db.session.refresh(opinion)
    assert opinion.moderation_state == "published" and opinion.hidden_reason == ""
    assert "要屏蔽的意见" in text(client.get(f"/drafts/{open_draft.id}/provisions/art.2/opinions"))


def test_the_staff_list_filters(staff_client, make_user, open_draft, make_opinion, frozen_now):
    citizen, deputy = make_user("citizen"), make_user("deputy")
    a = make_opinion(open_draft, key="art.3", author=citizen, stance="support", body="关于规划的意见")
    b = make_opinion(open_draft, key="art.3.1.2", author=deputy, stance="oppose", body="组织实施的意见")
    c = make_opinion(open_draft, key="art.2.2", author=citizen, stance="oppose", state="hidden", body="第二条的意见")
    d = make_opinion(open_draft, author=citizen, stance="other", state="pending", body="总体上的意见 100%_",
                     contact="phone-777")
    url = f"/staff/drafts/{open_draft.id}/opinions"

    def ids(**args):
        return listed(text(staff_client.get(url, query_string=args)))

    assert ids() == [d.id, c.id, b.id, a.id]
    assert ids(state="hidden") == [c.id]
    assert ids(state="pending") == [d.id]
    assert ids(stance="oppose") == [c.id, b.id]
    assert ids(category="deputy") == [b.id]
    assert ids(clause="art.3") == [b.id, a.id]
    assert ids(clause="第三条") == [b.id, a.id]
    assert ids(clause="3") == [b.id, a.id]
    assert ids(clause="第三条第（二）项") == [b.id]
    assert ids(clause="第二条第二款") == [c.id]
    assert ids(clause="总体") == [d.id]
    assert ids(q="实施") == [b.id]
    assert ids(q="100%_") == [d.id]  # LIKE wildcards are literal
    assert ids(q="%") == [d.id]
    assert ids(q="phone-777") == [d.id]  # staff find by contact
    assert ids(stance="oppose", category="citizen") == [c.id]
    assert ids(state="nonsense", stance="<script>") == [d.id, c.id, b.id, a.id]  # unknown values filter nothing
    assert "全部 4" in text(staff_client.get(url))


def test_the_staff_list_is_paginated_and_keeps_filters(staff_client, make_user, open_draft, make_opinion):
    author = make_user("citizen")
    for index in range(35):
        make_opinion(open_draft, key="art.1", author=author, stance="support", body=f"意见{index}")
    page = text(staff_client.get(f"/staff/drafts/{open_draft.id}/opinions?stance=support"))
    assert len(listed(page)) == 30 and "第 1 / 2 页" in page
    assert "page=2" in page and "stance=support" in page
    page = text(staff_client.get(f"/staff/drafts/{open_draft.id}/opinions?stance=support&page=2"))
    assert len(listed(page)) == 5
    assert staff_client.get(f"/staff/drafts/{open_draft.id}/opinions?page=99999999999").status_code == 200


def test_the_staff_detail_shows_everything(staff_client, make_user, open_draft, make_opinion):
    deputy = make_user("deputy", delegation="南区代表团")
    opinion = make_opinion(open_draft, key="art.2.2", author=deputy, body="正文", proposed_text="条文",
                           reason="理由", submitter_name="赵代表", region="南区", contact="zhao@example.org")
    page = text(staff_client.get(f"/staff/opinions/{opinion.id}"))
    for shown in ("第二条第二款", "正文", "条文", "理由", "赵代表", "南区", "zhao@example.org", "南区代表团",
                  opinion.receipt_code, "仅工作人员可见", f"/admin/users/{deputy.id}/duty"):
        assert shown in page, shown
    assert staff_client.get("/staff/opinions/99999999999").status_code == 404
    assert staff_client.get("/staff/opinions/424242").status_code == 404


def test_batch_opinions_are_not_called_anonymous(staff_client, open_draft, make_opinion):
    """A liaison point's row has no author account, but it was not "submitted without
    signing in": staff see it came from a point's batch."""
    anonymous = make_opinion(open_draft, body="匿名的意见")
    from_batch = make_opinion(open_draft, body="联系点的意见")
    from_batch.channel = "batch"
    db.session.commit()
    page = text(staff_client.get(f"/staff/drafts/{open_draft.id}/opinions"))
    rows = dict(re.findall(r'id="o(\d+)">(.*?)</li>\s*(?=<li class="card|</ol>)', page, re.S))
    assert "未登录提交" in rows[str(anonymous.id)] and "联系点汇总" not in rows[str(anonymous.id)]
    assert "未登录提交" not in rows[str(from_batch.id)] and "联系点汇总" in rows[str(from_batch.id)]
    detail = text(staff_client.get(f"/staff/opinions/{from_batch.id}"))
    assert "未登录提交" not in detail and "联系点汇总" in detail
    assert "未登录提交" in text(staff_client.get(f"/staff/opinions/{anonymous.id}"))


def test_staff_pages_link_to_opinions_and_tally(staff_client, make_user, open_draft, make_opinion):
    make_opinion(open_draft, author=make_user("citizen"), state="pending")
    listing = text(staff_client.get("/staff/drafts"))
    assert f"/staff/drafts/{open_draft.id}/opinions" in listing and f"/drafts/{open_draft.id}/tally" in listing
    assert "1 待审核" in listing
    report = text(staff_client.get(f"/staff/drafts/{open_draft.id}"))
    assert f"/staff/drafts/{open_draft.id}/opinions?state=pending" in report and "待审核 1" in report


@pytest.mark.parametrize("typed, key", [
    ("", ""), ("art.12.2", "art.12.2"), ("12", "art.12"), ("第十二条", "art.12"), ("第 十二 条", "art.12"),
    ("第十条之一", "art.10-1"), ("第十二条第二款", "art.12.2"), ("第十二条第二款第（三）项", "art.12.2.3"),
    ("第十二条第（三）项", "art.12.1.3"), ("第一千二百六十条", "art.1260"), ("总体意见", "general"),
    ("附则", "附则"),
])
def test_clause_filters_are_read_as_people_write_them(typed, key):
    assert parse_clause_filter(typed) == key
