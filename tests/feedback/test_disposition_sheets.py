"""The disposition sheet round trip (用表格批量填写处理情况): download the opinions of a
draft, fill in 处理情况 / 处理理由 / 内部备注 in Excel, upload, confirm — checked row by
row (every error at once, nothing applied while any row is wrong), applied in one
statement, audited once, and never twice."""
from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, insert, select

from participation import disposition_sheets, queries
from participation.disposition_sheets import uploads
from participation.disposition_sheets.columns import FIELDS, HEADERS
from participation.extensions import db
from participation.models import AuditEntry, Opinion

ID, WORD, REASON, NOTE = (FIELDS.index(name) + 1 for name in ("id", "disposition", "disposition_reason", "note"))

# The test factories (users, drafts) write audit entries of their own.
SHEET_ACTION = "opinion.dispose_sheet"


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _download(draft, **filters) -> bytes:
    return disposition_sheets.workbook(draft, queries.StaffOpinionFilters(**filters))


def _fill(data: bytes, answers: dict[int, tuple]) -> bytes:
    """The downloaded sheet with (word, reason[, note]) written into the rows of the
    given opinion ids, as staff do in Excel."""
    book = load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    for row in range(2, sheet.max_row + 1):
        answer = answers.get(sheet.cell(row, ID).value)
        if answer is not None:
            for column, value in zip((WORD, REASON, NOTE), answer):
                sheet.cell(row, column).value = value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _fill_large(data: bytes, answers: dict[int, tuple]) -> bytes:
    """``_fill`` for thousands of rows: read and written streaming (openpyxl's normal
    mode takes seconds a thousand rows)."""
    source = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    book = Workbook(write_only=True)
    sheet = book.create_sheet("处理情况表")
    for values in source.iter_rows(values_only=True):
        values = list(values)
        answer = answers.get(values[ID - 1])
        if answer is not None:
            values[WORD - 1:WORD - 1 + len(answer)] = answer
        sheet.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet(rows: list[list], headers=("意见编号", "处理情况", "处理理由", "内部备注")) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(headers))
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _stored(opinion_id: int) -> tuple:
    row = db.session.execute(select(Opinion.disposition, Opinion.disposition_reason, Opinion.disposition_note)
                             .where(Opinion.id == opinion_id)).one()
    return tuple(row)


@pytest.fixture
def staff(make_user):
    return make_user("staff")


@pytest.fixture
def opinions(open_draft, make_opinion):
    return [make_opinion(open_draft, key="art.3", body=f"第{i}条意见") for i in range(4)]


# --- The downloaded sheet -----------------------------------------------------------------

def test_the_sheet_has_every_column_and_a_drop_down(open_draft, make_opinion):
    injected = make_opinion(open_draft, key="art.3.1.2", body="=HYPERLINK(\"http://x\")", stance="oppose")
    book = load_workbook(io.BytesIO(_download(open_draft)))
    sheet = book.worksheets[0]
    assert [cell.value for cell in sheet[1]] == [HEADERS[name] for name in FIELDS]
    values = [cell.value for cell in sheet[2]]
    assert values[:4] == [injected.id, injected.receipt_code, "第三条第（二）项", "反对"]
    assert values[10:] == ["待处理", None, None]
    body = sheet.cell(2, FIELDS.index("body") + 1)
    assert body.data_type == "s" and body.value.startswith("=") and body.quotePrefix
    assert sheet.freeze_panes == "A2"
    (validation,) = sheet.data_validations.dataValidation
    assert "K2" in validation.sqref and validation.formula1 == '"待处理,采纳,部分采纳,未采纳,已有规定,不属于本法规调整范围,留作研究"'


def test_the_sheet_follows_the_staff_filters(open_draft, make_opinion):
    on_three = make_opinion(open_draft, key="art.3", body="关于第三条")
    make_opinion(open_draft, key="art.1", body="关于第一条")
    sheet = load_workbook(io.BytesIO(_download(open_draft, clause="art.3"))).worksheets[0]
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [on_three.id]


# --- Round trip ---------------------------------------------------------------------------

