"""Accessibility and phone widths in a real browser (issue 18).

axe-core (shipped inside the axe-playwright-python package; nothing is fetched) checks
every public page and the comment, receipt, registration, proposal and batch-upload
flows, in Chinese and in English: a violation of impact "serious" or "critical" fails,
named by rule, impact, element and page. Each page is also laid out at 390 px (a phone)
and 1280 px: no horizontal scrolling of the page, no text squeezed into a sliver. A
keyboard-only walk comments on a clause: skip link, focus always visible, errors
announced and pointed to, receipt.

CI time is tight: one browser, one context per language and role, each page loaded
once (axe runs at 1280 px; the page is then narrowed to 390 px without reloading: the
layout is recomputed by the same CSS). Each language's walk is done once for its two
tests, and the two languages are separate xdist groups, so the two workers share them."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from axe_playwright_python.sync_playwright import Axe

from tests.browser.test_publish_and_read import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LANGUAGES = ("zh_CN", "en")
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}
PHONE, DESKTOP = 390, 1280
FAILING_IMPACTS = {"serious", "critical"}
# Rules switched off, each for a reason; keep this empty unless a rule is wrong about a page.
ALLOWED_RULES: dict[str, str] = {}

OPEN_DRAFT = "某市社区居家养老服务条例（草案征求意见稿）"

# Every public page, as a visitor who is not signed in sees it (demo data: draft 1 open,
# draft 2 with its feedback report published, draft 3 unpublished; plan call 2 open,
# call 1 closed with 2027's plan published). The demo has no draft large enough to be
# paged, so there is no /drafts/<id>/part/<key> page to check.
PUBLIC_PAGES = (
    "/",
    "/drafts",
    "/drafts/1",
    "/drafts/2",
    "/drafts/2/feedback",
    "/drafts/1/tally",
    "/drafts/1/opinions",
    "/drafts/1/provisions/art.12/opinions",
    "/search",
    "/search?q=" + quote("养老") + "&draft=1&clause=" + quote("第十二条"),  # results, filtered by clause
    "/receipt",
    "/login",
    "/register",
    "/privacy",
    "/plan-calls",
    "/plan-calls/1",
    "/plan-calls/2",
    "/proposals/1",
    "/plans",
    "/plans/2027",
    "/drafts/3",  # unpublished: the 404 page
)

# Layout on a phone: the widest a page may be, and the narrowest a block of running text
# may be squeezed to (the content column itself is 358 px at 390).
MIN_CONTENT_WIDTH = 300
MIN_TEXT_BLOCK_WIDTH = 200

LAYOUT_SCRIPT = """() => {
  const main = document.querySelector('main');
  const style = getComputedStyle(main);
  const content = main.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  // Running text (40 characters or more) outside tables, which scroll in their own box.
  const squeezed = [];
  for (const el of main.querySelectorAll('p, li, dd, h1, h2, h3, blockquote, .opinion-body, .report-text')) {
    if (el.closest('table, .table-scroll, .toc-wide')) continue;
    const rect = el.getBoundingClientRect();
    if (!rect.width || !el.offsetParent) continue;
    const text = el.textContent.replace(/\\s+/g, '');
    if (text.length >= 40 && rect.width < %d) {
      squeezed.push(el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ').join('.') : '')
                    + ' ' + Math.round(rect.width) + 'px: ' + text.slice(0, 20));
    }
  }
  const wide = [];
  if (document.scrollingElement.scrollWidth > window.innerWidth) {
    for (const el of document.body.querySelectorAll('*')) {
      const rect = el.getBoundingClientRect();
      if (rect.right > window.innerWidth + 1 && rect.width && !el.closest('.table-scroll')) {
        wide.push(el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ').join('.') : '')
                  + ' to ' + Math.round(rect.right) + 'px');
        if (wide.length >= 3) break;
      }
    }
  }
  return {scrollWidth: document.scrollingElement.scrollWidth, innerWidth: window.innerWidth,
          content: Math.round(content), squeezed: squeezed.slice(0, 3), wide};
}""" % MIN_TEXT_BLOCK_WIDTH

FOCUS_SCRIPT = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const ring = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow && style.boxShadow !== 'none';
  return {tag: el.tagName.toLowerCase(), id: el.id, role: el.getAttribute('role'),
          name: (el.getAttribute('aria-label') || el.textContent || el.value || '').trim().slice(0, 60),
          type: el.getAttribute('type'), visible: Boolean(ring || shadow)};
}"""


