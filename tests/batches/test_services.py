"""The batch service: clause resolution, row validation, all-or-nothing storage, never
twice, attribution, the tally, feedback and stored uploads."""
from __future__ import annotations

import io
import os
import time
from collections import Counter
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bench.batch_data import HEADERS, csv_bytes, excel_like_xlsx
from participation.errors import Conflict, IdempotencyKeyConflict, ValidationFailed
from participation.extensions import db
from participation.models import Batch, Opinion
from participation.services import batches as service
from participation.services.opinions import find_by_receipt
from participation.tally.compute import compute_tally
from tests.batches.conftest import row

pytestmark = pytest.mark.usefixtures("zh")


def _count(model=Opinion) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- what people write in the clause column ---------------------------------------------

@pytest.mark.parametrize("written, key", [
    ("第三条", "art.3"), ("第3条", "art.3"), ("三条", "art.3"), ("第 三 条", "art.3"), ("第３条", "art.3"),
    ("第三条第二款", "art.3.2"), ("第3条第2款", "art.3.2"),
    # The items of article 3 are in its SECOND paragraph: found there, not in paragraph 1.
    ("第三条第（三）项", "art.3.2.3"), ("第三条第(三)项", "art.3.2.3"), ("第3条第2款第3项", "art.3.2.3"),
    ("第三条第二款第（三）项", "art.3.2.3"),
    ("第四条第二款第（三）项", "art.4.2.3"),
    ("第四条第（三）项", "art.4.2.3"),  # two paragraphs hold items, only the second has a (三)
    ("", None), ("总体", None), ("总体意见", None), ("  ", None), ("art.2.2", "art.2.2"),
])
def test_clause_column_accepts_what_people_write(draft, written, key):
    clauses = service.VersionClauses(draft.current_version.id)
    provision, problem = clauses.resolve(written)
    assert problem is None
    assert (provision.key if provision is not None else None) == key


@pytest.mark.parametrize("written, message", [
    ("第九十九条", "草案中没有"), ("第3条第5款", "草案中没有"),
    ("第四条第（二）项", "不明确"),  # both paragraphs of article 4 have a (二)
    ("第二章", "章标题"), ("停车管理", "无法识别条款"), ("11", "无法识别条款"),
])
def test_clauses_that_do_not_resolve_say_why(draft, written, message):
    provision, problem = service.VersionClauses(draft.current_version.id).resolve(written)
    assert provision is None and message in problem


def test_clause_list_cites_clauses_as_people_do_and_resolves_back(draft):
    clauses = service.VersionClauses(draft.current_version.id)
    choices = clauses.choices()
    assert choices[0].citation == "总体意见" and choices[0].key == ""
    by_key = {choice.key: choice.citation for choice in choices}
    assert by_key["art.3.2.3"] == "第三条第二款第（三）项"
    assert "art.1.1" not in by_key  # a one-paragraph article is chosen as the article
    for choice in choices[1:]:
        provision, problem = clauses.resolve(choice.citation)
        assert problem is None and provision.key == choice.key


# --- rows ---------------------------------------------------------------------------------

def test_every_error_is_reported_in_one_pass_by_row_and_column(draft, xlsx):
    data = xlsx([
        row("第三条", "合格的一行"),
        row("第九十九条", "", "支持吧", category="外星人", represented="三"),
        row("第二章", "x" * 6000, name="名" * 60),
    ])
    upload = service.read_upload(data, "意见.xlsx")
    clean, errors = service.check_rows(upload.rows, service.VersionClauses(draft.current_version.id),
                                       names=upload.names, letters=upload.letters, problems=upload.problems)
    assert [r.row for r in clean] == [2]
    found = [(e.row, e.column, e.letter) for e in errors]
    assert found == [
        (3, "条款", "A"), (3, "意见内容", "B"), (3, "态度", "C"), (3, "提出人类别", "F"), (3, "代表人数", "I"),
        (4, "条款", "A"), (4, "意见内容", "B"), (4, "提出人", "G"),
    ]
    messages = {(e.row, e.column): e.message for e in errors}
    assert messages[(3, "意见内容")] == "请填写意见内容。"
    assert "赞成、反对、修改、新增、删除、其他" in messages[(3, "态度")]
    assert "不能超过 5000 个字" in messages[(4, "意见内容")]
    assert all(e.value is not None for e in errors)