def test_round_trip_applies_the_changes_once_and_audits_once(open_draft, opinions, staff, frozen_now):
    filled = _fill(_download(open_draft), {
        opinions[0].id: ("采纳",),
        opinions[1].id: ("未采纳", "与上位法不一致", "请复核"),
        opinions[2].id: ("partly_adopted", "部分吸收"),
    })
    checked = disposition_sheets.check(filled, "处理表.xlsx", open_draft)
    assert checked.ok, checked.errors
    assert (len(checked.changes), checked.unchanged, checked.rows) == (3, 1, 4)
    result = disposition_sheets.apply(checked, open_draft, staff, frozen_now.now)
    db.session.commit()
    assert result.updated == 3
    assert _stored(opinions[0].id) == ("adopted", "", "")
    assert _stored(opinions[1].id) == ("not_adopted", "与上位法不一致", "请复核")
    assert _stored(opinions[2].id) == ("partly_adopted", "部分吸收", "")
    assert _stored(opinions[3].id) == ("pending", "", "")
    opinion = db.session.get(Opinion, opinions[1].id)
    assert (opinion.disposed_by_id, opinion.disposed_at) == (staff.id, frozen_now.now)
    (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == SHEET_ACTION)).all()
    assert (entry.action, entry.count, entry.actor_id, entry.draft_id) == ("opinion.dispose_sheet", 3, staff.id,
                                                                           open_draft.id)
    assert entry.selection["file"] == "处理表.xlsx" and entry.selection["rows"] == 4
    assert len(entry.selection["digest"]) == 64
    assert sorted(entry.selection["ids"]) == sorted(o.id for o in opinions[:3])

    # The same file again: nothing left to change, nothing recorded.
    again = disposition_sheets.check(filled, "处理表.xlsx", open_draft)
    assert (len(again.changes), again.unchanged) == (0, 4)
    assert disposition_sheets.apply(again, open_draft, staff, frozen_now.now).updated == 0
    db.session.commit()
    assert _count(AuditEntry, AuditEntry.action == SHEET_ACTION) == 1


def test_the_same_confirmation_twice_applies_once(open_draft, opinions, staff, frozen_now):
    """What two simultaneous confirmations of one upload meet: the first one's audit
    entry (its idempotency key), however the opinions look by then."""
    checked = disposition_sheets.check(_sheet([[opinions[0].id, "采纳"]]), "x.xlsx", open_draft)
    first = disposition_sheets.apply(checked, open_draft, staff, frozen_now.now, idempotency_key="sheet:1")
    db.session.commit()
    opinion = db.session.get(Opinion, opinions[0].id)
    opinion.disposition = "pending"
    db.session.commit()
    second = disposition_sheets.apply(checked, open_draft, staff, frozen_now.now, idempotency_key="sheet:1")
    db.session.commit()
    assert (first.updated, second.repeated, second.updated) == (1, True, 1)
    assert _count(AuditEntry, AuditEntry.action == SHEET_ACTION) == 1 and _stored(opinions[0].id)[0] == "pending"


def test_a_downloaded_sheet_uploaded_back_untouched_changes_nothing(open_draft, opinions, staff, frozen_now):
    disposition_sheets.apply(disposition_sheets.check(_fill(_download(open_draft), {
        opinions[0].id: ("未采纳", "理由\n第二行", "备注")}), "a.xlsx", open_draft), open_draft, staff, frozen_now.now)
    db.session.commit()
    checked = disposition_sheets.check(_download(open_draft), "b.xlsx", open_draft)
    assert checked.ok and (len(checked.changes), checked.unchanged) == (0, 4)


def test_a_blank_disposition_leaves_the_row_alone(open_draft, opinions, staff, frozen_now):
    filled = _sheet([[opinions[0].id, "", "", ""], [opinions[1].id, "采纳", "", ""]])
    checked = disposition_sheets.check(filled, "x.xlsx", open_draft)
    assert checked.ok and (len(checked.changes), checked.unchanged) == (1, 1)


