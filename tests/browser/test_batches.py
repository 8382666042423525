"""Issue 4's path in a real browser, as a liaison-point operator new to the platform
would take it: download the template of the open draft, fill it in (with openpyxl, as
Excel would), upload it, read the reported error, fix the row, confirm, see the
opinions counted on the right clauses; hand in a GBK CSV too; upload the same file
again and see that nothing changes; download the feedback sheet."""
from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from tests.browser.test_publish_and_read import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OPEN_DRAFT = "某市社区居家养老服务条例（草案征求意见稿）"


def sign_in(page, email):
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))


def _tally(page, draft_id: int) -> dict:
    response = page.request.get(f"/api/v1/drafts/{draft_id}/tally")
    assert response.ok
    body = response.json()
    return {"total": body["total"], "whole": body["whole_draft"]["total"],
            **{clause["key"]: clause["total"] for clause in body["provisions"]}}


def _delta(before: dict, after: dict) -> dict:
    return {key: after[key] - before.get(key, 0) for key in after if after[key] != before.get(key, 0)}


def _open_upload_form(page):
    page.goto("/batches/")
    page.locator(".batch-drafts li", has_text=OPEN_DRAFT).locator("a", has_text="上传").click()
    page.wait_for_selector("h1:has-text('上传意见汇总表')")


def test_operator_hands_in_tables_and_sees_them_counted(page, tmp_path):
    sign_in(page, "operator1@demo.example.org")
    page.goto("/batches/")
    assert page.locator("h1").inner_text().startswith("报送意见")
    item = page.locator(".batch-drafts li", has_text=OPEN_DRAFT)
    template_link = item.locator("a", has_text="下载模板")
    draft_id = int(re.search(r"/drafts/(\d+)/", template_link.get_attribute("href")).group(1))

    # The template: the sheet to fill, with drop-downs and the clause list.
    with page.expect_download() as download:
        template_link.click()
    template = tmp_path / "模板.xlsx"
    download.value.save_as(template)
    workbook = load_workbook(template)
    assert workbook.sheetnames == ["意见建议汇总表", "条款列表", "填写说明"]
    sheet = workbook["意见建议汇总表"]
    assert sheet.data_validations.dataValidation  # stance and category drop-downs
    clause_list = [row[0] for row in workbook["条款列表"].iter_rows(min_row=2, values_only=True)]
    assert "第十一条第一款第（三）项" in clause_list and "总体意见" in clause_list

    # Filled in as people do: typed clause references, one of them wrong.
    rows = [
        ["第十一条第（三）项", "日间照料点太少，建议每个社区至少设一个。", "修改", "", "群众反映集中", "居民", "王芳", "和平街道", 12],
        ["第十一条第（四）项第1目", "紧急呼叫设备应当免费配置。", "赞成", "", "", "居民", "李强", "", 3],
        ["第12条", "补贴对象应扩大到七十周岁以上的独居老人。", "修改", "（四）七十周岁以上的独居老人。", "", "人大代表", "赵敏", "", 1],
        ["第九十九条", "养老服务人员应当持证上岗。", "新增", "", "", "律师", "", "", 1],
        ["总体意见", "总体赞成，建议尽快出台。", "赞成", "", "", "企业", "", "", 1],
    ]
    for values in rows:
        sheet.append(values)
    filled = tmp_path / "和平街道座谈会意见.xlsx"
    workbook.save(filled)
    before = _tally(page, draft_id)

    _open_upload_form(page)
    page.select_option("select[name=kind]", "forum")
    page.fill("input[name=place]", "和平街道社区活动室")
    page.fill("input[name=participants]", "25")
    page.set_input_files("input[name=file]", str(filled))
    page.click("main form button:has-text('上传并预览')")

    # The error, by row and column, in Chinese; nothing can be confirmed yet.
    page.wait_for_selector("text=发现 1 处错误")
    error_row = page.locator(".batch-errors tbody tr").first
    assert error_row.locator("td").nth(0).inner_text() == "5"
    assert "条款" in error_row.inner_text() and "A 列" in error_row.inner_text()
    assert "草案中没有“第九十九条”" in error_row.inner_text()
    assert page.locator("button:has-text('确认导入')").count() == 0

    # Fixed in the workbook and uploaded again.
    sheet["A5"] = "第十一条"
    fixed = tmp_path / "和平街道座谈会意见-改.xlsx"
    workbook.save(fixed)
    page.set_input_files("form.replace-file input[name=file]", str(fixed))
    page.click("form.replace-file button")
    page.wait_for_selector("button:has-text('确认导入')")
    assert "共 5 条意见，反映群众 18 人" in page.locator(".batch-tally").inner_text()
    assert "第十一条第一款第（三）项" in page.locator(".batch-tally").inner_text()
    page.click("button:has-text('确认导入')")
    page.wait_for_selector("text=已导入 5 条意见")
    batch_url = page.url
    assert re.search(r"/batches/\d+$", batch_url)
    assert page.locator(".batch-rows tbody tr").count() == 5
    assert "待处理" in page.locator(".batch-rows").inner_text()

    # Counted on the clauses the rows name (an article counts its items too).
    counted = _delta(before, _tally(page, draft_id))
    assert counted["total"] == 5 and counted["whole"] == 1
    assert counted["art.11"] == 3 and counted["art.11.1.3"] == 1 and counted["art.11.1.4.1"] == 1
    assert counted["art.12"] == 1
    page.goto(f"/drafts/{draft_id}/tally")
    assert int(page.locator("[data-stat=total] .value").inner_text()) == before["total"] + 5

    # A GBK CSV, as Chinese Excel saves "CSV (逗号分隔)".
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["序号", "条款", "意见内容", "态度", "提出人类别", "提出人", "代表人数"])
    writer.writerow([1, "第十三条", "入户走访应当每季度至少一次。", "修改", "居民", "张华", 2])
    writer.writerow([2, "第13条", "服务档案应当保护老年人隐私。", "新增", "律师", "", 1])
    gbk = tmp_path / "走访意见.csv"
    gbk.write_bytes(buffer.getvalue().encode("gbk"))
    before_csv = _tally(page, draft_id)
    _open_upload_form(page)
    page.select_option("select[name=kind]", "visit")
    page.set_input_files("input[name=file]", str(gbk))
    page.click("main form button:has-text('上传并预览')")
    page.wait_for_selector("button:has-text('确认导入')")
    assert "GB18030" in page.locator(".batch-summary").inner_text()
    assert "忽略的列：序号" in page.locator(".batch-summary").inner_text()
    page.click("button:has-text('确认导入')")
    page.wait_for_selector("text=已导入 2 条意见")
    counted = _delta(before_csv, _tally(page, draft_id))
    assert counted["total"] == 2 and counted["art.13"] == 2

    # The same file again: recognised, nothing added.
    before_again = _tally(page, draft_id)
    _open_upload_form(page)
    page.set_input_files("input[name=file]", str(fixed))
    page.click("main form button:has-text('上传并预览')")
    page.wait_for_selector("text=不会重复导入")
    assert page.locator("button:has-text('确认导入')").count() == 0
    assert _tally(page, draft_id) == before_again

    # 点对点反馈: the upload's layout plus each row's receipt, status and disposition.
    page.goto(batch_url)
    with page.expect_download() as download:
        page.click("text=下载反馈表")
    feedback = tmp_path / "反馈.xlsx"
    download.value.save_as(feedback)
    table = list(load_workbook(feedback).active.iter_rows(values_only=True))
    assert table[0][-4:] == ("回执码", "处理状态", "采纳情况", "采纳理由")
    assert table[4][0] == "第十一条" and table[4][-2] == "待处理"
