"""Public reading pages: home, the list of drafts, the draft page with a fragment for
every provision, pages by division for large drafts, and escaping."""
from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest

from participation import queries
from participation.demo import DEMO_DATA
from participation.extensions import db
from participation.services import drafts as draft_service
from tests.conftest import SAMPLE_DRAFT


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id":
                self.ids.append(value)


def html_ids(html: str) -> list[str]:
    parser = _Ids()
    parser.feed(html)
    return parser.ids


def provision_keys(draft) -> list[str]:
    return [row.key for row in queries.provision_rows(draft.current_version.id)]


# -- home and list ------------------------------------------------------------------------

def test_home_lists_open_upcoming_and_recently_closed_drafts(client, make_draft, frozen_now):
    open_draft = make_draft(title="养老服务条例草案", published=True, days=10)
    upcoming = make_draft(title="下周开始的草案", published=True, opens_in=timedelta(days=7))
    closed = make_draft(title="已经截止的草案", published=True, now=frozen_now.now - timedelta(days=40), days=30)
    hidden = make_draft(title="未发布的草案")
    html = client.get("/").get_data(as_text=True)
    opened_at = html.index("正在征求意见</h2>")
    upcoming_at = html.index("即将征求意见</h2>")
    closed_at = html.index("近期已截止</h2>")
    assert opened_at < html.index(open_draft.title) < upcoming_at
    assert upcoming_at < html.index(upcoming.title) < closed_at
    assert closed_at < html.index(closed.title)
    assert hidden.title not in html
    assert "还剩 10 天" in html
    assert "如何" in html or "提出意见" in html  # the introduction to taking part


def test_home_without_drafts(client):
    html = client.get("/").get_data(as_text=True)
    assert "目前没有正在征求意见的法规草案" in html


def test_days_left_counts_the_last_partial_day(client, make_draft, frozen_now):
    make_draft(title="快截止的草案", published=True, days=3)
    frozen_now.advance(days=1, hours=1)  # 1 day 23 hours left
    assert "还剩 2 天" in client.get("/").get_data(as_text=True)
    frozen_now.advance(days=1, hours=20, minutes=30)  # 2.5 hours left
    assert "还剩不到 3 小时" in client.get("/").get_data(as_text=True)
    frozen_now.advance(hours=2, minutes=30)
    html = client.get("/").get_data(as_text=True)
    assert "目前没有正在征求意见的法规草案" in html and "快截止的草案" in html


def test_drafts_list_shows_published_drafts_only_and_filters(client, make_draft, frozen_now):
    open_draft = make_draft(title="公开草案甲", published=True)
    closed = make_draft(title="公开草案乙", published=True, now=frozen_now.now - timedelta(days=40))
    hidden = make_draft(title="内部草案丙")
    html = client.get("/drafts").get_data(as_text=True)
    assert open_draft.title in html and closed.title in html and hidden.title not in html
    html = client.get("/drafts?status=closed").get_data(as_text=True)
    assert closed.title in html and open_draft.title not in html
    # 'draft' is not a public filter: it falls back to all published drafts.
    html = client.get("/drafts?status=draft").get_data(as_text=True)
    assert hidden.title not in html and open_draft.title in html


def test_drafts_list_is_paginated(client, make_draft):
    for n in range(21):
        make_draft(title=f"分页公开草案{n:02d}", published=True)
    assert client.get("/drafts").get_data(as_text=True).count("分页公开草案") == 20
    assert client.get("/drafts?page=2").get_data(as_text=True).count("分页公开草案") == 1
    assert client.get("/drafts?page=-3").status_code == 200


# -- the draft page ------------------------------------------------------------------------

