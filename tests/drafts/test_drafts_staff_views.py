"""Staff pages: the drafts list, import by upload and paste, the structure report,
re-import, publish, extend, close, edit and delete."""
from __future__ import annotations

import io
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from participation.demo import demo_docx_bytes
from participation.extensions import db
from participation.models import Draft, DraftStatus, Provision
from tests.conftest import SAMPLE_DRAFT
from tests.drafts.conftest import FIXED_TEXT, TEXT_WITH_ERRORS, docx_bytes

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=timezone.utc)  # 10:00 in Asia/Shanghai


def _drafts() -> int:
    return db.session.scalar(select(func.count()).select_from(Draft))


def _upload(client, filename, data, **fields):
    form = {"title": "导入的草案", "issuing_body": "法工委", "summary": "", "text": "", **fields}
    form["file"] = (io.BytesIO(data), filename)
    return client.post("/staff/drafts/import", data=form, content_type="multipart/form-data")


def _draft_id(response) -> int:
    match = re.search(r"/staff/drafts/(\d+)$", response.headers["Location"])
    assert match, response.headers.get("Location")
    return int(match.group(1))


# -- access ---------------------------------------------------------------------------

STAFF_GETS = ["/staff/drafts", "/staff/drafts/import", "/staff/drafts/{id}", "/staff/drafts/{id}/edit"]
STAFF_POSTS = ["/staff/drafts/import", "/staff/drafts/{id}/text", "/staff/drafts/{id}/publish",
               "/staff/drafts/{id}/extend", "/staff/drafts/{id}/close", "/staff/drafts/{id}/edit",
               "/staff/drafts/{id}/delete"]


def test_anonymous_visitors_are_sent_to_sign_in(client, make_draft):
    draft = make_draft()
    for url in STAFF_GETS:
        response = client.get(url.format(id=draft.id))
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    for url in STAFF_POSTS:
        assert client.post(url.format(id=draft.id)).status_code == 302, url
    assert _drafts() == 1


@pytest.mark.parametrize("role", ["citizen", "deputy", "operator"])
def test_other_roles_are_refused(login, make_user, make_draft, role):
    draft = make_draft()
    client = login(make_user(role))
    for url in STAFF_GETS:
        assert client.get(url.format(id=draft.id)).status_code == 403, url
    for url in STAFF_POSTS:
        assert client.post(url.format(id=draft.id)).status_code == 403, url
    db.session.expire_all()
    assert _drafts() == 1 and db.session.get(Draft, draft.id).published_at is None


def test_admins_manage_drafts_too(login, make_user):
    assert login(make_user("admin")).get("/staff/drafts").status_code == 200


def test_unknown_draft_is_404(staff_client):
    assert staff_client.get("/staff/drafts/999").status_code == 404
    assert staff_client.post("/staff/drafts/999/publish").status_code == 404


# -- list -------------------------------------------------------------------------------

def test_list_shows_every_status_and_filters(staff_client, make_draft, frozen_now):
    unpublished = make_draft(title="未发布的草案")
    open_draft = make_draft(title="征求意见中的草案", published=True)
    scheduled = make_draft(title="即将开始的草案", published=True, opens_in=timedelta(days=3))
    html = staff_client.get("/staff/drafts").get_data(as_text=True)
    for draft in (unpublished, open_draft, scheduled):
        assert draft.title in html
    assert 'badge-draft' in html and 'badge-open' in html and 'badge-scheduled' in html
    html = staff_client.get("/staff/drafts?status=draft").get_data(as_text=True)
    assert unpublished.title in html and open_draft.title not in html
    html = staff_client.get("/staff/drafts?status=open").get_data(as_text=True)
    assert open_draft.title in html and unpublished.title not in html and scheduled.title not in html
    # Unknown filters and pages never fail.
    assert staff_client.get("/staff/drafts?status=<x>&page=abc").status_code == 200
    assert staff_client.get("/staff/drafts?page=99").status_code == 200


def test_list_is_paginated(staff_client, make_draft):
    for n in range(23):
        make_draft(title=f"分页草案{n:02d}")
    first = staff_client.get("/staff/drafts").get_data(as_text=True)
    second = staff_client.get("/staff/drafts?page=2").get_data(as_text=True)
    assert first.count("分页草案") == 20 and second.count("分页草案") == 3
    assert 'rel="next"' in first and 'rel="prev"' in second


