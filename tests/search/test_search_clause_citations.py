"""The clause filter takes what people write (第三条, 第3条, 三条, 第三条第一款第（二）项)
through the one citation parser, on the page and in the API; an unknown clause gets a
Chinese message and the other filters still apply."""
from __future__ import annotations

import pytest

from tests.search.conftest import hit_ids


@pytest.fixture
def opinions(public_draft, make_opinion, drain):
    on_item = make_opinion(public_draft, "补贴标准应当提高。", key="art.3.1.2")
    on_other = make_opinion(public_draft, "补贴范围应当扩大。", key="art.2")
    drain()
    return on_item, on_other


@pytest.mark.parametrize("written", ["第三条", "第3条", "三条", "art.3", "第三条第（二）项"])
def test_written_citations_filter_like_keys(search_api, public_draft, opinions, written):
    on_item, _other = opinions
    body = search_api(q="补贴", clause=written, draft=public_draft.id)
    assert hit_ids(body) == [on_item.id]


def test_the_page_filters_by_a_citation_and_shows_it_as_written(client, public_draft, opinions):
    on_item, on_other = opinions
    page = client.get("/search", query_string={"q": "补贴", "clause": "第三条"}).get_data(as_text=True)
    assert "标准应当提高" in page and "范围应当扩大" not in page
    assert 'value="第三条"' in page and "应为条文键" not in page


def test_an_unknown_clause_is_named_and_the_other_filters_stay(client, search_api, public_draft, opinions):
    response = client.get("/api/v1/search", query_string={"q": "补贴", "clause": "第九十九条", "draft": public_draft.id})
    assert response.status_code == 422 and "第九十九条" in response.get_json()["fields"]["clause"][0]
    page = client.get("/search", query_string={"q": "补贴", "clause": "第九十九条", "draft": public_draft.id})
    html = page.get_data(as_text=True)
    assert "草案中没有“第九十九条”" in html
    assert "标准应当提高" in html and "范围应当扩大" in html  # still searched, by q and draft
    unreadable = client.get("/search", query_string={"q": "补贴", "clause": "某某"}).get_data(as_text=True)
    assert "无法识别条款“某某”" in unreadable
