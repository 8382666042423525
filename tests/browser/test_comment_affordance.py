"""The "提意见" controls of the reading page (issue 18) in a real browser, on the demo's
open draft: each article ends with "对第十二条提意见", shown without hovering and never
beside the text; a paragraph or item is chosen from the article's list, by mouse, by
finger and by keyboard; targets are big enough to hit and focus is visible."""
from __future__ import annotations

import pytest

from tests.browser.test_publish_and_read import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTICLE = '[id="art.12"]'  # 第十二条: a paragraph with three items, then a second paragraph
FORM_OF = "**/drafts/1/opinions/new?provision="


@pytest.fixture(scope="module")
def pages(browser, live_server):
    """Signed-in pages at desktop width (mouse, keyboard) and on a phone (touch): one
    context each for the whole module. Script errors fail the module."""
    errors: list[str] = []
    contexts = []

    def make(width, touch=False):
        context = browser.new_context(base_url=live_server, locale="zh-CN", viewport={"width": width, "height": 900},
                                      has_touch=touch, is_mobile=touch)
        context.set_default_timeout(15000)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.on("pageerror", lambda error: errors.append(str(error)))
        sign_in(page, "citizen2@demo.example.org")
        return page

    yield {"desktop": make(1280), "phone": make(390, touch=True)}
    for context in contexts:
        context.close()
    assert errors == []


def _box(locator) -> dict:
    box = locator.bounding_box()
    assert box is not None, locator
    return box


def _opacity(locator) -> float:
    """The opacity it is drawn with: its own times its ancestors'."""
    return locator.evaluate("""element => {
        let opacity = 1;
        for (let node = element; node; node = node.parentElement) opacity *= Number(getComputedStyle(node).opacity);
        return opacity;
    }""")


def _first_line_share(locator) -> float:
    """How much of its paragraph's width the first line of a wrapped paragraph fills:
    near 1 unless something beside the text (a floated button) shortens it."""
    share = locator.evaluate("""element => {
        const range = document.createRange();
        range.selectNodeContents(element);
        const rects = [...range.getClientRects()].filter(rect => rect.width > 0);
        const first = rects.filter(rect => rect.top < rects[0].bottom);
        if (first.length === rects.length) return null;  // one line: nothing to measure
        const right = Math.max(...first.map(rect => rect.right));
        return (right - element.getBoundingClientRect().left) / element.clientWidth;
    }""")
    assert share is not None, "the paragraph does not wrap"
    return share


def _focus_ring(page) -> bool:
    return page.evaluate("""() => {
        const style = getComputedStyle(document.activeElement);
        const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
        return outline || style.boxShadow !== 'none';
    }""")


def _tab_to(page, selector, limit=12) -> None:
    """Press Tab until the element matching `selector` has focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("selector => document.activeElement.matches(selector)", selector):
            return
    raise AssertionError(f"Tab did not reach {selector}")


def test_desktop_control_is_shown_without_hover_and_works_by_keyboard(pages):
    page = pages["desktop"]
    page.goto("/drafts/1")
    page.mouse.move(0, 0)  # nothing hovered
    assert "对第…条提意见" in page.locator(".opinion-hint").inner_text()  # the hint names what is there
    control = page.locator(f"{ARTICLE} .op-clause")
    control.scroll_into_view_if_needed()
    page.mouse.move(0, 0)
    box = _box(control)
    assert control.is_visible() and box["width"] > 0 and box["height"] >= 24
    assert _opacity(control) == 1
    assert control.inner_text() == "对第十二条提意见"
    # Below the text, so that it takes no width from the first line.
    last = _box(page.locator('[id="art.12.2"]'))
    assert box["y"] >= last["y"] + last["height"]
    assert _first_line_share(page.locator('[id="art.13.1"]')) >= 0.9

    # Keyboard: from the article's own label, Tab reaches its control, focus shows, Enter opens the form.
    page.locator(f"{ARTICLE} .article-label").focus()
    _tab_to(page, f"{ARTICLE} .op-clause")
    assert _focus_ring(page)
    page.keyboard.press("Enter")
    page.wait_for_url(FORM_OF + "art.12")
    assert "对第十二条提出意见" in page.locator("h1").inner_text()

    # A paragraph by keyboard: the next stop opens the list; Escape closes it again.
    page.go_back()
    page.locator(f"{ARTICLE} .op-clause").focus()
    _tab_to(page, f"{ARTICLE} .op-parts > summary")
    assert _focus_ring(page)
    menu = page.locator(f"{ARTICLE} .op-parts > ul")
    assert not menu.is_visible()
    page.keyboard.press("Enter")
    assert menu.is_visible()
    page.keyboard.press("Escape")
    assert not menu.is_visible()
    summary = f"{ARTICLE} .op-parts > summary"
    assert page.evaluate("selector => document.activeElement.matches(selector)", summary)
    # Tabbing past its five entries leaves the list, which closes.
    page.keyboard.press("Enter")
    for _ in range(6):
        page.keyboard.press("Tab")
    assert not menu.is_visible()
    page.locator(summary).focus()
    page.keyboard.press("Enter")
    entry = f'{ARTICLE} .op-parts a[href$="provision=art.12.2"]'
    _tab_to(page, entry)
    assert _focus_ring(page)
    # The focused entry marks its paragraph in the text.
    assert "op-preview" in page.locator('[id="art.12.2"]').get_attribute("class")
    assert page.locator(entry).get_attribute("aria-label") == "对第十二条第二款提意见"
    page.keyboard.press("Enter")
    page.wait_for_url(FORM_OF + "art.12.2")
    assert "对第十二条第二款提出意见" in page.locator("h1").inner_text()

    # By mouse: an item.
    page.go_back()
    page.locator(f"{ARTICLE} .op-parts > summary").click()
    page.locator(f'{ARTICLE} .op-parts a[href$="provision=art.12.1.3"]').click()
    page.wait_for_url(FORM_OF + "art.12.1.3")
    assert "对第十二条第一款第（三）项提出意见" in page.locator("h1").inner_text()


def test_phone_text_keeps_its_width_and_a_finger_reaches_a_paragraph(pages):
    page = pages["phone"]
    page.goto("/drafts/1")
    assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
    page.locator(ARTICLE).scroll_into_view_if_needed()
    for key in ("art.12.1", "art.13.1", "art.14.1"):
        assert _first_line_share(page.locator(f'[id="{key}"]')) >= 0.9, key
    # Every control on the page is a target of at least 44px height and 24px width.
    sizes = page.locator(".clause-tools > a, .op-parts > summary").evaluate_all(
        "elements => elements.map(e => [e.getBoundingClientRect().width, e.getBoundingClientRect().height])")
    assert len(sizes) > 40
    assert all(w >= 24 and h >= 44 for w, h in sizes), sizes

    page.locator(f"{ARTICLE} .op-parts > summary").tap()
    menu = page.locator(f"{ARTICLE} .op-parts > ul")
    assert menu.is_visible()
    box = _box(menu)
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
    entries = menu.locator("a")
    assert entries.count() == 5  # 第一款, its three items, 第二款
    assert all(_box(entries.nth(n))["height"] >= 44 for n in range(5))
    # A tap elsewhere (on the text above it) closes the list.
    page.locator('[id="art.12.1"]').tap()
    assert not menu.is_visible()
    page.locator(f"{ARTICLE} .op-parts > summary").tap()
    menu.locator('a[href$="provision=art.12.2"]').tap()
    page.wait_for_url(FORM_OF + "art.12.2")
    assert "对第十二条第二款提出意见" in page.locator("h1").inner_text()
