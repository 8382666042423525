"""意见采纳情况: staff write it and publish it once the draft is closed (once); the public
page, the API and the staff tally give the same numbers; the contents link every clause to
its section; internal notes never appear; the page prints as an A4 document."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from participation.extensions import db
from participation.models import AuditEntry, Draft, FeedbackSection
from participation.services import accounts
from participation.tally.compute import compute_tally
from tests.feedback.conftest import SECRET_NOTE


def _text(response) -> str:
    return response.get_data(as_text=True)


def _bearer(user) -> dict:
    _token, secret = accounts.issue_api_token(user, name="测试")
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def _publish(client, login, draft, staff):
    login(staff)
    response = client.post(f"/staff/drafts/{draft.id}/feedback/publish")
    assert response.status_code == 303, _text(response)[:500]
    client.post("/logout")
    return response


def test_staff_write_the_report_and_it_is_audited(client, login, report_world):
    draft, staff = report_world
    login(staff)
    page = client.get(f"/staff/drafts/{draft.id}/feedback")
    assert page.status_code == 200
    html = _text(page)
    # 总体意见 and one section per chapter, each with its numbers.
    for key in ("general", "ch.1", "ch.2", "ch.3"):
        assert f'id="s-{key}"' in html
    assert "发布意见采纳情况" in html
    form = {"introduction": "本次共收到意见若干。", "section": ["general", "ch.1"],
            "main_opinions-general": "有意见认为应当加强宣传。", "handling-general": "已在第一条中体现。",
            "main_opinions-ch.1": "关于适用范围。", "handling-ch.1": "部分采纳。"}
    response = client.post(f"/staff/drafts/{draft.id}/feedback", data=form)
    assert response.status_code == 303
    assert "本次共收到意见若干。" in _text(client.get(f"/staff/drafts/{draft.id}/feedback"))
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "draft.feedback_report")).one()
    assert entry.old["introduction"] == "" and entry.new["introduction"] == "本次共收到意见若干。"
    assert entry.new["general.handling"] == "已在第一条中体现。" and entry.actor_id == staff.id
    # Saving the same again changes nothing and records nothing.
    client.post(f"/staff/drafts/{draft.id}/feedback", data=form)
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "draft.feedback_report")) == 1


def test_bad_report_input_is_refused_whole(client, login, report_world):
    draft, staff = report_world
    login(staff)
    response = client.post(f"/staff/drafts/{draft.id}/feedback", data={
        "introduction": "说明", "section": ["general", "art.999"], "handling-general": "处理",
    })
    assert response.status_code == 422
    assert "草案当前版本中没有这一章或这一条" in _text(response)
    response = client.post(f"/staff/drafts/{draft.id}/feedback", data={"introduction": "长" * 20_001})
    assert response.status_code == 422 and "不能超过" in _text(response)
    assert db.session.scalar(select(func.count()).select_from(FeedbackSection)) == 0


def test_a_section_for_one_article(client, login, report_world):
    draft, staff = report_world
    login(staff)
    response = client.post(f"/staff/drafts/{draft.id}/feedback/sections", data={"provision_key": "art.3"})
    assert response.status_code == 303
    html = _text(client.get(f"/staff/drafts/{draft.id}/feedback"))
    assert 'id="s-art.3"' in html
    assert client.post(f"/staff/drafts/{draft.id}/feedback/sections",
                       data={"provision_key": "nope"}).status_code == 303
    assert db.session.scalar(select(func.count()).select_from(FeedbackSection)) == 1


def test_publishing_needs_a_closed_draft_and_happens_once(client, login, make_draft, make_user, report_world):
    draft, staff = report_world
    open_draft = make_draft(published=True, title="仍在征求意见的草案")
    open_draft.closes_at = draft.closes_at + (draft.closes_at - draft.opens_at)
    db.session.commit()
    login(staff)
    assert "征求意见截止后才能发布" in _text(client.get(f"/staff/drafts/{open_draft.id}/feedback/publish"))
    client.post(f"/staff/drafts/{open_draft.id}/feedback/publish")
    assert db.session.get(Draft, open_draft.id).feedback_published_at is None

    confirm = client.get(f"/staff/drafts/{draft.id}/feedback/publish")
    assert confirm.status_code == 200 and "确认发布" in _text(confirm)
    response = client.post(f"/staff/drafts/{draft.id}/feedback/publish")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/drafts/{draft.id}/feedback")
    draft = db.session.get(Draft, draft.id)
    assert draft.feedback_published_at is not None
    assert draft.status_at(draft.feedback_published_at).value == "feedback"
    first = draft.feedback_published_at
    response = client.post(f"/staff/drafts/{draft.id}/feedback/publish", follow_redirects=True)
    assert "已经发布" in _text(response)
    assert db.session.get(Draft, draft.id).feedback_published_at == first


def _page_numbers(html: str) -> dict:
    def table(table_id):
        block = re.search(rf'<table class="data report-counts" id="{table_id}">(.*?)</table>', html, re.S).group(1)
        return {key: int(value) for key, value in
                re.findall(r'<tr data-key="([^"]+)"><th scope="row">[^<]*</th><td class="num">(\d+)</td>', block)}

    total = int(re.search(r'data-stat="total"><span class="value">(\d+)<', html).group(1))
    return {"total": total, "by_channel": table("by-channel"), "by_disposition": table("by-disposition")}


def test_page_api_and_tally_give_the_same_numbers(client, login, report_world):
    draft, staff = report_world
    _publish(client, login, draft, staff)
    page = client.get(f"/drafts/{draft.id}/feedback")
    assert page.status_code == 200
    html = _text(page)
    report = client.get(f"/api/v1/drafts/{draft.id}/feedback").get_json()
    tally_api = client.get(f"/api/v1/drafts/{draft.id}/tally").get_json()
    tally = compute_tally(draft.id, draft.current_version.id)

    # 7 web + 2 API + 2 batch rows, the hidden one left out.
    assert report["total"] == tally_api["total"] == tally.overall.total == 11
    assert report["by_channel"] == {"web": 7, "api": 2, "batch": 2}
    assert report["by_disposition"] == tally_api["by_disposition"] == {
        "pending": 3, "adopted": 3, "partly_adopted": 1, "not_adopted": 1, "already_provided": 1,
        "out_of_scope": 1, "for_study": 1}
    assert report["by_category"] == tally_api["by_category"]
    numbers = _page_numbers(html)
    assert numbers == {"total": 11, "by_channel": report["by_channel"], "by_disposition": report["by_disposition"]}
    sections = {section["key"]: section for section in report["sections"]}
    provisions = {clause["key"]: clause for clause in tally_api["provisions"]}
    assert [key for key in sections] == ["general", "ch.1", "ch.2", "ch.3"]
    assert sections["general"]["total"] == tally_api["whole_draft"]["total"] == 3
    for key in ("ch.1", "ch.2", "ch.3"):
        assert sections[key]["total"] == provisions[key]["total"]
        assert sections[key]["by_disposition"] == provisions[key]["by_disposition"]
        for clause in sections[key]["clauses"]:
            assert clause["by_disposition"] == provisions[clause["key"]]["by_disposition"]
    # The staff tally page shows the same per-clause dispositions.
    login(staff)
    tally_page = _text(client.get(f"/drafts/{draft.id}/tally"))
    row = re.search(r'<tr class="row-article" id="t-art.1".*?</tr>', tally_page, re.S).group(0)
    assert re.search(r'data-col="disposition-adopted">1<', row) and re.search(r'data-col="disposition-not_adopted">1<', row)


def test_contents_link_every_clause_to_its_section(client, login, report_world):
    draft, staff = report_world
    login(staff)
    client.post(f"/staff/drafts/{draft.id}/feedback/sections", data={"provision_key": "art.4"})
    client.post("/logout")
    _publish(client, login, draft, staff)
    html = _text(client.get(f"/drafts/{draft.id}/feedback"))
    contents = re.search(r'<ol class="report-toc">(.*?)</ol>', html, re.S).group(1)
    links = dict(re.findall(r'data-key="([^"]+)">\s*<a href="#([^"]+)"', contents))
    assert links["ch.1"] == "s-ch.1" and links["art.1"] == "c-art.1" and links["art.3"] == "c-art.3"
    assert links["art.4"] == "s-art.4"  # its own section
    for anchor in set(links.values()):
        assert f'id="{anchor}"' in html, anchor


def test_internal_notes_never_appear(client, login, report_world):
    draft, staff = report_world
    login(staff)
    assert SECRET_NOTE not in _text(client.get(f"/staff/drafts/{draft.id}/feedback"))
    assert SECRET_NOTE not in _text(client.get(f"/drafts/{draft.id}/feedback"))
    client.post("/logout")
    _publish(client, login, draft, staff)
    for url in (f"/drafts/{draft.id}/feedback", f"/api/v1/drafts/{draft.id}/feedback",
                f"/api/v1/drafts/{draft.id}/tally", f"/drafts/{draft.id}/tally", f"/drafts/{draft.id}"):
        body = _text(client.get(url))
        assert SECRET_NOTE not in body and "被屏蔽意见XYZ" not in body, url


def test_print_stylesheet_and_preview(client, login, report_world):
    draft, staff = report_world
    assert client.get(f"/drafts/{draft.id}/feedback").status_code == 404
    login(staff)
    preview = _text(client.get(f"/drafts/{draft.id}/feedback"))
    assert "data-preview" in preview and "预览" in preview
    client.post("/logout")
    _publish(client, login, draft, staff)
    html = _text(client.get(f"/drafts/{draft.id}/feedback"))
    assert "data-preview" not in html
    assert 'href="/static/css/report.css' in html and "data-print" in html
    css = _text(client.get("/static/css/report.css"))
    assert "@media print" in css and "size: A4" in css
    assert re.search(r"@media print \{.*\.site-header.*display: none", css, re.S)


def test_public_draft_page_links_the_report(client, login, report_world):
    draft, staff = report_world
    closed = _text(client.get(f"/drafts/{draft.id}"))
    assert f"/drafts/{draft.id}/feedback" not in closed
    assert 'data-stat="feedback-total"' in closed  # the totals of a closed draft
    # The public reading, as on the tally page: published opinions only, and it says so.
    public = compute_tally(draft.id, draft.current_version.id, published_only=True).overall
    assert f"已公开的意见 {public.total} 条，提出人 {public.submitters} 人。" in closed
    _publish(client, login, draft, staff)
    assert f'href="/drafts/{draft.id}/feedback"' in _text(client.get(f"/drafts/{draft.id}"))


def test_api_publishes_with_the_texts(client, report_world):
    draft, staff = report_world
    headers = _bearer(staff)
    bad = client.post(f"/api/v1/drafts/{draft.id}/feedback/publish", headers=headers,
                      json={"introduction": 3, "sections": [{"provision_key": "art.99"}]})
    assert bad.status_code == 422 and "introduction" in bad.get_json()["fields"]
    unknown = client.post(f"/api/v1/drafts/{draft.id}/feedback/publish", headers=headers,
                          json={"sections": [{"provision_key": "art.99", "handling": "x"}]})
    assert unknown.status_code == 404 and "sections[0].provision_key" in unknown.get_json()["fields"]
    assert db.session.get(Draft, draft.id).feedback_published_at is None

    response = client.post(f"/api/v1/drafts/{draft.id}/feedback/publish", headers=headers, json={
        "introduction": "接口写入的说明", "sections": [{"provision_key": "general", "main_opinions": "主要",
                                                      "handling": "处理"}]})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "feedback" and body["introduction"] == "接口写入的说明"
    assert body["sections"][0]["handling"] == "处理"
    again = client.post(f"/api/v1/drafts/{draft.id}/feedback/publish", headers=headers)
    assert again.status_code == 409