def test_missing_note_column_keeps_the_notes(open_draft, opinions, staff, frozen_now):
    opinion = db.session.get(Opinion, opinions[0].id)
    opinion.disposition_note = "原有备注"
    db.session.commit()
    # Columns are found by their header, in any order.
    filled = _sheet([["需进一步调研", "留作研究", opinions[0].id]], headers=("处理理由", "处理情况", "意见编号"))
    checked = disposition_sheets.check(filled, "x.xlsx", open_draft)
    disposition_sheets.apply(checked, open_draft, staff, frozen_now.now)
    db.session.commit()
    assert _stored(opinions[0].id) == ("for_study", "需进一步调研", "原有备注")


def test_csv_in_gbk_round_trip(open_draft, opinions, staff, frozen_now):
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["意见编号", "回执码", "处理情况", "处理理由"])
    writer.writerow([opinions[0].id, opinions[0].receipt_code, "不属于本法规调整范围", "属于其他法规"])
    writer.writerow([opinions[1].id, "", "not_adopted", "不可行"])
    checked = disposition_sheets.check(text.getvalue().encode("gb18030"), "处理表.csv", open_draft)
    assert checked.ok, checked.errors
    assert checked.format == "csv" and len(checked.changes) == 2
    disposition_sheets.apply(checked, open_draft, staff, frozen_now.now)
    db.session.commit()
    assert _stored(opinions[0].id) == ("out_of_scope", "属于其他法规", "")
    assert _stored(opinions[1].id)[:2] == ("not_adopted", "不可行")


# --- Row errors: all of them, nothing applied -----------------------------------------------

def test_every_error_is_reported_together_and_nothing_is_applied(open_draft, make_draft, make_opinion, opinions,
                                                                 staff, frozen_now):
    foreign = make_opinion(make_draft(published=True, title="另一部草案"), body="别的草案的意见")
    filled = _sheet([
        [opinions[0].id, "采纳", "", ""],                      # 2: fine on its own
        [999999, "采纳", "", ""],                              # 3: unknown id
        [foreign.id, "采纳", "", ""],                          # 4: another draft's opinion
        [opinions[1].id, "也许", "", ""],                      # 5: unknown word
        [opinions[2].id, "采纳", "=CONCAT(\"a\",\"b\")", ""],  # 6: a formula
        [opinions[3].id, "未采纳", "", ""],                    # 7: no reason
        [opinions[0].id, "采纳", "", ""],                      # 8: id repeated
        ["abc", "采纳", "", ""],                               # 9: not an id
        [opinions[1].id + 0, "", "", "x" * 2001],               # 10: (repeated id too) note too long, blank word
    ])
    checked = disposition_sheets.check(filled, "错误.xlsx", open_draft)
    assert not checked.ok and checked.changes == []
    found = {(error.row, error.column) for error in checked.errors}
    assert {(3, "意见编号"), (4, "意见编号"), (5, "处理情况"), (6, "处理理由"), (7, "处理理由"), (8, "意见编号"),
            (9, "意见编号"), (10, "意见编号")} <= found
    messages = " ".join(error.message for error in checked.errors)
    for words in ("没有编号为 999999 的意见", "另一部草案", "无法识别处理情况", "公式", "须填写处理理由", "重复",
                  "正整数"):
        assert words in messages
    with pytest.raises(Exception):
        disposition_sheets.apply(checked, open_draft, staff, frozen_now.now)
    db.session.rollback()
    assert _count(Opinion, Opinion.disposition != "pending") == 0
    assert _count(AuditEntry, AuditEntry.action == SHEET_ACTION) == 0


def test_too_long_reason_and_edited_text_without_a_disposition(open_draft, opinions):
    filled = _sheet([[opinions[0].id, "采纳", "长" * 2001, ""], [opinions[1].id, "", "只写了理由", ""]])
    checked = disposition_sheets.check(filled, "x.xlsx", open_draft)
    assert [(error.row, error.column) for error in checked.errors] == [(2, "处理理由"), (3, "处理情况")]
    assert "2000" in checked.errors[0].message


