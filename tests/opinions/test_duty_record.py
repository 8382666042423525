"""履职记录: a deputy's opinions, for the deputy and for staff."""
from __future__ import annotations

import re

from participation.extensions import db
from tests.opinions.conftest import text


def rows(page: str) -> int:
    return len(re.findall(r"<tr>\s*<td class=\"nowrap small\">", page))


def test_a_deputy_sees_their_own_opinions_with_their_delegation(client, login, make_user, make_draft, open_draft,
                                                               make_opinion):
    deputy = make_user("deputy", delegation="北区代表团", display_name="李代表")
    other = make_draft(title="另一部草案", published=True)
    make_opinion(open_draft, key="art.3.1.2", author=deputy, stance="oppose", body="代表的意见")
    make_opinion(other, author=deputy, state="hidden", body="被屏蔽的代表意见")
    make_opinion(open_draft, key="art.1", author=make_user("deputy"), body="别的代表的意见")
    login(deputy)
    response = client.get("/account/duty")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = text(response)
    assert rows(page) == 2
    assert "代表的意见" in page and "被屏蔽的代表意见" in page and "别的代表的意见" not in page
    assert "第三条第（二）项" in page and "总体意见" in page and "另一部草案" in page
    assert "北区代表团" in page and "2 条，涉及 2 部草案" in page
    assert "已屏蔽" in page and "已公开" in page and "待处理" in page


def test_staff_see_a_deputys_record_from_the_admin_pages(client, login, make_user, open_draft, make_opinion):
    deputy = make_user("deputy", delegation="北区代表团")
    make_opinion(open_draft, author=deputy, body="代表的意见")
    login(make_user("staff"))
    page = text(client.get(f"/admin/users/{deputy.id}/duty"))
    assert "代表的意见" in page and deputy.email in page
    assert client.get(f"/admin/users/{make_user('citizen').id}/duty").status_code == 404
    assert client.get("/admin/users/99999999999/duty").status_code == 404


def test_others_cannot_see_a_record(client, login, make_user, app):
    deputy = make_user("deputy")
    assert client.get("/account/duty").status_code == 302  # sign in first
    citizen = login(make_user("citizen"))
    assert citizen.get("/account/duty").status_code == 403
    assert citizen.get(f"/admin/users/{deputy.id}/duty").status_code == 403
    other_deputy = login(make_user("deputy"), test_client=app.test_client())
    assert other_deputy.get(f"/admin/users/{deputy.id}/duty").status_code == 403


def test_the_record_is_paginated(client, login, make_user, open_draft, make_opinion):
    deputy = make_user("deputy")
    for index in range(33):
        make_opinion(open_draft, author=deputy, body=f"意见{index}")
    login(deputy)
    first = text(client.get("/account/duty"))
    assert rows(first) == 30 and "第 1 / 2 页" in first
    assert rows(text(client.get("/account/duty?page=2"))) == 3
    assert rows(text(client.get("/account/duty?page=99999999999"))) == 0


def test_an_empty_record(client, login, make_user):
    login(make_user("deputy"))
    page = text(client.get("/account/duty"))
    assert "还没有提出过意见" in page
    db.session.rollback()
