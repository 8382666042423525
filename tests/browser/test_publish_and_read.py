"""Issue 2's path in a real browser: staff sign in, import a Word draft, read the
structure report, publish, and the public reads the draft."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.resources import REPO_ROOT

DEMO_PASSWORD = "lifa-demo-2026"


def sign_in(page, email):
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))


def demo_docx(tmp_path) -> Path:
    """The Word file a new user is told to import (`flask demo docx`)."""
    out = tmp_path / "greenway.docx"
    flask = Path(sys.executable).parent / "flask"
    subprocess.run([str(flask), "--app", "app", "demo", "docx", str(out)], cwd=REPO_ROOT, check=True,
                   capture_output=True, env={"INSTANCE_PATH": str(tmp_path / "instance"), "PATH": "/usr/bin:/bin"})
    return out


def test_staff_import_docx_check_report_publish_and_public_reads(page, tmp_path):
    docx = demo_docx(tmp_path)
    sign_in(page, "staff@demo.example.org")

    page.click("text=草案管理")
    page.click("text=导入新草案")
    page.fill("input[name=title]", "某市绿道保护条例（草案）")
    page.set_input_files("input[name=file]", str(docx))
    page.click("main form button[type=submit]")

    # The structure report: counts, no errors, the tree with stable keys.
    page.wait_for_selector("text=结构统计")
    assert page.locator("text=art.1.1").first.is_visible()
    report = page.content()
    assert "错误" not in page.locator(".report-summary, .card").first.inner_text()
    assert "发布并征求意见" in report

    # Publishing cannot be undone: the page asks first; dismissing the question publishes nothing.
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.click("text=发布并征求意见")
    assert questions and "确定发布吗" in questions[0]
    assert page.locator(".badge-open").count() == 0
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("text=发布并征求意见")
    page.wait_for_selector(".badge-open")
    draft_url = page.locator("a", has_text="查看公开页面").get_attribute("href")

    page.click("header form button:has-text('退出')")
    page.goto(draft_url)
    assert page.locator("h1").inner_text().startswith("某市绿道保护条例")
    assert page.locator(".badge-open").is_visible()
    # Every article has its own addressable anchor.
    page.goto(draft_url + "#art.2")
    assert page.locator("[id='art.2']").is_visible()
    assert page.locator("[id='art.1.1']").count() == 1
    # The home page lists it among the drafts open for comment.
    page.goto("/")
    assert page.locator("text=某市绿道保护条例（草案）").first.is_visible()


def test_unpublished_draft_is_not_public(page):
    response = page.goto("/drafts/3")
    assert response.status == 404
    assert "页面不存在" in page.content()


def test_english_interface_switch(page):
    page.goto("/")
    page.click("footer button:has-text('English')")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
