"""Issue 15's whole loop in a real browser (说了有人听、听了有反馈): a citizen and a liaison
point comment on a draft; staff close it, record what became of each opinion one by one,
in bulk and through the disposition sheet, write and publish the report (意见采纳情况);
then the citizen sees the answers on the receipt and in 我的意见 and has a notification,
and the liaison point downloads its feedback sheet with the answers filled in. Staff's
internal notes never reach a page the citizen or the point sees.

Everything runs through the pages, on a draft the test imports and publishes itself
(the demo's drafts are shared with the other browser tests): the draft is open while
opinions arrive, and staff close it (立即截止) before publishing the report."""
from __future__ import annotations

import csv
import re

import pytest
from openpyxl import load_workbook

from tests.browser.test_publish_and_read import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TITLE = "某市街巷环境整治条例（草案）"
DRAFT_TEXT = """某市街巷环境整治条例（草案）

第一章　总则

第一条　为了改善街巷环境，提升居民生活品质，制定本条例。

第二条　本条例适用于本市行政区域内街巷环境的整治和管理。

第二章　整治措施

第三条　街道办事处应当每月至少组织一次街巷清洁行动。

第四条　禁止在街巷内占道经营、乱堆乱放。
"""
CITIZEN_PASSWORD = "a long citizen password 2026"
SECRET_NOTE = "内部备注：请勿对外XYZ"
ADOPTED_REASON = "已在第二条中增加背街小巷的规定。"
TEMPLATE_TEXT = "该意见涉及其他法规的调整范围，本条例暂不作规定。"
PARTLY_REASON = "部分吸收：清洁行动改为每两周一次。"
STUDY_REASON = "将在制定实施细则时研究。"
INTRODUCTION = "本次征求意见共收到网站和基层立法联系点的意见，现将采纳情况说明如下。"
HANDLING_TEXT = "关于清洁频次的意见，已部分采纳。"


def _sign_in(page, email, password=DEMO_PASSWORD):
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/$"))


def _accept_confirms(page):
    # Buttons with data-confirm ask through window.confirm; Playwright dismisses dialogs
    # unless told otherwise.
    page.on("dialog", lambda dialog: dialog.accept())


def _flash(page) -> str:
    return page.locator(".flash").first.inner_text()


def _import_and_publish(staff) -> int:
    staff.goto("/staff/drafts/import")
    staff.fill("input[name=title]", TITLE)
    staff.fill("textarea[name=text]", DRAFT_TEXT)
    staff.locator("main form button[type=submit]").click()
    staff.wait_for_selector("text=结构统计")
    draft_id = int(re.search(r"/staff/drafts/(\d+)", staff.url).group(1))
    staff.fill("input[name=days]", "30")
    staff.click("button:has-text('发布并征求意见')")
    staff.wait_for_selector(".badge-open")
    return draft_id


def _comment(citizen, draft_id, key, stance, body) -> str:
    citizen.goto(f"/drafts/{draft_id}/opinions/new?provision={key}")
    citizen.locator("label.choice", has_text=stance).first.click()
    citizen.fill("#body", body)
    citizen.locator("button[data-submit-once]").click()
    citizen.wait_for_url("**/opinions/submitted")
    return citizen.locator("#receipt-code").inner_text()


def _hand_in_batch(operator, draft_id, tmp_path) -> str:
    table = tmp_path / "街巷座谈会意见.csv"
    with open(table, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["条款", "意见内容", "态度", "提出人类别", "提出人", "代表人数"])
        writer.writerow(["第二条", "建议把城中村也纳入整治范围。", "修改", "居民", "王芳", 3])
        writer.writerow(["第四条", "建议允许早市在规定时段经营。", "修改", "企业", "李强", 1])
        writer.writerow(["总体意见", "建议设立居民监督员。", "新增", "居民", "", 2])
    operator.goto("/batches/")
    operator.locator("a", has_text="上传").first.click()
    operator.wait_for_selector("h1:has-text('上传意见汇总表')")
    operator.select_option("select[name=draft]", str(draft_id))
    operator.select_option("select[name=kind]", "forum")
    operator.fill("input[name=place]", "和平街道会议室")
    operator.fill("input[name=participants]", "6")
    operator.set_input_files("input[name=file]", str(table))
    operator.click("main form button:has-text('上传并预览')")
    operator.click("button:has-text('确认导入')")
    operator.wait_for_selector("text=已导入 3 条意见")
    return operator.url


