"""The request rate limit on the sign-in form (on top of the per-account throttle)."""
from __future__ import annotations

import pytest

from tests.accounts.conftest import text


@pytest.fixture
def app_config(app_config):
    app_config["RATELIMIT_ENABLED"] = True
    return app_config


def test_sign_in_posts_are_rate_limited_per_address(client, app):
    # A different e-mail each time, so the per-account throttle never answers first.
    for index in range(20):
        response = client.post("/login", data={"email": f"user{index}@example.org", "password": "wrong password"})
        assert response.status_code == 200, index
    response = client.post("/login", data={"email": "user99@example.org", "password": "wrong password"})
    assert response.status_code == 429
    assert "请求过于频繁，请稍后再试" in text(response)
    # Reading the page is not limited, and another address is not affected.
    assert client.get("/login").status_code == 200
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert other.post("/login", data={"email": "x@example.org", "password": "wrong password"}).status_code == 200
