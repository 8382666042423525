"""The administrators' 操作记录 page (filters, paging, who may read it) and the history
on an opinion's and a draft's staff pages."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from participation.extensions import db
from participation.models import Opinion
from participation.services import audit, dispositions, opinions
from participation.services.dispositions import DispositionInput
from tests.accounts.conftest import redirects_to_login


def _page(client, query="") -> str:
    response = client.get("/admin/audit" + query)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _rows(html: str) -> int:
    body = html.split("<tbody>", 1)[1] if "<tbody>" in html else ""
    return body.count("<tr>")


@pytest.mark.parametrize("role", ["citizen", "deputy", "operator", "staff"])
def test_only_admins_read_the_log(role, make_user, login, client):
    login(make_user(role))
    assert client.get("/admin/audit").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    assert redirects_to_login(client.get("/admin/audit"))


def test_the_nav_links_the_log_for_admins_only(make_user, login, client, app):
    login(make_user("staff"))
    assert "/admin/audit" not in client.get("/admin/users").get_data(as_text=True)
    admin_client = app.test_client()
    login(make_user("admin"), test_client=admin_client)
    assert 'href="/admin/audit"' in admin_client.get("/admin/users").get_data(as_text=True)


def test_filters_by_person_object_action_and_date(open_draft, make_opinion, make_user, login, client):
    admin, staff, other_staff = make_user("admin", display_name="管理员甲"), make_user("staff"), make_user("staff")
    first, second = make_opinion(open_draft), make_opinion(open_draft)
    utc = timezone.utc
    late_on_1st = datetime(2026, 3, 1, 15, 30, tzinfo=utc)    # 23:30 on 1 March in Shanghai
    early_on_2nd = datetime(2026, 3, 1, 16, 30, tzinfo=utc)   # 00:30 on 2 March in Shanghai
    opinions.hide_opinion(first, reason="广告", by=staff, now=late_on_1st)
    opinions.hide_opinion(second, reason="重复", by=other_staff, now=early_on_2nd)
    db.session.commit()
    login(admin)

    everything = _page(client)
    assert "屏蔽意见" in everything and "广告" in everything and "重复" in everything
    assert f'href="/staff/opinions/{first.id}"' in everything
    by_staff = _page(client, f"?actor={staff.id}")
    assert "广告" in by_staff and "重复" not in by_staff
    by_object = _page(client, f"?object_type=opinion&object_id={second.id}")
    assert "重复" in by_object and "广告" not in by_object
    by_action = _page(client, "?action=opinion.hide")
    assert _rows(by_action) == 2
    assert _rows(_page(client, "?action=draft.publish")) == 1  # the fixture's draft, by the command line
    on_2nd = _page(client, "?since=2026-03-02&until=2026-03-02")
    assert "重复" in on_2nd and "广告" not in on_2nd
    up_to_1st = _page(client, "?since=2026-03-01&until=2026-03-01")
    assert "广告" in up_to_1st and "重复" not in up_to_1st
    # The draft as object also finds what was done to its opinions.
    whole_draft = _page(client, f"?object_type=draft&object_id={open_draft.id}")
    assert "广告" in whole_draft and "重复" in whole_draft and "发布草案" in whole_draft
    assert "命令行（无操作人）" in _page(client, "?actor=0")


def test_paging_goes_back_in_time(make_user, login, client, frozen_now):
    admin = make_user("admin")
    for n in range(60):
        audit.record("draft.update", actor=admin, object_type="draft", object_id=None, now=frozen_now.now,
                     old={"title": f"旧{n}"}, new={"title": f"新标题{n}号"})
    db.session.commit()
    login(admin)
    first = _page(client, "?action=draft.update")
    assert "新标题59号" in first and "新标题5号" not in first
    older = re.search(r'href="(/admin/audit\?[^"]*before=\d+[^"]*)"', first).group(1).replace("&amp;", "&")
    second = _page(client, older[len("/admin/audit"):])
    assert "新标题5号" in second and "新标题59号" not in second


@pytest.mark.parametrize("query", ["?object_id=abc&object_type=opinion", "?since=2026-13-45", "?before=99999999999",
                                   "?actor=99999999999999", "?object_type=nothing&object_id=1", "?action=nothing"])
def test_bad_filters_are_not_errors(query, make_user, login, client):
    login(make_user("admin"))
    assert client.get("/admin/audit" + query).status_code == 200


def test_an_opinions_staff_page_shows_its_own_history(open_draft, make_opinion, make_user, login, client,
                                                      frozen_now):
    staff = make_user("staff", display_name="承办人乙")
    opinion, other = make_opinion(open_draft), make_opinion(open_draft)
    opinions.hide_opinion(opinion, reason="含有广告链接", by=staff, now=frozen_now.now)
    opinions.hide_opinion(other, reason="别的意见的理由", by=staff, now=frozen_now.now)
    dispositions.record_disposition(opinion, DispositionInput("adopted", "已吸收"), by=staff, now=frozen_now.now)
    frozen_now.advance(minutes=1)
    dispositions.dispose_selection(open_draft, select(Opinion.id).where(Opinion.id == other.id),
                                   DispositionInput("for_study", "留作研究"), by=staff, now=frozen_now.now,
                                   selection={"ids": [other.id]})
    db.session.commit()
    login(staff)
    html = client.get(f"/staff/opinions/{opinion.id}").get_data(as_text=True)
    history = html.split('id="history"', 1)[1]
    assert "操作记录" in html and "承办人乙" in history
    assert "屏蔽意见" in history and "含有广告链接" in history and "记录处理情况" in history
    assert "别的意见的理由" not in history and "批量记录处理情况" not in history
    # The bulk change that reached the other opinion is on that opinion's page.
    other_history = client.get(f"/staff/opinions/{other.id}").get_data(as_text=True).split('id="history"', 1)[1]
    assert "批量记录处理情况" in other_history and "共改动 1 条" in other_history


def test_a_drafts_staff_page_shows_its_history(make_draft, make_user, login, client):
    staff = make_user("staff")
    draft = make_draft(created_by=staff)
    login(staff)
    html = client.get(f"/staff/drafts/{draft.id}").get_data(as_text=True)
    assert "导入草案" in html.split('id="history"', 1)[1]


def test_account_and_point_pages_link_their_history_for_admins(make_user, login, client):
    admin, staff = make_user("admin"), make_user("staff")
    from participation.services import liaison

    point = liaison.create_liaison_point(name="链接联系点", by=admin)
    db.session.commit()
    login(admin)
    account = client.get(f"/admin/users/{staff.id}").get_data(as_text=True)
    assert f"/admin/audit?object_type=user&amp;object_id={staff.id}" in account
    assert f"/admin/audit?actor={staff.id}" in account
    html = client.get(f"/admin/liaison-points/{point.id}").get_data(as_text=True)
    assert f"/admin/audit?object_type=liaison_point&amp;object_id={point.id}" in html
    # What an admin reaches from there lists the point's creation.
    assert "创建联系点" in _page(client, f"?object_type=liaison_point&object_id={point.id}")