def test_draft_page_shows_facts_toc_and_every_provision_with_its_key(client, make_draft, frozen_now):
    draft = make_draft(published=True, days=30)
    draft_service.update_draft_details(draft, title=draft.title, issuing_body="市人大常委会法工委",
                                       summary="草案说明的第一段。")
    db.session.commit()
    response = client.get(f"/drafts/{draft.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "征求意见中" in html and "市人大常委会法工委" in html and "草案说明的第一段。" in html
    assert "还剩 30 天" in html
    # The comment period in local time (Asia/Shanghai).
    local = (draft.opens_at + timedelta(hours=8)).strftime("%H:%M")
    assert local in html
    ids = html_ids(html)
    keys = provision_keys(draft)
    assert set(keys) <= set(ids)
    assert len(ids) == len(set(ids)), "ids must be unique"
    # The table of contents links chapters; paragraphs and items have anchor links.
    assert 'href="#ch.2"' in html
    assert 'href="#art.3.1.2"' in html and 'href="#art.2.2"' in html
    # An item shows its number as in the text.
    assert re.search(r'id="art.3.1.2"><span class="marker">（二）</span>组织实施；', html)


def test_demo_draft_has_every_kind_of_provision_addressable(client, make_draft):
    text = (DEMO_DATA / "eldercare.md").read_text(encoding="utf-8")
    draft = make_draft(text, title="某市社区居家养老服务条例（草案征求意见稿）", published=True)
    html = client.get(f"/drafts/{draft.id}").get_data(as_text=True)
    ids = set(html_ids(html))
    keys = provision_keys(draft)
    assert set(keys) <= ids
    for key in ("ch.3.sec.2", "art.11.1.4.2", "annex.1", "annex.1.1.3", "art.27.1"):
        assert key in keys
    assert re.search(r'id="art.11.1.4.2"><span class="marker">2\.</span>', html)
    assert "第十一条第（一）项规定的助餐服务" in html  # a citation stays in its sentence


def test_unpublished_drafts_are_404_for_the_public_and_visible_to_staff(client, login, make_user, make_draft):
    draft = make_draft(title="尚未发布的草案")
    assert client.get(f"/drafts/{draft.id}").status_code == 404
    assert client.get(f"/drafts/{draft.id}/provisions/art.1").status_code == 404
    citizen = login(make_user("citizen"), test_client=client.application.test_client())
    assert citizen.get(f"/drafts/{draft.id}").status_code == 404
    deputy = login(make_user("deputy"), test_client=client.application.test_client())
    assert deputy.get(f"/drafts/{draft.id}").status_code == 404
    staff = login(make_user("staff"), test_client=client.application.test_client())
    response = staff.get(f"/drafts/{draft.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "此草案尚未发布" in html and draft.title in html


def test_unknown_drafts_and_provisions_are_404(client, make_draft):
    draft = make_draft(published=True)
    assert client.get("/drafts/12345").status_code == 404
    assert client.get(f"/drafts/{draft.id}/provisions/art.99").status_code == 404
    assert client.get(f"/drafts/{draft.id}/part/nope").status_code == 404


def test_provision_links_of_a_small_draft_go_to_its_one_page(client, make_draft):
    draft = make_draft(published=True)
    response = client.get(f"/drafts/{draft.id}/provisions/art.3.1.2")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/drafts/{draft.id}#art.3.1.2"
    response = client.get(f"/drafts/{draft.id}/part/ch.2")
    assert response.headers["Location"] == f"/drafts/{draft.id}#ch.2"


def test_status_on_the_page_follows_the_server_clock(client, make_draft, frozen_now):
    draft = make_draft(published=True, opens_in=timedelta(days=1), days=10)
    assert "即将征求意见" in client.get(f"/drafts/{draft.id}").get_data(as_text=True)
    frozen_now.advance(days=1)
    assert "征求意见中" in client.get(f"/drafts/{draft.id}").get_data(as_text=True)
    frozen_now.set(draft.closes_at)
    html = client.get(f"/drafts/{draft.id}").get_data(as_text=True)
    assert "已截止" in html and "还剩" not in html


def test_titles_summaries_and_text_are_escaped(client, make_draft, staff_client):
    evil = "<script>alert(1)</script>"
    text = SAMPLE_DRAFT.replace("为了规范示例管理", f"为了{evil}规范") \
                       .replace("## 第二章 管理", f"## 第二章 管理{evil}")
    draft = make_draft(text, title=f"标题{evil}", published=True)
    draft_service.update_draft_details(draft, title=f"标题{evil}", issuing_body=f"单位{evil}", summary=f"说明{evil}")
    db.session.commit()
    pages = [client.get(f"/drafts/{draft.id}"), client.get("/"), client.get("/drafts"),
             staff_client.get(f"/staff/drafts/{draft.id}"), staff_client.get("/staff/drafts")]
    for response in pages:
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# -- large drafts ---------------------------------------------------------------------------

def _large_text(chapters: int, per_chapter: int) -> str:
    from participation.parsing import int_to_chinese

    lines = ["# 某市大型条例（草案）", ""]
    number = 0
    for chapter in range(1, chapters + 1):
        lines += [f"## 第{int_to_chinese(chapter)}章 第{chapter}部分", ""]
        for _ in range(per_chapter):
            number += 1
            lines += [f"第{int_to_chinese(number)}条 这是第{number}条的内容。", ""]
    return "\n".join(lines)


def test_a_large_draft_is_read_one_chapter_at_a_time(client, make_draft):
    draft = make_draft(_large_text(chapters=5, per_chapter=50), published=True)
    first = client.get(f"/drafts/{draft.id}").get_data(as_text=True)
    assert 'id="art.50"' in first and 'id="art.51"' not in first
    assert f'href="/drafts/{draft.id}/part/ch.2"' in first  # next page, and the TOC
    page = client.get(f"/drafts/{draft.id}/part/ch.3").get_data(as_text=True)
    assert 'id="art.101"' in page and 'id="art.150"' in page and 'id="art.151"' not in page
    assert f'href="/drafts/{draft.id}/part/ch.2"' in page and f'href="/drafts/{draft.id}/part/ch.4"' in page
    assert "第 3 / 5 部分" in page
    response = client.get(f"/drafts/{draft.id}/provisions/art.120.1")
    assert response.headers["Location"] == f"/drafts/{draft.id}/part/ch.3#art.120.1"


def test_loose_articles_of_a_large_draft_are_paged_in_runs(client, make_draft):
    from participation.parsing import int_to_chinese

    text = "# 没有章的大型条例\n\n" + "\n\n".join(f"第{int_to_chinese(n)}条 内容{n}。" for n in range(1, 251))
    draft = make_draft(text, published=True)
    outline = queries.draft_outline(draft.current_version.id)
    assert [page.key for page in outline.pages] == ["art.1", "art.101", "art.201"]
    assert outline.pages[0].label == "第一条至第一百条"
    response = client.get(f"/drafts/{draft.id}/provisions/art.150")
    assert response.headers["Location"] == f"/drafts/{draft.id}/part/art.101#art.150"


@pytest.mark.slow
def test_the_civil_code_pages_stay_small_and_provisions_redirect(client, make_draft, civil_code_text):
    draft = make_draft(civil_code_text, title="中华人民共和国民法典", published=True)
    outline = queries.draft_outline(draft.current_version.id)
    assert outline.is_paged
    keys = provision_keys(draft)
    seen: list[str] = []
    for page in outline.pages:
        response = client.get(f"/drafts/{draft.id}/part/{page.key}")
        assert response.status_code == 200
        assert len(response.data) < 300_000, (page.key, len(response.data))
        seen += [i for i in html_ids(response.get_data(as_text=True)) if not i.startswith("h-")]
    # Every provision is on exactly one page.
    provision_ids = [i for i in seen if i in set(keys)]
    assert sorted(provision_ids) == sorted(keys)
    assert len(client.get(f"/drafts/{draft.id}").data) < 300_000

    response = client.get(f"/drafts/{draft.id}/provisions/art.1000")
    location = response.headers["Location"]
    assert response.status_code == 302 and location == f"/drafts/{draft.id}/part/part.4#art.1000"
    html = client.get(location.split("#")[0]).get_data(as_text=True)
    assert 'id="art.1000"' in html and "第四编" in html
    # The book of contracts (526 articles) is split by its sub-parts and chapters.
    response = client.get(f"/drafts/{draft.id}/provisions/art.700")
    assert "/part/part.3." in response.headers["Location"]


def test_out_of_range_ids_and_pages_are_not_server_errors(client, staff_client, make_draft):
    make_draft(published=True)
    assert client.get("/drafts/99999999999999").status_code == 404
    assert client.get("/drafts/99999999999999/provisions/art.1").status_code == 404
    assert staff_client.get("/staff/drafts/99999999999999").status_code == 404
    assert client.get("/drafts?page=999999999999999999999").status_code == 200
    assert staff_client.get("/staff/drafts?page=999999999999999999999").status_code == 200
