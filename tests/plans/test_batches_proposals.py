"""Liaison-point batches of proposals: the pipeline's second kind of row. A good file,
bad rows reported by row and column with nothing stored, the same file twice stored
once, the idempotency key, the template, and the batch API with kind=proposals."""
from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from bench.batch_data import csv_bytes, excel_like_xlsx
from participation import batches
from participation.batches import proposal_rows
from participation.errors import Conflict, IdempotencyKeyConflict, ValidationFailed
from participation.extensions import db
from participation.models import Batch, Proposal
from participation.services import accounts
from tests.batches.conftest import activity, make_point, operator, point, staff  # noqa: F401 (fixtures)

HEADER = list(proposal_rows.HEADERS.values())


def prow(title="某市电动自行车管理条例", necessity="很有必要。", problems="", measures="", area="城市管理",
         category="居民", name="", unit="", region="", contact="", publish="", represented=""):
    return [title, necessity, problems, measures, area, category, name, unit, region, contact, publish, represented]


def table(rows, header=HEADER):
    return excel_like_xlsx(rows, header=header, sheet_title="立法项目建议汇总表")


def _count(model):
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def call(make_call, frozen_now):
    return make_call()


@pytest.fixture
def store_file(app, call, point, operator, activity, frozen_now):  # noqa: F811
    def run(data, filename="建议.xlsx", *, user=None, key=None, target=None):
        checked = batches.check(batches.FileSource(data, filename), target or call, point)
        result = batches.store(checked, activity, user or operator, frozen_now.now, idempotency_key=key)
        db.session.commit()
        return result

    return run


def test_a_good_file_is_stored_as_proposals(store_file, call, point, operator):  # noqa: F811
    data = table([prow(name="张三", contact="13800000000", publish="是", represented="12人"),
                  prow(title="某市养犬管理条例", category="政府部门", unit="市公安局", area="民生保障")])
    batch, created = store_file(data)
    assert created and batch.kind == "proposals" and batch.plan_call_id == call.id and batch.draft_id is None
    assert batch.row_count == 2 and batch.represented_total == 13
    stored = db.session.scalars(select(Proposal).order_by(Proposal.batch_row)).all()
    assert [(p.batch_row, p.channel, p.liaison_point_id, p.author_id) for p in stored] == [
        (2, "batch", point.id, None), (3, "batch", point.id, None)]
    first, second = stored
    assert (first.category, first.submitter_name, first.contact, first.is_name_public, first.represented_count) == (
        "citizen", "张三", "13800000000", True, 12)
    assert (second.category, second.unit, second.area) == ("government", "市公安局", "民生保障")
    assert all(p.receipt_code and p.moderation_state == "published" for p in stored)
    assert [r for r, _code in proposal_rows.receipts_of(batch)] == [2, 3]


def test_moderation_as_the_call_says(make_call, store_file):
    held = make_call(title="先审后发", moderation="pre")
    store_file(table([prow()]), target=held)
    assert db.session.scalar(select(Proposal.moderation_state)) == "pending"


def test_bad_rows_are_reported_by_row_and_column_and_nothing_is_stored(store_file, call, point):  # noqa: F811
    data = table([
        prow(),
        prow(title="", necessity=""),
        prow(area="体育", category="外星人"),
        prow(category="单位", publish="也许"),
        prow(represented="很多"),
    ])
    checked = batches.check(batches.FileSource(data, "建议.xlsx"), call, point)
    found = {(e.row, e.column) for e in checked.errors}
    assert {(3, "项目名称"), (3, "立法的必要性和可行性"), (4, "重点领域"), (4, "提出人类别"), (5, "单位"),
            (5, "是否公开姓名"), (6, "反映群众人数")} <= found, found
    assert all(e.letter for e in checked.errors)
    with pytest.raises(batches.BatchRejected):
        store_file(data)
    assert _count(Batch) == 0 and _count(Proposal) == 0


def test_the_same_file_twice_is_stored_once(store_file):
    data = table([prow(), prow(title="某市养犬管理条例")])
    first, created = store_file(data)
    again, created_again = store_file(data, "另一个名字.xlsx")
    assert created and not created_again and again.id == first.id
    assert _count(Batch) == 1 and _count(Proposal) == 2


def test_the_same_idempotency_key(store_file):
    first, _ = store_file(table([prow()]), key="7:k")
    again, created = store_file(table([prow()]), key="7:k")
    assert again.id == first.id and not created
    with pytest.raises(IdempotencyKeyConflict):
        store_file(table([prow(title="别的条例")]), key="7:k")


def test_a_csv_file_and_a_header_without_a_title_column(store_file, call, point):  # noqa: F811
    store_file(csv_bytes([HEADER, prow()], encoding="gb18030"), "建议.csv")
    assert _count(Proposal) == 1
    checked = batches.check(batches.FileSource(table([["x"]], header=["意见内容"]), "a.xlsx"), call, point)
    assert checked.refused is not None and "项目名称" in checked.errors[0].message