def test_defaults_words_and_counts(draft):
    rows = [
        service.RowInput(2, {"provision": "", "body": "意见", "stance": "", "category": "", "represented": ""}),
        service.RowInput(3, {"provision": "第三条", "body": " 意见\r\n二 ", "stance": "同意", "category": "市民",
                             "represented": "３人"}),
        service.RowInput(4, {"provision": "第三条", "body": "意见", "stance": "oppose", "category": "lawyer",
                             "represented": "12.0"}),
    ]
    clean, errors = service.validate_rows(rows, service.VersionClauses(draft.current_version.id))
    assert errors == []
    assert [(r.stance, r.category, r.represented, r.provision_key) for r in clean] == [
        ("other", "citizen", 1, None), ("support", "citizen", 3, "art.3"), ("oppose", "lawyer", 12, "art.3")]
    assert clean[1].body == "意见\n二"


def test_headers_are_matched_by_name_in_any_order_with_extra_columns(draft):
    header = ["序号", " 意见内容 ", "条\u3000款", "态度（必填）", "*代表人数", "备注"]
    data = excel_like_xlsx([[1, "意见甲", "第三条第（一）项", "反对", 4, "内部备注"]], header=header)
    upload = service.read_upload(data, "意见.xlsx")
    assert set(upload.columns) == {"body", "provision", "stance", "represented"}
    assert upload.ignored_headers == ["序号", "备注"]
    clean, errors = service.validate_rows(upload.rows, service.VersionClauses(draft.current_version.id))
    assert errors == [] and clean[0].provision_key == "art.3.2.1" and clean[0].represented == 4


def test_title_rows_above_the_header_and_duplicate_headers(draft):
    data = excel_like_xlsx([["", "", ""], HEADERS, row()], header=["和平街道意见建议汇总表", "", ""])
    upload = service.read_upload(data, "意见.xlsx")
    assert upload.header_row == 3 and [r.row for r in upload.rows] == [4]
    with pytest.raises(service.BatchRejected) as caught:
        service.read_upload(excel_like_xlsx([row()], header=["意见内容", "态度", "意见"]), "意见.xlsx")
    assert "重复" in caught.value.message and caught.value.errors[0].letter == "C"
    with pytest.raises(service.BatchRejected) as caught:
        service.read_upload(excel_like_xlsx([row()], header=["甲", "乙"]), "意见.xlsx")
    assert "没有找到表头" in caught.value.message and caught.value.fields["file"]


# --- storing ------------------------------------------------------------------------------

def test_a_batch_is_stored_with_its_rows_attributed_to_the_point(import_file, xlsx, draft, point, operator):
    data = xlsx([
        row("第三条第（三）项", "停车难", "修改", category="居民", name="王芳", region="东城区", represented=3),
        row("总体意见", "总体赞成", "赞成", category="律师", name="王 芳"),
        row("第二条第二款", "应当公开到小区", "新增", category="", name=""),
        row("第二条第二款", "同上", "赞成", category="人大代表", name=""),
    ])
    batch, created = import_file(data)
    assert created and batch.row_count == 4 and batch.represented_total == 6
    assert not batch.is_entered_by_staff and batch.entered_by_id == operator.id
    assert batch.stored_file == f"{batch.source_digest}.xlsx" and batch.version_id == draft.current_version.id
    opinions = db.session.scalars(select(Opinion).where(Opinion.batch_id == batch.id).order_by(Opinion.batch_row)).all()
    assert [o.batch_row for o in opinions] == [2, 3, 4, 5]
    assert [o.provision_key for o in opinions] == ["art.3.2.3", None, "art.2.2", "art.2.2"]
    assert [o.category for o in opinions] == ["citizen", "lawyer", "citizen", "deputy"]
    assert all(o.liaison_point_id == point.id and o.author_id is None and o.contact == "" for o in opinions)
    assert all(not o.is_name_public for o in opinions)
    # The same name at the same point is one submitter (spaces aside); unnamed rows each count.
    assert opinions[0].submitter_key == opinions[1].submitter_key
    assert len({o.submitter_key for o in opinions}) == 3
    assert "王芳" not in opinions[0].submitter_key
    # Every row has its own receipt, found like any opinion's.
    assert len({o.receipt_code for o in opinions}) == 4
    assert find_by_receipt(opinions[2].receipt_code.lower().replace("-", "")).id == opinions[2].id