# -- import -----------------------------------------------------------------------------

def test_import_form_defaults_the_issuing_body(staff_client, app):
    html = staff_client.get("/staff/drafts/import").get_data(as_text=True)
    assert app.config["DEFAULT_ISSUING_BODY"] in html
    assert 'enctype="multipart/form-data"' in html and 'accept=".docx,.txt,.md,.markdown"' in html


def test_import_by_paste(staff_client, staff):
    response = staff_client.post("/staff/drafts/import", data={
        "title": "粘贴的草案", "issuing_body": "法工委", "summary": "说明", "text": SAMPLE_DRAFT})
    assert response.status_code == 303
    draft = db.session.get(Draft, _draft_id(response))
    assert (draft.title, draft.issuing_body, draft.summary) == ("粘贴的草案", "法工委", "说明")
    assert draft.created_by_id == staff.id and draft.published_at is None
    assert draft.current_version.source_format == "text"
    report = staff_client.get(response.headers["Location"])
    assert "已导入" in report.get_data(as_text=True)


@pytest.mark.parametrize("filename, make", [
    ("草案.txt", lambda: SAMPLE_DRAFT.encode("utf-8")),
    ("草案.md", lambda: SAMPLE_DRAFT.encode("utf-8")),
    ("草案-gbk.txt", lambda: SAMPLE_DRAFT.encode("gb18030")),
    ("草案.docx", lambda: docx_bytes(
        ["第一章　总则", "第一条　为了规范示例管理，制定本条例。", "第二条　本条例适用于本市。",
         "第三条　主管部门履行下列职责：", "（一）制定规划；", "（二）组织实施。"],
        title="某市示例管理条例（草案）")),
])
def test_import_by_upload(staff_client, filename, make):
    response = _upload(staff_client, filename, make())
    assert response.status_code == 303, response.get_data(as_text=True)
    draft = db.session.get(Draft, _draft_id(response))
    version = draft.current_version
    assert version.source_filename == filename
    assert version.source_format == filename.rsplit(".", 1)[1]
    assert version.error_count == 0
    articles = db.session.scalar(select(func.count()).select_from(Provision)
                                 .where(Provision.version_id == version.id, Provision.kind == "article"))
    assert articles >= 3


def test_import_the_demo_word_file_without_a_title(staff_client):
    response = _upload(staff_client, "绿道.docx", demo_docx_bytes(), title="")
    assert response.status_code == 303
    draft = db.session.get(Draft, _draft_id(response))
    assert draft.title == "某市城市绿道管理条例（草案）"
    assert draft.current_version.issues == []


