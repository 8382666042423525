"""Real-browser tests: the app served by gunicorn from a fresh instance (migrated, demo
loaded, exactly as `make run` does), driven by Playwright in Debian's chromium."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.resources import REPO_ROOT, chromium_path, require



def pytest_collection_modifyitems(config, items):
    # A conftest's pytestmark does not reach the test modules: mark them here so that
    # `-m "not browser"` (the PostgreSQL pass) leaves them out.
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env(instance: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env["INSTANCE_PATH"] = str(instance)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """Base URL of a running server with the demo loaded, shared by the browser tests of
    a test process (starting one costs seconds); tests add their own data to it."""
    instance = tmp_path_factory.mktemp("browser-instance")
    env = _server_env(instance)
    flask = [str(BIN / "flask"), "--app", "app"]
    for command in (["db", "upgrade"], ["demo", "load"]):
        subprocess.run(flask + command, cwd=REPO_ROOT, env=env, check=True, capture_output=True, timeout=120)
    port = _free_port()
    log = open(instance / "server.log", "w")
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4", "app:app"],
        cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base_url + "/", timeout=2)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("server did not start:\n" + (instance / "server.log").read_text())
            time.sleep(0.2)
    yield base_url
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "playwright is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server, request):
    """Open browser pages, each in a context of its own (its own cookies): several
    people at once. Pages are at desktop width unless given one (390: a phone)."""
    contexts = []
    console_errors: list[tuple[str, str]] = []
    error_documents: set[str] = set()  # pages that are themselves error answers (a 404 page)

    def on_response(response):
        if response.request.is_navigation_request() and response.status >= 400:
            error_documents.add(response.url)

    def make(width=1280):
        context = browser.new_context(base_url=live_server, locale="zh-CN", viewport={"width": width, "height": 900})
        context.set_default_timeout(15000)
        contexts.append(context)
        page = context.new_page()
        page.on("response", on_response)
        page.on("console", lambda message: message.type == "error"
                and console_errors.append((message.text, message.location.get("url", ""))))
        page.on("pageerror", lambda error: console_errors.append((str(error), "")))
        return page

    yield make
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        artifacts = REPO_ROOT / "test-artifacts"
        artifacts.mkdir(exist_ok=True)
        for number, context in enumerate(contexts):
            for page in context.pages:
                page.screenshot(path=str(artifacts / f"{request.node.name}-{number}.png"), full_page=True)
    for context in contexts:
        context.close()
    # A CSP violation, a script error or a missing asset is a bug even when the path
    # still works; an error page the test asked for is not.
    assert [text for text, url in console_errors if url not in error_documents] == []


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