def test_the_tally_counts_them_by_speaker_and_via_the_point(import_file, xlsx, draft, point, make_point, make_user,
                                                           activity):
    import_file(xlsx([row("第三条第（三）项", "甲", "赞成", category="居民", represented=5),
                      row("第三条", "乙", "反对", category="企业"),
                      row("", "丙", "赞成", category="专家")]))
    other = make_point("明理律所联系点")
    import_file(xlsx([row("第三条第二款", "丁", "修改", category="律师")]), target_point=other,
                user=make_user("operator", liaison_point=other))
    tally = compute_tally(draft.id, draft.current_version.id)
    by_key = tally.by_key()
    assert by_key["art.3"].total == 3 and by_key["art.3.2.3"].total == 1
    assert by_key["art.3"].by_category == Counter({"citizen": 1, "enterprise": 1, "lawyer": 1})
    assert by_key["art.3"].by_liaison_point == Counter({point.id: 2, other.id: 1})
    assert by_key["art.3.2.3"].represented == 5
    assert tally.overall.by_liaison_point == Counter({point.id: 3, other.id: 1})
    assert tally.whole_draft.by_category == Counter({"expert": 1})
    assert tally.as_dict()["by_liaison_point"] == {str(point.id): 3, str(other.id): 1}


def test_any_invalid_row_stores_nothing(import_file, xlsx):
    data = xlsx([row(body=f"意见{n}") for n in range(50)] + [row("第九十九条", "坏的一行")])
    with pytest.raises(service.BatchRejected) as caught:
        import_file(data)
    db.session.rollback()
    assert [(e.row, e.column) for e in caught.value.errors] == [(52, "条款")]
    assert _count(Batch) == 0 and _count(Opinion) == 0


def test_the_same_file_is_stored_once(import_file, xlsx, draft, make_user, point):
    data = xlsx([row(body="意见一"), row(body="意见二")])
    first, created = import_file(data)
    again, created_again = import_file(data, filename="另一个名字.xlsx")
    assert created and not created_again and again.id == first.id
    # The same rows from staff, as CSV, are a different file: a second batch (people decide).
    staff_batch, created = import_file(csv_bytes([row(body="意见一"), row(body="意见二")]), filename="x.csv",
                                       user=make_user("staff"))
    assert created and staff_batch.is_entered_by_staff and staff_batch.source_encoding == "utf-8"
    assert _count(Batch) == 2 and _count(Opinion) == 4


def test_never_twice_is_decided_by_the_unique_constraint(import_file, xlsx, monkeypatch):
    data = xlsx([row(body="意见一")])
    first, _created = import_file(data)
    # A concurrent upload that checked before the first one committed: the lookup
    # misses, the INSERT hits the constraint, and the winner is returned.
    real = service.find_existing
    calls = {"n": 0}

    def stale_then_real(*args):
        calls["n"] += 1
        return None if calls["n"] == 1 else real(*args)

    monkeypatch.setattr(service, "find_existing", stale_then_real)
    again, created = import_file(data)
    assert not created and again.id == first.id and calls["n"] == 2
    assert _count(Batch) == 1 and _count(Opinion) == 1


def test_idempotency_key(import_file, xlsx, operator):
    batch, created = import_file(xlsx([row(body="意见一")]), key=f"{operator.id}:k1")
    replay, created_again = import_file(xlsx([row(body="意见一")]), key=f"{operator.id}:k1")
    assert created and not created_again and replay.id == batch.id
    with pytest.raises(IdempotencyKeyConflict) as caught:
        import_file(xlsx([row(body="不同的内容")]), key=f"{operator.id}:k1")
    assert "Idempotency-Key" in caught.value.message and caught.value.status_code == 422


def test_moderated_drafts_hold_batch_rows_too(import_file, xlsx, draft):
    draft.moderation_mode = "pre"
    db.session.commit()
    batch, _created = import_file(xlsx([row()]))
    assert db.session.scalar(select(Opinion.moderation_state).where(Opinion.batch_id == batch.id)) == "pending"


def test_closed_drafts_take_late_batches_from_staff_with_a_reason(import_file, xlsx, draft, frozen_now, staff,
                                                                 activity):
    frozen_now.advance(days=31)
    with pytest.raises(Conflict) as caught:
        import_file(xlsx([row()]))
    assert "征求意见期已经结束" in caught.value.message and "代为录入" in caught.value.message
    with pytest.raises(ValidationFailed) as caught:
        import_file(xlsx([row()]), user=staff, allow_late=True)
    assert "late_reason" in caught.value.fields
    activity.late_reason = "座谈会于截止前举行，汇总表逾期送达。"
    batch, created = import_file(xlsx([row()]), user=staff, allow_late=True, act=activity)
    assert created and batch.late_reason == activity.late_reason and batch.is_entered_by_staff