@dataclass
class Walk:
    """What one language's walk found: axe violations and layout problems, each a line."""

    violations: list[str] = field(default_factory=list)
    layout: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)


class Checker:
    def __init__(self, walk: Walk, language: str):
        # The context puts axe-core into every document it loads (_new_page): injecting
        # its 570 kB on each run instead costs about 0.3 s a page.
        self.walk, self.language, self.axe = walk, language, Axe(axe_script="void 0")

    def check(self, page, label: str | None = None) -> None:
        """axe at desktop width, then the layout at desktop and phone widths."""
        name = f"[{self.language}] {label or '/' + page.url.split('://', 1)[-1].split('/', 1)[-1]}"
        self.walk.pages.append(name)
        # axe checks that <html lang> is there and valid; that it is the page's language is ours.
        lang = page.locator("html").get_attribute("lang")
        if lang != HTML_LANG[self.language]:
            self.walk.violations.append(f"{name}: <html lang={lang!r}>, the page is in {HTML_LANG[self.language]}")
        results = self.axe.run(page).response
        for violation in results["violations"]:
            if violation["impact"] not in FAILING_IMPACTS or violation["id"] in ALLOWED_RULES:
                continue
            targets = "; ".join(" ".join(node["target"]) if isinstance(node["target"], list) else str(node["target"])
                                for node in violation["nodes"][:5])
            more = f" (+{len(violation['nodes']) - 5} more)" if len(violation["nodes"]) > 5 else ""
            self.walk.violations.append(
                f"{name}: {violation['id']} ({violation['impact']}) {violation['help']} — at {targets}{more}")
        for width in (DESKTOP, PHONE):
            if width != DESKTOP:
                page.set_viewport_size({"width": width, "height": 900})
            found = page.evaluate(LAYOUT_SCRIPT)
            if found["scrollWidth"] > found["innerWidth"]:
                self.walk.layout.append(f"{name} at {width}px: scrolls sideways ({found['scrollWidth']}px wide): "
                                        + ", ".join(found["wide"]))
            if width == PHONE and found["content"] < MIN_CONTENT_WIDTH:
                self.walk.layout.append(f"{name} at {width}px: content column only {found['content']}px")
            if width == PHONE and found["squeezed"]:
                self.walk.layout.append(f"{name} at {width}px: text squeezed: " + " | ".join(found["squeezed"]))
        page.set_viewport_size({"width": DESKTOP, "height": 900})


def _new_page(browser, live_server, language: str, axe: bool = True):
    context = browser.new_context(base_url=live_server, locale="zh-CN", viewport={"width": DESKTOP, "height": 900})
    context.set_default_timeout(15000)
    if axe:
        context.add_init_script(script=AXE_SCRIPT)
    page = context.new_page()
    if language != "zh_CN":
        _choose_language(page, language)
    return context, page


