"""The API is rate limited per address; the refusal is JSON too."""
from __future__ import annotations

import pytest


@pytest.fixture
def app_config(app_config):
    app_config["RATELIMIT_ENABLED"] = True
    app_config["API_RATE_LIMIT"] = "3 per minute"
    return app_config


def test_too_many_requests_is_json_429(client):
    statuses = [client.get("/api/v1/drafts").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/drafts")
    assert response.status_code == 429
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["error"] == "too_many_requests"
    assert body["message"]
