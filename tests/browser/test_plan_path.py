"""Issue 17's whole path in a real browser, from a citizen's idea to the annual plan to the
draft (立法计划项目建议征集): staff publish a call; a new citizen proposes a regulation with
a draft text attached and keeps the receipt; staff classify the proposal, build the year's
plan from it, publish the plan and link its project to the draft that implements it; the
citizen's receipt and 我的意见 then say the proposal was included, the plan page links the
proposal and the draft, and the draft page says where it came from.

Everything runs through the pages, on a call and a plan year of the test's own (the demo's
2027 plan is shared with the other browser tests)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from tests.browser.test_feedback_loop import DRAFT_TEXT
from tests.browser.test_publish_and_read import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]

YEAR = 2031
CALL_TITLE = f"关于公开征集{YEAR}年度立法计划项目建议的公告"
PROPOSAL_TITLE = "某市街巷环境整治条例"
CITIZEN_EMAIL = "plan-path-citizen@example.org"
CITIZEN_PASSWORD = "a long proposer password 2026"
DRAFT_TITLE = "某市街巷环境整治条例（草案）"


def _sign_in(page, email, password=DEMO_PASSWORD):
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/$"))


def _local(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def _create_and_publish_call(staff) -> int:
    staff.goto("/staff/plan-calls")
    staff.click("text=新建征集")
    staff.fill("input[name=title]", CALL_TITLE)
    staff.fill("input[name=year]", str(YEAR))
    staff.fill("textarea[name=announcement]", "欢迎围绕城市管理提出立法项目建议。")
    staff.fill("textarea[name=focus_areas]", "城市管理、民生保障")
    # The form takes Beijing time; a period around now in any zone is open.
    now = datetime.utcnow() + timedelta(hours=8)
    staff.fill("input[name=opens_at]", _local(now - timedelta(days=1)))
    staff.fill("input[name=closes_at]", _local(now + timedelta(days=30)))
    staff.locator("main form.plan-call-form button[type=submit]").click()
    staff.wait_for_selector("text=编辑征集公告")
    call_id = int(re.search(r"/staff/plan-calls/(\d+)", staff.url).group(1))
    staff.locator("main .page-head button", has_text="发布").click()
    staff.wait_for_load_state()
    staff.goto(f"/staff/plan-calls/{call_id}")
    assert "征集中" in staff.locator("main").inner_text()
    return call_id


def _register(citizen):
    citizen.goto("/register")
    citizen.fill("input[name=email]", CITIZEN_EMAIL)
    citizen.fill("input[name=display_name]", "街巷居民")
    citizen.fill("input[name=password]", CITIZEN_PASSWORD)
    citizen.fill("input[name=confirm]", CITIZEN_PASSWORD)
    citizen.check("input[name=privacy_consent]")
    citizen.locator("main form button[type=submit]").click()
    citizen.wait_for_load_state()


def _propose(citizen, call_id, tmp_path) -> str:
    citizen.goto("/plan-calls")
    citizen.click(f"text={CALL_TITLE}")
    citizen.click("text=提出建议")
    citizen.wait_for_url(f"**/plan-calls/{call_id}/propose")
    citizen.fill("input[name=title]", PROPOSAL_TITLE)
    citizen.fill("textarea[name=necessity]", "背街小巷脏乱差问题突出，现有规定分散，需要专门立法。")
    citizen.fill("textarea[name=problems]", "占道经营、乱堆乱放、清扫不及时。")
    citizen.fill("textarea[name=measures]", "明确街道办事处的整治责任，建立定期清洁制度。")
    citizen.select_option("select[name=area]", "城市管理")
    draft_text = tmp_path / "建议稿.txt"
    draft_text.write_text("某市街巷环境整治条例（建议稿）\n第一条 为了改善街巷环境，制定本条例。\n", encoding="utf-8")
    citizen.set_input_files("input[name=attachment]", str(draft_text))
    citizen.fill("input[name=submitter_name]", "李街巷")
    citizen.fill("input[name=contact]", "13900000000")
    citizen.check("input[name=is_name_public]")
    citizen.locator("main form button[type=submit]").click()
    citizen.wait_for_selector("#receipt-code")
    return citizen.locator("#receipt-code").inner_text().strip()


def _classify(staff, call_id) -> int:
    staff.goto(f"/staff/plan-calls/{call_id}")
    staff.click(f"text={PROPOSAL_TITLE}")
    staff.wait_for_url(re.compile(r".*/staff/proposals/\d+$"))
    proposal_id = int(staff.url.rsplit("/", 1)[1])
    page = staff.locator("main").inner_text()
    assert "13900000000" in page  # contact details: staff see them
    staff.select_option("select[name=classification]", "formal")
    staff.fill("textarea[name=reason]", "街巷整治群众关注度高，列入正式项目。")
    staff.click("button:has-text('保存处理情况')")
    staff.wait_for_load_state()
    assert "列入正式项目" in staff.locator("main").inner_text()
    return proposal_id


def _import_and_publish_draft(staff) -> int:
    staff.goto("/staff/drafts/import")
    staff.fill("input[name=title]", DRAFT_TITLE)
    staff.fill("textarea[name=text]", DRAFT_TEXT)
    staff.locator("main form button[type=submit]").click()
    staff.wait_for_selector("text=结构统计")
    draft_id = int(re.search(r"/staff/drafts/(\d+)", staff.url).group(1))
    staff.fill("input[name=days]", "30")
    staff.click("button:has-text('发布并征求意见')")
    staff.wait_for_selector(".badge-open")
    return draft_id


def _build_and_publish_plan(staff, proposal_id, draft_id):
    staff.goto(f"/staff/plans/{YEAR}")
    form = staff.locator("form", has=staff.locator("button:has-text('添加项目')"))
    form.locator("select[name=project_class]").select_option("formal")
    form.locator("input[name=title]").fill(PROPOSAL_TITLE)
    form.locator("input[name=drafting_body]").fill("市城市管理委员会")
    form.locator("select[name=planned_month]").select_option("6")
    form.locator(f"input[name=proposal_ids][value='{proposal_id}']").check()
    form.locator("button:has-text('添加项目')").click()
    staff.wait_for_load_state()
    staff.locator("main a", has_text="编辑").first.click()
    staff.wait_for_url(re.compile(rf".*/staff/plans/{YEAR}/projects/\d+$"))
    link = staff.locator("form", has=staff.locator("select[name=draft_id]"))
    link.locator("select[name=draft_id]").select_option(str(draft_id))
    link.locator("button[type=submit]").click()
    staff.wait_for_load_state()
    staff.goto(f"/staff/plans/{YEAR}")
    staff.click("text=发布年度立法计划")
    staff.wait_for_url(f"**/staff/plans/{YEAR}/publish")
    staff.click("button:has-text('确认发布')")
    staff.wait_for_load_state()


def test_a_citizens_proposal_becomes_a_plan_project_and_a_draft(new_page, tmp_path):
    staff = new_page()
    staff.on("dialog", lambda dialog: dialog.accept())
    _sign_in(staff, "staff@demo.example.org")
    call_id = _create_and_publish_call(staff)

    citizen = new_page()
    _register(citizen)
    receipt = _propose(citizen, call_id, tmp_path)
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", receipt)
    citizen.goto(f"/receipt?code={receipt}")
    assert "处理中" in citizen.locator("main").inner_text()

    proposal_id = _classify(staff, call_id)
    # Until the plan is published the proposer reads 处理中, never the staff's decision.
    citizen.reload()
    assert "列入正式项目" not in citizen.locator("main").inner_text()

    draft_id = _import_and_publish_draft(staff)
    _build_and_publish_plan(staff, proposal_id, draft_id)

    # The proposer's receipt, signed out as anyone holding the code would see it.
    visitor = new_page()
    visitor.goto(f"/receipt?code={receipt.lower()}")
    answer = visitor.locator("main").inner_text()
    assert f"您的建议已列入 {YEAR} 年度立法计划正式项目《{PROPOSAL_TITLE}》" in answer
    assert "13900000000" not in answer
    visitor.click(f"text=查看法规草案《{DRAFT_TITLE}》")
    visitor.wait_for_url(f"**/drafts/{draft_id}")
    line = visitor.locator("main").inner_text()
    assert f"本法规列入 {YEAR} 年度立法计划正式项目，源自 1 件公众建议" in line

    # The public plan page: the project, its drafting body and month, the proposal behind it
    # (the proposer chose to publish the name) and the draft.
    visitor.goto(f"/plans/{YEAR}")
    plan = visitor.locator("main").inner_text()
    assert PROPOSAL_TITLE in plan and "市城市管理委员会" in plan and "6 月" in plan and "李街巷" in plan
    visitor.click(f"main a:has-text('《{PROPOSAL_TITLE}》')")
    visitor.wait_for_url(f"**/proposals/{proposal_id}")
    proposal_page = visitor.locator("main").inner_text()
    assert "列入正式项目" in proposal_page and "13900000000" not in proposal_page
    with visitor.expect_download() as download:
        visitor.click("text=建议稿.txt")
    assert "第一条" in download.value.path().read_text(encoding="utf-8")

    # 我的意见 lists the proposal with the same answer.
    citizen.goto("/account/opinions")
    mine = citizen.locator("main").inner_text()
    assert PROPOSAL_TITLE in mine and "已列入" in mine
