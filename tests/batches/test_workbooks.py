"""The workbooks (``batches.workbooks``): the feedback sheet and the template."""
from __future__ import annotations

import io
import os

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bench.batch_data import HEADERS, excel_like_xlsx
from participation.batches import uploads, workbooks
from participation.extensions import db
from participation.models import Opinion
from tests.batches.conftest import row

pytestmark = pytest.mark.usefixtures("zh")


def _count(model=Opinion) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


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
    sheet = load_workbook(io.BytesIO(workbooks.feedback_workbook(batch))).active
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
    os.remove(uploads.uploads_dir() / batch.stored_file)
    rows = list(load_workbook(io.BytesIO(workbooks.feedback_workbook(batch))).active.iter_rows(values_only=True))
    assert rows[0] == (*HEADERS, "回执码", "处理状态", "采纳情况", "采纳理由")
    assert rows[1][:9] == ("第三条第二款第（三）项", "意见甲", "赞成", None, None, "律师", None, None, 2)


def test_the_template_has_drop_downs_the_clause_list_and_instructions(draft):
    workbook = load_workbook(io.BytesIO(workbooks.template_workbook(draft)))
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
    workbook = load_workbook(io.BytesIO(workbooks.template_workbook(draft)))
    sheet = workbook["意见建议汇总表"]
    sheet.append(row("第三条第二款第（三）项", "模板填写的意见", "删除", category="单位", represented=2))
    buffer = io.BytesIO()
    workbook.save(buffer)
    batch, created = import_file(buffer.getvalue())
    assert created and batch.row_count == 1 and batch.represented_total == 2