def test_a_closed_call_takes_no_batch_from_an_operator(store_file, frozen_now, staff, activity):  # noqa: F811
    frozen_now.advance(days=31)
    with pytest.raises(Conflict):
        store_file(table([prow()]))
    with pytest.raises(ValidationFailed):  # staff, late: a reason is needed
        store_file(table([prow()]), user=staff)
    assert _count(Proposal) == 0


def test_template_has_the_columns_and_the_focus_areas(app, call):
    workbook = openpyxl.load_workbook(io.BytesIO(proposal_rows.template_workbook(call)))
    sheet = workbook["立法项目建议汇总表"]
    assert [cell.value for cell in sheet[1]] == HEADER
    assert [row[0].value for row in workbook["重点领域"].iter_rows(min_row=2)] == ["民生保障", "生态环境", "城市管理"]


# --- the batch API, kind=proposals ------------------------------------------------------------

@pytest.fixture
def headers(app, operator):  # noqa: F811
    _token, secret = accounts.issue_api_token(operator, name="批次")
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


ACTIVITY = {"kind": "座谈会", "date": "2026-01-05"}


def test_api_json_rows_of_proposals(client, headers, point, call, frozen_now):  # noqa: F811
    body = {"kind": "proposals", "call_id": call.id, "activity": ACTIVITY, "rows": [
        {"title": "某市电动自行车管理条例", "necessity": "很有必要。", "area": "城市管理", "category": "公民",
         "name": "张三", "contact": "13800000000", "publish_name": True, "represented": 3},
        {"title": "某市养犬管理条例", "necessity": "需要。", "category": "government", "unit": "市公安局"},
    ]}
    url = f"/api/v1/liaison-points/{point.id}/batches"
    response = client.post(url, json=body, headers={**headers, "Idempotency-Key": "k1"})
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["kind"] == "proposals" and created["call_id"] == call.id and created["draft"] is None
    assert created["rows"] == 2 and created["represented"] == 4 and len(created["receipts"]) == 2
    again = client.post(url, json=body, headers={**headers, "Idempotency-Key": "k1"})
    assert again.status_code == 200 and again.get_json()["id"] == created["id"]
    assert _count(Proposal) == 2

    bad = client.post(url, json={**body, "rows": [{"title": "", "necessity": "x", "publish_name": "是", "x": 1}]},
                      headers=headers)
    assert bad.status_code == 422
    columns = {(e["row"], e["column"]) for e in bad.get_json()["errors"]}
    assert {(1, "publish_name"), (1, "x"), (1, "title")} <= columns, columns
    for wrong, field in (({"call_id": None}, "call_id"), ({"call_id": 999}, "call_id"), ({"kind": "x"}, "kind"),
                         ({"draft": 1}, "draft")):
        response = client.post(url, json={**body, **wrong}, headers=headers)
        assert response.status_code == 422 and field in response.get_json()["fields"], (wrong, response.get_json())
    assert _count(Proposal) == 2


def test_api_multipart_file_of_proposals(client, headers, point, call):  # noqa: F811
    form = {"call_id": str(call.id), "kind": "forum", "date": "2026-01-05",
            "file": (io.BytesIO(table([prow()])), "建议.xlsx")}
    response = client.post(f"/api/v1/liaison-points/{point.id}/batches", data=form, headers=headers,
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["kind"] == "proposals" and _count(Proposal) == 1


def test_api_refuses_a_closed_call(client, headers, point, make_call):  # noqa: F811
    closed = make_call(title="已截止", opens_in=timedelta(days=-40), days=10)
    body = {"kind": "proposals", "call_id": closed.id, "activity": ACTIVITY,
            "rows": [{"title": "某市条例", "necessity": "需要。"}]}
    response = client.post(f"/api/v1/liaison-points/{point.id}/batches", json=body, headers=headers)
    assert response.status_code == 409


def test_staff_enter_a_late_batch_on_a_points_behalf(frozen_now, staff, call, point):  # noqa: F811
    from participation.batches import Activity
    from participation.models import AuditEntry

    frozen_now.advance(days=31)
    activity = Activity(kind="forum", date=frozen_now.now.date() - timedelta(days=40), late_reason="汇总表逾期送达")
    checked = batches.check(batches.FileSource(table([prow()]), "late.xlsx"), call, point)
    batch, created = batches.store(checked, activity, staff, frozen_now.now)
    db.session.commit()
    assert created and batch.is_entered_by_staff and batch.late_reason == "汇总表逾期送达"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "liaison_point.batch_on_behalf")).one()
    assert entry.new["plan_call_id"] == call.id and entry.new["batch_id"] == batch.id


def test_a_rows_errors_come_in_the_templates_column_order(call, point):  # noqa: F811
    checked = batches.check(batches.FileSource(table([prow(title="", category="单位", publish="也许")]), "a.xlsx"),
                            call, point)
    assert [e.column for e in checked.errors] == ["项目名称", "单位", "是否公开姓名"]