def test_a_receipt_code_that_does_not_match_the_id_is_an_error(open_draft, opinions):
    filled = _sheet([[opinions[0].id, opinions[1].receipt_code, "采纳"]], headers=("意见编号", "回执码", "处理情况"))
    checked = disposition_sheets.check(filled, "x.xlsx", open_draft)
    assert [(error.row, error.column) for error in checked.errors] == [(2, "回执码")]


def test_a_formula_in_a_csv_is_refused(open_draft, opinions):
    data = f"意见编号,处理情况,处理理由\n{opinions[0].id},采纳,=1+1\n".encode()
    checked = disposition_sheets.check(data, "x.csv", open_draft)
    assert [(error.row, error.column) for error in checked.errors] == [(2, "处理理由")]


@pytest.mark.parametrize("data,words", [
    (b"", "空"),
    (b"%PDF-1.4", "PDF"),
    ("意见内容,态度\n一条,赞成\n".encode(), "表头"),
])
def test_a_file_that_is_no_sheet_is_refused(open_draft, data, words):
    checked = disposition_sheets.check(data, "x.csv", open_draft)
    assert checked.refused and words in checked.refused and not checked.ok


def test_duplicate_headers_are_an_error(open_draft, opinions):
    checked = disposition_sheets.check(_sheet([[opinions[0].id, "采纳", "采纳"]],
                                              headers=("意见编号", "处理情况", "采纳情况")), "x.xlsx", open_draft)
    assert [error.column for error in checked.errors] == ["处理情况"] and "重复" in checked.errors[0].message


# --- Through the pages ----------------------------------------------------------------------

def _upload(client, draft, data: bytes, name: str = "处理表.xlsx"):
    return client.post(f"/staff/drafts/{draft.id}/dispositions/upload", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), name)})


def _fingerprint(page: str) -> str:
    return re.search(r'name="fingerprint" type="hidden" value="([0-9a-f]+)"', page).group(1)


def test_pages_round_trip_the_count_shown_is_the_count_applied(client, login, open_draft, opinions, staff):
    login(staff)
    listing = client.get(f"/staff/drafts/{open_draft.id}/opinions?clause=art.3").get_data(as_text=True)
    assert "下载处理表" in listing and "上传处理表" in listing
    download = client.get(f"/staff/drafts/{open_draft.id}/dispositions.xlsx?clause=art.3")
    assert download.status_code == 200 and download.headers["Cache-Control"] == "no-store"
    filled = _fill(download.data, {opinions[0].id: ("采纳",), opinions[1].id: ("未采纳", "不可行")})
    response = _upload(client, open_draft, filled)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    preview_url = response.headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    assert "将更新 2 条意见的处理情况，2 条不变。" in page
    confirm_url = preview_url + "/confirm"
    response = client.post(confirm_url, data={"fingerprint": _fingerprint(page)})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/drafts/{open_draft.id}/opinions")
    assert "已更新 2 条意见的处理情况。" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert _count(Opinion, Opinion.disposition != "pending") == 2
    assert _count(AuditEntry, AuditEntry.action == "opinion.dispose_sheet", AuditEntry.count == 2) == 1
    # A second confirmation of the same upload applies nothing.
    response = client.post(confirm_url, data={"fingerprint": _fingerprint(page)})
    assert response.status_code == 303
    assert _count(AuditEntry, AuditEntry.action == SHEET_ACTION) == 1
    # Uploading the same file again: nothing to change.
    page = client.get(_upload(client, open_draft, filled).headers["Location"]).get_data(as_text=True)
    assert "将更新 0 条意见的处理情况，4 条不变。" in page


def test_pages_list_every_error_and_keep_nothing(client, login, open_draft, opinions, staff, app):
    login(staff)
    response = _upload(client, open_draft, _sheet([[999999, "采纳"], [opinions[0].id, "未采纳"]]))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "发现 2 处错误" in page and "没有编号为 999999 的意见" in page and "须填写处理理由" in page
    assert not list(uploads._folder().glob("*.json"))
    assert _count(Opinion, Opinion.disposition != "pending") == 0