def _choose_language(page, language: str) -> None:
    """The footer's language switch (the choice lives in the session)."""
    page.goto("/")
    page.locator(f"footer .language-switch button[value={language}]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == HTML_LANG[language]


def _sign_in(page, email: str) -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("header form button[type=submit]").count() == 1, "not signed in"


def _submit(page, selector: str = "main form button[type=submit]") -> None:
    page.locator(selector).first.click()
    page.wait_for_load_state()


def _public_pages(checker: Checker, page) -> None:
    for path in PUBLIC_PAGES:
        page.goto(path)
        checker.check(page)


def _registration_comment_receipt_and_proposal(checker: Checker, page, language: str) -> None:
    # Registration: sent empty (errors), then filled in (signed in).
    page.goto("/register")
    _submit(page)
    assert page.locator("[data-error-summary]").count() == 1
    checker.check(page, "/register (errors)")
    page.fill("input[name=email]", f"a11y-{language}@example.org")
    page.fill("input[name=display_name]", "无障碍检查")
    page.fill("input[name=password]", "a long new password 2026")
    page.fill("input[name=confirm]", "a long new password 2026")
    page.check("input[name=privacy_consent]")
    _submit(page)
    assert page.locator("[data-error-summary]").count() == 0, "registration refused"

    # The opinion form: empty, sent empty (errors), filled in, the receipt.
    page.goto("/drafts/1/opinions/new?provision=art.12")
    checker.check(page, "/drafts/1/opinions/new?provision=art.12")
    _submit(page, "button[data-submit-once]")
    assert page.locator("[data-error-summary]").count() == 1
    checker.check(page, "opinion form (errors)")
    page.locator("input[name=stance]").first.check()
    page.fill("#body", f"无障碍检查的意见（{language}）。")
    _submit(page, "button[data-submit-once]")
    page.wait_for_url("**/opinions/submitted")
    checker.check(page, "/opinions/submitted (receipt)")
    code = page.locator("#receipt-code").inner_text()

    # Looking the receipt up.
    page.goto("/receipt")
    page.fill("input[name=code]", code)
    _submit(page)
    assert page.locator(".receipt-result").count() == 1
    checker.check(page, "/receipt (found)")

    # Signed in as a citizen: the proposal form of the open plan call (its errors are
    # shown by the same macros as the opinion form's).
    page.goto("/plan-calls/2/propose")
    checker.check(page, "/plan-calls/2/propose")


def _batch_upload(checker: Checker, page, language: str) -> None:
    """A liaison point's operator hands in a table: the upload page, a table with an
    error, a good one, the batch."""
    page.goto("/batches/")
    upload = page.locator(".batch-drafts li", has_text=OPEN_DRAFT).locator("a[href*='/new']").get_attribute("href")
    page.goto(upload)
    checker.check(page, "batch upload form")

    def table(clause: str) -> dict:
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(["条款", "意见内容", "态度", "提出人类别", "提出人", "代表人数"])
        writer.writerow([clause, f"社区食堂应当向独居老人送餐（{language}）。", "修改", "居民", "张华", 2])
        return {"name": f"a11y-{language}-{len(clause)}.csv", "mimeType": "text/csv",
                "buffer": buffer.getvalue().encode("utf-8")}

    page.set_input_files("input[name=file]", table("第九十九条"))
    _submit(page)
    assert page.locator(".batch-errors").count() == 1
    checker.check(page, "batch preview (a row in error)")
    page.set_input_files("form.replace-file input[name=file]", table("第十三条"))
    _submit(page, "form.replace-file button")
    checker.check(page, "batch preview (ready)")
    page.locator("main form button[type=submit]", has_text=re.compile("确认导入|Confirm|Import")).first.click()
    page.wait_for_url(re.compile(r".*/batches/\d+$"))
    checker.check(page, "batch page")


def _walk(browser, live_server, language: str) -> Walk:
    """The language's walk through every page and flow: axe and the layout checks on each."""
    found = Walk()
    checker = Checker(found, language)
    try:
        context, page = _new_page(browser, live_server, language)
        try:
            _public_pages(checker, page)
            _registration_comment_receipt_and_proposal(checker, page, language)
        finally:
            context.close()
        context, page = _new_page(browser, live_server, "zh_CN")
        try:
            _sign_in(page, "operator1@demo.example.org")
            if language != "zh_CN":
                _choose_language(page, language)
            _batch_upload(checker, page, language)
        finally:
            context.close()
    except Exception as exc:
        pytest.fail(f"the {language} walk broke off after {found.pages[-1:] or 'no page'}: {exc!r}", pytrace=False)
    return found


# One test per language, each walking once (about 15 s): the two languages run on the two
# xdist workers side by side.
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_public_page_and_flow_passes_axe_and_fits_a_phone_and_a_desktop(browser, live_server, language):
    walk = _walk(browser, live_server, language)
    assert len(walk.pages) > len(PUBLIC_PAGES)
    problems = []
    if walk.violations:  # one line each, not the assertion's repr of the whole walk
        problems.append(f"{len(walk.violations)} serious or critical accessibility violation(s) in {language}:\n  "
                        + "\n  ".join(walk.violations))
    if walk.layout:
        problems.append(f"layout problems in {language}:\n  " + "\n  ".join(walk.layout))
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def _focus(page) -> dict:
    return page.evaluate(FOCUS_SCRIPT)


def _tab_to(page, predicate, limit: int, steps: list) -> dict:
    """Press Tab until the focused element satisfies predicate; every stop must show
    where the focus is."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focus = _focus(page)
        steps.append(focus)
        assert focus["visible"], f"focus not visible on {focus} (after {steps[:-1][-3:]})"
        if predicate(focus):
            return focus
    raise AssertionError(f"not reached in {limit} Tabs; the focus went through {[s['name'] for s in steps[-limit:]]}")


def test_commenting_by_keyboard_alone(browser, live_server):
    context, page = _new_page(browser, live_server, "zh_CN", axe=False)
    try:
        _sign_in(page, "citizen2@demo.example.org")
        page.goto("/drafts/1")
        steps: list[dict] = []

        # The first Tab: the skip link, shown; Enter puts the focus on the content.
        page.keyboard.press("Tab")
        focus = _focus(page)
        assert focus["name"] == "跳到正文" and focus["visible"], focus
        assert page.locator(".skip-link").is_visible()
        page.keyboard.press("Enter")
        page.wait_for_function("document.activeElement.id === 'main'")

        # On to the first 提意见 control (a link, whatever it looks like), and into the form.
        _tab_to(page, lambda f: f["tag"] == "a" and "提意见" in f["name"], 120, steps)
        assert page.locator(":focus").evaluate("el => el.matches('a[href]')")
        page.keyboard.press("Enter")
        page.wait_for_url("**/opinions/new?provision=*")

        # Sent empty with the keyboard: the errors are summed up in an alert, which takes
        # the focus; the fields say they are invalid and point at their messages.
        _tab_to(page, lambda f: f["tag"] == "button" and f["name"] == "提交意见", 80, steps)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.wait_for_function("document.activeElement.matches('[data-error-summary]')")
        summary = page.locator("[data-error-summary]")
        assert summary.get_attribute("role") == "alert"
        focus = _focus(page)
        assert focus["visible"], focus
        body = page.locator("#body")
        assert body.get_attribute("aria-invalid") == "true"
        described = body.get_attribute("aria-describedby").split()
        messages = " ".join(page.locator(f"[id='{ident}']").inner_text() for ident in described)
        assert "请填写意见内容" in messages, messages
        assert page.locator("input[name=stance][aria-invalid=true]").count() >= 1

        # From the summary: its first link goes to the first field in error (the stance).
        _tab_to(page, lambda f: f["tag"] == "a", 3, steps)
        page.keyboard.press("Enter")
        page.wait_for_function("document.activeElement.matches('input[name=stance]')")
        focus = _focus(page)
        assert focus["tag"] == "input" and focus["type"] == "radio" and focus["visible"], focus
        page.keyboard.press("Space")
        assert page.locator("input[name=stance]:checked").count() == 1
        _tab_to(page, lambda f: f["id"] == "body", 10, steps)
        page.keyboard.type("键盘填写的意见：建议放宽补贴条件。")
        _tab_to(page, lambda f: f["tag"] == "button" and f["name"] == "提交意见", 40, steps)
        page.keyboard.press("Enter")
        page.wait_for_url("**/opinions/submitted")
        assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", page.locator("#receipt-code").inner_text())
    finally:
        context.close()
