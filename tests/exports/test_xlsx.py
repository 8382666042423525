"""The Excel export read back with openpyxl: the staff list's rows for a filter, in its
order, every field, formulas never, and the tally sheet adding up."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from participation import queries
from participation.exports import jobs as export_jobs
from participation.exports.workbook import write_opinions_workbook
from participation.extensions import db
from participation.models import Opinion
from participation.queries import StaffOpinionFilters
from tests.exports.conftest import FORMULAS, read_xlsx

FILTERS = [
    StaffOpinionFilters(),
    StaffOpinionFilters(clause="art.3"),
    StaffOpinionFilters(clause="general"),
    StaffOpinionFilters(state="hidden"),
    StaffOpinionFilters(stance="delete"),
    StaffOpinionFilters(disposition="adopted"),
    StaffOpinionFilters(text="意见"),
    StaffOpinionFilters(category="expert"),
    StaffOpinionFilters(assignee=1),
]


def _export(tmp_path, draft, filters):
    path = tmp_path / "out.xlsx"
    count = write_opinions_workbook(path, draft.id, filters)
    return count, read_xlsx(path.read_bytes())


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: str(f.describe()) or "all")
def test_rows_are_the_staff_lists_rows_in_its_order(app, export_world, tmp_path, filters):
    draft = export_world["draft"]
    if filters.assignee:
        filters = StaffOpinionFilters(assignee=export_world["staff"].id)
    expected = [o.receipt_code for o in db.session.scalars(queries.staff_opinions_query(draft.id, filters))]
    assert expected, "each filter selects something"
    count, book = _export(tmp_path, draft, filters)
    sheet = book.worksheets[0]
    receipts = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert count == len(receipts) == len(expected)
    assert receipts == expected
    tally = book.worksheets[1]
    rows = list(tally.iter_rows(min_row=2, values_only=True))
    assert rows[-1][0] == "合计" and rows[-1][2] == len(expected)
    assert sum(row[2] for row in rows[:-1]) == len(expected)


def test_every_field_with_contact_activity_assignee_and_local_times(app, export_world, tmp_path):
    draft = export_world["draft"]
    count, book = _export(tmp_path, draft, StaffOpinionFilters())
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    rows = {row[0]: dict(zip(header, row)) for row in sheet.iter_rows(min_row=2, values_only=True)}
    contact = rows[export_world["contact"].receipt_code]
    assert contact["联系方式"] == "13800000000"
    assert contact["条款"] == "第三条第（二）项" and contact["条款键"] == "art.3.1.2"
    assert (contact["姓名"], contact["地区"], contact["提出人类别"], contact["态度"]) == ("李四", "西城区", "专家", "修改")
    # 第一章 (第一条, 第二条) is assigned; 第三条 is in 第二章, which is not.
    assert contact["承办人"] is None
    assert next(row for row in rows.values() if row["意见内容"] == "网站意见0")["承办人"] == "承办甲"
    opinion = db.session.get(Opinion, db.session.scalar(select(Opinion.id).where(Opinion.body == "联系点意见一")))
    batch_row = rows[opinion.receipt_code]
    assert batch_row["渠道"] == "联系点汇总" and batch_row["联系点"] == "示例联系点"
    assert batch_row["活动"].startswith("座谈会 2026-01-05") and batch_row["反映群众人数"] == 3
    hidden = next(row for row in rows.values() if row["意见内容"] == "被屏蔽意见XYZ")
    assert (hidden["状态"], hidden["屏蔽理由"]) == ("已屏蔽", "测试屏蔽")
    general = next(row for row in rows.values() if row["意见内容"] == "网站意见4")
    assert (general["条款"], general["条款键"], general["处理情况"], general["处理理由"]) == (
        "总体意见", None, "已有规定", "理由4")
    api_row = next(row for row in rows.values() if row["意见内容"] == "接口意见")
    assert api_row["渠道"] == "接口"
    stored = db.session.scalar(select(Opinion).where(Opinion.receipt_code == contact["回执码"]))
    from participation import clock

    local = clock.utc_to_local(stored.created_at).replace(tzinfo=None)
    assert abs((contact["提交时间"] - local).total_seconds()) < 1
    assert contact["提交时间"].hour != stored.created_at.hour  # Asia/Shanghai, not UTC
    # The internal note never leaves the staff pages.
    assert all("内部备注" not in str(value) for row in rows.values() for value in row.values())


def test_formula_like_texts_stay_text(app, export_world, tmp_path):
    _count, book = _export(tmp_path, export_world["draft"], StaffOpinionFilters(clause="art.4"))
    sheet = book.worksheets[0]
    seen = []
    for row in sheet.iter_rows(min_row=1):
        for cell in row:
            assert cell.data_type != "f", (cell.coordinate, cell.value)
            if isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@", "\t", "\r")):
                assert cell.data_type == "s" and cell.quotePrefix, cell.coordinate
        seen.append(row[4].value)
    assert set(FORMULAS) <= set(seen)


def test_filters_travel_through_job_params():
    filters = StaffOpinionFilters(clause="art.3", text="意见", liaison_point=3)
    assert export_jobs.filters_from_params({"filter": filters.describe()}) == filters
    assert export_jobs.filters_from_params({"filter": {"bogus": 1}}) == StaffOpinionFilters()