def test_a_confirmation_after_the_opinions_changed_applies_nothing(client, login, open_draft, opinions, staff,
                                                                   frozen_now):
    login(staff)
    preview_url = _upload(client, open_draft, _sheet([[opinions[0].id, "采纳"]])).headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    # Meanwhile someone records another disposition for the same opinion.
    opinion = db.session.get(Opinion, opinions[0].id)
    opinion.disposition_note = "别人刚写的备注"
    db.session.commit()
    response = client.post(preview_url + "/confirm", data={"fingerprint": _fingerprint(page)})
    assert response.headers["Location"].endswith(preview_url)
    assert _count(AuditEntry, AuditEntry.action == SHEET_ACTION) == 0 and _stored(opinions[0].id) == ("pending", "", "别人刚写的备注")


def test_another_persons_upload_is_not_found(client, login, app, open_draft, opinions, make_user, staff):
    login(staff)
    preview_url = _upload(client, open_draft, _sheet([[opinions[0].id, "采纳"]])).headers["Location"]
    other = app.test_client()
    login(make_user("admin"), test_client=other)
    assert other.get(preview_url).status_code == 404
    assert other.post(preview_url + "/confirm", data={"fingerprint": "0"}).status_code == 404


# --- Size ---------------------------------------------------------------------------------------

def test_a_two_thousand_row_sheet(open_draft, opinions, staff, frozen_now):
    # Opinions inserted directly: 2,000 submissions through the service would only test the service.
    template = db.session.get(Opinion, opinions[0].id)
    db.session.execute(insert(Opinion), [{
        "draft_id": open_draft.id, "version_id": template.version_id, "provision_id": template.provision_id,
        "provision_key": template.provision_key, "stance": "amend", "body": f"批量意见{i}", "category": "citizen",
        "submitter_key": f"bulk:{i}", "receipt_code": f"BULK{i:08d}", "moderation_state": "published",
        "created_at": frozen_now.now,
    } for i in range(2000)])
    db.session.commit()
    ids = db.session.scalars(select(Opinion.id).where(Opinion.receipt_code.like("BULK%"))).all()
    data = _download(open_draft)
    filled = _fill_large(data, {opinion_id: ("未采纳" if opinion_id % 2 else "采纳", f"理由{opinion_id % 7}")
                          for opinion_id in ids})
    checked = disposition_sheets.check(filled, "大表.xlsx", open_draft)
    assert checked.ok and (len(checked.changes), checked.unchanged) == (2000, 4)
    assert disposition_sheets.apply(checked, open_draft, staff, frozen_now.now).updated == 2000
    db.session.commit()
    assert _count(Opinion, Opinion.disposition == "not_adopted") == sum(1 for i in ids if i % 2)
    assert disposition_sheets.apply(disposition_sheets.check(filled, "大表.xlsx", open_draft), open_draft, staff,
                                    frozen_now.now).updated == 0


def test_more_opinions_than_a_sheet_holds(app, client, login, open_draft, opinions, staff):
    app.config["DISPOSITION_SHEET_MAX_ROWS"] = 3
    login(staff)
    response = client.get(f"/staff/drafts/{open_draft.id}/dispositions.xlsx?stance=amend")
    assert response.status_code == 303 and "stance=amend" in response.headers["Location"]
    assert "超过一张处理情况表 3 条的上限" in client.get(response.headers["Location"]).get_data(as_text=True)
    for rows in ([[opinion.id, "采纳"] for opinion in opinions], [[opinion.id, "采纳"] for opinion in opinions] * 4):
        checked = disposition_sheets.check(_sheet(rows), "x.xlsx", open_draft)
        assert checked.refused and "3 行的上限" in checked.refused and not checked.ok


@pytest.mark.parametrize("word,value", [
    ("未采纳", "not_adopted"), (" 部分 采纳 ", "partly_adopted"), ("not_adopted", "not_adopted"),
    ("FOR_STUDY", "for_study"), ("Kept for further study", "for_study"), ("待处理", "pending"),
    ("不属于本法规调整范围", "out_of_scope"), ("采纳了", None),
])
def test_disposition_words(app, word, value):
    from participation.disposition_sheets.columns import disposition_lookup, disposition_of

    assert disposition_of(word, disposition_lookup()) == value