def _row(staff, code):
    return staff.locator("li.staff-opinion", has_text=code)


def test_staff_answer_every_opinion_and_submitters_see_the_answers(new_page, tmp_path):
    staff = new_page()
    _accept_confirms(staff)
    _sign_in(staff, "staff@demo.example.org")
    draft_id = _import_and_publish(staff)

    # While the draft is open: a new citizen comments on two clauses, a liaison point
    # hands in a batch of three.
    citizen = new_page()
    citizen.goto("/register")
    citizen.fill("input[name=email]", "loop-citizen@example.org")
    citizen.fill("input[name=display_name]", "街巷居民")
    citizen.fill("input[name=password]", CITIZEN_PASSWORD)
    citizen.fill("input[name=confirm]", CITIZEN_PASSWORD)
    citizen.check("input[name=privacy_consent]")
    citizen.locator("main form button[type=submit]").click()
    citizen.wait_for_load_state()
    adopted_code = _comment(citizen, draft_id, "art.2", "修改", "建议把背街小巷明确写入适用范围。")
    partly_code = _comment(citizen, draft_id, "art.3", "修改", "每月一次太少，建议每周一次。")

    operator = new_page()
    _sign_in(operator, "operator1@demo.example.org")
    batch_url = _hand_in_batch(operator, draft_id, tmp_path)
    batch_id = int(re.search(r"/batches/(\d+)$", batch_url).group(1))

    # Staff close the period now.
    staff.goto(f"/staff/drafts/{draft_id}")
    staff.click("button:has-text('立即截止')")
    staff.wait_for_selector("text=征求意见已截止")

    # 1. One at a time, from the row of the list: 采纳 with a reason and an internal note.
    staff.goto(f"/staff/drafts/{draft_id}/opinions")
    assert staff.locator("li.staff-opinion").count() == 5
    row = _row(staff, adopted_code)
    row.locator(".inline-disposition select[name=disposition]").select_option("adopted")
    row.locator(".inline-disposition input[name=reason]").fill(ADOPTED_REASON)
    row.locator(".inline-disposition input[name=note]").fill(SECRET_NOTE)
    row.locator(".inline-disposition button").click()
    staff.wait_for_load_state()
    assert f"意见 {adopted_code} 的处理情况已保存：采纳" in _flash(staff)
    assert _row(staff, adopted_code).locator("[data-disposition]").inner_text() == "采纳"
    # The opinion's own page shows who answered, and the note (to staff only).
    _row(staff, adopted_code).locator("a", has_text="详情").click()
    staff.wait_for_load_state()
    assert "处理人" in staff.locator("main").inner_text()
    assert staff.locator("textarea[name=note]").input_value() == SECRET_NOTE

    # A 常用答复 for the bulk form.
    staff.goto(f"/staff/drafts/{draft_id}/reply-templates")
    staff.fill("input[name=title]", "不属于本条例")
    staff.locator("main form select[name=disposition]").select_option("not_adopted")
    staff.fill("textarea[name=text]", TEMPLATE_TEXT)
    staff.click("main form button:has-text('添加')")
    staff.wait_for_selector(f"text={TEMPLATE_TEXT}")

    # 2. In bulk: tick the batch's two clause opinions, 未采纳 without a reason first.
    staff.goto(f"/staff/drafts/{draft_id}/opinions?batch={batch_id}")
    assert staff.locator("li.staff-opinion").count() == 3
    assert "未登录提交" not in staff.locator("ol.staff-opinions").inner_text()  # from a point, not anonymous
    ticked = [staff.locator("li.staff-opinion", has_text=text) for text in ("城中村", "早市")]
    for item in ticked:
        item.locator("input[name=ids]").check()
    bulk = staff.locator("#bulk-form")
    bulk.locator("select[name=disposition]").select_option("not_adopted")
    bulk.locator("button:has-text('预览并确认')").click()
    staff.wait_for_load_state()
    assert "“未采纳”和“部分采纳”须填写处理理由。" in staff.locator("#bulk-form").inner_text()
    for text in ("城中村", "早市"):
        staff.locator("li.staff-opinion", has_text=text).locator("input[name=ids]").check()
    bulk = staff.locator("#bulk-form")
    bulk.locator("select[name=disposition]").select_option("not_adopted")
    bulk.locator("select[name=template]").select_option(label="不属于本条例")
    assert bulk.locator("#bulk-reason").input_value() == TEMPLATE_TEXT  # copied, still editable
    bulk.locator("button:has-text('预览并确认')").click()
    staff.wait_for_selector(".confirm-count")
    assert staff.locator(".confirm-count").get_attribute("data-count") == "2"
    assert "将把 2 条意见的处理情况设为“未采纳”。" in staff.locator(".confirm-count").inner_text()
    staff.click("button:has-text('确认处理 2 条')")
    staff.wait_for_load_state()
    assert "已将 2 条意见的处理情况设为“未采纳”。" in _flash(staff)

    # 3. By spreadsheet: download the sheet of every opinion, fill two rows, upload.
    staff.goto(f"/staff/drafts/{draft_id}/opinions")
    with staff.expect_download() as download:
        staff.click("text=下载处理表")
    sheet_path = tmp_path / "处理表.xlsx"
    download.value.save_as(sheet_path)
    workbook = load_workbook(sheet_path)
    sheet = workbook.active
    headers = [cell.value for cell in sheet[1]]
    code_col, disposition_col = headers.index("回执码") + 1, headers.index("处理情况") + 1
    reason_col, note_col = headers.index("处理理由") + 1, headers.index("内部备注") + 1
    rows = {sheet.cell(r, code_col).value: r for r in range(2, sheet.max_row + 1)}
    assert len(rows) == 5
    assert sheet.cell(rows[adopted_code], disposition_col).value == "采纳"
    assert sheet.cell(rows[adopted_code], note_col).value == SECRET_NOTE
    sheet.cell(rows[partly_code], disposition_col).value = "部分采纳"
    sheet.cell(rows[partly_code], reason_col).value = PARTLY_REASON
    general_row = next(r for r in range(2, sheet.max_row + 1)
                       if "居民监督员" in str(sheet.cell(r, headers.index("意见内容") + 1).value))
    sheet.cell(general_row, disposition_col).value = "留作研究"
    sheet.cell(general_row, reason_col).value = STUDY_REASON
    filled = tmp_path / "处理表-已填.xlsx"
    workbook.save(filled)
    staff.click("text=上传处理表")
    staff.wait_for_selector("h1:has-text('用表格批量填写处理情况')")
    staff.set_input_files("input[name=file]", str(filled))
    staff.click("button:has-text('上传并检查')")
    staff.wait_for_selector("#summary")
    assert "将更新 2 条意见的处理情况，3 条不变。" in staff.locator("#summary").inner_text()
    staff.click("button:has-text('确认更新')")
    staff.wait_for_load_state()
    assert "已更新 2 条意见的处理情况。" in _flash(staff)
    counts = {link.get_attribute("data-disposition-count"): link.inner_text()
              for link in staff.locator("[data-disposition-count]").all()}
    assert counts["pending"].endswith(" 0") and counts["not_adopted"].endswith(" 2")
    staff.screenshot(path="/tmp/feedback-loop-staff-list.png", full_page=True)

    # 4. The report: introduction and a chapter's text, saved, then published after a
    #    confirmation; the public page shows the numbers and the texts.
    staff.goto(f"/staff/drafts/{draft_id}/feedback")
    staff.fill("#introduction", INTRODUCTION)
    staff.fill("#handling-ch\\.2", HANDLING_TEXT)
    staff.click("form button:has-text('保存')")
    staff.wait_for_load_state()
    assert "已保存意见采纳情况。" in _flash(staff)
    staff.click("a:has-text('发布意见采纳情况')")
    staff.wait_for_selector("h1:has-text('发布意见采纳情况')")
    assert staff.locator("main .flash-warning").count() == 0  # no "还有 N 条意见待处理"
    staff.click("button:has-text('确认发布')")
    staff.wait_for_url(f"**/drafts/{draft_id}/feedback")
    assert "意见采纳情况已发布" in _flash(staff)

    public = new_page()
    public.goto(f"/drafts/{draft_id}/feedback")
    assert public.locator("h1").inner_text() == f"《{TITLE}》意见采纳情况"
    assert public.locator("[data-preview]").count() == 0
    assert public.locator("[data-stat=total] .value").inner_text() == "5"
    by_disposition = {row.get_attribute("data-key"): row.locator("td").inner_text()
                      for row in public.locator("#by-disposition tr").all()}
    assert by_disposition == {"pending": "0", "adopted": "1", "partly_adopted": "1", "not_adopted": "2",
                              "already_provided": "0", "out_of_scope": "0", "for_study": "1"}
    by_channel = {row.get_attribute("data-key"): row.locator("td").inner_text()
                  for row in public.locator("#by-channel tr").all()}
    assert by_channel["web"] == "2" and by_channel["batch"] == "3"
    assert INTRODUCTION in public.locator(".report-introduction").inner_text()
    assert HANDLING_TEXT in public.locator("#s-ch\\.2 [data-field=handling]").inner_text()
    assert public.locator('#s-ch\\.2 tr[data-key="art.4"] td[data-col="not_adopted"]').inner_text() == "1"
    assert SECRET_NOTE not in public.content()
    public.screenshot(path="/tmp/feedback-loop-report.png", full_page=True)

    # 5. The citizen: one unread message, the answers in 我的意见 and on the receipt.
    citizen.goto("/")
    assert citizen.locator("header .bell-count").inner_text() == "1"
    citizen.goto("/account/opinions")
    answers = {code: citizen.locator("tr", has_text=code).locator("td").last.inner_text()
               for code in (adopted_code, partly_code)}
    assert "采纳" in answers[adopted_code] and ADOPTED_REASON in answers[adopted_code]
    assert "部分采纳" in answers[partly_code] and PARTLY_REASON in answers[partly_code]
    assert SECRET_NOTE not in citizen.content()
    citizen.goto("/receipt")
    citizen.fill("input[name=code]", adopted_code)
    citizen.locator("main form button[type=submit]").click()
    citizen.wait_for_selector(".step-disposition")
    answer = citizen.locator(".step-disposition").inner_text()
    assert "办理结果：采纳" in answer and ADOPTED_REASON in answer
    assert SECRET_NOTE not in citizen.content()
    citizen.goto("/account/notifications")
    message = citizen.locator(".inbox-message").first
    assert citizen.locator(".inbox-message").count() == 1 and "未读" in message.inner_text()
    assert TITLE in message.inner_text()
    message.locator("form:not([data-confirm]) button.link-button").first.click()
    citizen.wait_for_load_state()
    assert citizen.locator("header .bell-count").count() == 0
    citizen.goto("/account/notifications")
    assert citizen.locator(".inbox-message.unread").count() == 0

    # 6. The liaison point: its batch page and its feedback sheet carry the answers.
    operator.goto(batch_url)
    rows_text = operator.locator(".batch-rows").inner_text()
    assert "未采纳" in rows_text and TEMPLATE_TEXT in rows_text
    assert "留作研究" in rows_text and STUDY_REASON in rows_text
    assert SECRET_NOTE not in operator.content()
    with operator.expect_download() as download:
        operator.click("text=下载反馈表")
    feedback = tmp_path / "反馈表.xlsx"
    download.value.save_as(feedback)
    table = list(load_workbook(feedback).active.iter_rows(values_only=True))
    header = list(table[0])
    disposition_at, reason_at = header.index("采纳情况"), header.index("采纳理由")
    answered = {row[1]: (row[disposition_at], row[reason_at]) for row in table[1:] if row[1]}
    assert answered == {
        "建议把城中村也纳入整治范围。": ("未采纳", TEMPLATE_TEXT),
        "建议允许早市在规定时段经营。": ("未采纳", TEMPLATE_TEXT),
        "建议设立居民监督员。": ("留作研究", STUDY_REASON),
    }
    assert not any(SECRET_NOTE in str(cell) for row in table for cell in row if cell)
