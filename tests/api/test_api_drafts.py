"""GET /api/v1/drafts and /api/v1/drafts/<id>."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from participation.extensions import db
from participation.services import drafts as draft_service
from tests.conftest import SAMPLE_DRAFT

SUMMARY_KEYS = {"id", "title", "status", "issuing_body", "summary", "opens_at", "closes_at", "published_at", "url"}


@pytest.fixture
def staff_token(make_user, issue_token):
    return issue_token(make_user("staff"))


@pytest.fixture
def citizen_token(make_user, issue_token):
    return issue_token(make_user("citizen"))


def _ids(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["id"] for item in response.get_json()["items"]]


def test_anonymous_and_citizens_see_published_drafts_only(api_get, make_draft, citizen_token, frozen_now):
    hidden = make_draft(title="未发布")
    shown = make_draft(title="已发布", published=True)
    for token in (None, citizen_token):
        response = api_get("/drafts", token)
        assert _ids(response) == [shown.id]
        body = response.get_json()
        assert body["total"] == 1 and body["page"] == 1 and body["per_page"] == 20
        assert set(body["items"][0]) == SUMMARY_KEYS
    assert hidden.id not in _ids(api_get("/drafts?status=draft", citizen_token))


def test_staff_tokens_also_see_unpublished_drafts(api_get, make_draft, staff_token, make_user, issue_token):
    hidden = make_draft(title="未发布")
    shown = make_draft(title="已发布", published=True)
    assert _ids(api_get("/drafts", staff_token)) == [shown.id, hidden.id]  # newest first
    assert _ids(api_get("/drafts?status=draft", staff_token)) == [hidden.id]
    admin_token = issue_token(make_user("admin"))
    assert _ids(api_get("/drafts?status=draft", admin_token)) == [hidden.id]
    for role in ("deputy", "operator"):
        assert _ids(api_get("/drafts", issue_token(make_user(role)))) == [shown.id]


def test_listing_fields_and_times_with_offset(api_get, make_draft, frozen_now):
    frozen_now.set(datetime(2026, 3, 1, 1, 30, tzinfo=frozen_now.now.tzinfo))
    draft = make_draft(title="某市示例管理条例（草案）", published=True, days=30)
    draft_service.update_draft_details(draft, title=draft.title, issuing_body="市人大常委会法工委", summary="示例说明")
    db.session.commit()
    item = api_get("/drafts").get_json()["items"][0]
    assert item["id"] == draft.id
    assert item["title"] == "某市示例管理条例（草案）"
    assert item["status"] == "open"
    assert item["issuing_body"] == "市人大常委会法工委"
    assert item["summary"] == "示例说明"
    # Stored in UTC, shown in the configured zone (Asia/Shanghai) with its offset.
    assert item["published_at"] == "2026-03-01T09:30:00+08:00"
    assert item["opens_at"] == "2026-03-01T09:30:00+08:00"
    assert item["closes_at"] == "2026-03-31T09:30:00+08:00"
    assert datetime.fromisoformat(item["closes_at"]) == draft.closes_at
    assert item["url"].startswith("http://localhost/") and item["url"].endswith(f"/drafts/{draft.id}")


def test_unpublished_drafts_have_null_times(api_get, make_draft, staff_token):
    make_draft()
    item = api_get("/drafts", staff_token).get_json()["items"][0]
    assert item["status"] == "draft"
    assert item["opens_at"] is None and item["closes_at"] is None and item["published_at"] is None


def test_status_filter_follows_the_server_clock(api_get, make_draft, staff_token, frozen_now):
    scheduled = make_draft(title="即将开始", published=True, opens_in=timedelta(days=2), days=30)
    short = make_draft(title="短期", published=True, days=1)
    long = make_draft(title="长期", published=True, days=60)
    unpublished = make_draft(title="草稿")
    assert _ids(api_get("/drafts?status=open")) == [long.id, short.id]
    assert _ids(api_get("/drafts?status=scheduled")) == [scheduled.id]
    assert _ids(api_get("/drafts?status=closed")) == []
    assert _ids(api_get("/drafts?status=draft", staff_token)) == [unpublished.id]
    frozen_now.advance(days=3)
    assert _ids(api_get("/drafts?status=open")) == [long.id, scheduled.id]
    assert _ids(api_get("/drafts?status=closed")) == [short.id]
    assert _ids(api_get("/drafts?status=scheduled")) == []
    statuses = {item["id"]: item["status"] for item in api_get("/drafts", staff_token).get_json()["items"]}
    assert statuses == {scheduled.id: "open", short.id: "closed", long.id: "open", unpublished.id: "draft"}


def test_feedback_status(api_get, make_draft, frozen_now):
    draft = make_draft(published=True)
    draft.feedback_published_at = frozen_now.now
    db.session.commit()
    assert _ids(api_get("/drafts?status=feedback")) == [draft.id]
    assert api_get(f"/drafts/{draft.id}").get_json()["status"] == "feedback"


def test_pagination(api_get, make_draft):
    made = [make_draft(title=f"草案{n}", published=True).id for n in range(7)]
    newest_first = list(reversed(made))
    first = api_get("/drafts?per_page=3").get_json()
    assert [i["id"] for i in first["items"]] == newest_first[:3]
    assert (first["page"], first["per_page"], first["total"]) == (1, 3, 7)
    third = api_get("/drafts?per_page=3&page=3").get_json()
    assert [i["id"] for i in third["items"]] == newest_first[6:]
    past_the_end = api_get("/drafts?per_page=3&page=9").get_json()
    assert past_the_end["items"] == [] and past_the_end["total"] == 7
    assert len(api_get("/drafts?per_page=100").get_json()["items"]) == 7


@pytest.mark.parametrize("query, field", [
    ("page=0", "page"),
    ("page=-1", "page"),
    ("page=abc", "page"),
    ("page=", "page"),
    ("page=1.5", "page"),
    ("page=１", "page"),  # full-width digit
    ("page=99999999999999999999", "page"),
    ("per_page=0", "per_page"),
    ("per_page=101", "per_page"),
    ("status=opened", "status"),
    ("status=", "status"),
    ("status=OPEN", "status"),
])
def test_bad_query_parameters_are_422_naming_the_parameter(api_get, query, field):
    response = api_get(f"/drafts?{query}")
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "validation_failed"
    assert body["message"]
    assert list(body["fields"]) == [field]
    assert body["fields"][field] and all(isinstance(m, str) and m for m in body["fields"][field])


def test_every_bad_parameter_is_reported_at_once(api_get):
    body = api_get("/drafts?page=0&per_page=1000&status=x").get_json()
    assert set(body["fields"]) == {"page", "per_page", "status"}
    assert "100" in body["fields"]["per_page"][0]
    assert "open" in body["fields"]["status"][0]


def test_unknown_query_parameters_are_ignored(api_get, make_draft):
    draft = make_draft(published=True)
    assert _ids(api_get("/drafts?utm_source=x")) == [draft.id]


def _shape(nodes):
    return [(n["key"], n["kind"], _shape(n["children"])) for n in nodes]


def test_draft_detail_has_the_exact_provision_tree(api_get, make_draft):
    draft = make_draft(published=True)
    response = api_get(f"/drafts/{draft.id}")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == SUMMARY_KEYS | {"version", "notes", "provisions"}
    assert body["id"] == draft.id and body["status"] == "open"
    assert body["version"] == {"number": 1, "reading": "consultation"}
    assert body["notes"] == []
    para = "paragraph"
    assert _shape(body["provisions"]) == [
        ("ch.1", "chapter", [
            ("art.1", "article", [("art.1.1", para, [])]),
            ("art.2", "article", [("art.2.1", para, []), ("art.2.2", para, [])]),
        ]),
        ("ch.2", "chapter", [
            ("art.3", "article", [("art.3.1", para, [
                ("art.3.1.1", "item", []), ("art.3.1.2", "item", []), ("art.3.1.3", "item", []),
            ])]),
            ("art.4", "article", [("art.4.1", para, [])]),
        ]),
        ("ch.3", "chapter", [
            ("art.5", "article", [("art.5.1", para, [])]),
        ]),
    ]
    chapter = body["provisions"][0]
    assert chapter == {**chapter, "label": "第一章", "heading": "总则", "text": ""}
    article3 = body["provisions"][1]["children"][0]
    assert (article3["label"], article3["heading"], article3["text"]) == ("第三条", "", "")
    paragraph = article3["children"][0]
    assert (paragraph["label"], paragraph["text"]) == ("第一款", "主管部门履行下列职责：")
    item = paragraph["children"][1]
    assert set(item) == {"key", "kind", "label", "heading", "text", "children"}
    assert (item["label"], item["text"]) == ("第（二）项", "组织实施；")
    # A citation inside a text is not a heading.
    assert body["provisions"][1]["children"][1]["children"][0]["text"] == "违反本条例第三条第（一）项规定的，由主管部门责令改正。"


def test_detail_tree_matches_the_parser_for_a_larger_text(api_get, make_draft):
    from participation.parsing import parse_text

    text = SAMPLE_DRAFT.replace("## 第一章 总则", "序言\n\n为了示例，特制定本条例。\n\n## 第一章 总则") + (
        "\n附件：示例清单\n\n一、示例甲\n"
    )
    draft = make_draft(text=text, published=True)
    expected = parse_text(text)

    def parsed_shape(nodes):
        return [(n.key, n.kind, parsed_shape(n.children)) for n in nodes]

    body = api_get(f"/drafts/{draft.id}").get_json()
    assert _shape(body["provisions"]) == parsed_shape(expected.nodes)
    assert [node["kind"] for node in body["provisions"]] == ["preamble", "chapter", "chapter", "chapter", "annex"]


def test_unpublished_draft_is_404_except_for_staff(api_get, make_draft, citizen_token, staff_token):
    draft = make_draft()
    for token in (None, citizen_token):
        response = api_get(f"/drafts/{draft.id}", token)
        assert response.status_code == 404
        assert response.get_json()["error"] == "not_found"
        assert response.get_json()["message"]
    response = api_get(f"/drafts/{draft.id}", staff_token)
    assert response.status_code == 200
    assert response.get_json()["status"] == "draft"
    assert response.get_json()["provisions"]


@pytest.mark.parametrize("path", ["/drafts/999999", "/drafts/0", "/drafts/2147483648", "/drafts/99999999999999999999999",
                                  "/drafts/-1", "/drafts/abc"])
def test_unknown_drafts_are_json_404(api_get, path):
    response = api_get(path)
    assert response.status_code == 404
    assert response.is_json and response.get_json()["error"] == "not_found"


def test_json_is_utf8_not_escaped(api_get, make_draft):
    draft = make_draft(published=True)
    response = api_get(f"/drafts/{draft.id}")
    assert response.mimetype == "application/json"
    assert "某市示例管理条例" in response.get_data(as_text=True)
    assert "Authorization" in response.headers.get("Vary", "")