@pytest.mark.parametrize("state, message", [("scheduled", "尚未开始"), ("draft", "尚未发布"), ("feedback", "已发布意见采纳情况反馈")])
def test_drafts_not_open_refuse_batches(import_file, xlsx, make_draft, state, message, frozen_now):
    from tests.batches.conftest import BATCH_DRAFT

    target = make_draft(BATCH_DRAFT, published=state != "draft", opens_in=timedelta(days=2) if state == "scheduled" else None)
    if state == "feedback":
        target.feedback_published_at = frozen_now.now
        db.session.commit()
    with pytest.raises(Conflict) as caught:
        import_file(xlsx([row()]), target_draft=target, allow_late=True)
    assert message in caught.value.message


def test_deactivated_points_take_no_batches(import_file, xlsx, point):
    point.is_active = False
    db.session.commit()
    with pytest.raises(Conflict):
        import_file(xlsx([row()]))


def test_empty_and_oversized_tables(import_file, xlsx, app):
    with pytest.raises(service.BatchRejected) as caught:
        import_file(xlsx([]))
    assert "没有意见" in caught.value.message or "没有意见" in caught.value.errors[0].message
    app.config["BATCH_MAX_ROWS"] = 5
    with pytest.raises(service.BatchRejected) as caught:
        import_file(xlsx([row(body=f"意见{n}") for n in range(30)]))
    assert "上限" in caught.value.message


# --- activity -----------------------------------------------------------------------------

def test_activity_fields_are_checked_together(frozen_now):
    from datetime import date

    today = date(2026, 3, 1)
    with pytest.raises(ValidationFailed) as caught:
        service.parse_activity({"kind": "开会", "date": "2026-13-01", "participants": "很多", "place": "地" * 300},
                               today=today)
    assert set(caught.value.fields) == {"kind", "date", "participants", "place"}
    with pytest.raises(ValidationFailed) as caught:
        service.parse_activity({"kind": "forum", "date": "2026-03-02"}, today=today)
    assert "晚于今天" in caught.value.fields["date"][0]
    activity = service.parse_activity({"kind": "座谈会", "date": "２０２６-０２-０１", "participants": "25人"}, today=today)
    assert (activity.kind, activity.date, activity.participants) == ("forum", date(2026, 2, 1), 25)


# --- feedback -----------------------------------------------------------------------------

def test_feedback_sheet_keeps_the_upload_layout_and_adds_dispositions(import_file, draft, staff):
    from participation.services.opinions import hide_opinion

    header = ["序号", "条款", "意见内容", "态度", "提出人", "代表人数"]
    data = excel_like_xlsx([[1, "第三条", "意见甲", "赞成", "王芳", 2], ["", "", "", "", "", ""],
                            [3, "总体意见", '=HYPERLINK("http://x")', "反对", "", 1]],
                           header=header, sheet_title="我们的汇总")
    batch, _created = import_file(data)
    hidden = db.session.scalar(select(Opinion).where(Opinion.batch_id == batch.id, Opinion.batch_row == 4))
    hide_opinion(hidden, reason="与草案无关", by=staff, now=hidden.created_at)
    db.session.commit()
    sheet = load_workbook(io.BytesIO(service.feedback_workbook(batch))).active
    assert sheet.title == "我们的汇总"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (*header, "回执码", "处理状态", "采纳情况", "采纳理由")
    assert rows[1][:6] == (1, "第三条", "意见甲", "赞成", "王芳", 2)
    assert rows[1][7:9] == ("已公开", "待处理") and len(rows[1][6]) == 14
    assert rows[2] == (None,) * 10 or all(v is None for v in rows[2])  # the empty row stays where it was
    assert rows[3][2] == '=HYPERLINK("http://x")' and sheet["C4"].data_type == "s"
    assert rows[3][7] == "已屏蔽：与草案无关"


