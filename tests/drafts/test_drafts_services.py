"""Draft use cases: import, re-import, the comment period rules and the computed status."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from participation import queries
from participation.errors import Conflict, ValidationFailed
from participation.extensions import db
from participation.models import Draft, DraftStatus, DraftVersion, Provision
from participation.parsing import parse_text
from participation.services import drafts as draft_service
from participation.clock import add_days, local_to_utc, to_form_value, utc_to_local
from tests.conftest import SAMPLE_DRAFT
from tests.drafts.conftest import FIXED_TEXT, TEXT_WITH_ERRORS

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=timezone.utc)  # 10:00 in Asia/Shanghai


def _import(text=SAMPLE_DRAFT, title="示例草案", **extra):
    return draft_service.import_draft(
        title=title, document=parse_text(text), source_format="text", source_filename="",
        source_bytes=text.encode(), created_by=None, **extra,
    )


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# -- import -------------------------------------------------------------------------

def test_import_stores_the_tree_in_document_order(app):
    draft = _import(issuing_body="  市人大常委会  法工委 ", summary="  说明  ")
    db.session.commit()
    assert draft.issuing_body == "市人大常委会 法工委" and draft.summary == "说明"
    version = draft.current_version
    rows = queries.provision_rows(version.id)
    assert [row.position for row in rows] == list(range(1, len(rows) + 1))
    assert [row.key for row in rows][:4] == ["ch.1", "art.1", "art.1.1", "art.2"]
    by_key = {row.key: row for row in rows}
    assert by_key["art.3.1.2"].parent_id == by_key["art.3.1"].id
    assert by_key["art.3.1"].parent_id == by_key["art.3"].id
    assert by_key["art.3"].parent_id == by_key["ch.2"].id
    assert (by_key["ch.2"].depth, by_key["art.3"].depth, by_key["art.3.1.2"].depth) == (0, 1, 3)
    assert by_key["art.3.1.2"].label == "第（二）项" and by_key["art.3.1.2"].text == "组织实施；"
    assert queries.kind_counts(version.id) == {"chapter": 3, "article": 5, "paragraph": 6, "item": 3}
    assert version.issues == [] and version.unplaced == []
    assert version.source_title == "某市示例管理条例（草案）"
    assert len(version.source_digest) == 64


def test_the_tree_read_back_equals_the_parsed_tree(app):
    document = parse_text(SAMPLE_DRAFT)
    draft = _import()
    tree = queries.provision_tree(draft.current_version.id)

    def shape(nodes):
        return [(n.kind, n.key, n.label, n.heading, n.text, shape(n.children)) for n in nodes]

    assert shape(tree) == shape(document.nodes)


def test_an_empty_title_falls_back_to_the_title_in_the_text(app):
    assert _import(title="  ").title == "某市示例管理条例（草案）"


def test_a_text_without_title_needs_one(app):
    with pytest.raises(ValidationFailed) as caught:
        _import(text="第一条 内容。\n", title="")
    assert "title" in caught.value.fields


def test_a_text_without_articles_is_refused_and_nothing_is_stored(app):
    with pytest.raises(ValidationFailed) as caught:
        _import(text="# 标题\n\n这里没有任何条文。\n")
    assert "条文" in caught.value.message
    db.session.rollback()
    assert _count(Draft) == 0 and _count(Provision) == 0


@pytest.mark.parametrize("field, values", [
    ("title", {"title": "长" * 201}),
    ("issuing_body", {"issuing_body": "长" * 201}),
    ("summary", {"summary": "长" * 5001}),
])
def test_lengths_are_checked_before_anything_is_stored(app, field, values):
    with pytest.raises(ValidationFailed) as caught:
        _import(**{"title": "标题", **values})
    assert field in caught.value.fields


def test_the_report_keeps_errors_and_unplaced_text(app):
    version = _import(TEXT_WITH_ERRORS).current_version
    assert version.error_count == 2
    codes = {issue["code"] for issue in version.issues}
    assert codes == {"unplaced_text", "article_gap"}
    gap = next(issue for issue in version.issues if issue["code"] == "article_gap")
    assert gap["key"] == "art.4" and gap["line"] == 11
    assert version.unplaced == ["本章的说明文字不属于任何条文。"]


# -- parse_source ------------------------------------------------------------------

def test_parse_source_reads_uploads_and_pasted_text(app):
    document, source_format, name, raw = draft_service.parse_source(
        filename="C:\\草案\\示例.md", data=SAMPLE_DRAFT.encode(), text=None)
    assert (source_format, name, raw) == ("md", "示例.md", SAMPLE_DRAFT.encode())
    assert document.counts()["article"] == 5
    document, source_format, name, raw = draft_service.parse_source(filename=None, data=None, text=SAMPLE_DRAFT)
    assert (source_format, name) == ("text", "") and document.counts()["article"] == 5


@pytest.mark.parametrize("filename, data, text, field, message", [
    (None, None, "  \n ", "file", "请上传文件或粘贴草案全文"),
    ("a.txt", SAMPLE_DRAFT.encode(), SAMPLE_DRAFT, "text", "只选择一种方式"),
    ("a.txt", b"  \n", None, "file", "文件是空的"),
    ("a.pdf", b"%PDF-1.4 ...", None, "file", "不支持 PDF"),
    ("a.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, None, "file", ".docx"),
    ("a.docx", b"not a zip", None, "file", "不是有效的 Word"),
    ("a.exe", b"MZ", None, "file", "不支持的文件类型"),
])
def test_parse_source_refusals_name_the_field(app, filename, data, text, field, message):
    with pytest.raises(ValidationFailed) as caught:
        draft_service.parse_source(filename=filename, data=data, text=text)
    assert field in caught.value.fields
    assert message in caught.value.message


# -- re-import ---------------------------------------------------------------------

def test_replacing_the_text_replaces_tree_and_report(app):
    draft = _import(TEXT_WITH_ERRORS)
    db.session.commit()
    version_id = draft.current_version.id
    draft_service.replace_draft_text(
        draft, document=parse_text(FIXED_TEXT), source_format="md", source_filename="fixed.md",
        source_bytes=FIXED_TEXT.encode(), replaced_by=None,
    )
    db.session.commit()
    version = db.session.get(DraftVersion, version_id)
    assert version.issues == [] and version.unplaced == [] and version.source_filename == "fixed.md"
    keys = [row.key for row in queries.provision_rows(version_id)]
    assert "art.3" in keys and "art.4" not in keys
    assert _count(DraftVersion) == 1


def test_replacing_with_a_text_without_articles_keeps_the_old_text(app):
    draft = _import()
    db.session.commit()
    with pytest.raises(ValidationFailed):
        draft_service.replace_draft_text(draft, document=parse_text("没有条文"), source_format="text",
                                         source_filename="", source_bytes=b"x", replaced_by=None)
    db.session.rollback()
    assert queries.kind_counts(draft.current_version.id)["article"] == 5


def test_a_published_text_cannot_be_replaced(app):
    draft = _import()
    draft_service.publish_draft(draft, opens_at=T0, closes_at=T0 + timedelta(days=30), now=T0)
    with pytest.raises(Conflict, match="已发布"):
        draft_service.replace_draft_text(draft, document=parse_text(SAMPLE_DRAFT), source_format="text",
                                         source_filename="", source_bytes=b"x", replaced_by=None)


# -- publish -----------------------------------------------------------------------

def test_publish_sets_the_period(app):
    draft = _import()
    draft_service.publish_draft(draft, opens_at=T0, closes_at=T0 + timedelta(days=30), now=T0)
    assert (draft.published_at, draft.opens_at, draft.closes_at) == (T0, T0, T0 + timedelta(days=30))
    assert draft.status_at(T0) == DraftStatus.OPEN


def test_publish_is_refused_while_the_report_has_errors(app):
    draft = _import(TEXT_WITH_ERRORS)
    with pytest.raises(Conflict) as caught:
        draft_service.publish_draft(draft, opens_at=T0, closes_at=T0 + timedelta(days=30), now=T0)
    assert "2 个错误" in caught.value.message
    assert draft.published_at is None


def test_warnings_do_not_block_publishing(app):
    text = SAMPLE_DRAFT.replace("## 第三章 附则", "## 第五章 附则")  # heading_order: a warning
    draft = _import(text)
    assert draft.current_version.warning_count == 1 and draft.current_version.error_count == 0
    draft_service.publish_draft(draft, opens_at=T0, closes_at=T0 + timedelta(days=30), now=T0)
    assert draft.published_at == T0


def test_publishing_twice_is_refused(app):
    draft = _import()
    draft_service.publish_draft(draft, opens_at=T0, closes_at=T0 + timedelta(days=30), now=T0)
    with pytest.raises(Conflict, match="已经发布"):
        draft_service.publish_draft(draft, opens_at=T0, closes_at=T0 + timedelta(days=30), now=T0)


@pytest.mark.parametrize("opens, closes, field, message", [
    (T0, T0, "closes_at", "截止时间必须晚于开始时间"),
    (T0 + timedelta(days=2), T0 + timedelta(days=1), "closes_at", "截止时间必须晚于开始时间"),
    (T0, T0 + timedelta(days=367), "closes_at", "不能超过 366 天"),
    (T0 - timedelta(days=1), T0 + timedelta(days=30), "opens_at", "开始时间不能早于现在"),
])
def test_invalid_periods_are_refused(app, opens, closes, field, message):
    draft = _import()
    with pytest.raises(ValidationFailed) as caught:
        draft_service.publish_draft(draft, opens_at=opens, closes_at=closes, now=T0)
    assert field in caught.value.fields and message in caught.value.message
    assert draft.published_at is None


def test_an_opening_a_few_minutes_ago_means_now(app):
    # The form was filled in at 10:00 and posted at 10:05.
    draft = _import()
    draft_service.publish_draft(draft, opens_at=T0 - timedelta(minutes=5), closes_at=T0 + timedelta(days=30), now=T0)
    assert draft.opens_at == T0


def test_status_follows_the_frozen_clock_across_the_period(app, frozen_now):
    frozen_now.set(T0)
    draft = _import()
    opens, closes = T0 + timedelta(days=1), T0 + timedelta(days=31)
    assert draft.status_at(frozen_now.now) == DraftStatus.DRAFT
    draft_service.publish_draft(draft, opens_at=opens, closes_at=closes, now=frozen_now.now)
    db.session.commit()
    timeline = [
        (T0, DraftStatus.SCHEDULED),
        (opens - timedelta(seconds=1), DraftStatus.SCHEDULED),
        (opens, DraftStatus.OPEN),
        (closes - timedelta(microseconds=1), DraftStatus.OPEN),
        (closes, DraftStatus.CLOSED),  # the close instant itself is closed
        (closes + timedelta(days=400), DraftStatus.CLOSED),
    ]
    for moment, expected in timeline:
        frozen_now.set(moment)
        assert draft.status_at(frozen_now.now) == expected, moment
        # The listing filter agrees with the computed status.
        listed = db.session.scalars(
            queries.drafts_with_status_query(expected.value, frozen_now.now, include_unpublished=True)).all()
        assert listed == [draft], moment
    draft.feedback_published_at = closes + timedelta(days=10)
    assert draft.status_at(closes + timedelta(days=11)) == DraftStatus.FEEDBACK


# -- extend and close ---------------------------------------------------------------

def _published(opens=T0, days=30):
    draft = _import()
    draft_service.publish_draft(draft, opens_at=opens, closes_at=opens + timedelta(days=days), now=T0)
    return draft


def test_extend_moves_the_deadline_later(app):
    draft = _published()
    later = draft.closes_at + timedelta(days=7)
    draft_service.extend_draft(draft, closes_at=later, now=T0 + timedelta(days=3))
    assert draft.closes_at == later


def test_extend_refuses_an_earlier_or_equal_deadline(app):
    draft = _published()
    for when in (draft.closes_at, draft.closes_at - timedelta(days=1)):
        with pytest.raises(ValidationFailed, match="晚于原截止时间"):
            draft_service.extend_draft(draft, closes_at=when, now=T0)


def test_extend_reopens_a_closed_draft(app):
    draft = _published()
    after = draft.closes_at + timedelta(days=2)
    assert draft.status_at(after) == DraftStatus.CLOSED
    with pytest.raises(ValidationFailed, match="晚于现在"):
        draft_service.extend_draft(draft, closes_at=after - timedelta(days=1), now=after)
    draft_service.extend_draft(draft, closes_at=after + timedelta(days=5), now=after)
    assert draft.status_at(after) == DraftStatus.OPEN


def test_extend_refuses_a_period_over_the_maximum(app):
    draft = _published()
    with pytest.raises(ValidationFailed, match="366"):
        draft_service.extend_draft(draft, closes_at=T0 + timedelta(days=400), now=T0)


def test_extend_refuses_unpublished_and_feedback_drafts(app):
    draft = _import()
    with pytest.raises(Conflict, match="尚未发布"):
        draft_service.extend_draft(draft, closes_at=T0 + timedelta(days=3), now=T0)
    draft = _published()
    draft.feedback_published_at = T0 + timedelta(days=31)
    with pytest.raises(Conflict, match="反馈"):
        draft_service.extend_draft(draft, closes_at=T0 + timedelta(days=60), now=T0 + timedelta(days=32))


def test_close_ends_the_period_now(app):
    draft = _published()
    now = T0 + timedelta(days=5)
    draft_service.close_draft(draft, now=now)
    assert draft.closes_at == now and draft.status_at(now) == DraftStatus.CLOSED
    with pytest.raises(Conflict, match="已经结束"):
        draft_service.close_draft(draft, now=now + timedelta(seconds=1))


def test_closing_a_scheduled_draft_closes_it_before_it_opens(app):
    draft = _published(opens=T0 + timedelta(days=3))
    draft_service.close_draft(draft, now=T0)
    assert draft.opens_at == draft.closes_at == T0
    assert draft.status_at(T0) == DraftStatus.CLOSED


def test_an_unpublished_draft_cannot_be_closed(app):
    with pytest.raises(Conflict, match="尚未发布"):
        draft_service.close_draft(_import(), now=T0)


# -- details and delete --------------------------------------------------------------

def test_update_details(app):
    draft = _import()
    draft_service.update_draft_details(draft, title=" 新标题 ", issuing_body="法工委", summary="说明\n第二行")
    assert (draft.title, draft.issuing_body, draft.summary) == ("新标题", "法工委", "说明\n第二行")
    with pytest.raises(ValidationFailed):
        draft_service.update_draft_details(draft, title="", issuing_body="", summary="")


def test_delete_removes_an_unpublished_draft_with_its_text(app):
    draft = _import()
    db.session.commit()
    draft_service.delete_unpublished_draft(draft)
    db.session.commit()
    assert _count(Draft) == 0 and _count(DraftVersion) == 0 and _count(Provision) == 0


def test_a_published_draft_cannot_be_deleted(app):
    draft = _published()
    with pytest.raises(Conflict, match="不能删除"):
        draft_service.delete_unpublished_draft(draft)


# -- local time helpers --------------------------------------------------------------

def test_local_times_convert_through_the_configured_zone(app):
    local = datetime(2026, 3, 1, 10, 0)
    assert local_to_utc(local) == T0
    assert utc_to_local(T0).replace(tzinfo=None) == local
    assert to_form_value(T0 + timedelta(seconds=42)) == local
    assert add_days(T0, 30) == T0 + timedelta(days=30)


def test_local_times_follow_daylight_saving_where_the_zone_has_it(app):
    app.config["TIMEZONE"] = "Europe/Berlin"
    winter = local_to_utc(datetime(2026, 3, 1, 12, 0))
    assert winter.hour == 11
    # 30 calendar days later crosses the change to summer time: same wall-clock time.
    assert utc_to_local(add_days(winter, 30)).hour == 12
