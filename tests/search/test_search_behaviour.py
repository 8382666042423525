"""What a search finds, who sees what, filters, facets, sorting, snippets — through the
API and the page, with the real indexer run synchronously after real commits."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from participation.extensions import db
from participation.models import Opinion
from participation.services.liaison import create_liaison_point
from tests.search.conftest import hit_ids

NOISE_DRAFT = """# 某市噪声污染防治条例（草案）

## 第一章 总则

第一条 为了防治噪声污染，制定本条例。

第二条 夜间施工应当取得许可。

施工单位应当公示作业时间。

（一）公示地点；

（二）公示期限。
"""


def test_a_word_in_the_middle_of_a_sentence_and_search_mode_segmentation(public_draft, make_opinion, drain, search_api):
    a = make_opinion(public_draft, "小区停车位应当优先满足业主需要。")
    b = make_opinion(public_draft, "关于小区车位归属的问题，建议明确规定。")
    c = make_opinion(public_draft, "不得擅自出租车位给外来车辆。")  # jieba: 出租车 / 位
    make_opinion(public_draft, "建议加强绿化管理。")
    drain()
    assert set(hit_ids(search_api(q="车位"))) == {a.id, b.id, c.id}
    assert hit_ids(search_api(q="归属")) == [b.id]
    assert hit_ids(search_api(q="外来车辆")) == [c.id]


def test_latin_letters_and_digits(public_draft, make_opinion, drain, search_api):
    a = make_opinion(public_draft, "建议开通ABC平台，并公布12345热线。")
    b = make_opinion(public_draft, "2024年起，5号楼的ＷｉＦｉ覆盖不足。")
    drain()
    assert hit_ids(search_api(q="abc")) == [a.id]
    assert hit_ids(search_api(q="12345")) == [a.id]
    assert hit_ids(search_api(q="2024")) == [b.id]
    assert hit_ids(search_api(q="wifi")) == [b.id]
    assert hit_ids(search_api(q="5号楼")) == [b.id]


def test_quoted_phrase_is_exact_and_words_are_all_required(public_draft, make_opinion, drain, search_api):
    a = make_opinion(public_draft, "物业服务企业应当公示收费标准。")
    b = make_opinion(public_draft, "企业的物业服务质量有待提高。")
    drain()
    assert hit_ids(search_api(q='"物业服务企业"')) == [a.id]
    assert set(hit_ids(search_api(q="物业 企业"))) == {a.id, b.id}
    assert hit_ids(search_api(q="物业 收费")) == [a.id]
    assert hit_ids(search_api(q="物业 -收费")) == [b.id]
    assert set(hit_ids(search_api(q="收费 OR 质量"))) == {a.id, b.id}


def test_a_term_checked_against_the_text_within_the_other_terms_and_filters(public_draft, make_draft, make_opinion,
                                                                            drain, search_api):
    # 维修资金 is two jieba words: its bigrams find candidates, the text confirms them,
    # and only the candidates still in the running (物业, this draft) are checked.
    other_draft = make_draft(published=True)
    other_draft.shows_opinions_publicly = True
    found = make_opinion(public_draft, "物业维修资金的使用应当公开。")
    scattered = make_opinion(public_draft, "物业维修，修资料，资金不足。")  # every bigram, not in a row
    without_word = make_opinion(public_draft, "维修资金应当专款专用。")
    elsewhere = make_opinion(other_draft, "物业维修资金账目不清。")
    drain()
    assert hit_ids(search_api(q="物业 维修资金", draft=public_draft.id)) == [found.id]
    assert set(hit_ids(search_api(q="物业 维修资金"))) == {found.id, elsewhere.id}
    assert set(hit_ids(search_api(q="维修资金"))) == {found.id, without_word.id, elsewhere.id}
    assert set(hit_ids(search_api(q="物业 -维修资金"))) == {scattered.id}


def test_provisions_are_searchable_by_article(make_draft, drain, search_api):
    draft = make_draft(text=NOISE_DRAFT, title="噪声条例", published=True)
    drain()
    result = search_api(q="公示", type="provision")
    assert [hit["provision"]["key"] for hit in result["hits"]] == ["art.2"]
    assert result["hits"][0]["provision"]["label"] == "第二条"
    assert result["hits"][0]["draft"] == {"id": draft.id, "title": "噪声条例"}
    assert "公示" in result["hits"][0]["snippet"]


def test_clause_filter_includes_paragraphs_and_items(make_draft, make_opinion, drain, search_api):
    draft = make_draft(text=NOISE_DRAFT, published=True)
    draft.shows_opinions_publicly = True
    db.session.commit()
    on_article = make_opinion(draft, "夜间施工噪声扰民。", key="art.2.1")
    on_item = make_opinion(draft, "夜间施工公示地点应当醒目。", key="art.2.2.1")
    elsewhere = make_opinion(draft, "夜间施工应当减少。", key="art.1.1")
    whole = make_opinion(draft, "夜间施工问题总体意见。")
    drain()
    result = search_api(q="夜间施工", draft=draft.id, clause="art.2", type="opinion")
    assert set(hit_ids(result)) == {on_article.id, on_item.id}
    assert set(hit_ids(search_api(q="夜间施工", draft=draft.id, clause="art.2.2", type="opinion"))) == {on_item.id}
    facets = {f["value"]: f["count"] for f in search_api(q="夜间施工", draft=draft.id, type="opinion")["facets"]["clause"]}
    assert facets == {"art.2": 2, "art.1": 1, "_draft": 1}
    assert elsewhere.id and whole.id
    labels = {f["value"]: f["label"] for f in search_api(q="夜间施工", draft=draft.id, type="opinion")["facets"]["clause"]}
    assert labels["art.2"] == "第二条" and labels["_draft"] == "总体意见"


def test_filters_and_facets(public_draft, make_draft, make_opinion, drain, search_api):
    other = make_draft(title="另一部草案", published=True)
    other.shows_opinions_publicly = True
    point = create_liaison_point(name="东湖街道基层立法联系点")
    db.session.commit()
    base = datetime(2027, 3, 1, 4, tzinfo=timezone.utc)  # noon in Shanghai
    a = make_opinion(public_draft, "垃圾分类应当简化。", stance="support", category="citizen", created_at=base)
    b = make_opinion(public_draft, "垃圾分类宣传不足。", stance="oppose", category="expert",
                     created_at=base + timedelta(days=1))
    c = make_opinion(other, "垃圾分类设施不够。", stance="oppose", category="liaison_point",
                     liaison_point_id=point.id, created_at=base + timedelta(days=2))
    drain()
    result = search_api(q="垃圾分类")
    assert result["total"] == 3
    facets = {name: {f["value"]: f["count"] for f in values} for name, values in result["facets"].items()}
    assert facets["stance"] == {"oppose": 2, "support": 1}
    assert facets["category"] == {"citizen": 1, "expert": 1, "liaison_point": 1}
    assert facets["draft"] == {str(public_draft.id): 2, str(other.id): 1}
    assert facets["liaison_point"] == {str(point.id): 1}
    assert "state" not in facets  # staff only
    assert set(hit_ids(search_api(q="垃圾分类", draft=public_draft.id))) == {a.id, b.id}
    assert set(hit_ids(search_api(q="垃圾分类", stance="oppose"))) == {b.id, c.id}
    assert hit_ids(search_api(q="垃圾分类", category="expert")) == [b.id]
    assert hit_ids(search_api(q="垃圾分类", liaison_point=point.id)) == [c.id]
    assert set(hit_ids(search_api(q="垃圾分类", **{"from": "2027-03-02"}))) == {b.id, c.id}
    assert hit_ids(search_api(q="垃圾分类", **{"from": "2027-03-02", "to": "2027-03-02"})) == [b.id]
    assert search_api(q="垃圾分类", **{"from": "2027-03-05", "to": "2027-03-01"})["total"] == 0
    # A filter alone browses (newest first), it never scans the whole index for "*".
    assert hit_ids(search_api(stance="oppose")) == [c.id, b.id]
    assert search_api(q="*")["message"] and search_api(q="*")["total"] == 0


def test_a_filter_with_only_excluded_words(public_draft, make_draft, make_opinion, drain, search_api):
    """``-word`` and a filter: the filter's documents without the word (the words were
    not excluded when no other word was given)."""
    other = make_draft(title="另一部草案", published=True)
    other.shows_opinions_publicly = True
    noisy = make_opinion(public_draft, "夜间施工噪声扰民。")
    quiet = make_opinion(public_draft, "小区停车位不足。")
    make_opinion(other, "噪声监测点太少。")
    drain()
    assert set(hit_ids(search_api(draft=public_draft.id, type="opinion"))) == {noisy.id, quiet.id}
    for q in ("-噪声", "NOT 噪声", '-"扰民"'):
        found = search_api(q=q, draft=public_draft.id, type="opinion")
        assert (found["total"], hit_ids(found)) == (1, [quiet.id]), q
    assert search_api(q="-噪声")["message"]  # no filter: nothing to search


def test_sort_newest_and_pagination(public_draft, make_opinion, drain, search_api):
    base = datetime(2027, 1, 1, tzinfo=timezone.utc)
    made = [make_opinion(public_draft, f"第{i}条关于绿化的意见，绿化绿化。" + "绿化" * (i % 3), created_at=base + timedelta(hours=i))
            for i in range(25)]
    drain()
    newest = search_api(q="绿化", sort="newest", per_page=10)
    assert newest["total"] == 25
    assert hit_ids(newest) == [o.id for o in reversed(made)][:10]
    page3 = search_api(q="绿化", sort="newest", per_page=10, page=3)
    assert hit_ids(page3) == [o.id for o in reversed(made)][20:]
    relevance = [hit["score"] for hit in search_api(q="绿化", per_page=25)["hits"]]
    assert relevance == sorted(relevance, reverse=True)
    deep = search_api(q="绿化", page=1000, per_page=50)
    assert deep["hits"] == [] and deep["message"]


def test_snippets_mark_the_match(public_draft, make_opinion, drain, search_api, client):
    long_text = "这是一段很长的开头。" * 20 + "我们认为噪声扰民问题突出。" + "结尾。" * 30
    make_opinion(public_draft, long_text)
    drain()
    hit = search_api(q="噪声")["hits"][0]
    start, end = hit["highlights"][0]
    assert hit["snippet"][start:end] == "噪声"
    assert hit["snippet"].startswith("…") and hit["snippet"].endswith("…")
    page = client.get("/search", query_string={"q": "噪声"}).get_data(as_text=True)
    assert "<mark>噪声</mark>" in page


def test_text_is_escaped_on_the_page(public_draft, make_opinion, drain, client):
    make_opinion(public_draft, '<script>alert("车位")</script><img src=x onerror=alert(1)>车位')
    drain()
    page = client.get("/search", query_string={"q": "车位"}).get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page


def test_contact_details_are_never_indexed_and_names_only_when_public(public_draft, make_opinion, drain,
                                                                      search_api, token_headers):
    staff = token_headers("staff")
    make_opinion(public_draft, "关于养老服务的意见。", contact="13912345678 zhang@example.org",
                 submitter_name="张三丰", is_name_public=False)
    public_name = make_opinion(public_draft, "关于养老机构的意见。", submitter_name="李四光", is_name_public=True)
    drain()
    for headers in (None, staff):
        assert search_api(headers=headers, q="13912345678")["total"] == 0
        assert search_api(headers=headers, q="zhang@example.org")["total"] == 0
        assert search_api(headers=headers, q="张三丰")["total"] == 0
    assert hit_ids(search_api(q="李四光")) == [public_name.id]


def test_hidden_and_pending_opinions_are_for_staff_only(public_draft, make_opinion, drain, search_api, token_headers,
                                                       client):
    published = make_opinion(public_draft, "电动自行车充电设施不足。")
    hidden = make_opinion(public_draft, "电动自行车乱停放。", state="hidden")
    pending = make_opinion(public_draft, "电动自行车上楼充电危险。", state="pending")
    drain()
    assert hit_ids(search_api(q="电动自行车")) == [published.id]
    staff = token_headers("staff")
    assert set(hit_ids(search_api(headers=staff, q="电动自行车"))) == {published.id, hidden.id, pending.id}
    assert hit_ids(search_api(headers=staff, q="电动自行车", state="hidden")) == [hidden.id]
    result = search_api(headers=staff, state="hidden")
    assert hit_ids(result) == [hidden.id] and result["hits"][0]["state"] == "hidden"
    assert {f["value"] for f in search_api(headers=staff, q="电动自行车")["facets"]["state"]} == {
        "published", "hidden", "pending"}
    # The staff-only filter: 401 without a token, 403 for a citizen's.
    assert client.get("/api/v1/search", query_string={"q": "电动自行车", "state": "hidden"}).status_code == 401
    citizen = token_headers("citizen")
    assert client.get("/api/v1/search", query_string={"q": "x", "state": "hidden"}, headers=citizen).status_code == 403


def test_staff_find_hidden_ones_on_the_page(public_draft, make_opinion, make_user, login, drain, client):
    make_opinion(public_draft, "违规搭建阳光房。", state="hidden")
    drain()
    assert "阳光房" not in client.get("/search", query_string={"q": "阳光房"}).get_data(as_text=True).split("</form>", 1)[1]
    login(make_user("staff"))
    page = client.get("/search", query_string={"q": "阳光房", "state": "hidden"}).get_data(as_text=True)
    assert "<mark>阳光房</mark>" in page and "已屏蔽" in page


def test_draft_visibility_settings_apply_at_query_time(make_draft, make_opinion, drain, search_api):
    draft = make_draft(published=True)  # opinions not shown publicly
    unpublished = make_draft(title="未发布的草案")
    opinion = make_opinion(draft, "关于示例管理的意见。")
    drain()
    assert search_api(q="示例管理", type="opinion")["total"] == 0
    provisions = search_api(q="示例管理", type="provision")
    assert provisions["total"] >= 1 and {hit["draft"]["id"] for hit in provisions["hits"]} == {draft.id}
    draft.shows_opinions_publicly = True
    db.session.commit()
    assert hit_ids(search_api(q="示例管理", type="opinion")) == [opinion.id]  # no re-indexing needed
    assert unpublished.id not in {hit["draft"]["id"] for hit in search_api(q="示例", per_page=50)["hits"]}


def test_a_change_not_yet_indexed_never_shows_a_hidden_opinion(public_draft, make_opinion, drain, search_api):
    opinion = make_opinion(public_draft, "公共场所控制吸烟。")
    drain()
    opinion.moderation_state = "hidden"
    db.session.commit()  # the index still says "published" until the next drain
    assert search_api(q="控制吸烟")["hits"] == []
    drain()
    assert search_api(q="控制吸烟")["total"] == 0


def test_edits_and_deletions_reach_the_index(public_draft, make_opinion, drain, search_api):
    opinion = make_opinion(public_draft, "河道保洁责任不清。")
    drain()
    assert hit_ids(search_api(q="河道")) == [opinion.id]
    opinion.body = "湖泊保洁责任不清。"
    db.session.commit()
    drain()
    assert search_api(q="河道")["total"] == 0
    assert hit_ids(search_api(q="湖泊")) == [opinion.id]
    db.session.delete(db.session.get(Opinion, opinion.id))
    db.session.commit()
    drain()
    assert search_api(q="湖泊")["total"] == 0


def test_deleting_a_draft_removes_everything_of_it(make_draft, make_opinion, drain, search_api, token_headers):
    draft = make_draft(text=NOISE_DRAFT, published=True)
    make_opinion(draft, "夜间施工扰民。")
    drain()
    staff = token_headers("staff")
    assert search_api(headers=staff, q="夜间施工")["total"] == 2
    db.session.delete(draft)
    db.session.commit()
    drain()
    assert search_api(headers=staff, q="夜间施工")["total"] == 0


def test_the_page(public_draft, make_opinion, drain, client):
    make_opinion(public_draft, "建议增设公共充电桩。", key="art.1.1")
    drain()
    empty = client.get("/search")
    assert empty.status_code == 200 and "搜索意见与条文" in empty.get_data(as_text=True)
    page = client.get("/search", query_string={"q": "充电桩", "draft": public_draft.id})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "共 1 条结果" in text and "第一条第一款" in text
    assert "Content-Security-Policy" in page.headers
    assert 'class="search-facets"' in text
    nothing = client.get("/search", query_string={"q": "无人提及的词语组合"}).get_data(as_text=True)
    assert 'class="search-facets"' not in nothing  # no empty facet box beside no results
    bad = client.get("/search", query_string={"q": "充电桩", "draft": "abc", "stance": "bogus", "from": "2027-13-01"})
    assert bad.status_code == 200 and "以上条件已忽略" in bad.get_data(as_text=True)


def test_api_rejects_malformed_parameters(client):
    response = client.get("/api/v1/search", query_string={"q": "车位", "draft": "x", "per_page": "500", "clause": "无此条"})
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {"draft", "per_page", "clause"}


@pytest.mark.parametrize("q", ["", "   ", "，。", "-车位"])
def test_nothing_to_search_gets_a_message(client, q):
    body = client.get("/api/v1/search", query_string={"q": q}).get_json()
    assert body["total"] == 0 and body["hits"] == [] and body["message"]