@pytest.mark.parametrize("filename, data, message", [
    ("草案.pdf", b"%PDF-1.7\n...", "不支持 PDF"),
    ("草案.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "另存为 .docx"),
    ("草案.docx", b"PK\x03\x04 broken", "不是有效的 Word"),
    ("草案.txt", b"\x00\x01\x02binary", "不是文本"),
    ("草案.txt", "# 标题\n\n只有说明，没有条文。\n".encode(), "没有识别出任何条文"),
    ("草案.txt", b"", "文件是空的"),
])
def test_unreadable_uploads_are_explained_and_nothing_is_stored(staff_client, filename, data, message):
    response = _upload(staff_client, filename, data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert _drafts() == 0
    # What was typed is kept for the second attempt.
    assert 'value="导入的草案"' in html


def test_file_and_text_together_are_refused(staff_client):
    response = _upload(staff_client, "a.txt", SAMPLE_DRAFT.encode(), text=SAMPLE_DRAFT)
    assert response.status_code == 422
    assert "只选择一种方式" in response.get_data(as_text=True)
    assert _drafts() == 0


def test_neither_file_nor_text_is_refused(staff_client):
    response = staff_client.post("/staff/drafts/import", data={"title": "标题", "text": "  "})
    assert response.status_code == 422
    assert "请上传文件或粘贴草案全文" in response.get_data(as_text=True)


def test_an_overlong_title_is_a_field_error(staff_client):
    response = staff_client.post("/staff/drafts/import", data={"title": "长" * 201, "text": SAMPLE_DRAFT})
    assert response.status_code == 422 and _drafts() == 0


# -- the structure report -------------------------------------------------------------

def test_report_shows_counts_issues_unplaced_text_and_the_tree(staff_client, make_draft):
    draft = make_draft(TEXT_WITH_ERRORS, title="有错误的草案")
    html = staff_client.get(f"/staff/drafts/{draft.id}").get_data(as_text=True)
    # Counts by kind.
    assert re.search(r'<span class="value">3</span>\s*条', html)
    # Both errors, with their line numbers; the gap links to the article in the tree.
    assert "缺少第三条" in html and "不属于任何条文" in html
    assert re.search(r'<td class="num">11</td>', html) and re.search(r'<td class="num">5</td>', html)
    assert f'href="/staff/drafts/{draft.id}#tree-art.4"' in html
    assert 'id="tree-art.4"' in html
    # The unplaced text in full, and the tree with keys.
    assert '<pre class="unplaced">本章的说明文字不属于任何条文。</pre>' in html
    assert '<code class="node-key">art.2.1</code>' in html
    # Publishing is disabled, with the reason.
    assert "<fieldset disabled>" in html and "修正原文并重新导入后才能发布" in html


def test_report_of_a_clean_draft_says_so(staff_client, make_draft):
    draft = make_draft()
    html = staff_client.get(f"/staff/drafts/{draft.id}").get_data(as_text=True)
    assert "没有发现问题" in html
    assert "<fieldset>" in html  # the publish form is enabled


def test_publishing_with_errors_is_refused(staff_client, make_draft):
    draft = make_draft(TEXT_WITH_ERRORS)
    response = staff_client.post(f"/staff/drafts/{draft.id}/publish", data={"days": "30"})
    assert response.status_code == 303
    page = staff_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 个错误" in page
    db.session.expire_all()
    assert db.session.get(Draft, draft.id).published_at is None


def test_reimport_fixes_the_report_and_allows_publishing(staff_client, make_draft, frozen_now):
    draft = make_draft(TEXT_WITH_ERRORS)
    response = staff_client.post(f"/staff/drafts/{draft.id}/text", content_type="multipart/form-data",
                                 data={"file": (io.BytesIO(FIXED_TEXT.encode()), "fixed.md"), "text": ""})
    assert response.status_code == 303
    db.session.expire_all()
    version = db.session.get(Draft, draft.id).current_version
    assert version.issues == [] and version.source_filename == "fixed.md"
    assert "没有发现错误" in staff_client.get(response.headers["Location"]).get_data(as_text=True)
    response = staff_client.post(f"/staff/drafts/{draft.id}/publish", data={"days": "30"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Draft, draft.id).status_at(frozen_now.now) == DraftStatus.OPEN


def test_reimport_by_paste_and_its_errors(staff_client, make_draft):
    draft = make_draft()
    response = staff_client.post(f"/staff/drafts/{draft.id}/text", data={"text": "没有条文的文字"})
    assert response.status_code == 422
    assert "没有识别出任何条文" in response.get_data(as_text=True)
    response = staff_client.post(f"/staff/drafts/{draft.id}/text", data={"text": TEXT_WITH_ERRORS})
    assert response.status_code == 303
    assert "仍有 2 个错误" in staff_client.get(response.headers["Location"]).get_data(as_text=True)


def test_reimport_after_publishing_is_refused(staff_client, make_draft):
    draft = make_draft(published=True)
    response = staff_client.post(f"/staff/drafts/{draft.id}/text", data={"text": FIXED_TEXT})
    assert response.status_code == 303
    assert "不能再替换文本" in staff_client.get(response.headers["Location"]).get_data(as_text=True)
    html = staff_client.get(f"/staff/drafts/{draft.id}").get_data(as_text=True)
    assert "重新导入文本" not in html


# -- publish, extend, close -----------------------------------------------------------

def test_publish_now_for_a_number_of_days(staff_client, make_draft, frozen_now):
    frozen_now.set(T0)
    draft = make_draft()
    response = staff_client.post(f"/staff/drafts/{draft.id}/publish", data={"opens_at": "", "days": "20"})
    assert response.status_code == 303
    db.session.expire_all()
    draft = db.session.get(Draft, draft.id)
    assert (draft.published_at, draft.opens_at, draft.closes_at) == (T0, T0, T0 + timedelta(days=20))


def test_publish_with_local_times(staff_client, make_draft, frozen_now):
    frozen_now.set(T0)
    draft = make_draft()
    response = staff_client.post(f"/staff/drafts/{draft.id}/publish", data={
        "opens_at": "2026-03-05T09:00", "days": "30", "closes_at": "2026-04-05T18:00"})
    assert response.status_code == 303
    db.session.expire_all()
    draft = db.session.get(Draft, draft.id)
    # Asia/Shanghai is UTC+8.
    assert draft.opens_at == datetime(2026, 3, 5, 1, 0, tzinfo=timezone.utc)
    assert draft.closes_at == datetime(2026, 4, 5, 10, 0, tzinfo=timezone.utc)
    assert draft.status_at(T0) == DraftStatus.SCHEDULED
    html = staff_client.get(f"/staff/drafts/{draft.id}").get_data(as_text=True)
    assert "2026年3月5日 09:00" in html and "2026年4月5日 18:00" in html


@pytest.mark.parametrize("data, message", [
    ({"days": "abc"}, "请填写整数天数"),
    ({"days": "0"}, "天数应在 1 到 366 之间"),
    ({"days": "", "closes_at": ""}, "请填写征求意见天数或截止时间"),
    ({"days": "30", "closes_at": "明天"}, "请按“年-月-日 时:分”填写时间"),
    ({"days": "30", "closes_at": "2026-02-01T10:00"}, "截止时间必须晚于"),
    ({"days": "30", "opens_at": "2026-02-01T10:00"}, "开始时间不能早于现在"),
])
def test_publish_form_errors(staff_client, make_draft, frozen_now, data, message):
    frozen_now.set(T0)
    draft = make_draft()
    response = staff_client.post(f"/staff/drafts/{draft.id}/publish", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Draft, draft.id).published_at is None


def test_publishing_twice_is_explained(staff_client, make_draft):
    draft = make_draft(published=True)
    response = staff_client.post(f"/staff/drafts/{draft.id}/publish", data={"days": "30"})
    assert response.status_code == 303
    assert "草案已经发布" in staff_client.get(response.headers["Location"]).get_data(as_text=True)


def test_extend_and_close(staff_client, make_draft, frozen_now):
    frozen_now.set(T0)
    draft = make_draft(published=True, days=30)
    html = staff_client.get(f"/staff/drafts/{draft.id}").get_data(as_text=True)
    # Prefilled one week after the current deadline, in local time.
    assert 'value="2026-04-07T10:00"' in html
    response = staff_client.post(f"/staff/drafts/{draft.id}/extend", data={"closes_at": "2026-04-10T18:00"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Draft, draft.id).closes_at == datetime(2026, 4, 10, 10, 0, tzinfo=timezone.utc)

    response = staff_client.post(f"/staff/drafts/{draft.id}/extend", data={"closes_at": "2026-03-02T10:00"})
    assert response.status_code == 422 and "晚于原截止时间" in response.get_data(as_text=True)

    frozen_now.advance(days=2)
    response = staff_client.post(f"/staff/drafts/{draft.id}/close")
    assert response.status_code == 303
    db.session.expire_all()
    draft = db.session.get(Draft, draft.id)
    assert draft.closes_at == frozen_now.now and draft.status_at(frozen_now.now) == DraftStatus.CLOSED
    response = staff_client.post(f"/staff/drafts/{draft.id}/close")
    assert "已经结束" in staff_client.get(response.headers["Location"]).get_data(as_text=True)


def test_close_and_extend_buttons_confirm(staff_client, make_draft):
    draft = make_draft(published=True)
    html = staff_client.get(f"/staff/drafts/{draft.id}").get_data(as_text=True)
    assert f'action="/staff/drafts/{draft.id}/close"' in html
    assert "确定立即截止征求意见吗" in html and "data-confirm" in html


def test_extend_requires_a_time(staff_client, make_draft):
    draft = make_draft(published=True)
    response = staff_client.post(f"/staff/drafts/{draft.id}/extend", data={"closes_at": ""})
    assert response.status_code == 422 and "请选择时间" in response.get_data(as_text=True)


# -- edit and delete --------------------------------------------------------------------

def test_edit_details(staff_client, make_draft):
    draft = make_draft(published=True)
    html = staff_client.get(f"/staff/drafts/{draft.id}/edit").get_data(as_text=True)
    assert draft.title in html
    response = staff_client.post(f"/staff/drafts/{draft.id}/edit", data={
        "title": "改过的标题", "issuing_body": "市人大常委会", "summary": "新的说明"})
    assert response.status_code == 303
    db.session.expire_all()
    draft = db.session.get(Draft, draft.id)
    assert (draft.title, draft.issuing_body, draft.summary) == ("改过的标题", "市人大常委会", "新的说明")
    response = staff_client.post(f"/staff/drafts/{draft.id}/edit", data={"title": "", "issuing_body": ""})
    assert response.status_code == 422 and "请填写草案标题" in response.get_data(as_text=True)


def test_delete_an_unpublished_draft(staff_client, make_draft):
    draft = make_draft(title="要删除的草案")
    response = staff_client.post(f"/staff/drafts/{draft.id}/delete")
    assert response.status_code == 303 and response.headers["Location"].endswith("/staff/drafts")
    assert "已删除草案《要删除的草案》" in staff_client.get("/staff/drafts").get_data(as_text=True)
    assert _drafts() == 0


def test_a_published_draft_is_not_deleted(staff_client, make_draft):
    draft = make_draft(published=True)
    response = staff_client.post(f"/staff/drafts/{draft.id}/delete")
    assert response.status_code == 303
    assert "已发布的草案不能删除" in staff_client.get(response.headers["Location"]).get_data(as_text=True)
    assert _drafts() == 1


def test_report_of_a_large_draft_shows_one_division_and_links_issues_to_theirs(staff_client, make_draft):
    from participation.parsing import int_to_chinese

    lines, number = ["# 某市大型条例（草案）"], 0
    for chapter in range(1, 6):
        lines.append(f"第{int_to_chinese(chapter)}章 第{chapter}部分")
        for _ in range(50):
            number += 1
            if number == 180:  # a gap in chapter 4: 第一百八十条 is missing
                continue
            lines.append(f"第{int_to_chinese(number)}条 第{number}条的内容。")
    draft = make_draft("\n\n".join(lines))
    html = staff_client.get(f"/staff/drafts/{draft.id}").get_data(as_text=True)
    assert 'id="tree-art.1"' in html and 'id="tree-art.51"' not in html
    assert f'href="/staff/drafts/{draft.id}?division=ch.4#tree-art.181"' in html
    page = staff_client.get(f"/staff/drafts/{draft.id}?division=ch.4").get_data(as_text=True)
    assert 'id="tree-art.181"' in page and 'id="tree-art.1"' not in page
    # The division holding the issue starts unfolded.
    assert re.search(r'id="tree-ch.4" class="tree-node tree-chapter">\s*<details open>', page)
    assert staff_client.get(f"/staff/drafts/{draft.id}?division=nope").status_code == 200


def test_control_characters_are_dropped_not_stored(staff_client):
    response = staff_client.post("/staff/drafts/import", data={
        "title": "控制字符\x07", "issuing_body": "单位\x1b", "summary": "说明\x07",
        "text": SAMPLE_DRAFT.replace("制定本条例", "制定\x07本条例")})
    assert response.status_code == 303
    draft = db.session.get(Draft, _draft_id(response))
    assert (draft.title, draft.issuing_body, draft.summary) == ("控制字符", "单位", "说明")
    texts = db.session.scalars(select(Provision.text).where(Provision.version_id == draft.current_version.id))
    assert not any("\x07" in text for text in texts)


def test_nul_is_refused_not_a_server_error(staff_client):
    # PostgreSQL refuses NUL in text: the request boundary refuses the form (400) and names
    # the fields (tests/web/test_request_boundary.py); nothing is stored.
    response = staff_client.post("/staff/drafts/import", data={
        "title": "控制\x00字符", "text": SAMPLE_DRAFT.replace("制定本条例", "制定\x00本条例")})
    assert response.status_code == 400
    assert "title, text" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Draft)) == 0
