"""The opinion path in a real browser: a new user comments on a clause of the demo draft,
gets a receipt and looks it up; staff see the tally move and moderate. At desktop and
phone widths; any console error (a CSP violation, a script error) fails the test."""
from __future__ import annotations

import re

import pytest

from tests.browser.test_publish_and_read import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _sign_in(page, email):
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def _tally_total(page, key) -> int:
    page.goto("/drafts/1/tally")
    return int(page.locator(f'tr[data-key="{key}"] td[data-col="total"]').inner_text())


@pytest.mark.parametrize("width", [1280, 390])
def test_a_new_user_comments_gets_a_receipt_and_staff_see_the_tally_move(new_page, width):
    staff = new_page()
    _sign_in(staff, "staff@demo.example.org")
    before = _tally_total(staff, "art.12")

    page = new_page(width)
    page.goto("/register")
    page.fill("input[name=email]", f"newcomer{width}@example.org")
    page.fill("input[name=display_name]", "新来的市民")
    page.fill("input[name=password]", "a long new password 2026")
    page.fill("input[name=confirm]", "a long new password 2026")
    page.check("input[name=privacy_consent]")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()

    page.goto("/drafts/1")
    page.locator('[id="art.12"] .op-clause').click()
    page.wait_for_url("**/opinions/new?provision=art.12")
    assert "对第十二条提出意见" in page.locator("h1").inner_text()
    page.locator("label.choice", has_text="修改").first.click()
    page.fill("#body", "建议把八十周岁降低为七十五周岁。")
    counter = page.locator("#body-counter")
    assert "16 / 5000" in counter.inner_text()  # the live counter
    page.fill("#proposed_text", "（三）七十五周岁以上的独居老年人。")
    page.locator("button[data-submit-once]").click()
    page.wait_for_url("**/opinions/submitted")
    code = page.locator("#receipt-code").inner_text()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code)

    page.locator("a", has_text="查询办理情况").click()
    page.wait_for_load_state()
    assert "已收到" in page.content() and "待处理" in page.content()
    # Typed by hand, in lower case and without dashes.
    page.goto("/receipt")
    page.fill("input[name=code]", code.replace("-", "").lower())
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert f"回执码 {code}" in page.locator(".receipt-result h2").inner_text()

    assert _tally_total(staff, "art.12") == before + 1
    staff.goto("/staff/drafts/1/opinions?clause=art.12")
    card = staff.locator(".staff-opinion", has_text=code)
    card.locator(".hide-box summary").click()
    card.locator(".hide-form input[name=reason]").fill("测试屏蔽")
    card.locator(".hide-form button").click()
    staff.wait_for_load_state()
    assert "已屏蔽" in staff.locator(".flash").inner_text()
    assert _tally_total(staff, "art.12") == before


def test_load_more_appends_the_next_page(new_page):
    staff = new_page()
    _sign_in(staff, "staff@demo.example.org")
    staff.goto("/staff/drafts/1/edit")
    staff.check("#shows_opinions_publicly")
    staff.check("#allows_anonymous_opinions")
    staff.locator("main form button[type=submit]").click()
    staff.wait_for_load_state()

    visitor = new_page(390)
    for index in range(23):
        visitor.goto("/drafts/1/opinions/new?provision=art.10.1")
        visitor.locator("label.choice", has_text="赞成").first.click()
        visitor.fill("#body", f"匿名意见第{index}条")
        visitor.locator("button[data-submit-once]").click()
        visitor.wait_for_url("**/opinions/submitted")
    visitor.goto("/drafts/1/provisions/art.10/opinions")
    assert visitor.locator(".opinion-card").count() == 20
    visitor.locator("[data-load-more]").click()
    visitor.locator(".opinion-card").nth(22).wait_for()
    assert visitor.locator(".opinion-card").count() == 23
    assert visitor.locator("[data-load-more]").count() == 0
    assert visitor.url.endswith("/drafts/1/provisions/art.10/opinions")  # appended, not navigated