def test_feedback_sheet_without_the_stored_file_uses_the_template_layout(import_file, xlsx):
    batch, _created = import_file(xlsx([row("第三条第（三）项", "意见甲", "赞成", category="律师", represented=2)]))
    os.remove(service.uploads_dir() / batch.stored_file)
    rows = list(load_workbook(io.BytesIO(service.feedback_workbook(batch))).active.iter_rows(values_only=True))
    assert rows[0] == (*HEADERS, "回执码", "处理状态", "采纳情况", "采纳理由")
    assert rows[1][:9] == ("第三条第二款第（三）项", "意见甲", "赞成", None, None, "律师", None, None, 2)


def test_the_template_has_drop_downs_the_clause_list_and_instructions(draft):
    workbook = load_workbook(io.BytesIO(service.template_workbook(draft)))
    assert workbook.sheetnames == ["意见建议汇总表", "条款列表", "填写说明"]
    sheet = workbook["意见建议汇总表"]
    assert [cell.value for cell in sheet[1]] == HEADERS
    validations = {str(v.sqref).split(":")[0]: v for v in sheet.data_validations.dataValidation}
    assert validations["C2"].formula1 == '"赞成,反对,修改,新增,删除,其他"'
    assert "人大代表" in validations["F2"].formula1 and "律师" in validations["F2"].formula1
    assert validations["A2"].formula1.startswith("'条款列表'!$A$2") and validations["A2"].showErrorMessage is False
    assert validations["I2"].type == "whole"
    clause_rows = list(workbook["条款列表"].iter_rows(values_only=True))
    assert clause_rows[1][:2] == ("总体意见", None) or clause_rows[1][0] == "总体意见"
    assert ("第三条第二款第（三）项", "art.3.2.3") in [r[:2] for r in clause_rows]
    assert "某市社区议事条例" in workbook["填写说明"]["A1"].value


def test_a_filled_template_reads_back(draft, import_file):
    workbook = load_workbook(io.BytesIO(service.template_workbook(draft)))
    sheet = workbook["意见建议汇总表"]
    sheet.append(row("第三条第二款第（三）项", "模板填写的意见", "删除", category="单位", represented=2))
    buffer = io.BytesIO()
    workbook.save(buffer)
    batch, created = import_file(buffer.getvalue())
    assert created and batch.row_count == 1 and batch.represented_total == 2


# --- stored uploads -----------------------------------------------------------------------

def test_uploads_are_stored_by_digest_and_stale_ones_purged(import_file, xlsx, point, draft, operator, activity,
                                                           frozen_now):
    kept, _created = import_file(xlsx([row(body="已导入")]))
    data = xlsx([row(body="只预览")])
    orphan = service.store_upload(data, "xlsx")
    assert orphan == f"{service.file_digest(data)}.xlsx" and service.read_stored_upload(orphan) == data
    assert service.read_stored_upload("../../secret_key") is None
    pending = service.save_pending_upload(point=point, draft=draft, user=operator, activity=activity,
                                          filename="x.xlsx", stored_file=orphan, now=frozen_now.now)
    assert service.load_pending_upload(pending.id).activity_value() == activity
    assert service.load_pending_upload("../x") is None
    old = time.time() - 3 * 24 * 3600
    for path in service.uploads_dir().rglob("*"):
        if path.is_file():
            os.utime(path, (old, old))
    assert service.purge_stale_uploads() == 2  # the preview and its orphan table
    assert service.read_stored_upload(kept.stored_file) is not None
    assert service.read_stored_upload(orphan) is None and service.load_pending_upload(pending.id) is None


def test_receipt_codes_are_distinct_and_well_formed():
    import re

    from participation.receipts import normalize_receipt_code, receipt_codes

    codes = receipt_codes(5000)
    assert len(set(codes)) == 5000
    assert all(re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", code) for code in codes)
    assert all(normalize_receipt_code(code.lower().replace("-", " ")) == code for code in codes[:200])


def test_a_formula_saved_without_its_value_is_reported_at_its_cell(import_file):
    from openpyxl import Workbook

    from bench.batch_data import HEADERS as header

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    sheet.append(row("第三条", "意见甲"))
    sheet.append(row("第三条", '=CONCAT("停车","难")'))  # a script wrote it; nothing computed it
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(service.BatchRejected) as caught:
        import_file(buffer.getvalue())
    db.session.rollback()
    assert [(e.row, e.column, e.letter) for e in caught.value.errors] == [(3, "意见内容", "B")]
    assert "公式" in caught.value.errors[0].message
    assert _count(Batch) == 0
