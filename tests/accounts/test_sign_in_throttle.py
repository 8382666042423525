"""The sign-in throttle cannot be turned against an account's owner (issue 13).

What holds, precisely (services.accounts, "sign-in throttling"):
- with the device cookie of an earlier sign-in, nothing strangers do (failures on the
  account from any number of addresses, or from the owner's own address) refuses the
  owner: only the cookie's own small limit applies;
- without it, strangers' failures on other addresses never lock the account: past a
  free allowance they impose a delay that grows with each failure, capped at
  LOGIN_ACCOUNT_MAX_DELAY_SECONDS after the latest failure;
- per (account, address) and per address, failures still refuse for the window.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import LoginAttempt, LoginUnlock
from participation.services import accounts
from tests.accounts.conftest import csrf_token, text
from tests.conftest import DEMO_PASSWORD

WRONG = "not the right password"
FREE = 20        # LOGIN_MAX_FAILURES_PER_ACCOUNT (default)
MAX_DELAY = 300  # LOGIN_ACCOUNT_MAX_DELAY_SECONDS (default)


def sign_in(client, email, password):
    return client.post("/login", data={"email": email, "password": password})


def strangers_fail(new_client, frozen_now, email, count, *, step=timedelta(seconds=MAX_DELAY + 1), first=0):
    """``count`` failures on ``email``, each from its own address, spaced so that every
    one is checked (none waits out a delay); the clock ends at the latest failure."""
    for index in range(first, first + count):
        response = sign_in(new_client(REMOTE_ADDR=f"198.51.{index // 250}.{index % 250 + 1}"), email, WRONG)
        assert response.status_code == 200, index
        frozen_now.advance(seconds=step.total_seconds())
    frozen_now.advance(seconds=-step.total_seconds())


def test_with_a_device_cookie_strangers_never_refuse_the_owner(app, make_user, new_client, frozen_now):
    owner = make_user("staff")
    browser = new_client(REMOTE_ADDR="192.0.2.10")
    assert sign_in(browser, owner.email, DEMO_PASSWORD).status_code == 302
    browser.post("/logout")
    # Someone at the owner's own address (past its per-(account, address) limit), then
    # strangers on 40 addresses (past the account's allowance, into the delays).
    neighbour = new_client(REMOTE_ADDR="192.0.2.10")
    statuses = [sign_in(neighbour, owner.email, WRONG).status_code for _ in range(8)]
    assert statuses == [200] * 5 + [429] * 3
    strangers_fail(new_client, frozen_now, owner.email, 40)
    assert sign_in(new_client(REMOTE_ADDR="203.0.113.5"), owner.email, DEMO_PASSWORD).status_code == 429
    # The owner's browser, at this very moment and from the flooded address.
    response = sign_in(browser, owner.email, DEMO_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_without_a_device_cookie_strangers_only_delay_the_owner(app, make_user, new_client, frozen_now):
    owner = make_user("admin")
    strangers_fail(new_client, frozen_now, owner.email, FREE + 12)
    fresh = new_client(REMOTE_ADDR="203.0.113.7")
    response = sign_in(fresh, owner.email, DEMO_PASSWORD)
    assert response.status_code == 429
    wait = int(response.headers["Retry-After"])
    assert 0 < wait <= MAX_DELAY
    assert f"请 {wait} 秒后再试" in text(response)
    frozen_now.advance(seconds=wait)
    assert sign_in(fresh, owner.email, DEMO_PASSWORD).status_code == 302


def test_the_delay_grows_with_each_failure_up_to_its_cap(app, zh, make_user, frozen_now):
    user = make_user("citizen")
    limits = accounts.LoginLimits.from_config(app.config)
    waits = []
    for index in range(FREE + 10):
        address = f"10.1.{index // 200}.{index % 200 + 1}"
        try:
            accounts.authenticate(email=user.email, password=WRONG, ip=address, now=frozen_now.now, limits=limits)
        except accounts.SignInThrottled as exc:
            waits.append(exc.retry_after)
            frozen_now.advance(seconds=exc.retry_after)
            assert accounts.authenticate(email=user.email, password=WRONG, ip=address, now=frozen_now.now,
                                         limits=limits) is None
    assert waits == [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    db.session.commit()


def test_one_address_is_still_refused_for_the_account_and_for_all_accounts(app, make_user, new_client, frozen_now):
    user = make_user("citizen")
    attacker = new_client(REMOTE_ADDR="203.0.113.9")
    for _attempt in range(5):
        assert sign_in(attacker, user.email, WRONG).status_code == 200
    response = sign_in(attacker, user.email, DEMO_PASSWORD)
    assert response.status_code == 429 and "请 15 分钟后再试" in text(response)
    assert response.headers["Retry-After"] == "900"
    # Another address is not affected (5 failures are far below the account's allowance).
    assert sign_in(new_client(REMOTE_ADDR="198.51.100.1"), user.email, DEMO_PASSWORD).status_code == 302


def test_a_device_cookie_has_a_small_limit_of_its_own(app, make_user, new_client, frozen_now):
    owner = make_user("citizen")
    browser = new_client(REMOTE_ADDR="192.0.2.20")
    sign_in(browser, owner.email, DEMO_PASSWORD)
    browser.post("/logout")
    strangers_fail(new_client, frozen_now, owner.email, FREE + 3)
    # Someone at the owner's browser guesses: five tries, then the cookie is no longer
    # trusted and the account's delay applies to it as to any browser.
    for _attempt in range(5):
        assert sign_in(browser, owner.email, WRONG).status_code == 200
    assert sign_in(browser, owner.email, DEMO_PASSWORD).status_code == 429
    frozen_now.advance(minutes=16)
    assert sign_in(browser, owner.email, DEMO_PASSWORD).status_code == 302


def test_a_forged_device_cookie_is_not_trusted(app, make_user, new_client, frozen_now):
    owner = make_user("citizen")
    strangers_fail(new_client, frozen_now, owner.email, FREE + 3)
    browser = new_client(REMOTE_ADDR="192.0.2.30")
    browser.set_cookie("lpp_device", f'[["{accounts.account_key(owner.email)}","made-up"]]')
    assert sign_in(browser, owner.email, DEMO_PASSWORD).status_code == 429


def test_the_owner_is_told_of_failures_at_the_next_sign_in(app, make_user, new_client, frozen_now):
    owner = make_user("citizen")
    first_failure = frozen_now.now
    for address in ("198.51.100.1", "198.51.100.1", "198.51.100.2"):
        sign_in(new_client(REMOTE_ADDR=address), owner.email, WRONG)
        frozen_now.advance(minutes=1)
    browser = new_client(REMOTE_ADDR="192.0.2.40")
    sign_in(browser, owner.email, DEMO_PASSWORD)
    page = text(browser.get("/"))
    from participation.clock import format_local

    assert re.search(r"有 3 次以您的账户登录失败（最早在 " + re.escape(format_local(first_failure))
                     + r"，来自 2 个网络地址）", page), page
    # Told once: the next sign-in has nothing to report.
    browser.post("/logout")
    sign_in(browser, owner.email, DEMO_PASSWORD)
    assert "登录失败（最早在" not in text(browser.get("/"))


class TestUnlock:
    @pytest.fixture
    def app_config(self, app_config):
        app_config["WTF_CSRF_ENABLED"] = True
        return app_config

    def _sign_in_with_csrf(self, client, email, password):
        return client.post("/login", data={"email": email, "password": password, "csrf_token": csrf_token(client)})

    def test_an_administrator_unlocks_from_the_account_page(self, app, make_user, new_client, frozen_now):
        owner = make_user("staff")
        admin = make_user("admin")
        for index in range(FREE):
            client = new_client(REMOTE_ADDR=f"198.51.100.{index + 1}")
            assert self._sign_in_with_csrf(client, owner.email, WRONG).status_code == 200
        fresh = new_client(REMOTE_ADDR="203.0.113.50")
        assert self._sign_in_with_csrf(fresh, owner.email, DEMO_PASSWORD).status_code == 429

        admin_browser = new_client(REMOTE_ADDR="192.0.2.99")
        assert self._sign_in_with_csrf(admin_browser, admin.email, DEMO_PASSWORD).status_code == 302
        page = text(admin_browser.get(f"/admin/users/{owner.id}"))
        assert "近期有 20 次登录失败计入该账户" in page and "解除登录限制" in page
        url = f"/admin/users/{owner.id}/unlock-sign-in"
        assert admin_browser.post(url).status_code == 400  # no CSRF token
        response = admin_browser.post(url, data={"csrf_token": csrf_token(admin_browser, f"/admin/users/{owner.id}")})
        assert response.status_code == 302
        unlock = db.session.scalar(select(LoginUnlock))
        assert (unlock.user_id, unlock.unlocked_by_id, unlock.cleared_failures) == (owner.id, admin.id, FREE)
        page = text(admin_browser.get(f"/admin/users/{owner.id}"))
        assert "没有计入该账户的登录失败" in page and admin.email in page

        assert self._sign_in_with_csrf(fresh, owner.email, DEMO_PASSWORD).status_code == 302
        # The owner is still told of the failures that were cleared.
        assert "有 20 次以您的账户登录失败" in text(fresh.get("/"))


def test_unlock_from_the_command_line(app, runner, zh, make_user, frozen_now):
    user = make_user("citizen")
    limits = accounts.LoginLimits.from_config(app.config)
    for index in range(FREE):
        accounts.authenticate(email=user.email, password=WRONG, ip=f"10.2.0.{index + 1}", now=frozen_now.now,
                              limits=limits)
    with pytest.raises(accounts.SignInThrottled):
        accounts.authenticate(email=user.email, password=DEMO_PASSWORD, ip="10.3.0.1", now=frozen_now.now,
                              limits=limits)
    db.session.commit()
    result = runner.invoke(args=["users", "unlock", user.email.upper()])
    assert result.exit_code == 0, result.output
    assert f"已解除 {user.email} 的登录限制（清除了 {FREE} 次失败记录）" in result.output
    db.session.rollback()
    unlock = db.session.scalar(select(LoginUnlock))
    assert unlock.user_id == user.id and unlock.unlocked_by_id is None
    assert accounts.authenticate(email=user.email, password=DEMO_PASSWORD, ip="10.3.0.1", now=frozen_now.now,
                                 limits=limits).user == user
    assert db.session.scalar(select(func.count()).select_from(LoginAttempt)) == FREE  # kept for the notice
    result = runner.invoke(args=["users", "unlock", "nobody@example.org"])
    assert result.exit_code != 0 and "没有邮箱为 nobody@example.org 的账户" in result.output


def test_a_signed_in_owner_with_a_device_cookie_can_change_the_password_under_attack(
        app, make_user, new_client, frozen_now):
    from tests.accounts.conftest import STRONG_PASSWORD

    owner = make_user("citizen")
    browser = new_client(REMOTE_ADDR="192.0.2.60")
    assert sign_in(browser, owner.email, DEMO_PASSWORD).status_code == 302
    # The account's allowance used up within a minute: untrusted attempts now wait.
    strangers_fail(new_client, frozen_now, owner.email, FREE, step=timedelta(seconds=1))
    assert sign_in(new_client(REMOTE_ADDR="203.0.113.61"), owner.email, DEMO_PASSWORD).status_code == 429
    response = browser.post("/account/password", data={
        "current_password": DEMO_PASSWORD, "password": STRONG_PASSWORD, "confirm": STRONG_PASSWORD})
    assert response.status_code == 302, text(response)[:500]
